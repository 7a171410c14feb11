import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { StaticApiKeyStore, generateApiKey, type CreatedApiKey } from '../../src/auth/api-keys.js';
import { ConfigurationError, createConexor, functionSink, type AuditEvent, type Conexor, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { connectClient, textOf } from '../support/mcp.js';

/**
 * Policy for analytics (issue 5), on every dialect: which aggregate tools exist (`aggregates`), relations
 * (`relations`, excluded tables), hidden and scoping columns in aggregate schemas, relation fields and `has` filters,
 * tenant scoping of aggregates and of related rows, per-caller restrictions (tables, tools, maxRows) over real
 * HTTP with API keys, and the audit trail of aggregate calls.
 */

const NOW = new Date('2026-11-17T10:15:00Z');
/** Hidden through `hiddenColumns`, hidden as secret-looking, and the scoping column. */
const HIDDEN = ['ssn', 'password_hash', 'tenant_id'] as const;
/** Without `scope` (the variants of `open`), tenant_id is an ordinary column. */
const UNSCOPED_HIDDEN = ['ssn', 'password_hash'] as const;

const TENANT_OF: Record<string, number> = { 'tenant-one': 1, 'tenant-two': 2, 'orders-only': 1, 'queries-only': 1, 'with-items': 1, 'small': 1 };

function keys(): Record<string, CreatedApiKey> {
  return {
    one: generateApiKey({ name: 'tenant-one' }),
    two: generateApiKey({ name: 'tenant-two' }),
    ordersOnly: generateApiKey({ name: 'orders-only', policy: { tables: ['orders'] } }),
    queriesOnly: generateApiKey({ name: 'queries-only' }),
    withItems: generateApiKey({ name: 'with-items' }),
    small: generateApiKey({ name: 'small', policy: { maxRows: 2 } }),
    stranger: generateApiKey({ name: 'no-tenant' }),
  };
}

async function createSchema(db: TestDatabase): Promise<void> {
  const { knex, dialect } = db;
  // Knex makes a SQLite decimal a float; the declared type is what conexor reads as decimal.
  const money = (t: Knex.CreateTableBuilder, name: string) => (dialect === 'sqlite' ? t.specificType(name, 'decimal(10,2)') : t.decimal(name, 10, 2));
  await knex.schema.createTable('customers', (t) => {
    t.increments('id');
    t.integer('tenant_id').notNullable();
    t.string('name', 100).notNullable();
    t.string('country', 40).notNullable();
    t.string('email', 200).notNullable();
    t.string('password_hash', 100);
    t.string('ssn', 20);
    t.datetime('created_at');
  });
  await knex.schema.createTable('orders', (t) => {
    t.increments('id');
    t.integer('tenant_id').notNullable();
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('customers');
    money(t, 'total');
    t.string('status', 20).notNullable();
    t.datetime('ordered_at').notNullable();
  });
  await knex.schema.createTable('products', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable();
    money(t, 'price');
  });
  await knex.schema.createTable('order_items', (t) => {
    t.increments('id');
    t.integer('order_id').unsigned().notNullable().references('id').inTable('orders');
    t.integer('product_id').unsigned().notNullable().references('id').inTable('products');
    t.integer('qty').notNullable();
  });
  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id');
    t.integer('order_id').unsigned().notNullable().references('id').inTable('orders');
    t.string('message', 100);
  });
  const secrets = { password_hash: 'CANARY-pw', ssn: 'CANARY-ssn' };
  await knex('customers').insert([
    { tenant_id: 1, name: 'Ada', country: 'FR', email: 'ada@example.com', ...secrets, created_at: '2026-01-01 00:00:00' },
    { tenant_id: 1, name: 'Bob', country: 'DE', email: 'bob@example.com', ...secrets, created_at: '2026-02-01 00:00:00' },
    { tenant_id: 2, name: 'Cy', country: 'FR', email: 'cy@example.com', ...secrets, created_at: '2026-03-01 00:00:00' },
    { tenant_id: 2, name: 'Dee', country: 'US', email: 'dee@example.com', ...secrets, created_at: '2026-04-01 00:00:00' },
  ]);
  await knex('orders').insert([
    { tenant_id: 1, customer_id: 1, total: '10.50', status: 'paid', ordered_at: '2026-11-01 09:00:00' },
    { tenant_id: 1, customer_id: 1, total: '20.00', status: 'paid', ordered_at: '2026-11-10 09:00:00' },
    { tenant_id: 1, customer_id: 2, total: '5.25', status: 'open', ordered_at: '2026-11-12 09:00:00' },
    // Tenant 1's order pointing at tenant 2's customer: that related row is invisible to tenant 1.
    { tenant_id: 1, customer_id: 3, total: '7.00', status: 'open', ordered_at: '2026-11-13 09:00:00' },
    { tenant_id: 2, customer_id: 3, total: '99.00', status: 'paid', ordered_at: '2026-11-14 09:00:00' },
    { tenant_id: 2, customer_id: 4, total: '1.00', status: 'open', ordered_at: '2026-11-15 09:00:00' },
  ]);
  await knex('products').insert([
    { name: 'tea', price: '3.50' },
    { name: 'cake', price: '7.00' },
  ]);
  await knex('order_items').insert([
    { order_id: 1, product_id: 1, qty: 2 },
    { order_id: 2, product_id: 2, qty: 1 },
    { order_id: 5, product_id: 1, qty: 3 },
  ]);
  await knex('audit_log').insert([
    { order_id: 1, message: 'created' },
    { order_id: 5, message: 'created' },
  ]);
}

