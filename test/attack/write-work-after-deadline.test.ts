/**
 * Attack: a write call is answered with a timeout at the statement limit plus a grace, and its transaction is
 * rolled back — once its work ends. An insert of 100 rows runs 100 statements (plus reference checks), each within
 * the limit: past the deadline it kept running them all, holding its connection and its locks for up to
 * 100 × the limit after the caller was told it had failed; a few such calls exhaust the pool for every tenant. Past
 * the deadline, no further statement may start. (PostgreSQL: a trigger slows each row; a sequence, which rollback
 * does not undo, counts the rows attempted.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe('a write past its deadline (postgresql)', () => {
  let db: TestDatabase;
  let cx: Conexor;

  const attempts = async () => Number(((await db.knex.raw('SELECT last_value FROM attempts')) as { rows: { last_value: string }[] }).rows[0]?.last_value);

  beforeAll(async () => {
    db = await createTestDatabase('postgresql', 'cx_wdl');
    await db.knex.schema.createTable('items', (t) => {
      t.bigInteger('id').primary();
    });
    await db.knex.raw('CREATE SEQUENCE attempts');
    await db.knex.raw(`CREATE FUNCTION slow_row() RETURNS trigger AS $$ BEGIN PERFORM nextval('attempts'); PERFORM pg_sleep(0.15); RETURN NEW; END $$ LANGUAGE plpgsql`);
    await db.knex.raw('CREATE TRIGGER slow_row BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION slow_row()');
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, statementTimeoutMs: 400 });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('starts no statement once the caller has been answered', async () => {
    const client = await connectClient(cx.createServer());
    const result = await call(client, 'insert_items', { rows: Array.from({ length: 100 }, (_, id) => ({ id })) });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/did not answer in time/);
    // The statement under way when the deadline passed ends within the limit (400 ms); then none may follow.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const settled = await attempts();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await attempts()).toBe(settled);
    expect(settled).toBeLessThan(100);
    expect(Number((await db.knex('items').count({ n: '*' }))[0]?.n)).toBe(0);
  }, 60_000);
});
