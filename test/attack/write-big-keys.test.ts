/**
 * Attack: an insert learns its new row's key from `INSERT … RETURNING` and reads the row back by it. An
 * auto-increment `bigint` key past 2^53 came back as a JavaScript number (better-sqlite3 and mysql2 without their
 * exact-integer options), rounded to the neighbouring key: the result showed — and the audit named — another row.
 * Reads of keys elsewhere use the drivers' exact modes; the insert's must too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, functionSink, type AuditEvent, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('an insert keyed past 2^53 (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  const events: AuditEvent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wbig');
    await db.knex.schema.createTable('items', (t) => {
      t.bigIncrements('id');
      t.string('name', 20).notNullable();
    });
    // The next key the database gives is 2^53 + 1, which no JavaScript number holds.
    await db.knex('items').insert([{ id: db.knex.raw('9007199254740992'), name: 'neighbour' }]);
    if (dialect === 'postgresql') await db.knex.raw(`SELECT setval(pg_get_serial_sequence('items', 'id'), 9007199254740992)`);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, audit: { sinks: [functionSink((batch) => void events.push(...batch))] } });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('shows and audits the new row, not the one its key rounds to', async () => {
    const client = await connectClient(cx.createServer());
    const result = await call(client, 'insert_items', { rows: [{ name: 'new' }] });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { rows: unknown[] }).rows).toEqual([{ id: '9007199254740993', name: 'new' }]);
    expect(events.at(-1)?.keys).toEqual([{ id: '9007199254740993' }]);
  });
});
