/**
 * In-process benchmark: what a fresh MCP server costs per request, for a small and a large schema, against a bare
 * SDK server with one hand-written tool (the baseline), all in one run on the same machine.
 *
 *   npx tsx bench/create-server.ts
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import knexFactory, { type Knex } from 'knex';
import { z } from 'zod';
import { createConexor } from '../src/index.js';

const CREATE_ITERATIONS = 1_000;
const CALL_ITERATIONS = 400;

async function database(tables: number): Promise<Knex> {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  for (let index = 0; index < tables; index += 1) {
    await knex.schema.createTable(`table_${index}`, (table) => {
      table.increments('id');
      table.string('email').unique();
      table.string('name');
      table.integer('score');
      table.dateTime('created_at');
    });
    await knex(`table_${index}`).insert({ email: `user${index}@example.com`, name: 'Ada', score: index, created_at: '2024-01-01 00:00:00' });
  }
  return knex;
}

function timeCreate(create: () => McpServer): number {
  const started = process.hrtime.bigint();
  for (let index = 0; index < CREATE_ITERATIONS; index += 1) create();
  return Number(process.hrtime.bigint() - started) / 1e3 / CREATE_ITERATIONS;
}

/** Per call: a fresh server and client pair (as a stateless HTTP request would have), initialize, one tools/call. */
async function timeCalls(create: () => McpServer, name: string, args: Record<string, unknown>): Promise<number> {
  const latencies: number[] = [];
  for (let index = 0; index < CALL_ITERATIONS; index += 1) {
    const started = process.hrtime.bigint();
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = create();
    const client = new Client({ name: 'bench', version: '1' });
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    const result = await client.callTool({ name, arguments: args });
    if (result.isError) throw new Error(JSON.stringify(result.content));
    await client.close();
    latencies.push(Number(process.hrtime.bigint() - started) / 1e3);
  }
  latencies.sort((a, b) => a - b);
  return latencies[Math.floor(latencies.length / 2)] ?? 0;
}

function baselineServer(knex: Knex): () => McpServer {
  return () => {
    const server = new McpServer({ name: 'baseline', version: '1' });
    server.registerTool(
      'query_table_0_by_id',
      { description: 'One row by id', inputSchema: { id: z.number().int() } },
      async ({ id }) => {
        const row = await knex('table_0').where({ id }).first();
        return { content: [{ type: 'text', text: JSON.stringify(row ?? null) }] };
      },
    );
    return server;
  };
}

const small = await database(5);
const large = await database(500);
const cxSmall = await createConexor(small);
const cxLarge = await createConexor(large);
const baseline = baselineServer(small);

// Interleaved rounds, best round per variant: keeps JIT warm-up and order out of the comparison.
const ROUNDS = 5;
const variants = {
  baseline: baseline,
  conexor5: () => cxSmall.createServer(),
  conexor500: () => cxLarge.createServer(),
};
type Variant = keyof typeof variants;
const create = { baseline: Infinity, conexor5: Infinity, conexor500: Infinity } as Record<Variant, number>;
const call = { baseline: Infinity, conexor5: Infinity, conexor500: Infinity } as Record<Variant, number>;
for (let round = 0; round < ROUNDS; round += 1) {
  for (const variant of Object.keys(variants) as Variant[]) {
    create[variant] = Math.min(create[variant], timeCreate(variants[variant]));
    call[variant] = Math.min(call[variant], await timeCalls(variants[variant], 'query_table_0_by_id', { id: 1 }));
  }
}

const fmt = (value: number) => `${value.toFixed(1)} µs`;
console.log(`tools: 5 tables → ${cxSmall.tools.length}, 500 tables → ${cxLarge.tools.length}`);
console.log(`createServer()          baseline ${fmt(create.baseline)}  conexor/5 ${fmt(create.conexor5)}  conexor/500 ${fmt(create.conexor500)}  (500/5 = ${(create.conexor500 / create.conexor5).toFixed(2)})`);
console.log(`server+connect+call p50 baseline ${fmt(call.baseline)}  conexor/5 ${fmt(call.conexor5)}  conexor/500 ${fmt(call.conexor500)}`);
console.log(`ratios (throughput): conexor/5 ÷ baseline = ${(call.baseline / call.conexor5).toFixed(2)}, conexor/500 ÷ baseline = ${(call.baseline / call.conexor500).toFixed(2)}, conexor/500 ÷ conexor/5 = ${(call.conexor5 / call.conexor500).toFixed(2)}`);
await Promise.all([small.destroy(), large.destroy()]);
