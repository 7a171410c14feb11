/**
 * Attack (high): a caller policy that forbids two things with negated globs — `tools: ['!aggregate_*', '!*_regions*']`,
 * the CLI's `--tool '!aggregate_*' --tool '!*_regions*'` — forbids nothing. `compile` (src/policy/caller.ts) hands the
 * list to picomatch as one matcher, which allows a name when ANY pattern matches; every name fails at most one of
 * the negations, so every tool matches the other one. docs/policy.md shows `!aggregate_*` as the way to keep a key
 * from analytics; adding a second exclusion silently gives back aggregate, the excluded table (directly, through a
 * `relation.field` path several hops deep, through `has`) and its listing. Same for `tables: ['!regions', '!payroll']`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { textOf } from '../support/mcp.js';

describe('several negated tool globs in a caller policy', () => {
  let db: TestDatabase;
  let cx: Conexor;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'cx_negs');
    await db.knex.schema.createTable('regions', (t) => {
      t.increments('id');
      t.string('name');
    });
    await db.knex.schema.createTable('customers', (t) => {
      t.increments('id');
      t.string('name');
      t.integer('region_id').references('id').inTable('regions');
      t.integer('parent_id').references('id').inTable('customers');
    });
    await db.knex('regions').insert([{ id: 1, name: 'SECRETREGION' }]);
    await db.knex('customers').insert([{ id: 1, name: 'Ada', region_id: 1, parent_id: 1 }]);
    cx = await createConexor(db.knex, { catalog: { mode: 'compact' }, callerPolicy: () => ({ tools: ['!aggregate_*', '!*_regions*'] }) });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('keeps aggregate away', async () => {
    const result = await cx.callTool('aggregate', { table: 'customers', metrics: [{ fn: 'count', as: 'n' }] });
    expect(result.isError, textOf(result)).toBe(true);
  });

  it('keeps regions away: directly, through a multi-hop path, through has, from search_tables', async () => {
    const direct = await cx.callTool('query', { table: 'regions' });
    expect(textOf(direct)).not.toContain('SECRETREGION');
    const path = await cx.callTool('query', { table: 'customers', columns: ['id', 'parent.parent.region.name'] });
    expect(textOf(path)).not.toContain('SECRETREGION');
    const has = await cx.callTool('count', { table: 'customers', where: [{ has: 'parent', where: [{ has: 'region', where: [{ field: 'name', op: 'starts_with', value: 'SECRET' }] }] }] });
    expect(has.isError, textOf(has)).toBe(true);
    const search = await cx.callTool('search_tables', { pattern: 'regions' });
    expect(search.structuredContent).toMatchObject({ total: 0 });
  });
});

describe('several negated table globs in a caller policy', () => {
  let db: TestDatabase;
  let cx: Conexor;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'cx_negt');
    await db.knex.schema.createTable('regions', (t) => {
      t.increments('id');
      t.string('name');
    });
    await db.knex.schema.createTable('customers', (t) => {
      t.increments('id');
      t.integer('region_id').references('id').inTable('regions');
    });
    await db.knex.schema.createTable('payroll', (t) => {
      t.increments('id');
      t.integer('salary');
    });
    await db.knex('regions').insert([{ id: 1, name: 'SECRETREGION' }]);
    await db.knex('customers').insert([{ id: 1, region_id: 1 }]);
    cx = await createConexor(db.knex, { catalog: { mode: 'compact' }, callerPolicy: () => ({ tables: ['!regions', '!payroll'] }) });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('keeps both tables away, also through a path', async () => {
    expect(textOf(await cx.callTool('query', { table: 'regions' }))).not.toContain('SECRETREGION');
    expect(textOf(await cx.callTool('query', { table: 'customers', columns: ['region.name'] }))).not.toContain('SECRETREGION');
    expect((await cx.callTool('count', { table: 'payroll' })).isError).toBe(true);
  });
});
