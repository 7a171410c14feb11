/**
 * Attack: a destructive write above `confirmAbove` asks the user, then runs "only if the same number of rows still
 * matches". While the user decided, another call (the same model, concurrently) moved one row out of the filter and
 * another in: still three rows, so the confirmed delete removed a row the user was never asked about. The change
 * must run only on the rows that matched when the user was asked.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('rows swapped while the user confirms (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;

  const statuses = async () => (await db.knex('tickets').select('id', 'status').orderBy('id')).map((row: { id: unknown; status: string }) => `${Number(row.id)}:${row.status}`);

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wswap');
    await db.knex.schema.createTable('tickets', (t) => {
      t.bigInteger('id').primary();
      t.string('status', 10).notNullable();
    });
    await db.knex('tickets').insert([1, 2, 3].map((id) => ({ id, status: 'open' })));
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' } });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('changes nothing when the same number of other rows matches after the answer', async () => {
    const client = new Client({ name: 'asks-the-user', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async () => {
      await db.knex('tickets').where('id', 3).update({ status: 'held' });
      await db.knex('tickets').insert({ id: 4, status: 'open' });
      return { action: 'accept', content: { confirm: true } };
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await Promise.all([cx.createServer().connect(serverTransport), client.connect(clientTransport)]);
    const result = await call(client, 'delete_tickets', { where: [{ field: 'status', op: 'eq', value: 'open' }], max_affected: 10 });
    expect(result.isError, textOf(result)).toBe(true);
    expect(textOf(result)).toMatch(/matching rows changed while the user was confirming/);
    expect(await statuses()).toEqual(['1:open', '2:open', '3:held', '4:open']);
  });
});
