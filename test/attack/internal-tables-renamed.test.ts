/**
 * Attack: conexor never exposes its own tables — the API keys and the audit trail — but recognised them only by
 * their default names. Created under another name in the served database (`createApiKeyTable(knex, 'service_keys')`,
 * `knexSink(knex, { table: 'activity_log' })`, both supported), they were exposed like any table, and with `writes`
 * the model could update its keys (`revoked_at`, `expires_at`, `policy`: un-revoke a key, lift its restrictions)
 * and delete audit events. They must stay out of reach whatever their name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyTable, createAuditTable, createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { connectClient } from '../support/mcp.js';

describe.each(DIALECTS)("conexor's own tables under other names (%s)", (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wint');
    await createApiKeyTable(db.knex, 'service_keys');
    await createAuditTable(db.knex, 'activity_log');
    await db.knex.schema.createTable('orders', (t) => {
      t.bigInteger('id').primary();
      t.string('status', 10);
    });
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' } });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('exposes neither the keys table nor the audit table, for reads or writes', async () => {
    const client = await connectClient(cx.createServer());
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('update_orders_by_id');
    expect(names.filter((name) => /service_keys|activity_log/.test(name))).toEqual([]);
  });
});
