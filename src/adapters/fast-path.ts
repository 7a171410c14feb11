import { SUPPORTED_PROTOCOL_VERSIONS, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Conexor } from '../conexor.js';
import { telemetryOf } from '../telemetry/telemetry.js';
import type { HttpReply, RequestHead, ResolvedHttpOptions } from './http.js';

/**
 * Stateless requests that conexor can answer without building an SDK server and transport: one JSON-RPC
 * `tools/call`, or `tools/list` when the host adds no tools of its own.
 *
 * A stateless mount needs a fresh `McpServer` and transport per request, and building them costs more than
 * running a by-key lookup. For these two methods the answer depends only on conexor, so this path applies the
 * transport's own checks (Accept, Content-Type, protocol version) and writes the response the SDK would write:
 * `{"result": …, "jsonrpc": "2.0", "id": …}` as `application/json`. Anything else — initialize, notifications,
 * host tools, SSE responses, unusual fields — returns `undefined` and takes the SDK path.
 * `test/adapters/fast-path.test.ts` checks both paths answer alike.
 *
 * A tool the caller may not use and a tool that does not exist are refused on the same path, so timing does not
 * tell them apart: without host tools every `tools/call` is answered here (conexor refuses unknown names exactly
 * as the SDK does); with host tools (`onServer`) only calls of tools the caller may use are, and every other name —
 * forbidden, unknown or the host's — takes the SDK path.
 */
export interface FastPath {
  answer(head: RequestHead, body: unknown, auth: AuthInfo | undefined): Promise<HttpReply | undefined> | undefined;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' } as const;
const SUPPORTED = new Set<string>(SUPPORTED_PROTOCOL_VERSIONS);

export function createFastPath(conexor: Conexor, config: ResolvedHttpOptions): FastPath | undefined {
  if (!config.fastPath || config.mode !== 'stateless' || !config.enableJsonResponse) return undefined;
  // With host tools (onServer), tools/list needs the full server; our own tools can still be called directly.
  const listsDirectly = !config.onServer;
  const telemetry = telemetryOf(conexor);
  // Listings are cached per caller policy by conexor; serialize each distinct listing once.
  const serialized = new WeakMap<readonly Tool[], string>();
  const names = new WeakMap<readonly Tool[], ReadonlySet<string>>();
  const namesOf = (tools: readonly Tool[]) => {
    let set = names.get(tools);
    if (!set) {
      set = new Set(tools.map((tool) => tool.name));
      names.set(tools, set);
    }
    return set;
  };
  const json = (tools: readonly Tool[]) => {
    let text = serialized.get(tools);
    if (text === undefined) {
      text = JSON.stringify(tools);
      serialized.set(tools, text);
    }
    return text;
  };
  return {
    answer(head, body, auth) {
      if (head.method !== 'POST' || !acceptable(head)) return undefined;
      const request = plainRequest(body);
      if (!request) return undefined;
      const context = { ...(auth ? { authInfo: auth } : {}), header: head.header };
      if (request.method === 'tools/list' && listsDirectly && isEmptyOrCursorOnly(request.params)) {
        return telemetry
          .toolList({}, () => conexor.listTools(context))
          .then((tools) => reply(`{"result":{"tools":${json(tools)}},"jsonrpc":"2.0","id":${JSON.stringify(request.id)}}`));
      }
      if (request.method !== 'tools/call') return undefined;
      const call = callParams(request.params);
      if (!call) return undefined;
      const answer = () =>
        conexor.callTool(call.name, call.arguments, context).then((result) => reply(JSON.stringify({ result, jsonrpc: '2.0', id: request.id })));
      if (listsDirectly) return answer();
      // Host tools exist: only what this caller may use is ours to answer here.
      return conexor.listTools(context).then((tools) => (namesOf(tools).has(call.name) ? answer() : undefined));
    },
  };
}

function reply(body: string): HttpReply {
  return { status: 200, headers: JSON_HEADERS, body };
}

/** The transport's own preconditions; when one fails, the SDK path gives the exact error response. */
function acceptable(head: RequestHead): boolean {
  const accept = head.header('accept');
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return false;
  const contentType = head.header('content-type');
  if (contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/json') return false;
  const version = head.header('mcp-protocol-version');
  return version === undefined || SUPPORTED.has(version);
}

interface PlainRequest {
  readonly id: string | number;
  readonly method: string;
  readonly params: unknown;
}

/** One JSON-RPC request with exactly the usual fields; anything more unusual is left to the SDK. */
function plainRequest(body: unknown): PlainRequest | undefined {
  if (!isRecord(body) || body.jsonrpc !== '2.0' || typeof body.method !== 'string') return undefined;
  const id = body.id;
  if (!((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isSafeInteger(id)))) return undefined;
  if (Object.keys(body).some((key) => key !== 'jsonrpc' && key !== 'id' && key !== 'method' && key !== 'params')) return undefined;
  return { id, method: body.method, params: body.params };
}

function isEmptyOrCursorOnly(params: unknown): boolean {
  return params === undefined || (isRecord(params) && Object.keys(params).every((key) => key === 'cursor' && typeof params.cursor === 'string'));
}

function callParams(params: unknown): { name: string; arguments: Record<string, unknown> | undefined } | undefined {
  if (!isRecord(params) || typeof params.name !== 'string') return undefined;
  // `_meta` (progress tokens) and `task` (task augmentation) need the SDK's machinery.
  if (Object.keys(params).some((key) => key !== 'name' && key !== 'arguments')) return undefined;
  const args = params.arguments;
  if (args !== undefined && !isRecord(args)) return undefined;
  return { name: params.name, arguments: args };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
