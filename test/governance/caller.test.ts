import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { StaticApiKeyStore, generateApiKey, type CreatedApiKey } from '../../src/auth/api-keys.js';
import { ConfigurationError, createConexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

const TENANT_OF: Record<string, number> = { 'tenant-one': 1, 'tenant-two': 2, 'orders-only': 1, 'counts-only': 2 };

function keys(): Record<string, CreatedApiKey> {
  return {
    one: generateApiKey({ name: 'tenant-one' }),
    two: generateApiKey({ name: 'tenant-two' }),
    stranger: generateApiKey({ name: 'no-tenant' }),
    ordersOnly: generateApiKey({ name: 'orders-only', policy: { tables: ['orders'], maxRows: 2 } }),
    greedy: generateApiKey({ name: 'counts-only', policy: { maxRows: 5_000 } }),
  };
}

describe.each(DIALECTS)('caller policy and tenant scoping on %s', (dialect) => {
  let db: TestDatabase;
  let server: Server;
  let url: URL;
  const created = keys();

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await db.knex.schema.createTable('customers', (table) => {
      table.integer('tenant_id').notNullable();
      table.integer('id').notNullable();
      table.string('name').notNullable();
      table.primary(['tenant_id', 'id']);
    });
    await db.knex.schema.createTable('orders', (table) => {
      table.increments('id');
      table.integer('tenant_id').notNullable();
      table.integer('customer_id').notNullable();
      table.integer('total').notNullable();
      table.foreign(['tenant_id', 'customer_id']).references(['tenant_id', 'id']).inTable('customers');
    });
    await db.knex.schema.createTable('products', (table) => {
      table.increments('id');
      table.string('name').notNullable();
    });
    await db.knex('customers').insert([
      { tenant_id: 1, id: 1, name: 'Ada (t1)' },
      { tenant_id: 1, id: 2, name: 'Bob (t1)' },
      { tenant_id: 2, id: 1, name: 'Cy (t2)' },
    ]);
    await db.knex('orders').insert([
      { tenant_id: 1, customer_id: 1, total: 10 },
      { tenant_id: 1, customer_id: 2, total: 20 },
      { tenant_id: 1, customer_id: 1, total: 30 },
      { tenant_id: 2, customer_id: 1, total: 99 },
    ]);
    await db.knex('products').insert([{ name: 'tea' }, { name: 'cake' }]);

    const cx = await createConexor(db.knex, {
      scope: {
        columns: ['tenant_id'],
        values: ({ authInfo }) => ({ tenant_id: TENANT_OF[String(authInfo?.extra?.keyName)] }),
      },
      callerPolicy: ({ authInfo }) => (authInfo?.extra?.keyName === 'counts-only' ? { tools: ['count_*'] } : undefined),
    });
    const store = new StaticApiKeyStore(Object.values(created).map((entry) => entry.record));
    const app = express();
    app.use('/mcp', conexorExpress(cx, { auth: { store } }));
    server = await new Promise<Server>((resolve) => {
      const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  });
  afterAll(async () => {
    server?.close();
    await db?.destroy();
  });

  async function as(key: CreatedApiKey): Promise<Client> {
    const client = new Client({ name: 'governance-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key.key}` } } }));
    return client;
  }
  const call = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (result: CallToolResult) => (result.content[0]?.type === 'text' ? result.content[0].text : '');

  it('keeps the scoping column out of every schema, description and result', async () => {
    const client = await as(created.one as CreatedApiKey);
    const listing = await client.listTools();
    expect(JSON.stringify(listing)).not.toContain('tenant_id');
    expect(listing.tools.map((tool) => tool.name)).toEqual([
      'query_customers',
      'query_customers_by_id',
      'count_customers',
      'aggregate_customers',
      'query_orders',
      'query_orders_by_id',
      'count_orders',
      'aggregate_orders',
      'query_products',
      'query_products_by_id',
      'count_products',
      'aggregate_products',
    ]);
    // The check above covers names, descriptions and input schemas, relations included: the customer is offered, its tenant_id is not.
    const description = (name: string) => listing.tools.find((tool) => tool.name === name)?.description ?? '';
    expect(description('query_orders')).toContain('Fields: id int (key), customer_id int, total int. Relations: customer (customer_id → customers).');
    expect(description('query_customers')).toContain('Fields: id int (key), name text. Relations: orders (orders rows).');
    // Named in a call, the scoping column is refused like a field that does not exist, and the error lists it nowhere.
    for (const [tool, args] of [
      ['query_orders', (field: string) => ({ where: [{ field, op: 'eq', value: 2 }] })],
      ['query_orders', (field: string) => ({ columns: ['id', `customer.${field}`] })],
      ['count_customers', (field: string) => ({ where: [{ field, op: 'eq', value: 2 }] })],
      ['aggregate_orders', (field: string) => ({ group_by: [field] })],
    ] as const) {
      const scoping = await call(client, tool, args('tenant_id'));
      const absent = await call(client, tool, args('no_such_field'));
      expect(scoping.isError, tool).toBe(true);
      expect(text(scoping), tool).toMatch(new RegExp(`^Invalid arguments for ${tool}: `));
      expect(text(scoping).replaceAll('tenant_id', 'no_such_field'), tool).toBe(text(absent));
      expect(text(absent), tool).not.toContain('tenant');
    }
    const rows = (await call(client, 'query_orders')).structuredContent as { rows: Record<string, unknown>[] };
    expect(rows.rows.every((row) => !('tenant_id' in row))).toBe(true);
    const related = (await call(client, 'query_orders', { columns: ['id', 'customer.name'], order_by: [{ field: 'id' }] })).structuredContent as {
      rows: Record<string, unknown>[];
    };
    expect(related.rows.map((row) => row['customer.name'])).toEqual(['Ada (t1)', 'Bob (t1)', 'Ada (t1)']);
    const groups = (await call(client, 'aggregate_orders', { group_by: ['customer.name'], metrics: [{ fn: 'count' }, { fn: 'sum', field: 'total' }] }))
      .structuredContent;
    expect(groups).toEqual({
      rows: [
        { 'customer.name': 'Ada (t1)', count: 2, sum_total: 40 },
        { 'customer.name': 'Bob (t1)', count: 1, sum_total: 20 },
      ],
      truncated: false,
    });
    const resource = await client.readResource({ uri: 'conexor://schema' });
    expect(JSON.stringify(resource)).not.toContain('tenant_id');
  });

  it('ANDs the caller tenant into queries, counts and lookups', async () => {
    const one = await as(created.one as CreatedApiKey);
    const two = await as(created.two as CreatedApiKey);
    expect((await call(one, 'count_orders')).structuredContent).toEqual({ count: 3 });
    expect((await call(two, 'count_orders')).structuredContent).toEqual({ count: 1 });
    const totals = (await call(one, 'query_orders', { order_by: [{ field: 'total', direction: 'desc' }] })).structuredContent as {
      rows: { total: number }[];
    };
    expect(totals.rows.map((row) => row.total)).toEqual([30, 20, 10]);
    // (tenant_id, id) is looked up by id alone: the tenant comes from the caller.
    expect((await call(one, 'query_customers_by_id', { id: 1 })).structuredContent).toEqual({ row: { id: 1, name: 'Ada (t1)' } });
    expect((await call(two, 'query_customers_by_id', { id: 1 })).structuredContent).toEqual({ row: { id: 1, name: 'Cy (t2)' } });
    expect((await call(two, 'query_customers_by_id', { id: 2 })).structuredContent).toEqual({ row: null });
    // A table without the scoping column is not filtered.
    expect((await call(two, 'count_products')).structuredContent).toEqual({ count: 2 });
  });

  it('cannot be overridden by arguments', async () => {
    const one = await as(created.one as CreatedApiKey);
    for (const args of [
      { where: [{ field: 'tenant_id', op: 'eq', value: 2 }] },
      { where: [{ or: [{ field: 'tenant_id', op: 'in', value: [1, 2] }] }] },
      { order_by: [{ field: 'tenant_id' }] },
      { columns: ['tenant_id'] },
      { tenant_id: 2 },
    ]) {
      const result = await call(one, 'query_orders', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
    }
    // Nor through a relation or an aggregate: the scoping column is no field there either.
    for (const [tool, args] of [
      ['query_orders', { columns: ['customer.tenant_id'] }],
      ['query_orders', { where: [{ has: 'customer', where: [{ field: 'tenant_id', op: 'eq', value: 2 }] }] }],
      ['query_customers', { where: [{ has: 'orders', where: [{ field: 'tenant_id', op: 'eq', value: 2 }] }] }],
      ['aggregate_orders', { group_by: ['tenant_id'] }],
      ['aggregate_orders', { group_by: ['customer.tenant_id'] }],
      ['aggregate_orders', { metrics: [{ fn: 'max', field: 'tenant_id' }] }],
      ['aggregate_orders', { where: [{ field: 'tenant_id', op: 'eq', value: 2 }] }],
      ['aggregate_orders', { group_by: ['customer_id'], order_by: [{ by: 'tenant_id' }] }],
    ] as const) {
      const result = await call(one, tool, args);
      expect(result.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
    }
    const lookup = await call(one, 'query_customers_by_id', { id: 1, tenant_id: 2 });
    expect(lookup.isError).toBe(true);
    expect((await call(one, 'count_orders')).structuredContent).toEqual({ count: 3 });
  });

  it('denies scoped tables to a caller without a tenant, and serves the rest', async () => {
    const stranger = await as(created.stranger as CreatedApiKey);
    const denied = await call(stranger, 'count_orders');
    expect(denied.isError).toBe(true);
    expect(text(denied)).toMatch(/not allowed/);
    expect((await call(stranger, 'count_products')).structuredContent).toEqual({ count: 2 });
  });

  it('lists only the tools a key may use, refuses the others like unknown tools, and caps rows', async () => {
    const ordersOnly = await as(created.ordersOnly as CreatedApiKey);
    const listing = await ordersOnly.listTools();
    expect(listing.tools.map((tool) => tool.name)).toEqual(['query_orders', 'query_orders_by_id', 'count_orders', 'aggregate_orders']);
    // Customers are not this key's: no relation leads there, neither in the listing nor in a call.
    expect(JSON.stringify(listing)).not.toContain('customer.');
    // Nor a has filter: orders has no relation left, so its filter grammar offers none.
    expect(JSON.stringify(listing)).not.toContain('{has: relation');
    expect(JSON.stringify(listing)).not.toContain('customers');
    expect((await call(ordersOnly, 'query_orders', { columns: ['customer.name'] })).isError).toBe(true);
    expect((await call(ordersOnly, 'count_orders', { where: [{ has: 'customer' }] })).isError).toBe(true);
    expect((await call(ordersOnly, 'aggregate_orders', { group_by: ['customer.name'] })).isError).toBe(true);
    const limit = (listing.tools[0]?.inputSchema.properties as Record<string, { maximum?: number; default?: number }>).limit;
    expect(limit).toMatchObject({ maximum: 2, default: 2 });

    const refused = await call(ordersOnly, 'count_products');
    const unknown = await call(ordersOnly, 'count_nothing');
    expect(refused.isError).toBe(true);
    expect(text(refused)).toBe('MCP error -32602: Tool count_products not found');
    expect(text(unknown)).toBe('MCP error -32602: Tool count_nothing not found');

    const page = (await call(ordersOnly, 'query_orders')).structuredContent as { rows: unknown[]; truncated: boolean };
    expect(page.rows).toHaveLength(2);
    expect(page.truncated).toBe(true);
    const tooMany = await call(ordersOnly, 'query_orders', { limit: 3 });
    expect(tooMany.isError).toBe(true);
    expect(text(tooMany)).toMatch(/at most 2 rows/);
  });

  it('describes only what a key may use in the schema resource and the server instructions', async () => {
    type Doc = { tables: { table: string; tools: string[]; relations?: unknown[]; links?: unknown[] }[] };
    const read = async (client: Client) => {
      const resource = await client.readResource({ uri: 'conexor://schema' });
      const first = resource.contents[0];
      return JSON.parse(first && 'text' in first ? first.text : '{}') as Doc;
    };
    const ordersOnly = await as(created.ordersOnly as CreatedApiKey);
    const narrow = await read(ordersOnly);
    expect(narrow.tables.map((table) => [table.table, table.tools])).toEqual([['orders', ['query_orders', 'query_orders_by_id', 'count_orders', 'aggregate_orders']]]);
    // Neither the other tables, nor the relation and link towards customers, nor their fields.
    expect(narrow.tables[0]?.relations).toBeUndefined();
    expect(narrow.tables[0]?.links).toBeUndefined();
    expect(JSON.stringify(narrow)).not.toMatch(/customers|product/);
    const narrowText = ordersOnly.getInstructions() ?? '';
    expect(narrowText).toMatch(/: 1 tables, 4 tools\./);
    expect(narrowText).not.toMatch(/related rows|relation\.field/);

    const counts = await as(created.greedy as CreatedApiKey);
    const countDoc = await read(counts);
    expect(countDoc.tables.map((table) => [table.table, table.tools])).toEqual([
      ['customers', ['count_customers']],
      ['orders', ['count_orders']],
      ['products', ['count_products']],
    ]);
    const countText = counts.getInstructions() ?? '';
    expect(countText).toMatch(/: 3 tables, 3 tools\./);
    expect(countText).toMatch(/^Per table: count_<table>\.$/m);

    const full = await as(created.one as CreatedApiKey);
    expect((await read(full)).tables.map((table) => table.table)).toEqual(['customers', 'orders', 'products']);
    expect(full.getInstructions() ?? '').toMatch(/: 3 tables, 12 tools\./);
    expect(full.getInstructions() ?? '').toMatch(/relation\.field/);
  });

  it('combines the key policy with the host callerPolicy, and never widens the base policy', async () => {
    const greedy = await as(created.greedy as CreatedApiKey);
    const listing = await greedy.listTools();
    expect(listing.tools.map((tool) => tool.name)).toEqual(['count_customers', 'count_orders', 'count_products']);
    expect((await call(greedy, 'query_orders')).isError).toBe(true);
    expect((await call(greedy, 'count_orders')).structuredContent).toEqual({ count: 1 });
  });

  it('fails at creation when a scoping column exists nowhere', async () => {
    await expect(createConexor(db.knex, { scope: { columns: ['tenant'], values: () => ({}) } })).rejects.toThrow(ConfigurationError);
    await expect(createConexor(db.knex, { scope: { columns: ['tenant'], values: () => ({}) } })).rejects.toThrow(/"tenant"/);
  });
});
