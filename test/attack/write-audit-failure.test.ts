/**
 * Attack: with `onFailure: 'deny'` (the default) a call whose audit event cannot be recorded "is refused". A write
 * was recorded only after its transaction had committed: when the sink failed, the row was already inserted,
 * updated or deleted, yet the model was told the call was not answered and to retry — a committed change without
 * its audit event, reported as a failure (a retried insert then inserts twice). A refused write must change nothing.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConexor, functionSink, type AuditEvent, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('a write whose audit event cannot be recorded (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  let client: Client;
  let failing = false;
  const written: AuditEvent[] = [];

  const rows = async () => (await db.knex('items').select('id', 'name').orderBy('id')).map((row: { id: number | string; name: string }) => `${Number(row.id)}:${row.name}`);

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_waud');
    await db.knex.schema.createTable('items', (t) => {
      t.bigInteger('id').primary();
      t.string('name', 20).notNullable();
    });
    const sink = functionSink((batch) => {
      if (failing) throw new Error('the audit database is down');
      written.push(...batch);
    });
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, audit: { sinks: [sink] } });
    client = await connectClient(cx.createServer());
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });
  beforeEach(async () => {
    failing = false;
    written.length = 0;
    await db.knex('items').delete();
    await db.knex('items').insert([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
  });

  it('is refused and changes nothing: insert, update and delete', async () => {
    failing = true;
    for (const [tool, args] of [
      ['insert_items', { rows: [{ id: 3, name: 'c' }] }],
      ['update_items_by_id', { id: 1, set: { name: 'z' } }],
      ['update_items', { where: [{ field: 'name', op: 'eq', value: 'b' }], set: { name: 'y' }, max_affected: 1 }],
      ['delete_items_by_id', { id: 2 }],
    ] as const) {
      const result = await call(client, tool, args);
      expect(result.isError, tool).toBe(true);
      expect(textOf(result)).toMatch(/could not be recorded/);
      expect(await rows(), tool).toEqual(['1:a', '2:b']);
    }
  });

  it('is recorded once when the sink works', async () => {
    const result = await call(client, 'update_items_by_id', { id: 1, set: { name: 'z' } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(await rows()).toEqual(['1:z', '2:b']);
    // PostgreSQL and MariaDB return a bigint key as text.
    const keys = (event: AuditEvent) => event.keys?.map((key) => Number(key.id));
    expect(written.map((event) => [event.tool, event.outcome, event.rowCount, keys(event)])).toEqual([['update_items_by_id', 'ok', 1, [1]]]);
  });
});
