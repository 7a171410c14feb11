/**
 * conexor as an OAuth 2.1 resource server (the MCP authorization spec): JWT access tokens from the host's
 * authorization server are checked — signature by the issuer's JWKS, issuer, audience (RFC 8707 resource
 * indicator), expiry, required scopes — and mapped to the caller's `AuthInfo`, with the Protected Resource Metadata
 * (RFC 9728) that tells clients where to get a token. The HTTP side (challenges, the well-known route) lives in the
 * adapters; this module knows nothing of HTTP.
 * @module
 */
import { createHash } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createRemoteJWKSet, errors, jwtVerify, type JWSHeaderParameters, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { CallerPolicy } from '../policy/caller.js';

/** The claims of a verified access token, as the authorization server issued them. */
export type AccessTokenClaims = JWTPayload;

/** How conexor checks OAuth access tokens; see docs/auth.md, "OAuth (remote connectors)". */
export interface OAuthOptions {
  /** The authorization server's issuer identifier, compared exactly with the token's `iss` (`https://auth.example.com/`). */
  issuer: string;
  /**
   * The audience tokens must be issued for: the token's `aud` must contain it. Per the MCP spec (RFC 8707 resource
   * indicators) this is the MCP endpoint's public URL, e.g. `https://mcp.example.com/mcp`.
   */
  audience: string;
  /** Where the issuer publishes its signing keys (`https://auth.example.com/.well-known/jwks.json`). */
  jwksUri: string;
  /** Scopes every token must carry (`scope` claim, or `scp`); a token without them gets 403 `insufficient_scope`. @default [] */
  requiredScopes?: readonly string[];
  /**
   * Restrictions for the token's caller — tables, tools, max rows — applied like the policy stored on an API key
   * (they narrow the base policy and combine with `callerPolicy`). Called once per request with the verified claims.
   */
  caller?: (claims: AccessTokenClaims) => CallerPolicy | null | undefined | Promise<CallerPolicy | null | undefined>;
  /**
   * The MCP endpoint's public URL, advertised as `resource` in the Protected Resource Metadata and used to build
   * its address. @default `audience` (which must then be an http(s) URL)
   */
  resource?: string;
  /** Leeway for `exp` and `nbf` against clocks that differ a little. @default 5 */
  clockToleranceSeconds?: number;
  /** How the issuer's key set is fetched and cached (rotated keys are picked up: an unknown `kid` refetches it). */
  jwks?: {
    /** Least time between two fetches, so unknown `kid`s cannot hammer the issuer. @default 30000 */
    cooldownMs?: number;
    /** A fetched key set is refetched after this long. @default 600000 (10 minutes) */
    cacheMaxAgeMs?: number;
    /** A fetch taking longer fails (requests then get 503). @default 5000 */
    timeoutMs?: number;
  };
}

/** Why a token was refused: for the server's log only; the client learns only `invalid_token` or `insufficient_scope`. */
export type OAuthRefusal =
  | 'malformed'
  | 'algorithm'
  | 'unknown_key'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'claims'
  | 'insufficient_scope';

/** Outcome of {@link OAuthVerifier.verify}. */
export type OAuthCheck = { readonly ok: true; readonly auth: AuthInfo } | { readonly ok: false; readonly reason: OAuthRefusal };

/** The issuer's key set could not be fetched: not the client's fault; requests get 503. */
export class OAuthUnavailableError extends Error {
  override readonly name = 'OAuthUnavailableError';
}

/** The host's `caller(claims)` failed or returned something else than a policy. */
export class OAuthCallerError extends Error {
  override readonly name = 'OAuthCallerError';
}

/** The Protected Resource Metadata document (RFC 9728) conexor serves. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly bearer_methods_supported: readonly string[];
}

/** Checks access tokens for one mount; built once, at creation, by {@link createOAuthVerifier}. */
export interface OAuthVerifier {
  /** Rejects with {@link OAuthUnavailableError} or {@link OAuthCallerError}; never with the token in a message. */
  verify(token: string): Promise<OAuthCheck>;
  readonly requiredScopes: readonly string[];
  readonly metadata: ProtectedResourceMetadata;
  /** Absolute URL of the metadata document, for `WWW-Authenticate: Bearer resource_metadata="…"`. */
  readonly metadataUrl: string;
  /** Paths the metadata is served at: the root one and, for a resource with a path, the path-suffixed one. */
  readonly metadataPaths: readonly string[];
}

/**
 * Asymmetric signatures only: a key set holds public keys, and accepting `HS256` would let anyone holding the public
 * key sign tokens. `none` is never accepted.
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
// RFC 6749 scope-token: no spaces, quotes or backslashes, so a scope can go into a WWW-Authenticate header as is.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** An https URL, or http on a loopback host (a local authorization server or test). */
function isSecureUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

const SECURE_URL = 'must be an https URL (http only for localhost or 127.0.0.1)';

export const oauthOptionsSchema = z.strictObject({
  issuer: z.string({ error: 'is required: the authorization server issuer (https://…)' }).refine(isSecureUrl, SECURE_URL),
  audience: z.string({ error: "is required: the MCP endpoint's public URL tokens are issued for" }).min(1, 'must not be empty'),
  jwksUri: z.string({ error: "is required: the issuer's JWKS URL" }).refine(isSecureUrl, SECURE_URL),
  requiredScopes: z.array(z.string().regex(SCOPE_TOKEN, 'must be a scope token (no spaces or quotes)')).optional(),
  caller: z.custom<OAuthOptions['caller']>((value) => typeof value === 'function', 'expected a function (claims) => CallerPolicy').optional(),
  resource: z.string().refine(isSecureUrl, SECURE_URL).optional(),
  clockToleranceSeconds: z.number().int().min(0).max(300).optional(),
  jwks: z
    .strictObject({
      cooldownMs: z.number().int().min(0).optional(),
      cacheMaxAgeMs: z.number().int().min(0).optional(),
      timeoutMs: z.number().int().min(1).max(60_000).optional(),
    })
    .optional(),
});

