import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/databases.js';
import { mysqlIntrospector } from '../../src/introspect/mysql.js';
import type { ColumnModel, DatabaseModel, TableModel } from '../../src/introspect/model.js';

const SCHEMA_SQL = `
CREATE TABLE order_line (
  order_id INT NOT NULL,
  line_no INT NOT NULL,
  sku VARCHAR(20) NOT NULL,
  email VARCHAR(100) UNIQUE,
  note VARCHAR(50),
  PRIMARY KEY (line_no, order_id),
  UNIQUE KEY uq_sku_order (sku, order_id),
  UNIQUE KEY uq_sku_order_again (sku, order_id),
  KEY ix_note (note)
);
CREATE TABLE shipment (
  id INT AUTO_INCREMENT PRIMARY KEY,
  ref_line INT NOT NULL,
  ref_order INT NOT NULL,
  CONSTRAINT fk_shipment_line FOREIGN KEY (ref_line, ref_order) REFERENCES order_line (line_no, order_id)
);
CREATE TABLE typed (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY COMMENT 'row id',
  flag TINYINT(1) NOT NULL DEFAULT 0,
  small SMALLINT,
  yr YEAR,
  ratio DOUBLE,
  price DECIMAL(10,2) DEFAULT 1.50,
  label VARCHAR(40) NOT NULL DEFAULT 'it''s new',
  literal_null VARCHAR(10) DEFAULT 'NULL',
  win_path VARCHAR(20) DEFAULT 'C:\\\\dir',
  maybe VARCHAR(10),
  body TEXT,
  tags SET('a','b'),
  mood ENUM('happy, really', 'it''s', ' spaced'),
  slash ENUM('a\\\\b', 'plain'),
  doc JSON,
  born DATE,
  at_local DATETIME,
  at_ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  at_time TIME,
  photo BLOB,
  digest VARBINARY(32),
  bits BIT(3),
  place GEOMETRY,
  doubled INT AS (small * 2) VIRTUAL,
  stored_len INT AS (CHAR_LENGTH(label)) STORED
) COMMENT = 'typed things';
CREATE TABLE no_pk (a INT, b VARCHAR(5));
CREATE VIEW line_view AS SELECT order_id, sku FROM order_line;
CREATE TABLE \`select\` (\`order\` INT PRIMARY KEY, \`limit\` INT, UNIQUE KEY \`from\` (\`limit\`));
CREATE TABLE \`Mixed Case Table\` (\`Some Col\` INT PRIMARY KEY, \`order\` INT,
  CONSTRAINT \`Fk To Select\` FOREIGN KEY (\`order\`) REFERENCES \`select\` (\`order\`));
`;

function table(model: DatabaseModel, name: string): TableModel {
  const found = model.tables.find((t) => t.name === name);
  if (found === undefined) throw new Error(`table ${name} not in model`);
  return found;
}

function column(model: DatabaseModel, tableName: string, name: string): ColumnModel {
  const found = table(model, tableName).columns.find((c) => c.name === name);
  if (found === undefined) throw new Error(`column ${tableName}.${name} not in model`);
  return found;
}

async function isMariaDb(knex: Knex): Promise<boolean> {
  const [rows] = (await knex.raw('SELECT VERSION() AS v')) as [{ v: string }[]];
  return /mariadb/i.test(rows[0]?.v ?? '');
}

