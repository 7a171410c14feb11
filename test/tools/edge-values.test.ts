/**
 * Values at the edges of what every database compares alike, through a real MCP client, with one expected answer
 * for SQLite, PostgreSQL and MySQL/MariaDB.
 *
 * Zoned date-times: conexor converts one to UTC (PostgreSQL `timestamptz`, or `timeZone` UTC) or to the wall clock of
 * `timeZone` (other columns) before binding it. `9999-12-31T23:59:59-14:00` is year 10000 in UTC: SQLite and MariaDB
 * compared the five-digit text and matched every row while PostgreSQL matched none, and `0001-01-01T00:00:00+14:00`
 * (year 0 in UTC) was a database error on PostgreSQL. Such values are refused, naming the argument, wherever a
 * date-time is accepted. Pacific/Kiritimati is +14:00 today and -10:29:20 (local mean time) in year 1, so both ends of
 * the calendar leave the range there too; Asia/Tokyo is +09:18:59 in year 1, so a relative time can land in year 1 on
 * its wall clock and in year 0 in UTC.
 *
 * Written forms: `12:00`, `12:00:00.000` and `2024-01-01t00:00` name the same times as `12:00:00` and
 * `2024-01-01 00:00:00` on PostgreSQL and MariaDB, but SQLite compares text; bound values take one form.
 *
 * NUL characters: PostgreSQL cannot hold one in text and failed the query (SQLSTATE 22021) while SQLite and MariaDB
 * compared the value; every string value with one is refused, naming the argument, on every database.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type ConexorOptions, type Dialect } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const KIRITIMATI = 'Pacific/Kiritimati';
const TOKYO = 'Asia/Tokyo';
/** The Tokyo clock: 09:00 on 1 January 2026 there. */
const TOKYO_CLOCK = '2026-01-01T00:00:00Z';

/** `at` is the instant column where the database has one (PostgreSQL timestamptz), `naive` has no zone. */
function eventsTable(dialect: Dialect): string {
  const instant = dialect === 'mysql' ? 'TIMESTAMP NULL' : 'timestamptz';
  const naive = dialect === 'postgresql' ? 'timestamp' : 'DATETIME';
  return `CREATE TABLE events (id INTEGER PRIMARY KEY, at ${instant}, naive ${naive} UNIQUE)`;
}

/** `at` stays inside MySQL TIMESTAMP's years; `naive` spans the calendar. */
const EVENTS = `INSERT INTO events (id, at, naive) VALUES
  (1, '1970-01-02 00:00:00', '0001-01-01 12:00:00'),
  (2, '2024-01-01 00:00:00', '2024-01-01 00:00:00'),
  (3, '2038-01-01 00:00:00', '9999-12-31 12:00:00')`;

const outside = (value: string, zone: string) => `"${value}" lies outside the years 0001 to 9999 once converted to ${zone}`;

/** `[op, value, ids of at, ids of naive]` accepted in a time zone: the same rows on every database. */
type Accepted = [op: string, value: string, at: number[], naive: number[]];
/** `[value, the zone it leaves the years 0001 to 9999 in]`. */
type Refused = [value: string, zone: string];

const CASES: Record<string, { accepted: Accepted[]; refused: Refused[] }> = {
  UTC: {
    accepted: [
      ['lt', '9999-12-31T09:59:59-14:00', [1, 2, 3], [1, 2, 3]], // 9999-12-31 23:59:59 UTC
      ['gte', '9999-12-31T23:59:59Z', [], []],
      ['gt', '0001-01-01T14:00:00+14:00', [1, 2, 3], [1, 2, 3]], // 0001-01-01 00:00:00 UTC
      ['lte', '0001-01-01T00:00:00Z', [], []],
      ['gte', '9999-12-31T12:00:00Z', [], [3]],
      ['lte', '0001-01-01T12:00:00Z', [], [1]],
    ],
    refused: [
      ['9999-12-31T23:59:59-14:00', 'UTC'],
      ['0001-01-01T00:00:00+14:00', 'UTC'],
      ['9999-12-31T23:59:59.999-00:01', 'UTC'],
    ],
  },
  [KIRITIMATI]: {
    accepted: [
      ['lt', '9999-12-31T09:59:59Z', [1, 2, 3], [1, 2, 3]], // 9999-12-31 23:59:59 in Kiritimati (+14:00)
      ['gt', '0001-01-01T10:29:20Z', [1, 2, 3], [1, 2, 3]], // 0001-01-01 00:00:00 in Kiritimati (-10:29:20)
      ['lte', '0001-01-01T22:29:20Z', [], [1]], // 0001-01-01 12:00:00 there
      ['gte', '9999-12-31T12:00:00+14:00', [], [3]],
    ],
    refused: [
      ['9999-12-31T23:59:59-14:00', 'UTC'],
      ['0001-01-01T00:00:00+14:00', 'UTC'],
      ['9999-12-31T23:59:59Z', KIRITIMATI],
      ['9999-12-31T10:00:00Z', KIRITIMATI],
      ['0001-01-01T00:00:00Z', KIRITIMATI],
      ['0001-01-01T10:29:19Z', KIRITIMATI],
    ],
  },
};

