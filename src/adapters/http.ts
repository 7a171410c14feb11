/**
 * The framework-neutral part of conexor's HTTP mounting: options, the checks every request passes (Host,
 * Origin, API key, body size), the replies they produce, and session bookkeeping. The Express and Hono adapters
 * only translate between their request/response objects and these pieces.
 * @module
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { checkApiKey, type ApiKeyRefusal, type ApiKeyStore } from '../auth/api-keys.js';
import type { Conexor } from '../conexor.js';
import { ConfigurationError } from '../errors.js';
import { limitOptionsSchema, type LimitOptions } from '../limits/limits.js';
import { describeError } from '../shared/describe-error.js';
import { throttledLog, type ThrottledLog } from '../shared/log-throttle.js';

/** How an HTTP mount of conexor authenticates, checks and serves requests. */
export interface ConexorHttpOptions {
  /**
   * API-key authentication. Required: pass `{ store }` to demand a valid key (`Authorization: Bearer cx_…`) on
   * every request, or `false` to serve without authentication (only behind authentication of your own).
   * Omitting the field fails at creation, so an endpoint is never open by accident.
   */
  auth: { store: ApiKeyStore } | false;
  /**
   * Browser origins allowed to call the endpoint (`https://app.example.com`); `:*` as the port allows any port
   * (`http://localhost:*`, see {@link LOOPBACK_ORIGINS} for a server on localhost). A request that carries an
   * `Origin` header not in this list (nor in `cors.origins`) is refused with 403; requests without `Origin` (MCP
   * clients that are not browsers) pass. The Origin is never compared with the Host header.
   * @default []
   */
  allowedOrigins?: string[];
  /**
   * Values the `Host` header may take (`localhost:3000`, `127.0.0.1`, `[::1]:8080`); an entry without a port
   * allows any port. Other hosts get 403 — DNS-rebinding protection for servers listening on localhost.
   * @default undefined (Host is not checked)
   */
  allowedHosts?: string[];
  /**
   * Largest request body, in bytes. Enforced while reading: a larger body is refused with 413 and never buffered.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * `stateless`: every POST gets a fresh server and transport (`cx.createServer()` is cheap), nothing is kept
   * between requests. `sessionful`: `initialize` creates a session (`Mcp-Session-Id`) kept in memory and bound to
   * the API key that created it.
   * @default 'stateless'
   */
  mode?: 'stateless' | 'sessionful';
  /**
   * Sessionful mode: a session without requests for this long is closed.
   * @default 900000 (15 minutes)
   */
  sessionIdleMs?: number;
  /**
   * Sessionful mode: most sessions open at once; further `initialize` requests get 503 until one ends.
   * @default 1000
   */
  maxSessions?: number;
  /**
   * Sessionful mode: most sessions one API key may hold open at once; its further `initialize` requests get 429
   * until one of its sessions ends, so one key cannot take every session. Not applied with `auth: false`.
   * @default 100
   */
  maxSessionsPerKey?: number;
  /**
   * Answer POSTs with plain JSON (`true`) or with a Server-Sent Events stream (`false`).
   * @default true
   */
  enableJsonResponse?: boolean;
  /**
   * Cross-origin access for browser clients. Listed origins get `Access-Control-Allow-Origin`, preflights are
   * answered, `Mcp-Session-Id` is exposed. Listed origins are also allowed origins.
   * @default undefined (no CORS headers at all)
   */
  cors?: {
    /** Origins allowed cross-origin access, exactly as browsers send them (`https://app.example.com`). */
    origins: string[];
    /** How long browsers may cache a preflight. @default 600 */
    maxAgeSeconds?: number;
  };
  /**
   * Called with every server the mount creates (per request when stateless, per session when sessionful) and the
   * caller's identity (`undefined` with `auth: false`), e.g. to register the host's own tools.
   */
  onServer?: (server: McpServer, auth: AuthInfo | undefined) => void;
  /**
   * Answer stateless `tools/call` of generated tools and `tools/list` directly, without building an SDK server
   * and transport per request (same checks, same responses). Turn off only to compare or debug.
   * @default true
   */
  fastPath?: boolean;
  /**
   * Per-API-key limits, checked after the key is verified and before the body is read: a rate
   * (`perKeyRate: { points, durationSeconds }`) and a concurrency cap (`perKeyConcurrency`), in memory or shared
   * through `redis`. A request over a limit gets 429 with `Retry-After`. With `auth: false` every caller shares one
   * anonymous bucket. See docs/limits.md.
   * @default undefined (no limits)
   */
  limits?: LimitOptions;
  /**
   * Where the mount reports what clients are not told: refused keys (401, with the reason and the key id, never
   * the secret) and key store failures (503), each kind at most once a minute with a count of the others.
   * @default the conexor's `logger`
   */
  logger?: Logger;
}

