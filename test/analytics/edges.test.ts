/**
 * Edge cases of issue 5 (aggregates, relations, server-resolved time), through a real MCP client, with the same
 * expected values on SQLite, PostgreSQL and MySQL/MariaDB: time buckets across month, quarter and year boundaries
 * and daylight-saving changes, relative times around those changes, empty results, NULL group keys, decimal sums
 * that must not drift, and relations through two foreign keys to one table and through a composite foreign key.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type ConexorOptions, type Dialect } from '../../src/index.js';
import { CASE_HINT } from '../../src/tools/case-hint.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

type Row = Record<string, unknown>;

interface ResolvedTime {
  now: string;
  time_zone: string;
  values: { at: string; field: string; input: unknown; resolved: string }[];
}

interface AggregateResult {
  rows: Row[];
  truncated: boolean;
  next_offset?: number;
  resolved_time?: ResolvedTime;
}

// Clocks, pinned. SPRING and FALL fall on the days Europe/Paris changes to and from summer time.
const UTC_CLOCK = '2026-11-17T10:15:42.900Z'; // 10:15:42 UTC
const SPRING_CLOCK = '2026-03-29T10:15:30.500Z'; // 12:15:30 CEST (+02:00), the day clocks jump 02:00 → 03:00
const FALL_CLOCK = '2026-10-25T12:00:00.000Z'; // 13:00:00 CET (+01:00), the day clocks go back 03:00 → 02:00

// Naive date-times ('YYYY-MM-DD HH:MM:SS') across hour, day, week, month, quarter and year boundaries, and a leap day.
const TICKS: [string | null, string | null][] = [
  ['2025-09-30 23:59:59', '2025-09-30'], // Tue, last second of Q3
  ['2025-10-01 00:00:00', '2025-10-01'], // Wed, first second of Q4, same ISO week
  ['2025-12-31 23:30:00', '2025-12-31'], // Wed
  ['2026-01-01 00:10:00', '2026-01-01'], // Thu, same ISO week as Dec 31
  ['2026-01-01 00:50:00', '2026-01-01'],
  ['2026-02-28 12:00:00', '2026-02-28'], // Sat
  ['2026-03-01 08:00:00', '2026-03-01'], // Sun, same ISO week as Feb 28
  ['2026-03-02 09:15:00', '2026-03-02'], // Mon, a new week
  ['2028-02-29 18:45:00', '2028-02-29'], // leap day, Tue
  ['2028-03-01 00:00:00', '2028-03-01'], // Wed, same week
  [null, null],
];

/** Expected `[bucket value, count]` per bucket, in default (ascending, NULL last) order. */
const TICK_BUCKETS: Record<string, [string | null, number][]> = {
  hour: [
    ['2025-09-30T23:00:00', 1],
    ['2025-10-01T00:00:00', 1],
    ['2025-12-31T23:00:00', 1],
    ['2026-01-01T00:00:00', 2],
    ['2026-02-28T12:00:00', 1],
    ['2026-03-01T08:00:00', 1],
    ['2026-03-02T09:00:00', 1],
    ['2028-02-29T18:00:00', 1],
    ['2028-03-01T00:00:00', 1],
    [null, 1],
  ],
  day: [
    ['2025-09-30', 1],
    ['2025-10-01', 1],
    ['2025-12-31', 1],
    ['2026-01-01', 2],
    ['2026-02-28', 1],
    ['2026-03-01', 1],
    ['2026-03-02', 1],
    ['2028-02-29', 1],
    ['2028-03-01', 1],
    [null, 1],
  ],
  week: [
    ['2025-09-29', 2],
    ['2025-12-29', 3],
    ['2026-02-23', 2],
    ['2026-03-02', 1],
    ['2028-02-28', 2],
    [null, 1],
  ],
  month: [
    ['2025-09-01', 1],
    ['2025-10-01', 1],
    ['2025-12-01', 1],
    ['2026-01-01', 2],
    ['2026-02-01', 1],
    ['2026-03-01', 2],
    ['2028-02-01', 1],
    ['2028-03-01', 1],
    [null, 1],
  ],
  quarter: [
    ['2025-07-01', 1],
    ['2025-10-01', 2],
    ['2026-01-01', 5],
    ['2028-01-01', 2],
    [null, 1],
  ],
  year: [
    ['2025-01-01', 3],
    ['2026-01-01', 5],
    ['2028-01-01', 2],
    [null, 1],
  ],
};

// Naive wall-clock times that do not exist (spring) or exist twice (fall) in Europe/Paris: taken as they are.
const WALLS = ['2026-03-29 01:59:00', '2026-03-29 02:30:00', '2026-03-29 03:10:00', '2026-10-25 02:10:00', '2026-10-25 02:50:00', '2026-10-25 03:00:00'];

// Naive date-times around the pinned clocks, for relative filters (ids 1…12).
const MOMENTS = [
  '2026-03-28 11:15:29',
  '2026-03-28 11:15:30',
  '2026-03-28 12:15:29',
  '2026-03-28 12:15:30',
  '2026-03-28 23:59:59',
  '2026-03-29 00:00:00',
  '2026-03-29 12:15:30',
  '2026-03-29 12:15:31',
  '2026-10-24 13:00:00',
  '2026-10-24 14:00:00',
  '2026-10-25 00:00:00',
  '2026-10-25 13:00:01',
];

// PostgreSQL timestamptz instants around both changes, and one that is next year in Paris (ids 1…17).
const INSTANTS = [
  '2026-03-28T22:59:00Z', // Paris 03-28 23:59 +01
  '2026-03-28T23:30:00Z', // Paris 03-29 00:30 +01
  '2026-03-29T00:30:00Z', // Paris 03-29 01:30 +01
  '2026-03-29T01:00:00Z', // Paris 03-29 03:00 +02 (02:00 never happens)
  '2026-03-29T01:30:00Z', // Paris 03-29 03:30 +02
  '2026-03-29T21:59:00Z', // Paris 03-29 23:59 +02
  '2026-03-29T22:00:00Z', // Paris 03-30 00:00 +02 (Monday)
  '2026-03-31T22:30:00Z', // Paris 04-01 00:30 +02
  '2026-10-24T21:59:00Z', // Paris 10-24 23:59 +02
  '2026-10-24T22:30:00Z', // Paris 10-25 00:30 +02
  '2026-10-25T00:15:00Z', // Paris 10-25 02:15 +02
  '2026-10-25T00:45:00Z', // Paris 10-25 02:45 +02
  '2026-10-25T01:15:00Z', // Paris 10-25 02:15 +01 (the repeated hour)
  '2026-10-25T02:00:00Z', // Paris 10-25 03:00 +01
  '2026-10-25T22:59:00Z', // Paris 10-25 23:59 +01
  '2026-10-25T23:00:00Z', // Paris 10-26 00:00 +01
  '2026-12-31T23:30:00Z', // Paris 2027-01-01 00:30 +01
];

