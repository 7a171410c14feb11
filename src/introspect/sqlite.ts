import type { Knex } from 'knex';
import { type CheckedValues, SQLITE_LEXICON, checkedValuesOfCreateTable, withCheckedValues } from './checks.js';
import type { Introspector } from './introspector.js';
import type {
  ColumnModel,
  DatabaseModel,
  DateStorage,
  ForeignKeyModel,
  IntrospectOptions,
  NormalizedType,
  TableModel,
  UniqueKeyModel,
} from './model.js';
import { dedupeUniqueKeys, groupBy, rowsOf, unquoteLiteral } from './shared.js';

interface RelationRow {
  schema: string;
  name: string;
  type: string;
  /** 1 for a WITHOUT ROWID table. */
  wr: number;
  /** 1 for a STRICT table. */
  strict: number;
}
interface ColumnRow {
  schema: string;
  table_name: string;
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}
interface IndexRow {
  schema: string;
  table_name: string;
  index_name: string;
  origin: string;
  partial: number;
  seqno: number;
  column_name: string | null;
}
interface ForeignKeyRow {
  schema: string;
  table_name: string;
  id: number;
  seq: number;
  ref_table: string;
  from_column: string;
  to_column: string | null;
}

// pragma_table_list lists every attached schema; the join arguments make each pragma a single query.
const RELATIONS = `SELECT t.schema AS schema, t.name AS name, t.type AS type, t.wr AS wr, t.strict AS strict
  FROM pragma_table_list AS t
  WHERE t.type IN ('table', 'view') AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND t.schema IN (SCHEMAS)`;

const COLUMNS = (types: string) => `SELECT t.schema AS schema, t.name AS table_name, c.cid, c.name, c.type, c."notnull",
       c.dflt_value, c.pk, c.hidden
  FROM pragma_table_list AS t JOIN pragma_table_xinfo(t.name, t.schema) AS c
  WHERE t.type IN (${types}) AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND t.schema IN (SCHEMAS)
  ORDER BY t.schema, t.name, c.cid`;

// Fallback for one view at a time, used only when a view cannot be read (its table was dropped).
const VIEW_COLUMNS = `SELECT ? AS schema, ? AS table_name, c.cid, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden
  FROM pragma_table_xinfo(?, ?) AS c
  ORDER BY c.cid`;

const INDEXES = `SELECT t.schema AS schema, t.name AS table_name, il.name AS index_name, il.origin, il.partial,
       ii.seqno, ii.name AS column_name
  FROM pragma_table_list AS t
  JOIN pragma_index_list(t.name, t.schema) AS il
  JOIN pragma_index_info(il.name, t.schema) AS ii
  WHERE t.type = 'table' AND il."unique" = 1 AND t.schema IN (SCHEMAS)
  ORDER BY t.schema, t.name, il.name, ii.seqno`;

const FOREIGN_KEYS = `SELECT t.schema AS schema, t.name AS table_name, fk.id, fk.seq, fk."table" AS ref_table,
       fk."from" AS from_column, fk."to" AS to_column
  FROM pragma_table_list AS t JOIN pragma_foreign_key_list(t.name, t.schema) AS fk
  WHERE t.type = 'table' AND t.schema IN (SCHEMAS)
  ORDER BY t.schema, t.name, fk.id, fk.seq`;

/** CREATE TABLE statements that may hold a CHECK constraint, one schema (quoted by the caller) per UNION branch. */
const CREATE_TABLES = (schema: string) =>
  `SELECT ? AS schema, name, sql FROM ${schema}.sqlite_master WHERE type = 'table' AND sql LIKE '%check%'`;

