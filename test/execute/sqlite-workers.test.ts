/**
 * better-sqlite3 is synchronous and cannot be interrupted, so conexor runs its tool calls in worker processes that
 * are killed at `statementTimeoutMs`. These tests prove, on a file database and on an in-memory one, through real MCP
 * clients: the limit holds, the event loop keeps serving timers and other calls meanwhile (shown by the order in
 * which things happen, never by durations), a killed or crashed worker is replaced, nothing keeps running, and what
 * the host writes is what the next call reads.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, createConexor, type Conexor } from '../../src/index.js';
import { createReadOnlyRunner } from '../../src/execute/read-only.js';
import { sqliteWorkerStats } from '../../src/execute/sqlite-workers.js';
import { call, connectClient, textOf } from '../support/mcp.js';
import { expectWritesRefused } from '../support/read-only.js';

// About 3 s in process on the project machine: long enough to show blocking, short enough not to hang a run.
const SLOW_VIEW = `CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000)
  SELECT count(*) AS x FROM c`;
const NOTES = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Fixture {
  readonly knex: Knex;
  destroy(): Promise<void>;
}

function fileDatabase(): Fixture & { readonly file: string; readonly directory: string } {
  const directory = mkdtempSync(join(tmpdir(), 'conexor-sqlite-'));
  const file = join(directory, 'app.sqlite');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  return {
    knex,
    file,
    directory,
    async destroy() {
      await knex.destroy();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function memoryDatabase(): Fixture {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  return { knex, destroy: () => knex.destroy() };
}

async function seed(knex: Knex): Promise<void> {
  await knex.raw(SLOW_VIEW);
  await knex.schema.createTable('notes', (table) => {
    table.increments('id');
    table.string('body');
    table.binary('data');
  });
  await knex('notes').insert(Array.from({ length: NOTES }, (_, index) => ({ body: `note ${index}`, data: Buffer.from([index, 255]) })));
}

/** Closes every conexor a test made, whatever happened, so worker counts start from zero in the next test. */
async function withConexors(test: (make: (knex: Knex, options?: Parameters<typeof createConexor>[1]) => Promise<Conexor>) => Promise<void>) {
  const made: Conexor[] = [];
  try {
    await test(async (knex, options) => {
      const cx = await createConexor(knex, options);
      made.push(cx);
      return cx;
    });
  } finally {
    for (const cx of made) await cx.close();
  }
}

