/**
 * What the HTTP core reads of a request and what it answers: the framework-neutral request head and reply, and the
 * JSON-RPC error body every refusal carries. Each concern (origin, admission, body, sessions) builds its own replies
 * on {@link jsonRpcError}.
 * @module
 */

/** The parts of an incoming request the checks read, whatever the framework. */
export interface RequestHead {
  readonly method: string;
  /** A header by lower-case name; `undefined` when absent. */
  header(name: string): string | undefined;
}

/** A response decided by the core; each adapter writes it its own way. */
export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

/** A JSON-RPC error response without an id (the request's id is not known, or not trusted, when it is refused). */
export function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): HttpReply {
  return {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }),
  };
}

/** 500 for an unexpected failure; details stay on the server. */
export function internalError(): HttpReply {
  return jsonRpcError(500, -32603, 'Internal error');
}
