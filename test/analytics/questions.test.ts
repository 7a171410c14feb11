/**
 * Business questions answered with ONE tool call each (issue 5), through a real MCP client, on the demo shop and on
 * Chinook, on SQLite, PostgreSQL and MySQL/MariaDB. Every answer is checked against a hand-written SQL query (the
 * oracle) run on the same database, rendered the documented way: counts as numbers, decimal sums as exact strings
 * with the column's scale, averages as Number(exact sum) / count, buckets as `YYYY-MM-DD`. The tool breaks ties by
 * the group outputs ascending (NULLs last), so every oracle ORDER BY ends with the group keys.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Dialect } from '../../src/index.js';
import { createDemoShop } from '../../src/demo/shop.js';
import { loadChinook } from '../support/chinook.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

type Row = Record<string, unknown>;

interface ResolvedTime {
  now: string;
  time_zone: string;
  values: { at: string; field: string; input: unknown; resolved: string }[];
}

interface Rows {
  rows: Row[];
  truncated: boolean;
  next_offset?: number;
  resolved_time?: ResolvedTime;
}

/** The pinned server clock (a Tuesday), also the demo shop's `now`. */
const NOW = new Date('2026-11-24T10:15:00Z');
const NOW_ISO = '2026-11-24T10:15:00Z';
const DAY_MS = 86_400_000;

/** ISO 8601 in UTC with whole seconds and a `Z`, as `resolved_time` renders instants in UTC. */
const isoZ = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

/** Rows of a raw query, whatever the driver's result shape. */
async function rawRows(db: TestDatabase, text: string, bindings: readonly Knex.RawBinding[] = []): Promise<Row[]> {
  const result = await db.knex.raw(text, bindings);
  if (db.dialect === 'postgresql') return (result as { rows: Row[] }).rows;
  if (db.dialect === 'mysql') return (result as [Row[]])[0];
  return result as Row[];
}

/** `12345n` cents → `"123.45"`. */
function fromCents(value: bigint): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/**
 * The exact sum of a decimal(…,2) column as SQL: PostgreSQL and MySQL sum decimals exactly and print them with their
 * scale; SQLite stores them as floats, so its oracle sums whole cents (see {@link exactValue}).
 */
function exactSum(dialect: Dialect, column: string): string {
  if (dialect === 'postgresql') return `CAST(SUM(${column}) AS TEXT)`;
  if (dialect === 'mysql') return `CAST(SUM(${column}) AS CHAR)`;
  return `SUM(CAST(ROUND(${column} * 100) AS INTEGER))`;
}

/** The sum to order by, exact on every dialect. */
function exactSumOrder(dialect: Dialect, column: string): string {
  return dialect === 'sqlite' ? `SUM(CAST(ROUND(${column} * 100) AS INTEGER))` : `SUM(${column})`;
}

/** A value selected by {@link exactSum} as the documented exact decimal string. */
function exactValue(dialect: Dialect, value: unknown): string | null {
  if (value == null) return null;
  return dialect === 'sqlite' ? fromCents(BigInt(String(value))) : String(value);
}

/** One decimal(…,2) column as the documented string with two decimals. */
function decimalText(dialect: Dialect, column: string): string {
  if (dialect === 'postgresql') return `CAST(${column} AS TEXT)`;
  if (dialect === 'mysql') return `CAST(${column} AS CHAR)`;
  return `printf('%.2f', ${column})`;
}

/** `avg` as documented: the exact sum as a number divided by the count of values. */
const average = (sum: string | number | null, count: number) => (sum == null || count === 0 ? null : Number(sum) / count);

/**
 * Clients listing the generic tools only (`catalog.mode: 'compact'`), by the typed client of the same database: every
 * question asked through a typed tool is asked again through the generic one, which must answer exactly alike.
 */
const genericTwins = new WeakMap<Client, Client>();
/** Questions asked again through a generic tool (so a renamed tool cannot silently skip the comparison). */
let genericChecks = 0;

