import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { textOf } from '../support/mcp.js';

const SLOW: Record<string, string> = {
  postgresql: 'CREATE VIEW slow AS SELECT 1 AS x FROM pg_sleep(0.6)',
  mysql: 'CREATE VIEW slow AS SELECT SLEEP(0.6) AS x',
  sqlite: `CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS x FROM c`,
};

describe.each(DIALECTS)('the pool guard in front of execution on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await db.knex.raw(SLOW[dialect] as string);
    await db.knex.schema.createTable('fast', (table) => table.increments('id'));
  });
  afterAll(() => db?.destroy());

  // On SQLite (better-sqlite3) the slow call runs in a worker process, so the next call arrives while it runs.
  it('fails a call fast when the database is saturated, and serves again afterwards', async () => {
    const cx = await createConexor(db.knex, { concurrency: { maxConcurrent: 1, maxQueued: 0 } });
    let slowSettled = false;
    const slow = cx.callTool('query_slow').finally(() => (slowSettled = true));
    // Let the slow call take the only slot before the next one arrives.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await cx.callTool('count_fast');
    // Refused while the slow call still holds the slot: it did not wait for it.
    expect(slowSettled).toBe(false);
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/busy/i);
    expect((await slow).isError).toBeFalsy();
    expect((await cx.callTool('count_fast')).structuredContent).toEqual({ count: 0 });
  });

  it('queues within the bound instead of failing', async () => {
    const cx = await createConexor(db.knex, { concurrency: { maxConcurrent: 1, maxQueued: 10, queueTimeoutMs: 5_000 } });
    const results = await Promise.all(Array.from({ length: 8 }, () => cx.callTool('count_fast')));
    for (const result of results) expect(result.structuredContent).toEqual({ count: 0 });
  });
});