/** {@link ConexorHttpOptions} validated, with every default applied. */
export interface ResolvedHttpOptions {
  /** `undefined` when authentication is off (`auth: false`). */
  readonly store: ApiKeyStore | undefined;
  /** Lower-cased; includes the CORS origins. */
  readonly allowedOrigins: ReadonlySet<string>;
  readonly allowedHosts: readonly HostRule[] | undefined;
  readonly maxBodyBytes: number;
  readonly mode: 'stateless' | 'sessionful';
  readonly sessionIdleMs: number;
  readonly maxSessions: number;
  readonly maxSessionsPerKey: number;
  readonly enableJsonResponse: boolean;
  readonly cors: { readonly origins: ReadonlySet<string>; readonly maxAgeSeconds: number } | undefined;
  readonly onServer: ((server: McpServer, auth: AuthInfo | undefined) => void) | undefined;
  readonly fastPath: boolean;
  /** `undefined` when no limit is set. */
  readonly limits: LimitOptions | undefined;
  /** Refused keys (warn) and store failures (error), rate-limited per kind. */
  readonly report: { readonly refusal: ThrottledLog; readonly storeFailure: ThrottledLog };
}

interface HostRule {
  readonly hostname: string;
  /** `undefined`: any port. */
  readonly port: string | undefined;
}

/** The documented defaults of {@link ConexorHttpOptions}. */
export const HTTP_DEFAULTS = {
  allowedOrigins: [] as readonly string[],
  maxBodyBytes: 1024 * 1024,
  mode: 'stateless',
  sessionIdleMs: 15 * 60 * 1000,
  maxSessions: 1000,
  maxSessionsPerKey: 100,
  enableJsonResponse: true,
  fastPath: true,
  corsMaxAgeSeconds: 600,
} as const;

/**
 * Browser origins of pages served from this machine, on any port: what a server listening on localhost should
 * accept (browser-based MCP clients such as the MCP Inspector's web UI send one), while every other origin is
 * refused. DNS rebinding cannot forge them: a rebound page keeps its own origin.
 */
export const LOOPBACK_ORIGINS: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*', 'https://localhost:*', 'https://127.0.0.1:*', 'https://[::1]:*'];

const origin = z.string().refine(isOrigin, 'must be an origin such as https://app.example.com (no path, no trailing slash; ":*" for any port)');
const corsOrigin = z.string().refine((value) => isOrigin(value) && !value.endsWith(':*'), 'must be an origin such as https://app.example.com (no path, no trailing slash)');
const HOST_PATTERN = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

const optionsSchema = z.strictObject({
  auth: z.union([
    z.literal(false),
    z.strictObject({
      store: z.custom<ApiKeyStore>(
        (value) => typeof (value as Partial<ApiKeyStore> | null)?.find === 'function' && typeof (value as Partial<ApiKeyStore>).touch === 'function',
        'expected an ApiKeyStore (find and touch)',
      ),
    }),
  ]),
  allowedOrigins: z.array(origin).optional(),
  allowedHosts: z.array(z.string().regex(HOST_PATTERN, 'must be a host such as localhost:3000')).min(1).optional(),
  maxBodyBytes: z.number().int().min(1).max(1024 * 1024 * 1024).optional(),
  mode: z.enum(['stateless', 'sessionful']).optional(),
  sessionIdleMs: z.number().int().min(1).max(2 ** 31 - 1).optional(),
  maxSessions: z.number().int().min(1).optional(),
  maxSessionsPerKey: z.number().int().min(1).optional(),
  enableJsonResponse: z.boolean().optional(),
  cors: z
    .strictObject({
      origins: z.array(corsOrigin).min(1),
      maxAgeSeconds: z.number().int().min(0).max(86_400).optional(),
    })
    .optional(),
  fastPath: z.boolean().optional(),
  limits: limitOptionsSchema.optional(),
  logger: z.custom<Logger>((value) => typeof (value as Partial<Logger> | null)?.warn === 'function' && typeof (value as Partial<Logger>).error === 'function', 'expected a pino logger').optional(),
  onServer: z.custom<(server: McpServer, auth: AuthInfo | undefined) => void>((value) => typeof value === 'function', 'expected a function').optional(),
});