// Decimal sums: groups whose float sums drift, negative values, an all-NULL group, integers past 2^31.
const TENTH = '0.10';
const LARGE = '9999999999.99';
function ledgerRows(): Row[] {
  const rows: Row[] = [];
  const add = (grp: string, amount: string | null, qty: number | null = null, big: string | null = null) => rows.push({ grp, amount, qty, big });
  for (let i = 0; i < 1000; i++) add('a', TENTH);
  add('a', '0.30');
  add('b', '0.10');
  add('b', '0.20');
  add('c', '-0.10');
  add('c', '-0.20');
  add('c', '0.05');
  add('d', '1.00');
  add('d', '-1.00');
  for (let i = 0; i < 1000; i++) add('e', LARGE);
  add('q', null, 2147483647, '4000000000000');
  add('q', null, 2147483647, '4000000000000');
  add('q', null, 2, '4000000000003');
  return rows;
}

const SALES = [
  { region: 'north', customer: 'ann', amount: '10.00', sold_on: '2026-01-05', sold_at: '2026-01-05 09:00:00', note: 'x' },
  { region: 'south', customer: 'bob', amount: '20.50', sold_on: '2026-01-06', sold_at: '2026-01-06 10:30:00', note: null },
  { region: null, customer: 'ann', amount: '5.25', sold_on: '2026-02-01', sold_at: '2026-02-01 00:00:00', note: 'y' },
  { region: 'north', customer: 'cid', amount: null, sold_on: '2025-12-31', sold_at: '2025-12-31 23:59:59', note: null },
  { region: null, customer: 'bob', amount: '1.00', sold_on: '2026-03-01', sold_at: '2026-03-01 12:00:00', note: 'z' },
  { region: 'south', customer: 'ann', amount: '4.50', sold_on: '2026-01-06', sold_at: '2026-01-06 08:00:00', note: null },
];

/** knex's `dateTime` is `timestamptz` on PostgreSQL unless told otherwise. */
const naive = { useTz: false } as const;

async function createTables(knex: Knex, dialect: Dialect): Promise<void> {
  await knex.schema.createTable('ticks', (table) => {
    table.increments('id');
    table.dateTime('at', naive).nullable();
    table.date('booked_on').nullable();
  });
  await knex('ticks').insert(TICKS.map(([at, bookedOn]) => ({ at, booked_on: bookedOn })));

  await knex.schema.createTable('walls', (table) => {
    table.increments('id');
    table.dateTime('at', naive);
  });
  await knex('walls').insert(WALLS.map((at) => ({ at })));

  await knex.schema.createTable('moments', (table) => {
    table.increments('id');
    table.dateTime('at', naive);
    table.date('on_day');
  });
  await knex('moments').insert(MOMENTS.map((at) => ({ at, on_day: at.slice(0, 10) })));

  await knex.schema.createTable('ledger', (table) => {
    table.increments('id');
    table.string('grp', 8);
    // knex's decimal() is `float` on SQLite; the explicit type keeps the scale everywhere.
    table.specificType('amount', 'decimal(12,2)').nullable();
    table.integer('qty').nullable();
    table.bigInteger('big').nullable();
  });
  await knex.batchInsert('ledger', ledgerRows(), 100);

  await knex.schema.createTable('sales', (table) => {
    table.increments('id');
    table.string('region', 20).nullable();
    table.string('customer', 20);
    table.specificType('amount', 'decimal(12,2)').nullable();
    table.date('sold_on');
    table.dateTime('sold_at', naive);
    table.string('note', 20).nullable();
  });
  await knex('sales').insert(SALES);

  await knex.schema.createTable('nothing', (table) => {
    table.increments('id');
    table.specificType('amount', 'decimal(12,2)').nullable();
    table.string('label', 20).nullable();
  });

  // Two foreign keys to the same table.
  await knex.schema.createTable('airports', (table) => {
    table.increments('id');
    table.string('code', 3).notNullable().unique();
    table.string('city', 40);
  });
  await knex.schema.createTable('flights', (table) => {
    table.increments('id');
    table.string('code', 8);
    table.integer('origin_airport_id').unsigned().notNullable().references('id').inTable('airports');
    table.integer('destination_airport_id').unsigned().nullable().references('id').inTable('airports');
    table.dateTime('departs_at', naive);
  });
  await knex('airports').insert([
    { code: 'CDG', city: 'Paris' },
    { code: 'JFK', city: 'New York' },
    { code: 'NRT', city: 'Tokyo' },
    { code: 'LHR', city: 'London' },
  ]);
  await knex('flights').insert([
    { code: 'AF1', origin_airport_id: 1, destination_airport_id: 2, departs_at: '2026-03-29 08:00:00' },
    { code: 'AF2', origin_airport_id: 2, destination_airport_id: 1, departs_at: '2026-03-28 20:00:00' },
    { code: 'JL1', origin_airport_id: 3, destination_airport_id: 1, departs_at: '2026-03-29 11:00:00' },
    { code: 'AF3', origin_airport_id: 1, destination_airport_id: 3, departs_at: '2026-03-27 07:00:00' },
    { code: 'XX9', origin_airport_id: 1, destination_airport_id: null, departs_at: '2026-03-29 13:00:00' },
  ]);

  // A composite foreign key onto a composite primary key: order ids repeat across shops.
  await knex.schema.createTable('orders', (table) => {
    table.integer('id').notNullable();
    table.integer('shop_id').notNullable();
    table.string('ref', 10);
    table.primary(['id', 'shop_id']);
  });
  await knex.schema.createTable('order_lines', (table) => {
    table.increments('id');
    table.integer('order_id').notNullable();
    table.integer('shop_id').nullable();
    table.string('product', 10);
    table.integer('qty');
    table.foreign(['order_id', 'shop_id']).references(['id', 'shop_id']).inTable('orders');
  });
  await knex('orders').insert([
    { id: 1, shop_id: 1, ref: 'S1-1' },
    { id: 1, shop_id: 2, ref: 'S2-1' },
    { id: 2, shop_id: 1, ref: 'S1-2' },
    { id: 3, shop_id: 2, ref: 'S2-3' },
  ]);
  await knex('order_lines').insert([
    { order_id: 1, shop_id: 1, product: 'pen', qty: 2 },
    { order_id: 1, shop_id: 2, product: 'ink', qty: 5 },
    { order_id: 1, shop_id: 2, product: 'pad', qty: 1 },
    { order_id: 2, shop_id: 1, product: 'pen', qty: 3 },
    // A NULL in the composite key: no related order (MATCH SIMPLE lets it in).
    { order_id: 2, shop_id: null, product: 'cap', qty: 7 },
  ]);

  if (dialect === 'postgresql') {
    await knex.schema.createTable('instants', (table) => {
      table.increments('id');
      table.timestamp('at', { useTz: true });
    });
    await knex('instants').insert(INSTANTS.map((at) => ({ at })));
  }
}

