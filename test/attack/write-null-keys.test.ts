/**
 * Attack: a table's write key is its primary key, else its first unique key — which may be nullable (and SQLite lets
 * even a non-rowid primary key hold NULL). A filtered write found the rows with a NULL key, then changed them with
 * `key IN (NULL)`, which matches nothing: it answered "updated 2 rows" (and audited their keys) while nothing had
 * changed. What a write reports must be what it did.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('writes on rows whose key is NULL (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wnk');
    await db.knex.schema.createTable('people', (t) => {
      t.string('email', 50).unique();
      t.string('name', 50).notNullable();
    });
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' } });
    client = await connectClient(cx.createServer());
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });
  beforeEach(async () => {
    await db.knex('people').delete();
    await db.knex('people').insert([
      { email: null, name: 'x' },
      { email: null, name: 'x' },
      { email: 'a@example.com', name: 'x' },
    ]);
  });

  it('a filtered update reports exactly the rows it changed', async () => {
    const result = await call(client, 'update_people', { where: [{ field: 'name', op: 'eq', value: 'x' }], set: { name: 'z' }, max_affected: 5 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const changed = Number((await db.knex('people').where('name', 'z').count({ n: '*' }))[0]?.n);
    expect((result.structuredContent as { affected: number }).affected).toBe(changed);
  });

  it('a filtered delete reports exactly the rows it deleted', async () => {
    const result = await call(client, 'delete_people', { where: [{ field: 'name', op: 'eq', value: 'x' }], max_affected: 5 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const deleted = 3 - Number((await db.knex('people').count({ n: '*' }))[0]?.n);
    expect((result.structuredContent as { affected: number }).affected).toBe(deleted);
  });
});
