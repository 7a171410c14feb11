/**
 * Attack: TableCatalog.find resolves a generic tool's `table` over every exposed table, and only then checks that
 * the caller may use the one it found. On a case-sensitive database (PostgreSQL; MariaDB with
 * lower_case_table_names=0) with tables `orders` and `Orders`, a caller restricted to `orders` gets rows for
 * `table: "ORDERS"` only when `Orders` does not exist: the forbidden table makes the case-folded spelling ambiguous
 * (and `"Orders"` hits it exactly), so the call is refused. The answer for a spelling thus depends on whether a
 * table the caller may not use exists — an existence oracle, against "a table it may not use is refused exactly like
 * one that does not exist". Compared here with the same caller on the same database where `Orders` is excluded by
 * the base policy (i.e. does not exist for conexor): every answer must be byte-identical.
 * SQLite has case-insensitive table names and cannot hold both tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { textOf } from '../support/mcp.js';

describe.each(['postgresql', 'mysql'] as const)('case-folded table names and a forbidden table (%s)', (dialect) => {
  let db: TestDatabase;
  let withForbidden: Conexor;
  let without: Conexor;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_fold');
    await db.knex.schema.createTable('orders', (t) => {
      t.increments('id');
      t.integer('total');
    });
    await db.knex.schema.createTable('Orders', (t) => {
      t.increments('id');
      t.string('secret_note');
    });
    await db.knex('orders').insert([{ total: 10 }, { total: 20 }]);
    await db.knex('Orders').insert([{ secret_note: 'x' }]);
    const callerPolicy = () => ({ tables: ['orders'] });
    withForbidden = await createConexor(db.knex, { catalog: { mode: 'compact' }, callerPolicy });
    without = await createConexor(db.knex, { catalog: { mode: 'compact' }, callerPolicy, tables: { exclude: ['Orders'] } });
  }, 60_000);
  afterAll(async () => {
    await withForbidden?.close();
    await without?.close();
    await db?.destroy();
  });

  it('answers every spelling of the allowed table the same whether or not a forbidden case-variant exists', async () => {
    for (const table of ['orders', 'ORDERS', 'Orders', `${db.schema}.Orders`, `${db.schema.toUpperCase()}.ORDERS`]) {
      for (const tool of ['count', 'query'] as const) {
        const a = await withForbidden.callTool(tool, { table });
        const b = await without.callTool(tool, { table });
        expect(`${tool} ${table}: ${textOf(a)}`).toBe(`${tool} ${table}: ${textOf(b)}`);
      }
    }
  });
});
