/**
 * Attack: a write runs under the statement limit, and a call past the limit plus a grace is answered "The database
 * did not answer in time; nothing was changed". PostgreSQL runs deferred constraint triggers at COMMIT, which the
 * statement limit did not stop: with a slow deferred trigger the caller was told nothing had changed, and the
 * commit then went through. (SQLite and MariaDB have no deferred triggers.) A timed-out write must not commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe('a write whose deferred trigger outlasts the statement limit (postgresql)', () => {
  let db: TestDatabase;
  let cx: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase('postgresql', 'cx_wdef');
    await db.knex.schema.createTable('items', (t) => {
      t.bigInteger('id').primary();
      t.integer('slow').notNullable();
    });
    await db.knex.raw(`CREATE FUNCTION slowdown() RETURNS trigger AS $$ BEGIN IF NEW.slow = 1 THEN PERFORM pg_sleep(4); END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await db.knex.raw('CREATE CONSTRAINT TRIGGER slow_t AFTER INSERT OR UPDATE ON items DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slowdown()');
    await db.knex('items').insert([{ id: 1, slow: 0 }]);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, statementTimeoutMs: 300 });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('is refused and never commits later', async () => {
    const client = await connectClient(cx.createServer());
    const result = await call(client, 'update_items_by_id', { id: 1, set: { slow: 1 } });
    expect(result.isError, textOf(result)).toBe(true);
    // Past the trigger's sleep: a commit still under way would have finished by now.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect((await db.knex('items').select('slow'))[0]?.slow).toBe(0);
  }, 30_000);
});
