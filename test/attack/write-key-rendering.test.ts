/**
 * Attack (consistency): a write reports its rows' keys — a delete's result, every write's audit `keys` — as the
 * driver returned them: a `bigint` key was the number 1 on SQLite but the text "1" on PostgreSQL and MariaDB.
 * Query results render the same values alike on every dialect; the keys of a write must too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, functionSink, type AuditEvent, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('the keys a write reports (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  const events: AuditEvent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wkr');
    await db.knex.schema.createTable('items', (t) => {
      t.bigInteger('id').primary();
      t.string('name', 20);
    });
    await db.knex('items').insert([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, audit: { sinks: [functionSink((batch) => void events.push(...batch))] } });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('are rendered like query results on every dialect', async () => {
    const client = await connectClient(cx.createServer());
    const query = await call(client, 'query_items', { where: [{ field: 'id', op: 'eq', value: 1 }] });
    expect((query.structuredContent as { rows: unknown[] }).rows).toEqual([{ id: 1, name: 'a' }]);
    const updated = await call(client, 'update_items_by_id', { id: 1, set: { name: 'z' } });
    expect(updated.isError, textOf(updated)).toBeFalsy();
    const deleted = await call(client, 'delete_items_by_id', { id: 2 });
    expect(deleted.structuredContent).toEqual({ affected: 1, rows: [{ id: 2 }] });
    expect(events.filter((event) => event.keys).map((event) => event.keys)).toEqual([[{ id: 1 }], [{ id: 2 }]]);
  });
});
