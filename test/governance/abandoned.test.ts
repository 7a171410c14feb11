import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor } from '../../src/index.js';
import { DIALECTS, MYSQL_URL, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { textOf } from '../support/mcp.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Knex on the test database with a single pooled connection. */
function singleConnection(db: TestDatabase): Knex {
  if (db.dialect === 'sqlite') return db.knex; // in-memory SQLite already has a pool of one
  if (db.dialect === 'postgresql') {
    const config = db.knex.client.config as Knex.Config;
    return knexFactory({ ...config, pool: { min: 0, max: 1 } });
  }
  const url = new URL(MYSQL_URL);
  url.pathname = `/${db.schema}`;
  return knexFactory({ client: 'mysql2', connection: url.toString(), pool: { min: 0, max: 1 } });
}

describe.each(DIALECTS)('a call that timed out never runs later on %s', (dialect) => {
  let db: TestDatabase;
  let knex: Knex;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await db.knex.schema.createTable('items', (table) => {
      table.increments('id');
      table.string('name');
    });
    await db.knex('items').insert([{ name: 'a' }, { name: 'b' }]);
    knex = singleConnection(db);
  });
  afterAll(async () => {
    if (knex && knex !== db.knex) await knex.destroy();
    await db?.destroy();
  });

  it('answers with a timeout while the pool is held, and its query never reaches the database afterwards', async () => {
    const cx = await createConexor(knex, { statementTimeoutMs: 200 });
    // The host holds the only connection in a transaction of its own.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const host = knex.transaction(async (trx) => {
      await trx.raw('SELECT 1');
      await held;
    });
    await sleep(100);
    const queries: string[] = [];
    const record = (query: { sql: string }) => void queries.push(query.sql);
    knex.on('query', record);
    try {
      // Answered while the host still holds the connection: the deadline, not the connection, ended the call.
      const result = await cx.callTool('count_items');
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/did not answer in time/);
      release();
      await host;
      await sleep(300);
      // The abandoned call got the connection after the host released it, and gave it back without reading.
      expect(queries.filter((sql) => /items/i.test(sql))).toEqual([]);
      expect((await cx.callTool('count_items')).structuredContent).toEqual({ count: 2 });
    } finally {
      release();
      knex.off('query', record);
    }
  });
});
