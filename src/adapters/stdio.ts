/**
 * Serves conexor to a local MCP client over stdin/stdout.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Conexor } from '../conexor.js';

/** Streams for {@link serveStdio}; the process's own by default. */
export interface StdioOptions {
  /** @default process.stdin */
  stdin?: Readable;
  /** Carries JSON-RPC messages only: nothing else is ever written to it. @default process.stdout */
  stdout?: Writable;
}

/**
 * Connects a server to a stdio transport and returns it. Pass a {@link Conexor} to serve its generated tools, or
 * an `McpServer` you made with `cx.createServer()` and extended with tools of your own. The server closes when
 * stdin ends; set `server.server.onclose` to release the database then.
 *
 * conexor logs to stderr only, so stdout stays a clean JSON-RPC channel.
 *
 * @example
 * await serveStdio(await createConexor(knex));
 */
export async function serveStdio(conexor: Conexor | McpServer, options: StdioOptions = {}): Promise<McpServer> {
  const server = isConexor(conexor) ? conexor.createServer() : conexor;
  const stdin = options.stdin ?? process.stdin;
  await server.connect(new StdioServerTransport(stdin, options.stdout ?? process.stdout));
  // The SDK's stdio transport does not notice the client going away; closing lets the host clean up.
  stdin.once('end', () => void server.close());
  return server;
}

// Duck-typed rather than instanceof, which breaks when the host and conexor resolve different SDK copies.
function isConexor(value: Conexor | McpServer): value is Conexor {
  return typeof (value as Partial<Conexor>).createServer === 'function';
}
