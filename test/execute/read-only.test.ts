import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createConexor } from '../../src/index.js';
import { createReadOnlyRunner } from '../../src/execute/read-only.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';
import { expectWritesRefused } from '../support/read-only.js';

const SLOW_VIEW: Record<string, string> = {
  postgresql: 'CREATE VIEW slow AS SELECT 1 AS x FROM pg_sleep(10)',
  mysql: 'CREATE VIEW slow AS SELECT SLEEP(10) AS x',
  sqlite: `CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000)
           SELECT count(*) AS x FROM c`,
};

describe.each(DIALECTS)('read-only backstop on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await db.knex.schema.createTable('notes', (table) => {
      table.increments('id');
      table.string('body');
    });
    await db.knex('notes').insert([{ body: 'a' }, { body: 'b' }]);
  });
  afterAll(() => db?.destroy());

  it('the database itself refuses writes inside the read-only session', async () => {
    const runner = await createReadOnlyRunner(db.knex, dialect, 5_000);
    onTestFinished(() => runner.close());
    await expectWritesRefused(runner, 'notes');
    const rows = await db.knex('notes').orderBy('id');
    expect(rows.map((row: { body: string }) => row.body)).toEqual(['a', 'b']);
  });

  it('the host keeps writing on the same Knex, before, during and after tool calls', async () => {
    const conexor = await createConexor(db.knex);
    const client = await connectClient(conexor.createServer());
    const writes = Array.from({ length: 20 }, (_, index) => db.knex('notes').insert({ body: `host-${index}` }));
    const reads = Array.from({ length: 20 }, () => call(client, 'count_notes'));
    const results = await Promise.all([...writes, ...reads]);
    for (const result of results.slice(20)) expect((result as { isError?: boolean }).isError).toBeFalsy();
    await db.knex('notes').insert({ body: 'after' });
    const [{ n }] = (await db.knex('notes').count({ n: '*' })) as [{ n: number | string }];
    expect(Number(n)).toBe(2 + 20 + 1);
    const final = await call(client, 'count_notes');
    expect(final.structuredContent).toEqual({ count: 23 });
    await db.knex('notes').where('body', 'like', 'host-%').orWhere('body', 'after').delete();
  });
});

describe('the statement time limit stops slow queries on the server', () => {
  it('postgresql: statement_timeout cancels the query and nothing keeps running', async () => {
    const db = await createTestDatabase('postgresql');
    try {
      await db.knex.raw(SLOW_VIEW.postgresql as string);
      const conexor = await createConexor(db.knex, { statementTimeoutMs: 300 });
      const result = await conexor.callTool('query_slow');
      expect(result.isError).toBe(true);
      // The database's own limit stopped it (the Node deadline would say "did not answer in time").
      expect(textOf(result)).toMatch(/statement time limit/);
      // Only this test's own view: other files run their own `slow` views in parallel on the same server.
      const running = async () =>
        Number(
          (
            await db.knex.raw(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE ? AND pid <> pg_backend_pid()",
              [`%"${db.schema}"."slow"%`],
            )
          ).rows[0].n,
        );
      await expect.poll(running, { timeout: 1_000 }).toBe(0);
      // SET LOCAL ended with the transaction: the host's sessions keep their own setting.
      const setting = await db.knex.raw('SHOW statement_timeout');
      expect(setting.rows[0].statement_timeout).toBe('0');
    } finally {
      await db.destroy();
    }
  });

  it('mysql: the statement limit interrupts the query and the session limit is restored', async () => {
    const db = await createTestDatabase('mysql');
    try {
      await db.knex.raw(SLOW_VIEW.mysql as string);
      // One connection, so the same session serves the tool call and the check afterwards.
      const single = knexFactory({ client: 'mysql2', connection: db.knex.client.config.connection, pool: { min: 1, max: 1 } });
      try {
        const conexor = await createConexor(single, { statementTimeoutMs: 300 });
        const result = await conexor.callTool('query_slow');
        expect(result.isError).toBe(true);
        // The database's own limit stopped it (the Node deadline would say "did not answer in time").
        expect(textOf(result)).toMatch(/statement time limit/);
        const [rows] = (await single.raw('SELECT @@SESSION.max_statement_time AS t')) as [{ t: number | string }[]];
        expect(Number(rows[0]?.t)).toBe(0);
        // Only this test's own database: other files run their own `slow` views in parallel on the same server.
        const running = async () => {
          const [processes] = (await db.knex.raw(
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE '%`slow`%' AND ID <> CONNECTION_ID()",
            [db.schema],
          )) as [{ n: number }[]];
          return Number(processes[0]?.n);
        };
        await expect.poll(running, { timeout: 1_000 }).toBe(0);
      } finally {
        await single.destroy();
      }
    } finally {
      await db.destroy();
    }
  });

  it('sqlite (sqlite3 driver): the query is interrupted at the limit and query_only is lifted', async () => {
    const knex = knexFactory({ client: 'sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    try {
      await knex.raw(SLOW_VIEW.sqlite as string);
      await knex.schema.createTable('notes', (table) => table.increments('id'));
      const conexor = await createConexor(knex, { statementTimeoutMs: 300 });
      const result = await conexor.callTool('query_slow');
      expect(result.isError).toBe(true);
      // The database's own limit stopped it (the Node deadline would say "did not answer in time").
      expect(textOf(result)).toMatch(/statement time limit/);
      await knex('notes').insert({});
      const [{ n }] = (await knex('notes').count({ n: '*' })) as [{ n: number }];
      expect(Number(n)).toBe(1);
    } finally {
      await knex.destroy();
    }
  });
});
