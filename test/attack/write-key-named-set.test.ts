/**
 * Attack: the by-key update takes its key fields and `set` side by side. A table whose key column is named `set`
 * gave both the same name: the listing showed one `set` (required twice), the validator kept the `set` object, and
 * that object was bound as the key value — an object in a binding, the shape guarantee 5 refuses (a database error
 * on SQLite and MariaDB, `affected: 0` on PostgreSQL). The key and the new values must stay two arguments.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('a key column named set (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  let client: Client;
  let tool: Tool | undefined;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wset');
    await db.knex.schema.createTable('flags', (t) => {
      t.string('set', 20).primary();
      t.string('value', 20);
    });
    await db.knex('flags').insert([
      { set: 'a', value: '1' },
      { set: 'b', value: '2' },
    ]);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' } });
    client = await connectClient(cx.createServer());
    tool = (await client.listTools()).tools.find((candidate) => candidate.name === 'update_flags_by_set');
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('lists the key and set as two arguments', () => {
    const schema = tool?.inputSchema as { properties: Record<string, { type?: string }>; required: string[] };
    expect(Object.keys(schema.properties)).toHaveLength(2);
    expect(new Set(schema.required).size).toBe(2);
    expect(schema.properties.set?.type).toBe('object');
  });

  it('updates the row the key names, with the values of set', async () => {
    const key = Object.keys((tool?.inputSchema as { properties: Record<string, unknown> }).properties).find((name) => name !== 'set') ?? 'missing';
    const result = await call(client, 'update_flags_by_set', { [key]: 'a', set: { value: 'x' } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(await db.knex('flags').select('set', 'value').orderBy('set')).toEqual([
      { set: 'a', value: 'x' },
      { set: 'b', value: '2' },
    ]);
    const deleted = await call(client, 'delete_flags_by_set', { [key]: 'b' });
    expect((deleted.structuredContent as { affected: number }).affected, textOf(deleted)).toBe(1);
  });
});
