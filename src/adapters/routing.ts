import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Conexor } from '../conexor.js';
import { createLimiter, type Limiter } from '../limits/limits.js';
import { telemetryOf } from '../telemetry/telemetry.js';
import { createFastPath, type FastPath } from './fast-path.js';
import {
  SessionRegistry,
  admit,
  batchRefused,
  isInitialization,
  methodNotAllowed,
  ownerOf,
  sessionNotFound,
  sessionRequired,
  tooManyRequests,
  tooManySessions,
  tooManySessionsForKey,
  type BodyResult,
  type HttpReply,
  type RequestHead,
  type ResolvedHttpOptions,
  type Session,
} from './http.js';

/**
 * What to do with one request, decided the same way for every framework: answer it now, or hand it to a transport
 * (a new stateless one, an open session's, or a new session's). Security decisions — Host/Origin, the key, its
 * limits, the body limit, which key owns a session — are all made here, before any framework-specific work.
 *
 * Every route handed to a transport carries `release`: the adapter calls it when the response is over (sent,
 * abandoned or failed), which frees the caller's concurrency slot. It may be called more than once.
 */
export type Route<T> =
  | { readonly kind: 'reply'; readonly reply: HttpReply }
  | { readonly kind: 'stateless'; readonly auth: AuthInfo | undefined; readonly body: unknown; readonly release: () => void }
  | {
      readonly kind: 'session';
      readonly session: Session<T>;
      /** Call when the response is over: the session's idle clock runs again. */
      readonly end: () => void;
      readonly auth: AuthInfo | undefined;
      readonly body: unknown;
      readonly release: () => void;
    }
  | {
      readonly kind: 'initialize';
      readonly sessions: SessionRegistry<T>;
      readonly auth: AuthInfo | undefined;
      readonly body: unknown;
      readonly release: () => void;
    };

/** Decides each request of one mount. */
export interface Router<T> {
  route(head: RequestHead, readBody: () => Promise<BodyResult>): Promise<Route<T>>;
}

type Handover<T> = Exclude<Route<T>, { kind: 'reply' }>;
type Decision<T> = { readonly kind: 'reply'; readonly reply: HttpReply } | DistributiveOmit<Handover<T>, 'release'>;
type DistributiveOmit<U, K extends PropertyKey> = U extends unknown ? Omit<U, K> : never;

const noop = (): void => undefined;

export function createRouter<T>(conexor: Conexor, config: ResolvedHttpOptions): Router<T> {
  const sessions = config.mode === 'sessionful' ? new SessionRegistry<T>(config) : undefined;
  const fastPath: FastPath | undefined = createFastPath(conexor, config);
  const limiter: Limiter | undefined = config.limits && createLimiter(config.limits);
  const telemetry = telemetryOf(conexor);

  async function decide(head: RequestHead, readBody: () => Promise<BodyResult>, auth: AuthInfo | undefined): Promise<Decision<T>> {
    let body: unknown;
    if (head.method === 'POST') {
      const read = await readBody();
      if (!read.ok) return { kind: 'reply', reply: read.reply };
      // One message per request, so the per-key limits count every tool call (a batch would carry hundreds).
      if (Array.isArray(read.value)) return { kind: 'reply', reply: batchRefused() };
      body = read.value;
    }

    if (!sessions) {
      if (head.method !== 'POST') return { kind: 'reply', reply: methodNotAllowed(config) };
      const direct = await fastPath?.answer(head, body, auth);
      return direct ? { kind: 'reply', reply: direct } : { kind: 'stateless', auth, body };
    }

    const sessionId = head.header('mcp-session-id');
    if (sessionId !== undefined) {
      // Another key presenting this id gets the same answer as for an unknown id.
      const session = sessions.find(sessionId, ownerOf(auth));
      return session ? { kind: 'session', session, end: sessions.begin(session), auth, body } : { kind: 'reply', reply: sessionNotFound() };
    }
    if (head.method !== 'POST' || !isInitialization(body)) return { kind: 'reply', reply: sessionRequired() };
    const reserved = sessions.reserve(ownerOf(auth));
    if (reserved !== 'ok') {
      telemetry.limitRejected('sessions');
      return { kind: 'reply', reply: reserved === 'owner_full' ? tooManySessionsForKey() : tooManySessions() };
    }
    return { kind: 'initialize', sessions, auth, body };
  }

  return {
    async route(head, readBody) {
      const admission = await admit(config, head);
      if (!admission.ok) return { kind: 'reply', reply: admission.reply };
      const { auth } = admission;

      let release = noop;
      if (limiter) {
        // Before the body is read, so a caller over its limits costs no more than a key check. A GET (an SSE
        // stream that may stay open for minutes) counts toward the rate but holds no concurrency slot.
        const slot = await limiter.acquire(ownerOf(auth), { concurrent: head.method !== 'GET' });
        if (!slot.ok) {
          telemetry.limitRejected(slot.reason);
          return { kind: 'reply', reply: tooManyRequests(slot.retryAfterSeconds) };
        }
        release = slot.release;
      }
      let decision: Decision<T>;
      try {
        decision = await decide(head, readBody, auth);
      } catch (error) {
        release();
        throw error;
      }
      // A reply is complete here (the fast path has run the tool), so the slot is free again.
      if (decision.kind === 'reply') {
        release();
        return decision;
      }
      return { ...decision, release };
    },
  };
}
