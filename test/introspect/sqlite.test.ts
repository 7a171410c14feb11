import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import knexFactory, { type Knex } from 'knex';
import { sqliteIntrospector } from '../../src/introspect/sqlite.js';
import type { ColumnModel, DatabaseModel, TableModel } from '../../src/introspect/model.js';
import { createConexor, createConexorServer, introspect } from '../../src/index.js';
import { call, connectClient } from '../support/mcp.js';

/** Every statement runs on a fresh in-memory database, once per driver. */
const FIXTURE = [
  // Composite key declared in an order other than the column order.
  `CREATE TABLE parent (
     a INTEGER NOT NULL,
     b TEXT NOT NULL,
     label NVARCHAR(160),
     PRIMARY KEY (b, a)
   )`,
  `CREATE TABLE typed (
     id INTEGER PRIMARY KEY,
     price decimal(10,2),
     price_spaced DECIMAL ( 12 , 4 ),
     amount NUMERIC,
     ratio doubleprecision,
     ratio_spaced DOUBLE PRECISION,
     measure REAL,
     name NVARCHAR(160) NOT NULL DEFAULT 'abc',
     code VARCHAR(20),
     note TEXT DEFAULT 'it''s',
     null_default TEXT DEFAULT NULL,
     qty INT DEFAULT 5,
     neg INT DEFAULT -1,
     created DATETIME DEFAULT CURRENT_TIMESTAMP,
     stamp TIMESTAMP,
     born DATE,
     at_time TIME,
     flag BOOLEAN DEFAULT 1,
     doc JSON,
     photo BLOB,
     uid UUID,
     anything,
     big BIGINT,
     lower_name TEXT DEFAULT (lower('X')),
     doubled INTEGER GENERATED ALWAYS AS (qty * 2) VIRTUAL,
     tripled GENERATED ALWAYS AS (qty * 3) STORED
   )`,
  // Only a column typed exactly INTEGER as the sole key of a rowid table aliases the rowid.
  `CREATE TABLE int_pk (id INT PRIMARY KEY, v TEXT)`,
  `CREATE TABLE integer_pk_desc (id INTEGER PRIMARY KEY DESC, v TEXT)`,
  `CREATE TABLE table_constraint_pk (id integer, v TEXT, PRIMARY KEY (id))`,
  `CREATE TABLE no_rowid (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID`,
  `CREATE TABLE text_pk (code TEXT PRIMARY KEY, v TEXT)`,
  `CREATE TABLE text_pk_not_null (code TEXT NOT NULL PRIMARY KEY, v TEXT)`,
  `CREATE TABLE strict_pk (code TEXT PRIMARY KEY, v INT) STRICT`,
  `CREATE TABLE counter (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)`,
  `CREATE TABLE account (
     id INTEGER PRIMARY KEY,
     email TEXT UNIQUE,
     tenant INTEGER NOT NULL,
     handle TEXT NOT NULL,
     nick TEXT,
     deleted INTEGER,
     UNIQUE (tenant, handle)
   )`,
  `CREATE UNIQUE INDEX account_nick_uix ON account (nick)`,
  `CREATE UNIQUE INDEX account_live_handle_uix ON account (handle) WHERE deleted IS NULL`,
  `CREATE UNIQUE INDEX account_lower_email_uix ON account (lower(email))`,
  `CREATE UNIQUE INDEX account_mixed_uix ON account (tenant, lower(nick))`,
  `CREATE INDEX account_tenant_ix ON account (tenant)`,
  `CREATE UNIQUE INDEX account_email_again_uix ON account (email)`,
  `CREATE UNIQUE INDEX account_id_uix ON account (id)`,
  `CREATE TABLE child (
     id INTEGER PRIMARY KEY,
     pa INTEGER,
     pb TEXT,
     acc INTEGER REFERENCES account,
     acc_cased INTEGER REFERENCES Account (ID),
     CONSTRAINT child_parent_fk FOREIGN KEY (pb, pa) REFERENCES parent (b, a)
   )`,
  `CREATE TABLE implicit_child (
     id INTEGER PRIMARY KEY,
     x INTEGER,
     y TEXT,
     FOREIGN KEY (y, x) REFERENCES PARENT
   )`,
  `CREATE VIEW account_view AS SELECT id, email, upper(handle) AS shout FROM account`,
  `CREATE TABLE log_entry (message TEXT, level INTEGER)`,
];

type Driver = 'better-sqlite3' | 'sqlite3';

