/**
 * Mounts conexor on Hono (or any Web-standard runtime through `app.fetch`):
 * `app.route('/mcp', conexorHono(cx, { auth: { store } }))`; with OAuth, also `app.route('/', mcp.wellKnown)` for
 * the Protected Resource Metadata.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono } from 'hono';
import type { Conexor } from '../conexor.js';
import {
  buildServer,
  checkStoreAtStart,
  corsHeaders,
  internalError,
  ownerOf,
  preflight,
  readJsonBody,
  resolveHttpOptions,
  resourceMetadataReply,
  type ConexorHttpOptions,
  type HttpReply,
  type RequestHead,
  type ResolvedHttpOptions,
} from './http.js';
import { createRouter, type Route, type Router as ConexorRouter } from './routing.js';
import { telemetryOf } from '../telemetry/telemetry.js';

export { LOOPBACK_ORIGINS, type ConexorHttpOptions } from './http.js';

type Transport = WebStandardStreamableHTTPServerTransport;

/** The MCP endpoint's app, with the app of its OAuth metadata. */
export interface ConexorHonoApp extends Hono {
  /**
   * Serves the Protected Resource Metadata (RFC 9728) at `/.well-known/oauth-protected-resource` and its
   * path-suffixed variant for the configured resource (`…/mcp`). Mount it at the app's root — the well-known paths
   * are outside the endpoint's path — with `app.route('/', mcp.wellKnown)`. Without `auth.oauth` it serves nothing.
   */
  readonly wellKnown: Hono;
}

/**
 * A Hono app serving conexor's MCP endpoint at its root (POST, GET, DELETE, and OPTIONS when `cors` is set),
 * with the SDK's Web-standard transport. The caller's identity reaches tool handlers as `extra.authInfo`.
 *
 * @throws {ConfigurationError} at creation for invalid options, including a missing `auth`.
 * @example
 * const app = new Hono();
 * app.route('/mcp', conexorHono(await createConexor(knex), { auth: { store } }));
 * @example
 * // OAuth: tokens from your authorization server, and the metadata that tells clients where to get them.
 * const mcp = conexorHono(cx, { auth: { oauth: { issuer, audience: 'https://mcp.example.com/mcp', jwksUri } } });
 * app.route('/mcp', mcp);
 * app.route('/', mcp.wellKnown);
 */
export function conexorHono(conexor: Conexor, options: ConexorHttpOptions): ConexorHonoApp {
  const config = resolveHttpOptions(options, 'conexorHono', conexor.logger);
  checkStoreAtStart(config);
  const router = createRouter<Transport>(conexor, config);
  const telemetry = telemetryOf(conexor);
  const app = new Hono();
  app.on(['POST', 'GET', 'DELETE'], '/', async (c) => {
    const request = c.req.raw;
    const head = headOf(request);
    // The request's span covers the whole response (an event stream too); the tool calls it carries are its children.
    const span = telemetry.httpRequest(request.method, c.req.path);
    const response = await span.run(async () => {
      let response: Response;
      try {
        response = await serve(conexor, config, router, request, head);
      } catch {
        // Details stay on the server: the SDK reports transport errors through its own channels.
        response = toResponse(internalError());
      }
      return withHeaders(response, corsHeaders(config, head));
    });
    return span.recording ? onFinished(response, () => span.end(response.status)) : response;
  });
  if (config.cors) app.options('/', (c) => toResponse(preflight(config, headOf(c.req.raw))));

  const wellKnown = new Hono();
  // Compared as plain strings: a resource path is not a Hono route pattern.
  wellKnown.use('*', async (c, next) => {
    const reply = resourceMetadataReply(config.oauth, c.req.method, c.req.path);
    if (reply) return toResponse(reply);
    await next();
  });
  return Object.assign(app, { wellKnown });
}

async function serve(
  conexor: Conexor,
  config: ResolvedHttpOptions,
  router: ConexorRouter<Transport>,
  request: Request,
  head: RequestHead,
): Promise<Response> {
  const route = await router.route(head, () => readJsonBody(chunksOf(request.body), head.header('content-length'), config.maxBodyBytes));
  if (route.kind === 'reply') return toResponse(route.reply);

  if (route.kind === 'stateless') {
    try {
      const server = buildServer(conexor, config, route.auth);
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: config.enableJsonResponse });
      await server.connect(transport);
      const response = await handle(transport, request, route.auth, route.body);
      // One server per request: close it once its response (possibly an event stream) is over.
      return onFinished(response, () => {
        void server.close();
        route.release();
      });
    } catch (error) {
      route.release();
      throw error;
    }
  }
  if (route.kind === 'session') {
    const over = (): void => {
      route.end();
      route.release();
    };
    try {
      return onFinished(await handle(route.session.transport, request, route.auth, route.body), over);
    } catch (error) {
      over();
      throw error;
    }
  }
  try {
    return onFinished(await initialize(conexor, config, route, request), route.release);
  } catch (error) {
    route.release();
    throw error;
  }
}

/** A new session: the transport registers it once the SDK has answered `initialize`. */
async function initialize(
  conexor: Conexor,
  config: ResolvedHttpOptions,
  route: Extract<Route<Transport>, { kind: 'initialize' }>,
  request: Request,
): Promise<Response> {
  const { sessions } = route;
  const server = buildServer(conexor, config, route.auth);
  const transport: Transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: randomUUID,
    enableJsonResponse: config.enableJsonResponse,
    onsessioninitialized: (id) => sessions.add({ id, transport, server, owner: ownerOf(route.auth) }),
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
  };
  try {
    await server.connect(transport);
    return await handle(transport, request, route.auth, route.body);
  } finally {
    if (transport.sessionId === undefined) {
      sessions.release(ownerOf(route.auth));
      await server.close();
    }
  }
}

function handle(transport: Transport, request: Request, authInfo: AuthInfo | undefined, parsedBody: unknown): Promise<Response> {
  return transport.handleRequest(request, { authInfo, parsedBody });
}

function headOf(request: Request): RequestHead {
  return { method: request.method, header: (name) => request.headers.get(name) ?? undefined };
}

async function* chunksOf(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function toResponse(reply: HttpReply): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

function withHeaders(response: Response, extra: Record<string, string>): Response {
  const names = Object.keys(extra);
  if (names.length === 0) return response;
  const headers = new Headers(response.headers);
  for (const name of names) headers.set(name, extra[name] as string);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Runs `done` once the response body has been fully sent or abandoned by the client. */
function onFinished(response: Response, done: () => void): Response {
  const body = response.body;
  if (!body) {
    done();
    return response;
  }
  const reader = body.getReader();
  const tracked = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: finished, value } = await reader.read();
        if (finished) {
          controller.close();
          done();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(tracked, { status: response.status, statusText: response.statusText, headers: response.headers });
}
