/**
 * Attack: a filtered write first finds and locks its rows (`SELECT … FOR UPDATE`). On MariaDB/MySQL under the
 * default REPEATABLE READ, a locking read that scans (a `where` on a column without an index, the tenant column
 * included) locks every row it examines — every tenant's — until the transaction ends. One tenant's slow write
 * thus blocked another tenant's update of its own row until its lock wait ran out: a tenant could stall the others'
 * writes at will. Only the rows a write reaches may be locked. (PostgreSQL locks only the rows it returns; SQLite's
 * write transaction holds the whole database, as documented.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe('a slow write of one tenant and another tenant\'s write (mysql)', () => {
  let db: TestDatabase;
  let first: Conexor;
  let second: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase('mysql', 'cx_wlock');
    await db.knex.raw('CREATE TABLE tickets (id bigint PRIMARY KEY, tenant_id int NOT NULL, status varchar(10) NOT NULL, slow int NOT NULL DEFAULT 0)');
    await db.knex.raw('CREATE TRIGGER slow_t BEFORE UPDATE ON tickets FOR EACH ROW BEGIN IF NEW.slow = 1 THEN DO SLEEP(2); END IF; END');
    await db.knex('tickets').insert([
      { id: 1, tenant_id: 1, status: 'open' },
      { id: 2, tenant_id: 2, status: 'open' },
    ]);
    const options = (tenant: number, statementTimeoutMs: number) => ({
      writes: true,
      catalog: { mode: 'typed' as const },
      statementTimeoutMs,
      scope: { columns: ['tenant_id'], values: () => ({ tenant_id: tenant }) },
    });
    first = await createConexor(db.knex, options(1, 5_000));
    second = await createConexor(db.knex, options(2, 700));
  }, 60_000);
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await db?.destroy();
  });

  it("does not lock the other tenant's rows", async () => {
    const slow = call(await connectClient(first.createServer()), 'update_tickets', { where: [{ field: 'status', op: 'eq', value: 'open' }], set: { slow: 1 }, max_affected: 5 });
    // Inside the first write's 2 s trigger, well past its locking read.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const other = await call(await connectClient(second.createServer()), 'update_tickets_by_id', { id: 2, set: { status: 'closed' } });
    expect(other.isError, textOf(other)).toBeFalsy();
    expect((await slow).isError, textOf(await slow)).toBeFalsy();
    expect((await db.knex('tickets').select('id', 'status', 'slow').orderBy('id')).map((row: { id: number; status: string; slow: number }) => `${row.id}:${row.status}:${row.slow}`)).toEqual(['1:open:1', '2:closed:0']);
  });
});
