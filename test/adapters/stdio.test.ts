import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import knexFactory, { type Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveStdio, type StdioOptions } from '../../src/adapters/stdio.js';
import { createConexor, type Conexor } from '../../src/conexor.js';
import { ConfigurationError } from '../../src/errors.js';

const MIB = 1024 * 1024;
/** In every payload sent: it must never show up on stderr or stdout. */
const MARKER = 'PAYLOAD-MARKER-7f3a';

interface Answer {
  jsonrpc: string;
  id?: string | number | null;
  error?: { code: number; message: string; data?: unknown };
  result?: unknown;
}

/**
 * The client side of a stdio connection over in-process streams. Every line the server writes is kept and must be
 * JSON-RPC; answers with `id: null` (which the SDK client cannot route) are kept aside instead of delivered.
 */
class LineClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly lines: string[] = [];
  readonly unrouted: Answer[] = [];
  private partial = '';

  constructor(
    private readonly fromServer: PassThrough,
    private readonly toServer: PassThrough,
  ) {}

  start(): Promise<void> {
    this.fromServer.on('data', (chunk: Buffer) => {
      const parts = (this.partial + chunk.toString('utf8')).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        const value = JSON.parse(line) as Answer;
        if (value.id === null) this.unrouted.push(value);
        else this.onmessage?.(JSONRPCMessageSchema.parse(value));
      }
    });
    return Promise.resolve();
  }
  send(message: JSONRPCMessage): Promise<void> {
    this.toServer.write(`${JSON.stringify(message)}\n`);
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.toServer.end();
    this.onclose?.();
    return Promise.resolve();
  }
}