function createKnex(client: Driver): Knex {
  return knexFactory({ client, connection: { filename: ':memory:' }, useNullAsDefault: true });
}

async function load(knex: Knex, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await knex.raw(statement);
}

function findTable(model: DatabaseModel, name: string, schema = 'main'): TableModel {
  const table = model.tables.find((t) => t.name === name && t.schema === schema);
  if (!table) throw new Error(`table ${schema}.${name} not in model`);
  return table;
}

function findColumn(table: TableModel, name: string): ColumnModel {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`column ${name} not in ${table.name}`);
  return column;
}

describe('sqliteIntrospector', () => {
  let knex: Knex;
  let model: DatabaseModel;

  beforeAll(async () => {
    knex = createKnex('better-sqlite3');
    await load(knex, FIXTURE);
    model = await sqliteIntrospector.introspect(knex, {});
  });
  afterAll(() => knex?.destroy());

  it('lists tables and views of main sorted by name, without internal tables', () => {
    expect(model.dialect).toBe('sqlite');
    expect(model.tables.map((t) => [t.schema, t.name])).toEqual(
      [
        'account',
        'account_view',
        'child',
        'counter',
        'implicit_child',
        'int_pk',
        'integer_pk_desc',
        'log_entry',
        'no_rowid',
        'parent',
        'strict_pk',
        'table_constraint_pk',
        'text_pk',
        'text_pk_not_null',
        'typed',
      ].map((name) => ['main', name]),
    );
    // AUTOINCREMENT created sqlite_sequence; it is SQLite's, not the user's.
    expect(model.tables.some((t) => t.name.startsWith('sqlite_'))).toBe(false);
  });

  it('is what introspect() from the package entry point returns', async () => {
    expect(await introspect(knex)).toEqual(model);
  });

  it('reads every column of a composite primary key, in key order', () => {
    const parent = findTable(model, 'parent');
    expect(parent.primaryKey).toEqual(['b', 'a']);
    expect(parent.columns.map((c) => c.name)).toEqual(['a', 'b', 'label']);
    expect(findColumn(parent, 'a')).toMatchObject({ autoIncrement: false, nullable: false });
  });

  it('treats INTEGER PRIMARY KEY as a rowid alias: autoIncrement and not nullable', () => {
    for (const name of ['typed', 'account', 'counter', 'table_constraint_pk']) {
      const table = findTable(model, name);
      const id = findColumn(table, 'id');
      expect(table.primaryKey, name).toEqual(['id']);
      expect(id, name).toMatchObject({ type: 'integer', autoIncrement: true, nullable: false });
    }
  });

  it('does not treat INT PRIMARY KEY, INTEGER PRIMARY KEY DESC or a WITHOUT ROWID key as a rowid alias', () => {
    expect(findColumn(findTable(model, 'int_pk'), 'id')).toMatchObject({
      type: 'integer',
      nativeType: 'INT',
      autoIncrement: false,
    });
    expect(findColumn(findTable(model, 'integer_pk_desc'), 'id').autoIncrement).toBe(false);
    expect(findColumn(findTable(model, 'no_rowid'), 'id')).toMatchObject({ autoIncrement: false, nullable: false });
    expect(findTable(model, 'int_pk').primaryKey).toEqual(['id']);
  });

  it('reports a primary key column that SQLite lets hold NULL as nullable', () => {
    // Outside rowid aliases, WITHOUT ROWID and STRICT tables, SQLite accepts NULL in a PRIMARY KEY column.
    expect(findColumn(findTable(model, 'int_pk'), 'id').nullable).toBe(true);
    expect(findColumn(findTable(model, 'text_pk'), 'code').nullable).toBe(true);
    expect(findColumn(findTable(model, 'text_pk_not_null'), 'code').nullable).toBe(false);
    expect(findColumn(findTable(model, 'strict_pk'), 'code').nullable).toBe(false);
  });

  it('normalizes free-text type names', () => {
    const typed = findTable(model, 'typed');
    const types = Object.fromEntries(typed.columns.map((c) => [c.name, c.type]));
    expect(types).toEqual({
      id: 'integer',
      price: 'decimal',
      price_spaced: 'decimal',
      amount: 'decimal',
      ratio: 'number',
      ratio_spaced: 'number',
      measure: 'number',
      name: 'string',
      code: 'string',
      note: 'string',
      null_default: 'string',
      qty: 'integer',
      neg: 'integer',
      created: 'datetime',
      stamp: 'datetime',
      born: 'date',
      at_time: 'time',
      flag: 'boolean',
      doc: 'json',
      photo: 'binary',
      uid: 'uuid',
      anything: 'unknown',
      big: 'integer',
      lower_name: 'string',
      doubled: 'integer',
      tripled: 'unknown',
    });
  });

  it('keeps native types and reads lengths and numeric precision from them', () => {
    const typed = findTable(model, 'typed');
    expect(findColumn(typed, 'price')).toMatchObject({ nativeType: 'decimal(10,2)', precision: 10, scale: 2, maxLength: null });
    expect(findColumn(typed, 'price_spaced')).toMatchObject({ precision: 12, scale: 4 });
    expect(findColumn(typed, 'amount')).toMatchObject({ nativeType: 'NUMERIC', precision: null, scale: null });
    expect(findColumn(typed, 'ratio')).toMatchObject({ nativeType: 'doubleprecision', precision: null, scale: null });
    expect(findColumn(typed, 'ratio_spaced').nativeType).toBe('DOUBLE PRECISION');
    expect(findColumn(typed, 'name')).toMatchObject({ nativeType: 'NVARCHAR(160)', maxLength: 160 });
    expect(findColumn(typed, 'code').maxLength).toBe(20);
    expect(findColumn(typed, 'note').maxLength).toBeNull();
    expect(findColumn(typed, 'anything')).toMatchObject({ nativeType: '', type: 'unknown' });
    expect(findColumn(findTable(model, 'parent'), 'label')).toMatchObject({ type: 'string', maxLength: 160 });
  });

  it('never reports time zones, enum values or array element types', () => {
    for (const table of model.tables) {
      for (const column of table.columns) {
        expect(column.withTimeZone, `${table.name}.${column.name}`).toBe(false);
        expect(column.enumValues).toBeNull();
        expect(column.elementType).toBeNull();
      }
    }
  });

  it('unquotes literal defaults and keeps expressions', () => {
    const typed = findTable(model, 'typed');
    const defaults = Object.fromEntries(typed.columns.map((c) => [c.name, c.default]));
    expect(defaults).toMatchObject({
      id: null,
      name: 'abc',
      note: "it's",
      null_default: null,
      qty: '5',
      neg: '-1',
      created: 'CURRENT_TIMESTAMP',
      flag: '1',
      price: null,
      doubled: null,
    });
    expect(defaults.lower_name).toContain("lower('X')");
  });

  it('marks generated columns, virtual and stored', () => {
    const typed = findTable(model, 'typed');
    expect(findColumn(typed, 'doubled')).toMatchObject({ generated: true, autoIncrement: false });
    expect(findColumn(typed, 'tripled').generated).toBe(true);
    expect(findColumn(typed, 'qty').generated).toBe(false);
    expect(typed.columns.map((c) => c.name).slice(-2)).toEqual(['doubled', 'tripled']);
  });

  it('reports nullability', () => {
    const typed = findTable(model, 'typed');
    expect(findColumn(typed, 'name').nullable).toBe(false);
    expect(findColumn(typed, 'qty').nullable).toBe(true);
  });

  it('has no comments', () => {
    for (const table of model.tables) {
      expect(table.comment).toBeNull();
      for (const column of table.columns) expect(column.comment).toBeNull();
    }
  });

  it('reads inline, composite and index-backed unique keys; not partial, expression or duplicate ones', () => {
    const account = findTable(model, 'account');
    expect(account.primaryKey).toEqual(['id']);
    // email is unique twice (inline and account_email_again_uix): one key, under either name.
    expect(account.uniqueKeys.map((key) => key.columns)).toHaveLength(3);
    expect(account.uniqueKeys.map((key) => key.columns)).toEqual(
      expect.arrayContaining([['email'], ['tenant', 'handle'], ['nick']]),
    );
    expect(account.uniqueKeys).toContainEqual({ name: 'account_nick_uix', columns: ['nick'] });
    // An inline or table UNIQUE constraint has no name of its own.
    expect(account.uniqueKeys).toContainEqual({ name: null, columns: ['tenant', 'handle'] });
  });

  it('reads a composite foreign key with aligned columns; SQLite keeps no constraint name', () => {
    const child = findTable(model, 'child');
    expect(child.foreignKeys).toHaveLength(3);
    expect(child.foreignKeys).toContainEqual({
      name: null,
      columns: ['pb', 'pa'],
      referencedSchema: null,
      referencedTable: 'parent',
      referencedColumns: ['b', 'a'],
    });
  });

  it('resolves REFERENCES without columns to the parent primary key', () => {
    expect(findTable(model, 'child').foreignKeys).toContainEqual({
      name: null,
      columns: ['acc'],
      referencedSchema: null,
      referencedTable: 'account',
      referencedColumns: ['id'],
    });
    // Composite, and the parent spelled in another case: SQLite names are case-insensitive.
    expect(findTable(model, 'implicit_child').foreignKeys).toEqual([
      {
        name: null,
        columns: ['y', 'x'],
        referencedSchema: null,
        referencedTable: 'parent',
        referencedColumns: ['b', 'a'],
      },
    ]);
  });

  it('reports referencedSchema null, as the model specifies for SQLite', () => {
    const keys = model.tables.flatMap((t) => t.foreignKeys);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.referencedSchema).toBeNull();
  });

  it('describes links whose parent is spelled in another case', async () => {
    const include = ['implicit_child', 'child', 'parent', 'account'];
    const conexor = await createConexor(knex, { tables: { include } });
    const description = (name: string) => conexor.tools.find((t) => t.name === name)?.description ?? '';
    expect(description('query_implicit_child')).toContain('Relations: parent (y, x → parent).');
    expect(description('query_child')).toContain('Relations: parent (pb, pa → parent); acc_cased (acc_cased → account); acc (acc → account).');
    expect(description('query_parent')).toContain('Relations: child (child rows); implicit_child (implicit_child rows).');
    // Without relations, the links name the referenced columns as the parent spells them.
    const plain = await createConexor(knex, { tables: { include }, relations: false });
    const plainDescription = (name: string) => plain.tools.find((t) => t.name === name)?.description ?? '';
    expect(plainDescription('query_implicit_child')).toContain('Links: y, x → parent.b, a.');
    expect(plainDescription('query_child')).toContain('acc_cased → account.id');
    // The composite key pairs y with b and x with a: the related row is found through it.
    await knex('parent').insert([
      { a: 1, b: 'k', label: 'one' },
      { a: 2, b: 'k', label: 'two' },
    ]);
    await knex('implicit_child').insert({ id: 1, x: 2, y: 'k' });
    try {
      const result = await conexor.callTool('query_implicit_child', { columns: ['id', 'parent.label'] });
      expect(result.structuredContent).toEqual({ rows: [{ id: 1, 'parent.label': 'two' }], truncated: false });
    } finally {
      await knex('implicit_child').delete();
      await knex('parent').delete();
    }
  });

  it('reports the referenced table and columns as the database spells them', () => {
    expect(findTable(model, 'child').foreignKeys).toContainEqual({
      name: null,
      columns: ['acc_cased'],
      referencedSchema: null,
      referencedTable: 'account',
      referencedColumns: ['id'],
    });
  });

  it('reads a view with its columns and no keys', () => {
    const view = findTable(model, 'account_view');
    expect(view.kind).toBe('view');
    expect(view.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['email', 'string'],
      ['shout', 'unknown'],
    ]);
    expect(view.primaryKey).toBeNull();
    expect(view.uniqueKeys).toEqual([]);
    expect(view.foreignKeys).toEqual([]);
    expect(findTable(model, 'account').kind).toBe('table');
  });

  it('reports null for a table without a primary key', () => {
    const log = findTable(model, 'log_entry');
    expect(log.primaryKey).toBeNull();
    expect(log.uniqueKeys).toEqual([]);
    expect(log.foreignKeys).toEqual([]);
    expect(log.columns.every((c) => c.nullable && !c.autoIncrement)).toBe(true);
  });

  it('serves NULL stored in a nullable primary key column through the generated tools', async () => {
    await knex.raw(`INSERT INTO int_pk (id, v) VALUES (NULL, 'no key'), (1, 'one')`);
    try {
      const client = await connectClient(await createConexorServer(knex, { tables: { include: ['int_pk'] } }));
      // Listing caches the output schemas, which the client then checks every structuredContent against.
      await client.listTools();
      // The output schema must allow the NULL.
      const result = await call(client, 'query_int_pk', { order_by: [{ field: 'v' }] });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        rows: [
          { id: null, v: 'no key' },
          { id: 1, v: 'one' },
        ],
      });
      await client.close();
    } finally {
      await knex.raw('DELETE FROM int_pk');
    }
  });
});

