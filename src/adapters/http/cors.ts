/**
 * Cross-origin access for browser clients, only when a mount sets `cors`: the headers added to every response and
 * the answer to a preflight. Without `cors` no CORS header is ever sent.
 * @module
 */
import { HTTP_DEFAULTS, type ResolvedHttpOptions } from './options.js';
import { checkHostAndOrigin, originNotAllowed } from './origin.js';
import type { HttpReply, RequestHead } from './replies.js';

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
  if (refused || !headers['Access-Control-Allow-Origin']) return refused ?? originNotAllowed();
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