/** A connected client on a conexor with the clock pinned to {@link NOW} in UTC (and its generic twin). */
async function pinnedClient(db: TestDatabase): Promise<Client> {
  const options = { clock: () => NOW, timeZone: 'UTC' };
  const typed = await createConexor(db.knex, { ...options, catalog: { mode: 'typed' } });
  const generic = await createConexor(db.knex, { ...options, catalog: { mode: 'compact' } });
  const client = await connectClient(typed.createServer());
  genericTwins.set(client, await connectClient(generic.createServer()));
  return client;
}

/** The generic tool and `table` argument that ask what a typed tool asks (`aggregate_orders` → `aggregate`, orders). */
function genericForm(name: string): { tool: string; table: string } | undefined {
  const match = /^(query|count|aggregate)_(.+)$/.exec(name);
  if (!match || (match[1] === 'query' && match[2]?.includes('_by_'))) return undefined;
  return { tool: match[1] as string, table: match[2] as string };
}

async function ok(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = await call(client, name, args);
  expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
  const twin = genericTwins.get(client);
  const generic = genericForm(name);
  if (twin && generic) {
    const again = await call(twin, generic.tool, { table: generic.table, ...args });
    expect(again, `${generic.tool} {table: ${generic.table}} answers as ${name}`).toEqual(result);
    genericChecks += 1;
  }
  return result;
}

async function rowsOf(client: Client, name: string, args: Record<string, unknown>): Promise<Rows> {
  return (await ok(client, name, args)).structuredContent as unknown as Rows;
}

/** The `Resolved times` line of a result's text. */
const resolvedLine = (result: CallToolResult) => textOf(result).split('\n').find((line) => line.startsWith('Resolved times'));

afterAll(() => {
  // Every question but the lookups goes through both forms.
  expect(genericChecks).toBeGreaterThanOrEqual(10 * DIALECTS.length);
});

