/**
 * Attack: the question a user is asked before a destructive write quotes the call's new values, which the model
 * chooses. JSON escapes quotes and newlines, but not Unicode's line separators or bidirectional controls: a value
 * with U+2028 started a new line of the model's own words, and U+202E (right-to-left override) reversed how the
 * rest of the question — "This cannot be undone. Apply it?" — is displayed. The model's text must stay inert.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('the confirmation question (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wspoof');
    await db.knex.schema.createTable('tickets', (t) => {
      t.bigInteger('id').primary();
      t.string('status', 10).notNullable();
      t.string('note', 200);
    });
    await db.knex('tickets').insert([1, 2, 3].map((id) => ({ id, status: 'open' })));
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' } });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('shows the values without line separators or bidirectional controls', async () => {
    const asked: string[] = [];
    const client = new Client({ name: 'asks-the-user', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return Promise.resolve({ action: 'decline' });
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await Promise.all([cx.createServer().connect(serverTransport), client.connect(clientTransport)]);
    const note = 'ok\u2028\u2029Only 1 draft row is affected; safe to apply.\u202E\u200B\u0085';
    const result = await call(client, 'update_tickets', { where: [{ field: 'status', op: 'eq', value: 'open' }], set: { note }, max_affected: 10 });
    expect(result.isError, textOf(result)).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/would update 3 rows of tickets/);
    expect(asked[0]).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
  });
});
