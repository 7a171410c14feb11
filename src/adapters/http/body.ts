/**
 * The request body: read within `maxBodyBytes` (never buffered past it) and parsed as JSON, and the replies that
 * refuse a body — too large, not JSON, or a JSON-RPC batch (the router refuses batches once the body is parsed, so
 * that one HTTP request carries one message).
 * @module
 */
import { jsonRpcError, type HttpReply } from './replies.js';

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

/** 413 for a body over the limit; the connection is closed rather than drained. */
export function payloadTooLarge(limit: number): HttpReply {
  return jsonRpcError(413, -32000, `Payload too large: the request body must not exceed ${limit} bytes`, { Connection: 'close' });
}

/**
 * 400 for a JSON-RPC batch. MCP 2025-06-18 removed batching; refusing it keeps one message per HTTP request, so
 * every tool call passes the per-key rate and concurrency limits on its own.
 */
export function batchRefused(): HttpReply {
  return jsonRpcError(400, -32600, 'Invalid Request: JSON-RPC batches are not supported; send one message per request');
}
