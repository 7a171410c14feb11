/**
 * Attack: a caller restricted by `tools` only (`tools: ['query_orders', 'count_orders']`) may use no tool on
 * `customers`, yet the catalog is narrowed only for `tables` restrictions (CallPipeline.catalogFor): search_tables
 * shows the relation `customer (customer_id → customers)`, `relation.field` reads customer names through `query` on
 * orders, and `has` counts orders by customer name — reading, and learning the existence and fields of, a table the
 * caller may not use. (docs/policy.md promises the relation cut for `tables` restrictions only; the guarantee under
 * attack is "restricted by tables or tools".)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { textOf } from '../support/mcp.js';

describe.each(DIALECTS)('relations of a caller restricted by tools (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_toolrel');
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
    cx = await createConexor(db.knex, { catalog: { mode: 'compact' }, callerPolicy: () => ({ tools: ['query_orders', 'count_orders'] }) });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('can use no tool on customers', async () => {
    const direct = await cx.callTool('query', { table: 'customers' });
    expect(textOf(direct)).toMatch(/is not a table you can use with query/);
  });

  it('learns nothing of customers from search_tables', async () => {
    const search = await cx.callTool('search_tables', { detail: 'columns' });
    expect(textOf(search)).not.toMatch(/customers/);
    const byWord = await cx.callTool('search_tables', { pattern: 'customers' });
    expect(byWord.structuredContent).toMatchObject({ total: 0 });
  });

  it('reads no customer field through relation.field or has', async () => {
    const related = await cx.callTool('query', { table: 'orders', columns: ['id', 'customer.name'] });
    expect(related.isError, textOf(related)).toBe(true);
    expect(textOf(related)).not.toContain('Ada');
    const has = await cx.callTool('count', { table: 'orders', where: [{ has: 'customer', where: [{ field: 'name', op: 'eq', value: 'Ada' }] }] });
    expect(has.isError, textOf(has)).toBe(true);
  });
});
