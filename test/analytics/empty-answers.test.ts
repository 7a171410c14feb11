/**
 * Empty answers that explain themselves (issue 10, part 4), through a real MCP client on every dialect: when a
 * date or date-time filter leaves no rows, the result states the filtered column's range within the caller's scope
 * (text line and `data_range`), computed in the same call (one audit event); a sum over no rows is 0.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CASE_HINT } from '../../src/tools/case-hint.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, functionSink, type AuditEvent, type Conexor, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

// The data ends years before the clock: "the last 7 days" finds nothing.
const NOW = new Date('2026-11-17T10:15:00Z');

// [tenant, amount, qty, weight, region, sold_at, sold_on]. Tenant 2 has the oldest and the newest rows.
const ROWS: [number, string, number, number, string, string, string][] = [
  [1, '10.50', 1, 1.5, 'north', '2005-05-24 22:53:30', '2005-05-24'],
  [1, '4.25', 2, 2.5, 'south', '2005-08-01 10:00:00', '2005-08-01'],
  [1, '7.00', 3, 0.5, 'north', '2006-02-14 15:16:03', '2006-02-14'],
  [2, '99.00', 9, 9.5, 'west', '2004-01-01 00:00:00', '2004-01-01'],
  [2, '1.00', 1, 1.0, 'west', '2007-03-03 03:03:03', '2007-03-03'],
];

const ALL = { sold_at: { min: '2004-01-01T00:00:00', max: '2007-03-03T03:03:03' }, sold_on: { min: '2004-01-01', max: '2007-03-03' } };
const TENANT_ONE = { sold_at: { min: '2005-05-24T22:53:30', max: '2006-02-14T15:16:03' }, sold_on: { min: '2005-05-24', max: '2006-02-14' } };
const TENANT_TWO = { sold_at: { min: '2004-01-01T00:00:00', max: '2007-03-03T03:03:03' } };

const LAST_7_DAYS = [{ field: 'sold_at', op: 'gte', value: { ago: { days: 7 } } }];
const REVENUE = [{ fn: 'sum', field: 'amount', as: 'revenue' }, { fn: 'count' }];

describe.each(DIALECTS)('empty answers on %s', (dialect) => {
  let db: TestDatabase;
  const opened: { client: Client; cx: Conexor }[] = [];
  const events: AuditEvent[] = [];
  /** A client listing the typed tools and one listing the generic tools only, on the same options. */
  interface Clients {
    readonly typed: Client;
    readonly generic: Client;
  }
  let plain: Clients;
  let tenantOne: Clients;
  let tenantTwo: Clients;

  async function connect(options: ConexorOptions): Promise<Client> {
    const cx = await createConexor(db.knex, { clock: () => NOW, ...options });
    const client = await connectClient(cx.createServer());
    opened.push({ client, cx });
    return client;
  }

  async function open(options: ConexorOptions): Promise<Clients> {
    return { typed: await connect(options), generic: await connect({ ...options, catalog: { mode: 'compact' } }) };
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_empty');
    // Zone-less date-times on every dialect (Knex's datetime is timestamptz on PostgreSQL).
    const dateTime = dialect === 'postgresql' ? 'timestamp' : 'datetime';
    await db.knex.schema.createTable('sales', (t) => {
      t.increments('id');
      t.integer('tenant_id').notNullable();
      t.specificType('amount', 'decimal(10,2)');
      t.integer('qty');
      t.double('weight');
      t.string('region', 20);
      t.specificType('sold_at', dateTime);
      t.date('sold_on');
      t.date('returned_on');
      t.specificType('shipped_at', dateTime);
      t.date('paid_on');
      t.index(['sold_at']);
    });
    await db.knex('sales').insert(
      ROWS.map(([tenant_id, amount, qty, weight, region, sold_at, sold_on]) => ({ tenant_id, amount, qty, weight, region, sold_at, sold_on })),
    );
    plain = await open({ audit: { sinks: [functionSink((batch) => void events.push(...batch))] } });
    const scoped = (tenant: number) => open({ scope: { columns: ['tenant_id'], values: () => ({ tenant_id: tenant }) } });
    tenantOne = await scoped(1);
    tenantTwo = await scoped(2);
  }, 60_000);

  afterAll(async () => {
    for (const { client, cx } of opened) {
      await client.close();
      await cx.close();
    }
    await db?.destroy();
  });

  async function ok(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const result = await call(client, name, args);
    expect(result.isError, textOf(result)).toBeFalsy();
    return result;
  }

  /** The typed tool and the generic one (with `table`) give the same result. */
  async function both(clients: Clients, kind: 'query' | 'count' | 'aggregate', args: Record<string, unknown>): Promise<CallToolResult> {
    const typed = await ok(clients.typed, `${kind}_sales`, args);
    const generic = await ok(clients.generic, kind, { table: 'sales', ...args });
    expect(generic.structuredContent).toEqual(typed.structuredContent);
    expect(textOf(generic)).toBe(textOf(typed));
    return typed;
  }

  const structured = (result: CallToolResult) => result.structuredContent as Record<string, unknown>;

  describe('a date filter that leaves no rows states the column range', () => {
    it('"revenue in the last 7 days": sum 0, count 0 and where sold_at lies', async () => {
      const result = await both(plain, 'aggregate', { where: LAST_7_DAYS, metrics: REVENUE });
      expect(structured(result)).toMatchObject({ rows: [{ revenue: '0.00', count: 0 }], truncated: false, data_range: { sold_at: ALL.sold_at } });
      expect(structured(result).resolved_time).toBeDefined();
      const text = textOf(result);
      expect(text).toContain('No rows: sold_at ranges from 2004-01-01T00:00:00 to 2007-03-03T03:03:03 in this table.');
      // The resolved time still comes first, the rows next, the range last.
      expect(text.split('\n')[0]).toMatch(/^Resolved times/);
      expect(text.split('\n').at(-1)).toMatch(/^No rows: /);
    });

    it('grouped aggregate with no groups', async () => {
      const result = await both(plain, 'aggregate', { where: LAST_7_DAYS, group_by: ['region'], metrics: REVENUE });
      expect(structured(result)).toMatchObject({ rows: [], data_range: { sold_at: ALL.sold_at } });
      const monthly = await both(plain, 'aggregate', { where: [{ field: 'sold_on', op: 'gt', value: '2030-01-01' }], group_by: [{ field: 'sold_at', bucket: 'month' }] });
      expect(structured(monthly)).toMatchObject({ rows: [], data_range: { sold_on: ALL.sold_on } });
    });

    it('count with an absolute date range outside the data', async () => {
      const result = await both(plain, 'count', { where: [{ field: 'sold_on', op: 'between', value: ['2010-01-01', '2011-12-31'] }] });
      expect(structured(result)).toEqual({ count: 0, data_range: { sold_on: ALL.sold_on } });
      expect(textOf(result)).toBe('count: 0\nNo rows: sold_on ranges from 2004-01-01 to 2007-03-03 in this table.');
    });

    it('query: the ranges of every filtered date column, inside or/not groups, beside other conditions', async () => {
      const result = await both(plain, 'query', {
        where: [
          { field: 'region', op: 'eq', value: 'north' },
          { or: [{ field: 'sold_at', op: 'lt', value: '2000-01-01T00:00:00' }, { not: { field: 'sold_on', op: 'lte', value: '2100-01-01' } }] },
        ],
      });
      // The text eq (region) may be why nothing matched too: the case hint comes with the ranges.
      expect(structured(result)).toEqual({ rows: [], truncated: false, data_range: ALL, hint: CASE_HINT });
      expect(textOf(result).split('\n').sort()).toEqual([
        '0 rows',
        'No rows: sold_at ranges from 2004-01-01T00:00:00 to 2007-03-03T03:03:03; sold_on ranges from 2004-01-01 to 2007-03-03 in this table.',
        `Hint: ${CASE_HINT}`,
      ].sort(),
      );
    });

    it('tenant scope: the range covers only the caller’s rows', async () => {
      const one = await both(tenantOne, 'aggregate', { where: LAST_7_DAYS, metrics: REVENUE });
      expect(structured(one)).toMatchObject({ rows: [{ revenue: '0.00', count: 0 }], data_range: { sold_at: TENANT_ONE.sold_at } });
      expect(textOf(one)).toContain('No rows: sold_at ranges from 2005-05-24T22:53:30 to 2006-02-14T15:16:03 in the rows you may read.');
      const count = await both(tenantOne, 'count', { where: [{ field: 'sold_on', op: 'gte', value: '2020-01-01' }] });
      expect(structured(count)).toEqual({ count: 0, data_range: { sold_on: TENANT_ONE.sold_on } });
      // Tenant 2's rows are the oldest and the newest: its range is its own.
      const two = await both(tenantTwo, 'query', { where: [{ field: 'sold_at', op: 'between', value: ['2005-01-01', '2006-12-31'] }] });
      expect(structured(two)).toEqual({ rows: [], truncated: false, data_range: TENANT_TWO });
    });

    it('also when a date condition and another one leave no rows together', async () => {
      const result = await both(plain, 'count', { where: [{ field: 'region', op: 'eq', value: 'nowhere' }, { field: 'sold_at', op: 'gte', value: '2005-01-01' }] });
      expect(structured(result)).toEqual({ count: 0, data_range: { sold_at: ALL.sold_at }, hint: CASE_HINT });
    });

    it('a column without values says so', async () => {
      const result = await both(plain, 'count', { where: [{ field: 'returned_on', op: 'gte', value: '2000-01-01' }] });
      expect(structured(result)).toEqual({ count: 0, data_range: { returned_on: { min: null, max: null } } });
      expect(textOf(result)).toBe('count: 0\nNo rows: returned_on has no values in this table.');
    });

    it('states at most four ranges, in the order the filters name them', async () => {
      const fields = ['paid_on', 'sold_on', 'returned_on', 'shipped_at', 'sold_at'];
      const result = await both(plain, 'count', { where: fields.map((field) => ({ field, op: 'lt', value: '1900-01-01' })) });
      expect(Object.keys(structured(result).data_range as object)).toEqual(fields.slice(0, 4));
      expect(structured(result)).toMatchObject({ count: 0, data_range: { paid_on: { min: null, max: null }, sold_on: ALL.sold_on } });
    });

    it('is one call: one audit event, outcome ok', async () => {
      const seen = events.length;
      await ok(plain.typed, 'count_sales', { where: LAST_7_DAYS });
      const mine = events.slice(seen).filter((event) => event.tool === 'count_sales');
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ operation: 'count', outcome: 'ok', rowCount: 0, errorCode: null });
    });
  });

  describe('no range otherwise', () => {
    it('not for a result with rows', async () => {
      const counted = await both(plain, 'count', { where: [{ field: 'sold_at', op: 'gte', value: '2005-01-01' }] });
      expect(structured(counted)).toEqual({ count: 4 });
      const rows = await both(plain, 'query', { where: [{ field: 'sold_on', op: 'eq', value: '2005-08-01' }], columns: ['id'] });
      expect(structured(rows)).toEqual({ rows: [{ id: 2 }], truncated: false });
      const grouped = await both(plain, 'aggregate', { where: [{ field: 'sold_at', op: 'lt', value: '2005-06-01' }], metrics: REVENUE });
      expect(structured(grouped)).toEqual({ rows: [{ revenue: '109.50', count: 2 }], truncated: false });
      expect(textOf(grouped)).not.toContain('No rows');
      expect(structured(await both(plain, 'count', { where: [{ field: 'sold_on', op: 'between', value: ['2005-01-01', '2005-12-31'] }] }))).toEqual({ count: 2 });
    });

    it('not for filters on other fields only', async () => {
      const counted = await both(plain, 'count', { where: [{ field: 'region', op: 'eq', value: 'nowhere' }] });
      expect(structured(counted)).toEqual({ count: 0, hint: CASE_HINT });
      expect(textOf(counted)).toBe(`count: 0\nHint: ${CASE_HINT}`);
      const aggregated = await both(plain, 'aggregate', { where: [{ field: 'qty', op: 'gt', value: 100 }], metrics: REVENUE });
      expect(structured(aggregated)).toEqual({ rows: [{ revenue: '0.00', count: 0 }], truncated: false });
      // Null checks say nothing about where dates lie.
      expect(structured(await both(plain, 'count', { where: [{ field: 'sold_at', op: 'is_null' }] }))).toEqual({ count: 0 });
    });

    it('not for a page past the end, nor for groups that having removed', async () => {
      const paged = await both(plain, 'query', { where: [{ field: 'sold_at', op: 'gte', value: '2005-01-01' }], offset: 50 });
      expect(structured(paged)).toEqual({ rows: [], truncated: false });
      const having = await both(plain, 'aggregate', { where: [{ field: 'sold_at', op: 'gte', value: '2005-01-01' }], group_by: ['region'], having: [{ metric: 'count', op: 'gt', value: 10 }] });
      expect(structured(having)).toEqual({ rows: [], truncated: false });
      const single = await both(plain, 'aggregate', { where: [{ field: 'sold_at', op: 'gte', value: '2005-01-01' }], having: [{ metric: 'count', op: 'gt', value: 10 }] });
      expect(structured(single)).toEqual({ rows: [], truncated: false });
    });
  });

  describe('a sum over no rows is 0', () => {
    it('for decimal, integer and floating columns, with avg, min and max null', async () => {
      const result = await both(plain, 'aggregate', {
        where: [{ field: 'region', op: 'eq', value: 'nowhere' }],
        metrics: [
          { fn: 'sum', field: 'amount' },
          { fn: 'sum', field: 'qty' },
          { fn: 'sum', field: 'weight' },
          { fn: 'avg', field: 'amount' },
          { fn: 'min', field: 'sold_at' },
          { fn: 'max', field: 'amount' },
          { fn: 'count' },
        ],
      });
      expect(structured(result).rows).toEqual([{ sum_amount: '0.00', sum_qty: 0, sum_weight: 0, avg_amount: null, min_sold_at: null, max_amount: null, count: 0 }]);
    });

    it('matches a having on 0 like the answer says', async () => {
      const none = { where: [{ field: 'region', op: 'eq', value: 'nowhere' }], metrics: [{ fn: 'sum', field: 'qty', as: 'units' }] };
      expect(structured(await both(plain, 'aggregate', { ...none, having: [{ metric: 'units', op: 'eq', value: 0 }] })).rows).toEqual([{ units: 0 }]);
      expect(structured(await both(plain, 'aggregate', { ...none, having: [{ metric: 'units', op: 'gt', value: 0 }] })).rows).toEqual([]);
    });

    it('agrees with SQL COALESCE(SUM(x), 0) over no rows', async () => {
      const [oracle] = (await db.knex('sales').where('region', 'nowhere').select(db.knex.raw('COALESCE(SUM(qty), 0) AS units'))) as { units: unknown }[];
      const result = await both(plain, 'aggregate', { where: [{ field: 'region', op: 'eq', value: 'nowhere' }], metrics: [{ fn: 'sum', field: 'qty', as: 'units' }] });
      expect(structured(result).rows).toEqual([{ units: Number(oracle?.units) }]);
    });
  });
});