describe('mysqlIntrospector', () => {
  let db: TestDatabase;
  let model: DatabaseModel;
  let mariaDb: boolean;

  beforeAll(async () => {
    db = await createTestDatabase('mysql');
    await db.knex.raw(SCHEMA_SQL);
    mariaDb = await isMariaDb(db.knex);
    model = await mysqlIntrospector.introspect(db.knex, {});
  });
  afterAll(() => db?.destroy());

  it('lists tables and views of the current database, sorted by name', () => {
    expect(model.dialect).toBe('mysql');
    expect(model.tables.map((t) => t.name)).toEqual([
      'Mixed Case Table',
      'line_view',
      'no_pk',
      'order_line',
      'select',
      'shipment',
      'typed',
    ]);
    expect(new Set(model.tables.map((t) => t.schema))).toEqual(new Set([db.schema]));
  });

  it('reads a composite primary key in key order, each column once', () => {
    const orderLine = table(model, 'order_line');
    expect(orderLine.kind).toBe('table');
    expect(orderLine.primaryKey).toEqual(['line_no', 'order_id']);
    expect(orderLine.columns.map((c) => c.name)).toEqual(['order_id', 'line_no', 'sku', 'email', 'note']);
  });

  it('reads unique keys, deduplicated, without the primary key or plain indexes', () => {
    expect(table(model, 'order_line').uniqueKeys).toEqual([
      { name: 'email', columns: ['email'] },
      { name: 'uq_sku_order', columns: ['sku', 'order_id'] },
    ]);
  });

  it('reads a named composite foreign key with aligned columns', () => {
    expect(table(model, 'shipment').foreignKeys).toEqual([
      {
        name: 'fk_shipment_line',
        columns: ['ref_line', 'ref_order'],
        referencedSchema: null,
        referencedTable: 'order_line',
        referencedColumns: ['line_no', 'order_id'],
      },
    ]);
    expect(table(model, 'order_line').foreignKeys).toEqual([]);
  });

  it('reads a view with a null comment', () => {
    const view = table(model, 'line_view');
    expect(view).toMatchObject({ kind: 'view', comment: null, primaryKey: null, uniqueKeys: [], foreignKeys: [] });
    expect(view.columns.map((c) => [c.name, c.type])).toEqual([
      ['order_id', 'integer'],
      ['sku', 'string'],
    ]);
  });

  it('reports a table without a primary key', () => {
    const noPk = table(model, 'no_pk');
    expect(noPk.primaryKey).toBeNull();
    expect(noPk.uniqueKeys).toEqual([]);
    expect(noPk.comment).toBeNull();
  });

  it('reads table and column comments', () => {
    expect(table(model, 'typed').comment).toBe('typed things');
    expect(column(model, 'typed', 'id').comment).toBe('row id');
    expect(column(model, 'typed', 'flag').comment).toBeNull();
  });

  it('keeps tinyint(1) an integer', () => {
    expect(column(model, 'typed', 'flag')).toMatchObject({ type: 'integer', nativeType: 'tinyint(1)', nullable: false });
  });

  it('normalizes numeric types', () => {
    expect(column(model, 'typed', 'small').type).toBe('integer');
    expect(column(model, 'typed', 'yr').type).toBe('integer');
    expect(column(model, 'typed', 'ratio')).toMatchObject({ type: 'number', precision: null, scale: null });
    expect(column(model, 'typed', 'price')).toMatchObject({
      type: 'decimal',
      nativeType: 'decimal(10,2)',
      precision: 10,
      scale: 2,
      maxLength: null,
    });
    expect(column(model, 'typed', 'id')).toMatchObject({ type: 'integer', precision: null, autoIncrement: true });
  });

  it('normalizes character types with their length', () => {
    expect(column(model, 'typed', 'label')).toMatchObject({ type: 'string', maxLength: 40, nativeType: 'varchar(40)' });
    expect(column(model, 'typed', 'body').type).toBe('string');
    expect(column(model, 'typed', 'tags')).toMatchObject({ type: 'string', enumValues: null });
  });

  it('reports a JSON column as json (LONGTEXT with json_valid on MariaDB)', () => {
    const doc = column(model, 'typed', 'doc');
    expect(doc).toMatchObject({ type: 'json', maxLength: null });
    expect(doc.nativeType).toBe(mariaDb ? 'longtext' : 'json');
  });

  it('parses ENUM values containing commas, quotes and spaces', () => {
    expect(column(model, 'typed', 'mood')).toMatchObject({
      type: 'enum',
      enumValues: ['happy, really', "it's", ' spaced'],
      nativeType: "enum('happy, really','it''s',' spaced')",
    });
  });

  it('undoes backslash escaping in enum values', () => {
    expect(column(model, 'typed', 'slash').enumValues).toEqual(['a\\b', 'plain']);
  });

  it('normalizes defaults the same way on MariaDB and MySQL', () => {
    expect(column(model, 'typed', 'win_path').default).toBe('C:\\dir');
    expect(column(model, 'typed', 'label').default).toBe("it's new");
    expect(column(model, 'typed', 'literal_null').default).toBe('NULL');
    expect(column(model, 'typed', 'flag').default).toBe('0');
    expect(column(model, 'typed', 'price').default).toBe('1.50');
    expect(column(model, 'typed', 'maybe')).toMatchObject({ nullable: true, default: null });
    expect(column(model, 'typed', 'small').default).toBeNull();
    expect(column(model, 'typed', 'id').default).toBeNull();
    expect(column(model, 'typed', 'at_ts').default).toMatch(/^current_timestamp(\(\))?$/i);
  });

  it('flags auto-increment and generated columns', () => {
    expect(column(model, 'typed', 'id')).toMatchObject({ autoIncrement: true, generated: false });
    expect(column(model, 'typed', 'doubled')).toMatchObject({ generated: true, autoIncrement: false, default: null });
    expect(column(model, 'typed', 'stored_len')).toMatchObject({ generated: true });
    expect(column(model, 'typed', 'at_ts')).toMatchObject({ generated: false, autoIncrement: false });
  });

  it('tells date, datetime, timestamp and time apart', () => {
    expect(column(model, 'typed', 'born').type).toBe('date');
    expect(column(model, 'typed', 'at_local')).toMatchObject({ type: 'datetime', withTimeZone: false });
    expect(column(model, 'typed', 'at_ts')).toMatchObject({ type: 'datetime', withTimeZone: false });
    expect(column(model, 'typed', 'at_time').type).toBe('time');
  });

  it('reports binary types as binary and unknown types as unknown', () => {
    expect(column(model, 'typed', 'photo').type).toBe('binary');
    expect(column(model, 'typed', 'digest')).toMatchObject({ type: 'binary', maxLength: null });
    expect(column(model, 'typed', 'bits').type).toBe('binary');
    expect(column(model, 'typed', 'place').type).toBe('unknown');
  });

  it('fills the fields other dialects use with their neutral values', () => {
    for (const c of table(model, 'typed').columns) {
      expect(c.elementType).toBeNull();
      expect(c.withTimeZone).toBe(false);
      if (c.type !== 'enum') expect(c.enumValues).toBeNull();
    }
  });

  it('handles reserved words, spaces and mixed case in names', () => {
    const select = table(model, 'select');
    expect(select.columns.map((c) => c.name)).toEqual(['order', 'limit']);
    expect(select.primaryKey).toEqual(['order']);
    expect(select.uniqueKeys).toEqual([{ name: 'from', columns: ['limit'] }]);
    const mixed = table(model, 'Mixed Case Table');
    expect(mixed.primaryKey).toEqual(['Some Col']);
    expect(mixed.foreignKeys).toEqual([
      {
        name: 'Fk To Select',
        columns: ['order'],
        referencedSchema: null,
        referencedTable: 'select',
        referencedColumns: ['order'],
      },
    ]);
  });

  it('reads MariaDB-only types: UUID and system-versioned tables', async (ctx) => {
    if (!mariaDb) ctx.skip();
    await db.knex.raw('CREATE TABLE maria_only (id UUID PRIMARY KEY, v INT) WITH SYSTEM VERSIONING');
    try {
      const fresh = await mysqlIntrospector.introspect(db.knex, {});
      expect(table(fresh, 'maria_only').kind).toBe('table');
      expect(column(fresh, 'maria_only', 'id')).toMatchObject({ type: 'uuid', nativeType: 'uuid' });
    } finally {
      await db.knex.raw('DROP TABLE maria_only');
    }
  });
});

