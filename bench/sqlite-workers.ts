/**
 * What running better-sqlite3 tool calls in worker processes costs, against the former in-process path, in one run:
 * a by-key lookup (`query_items_by_id`) and a count (`count_items`) through `conexor.callTool`, on a file database
 * and an in-memory one (10,000 rows, and 100 rows as in unit tests), one call at a time and 8 at once. For the
 * in-memory databases, also a host update before every count, so every call pays for a fresh snapshot. Variants are interleaved over 3 rounds; the
 * best round of each is kept.
 *
 *   npx tsx bench/sqlite-workers.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { createConexor, type Conexor } from '../src/index.js';
import { setSqliteWorkersEnabled } from '../src/execute/sqlite-workers.js';

const ROWS = 10_000;
/** A database of the size unit tests use. */
const SMALL = 100;
const SECONDS = 2;
const ROUNDS = 3;

async function seed(knex: Knex, rows: number): Promise<void> {
  await knex.schema.createTable('items', (table) => {
    table.increments('id');
    table.string('sku', 32).notNullable();
    table.integer('price').notNullable();
    table.text('description');
  });
  const data = Array.from({ length: rows }, (_, index) => ({ sku: `SKU-${index}`, price: (index * 13) % 100, description: `item ${index} `.repeat(4) }));
  await knex.batchInsert('items', data, 500);
}

/** Calls per second over `SECONDS`, with `parallel` calls in flight. */
async function rate(run: (index: number) => Promise<unknown>, parallel: number): Promise<number> {
  for (let index = 0; index < 50; index += 1) await run(index);
  let calls = 0;
  const end = performance.now() + SECONDS * 1000;
  const loop = async () => {
    while (performance.now() < end) await run((calls += 1));
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: parallel }, loop));
  return calls / ((performance.now() - started) / 1000);
}

function check(result: Awaited<ReturnType<Conexor['callTool']>>): void {
  if (result.isError) throw new Error(JSON.stringify(result.content));
}

interface Variant {
  readonly name: string;
  readonly parallel: number;
  readonly call: (cx: Conexor, knex: Knex) => (index: number) => Promise<unknown>;
  readonly memoryOnly?: boolean;
}

const VARIANTS: readonly Variant[] = [
  { name: 'lookup by key', parallel: 1, call: (cx) => async (index) => check(await cx.callTool('query_items_by_id', { id: (index % SMALL) + 1 })) },
  { name: 'count', parallel: 1, call: (cx) => async () => check(await cx.callTool('count_items')) },
  { name: 'lookup by key, 8 at once', parallel: 8, call: (cx) => async (index) => check(await cx.callTool('query_items_by_id', { id: (index % SMALL) + 1 })) },
  {
    // An update, not an insert: the database keeps its size over the run.
    name: 'host update + count',
    parallel: 1,
    memoryOnly: true,
    call: (cx, knex) => async (index) => {
      await knex('items').where({ id: (index % SMALL) + 1 }).increment('price', 1);
      check(await cx.callTool('count_items'));
    },
  },
];

const directory = mkdtempSync(join(tmpdir(), 'conexor-bench-'));
try {
  for (const [kind, rows] of [
    ['file', ROWS],
    ['memory', ROWS],
    ['memory', SMALL],
  ] as const) {
    const filename = kind === 'file' ? join(directory, 'bench.sqlite') : ':memory:';
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true });
    await seed(knex, rows);
    setSqliteWorkersEnabled(false);
    const inProcess = await createConexor(knex, { audit: false });
    setSqliteWorkersEnabled(true);
    const workers = await createConexor(knex, { audit: false });
    const best = new Map<string, { inProcess: number; workers: number }>();
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const variant of VARIANTS) {
        if (variant.memoryOnly && kind !== 'memory') continue;
        const before = await rate(variant.call(inProcess, knex), variant.parallel);
        const after = await rate(variant.call(workers, knex), variant.parallel);
        const kept = best.get(variant.name) ?? { inProcess: 0, workers: 0 };
        best.set(variant.name, { inProcess: Math.max(kept.inProcess, before), workers: Math.max(kept.workers, after) });
      }
    }
    for (const [name, { inProcess: before, workers: after }] of best) {
      console.log(
        `${`${kind}, ${rows} rows`.padEnd(18)} ${name.padEnd(26)} in process ${before.toFixed(0).padStart(6)} calls/s   worker ${after.toFixed(0).padStart(6)} calls/s   worker/in-process ${(after / before).toFixed(2)}×`,
      );
    }
    await inProcess.close();
    await workers.close();
    await knex.destroy();
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
