/**
 * Attack: a write checks each foreign key it sets against the caller's rows of the target — when policy describes
 * that key. A key towards a column policy hides (here `customers.code`), or towards a scoped table policy does not
 * expose, is not described, so only the database's own constraint checked it: blind to tenants, it accepted another
 * tenant's customer, and success or failure told whether a hidden code exists in any tenant. A reference conexor
 * cannot check within scope must not be settable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const TENANT = 1;
const OTHER = 2;

describe.each(DIALECTS)('references conexor cannot check (%s)', (dialect) => {
  let db: TestDatabase;
  const opened: Conexor[] = [];

  async function insertOrder(options: ConexorOptions, code: string): Promise<string> {
    const cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, scope: { columns: ['tenant_id'], values: () => ({ tenant_id: TENANT }) }, ...options });
    opened.push(cx);
    const client = await connectClient(cx.createServer());
    const result = await call(client, 'insert_orders', { rows: [{ id: 100, customer_code: code }] });
    await db.knex('orders').where('id', 100).delete();
    return `${result.isError ? 'error' : 'ok'}: ${textOf(result)}`;
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wunc');
    if (dialect === 'sqlite') await db.knex.raw('PRAGMA foreign_keys = ON');
    await db.knex.schema.createTable('customers', (t) => {
      t.bigInteger('id').primary();
      t.integer('tenant_id').notNullable();
      t.string('code', 20).notNullable().unique({ indexName: 'customers_code_unique' });
    });
    await db.knex.schema.createTable('orders', (t) => {
      t.bigInteger('id').primary();
      t.integer('tenant_id').notNullable();
      t.string('customer_code', 20).references('code').inTable('customers').withKeyName('orders_customer_code_fk');
    });
    await db.knex('customers').insert([
      { id: 1, tenant_id: TENANT, code: 'OWN-1' },
      { id: 2, tenant_id: OTHER, code: 'OTHER-2' },
    ]);
  }, 60_000);
  afterAll(async () => {
    for (const cx of opened) await cx.close();
    await db?.destroy();
  });

  it("refuses a reference towards a hidden column of a scoped table, another tenant's value as a missing one", async () => {
    const options: ConexorOptions = { hiddenColumns: { customers: ['code'] } };
    const other = await insertOrder(options, 'OTHER-2');
    expect(other).toMatch(/^error/);
    expect(other).toBe(await insertOrder(options, 'NONE'));
  });

  it('refuses a reference towards a scoped table policy does not expose', async () => {
    const options: ConexorOptions = { tables: { exclude: ['customers'] } };
    const other = await insertOrder(options, 'OTHER-2');
    expect(other).toMatch(/^error/);
    expect(other).toBe(await insertOrder(options, 'NONE'));
  });
});
