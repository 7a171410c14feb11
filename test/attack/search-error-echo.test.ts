/**
 * Attack: search_tables reports an unexpected argument with zod's own message, which quotes the argument's name
 * whole: a call with a 1 MB argument name gets a 1 MB error back (the generic tools cut such a name to 64
 * characters), past `maxResultBytes` and into the model's context. Dialect-independent; shown on SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { textOf } from '../support/mcp.js';

describe('search_tables errors', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    await db.knex.schema.createTable('orders', (t) => {
      t.increments('id');
    });
  });
  afterAll(async () => db?.destroy());

  it('keeps its error bounded whatever argument name it is sent, like the generic tools', async () => {
    const cx = await createConexor(db.knex, { catalog: { mode: 'compact' } });
    const hostile = 'k'.repeat(1_000_000);
    const search = await cx.callTool('search_tables', { [hostile]: 1 });
    const query = await cx.callTool('query', { table: 'orders', [hostile]: 1 });
    expect(search.isError).toBe(true);
    expect(query.isError).toBe(true);
    expect(textOf(query).length).toBeLessThan(1_024);
    expect(textOf(search).length).toBeLessThan(1_024);
    await cx.close();
  });
});
