/**
 * Confirmation of destructive writes through MCP elicitation (issue 11), on every dialect with a real client: a
 * client that declares elicitation is asked before an update or delete of more than `confirmAbove` rows commits;
 * declined, unanswered or overtaken by a change of the matching rows, nothing changes. A client that cannot be
 * asked is not asked.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConexor, type Conexor, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const OPEN = [{ field: 'status', op: 'eq', value: 'open' }];

describe.each(DIALECTS)('write confirmation on %s', (dialect) => {
  let db: TestDatabase;
  const opened: Conexor[] = [];
  let asked: string[] = [];

  async function asking(answer: (message: string) => Promise<ElicitResult>, options: ConexorOptions = {}): Promise<Client> {
    const cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, ...options });
    opened.push(cx);
    const client = new Client({ name: 'asks-the-user', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return answer(request.params.message);
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await Promise.all([cx.createServer().connect(serverTransport), client.connect(clientTransport)]);
    return client;
  }

  const statuses = async () => (await db.knex('tickets').select('id', 'status').orderBy('id')).map((row: { id: number; status: string }) => `${row.id}:${row.status}`);

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_confirm');
    await db.knex.schema.createTable('tickets', (t) => {
      // Not INTEGER: on SQLite that would make it the rowid, filled by the database.
      t.bigInteger('id').primary();
      t.string('status', 10).notNullable();
    });
  });

  beforeEach(async () => {
    asked = [];
    await db.knex('tickets').delete();
    await db.knex('tickets').insert([1, 2, 3].map((id) => ({ id, status: 'open' })));
  });

  afterAll(async () => {
    for (const cx of opened) await cx.close();
    await db?.destroy();
  });

  it('asks before changing more rows than confirmAbove, and applies the change once accepted', async () => {
    const client = await asking(() => Promise.resolve({ action: 'accept', content: { confirm: true } }));
    const result = await call(client, 'update_tickets', { where: OPEN, set: { status: 'closed' }, max_affected: 10 });
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { affected: number }).affected).toBe(3);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBe('update_tickets would update 3 rows of tickets (id 1, 2, 3), setting {"status":"closed"}. This cannot be undone. Apply it?');
    expect(await statuses()).toEqual(['1:closed', '2:closed', '3:closed']);
    // One row (by key): within confirmAbove, not asked.
    await call(client, 'delete_tickets_by_id', { id: 1 });
    expect(asked).toHaveLength(1);
    expect(await statuses()).toEqual(['2:closed', '3:closed']);
  });

  it('changes nothing when the user declines, cancels or does not tick the box', async () => {
    for (const answer of [{ action: 'decline' }, { action: 'cancel' }, { action: 'accept', content: { confirm: false } }] as ElicitResult[]) {
      const client = await asking(() => Promise.resolve(answer));
      const result = await call(client, 'delete_tickets', { where: OPEN, max_affected: 10 });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('The user did not confirm this delete of 3 rows; nothing was changed.');
      expect(await statuses()).toEqual(['1:open', '2:open', '3:open']);
    }
  });

  it('changes nothing when the question stays unanswered past confirmTimeoutMs', async () => {
    const client = await asking(() => new Promise<ElicitResult>(() => undefined), { writes: { confirmTimeoutMs: 1_000 } });
    const result = await call(client, 'update_tickets', { where: OPEN, set: { status: 'closed' }, max_affected: 10 });
    expect(textOf(result)).toMatch(/did not confirm/);
    expect(await statuses()).toEqual(['1:open', '2:open', '3:open']);
  });

  it('changes nothing when the matching rows changed while the user was deciding', async () => {
    const client = await asking(async () => {
      await db.knex('tickets').insert({ id: 4, status: 'open' });
      return { action: 'accept', content: { confirm: true } };
    });
    const result = await call(client, 'update_tickets', { where: OPEN, set: { status: 'closed' }, max_affected: 10 });
    expect(textOf(result)).toBe('The matching rows changed while the user was confirming (3 confirmed, 4 now); nothing was changed. Call again.');
    expect(await statuses()).toEqual(['1:open', '2:open', '3:open', '4:open']);
  });

  it('asks for every destructive call with confirmAbove 0, and never for inserts', async () => {
    const client = await asking(() => Promise.resolve({ action: 'accept', content: { confirm: true } }), { writes: { confirmAbove: 0 } });
    await call(client, 'update_tickets_by_id', { id: 2, set: { status: 'held' } });
    await call(client, 'insert_tickets', { rows: [{ id: 9, status: 'open' }] });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/^update_tickets_by_id would update 1 rows of tickets \(id 2\), setting/);
    expect(await statuses()).toEqual(['1:open', '2:held', '3:open', '9:open']);
  });

  it('names at most ten rows by key in the question', async () => {
    await db.knex('tickets').insert([4, 5, 6, 7, 8, 9, 10, 11, 12].map((id) => ({ id, status: 'open' })));
    const client = await asking(() => Promise.resolve({ action: 'decline' }));
    await call(client, 'delete_tickets', { where: OPEN, max_affected: 20 });
    expect(asked[0]).toBe('delete_tickets would delete 12 rows of tickets (id 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …). This cannot be undone. Apply it?');
  });

  it('does not ask a client without the elicitation capability', async () => {
    const cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' } });
    opened.push(cx);
    const client = await connectClient(cx.createServer());
    const result = await call(client, 'update_tickets', { where: OPEN, set: { status: 'closed' }, max_affected: 10 });
    expect((result.structuredContent as { affected: number }).affected).toBe(3);
  });
});