/**
 * Validates a mount's options and applies the defaults. Throws {@link ConfigurationError} naming every mistake,
 * so a misconfigured endpoint fails when the host builds it, not on the first request.
 */
export function resolveHttpOptions(options: ConexorHttpOptions, adapter: string, fallbackLogger: Logger): ResolvedHttpOptions {
  if ((options as Partial<ConexorHttpOptions> | undefined)?.auth === undefined) {
    throw new ConfigurationError(
      `${adapter}: options.auth is required. Pass { auth: { store } } to require an API key, ` +
        'or { auth: false } to serve without authentication (only behind authentication of your own).',
    );
  }
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'options'}: ${issue.message}`);
    throw new ConfigurationError(`${adapter}: invalid options: ${problems.join('; ')}`);
  }
  const value = parsed.data;
  const corsOrigins = value.cors?.origins.map((entry) => entry.toLowerCase());
  const logger = value.logger ?? fallbackLogger;
  return {
    store: value.auth === false ? undefined : value.auth.store,
    allowedOrigins: new Set([...(value.allowedOrigins ?? HTTP_DEFAULTS.allowedOrigins), ...(corsOrigins ?? [])].map((entry) => entry.toLowerCase())),
    allowedHosts: value.allowedHosts?.map(parseHost),
    maxBodyBytes: value.maxBodyBytes ?? HTTP_DEFAULTS.maxBodyBytes,
    mode: value.mode ?? HTTP_DEFAULTS.mode,
    sessionIdleMs: value.sessionIdleMs ?? HTTP_DEFAULTS.sessionIdleMs,
    maxSessions: value.maxSessions ?? HTTP_DEFAULTS.maxSessions,
    maxSessionsPerKey: value.maxSessionsPerKey ?? HTTP_DEFAULTS.maxSessionsPerKey,
    enableJsonResponse: value.enableJsonResponse ?? HTTP_DEFAULTS.enableJsonResponse,
    cors: corsOrigins
      ? { origins: new Set(corsOrigins), maxAgeSeconds: value.cors?.maxAgeSeconds ?? HTTP_DEFAULTS.corsMaxAgeSeconds }
      : undefined,
    onServer: value.onServer,
    fastPath: value.fastPath ?? HTTP_DEFAULTS.fastPath,
    limits: value.limits && (value.limits.perKeyRate || value.limits.perKeyConcurrency !== undefined) ? value.limits : undefined,
    report: { refusal: throttledLog(logger, 'warn'), storeFailure: throttledLog(logger, 'error') },
  };
}

function isOrigin(value: string): boolean {
  const exact = value.endsWith(':*') ? value.slice(0, -2) : value;
  try {
    const url = new URL(exact);
    // With a port wildcard, the rest must be an origin without a port of its own.
    return url.origin === exact.toLowerCase() && (exact === value || url.port === '');
  } catch {
    return false;
  }
}

/** Whether an `Origin` header is allowed: listed exactly, or its scheme and host listed with the `:*` wildcard. */
function originAllowed(allowed: ReadonlySet<string>, header: string): boolean {
  const value = header.toLowerCase();
  if (allowed.has(value)) return true;
  try {
    const url = new URL(value);
    return url.origin === value && allowed.has(`${url.protocol}//${url.hostname}:*`);
  } catch {
    return false;
  }
}

function parseHost(value: string): HostRule {
  const host = value.toLowerCase();
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  return { hostname: match?.[1] ?? host, port: match?.[2] };
}

// ---------------------------------------------------------------------------------------------------------------
// Requests and replies

/** The parts of an incoming request the checks read, whatever the framework. */
export interface RequestHead {
  readonly method: string;
  /** A header by lower-case name; `undefined` when absent. */
  header(name: string): string | undefined;
}

/** A response decided by the core; each adapter writes it its own way. */
export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): HttpReply {
  return {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }),
  };
}

/**
 * The one answer to every authentication failure — missing, malformed, unknown, wrong, revoked or expired key —
 * so a client learns nothing about which check failed.
 */