async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  const result = await call(client, name, args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return result;
}

const structured = (result: CallToolResult) => result.structuredContent as unknown as AggregateResult;

async function aggregate(client: Client, table: string, args: Record<string, unknown> = {}): Promise<Row[]> {
  return structured(await ok(client, `aggregate_${table}`, args)).rows;
}

async function queryRows(client: Client, table: string, args: Record<string, unknown>): Promise<Row[]> {
  return structured(await ok(client, `query_${table}`, args)).rows;
}

async function ids(client: Client, table: string, where: unknown[]): Promise<number[]> {
  return (await queryRows(client, table, { where, columns: ['id'], limit: 100 })).map((row) => Number(row.id));
}

/** `[[value, count], …]` as aggregate rows keyed `<field>_<bucket>` and `count`. */
function bucketRows(output: string, pairs: readonly [string | null, number][]): Row[] {
  return pairs.map(([value, count]) => ({ [output]: value, count }));
}

const bucketBy = (field: string, bucket: string, where: unknown[] = []) => ({
  where,
  group_by: [{ field, bucket }],
  limit: 100,
});

/** The `Resolved times` line of a result's text, or undefined. */
const resolvedLine = (result: CallToolResult) => textOf(result).split('\n').find((line) => line.startsWith('Resolved times'));

/** `resolved_time.now`: the pinned clock truncated to whole seconds, ISO 8601 with a zone designator. */
function expectNow(resolved: ResolvedTime | undefined, clock: string): void {
  expect(resolved?.now).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/);
  expect(Date.parse(resolved?.now ?? '')).toBe(Math.floor(Date.parse(clock) / 1000) * 1000);
}