/** Introspects SQLite (better-sqlite3 and sqlite3 drivers) with five catalog queries. */
export const sqliteIntrospector: Introspector = {
  async introspect(knex: Knex, options: IntrospectOptions): Promise<DatabaseModel> {
    const schemas = options.schemas?.length ? [...options.schemas] : ['main'];
    const run = async <T>(sql: string): Promise<T[]> =>
      rowsOf<T>(await knex.raw(sql.replace('SCHEMAS', schemas.map(() => '?').join(', ')), schemas));
    const [allRelations, columns, indexes, foreignKeys] = await Promise.all([
      run<RelationRow>(RELATIONS),
      // One unreadable view fails the joined query; the fallback then reads views one by one.
      run<ColumnRow>(COLUMNS(`'table', 'view'`)).catch(() => null),
      run<IndexRow>(INDEXES),
      run<ForeignKeyRow>(FOREIGN_KEYS),
    ]);
    const key = (schema: string, table: string) => `${schema}\u0000${table}`;
    const { relations, columnRows } = columns
      ? { relations: allRelations, columnRows: columns }
      : await readColumnsSkippingBrokenViews(knex, allRelations, () => run<ColumnRow>(COLUMNS(`'table'`)));
    const columnsByTable = groupBy(columnRows, (row) => key(row.schema, row.table_name));
    // Indexes with origin 'pk' back a primary key that is not the rowid; they are not unique keys of their own.
    const pkIndexTables = new Set(indexes.filter((row) => row.origin === 'pk').map((row) => key(row.schema, row.table_name)));
    const indexesByTable = groupBy(
      indexes.filter((row) => row.origin !== 'pk'),
      (row) => key(row.schema, row.table_name),
    );
    const foreignKeysByTable = groupBy(foreignKeys, (row) => key(row.schema, row.table_name));
    const checksByTable = await readCheckedValues(knex, relations, key);

    const primaryKeys = new Map<string, string[] | null>();
    // SQLite matches table and column names without regard to ASCII case; FK clauses keep the case they were written in.
    const relationsByFoldedName = new Map<string, RelationRow>();
    for (const relation of relations) relationsByFoldedName.set(key(relation.schema, foldCase(relation.name)), relation);
    for (const relation of relations) {
      const pkColumns = (columnsByTable.get(key(relation.schema, relation.name)) ?? [])
        .filter((column) => column.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((column) => column.name);
      primaryKeys.set(key(relation.schema, relation.name), pkColumns.length ? pkColumns : null);
    }

    const tables = relations.map((relation): TableModel => {
      const id = key(relation.schema, relation.name);
      const primaryKey = primaryKeys.get(id) ?? null;
      const rowidAlias =
        relation.type === 'table' && relation.wr === 0 && !pkIndexTables.has(id)
          ? isRowidAlias(primaryKey, columnsByTable.get(id) ?? [])
          : null;
      // Outside a rowid alias, WITHOUT ROWID and STRICT tables, SQLite accepts NULL in a PRIMARY KEY column.
      const keyNotNull = relation.wr === 1 || relation.strict === 1;
      return {
        schema: relation.schema,
        name: relation.name,
        kind: relation.type === 'view' ? 'view' : 'table',
        comment: null,
        columns: withCheckedValues(
          (columnsByTable.get(id) ?? []).map((row) => toColumn(row, rowidAlias, keyNotNull)),
          checksByTable.get(id) ?? [],
          SQLITE_LEXICON,
        ),
        primaryKey,
        uniqueKeys: toUniqueKeys(indexesByTable.get(id) ?? [], primaryKey),
        foreignKeys: toForeignKeys(foreignKeysByTable.get(id) ?? [], (table) => {
          const target = relationsByFoldedName.get(key(relation.schema, foldCase(table)));
          if (!target) return null;
          const targetId = key(target.schema, target.name);
          return {
            name: target.name,
            columns: (columnsByTable.get(targetId) ?? []).map((row) => row.name),
            primaryKey: primaryKeys.get(targetId) ?? null,
          };
        }),
      };
    });
    // SQLite has no date type: how each date column's values are stored decides how it is compared and rendered.
    const sampled = await Promise.all(tables.map((table) => withDateStorage(knex, table)));
    sampled.sort((a, b) => (a.schema === b.schema ? compare(a.name, b.name) : compare(a.schema, b.schema)));
    return { dialect: 'sqlite', tables: sampled };
  },
  async listSchemas(knex) {
    return rowsOf<{ name: string }>(await knex.raw('SELECT name FROM pragma_database_list ORDER BY seq')).map((row) => row.name);
  },
};

/**
 * The value lists of the CHECK constraints of every table (see `checks.ts`), read from the CREATE TABLE statements
 * SQLite keeps: no pragma reports them. One query for all schemas, and none when there is no table.
 */
async function readCheckedValues(
  knex: Knex,
  relations: readonly RelationRow[],
  key: (schema: string, table: string) => string,
): Promise<Map<string, CheckedValues[]>> {
  const schemas = [...new Set(relations.filter((relation) => relation.type === 'table').map((relation) => relation.schema))];
  const byTable = new Map<string, CheckedValues[]>();
  if (schemas.length === 0) return byTable;
  // Schema names come from pragma_table_list, so they name attached databases; quoting keeps any name an identifier.
  const sql = schemas.map((schema) => CREATE_TABLES(`"${schema.replace(/"/g, '""')}"`)).join(' UNION ALL ');
  const rows = rowsOf<{ schema: string; name: string; sql: string | null }>(await knex.raw(sql, schemas));
  for (const row of rows) {
    const checks = row.sql === null ? [] : checkedValuesOfCreateTable(row.sql);
    if (checks.length > 0) byTable.set(key(row.schema, row.name), checks);
  }
  return byTable;
}

/** Rows read per column to tell how its dates are stored. */
const DATE_SAMPLE = 200;
/** Julian day numbers of 0001-01-01 and 9999-12-31: a fractional number in this range is a Julian day. */
const JULIAN_RANGE = [1721425.5, 5373484.5] as const;
/** Epoch values at least this large are milliseconds (1e11 seconds is the year 5138; 1e11 ms is March 1973). */
const EPOCH_MS_FROM = 1e11;

interface StorageRow {
  i: number;
  ints: number | bigint | null;
  reals: number | bigint | null;
  texts: number | bigint | null;
  lo: number | bigint | null;
  hi: number | bigint | null;
}

/**
 * The table with the {@link DateStorage} of each `date` / `datetime` column, from the first {@link DATE_SAMPLE}
 * non-NULL values of each (one query per table that has such columns). A table that cannot be read keeps `text`.
 */
async function withDateStorage(knex: Knex, table: TableModel): Promise<TableModel> {
  const dated = table.columns.map((column, index) => ({ column, index })).filter(({ column }) => column.type === 'date' || column.type === 'datetime');
  if (dated.length === 0) return table;
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const from = `${quote(table.schema)}.${quote(table.name)}`;
  const sql = dated
    .map(({ column, index }) => {
      const c = quote(column.name);
      const numeric = `CASE WHEN typeof(v) IN ('integer', 'real') THEN v END`;
      return `SELECT ${index} AS i, SUM(typeof(v) = 'integer') AS ints, SUM(typeof(v) = 'real') AS reals,
        SUM(typeof(v) = 'text') AS texts, MIN(${numeric}) AS lo, MAX(${numeric}) AS hi
        FROM (SELECT ${c} AS v FROM ${from} WHERE ${c} IS NOT NULL LIMIT ${DATE_SAMPLE})`;
    })
    .join(' UNION ALL ');
  let rows: StorageRow[];
  try {
    rows = rowsOf<StorageRow>(await knex.raw(sql));
  } catch {
    return table;
  }
  const storages = new Map(rows.map((row) => [Number(row.i), dateStorageOf(row)]));
  return {
    ...table,
    columns: table.columns.map((column, index) => {
      const storage = storages.get(index);
      if (!storage || storage === 'text') return column;
      return { ...column, storage, withTimeZone: column.type === 'datetime' };
    }),
  };
}

function dateStorageOf(row: StorageRow): DateStorage {
  const [ints, reals, texts] = [Number(row.ints ?? 0), Number(row.reals ?? 0), Number(row.texts ?? 0)];
  if (ints + reals === 0) return 'text';
  if (texts > 0) return 'mixed';
  const [lo, hi] = [Number(row.lo), Number(row.hi)];
  if (reals > 0 && lo >= JULIAN_RANGE[0] && hi <= JULIAN_RANGE[1]) return 'julian';
  return Math.max(Math.abs(lo), Math.abs(hi)) >= EPOCH_MS_FROM ? 'epoch_ms' : 'epoch_s';
}

/** Lower-cases ASCII letters only, as SQLite does when it compares identifiers. */
function foldCase(name: string): string {
  return name.replace(/[A-Z]/g, (char) => char.toLowerCase());
}

/**
 * Reads the columns of every table in one query and of each view on its own, leaving out views SQLite cannot
 * read (a view survives the tables it selects from, and reading its columns then fails).
 */
async function readColumnsSkippingBrokenViews(
  knex: Knex,
  relations: readonly RelationRow[],
  readTableColumns: () => Promise<ColumnRow[]>,
): Promise<{ relations: RelationRow[]; columnRows: ColumnRow[] }> {
  const columnRows = await readTableColumns();
  const readable: RelationRow[] = [];
  for (const relation of relations) {
    if (relation.type !== 'view') {
      readable.push(relation);
      continue;
    }
    try {
      const { schema, name } = relation;
      columnRows.push(...rowsOf<ColumnRow>(await knex.raw(VIEW_COLUMNS, [schema, name, name, schema])));
      readable.push(relation);
    } catch {
      // An unreadable view cannot be queried either; it is not part of the readable schema.
    }
  }
  return { relations: readable, columnRows };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `INTEGER PRIMARY KEY` makes the column an alias of the rowid: unique and filled on insert. */
function isRowidAlias(primaryKey: readonly string[] | null, columns: readonly ColumnRow[]): string | null {
  if (primaryKey?.length !== 1) return null;
  const column = columns.find((row) => row.name === primaryKey[0]);
  return column && column.type.trim().toUpperCase() === 'INTEGER' ? column.name : null;
}

function toColumn(row: ColumnRow, rowidAlias: string | null, keyNotNull: boolean): ColumnModel {
  const nativeType = row.type.trim();
  const { type, maxLength, precision, scale } = normalizeSqliteType(nativeType);
  return {
    name: row.name,
    type,
    nativeType,
    // A rowid alias can never be NULL even when declared without NOT NULL.
    nullable: row.notnull === 0 && row.name !== rowidAlias && !(row.pk > 0 && keyNotNull),
    default: row.dflt_value == null || row.dflt_value.toUpperCase() === 'NULL' ? null : unquoteLiteral(row.dflt_value),
    autoIncrement: row.name === rowidAlias,
    // table_xinfo marks generated columns as hidden 2 (virtual) or 3 (stored).
    generated: row.hidden === 2 || row.hidden === 3,
    maxLength,
    precision,
    scale,
    withTimeZone: false,
    enumValues: null,
    elementType: null,
    comment: null,
  };
}

interface SqliteType {
  type: NormalizedType;
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
}

/** SQLite type names are free text: match by name first, then by SQLite's own affinity rules. */
export function normalizeSqliteType(nativeType: string): SqliteType {
  const upper = nativeType.toUpperCase();
  const params = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(upper);
  const first = params?.[1] != null ? Number(params[1]) : null;
  const second = params?.[2] != null ? Number(params[2]) : null;
  const result = (type: NormalizedType, extra: Partial<SqliteType> = {}): SqliteType => ({
    type,
    maxLength: null,
    precision: null,
    scale: null,
    ...extra,
  });
  if (upper === '') return result('unknown');
  if (upper.includes('BOOL')) return result('boolean');
  if (upper.includes('DATETIME') || upper.includes('TIMESTAMP')) return result('datetime');
  if (upper.includes('DATE')) return result('date');
  if (upper.includes('TIME')) return result('time');
  if (upper.includes('JSON')) return result('json');
  if (upper.includes('UUID') || upper.includes('GUID')) return result('uuid');
  if (upper.includes('DECIMAL') || upper.includes('NUMERIC') || upper.includes('MONEY')) {
    return result('decimal', { precision: first, scale: first == null ? null : (second ?? 0) });
  }
  if (upper.includes('INT')) return result('integer');
  if (upper.includes('CHAR') || upper.includes('CLOB') || upper.includes('TEXT') || upper.includes('STRING')) {
    return result('string', { maxLength: first });
  }
  if (upper.includes('BLOB') || upper.includes('BINARY')) return result('binary');
  if (upper.includes('REAL') || upper.includes('FLOA') || upper.includes('DOUB')) return result('number');
  return result('unknown');
}

function toUniqueKeys(rows: readonly IndexRow[], primaryKey: readonly string[] | null): UniqueKeyModel[] {
  const keys: UniqueKeyModel[] = [];
  for (const [, indexRows] of groupBy(rows, (row) => row.index_name)) {
    const first = indexRows[0];
    // Partial and expression indexes do not make the column values unique across the table.
    if (!first || first.partial === 1 || indexRows.some((row) => row.column_name == null)) continue;
    const columns = indexRows.map((row) => row.column_name as string);
    // Autoindexes back inline UNIQUE constraints and have no name the user wrote.
    const name = first.index_name.startsWith('sqlite_autoindex_') ? null : first.index_name;
    keys.push({ name, columns });
  }
  return dedupeUniqueKeys(keys, primaryKey);
}

interface ReferencedTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly primaryKey: readonly string[] | null;
}

function toForeignKeys(
  rows: readonly ForeignKeyRow[],
  referencedTableOf: (table: string) => ReferencedTable | null,
): ForeignKeyModel[] {
  const keys: ForeignKeyModel[] = [];
  for (const [, keyRows] of groupBy(rows, (row) => String(row.id))) {
    const first = keyRows[0];
    if (!first) continue;
    const target = referencedTableOf(first.ref_table);
    // `REFERENCES parent` without columns means the parent's primary key.
    const implicit = target?.primaryKey ?? [];
    const spelled = (column: string) =>
      target?.columns.includes(column)
        ? column
        : (target?.columns.find((candidate) => foldCase(candidate) === foldCase(column)) ?? column);
    keys.push({
      name: null,
      columns: keyRows.map((row) => row.from_column),
      // A SQLite foreign key always references a table of its own schema; the model says null for it.
      referencedSchema: null,
      referencedTable: target?.name ?? first.ref_table,
      referencedColumns: keyRows.map((row, index) =>
        row.to_column != null ? spelled(row.to_column) : (implicit[index] ?? row.from_column),
      ),
    });
  }
  return keys;
}
