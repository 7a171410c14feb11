/**
 * SQLite dates stored as numbers (issue 10, part 1). Knex with better-sqlite3 or sqlite3 stores a JavaScript `Date` as
 * epoch milliseconds; conexor detects each date column's storage at introspection and compiles comparisons, relative
 * times, buckets, metrics and rendering to match. Rows are inserted through Knex as a user would, and asked through a
 * real MCP client; PostgreSQL and MariaDB, whose date types are real, get the same rows and must give the same answers.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, introspect } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const NOW = new Date('2026-11-24T10:15:00Z');
const DAY = 86_400_000;
/** Order instants: 1, 3, 10, 40 and 70 days before now (Nov 23, Nov 21, Nov 14, Oct 15, Sep 15). */
const CREATED = [1, 3, 10, 40, 70].map((days) => new Date(NOW.getTime() - days * DAY));
const MONTHS = [
  { created_at_month: '2026-09-01', n: 1 },
  { created_at_month: '2026-10-01', n: 1 },
  { created_at_month: '2026-11-01', n: 3 },
];

type Structured = Record<string, unknown> & { rows?: Record<string, unknown>[]; count?: number; notes?: string[] };

function structured(result: CallToolResult): Structured {
  if (result.isError) throw new Error(textOf(result));
  return result.structuredContent as Structured;
}

/** The orders table as a user writes it with Knex, filled with `Date` objects. */
async function createOrders(knex: Knex): Promise<void> {
  await knex.schema.createTable('orders', (t) => {
    t.increments('id');
    t.datetime('created_at');
    t.date('shipped_on');
  });
  await knex('orders').insert(CREATED.map((created, index) => ({ id: index + 1, created_at: created, shipped_on: new Date(created.toISOString().slice(0, 10)) })));
}

async function clientOn(knex: Knex): Promise<Client> {
  const conexor = await createConexor(knex, { clock: () => NOW, timeZone: 'UTC', catalog: { mode: 'typed' } });
  return connectClient(conexor.createServer());
}

async function genericClientOn(knex: Knex): Promise<Client> {
  const conexor = await createConexor(knex, { clock: () => NOW, timeZone: 'UTC', catalog: { mode: 'compact' } });
  return connectClient(conexor.createServer());
}

/** Instants compared as instants: MariaDB's DATETIME has no zone and renders without `Z` (the server runs in UTC). */
const instant = (value: unknown) => new Date(/[Z+]/.test(String(value)) ? String(value) : `${String(value)}Z`).toISOString();

const weekAgo = [{ field: 'created_at', op: 'gte', value: { ago: { days: 7 } } }];
const byMonth = { group_by: [{ field: 'created_at', bucket: 'month' }], metrics: [{ fn: 'count', as: 'n' }] };

/** The answers every dialect must give on the orders rows. */
async function ordersAnswers(client: Client, generic: Client) {
  const rows = structured(await call(client, 'query_orders', { columns: ['id', 'created_at', 'shipped_on'], order_by: [{ field: 'id' }] })).rows ?? [];
  return {
    weekCount: structured(await call(client, 'count_orders', { where: weekAgo })).count,
    genericWeekCount: structured(await call(generic, 'count', { table: 'orders', where: weekAgo })).count,
    months: structured(await call(client, 'aggregate_orders', byMonth)).rows,
    genericMonths: structured(await call(generic, 'aggregate', { table: 'orders', ...byMonth })).rows,
    sinceNovember: structured(await call(client, 'count_orders', { where: [{ field: 'created_at', op: 'gte', value: '2026-11-01' }] })).count,
    beforeOct20: structured(await call(client, 'count_orders', { where: [{ field: 'created_at', op: 'lt', value: '2026-10-20T00:00:00Z' }] })).count,
    between: structured(
      await call(client, 'count_orders', { where: [{ field: 'created_at', op: 'between', value: [CREATED[3]?.toISOString(), CREATED[1]?.toISOString()] }] }),
    ).count,
    shippedEq: structured(await call(client, 'count_orders', { where: [{ field: 'shipped_on', op: 'eq', value: '2026-11-14' }] })).count,
    shippedRecent: structured(await call(client, 'count_orders', { where: [{ field: 'shipped_on', op: 'gte', value: { ago: { days: 7 } } }] })).count,
    latest: (structured(await call(client, 'aggregate_orders', { metrics: [{ fn: 'max', field: 'created_at', as: 'latest' }, { fn: 'min', field: 'shipped_on', as: 'first' }] })).rows ?? []).map(
      (row) => ({ ...row, latest: instant(row.latest) }),
    ),
    created: rows.map((row) => instant(row.created_at)),
    shipped: rows.map((row) => row.shipped_on),
  };
}

const EXPECTED = {
  weekCount: 2,
  genericWeekCount: 2,
  months: MONTHS,
  genericMonths: MONTHS,
  sinceNovember: 3,
  beforeOct20: 2,
  between: 3,
  shippedEq: 1,
  shippedRecent: 2,
  latest: [{ latest: CREATED[0]?.toISOString(), first: '2026-09-15' }],
  created: CREATED.map((date) => date.toISOString()),
  shipped: CREATED.map((date) => date.toISOString().slice(0, 10)),
};

