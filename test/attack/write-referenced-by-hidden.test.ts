/**
 * Attack: deleting a row that another table still references is refused, naming that table — read from the
 * driver's message (PostgreSQL's detail `… is still referenced from table "payroll"`, MariaDB's constraint text).
 * When that table is one policy does not expose (or the caller may not use), the error named it: a table that
 * must appear nowhere. Only a table the caller can see may be named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('a delete refused because a hidden table references the row (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  let restricted: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wrbh');
    if (dialect === 'sqlite') await db.knex.raw('PRAGMA foreign_keys = ON');
    await db.knex.schema.createTable('customers', (t) => {
      t.bigInteger('id').primary();
      t.string('name', 20);
    });
    await db.knex.schema.createTable('payroll_secrets', (t) => {
      t.bigInteger('id').primary();
      t.bigInteger('customer_id').references('id').inTable('customers').withKeyName('payroll_customer_fk');
    });
    await db.knex.schema.createTable('orders', (t) => {
      t.bigInteger('id').primary();
      t.bigInteger('customer_id').references('id').inTable('customers').withKeyName('orders_customer_fk');
    });
    await db.knex('customers').insert([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    await db.knex('payroll_secrets').insert([{ id: 1, customer_id: 1 }]);
    await db.knex('orders').insert([{ id: 1, customer_id: 2 }]);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, tables: { exclude: ['payroll_secrets'] } });
    restricted = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, callerPolicy: () => ({ tables: ['customers'] }) });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await restricted?.close();
    await db?.destroy();
  });

  it('does not name a table policy does not expose', async () => {
    const client = await connectClient(cx.createServer());
    const result = await call(client, 'delete_customers_by_id', { id: 1 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/still reference/);
    expect(textOf(result)).not.toMatch(/payroll/);
  });

  it('does not name a table the caller may not use', async () => {
    const client = await connectClient(restricted.createServer());
    const result = await call(client, 'delete_customers_by_id', { id: 2 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/still reference/);
    expect(textOf(result)).not.toMatch(/orders/);
  });
});