describe.each([
  // A file is read through the worker's own connection: only committed data. An in-memory database is copied from
  // the host's connection, whose uncommitted writes the in-process path read too.
  ['a file database', fileDatabase, false],
  ['an in-memory database', memoryDatabase, true],
] as const)('better-sqlite3 on %s', (_label, open, readsUncommitted) => {
  let db: Fixture;
  beforeAll(async () => {
    db = open();
    await seed(db.knex);
  });
  afterAll(() => db?.destroy());

  it('stops a slow call at the limit while timers and other calls are served, then serves again with a fresh worker', async () => {
    await withConexors(async (make) => {
      // Two workers, so the fast call does not wait for the slow one's.
      const cx = await make(db.knex, { statementTimeoutMs: 300, concurrency: { maxConcurrent: 2 } });
      const slowClient = await connectClient(cx.createServer());
      const fastClient = await connectClient(cx.createServer());
      // Both workers started and holding the database, so starting one is not part of what follows.
      await Promise.all([call(fastClient, 'count_notes'), call(slowClient, 'count_notes')]);
      const before = sqliteWorkerStats();

      const order: string[] = [];
      const slow = call(slowClient, 'query_slow').finally(() => order.push('slow call settled'));
      await sleep(20);
      order.push('20 ms timer fired');
      const fast = await call(fastClient, 'count_notes');
      order.push('fast call answered');
      const result = await slow;

      expect(order).toEqual(['20 ms timer fired', 'fast call answered', 'slow call settled']);
      expect(fast.structuredContent).toEqual({ count: NOTES });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('The query exceeded the statement time limit and was stopped by the database. Narrow the filters or lower the limit.');
      expect(before.live).toBe(2);
      // The slow call's worker was killed: its process is gone, not running the statement on.
      expect(sqliteWorkerStats().busy).toBe(0);
      await expect.poll(() => sqliteWorkerStats().live).toBe(1);
      const killed = before.pids.filter((pid) => !sqliteWorkerStats().pids.includes(pid));
      expect(killed).toHaveLength(1);
      expect(() => process.kill(killed[0] as number, 0)).toThrow();

      // Both clients are served again, the second call by a fresh worker.
      const again = await Promise.all([call(slowClient, 'count_notes'), call(fastClient, 'query_notes', { limit: 1 })]);
      expect(again[0].structuredContent).toEqual({ count: NOTES });
      expect((again[1].structuredContent as { rows: unknown[] }).rows).toEqual([{ id: 1, body: 'note 0', data: Buffer.from([0, 255]).toString('base64') }]);
      expect(sqliteWorkerStats().live).toBe(2);
    });
    // close() stopped every worker: nothing is left running.
    await expect.poll(() => sqliteWorkerStats().live).toBe(0);
  });

  it('answers a call whose worker crashed with a clear error, and the next call with a fresh worker', async () => {
    await withConexors(async (make) => {
      const cx = await make(db.knex, { statementTimeoutMs: 10_000 });
      const pending = cx.callTool('query_slow');
      await expect.poll(() => sqliteWorkerStats().busy).toBe(1);
      for (const pid of sqliteWorkerStats().pids) process.kill(pid, 'SIGKILL');
      const crashed = await pending;
      expect(crashed.isError).toBe(true);
      expect(textOf(crashed)).toBe('The database is unavailable right now. Retry later.');
      expect((await cx.callTool('count_notes')).structuredContent).toEqual({ count: NOTES });
    });
    await expect.poll(() => sqliteWorkerStats().live).toBe(0);
  });

  it('the database itself refuses writes inside the read-only session', async () => {
    const runner = await createReadOnlyRunner(db.knex, 'sqlite', 5_000);
    try {
      await expectWritesRefused(runner, 'notes');
      expect((await db.knex('notes').orderBy('id')).map((row: { body: string }) => row.body)).toEqual(['note 0', 'note 1', 'note 2']);
    } finally {
      await runner.close();
    }
  });

  it('reads what the host wrote just before, and never a rolled-back write', async () => {
    await withConexors(async (make) => {
      const cx = await make(db.knex);
      const client = await connectClient(cx.createServer());
      const count = async () => (await call(client, 'count_notes')).structuredContent;
      expect(await count()).toEqual({ count: NOTES });
      const [id] = await db.knex('notes').insert({ body: 'written' });
      expect(await count()).toEqual({ count: NOTES + 1 });
      await db.knex('notes').where({ id }).update({ body: 'rewritten' });
      expect((await call(client, 'query_notes_by_id', { id })).structuredContent).toMatchObject({ row: { body: 'rewritten' } });
      await db.knex.transaction(async (trx) => {
        await trx('notes').where({ id }).delete();
      });
      expect(await count()).toEqual({ count: NOTES });

      // A transaction the host opened by hand and left open on the pooled connection; after the rollback its rows
      // are gone again, although SQLite's change counters still count them.
      const holder = db.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<void> };
      const connection = (await holder.acquireConnection()) as { exec(sql: string): void };
      connection.exec("BEGIN; INSERT INTO notes (body) VALUES ('uncommitted')");
      await holder.releaseConnection(connection);
      expect(await count()).toEqual({ count: readsUncommitted ? NOTES + 1 : NOTES });
      const again = (await holder.acquireConnection()) as { exec(sql: string): void };
      again.exec('ROLLBACK');
      await holder.releaseConnection(again);
      expect(await count()).toEqual({ count: NOTES });
    });
  });
});

