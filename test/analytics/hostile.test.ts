import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import type { Knex } from 'knex';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, functionSink, type AuditEvent, type Conexor, type Dialect } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { connectClient, textOf } from '../support/mcp.js';
import { snapshot, type Snapshot } from '../support/snapshot.js';
import { INJECTION_PAYLOADS } from '../support/injection-payloads.js';

/**
 * Hostile input through the analytics arguments (issue 5), on every dialect, through a real MCP client:
 * `group_by`, `metrics`, `having` and `order_by` of `aggregate_<table>`, relation fields (`customer.name`) and `has`
 * filters, and relative times in filter values.
 *
 * Every hostile call must be refused as invalid arguments (`isError: true`, `Invalid arguments for <tool>: …`, the
 * audit outcome `invalid`) with a message naming the argument path, never an SQL or database error text, never a
 * hidden, secret-looking or scoping name outside the echoed input. Afterwards the schema and every row are
 * unchanged and a normal call still answers.
 */

const BASE_SEEDS: Record<Dialect, number> = { sqlite: 0xa9_0001, postgresql: 0xa9_0002, mysql: 0xa9_0003 };
const PROPERTY_RUNS = 100;
/** The server clock (spec example: "2026-11-17T10:15:00Z"). */
const NOW = new Date('2026-11-17T10:15:00Z');
const TENANT = 1;

/** Stored as a customer name: a corpus payload that must be matched literally, as data. */
const STORED = "Robert'); DROP TABLE victim;--";

/** The injection corpus, plus the payload stored as data. */
const CORPUS: readonly string[] = [...INJECTION_PAYLOADS, STORED];
/** Past the documented string limit (1000 characters): refused wherever it goes. */
const TOO_LONG = `' OR 1=1 --${'x'.repeat(1_000)}`;
const HUGE = 'x'.repeat(10_000);

/** Names that are never fields here: hidden, secret-looking, scoping, through a hidden foreign key, an excluded table. */
const NEVER_VISIBLE = ['password_hash', 'internal_note', 'tenant_id', 'approver_id', 'approver', 'ledger', 'CANARY'];

