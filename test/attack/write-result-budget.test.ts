/**
 * Attack: every result stays within `maxResultBytes` (guarantee 6): a query past it keeps the rows that fit and says
 * the rest are truncated. A write's result listed up to `maxRows` changed rows with their new values and no byte
 * budget: a filtered update of 100 rows holding long text (each value cut to `maxValueChars`, still 8 kB a row)
 * answered 1.6 MB — 25 times the budget, flooding the model's context. A write must list the rows that fit and
 * count the rest as not listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const BUDGET = 65_536;

describe.each(DIALECTS)('the size of a write result (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wbud');
    await db.knex.schema.createTable('docs', (t) => {
      t.bigInteger('id').primary();
      t.text('a');
      t.text('b');
      t.integer('flag').notNullable();
    });
    const big = 'x'.repeat(5_000);
    for (let batch = 0; batch < 10; batch += 1) {
      await db.knex('docs').insert(Array.from({ length: 10 }, (_, index) => ({ id: batch * 10 + index, a: big, b: big, flag: 0 })));
    }
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, maxResultBytes: BUDGET });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('stays within maxResultBytes, counting the rows it does not list', async () => {
    const client = await connectClient(cx.createServer());
    const result = await call(client, 'update_docs', { where: [{ field: 'flag', op: 'eq', value: 0 }], set: { flag: 1 }, max_affected: 100 });
    expect(result.isError, textOf(result).slice(0, 200)).toBeFalsy();
    expect(Buffer.byteLength(textOf(result)) + Buffer.byteLength(JSON.stringify(result.structuredContent))).toBeLessThanOrEqual(BUDGET);
    const structured = result.structuredContent as { affected: number; rows: unknown[]; unlisted?: number };
    expect(structured.affected).toBe(100);
    expect(structured.rows.length).toBeGreaterThan(0);
    expect(structured.rows.length + (structured.unlisted ?? 0)).toBe(100);
    expect(Number((await db.knex('docs').where('flag', 1).count({ n: '*' }))[0]?.n)).toBe(100);
  });
});