describe('sqliteIntrospector schemas', () => {
  let knex: Knex;

  beforeAll(async () => {
    knex = createKnex('better-sqlite3');
    await load(knex, [
      `CREATE TABLE zeta (id INTEGER PRIMARY KEY)`,
      `ATTACH DATABASE ':memory:' AS aux`,
      `CREATE TABLE aux.item (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES item, code TEXT UNIQUE)`,
      `CREATE TEMP TABLE scratch (id INTEGER PRIMARY KEY)`,
    ]);
  });
  afterAll(() => knex?.destroy());

  it('reads main only by default, never temp or attached databases', async () => {
    const model = await sqliteIntrospector.introspect(knex, {});
    expect(model.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['main.zeta']);
  });

  it('reads an attached database through options.schemas, sorted by schema', async () => {
    const model = await sqliteIntrospector.introspect(knex, { schemas: ['main', 'aux'] });
    expect(model.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['aux.item', 'main.zeta']);
    const item = findTable(model, 'item', 'aux');
    expect(item.primaryKey).toEqual(['id']);
    expect(item.uniqueKeys).toEqual([{ name: null, columns: ['code'] }]);
    expect(item.foreignKeys).toEqual([
      { name: null, columns: ['parent_id'], referencedSchema: null, referencedTable: 'item', referencedColumns: ['id'] },
    ]);
  });
});