describe.each(DIALECTS)('business questions on the demo shop (%s)', (dialect) => {
  let db: TestDatabase;
  let client: Client;

  /** A UTC instant as a bind value for the demo's timestamp columns (timestamptz on PostgreSQL, UTC text elsewhere). */
  const at = (date: Date): string => (dialect === 'postgresql' ? isoZ(date) : date.toISOString().slice(0, 19).replace('T', ' '));
  const sql = (text: string, bindings: readonly Knex.RawBinding[] = []) => rawRows(db, text, bindings);

  /** The month of a demo timestamp as `YYYY-MM-01`, on the UTC wall clock. */
  const monthOf = (column: string) =>
    dialect === 'postgresql'
      ? `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM') || '-01'`
      : dialect === 'mysql'
        ? `DATE_FORMAT(${column}, '%Y-%m-01')`
        : `substr(${column}, 1, 7) || '-01'`;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_questions');
    await createDemoShop(db.knex, { now: NOW, seed: 42 });
    client = await pinnedClient(db);
  }, 120_000);

  afterAll(async () => {
    if (client) await genericTwins.get(client)?.close();
    await client?.close();
    await db?.destroy();
  });

  it('(1) how many orders were placed in the last 7 days, by country?', async () => {
    const since = new Date(NOW.getTime() - 7 * DAY_MS);
    const expected = (
      await sql(
        `SELECT c.country AS country, COUNT(*) AS n FROM orders o JOIN customers c ON c.id = o.customer_id
         WHERE o.ordered_at >= ? GROUP BY c.country ORDER BY COUNT(*) DESC, c.country ASC`,
        [at(since)],
      )
    ).map((row) => ({ 'customer.country': row.country, count: Number(row.n) }));
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const [total] = await sql('SELECT COUNT(*) AS n FROM orders WHERE ordered_at >= ?', [at(since)]);
    expect(expected.reduce((sum, row) => sum + row.count, 0)).toBe(Number(total?.n));

    const result = await ok(client, 'aggregate_orders', {
      where: [{ field: 'ordered_at', op: 'gte', value: { ago: { days: 7 } } }],
      group_by: ['customer.country'],
      metrics: [{ fn: 'count' }],
      order_by: [{ by: 'count', direction: 'desc' }],
    });
    const content = result.structuredContent as unknown as Rows;
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(false);
    expect(content.next_offset).toBeUndefined();
    expect(content.resolved_time).toEqual({
      now: NOW_ISO,
      time_zone: 'UTC',
      values: [{ at: 'where[0].value', field: 'ordered_at', input: { ago: { days: 7 } }, resolved: '2026-11-17T10:15:00Z' }],
    });
    expect(isoZ(since)).toBe('2026-11-17T10:15:00Z');
    expect(resolvedLine(result)).toContain('2026-11-17T10:15:00Z');
    // The text rendering carries the same table, tab-separated, for clients that ignore structured content.
    const table = ['customer.country\tcount', ...expected.map((row) => `${String(row['customer.country'])}\t${row.count}`)].join('\n');
    expect(textOf(result)).toContain(table);
  });

  it('(2) who are the top 5 customers by revenue this month?', async () => {
    const monthStart = new Date('2026-11-01T00:00:00Z');
    const expected = (
      await sql(
        `SELECT o.customer_id AS customer_id, c.name AS name, ${exactSum(dialect, 'o.total')} AS revenue
         FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.ordered_at >= ?
         GROUP BY o.customer_id, c.name ORDER BY ${exactSumOrder(dialect, 'o.total')} DESC, o.customer_id ASC, c.name ASC LIMIT 5`,
        [at(monthStart)],
      )
    ).map((row) => ({ customer_id: Number(row.customer_id), 'customer.name': row.name, revenue: exactValue(dialect, row.revenue) }));
    expect(expected).toHaveLength(5);
    const [buyers] = await sql('SELECT COUNT(DISTINCT customer_id) AS n FROM orders WHERE ordered_at >= ?', [at(monthStart)]);
    expect(Number(buyers?.n)).toBeGreaterThan(5);

    const content = await rowsOf(client, 'aggregate_orders', {
      where: [{ field: 'ordered_at', op: 'gte', value: { start_of: 'month' } }],
      group_by: ['customer_id', 'customer.name'],
      metrics: [{ fn: 'sum', field: 'total', as: 'revenue' }],
      order_by: [{ by: 'revenue', direction: 'desc' }],
      limit: 5,
    });
    expect(content.rows).toEqual(expected);
    for (const row of content.rows) expect(row.revenue).toMatch(/^\d+\.\d{2}$/);
    expect(content.truncated).toBe(true);
    expect(content.next_offset).toBe(5);
    expect(content.resolved_time?.values).toEqual([
      { at: 'where[0].value', field: 'ordered_at', input: { start_of: 'month' }, resolved: '2026-11-01T00:00:00Z' },
    ]);
  });

  it('(3) what was the monthly revenue over the last 6 months?', async () => {
    const since = new Date('2026-06-01T00:00:00Z');
    const month = monthOf('ordered_at');
    const expected = (
      await sql(
        `SELECT ${month} AS month, COUNT(*) AS n, ${exactSum(dialect, 'total')} AS revenue
         FROM orders WHERE ordered_at >= ? GROUP BY ${month} ORDER BY ${month} ASC`,
        [at(since)],
      )
    ).map((row) => ({ ordered_at_month: row.month, orders: Number(row.n), revenue: exactValue(dialect, row.revenue) }));
    expect(expected.map((row) => row.ordered_at_month)).toEqual(['2026-06-01', '2026-07-01', '2026-08-01', '2026-09-01', '2026-10-01', '2026-11-01']);

    const content = await rowsOf(client, 'aggregate_orders', {
      where: [{ field: 'ordered_at', op: 'gte', value: { start_of: 'month', offset: -5 } }],
      group_by: [{ field: 'ordered_at', bucket: 'month' }],
      metrics: [
        { fn: 'count', as: 'orders' },
        { fn: 'sum', field: 'total', as: 'revenue' },
      ],
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(false);
    expect(content.resolved_time?.values).toEqual([
      { at: 'where[0].value', field: 'ordered_at', input: { start_of: 'month', offset: -5 }, resolved: '2026-06-01T00:00:00Z' },
    ]);
  });

  it('(4) which product categories sold the most units in the last 30 days?', async () => {
    const since = new Date(NOW.getTime() - 30 * DAY_MS);
    const expected = (
      await sql(
        `SELECT p.category AS category, SUM(i.quantity) AS units, COUNT(*) AS n
         FROM order_items i JOIN products p ON p.id = i.product_id
         WHERE EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id AND o.ordered_at >= ?)
         GROUP BY p.category ORDER BY SUM(i.quantity) DESC, p.category ASC`,
        [at(since)],
      )
    ).map((row) => ({ 'product.category': row.category, units: Number(row.units), lines: Number(row.n) }));
    expect(expected).toHaveLength(5);

    const content = await rowsOf(client, 'aggregate_order_items', {
      where: [{ has: 'order', where: [{ field: 'ordered_at', op: 'gte', value: { ago: { days: 30 } } }] }],
      group_by: ['product.category'],
      metrics: [
        { fn: 'sum', field: 'quantity', as: 'units' },
        { fn: 'count', as: 'lines' },
      ],
      order_by: [{ by: 'units', direction: 'desc' }],
    });
    expect(content.rows).toEqual(expected);
    // A sum of integers is an integer number.
    for (const row of content.rows) expect(Number.isInteger(row.units)).toBe(true);
    expect(content.resolved_time?.values).toEqual([
      { at: 'where[0].where[0].value', field: 'ordered_at', input: { ago: { days: 30 } }, resolved: isoZ(since) },
    ]);
  });

  it('(5) which customers ordered in the last 30 days, and how many did not?', async () => {
    const since = new Date(NOW.getTime() - 30 * DAY_MS);
    const recent = [{ field: 'ordered_at', op: 'gte', value: { ago: { days: 30 } } }];
    const expected = (
      await sql(
        `SELECT c.id AS id, c.name AS name, c.country AS country FROM customers c
         WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.ordered_at >= ?) ORDER BY c.id ASC`,
        [at(since)],
      )
    ).map((row) => ({ id: Number(row.id), name: row.name, country: row.country }));
    const [idle] = await sql(
      'SELECT COUNT(*) AS n FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.ordered_at >= ?)',
      [at(since)],
    );
    const expectedIdle = Number(idle?.n);
    expect(expected.length).toBeGreaterThan(10);
    expect(expectedIdle).toBeGreaterThan(0);
    expect(expected.length + expectedIdle).toBe(50);

    const active = await rowsOf(client, 'query_customers', {
      where: [{ has: 'orders', where: recent }],
      columns: ['id', 'name', 'country'],
      limit: 100,
    });
    expect(active.rows).toEqual(expected);
    expect(active.truncated).toBe(false);
    expect(active.resolved_time?.values).toEqual([
      { at: 'where[0].where[0].value', field: 'ordered_at', input: { ago: { days: 30 } }, resolved: isoZ(since) },
    ]);

    const none = (await ok(client, 'count_customers', { where: [{ not: { has: 'orders', where: recent } }] })).structuredContent as unknown as {
      count: number;
      resolved_time?: ResolvedTime;
    };
    expect(none.count).toBe(expectedIdle);
    expect(none.resolved_time?.values.map((value) => value.resolved)).toEqual([isoZ(since)]);
  });

  it("(6) which orders were placed since the start of last week, with their customer's name, by name?", async () => {
    const since = new Date('2026-11-16T00:00:00Z'); // Monday of the previous ISO week
    const expected = (
      await sql(
        `SELECT o.id AS id, o.customer_id AS customer_id, c.name AS name, ${decimalText(dialect, 'o.total')} AS total
         FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.ordered_at >= ?
         ORDER BY CASE WHEN c.name IS NULL THEN 1 ELSE 0 END, c.name ASC, o.id ASC LIMIT 10`,
        [at(since)],
      )
    ).map((row) => ({ id: Number(row.id), customer_id: Number(row.customer_id), 'customer.name': row.name, total: String(row.total) }));
    const [matching] = await sql('SELECT COUNT(*) AS n FROM orders WHERE ordered_at >= ?', [at(since)]);
    expect(expected).toHaveLength(10);
    expect(Number(matching?.n)).toBeGreaterThan(10);

    const content = await rowsOf(client, 'query_orders', {
      where: [{ field: 'ordered_at', op: 'gte', value: { start_of: 'week', offset: -1 } }],
      columns: ['id', 'customer_id', 'customer.name', 'total'],
      order_by: [{ field: 'customer.name', direction: 'asc' }],
      limit: 10,
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(true);
    expect(content.next_offset).toBe(10);
    expect(content.resolved_time?.values).toEqual([
      { at: 'where[0].value', field: 'ordered_at', input: { start_of: 'week', offset: -1 }, resolved: '2026-11-16T00:00:00Z' },
    ]);
  });

  it('(7) what is the average order value by status, for statuses with more than 20 orders?', async () => {
    const all = await sql(`SELECT status, COUNT(*) AS n FROM orders GROUP BY status`);
    const expected = (
      await sql(
        `SELECT status, COUNT(*) AS n, ${exactSum(dialect, 'total')} AS total FROM orders GROUP BY status
         HAVING COUNT(*) > 20 ORDER BY SUM(total) / COUNT(*) DESC, status ASC`,
      )
    ).map((row) => {
      const count = Number(row.n);
      return { status: row.status, count, avg_total: average(exactValue(dialect, row.total), count) };
    });
    expect(expected.length).toBeGreaterThanOrEqual(2);
    // The having clause must actually drop a status, or it is not exercised.
    expect(all.length).toBeGreaterThan(expected.length);

    const content = await rowsOf(client, 'aggregate_orders', {
      group_by: ['status'],
      metrics: [{ fn: 'count' }, { fn: 'avg', field: 'total', as: 'avg_total' }],
      having: [{ metric: 'count', op: 'gt', value: 20 }],
      order_by: [{ by: 'avg_total', direction: 'desc' }],
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(false);
    expect(content.resolved_time).toBeUndefined();
  });
});

const pascal = (snake: string) =>
  snake
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

describe.each(DIALECTS)('business questions on Chinook (%s)', (dialect) => {
  let db: TestDatabase;
  let client: Client;

  /** Chinook's real table / column name, which is also the field name: snake_case on PostgreSQL, PascalCase elsewhere. */
  const n = (snake: string) => (dialect === 'postgresql' ? snake : pascal(snake));
  /** The quoted identifier, optionally qualified by a table alias. */
  const q = (snake: string, alias?: string) => {
    const quoted = dialect === 'mysql' ? `\`${n(snake)}\`` : `"${n(snake)}"`;
    return alias ? `${alias}.${quoted}` : quoted;
  };
  const sql = (text: string, bindings: readonly Knex.RawBinding[] = []) => rawRows(db, text, bindings);
  /** The portable "NULLs last" prefix of an ascending sort key. */
  const nullsLast = (column: string) => `CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END, ${column} ASC`;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_questions_chinook');
    await loadChinook(db.knex, dialect);
    client = await pinnedClient(db);
  }, 120_000);

  afterAll(async () => {
    if (client) await genericTwins.get(client)?.close();
    await client?.close();
    await db?.destroy();
  });

  it('(8) which 5 billing countries bring the most revenue?', async () => {
    const total = q('total');
    const country = q('billing_country');
    const expected = (
      await sql(
        `SELECT ${country} AS country, ${exactSum(dialect, total)} AS revenue, COUNT(*) AS n FROM ${q('invoice')}
         GROUP BY ${country} ORDER BY ${exactSumOrder(dialect, total)} DESC, ${nullsLast(country)} LIMIT 5`,
      )
    ).map((row) => ({ [n('billing_country')]: row.country, revenue: exactValue(dialect, row.revenue), invoices: Number(row.n) }));
    expect(expected).toHaveLength(5);
    expect(expected[0]).toEqual({ [n('billing_country')]: 'USA', revenue: '523.06', invoices: 91 });

    const content = await rowsOf(client, 'aggregate_invoice', {
      group_by: [n('billing_country')],
      metrics: [
        { fn: 'sum', field: n('total'), as: 'revenue' },
        { fn: 'count', as: 'invoices' },
      ],
      order_by: [{ by: 'revenue', direction: 'desc' }],
      limit: 5,
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(true);
    expect(content.next_offset).toBe(5);
  });

  it('(9) how many invoices, and how much revenue, per year?', async () => {
    const date = q('invoice_date');
    const year =
      dialect === 'postgresql'
        ? `to_char(${date}, 'YYYY') || '-01-01'`
        : dialect === 'mysql'
          ? `CONCAT(YEAR(${date}), '-01-01')`
          : `substr(${date}, 1, 4) || '-01-01'`;
    const output = `${n('invoice_date')}_year`;
    const expected = (
      await sql(
        `SELECT ${year} AS year, COUNT(*) AS n, ${exactSum(dialect, q('total'))} AS revenue FROM ${q('invoice')}
         GROUP BY ${year} ORDER BY ${year} ASC`,
      )
    ).map((row) => ({ [output]: String(row.year), invoices: Number(row.n), revenue: exactValue(dialect, row.revenue) }));
    expect(expected.map((row) => row[output])).toEqual(['2021-01-01', '2022-01-01', '2023-01-01', '2024-01-01', '2025-01-01']);

    const content = await rowsOf(client, 'aggregate_invoice', {
      group_by: [{ field: n('invoice_date'), bucket: 'year' }],
      metrics: [
        { fn: 'count', as: 'invoices' },
        { fn: 'sum', field: n('total'), as: 'revenue' },
      ],
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(false);
  });

  it('(10) how many tracks, and how long on average, per genre?', async () => {
    const genre = q('name', 'g');
    const ms = q('milliseconds', 't');
    const expected = (
      await sql(
        `SELECT ${genre} AS genre, COUNT(*) AS n, SUM(${ms}) AS ms, COUNT(${ms}) AS ms_n
         FROM ${q('track')} t LEFT JOIN ${q('genre')} g ON ${q('genre_id', 'g')} = ${q('genre_id', 't')}
         GROUP BY ${genre} ORDER BY COUNT(*) DESC, ${nullsLast(genre)}`,
      )
    ).map((row) => ({ [`genre.${n('name')}`]: row.genre, tracks: Number(row.n), avg_ms: average(Number(row.ms), Number(row.ms_n)) }));
    expect(expected.length).toBeGreaterThan(20);
    expect(expected[0]).toMatchObject({ [`genre.${n('name')}`]: 'Rock', tracks: 1297 });

    const content = await rowsOf(client, 'aggregate_track', {
      group_by: [`genre.${n('name')}`],
      metrics: [
        { fn: 'count', as: 'tracks' },
        { fn: 'avg', field: n('milliseconds'), as: 'avg_ms' },
      ],
      order_by: [{ by: 'tracks', direction: 'desc' }],
      limit: 100,
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(false);
  });

  it('(11a) which employees support no customer, and which customers bought nothing since 2025?', async () => {
    const expected = (
      await sql(
        `SELECT ${q('employee_id', 'e')} AS id, ${q('first_name', 'e')} AS first, ${q('last_name', 'e')} AS last FROM ${q('employee')} e
         WHERE NOT EXISTS (SELECT 1 FROM ${q('customer')} c WHERE ${q('support_rep_id', 'c')} = ${q('employee_id', 'e')})
         ORDER BY ${q('employee_id', 'e')} ASC`,
      )
    ).map((row) => ({ [n('employee_id')]: Number(row.id), [n('first_name')]: row.first, [n('last_name')]: row.last }));
    expect(expected.length).toBeGreaterThan(0);
    const employees = await rowsOf(client, 'query_employee', {
      where: [{ not: { has: 'customer' } }],
      columns: [n('employee_id'), n('first_name'), n('last_name')],
    });
    expect(employees.rows).toEqual(expected);
    expect(employees.truncated).toBe(false);

    const [lapsed] = await sql(
      `SELECT COUNT(*) AS n FROM ${q('customer')} c WHERE NOT EXISTS (
         SELECT 1 FROM ${q('invoice')} i WHERE ${q('customer_id', 'i')} = ${q('customer_id', 'c')} AND ${q('invoice_date', 'i')} >= ?)`,
      ['2025-07-01 00:00:00'],
    );
    const expectedLapsed = Number(lapsed?.n);
    expect(expectedLapsed).toBeGreaterThan(0);
    expect(expectedLapsed).toBeLessThan(59);
    const none = (
      await ok(client, 'count_customer', {
        where: [{ not: { has: 'invoice', where: [{ field: n('invoice_date'), op: 'gte', value: '2025-07-01' }] } }],
      })
    ).structuredContent as unknown as { count: number };
    expect(none.count).toBe(expectedLapsed);
  });

  it('(11b) which customers have no invoice at all? (none in Chinook)', async () => {
    const [row] = await sql(
      `SELECT COUNT(*) AS n FROM ${q('customer')} c WHERE NOT EXISTS (SELECT 1 FROM ${q('invoice')} i WHERE ${q('customer_id', 'i')} = ${q('customer_id', 'c')})`,
    );
    const expected = Number(row?.n);
    expect(expected).toBe(0);
    const content = (await ok(client, 'count_customer', { where: [{ not: { has: 'invoice' } }] })).structuredContent as unknown as { count: number };
    expect(content.count).toBe(expected);
  });

  it('(11c) which artists have more than 5 albums?', async () => {
    const artist = q('name', 'ar');
    const expected = (
      await sql(
        `SELECT ${artist} AS artist, COUNT(*) AS n FROM ${q('album')} al LEFT JOIN ${q('artist')} ar ON ${q('artist_id', 'ar')} = ${q('artist_id', 'al')}
         GROUP BY ${artist} HAVING COUNT(*) > 5 ORDER BY COUNT(*) DESC, ${nullsLast(artist)}`,
      )
    ).map((row) => ({ [`artist.${n('name')}`]: row.artist, albums: Number(row.n) }));
    expect(expected.length).toBeGreaterThanOrEqual(5);
    expect(expected[0]).toEqual({ [`artist.${n('name')}`]: 'Iron Maiden', albums: 21 });

    const content = await rowsOf(client, 'aggregate_album', {
      group_by: [`artist.${n('name')}`],
      metrics: [{ fn: 'count', as: 'albums' }],
      having: [{ metric: 'albums', op: 'gt', value: 5 }],
      order_by: [{ by: 'albums', direction: 'desc' }],
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(false);
  });

  it("(12) which 3 customer countries bring the most revenue, and from how many customers? (grouped through invoice → customer)", async () => {
    const country = q('country', 'c');
    const total = q('total', 'i');
    const expected = (
      await sql(
        `SELECT ${country} AS country, ${exactSum(dialect, total)} AS revenue, COUNT(DISTINCT ${q('customer_id', 'i')}) AS customers
         FROM ${q('invoice')} i LEFT JOIN ${q('customer')} c ON ${q('customer_id', 'c')} = ${q('customer_id', 'i')}
         GROUP BY ${country} ORDER BY ${exactSumOrder(dialect, total)} DESC, ${nullsLast(country)} LIMIT 3`,
      )
    ).map((row) => ({ [`customer.${n('country')}`]: row.country, revenue: exactValue(dialect, row.revenue), customers: Number(row.customers) }));
    expect(expected).toHaveLength(3);

    const content = await rowsOf(client, 'aggregate_invoice', {
      group_by: [`customer.${n('country')}`],
      metrics: [
        { fn: 'sum', field: n('total'), as: 'revenue' },
        { fn: 'count_distinct', field: n('customer_id'), as: 'customers' },
      ],
      order_by: [{ by: 'revenue', direction: 'desc' }],
      limit: 3,
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(true);
    expect(content.next_offset).toBe(3);
  });

  it('(13) how much revenue per genre, outside the USA? (invoice_line → track → genre, filtered through invoice → customer)', async () => {
    const genre = q('name', 'g');
    const price = q('unit_price', 'l');
    const expected = (
      await sql(
        `SELECT ${genre} AS genre, ${exactSum(dialect, price)} AS revenue, COUNT(*) AS n
         FROM ${q('invoice_line')} l
         LEFT JOIN ${q('track')} t ON ${q('track_id', 't')} = ${q('track_id', 'l')}
         LEFT JOIN ${q('genre')} g ON ${q('genre_id', 'g')} = ${q('genre_id', 't')}
         LEFT JOIN ${q('invoice')} i ON ${q('invoice_id', 'i')} = ${q('invoice_id', 'l')}
         LEFT JOIN ${q('customer')} c ON ${q('customer_id', 'c')} = ${q('customer_id', 'i')}
         WHERE ${q('country', 'c')} <> 'USA'
         GROUP BY ${genre} ORDER BY ${exactSumOrder(dialect, price)} DESC, ${nullsLast(genre)} LIMIT 5`,
      )
    ).map((row) => ({ [`track.genre.${n('name')}`]: row.genre, revenue: exactValue(dialect, row.revenue), lines: Number(row.n) }));
    expect(expected).toHaveLength(5);
    expect(expected[0]?.[`track.genre.${n('name')}`]).toBe('Rock');

    const content = await rowsOf(client, 'aggregate_invoice_line', {
      where: [{ field: `invoice.customer.${n('country')}`, op: 'neq', value: 'USA' }],
      group_by: [`track.genre.${n('name')}`],
      metrics: [
        { fn: 'sum', field: n('unit_price'), as: 'revenue' },
        { fn: 'count', as: 'lines' },
      ],
      order_by: [{ by: 'revenue', direction: 'desc' }],
      limit: 5,
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(true);
  });

  it("(14) how many invoices, and how much revenue, per customer's support representative? (invoice → customer → support_rep)", async () => {
    const rep = q('last_name', 'e');
    const total = q('total', 'i');
    const expected = (
      await sql(
        `SELECT ${rep} AS rep, ${exactSum(dialect, total)} AS revenue, COUNT(*) AS n
         FROM ${q('invoice')} i
         LEFT JOIN ${q('customer')} c ON ${q('customer_id', 'c')} = ${q('customer_id', 'i')}
         LEFT JOIN ${q('employee')} e ON ${q('employee_id', 'e')} = ${q('support_rep_id', 'c')}
         GROUP BY ${rep} ORDER BY ${nullsLast(rep)}`,
      )
    ).map((row) => ({ [`customer.support_rep.${n('last_name')}`]: row.rep, revenue: exactValue(dialect, row.revenue), invoices: Number(row.n) }));
    expect(expected.map((row) => row[`customer.support_rep.${n('last_name')}`])).toEqual(['Johnson', 'Park', 'Peacock']);

    const content = await rowsOf(client, 'aggregate_invoice', {
      group_by: [`customer.support_rep.${n('last_name')}`],
      metrics: [
        { fn: 'sum', field: n('total'), as: 'revenue' },
        { fn: 'count', as: 'invoices' },
      ],
    });
    expect(content.rows).toEqual(expected);
    expect(content.truncated).toBe(false);
  });
});