/** Writes a large payload to a stream in chunks, waiting whenever the stream asks to. */
async function writeAll(stream: PassThrough, chunk: Buffer, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  // A hang guard only: nothing here asserts how fast anything is.
  for (let i = 0; i < 2_000 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error(`never saw ${what}`);
}

let dir: string;
let knex: Knex;
let cx: Conexor;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conexor-stdio-'));
  knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'notes.sqlite') }, useNullAsDefault: true });
  await knex.schema.createTable('notes', (table) => {
    table.increments('id');
    table.string('body');
  });
  await knex('notes').insert([{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
  cx = await createConexor(knex);
});

afterAll(async () => {
  await knex?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Session {
  server: McpServer;
  client: Client;
  transport: LineClientTransport;
  stdin: PassThrough;
  stderr: () => string;
  hostErrors: Error[];
}

const open: Session[] = [];
afterEach(async () => {
  for (const session of open.splice(0)) await session.client.close();
});

async function connect(options: Omit<StdioOptions, 'stdin' | 'stdout' | 'stderr'> = {}): Promise<Session> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let errText = '';
  stderr.on('data', (chunk: Buffer) => (errText += chunk.toString('utf8')));
  const server = await serveStdio(cx, { ...options, stdin, stdout, stderr });
  const hostErrors: Error[] = [];
  server.server.onerror = (error) => hostErrors.push(error);
  const transport = new LineClientTransport(stdout, stdin);
  const client = new Client({ name: 'conexor-stdio-test', version: '1.0.0' });
  await client.connect(transport);
  const session = { server, client, transport, stdin, stderr: () => errText, hostErrors };
  open.push(session);
  return session;
}

async function countNotes(client: Client): Promise<unknown> {
  return (await client.callTool({ name: 'count_notes', arguments: {} })).structuredContent;
}

/** Every line on stdout is one JSON-RPC 2.0 message, and none repeats what was sent. */
function expectCleanStdout(transport: LineClientTransport): void {
  for (const line of transport.lines) {
    expect((JSON.parse(line) as Answer).jsonrpc).toBe('2.0');
    expect(line).not.toContain(MARKER);
  }
}

describe('serveStdio: lines over the limit', () => {
  it('drops a 12 MB line with a JSON-RPC error naming the limit, and keeps serving', async () => {
    const { client, transport, stdin, stderr, hostErrors } = await connect();
    expect(await countNotes(client)).toEqual({ count: 3 });

    const huge = `{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"count_notes","arguments":{"x":"${MARKER}${'A'.repeat(12 * MIB)}"}}}\n`;
    stdin.write(huge);
    await until(() => transport.unrouted.length === 1, 'the refusal');
    expect(transport.unrouted[0]).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: expect.stringMatching(/at most 1048576 bytes \(maxLineBytes\)/) as unknown, data: { maxLineBytes: MIB } },
    });

    expect(await countNotes(client)).toEqual({ count: 3 });
    await client.ping();
    expect(stderr()).toMatch(/^conexor: stdio: dropped a line longer than the limit of 1048576 bytes \(maxLineBytes\)$/m);
    expect(stderr()).not.toContain(MARKER);
    expect(hostErrors.map((error) => error.message).join('\n')).not.toContain(MARKER);
    expectCleanStdout(transport);
  });

  it('answers a line without a newline as soon as it passes the limit, then serves what follows its end', async () => {
    const { client, transport, stdin, stderr } = await connect({ maxLineBytes: 64 * 1024 });
    const piece = Buffer.from(`${MARKER}${'B'.repeat(16 * 1024)}`);
    stdin.write(`{"jsonrpc":"2.0","id":5,"method":"ping","params":{"_meta":{"pad":"`);
    await writeAll(stdin, piece, 8);
    // No newline yet: the transport has already given up on the line instead of waiting for its end.
    await until(() => transport.unrouted.length === 1, 'the refusal before the newline');
    expect(transport.unrouted[0]?.error?.message).toContain('at most 65536 bytes');
    await writeAll(stdin, piece, 8);
    expect(transport.unrouted).toHaveLength(1);
    stdin.write('"}}}\n');

    expect(await countNotes(client)).toEqual({ count: 3 });
    expect(transport.unrouted).toHaveLength(1);
    expect(stderr().match(/dropped a line longer than the limit of 65536 bytes/g)).toHaveLength(1);
    expect(stderr()).not.toContain(MARKER);
    expectCleanStdout(transport);
  });

  it('accepts a line of exactly maxLineBytes and refuses one byte more', async () => {
    const { client, transport, stdin } = await connect({ maxLineBytes: 1024 });
    const ping = (id: number, bytes: number) => {
      const message = `{"jsonrpc":"2.0","id":${id},"method":"ping"}`;
      return `${message}${' '.repeat(bytes - message.length)}\n`;
    };
    stdin.write(ping(41, 1024));
    stdin.write(ping(42, 1025));
    await client.ping();
    const ids = transport.lines.map((line) => JSON.parse(line) as Answer).map((answer) => [answer.id, answer.error?.code ?? 'ok']);
    expect(ids).toContainEqual([41, 'ok']);
    expect(ids).toContainEqual([null, -32600]);
    expect(ids.some(([id]) => id === 42)).toBe(false);
  });

  it('holds at most the limit in memory however long the line is', async () => {
    const { client, transport, stdin } = await connect();
    // One 64 KiB chunk written 4096 times (256 MiB): the stream hands over the same buffer, so any growth is the transport's.
    const chunk = Buffer.alloc(64 * 1024, 'C');
    const before = process.memoryUsage().arrayBuffers;
    stdin.write('{"jsonrpc":"2.0","id":7,"method":"ping","params":{"_meta":{"pad":"');
    await writeAll(stdin, chunk, 4096);
    const grown = process.memoryUsage().arrayBuffers - before;
    stdin.write('"}}}\n');
    await client.ping();
    expect(grown).toBeLessThan(64 * MIB);
    expect(transport.unrouted).toHaveLength(1);
  });
});