/**
 * The verifier of a mount's validated options (see `oauthOptionsSchema`). `resource` defaults to `audience`;
 * throws a `TypeError` when neither is an http(s) URL the metadata can be served for.
 */
export function createOAuthVerifier(options: OAuthOptions): OAuthVerifier {
  const resource = options.resource ?? options.audience;
  if (!isSecureUrl(resource)) {
    throw new TypeError(
      `audience "${options.audience}" is not an https URL, so it cannot be the advertised resource: pass resource, the MCP endpoint's public URL (https://…/mcp)`,
    );
  }
  const resourceUrl = new URL(resource);
  resourceUrl.hash = '';
  const path = resourceUrl.pathname === '/' ? '' : resourceUrl.pathname.replace(/\/$/, '');
  const root = '/.well-known/oauth-protected-resource';
  const requiredScopes = [...(options.requiredScopes ?? [])];
  const keys = createRemoteJWKSet(new URL(options.jwksUri), {
    ...(options.jwks?.cooldownMs !== undefined ? { cooldownDuration: options.jwks.cooldownMs } : {}),
    ...(options.jwks?.cacheMaxAgeMs !== undefined ? { cacheMaxAge: options.jwks.cacheMaxAgeMs } : {}),
    ...(options.jwks?.timeoutMs !== undefined ? { timeoutDuration: options.jwks.timeoutMs } : {}),
  });
  const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;

  return {
    requiredScopes,
    metadata: {
      resource: resourceUrl.href,
      authorization_servers: [options.issuer],
      ...(requiredScopes.length > 0 ? { scopes_supported: requiredScopes } : {}),
      bearer_methods_supported: ['header'],
    },
    metadataUrl: new URL(`${root}${path}`, resourceUrl).href,
    metadataPaths: path ? [`${root}${path}`, root] : [root],

    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, (header: JWSHeaderParameters, input) => keys(header, input), {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ALGORITHMS,
          clockTolerance,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        return { ok: false, reason: refusalOf(error) };
      }
      const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
      const clientId = stringClaim(payload, 'client_id') ?? stringClaim(payload, 'azp') ?? subject;
      // Nothing to tell callers apart by: no audit, limits or sessions could be attributed.
      if (clientId === undefined || payload.exp === undefined) return { ok: false, reason: 'claims' };
      const scopes = scopesOf(payload);
      if (!requiredScopes.every((scope) => scopes.includes(scope))) return { ok: false, reason: 'insufficient_scope' };
      const policy = await callerPolicyOf(options.caller, payload);
      return {
        ok: true,
        auth: {
          // The token itself stays out of AuthInfo (it is not passed on, per the MCP spec, and could end up in logs).
          token: `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`,
          clientId,
          scopes,
          expiresAt: payload.exp,
          resource: resourceUrl,
          extra: {
            subject: subject ?? clientId,
            issuer: options.issuer,
            claims: payload,
            callerKey: callerKeyOf(subject ?? clientId),
            ...(policy ? { policy } : {}),
          },
        },
      };
    },
  };
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `scope` (RFC 9068: space-separated) or `scp` (an array, or a string as some providers send it). */
function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope ?? payload.scp;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scope)) return scope.filter((entry): entry is string => typeof entry === 'string');
  return [];
}

/**
 * The key limits and sessions of an OAuth caller are counted under: its subject, stable across token refreshes (a
 * key per token would reset every limit with each new token). Prefixed so it never meets an API key id; long
 * subjects are hashed to bound the size of limiter keys.
 */
function callerKeyOf(subject: string): string {
  return subject.length <= 128 ? `oauth:${subject}` : `oauth:sha256:${createHash('sha256').update(subject).digest('hex')}`;
}

async function callerPolicyOf(caller: OAuthOptions['caller'], claims: JWTPayload): Promise<CallerPolicy | undefined> {
  if (!caller) return undefined;
  let policy: unknown;
  try {
    policy = await caller(claims);
  } catch (error) {
    throw new OAuthCallerError('auth.oauth.caller(claims) threw', { cause: error });
  }
  if (policy === undefined || policy === null) return undefined;
  if (typeof policy !== 'object' || Array.isArray(policy)) {
    throw new OAuthCallerError('auth.oauth.caller(claims) must return a CallerPolicy object ({ tables, tools, maxRows }) or undefined');
  }
  return policy as CallerPolicy;
}

/** Why jose refused a token; fetch failures of the key set are not the token's fault and are rethrown. */
function refusalOf(error: unknown): OAuthRefusal {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'issuer';
    if (error.claim === 'aud') return 'audience';
    if (error.claim === 'nbf') return 'not_yet_valid';
    return 'claims';
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'algorithm';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return 'unknown_key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'malformed';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError) || error.code === 'ERR_JOSE_GENERIC') {
    throw new OAuthUnavailableError("the issuer's key set (jwksUri) could not be fetched", { cause: error });
  }
  return 'malformed';
}
