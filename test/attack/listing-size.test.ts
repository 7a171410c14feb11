/**
 * Attack: "every tool description stays under 2 KB". The lookup tool of a composite unique key names every key
 * field in its description, unbounded: a unique key of 32 columns (PostgreSQL's and MariaDB's maximum) with
 * 63-character names gives a `query_<t>_by_…` description of about 2.1 KB, which Claude Code cuts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

describe.each(DIALECTS)('tool description sizes (%s)', (dialect) => {
  let db: TestDatabase;
  const columns = Array.from({ length: 32 }, (_, i) => `${String(i).padStart(2, '0')}_${'measurement_dimension_attribute_component_identifier_value'.padEnd(60, 's')}`);
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_size');
    await db.knex.schema.createTable('readings', (t) => {
      t.increments('id');
      for (const column of columns) t.integer(column).notNullable();
      t.unique(columns, { indexName: 'readings_wide_key' });
    });
  }, 60_000);
  afterAll(async () => db?.destroy());

  it('keeps every listed tool description within 2 KB, whatever the mode', async () => {
    expect(columns.every((column) => column.length === 63)).toBe(true);
    for (const mode of ['typed', 'auto', 'compact'] as const) {
      const cx = await createConexor(db.knex, { catalog: { mode } });
      for (const tool of await cx.listTools()) {
        expect(Buffer.byteLength(tool.description ?? ''), `${mode} ${tool.name}`).toBeLessThanOrEqual(2_048);
      }
      await cx.close();
    }
  });
});