type Rows = { rows: Record<string, unknown>[]; truncated: boolean };

const toolNamed = (tools: readonly Tool[], name: string): Tool => {
  const tool = tools.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no tool ${name} in ${tools.map((t) => t.name).join(', ')}`);
  return tool;
};

/**
 * The relations a query tool's description offers (`… Relations: customer (customer_id → customers); order_items
 * (order_items rows).`), by name: what `has` and `relation.field` use. Other kinds of a table refer to its query tool.
 */
const relationsOf = (tool: Tool): string[] =>
  / Relations: (.*)\.$/.exec(tool.description ?? '')?.[1]?.split('; ').map((relation) => relation.replace(/ \(.*$/, '')) ?? [];
/** Whether a tool's listing offers `has` filters: its filter grammar names them. */
const offersHas = (tool: Tool) => JSON.stringify(tool).includes('{has: relation');

function expectRefused(result: CallToolResult, tool: string, path: RegExp, label = '', hidden: readonly string[] = HIDDEN): void {
  const text = textOf(result);
  expect(result.isError, `${label} should be refused, got: ${text.slice(0, 300)}`).toBe(true);
  expect(text.startsWith(`Invalid arguments for ${tool}: `), `${label}: ${text.slice(0, 300)}`).toBe(true);
  expect(text, label).toMatch(path);
  // Echoed input aside, the message names nothing hidden and no value of a hidden column.
  const bare = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const name of hidden) expect(bare, `${label}: ${text}`).not.toContain(name);
  expect(text).not.toContain('CANARY');
}

const expectUnknownTool = (result: CallToolResult, tool: string) => {
  expect(result.isError).toBe(true);
  expect(textOf(result)).toBe(`MCP error -32602: Tool ${tool} not found`);
};

describe.each(DIALECTS)('analytics policy on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_apolicy');
    await createSchema(db);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  /** A conexor over the test database with `options`, and a real MCP client on it (no caller context needed). */
  async function open(options: ConexorOptions = {}): Promise<{ cx: Conexor; client: Client; call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>; close: () => Promise<void> }> {
    const cx = await createConexor(db.knex, { hiddenColumns: { customers: ['ssn'] }, clock: () => NOW, ...options });
    const client = await connectClient(cx.createServer());
    return {
      cx,
      client,
      call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
      close: async () => {
        await client.close();
        await cx.close();
      },
    };
  }

  describe('which aggregate tools exist', () => {
    it('generates aggregate_<table> for every exposed table by default', async () => {
      const { cx, close } = await open();
      try {
        const names = cx.tools.map((tool) => tool.name);
        for (const table of ['customers', 'orders', 'products', 'order_items', 'audit_log']) expect(names).toContain(`aggregate_${table}`);
      } finally {
        await close();
      }
    });

    it('removes every aggregate tool, and nothing else, with aggregates: false', async () => {
      const all = await open();
      const none = await open({ aggregates: false });
      try {
        const names = (await none.client.listTools()).tools.map((tool) => tool.name);
        expect(names.filter((name) => name.startsWith('aggregate_'))).toEqual([]);
        expect(names).toEqual(all.cx.tools.map((tool) => tool.name).filter((name) => !name.startsWith('aggregate_')));
        expect(none.cx.hasTool('aggregate_orders')).toBe(false);
        expectUnknownTool(await none.call('aggregate_orders', {}), 'aggregate_orders');
        expect((await none.call('count_orders')).structuredContent).toEqual({ count: 6 });
        // The server's instructions and schema resource do not advertise aggregates either.
        const resource = JSON.stringify(await none.client.readResource({ uri: 'conexor://schema' }));
        expect(resource).not.toContain('aggregate_');
        expect.soft(none.client.getInstructions() ?? '', 'the server instructions advertise aggregate tools that do not exist').not.toContain('aggregate_');
      } finally {
        await all.close();
        await none.close();
      }
    });

    it('removes only the listed tables\' aggregate tools with aggregates.exclude (names, globs, schema-qualified names)', async () => {
      const schemaName = dialect === 'sqlite' ? 'main' : db.schema;
      for (const [exclude, gone] of [
        [['orders'], ['aggregate_orders']],
        [['order*'], ['aggregate_orders', 'aggregate_order_items']],
        [[`${schemaName}.customers`, 'products'], ['aggregate_customers', 'aggregate_products']],
        [['nothing_matches_*'], []],
      ] as const) {
        const served = await open({ aggregates: { exclude: [...exclude] } });
        try {
          const names = (await served.client.listTools()).tools.map((tool) => tool.name);
          const aggregates = names.filter((name) => name.startsWith('aggregate_'));
          const expected = ['aggregate_customers', 'aggregate_orders', 'aggregate_products', 'aggregate_order_items', 'aggregate_audit_log'].filter((name) => !(gone as readonly string[]).includes(name));
          expect(aggregates.sort(), JSON.stringify(exclude)).toEqual(expected.sort());
          // The tables keep their other tools.
          for (const table of ['customers', 'orders', 'products', 'order_items']) {
            expect(names).toContain(`query_${table}`);
            expect(names).toContain(`count_${table}`);
          }
          for (const name of gone) expectUnknownTool(await served.call(name, {}), name);
        } finally {
          await served.close();
        }
      }
    });

    it('fails at creation when aggregates.exclude names a table that does not exist', async () => {
      for (const exclude of [['ordres'], ['orders', 'no_such_table']]) {
        const attempt = createConexor(db.knex, { aggregates: { exclude } });
        await expect(attempt).rejects.toThrow(ConfigurationError);
        await expect(createConexor(db.knex, { aggregates: { exclude } })).rejects.toThrow(new RegExp(`aggregates\\.exclude.*"${exclude[exclude.length - 1]}"`));
      }
      // Wrong option shapes fail too, naming the option.
      for (const aggregates of [{ exclude: 'orders' }, { include: ['orders'] }, 'yes', { exclude: [''] }] as unknown as ConexorOptions['aggregates'][]) {
        await expect(createConexor(db.knex, { aggregates })).rejects.toThrow(/aggregates/);
      }
      await expect(createConexor(db.knex, { relations: 'no' as unknown as boolean })).rejects.toThrow(/relations/);
    });
  });

  describe('relations', () => {
    it('removes relation fields and has filters with relations: false', async () => {
      const on = await open();
      const off = await open({ relations: false });
      try {
        const withRelations = await on.client.listTools();
        expect(relationsOf(toolNamed(withRelations.tools, 'query_orders'))).toEqual(expect.arrayContaining(['customer', 'order_items']));
        expect(toolNamed(withRelations.tools, 'aggregate_orders').description).toContain('where as in query_orders');
        expect(offersHas(toolNamed(withRelations.tools, 'query_orders'))).toBe(true);

        const listing = await off.client.listTools();
        for (const tool of listing.tools) {
          expect(relationsOf(tool), tool.name).toEqual([]);
          expect(tool.description, tool.name).not.toContain('Relations');
          expect(offersHas(tool), tool.name).toBe(false);
        }
        // The foreign key is still described, as a link.
        expect(toolNamed(listing.tools, 'query_orders').description).toContain('Links: customer_id → customers.id.');
        // Same tools, only without relations.
        expect(listing.tools.map((tool) => tool.name)).toEqual(withRelations.tools.map((tool) => tool.name));

        const refusals: [string, Record<string, unknown>, RegExp][] = [
          ['query_orders', { columns: ['id', 'customer.name'] }, /columns\[1\]/],
          ['query_orders', { order_by: [{ field: 'customer.name' }] }, /order_by\[0\]/],
          ['count_orders', { where: [{ has: 'customer' }] }, /where\[0\]/],
          ['count_customers', { where: [{ not: { has: 'orders' } }] }, /where\[0\]/],
          ['aggregate_orders', { group_by: ['customer.country'] }, /group_by\[0\]/],
          ['aggregate_orders', { metrics: [{ fn: 'count_distinct', field: 'customer.country' }] }, /metrics\[0\]/],
          ['aggregate_orders', { where: [{ has: 'customer', where: [{ field: 'country', op: 'eq', value: 'FR' }] }] }, /where\[0\]/],
        ];
        for (const [tool, args, path] of refusals) {
          expect((await on.call(tool, args)).isError, `${tool} ${JSON.stringify(args)} works with relations on`).toBeFalsy();
          expectRefused(await off.call(tool, args), tool, path, `${tool} ${JSON.stringify(args)}`, UNSCOPED_HIDDEN);
        }
      } finally {
        await on.close();
        await off.close();
      }
    });

    it('gives no relation towards a table excluded by tables.exclude', async () => {
      const all = await open();
      const excluded = await open({ tables: { exclude: ['audit_log'] } });
      try {
        // Included, orders reach audit_log rows.
        expect((await all.call('count_orders', { where: [{ has: 'audit_log' }] })).structuredContent).toEqual({ count: 2 });
        const listing = await excluded.client.listTools();
        expect(JSON.stringify(listing)).not.toContain('audit_log');
        expectRefused(await excluded.call('count_orders', { where: [{ has: 'audit_log' }] }), 'count_orders', /where\[0\]/, 'has audit_log', UNSCOPED_HIDDEN);
        expectRefused(await excluded.call('aggregate_orders', { where: [{ not: { has: 'audit_log' } }] }), 'aggregate_orders', /where\[0\]/, 'not has audit_log', UNSCOPED_HIDDEN);
        expectRefused(await excluded.call('query_orders', { columns: ['audit_log.message'] }), 'query_orders', /columns\[0\]/, 'audit_log.message', UNSCOPED_HIDDEN);
        // The other relations stay.
        expect((await excluded.call('count_orders', { where: [{ has: 'order_items' }] })).structuredContent).toEqual({ count: 3 });
        const schema = JSON.stringify(await excluded.client.readResource({ uri: 'conexor://schema' }));
        expect(schema).not.toContain('audit_log');
      } finally {
        await all.close();
        await excluded.close();
      }
    });
  });

  describe('governed over HTTP: hidden and scoping columns, tenants, caller restrictions, audit', () => {
    let server: Server;
    let url: URL;
    const created = keys();
    const clients = new Map<CreatedApiKey, Client>();
    const events: AuditEvent[] = [];

    beforeAll(async () => {
      const cx = await createConexor(db.knex, {
        hiddenColumns: { customers: ['ssn'] },
        tables: { exclude: ['audit_log'] },
        scope: { columns: ['tenant_id'], values: ({ authInfo }) => ({ tenant_id: TENANT_OF[String(authInfo?.extra?.keyName)] }) },
        callerPolicy: ({ authInfo }) => {
          const name = authInfo?.extra?.keyName;
          if (name === 'queries-only') return { tools: ['query_*'] };
          if (name === 'with-items') return { tables: ['orders', 'order_items'] };
          return undefined;
        },
        clock: () => NOW,
        audit: { sinks: [functionSink((batch) => void events.push(...batch))] },
      });
      const app = express();
      app.use('/mcp', conexorExpress(cx, { auth: { store: new StaticApiKeyStore(Object.values(created).map((entry) => entry.record)) } }));
      server = await new Promise<Server>((resolve) => {
        const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    });
    afterAll(async () => {
      for (const client of clients.values()) await client.close().catch(() => undefined);
      server?.close();
    });

    async function as(key: CreatedApiKey | undefined): Promise<Client> {
      if (!key) throw new Error('no such key');
      let client = clients.get(key);
      if (!client) {
        client = new Client({ name: 'analytics-policy-test', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key.key}` } } }));
        clients.set(key, client);
      }
      return client;
    }
    const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
    const rowsOf = async (client: Client, name: string, args: Record<string, unknown> = {}) => {
      const result = await call(client, name, args);
      expect(result.isError, `${name} ${JSON.stringify(args)}: ${textOf(result)}`).toBeFalsy();
      return (result.structuredContent as Rows).rows;
    };
    const countOf = async (client: Client, name: string, args: Record<string, unknown> = {}) => {
      const result = await call(client, name, args);
      expect(result.isError, `${name} ${JSON.stringify(args)}: ${textOf(result)}`).toBeFalsy();
      return (result.structuredContent as { count: number }).count;
    };

    it('keeps hidden, secret-looking and scoping columns out of aggregate schemas, relation fields and every listing', async () => {
      const one = await as(created.one);
      const listing = await one.listTools();
      const text = JSON.stringify(listing);
      for (const name of HIDDEN) expect(text, name).not.toContain(name);
      // Related fields are offered (the policy does not just drop relations), hidden ones never.
      expect(relationsOf(toolNamed(listing.tools, 'query_orders'))).toEqual(expect.arrayContaining(['customer']));
      expect(toolNamed(listing.tools, 'query_customers').description).toContain('Fields: id int (key), name text, country text, email text, created_at datetime.');
      for (const visible of ['status', 'total', 'customer.name', 'customer.country', 'customer.email', 'customer.created_at']) {
        expect((await call(one, 'aggregate_orders', { group_by: [visible] })).isError, visible).toBeFalsy();
      }
      // Named in a call, a hidden column is refused like a field that does not exist: the message lists the
      // allowed fields and names nothing hidden.
      for (const [tool, args] of [
        ['aggregate_orders', (field: string) => ({ group_by: [`customer.${field}`] })],
        ['aggregate_customers', (field: string) => ({ metrics: [{ fn: 'count_distinct', field }] })],
        ['query_orders', (field: string) => ({ columns: ['id', `customer.${field}`] })],
        ['count_customers', (field: string) => ({ where: [{ field, op: 'is_not_null' }] })],
      ] as const) {
        const absent = await call(one, tool, args('no_such_field'));
        for (const hidden of HIDDEN) {
          const refused = await call(one, tool, args(hidden));
          expectRefused(refused, tool, /\[\d\]/, `${tool} ${hidden}`);
          expect(textOf(refused).replaceAll(hidden, 'no_such_field'), `${tool} ${hidden}`).toBe(textOf(absent));
        }
        expect(textOf(absent), tool).toMatch(/allowed: |expected one of /);
      }
      const resource = JSON.stringify(await one.readResource({ uri: 'conexor://schema' }));
      for (const name of HIDDEN) expect(resource, name).not.toContain(name);
    });

    it('refuses hidden, secret-looking and scoping columns wherever analytics arguments name a field', async () => {
      const one = await as(created.one);
      const cases: [string, Record<string, unknown>, RegExp][] = [];
      for (const hidden of HIDDEN) {
        cases.push(
          ['aggregate_customers', { group_by: [hidden] }, /group_by\[0\]/],
          ['aggregate_customers', { group_by: [{ field: hidden, bucket: 'day' }] }, /group_by\[0\]/],
          ['aggregate_customers', { metrics: [{ fn: 'count_distinct', field: hidden }] }, /metrics\[0\]/],
          ['aggregate_customers', { metrics: [{ fn: 'count', field: hidden }] }, /metrics\[0\]/],
          ['aggregate_customers', { where: [{ field: hidden, op: 'is_not_null' }] }, /where\[0\]/],
          ['aggregate_customers', { group_by: ['country'], order_by: [{ by: hidden }] }, /order_by\[0\]/],
          ['aggregate_orders', { group_by: [`customer.${hidden}`] }, /group_by\[0\]/],
          ['aggregate_orders', { metrics: [{ fn: 'count_distinct', field: `customer.${hidden}` }] }, /metrics\[0\]/],
          ['query_orders', { columns: ['id', `customer.${hidden}`] }, /columns\[1\]/],
          ['query_orders', { order_by: [{ field: `customer.${hidden}` }] }, /order_by\[0\]/],
          ['count_orders', { where: [{ has: 'customer', where: [{ field: hidden, op: 'eq', value: 'CANARY-ssn' }] }] }, /where\[0\]\.where\[0\]/],
          ['aggregate_orders', { where: [{ not: { has: 'customer', where: [{ field: hidden, op: 'is_null' }] } }] }, /where\[0\]\.not/],
          ['count_customers', { where: [{ has: 'orders', where: [{ field: 'tenant_id', op: 'eq', value: 2 }] }] }, /where\[0\]\.where\[0\]/],
        );
      }
      for (const [tool, args, path] of cases) expectRefused(await call(one, tool, args), tool, path, `${tool} ${JSON.stringify(args)}`);
      // Still served normally, within the tenant.
      expect(await rowsOf(one, 'aggregate_customers')).toEqual([{ count: 2 }]);
    });

    it('scopes aggregates by tenant: counts, groups and sums per tenant', async () => {
      const one = await as(created.one);
      const two = await as(created.two);
      expect(await rowsOf(one, 'aggregate_orders')).toEqual([{ count: 4 }]);
      expect(await rowsOf(two, 'aggregate_orders')).toEqual([{ count: 2 }]);
      expect(await rowsOf(one, 'aggregate_orders', { group_by: ['status'] })).toEqual([
        { status: 'open', count: 2 },
        { status: 'paid', count: 2 },
      ]);
      expect(await rowsOf(two, 'aggregate_orders', { group_by: ['status'] })).toEqual([
        { status: 'open', count: 1 },
        { status: 'paid', count: 1 },
      ]);
      expect(await rowsOf(one, 'aggregate_orders', { metrics: [{ fn: 'sum', field: 'total' }, { fn: 'count_distinct', field: 'customer_id' }] })).toEqual([
        { sum_total: '42.75', count_distinct_customer_id: 3 },
      ]);
      expect(await rowsOf(two, 'aggregate_orders', { metrics: [{ fn: 'sum', field: 'total' }] })).toEqual([{ sum_total: '100.00' }]);
      expect(await rowsOf(one, 'aggregate_customers', { group_by: ['country'] })).toEqual([
        { country: 'DE', count: 1 },
        { country: 'FR', count: 1 },
      ]);
      expect(await rowsOf(two, 'aggregate_customers', { group_by: ['country'] })).toEqual([
        { country: 'FR', count: 1 },
        { country: 'US', count: 1 },
      ]);
      // A where naming the other tenant's data finds nothing of it.
      expect(await rowsOf(one, 'aggregate_orders', { where: [{ field: 'total', op: 'eq', value: 99 }] })).toEqual([{ count: 0 }]);
      // No tenant: no aggregate of a scoped table, nor of one reached through a relation; unscoped tables still answer.
      const stranger = await as(created.stranger);
      const denied = await call(stranger, 'aggregate_orders', { group_by: ['status'] });
      expect(denied.isError).toBe(true);
      expect(textOf(denied)).toMatch(/not allowed/);
      expect(denied.structuredContent).toBeUndefined();
      expect(await rowsOf(stranger, 'aggregate_products')).toEqual([{ count: 2 }]);
      const through = await call(stranger, 'aggregate_products', { where: [{ has: 'order_items', where: [{ has: 'order' }] }] });
      expect(through.isError, textOf(through)).toBe(true);
      expect(textOf(through)).toMatch(/not allowed/);
      const related = await call(stranger, 'aggregate_order_items', { group_by: ['order.status'] });
      expect(related.isError, textOf(related)).toBe(true);
    });

    it('scopes related rows: another tenant\'s related row gives null relation fields, no has match, a null group', async () => {
      const one = await as(created.one);
      const two = await as(created.two);
      // Order 4 (tenant 1) points at customer 3 (tenant 2): invisible to tenant 1.
      expect(await rowsOf(one, 'query_orders', { columns: ['id', 'customer.name', 'customer.country'], order_by: [{ field: 'id' }] })).toEqual([
        { id: 1, 'customer.name': 'Ada', 'customer.country': 'FR' },
        { id: 2, 'customer.name': 'Ada', 'customer.country': 'FR' },
        { id: 3, 'customer.name': 'Bob', 'customer.country': 'DE' },
        { id: 4, 'customer.name': null, 'customer.country': null },
      ]);
      expect(await rowsOf(two, 'query_orders', { columns: ['id', 'customer.name'], order_by: [{ field: 'id' }] })).toEqual([
        { id: 5, 'customer.name': 'Cy' },
        { id: 6, 'customer.name': 'Dee' },
      ]);
      // Sorting by a related field does not reveal the hidden row either: its nulls sort as nulls.
      const sorted = await rowsOf(one, 'query_orders', { columns: ['id'], order_by: [{ field: 'customer.name', direction: 'desc' }, { field: 'id' }] });
      expect(sorted).toHaveLength(4);
      expect(await countOf(one, 'count_orders', { where: [{ has: 'customer' }] })).toBe(3);
      expect(await countOf(one, 'count_orders', { where: [{ not: { has: 'customer' } }] })).toBe(1);
      expect(await countOf(one, 'count_orders', { where: [{ has: 'customer', where: [{ field: 'name', op: 'eq', value: 'Cy' }] }] })).toBe(0);
      expect(await countOf(two, 'count_orders', { where: [{ has: 'customer', where: [{ field: 'name', op: 'eq', value: 'Cy' }] }] })).toBe(1);
      // To-many: tenant 1's order 4 is no order of Cy for tenant 2, and Cy is no customer of tenant 1.
      expect(await countOf(two, 'count_customers', { where: [{ has: 'orders', where: [{ field: 'total', op: 'eq', value: 7 }] }] })).toBe(0);
      expect(await countOf(one, 'count_customers', { where: [{ has: 'orders', where: [{ field: 'total', op: 'eq', value: 7 }] }] })).toBe(0);
      expect(await countOf(one, 'count_customers', { where: [{ has: 'orders' }] })).toBe(2);
      expect(await countOf(two, 'count_customers', { where: [{ has: 'orders' }] })).toBe(2);
      // Grouping by a related field: the invisible customer is a null key (sorted last).
      expect(await rowsOf(one, 'aggregate_orders', { group_by: ['customer.country'] })).toEqual([
        { 'customer.country': 'DE', count: 1 },
        { 'customer.country': 'FR', count: 2 },
        { 'customer.country': null, count: 1 },
      ]);
      expect(await rowsOf(two, 'aggregate_orders', { group_by: ['customer.country'] })).toEqual([
        { 'customer.country': 'FR', count: 1 },
        { 'customer.country': 'US', count: 1 },
      ]);
      expect(await rowsOf(one, 'aggregate_orders', { metrics: [{ fn: 'count_distinct', field: 'customer.name' }, { fn: 'count', field: 'customer.name' }] })).toEqual([
        { count_distinct_customer_name: 2, count_customer_name: 3 },
      ]);
      // A table without the scoping column reaches a scoped one through its relation: still scoped.
      expect(await rowsOf(one, 'aggregate_order_items', { group_by: ['order.status'] })).toEqual([
        { 'order.status': 'paid', count: 2 },
        { 'order.status': null, count: 1 },
      ]);
      expect(await countOf(one, 'count_order_items', { where: [{ has: 'order' }] })).toBe(2);
      expect(await countOf(two, 'count_order_items', { where: [{ has: 'order' }] })).toBe(1);
    });

    it('hides relations towards tables a caller may not read, and refuses them (key policy and callerPolicy)', async () => {
      const ordersOnly = await as(created.ordersOnly);
      const listing = await ordersOnly.listTools();
      expect(listing.tools.map((tool) => tool.name).sort()).toEqual(['aggregate_orders', 'count_orders', 'query_orders', 'query_orders_by_id']);
      for (const tool of listing.tools) {
        expect(relationsOf(tool), tool.name).toEqual([]);
        expect(offersHas(tool), tool.name).toBe(false);
        expect(JSON.stringify(tool), tool.name).not.toMatch(/customer\.|order_items/);
        // Not even as a foreign key in the description.
        expect(tool.description, tool.name).not.toMatch(/customers/);
      }
      const refusals: [string, Record<string, unknown>, RegExp][] = [
        ['query_orders', { columns: ['id', 'customer.name'] }, /columns\[1\]/],
        ['query_orders', { order_by: [{ field: 'customer.country' }] }, /order_by\[0\]/],
        ['count_orders', { where: [{ has: 'customer' }] }, /where\[0\]/],
        ['count_orders', { where: [{ has: 'order_items' }] }, /where\[0\]/],
        ['aggregate_orders', { group_by: ['customer.country'] }, /group_by\[0\]/],
        ['aggregate_orders', { metrics: [{ fn: 'count_distinct', field: 'customer.name' }] }, /metrics\[0\]/],
        ['aggregate_orders', { where: [{ not: { has: 'customer', where: [{ field: 'country', op: 'eq', value: 'FR' }] } }] }, /where\[0\]/],
      ];
      for (const [tool, args, path] of refusals) expectRefused(await call(ordersOnly, tool, args), tool, path, `${tool} ${JSON.stringify(args)}`);
      expect(await rowsOf(ordersOnly, 'aggregate_orders', { group_by: ['status'] })).toEqual([
        { status: 'open', count: 2 },
        { status: 'paid', count: 2 },
      ]);
      expectUnknownTool(await call(ordersOnly, 'aggregate_customers'), 'aggregate_customers');

      // The host's callerPolicy: orders and order_items, not customers.
      const withItems = await as(created.withItems);
      const narrowed = await withItems.listTools();
      expect(narrowed.tools.map((tool) => tool.name).filter((name) => name.startsWith('aggregate_')).sort()).toEqual(['aggregate_order_items', 'aggregate_orders']);
      const queryOrders = toolNamed(narrowed.tools, 'query_orders');
      expect(relationsOf(queryOrders)).toEqual(['order_items']);
      expect(offersHas(queryOrders)).toBe(true);
      // customer_id and product_id stay fields; the tables behind them are named nowhere.
      expect(JSON.stringify(narrowed)).not.toMatch(/customer\.|product\.|customers|products|"customer"|"product"/);
      // order_items keeps its relation to orders, loses the one to products.
      expect(relationsOf(toolNamed(narrowed.tools, 'query_order_items'))).toEqual(['order']);
      expect(await countOf(withItems, 'count_orders', { where: [{ has: 'order_items' }] })).toBe(2);
      expect(await rowsOf(withItems, 'aggregate_order_items', { group_by: ['order.status'] })).toEqual([
        { 'order.status': 'paid', count: 2 },
        { 'order.status': null, count: 1 },
      ]);
      expectRefused(await call(withItems, 'count_orders', { where: [{ has: 'customer' }] }), 'count_orders', /where\[0\]/, 'has customer');
      expectRefused(await call(withItems, 'aggregate_orders', { group_by: ['customer.country'] }), 'aggregate_orders', /group_by\[0\]/, 'customer.country');
      expectRefused(await call(withItems, 'aggregate_order_items', { group_by: ['product.name'] }), 'aggregate_order_items', /group_by\[0\]/, 'product.name');
      expectRefused(await call(withItems, 'query_order_items', { where: [{ has: 'product' }] }), 'query_order_items', /where\[0\]/, 'has product');
    });

    it('does not list aggregate tools to a caller limited to query_* tools, and refuses them like unknown tools', async () => {
      const queriesOnly = await as(created.queriesOnly);
      const names = (await queriesOnly.listTools()).tools.map((tool) => tool.name);
      expect(names.length).toBeGreaterThan(0);
      expect(names.every((name) => name.startsWith('query_'))).toBe(true);
      for (const tool of ['aggregate_orders', 'aggregate_customers']) expectUnknownTool(await call(queriesOnly, tool, { group_by: ['status'] }), tool);
      expect(await rowsOf(queriesOnly, 'query_orders', { columns: ['id', 'customer.name'], limit: 1 })).toEqual([{ id: 1, 'customer.name': 'Ada' }]);
    });

    it('bounds aggregate limit by the caller\'s maxRows', async () => {
      const small = await as(created.small);
      const limit = (toolNamed((await small.listTools()).tools, 'aggregate_orders').inputSchema.properties as Record<string, { maximum?: number; default?: number }>).limit;
      // docs/policy.md: with a maxRows below the base, the listed limit shows the caller's maximum and default.
      expect.soft(limit, 'the listed aggregate limit for a caller with maxRows 2').toMatchObject({ maximum: 2, default: 2 });
      const page = (await call(small, 'aggregate_orders', { group_by: ['id'] })).structuredContent as Rows & { next_offset?: number };
      expect(page.rows).toEqual([
        { id: 1, count: 1 },
        { id: 2, count: 1 },
      ]);
      expect(page.truncated).toBe(true);
      expect(page.next_offset).toBe(2);
      const tooMany = await call(small, 'aggregate_orders', { group_by: ['id'], limit: 3 });
      expectRefused(tooMany, 'aggregate_orders', /limit/, 'limit 3');
      expect(textOf(tooMany)).toMatch(/at most 2/);
      expect(await rowsOf(small, 'aggregate_orders', { group_by: ['id'], limit: 2, offset: 2 })).toEqual([
        { id: 3, count: 1 },
        { id: 4, count: 1 },
      ]);
      // The base policy is unchanged for everyone else.
      expect(await rowsOf(await as(created.one), 'aggregate_orders', { group_by: ['id'] })).toHaveLength(4);
    });

    it('records aggregate calls in the audit trail with operation aggregate and rowCount = groups returned', async () => {
      const one = await as(created.one);
      const small = await as(created.small);
      const eventOf = async (client: Client, args: Record<string, unknown>) => {
        const seen = events.length;
        const result = await call(client, 'aggregate_orders', args);
        const mine = events.slice(seen).filter((event) => event.tool === 'aggregate_orders');
        expect(mine, JSON.stringify(args)).toHaveLength(1);
        return { result, event: mine[0] as AuditEvent };
      };
      const grouped = await eventOf(one, { group_by: ['status'], metrics: [{ fn: 'sum', field: 'total', as: 'revenue' }] });
      expect(grouped.event).toMatchObject({ tool: 'aggregate_orders', operation: 'aggregate', outcome: 'ok', rowCount: 2, truncated: false, errorCode: null, caller: { keyName: 'tenant-one' } });
      expect(grouped.event.table).toMatch(/orders$/);
      expect((await eventOf(one, {})).event).toMatchObject({ operation: 'aggregate', outcome: 'ok', rowCount: 1 });
      expect((await eventOf(one, { group_by: ['status'], where: [{ field: 'total', op: 'gt', value: 1_000 }] })).event).toMatchObject({ operation: 'aggregate', outcome: 'ok', rowCount: 0 });
      expect((await eventOf(one, { group_by: ['status'], having: [{ metric: 'count', op: 'gt', value: 5 }] })).event).toMatchObject({ operation: 'aggregate', outcome: 'ok', rowCount: 0 });
      expect((await eventOf(small, { group_by: ['id'] })).event).toMatchObject({ operation: 'aggregate', outcome: 'ok', rowCount: 2, truncated: true });
      const invalid = await eventOf(one, { group_by: ['password_hash'] });
      expect(invalid.result.isError).toBe(true);
      expect(invalid.event).toMatchObject({ operation: 'aggregate', outcome: 'invalid', errorCode: 'invalid_arguments', rowCount: null });
      // A call with a relative time in its where is recorded like any other.
      const relative = await eventOf(one, { where: [{ field: 'ordered_at', op: 'gte', value: { start_of: 'month' } }] });
      expect(relative.result.isError, textOf(relative.result)).toBeFalsy();
      expect(relative.event).toMatchObject({ operation: 'aggregate', outcome: 'ok', rowCount: 1 });
      expect(relative.result.structuredContent).toMatchObject({ rows: [{ count: 4 }] });
      expect(JSON.stringify(events)).not.toContain('CANARY');
    });
  });
});
