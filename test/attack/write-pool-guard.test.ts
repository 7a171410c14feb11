/**
 * Attack: the pool guard bounds the calls one conexor runs at once (`concurrency.maxConcurrent`, sized below the
 * Knex pool so the host's own queries keep a connection). With writes on, the write runner had a guard of its own,
 * as large: reads and writes together ran up to twice `maxConcurrent`, and could take every connection of the
 * host's pool. Reads and writes on the pool must share one guard. (better-sqlite3 reads run in worker processes,
 * not on the pool, and keep their own.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(['postgresql', 'mysql'] as const)('reads and writes under one pool guard (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wguard');
    await db.knex.schema.createTable('items', (t) => {
      t.bigInteger('id').primary();
      t.integer('slow').notNullable();
    });
    if (dialect === 'postgresql') {
      await db.knex.raw(`CREATE FUNCTION slowdown() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$ LANGUAGE plpgsql`);
      await db.knex.raw('CREATE TRIGGER slow_t BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION slowdown()');
    } else {
      await db.knex.raw('CREATE TRIGGER slow_t BEFORE UPDATE ON items FOR EACH ROW BEGIN DO SLEEP(1.5); END');
    }
    await db.knex('items').insert([{ id: 1, slow: 0 }]);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, concurrency: { maxConcurrent: 1, maxQueued: 0 } });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('refuses a read while a write holds the only slot', async () => {
    const client = await connectClient(cx.createServer());
    const write = call(client, 'update_items_by_id', { id: 1, set: { slow: 1 } });
    // Well inside the write's 1.5 s trigger.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const read = await call(client, 'query_items', {});
    expect(textOf(read)).toMatch(/database is busy/);
    expect((await write).isError, textOf(await write)).toBeFalsy();
  });
});
