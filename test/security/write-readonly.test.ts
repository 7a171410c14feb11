import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import knexFactory, { type Knex } from 'knex';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import type { ReadOnlyRunner } from '../../src/execute/read-only.js';
import { rowsOf } from '../../src/introspect/shared.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { connectClient, textOf } from '../support/mcp.js';
import { expectWritesRefused } from '../support/read-only.js';
import { affectedOf, callTool } from '../support/writes.js';

/**
 * With writes on, a read tool still cannot change anything — proven by the database, not by conexor's own checks.
 * PostgreSQL and MariaDB: a view whose column calls a function that INSERTs into `hits`. Selecting from the view in
 * an ordinary session inserts (shown first, so the trap is live); through `query_v`, `count_v` and `aggregate_v`
 * every call must fail as read-only and `hits` stays empty, while the write tools of the same server do write.
 * SQLite has no user function that writes: the conexor's own read runner, with writes on, must refuse an insert,
 * an update and a delete in its session (in memory and on a file).
 */

const BASE_ROWS = [{ body: 'a' }, { body: 'b' }, { body: 'c' }];

async function hits(knex: Knex): Promise<number> {
  const [row] = rowsOf<{ n: number | string }>(await knex.raw('SELECT COUNT(*) AS n FROM hits'));
  return Number(row?.n);
}

const TRAPS: Record<'postgresql' | 'mysql', readonly string[]> = {
  postgresql: [
    'CREATE TABLE hits (id serial PRIMARY KEY)',
    'CREATE FUNCTION bump() RETURNS int LANGUAGE sql VOLATILE AS $$ INSERT INTO hits DEFAULT VALUES RETURNING 1 $$',
    'CREATE VIEW v AS SELECT bump() AS x, id, body FROM base',
  ],
  // Binary logging is off on the test server (log_bin=OFF), so creating a function that modifies data needs no
  // log_bin_trust_function_creators; the first test checks that.
  mysql: [
    'CREATE TABLE hits (id int AUTO_INCREMENT PRIMARY KEY)',
    'CREATE FUNCTION bump() RETURNS int MODIFIES SQL DATA BEGIN INSERT INTO hits () VALUES (); RETURN 1; END',
    'CREATE VIEW v AS SELECT bump() AS x, id, body FROM base',
  ],
};

describe.each(['postgresql', 'mysql'] as const)('read tools with writes on cannot write on %s (a view over a writing function)', (dialect) => {
  let db: TestDatabase;
  let conexor: Conexor;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wro');
    await db.knex.schema.createTable('base', (t) => {
      t.increments('id');
      t.string('body', 100);
    });
    await db.knex('base').insert(BASE_ROWS);
    for (const statement of TRAPS[dialect]) await db.knex.raw(statement);
    conexor = await createConexor(db.knex, { logger: pino({ level: 'silent' }), audit: false, writes: true });
    client = await connectClient(conexor.createServer());
  });

  afterAll(async () => {
    await client?.close();
    await conexor?.close();
    await db?.destroy();
  });

  it('the trap is live: reading the view in an ordinary session inserts into hits', async () => {
    if (dialect === 'mysql') {
      const [binlog] = rowsOf<{ Value: string }>(await db.knex.raw("SHOW VARIABLES LIKE 'log_bin'"));
      expect(binlog?.Value, 'binary logging on: CREATE FUNCTION would need log_bin_trust_function_creators').toBe('OFF');
    }
    await db.knex.raw('SELECT * FROM v');
    expect(await hits(db.knex)).toBe(BASE_ROWS.length);
    await db.knex('hits').delete();
    expect(await hits(db.knex)).toBe(0);
  });

  it('exposes the view with read tools only, and the base table with write tools', () => {
    const names = conexor.tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['query_v', 'count_v', 'aggregate_v', 'insert_base', 'update_base_by_id', 'delete_base']));
    expect(names.filter((name) => /^(insert|update|delete)_v\b/.test(name))).toEqual([]);
    for (const name of ['query_v', 'count_v', 'aggregate_v']) {
      expect(conexor.tools.find((tool) => tool.name === name)?.annotations?.readOnlyHint, name).toBe(true);
    }
  });

  it('every read of the view fails as read-only, and hits stays empty', async () => {
    const calls: [string, Record<string, unknown>][] = [
      ['query_v', {}],
      ['query_v', { columns: ['x'] }],
      ['query_v', { where: [{ field: 'x', op: 'eq', value: 1 }] }],
      ['query_v', { order_by: [{ field: 'x' }], limit: 1 }],
      ['count_v', {}],
      ['count_v', { where: [{ field: 'x', op: 'gt', value: 0 }] }],
      ['aggregate_v', {}],
      ['aggregate_v', { metrics: [{ fn: 'sum', field: 'x' }] }],
      ['aggregate_v', { group_by: ['x'] }],
    ];
    for (const [name, args] of calls) {
      const result = await callTool(client, name, args);
      expect(result.isError, `${name} ${JSON.stringify(args)} must fail: ${textOf(result)}`).toBe(true);
      expect(textOf(result), name).toMatch(/read-only/);
      expect(await hits(db.knex), `${name} wrote`).toBe(0);
    }
  });

  it('while the write tools of the same server write, and reads of the base table still answer', async () => {
    const inserted = await callTool(client, 'insert_base', { rows: [{ body: 'd' }] });
    expect(affectedOf(inserted)).toBe(1);
    expect(affectedOf(await callTool(client, 'update_base_by_id', { id: 1, set: { body: 'A' } }))).toBe(1);
    const counted = await callTool(client, 'count_base', {});
    expect(counted.structuredContent).toEqual({ count: BASE_ROWS.length + 1 });
    // The read after a write is read-only again.
    expect((await callTool(client, 'count_v', {})).isError).toBe(true);
    expect(await hits(db.knex)).toBe(0);
  });
});

describe('read tools with writes on cannot write on sqlite (the conexor read runner)', () => {
  let directory: string;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'cx-wro-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  async function prove(knex: Knex): Promise<void> {
    await knex.schema.createTable('notes', (t) => {
      t.increments('id');
      t.string('body', 100);
    });
    await knex('notes').insert([{ body: 'a' }, { body: 'b' }]);
    const conexor = await createConexor(knex, { logger: pino({ level: 'silent' }), audit: false, writes: true });
    const client = await connectClient(conexor.createServer());
    try {
      expect(conexor.tools.map((tool) => tool.name)).toContain('insert_notes');
      // The runner every read tool of this conexor runs on (private: reached as the tests of the runner do).
      const runner = (conexor as unknown as { runner: ReadOnlyRunner }).runner;
      expect(typeof runner.run).toBe('function');
      await expectWritesRefused(runner, 'notes');
      expect((await knex('notes').orderBy('id')).map((row: { body: string }) => row.body)).toEqual(['a', 'b']);
      // Writes through the write tools still work, and the read runner still refuses afterwards.
      expect(affectedOf(await callTool(client, 'insert_notes', { rows: [{ body: 'c' }] }))).toBe(1);
      await expectWritesRefused(runner, 'notes');
      expect((await callTool(client, 'count_notes', {})).structuredContent).toEqual({ count: 3 });
      expect((await knex('notes').orderBy('id')).map((row: { body: string }) => row.body)).toEqual(['a', 'b', 'c']);
    } finally {
      await client.close();
      await conexor.close();
    }
  }

  it('in memory', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      await prove(db.knex);
    } finally {
      await db.destroy();
    }
  });

  it('on a file', async () => {
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(directory, 'notes.db') }, useNullAsDefault: true });
    try {
      await prove(knex);
    } finally {
      await knex.destroy();
    }
  });
});
