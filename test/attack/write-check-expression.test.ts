/**
 * Attack: a write breaking a CHECK constraint is told which constraint — by name. SQLite names an unnamed CHECK by
 * its expression (`CHECK constraint failed: discount <= secret_cap`), and the error passed it on: SQL in an error,
 * and the name of a hidden column (with any literal the expression holds). PostgreSQL (`deals_check`) and MariaDB
 * (`CONSTRAINT_1`) name such a constraint without its expression; every dialect must.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('a CHECK constraint without a name (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wchk');
    await db.knex.raw('CREATE TABLE deals (id int PRIMARY KEY, discount int NOT NULL, secret_cap int NOT NULL, CHECK (discount <= secret_cap + 7))');
    await db.knex('deals').insert([{ id: 1, discount: 1, secret_cap: 5 }]);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, hiddenColumns: { deals: ['secret_cap'] } });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('is reported without its expression or the hidden column it reads', async () => {
    const client = await connectClient(cx.createServer());
    const result = await call(client, 'update_deals_by_id', { id: 1, set: { discount: 50 } });
    const text = textOf(result);
    expect(result.isError).toBe(true);
    expect(text).toMatch(/check constraint/);
    expect(text).not.toMatch(/secret_cap|<=|\+ 7/);
    expect((await db.knex('deals').select('discount'))[0]?.discount).toBe(1);
  });
});