describe.each(DIALECTS)('values at the edges on %s', (dialect) => {
  let db: TestDatabase;
  const clients = new Map<string, Client>();

  function client(zone: string): Client {
    const found = clients.get(zone);
    if (!found) throw new Error(`no client for ${zone}`);
    return found;
  }

  async function open(zone: string, options: ConexorOptions): Promise<void> {
    const conexor = await createConexor(db.knex, options);
    const connected = await connectClient(conexor.createServer());
    await connected.listTools();
    clients.set(zone, connected);
  }

  async function ids(zone: string, where: unknown[]): Promise<number[]> {
    const result = await call(client(zone), 'query_events', { where, columns: ['id'], order_by: [{ field: 'id' }] });
    if (result.isError) throw new Error(`query_events ${JSON.stringify(where)} failed in ${zone}: ${textOf(result)}`);
    return (result.structuredContent as { rows: { id: number }[] }).rows.map((row) => row.id);
  }

  async function refusal(zone: string, tool: string, args: Record<string, unknown>): Promise<string> {
    const result: CallToolResult = await call(client(zone), tool, args);
    expect(result.isError, `${tool} ${JSON.stringify(args)} in ${zone}: ${textOf(result)}`).toBe(true);
    return textOf(result);
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cxedge');
    await db.knex.raw(eventsTable(dialect));
    await db.knex.raw(EVENTS);
    await db.knex.raw('CREATE TABLE visits (id INTEGER PRIMARY KEY, event_id INTEGER REFERENCES events (id), label VARCHAR(20) NOT NULL UNIQUE)');
    await db.knex.raw(`INSERT INTO visits (id, event_id, label) VALUES (1, 1, 'first'), (2, 3, 'last')`);
    const [clock, stamp] = dialect === 'sqlite' ? ['TIME', 'DATETIME'] : dialect === 'mysql' ? ['TIME(3)', 'DATETIME(3)'] : ['time(3)', 'timestamp(3)'];
    await db.knex.raw(`CREATE TABLE shifts (id INTEGER PRIMARY KEY, starts ${clock}, at ${stamp})`);
    await db.knex.raw(`INSERT INTO shifts (id, starts, at) VALUES (1, '12:00:00', '2024-01-01 00:00:00'), (2, '12:00:00.250', '2024-01-01 00:00:00.250')`);
    await open('UTC', {});
    await open(KIRITIMATI, { timeZone: KIRITIMATI });
    await open(TOKYO, { timeZone: TOKYO, clock: () => new Date(TOKYO_CLOCK) });
  }, 60_000);

  afterAll(async () => {
    for (const connected of clients.values()) await connected.close();
    await db?.destroy();
  });

  describe.each(Object.keys(CASES))('zoned date-times with timeZone %s', (zone) => {
    const { accepted, refused } = CASES[zone] as (typeof CASES)[string];

    it.each(accepted)('answers %s %s with the same rows everywhere', async (op, value, at, naive) => {
      expect(await ids(zone, [{ field: 'at', op, value }])).toEqual(at);
      expect(await ids(zone, [{ field: 'naive', op, value }])).toEqual(naive);
    });

    it.each(refused)('refuses %s, naming the argument and the zone it leaves the years in', async (value, leaves) => {
      for (const field of ['at', 'naive']) {
        expect(await refusal(zone, 'query_events', { where: [{ field, op: 'gt', value }] })).toBe(
          `Invalid arguments for query_events: where[0].value: op "gt" on ${field} takes an ISO date-time such as 2024-05-01T13:45:00Z or 2024-05-01; ${outside(value, leaves)}.`,
        );
      }
    });
  });

  it('refuses an out-of-range zoned date-time in every place a date-time is accepted', async () => {
    const far = '9999-12-31T23:59:59-14:00';
    const each = 'each an ISO date-time such as 2024-05-01T13:45:00Z or 2024-05-01';
    const cases: [tool: string, args: Record<string, unknown>, message: string][] = [
      ['query_events_by_naive', { naive: far }, `naive: ${outside(far, 'UTC')}`],
      ['count_events', { where: [{ field: 'at', op: 'in', value: ['2024-01-01T00:00:00Z', far] }] }, `where[0].value: op "in" on at takes a list of values, ${each}; ${outside(far, 'UTC')}`],
      ['count_events', { where: [{ not: { field: 'naive', op: 'between', value: ['2020-01-01', far] } }] }, `where[0].not.value: op "between" on naive takes [low, high], ${each}; ${outside(far, 'UTC')}`],
      [
        'count_events',
        { where: [{ or: [{ field: 'id', op: 'eq', value: 1 }, { and: [{ field: 'naive', op: 'neq', value: far }] }] }] },
        `where[0].or[1].and[0].value: op "neq" on naive takes an ISO date-time such as 2024-05-01T13:45:00Z or 2024-05-01; ${outside(far, 'UTC')}`,
      ],
      ['count_visits', { where: [{ has: 'event', where: [{ field: 'naive', op: 'lt', value: far }] }] }, `where[0].where[0].value: op "lt" on naive takes an ISO date-time such as 2024-05-01T13:45:00Z or 2024-05-01; ${outside(far, 'UTC')}`],
      ['count_events', { where: [{ has: 'visits', where: [{ has: 'event', where: [{ field: 'at', op: 'gte', value: far }] }] }] }, `where[0].where[0].where[0].value: op "gte" on at takes an ISO date-time such as 2024-05-01T13:45:00Z or 2024-05-01; ${outside(far, 'UTC')}`],
      [
        'aggregate_events',
        { metrics: [{ fn: 'max', field: 'naive' }], having: [{ metric: 'max_naive', op: 'lt', value: far }] },
        `having[0].value: max_naive compares with an ISO date-time such as 2024-05-01T13:45:00Z or 2024-05-01; ${outside(far, 'UTC')}`,
      ],
    ];
    for (const [tool, args, message] of cases) expect(await refusal('UTC', tool, args)).toBe(`Invalid arguments for ${tool}: ${message}.`);
    // Just inside, the same places answer.
    const near = '9999-12-31T09:59:59-14:00';
    expect((await call(client('UTC'), 'query_events_by_naive', { naive: '9999-12-31T12:00:00Z' })).structuredContent).toMatchObject({ row: { id: 3 } });
    expect((await call(client(KIRITIMATI), 'query_events_by_naive', { naive: '0001-01-01T22:29:20Z' })).structuredContent).toMatchObject({ row: { id: 1 } });
    expect((await call(client('UTC'), 'count_visits', { where: [{ has: 'event', where: [{ field: 'naive', op: 'lt', value: near }] }] })).structuredContent).toEqual({ count: 2 });
    expect(
      (await call(client('UTC'), 'aggregate_events', { metrics: [{ fn: 'max', field: 'naive' }], having: [{ metric: 'max_naive', op: 'lt', value: near }] })).structuredContent,
    ).toEqual({ rows: [{ max_naive: '9999-12-31T12:00:00' }], truncated: false });
  });

  it.each([
    ['starts', 'eq', '12:00', [1]],
    ['starts', 'eq', '12:00:00.000', [1]],
    ['starts', 'eq', '12:00:00.25', [2]],
    ['starts', 'eq', '12:00:00.2500', [2]],
    ['starts', 'lt', '12:00:00.25', [1]],
    ['starts', 'in', ['11:00', '12:00'], [1]],
    ['at', 'eq', '2024-01-01T00:00', [1]],
    ['at', 'eq', '2024-01-01t00:00:00.000', [1]],
    ['at', 'eq', '2024-01-01 00:00:00.25', [2]],
    ['at', 'between', ['2024-01-01T00:00:00.0', '2024-01-01T00:00:00.1'], [1]],
    ['at', 'gt', '2024-01-01', [2]],
  ] as const)('compares %s %s %j written in another form like the stored value, everywhere', async (field, op, value, expected) => {
    const result = await call(client('UTC'), 'query_shifts', { where: [{ field, op, value }], columns: ['id'], order_by: [{ field: 'id' }] });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { rows: { id: number }[] }).rows.map((row) => row.id)).toEqual(expected);
  });

  it('refuses a NUL character in every string value, naming the argument, and answers the same value without it', async () => {
    const each = 'expected a string without NUL characters';
    const cases: [tool: string, args: Record<string, unknown>, message: string][] = [
      ['query_visits_by_label', { label: 'first\u0000' }, `label: ${each}`],
      ['query_visits_by_label', { label: '\u0000' }, `label: ${each}`],
      ['query_visits', { where: [{ field: 'label', op: 'eq', value: 'first\u0000' }] }, `where[0].value: op "eq" on label takes a string; ${each}`],
      ['count_visits', { where: [{ field: 'label', op: 'in', value: ['first', 'x\u0000y'] }] }, `where[0].value: op "in" on label takes a list of values, each a string; ${each}`],
      ['count_visits', { where: [{ not: { field: 'label', op: 'between', value: ['a', 'z\u0000'] } }] }, `where[0].not.value: op "between" on label takes [low, high], each a string; ${each}`],
      ['count_visits', { where: [{ or: [{ field: 'label', op: 'not_in', value: ['\u0000'] }] }] }, `where[0].or[0].value: op "not_in" on label takes a list of values, each a string; ${each}`],
      ['count_events', { where: [{ has: 'visits', where: [{ field: 'label', op: 'gt', value: 'a\u0000' }] }] }, `where[0].where[0].value: op "gt" on label takes a string; ${each}`],
      ['count_visits', { where: [{ field: 'label', op: 'contains', value: 'fi\u0000' }] }, 'where[0]: op "contains" on label takes a string without NUL characters'],
    ];
    for (const [tool, args, message] of cases) expect(await refusal('UTC', tool, args)).toBe(`Invalid arguments for ${tool}: ${message}.`);
    expect((await call(client('UTC'), 'query_visits_by_label', { label: 'first' })).structuredContent).toEqual({ row: { id: 1, event_id: 1, label: 'first' } });
    expect((await call(client('UTC'), 'count_visits', { where: [{ field: 'label', op: 'in', value: ['first', 'xy'] }] })).structuredContent).toEqual({ count: 1 });
    expect((await call(client('UTC'), 'count_events', { where: [{ has: 'visits', where: [{ field: 'label', op: 'gt', value: 'a' }] }] })).structuredContent).toEqual({ count: 2 });
  });

  it('refuses a relative time that lands in year 0 in UTC though in year 1 on the wall clock', async () => {
    // 2025 years before 09:00 on 1 January 2026 in Tokyo is 09:00 on 1 January 0001 there (+09:18:59), 23:41:01 on
    // 31 December 0000 in UTC: PostgreSQL refused the instant bound for timestamptz, the others compared it.
    for (const [field, count] of [
      ['at', 3],
      ['naive', 2],
    ] as const) {
      expect(await refusal(TOKYO, 'count_events', { where: [{ field, op: 'gt', value: { ago: { years: 2025 } } }] })).toBe(
        'Invalid arguments for count_events: where[0].value: {"ago":{"years":2025}} lies outside the years 0001 to 9999 once converted to UTC.',
      );
      const result = await call(client(TOKYO), 'count_events', { where: [{ field, op: 'gt', value: { ago: { years: 2024 } } }] });
      expect(result.structuredContent).toMatchObject({ count, resolved_time: { values: [{ resolved: '0002-01-01T09:00:00+09:18:59' }] } });
    }
  });
});
