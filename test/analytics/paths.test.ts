/**
 * Multi-hop relations (issue 10): to-one paths of up to 4 relations in columns, where, order_by, group_by and metrics,
 * resolved by the server hop by hop; each hop joined with its own tenant scope; each hop a relation the caller's
 * catalog has; `has` five levels deep. Through a real MCP client, typed and generic tools, on every dialect.
 *
 * sales → customer → store (tenant-scoped) → region → continent, and customers → referred_by → customers.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionSink, type AuditEvent } from '../../src/audit/index.js';
import { createConexor, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

type Row = Record<string, unknown>;

describe.each(DIALECTS)('multi-hop relations on %s', (dialect) => {
  let db: TestDatabase;
  const clients: Client[] = [];
  /** Tenant 1's conexor: stores are scoped on tenant_id. */
  let scoped: Client;
  let generic: Client;

  async function clientWith(options: ConexorOptions): Promise<Client> {
    const client = await connectClient((await createConexor(db.knex, options)).createServer());
    clients.push(client);
    return client;
  }

  const SCOPE: ConexorOptions = { scope: { columns: ['tenant_id'], values: () => ({ tenant_id: 1 }) } };

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_paths');
    const knex = db.knex;
    await knex.schema.createTable('continents', (t) => {
      t.integer('id').primary();
      t.string('name').notNullable();
    });
    await knex.schema.createTable('regions', (t) => {
      t.integer('id').primary();
      t.string('name').notNullable();
      t.integer('continent_id').references('id').inTable('continents');
    });
    await knex.schema.createTable('stores', (t) => {
      t.integer('id').primary();
      t.integer('tenant_id').notNullable();
      t.string('name').notNullable();
      t.integer('region_id').references('id').inTable('regions');
    });
    await knex.schema.createTable('customers', (t) => {
      t.integer('id').primary();
      t.string('name').notNullable();
      t.integer('store_id').references('id').inTable('stores');
      t.integer('referred_by').nullable().references('id').inTable('customers');
    });
    await knex.schema.createTable('sales', (t) => {
      t.integer('id').primary();
      t.integer('customer_id').references('id').inTable('customers');
      t.integer('amount').notNullable();
    });
    await knex('continents').insert([
      { id: 1, name: 'Europe' },
      { id: 2, name: 'Asia' },
    ]);
    await knex('regions').insert([
      { id: 1, name: 'North', continent_id: 1 },
      { id: 2, name: 'East', continent_id: 2 },
    ]);
    // Store 2 belongs to tenant 2, in the same region as tenant 1's store 1.
    await knex('stores').insert([
      { id: 1, tenant_id: 1, name: 'A', region_id: 1 },
      { id: 2, tenant_id: 2, name: 'B', region_id: 1 },
      { id: 3, tenant_id: 1, name: 'C', region_id: 2 },
    ]);
    // A chain of referrals: Eve ← Dan ← Cat ← Ben ← Ann.
    for (const customer of [
      { id: 1, name: 'Ann', store_id: 1, referred_by: null },
      { id: 2, name: 'Ben', store_id: 2, referred_by: 1 },
      { id: 3, name: 'Cat', store_id: 3, referred_by: 2 },
      { id: 4, name: 'Dan', store_id: 1, referred_by: 3 },
      { id: 5, name: 'Eve', store_id: 1, referred_by: 4 },
    ]) {
      await knex('customers').insert(customer);
    }
    await knex('sales').insert([
      { id: 1, customer_id: 1, amount: 10 },
      { id: 2, customer_id: 2, amount: 20 },
      { id: 3, customer_id: 3, amount: 30 },
      { id: 4, customer_id: 4, amount: 40 },
      { id: 5, customer_id: 5, amount: 50 },
      { id: 6, customer_id: 2, amount: 60 },
    ]);
    // A table with 26 to-one relations, to bound the joins of one call.
    await knex.schema.createTable('leaves', (t) => {
      t.integer('id').primary();
      t.string('name');
    });
    await knex.schema.createTable('hubs', (t) => {
      t.integer('id').primary();
      for (let index = 0; index < 26; index += 1) t.integer(`l${index}_id`).references('id').inTable('leaves');
    });
    scoped = await clientWith({ ...SCOPE, catalog: { mode: 'typed' } });
    generic = await clientWith({ ...SCOPE, catalog: { mode: 'compact' } });
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.close();
    await db?.destroy();
  });

  /** A typed call that succeeds, answered alike by the generic tool with `table`. */
  async function ok(name: string, args: Record<string, unknown>, client = scoped, twin: Client | null = generic): Promise<CallToolResult> {
    const result = await call(client, name, args);
    expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
    if (twin) {
      const [, kind, table] = /^(query|count|aggregate)_(.+)$/.exec(name) ?? [];
      expect(await call(twin, kind as string, { table, ...args }), `${kind} {table: ${table}}`).toEqual(result);
    }
    return result;
  }
  const rows = async (name: string, args: Record<string, unknown>, client?: Client) =>
    ((await ok(name, args, client, client ? null : generic)).structuredContent as { rows: Row[] }).rows;
  const count = async (args: Record<string, unknown>, client?: Client) =>
    ((await ok('count_sales', args, client, client ? null : generic)).structuredContent as { count: number }).count;

  async function refused(name: string, args: Record<string, unknown>, client = scoped): Promise<string> {
    const result = await call(client, name, args);
    expect(result.isError, `${name} ${JSON.stringify(args)} should be refused, got: ${textOf(result)}`).toBe(true);
    return textOf(result);
  }

  it('groups, sums and filters through 3 and 4 relations; a scoped intermediate hop keeps other tenants out', async () => {
    // Without a scope, tenant 2's store B (region North) counts for North.
    const unscoped = await clientWith({});
    expect(await rows('aggregate_sales', { group_by: ['customer.store.region.name'], metrics: [{ fn: 'sum', field: 'amount', as: 'total' }, { fn: 'count' }] }, unscoped)).toEqual([
      { 'customer.store.region.name': 'East', total: 30, count: 1 },
      { 'customer.store.region.name': 'North', total: 180, count: 5 },
    ]);
    // Tenant 1: the sales through store B reach no store, hence no region (null), never North.
    expect(await rows('aggregate_sales', { group_by: ['customer.store.region.name'], metrics: [{ fn: 'sum', field: 'amount', as: 'total' }, { fn: 'count' }] })).toEqual([
      { 'customer.store.region.name': 'East', total: 30, count: 1 },
      { 'customer.store.region.name': 'North', total: 100, count: 3 },
      { 'customer.store.region.name': null, total: 80, count: 2 },
    ]);
    // Four relations deep, with a metric on a path and a sort on the group.
    expect(
      await rows('aggregate_sales', {
        group_by: ['customer.store.region.continent.name'],
        metrics: [{ fn: 'count_distinct', field: 'customer.store.name', as: 'stores' }, { fn: 'max', field: 'customer.store.region.id', as: 'region' }],
        order_by: [{ by: 'customer.store.region.continent.name', direction: 'desc' }],
      }),
    ).toEqual([
      { 'customer.store.region.continent.name': 'Europe', stores: 1, region: 1 },
      { 'customer.store.region.continent.name': 'Asia', stores: 1, region: 2 },
      { 'customer.store.region.continent.name': null, stores: 0, region: null },
    ]);
    // Conditions on paths: top level, in a group (joined before Knex builds the group), and in count.
    expect(await count({ where: [{ field: 'customer.store.region.name', op: 'eq', value: 'North' }] })).toBe(3);
    expect(await count({ where: [{ field: 'customer.store.region.name', op: 'eq', value: 'North' }] }, unscoped)).toBe(5);
    expect(await count({ where: [{ or: [{ field: 'customer.store.region.continent.name', op: 'eq', value: 'Asia' }, { field: 'amount', op: 'gt', value: 55 }] }] })).toBe(2);
    expect(await count({ where: [{ not: { field: 'customer.store.name', op: 'in', value: ['A', 'B'] } }] })).toBe(1);
    expect(await count({ where: [{ field: 'customer.store.name', op: 'is_null' }] })).toBe(2);
  });

  it('reads paths in columns and order_by, one join per path prefix (self-relations included)', async () => {
    expect(
      await rows('query_sales', {
        columns: ['id', 'customer.name', 'customer.referred_by.name', 'customer.referred_by.referred_by.referred_by.name', 'customer.store.region.continent.name'],
        where: [{ field: 'customer.referred_by.referred_by.name', op: 'is_not_null' }],
        order_by: [{ field: 'customer.referred_by.referred_by.name', direction: 'desc' }],
      }),
    ).toEqual([
      { id: 5, 'customer.name': 'Eve', 'customer.referred_by.name': 'Dan', 'customer.referred_by.referred_by.referred_by.name': 'Ben', 'customer.store.region.continent.name': 'Europe' },
      { id: 4, 'customer.name': 'Dan', 'customer.referred_by.name': 'Cat', 'customer.referred_by.referred_by.referred_by.name': 'Ann', 'customer.store.region.continent.name': 'Europe' },
      { id: 3, 'customer.name': 'Cat', 'customer.referred_by.name': 'Ben', 'customer.referred_by.referred_by.referred_by.name': null, 'customer.store.region.continent.name': 'Asia' },
    ]);
    // The last segment is a field even when a relation has the same name.
    expect(await rows('query_sales', { columns: ['id', 'customer.referred_by'], where: [{ field: 'id', op: 'eq', value: 3 }] })).toEqual([{ id: 3, 'customer.referred_by': 2 }]);
  });

  it('nests has five levels, with paths inside', async () => {
    const chain = (levels: number): Row => {
      let node: Row = { has: 'referred_by' };
      for (let level = 1; level < levels; level += 1) node = { has: 'referred_by', where: [node] };
      return node;
    };
    // Sales of customers with four referrers above them: Eve's only.
    expect(await count({ where: [{ has: 'customer', where: [chain(4)] }] })).toBe(1);
    const deep = await refused('count_sales', { where: [{ has: 'customer', where: [chain(5)] }] });
    expect(deep).toMatch(/nest deeper than 5 levels/);
    // A path inside a has subquery is joined in that subquery, with the hop's scope.
    expect(await count({ where: [{ has: 'customer', where: [{ field: 'store.region.name', op: 'eq', value: 'North' }] }] })).toBe(3);
    expect(await count({ where: [{ has: 'customer', where: [{ or: [{ field: 'store.region.name', op: 'eq', value: 'East' }, { field: 'referred_by.referred_by.name', op: 'eq', value: 'Ben' }] }] }] })).toBe(2);
  });

  it('refuses a fifth relation, a wrong hop, a to-many hop and scoping columns, naming the hop and what it offers', async () => {
    const five = await refused('query_sales', { columns: ['customer.referred_by.referred_by.referred_by.referred_by.name'] });
    expect(five).toBe(
      'Invalid arguments for query_sales: columns[0]: "customer.referred_by.referred_by.referred_by.referred_by.name" goes through 5 relations; paths reach at most 4 relations deep (relation.….field).',
    );
    const typo = await refused('aggregate_sales', { group_by: ['customer.stor.region.name'] });
    expect(typo).toMatch(/^Invalid arguments for aggregate_sales: group_by\[0\]: "customer\.stor\.region\.name": customers has no relation or field "stor"; relations: (store, referred_by|referred_by, store); fields allowed: id, name, store_id, referred_by\.$/);
    const last = await refused('query_sales', { where: [{ field: 'customer.store.region.nme', op: 'eq', value: 'x' }] });
    expect(last).toBe('Invalid arguments for query_sales: where[0].field: "customer.store.region.nme": regions has no field "nme"; relations: continent; fields allowed: id, name, continent_id.');
    const many = await refused('query_customers', { columns: ['sales.amount'] });
    expect(many).toContain('"sales" is a to-many relation of customers');
    const relation = await refused('query_sales', { order_by: [{ field: 'customer.store' }] });
    expect(relation).toContain('order_by[0].field: "customer.store": "store" is a relation of customers');
    // The scoping column of an intermediate or last hop is no field.
    for (const field of ['customer.store.tenant_id', 'customer.store.tenant_id.x']) {
      const text = await refused('aggregate_sales', { metrics: [{ fn: 'count_distinct', field }] });
      expect(text).toMatch(/metrics\[0\]\.field: .*stores has no (relation or )?field "tenant_id"/);
    }
    // Values and operators are those of the column the path reaches.
    expect(await refused('count_sales', { where: [{ field: 'customer.store.region.id', op: 'eq', value: 'x' }] })).toMatch(/where\[0\]\.value: customer\.store\.region\.id takes an integer/);
    expect(await refused('count_sales', { where: [{ field: 'customer.store.region.id', op: 'contains', value: 'x' }] })).toMatch(/where\[0\]\.op: "contains" is not allowed on customer\.store\.region\.id; allowed: /);
  });

  it('keeps paths and their values readable in the audit trail, and redacts a path to a scoping column', async () => {
    const events: AuditEvent[] = [];
    const conexor = await createConexor(db.knex, { ...SCOPE, audit: { sinks: [functionSink((batch) => void events.push(...batch))], mode: 'sync' } });
    const client = await connectClient(conexor.createServer());
    await call(client, 'query_sales', { columns: ['customer.store.region.name'], where: [{ field: 'customer.store.region.name', op: 'eq', value: 'North' }] });
    await call(client, 'count_sales', { where: [{ field: 'customer.store.tenant_id', op: 'eq', value: 2 }] });
    await client.close();
    await conexor.close();
    expect(events.map((event) => event.arguments)).toEqual([
      { columns: ['customer.store.region.name'], where: [{ field: 'customer.store.region.name', op: 'eq', value: 'North' }] },
      { where: [{ field: 'customer.store.tenant_id', op: 'eq', value: '[redacted]' }] },
    ]);
  });

  it('joins at most 25 related tables per part of a call', async () => {
    const names = (count: number) => Array.from({ length: count }, (_, index) => `l${index}.name`);
    expect(await rows('query_hubs', { columns: names(25) })).toEqual([]);
    expect(await refused('query_hubs', { columns: names(26) })).toBe('Invalid arguments for query_hubs: columns and order_by reach 26 related tables; at most 25 are allowed.');
    const wide = await clientWith({ limits: { maxMetrics: 30 } });
    expect(await refused('aggregate_hubs', { group_by: names(5), metrics: names(26).slice(5).map((field) => ({ fn: 'count', field, as: field.replace('.', '_') })) }, wide)).toMatch(
      /group_by and metrics reach 26 related tables; at most 25/,
    );
    const where = names(20).map((field) => ({ field, op: 'is_null' }));
    expect((await ok('count_hubs', { where })).structuredContent).toEqual({ count: 0 });
    expect(await refused('count_hubs', { where: [...where.slice(0, 19), { or: names(26).slice(19).map((field) => ({ field, op: 'is_null' })) }] })).toMatch(
      /where: the conditions reach 26 related tables; at most 25/,
    );
  });

  it('does not traverse a table the caller may not read', async () => {
    const restricted = await clientWith({ ...SCOPE, callerPolicy: () => ({ tables: ['sales', 'customers', 'regions', 'continents'] }) });
    for (const [name, args, at] of [
      ['aggregate_sales', { group_by: ['customer.store.region.name'] }, 'group_by[0]'],
      ['query_sales', { columns: ['customer.store.region.continent.name'] }, 'columns[0]'],
      ['count_sales', { where: [{ field: 'customer.store.region.name', op: 'eq', value: 'North' }] }, 'where[0].field'],
      ['count_sales', { where: [{ has: 'customer', where: [{ field: 'store.region.name', op: 'eq', value: 'North' }] }] }, 'where[0].where[0].field'],
    ] as const) {
      const text = await refused(name, args, restricted);
      expect(text).toContain(`${at}: `);
      expect(text).toContain('customers has no relation or field "store"; relations: referred_by;');
      expect(text).not.toMatch(/\bstores\b/);
    }
    // The path through readable tables still works.
    expect(await rows('query_sales', { columns: ['id', 'customer.referred_by.name'], where: [{ field: 'id', op: 'eq', value: 2 }] }, restricted)).toEqual([{ id: 2, 'customer.referred_by.name': 'Ann' }]);
  });
});