describe('better-sqlite3 worker processes', () => {
  it('attach the attached database files the tools read, and fall back in process for an attached in-memory one', async () => {
    const main = fileDatabase();
    const other = join(main.directory, 'other.sqlite');
    try {
      await main.knex.raw(`ATTACH DATABASE '${other}' AS other`);
      await main.knex.raw('CREATE TABLE other.things (id INTEGER PRIMARY KEY, name TEXT)');
      await main.knex.raw("INSERT INTO other.things (name) VALUES ('attached')");
      await main.knex.raw("ATTACH DATABASE ':memory:' AS scratch");
      await main.knex.raw('CREATE TABLE scratch.bits (id INTEGER PRIMARY KEY)');
      await withConexors(async (make) => {
        const attached = await make(main.knex, { schemas: ['main', 'other'] });
        const tool = attached.tools.find((candidate) => candidate.name.startsWith('query_') && candidate.name.includes('things'));
        expect(tool).toBeDefined();
        const rows = (await attached.callTool(tool?.name ?? '')).structuredContent as { rows: { name: string }[] };
        expect(rows.rows.map((row) => row.name)).toEqual(['attached']);
        expect(sqliteWorkerStats().live).toBeGreaterThan(0);

        const warnings: string[] = [];
        const logger = { warn: (message: string) => void warnings.push(message), info: () => undefined, error: () => undefined, debug: () => undefined };
        const inProcess = await make(main.knex, {
          schemas: ['main', 'scratch'],
          logger,
          audit: false,
        } as unknown as Parameters<typeof createConexor>[1]);
        expect(warnings.join('\n')).toMatch(/attached database "scratch" is in memory/);
        const bits = inProcess.tools.find((candidate) => candidate.name.startsWith('count_') && candidate.name.includes('bits'));
        expect((await inProcess.callTool(bits?.name ?? '')).structuredContent).toEqual({ count: 0 });
      });
    } finally {
      await main.destroy();
    }
  });

  it('serve a database in WAL mode', async () => {
    const db = fileDatabase();
    try {
      await db.knex.raw('PRAGMA journal_mode = WAL');
      await db.knex.schema.createTable('notes', (table) => table.increments('id'));
      await db.knex('notes').insert({});
      await withConexors(async (make) => {
        const cx = await make(db.knex);
        await db.knex('notes').insert({});
        expect((await cx.callTool('count_notes')).structuredContent).toEqual({ count: 2 });
      });
    } finally {
      await db.destroy();
    }
  });

  it('make createConexor fail with a ConfigurationError when a worker cannot open the database', async () => {
    const db = fileDatabase();
    try {
      await db.knex.schema.createTable('notes', (table) => table.increments('id'));
      // The host keeps its open connection; a new connection cannot open the file any more.
      unlinkSync(db.file);
      const error = await createConexor(db.knex).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain(db.file);
      expect(sqliteWorkerStats().busy).toBe(0);
    } finally {
      await db.destroy();
    }
    await expect.poll(() => sqliteWorkerStats().live).toBe(0);
  });

  it('do not keep the host process alive when it never closes its conexor', () => {
    const directory = mkdtempSync(join(tmpdir(), 'conexor-exit-'));
    try {
      const script = join(directory, 'host.mts');
      const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
      const knexModule = createRequire(import.meta.url).resolve('knex');
      writeFileSync(
        script,
        `import knexFactory from ${JSON.stringify(knexModule)};
         import { createConexor } from ${JSON.stringify(index)};
         const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ${JSON.stringify(join(directory, 'db.sqlite'))} }, useNullAsDefault: true });
         await knex.schema.createTable('notes', (table) => table.increments('id'));
         const cx = await createConexor(knex, { audit: false });
         console.log(JSON.stringify((await cx.callTool('count_notes')).structuredContent));
         await knex.destroy();`,
      );
      const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        encoding: 'utf8',
        env: { ...process.env, CONEXOR_LOG_LEVEL: 'silent' },
        timeout: 25_000,
      });
      expect(run.error, 'the host process did not exit by itself').toBeUndefined();
      expect(run.stderr).toBe('');
      expect(run.stdout.trim()).toBe('{"count":0}');
      expect(run.status).toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
