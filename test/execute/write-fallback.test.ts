/**
 * The insert path of databases without `INSERT … RETURNING` (MySQL 8): a new row's key comes from the values given or
 * from the insert id, and its new values are read back by key. MariaDB ≥ 10.5 has RETURNING, so the path is forced
 * here on a real MariaDB by a runner that says it has none (the executor is the one conexor builds; only the
 * capability differs). PostgreSQL and SQLite always have RETURNING.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Executor } from '../../src/execute/execute.js';
import { createReadOnlyRunner } from '../../src/execute/read-only.js';
import { createWriteRunner } from '../../src/execute/read-write.js';
import { WriteExecutor } from '../../src/execute/write.js';
import { resolveOptions } from '../../src/policy/options.js';
import { applyPolicy } from '../../src/policy/policy.js';
import { introspect } from '../../src/introspect/index.js';
import { buildCatalog } from '../../src/tools/listing.js';
import { planInsert } from '../../src/plan/write.js';
import type { BoundTool } from '../../src/plan/bound.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

describe('inserts without RETURNING (the MySQL 8 path), on MariaDB', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('mysql', 'cx_fallback');
    await db.knex.schema.createTable('items', (t) => {
      t.increments('id').primary();
      t.string('name', 20).notNullable();
      t.string('kind', 10).notNullable().defaultTo('plain');
    });
    await db.knex.schema.createTable('codes', (t) => {
      t.string('code', 10).primary();
      t.integer('uses').notNullable().defaultTo(0);
    });
  });

  afterAll(async () => {
    await db?.destroy();
  });

  async function insert(table: string, rows: Record<string, unknown>[]) {
    const options = resolveOptions({ writes: true }, '0.0.0');
    const exposed = applyPolicy(await introspect(db.knex, {}), options);
    const entry = buildCatalog(exposed, options).tables.find(table);
    if (!entry) throw new Error(`no table ${table}`);
    const reads = await createReadOnlyRunner(db.knex, 'mysql', 5_000);
    const writes = await createWriteRunner(db.knex, 'mysql', 5_000);
    expect(writes.capabilities.insertReturning).toBe(true);
    const withoutReturning = { ...writes, capabilities: { insertReturning: false } };
    const writer = new WriteExecutor(db.knex, 'mysql', withoutReturning, new Executor(db.knex, 'mysql', reads), { references: () => [], referrers: () => [] });
    const tool = { name: `insert_${table}`, kind: 'insert', fields: entry.fields, key: [] } as unknown as BoundTool;
    try {
      return await writer.run(planInsert(tool, entry.exposed.access, { rows }), () => new Map(), { maxRows: 100, confirmAbove: 1 });
    } finally {
      await reads.close();
    }
  }

  it('reads the AUTO_INCREMENT key of each row from its insert id, and the new values by key', async () => {
    const outcome = await insert('items', [{ name: 'a' }, { name: 'b', kind: 'gift' }]);
    const stored = await db.knex('items').select('id', 'name', 'kind').orderBy('id');
    expect(outcome).toEqual({ kind: 'write', operation: 'insert', affected: 2, rows: stored, keys: stored.map(({ id }: { id: number }) => ({ id })), unlisted: 0 });
  });

  it('takes a given key as it is, and reads the defaults back', async () => {
    const outcome = await insert('codes', [{ code: 'X1' }]);
    expect(outcome.rows).toEqual([{ code: 'X1', uses: 0 }]);
    expect(outcome.keys).toEqual([{ code: 'X1' }]);
  });
});