describe('serveStdio: lines that are not JSON-RPC', () => {
  it('answers JSON that does not parse with -32700 and other JSON with -32600, reports without echoing, keeps serving', async () => {
    const { client, transport, stdin, stderr, hostErrors } = await connect();
    stdin.write(`{"jsonrpc":"2.0","id":1,"method":"ping" ${MARKER}\n`);
    stdin.write(`{"jsonrpc":"1.0","id":"abc","method":"ping","params":{"note":"${MARKER}"}}\n`);
    stdin.write(`["${MARKER}"]\n`);
    stdin.write('\n\r\n   \n');
    expect(await countNotes(client)).toEqual({ count: 3 });

    const answers = transport.lines.map((line) => JSON.parse(line) as Answer).filter((answer) => answer.error);
    expect(answers).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the line is not valid JSON.' } },
      // The id was readable: the client waiting on it gets its answer.
      { jsonrpc: '2.0', id: 'abc', error: { code: -32600, message: 'Invalid Request: not a JSON-RPC 2.0 message.' } },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: not a JSON-RPC 2.0 message.' } },
    ]);
    expect(stderr()).toContain('conexor: stdio: dropped a line that is not valid JSON\n');
    expect(stderr().match(/dropped a message that is not JSON-RPC 2\.0/g)).toHaveLength(2);
    expect(stderr()).not.toContain(MARKER);
    // The host's onerror hears of each, without the content either (the SDK's SyntaxError would quote it).
    expect(hostErrors).toHaveLength(3);
    expect(hostErrors.map((error) => error.message).join('\n')).not.toContain(MARKER);
    expectCleanStdout(transport);
  });

  it('reports at most five problems in a burst, then how many more there were', async () => {
    const { client, transport, stdin, stderr, server } = await connect();
    stdin.write(`not json ${MARKER}\n`.repeat(30));
    expect(await countNotes(client)).toEqual({ count: 3 });
    expect(transport.unrouted).toHaveLength(30);
    expect(stderr().match(/not valid JSON/g)?.length).toBeLessThanOrEqual(5);
    await server.close();
    expect(stderr()).toMatch(/conexor: stdio: \d+ more problem\(s\) not reported one by one\n$/);
    expect(stderr()).not.toContain(MARKER);
  });
});

describe('serveStdio: stream failures', () => {
  it('closes with a message on stderr, instead of crashing, when stdout fails', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let errText = '';
    stderr.on('data', (chunk: Buffer) => (errText += chunk.toString('utf8')));
    const server = await serveStdio(cx, { stdin, stdout, stderr });
    const closed = new Promise<void>((resolve) => {
      server.server.onclose = resolve;
    });
    stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await closed;
    expect(errText).toContain('conexor: stdio: stdout failed (EPIPE): the client stopped reading; closing\n');
    stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    stdin.end();
  });

  it('closes with a message on stderr when stdin fails', async () => {
    const stdin = new PassThrough();
    const stderr = new PassThrough();
    let errText = '';
    stderr.on('data', (chunk: Buffer) => (errText += chunk.toString('utf8')));
    const server = await serveStdio(cx, { stdin, stdout: new PassThrough(), stderr });
    const closed = new Promise<void>((resolve) => {
      server.server.onclose = resolve;
    });
    stdin.destroy(Object.assign(new Error('read EIO'), { code: 'EIO' }));
    await closed;
    expect(errText).toBe('conexor: stdio: stdin failed (EIO): closing\n');
  });

  it('rejects invalid options by name', async () => {
    for (const options of [{ maxLineBytes: 0 }, { maxLineBytes: 1.5 }, { maxLineBytes: 2 ** 40 }, { maxLineBytes: '1MB' }, { maxLineByte: 10 }]) {
      const attempt = serveStdio(cx, { stdin: new PassThrough(), stdout: new PassThrough(), ...(options as StdioOptions) });
      await expect(attempt).rejects.toThrow(ConfigurationError);
      await expect(attempt).rejects.toThrow(/serveStdio: invalid options: .*maxLineByte/);
    }
  });
});
