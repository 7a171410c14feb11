/**
 * Attack: with `onFailure: 'deny'` (the default) a call whose audit event cannot be recorded "is not answered". A
 * write is recorded once its transaction has committed: when the sink failed, the row was already inserted, updated
 * or deleted, yet the model was told "The call was not answered … Retry later." — and a retried insert inserts
 * twice. Such a write must say it was applied (its result withheld), never invite a retry. Recording inside the
 * transaction instead would deadlock a sink writing through the same single-connection Knex (SQLite): every write
 * would fail after `sinkTimeoutMs`; the last case keeps that setup working.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuditTable, createConexor, functionSink, knexSink, type AuditEvent, type Conexor } from '../../src/index.js';
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

  it('says the change was applied, never to retry: insert, update and delete', async () => {
    failing = true;
    for (const [tool, args, after] of [
      ['insert_items', { rows: [{ id: 3, name: 'c' }] }, ['1:a', '2:b', '3:c']],
      ['update_items_by_id', { id: 1, set: { name: 'z' } }, ['1:z', '2:b', '3:c']],
      ['update_items', { where: [{ field: 'name', op: 'eq', value: 'b' }], set: { name: 'y' }, max_affected: 1 }, ['1:z', '2:y', '3:c']],
      ['delete_items_by_id', { id: 3 }, ['1:z', '2:y']],
    ] as const) {
      const result = await call(client, tool, args);
      expect(result.isError, tool).toBe(true);
      expect(textOf(result)).toBe('The change was applied, but the call could not be recorded in the audit trail, so its result is withheld. Do not repeat it.');
      expect(await rows(), tool).toEqual(after);
    }
  });

  it('keeps a refused read and a failed write as they were: not recorded, nothing applied', async () => {
    failing = true;
    const read = await call(client, 'query_items', {});
    expect(textOf(read)).toMatch(/not answered because it could not be recorded/);
    const refused = await call(client, 'insert_items', { rows: [{ id: 1, name: 'dup' }] });
    expect(textOf(refused)).toMatch(/not answered because it could not be recorded/);
    expect(await rows()).toEqual(['1:a', '2:b']);
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

describe('a write audited through the same single-connection Knex (sqlite)', () => {
  it('is applied and recorded', async () => {
    const db = await createTestDatabase('sqlite', 'cx_waud1');
    try {
      await db.knex.schema.createTable('items', (t) => {
        t.bigInteger('id').primary();
        t.string('name', 20).notNullable();
      });
      await createAuditTable(db.knex);
      const cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, audit: { sinks: [knexSink(db.knex)] } });
      try {
        const client = await connectClient(cx.createServer());
        const result = await call(client, 'insert_items', { rows: [{ id: 1, name: 'a' }] });
        expect(result.isError, textOf(result)).toBeFalsy();
        expect(await db.knex('items').count({ n: '*' })).toEqual([{ n: 1 }]);
        expect(await db.knex('conexor_audit').where('tool', 'insert_items').count({ n: '*' })).toEqual([{ n: 1 }]);
      } finally {
        await cx.close();
      }
    } finally {
      await db.destroy();
    }
  });
});
