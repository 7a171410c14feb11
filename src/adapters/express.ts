/**
 * Mounts conexor on Express: `app.use('/mcp', conexorExpress(cx, { auth: { store } }))`; with OAuth, also
 * `app.use(mcp.wellKnown)` for the Protected Resource Metadata.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express, { type Request, type Response, type Router } from 'express';
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
import { createRouter, type Router as ConexorRouter } from './routing.js';
import { telemetryOf } from '../telemetry/telemetry.js';

export { LOOPBACK_ORIGINS, type ConexorHttpOptions } from './http.js';

type AuthedRequest = IncomingMessage & { auth?: AuthInfo };

/** The MCP endpoint's router, with the router of its OAuth metadata. */
export interface ConexorExpressRouter extends Router {
  /**
   * Serves the Protected Resource Metadata (RFC 9728) at `/.well-known/oauth-protected-resource` and its
   * path-suffixed variant for the configured resource (`…/mcp`). Mount it at the app's root — the well-known paths
   * are outside the endpoint's path — with `app.use(mcp.wellKnown)`. Without `auth.oauth` it serves nothing.
   */
  readonly wellKnown: Router;
}

/**
 * An Express router serving conexor's MCP endpoint at its root (POST, GET, DELETE, and OPTIONS when `cors` is
 * set). It reads the body itself within `maxBodyBytes` (or uses `req.body` if the host already parsed it) and
 * hands the caller's identity to the SDK as `req.auth`, which tool handlers receive as `extra.authInfo`.
 *
 * @throws {ConfigurationError} at creation for invalid options, including a missing `auth`.
 * @example
 * const store = new StaticApiKeyStore([{ key: process.env.MCP_KEY!, name: 'agent' }]);
 * app.use('/mcp', conexorExpress(await createConexor(knex), { auth: { store } }));
 * @example
 * // OAuth: tokens from your authorization server, and the metadata that tells clients where to get them.
 * const mcp = conexorExpress(cx, { auth: { oauth: { issuer, audience: 'https://mcp.example.com/mcp', jwksUri } } });
 * app.use('/mcp', mcp);
 * app.use(mcp.wellKnown);
 */
export function conexorExpress(conexor: Conexor, options: ConexorHttpOptions): ConexorExpressRouter {
  const config = resolveHttpOptions(options, 'conexorExpress', conexor.logger);
  checkStoreAtStart(config);
  const router = createRouter<StreamableHTTPServerTransport>(conexor, config);
  const telemetry = telemetryOf(conexor);
  const mount = express.Router();

  const handle = async (req: Request, res: Response): Promise<void> => {
    // The request's span covers the whole response (an event stream too); the tool calls it carries are its children.
    const span = telemetry.httpRequest(req.method, req.originalUrl.split('?')[0] ?? '/');
    if (span.recording) onClose(res, () => span.end(res.headersSent ? res.statusCode : undefined));
    await span.run(async () => {
      try {
        await serve(conexor, config, router, req, res);
      } catch {
        // The SDK reports transport errors itself; this is the last line, and it says nothing about the cause.
        if (!res.headersSent) write(res, internalError());
        else res.end();
      }
    });
  };
  mount.post('/', handle);
  mount.get('/', handle);
  mount.delete('/', handle);
  if (config.cors) mount.options('/', (req, res) => write(res, preflight(config, headOf(req))));

  const wellKnown = express.Router();
  // Compared as plain strings: a resource path is not an Express route pattern.
  wellKnown.use((req, res, next) => {
    const reply = resourceMetadataReply(config.oauth, req.method, req.path);
    if (reply) write(res, reply);
    else next();
  });
  return Object.assign(mount, { wellKnown });
}

async function serve(
  conexor: Conexor,
  config: ResolvedHttpOptions,
  router: ConexorRouter<StreamableHTTPServerTransport>,
  req: Request,
  res: Response,
): Promise<void> {
  const head = headOf(req);
  for (const [name, value] of Object.entries(corsHeaders(config, head))) res.setHeader(name, value);
  const route = await router.route(head, () =>
    // A body the host already parsed is used as is; otherwise read it within the limit, keeping the socket open
    // after an early stop so the 413 can still be written.
    req.body !== undefined
      ? Promise.resolve({ ok: true as const, value: req.body as unknown })
      : readJsonBody(req.iterator({ destroyOnReturn: false }), head.header('content-length'), config.maxBodyBytes),
  );
  if (route.kind === 'reply') return write(res, route.reply);
  // 'close' follows the end of every response, sent or abandoned, including the 500 of a failed handover.
  onClose(res, route.release);
  (req as AuthedRequest).auth = route.auth;

  if (route.kind === 'stateless') {
    const server = buildServer(conexor, config, route.auth);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: config.enableJsonResponse });
    res.on('close', () => void server.close());
    await server.connect(transport);
    await transport.handleRequest(req, res, route.body);
    return;
  }
  if (route.kind === 'session') {
    onClose(res, route.end);
    await route.session.transport.handleRequest(req, res, route.body);
    return;
  }
  const { sessions } = route;
  const server = buildServer(conexor, config, route.auth);
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: randomUUID,
    enableJsonResponse: config.enableJsonResponse,
    onsessioninitialized: (id) => sessions.add({ id, transport, server, owner: ownerOf(route.auth) }),
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
  };
  try {
    await server.connect(transport);
    await transport.handleRequest(req, res, route.body);
  } finally {
    if (transport.sessionId === undefined) {
      sessions.release(ownerOf(route.auth));
      await server.close();
    }
  }
}

function headOf(req: IncomingMessage): RequestHead {
  return {
    method: req.method ?? 'GET',
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/** Runs `done` when the response is over, at once if the client has already gone. */
function onClose(res: ServerResponse, done: () => void): void {
  if (res.closed) done();
  else res.once('close', done);
}

function write(res: ServerResponse, reply: HttpReply): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body ?? undefined);
}
