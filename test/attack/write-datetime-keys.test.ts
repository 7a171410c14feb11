/**
 * Attack: a write finds the keys of the rows it reaches, then changes and re-reads the rows by those keys. The keys
 * came back through the driver: a `timestamp(6)` / `datetime(6)` key as a JavaScript Date, which keeps
 * milliseconds only. Bound back, `at IN (…123)` names a *different* row than the `…123456` one the call matched
 * (or none): a filtered update or delete changed a row its `where` did not reach, and an insert's result showed
 * another row's values. Every key must reach exactly the row it was read from.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

describe.each(DIALECTS)('write keys with sub-millisecond date-times (%s)', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  let client: Client;

  // The instants as text, so no driver rounds them on the way to the assertion.
  const state = async (): Promise<Record<string, number>> => {
    const at = { sqlite: 'at', postgresql: 'CAST(at AS text)', mysql: 'CAST(at AS CHAR)' }[dialect];
    const rows = (await db.knex('readings').select(db.knex.raw(`${at} AS at`), 'value').orderBy('at')) as { at: string; value: number }[];
    // PostgreSQL's text drops trailing zeros of the fraction: six digits everywhere.
    const text = (at: string) => at.replace('T', ' ').replace(/\.(\d+)$/, (_, digits: string) => `.${digits.padEnd(6, '0')}`);
    return Object.fromEntries(rows.map((row) => [text(row.at), Number(row.value)]));
  };

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wdt');
    const type = { sqlite: 'datetime', postgresql: 'timestamp(6)', mysql: 'datetime(6)' }[dialect];
    await db.knex.raw(`CREATE TABLE readings (device_id int NOT NULL, at ${type} NOT NULL, value int NOT NULL, PRIMARY KEY (device_id, at))`);
    cx = await createConexor(db.knex, { writes: true, catalog: { mode: 'typed' } });
    client = await connectClient(cx.createServer());
  }, 60_000);
  afterAll(async () => {
    await cx?.close();
    await db?.destroy();
  });
  beforeEach(async () => {
    await db.knex('readings').delete();
    await db.knex('readings').insert([
      { device_id: 1, at: '2024-01-01 00:00:00.123456', value: 1 },
      { device_id: 1, at: '2024-01-01 00:00:00.123000', value: 2 },
    ]);
  });

  it('a filtered update changes the row it matched, not one a millisecond key names', async () => {
    const result = await call(client, 'update_readings', { where: [{ field: 'value', op: 'eq', value: 1 }], set: { value: 99 }, max_affected: 1 });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(await state()).toEqual({ '2024-01-01 00:00:00.123000': 2, '2024-01-01 00:00:00.123456': 99 });
    expect((result.structuredContent as { rows: { value: number }[] }).rows.map((row) => row.value)).toEqual([99]);
  });

  it('a filtered delete removes the row it matched, and only that row', async () => {
    const result = await call(client, 'delete_readings', { where: [{ field: 'value', op: 'eq', value: 1 }], max_affected: 1 });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(await state()).toEqual({ '2024-01-01 00:00:00.123000': 2 });
  });

  it("an insert's result shows the new row, not another row its key rounds to", async () => {
    const result = await call(client, 'insert_readings', { rows: [{ device_id: 1, at: '2024-01-01T00:00:00.123789', value: 3 }] });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { rows: { value: number }[] }).rows.map((row) => row.value)).toEqual([3]);
  });
});
