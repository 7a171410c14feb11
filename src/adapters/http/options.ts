/**
 * The options of an HTTP mount: what a host passes ({@link ConexorHttpOptions}), their documented defaults
 * ({@link HTTP_DEFAULTS}), and {@link resolveHttpOptions}, which validates them once, when the mount is created, and
 * merges them over the defaults into the {@link ResolvedHttpOptions} every other part of the mount reads.
 * @module
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ApiKeyStore } from '../../auth/api-keys.js';
import { createOAuthVerifier, oauthOptionsSchema, type OAuthOptions, type OAuthVerifier } from '../../auth/oauth.js';
import { ConfigurationError } from '../../errors.js';
import { limitOptionsSchema, type LimitOptions } from '../../limits/limits.js';
import { throttledLog, type ThrottledLog } from '../../shared/log-throttle.js';
import { isOrigin, parseHost, type HostRule } from './origin.js';

/** How an HTTP mount of conexor authenticates, checks and serves requests. */
export interface ConexorHttpOptions {
  /**
   * Authentication. Required: pass `{ store }` to demand a valid API key (`Authorization: Bearer cx_…`) on every
   * request, `{ oauth }` to demand an OAuth access token from your authorization server (see
   * {@link OAuthOptions}), both (`cx_…` bearer tokens go to the store, every other one to OAuth), or `false` to
   * serve without authentication (only behind authentication of your own).
   * Omitting the field fails at creation, so an endpoint is never open by accident.
   */
  auth: { store: ApiKeyStore; oauth?: OAuthOptions } | { store?: ApiKeyStore; oauth: OAuthOptions } | false;
  /**
   * Browser origins allowed to call the endpoint (`https://app.example.com`); `:*` as the port allows any port
   * (`http://localhost:*`, see `LOOPBACK_ORIGINS` for a server on localhost). A request that carries an
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
  /** `undefined` when API keys are not accepted (`auth: false`, or OAuth only). */
  readonly store: ApiKeyStore | undefined;
  /** `undefined` when OAuth access tokens are not accepted. */
  readonly oauth: OAuthVerifier | undefined;
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

// The grammar of origins and hosts; `origin.ts` applies the same rules to requests.
const origin = z.string().refine(isOrigin, 'must be an origin such as https://app.example.com (no path, no trailing slash; ":*" for any port)');
const corsOrigin = z.string().refine((value) => isOrigin(value) && !value.endsWith(':*'), 'must be an origin such as https://app.example.com (no path, no trailing slash)');
const HOST_PATTERN = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

const optionsSchema = z.strictObject({
  auth: z.union([
    z.literal(false),
    z
      .strictObject({
        store: z
          .custom<ApiKeyStore>(
            (value) => typeof (value as Partial<ApiKeyStore> | null)?.find === 'function' && typeof (value as Partial<ApiKeyStore>).touch === 'function',
            'expected an ApiKeyStore (find and touch)',
          )
          .optional(),
        oauth: oauthOptionsSchema.optional(),
      })
      .refine((auth) => auth.store !== undefined || auth.oauth !== undefined, 'pass store (API keys), oauth (access tokens) or both; false for no authentication'),
  ], { error: 'expected { store }, { oauth }, { store, oauth } or false' }),
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
      `${adapter}: options.auth is required. Pass { auth: { store } } to require an API key, { auth: { oauth } } to require an OAuth access token, ` +
        'or { auth: false } to serve without authentication (only behind authentication of your own).',
    );
  }
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error.issues, []);
    throw new ConfigurationError(`${adapter}: invalid options: ${problems.join('; ')}`);
  }
  const value = parsed.data;
  const oauth = value.auth === false || !value.auth.oauth ? undefined : oauthVerifier(value.auth.oauth as OAuthOptions, adapter);
  const corsOrigins = value.cors?.origins.map((entry) => entry.toLowerCase());
  const logger = value.logger ?? fallbackLogger;
  return {
    store: value.auth === false ? undefined : value.auth.store,
    oauth,
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

function oauthVerifier(options: OAuthOptions, adapter: string): OAuthVerifier {
  try {
    return createOAuthVerifier(options);
  } catch (error) {
    throw new ConfigurationError(`${adapter}: invalid options: auth.oauth.resource: ${(error as Error).message}`);
  }
}

/**
 * One line per mistake. For a union (`auth`), the mistakes inside the branch the value was meant for
 * (`auth.oauth.issuer: is required`) rather than the union's bare "does not match".
 */
function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const meant = issue.errors.find((branch) => branch.some((inner) => inner.path.length > 0 || (inner.code !== 'invalid_type' && inner.code !== 'invalid_value')));
      if (meant) return describeIssues(meant, path);
    }
    return [`${path.length ? path.map(String).join('.') : 'options'}: ${issue.message}`];
  });
}
