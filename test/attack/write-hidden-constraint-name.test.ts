/**
 * Attack: a write breaking a unique key on a hidden column (here filled by its default) is told which key — by
 * the constraint's name when no visible field names it. PostgreSQL names such a key after its column
 * (`badges_secret_token_key`), MariaDB after its column too (`secret_token`): the error spelled out the hidden
 * column's name, which must appear nowhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('a constraint on a hidden column (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_whcn');
    await db.knex.raw(
      `CREATE TABLE badges (id ${dialect === 'sqlite' ? 'bigint' : 'int'} PRIMARY KEY, label varchar(20), secret_token varchar(20) NOT NULL DEFAULT 'fixed' UNIQUE)`,
    );
    await db.knex('badges').insert([{ id: 1, label: 'a' }]);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' }, hiddenColumns: { badges: ['secret_token'] } });
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });

  it('is reported without the hidden column in any name', async () => {
    const client = await connectClient(cx.createServer());
    const result = await call(client, 'insert_badges', { rows: [{ id: 2, label: 'b' }] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/unique/);
    expect(textOf(result)).not.toMatch(/secret|token/i);
  });
});