export function unauthorized(): HttpReply {
  return jsonRpcError(401, -32001, 'Unauthorized', { 'WWW-Authenticate': 'Bearer realm="conexor"', 'Cache-Control': 'no-store' });
}

/** The key store itself failed: not the client's fault, and nothing about the store is revealed. */
export function storeUnavailable(): HttpReply {
  return jsonRpcError(503, -32000, 'Service unavailable: the API key could not be verified, try again later', { 'Retry-After': '5' });
}

/** 413 for a body over the limit; the connection is closed rather than drained. */
export function payloadTooLarge(limit: number): HttpReply {
  return jsonRpcError(413, -32000, `Payload too large: the request body must not exceed ${limit} bytes`, { Connection: 'close' });
}

/** 405 for GET / DELETE on a stateless endpoint, which has no stream or session to serve them. */
export function methodNotAllowed(config: ResolvedHttpOptions): HttpReply {
  return jsonRpcError(405, -32000, 'Method not allowed: this endpoint is stateless; send JSON-RPC messages with POST', {
    Allow: config.cors ? 'POST, OPTIONS' : 'POST',
  });
}

/** 404 for a session that does not exist, has ended, or belongs to another key (indistinguishable on purpose). */
export function sessionNotFound(): HttpReply {
  return jsonRpcError(404, -32001, 'Session not found');
}

/** 400 for a sessionful request that neither carries a session id nor initializes one. */
export function sessionRequired(): HttpReply {
  return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
}

/** 503 when `maxSessions` sessions are open. */
export function tooManySessions(): HttpReply {
  return jsonRpcError(503, -32000, 'Service unavailable: too many open sessions, try again later', { 'Retry-After': '30' });
}

/** 429 when the caller's key already holds `maxSessionsPerKey` sessions: its own, so it can end one. */
export function tooManySessionsForKey(): HttpReply {
  return jsonRpcError(429, -32029, 'Too many open sessions for this API key: end one (DELETE) or retry later', { 'Retry-After': '30' });
}

/**
 * 400 for a JSON-RPC batch. MCP 2025-06-18 removed batching; refusing it keeps one message per HTTP request, so
 * every tool call passes the per-key rate and concurrency limits on its own.
 */
export function batchRefused(): HttpReply {
  return jsonRpcError(400, -32600, 'Invalid Request: JSON-RPC batches are not supported; send one message per request');
}

/**
 * 429 for a caller over one of its limits. `Retry-After` and the message give whole seconds; nothing names the key
 * or which limit was hit.
 */
export function tooManyRequests(retryAfterSeconds: number): HttpReply {
  return jsonRpcError(429, -32029, `Too many requests: retry after ${retryAfterSeconds} s`, { 'Retry-After': String(retryAfterSeconds) });
}

