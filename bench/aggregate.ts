/**
 * The cost of answering an analytical question through conexor, against the same question asked with hand-written
 * SQL through the same Knex (the baseline), in one run on the same database, for each dialect. The question is
 * "revenue and orders per customer country over the last 30 days, top 5" on the demo shop (600 orders), asked as
 * one `aggregate_orders` call through a real MCP client (in-memory transport), and as one `knex.raw` query. A
 * `count_orders` call over the same client shows what the MCP round trip alone costs.
 *
 *   npx tsx bench/aggregate.ts
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Knex } from 'knex';
import { createConexor } from '../src/index.js';
import { createDemoShop } from '../src/demo/shop.js';
import { DIALECTS, createTestDatabase } from '../test/support/databases.js';

const ITERATIONS = 400;
const NOW = new Date('2026-11-24T10:15:00Z');
const SINCE = new Date(NOW.getTime() - 30 * 86_400_000);

const ARGUMENTS = {
  where: [{ field: 'ordered_at', op: 'gte', value: { ago: { days: 30 } } }],
  group_by: ['customer.country'],
  metrics: [{ fn: 'sum', field: 'total', as: 'revenue' }, { fn: 'count', as: 'orders' }],
  order_by: [{ by: 'revenue', direction: 'desc' }],
  limit: 5,
};

function baseline(knex: Knex, dialect: string): () => Promise<unknown> {
  const since = dialect === 'postgresql' ? SINCE.toISOString() : SINCE.toISOString().slice(0, 19).replace('T', ' ');
  const sql =
    'SELECT c.country, SUM(o.total) AS revenue, COUNT(*) AS orders FROM orders o LEFT JOIN customers c ON c.id = o.customer_id ' +
    'WHERE o.ordered_at >= ? GROUP BY c.country ORDER BY revenue DESC, c.country LIMIT 5';
  return () => knex.raw(sql, [since]);
}

async function time(run: () => Promise<unknown>): Promise<number> {
  for (let index = 0; index < 40; index += 1) await run();
  const started = performance.now();
  for (let index = 0; index < ITERATIONS; index += 1) await run();
  return (performance.now() - started) / ITERATIONS;
}

for (const dialect of DIALECTS) {
  const db = await createTestDatabase(dialect, 'cx_bench');
  try {
    await createDemoShop(db.knex, { now: NOW });
    const cx = await createConexor(db.knex, { clock: () => NOW, audit: false });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'bench', version: '1' });
    await Promise.all([cx.createServer().connect(serverSide), client.connect(clientSide)]);
    const viaTool = await time(() => client.callTool({ name: 'aggregate_orders', arguments: ARGUMENTS }));
    const viaSql = await time(baseline(db.knex, dialect));
    const count = await time(() => client.callTool({ name: 'count_orders', arguments: {} }));
    console.log(
      `${dialect.padEnd(10)} aggregate_orders over MCP ${viaTool.toFixed(2)} ms/call, hand-written SQL ${viaSql.toFixed(2)} ms/query ` +
        `(tool/SQL ${(viaTool / viaSql).toFixed(2)}×), count_orders over MCP ${count.toFixed(2)} ms/call (aggregate/count ${(viaTool / count).toFixed(2)}×)`,
    );
    await client.close();
    await cx.close();
  } finally {
    await db.destroy();
  }
}
