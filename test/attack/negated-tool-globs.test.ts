/**
 * Attack: a caller policy that forbids tools with a negated glob (`tools: ['!aggregate_*']`, the CLI's
 * `--tool '!aggregate_*'`) used to keep that caller away from every aggregate tool. The generic tools are checked
 * against `policy.allows({name: 'aggregate', …})`, and the bare generic name matches the negation — so the caller
 * gets the generic `aggregate` on every table, and (since "a kind on a table is allowed when the generic one is")
 * every typed `aggregate_<t>` comes back into its listing and can be called. Same for `!query_customers*`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { textOf } from '../support/mcp.js';

describe.each(DIALECTS)('negated tool globs in a caller policy (%s)', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_neg');
    await db.knex.schema.createTable('customers', (t) => {
      t.increments('id');
      t.string('name');
    });
    await db.knex.schema.createTable('orders', (t) => {
      t.increments('id');
      t.integer('customer_id').unsigned().references('id').inTable('customers');
      t.integer('total');
    });
    await db.knex('customers').insert([{ name: 'Ada' }, { name: 'Cy' }]);
    await db.knex('orders').insert([{ customer_id: 1, total: 10 }, { customer_id: 2, total: 99 }]);
  }, 60_000);
  afterAll(async () => db?.destroy());

  it('keeps every aggregate tool away from a caller with tools: ["!aggregate_*"], typed and generic', async () => {
    for (const mode of ['typed', 'auto', 'compact'] as const) {
      const cx = await createConexor(db.knex, { catalog: { mode }, callerPolicy: () => ({ tools: ['!aggregate_*'] }) });
      const names = (await cx.listTools()).map((tool) => tool.name);
      expect(names.filter((name) => name.startsWith('aggregate')), mode).toEqual([]);
      const typed = await cx.callTool('aggregate_orders', { metrics: [{ fn: 'sum', field: 'total' }] });
      expect(textOf(typed), mode).toBe('MCP error -32602: Tool aggregate_orders not found');
      const generic = await cx.callTool('aggregate', { table: 'orders', metrics: [{ fn: 'sum', field: 'total' }] });
      expect(textOf(generic), mode).toBe('MCP error -32602: Tool aggregate not found');
      await cx.close();
    }
  });

  it('keeps a table\'s query tools away from a caller with tools: ["!query_customers*"]', async () => {
    const cx = await createConexor(db.knex, { catalog: { mode: 'compact' }, callerPolicy: () => ({ tools: ['!query_customers*'] }) });
    const rows = await cx.callTool('query', { table: 'customers' });
    expect(rows.isError, textOf(rows)).toBe(true);
    expect(textOf(rows)).not.toContain('Ada');
    await cx.close();
  });
});
