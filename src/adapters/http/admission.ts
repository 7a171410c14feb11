/**
 * Admission: the checks every request passes before its body is read — Host and Origin, then the API key or OAuth
 * access token — and the replies that refuse it. Refused credentials and store or key-set failures are logged for
 * the operator (rate-limited, never a secret); the client gets one answer for every refusal of a kind. The per-key rate and concurrency limits are applied next,
 * by the router, and refused with {@link tooManyRequests}.
 * @module
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { KEY_PREFIX, checkApiKey, type ApiKeyRefusal } from '../../auth/api-keys.js';
import { OAuthCallerError, type OAuthRefusal, type OAuthVerifier } from '../../auth/oauth.js';
import { describeError } from '../../shared/describe-error.js';
import type { ResolvedHttpOptions } from './options.js';
import { checkHostAndOrigin } from './origin.js';
import { internalError, jsonRpcError, type HttpReply, type RequestHead } from './replies.js';

/** The token of an `Authorization: Bearer <token>` header; `undefined` for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match?.[1];
}

/** Outcome of {@link admit}: the caller's identity, or the reply that refuses the request. */
export type Admission = { readonly ok: true; readonly auth: AuthInfo | undefined } | { readonly ok: false; readonly reply: HttpReply };

/**
 * Every check before the body is read: Host, Origin, then the credential — a `cx_…` bearer token goes to the key
 * store when there is one, any other to OAuth when it is configured. Refused credentials and store failures are
 * logged (rate-limited) for the operator; the client gets one answer for every refusal of a kind.
 */
export async function admit(config: ResolvedHttpOptions, head: RequestHead): Promise<Admission> {
  const refused = checkHostAndOrigin(config, head);
  if (refused) return { ok: false, reply: refused };
  const { store, oauth } = config;
  const token = bearerToken(head.header('authorization'));
  if (oauth && (!store || !token?.startsWith(KEY_PREFIX))) return admitOAuth(config, oauth, token);
  // `auth: false`: the host authenticates.
  if (!store) return { ok: true, auth: undefined };
  try {
    const checked = await checkApiKey(store, token);
    if (checked.ok) return { ok: true, auth: checked.auth };
    // Revoked and expired keys are real keys still in use somewhere: one line each. Guessed ids share one.
    const kind = checked.reason === 'revoked' || checked.reason === 'expired' ? `${checked.reason}:${checked.keyId}` : checked.reason;
    config.report.refusal(`401:${kind}`, { status: 401, reason: checked.reason, keyId: checked.keyId ?? null }, `Refused a request: API key ${REFUSAL_TEXT[checked.reason]}`);
    return { ok: false, reply: oauth ? unauthorized(bearerChallenge(oauth, 'invalid_token')) : unauthorized() };
  } catch (error) {
    // Fail closed, and without echoing the store's error to the client (it may name hosts or tables).
    config.report.storeFailure('503:store', { status: 503, error: describeError(error) }, 'The API key store failed; requests are refused with 503 until it answers');
    return { ok: false, reply: storeUnavailable() };
  }
}

/** The OAuth half of {@link admit}: a missing or refused token gets the challenge that points to the metadata. */
async function admitOAuth(config: ResolvedHttpOptions, oauth: OAuthVerifier, token: string | undefined): Promise<Admission> {
  if (token === undefined) {
    config.report.refusal('401:missing', { status: 401, reason: 'missing' }, `Refused a request: ${OAUTH_REFUSAL_TEXT.missing}`);
    return { ok: false, reply: unauthorized(bearerChallenge(oauth)) };
  }
  try {
    const checked = await oauth.verify(token);
    if (checked.ok) return { ok: true, auth: checked.auth };
    // One line per reason: subjects are unbounded, and claims of a token that failed its checks are not trusted.
    const status = checked.reason === 'insufficient_scope' ? 403 : 401;
    config.report.refusal(`${status}:oauth:${checked.reason}`, { status, reason: checked.reason }, `Refused a request: access token ${OAUTH_REFUSAL_TEXT[checked.reason]}`);
    return {
      ok: false,
      reply: status === 403 ? insufficientScope(bearerChallenge(oauth, 'insufficient_scope')) : unauthorized(bearerChallenge(oauth, 'invalid_token')),
    };
  } catch (error) {
    if (error instanceof OAuthCallerError) {
      config.report.storeFailure('500:oauth-caller', { status: 500, error: describeError(error.cause ?? error) }, `${error.message}; requests with valid tokens get 500`);
      return { ok: false, reply: internalError() };
    }
    config.report.storeFailure('503:jwks', { status: 503, error: describeError(error) }, "The issuer's key set (auth.oauth.jwksUri) could not be fetched; requests are refused with 503 until it answers");
    return { ok: false, reply: tokenUnverifiable() };
  }
}

/**
 * `WWW-Authenticate` for OAuth (RFC 6750, RFC 9728): where the metadata is, the scopes to ask for, and `error` only
 * when a token was presented. Every value is a URL or a validated scope token, so none needs escaping.
 */
function bearerChallenge(oauth: OAuthVerifier, error?: 'invalid_token' | 'insufficient_scope'): string {
  const parts = ['Bearer realm="conexor"'];
  if (error) parts.push(`error="${error}"`);
  if (oauth.requiredScopes.length > 0) parts.push(`scope="${oauth.requiredScopes.join(' ')}"`);
  parts.push(`resource_metadata="${oauth.metadataUrl}"`);
  return parts.join(', ');
}

const OAUTH_REFUSAL_TEXT: Record<OAuthRefusal | 'missing', string> = {
  missing: 'missing (no Authorization: Bearer header)',
  malformed: 'malformed (not a signed JWT)',
  algorithm: 'signed with an algorithm that is not allowed (only asymmetric ones are)',
  unknown_key: "signed with a key (kid) not in the issuer's key set",
  signature: 'with a bad signature',
  issuer: 'from another issuer',
  audience: 'issued for another audience (auth.oauth.audience)',
  expired: 'expired',
  not_yet_valid: 'not yet valid (nbf)',
  claims: 'without a required claim (exp, and sub, client_id or azp)',
  insufficient_scope: 'without the required scopes (auth.oauth.requiredScopes)',
};

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
export function unauthorized(challenge = 'Bearer realm="conexor"'): HttpReply {
  return jsonRpcError(401, -32001, 'Unauthorized', { 'WWW-Authenticate': challenge, 'Cache-Control': 'no-store' });
}

/** 403 for a valid access token without the required scopes (RFC 6750 `insufficient_scope`). */
export function insufficientScope(challenge: string): HttpReply {
  return jsonRpcError(403, -32001, 'Forbidden: insufficient scope', { 'WWW-Authenticate': challenge, 'Cache-Control': 'no-store' });
}

/** The issuer's key set could not be fetched: not the client's fault, and nothing about the issuer is revealed. */
export function tokenUnverifiable(): HttpReply {
  return jsonRpcError(503, -32000, 'Service unavailable: the access token could not be verified, try again later', { 'Retry-After': '5' });
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
