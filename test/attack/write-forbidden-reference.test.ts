/**
 * Attack: a caller restricted by `tables` (a key's policy, `callerPolicy`) loses the foreign keys towards tables it
 * may not use, so its writes no longer checked them: only the database's constraint did — blind to tenants (another
 * tenant's customer was accepted), and an oracle telling which ids exist in a table the caller may not use, which
 * must be refused exactly like one that does not exist. Such a reference must not be settable by that caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const TENANT = 1;
const OTHER = 2;

describe.each(DIALECTS)('a reference towards a table the caller may not use (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wfor');
    if (dialect === 'sqlite') await db.knex.raw('PRAGMA foreign_keys = ON');
    await db.knex.schema.createTable('customers', (t) => {
      t.bigInteger('id').primary();
      t.integer('tenant_id').notNullable();
    });
    await db.knex.schema.createTable('orders', (t) => {
      t.bigInteger('id').primary();
      t.integer('tenant_id').notNullable();
      t.bigInteger('customer_id').references('id').inTable('customers').withKeyName('orders_customer_fk');
      t.string('note', 20);
    });
    await db.knex('customers').insert([
      { id: 1, tenant_id: TENANT },
      { id: 2, tenant_id: OTHER },
    ]);
    await db.knex('orders').insert([{ id: 10, tenant_id: TENANT, customer_id: 1, note: 'a' }]);
    cx = await createConexor(db.knex, {
      writes: true,
      catalog: { mode: 'typed' },
      scope: { columns: ['tenant_id'], values: () => ({ tenant_id: TENANT }) },
      callerPolicy: () => ({ tables: ['orders'] }),
    });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it("answers another tenant's customer exactly like a missing one, and never stores it", async () => {
    const client = await connectClient(cx.createServer());
    const answer = async (tool: string, args: Record<string, unknown>) => {
      const result = await call(client, tool, args);
      return `${result.isError ? 'error' : 'ok'}: ${textOf(result)}`;
    };
    const other = await answer('insert_orders', { rows: [{ id: 11, customer_id: 2 }] });
    expect(other).toMatch(/^error/);
    expect(other).toBe(await answer('insert_orders', { rows: [{ id: 11, customer_id: 999 }] }));
    const update = await answer('update_orders_by_id', { id: 10, set: { customer_id: 2 } });
    expect(update).toMatch(/^error/);
    expect(update).toBe(await answer('update_orders_by_id', { id: 10, set: { customer_id: 999 } }));
    expect((await db.knex('orders').select('id', 'customer_id')).map((row: { id: unknown; customer_id: unknown }) => `${Number(row.id)}:${Number(row.customer_id)}`)).toEqual(['10:1']);
  });
});