describe('sqliteIntrospector with a view whose table was dropped', () => {
  let knex: Knex;

  beforeAll(async () => {
    knex = createKnex('better-sqlite3');
    await load(knex, [
      `CREATE TABLE kept (id INTEGER PRIMARY KEY, name TEXT)`,
      `CREATE VIEW kept_view AS SELECT id, name FROM kept`,
      `CREATE TABLE gone (id INTEGER PRIMARY KEY)`,
      `CREATE VIEW stale_view AS SELECT id FROM gone`,
      `DROP TABLE gone`,
    ]);
  });
  afterAll(() => knex?.destroy());

  it('still reads every other relation', async () => {
    // SQLite keeps views whose tables are gone; reading their columns fails, which must not fail introspection.
    const model = await sqliteIntrospector.introspect(knex, {});
    const readable = model.tables.filter((t) => t.columns.length > 0);
    expect(readable.map((t) => t.name)).toEqual(['kept', 'kept_view']);
    expect(findTable(model, 'kept_view').columns.map((c) => c.name)).toEqual(['id', 'name']);
    expect(findTable(model, 'kept').primaryKey).toEqual(['id']);
  });
});

describe('sqliteIntrospector query count', () => {
  let knex: Knex;

  beforeAll(() => {
    knex = createKnex('better-sqlite3');
  });
  afterAll(() => knex?.destroy());

  async function countQueries(): Promise<number> {
    let count = 0;
    const listener = (): void => {
      count++;
    };
    knex.on('query', listener);
    try {
      await sqliteIntrospector.introspect(knex, {});
    } finally {
      knex.removeListener('query', listener);
    }
    return count;
  }

  it('runs the same small number of queries for 1 table and for 40 tables', async () => {
    await knex.raw('CREATE TABLE t0 (id INTEGER PRIMARY KEY, name TEXT UNIQUE)');
    const forOne = await countQueries();
    for (let i = 1; i < 40; i++) {
      await knex.raw(`CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT UNIQUE, parent INTEGER REFERENCES t${i - 1})`);
      await knex.raw(`CREATE UNIQUE INDEX t${i}_pair_uix ON t${i} (name, parent)`);
    }
    await knex.raw('CREATE VIEW v0 AS SELECT * FROM t0');
    const forForty = await countQueries();
    const model = await sqliteIntrospector.introspect(knex, {});
    expect(model.tables).toHaveLength(41);
    expect(findTable(model, 't39').foreignKeys).toHaveLength(1);
    expect(findTable(model, 't39').uniqueKeys).toHaveLength(2);
    expect(forOne).toBeGreaterThan(0);
    expect(forOne).toBeLessThanOrEqual(5);
    expect(forForty).toBe(forOne);
  });
});

describe('sqliteIntrospector with the sqlite3 driver', () => {
  let better: Knex;
  let node: Knex;

  beforeAll(async () => {
    better = createKnex('better-sqlite3');
    node = createKnex('sqlite3');
    await load(better, FIXTURE);
    await load(node, FIXTURE);
  });
  afterAll(async () => {
    await better?.destroy();
    await node?.destroy();
  });

  it('introspects the same model as better-sqlite3', async () => {
    const fromNode = await introspect(node);
    expect(fromNode.dialect).toBe('sqlite');
    expect(fromNode.tables.length).toBeGreaterThan(10);
    expect(fromNode).toEqual(await introspect(better));
  });
});