describe.each(DIALECTS)('analytics edge cases on %s', (dialect) => {
  let db: TestDatabase;
  const clients: Client[] = [];
  /** Default time zone (UTC). */
  let utc: Client;
  /** Europe/Paris, clock on the spring-forward day. */
  let spring: Client;
  /** Europe/Paris, clock on the fall-back day. */
  let fall: Client;

  async function open(options: ConexorOptions): Promise<Client> {
    const conexor = await createConexor(db.knex, options);
    const client = await connectClient(conexor.createServer());
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_edges');
    await createTables(db.knex, dialect);
    utc = await open({ clock: () => new Date(UTC_CLOCK) });
    spring = await open({ timeZone: 'Europe/Paris', clock: () => new Date(SPRING_CLOCK) });
    fall = await open({ timeZone: 'Europe/Paris', clock: () => new Date(FALL_CLOCK) });
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.close();
    await db?.destroy();
  });

  describe('time buckets', () => {
    it.each(Object.keys(TICK_BUCKETS))('buckets a date-time column by %s across month, quarter and year boundaries', async (bucket) => {
      const result = await ok(utc, 'aggregate_ticks', bucketBy('at', bucket));
      expect(structured(result)).toEqual({ rows: bucketRows(`at_${bucket}`, TICK_BUCKETS[bucket] ?? []), truncated: false });
      expect('resolved_time' in (result.structuredContent ?? {})).toBe(false);
      expect(resolvedLine(result)).toBeUndefined();
    });

    it.each(['day', 'week', 'month', 'quarter', 'year'])('buckets a date column by %s the same way', async (bucket) => {
      expect(await aggregate(utc, 'ticks', bucketBy('booked_on', bucket))).toEqual(bucketRows(`booked_on_${bucket}`, TICK_BUCKETS[bucket] ?? []));
    });

    it.each(Object.keys(TICK_BUCKETS))('takes naive date-times as stored wall-clock time in Europe/Paris (%s)', async (bucket) => {
      expect(await aggregate(spring, 'ticks', bucketBy('at', bucket))).toEqual(bucketRows(`at_${bucket}`, TICK_BUCKETS[bucket] ?? []));
    });

    it('groups by unbucketed date and date-time columns, rendered like query results', async () => {
      expect(await aggregate(utc, 'ticks', { group_by: ['booked_on'], where: [{ field: 'booked_on', op: 'lt', value: '2026-01-02' }] })).toEqual([
        { booked_on: '2025-09-30', count: 1 },
        { booked_on: '2025-10-01', count: 1 },
        { booked_on: '2025-12-31', count: 1 },
        { booked_on: '2026-01-01', count: 2 },
      ]);
      expect(await aggregate(utc, 'ticks', { group_by: ['at'], where: [{ field: 'at', op: 'between', value: ['2025-12-31', '2026-01-01T23:59:59'] }] })).toEqual([
        { at: '2025-12-31T23:30:00', count: 1 },
        { at: '2026-01-01T00:10:00', count: 1 },
        { at: '2026-01-01T00:50:00', count: 1 },
      ]);
    });

    it('combines two buckets of one field and orders by a metric, ties by the groups, NULL last', async () => {
      const rows = await aggregate(utc, 'ticks', {
        group_by: [
          { field: 'at', bucket: 'year' },
          { field: 'at', bucket: 'quarter' },
        ],
        order_by: [{ by: 'count', direction: 'desc' }],
      });
      expect(rows).toEqual([
        { at_year: '2026-01-01', at_quarter: '2026-01-01', count: 5 },
        { at_year: '2025-01-01', at_quarter: '2025-10-01', count: 2 },
        { at_year: '2028-01-01', at_quarter: '2028-01-01', count: 2 },
        { at_year: '2025-01-01', at_quarter: '2025-07-01', count: 1 },
        { at_year: null, at_quarter: null, count: 1 },
      ]);
      expect(await aggregate(utc, 'ticks', { group_by: [{ field: 'at', bucket: 'year' }], order_by: [{ by: 'at_year', direction: 'desc' }] })).toEqual([
        { at_year: '2028-01-01', count: 2 },
        { at_year: '2026-01-01', count: 5 },
        { at_year: '2025-01-01', count: 3 },
        { at_year: null, count: 1 },
      ]);
    });

    it('renders the buckets in the text table', async () => {
      const text = textOf(await ok(utc, 'aggregate_ticks', bucketBy('at', 'year')));
      const lines = text.split('\n');
      expect(lines).toContain('at_year\tcount');
      expect(lines).toContain('2026-01-01\t5');
      expect(lines).toContain('null\t1');
    });
  });

  describe('daylight saving', () => {
    it('keeps naive wall-clock times that Europe/Paris skips or repeats in their stored hour', async () => {
      const hours = [
        ['2026-03-29T01:00:00', 1],
        ['2026-03-29T02:00:00', 1],
        ['2026-03-29T03:00:00', 1],
        ['2026-10-25T02:00:00', 2],
        ['2026-10-25T03:00:00', 1],
      ] as [string, number][];
      expect(await aggregate(spring, 'walls', bucketBy('at', 'hour'))).toEqual(bucketRows('at_hour', hours));
      expect(await aggregate(utc, 'walls', bucketBy('at', 'hour'))).toEqual(bucketRows('at_hour', hours));
      expect(await aggregate(fall, 'walls', bucketBy('at', 'day'))).toEqual(
        bucketRows('at_day', [
          ['2026-03-29', 3],
          ['2026-10-25', 3],
        ]),
      );
    });

    describe.runIf(dialect === 'postgresql')('timestamptz (PostgreSQL)', () => {
      const springWindow = [{ field: 'at', op: 'between', value: ['2026-03-28T00:00:00Z', '2026-04-02T00:00:00Z'] }];
      const fallWindow = [{ field: 'at', op: 'between', value: ['2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z'] }];

      it('buckets by hour on the Paris wall clock across spring forward (no 02:00 bucket)', async () => {
        expect(await aggregate(spring, 'instants', bucketBy('at', 'hour', springWindow))).toEqual(
          bucketRows('at_hour', [
            ['2026-03-28T23:00:00', 1],
            ['2026-03-29T00:00:00', 1],
            ['2026-03-29T01:00:00', 1],
            ['2026-03-29T03:00:00', 2],
            ['2026-03-29T23:00:00', 1],
            ['2026-03-30T00:00:00', 1],
            ['2026-04-01T00:00:00', 1],
          ]),
        );
      });

      it('buckets by day, week and month on the Paris wall clock across spring forward', async () => {
        expect(await aggregate(spring, 'instants', bucketBy('at', 'day', springWindow))).toEqual(
          bucketRows('at_day', [
            ['2026-03-28', 1],
            ['2026-03-29', 5],
            ['2026-03-30', 1],
            ['2026-04-01', 1],
          ]),
        );
        expect(await aggregate(spring, 'instants', bucketBy('at', 'week', springWindow))).toEqual(
          bucketRows('at_week', [
            ['2026-03-23', 6],
            ['2026-03-30', 2],
          ]),
        );
        expect(await aggregate(spring, 'instants', bucketBy('at', 'month', springWindow))).toEqual(
          bucketRows('at_month', [
            ['2026-03-01', 7],
            ['2026-04-01', 1],
          ]),
        );
      });

      it('buckets the same instants by UTC with the default time zone', async () => {
        expect(await aggregate(utc, 'instants', bucketBy('at', 'day', springWindow))).toEqual(
          bucketRows('at_day', [
            ['2026-03-28', 2],
            ['2026-03-29', 5],
            ['2026-03-31', 1],
          ]),
        );
        expect(await aggregate(utc, 'instants', bucketBy('at', 'week', springWindow))).toEqual(
          bucketRows('at_week', [
            ['2026-03-23', 7],
            ['2026-03-30', 1],
          ]),
        );
        expect(await aggregate(utc, 'instants', bucketBy('at', 'hour', fallWindow))).toEqual(
          bucketRows('at_hour', [
            ['2026-10-24T21:00:00', 1],
            ['2026-10-24T22:00:00', 1],
            ['2026-10-25T00:00:00', 2],
            ['2026-10-25T01:00:00', 1],
            ['2026-10-25T02:00:00', 1],
            ['2026-10-25T22:00:00', 1],
            ['2026-10-25T23:00:00', 1],
          ]),
        );
      });

      it('merges the repeated 02:00 hour of fall back into one bucket', async () => {
        expect(await aggregate(fall, 'instants', bucketBy('at', 'hour', fallWindow))).toEqual(
          bucketRows('at_hour', [
            ['2026-10-24T23:00:00', 1],
            ['2026-10-25T00:00:00', 1],
            ['2026-10-25T02:00:00', 3],
            ['2026-10-25T03:00:00', 1],
            ['2026-10-25T23:00:00', 1],
            ['2026-10-26T00:00:00', 1],
          ]),
        );
        expect(await aggregate(fall, 'instants', bucketBy('at', 'day', fallWindow))).toEqual(
          bucketRows('at_day', [
            ['2026-10-24', 1],
            ['2026-10-25', 6],
            ['2026-10-26', 1],
          ]),
        );
      });

      it('puts an instant of New Year in Paris into the next year', async () => {
        expect(await aggregate(fall, 'instants', bucketBy('at', 'year'))).toEqual(
          bucketRows('at_year', [
            ['2026-01-01', 16],
            ['2027-01-01', 1],
          ]),
        );
        expect(await aggregate(utc, 'instants', bucketBy('at', 'year'))).toEqual(bucketRows('at_year', [['2026-01-01', 17]]));
      });

      it('renders min and max of timestamptz like query results, whatever the time zone', async () => {
        const args = { where: springWindow, metrics: [{ fn: 'min', field: 'at' }, { fn: 'max', field: 'at' }] };
        const expected = [{ min_at: '2026-03-28T22:59:00.000Z', max_at: '2026-03-31T22:30:00.000Z' }];
        expect(await aggregate(spring, 'instants', args)).toEqual(expected);
        expect(await aggregate(utc, 'instants', args)).toEqual(expected);
        const [first] = await queryRows(spring, 'instants', { columns: ['at'], limit: 1 });
        expect(first).toEqual({ at: '2026-03-28T22:59:00.000Z' });
      });

      it('resolves the Paris day of spring forward to instants (23 hours long)', async () => {
        const result = await ok(spring, 'aggregate_instants', {
          where: [
            { field: 'at', op: 'gte', value: { start_of: 'day' } },
            { field: 'at', op: 'lt', value: { start_of: 'day', offset: 1 } },
          ],
          group_by: [{ field: 'at', bucket: 'hour' }],
        });
        const content = structured(result);
        expect(content.rows).toEqual(
          bucketRows('at_hour', [
            ['2026-03-29T00:00:00', 1],
            ['2026-03-29T01:00:00', 1],
            ['2026-03-29T03:00:00', 2],
            ['2026-03-29T23:00:00', 1],
          ]),
        );
        expect(content.resolved_time?.values).toEqual([
          { at: 'where[0].value', field: 'at', input: { start_of: 'day' }, resolved: '2026-03-29T00:00:00+01:00' },
          { at: 'where[1].value', field: 'at', input: { start_of: 'day', offset: 1 }, resolved: '2026-03-30T00:00:00+02:00' },
        ]);
      });

      it('resolves the Paris day of fall back to instants (25 hours long), and ago across the change', async () => {
        const day = structured(
          await ok(fall, 'count_instants', {
            where: [{ field: 'at', op: 'between', value: [{ start_of: 'day' }, { start_of: 'day', offset: 1 }] }],
          }),
        ) as unknown as { count: number; resolved_time?: ResolvedTime };
        // between is inclusive: the instant of the next midnight (2026-10-25T23:00Z) is counted too.
        expect(day.count).toBe(7);
        expect(day.resolved_time?.values.map((value) => value.resolved)).toEqual(['2026-10-25T00:00:00+02:00', '2026-10-26T00:00:00+01:00']);
        const since = await ok(fall, 'aggregate_instants', {
          where: [
            { field: 'at', op: 'gte', value: { ago: { days: 1 } } },
            { field: 'at', op: 'lte', value: 'now' },
          ],
        });
        expect(structured(since).rows).toEqual([{ count: 6 }]);
        expect(structured(since).resolved_time?.values).toEqual([
          { at: 'where[0].value', field: 'at', input: { ago: { days: 1 } }, resolved: '2026-10-24T13:00:00+02:00' },
          { at: 'where[1].value', field: 'at', input: 'now', resolved: '2026-10-25T13:00:00+01:00' },
        ]);
      });
    });
  });

  describe('relative time', () => {
    it('resolves start_of day on the spring-forward day to local midnight before the change (+01:00)', async () => {
      const result = await ok(spring, 'query_moments', {
        where: [
          { field: 'at', op: 'gte', value: { start_of: 'day' } },
          { field: 'at', op: 'lte', value: 'now' },
        ],
        columns: ['id'],
      });
      const content = structured(result);
      expect(content.rows).toEqual([{ id: 6 }, { id: 7 }]);
      expect(content.resolved_time?.time_zone).toBe('Europe/Paris');
      expectNow(content.resolved_time, SPRING_CLOCK);
      expect(content.resolved_time?.values).toEqual([
        { at: 'where[0].value', field: 'at', input: { start_of: 'day' }, resolved: '2026-03-29T00:00:00+01:00' },
        { at: 'where[1].value', field: 'at', input: 'now', resolved: '2026-03-29T12:15:30+02:00' },
      ]);
      const line = resolvedLine(result);
      expect(line).toBeDefined();
      expect(line).toContain('2026-03-29T00:00:00+01:00');
      expect(line).toContain('2026-03-29T12:15:30+02:00');
    });

    it('applies ago in days on the wall clock and ago in hours on the instant, across spring forward', async () => {
      const days = await ok(spring, 'query_moments', {
        where: [
          { field: 'at', op: 'gte', value: { ago: { days: 1 } } },
          { field: 'at', op: 'lte', value: 'now' },
        ],
        columns: ['id'],
      });
      expect(structured(days).rows.map((row) => row.id)).toEqual([4, 5, 6, 7]);
      expect(structured(days).resolved_time?.values[0]).toEqual({ at: 'where[0].value', field: 'at', input: { ago: { days: 1 } }, resolved: '2026-03-28T12:15:30+01:00' });

      const hours = await ok(spring, 'query_moments', {
        where: [
          { field: 'at', op: 'gte', value: { ago: { hours: 24 } } },
          { field: 'at', op: 'lte', value: 'now' },
        ],
        columns: ['id'],
      });
      expect(structured(hours).rows.map((row) => row.id)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(structured(hours).resolved_time?.values[0]?.resolved).toBe('2026-03-28T11:15:30+01:00');
    });

    it('resolves between elements and reports their paths', async () => {
      const result = await ok(spring, 'aggregate_moments', {
        where: [{ field: 'at', op: 'between', value: [{ start_of: 'day', offset: -1 }, { start_of: 'day' }] }],
      });
      const content = structured(result);
      expect(content.rows).toEqual([{ count: 6 }]);
      expect(content.resolved_time?.values).toEqual([
        { at: 'where[0].value[0]', field: 'at', input: { start_of: 'day', offset: -1 }, resolved: '2026-03-28T00:00:00+01:00' },
        { at: 'where[0].value[1]', field: 'at', input: { start_of: 'day' }, resolved: '2026-03-29T00:00:00+01:00' },
      ]);
      expect(resolvedLine(result)).toContain('2026-03-28T00:00:00+01:00');
    });

    it('resolves the other periods around the spring change', async () => {
      const result = await ok(spring, 'count_moments', {
        where: [
          { field: 'at', op: 'gte', value: { start_of: 'week' } },
          { field: 'at', op: 'gte', value: { start_of: 'month' } },
          { field: 'at', op: 'gte', value: { start_of: 'year' } },
          { field: 'at', op: 'lt', value: { start_of: 'quarter', offset: 1 } },
          { field: 'at', op: 'lt', value: { start_of: 'day', offset: 1 } },
        ],
      });
      const content = result.structuredContent as { count: number; resolved_time?: ResolvedTime };
      expect(content.count).toBe(8);
      expect(content.resolved_time?.values.map(({ at, resolved }) => [at, resolved])).toEqual([
        ['where[0].value', '2026-03-23T00:00:00+01:00'],
        ['where[1].value', '2026-03-01T00:00:00+01:00'],
        ['where[2].value', '2026-01-01T00:00:00+01:00'],
        ['where[3].value', '2026-04-01T00:00:00+02:00'],
        ['where[4].value', '2026-03-30T00:00:00+02:00'],
      ]);
    });

    it('resolves date columns to YYYY-MM-DD', async () => {
      const result = await ok(spring, 'query_moments', {
        where: [
          { field: 'on_day', op: 'eq', value: { ago: { days: 1 } } },
        ],
        columns: ['id'],
      });
      expect(structured(result).rows.map((row) => row.id)).toEqual([1, 2, 3, 4, 5]);
      expect(structured(result).resolved_time?.values).toEqual([{ at: 'where[0].value', field: 'on_day', input: { ago: { days: 1 } }, resolved: '2026-03-28' }]);
      const week = await ok(spring, 'count_moments', { where: [{ field: 'on_day', op: 'between', value: [{ start_of: 'week' }, 'now'] }] });
      const content = week.structuredContent as { count: number; resolved_time?: ResolvedTime };
      expect(content.count).toBe(8);
      expect(content.resolved_time?.values.map((value) => value.resolved)).toEqual(['2026-03-23', '2026-03-29']);
    });

    it('resolves start_of day and ago on the fall-back day (+02:00 at midnight, +01:00 now)', async () => {
      const day = await ok(fall, 'query_moments', { where: [{ field: 'at', op: 'gte', value: { start_of: 'day' } }], columns: ['id'] });
      expect(structured(day).rows.map((row) => row.id)).toEqual([11, 12]);
      expect(structured(day).resolved_time?.values[0]?.resolved).toBe('2026-10-25T00:00:00+02:00');
      expectNow(structured(day).resolved_time, FALL_CLOCK);

      const days = await ok(fall, 'query_moments', {
        where: [
          { field: 'at', op: 'gte', value: { ago: { days: 1 } } },
          { field: 'at', op: 'lte', value: 'now' },
        ],
        columns: ['id'],
      });
      expect(structured(days).rows.map((row) => row.id)).toEqual([9, 10, 11]);
      expect(structured(days).resolved_time?.values.map((value) => value.resolved)).toEqual(['2026-10-24T13:00:00+02:00', '2026-10-25T13:00:00+01:00']);

      const hours = await ok(fall, 'query_moments', {
        where: [
          { field: 'at', op: 'gte', value: { ago: { hours: 24 } } },
          { field: 'at', op: 'lte', value: 'now' },
        ],
        columns: ['id'],
      });
      expect(structured(hours).rows.map((row) => row.id)).toEqual([10, 11]);
      expect(structured(hours).resolved_time?.values[0]?.resolved).toBe('2026-10-24T14:00:00+02:00');
    });

    it('uses Z in UTC and echoes resolved times even when nothing matches', async () => {
      const result = await ok(utc, 'aggregate_moments', {
        where: [
          { field: 'at', op: 'lte', value: 'now' },
          { field: 'at', op: 'gte', value: { start_of: 'month' } },
        ],
        group_by: ['on_day'],
      });
      const content = structured(result);
      expect(content.rows).toEqual([]);
      expect(content.resolved_time?.time_zone).toBe('UTC');
      expectNow(content.resolved_time, UTC_CLOCK);
      expect(content.resolved_time?.values).toEqual([
        { at: 'where[0].value', field: 'at', input: 'now', resolved: '2026-11-17T10:15:42Z' },
        { at: 'where[1].value', field: 'at', input: { start_of: 'month' }, resolved: '2026-11-01T00:00:00Z' },
      ]);
      expect(resolvedLine(result)).toContain('2026-11-17T10:15:42Z');
    });

    it('subtracts calendar months and years on the wall clock, clamped to the month end', async () => {
      const leap = await open({ clock: () => new Date('2028-03-31T10:00:00Z') });
      const result = await ok(leap, 'count_moments', {
        where: [
          { field: 'at', op: 'gte', value: { ago: { months: 1 } } },
          { field: 'on_day', op: 'gte', value: { ago: { years: 1 } } },
        ],
      });
      const content = result.structuredContent as { count: number; resolved_time?: ResolvedTime };
      expect(content.count).toBe(0);
      expect(content.resolved_time?.values.map((value) => value.resolved)).toEqual(['2028-02-29T10:00:00Z', '2027-03-31']);

      const paris = await open({ timeZone: 'Europe/Paris', clock: () => new Date('2026-03-31T10:00:00Z') }); // 12:00 CEST
      const back = await ok(paris, 'query_moments', { where: [{ field: 'at', op: 'gte', value: { ago: { months: 1 } } }], columns: ['id'] });
      expect(structured(back).rows.map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(structured(back).resolved_time?.values[0]?.resolved).toBe('2026-02-28T12:00:00+01:00');
    });

    it('leaves resolved_time out when no relative form is used', async () => {
      for (const [name, args] of [
        ['query_moments', { where: [{ field: 'at', op: 'gte', value: '2026-03-29' }] }],
        ['count_moments', { where: [{ field: 'at', op: 'gte', value: '2026-03-29' }] }],
        ['aggregate_moments', { where: [{ field: 'at', op: 'gte', value: '2026-03-29' }], group_by: ['on_day'] }],
      ] as const) {
        const result = await ok(spring, name, args);
        expect('resolved_time' in (result.structuredContent ?? {}), name).toBe(false);
        expect(resolvedLine(result), name).toBeUndefined();
      }
    });
  });

  describe('empty results', () => {
    it('gives no rows for group_by over a where that matches nothing', async () => {
      const result = await ok(utc, 'aggregate_sales', {
        where: [{ field: 'region', op: 'eq', value: 'west' }],
        group_by: ['region'],
        metrics: [{ fn: 'count' }, { fn: 'sum', field: 'amount' }],
      });
      // A text eq that finds nothing says ieq exists (see test/tools/case.test.ts).
      expect(result.structuredContent).toEqual({ rows: [], truncated: false, hint: CASE_HINT });
      expect(await aggregate(utc, 'nothing', { group_by: ['label'] })).toEqual([]);
      expect(await aggregate(utc, 'ticks', bucketBy('at', 'month', [{ field: 'at', op: 'gt', value: '2030-01-01' }]))).toEqual([]);
    });

    it('gives one row with count 0, sum 0 and null avg/min/max without group_by', async () => {
      const rows = await aggregate(utc, 'sales', {
        where: [{ field: 'region', op: 'eq', value: 'west' }],
        metrics: [
          { fn: 'count' },
          { fn: 'count', field: 'note' },
          { fn: 'count_distinct', field: 'customer' },
          { fn: 'sum', field: 'amount' },
          { fn: 'avg', field: 'amount' },
          { fn: 'min', field: 'amount' },
          { fn: 'max', field: 'amount' },
          { fn: 'min', field: 'sold_on' },
          { fn: 'max', field: 'sold_at' },
        ],
      });
      expect(rows).toEqual([
        {
          count: 0,
          count_note: 0,
          count_distinct_customer: 0,
          sum_amount: '0.00',
          avg_amount: null,
          min_amount: null,
          max_amount: null,
          min_sold_on: null,
          max_sold_at: null,
        },
      ]);
      expect(await aggregate(utc, 'nothing')).toEqual([{ count: 0 }]);
      expect(await aggregate(utc, 'nothing', { metrics: [{ fn: 'sum', field: 'amount' }, { fn: 'avg', field: 'amount' }] })).toEqual([{ sum_amount: '0.00', avg_amount: null }]);
    });
  });

  describe('NULL group keys', () => {
    const metrics = [{ fn: 'count' }, { fn: 'sum', field: 'amount' }];

    it('makes one null group, last in ascending order', async () => {
      expect(await aggregate(utc, 'sales', { group_by: ['region'], metrics })).toEqual([
        { region: 'north', count: 2, sum_amount: '10.00' },
        { region: 'south', count: 2, sum_amount: '25.00' },
        { region: null, count: 2, sum_amount: '6.25' },
      ]);
      expect(await aggregate(utc, 'sales', { group_by: ['region'], metrics, order_by: [{ by: 'region', direction: 'asc' }] })).toEqual([
        { region: 'north', count: 2, sum_amount: '10.00' },
        { region: 'south', count: 2, sum_amount: '25.00' },
        { region: null, count: 2, sum_amount: '6.25' },
      ]);
    });

    it('keeps the null group last in descending order', async () => {
      expect(await aggregate(utc, 'sales', { group_by: ['region'], metrics, order_by: [{ by: 'region', direction: 'desc' }] })).toEqual([
        { region: 'south', count: 2, sum_amount: '25.00' },
        { region: 'north', count: 2, sum_amount: '10.00' },
        { region: null, count: 2, sum_amount: '6.25' },
      ]);
    });

    it('breaks ties on a metric by the group ascending, null last', async () => {
      expect(await aggregate(utc, 'sales', { group_by: ['region'], order_by: [{ by: 'count', direction: 'desc' }] })).toEqual([
        { region: 'north', count: 2 },
        { region: 'south', count: 2 },
        { region: null, count: 2 },
      ]);
    });

    it('sorts a null metric last in both directions', async () => {
      const args = { group_by: ['customer'], metrics: [{ fn: 'sum', field: 'amount', as: 'revenue' }] };
      expect(await aggregate(utc, 'sales', { ...args, order_by: [{ by: 'revenue', direction: 'asc' }] })).toEqual([
        { customer: 'ann', revenue: '19.75' },
        { customer: 'bob', revenue: '21.50' },
        { customer: 'cid', revenue: null },
      ]);
      expect(await aggregate(utc, 'sales', { ...args, order_by: [{ by: 'revenue', direction: 'desc' }] })).toEqual([
        { customer: 'bob', revenue: '21.50' },
        { customer: 'ann', revenue: '19.75' },
        { customer: 'cid', revenue: null },
      ]);
    });
  });

  describe('metric values', () => {
    it('sums decimals exactly, with the column scale, including negatives', async () => {
      const rows = await aggregate(utc, 'ledger', {
        group_by: ['grp'],
        metrics: [{ fn: 'count' }, { fn: 'sum', field: 'amount' }, { fn: 'min', field: 'amount' }, { fn: 'max', field: 'amount' }],
      });
      expect(rows).toEqual([
        { grp: 'a', count: 1001, sum_amount: '100.30', min_amount: '0.10', max_amount: '0.30' },
        { grp: 'b', count: 2, sum_amount: '0.30', min_amount: '0.10', max_amount: '0.20' },
        { grp: 'c', count: 3, sum_amount: '-0.25', min_amount: '-0.20', max_amount: '0.05' },
        { grp: 'd', count: 2, sum_amount: '0.00', min_amount: '-1.00', max_amount: '1.00' },
        { grp: 'e', count: 1000, sum_amount: '9999999999990.00', min_amount: LARGE, max_amount: LARGE },
        { grp: 'q', count: 3, sum_amount: null, min_amount: null, max_amount: null },
      ]);
    });

    it('sums every decimal without drift when no group is given', async () => {
      expect(await aggregate(utc, 'ledger', { metrics: [{ fn: 'sum', field: 'amount', as: 'total' }] })).toEqual([{ total: '10000000000090.35' }]);
    });

    it('sums decimals exactly past what a double holds to the cent (SQLite sums scaled integers)', async () => {
      // 10,000 × 9,999,999,999.99 + 0.01 = 99,999,999,999,900.01: beyond 2^53 hundredths, where neighbouring doubles
      // are 1/64 apart, so no float sum — even SQLite's compensated one — can end in .01.
      await db.knex.schema.createTable('wide_ledger', (table) => {
        table.increments('id');
        table.specificType('amount', 'decimal(12,2)');
      });
      await db.knex.batchInsert('wide_ledger', [...Array.from({ length: 10_000 }, () => ({ amount: LARGE })), { amount: '0.01' }], 500);
      const client = await open({ clock: () => new Date(UTC_CLOCK), tables: { include: ['wide_ledger'] } });
      expect(Number('99999999999900.01').toFixed(2)).not.toBe('99999999999900.01');
      expect(await aggregate(client, 'wide_ledger', { metrics: [{ fn: 'sum', field: 'amount', as: 'total' }] })).toEqual([{ total: '99999999999900.01' }]);
    }, 60_000);

    it('averages as a number: the exact sum divided by the count', async () => {
      const rows = await aggregate(utc, 'ledger', { group_by: ['grp'], metrics: [{ fn: 'avg', field: 'amount' }] });
      expect(rows).toEqual([
        { grp: 'a', avg_amount: 100.3 / 1001 },
        { grp: 'b', avg_amount: 0.15 },
        { grp: 'c', avg_amount: -0.25 / 3 },
        { grp: 'd', avg_amount: 0 },
        { grp: 'e', avg_amount: 9999999999.99 },
        { grp: 'q', avg_amount: null },
      ]);
    });

    it('sums integers past 2^31 exactly, as numbers', async () => {
      const rows = await aggregate(utc, 'ledger', {
        where: [{ field: 'grp', op: 'eq', value: 'q' }],
        metrics: [{ fn: 'sum', field: 'qty' }, { fn: 'sum', field: 'big' }, { fn: 'max', field: 'big' }, { fn: 'avg', field: 'qty' }],
      });
      expect(rows).toEqual([{ sum_qty: 4294967296, sum_big: 12000000000003, max_big: 4000000000003, avg_qty: 4294967296 / 3 }]);
      expect(await aggregate(utc, 'ledger', { where: [{ field: 'grp', op: 'eq', value: 'a' }], metrics: [{ fn: 'sum', field: 'qty' }] })).toEqual([{ sum_qty: null }]);
    });

    it('counts rows, non-null values and distinct values', async () => {
      const rows = await aggregate(utc, 'sales', {
        metrics: [
          { fn: 'count' },
          { fn: 'count', field: 'note' },
          { fn: 'count', field: 'amount' },
          { fn: 'count', field: 'region' },
          { fn: 'count_distinct', field: 'customer' },
          { fn: 'count_distinct', field: 'region' },
          { fn: 'count_distinct', field: 'sold_on' },
        ],
      });
      expect(rows).toEqual([
        { count: 6, count_note: 3, count_amount: 5, count_region: 4, count_distinct_customer: 3, count_distinct_region: 2, count_distinct_sold_on: 5 },
      ]);
      expect(await aggregate(utc, 'ledger', { metrics: [{ fn: 'count_distinct', field: 'amount' }] })).toEqual([{ count_distinct_amount: 9 }]);
    });

    it('renders min and max of dates and date-times like query results', async () => {
      const rows = await aggregate(utc, 'sales', {
        metrics: [
          { fn: 'min', field: 'sold_on' },
          { fn: 'max', field: 'sold_on' },
          { fn: 'min', field: 'sold_at' },
          { fn: 'max', field: 'sold_at' },
          { fn: 'min', field: 'amount' },
          { fn: 'max', field: 'amount' },
        ],
      });
      expect(rows).toEqual([
        {
          min_sold_on: '2025-12-31',
          max_sold_on: '2026-03-01',
          min_sold_at: '2025-12-31T23:59:59',
          max_sold_at: '2026-03-01T12:00:00',
          min_amount: '1.00',
          max_amount: '20.50',
        },
      ]);
      const queried = await queryRows(utc, 'sales', { columns: ['sold_on', 'sold_at'], where: [{ field: 'id', op: 'eq', value: 4 }] });
      expect(queried).toEqual([{ sold_on: '2025-12-31', sold_at: '2025-12-31T23:59:59' }]);
    });

    it('filters groups with having on a temporal max given as an ISO string', async () => {
      expect(
        await aggregate(utc, 'sales', {
          group_by: ['customer'],
          metrics: [{ fn: 'max', field: 'sold_at' }],
          having: [{ metric: 'max_sold_at', op: 'gt', value: '2026-01-06T00:00:00' }],
        }),
      ).toEqual([
        { customer: 'ann', max_sold_at: '2026-02-01T00:00:00' },
        { customer: 'bob', max_sold_at: '2026-03-01T12:00:00' },
      ]);
    });
  });

  describe('relations', () => {
    it('tells two foreign keys to the same table apart in query columns', async () => {
      expect(await queryRows(utc, 'flights', { columns: ['code', 'origin_airport.code', 'destination_airport.city'] })).toEqual([
        { code: 'AF1', 'origin_airport.code': 'CDG', 'destination_airport.city': 'New York' },
        { code: 'AF2', 'origin_airport.code': 'JFK', 'destination_airport.city': 'Paris' },
        { code: 'JL1', 'origin_airport.code': 'NRT', 'destination_airport.city': 'Paris' },
        { code: 'AF3', 'origin_airport.code': 'CDG', 'destination_airport.city': 'Tokyo' },
        { code: 'XX9', 'origin_airport.code': 'CDG', 'destination_airport.city': null },
      ]);
    });

    it('orders by a relation field, NULL last in both directions, ties by primary key', async () => {
      const codes = async (direction: string) =>
        (await queryRows(utc, 'flights', { columns: ['code'], order_by: [{ field: 'destination_airport.code', direction }] })).map((row) => row.code);
      expect(await codes('asc')).toEqual(['AF2', 'JL1', 'AF1', 'AF3', 'XX9']);
      expect(await codes('desc')).toEqual(['AF3', 'AF1', 'AF2', 'JL1', 'XX9']);
    });

    it('filters with has and not has on both to-many relations', async () => {
      expect(await ids(utc, 'airports', [{ has: 'flights_by_origin_airport' }])).toEqual([1, 2, 3]);
      expect(await ids(utc, 'airports', [{ not: { has: 'flights_by_origin_airport' } }])).toEqual([4]);
      expect(await ids(utc, 'airports', [{ has: 'flights_by_destination_airport' }])).toEqual([1, 2, 3]);
      expect(await ids(utc, 'airports', [{ has: 'flights_by_destination_airport', where: [{ field: 'code', op: 'eq', value: 'AF1' }] }])).toEqual([2]);
      expect(await ids(utc, 'airports', [{ has: 'flights_by_origin_airport', where: [{ field: 'code', op: 'eq', value: 'AF1' }] }])).toEqual([1]);
      expect(
        await ids(utc, 'airports', [
          { has: 'flights_by_origin_airport' },
          { not: { has: 'flights_by_destination_airport', where: [{ field: 'code', op: 'starts_with', value: 'JL' }] } },
        ]),
      ).toEqual([2, 3]);
    });

    it('filters with has and not has on to-one relations', async () => {
      expect(await ids(utc, 'flights', [{ has: 'destination_airport', where: [{ field: 'city', op: 'eq', value: 'Paris' }] }])).toEqual([2, 3]);
      expect(await ids(utc, 'flights', [{ not: { has: 'destination_airport' } }])).toEqual([5]);
      expect(await ids(utc, 'flights', [{ has: 'origin_airport', where: [{ field: 'code', op: 'eq', value: 'CDG' }] }])).toEqual([1, 4, 5]);
    });

    it('groups by relation fields, with a null group for a missing related row', async () => {
      expect(await aggregate(utc, 'flights', { group_by: ['origin_airport.code'] })).toEqual([
        { 'origin_airport.code': 'CDG', count: 3 },
        { 'origin_airport.code': 'JFK', count: 1 },
        { 'origin_airport.code': 'NRT', count: 1 },
      ]);
      expect(await aggregate(utc, 'flights', { group_by: ['destination_airport.city'], order_by: [{ by: 'count', direction: 'desc' }] })).toEqual([
        { 'destination_airport.city': 'Paris', count: 2 },
        { 'destination_airport.city': 'New York', count: 1 },
        { 'destination_airport.city': 'Tokyo', count: 1 },
        { 'destination_airport.city': null, count: 1 },
      ]);
    });

    it('resolves relative times inside has and reports the inner path', async () => {
      const result = await ok(spring, 'count_airports', {
        where: [{ has: 'flights_by_origin_airport', where: [{ field: 'departs_at', op: 'gte', value: { start_of: 'day' } }] }],
      });
      const content = result.structuredContent as { count: number; resolved_time?: ResolvedTime };
      expect(content.count).toBe(2);
      expect(content.resolved_time?.values).toEqual([
        { at: 'where[0].where[0].value', field: 'departs_at', input: { start_of: 'day' }, resolved: '2026-03-29T00:00:00+01:00' },
      ]);
    });

    it('joins a composite foreign key on every column', async () => {
      expect(await queryRows(utc, 'order_lines', { columns: ['id', 'product', 'orders.ref'] })).toEqual([
        { id: 1, product: 'pen', 'orders.ref': 'S1-1' },
        { id: 2, product: 'ink', 'orders.ref': 'S2-1' },
        { id: 3, product: 'pad', 'orders.ref': 'S2-1' },
        { id: 4, product: 'pen', 'orders.ref': 'S1-2' },
        { id: 5, product: 'cap', 'orders.ref': null },
      ]);
      expect(await aggregate(utc, 'order_lines', { group_by: ['orders.ref'], metrics: [{ fn: 'sum', field: 'qty' }, { fn: 'count' }] })).toEqual([
        { 'orders.ref': 'S1-1', sum_qty: 2, count: 1 },
        { 'orders.ref': 'S1-2', sum_qty: 3, count: 1 },
        { 'orders.ref': 'S2-1', sum_qty: 6, count: 2 },
        { 'orders.ref': null, sum_qty: 7, count: 1 },
      ]);
    });

    it('filters with has and not has through a composite foreign key', async () => {
      const refs = async (where: unknown[]) => (await queryRows(utc, 'orders', { where, columns: ['ref'] })).map((row) => row.ref);
      expect(await refs([{ has: 'order_lines' }])).toEqual(['S1-1', 'S2-1', 'S1-2']);
      expect(await refs([{ not: { has: 'order_lines' } }])).toEqual(['S2-3']);
      expect(await refs([{ has: 'order_lines', where: [{ field: 'product', op: 'eq', value: 'ink' }] }])).toEqual(['S2-1']);
      expect(await refs([{ has: 'order_lines', where: [{ field: 'product', op: 'eq', value: 'pen' }] }])).toEqual(['S1-1', 'S1-2']);
      const lines = await ids(utc, 'order_lines', [{ has: 'orders', where: [{ field: 'shop_id', op: 'eq', value: 2 }] }]);
      expect(lines).toEqual([2, 3]);
      expect(await ids(utc, 'order_lines', [{ not: { has: 'orders' } }])).toEqual([5]);
    });
  });
});
