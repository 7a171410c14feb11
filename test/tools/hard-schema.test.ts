import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { createConexor, type Conexor } from '../../src/index.js';
import type { Dialect } from '../../src/introspect/model.js';
import { DIALECTS, createTestDatabase, uniqueName, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const TOOL_NAME = /^[a-z0-9_]{1,64}$/;
const SAFE_FIELD = /^[A-Za-z0-9_.-]{1,64}$/;
/** Longest table name each database accepts (PostgreSQL: 63 bytes, MySQL: 64 characters); SQLite has no limit. */
const MAX_TABLE_NAME: Record<Dialect, number> = { sqlite: 70, postgresql: 63, mysql: 64 };
const WORDS = 'quarterly_regional_sales_figures_grouped_by_product_category_and_sales_channel_and_region';
const TICKET_STATUSES = ['open', 'closed', 'on hold'];
const NON_LATIN = '東京';

/** A table name of the dialect's maximum length ending in `_<end>`; all such names share everything else. */
function longName(dialect: Dialect, end: string): string {
  return `${WORDS.slice(0, MAX_TABLE_NAME[dialect] - end.length - 1)}_${end}`;
}

/** Tool names that every table gets regardless of dialect, except the long, colliding and second-schema ones. */
const FIXED_TOOLS = [
  'query_order_items',
  'query_order_items_by_order_id_and_line_no',
  'count_order_items',
  'aggregate_order_items',
  'query_customers',
  'query_customers_by_id',
  'query_customers_by_email',
  'query_customers_by_tenant_and_code',
  'count_customers',
  'aggregate_customers',
  'query_select',
  'query_select_by_id',
  'count_select',
  'aggregate_select',
  'query_order',
  'query_order_by_from',
  'count_order',
  'aggregate_order',
  'query_limit',
  'query_limit_by_group',
  'count_limit',
  'aggregate_limit',
  'query_customer_orders',
  'query_customer_orders_by_order_no',
  'count_customer_orders',
  'aggregate_customer_orders',
  'query_odd_columns',
  'query_odd_columns_by_id',
  'query_odd_columns_by_what',
  'query_odd_columns_by_a_b',
  'count_odd_columns',
  'aggregate_odd_columns',
  'query_event_log',
  'count_event_log',
  'aggregate_event_log',
  'query_busy_order_items',
  'count_busy_order_items',
  'aggregate_busy_order_items',
  'query_tickets',
  'query_tickets_by_id',
  'count_tickets',
  'aggregate_tickets',
  'query_documents',
  'query_documents_by_id',
  'count_documents',
  'aggregate_documents',
  'query_invoice_line',
  'query_invoice_line_by_id',
  'count_invoice_line',
  'aggregate_invoice_line',
  'query_cafe_ubersicht',
  'query_cafe_ubersicht_by_id',
  'count_cafe_ubersicht',
  'aggregate_cafe_ubersicht',
  'query_widgets',
  'query_widgets_by_id',
  'count_widgets',
  'aggregate_widgets',
];

/** Every `enum` list anywhere in a JSON Schema. */
function enumsIn(node: unknown): unknown[][] {
  if (Array.isArray(node)) return node.flatMap(enumsIn);
  if (!node || typeof node !== 'object') return [];
  const own = Array.isArray((node as { enum?: unknown }).enum) ? [(node as { enum: unknown[] }).enum] : [];
  return [...own, ...Object.values(node).flatMap(enumsIn)];
}

/**
 * These tests name the tools of every table: the listing of every tool per table. With the default (`auto`), this
 * schema's typed tools exceed the token budget and the generic tools take their place (see the last test).
 */
const TYPED = { catalog: { mode: 'typed' } } as const;

function sorted(names: Iterable<string>): string[] {
  return [...names].sort();
}

describe.each(DIALECTS)('hard schema on %s', (dialect) => {
  let db: TestDatabase;
  let conexor: Conexor;
  let client: Client;
  let tools: Tool[];
  /** PostgreSQL schema, MySQL database or SQLite attached database next to the default one. */
  const otherSchema = uniqueName('cx_other');
  /** False when the server folds table names to lower case, so InvoiceLine and invoice_line cannot coexist. */
  let caseSensitiveNames = true;
  let lowerCaseTableNames = 0;
  const longAlpha = longName(dialect, 'alpha');
  const longOmega = longName(dialect, 'omega');

  const q = (name: string) => (dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`);
  /** Runs a statement without bindings; PostgreSQL's Knex client would read every `?` as a placeholder. */
  const exec = (sql: string) => db.knex.raw(dialect === 'postgresql' ? sql.replace(/\?/g, '\\?') : sql);

  /** Calls a tool through the MCP client and returns its structuredContent, failing with the tool's message. */
  async function ok(name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const result = await call(client, name, args);
    if (result.isError) throw new Error(`${name}(${JSON.stringify(args)}) failed: ${textOf(result)}`);
    return result.structuredContent as Record<string, unknown>;
  }
  async function rows(name: string, args: Record<string, unknown> = {}): Promise<unknown[]> {
    return (await ok(name, args)).rows as unknown[];
  }
  async function lookup(name: string, args: Record<string, unknown>): Promise<unknown> {
    return (await ok(name, args)).row;
  }
  async function count(name: string, args: Record<string, unknown> = {}): Promise<number> {
    return (await ok(name, args)).count as number;
  }
  const tool = (name: string): Tool => {
    const found = tools.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no tool ${name}; tools: ${tools.map((t) => t.name).join(', ')}`);
    return found;
  };
  /** Tools of one table or view, recognised by the quoted real name every description carries. */
  const toolsOf = (list: readonly Tool[], table: string) =>
    list.filter((t) => t.description?.includes(`table "${table}"`) || t.description?.includes(`view "${table}"`));

  /** Tables whose tool names carry hashes: the longest names allowed, two that fold together, a non-Latin one. */
  async function createNamingTables(knex: Knex): Promise<void> {
    for (const [name, end] of [
      [longAlpha, 'alpha'],
      [longOmega, 'omega'],
    ] as const) {
      await knex.schema.createTable(name, (t) => {
        t.integer('id');
        t.string('label', 20).notNullable();
        t.primary(['id'], `long_${end}_pk`);
        t.unique(['label'], { indexName: `long_${end}_label_uq` });
      });
      await knex(name).insert({ id: 1, label: end });
    }
    // InvoiceLine is created first and sorts first, yet invoice_line keeps the plain name.
    if (caseSensitiveNames) {
      await knex.schema.createTable('InvoiceLine', (t) => {
        t.integer('id').primary();
        t.string('source', 20);
      });
      await knex('InvoiceLine').insert({ id: 1, source: 'pascal' });
    }
    await knex.schema.createTable('invoice_line', (t) => {
      t.integer('id').primary();
      t.string('source', 20);
    });
    await knex('invoice_line').insert({ id: 1, source: 'snake' });
    // Nothing of this name survives snake_casing.
    await knex.schema.createTable(NON_LATIN, (t) => {
      t.integer('id').primary();
      t.string('名前', 20);
    });
    await knex(NON_LATIN).insert({ id: 1, 名前: '花子' });
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cxh');
    const { knex } = db;

    if (dialect === 'mysql') {
      const [[setting]] = (await knex.raw('SELECT @@lower_case_table_names AS l')) as [[{ l: number | string }]];
      lowerCaseTableNames = Number(setting.l);
      caseSensitiveNames = lowerCaseTableNames === 0;
    }

    // Composite primary key, declared in an order other than the columns'.
    await knex.schema.createTable('order_items', (t) => {
      t.integer('line_no').notNullable();
      t.integer('order_id').notNullable();
      t.string('product', 40).notNullable();
      t.integer('qty').notNullable();
      t.primary(['order_id', 'line_no']);
    });
    await knex('order_items').insert([
      { order_id: 1, line_no: 1, product: 'apple', qty: 1 },
      { order_id: 1, line_no: 2, product: 'pear', qty: 3 },
      { order_id: 2, line_no: 1, product: 'plum', qty: 2 },
    ]);
    await exec(`CREATE VIEW busy_order_items AS SELECT order_id, line_no, qty FROM order_items WHERE qty >= 2`);

    // A unique index (not a constraint) and a composite unique key.
    await knex.schema.createTable('customers', (t) => {
      t.integer('id').primary();
      t.string('email', 100).notNullable();
      t.integer('tenant').notNullable();
      t.string('code', 20).notNullable();
      t.unique(['tenant', 'code'], { indexName: 'customers_tenant_code_uq' });
    });
    await exec(`CREATE UNIQUE INDEX customers_email_uix ON customers (email)`);
    await knex('customers').insert([
      { id: 1, email: 'ada@example.com', tenant: 1, code: 'A' },
      { id: 2, email: 'grace@example.com', tenant: 1, code: 'B' },
      { id: 3, email: 'linus@example.com', tenant: 2, code: 'A' },
    ]);

    // Reserved words as table and column names.
    await knex.schema.createTable('select', (t) => {
      t.integer('id').primary();
      t.string('from', 20);
      t.integer('group');
    });
    await knex.schema.createTable('order', (t) => {
      t.integer('from').primary();
      t.string('limit', 20);
    });
    await knex.schema.createTable('limit', (t) => {
      t.string('group', 20).primary();
      t.integer('order');
    });
    await knex('select').insert([
      { id: 1, from: 'here', group: 10 },
      { id: 2, from: 'there', group: 20 },
    ]);
    await knex('order').insert([{ from: 5, limit: 'five' }]);
    await knex('limit').insert([
      { group: 'g1', order: 7 },
      { group: 'g2', order: 3 },
    ]);

    // Spaces and mixed case; the key column too.
    await knex.schema.createTable('Customer Orders', (t) => {
      t.integer('Order No').primary();
      t.string('First Name', 40);
    });
    await knex('Customer Orders').insert([
      { 'Order No': 1, 'First Name': 'Ada' },
      { 'Order No': 2, 'First Name': 'Grace' },
    ]);

    // `?` and `.` in column names: Knex must read neither as a binding nor as a qualifier.
    await exec(`CREATE TABLE odd_columns (
      id INTEGER PRIMARY KEY,
      ${q('what?')} VARCHAR(40) NOT NULL,
      ${q('a.b')} VARCHAR(40) NOT NULL,
      note VARCHAR(40)
    )`);
    await exec(`CREATE UNIQUE INDEX odd_what_uix ON odd_columns (${q('what?')})`);
    await exec(`CREATE UNIQUE INDEX odd_ab_uix ON odd_columns (${q('a.b')})`);
    await exec(`INSERT INTO odd_columns (id, ${q('what?')}, ${q('a.b')}, note) VALUES
      (1, 'why?', 'x.y', 'first'), (2, 'how', 'p?q', 'second')`);

    // No primary key.
    await knex.schema.createTable('event_log', (t) => {
      t.string('message', 100);
      t.integer('level');
    });
    await knex('event_log').insert([
      { message: 'boot', level: 1 },
      { message: 'crash', level: 3 },
      { message: 'halt', level: 3 },
    ]);

    // Enum: PostgreSQL native type, MySQL ENUM, SQLite text with a CHECK.
    await knex.schema.createTable('tickets', (t) => {
      t.integer('id').primary();
      t.enu('status', TICKET_STATUSES, dialect === 'postgresql' ? { useNative: true, enumName: 'ticket_status' } : undefined)
        .notNullable();
      t.string('title', 40);
    });
    await knex('tickets').insert([
      { id: 1, status: 'open', title: 'a' },
      { id: 2, status: 'on hold', title: 'b' },
      { id: 3, status: 'closed', title: 'c' },
    ]);

    await knex.schema.createTable('documents', (t) => {
      t.integer('id').primary();
      t.json('body');
    });
    await knex('documents').insert([
      { id: 1, body: JSON.stringify({ a: 1, b: [1, 2], c: { d: 'e' } }) },
      { id: 2, body: null },
    ]);

    await createNamingTables(knex);

    await knex.schema.createTable('Café Übersicht', (t) => {
      t.integer('id').primary();
      t.string('Prénom', 20);
    });
    await knex('Café Übersicht').insert({ id: 1, Prénom: 'Zoë' });

    // A table of the same name in the default schema and in a second one.
    await knex.schema.createTable('widgets', (t) => {
      t.integer('id').primary();
      t.string('name', 20);
    });
    await knex('widgets').insert({ id: 1, name: 'default widget' });
    if (dialect === 'postgresql') await exec(`CREATE SCHEMA ${q(otherSchema)}`);
    else if (dialect === 'mysql') await exec(`CREATE DATABASE ${q(otherSchema)} CHARACTER SET utf8mb4`);
    else await exec(`ATTACH DATABASE ':memory:' AS ${q(otherSchema)}`);
    await exec(`CREATE TABLE ${q(otherSchema)}.widgets (id INTEGER PRIMARY KEY, name VARCHAR(20))`);
    await exec(`INSERT INTO ${q(otherSchema)}.widgets (id, name) VALUES (1, 'other widget'), (2, 'second')`);

    conexor = await createConexor(knex, TYPED);
    client = await connectClient(conexor.createServer());
    // Listing also makes the client validate every structuredContent against the tool's output schema.
    tools = (await client.listTools()).tools;
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    if (!db) return;
    if (dialect === 'postgresql') await exec(`DROP SCHEMA IF EXISTS ${q(otherSchema)} CASCADE`);
    if (dialect === 'mysql') await exec(`DROP DATABASE IF EXISTS ${q(otherSchema)}`);
    await db.destroy();
  });

  it('gives every tool a unique name of at most 64 characters in [a-z0-9_]', () => {
    const names = tools.map((t) => t.name);
    for (const name of names) expect(name).toMatch(TOOL_NAME);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(conexor.tools.map((t) => t.name));
  });

  it('by default (auto) lists the generic tools and the typed tools that fit, and reaches every table', async () => {
    const auto = await createConexor(db.knex);
    const autoClient = await connectClient(auto.createServer());
    try {
      const names = (await autoClient.listTools()).tools.map((t) => t.name);
      expect(names.slice(0, 4)).toEqual(['search_tables', 'query', 'count', 'aggregate']);
      // The typed query, lookup and count tools of the tables that fit the budget; the generic aggregate serves all.
      const typed = names.slice(4);
      expect(typed.length).toBeGreaterThan(0);
      expect(typed.length).toBeLessThan(tools.length);
      for (const name of typed) expect(tools.map((t) => t.name), name).toContain(name);
      expect(typed.filter((name) => name.startsWith('aggregate_'))).toEqual([]);

      // Every table has a typed count tool `count_<table>`; search_tables lists each under that name.
      const bases = tools.filter((t) => t.name.startsWith('count_')).map((t) => t.name.slice('count_'.length));
      expect(bases).toHaveLength(conexor.exposed.tables.length);
      const found = await call(autoClient, 'search_tables', {});
      expect(found.isError, textOf(found)).toBeFalsy();
      const listed = (found.structuredContent as { total: number; tables: { table: string }[] }).tables.map((t) => t.table);
      expect(sorted(listed)).toEqual(sorted(bases));
      // With detail=columns, each under its real name.
      const detailed = textOf(await call(autoClient, 'search_tables', { detail: 'columns', limit: 50 }));
      for (const table of conexor.exposed.tables) expect(detailed).toContain(`"${table.table.name}"`);
      // The generic count reaches each of them, and counts what its typed count counts.
      for (const base of bases) {
        const counted = await call(autoClient, 'count', { table: base });
        expect(counted.isError, `${base}: ${textOf(counted)}`).toBeFalsy();
        expect(counted.structuredContent, base).toEqual({ count: await count(`count_${base}`) });
      }
    } finally {
      await autoClient.close();
    }
  });

  it('names the tools of every table as the naming rules say', () => {
    const special = new Set(
      [longAlpha, longOmega, 'InvoiceLine', NON_LATIN].flatMap((table) => toolsOf(tools, table).map((t) => t.name)),
    );
    expect(sorted(tools.map((t) => t.name).filter((name) => !special.has(name)))).toEqual(sorted(FIXED_TOOLS));
    expect(special.size).toBe(caseSensitiveNames ? 18 : 14);
  });

  it('names lookup arguments as the tool name spells them (snake_case)', () => {
    for (const t of tools) {
      for (const property of Object.keys(t.inputSchema.properties ?? {})) expect(property, t.name).toMatch(SAFE_FIELD);
    }
    expect(Object.keys(tool('query_order_items_by_order_id_and_line_no').inputSchema.properties ?? {})).toEqual([
      'order_id',
      'line_no',
    ]);
    expect(Object.keys(tool('query_customer_orders_by_order_no').inputSchema.properties ?? {})).toEqual(['order_no']);
    expect(Object.keys(tool('query_odd_columns_by_what').inputSchema.properties ?? {})).toEqual(['what']);
    expect(Object.keys(tool('query_odd_columns_by_a_b').inputSchema.properties ?? {})).toEqual(['a_b']);
    expect(Object.keys(tool('query_select_by_id').inputSchema.properties ?? {})).toEqual(['id']);
    expect(Object.keys(tool('query_order_by_from').inputSchema.properties ?? {})).toEqual(['from']);
  });

  it('looks a composite primary key up by all its columns, in key order', async () => {
    expect(tool('query_order_items_by_order_id_and_line_no').inputSchema.required).toEqual(['order_id', 'line_no']);
    expect(await lookup('query_order_items_by_order_id_and_line_no', { order_id: 1, line_no: 2 })).toEqual({
      line_no: 2,
      order_id: 1,
      product: 'pear',
      qty: 3,
    });
    expect(await lookup('query_order_items_by_order_id_and_line_no', { order_id: 2, line_no: 2 })).toBeNull();
    const partial = await call(client, 'query_order_items_by_order_id_and_line_no', { order_id: 1 });
    expect(partial.isError).toBe(true);
    expect(await count('count_order_items', { where: [{ field: 'order_id', op: 'eq', value: 1 }] })).toBe(2);
    expect(await rows('query_order_items', { columns: ['product'], order_by: [{ field: 'qty', direction: 'desc' }] })).toEqual([
      { product: 'pear' },
      { product: 'plum' },
      { product: 'apple' },
    ]);
  });

  it('looks rows up by a unique index and by a composite unique key', async () => {
    expect(await lookup('query_customers_by_email', { email: 'grace@example.com' })).toEqual({
      id: 2,
      email: 'grace@example.com',
      tenant: 1,
      code: 'B',
    });
    expect(await lookup('query_customers_by_tenant_and_code', { tenant: 2, code: 'A' })).toMatchObject({ id: 3 });
    expect(await lookup('query_customers_by_tenant_and_code', { tenant: 2, code: 'B' })).toBeNull();
    expect(await lookup('query_customers_by_id', { id: 1 })).toMatchObject({ email: 'ada@example.com' });
    expect(await count('count_customers', { where: [{ field: 'code', op: 'eq', value: 'A' }] })).toBe(2);
  });

  it('queries tables and columns named with reserved words', async () => {
    expect(
      await rows('query_select', {
        where: [{ field: 'from', op: 'in', value: ['here', 'there'] }],
        columns: ['from', 'group'],
        order_by: [{ field: 'group', direction: 'desc' }],
      }),
    ).toEqual([
      { from: 'there', group: 20 },
      { from: 'here', group: 10 },
    ]);
    expect(await lookup('query_select_by_id', { id: 1 })).toEqual({ id: 1, from: 'here', group: 10 });
    expect(await count('count_select', { where: [{ field: 'group', op: 'gt', value: 10 }] })).toBe(1);
    expect(await lookup('query_order_by_from', { from: 5 })).toEqual({ from: 5, limit: 'five' });
    expect(await rows('query_order', { where: [{ field: 'limit', op: 'starts_with', value: 'fi' }] })).toEqual([
      { from: 5, limit: 'five' },
    ]);
    expect(await count('count_order')).toBe(1);
    expect(await lookup('query_limit_by_group', { group: 'g2' })).toEqual({ group: 'g2', order: 3 });
    expect(await rows('query_limit', { order_by: [{ field: 'order' }] })).toEqual([
      { group: 'g2', order: 3 },
      { group: 'g1', order: 7 },
    ]);
    expect(await count('count_limit', { where: [{ field: 'order', op: 'gte', value: 7 }] })).toBe(1);
  });

  it('serves a table with spaces and mixed case under snake_case names, keeping the real names in descriptions', async () => {
    const query = tool('query_customer_orders');
    expect(query.description).toContain('"Customer Orders"');
    expect(query.description).toContain('first_name');
    expect(query.description).toContain('"First Name"');
    expect(query.description).toContain('"Order No"');
    expect(await rows('query_customer_orders', { where: [{ field: 'first_name', op: 'eq', value: 'Grace' }] })).toEqual([
      { order_no: 2, first_name: 'Grace' },
    ]);
    expect(await rows('query_customer_orders', { order_by: [{ field: 'first_name', direction: 'desc' }], limit: 1 })).toEqual([
      { order_no: 2, first_name: 'Grace' },
    ]);
    expect(await lookup('query_customer_orders_by_order_no', { order_no: 1 })).toEqual({ order_no: 1, first_name: 'Ada' });
    expect(await count('count_customer_orders', { where: [{ field: 'first_name', op: 'contains', value: 'a' }] })).toBe(2);
  });

  it('returns columns named `what?` and `a.b` under the fields `what` and `a.b`', async () => {
    expect(tool('query_odd_columns').description).toContain('"what?"');
    expect(await rows('query_odd_columns', { order_by: [{ field: 'id' }] })).toEqual([
      { id: 1, what: 'why?', 'a.b': 'x.y', note: 'first' },
      { id: 2, what: 'how', 'a.b': 'p?q', note: 'second' },
    ]);
    expect(
      await rows('query_odd_columns', { columns: ['what', 'a.b'], order_by: [{ field: 'what', direction: 'desc' }] }),
    ).toEqual([
      { what: 'why?', 'a.b': 'x.y' },
      { what: 'how', 'a.b': 'p?q' },
    ]);
    // A bound value next to the `?` of the column name.
    expect(await rows('query_odd_columns', { where: [{ field: 'note', op: 'eq', value: 'second' }], columns: ['what'] })).toEqual([
      { what: 'how' },
    ]);
    expect(await count('count_odd_columns', { where: [{ field: 'what', op: 'is_not_null' }] })).toBe(2);
  });

  it('filters by a column named `a.b` and looks rows up by it', async () => {
    expect(await rows('query_odd_columns', { where: [{ field: 'a.b', op: 'eq', value: 'p?q' }], columns: ['id', 'a.b'] })).toEqual([
      { id: 2, 'a.b': 'p?q' },
    ]);
    expect(await count('count_odd_columns', { where: [{ field: 'a.b', op: 'ends_with', value: '?q' }] })).toBe(1);
    expect(await lookup('query_odd_columns_by_a_b', { 'a.b': 'x.y' })).toEqual({ id: 1, what: 'why?', 'a.b': 'x.y', note: 'first' });
    expect(await lookup('query_odd_columns_by_a_b', { 'a.b': 'x' })).toBeNull();
  });

  it('filters by a column named `what?` and looks rows up by it', async () => {
    expect(await rows('query_odd_columns', { where: [{ field: 'what', op: 'eq', value: 'why?' }] })).toEqual([
      { id: 1, what: 'why?', 'a.b': 'x.y', note: 'first' },
    ]);
    expect(await count('count_odd_columns', { where: [{ field: 'what', op: 'in', value: ['why?', 'how', 'who'] }] })).toBe(2);
    expect(
      await count('count_odd_columns', {
        where: [{ or: [{ field: 'what', op: 'contains', value: '?' }, { field: 'a.b', op: 'ends_with', value: 'q' }] }],
      }),
    ).toBe(2);
    expect(await lookup('query_odd_columns_by_what', { what: 'how' })).toEqual({ id: 2, what: 'how', 'a.b': 'p?q', note: 'second' });
  });

  it('serves a table without a primary key through query, count and aggregate only', async () => {
    expect(tools.filter((t) => t.name.startsWith('query_event_log_by_'))).toEqual([]);
    expect(toolsOf(tools, 'event_log').map((t) => t.name)).toEqual(['query_event_log', 'count_event_log', 'aggregate_event_log']);
    // Groups need no key to be ordered: they are ordered by their own outputs.
    expect(await rows('aggregate_event_log', { group_by: ['level'] })).toEqual([
      { level: 1, count: 1 },
      { level: 3, count: 2 },
    ]);
    expect(await rows('query_event_log', { order_by: [{ field: 'message' }] })).toEqual([
      { message: 'boot', level: 1 },
      { message: 'crash', level: 3 },
      { message: 'halt', level: 3 },
    ]);
    expect(await count('count_event_log', { where: [{ field: 'level', op: 'eq', value: 3 }] })).toBe(2);
  });

  it('serves a view through query, count and aggregate only', async () => {
    expect(toolsOf(tools, 'busy_order_items').map((t) => t.name)).toEqual([
      'query_busy_order_items',
      'count_busy_order_items',
      'aggregate_busy_order_items',
    ]);
    expect(await rows('aggregate_busy_order_items', { metrics: [{ fn: 'sum', field: 'qty' }, { fn: 'max', field: 'order_id' }] })).toEqual([
      { sum_qty: 5, max_order_id: 2 },
    ]);
    expect(tool('query_busy_order_items').description).toContain('view "busy_order_items"');
    expect(await rows('query_busy_order_items', { order_by: [{ field: 'qty', direction: 'desc' }] })).toEqual([
      { order_id: 1, line_no: 2, qty: 3 },
      { order_id: 2, line_no: 1, qty: 2 },
    ]);
    expect(await count('count_busy_order_items')).toBe(2);
    expect(await count('count_busy_order_items', { where: [{ field: 'order_id', op: 'eq', value: 2 }] })).toBe(1);
  });

  it('states the allowed values of an enum column in its description and refuses others (SQLite: a text column with CHECK IN)', async () => {
    const status = conexor.model.tables.find((t) => t.name === 'tickets')?.columns.find((c) => c.name === 'status');
    // Knex's enu() is a native enum on PostgreSQL (useNative) and MySQL, a text column CHECKed IN the values on SQLite.
    expect(status).toMatchObject({ type: 'enum', enumValues: TICKET_STATUSES });
    expect(tool('query_tickets').description).toContain(`status enum ${TICKET_STATUSES.join('|')}`);
    // The values are stated once, in the description: no schema carries an enum of them.
    for (const name of ['query_tickets', 'count_tickets', 'aggregate_tickets']) expect(enumsIn(tool(name).inputSchema), name).toEqual([]);
    for (const name of ['query_tickets', 'count_tickets']) {
      const bogus = await call(client, name, { where: [{ field: 'status', op: 'eq', value: 'bogus' }] });
      expect(bogus.isError).toBe(true);
      const message = textOf(bogus);
      expect(message).toMatch(new RegExp(`^Invalid arguments for ${name}: where\\[0\\]\\.value: `));
      expect(message).toContain(`one of ${TICKET_STATUSES.map((value) => JSON.stringify(value)).join(', ')}`);
    }
    expect(await rows('query_tickets', { where: [{ field: 'status', op: 'eq', value: 'on hold' }] })).toEqual([
      { id: 2, status: 'on hold', title: 'b' },
    ]);
    expect(await lookup('query_tickets_by_id', { id: 3 })).toEqual({ id: 3, status: 'closed', title: 'c' });
    expect(await count('count_tickets', { where: [{ field: 'status', op: 'in', value: ['open', 'closed'] }] })).toBe(2);
  });

  it('returns a JSON column parsed and filters it by NULL only', async () => {
    const body = { a: 1, b: [1, 2], c: { d: 'e' } };
    expect(await rows('query_documents', { order_by: [{ field: 'id' }] })).toEqual([
      { id: 1, body },
      { id: 2, body: null },
    ]);
    expect(await lookup('query_documents_by_id', { id: 1 })).toEqual({ id: 1, body });
    expect(await count('count_documents', { where: [{ field: 'body', op: 'is_null' }] })).toBe(1);
    expect(await rows('query_documents', { where: [{ field: 'body', op: 'is_not_null' }], columns: ['id'] })).toEqual([
      { id: 1 },
    ]);
    const equal = await call(client, 'query_documents', { where: [{ field: 'body', op: 'eq', value: 'x' }] });
    expect(equal.isError).toBe(true);
  });

  it('cuts the tool names of over-long tables to 64 characters ending in a hash, distinct per table', async () => {
    expect(longAlpha).toHaveLength(MAX_TABLE_NAME[dialect]);
    const alpha = toolsOf(tools, longAlpha);
    const omega = toolsOf(tools, longOmega);
    expect(alpha).toHaveLength(5);
    expect(omega).toHaveLength(5);
    const names = [...alpha, ...omega].map((t) => t.name);
    expect(new Set(names).size).toBe(10);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(64);
      expect(name).toMatch(/^(query|count|aggregate)_quarterly_regional_sales_[a-z0-9_]*_[0-9a-f]{6}$/);
    }
    const queryOf = (list: Tool[]) => list.find((t) => t.description?.startsWith('Rows of'))?.name ?? '';
    const countOf = (list: Tool[]) => list.find((t) => t.name.startsWith('count_'))?.name ?? '';
    expect(await rows(queryOf(alpha))).toEqual([{ id: 1, label: 'alpha' }]);
    expect(await rows(queryOf(omega))).toEqual([{ id: 1, label: 'omega' }]);
    expect(await count(countOf(omega), { where: [{ field: 'label', op: 'eq', value: 'omega' }] })).toBe(1);
    const aggregateOf = (list: Tool[]) => list.find((t) => t.name.startsWith('aggregate_'))?.name ?? '';
    expect(await rows(aggregateOf(alpha), { group_by: ['label'] })).toEqual([{ label: 'alpha', count: 1 }]);
    const byLabel = omega.find((t) => Object.keys(t.inputSchema.properties ?? {}).includes('label'));
    expect(byLabel).toBeDefined();
    expect(await lookup(byLabel?.name ?? '', { label: 'omega' })).toEqual({ id: 1, label: 'omega' });
  });

  it('gives the same names on every createConexor call', async () => {
    const again = await createConexor(db.knex, TYPED);
    expect(again.tools.map((t) => t.name)).toEqual(tools.map((t) => t.name));
  });

  it('keeps the plain name for the snake_case table when another table folds onto it', async (ctx) => {
    if (!caseSensitiveNames) {
      ctx.skip(`the server folds table names to lower case (lower_case_table_names=${lowerCaseTableNames})`);
    }
    expect(toolsOf(tools, 'invoice_line').map((t) => t.name)).toEqual([
      'query_invoice_line',
      'query_invoice_line_by_id',
      'count_invoice_line',
      'aggregate_invoice_line',
    ]);
    const pascal = toolsOf(tools, 'InvoiceLine').map((t) => t.name);
    expect(pascal).toHaveLength(4);
    const [query, byId, countTool, aggregateTool] = pascal;
    expect(query).toMatch(/^query_invoice_line_[0-9a-f]{4}$/);
    expect(byId).toBe(`${query}_by_id`);
    expect(countTool).toBe(`count_${query?.slice('query_'.length)}`);
    expect(aggregateTool).toBe(`aggregate_${query?.slice('query_'.length)}`);
    expect(await rows(aggregateTool ?? '', { group_by: ['source'] })).toEqual([{ source: 'pascal', count: 1 }]);
    expect(await rows('query_invoice_line')).toEqual([{ id: 1, source: 'snake' }]);
    expect(await rows(query ?? '')).toEqual([{ id: 1, source: 'pascal' }]);
    expect(await lookup(byId ?? '', { id: 1 })).toEqual({ id: 1, source: 'pascal' });
    expect(await count(countTool ?? '', { where: [{ field: 'source', op: 'eq', value: 'pascal' }] })).toBe(1);
  });

  it('folds a non-ASCII table name to ASCII snake_case', async () => {
    expect(toolsOf(tools, 'Café Übersicht').map((t) => t.name)).toEqual([
      'query_cafe_ubersicht',
      'query_cafe_ubersicht_by_id',
      'count_cafe_ubersicht',
      'aggregate_cafe_ubersicht',
    ]);
    expect(tool('query_cafe_ubersicht').description).toContain('"Prénom"');
    expect(await rows('query_cafe_ubersicht', { where: [{ field: 'prenom', op: 'eq', value: 'Zoë' }] })).toEqual([
      { id: 1, prenom: 'Zoë' },
    ]);
    expect(await lookup('query_cafe_ubersicht_by_id', { id: 1 })).toEqual({ id: 1, prenom: 'Zoë' });
    expect(await count('count_cafe_ubersicht')).toBe(1);
  });

  it('names a table with nothing left after snake_casing by a hash, and its fields likewise', async () => {
    const names = toolsOf(tools, NON_LATIN).map((t) => t.name);
    expect(names).toHaveLength(4);
    const [query, byId, countTool, aggregateTool] = names;
    expect(query).toMatch(/^query_t_[0-9a-f]{8}$/);
    expect(byId).toBe(`${query}_by_id`);
    expect(countTool).toBe(`count_${query?.slice('query_'.length)}`);
    expect(aggregateTool).toBe(`aggregate_${query?.slice('query_'.length)}`);
    expect(await rows(aggregateTool ?? '', { group_by: ['column'] })).toEqual([{ column: '花子', count: 1 }]);
    expect(tool(query ?? '').description).toContain('"名前"');
    expect(await rows(query ?? '')).toEqual([{ id: 1, column: '花子' }]);
    expect(await lookup(byId ?? '', { id: 1 })).toEqual({ id: 1, column: '花子' });
    expect(await count(countTool ?? '', { where: [{ field: 'column', op: 'eq', value: '花子' }] })).toBe(1);
  });

  it('gives hashed names that do not depend on the name of the database', async () => {
    // The same tables in a database (schema) of another name, as in development and production.
    const twin = await createTestDatabase(dialect, 'cxtwin');
    try {
      await createNamingTables(twin.knex);
      const twinTools = (await createConexor(twin.knex, TYPED)).tools;
      for (const table of [longAlpha, longOmega, 'InvoiceLine', 'invoice_line', NON_LATIN]) {
        expect(toolsOf(twinTools, table).map((t) => t.name), table).toEqual(toolsOf(tools, table).map((t) => t.name));
      }
      expect(toolsOf(twinTools, NON_LATIN)).toHaveLength(4);
    } finally {
      await twin.destroy();
    }
  });

  it('prefixes tables of a second schema with the schema name', async () => {
    const prefix = otherSchema.toLowerCase();
    expect(tools.some((t) => t.name.includes(prefix))).toBe(false);

    const both = await createConexor(db.knex, { ...TYPED, schemas: [db.schema, otherSchema] });
    const names = both.tools.map((t) => t.name);
    for (const name of names) expect(name).toMatch(TOOL_NAME);
    expect(new Set(names).size).toBe(names.length);
    // The default schema's tools keep their names.
    expect(sorted(names.filter((name) => !name.includes(prefix)))).toEqual(sorted(tools.map((t) => t.name)));
    expect(sorted(names.filter((name) => name.includes(prefix)))).toEqual(
      sorted([`query_${prefix}_widgets`, `query_${prefix}_widgets_by_id`, `count_${prefix}_widgets`, `aggregate_${prefix}_widgets`]),
    );

    const other = await connectClient(both.createServer());
    try {
      await other.listTools();
      const result = await call(other, `query_${prefix}_widgets`, { order_by: [{ field: 'id' }] });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        rows: [
          { id: 1, name: 'other widget' },
          { id: 2, name: 'second' },
        ],
      });
      const byId = await call(other, `query_${prefix}_widgets_by_id`, { id: 2 });
      expect(byId.structuredContent).toEqual({ row: { id: 2, name: 'second' } });
      const counted = await call(other, `count_${prefix}_widgets`, { where: [{ field: 'name', op: 'contains', value: 'widget' }] });
      expect(counted.structuredContent).toEqual({ count: 1 });
      const grouped = await call(other, `aggregate_${prefix}_widgets`, { metrics: [{ fn: 'count' }, { fn: 'max', field: 'id' }] });
      expect(grouped.isError, textOf(grouped)).toBeFalsy();
      expect(grouped.structuredContent).toEqual({ rows: [{ count: 2, max_id: 2 }], truncated: false });
      const plain = await call(other, 'query_widgets');
      expect(plain.structuredContent).toMatchObject({ rows: [{ id: 1, name: 'default widget' }] });
    } finally {
      await other.close();
    }
  });
});