/** 500 for an unexpected failure; details stay on the server. */
export function internalError(): HttpReply {
  return jsonRpcError(500, -32603, 'Internal error');
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

/**
 * Host and Origin checks. Host is checked only when `allowedHosts` is set; an `Origin` header must be in the
 * allowed origins (browsers always send one on cross-site requests, so a DNS-rebound page is refused).
 */
export function checkHostAndOrigin(config: ResolvedHttpOptions, head: RequestHead): HttpReply | undefined {
  if (config.allowedHosts && !hostAllowed(config.allowedHosts, head.header('host'))) {
    return jsonRpcError(403, -32000, 'Forbidden: Host not allowed');
  }
  const requestOrigin = head.header('origin');
  if (requestOrigin !== undefined && !originAllowed(config.allowedOrigins, requestOrigin)) {
    return jsonRpcError(403, -32000, 'Forbidden: Origin not allowed');
  }
  return undefined;
}

function hostAllowed(rules: readonly HostRule[], header: string | undefined): boolean {
  if (!header) return false;
  const { hostname, port } = parseHost(header);
  return rules.some((rule) => rule.hostname === hostname && (rule.port === undefined || rule.port === port));
}

/** The token of an `Authorization: Bearer <token>` header; `undefined` for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match?.[1];
}

/** Outcome of {@link admit}: the caller's identity, or the reply that refuses the request. */
export type Admission = { readonly ok: true; readonly auth: AuthInfo | undefined } | { readonly ok: false; readonly reply: HttpReply };

/**
 * Every check before the body is read: Host, Origin, then the API key. Refused keys and store failures are logged
 * (rate-limited) for the operator; the client gets one answer for every refusal.
 */
export async function admit(config: ResolvedHttpOptions, head: RequestHead): Promise<Admission> {
  const refused = checkHostAndOrigin(config, head);
  if (refused) return { ok: false, reply: refused };
  if (!config.store) return { ok: true, auth: undefined };
  try {
    const checked = await checkApiKey(config.store, bearerToken(head.header('authorization')));
    if (checked.ok) return { ok: true, auth: checked.auth };
    // Revoked and expired keys are real keys still in use somewhere: one line each. Guessed ids share one.
    const kind = checked.reason === 'revoked' || checked.reason === 'expired' ? `${checked.reason}:${checked.keyId}` : checked.reason;
    config.report.refusal(`401:${kind}`, { status: 401, reason: checked.reason, keyId: checked.keyId ?? null }, `Refused a request: API key ${REFUSAL_TEXT[checked.reason]}`);
    return { ok: false, reply: unauthorized() };
  } catch (error) {
    // Fail closed, and without echoing the store's error to the client (it may name hosts or tables).
    config.report.storeFailure('503:store', { status: 503, error: describeError(error) }, 'The API key store failed; requests are refused with 503 until it answers');
    return { ok: false, reply: storeUnavailable() };
  }
}

const REFUSAL_TEXT: Record<ApiKeyRefusal, string> = {
  missing: 'missing (no Authorization: Bearer header)',
  malformed: 'malformed (not cx_<id>_<secret>)',
  unknown: 'unknown (no such key id)',
  wrong_secret: 'with a wrong secret',
  revoked: 'revoked',
  expired: 'expired',
};


/**
 * Runs the store's own check once, when a mount is created, so a missing key table is in the log before the first
 * request meets it (the mount itself is created synchronously and keeps serving 503 until the store works).
 */
export function checkStoreAtStart(config: ResolvedHttpOptions): void {
  const check = config.store?.check;
  if (!check) return;
  check.call(config.store).catch((error: unknown) => {
    config.report.storeFailure('503:store', { error: describeError(error) }, 'The API key store is not usable; every request will get 503');
  });
}

// ---------------------------------------------------------------------------------------------------------------
// CORS

const ALLOWED_HEADERS = 'Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version';
const EXPOSED_HEADERS = 'Mcp-Session-Id, WWW-Authenticate, Retry-After';
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';

/** Headers to add to every response: none without `cors`; `Access-Control-Allow-Origin` for listed origins only. */
export function corsHeaders(config: ResolvedHttpOptions, head: RequestHead): Record<string, string> {
  if (!config.cors) return {};
  const requestOrigin = head.header('origin');
  if (requestOrigin === undefined || !config.cors.origins.has(requestOrigin.toLowerCase())) return { Vary: 'Origin' };
  return { 'Access-Control-Allow-Origin': requestOrigin, 'Access-Control-Expose-Headers': EXPOSED_HEADERS, Vary: 'Origin' };
}

/** The answer to an OPTIONS preflight (only routed when `cors` is set). */
export function preflight(config: ResolvedHttpOptions, head: RequestHead): HttpReply {
  const refused = checkHostAndOrigin(config, head);
  const headers = corsHeaders(config, head);
  if (refused || !headers['Access-Control-Allow-Origin']) return refused ?? jsonRpcError(403, -32000, 'Forbidden: Origin not allowed');
  return {
    status: 204,
    headers: {
      ...headers,
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': String(config.cors?.maxAgeSeconds ?? HTTP_DEFAULTS.corsMaxAgeSeconds),
    },
    body: null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Body

/** Outcome of {@link readJsonBody}. */
export type BodyResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reply: HttpReply };

/**
 * Reads and parses a JSON body, stopping as soon as it exceeds `limit` bytes (a declared `Content-Length` over the
 * limit is refused before reading anything), so at most `limit` bytes are ever buffered.
 */
export async function readJsonBody(chunks: AsyncIterable<Uint8Array>, contentLength: string | undefined, limit: number): Promise<BodyResult> {
  if (contentLength !== undefined && Number(contentLength) > limit) return { ok: false, reply: payloadTooLarge(limit) };
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > limit) return { ok: false, reply: payloadTooLarge(limit) };
    parts.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown };
  } catch {
    return { ok: false, reply: jsonRpcError(400, -32700, 'Parse error: Invalid JSON') };
  }
}

