/**
 * Servers and sessions: the server built for each request (stateless) or session (sessionful), and the registry of
 * open sessions — bound to the key that created them, capped in all (`maxSessions`) and per key
 * (`maxSessionsPerKey`), closed after `sessionIdleMs` without requests — with the replies of session handling.
 * @module
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Conexor } from '../../conexor.js';
import type { ResolvedHttpOptions } from './options.js';
import { jsonRpcError, type HttpReply } from './replies.js';

/** A fresh server for one request or session, with the host's additions. */
export function buildServer(conexor: Conexor, config: ResolvedHttpOptions, auth: AuthInfo | undefined): McpServer {
  const server = conexor.createServer();
  config.onServer?.(server, auth);
  return server;
}

/**
 * Who a caller is for sessions and per-key limits: the API key id, or for an OAuth token its subject (`oauth:<sub>`,
 * the same across token refreshes and never the token); `undefined` with `auth: false`.
 */
export function ownerOf(auth: AuthInfo | undefined): string | undefined {
  const callerKey = auth?.extra?.callerKey;
  return typeof callerKey === 'string' ? callerKey : auth?.clientId;
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

/** Whether a POST body initializes a session. */
export function isInitialization(body: unknown): boolean {
  return isInitializeRequest(body);
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

