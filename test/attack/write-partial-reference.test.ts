/**
 * Attack: "a reference into another tenant's rows is refused like one to no row". The check looked only at foreign
 * keys whose columns the call sets *all* of. An update setting one column of a composite foreign key (the order
 * number, keeping the region) skipped it: the database's own constraint, blind to tenants, accepted another
 * tenant's order — a cross-tenant reference, and an oracle telling which (region, number) pairs exist in any
 * tenant. An insert leaving the region to its default did the same. The reference a row ends up with must be
 * checked, whichever of its columns the call sets.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const TENANT = 1;
const OTHER = 2;

describe.each(DIALECTS)('an update setting part of a composite reference (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  let client: Client;

  const lines = async () => (await db.knex('order_lines').select('id', 'region', 'order_no').orderBy('id')).map((row: { id: number; region: string; order_no: number }) => `${row.id}:${row.region}/${row.order_no}`);

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wref');
    if (dialect === 'sqlite') await db.knex.raw('PRAGMA foreign_keys = ON');
    await db.knex.schema.createTable('orders', (t) => {
      t.integer('id').primary();
      t.integer('tenant_id').notNullable();
      t.string('region', 10).notNullable();
      t.integer('order_no').notNullable();
      t.unique(['region', 'order_no'], { indexName: 'orders_region_no_unique' });
    });
    await db.knex.schema.createTable('order_lines', (t) => {
      // Not INTEGER: on SQLite that would make it the rowid, filled by the database.
      t.bigInteger('id').primary();
      t.integer('tenant_id').notNullable();
      t.string('region', 10).notNullable().defaultTo('eu');
      t.integer('order_no').notNullable();
      t.string('item', 20);
      t.foreign(['region', 'order_no'], 'order_lines_order_fk').references(['region', 'order_no']).inTable('orders');
    });
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, scope: { columns: ['tenant_id'], values: () => ({ tenant_id: TENANT }) } });
    client = await connectClient(cx.createServer());
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });
  beforeEach(async () => {
    await db.knex('order_lines').delete();
    await db.knex('orders').delete();
    await db.knex('orders').insert([
      { id: 1, tenant_id: TENANT, region: 'eu', order_no: 1 },
      { id: 2, tenant_id: OTHER, region: 'eu', order_no: 2 },
      { id: 3, tenant_id: TENANT, region: 'eu', order_no: 3 },
    ]);
    await db.knex('order_lines').insert([{ id: 10, tenant_id: TENANT, region: 'eu', order_no: 1, item: 'x' }]);
  });

  it("refuses pointing a row at another tenant's row by one column, like pointing it at no row", async () => {
    const other = await call(client, 'update_order_lines_by_id', { id: 10, set: { order_no: 2 } });
    const none = await call(client, 'update_order_lines_by_id', { id: 10, set: { order_no: 99 } });
    expect(other.isError, textOf(other)).toBe(true);
    expect(textOf(other)).toBe(textOf(none).replace('99', '2'));
    expect(await lines()).toEqual(['10:eu/1']);
  });

  it('refuses it through a filtered update too, and allows a row of its own', async () => {
    const other = await call(client, 'update_order_lines', { where: [{ field: 'item', op: 'eq', value: 'x' }], set: { order_no: 2 }, max_affected: 5 });
    expect(other.isError, textOf(other)).toBe(true);
    expect(await lines()).toEqual(['10:eu/1']);
    const own = await call(client, 'update_order_lines_by_id', { id: 10, set: { order_no: 3 } });
    expect(own.isError, textOf(own)).toBeFalsy();
    expect(await lines()).toEqual(['10:eu/3']);
  });

  it("refuses an insert whose reference, completed by a column's default, names another tenant's row", async () => {
    const other = await call(client, 'insert_order_lines', { rows: [{ id: 11, order_no: 2, item: 'y' }] });
    expect(other.isError, textOf(other)).toBe(true);
    expect(textOf(other)).toMatch(/must reference an existing row of orders that you can see/);
    expect(await lines()).toEqual(['10:eu/1']);
    const own = await call(client, 'insert_order_lines', { rows: [{ id: 12, order_no: 3, item: 'y' }] });
    expect(own.isError, textOf(own)).toBeFalsy();
    expect(await lines()).toEqual(['10:eu/1', '12:eu/3']);
  });
});
