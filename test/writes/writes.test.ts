/**
 * Writes (issue 11) end to end through a real MCP client on every dialect: the option and its filters, the tools
 * and their annotations, typed input (what may and must be set), results with keys and new values, tenant scope,
 * `max_affected`, constraint violations explained without values, read-only callers, generic tools, audit events.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConexor, functionSink, type AuditEvent, type Conexor, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const TENANT = 1;
const OTHER = 2;

describe.each(DIALECTS)('writes on %s', (dialect) => {
  let db: TestDatabase;
  const opened: Conexor[] = [];
  const events: AuditEvent[] = [];

  async function connect(options: ConexorOptions): Promise<{ client: Client; tools: Tool[] }> {
    const cx = await createConexor(db.knex, { audit: { sinks: [functionSink((batch) => void events.push(...batch))] }, ...options });
    opened.push(cx);
    const client = await connectClient(cx.createServer());
    return { client, tools: (await client.listTools()).tools };
  }

  const scoped: ConexorOptions = { writes: true, catalog: { mode: 'typed' }, scope: { columns: ['tenant_id'], values: () => ({ tenant_id: TENANT }) } };

  async function reset(): Promise<void> {
    await db.knex('orders').delete();
    await db.knex('customers').delete();
    await db.knex('regions').delete();
    await db.knex('notes').delete();
    await db.knex('customers').insert([
      { id: 1, tenant_id: TENANT, name: 'Ann', email: 'ann@example.com', status: 'active', password_hash: 'h1' },
      { id: 2, tenant_id: OTHER, name: 'Bob', email: 'bob@example.com', status: 'active', password_hash: 'h2' },
      { id: 3, tenant_id: TENANT, name: 'Cy', email: 'cy@example.com', status: 'active', password_hash: 'h3' },
    ]);
    await db.knex('orders').insert([
      { id: 10, tenant_id: TENANT, customer_id: 1, amount: '5.00' },
      { id: 11, tenant_id: OTHER, customer_id: 2, amount: '7.00' },
    ]);
    await db.knex('regions').insert([{ code: 'eu', name: 'Europe' }]);
    events.length = 0;
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_writes');
    const k = db.knex;
    await k.schema.createTable('regions', (t) => {
      t.string('code', 10).primary();
      t.string('name', 50).notNullable();
    });
    await k.schema.createTable('customers', (t) => {
      // Not INTEGER: on SQLite that would make it the rowid, filled by the database.
      t.bigInteger('id').primary();
      t.integer('tenant_id').notNullable();
      t.string('name', 50).notNullable();
      t.string('email', 100).unique({ indexName: 'customers_email_unique' });
      t.string('status', 10).notNullable().defaultTo('active');
      t.string('password_hash', 100);
      t.check(`status IN ('active', 'closed')`, [], 'customers_status_check');
    });
    const generated = {
      sqlite: 'ALTER TABLE customers ADD COLUMN name_upper TEXT GENERATED ALWAYS AS (upper(name)) VIRTUAL',
      postgresql: 'ALTER TABLE customers ADD COLUMN name_upper text GENERATED ALWAYS AS (upper(name)) STORED',
      mysql: 'ALTER TABLE customers ADD COLUMN name_upper varchar(50) AS (upper(name)) VIRTUAL',
    }[dialect];
    await k.raw(generated);
    await k.schema.createTable('orders', (t) => {
      t.increments('id').primary();
      t.integer('tenant_id').notNullable();
      t.bigInteger('customer_id').references('id').inTable('customers').withKeyName('orders_customer_fk');
      t.decimal('amount', 10, 2).notNullable();
      t.text('note');
      t.check('amount >= 0', [], 'orders_amount_check');
    });
    // No key: inserts only.
    await k.schema.createTable('notes', (t) => {
      t.string('body', 200).notNullable();
    });
    await k.raw('CREATE VIEW active_customers AS SELECT id, name FROM customers');
  });

  beforeEach(reset);

  afterAll(async () => {
    for (const cx of opened) await cx.close();
    await db?.destroy();
  });

  it('adds no write tool unless writes are enabled', async () => {
    const { tools } = await connect({ catalog: { mode: 'typed' } });
    expect(tools.filter((tool) => /^(insert|update|delete)_/.test(tool.name))).toEqual([]);
    expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
  });

  it('lists write tools on base tables with annotations from the access policy', async () => {
    const { tools } = await connect(scoped);
    const names = tools.map((tool) => tool.name);
    for (const name of ['insert_customers', 'update_customers_by_id', 'update_customers', 'delete_customers_by_id', 'delete_customers', 'insert_regions', 'update_regions_by_code', 'delete_regions_by_code']) {
      expect(names).toContain(name);
    }
    // No key: insert only. A view: nothing.
    expect(names).toContain('insert_notes');
    expect(names.filter((name) => /^(update|delete)_notes/.test(name))).toEqual([]);
    expect(names.filter((name) => /^(insert|update|delete)_active_customers/.test(name))).toEqual([]);
    const annotations = (name: string) => tools.find((tool) => tool.name === name)?.annotations;
    expect(annotations('insert_customers')).toEqual({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false });
    expect(annotations('update_customers_by_id')).toEqual({ readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false });
    expect(annotations('update_customers')).toEqual({ readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false });
    expect(annotations('delete_customers_by_id')).toEqual({ readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false });
    expect(annotations('query_customers')).toEqual({ readOnlyHint: true, openWorldHint: false });
    // What an insert may set: not the generated column, the secret column, nor the scoping column.
    const insert = tools.find((tool) => tool.name === 'insert_customers')?.inputSchema as unknown as { properties: { rows: { items: { properties: Record<string, unknown>; required: string[] } } } };
    expect(Object.keys(insert.properties.rows.items.properties).sort()).toEqual(['email', 'id', 'name', 'status']);
    // A SQLite primary key that is not the rowid may be NULL: only PostgreSQL and MariaDB require it.
    expect(insert.properties.rows.items.required.sort()).toEqual(dialect === 'sqlite' ? ['name'] : ['id', 'name']);
    const orders = tools.find((tool) => tool.name === 'insert_orders')?.inputSchema as unknown as { properties: { rows: { items: { properties: Record<string, unknown> } } } };
    // An identity key is filled by the database.
    expect(Object.keys(orders.properties.rows.items.properties).sort()).toEqual(['amount', 'customer_id', 'note']);
  });

  it('narrows writes to the tables and operations the option names, and fails on a table that does not exist', async () => {
    const { tools } = await connect({ writes: { tables: ['orders'], operations: ['insert'] }, catalog: { mode: 'typed' } });
    expect(tools.filter((tool) => !tool.annotations?.readOnlyHint).map((tool) => tool.name)).toEqual(['insert_orders']);
    await expect(createConexor(db.knex, { writes: { tables: ['ordrs'] } })).rejects.toThrow(/writes\.tables names table "ordrs", which does not exist; did you mean "orders"/);
    await expect(createConexor(db.knex, { writes: { operations: ['drop' as 'insert'] } })).rejects.toThrow(/writes\.operations/);
  });

  it('inserts rows, setting the scope from the caller, and returns their keys and new values', async () => {
    const { client } = await connect(scoped);
    const result = await call(client, 'insert_orders', { rows: [{ customer_id: 1, amount: 12.5 }, { customer_id: 3, amount: '0.99', note: 'gift' }] });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { affected: number; rows: { id: number; amount: string; note: string | null }[] };
    expect(structured.affected).toBe(2);
    // Decimals render as exact text on PostgreSQL and MariaDB; SQLite stores them as REAL.
    expect(structured.rows.map((row) => [Number(row.amount), row.note])).toEqual([[12.5, null], [0.99, 'gift']]);
    const stored = await db.knex('orders').whereIn('id', structured.rows.map((row) => row.id)).orderBy('id');
    expect(stored.map((row: { tenant_id: number }) => Number(row.tenant_id))).toEqual([TENANT, TENANT]);
    expect(textOf(result)).toMatch(/^inserted 2 rows\n/);
    const event = events.find((candidate) => candidate.tool === 'insert_orders');
    expect(event).toMatchObject({ operation: 'insert', outcome: 'ok', rowCount: 2, keys: structured.rows.map((row) => ({ id: row.id })) });
  });

  it('applies column defaults and inserts into a table without a key', async () => {
    const { client } = await connect(scoped);
    const result = await call(client, 'insert_customers', { rows: [{ id: 4, name: 'Dee' }] });
    expect(result.structuredContent).toEqual({ affected: 1, rows: [{ id: 4, name: 'Dee', email: null, status: 'active', name_upper: 'DEE' }] });
    const note = await call(client, 'insert_notes', { rows: [{ body: 'hello' }] });
    expect(note.structuredContent).toEqual({ affected: 1, rows: [], unlisted: 1 });
    expect(await db.knex('notes').select('body')).toEqual([{ body: 'hello' }]);
  });

  it('refuses what a write may not set or must set, naming the argument, and changes nothing', async () => {
    const { client } = await connect(scoped);
    const before = await snapshot();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['insert_customers', { rows: [{ id: 5, name: 'X', tenant_id: OTHER }] }, /rows\[0\]: unknown argument "tenant_id"/],
      ['insert_customers', { rows: [{ id: 5, name: 'X', password_hash: 'p' }] }, /unknown argument "password_hash"/],
      ['insert_customers', { rows: [{ id: 5, name: 'X', name_upper: 'Y' }] }, /unknown argument "name_upper"/],
      ['insert_orders', { rows: [{ id: 99, amount: 1 }] }, /unknown argument "id"/],
      ['insert_customers', { rows: [{ id: 5 }] }, /rows\[0\]\.name/],
      ['insert_customers', { rows: [{ id: 5, name: 'x'.repeat(51) }] }, /at most 50 characters/],
      ['insert_customers', { rows: [{ id: 5, name: 'X', status: 'gone' }] }, /status/],
      ['insert_customers', { rows: [] }, /at least one row/],
      ['update_customers_by_id', { id: 1, set: {} }, /at least one field/],
      ['update_customers_by_id', { id: 1, set: { id: 9 } }, /unknown argument "id"/],
      ['update_customers_by_id', { id: 1, set: { tenant_id: OTHER } }, /unknown argument "tenant_id"/],
      ['update_customers', { set: { status: 'closed' }, max_affected: 5 }, /where/],
      ['update_customers', { where: [], set: { status: 'closed' }, max_affected: 5 }, /where.*at least one condition/],
      ['update_customers', { where: [{ field: 'status', op: 'eq', value: 'active' }], set: { status: 'closed' } }, /max_affected/],
      ['delete_customers', { where: [{ field: 'status', op: 'eq', value: 'active' }], max_affected: 0 }, /max_affected/],
    ];
    for (const [tool, args, message] of cases) {
      const result = await call(client, tool, args);
      expect(result.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
      expect(textOf(result)).toMatch(message);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('updates and deletes one row by key, only within the caller scope', async () => {
    const { client } = await connect(scoped);
    const updated = await call(client, 'update_customers_by_id', { id: 1, set: { name: 'Annie', status: 'closed' } });
    expect(updated.structuredContent).toEqual({ affected: 1, rows: [{ id: 1, name: 'Annie', email: 'ann@example.com', status: 'closed', name_upper: 'ANNIE' }] });
    // Another tenant's row by key: not reached.
    const other = await call(client, 'update_customers_by_id', { id: 2, set: { name: 'Hacked' } });
    expect(other.structuredContent).toEqual({ affected: 0, rows: [] });
    const gone = await call(client, 'delete_customers_by_id', { id: 2 });
    expect(gone.structuredContent).toEqual({ affected: 0, rows: [] });
    expect(await db.knex('customers').where('id', 2).first()).toMatchObject({ name: 'Bob' });
    const deleted = await call(client, 'delete_orders_by_id', { id: 10 });
    expect(deleted.structuredContent).toEqual({ affected: 1, rows: [{ id: 10 }] });
    expect(await db.knex('orders').where('id', 10)).toEqual([]);
    expect(events.filter((event) => event.operation === 'delete').map((event) => [event.tool, event.rowCount, event.keys])).toEqual([
      ['delete_customers_by_id', 0, []],
      ['delete_orders_by_id', 1, [{ id: 10 }]],
    ]);
  });

  it('changes nothing when a filtered call would change more rows than max_affected', async () => {
    const { client } = await connect(scoped);
    const before = await snapshot();
    const active = [{ field: 'status', op: 'eq', value: 'active' }];
    const refused = await call(client, 'update_customers', { where: active, set: { status: 'closed' }, max_affected: 1 });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/max_affected: this update would change more than 1 rows; nothing was changed/);
    const refusedDelete = await call(client, 'delete_customers', { where: active, max_affected: 1 });
    expect(textOf(refusedDelete)).toMatch(/more than 1 rows/);
    expect(await snapshot()).toEqual(before);
    // Two rows of the caller's tenant match (the other tenant's active row is out of reach).
    const done = await call(client, 'update_customers', { where: active, set: { status: 'closed' }, max_affected: 2 });
    expect((done.structuredContent as { affected: number; rows: { id: number }[] }).rows.map((row) => row.id)).toEqual([1, 3]);
    expect((await db.knex('customers').where('id', 2).first()) as { status: string }).toMatchObject({ status: 'active' });
  });

  it('filters a write through relations, within the scope', async () => {
    const { client } = await connect(scoped);
    const result = await call(client, 'delete_orders', { where: [{ field: 'customer.name', op: 'eq', value: 'Ann' }], max_affected: 5 });
    expect(result.structuredContent).toEqual({ affected: 1, rows: [{ id: 10 }] });
  });

  it('explains constraint violations by field or constraint, never by value, and changes nothing', async () => {
    const { client } = await connect({ writes: true, catalog: { mode: 'typed' } });
    const before = await snapshot();
    const duplicate = await call(client, 'insert_customers', { rows: [{ id: 7, tenant_id: TENANT, name: 'Dup', email: 'bob@example.com' }] });
    expect(duplicate.isError).toBe(true);
    expect(textOf(duplicate)).toMatch(/email must be unique.*choose a different value\. Nothing was changed\./);
    const sameKey = await call(client, 'insert_customers', { rows: [{ id: 1, tenant_id: TENANT, name: 'Again' }] });
    expect(textOf(sameKey)).toMatch(/\bid must be unique/);
    const missing = await call(client, 'insert_orders', { rows: [{ tenant_id: TENANT, customer_id: 999, amount: 1 }] });
    expect(textOf(missing)).toBe('customer_id: must reference an existing row of customers; no such row.');
    const negative = await call(client, 'update_orders_by_id', { id: 10, set: { amount: -1 } });
    expect(textOf(negative)).toMatch(/check constraint/);
    const referenced = await call(client, 'delete_customers_by_id', { id: 1 });
    expect(textOf(referenced)).toMatch(/still reference this row of customers/);
    // A later row failing rolls the earlier rows of the same call back.
    const partial = await call(client, 'insert_customers', { rows: [{ id: 8, tenant_id: TENANT, name: 'Ok' }, { id: 9, tenant_id: TENANT, name: 'Dup', email: 'ann@example.com' }] });
    expect(partial.isError).toBe(true);
    for (const result of [duplicate, sameKey, missing, negative, referenced, partial]) {
      expect(textOf(result)).not.toMatch(/bob@example|ann@example|INSERT|UPDATE|DELETE|SELECT/);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('names a refused reference by its field, as the tools spell it', async () => {
    await db.knex.schema.createTable('labels', (t) => {
      t.increments('id');
      t.bigInteger('Customer Ref').references('id').inTable('customers');
    });
    try {
      const { client } = await connect({ writes: true, catalog: { mode: 'typed' } });
      const result = await call(client, 'insert_labels', { rows: [{ customer_ref: 999 }] });
      expect(textOf(result)).toBe('customer_ref: must reference an existing row of customers; no such row.');
    } finally {
      await db.knex.schema.dropTable('labels');
    }
  });

  it('refuses references into another tenant exactly like references to nothing', async () => {
    const { client } = await connect(scoped);
    const other = await call(client, 'insert_orders', { rows: [{ customer_id: 2, amount: 1 }] });
    const none = await call(client, 'insert_orders', { rows: [{ customer_id: 999, amount: 1 }] });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toBe(textOf(none));
    const moved = await call(client, 'update_orders_by_id', { id: 10, set: { customer_id: 2 } });
    expect(textOf(moved)).toBe(textOf(none));
    expect(Number(((await db.knex('orders').where('id', 10).first()) as { customer_id: number | string }).customer_id)).toBe(1);
  });

  it('gives read-only callers no write tool and refuses their write calls', async () => {
    const { client, tools } = await connect({ ...scoped, callerPolicy: () => ({ readOnly: true }) });
    expect(tools.filter((tool) => tool.annotations?.readOnlyHint === false)).toEqual([]);
    const result = await call(client, 'delete_orders_by_id', { id: 10 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('MCP error -32602: Tool delete_orders_by_id not found');
    expect(await db.knex('orders').where('id', 10)).toHaveLength(1);
  });

  it('restricts write tools by tool patterns, like read tools', async () => {
    const { tools } = await connect({ ...scoped, callerPolicy: () => ({ tools: ['query_*', 'update_orders_by_id'] }) });
    expect(tools.filter((tool) => tool.annotations?.readOnlyHint === false).map((tool) => tool.name)).toEqual(['update_orders_by_id']);
  });

  it('serves the generic insert, update and delete with the same answers as the typed tools', async () => {
    const { client, tools } = await connect({ ...scoped, catalog: { mode: 'compact' } });
    expect(tools.map((tool) => tool.name)).toEqual(['search_tables', 'query', 'count', 'aggregate', 'insert', 'update', 'delete']);
    const inserted = await call(client, 'insert', { table: 'regions', rows: [{ code: 'na', name: 'North America' }] });
    expect(inserted.structuredContent).toEqual({ affected: 1, rows: [{ code: 'na', name: 'North America' }] });
    const updated = await call(client, 'update', { table: 'regions', where: [{ field: 'code', op: 'eq', value: 'na' }], set: { name: 'Americas' }, max_affected: 1 });
    expect(updated.structuredContent).toEqual({ affected: 1, rows: [{ code: 'na', name: 'Americas' }] });
    const wrongTable = await call(client, 'delete', { table: 'active_customers', where: [{ field: 'id', op: 'eq', value: 1 }], max_affected: 1 });
    expect(textOf(wrongTable)).toMatch(/table: "active_customers" is not a table you can use with delete/);
    const deleted = await call(client, 'delete', { table: 'regions', where: [{ field: 'code', op: 'eq', value: 'na' }], max_affected: 1 });
    expect(deleted.structuredContent).toEqual({ affected: 1, rows: [{ code: 'na' }] });
    expect(events.filter((event) => event.tool === 'delete' && event.outcome === 'ok').map((event) => [event.table?.endsWith('.regions'), event.operation])).toEqual([[true, 'delete']]);
  });

  it('tells the model which tables take writes: search_tables and the instructions', async () => {
    const { client } = await connect({ ...scoped, catalog: { mode: 'compact' } });
    const found = await call(client, 'search_tables', { pattern: 'customers', detail: 'columns' });
    const customers = (found.structuredContent as { tables: { table: string; writes?: string[]; required?: string[] }[] }).tables.find((table) => table.table === 'customers');
    expect(customers).toMatchObject({ writes: ['insert', 'update', 'delete'], required: dialect === 'sqlite' ? ['name'] : ['id', 'name'] });
    expect(textOf(found)).toMatch(/Writes: insert \(required: [a-z, ]+\), update, delete\./);
    const view = await call(client, 'search_tables', { pattern: 'active_customers', detail: 'columns' });
    expect((view.structuredContent as { tables: { writes?: string[] }[] }).tables[0]?.writes).toBeUndefined();
    expect(client.getInstructions()).toMatch(/^Read and write access to a /);
    expect(client.getInstructions()).toMatch(/max_affected/);
    const readOnly = await connect({ ...scoped, callerPolicy: () => ({ readOnly: true }) });
    expect(readOnly.client.getInstructions()).toMatch(/^Read-only access to a /);
  });

  async function snapshot(): Promise<unknown> {
    const tables = ['customers', 'orders', 'regions', 'notes'];
    const rows = await Promise.all(tables.map((table) => db.knex(table).select().orderByRaw('1')));
    return JSON.parse(JSON.stringify(rows)) as unknown;
  }
});

