import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { LOOPBACK_ORIGINS, conexorExpress } from '../adapters/express.js';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { Conexor } from '../conexor.js';
import { CliError, describeError } from './errors.js';

/** Options of {@link serveHttp}. */
export interface HttpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** `undefined` serves without authentication. */
  store: ApiKeyStore | undefined;
  allowedOrigins: string[];
}

/** A running HTTP endpoint. */
export interface HttpEndpoint {
  /** The MCP endpoint, e.g. `http://127.0.0.1:3333/mcp`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests and drops open connections. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Serves conexor's Streamable HTTP endpoint at `/mcp`. */
export async function serveHttp(conexor: Conexor, options: HttpOptions): Promise<HttpEndpoint> {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    '/mcp',
    conexorExpress(conexor, {
      auth: options.store ? { store: options.store } : false,
      // On loopback, only loopback Host headers (a DNS-rebound name is refused even without an Origin header) and
      // loopback origins, which browser-based clients on this machine (the MCP Inspector's web UI) send.
      ...(LOOPBACK.has(options.host)
        ? { allowedHosts: ['127.0.0.1', 'localhost', '[::1]'], allowedOrigins: [...LOOPBACK_ORIGINS, ...options.allowedOrigins] }
        : { allowedOrigins: options.allowedOrigins }),
    }),
  );
  const server = createServer(app);
  await listen(server, options.host, options.port);
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/mcp`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new CliError(`Cannot listen on ${host}:${port}: ${describeError(error)}`, undefined, { cause: error })));
    server.listen({ host, port }, () => resolve());
  });
}
