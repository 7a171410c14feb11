/**
 * The framework-neutral part of conexor's HTTP mounting. The Express and Hono adapters only translate between their
 * request/response objects and these pieces, each in its own module under `http/`:
 *
 * - `options.ts`: {@link ConexorHttpOptions}, their defaults ({@link HTTP_DEFAULTS}) and {@link resolveHttpOptions};
 * - `origin.ts`: Host and Origin checks, {@link LOOPBACK_ORIGINS};
 * - `admission.ts`: every check before the body is read (Host, Origin, API key), with its logging and replies;
 * - `cors.ts`: CORS headers and preflights;
 * - `body.ts`: reading the body within its limit, and refusing batches;
 * - `sessions.ts`: the server of each request or session, and the bookkeeping of sessions;
 * - `resource-metadata.ts`: the OAuth Protected Resource Metadata document and its well-known paths;
 * - `replies.ts`: the request head and reply every module shares.
 *
 * `routing.ts` composes them into one decision per request.
 * @module
 */
export { HTTP_DEFAULTS, resolveHttpOptions, type ConexorHttpOptions, type ResolvedHttpOptions } from './http/options.js';
export { LOOPBACK_ORIGINS, checkHostAndOrigin } from './http/origin.js';
export {
  admit,
  bearerToken,
  checkStoreAtStart,
  insufficientScope,
  tokenUnverifiable,
  storeUnavailable,
  tooManyRequests,
  unauthorized,
  type Admission,
} from './http/admission.js';
export { corsHeaders, preflight } from './http/cors.js';
export { batchRefused, payloadTooLarge, readJsonBody, type BodyResult } from './http/body.js';
export {
  SessionRegistry,
  buildServer,
  isInitialization,
  methodNotAllowed,
  ownerOf,
  sessionNotFound,
  sessionRequired,
  tooManySessions,
  tooManySessionsForKey,
  type Session,
} from './http/sessions.js';
export { resourceMetadataReply } from './http/resource-metadata.js';
export { internalError, type HttpReply, type RequestHead } from './http/replies.js';