describe('mysqlIntrospector with several databases', () => {
  let db: TestDatabase;
  let other: string;

  beforeAll(async () => {
    db = await createTestDatabase('mysql');
    other = uniqueName('cx_other');
    await db.knex.raw('CREATE TABLE home (id INT PRIMARY KEY)');
    await db.knex.raw(`CREATE DATABASE \`${other}\` CHARACTER SET utf8mb4`);
    await db.knex.raw(
      `CREATE TABLE \`${other}\`.away (id INT PRIMARY KEY, home_id INT,
        CONSTRAINT away_home FOREIGN KEY (home_id) REFERENCES \`${db.schema}\`.home (id))`,
    );
  });
  afterAll(async () => {
    // The other database references this one, so it goes first.
    await db?.knex.raw(`DROP DATABASE IF EXISTS \`${other}\``);
    await db?.destroy();
  });

  it('reads only the current database by default', async () => {
    const model = await mysqlIntrospector.introspect(db.knex, {});
    expect(model.tables.map((t) => [t.schema, t.name])).toEqual([[db.schema, 'home']]);
  });

  it('reads another database named in options.schemas', async () => {
    const model = await mysqlIntrospector.introspect(db.knex, { schemas: [other] });
    expect(model.tables.map((t) => [t.schema, t.name])).toEqual([[other, 'away']]);
    expect(model.tables[0]?.foreignKeys).toEqual([
      { name: 'away_home', columns: ['home_id'], referencedSchema: db.schema, referencedTable: 'home', referencedColumns: ['id'] },
    ]);
  });

  it('reads several databases in schema order', async () => {
    const model = await mysqlIntrospector.introspect(db.knex, { schemas: [other, db.schema] });
    const expected = [
      [db.schema, 'home'],
      [other, 'away'],
    ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    expect(model.tables.map((t) => [t.schema, t.name])).toEqual(expected);
  });
});

describe('mysqlIntrospector query count', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('mysql');
  });
  afterAll(() => db?.destroy());

  async function countQueries(): Promise<{ queries: number; tables: number }> {
    let queries = 0;
    const listener = () => {
      queries++;
    };
    db.knex.on('query', listener);
    try {
      const model = await mysqlIntrospector.introspect(db.knex, {});
      return { queries, tables: model.tables.length };
    } finally {
      db.knex.removeListener('query', listener);
    }
  }

  it('runs the same small number of queries for 1 table and for 40', async () => {
    await db.knex.raw('CREATE TABLE t0 (id INT PRIMARY KEY, code VARCHAR(5) UNIQUE)');
    const one = await countQueries();
    const ddl = Array.from(
      { length: 39 },
      (_, i) => `CREATE TABLE t${i + 1} (id INT PRIMARY KEY, parent INT, FOREIGN KEY (parent) REFERENCES t0 (id));`,
    ).join('\n');
    await db.knex.raw(ddl);
    const forty = await countQueries();
    expect(one.tables).toBe(1);
    expect(forty.tables).toBe(40);
    expect(forty.queries).toBe(one.queries);
    expect(one.queries).toBeLessThanOrEqual(6);
  });
});