describe.each(['better-sqlite3', 'sqlite3'])('SQLite dates stored by Knex through %s', (driver) => {
  let knex: Knex;
  let client: Client;
  let generic: Client;

  beforeAll(async () => {
    knex = knexFactory({ client: driver, connection: { filename: ':memory:' }, useNullAsDefault: true });
    await createOrders(knex);
    // Epoch seconds, Julian days, and a column holding both numbers and text, as other programs write them.
    await knex.schema.createTable('events', (t) => {
      t.integer('id').primary();
      t.datetime('at_s');
      t.datetime('at_julian');
      t.datetime('at_mixed');
    });
    await knex('events').insert(
      CREATED.map((created, index) => ({
        id: index + 1,
        at_s: Math.floor(created.getTime() / 1000),
        at_julian: created.getTime() / DAY + 2440587.5,
        at_mixed: index % 2 === 0 ? created.getTime() : created.toISOString().replace('T', ' ').slice(0, 19),
      })),
    );
    client = await clientOn(knex);
    generic = await genericClientOn(knex);
  });
  afterAll(() => knex.destroy());

  it('detects each column storage at introspection', async () => {
    const model = await introspect(knex);
    const storage = (table: string, column: string) => model.tables.find((t) => t.name === table)?.columns.find((c) => c.name === column)?.storage;
    expect([storage('orders', 'created_at'), storage('orders', 'shipped_on')]).toEqual(['epoch_ms', 'epoch_ms']);
    expect([storage('events', 'at_s'), storage('events', 'at_julian'), storage('events', 'at_mixed')]).toEqual(['epoch_s', 'julian', 'mixed']);
  });

  it('answers filters, relative times, buckets, metrics and rendering on epoch milliseconds', async () => {
    expect(await ordersAnswers(client, generic)).toEqual(EXPECTED);
  });

  it('answers on epoch seconds and Julian days alike', async () => {
    for (const field of ['at_s', 'at_julian']) {
      const where = [{ field, op: 'gte', value: { ago: { days: 7 } } }];
      expect(structured(await call(client, 'count_events', { where })).count, field).toBe(2);
      const months = structured(await call(client, 'aggregate_events', { group_by: [{ field, bucket: 'month' }], metrics: [{ fn: 'count', as: 'n' }] })).rows;
      expect(months, field).toEqual(MONTHS.map(({ created_at_month, n }) => ({ [`${field}_month`]: created_at_month, n })));
      const rows = structured(await call(client, 'query_events', { columns: ['id', field], order_by: [{ field: 'id' }] })).rows ?? [];
      // Julian days are floats: within a millisecond.
      rows.forEach((row, index) => expect(Math.abs(Date.parse(String(row[field])) - (CREATED[index]?.getTime() ?? 0)), field).toBeLessThanOrEqual(field === 'at_s' ? 999 : 1));
      const absolute = [{ field, op: 'lt', value: '2026-10-20T00:00:00Z' }];
      expect(structured(await call(client, 'count_events', { where: absolute })).count, field).toBe(2);
    }
  });

  it('reads a mixed column value by value and says so in the result', async () => {
    const where = [{ field: 'at_mixed', op: 'gte', value: { ago: { days: 7 } } }];
    const count = structured(await call(client, 'count_events', { where }));
    expect(count.count).toBe(2);
    expect(count.notes?.[0]).toMatch(/at_mixed stores dates both as numbers and as text/);
    const months = structured(await call(client, 'aggregate_events', { group_by: [{ field: 'at_mixed', bucket: 'month' }], metrics: [{ fn: 'count', as: 'n' }] }));
    expect(months.rows).toEqual(MONTHS.map(({ created_at_month, n }) => ({ at_mixed_month: created_at_month, n })));
    const rows = structured(await call(client, 'query_events', { columns: ['id', 'at_mixed'], order_by: [{ field: 'at_mixed', direction: 'desc' }] }));
    expect(rows.rows?.map((row) => Date.parse(String(row.at_mixed)))).toEqual(CREATED.map((date) => date.getTime()));
    expect(textOf(await call(client, 'query_events', { columns: ['at_mixed'] }))).toContain('Note: at_mixed stores dates');
    // Columns stored one way carry no note.
    expect(structured(await call(client, 'count_orders', { where: weekAgo })).notes).toBeUndefined();
  });

  it('buckets epoch instants in the configured time zone', async () => {
    const tokyo = await connectClient((await createConexor(knex, { clock: () => NOW, timeZone: 'Asia/Tokyo', catalog: { mode: 'typed' } })).createServer());
    const days = structured(await call(tokyo, 'aggregate_orders', { group_by: [{ field: 'created_at', bucket: 'hour' }], metrics: [{ fn: 'count', as: 'n' }], limit: 1 }));
    // 2026-09-15T10:15Z is 19:15 in Tokyo.
    expect(days.rows).toEqual([{ created_at_hour: '2026-09-15T19:00:00', n: 1 }]);
    const paris = await connectClient((await createConexor(knex, { clock: () => NOW, timeZone: 'Europe/Paris', catalog: { mode: 'typed' } })).createServer());
    // 2026-09-15 is summer time (+02:00), 2026-11-14 winter time (+01:00).
    const hours = structured(await call(paris, 'aggregate_orders', { group_by: [{ field: 'created_at', bucket: 'hour' }], metrics: [{ fn: 'count', as: 'n' }] }));
    expect(hours.rows?.map((row) => row.created_at_hour)).toEqual(['2026-09-15T12:00:00', '2026-10-15T12:00:00', '2026-11-14T11:00:00', '2026-11-21T11:00:00', '2026-11-23T11:00:00']);
  });
});

describe.each(DIALECTS.filter((dialect) => dialect !== 'sqlite'))('the same rows on %s', (dialect) => {
  let db: TestDatabase;
  let client: Client;
  let generic: Client;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'dates');
    await createOrders(db.knex);
    client = await clientOn(db.knex);
    generic = await genericClientOn(db.knex);
  });
  afterAll(() => db.destroy());

  it('gives the answers SQLite gives', async () => {
    expect(await ordersAnswers(client, generic)).toEqual(EXPECTED);
  });
});
