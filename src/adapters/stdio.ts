/**
 * Serves conexor to a local MCP client over stdin/stdout.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Conexor } from '../conexor.js';
import { ConfigurationError } from '../errors.js';
import { LineBoundedStdioTransport, rateLimitedReporter } from './stdio-transport.js';

/** Streams and limits for {@link serveStdio}; the process's own streams by default. */
export interface StdioOptions {
  /** @default process.stdin */
  stdin?: Readable;
  /** Carries JSON-RPC messages only: nothing else is ever written to it. @default process.stdout */
  stdout?: Writable;
  /**
   * Where dropped lines and stream failures are reported: one line each (at most 5 a minute, then a count), never
   * the content of a line.
   * @default process.stderr
   */
  stderr?: Writable;
  /**
   * Longest line accepted on stdin, in bytes, not counting its newline. Enforced while reading: a longer line is
   * never buffered whole. It is dropped, answered with a JSON-RPC error (`id: null`, code -32600, naming the
   * limit) and reported on stderr, and the following lines are served as usual.
   * @default 1048576 (1 MiB, as `maxBodyBytes` over HTTP)
   */
  maxLineBytes?: number;
}

/** The documented defaults of {@link StdioOptions}. */
export const STDIO_DEFAULTS = {
  maxLineBytes: 1024 * 1024,
} as const;

/** The largest `maxLineBytes` accepted, as for `maxBodyBytes`. */
export const MAX_LINE_BYTES_LIMIT = 1024 * 1024 * 1024;

const readable = z.custom<Readable>((value) => typeof (value as Partial<Readable> | null)?.on === 'function' && typeof (value as Readable).pause === 'function', 'expected a readable stream');
const writable = z.custom<Writable>((value) => typeof (value as Partial<Writable> | null)?.write === 'function', 'expected a writable stream');
const optionsSchema = z.strictObject({
  stdin: readable.optional(),
  stdout: writable.optional(),
  stderr: writable.optional(),
  maxLineBytes: z.number().int().min(1).max(MAX_LINE_BYTES_LIMIT).optional(),
});

/**
 * Connects a server to stdin/stdout and returns it. Pass a {@link Conexor} to serve its generated tools, or an
 * `McpServer` you made with `cx.createServer()` and extended with tools of your own. The server closes when stdin
 * ends or a stream fails; set `server.server.onclose` to release the database then.
 *
 * Messages are newline-delimited JSON-RPC, as with the SDK's `StdioServerTransport`, with one difference: a line
 * that is too long (`maxLineBytes`), not JSON or not JSON-RPC is answered with a JSON-RPC error and reported on
 * stderr, and the session goes on. stdout stays a clean JSON-RPC channel: conexor writes nothing else to it.
 *
 * @throws {ConfigurationError} for an unknown option or an invalid `maxLineBytes`.
 * @example
 * await serveStdio(await createConexor(knex));
 */
export async function serveStdio(conexor: Conexor | McpServer, options: StdioOptions = {}): Promise<McpServer> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'options'}: ${issue.message}`);
    throw new ConfigurationError(`serveStdio: invalid options: ${problems.join('; ')}`);
  }
  const server = isConexor(conexor) ? conexor.createServer() : conexor;
  const stdin = options.stdin ?? process.stdin;
  const stderr = options.stderr ?? process.stderr;
  const reporter = rateLimitedReporter((line) => void stderr.write(line));
  const transport = new LineBoundedStdioTransport(stdin, options.stdout ?? process.stdout, {
    maxLineBytes: options.maxLineBytes ?? STDIO_DEFAULTS.maxLineBytes,
    report: (problem) => reporter.report(problem),
  });
  // Set before connect, which chains the server's own handler after it.
  transport.onclose = () => reporter.flush();
  await server.connect(transport);
  // A pipe's reader does not notice the client going away; closing lets the host clean up.
  stdin.once('end', () => void server.close());
  return server;
}

// Duck-typed rather than instanceof, which breaks when the host and conexor resolve different SDK copies.
function isConexor(value: Conexor | McpServer): value is Conexor {
  return typeof (value as Partial<Conexor>).createServer === 'function';
}
