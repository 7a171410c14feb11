/**
 * Attack: a JSON column takes any JSON value, and `in` takes a list. A value nested 20 000 arrays deep (40 kB,
 * well within the body limit) overflowed the stack — in the JSON validator, then in the audit redaction, which
 * runs outside the call's error handling: the client got a JSON-RPC internal error "Maximum call stack size
 * exceeded", and the call left no audit event (against "every call is on record, whatever its outcome"). A
 * hostile value must be refused as a tool error, on record, with nothing changed.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConexor, functionSink, type AuditEvent, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

describe.each(DIALECTS)('deeply nested values (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  let client: Client;
  const events: AuditEvent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_deep');
    await db.knex.schema.createTable('items', (t) => {
      t.bigInteger('id').primary();
      t.json('data');
    });
    await db.knex('items').insert([{ id: 1, data: null }]);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, audit: { sinks: [functionSink((batch) => void events.push(...batch))] } });
    client = await connectClient(cx.createServer());
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });
  beforeEach(() => {
    events.length = 0;
  });

  it('a JSON value 20 000 levels deep is refused as a tool error, on record, changing nothing', async () => {
    const result = await call(client, 'update_items_by_id', { id: 1, set: { data: nested(20_000) } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/data/);
    expect((await db.knex('items').select('data'))[0]?.data ?? null).toBeNull();
    expect(events.map((event) => [event.tool, event.outcome])).toEqual([['update_items_by_id', 'invalid']]);
  });

  it('a JSON value a few levels deep is stored', async () => {
    const result = await call(client, 'update_items_by_id', { id: 1, set: { data: nested(30) } });
    expect(result.isError, textOf(result)).toBeFalsy();
  });

  it('an in-list nested 20 000 levels deep is refused as a tool error, on record', async () => {
    const result = await call(client, 'query_items', { where: [{ field: 'id', op: 'in', value: nested(20_000) }] });
    expect(result.isError).toBe(true);
    expect(events.map((event) => [event.tool, event.outcome])).toEqual([['query_items', 'invalid']]);
  });
});
