/**
 * The Protected Resource Metadata document (RFC 9728) of a mount with OAuth: where MCP clients learn which
 * authorization server issues tokens for conexor. It is public and served to any origin; the adapters serve it at
 * the well-known paths of the configured resource (`/.well-known/oauth-protected-resource/mcp` and the root one),
 * outside the MCP endpoint's own path.
 * @module
 */
import type { OAuthVerifier } from '../../auth/oauth.js';
import type { HttpReply } from './replies.js';

const ALLOW = 'GET, HEAD, OPTIONS';

/**
 * The answer to a request for `path`, or `undefined` when the path is not a metadata path (the host's other routes
 * then handle it). Browser clients read the document cross-origin, so it carries `Access-Control-Allow-Origin: *`.
 */
export function resourceMetadataReply(oauth: OAuthVerifier | undefined, method: string, path: string): HttpReply | undefined {
  if (!oauth?.metadataPaths.includes(path)) return undefined;
  const cors = { 'Access-Control-Allow-Origin': '*' };
  if (method === 'OPTIONS') {
    return {
      status: 204,
      headers: { ...cors, 'Access-Control-Allow-Methods': ALLOW, 'Access-Control-Allow-Headers': 'MCP-Protocol-Version', 'Access-Control-Max-Age': '600' },
      body: null,
    };
  }
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { ...cors, Allow: ALLOW }, body: null };
  return {
    status: 200,
    headers: { ...cors, 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' },
    body: method === 'HEAD' ? null : JSON.stringify(oauth.metadata),
  };
}