/** SQL, stacks or dumps in an error once the echoed (JSON-quoted) input is removed. */
const LEAKS = [
  /select /i,
  /insert /i,
  /drop /i,
  /delete /i,
  /update /i,
  / from "/i,
  / from `/i,
  /\n\s+at /,
  /\bat .+:\d+:\d+/,
  /\[object Object\]/,
  /\bknex\b/i,
  /database code/i,
  /could not run/i,
  /syntax/i,
  /SQLITE_/,
  /ER_[A-Z_]+/,
];

/**
 * Wording the existing suites also refuse (test/security/*): "undefined" in a message is how a missing argument
 * reads when no explanation was written for it. Checked softly, so the rest of a test still runs.
 */
const WORDING = /undefined/;

const unquoted = (text: string) => text.replace(/"(?:[^"\\]|\\.)*"/g, '""');

function assertClean(text: string, soft = true): void {
  const bare = unquoted(text);
  for (const leak of LEAKS) expect(bare, `error text leaks ${String(leak)}: ${text.slice(0, 500)}`).not.toMatch(leak);
  if (soft) expect.soft(bare, `error text says "undefined": ${text.slice(0, 500)}`).not.toMatch(WORDING);
  for (const name of NEVER_VISIBLE) expect(bare, `error text names ${name} outside the echoed input: ${text.slice(0, 500)}`).not.toContain(name);
  expect(text.length, 'error text stays short whatever the input').toBeLessThan(3_000);
}

function show(args: unknown): string {
  const text = JSON.stringify(args) ?? String(args);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** What a real wire delivers: a copy, so the server cannot alter the test's objects. */
function asJson<T>(value: T): T {
  const text = JSON.stringify(value);
  return (text === undefined ? null : JSON.parse(text)) as T;
}

async function createSchema(db: TestDatabase): Promise<void> {
  const { knex, dialect } = db;
  // Knex makes a SQLite decimal a float; the declared type is what conexor reads as decimal.
  const money = (t: Knex.CreateTableBuilder, name: string) =>
    dialect === 'sqlite' ? t.specificType(name, 'decimal(10,2)') : t.decimal(name, 10, 2);
  await knex.schema.createTable('customers', (t) => {
    t.increments('id');
    t.integer('tenant_id').notNullable();
    t.string('name', 200).notNullable();
    t.string('country', 40);
    t.string('email', 200).unique();
    t.string('password_hash', 100);
    t.string('internal_note', 200);
    t.integer('referred_by').unsigned().nullable().references('id').inTable('customers');
    t.datetime('created_at');
    t.date('birthday');
    t.boolean('vip');
    t.json('profile');
  });
  await knex.schema.createTable('orders', (t) => {
    t.increments('id');
    t.integer('tenant_id').notNullable();
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('customers');
    // A foreign key through a hidden column: no relation may come of it.
    t.integer('approver_id').unsigned().nullable().references('id').inTable('customers');
    money(t, 'total');
    t.integer('qty');
    t.string('status', 20);
    t.datetime('ordered_at');
    t.date('shipped_on');
    t.text('note');
  });
  await knex.schema.createTable('order_items', (t) => {
    t.increments('id');
    t.integer('order_id').unsigned().notNullable().references('id').inTable('orders');
    t.string('sku', 40);
    money(t, 'amount');
  });
  // Excluded by policy: no tool, no relation towards it.
  await knex.schema.createTable('ledger', (t) => {
    t.increments('id');
    t.integer('order_id').unsigned().notNullable().references('id').inTable('orders');
    money(t, 'amount');
  });
  // A date primary key: a lookup tool keyed by a date, which must not take relative forms.
  await knex.schema.createTable('calendar', (t) => {
    t.date('day').primary();
    t.string('label', 40);
  });
  await knex.schema.createTable('victim', (t) => {
    t.increments('id');
    t.string('name', 200);
  });

  const secret = { password_hash: 'CANARY-hash', internal_note: 'CANARY-note' };
  await knex('customers').insert({ tenant_id: 1, name: 'Ada', country: 'FR', email: 'ada@example.com', ...secret, created_at: '2026-01-05 10:00:00', birthday: '1990-05-01', vip: true, profile: JSON.stringify({ a: 1 }) });
  await knex('customers').insert({ tenant_id: 1, name: 'Bob', country: 'DE', email: 'bob@example.com', ...secret, referred_by: 1, created_at: '2026-11-16 08:00:00', birthday: '1985-12-31', vip: false });
  await knex('customers').insert({ tenant_id: 1, name: STORED, country: 'FR', email: 'robert@example.com', ...secret, referred_by: 2, created_at: '2026-11-17 09:00:00' });
  await knex('customers').insert({ tenant_id: 2, name: 'Zed', country: 'US', email: 'zed@example.com', ...secret, created_at: '2026-03-01 00:00:00' });
  await knex('orders').insert([
    { tenant_id: 1, customer_id: 1, approver_id: 2, total: '10.50', qty: 1, status: 'paid', ordered_at: '2026-11-01 09:00:00', shipped_on: '2026-11-02', note: 'first' },
    { tenant_id: 1, customer_id: 1, approver_id: null, total: '20.00', qty: 2, status: 'open', ordered_at: '2026-10-15 12:30:00', shipped_on: null, note: null },
    { tenant_id: 1, customer_id: 3, approver_id: 1, total: '5.25', qty: 3, status: 'paid', ordered_at: '2026-11-17 08:00:00', shipped_on: '2026-11-17', note: "it's" },
    { tenant_id: 2, customer_id: 4, approver_id: null, total: '99.00', qty: 9, status: 'paid', ordered_at: '2026-06-01 00:00:00', shipped_on: '2026-06-02', note: 'other tenant' },
  ]);
  await knex('order_items').insert([
    { order_id: 1, sku: 'tea', amount: '3.50' },
    { order_id: 1, sku: 'cake', amount: '7.00' },
    { order_id: 3, sku: 'tea', amount: '5.25' },
  ]);
  await knex('ledger').insert({ order_id: 1, amount: '10.50' });
  await knex('calendar').insert([
    { day: '2026-11-16', label: 'yesterday' },
    { day: '2026-11-17', label: 'today' },
  ]);
  await knex('victim').insert([{ name: 'alice' }, { name: 'bob' }]);
}

type Args = Record<string, unknown>;
type Rows = { rows: Record<string, unknown>[]; truncated: boolean };

describe.each(DIALECTS)('hostile analytics input on %s', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  let client: Client;
  let before: Snapshot;
  const events: AuditEvent[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_ahostile');
    await createSchema(db);
    cx = await createConexor(db.knex, {
      tables: { exclude: ['ledger'] },
      hiddenColumns: { customers: ['internal_note'], orders: ['approver_id'] },
      scope: { columns: ['tenant_id'], values: () => ({ tenant_id: TENANT }) },
      clock: () => NOW,
      logger: pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) }),
      audit: { sinks: [functionSink((batch) => void events.push(...batch))] },
    });
    client = await connectClient(cx.createServer());
    before = await snapshot(db);
  });

  afterAll(async () => {
    await client?.close();
    await cx?.close();
    await db?.destroy();
  });

  /** One call and its audit event. */
  async function send(tool: string, args: unknown): Promise<{ result: CallToolResult; event: AuditEvent | undefined }> {
    const seen = events.length;
    const result = (await client.callTool({ name: tool, arguments: asJson(args) as Args })) as CallToolResult;
    return { result, event: events.length > seen ? events[events.length - 1] : undefined };
  }

  /** A refusal as invalid arguments naming `path` (and matching `also`), clean of SQL and hidden names. */
  async function expectRefused(tool: string, args: unknown, path: RegExp, also?: RegExp): Promise<string> {
    const { result, event } = await send(tool, args);
    const text = textOf(result);
    expect(result.isError, `${tool} ${show(args)} should be refused, got: ${text.slice(0, 300)}`).toBe(true);
    expect(text.startsWith(`Invalid arguments for ${tool}: `), `${tool} ${show(args)}: ${text.slice(0, 300)}`).toBe(true);
    expect(text, `${tool} ${show(args)}: the error should name ${String(path)}`).toMatch(path);
    if (also) expect(text, `${tool} ${show(args)}`).toMatch(also);
    assertClean(text);
    expect(result.structuredContent, 'a refusal carries no data').toBeUndefined();
    expect(event?.outcome, `${tool} ${show(args)}: audit outcome`).toBe('invalid');
    return text;
  }

  /** A successful call. */
  async function expectOk(tool: string, args: unknown): Promise<Record<string, unknown>> {
    const { result } = await send(tool, args);
    expect(result.isError, `${tool} ${show(args)}: ${textOf(result).slice(0, 500)}`).toBeFalsy();
    return result.structuredContent as Record<string, unknown>;
  }

  /** Nothing changed, and a normal call still answers. */
  async function expectIntact(): Promise<void> {
    expect(await snapshot(db)).toEqual(before);
    expect(await expectOk('aggregate_orders', {})).toMatchObject({ rows: [{ count: 3 }] });
    expect(await expectOk('count_victim', {})).toEqual({ count: 2 });
    // Nothing a hostile call sent made conexor itself fail.
    expect(logs.filter((line) => /"type":"(TypeError|RangeError|ReferenceError|SyntaxError)"/.test(line))).toEqual([]);
  }

  it('answers the valid forms these tests mutate (so a refusal below is not a blanket one)', async () => {
    const grouped = (await expectOk('aggregate_orders', {
      group_by: ['status', 'customer.country', { field: 'ordered_at', bucket: 'month' }],
      metrics: [{ fn: 'count' }, { fn: 'sum', field: 'total', as: 'revenue' }, { fn: 'max', field: 'ordered_at' }],
      having: [{ metric: 'count', op: 'gte', value: 1 }],
      order_by: [{ by: 'revenue', direction: 'desc' }],
      where: [{ field: 'ordered_at', op: 'gte', value: { ago: { days: 60 } } }],
    })) as Rows & { resolved_time?: unknown };
    expect(grouped.rows.length).toBeGreaterThan(0);
    expect(Object.keys(grouped.rows[0] ?? {}).sort()).toEqual(['count', 'customer.country', 'max_ordered_at', 'ordered_at_month', 'revenue', 'status']);
    expect(grouped.resolved_time).toBeDefined();
    const related = (await expectOk('query_orders', { columns: ['id', 'customer.name'], order_by: [{ field: 'customer.name' }, { field: 'id' }] })) as Rows;
    expect(related.rows.map((row) => row['customer.name'])).toEqual(['Ada', 'Ada', STORED]);
    expect(await expectOk('count_orders', { where: [{ has: 'customer', where: [{ has: 'referred_by', where: [{ field: 'name', op: 'eq', value: 'Bob' }] }] }] })).toMatchObject({ count: 1 });
    expect(await expectOk('count_orders', { where: [{ not: { has: 'order_items' } }] })).toMatchObject({ count: 1 });
    expect(await expectOk('count_calendar', { where: [{ field: 'day', op: 'eq', value: 'now' }] })).toMatchObject({ count: 1 });
    expect(await expectOk('query_calendar_by_day', { day: '2026-11-17' })).toMatchObject({ row: { day: '2026-11-17', label: 'today' } });
    // Exactly at the limits is fine: 20 conditions counting those inside `has`, three levels of `has`.
    const twenty = Array.from({ length: 19 }, () => ({ field: 'country', op: 'neq', value: 'XX' }));
    await expectOk('count_orders', { where: [{ field: 'qty', op: 'gt', value: 0 }, { has: 'customer', where: twenty }] });
    await expectOk('count_orders', { where: [{ has: 'customer', where: [{ has: 'referred_by', where: [{ has: 'referred_by' }] }] }] });
    await expectOk('aggregate_orders', { group_by: ['status', 'qty', 'note', 'shipped_on', 'customer.name'], metrics: Array.from({ length: 10 }, (_, index) => ({ fn: 'count', as: `c${index}` })) });
    await expectIntact();
  });

  it('refuses hostile group_by entries, naming group_by[i] and what is allowed', async () => {
    const notFields: unknown[] = [
      'nope',
      'password_hash',
      'internal_note',
      'tenant_id',
      'approver_id',
      'approver.name',
      'customer.password_hash',
      'customer.internal_note',
      'customer.tenant_id',
      'customer.profile',
      'ledger.amount',
      'id; DROP TABLE victim',
      '"customer"."password"',
      '`customer`.`password_hash`',
      "status'; DROP TABLE victim; --",
      'status" as "x',
      'customers.name',
      'customer..name',
      'customer.',
      '.name',
      'customer.name.x',
      '../customers/password_hash',
      'customer/../password_hash',
      'STATUS',
      ' status',
      'status\u0000',
      'ｓｔａｔｕｓ',
      '(SELECT 1)',
      '*',
      '__proto__',
      'constructor',
      '',
      HUGE,
      `customer.${HUGE}`,
    ];
    for (const name of notFields) {
      await expectRefused('aggregate_orders', { group_by: [name] }, /group_by\[0\]/, /allowed/);
      await expectRefused('aggregate_orders', { group_by: ['status', { field: name, bucket: 'day' }] }, /group_by\[1\]/);
    }
    // The allowed list shows visible fields, related ones included, and nothing hidden.
    const text = await expectRefused('aggregate_orders', { group_by: ['nope'] }, /group_by\[0\]/, /allowed/);
    expect(text).toMatch(/\bstatus\b/);
    expect(text).toMatch(/customer\.country/);
    // Hidden and scoping columns of the tool's own table.
    for (const name of ['password_hash', 'internal_note', 'tenant_id']) {
      await expectRefused('aggregate_customers', { group_by: [name] }, /group_by\[0\]/);
      await expectRefused('aggregate_customers', { group_by: ['country'], order_by: [{ by: name }] }, /order_by\[0\]\.by/);
    }
  });

  it('refuses group_by of the wrong shape, too many keys, and buckets that do not apply', async () => {
    const shapes: unknown[] = ['status', 5, {}, true, null, [5], [null], [true], [['status']], [{ bucket: 'day' }], [{ field: 5, bucket: 'day' }], [{ field: 'ordered_at', bucket: 'day', as: 'x' }], [{ field: 'ordered_at', bucket: 'day', raw: 'x' }], [{ field: 'ordered_at', bucket: ['day'] }]];
    for (const groupBy of shapes) await expectRefused('aggregate_orders', { group_by: groupBy }, /group_by/);
    // Beyond maxGroupBy (5).
    await expectRefused('aggregate_orders', { group_by: ['status', 'qty', 'note', 'shipped_on', 'customer.name', 'customer.country'] }, /group_by/, /\b5\b/);
    // Buckets only on date and date-time fields.
    for (const field of ['qty', 'status', 'total', 'note', 'customer.name', 'customer.vip', 'id']) {
      await expectRefused('aggregate_orders', { group_by: [{ field, bucket: 'month' }] }, /group_by\[0\](\.bucket)?/, /date/);
    }
    // Unknown buckets.
    for (const bucket of ['fortnight', 'MONTH', 'Month', 'minute', 'second', 'decade', 'month; DROP TABLE victim', "month') --", '', 'week ', HUGE, 5, null, { unit: 'day' }]) {
      await expectRefused('aggregate_orders', { group_by: [{ field: 'ordered_at', bucket }] }, /group_by\[0\]/);
      await expectRefused('aggregate_orders', { group_by: [{ field: 'customer.created_at', bucket }] }, /group_by\[0\]/);
    }
    const text = await expectRefused('aggregate_orders', { group_by: [{ field: 'ordered_at', bucket: 'fortnight' }] }, /group_by\[0\]\.bucket/, /allowed/);
    for (const bucket of ['hour', 'day', 'week', 'month', 'quarter', 'year']) expect(text).toContain(bucket);
    // The same key twice gives the same output name twice.
    await expectRefused('aggregate_orders', { group_by: ['status', 'status'] }, /group_by\[1\]/, /status/);
  });

  it('refuses hostile metrics: unknown functions, misfit fields, other tables, bad or clashing names, too many', async () => {
    for (const fn of ['median', 'SUM', 'Sum', 'sum ', 'stddev', 'count(*)', 'sum(total); DROP TABLE victim', 'group_concat', 'string_agg', 'array_agg', 'pg_sleep', '', HUGE, 5, null, ['sum']]) {
      await expectRefused('aggregate_orders', { metrics: [{ fn, field: 'total' }] }, /metrics\[0\]/);
    }
    const unknownFn = await expectRefused('aggregate_orders', { metrics: [{ fn: 'median', field: 'total' }] }, /metrics\[0\]\.fn/, /allowed/);
    for (const fn of ['count', 'count_distinct', 'sum', 'avg', 'min', 'max']) expect(unknownFn).toContain(fn);

    // Functions on fields whose type does not take them.
    const misfits: [fn: string, field: string][] = [
      ['sum', 'status'],
      ['avg', 'note'],
      ['sum', 'ordered_at'],
      ['avg', 'shipped_on'],
      ['sum', 'customer.name'],
      ['avg', 'customer.email'],
      ['min', 'status'],
      ['max', 'customer.country'],
      ['count_distinct', 'customer.profile'],
    ];
    for (const [fn, field] of misfits) await expectRefused('aggregate_orders', { metrics: [{ fn: 'count' }, { fn, field }] }, /metrics\[1\]/);
    await expectRefused('aggregate_orders', { metrics: [{ fn: 'sum', field: 'status' }] }, /metrics\[0\]\.fn/, /allowed|needs/);

    // Fields that are not fields of this table: another table's, hidden, scoping, hostile.
    for (const field of ['name', 'amount', 'customers.id', 'order_items.amount', 'ledger.amount', 'password_hash', 'approver_id', 'tenant_id', 'customer.password_hash', 'customer.internal_note', 'customer.tenant_id', 'approver.id', 'total; DROP TABLE victim', '"total"', '`total`', 'total"', '*', '1', HUGE, 5, null, { raw: 'total' }]) {
      await expectRefused('aggregate_orders', { metrics: [{ fn: 'sum', field }] }, /metrics\[0\]/);
      await expectRefused('aggregate_orders', { metrics: [{ fn: 'count', field }] }, /metrics\[0\]/);
    }
    // A function other than count needs a field.
    for (const fn of ['sum', 'avg', 'min', 'max', 'count_distinct']) await expectRefused('aggregate_orders', { metrics: [{ fn }] }, /metrics\[0\]/);

    // Output names: only ^[a-z_][a-z0-9_]{0,63}$.
    for (const as of ['x; DROP TABLE victim', 'x" as "y', "x' --", '`x`', 'Total', 'REVENUE', '1abc', 'a-b', 'a.b', 'a b', 'é', '收入', 'x\u0000', '', 'x'.repeat(65), HUGE, 5, null, ['x'], { raw: 'x' }]) {
      await expectRefused('aggregate_orders', { metrics: [{ fn: 'count', as }] }, /metrics\[0\]/);
    }
    await expectOk('aggregate_orders', { metrics: [{ fn: 'count', as: `_${'x'.repeat(63)}` }] });
    // Duplicate and clashing output names, each naming the name.
    await expectRefused('aggregate_orders', { metrics: [{ fn: 'count', as: 'revenue' }, { fn: 'sum', field: 'total', as: 'revenue' }] }, /metrics\[1\]/, /revenue/);
    await expectRefused('aggregate_orders', { metrics: [{ fn: 'count' }, { fn: 'count' }] }, /metrics\[1\]/, /count/);
    await expectRefused('aggregate_orders', { metrics: [{ fn: 'sum', field: 'total' }, { fn: 'count', as: 'sum_total' }] }, /metrics\[1\]/, /sum_total/);
    await expectRefused('aggregate_orders', { group_by: ['status'], metrics: [{ fn: 'count', as: 'status' }] }, /metrics\[0\]/, /status/);
    await expectRefused('aggregate_orders', { group_by: [{ field: 'ordered_at', bucket: 'month' }], metrics: [{ fn: 'count', as: 'ordered_at_month' }] }, /metrics\[0\]/, /ordered_at_month/);
    // Beyond maxMetrics (10).
    await expectRefused('aggregate_orders', { metrics: Array.from({ length: 11 }, (_, index) => ({ fn: 'count', as: `c${index}` })) }, /metrics/, /\b10\b/);
    // Wrong shapes.
    for (const metrics of ['count', {}, 5, [null], ['count'], [{}], [{ fn: 'count', extra: 1 }], [{ fn: 'count', sql: 'x' }]]) {
      await expectRefused('aggregate_orders', { metrics }, /metrics/);
    }
  });

  it('refuses hostile having: unknown metrics, SQL in op and value, wrong value types, NUL characters', async () => {
    const metrics = [{ fn: 'count' }, { fn: 'sum', field: 'total', as: 'revenue' }, { fn: 'max', field: 'ordered_at' }];
    const having = (entry: unknown) => ({ group_by: ['status'], metrics, having: [entry] });
    for (const metric of ['nope', 'status', 'total', 'sum_total', 'COUNT', 'count ', 'count\u0000', 'count; DROP TABLE victim', 'count) OR (1=1', '"count"', 'password_hash', 'tenant_id', '', HUGE, 5, null]) {
      await expectRefused('aggregate_orders', having({ metric, op: 'gt', value: 0 }), /having\[0\]/);
    }
    const unknown = await expectRefused('aggregate_orders', having({ metric: 'nope', op: 'gt', value: 0 }), /having\[0\]\.metric/, /allowed/);
    expect(unknown).toMatch(/revenue/);
    for (const op of ['>', '>=', '=', '<>', 'like', 'in', 'between', 'is_null', 'contains', 'GT', 'gt; DROP TABLE victim', '> 0 OR 1=1 --', '', HUGE, 5, null]) {
      await expectRefused('aggregate_orders', having({ metric: 'count', op, value: 0 }), /having\[0\]/);
    }
    await expectRefused('aggregate_orders', having({ metric: 'count', op: '> 0 OR 1=1 --', value: 0 }), /having\[0\]\.op/, /allowed/);
    // Numeric metrics compare with numbers only.
    for (const value of ['1', '1 OR 1=1', "0'; DROP TABLE victim; --", '2026-01-01', 'now', '', '\u0000', true, null, [1], [1, 2], {}, { raw: '1' }, { ago: { days: 1 } }, HUGE]) {
      await expectRefused('aggregate_orders', having({ metric: 'count', op: 'gt', value }), /having\[0\]/);
      await expectRefused('aggregate_orders', having({ metric: 'revenue', op: 'gte', value }), /having\[0\]/);
    }
    // Min/max of a date-time compare with an ISO date-time only: not numbers, SQL, junk or unreal dates.
    for (const value of [5, 0, "2026-01-01'; DROP TABLE victim; --", '2026-01-01 OR 1=1', '2026-01-01\u0000', 'yesterday', '', true, null, [1], { ago: { days: 1 } }, HUGE]) {
      await expectRefused('aggregate_orders', having({ metric: 'max_ordered_at', op: 'gt', value }), /having\[0\]/);
    }
    // Shapes.
    for (const entry of [null, 'count > 0', [], {}, { metric: 'count', op: 'gt' }, { metric: 'count', value: 1 }, { metric: 'count', op: 'gt', value: 1, or: [] }]) {
      await expectRefused('aggregate_orders', having(entry), /having/);
    }
    await expectRefused('aggregate_orders', { having: 'count > 0' }, /having/);
    // Any number is a valid comparison value for a count or a sum, fractions and tiny magnitudes included.
    for (const [value, statuses] of [[1.5, ['paid']], [0.5, ['open', 'paid']], [3.642944679133496e-124, ['open', 'paid']], [-1e300, ['open', 'paid']], [1e300, []]] as const) {
      const { rows } = (await expectOk('aggregate_orders', { group_by: ['status'], having: [{ metric: 'count', op: 'gt', value }] })) as Rows;
      expect(rows.map((row) => row.status), `count gt ${value}`).toEqual(statuses);
      const revenue = (await expectOk('aggregate_orders', { group_by: ['status'], metrics: [{ fn: 'sum', field: 'total', as: 'revenue' }], having: [{ metric: 'revenue', op: 'gt', value }] })) as Rows;
      expect(revenue.rows.length, `revenue gt ${value}`).toBeLessThanOrEqual(2);
    }
    // Strings of the right form that name no real date or time are refused like malformed ones, not sent to the database.
    for (const value of ['2026-02-30', '2026-13-01', '2026-01-01T25:00:00', '2026-01-01T10:61:00', '00:00']) {
      await expectRefused('aggregate_orders', having({ metric: 'max_ordered_at', op: 'gt', value }), /having\[0\]\.value/);
    }
    await expectIntact();
  });

  it('refuses order_by entries that name no output, or with hostile directions', async () => {
    const base = { group_by: ['status'], metrics: [{ fn: 'count' }, { fn: 'sum', field: 'total', as: 'revenue' }] };
    for (const by of ['nope', 'total', 'qty', 'customer.country', 'sum_total', 'password_hash', 'tenant_id', 'count; DROP TABLE victim', 'count desc', 'count DESC NULLS FIRST', '1', 'random()', '(SELECT 1)', 'COUNT', '', HUGE, 5, null, ['count']]) {
      await expectRefused('aggregate_orders', { ...base, order_by: [{ by }] }, /order_by\[0\]/);
    }
    const text = await expectRefused('aggregate_orders', { ...base, order_by: [{ by: 'count' }, { by: 'nope' }] }, /order_by\[1\]\.by/, /allowed/);
    expect(text).toMatch(/revenue/);
    expect(text).toMatch(/status/);
    for (const direction of ['ASC', 'DESC', 'up', 'desc; DROP TABLE victim', 'asc nulls first', 'random()', '', 5, null]) {
      await expectRefused('aggregate_orders', { ...base, order_by: [{ by: 'count', direction }] }, /order_by\[0\]/);
    }
    // `field` is an alias of `by` (issue 10): one of them, never both.
    for (const orderBy of ['count', { by: 'count' }, [null], ['count'], [{}], [{ by: 'count', nulls: 'first' }], [{ field: 'count', by: 'count' }]]) {
      await expectRefused('aggregate_orders', { ...base, order_by: orderBy }, /order_by/);
    }
  });

  it('refuses hostile relation arguments: unknown, hidden and excluded relations, hidden fields of the target, depth and counts', async () => {
    // Relations that do not exist for this caller: unknown, to an excluded table, through a hidden foreign key column.
    for (const has of ['nope', 'ledger', 'approver', 'customers', 'order', 'CUSTOMER', 'customer ', 'customer; DROP TABLE victim', "customer') OR 1=1 --", 'customer.name', '../customers', '', HUGE, 5, null, ['customer'], { name: 'customer' }]) {
      for (const tool of ['query_orders', 'count_orders', 'aggregate_orders']) {
        await expectRefused(tool, { where: [{ has }] }, /where\[0\]/);
        await expectRefused(tool, { where: [{ not: { has } }] }, /where\[0\]\.not/);
      }
    }
    const unknown = await expectRefused('count_orders', { where: [{ has: 'ledger' }] }, /where\[0\]\.has/, /allowed/);
    expect(unknown).toMatch(/customer/);
    // Inner conditions on fields the related table does not show: hidden, secret, scoping, relation fields, unknown.
    // (`referred_by.name` is a path of the related table, so it is a field there: see the multi-hop tests.)
    for (const field of ['password_hash', 'internal_note', 'tenant_id', 'customer.name', 'referred_by.password_hash', 'total', 'nope', 'name; DROP TABLE victim', HUGE]) {
      await expectRefused('count_orders', { where: [{ has: 'customer', where: [{ field, op: 'eq', value: 'x' }] }] }, /where\[0\]\.where\[0\]/);
      await expectRefused('aggregate_orders', { where: [{ has: 'customer', where: [{ field: 'name', op: 'neq', value: 'x' }, { field, op: 'is_null' }] }] }, /where\[0\]\.where\[1\]/);
    }
    await expectRefused('count_customers', { where: [{ has: 'referred_by', where: [{ has: 'referred_by', where: [{ field: 'password_hash', op: 'is_null' }] }] }] }, /where\[0\]\.where\[0\]\.where\[0\]/);
    // Shapes of has filters.
    for (const entry of [{ has: 'customer', where: 'x' }, { has: 'customer', where: {} }, { has: 'customer', where: [null] }, { has: 'customer', where: [5] }, { has: 'customer', field: 'name' }, { has: 'customer', op: 'eq', value: 1 }, { has: 'customer', or: [] }]) {
      await expectRefused('count_orders', { where: [entry] }, /where\[0\]/);
    }
    // Nesting beyond maxFilterDepth (5), counting has levels and groups alike.
    const deep = { has: 'customer', where: [{ has: 'referred_by', where: [{ has: 'referred_by', where: [{ has: 'referred_by', where: [{ has: 'referred_by', where: [{ has: 'referred_by' }] }] }] }] }] };
    await expectRefused('count_orders', { where: [deep] }, /where\[0\]\.where\[0\]\.where\[0\]\.where\[0\]\.where\[0\]/, /\b5\b/);
    await expectRefused('aggregate_orders', { where: [deep] }, /where\[0\]\.where\[0\]\.where\[0\]\.where\[0\]\.where\[0\]/, /\b5\b/);
    await expectRefused('count_orders', { where: [{ not: { has: 'customer', where: [{ or: [{ has: 'referred_by', where: [{ not: { has: 'referred_by', where: [{ has: 'referred_by' }] } }] }] }] } }] }, /where\[0\]\.not/, /\b5\b/);
    await expectRefused('query_orders', { where: [{ or: [{ has: 'customer', where: [{ and: [{ not: { or: [{ not: { field: 'name', op: 'eq', value: 'x' } }] } }] }] }] }] }, /where\[0\]\.or\[0\]/, /\b5\b/);
    // A hostile nesting thousands of levels deep is refused as cheaply.
    let abyss: Args = { has: 'referred_by' };
    for (let level = 0; level < 1_000; level += 1) abyss = { has: 'referred_by', where: [abyss] };
    await expectRefused('count_customers', { where: [abyss] }, /where\[0\]/);
    // Conditions beyond maxConditions (20), counting those inside has filters.
    const conditions = (length: number) => Array.from({ length }, (_, index) => ({ field: 'country', op: 'neq', value: `X${index}` }));
    await expectRefused('count_orders', { where: [{ field: 'qty', op: 'gt', value: 0 }, { has: 'customer', where: conditions(20) }] }, /where/, /\b20\b/);
    await expectRefused('aggregate_orders', { where: [{ has: 'customer', where: [...conditions(10), { has: 'referred_by', where: conditions(11) }] }] }, /where/, /\b20\b/);
    await expectRefused('query_orders', { where: [{ has: 'customer', where: conditions(21) }] }, /where\[0\]\.where|where/, /\b20\b/);
  });

  it('refuses relation fields through hidden columns or unknown relations in columns and order_by', async () => {
    for (const field of ['customer.password_hash', 'customer.internal_note', 'customer.tenant_id', 'approver.name', 'ledger.amount', 'order_items.sku', 'customer.profile.a', 'customer.referred_by.password_hash', 'referred_by.name', 'customer."name"', 'customer.name; DROP TABLE victim', '"customer"."password"', HUGE]) {
      await expectRefused('query_orders', { columns: ['id', field] }, /columns\[1\]/);
      await expectRefused('query_orders', { order_by: [{ field }] }, /order_by\[0\]/);
    }
    // A related field that is not sortable.
    await expectRefused('query_orders', { order_by: [{ field: 'customer.profile' }] }, /order_by\[0\]/);
    await expectRefused('query_customers', { columns: ['referred_by.password_hash'] }, /columns\[0\]/);
  });

  it('refuses hostile relative times: bad units, huge, negative and fractional numbers, unknown periods, non-date fields, lookups', async () => {
    const relatives: unknown[] = [
      { ago: { fortnights: 1 } },
      { ago: { seconds: 30 } },
      { ago: { Days: 1 } },
      { ago: { days: -1 } },
      { ago: { hours: -5 } },
      { ago: { days: 1.5 } },
      { ago: { days: '7' } },
      { ago: { days: null } },
      { ago: { days: 1e12 } },
      { ago: { years: Number.MAX_SAFE_INTEGER } },
      { ago: { minutes: 1e300 } },
      { ago: {} },
      { ago: 7 },
      { ago: '7 days' },
      { ago: [7] },
      { ago: { days: 1 }, start_of: 'day' },
      { ago: { days: 1 }, extra: 1 },
      { start_of: 'decade' },
      { start_of: 'hour' },
      { start_of: 'Month' },
      { start_of: '' },
      { start_of: "month'; DROP TABLE victim; --" },
      { start_of: 'month', offset: 1.5 },
      { start_of: 'month', offset: '1' },
      { start_of: 'year', offset: 1e9 },
      { start_of: 'year', offset: -1e15 },
      { start_of: 'month', offset: 1, extra: true },
      { start_of: ['month'] },
      { now: true },
      {},
      'now()',
      'NOW()',
      'today',
      'yesterday',
      'CURRENT_TIMESTAMP',
      "now'; DROP TABLE victim; --",
      'now\u0000',
    ];
    for (const value of relatives) {
      await expectRefused('aggregate_orders', { where: [{ field: 'ordered_at', op: 'gte', value }] }, /where\[0\]\.value/);
      await expectRefused('count_orders', { where: [{ field: 'shipped_on', op: 'lt', value }] }, /where\[0\]\.value/);
      await expectRefused('query_orders', { where: [{ field: 'ordered_at', op: 'between', value: [{ ago: { days: 7 } }, value] }] }, /where\[0\]\.value/);
      await expectRefused('count_orders', { where: [{ field: 'shipped_on', op: 'in', value: ['now', value] }] }, /where\[0\]\.value/);
      await expectRefused('count_orders', { where: [{ has: 'customer', where: [{ field: 'created_at', op: 'gte', value }] }] }, /where\[0\]\.where\[0\]\.value/);
    }
    // Relative forms on fields that are not dates or date-times.
    for (const [field, op, value] of [
      ['qty', 'gt', { ago: { days: 1 } }],
      ['qty', 'eq', 'now'],
      ['total', 'lt', { start_of: 'month' }],
      ['status', 'eq', { ago: { days: 1 } }],
      ['status', 'in', [{ start_of: 'day' }]],
      ['note', 'contains', { ago: { days: 1 } }],
      ['id', 'between', ['now', { ago: { days: 1 } }]],
    ] as const) {
      await expectRefused('aggregate_orders', { where: [{ field, op, value }] }, /where\[0\]/);
    }
    await expectRefused('count_orders', { where: [{ has: 'customer', where: [{ field: 'vip', op: 'eq', value: { ago: { days: 1 } } }] }] }, /where\[0\]\.where\[0\]/);
    await expectRefused('count_orders', { where: [{ field: 'ordered_at', op: 'is_null', value: 'now' }] }, /where\[0\]/);
    // Lookup tools take no relative values.
    for (const day of ['now', { ago: { days: 1 } }, { start_of: 'day' }, { start_of: 'day', offset: -1 }]) {
      await expectRefused('query_calendar_by_day', { day }, /: day\b/);
    }
    await expectRefused('query_orders_by_id', { id: 'now' }, /: id\b/);
    await expectRefused('query_orders_by_id', { id: { ago: { days: 1 } } }, /: id\b/);
    await expectIntact();
  });

  it('matches or refuses every injection payload through as, having.value, group_by, order_by, has and has.where values', async () => {
    for (const payload of [...CORPUS, TOO_LONG]) {
      // As an output name: only a valid name is accepted.
      if (/^[a-z_][a-z0-9_]{0,63}$/.test(payload)) await expectOk('aggregate_orders', { metrics: [{ fn: 'count', as: payload }] });
      else await expectRefused('aggregate_orders', { metrics: [{ fn: 'count', as: payload }] }, /metrics\[0\]/);
      // As a having value, for a number and for a date-time.
      await expectRefused('aggregate_orders', { metrics: [{ fn: 'count' }], having: [{ metric: 'count', op: 'gt', value: payload }] }, /having\[0\]/);
      await expectRefused('aggregate_orders', { metrics: [{ fn: 'max', field: 'ordered_at' }], having: [{ metric: 'max_ordered_at', op: 'gt', value: payload }] }, /having\[0\]/);
      // As names of group keys, outputs, metric fields and relations.
      await expectRefused('aggregate_orders', { group_by: [payload] }, /group_by\[0\]/);
      await expectRefused('aggregate_orders', { group_by: [{ field: payload, bucket: 'day' }] }, /group_by\[0\]/);
      await expectRefused('aggregate_orders', { group_by: [{ field: 'ordered_at', bucket: payload }] }, /group_by\[0\]/);
      await expectRefused('aggregate_orders', { metrics: [{ fn: 'sum', field: payload }] }, /metrics\[0\]/);
      await expectRefused('aggregate_orders', { metrics: [{ fn: payload, field: 'total' }] }, /metrics\[0\]/);
      await expectRefused('aggregate_orders', { order_by: [{ by: payload }] }, /order_by\[0\]/);
      await expectRefused('aggregate_orders', { having: [{ metric: payload, op: 'gt', value: 0 }] }, /having\[0\]/);
      await expectRefused('aggregate_orders', { having: [{ metric: 'count', op: payload, value: 0 }] }, /having\[0\]/);
      await expectRefused('count_orders', { where: [{ has: payload }] }, /where\[0\]/);
      await expectRefused('query_orders', { columns: [`customer.${payload}`] }, /columns\[0\]/);
      // As a value inside a has filter: matched literally (the stored payload finds its one order), or refused.
      const where = [{ has: 'customer', where: [{ field: 'name', op: 'eq', value: payload }] }];
      if (payload.length > 1_000) {
        await expectRefused('count_orders', { where }, /where\[0\]\.where\[0\]\.value/, /1000 characters/);
        continue;
      }
      if (payload.includes('\u0000')) {
        // Refused on every dialect: PostgreSQL text cannot hold NUL (test/security/hostile.test.ts).
        await expectRefused('count_orders', { where }, /where\[0\]\.where\[0\]\.value/, /without NUL characters/);
        continue;
      }
      const counted = await send('count_orders', { where });
      expect(counted.result.isError, `${show(payload)}: ${textOf(counted.result)}`).toBeFalsy();
      expect(counted.result.structuredContent, show(payload)).toMatchObject({ count: payload === STORED ? 1 : 0 });
      const grouped = await send('aggregate_orders', { where, group_by: ['customer.name'] });
      expect(grouped.result.isError, `${show(payload)}: ${textOf(grouped.result)}`).toBeFalsy();
      expect((grouped.result.structuredContent as Rows).rows).toEqual(payload === STORED ? [{ 'customer.name': STORED, count: 1 }] : []);
      const inverse = await send('count_customers', { where: [{ has: 'orders', where: [{ field: 'note', op: 'eq', value: payload }] }] });
      expect(inverse.result.isError, `${show(payload)}: ${textOf(inverse.result)}`).toBeFalsy();
      expect(inverse.result.structuredContent).toMatchObject({ count: 0 });
    }
    await expectIntact();
  });

  it('property: random group_by / metrics / having / order_by structures never change data and never fail other than as invalid arguments', async () => {
    const fields = ['id', 'customer_id', 'total', 'qty', 'status', 'ordered_at', 'shipped_on', 'note', 'customer.name', 'customer.country', 'customer.created_at', 'customer.birthday', 'customer.vip', 'customer.profile'];
    const dates = ['ordered_at', 'shipped_on', 'customer.created_at', 'customer.birthday'];
    const names = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...fields) },
      { weight: 2, arbitrary: fc.constantFrom(...NEVER_VISIBLE, 'customer.password_hash', 'customer.tenant_id', 'approver.name', '"customer"."password"', 'id; DROP TABLE victim', '../x', 'customer..name') },
      { weight: 2, arbitrary: fc.constantFrom(...CORPUS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    );
    const outputs = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('count', 'sum_total', 'avg_qty', 'max_ordered_at', 'status', 'customer.country', 'ordered_at_month', 'n', 'revenue') },
      { weight: 2, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/) },
      { weight: 1, arbitrary: names },
    );
    const junk = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.constantFrom({}, [], { raw: 'x' }, ['status']), fc.constantFrom(...CORPUS));

    // Valid building blocks (distinct outputs), so that a good share of calls run on the database.
    const validGroups = fc.subarray<unknown>(['status', 'customer.country', 'qty', { field: 'ordered_at', bucket: 'month' }, { field: 'customer.created_at', bucket: 'year' }, { field: 'shipped_on', bucket: 'week' }], { maxLength: 3 });
    const validMetrics = fc
      .subarray<unknown>([{ fn: 'sum', field: 'total' }, { fn: 'avg', field: 'qty', as: 'n' }, { fn: 'max', field: 'ordered_at' }, { fn: 'count_distinct', field: 'customer.name' }, { fn: 'min', field: 'shipped_on', as: 'first_ship' }, { fn: 'sum', field: 'total', as: 'revenue' }], { maxLength: 3 })
      .map((others) => [{ fn: 'count' }, ...others]);
    const validHaving = fc.array(fc.record({ metric: fc.constant('count'), op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })) }), { maxLength: 2 });
    const validOrder = fc.array(fc.record({ by: fc.constantFrom('count'), direction: fc.constantFrom('asc', 'desc') }, { requiredKeys: ['by'] }), { maxLength: 1 });

    // Hostile ones: mixed names, SQL, corpus strings, junk shapes, beyond the limits.
    const groupKey = fc.oneof(
      { weight: 4, arbitrary: names },
      { weight: 2, arbitrary: fc.record({ field: fc.oneof(fc.constantFrom(...dates), names), bucket: fc.oneof(fc.constantFrom('hour', 'day', 'week', 'month', 'quarter', 'year'), fc.constantFrom('minute', 'MONTH', 'decade'), names) }) },
      { weight: 1, arbitrary: junk },
    );
    const metric = fc.oneof(
      { weight: 5, arbitrary: fc.record({ fn: fc.oneof(fc.constantFrom('count', 'count_distinct', 'sum', 'avg', 'min', 'max'), fc.constantFrom('median', 'SUM', "sum'; --")), field: names, as: outputs }, { requiredKeys: ['fn'] }) },
      { weight: 1, arbitrary: junk },
    );
    const havingValue = fc.oneof(fc.integer({ min: -5, max: 100 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('2026-01-01', '2026-11-01T00:00:00Z', '2026-02-30', '2026-13-01', '2026-11-17 10:15', '00:00'), junk);
    const havingEntry = fc.oneof(
      { weight: 5, arbitrary: fc.record({ metric: outputs, op: fc.oneof(fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), fc.constantFrom('>', 'like', 'gt; --')), value: havingValue }, { requiredKeys: ['metric', 'op'] }) },
      { weight: 1, arbitrary: junk },
    );
    const orderEntry = fc.oneof(
      { weight: 5, arbitrary: fc.record({ by: outputs, direction: fc.oneof(fc.constantFrom('asc', 'desc'), fc.constantFrom('DESC', 'desc; --')) }, { requiredKeys: ['by'] }) },
      { weight: 1, arbitrary: junk },
    );
    const either = (valid: fc.Arbitrary<unknown>, hostile: fc.Arbitrary<unknown>) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: hostile });
    const where = fc.constantFrom<unknown[]>(
      [],
      [{ field: 'ordered_at', op: 'gte', value: { ago: { days: 30 } } }],
      [{ has: 'customer', where: [{ field: 'country', op: 'eq', value: 'FR' }] }],
      [{ not: { has: 'order_items' } }],
      [{ field: 'shipped_on', op: 'lt', value: { start_of: 'month', offset: 1 } }],
      [{ has: 'customer', where: [{ field: 'created_at', op: 'lt', value: 'now' }] }],
    );
    const args = fc.record(
      {
        where,
        group_by: either(validGroups, fc.oneof({ weight: 5, arbitrary: fc.array(groupKey, { maxLength: 7 }) }, { weight: 1, arbitrary: junk })),
        metrics: either(validMetrics, fc.oneof({ weight: 5, arbitrary: fc.array(metric, { minLength: 1, maxLength: 12 }) }, { weight: 1, arbitrary: junk })),
        having: either(validHaving, fc.oneof({ weight: 5, arbitrary: fc.array(havingEntry, { maxLength: 3 }) }, { weight: 1, arbitrary: junk })),
        order_by: either(validOrder, fc.oneof({ weight: 5, arbitrary: fc.array(orderEntry, { maxLength: 4 }) }, { weight: 1, arbitrary: junk })),
        limit: either(fc.integer({ min: 1, max: 100 }), fc.constantFrom(0, -1, 101, 1.5, '5')),
      },
      { requiredKeys: [] },
    );
    const tally = { ok: 0, invalid: 0 };
    const wording: string[] = [];
    await fc.assert(
      fc.asyncProperty(args, fc.constantFrom('aggregate_orders', 'aggregate_orders', 'aggregate_orders', 'aggregate_customers'), async (generated, tool) => {
        const { result, event } = await send(tool, generated);
        const text = textOf(result);
        expect(event?.outcome, `${tool} ${show(generated)} → ${text.slice(0, 300)}`).toMatch(/^(ok|invalid)$/);
        if (result.isError) {
          tally.invalid += 1;
          expect(text.startsWith(`Invalid arguments for ${tool}: `), `${tool} ${show(generated)} → ${text.slice(0, 300)}`).toBe(true);
          assertClean(text, false);
          if (WORDING.test(unquoted(text))) wording.push(text);
          return;
        }
        tally.ok += 1;
        const { rows } = result.structuredContent as Rows;
        expect(Array.isArray(rows)).toBe(true);
        expect(rows.length).toBeLessThanOrEqual(typeof generated.limit === 'number' ? generated.limit : 25);
        for (const row of rows) {
          for (const [key, value] of Object.entries(row)) {
            for (const name of NEVER_VISIBLE) expect(key, show(generated)).not.toContain(name);
            expect(value === null || ['string', 'number', 'boolean'].includes(typeof value), `${key}: ${show(value)}`).toBe(true);
            expect(String(value)).not.toContain('CANARY');
          }
        }
      }),
      { numRuns: PROPERTY_RUNS, seed: BASE_SEEDS[dialect], endOnFailure: true },
    );
    // The generator reaches both outcomes, so the property is not vacuous.
    expect(tally.ok, JSON.stringify(tally)).toBeGreaterThan(10);
    expect(tally.invalid, JSON.stringify(tally)).toBeGreaterThan(10);
    expect.soft(wording.slice(0, 3), `${wording.length} refusals say "undefined"`).toEqual([]);
    await expectIntact();
  });

  it('leaves every table, column and row unchanged, and still answers', async () => {
    await expectIntact();
    const listed = (await client.listTools()).tools.map((tool) => tool.name);
    expect(listed).toContain('aggregate_orders');
    expect(listed.some((name) => name.includes('ledger'))).toBe(false);
    // Every hostile call of this file went on record: none of them as a failure of conexor or the database.
    expect(events.filter((event) => event.outcome === 'error' && !(dialect === 'postgresql' && JSON.stringify(event.arguments).includes('\uFFFD')))).toEqual([]);
  });
});
