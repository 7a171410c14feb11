/**
 * HTTP benchmark: tools/call throughput and latency over stateless Streamable HTTP on Express, for a lookup by
 * primary key (Chinook's Track by TrackId), in one run on the same machine and the same SQLite database file:
 *
 *   (a) conexor exposing Chinook (11 tables),
 *   (b) conexor exposing Chinook plus 500 generated tables (511 tables, 2,000+ tools),
 *   (c) the baseline: a bare SDK McpServer with one hand-written tool running the same Knex query, a new server
 *       and transport per request, as the SDK's stateless examples do.
 *
 * The server runs in a child process; autocannon drives it from this one. Variants are interleaved over rounds and
 * the best round of each is kept.
 *
 *   npx tsx bench/http.ts [--seconds 5] [--connections 16] [--rounds 3]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import express from 'express';
import knexFactory, { type Knex } from 'knex';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { StaticApiKeyStore, createConexor, generateApiKey } from '../src/index.js';
import { conexorExpress } from '../src/adapters/express.js';
import { loadChinook } from '../test/support/chinook.js';

const GENERATED_TABLES = 500;
const CHINOOK_TABLES = ['Album', 'Artist', 'Customer', 'Employee', 'Genre', 'Invoice', 'InvoiceLine', 'MediaType', 'Playlist', 'PlaylistTrack', 'Track'];

async function openDatabase(file: string): Promise<Knex> {
  return knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
}

async function prepareDatabase(file: string): Promise<void> {
  const knex = await openDatabase(file);
  await loadChinook(knex, 'sqlite');
  for (let index = 0; index < GENERATED_TABLES; index += 1) {
    await knex.schema.createTable(`generated_${index}`, (table) => {
      table.increments('id');
      table.string('email').unique();
      table.string('name');
      table.integer('score');
      table.dateTime('created_at');
    });
  }
  await knex.destroy();
}

function baselineServer(knex: Knex): McpServer {
  const server = new McpServer({ name: 'baseline', version: '1.0.0' });
  server.registerTool(
    'query_track_by_track_id',
    { description: 'One track by id', inputSchema: { TrackId: z.number().int() } },
    async ({ TrackId }) => {
      const row = await knex('Track').where({ TrackId }).first();
      return { content: [{ type: 'text', text: JSON.stringify(row ?? null) }] };
    },
  );
  return server;
}

/** Child process: one Express app serving the three variants on one port. */
async function runServer(file: string): Promise<void> {
  const knex = await openDatabase(file);
  const created = generateApiKey({ name: 'bench' });
  const store = new StaticApiKeyStore([created.record]);
  const timings: Record<string, number> = {};
  let started = performance.now();
  const chinook = await createConexor(knex, { tables: { include: CHINOOK_TABLES } });
  timings.compileChinookMs = performance.now() - started;
  started = performance.now();
  const large = await createConexor(knex);
  timings.compile511Ms = performance.now() - started;
  const perServer = (create: () => McpServer) => {
    const rounds = 2_000;
    const begin = performance.now();
    for (let index = 0; index < rounds; index += 1) create();
    return ((performance.now() - begin) * 1000) / rounds;
  };
  timings.createServerChinookUs = perServer(() => chinook.createServer());
  timings.createServer511Us = perServer(() => large.createServer());
  timings.createServerBaselineUs = perServer(() => baselineServer(knex));

  const app = express();
  app.use('/a', conexorExpress(chinook, { auth: { store } }));
  app.use('/b', conexorExpress(large, { auth: { store } }));
  app.post('/c', express.json(), async (req, res) => {
    const server = baselineServer(knex);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const listener = app.listen(0, '127.0.0.1', () => {
    const address = listener.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.send?.({ port, key: created.key, tools: { a: chinook.tools.length, b: large.tools.length }, timings });
  });
}

interface Measurement {
  requests: number;
  p50: number;
  p99: number;
  errors: number;
}

async function measure(url: string, key: string | null, seconds: number, connections: number): Promise<Measurement> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'query_track_by_track_id', arguments: { TrackId: 1 } },
  });
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    body,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
  });
  return { requests: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '16' }, rounds: { type: 'string', default: '3' } },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const directory = mkdtempSync(join(tmpdir(), 'conexor-bench-'));
  const file = join(directory, 'bench.sqlite');
  await prepareDatabase(file);
  const child = fork(fileURLToPath(import.meta.url), ['--serve', file], { execArgv: process.execArgv });
  try {
    const ready = await new Promise<{ port: number; key: string; tools: { a: number; b: number }; timings: Record<string, number> }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as never));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${ready.port}`;
    const best: Record<'a' | 'b' | 'c', Measurement | null> = { a: null, b: null, c: null };
    await measure(`${base}/c`, null, 2, connections); // warm-up
    for (let round = 0; round < rounds; round += 1) {
      for (const variant of ['a', 'c', 'b'] as const) {
        const key = variant === 'c' ? null : ready.key;
        const result = await measure(`${base}/${variant}`, key, seconds, connections);
        if (result.errors > 0) throw new Error(`variant ${variant}: ${result.errors} failed requests`);
        if (!best[variant] || result.requests > (best[variant]?.requests ?? 0)) best[variant] = result;
      }
    }
    const row = (label: string, m: Measurement | null) =>
      `${label.padEnd(38)} ${m?.requests.toFixed(0).padStart(7)} req/s   p50 ${String(m?.p50).padStart(3)} ms   p99 ${String(m?.p99).padStart(3)} ms`;
    const ratio = (x: Measurement | null, y: Measurement | null) => ((x?.requests ?? 0) / (y?.requests ?? 1)).toFixed(2);
    const t = ready.timings;
    console.log(`tools: (a) ${ready.tools.a}, (b) ${ready.tools.b}; ${connections} connections, ${seconds} s × ${rounds} rounds, best round`);
    console.log(row('(a) conexor, Chinook', best.a));
    console.log(row(`(b) conexor, Chinook + ${GENERATED_TABLES} tables`, best.b));
    console.log(row('(c) bare SDK, one hand-written tool', best.c));
    console.log(`ratios: a/c = ${ratio(best.a, best.c)}, b/c = ${ratio(best.b, best.c)}, b/a = ${ratio(best.b, best.a)}`);
    console.log(
      `compile once: Chinook ${t.compileChinookMs?.toFixed(0)} ms, 511 tables ${t.compile511Ms?.toFixed(0)} ms; ` +
        `createServer(): Chinook ${t.createServerChinookUs?.toFixed(1)} µs, 511 tables ${t.createServer511Us?.toFixed(1)} µs, ` +
        `baseline ${t.createServerBaselineUs?.toFixed(1)} µs`,
    );
  } finally {
    child.kill();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve' && process.argv[3]) await runServer(process.argv[3]);
else await main();
