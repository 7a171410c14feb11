import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexorServer } from '../../src/index.js';
import { postgresIntrospector } from '../../src/introspect/postgres.js';
import type { ColumnModel, DatabaseModel, TableModel } from '../../src/introspect/model.js';
import { PG_URL, createTestDatabase, uniqueName, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

/** Objects of the main test schema; every statement runs with the test schema as search_path. */
const FIXTURE = [
  `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
  `CREATE DOMAIN mood_domain AS mood`,
  `CREATE DOMAIN short_text AS varchar(12)`,
  `CREATE TABLE "order" (
     id serial PRIMARY KEY,
     code varchar(40) NOT NULL DEFAULT 'abc',
     qty integer DEFAULT 5,
     note text DEFAULT 'it''s',
     total numeric(10,2),
     loose numeric,
     ratio double precision,
     flag boolean DEFAULT true,
     created_at timestamp DEFAULT now(),
     created_tz timestamptz DEFAULT CURRENT_TIMESTAMP,
     day date DEFAULT '2020-01-01',
     at_time time,
     doc json,
     docb jsonb,
     uid uuid,
     blob bytea,
     tags text[],
     nums integer[],
     feeling mood,
     feeling_d mood_domain,
     short short_text,
     code_fixed char(3),
     price money,
     ip inet,
     span interval,
     big bigint GENERATED ALWAYS AS IDENTITY,
     doubled integer GENERATED ALWAYS AS (qty * 2) STORED,
     spot point,
     "select" text
   )`,
  `COMMENT ON TABLE "order" IS 'Customer orders'`,
  `COMMENT ON COLUMN "order".code IS 'Order code'`,
  `ALTER TABLE "order" DROP COLUMN loose`,
  `CREATE TABLE "Line Item" (
     "OrderId" integer NOT NULL,
     "LineNo" integer NOT NULL,
     sku text,
     batch integer,
     "select" text,
     extra text,
     PRIMARY KEY ("LineNo", "OrderId"),
     CONSTRAINT sku_batch_uq UNIQUE (sku, batch)
   )`,
  `CREATE UNIQUE INDEX line_select_uix ON "Line Item" ("select")`,
  `CREATE UNIQUE INDEX line_batch_select_uix ON "Line Item" (batch, "select")`,
  `CREATE UNIQUE INDEX line_partial_uix ON "Line Item" (extra) WHERE batch > 0`,
  `CREATE UNIQUE INDEX line_expr_uix ON "Line Item" (lower(sku))`,
  `CREATE UNIQUE INDEX line_same_as_constraint_uix ON "Line Item" (batch, sku)`,
  `CREATE UNIQUE INDEX line_same_as_pk_uix ON "Line Item" ("OrderId", "LineNo")`,
  `CREATE UNIQUE INDEX line_include_uix ON "Line Item" (extra, sku) INCLUDE (batch)`,
  `CREATE TABLE shipment (
     id integer PRIMARY KEY,
     order_id integer,
     line_no integer,
     CONSTRAINT shipment_line_fk FOREIGN KEY (order_id, line_no) REFERENCES "Line Item" ("OrderId", "LineNo")
   )`,
  `CREATE VIEW order_view AS SELECT id, code FROM "order"`,
  `CREATE MATERIALIZED VIEW order_totals AS SELECT code, sum(total) AS total FROM "order" GROUP BY code`,
  `CREATE TABLE measurement (id integer, logdate date, value real, PRIMARY KEY (id, logdate))
     PARTITION BY RANGE (logdate)`,
  `CREATE TABLE measurement_2023 PARTITION OF measurement FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')`,
  `CREATE TABLE measurement_2024 PARTITION OF measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
  `CREATE TABLE reading (
     id integer PRIMARY KEY,
     m_id integer,
     m_date date,
     CONSTRAINT reading_measurement_fk FOREIGN KEY (m_id, m_date) REFERENCES measurement (id, logdate)
   )`,
  `CREATE TABLE log_entry (message text)`,
];

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function findTable(model: DatabaseModel, name: string, schema?: string): TableModel {
  const table = model.tables.find((t) => t.name === name && (schema === undefined || t.schema === schema));
  if (!table) throw new Error(`table ${name} not in model`);
  return table;
}

function findColumn(table: TableModel, name: string): ColumnModel {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`column ${name} not in ${table.name}`);
  return column;
}

describe('postgresIntrospector', () => {
  let db: TestDatabase;
  let model: DatabaseModel;
  // Mixed case and a space, so any unquoted or regnamespace-cast use of the name would fail.
  const otherSchema = uniqueName('Other Schema');

  beforeAll(async () => {
    db = await createTestDatabase('postgresql');
    for (const statement of FIXTURE) await db.knex.raw(statement);
    const other = quoteIdent(otherSchema);
    await db.knex.raw(`CREATE SCHEMA ${other}`);
    await db.knex.raw(
      `CREATE TABLE ${other}."MixedCase Table" (
         "Id" integer PRIMARY KEY,
         "Order Ref" integer CONSTRAINT "Cross Schema FK" REFERENCES ${quoteIdent(db.schema)}."order" (id)
       )`,
    );
    model = await postgresIntrospector.introspect(db.knex, {});
  });

  afterAll(async () => {
    if (!db) return;
    await db.knex.raw(`DROP SCHEMA IF EXISTS ${quoteIdent(otherSchema)} CASCADE`);
    await db.destroy();
  });

  it('reads only the current schema by default, sorted by name, without partitions', () => {
    expect(model.dialect).toBe('postgresql');
    expect(model.tables.map((t) => [t.schema, t.name])).toEqual(
      ['Line Item', 'log_entry', 'measurement', 'order', 'order_totals', 'order_view', 'reading', 'shipment'].map(
        (name) => [db.schema, name],
      ),
    );
  });

  it('reports relation kinds', () => {
    expect(findTable(model, 'order').kind).toBe('table');
    expect(findTable(model, 'order_view').kind).toBe('view');
    expect(findTable(model, 'order_totals').kind).toBe('materialized_view');
    expect(findTable(model, 'order_view').columns.map((c) => c.name)).toEqual(['id', 'code']);
    expect(findTable(model, 'order_totals').columns.map((c) => c.name)).toEqual(['code', 'total']);
  });

  it('reports a partitioned table once, as a table, with its own keys', () => {
    const measurement = findTable(model, 'measurement');
    expect(measurement.kind).toBe('table');
    expect(measurement.primaryKey).toEqual(['id', 'logdate']);
    expect(measurement.columns.map((c) => c.name)).toEqual(['id', 'logdate', 'value']);
    expect(model.tables.some((t) => t.name.startsWith('measurement_'))).toBe(false);
  });

  it('reports one foreign key to a partitioned table, not one per partition', () => {
    expect(findTable(model, 'reading').foreignKeys).toEqual([
      {
        name: 'reading_measurement_fk',
        columns: ['m_id', 'm_date'],
        referencedSchema: db.schema,
        referencedTable: 'measurement',
        referencedColumns: ['id', 'logdate'],
      },
    ]);
  });

  it('lists columns in ordinal order, skipping dropped and system columns', () => {
    const names = findTable(model, 'order').columns.map((c) => c.name);
    expect(names.slice(0, 6)).toEqual(['id', 'code', 'qty', 'note', 'total', 'ratio']);
    expect(names).not.toContain('loose');
    expect(names).not.toContain('ctid');
    expect(names.at(-1)).toBe('select');
  });

  it('normalizes scalar types', () => {
    const order = findTable(model, 'order');
    const types = Object.fromEntries(order.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      id: 'integer',
      code: 'string',
      qty: 'integer',
      note: 'string',
      total: 'decimal',
      ratio: 'number',
      flag: 'boolean',
      created_at: 'datetime',
      created_tz: 'datetime',
      day: 'date',
      at_time: 'time',
      doc: 'json',
      docb: 'json',
      uid: 'uuid',
      blob: 'binary',
      short: 'string',
      code_fixed: 'string',
      price: 'decimal',
      ip: 'string',
      span: 'string',
      big: 'integer',
      spot: 'unknown',
      select: 'string',
    });
  });

  it('reports native types, lengths and numeric precision', () => {
    const order = findTable(model, 'order');
    expect(findColumn(order, 'code')).toMatchObject({ nativeType: 'character varying(40)', maxLength: 40 });
    expect(findColumn(order, 'code_fixed')).toMatchObject({ nativeType: 'character(3)', maxLength: 3 });
    expect(findColumn(order, 'note')).toMatchObject({ nativeType: 'text', maxLength: null });
    // A domain keeps its own name as native type but its base type's length.
    expect(findColumn(order, 'short')).toMatchObject({ nativeType: 'short_text', maxLength: 12 });
    expect(findColumn(order, 'total')).toMatchObject({ nativeType: 'numeric(10,2)', precision: 10, scale: 2 });
    expect(findColumn(order, 'ratio')).toMatchObject({ precision: null, scale: null, maxLength: null });
    const totals = findTable(model, 'order_totals');
    expect(findColumn(totals, 'total')).toMatchObject({ type: 'decimal', precision: null, scale: null });
  });

  it('sets withTimeZone only for timestamptz', () => {
    const order = findTable(model, 'order');
    expect(findColumn(order, 'created_at')).toMatchObject({
      nativeType: 'timestamp without time zone',
      withTimeZone: false,
    });
    expect(findColumn(order, 'created_tz')).toMatchObject({
      nativeType: 'timestamp with time zone',
      withTimeZone: true,
    });
    expect(findColumn(order, 'at_time').withTimeZone).toBe(false);
  });

  it('reads enums and domains over enums with values in sort order', () => {
    const order = findTable(model, 'order');
    expect(findColumn(order, 'feeling')).toMatchObject({
      type: 'enum',
      nativeType: 'mood',
      enumValues: ['sad', 'ok', 'happy'],
    });
    expect(findColumn(order, 'feeling_d')).toMatchObject({
      type: 'enum',
      nativeType: 'mood_domain',
      enumValues: ['sad', 'ok', 'happy'],
    });
    expect(findColumn(order, 'code').enumValues).toBeNull();
  });

  it('reads arrays with their element type', () => {
    const order = findTable(model, 'order');
    expect(findColumn(order, 'tags')).toMatchObject({ type: 'array', nativeType: 'text[]', elementType: 'string' });
    expect(findColumn(order, 'nums')).toMatchObject({
      type: 'array',
      nativeType: 'integer[]',
      elementType: 'integer',
    });
    expect(findColumn(order, 'code').elementType).toBeNull();
  });

  it('unquotes literal defaults and keeps expressions', () => {
    const order = findTable(model, 'order');
    const defaults = Object.fromEntries(order.columns.map((c) => [c.name, c.default]));
    expect(defaults).toMatchObject({
      code: 'abc',
      qty: '5',
      note: "it's",
      flag: 'true',
      created_at: 'now()',
      created_tz: 'CURRENT_TIMESTAMP',
      day: '2020-01-01',
      total: null,
      big: null,
      doubled: null,
    });
    expect(defaults.id).toMatch(/^nextval\(/);
  });

  it('marks serial and identity columns as autoIncrement and computed columns as generated', () => {
    const order = findTable(model, 'order');
    expect(findColumn(order, 'id')).toMatchObject({ autoIncrement: true, generated: false });
    expect(findColumn(order, 'big')).toMatchObject({ autoIncrement: true, generated: false, nullable: false });
    expect(findColumn(order, 'doubled')).toMatchObject({ autoIncrement: false, generated: true });
    expect(findColumn(order, 'qty')).toMatchObject({ autoIncrement: false, generated: false });
  });

  it('reports nullability', () => {
    const order = findTable(model, 'order');
    expect(findColumn(order, 'code').nullable).toBe(false);
    expect(findColumn(order, 'qty').nullable).toBe(true);
  });

  it('reads table and column comments', () => {
    const order = findTable(model, 'order');
    expect(order.comment).toBe('Customer orders');
    expect(findColumn(order, 'code').comment).toBe('Order code');
    expect(findColumn(order, 'qty').comment).toBeNull();
    expect(findTable(model, 'shipment').comment).toBeNull();
  });

  it('reads a composite primary key in key order', () => {
    expect(findTable(model, 'Line Item').primaryKey).toEqual(['LineNo', 'OrderId']);
    expect(findTable(model, 'order').primaryKey).toEqual(['id']);
  });

  it('reports null for a table without a primary key', () => {
    const log = findTable(model, 'log_entry');
    expect(log.primaryKey).toBeNull();
    expect(log.uniqueKeys).toEqual([]);
    expect(log.foreignKeys).toEqual([]);
  });

  it('reads unique constraints and plain unique indexes, leaving out partial, expression and duplicate ones', () => {
    expect(findTable(model, 'Line Item').uniqueKeys).toEqual([
      { name: 'line_batch_select_uix', columns: ['batch', 'select'] },
      { name: 'line_include_uix', columns: ['extra', 'sku'] },
      { name: 'line_select_uix', columns: ['select'] },
      { name: 'sku_batch_uq', columns: ['sku', 'batch'] },
    ]);
  });

  it('reads a named composite foreign key with aligned columns', () => {
    expect(findTable(model, 'shipment').foreignKeys).toEqual([
      {
        name: 'shipment_line_fk',
        columns: ['order_id', 'line_no'],
        referencedSchema: db.schema,
        referencedTable: 'Line Item',
        referencedColumns: ['OrderId', 'LineNo'],
      },
    ]);
  });

  it('reads a mixed-case schema with a space through options.schemas', async () => {
    const other = await postgresIntrospector.introspect(db.knex, { schemas: [otherSchema] });
    expect(other.tables).toHaveLength(1);
    const table = findTable(other, 'MixedCase Table', otherSchema);
    expect(table.columns.map((c) => c.name)).toEqual(['Id', 'Order Ref']);
    expect(table.primaryKey).toEqual(['Id']);
    expect(table.foreignKeys).toEqual([
      {
        name: 'Cross Schema FK',
        columns: ['Order Ref'],
        referencedSchema: db.schema,
        referencedTable: 'order',
        referencedColumns: ['id'],
      },
    ]);
  });

  it('reads several schemas sorted by schema name', async () => {
    const both = await postgresIntrospector.introspect(db.knex, { schemas: [db.schema, otherSchema] });
    const schemas = both.tables.map((t) => t.schema);
    // "Other Schema…" sorts before the lower-case "cx_…" in code-unit order.
    expect(schemas[0]).toBe(otherSchema);
    expect(schemas.slice(1).every((s) => s === db.schema)).toBe(true);
    expect(both.tables).toHaveLength(model.tables.length + 1);
  });

  it('never reads system schemas, even when asked to', async () => {
    const system = await postgresIntrospector.introspect(db.knex, { schemas: ['pg_catalog', 'information_schema'] });
    expect(system.tables).toEqual([]);
  });
});

describe('postgresIntrospector with inheritance and partitions', () => {
  let db: TestDatabase;
  let model: DatabaseModel;
  let client: Client;
  // Holds a parent whose schema is not introspected, and a role that may read a child but not its parent.
  const outside = uniqueName('cx_outside');
  const role = uniqueName('cx_reader');

  beforeAll(async () => {
    db = await createTestDatabase('postgresql', 'cx_inherit');
    const statements = [
      `CREATE TABLE customer (id integer PRIMARY KEY, name text)`,
      // The rental-store sample's layout: monthly children created with INHERITS.
      `CREATE TABLE payment (
         payment_id integer PRIMARY KEY,
         customer_id integer REFERENCES customer (id),
         amount numeric(5,2) NOT NULL
       )`,
      `CREATE TABLE payment_p2007_01 (CHECK (payment_id < 100)) INHERITS (payment)`,
      `CREATE TABLE payment_p2007_02 (CHECK (payment_id >= 100)) INHERITS (payment)`,
      // A grandchild: its parent is a child, still in the schema.
      `CREATE TABLE payment_p2007_02_late () INHERITS (payment_p2007_02)`,
      `CREATE TABLE device (id integer PRIMARY KEY, label text)`,
      `CREATE TABLE measurement (
         id integer,
         logdate date,
         code text,
         device_id integer REFERENCES device (id),
         value real,
         PRIMARY KEY (id, logdate),
         CONSTRAINT measurement_code_uq UNIQUE (code, logdate)
       ) PARTITION BY RANGE (logdate)`,
      `CREATE TABLE measurement_2023 PARTITION OF measurement FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')`,
      `CREATE TABLE measurement_2024 PARTITION OF measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
      `CREATE SCHEMA ${quoteIdent(outside)}`,
      `CREATE TABLE ${quoteIdent(outside)}.base (id integer, note text)`,
      `CREATE TABLE child_of_outside (extra text) INHERITS (${quoteIdent(outside)}.base)`,
      `CREATE TABLE guarded_base (id integer, note text)`,
      `CREATE TABLE open_child () INHERITS (guarded_base)`,
      `INSERT INTO customer VALUES (1, 'Ada'), (2, 'Bob')`,
      `INSERT INTO payment VALUES (1, 1, 1.50)`,
      `INSERT INTO payment_p2007_01 VALUES (2, 1, 2.00), (3, 2, 3.00)`,
      `INSERT INTO payment_p2007_02 VALUES (100, 2, 4.00)`,
      `INSERT INTO payment_p2007_02_late VALUES (101, 2, 5.00)`,
      `INSERT INTO device VALUES (7, 'probe')`,
      `INSERT INTO measurement VALUES (1, '2023-05-01', 'a', 7, 1.5), (2, '2024-05-01', 'b', 7, 2.5), (3, '2024-06-01', 'c', NULL, 3.5)`,
    ];
    for (const statement of statements) await db.knex.raw(statement);
    model = await postgresIntrospector.introspect(db.knex, {});
    client = await connectClient(await createConexorServer(db.knex));
  });

  afterAll(async () => {
    await client?.close();
    if (!db) return;
    await db.knex.raw(`DROP SCHEMA IF EXISTS ${quoteIdent(outside)} CASCADE`);
    await db.knex.raw(`DROP OWNED BY ${quoteIdent(role)}`).catch(() => undefined);
    await db.knex.raw(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    await db.destroy();
  });

  it('lists an inheritance parent and a partitioned table, not their children, grandchildren or partitions', () => {
    expect(model.tables.map((t) => t.name)).toEqual([
      'child_of_outside',
      'customer',
      'device',
      'guarded_base',
      'measurement',
      'payment',
    ]);
  });

  it('keeps a child whose parent lies in a schema that is not read', () => {
    expect(findTable(model, 'child_of_outside').columns.map((c) => c.name)).toEqual(['id', 'note', 'extra']);
  });

  it('folds the children into their parent when both schemas are read', async () => {
    const both = await postgresIntrospector.introspect(db.knex, { schemas: [db.schema, outside] });
    expect(both.tables.map((t) => t.name)).not.toContain('child_of_outside');
    expect(findTable(both, 'base', outside).columns.map((c) => c.name)).toEqual(['id', 'note']);
  });

  it('keeps a child whose parent the connection may not read', async () => {
    await db.knex.raw(`CREATE ROLE ${quoteIdent(role)} LOGIN`);
    await db.knex.raw(`GRANT USAGE ON SCHEMA ${quoteIdent(db.schema)} TO ${quoteIdent(role)}`);
    await db.knex.raw(`GRANT SELECT ON open_child, payment TO ${quoteIdent(role)}`);
    const url = new URL(PG_URL);
    url.username = role;
    const reader = knexFactory({ client: 'pg', connection: url.toString(), searchPath: [db.schema], pool: { min: 0, max: 2 } });
    const asReader = await postgresIntrospector.introspect(reader, {}).finally(() => reader.destroy());
    const names = asReader.tables.map((t) => t.name);
    expect(names).toContain('open_child');
    // The parent it may read still stands for its descendants, including a grandchild under an unreadable child.
    expect(names).toContain('payment');
    expect(names.some((name) => name.startsWith('payment_'))).toBe(false);
  });

  it('keeps the keys of the inheritance parent', () => {
    const payment = findTable(model, 'payment');
    expect(payment.primaryKey).toEqual(['payment_id']);
    expect(payment.foreignKeys).toEqual([
      {
        name: 'payment_customer_id_fkey',
        columns: ['customer_id'],
        referencedSchema: db.schema,
        referencedTable: 'customer',
        referencedColumns: ['id'],
      },
    ]);
  });

  it('reads the primary key, unique keys and foreign keys of a partitioned table', () => {
    const measurement = findTable(model, 'measurement');
    expect(measurement.kind).toBe('table');
    expect(measurement.primaryKey).toEqual(['id', 'logdate']);
    expect(measurement.uniqueKeys).toEqual([{ name: 'measurement_code_uq', columns: ['code', 'logdate'] }]);
    expect(measurement.foreignKeys).toEqual([
      {
        name: 'measurement_device_id_fkey',
        columns: ['device_id'],
        referencedSchema: db.schema,
        referencedTable: 'device',
        referencedColumns: ['id'],
      },
    ]);
  });

  it('counts the rows of every child through the parent over MCP', async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('count_payment');
    expect(names.some((name) => name.includes('p2007'))).toBe(false);
    const all = await call(client, 'count_payment');
    expect(all.isError, textOf(all)).toBeFalsy();
    expect(all.structuredContent).toEqual({ count: 5 });
    const late = await call(client, 'count_payment', { where: [{ field: 'payment_id', op: 'gte', value: 100 }] });
    expect(late.structuredContent).toEqual({ count: 2 });
    const lookup = await call(client, 'query_payment_by_payment_id', { payment_id: 101 });
    expect(lookup.isError, textOf(lookup)).toBeFalsy();
    expect(lookup.structuredContent).toMatchObject({ row: { payment_id: 101, customer_id: 2, amount: '5.00' } });
  });

  it('queries a partitioned table across its partitions over MCP, by key and through its relation', async () => {
    expect((await call(client, 'count_measurement')).structuredContent).toEqual({ count: 3 });
    const byKey = await call(client, 'query_measurement_by_id_and_logdate', { id: 2, logdate: '2024-05-01' });
    expect(byKey.isError, textOf(byKey)).toBeFalsy();
    expect(byKey.structuredContent).toMatchObject({ row: { id: 2, logdate: '2024-05-01', code: 'b' } });
    const byCode = await call(client, 'query_measurement_by_code_and_logdate', { code: 'c', logdate: '2024-06-01' });
    expect(byCode.structuredContent).toMatchObject({ row: { id: 3 } });
    const withDevice = await call(client, 'query_measurement', {
      where: [{ has: 'device', where: [{ field: 'label', op: 'eq', value: 'probe' }] }],
      columns: ['id', 'device.label'],
      order_by: [{ field: 'id' }],
    });
    expect(withDevice.isError, textOf(withDevice)).toBeFalsy();
    expect(withDevice.structuredContent).toMatchObject({ rows: [{ id: 1, 'device.label': 'probe' }, { id: 2, 'device.label': 'probe' }] });
  });
});

describe('postgresIntrospector query count', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('postgresql', 'cxq');
  });
  afterAll(() => db?.destroy());

  async function countQueries(): Promise<number> {
    let count = 0;
    const listener = (): void => {
      count++;
    };
    db.knex.on('query', listener);
    try {
      await postgresIntrospector.introspect(db.knex, {});
    } finally {
      db.knex.removeListener('query', listener);
    }
    return count;
  }

  it('runs the same small number of queries for 1 table and for 40 tables', async () => {
    await db.knex.raw('CREATE TABLE t0 (id integer PRIMARY KEY, name text UNIQUE)');
    const forOne = await countQueries();
    for (let i = 1; i < 40; i++) {
      await db.knex.raw(`CREATE TABLE t${i} (id integer PRIMARY KEY, parent integer REFERENCES t${i - 1} (id))`);
    }
    const forForty = await countQueries();
    const model = await postgresIntrospector.introspect(db.knex, {});
    expect(model.tables).toHaveLength(40);
    expect(forOne).toBeLessThanOrEqual(6);
    expect(forForty).toBe(forOne);
  });
});