/** Whether a POST body initializes a session. */
export function isInitialization(body: unknown): boolean {
  return isInitializeRequest(body);
}

// ---------------------------------------------------------------------------------------------------------------
// Servers and sessions

/** A fresh server for one request or session, with the host's additions. */
export function buildServer(conexor: Conexor, config: ResolvedHttpOptions, auth: AuthInfo | undefined): McpServer {
  const server = conexor.createServer();
  config.onServer?.(server, auth);
  return server;
}

/** The key a session is bound to; `undefined` with `auth: false`. */
export function ownerOf(auth: AuthInfo | undefined): string | undefined {
  return auth?.clientId;
}

/** One open session of a sessionful mount. */
export interface Session<T> {
  readonly id: string;
  readonly transport: T;
  readonly server: McpServer;
  /** The key id that created the session; only that key may use it. */
  readonly owner: string | undefined;
}

interface Entry<T> extends Session<T> {
  active: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Open sessions, capped at `maxSessions` in all and `maxSessionsPerKey` per key, and closed after `sessionIdleMs`
 * without requests. A session is looked up together with the caller's key: another key gets the same answer as
 * for an unknown id.
 */
export class SessionRegistry<T> {
  private readonly sessions = new Map<string, Entry<T>>();
  // Initializations under way hold a slot, so concurrent initializes cannot overshoot the caps.
  private pending = 0;
  /** Sessions and reservations per key id (anonymous callers are not counted: there is no key to cap). */
  private readonly perOwner = new Map<string, number>();

  constructor(private readonly config: Pick<ResolvedHttpOptions, 'sessionIdleMs' | 'maxSessions' | 'maxSessionsPerKey'>) {}

  /** Holds a slot for a session being initialized by `owner`: `ok`, or which cap is reached. */
  reserve(owner: string | undefined): 'ok' | 'full' | 'owner_full' {
    if (owner !== undefined && (this.perOwner.get(owner) ?? 0) >= this.config.maxSessionsPerKey) return 'owner_full';
    if (this.sessions.size + this.pending >= this.config.maxSessions) return 'full';
    this.pending += 1;
    this.count(owner, 1);
    return 'ok';
  }

  /** Gives back a slot of `owner` whose initialization did not produce a session. */
  release(owner: string | undefined): void {
    this.pending = Math.max(0, this.pending - 1);
    this.count(owner, -1);
  }

  /** Registers an initialized session in the slot reserved for it. */
  add(session: Session<T>): void {
    // The reservation becomes the session: the owner's count stays.
    this.pending = Math.max(0, this.pending - 1);
    const entry: Entry<T> = { ...session, active: 0, timer: undefined };
    this.sessions.set(session.id, entry);
    this.arm(entry);
  }

  /** Open sessions of a key, reservations included. */
  countOf(owner: string): number {
    return this.perOwner.get(owner) ?? 0;
  }

  private count(owner: string | undefined, delta: 1 | -1): void {
    if (owner === undefined) return;
    const next = (this.perOwner.get(owner) ?? 0) + delta;
    if (next > 0) this.perOwner.set(owner, next);
    else this.perOwner.delete(owner);
  }

  /** The session if it exists and belongs to `owner`. */
  find(id: string, owner: string | undefined): Session<T> | undefined {
    const entry = this.sessions.get(id);
    return entry && entry.owner === owner ? entry : undefined;
  }

  /** Marks a request on the session as started; call the returned function (once or more) when it ends. */
  begin(session: Session<T>): () => void {
    const entry = this.sessions.get(session.id);
    if (!entry) return () => undefined;
    entry.active += 1;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      entry.active -= 1;
      if (entry.active === 0 && this.sessions.get(entry.id) === entry) this.arm(entry);
    };
  }

  /** Forgets a session (its transport closed). */
  delete(id: string): void {
    const entry = this.sessions.get(id);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    this.sessions.delete(id);
    this.count(entry.owner, -1);
  }

  private arm(entry: Entry<T>): void {
    // An open request (e.g. a GET event stream) keeps the session alive; the clock starts when it ends.
    entry.timer = setTimeout(() => void this.expire(entry), this.config.sessionIdleMs);
    entry.timer.unref();
  }

  private async expire(entry: Entry<T>): Promise<void> {
    this.delete(entry.id);
    await entry.server.close();
  }
}
