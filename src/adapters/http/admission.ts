/**
 * Admission: the checks every request passes before its body is read — Host and Origin, then the API key — and
 * the replies that refuse it. Refused keys and store failures are logged for the operator (rate-limited, never a
 * secret); the client gets one answer for every refusal. The per-key rate and concurrency limits are applied next,
 * by the router, and refused with {@link tooManyRequests}.
 * @module
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { checkApiKey, type ApiKeyRefusal } from '../../auth/api-keys.js';
import { describeError } from '../../shared/describe-error.js';
import type { ResolvedHttpOptions } from './options.js';
import { checkHostAndOrigin } from './origin.js';
import { jsonRpcError, type HttpReply, type RequestHead } from './replies.js';

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

/**
 * 429 for a caller over one of its limits. `Retry-After` and the message give whole seconds; nothing names the key
 * or which limit was hit.
 */
export function tooManyRequests(retryAfterSeconds: number): HttpReply {
  return jsonRpcError(429, -32029, `Too many requests: retry after ${retryAfterSeconds} s`, { 'Retry-After': String(retryAfterSeconds) });
}
