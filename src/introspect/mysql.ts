import type { Knex } from 'knex';
import { type CheckedValues, MYSQL_LEXICON, checkedValues, withCheckedValues } from './checks.js';
import type { Introspector } from './introspector.js';
import type {
  ColumnModel,
  DatabaseModel,
  ForeignKeyModel,
  IntrospectOptions,
  NormalizedType,
  RelationKind,
  TableModel,
  UniqueKeyModel,
} from './model.js';
import { BACKSLASH_ESCAPES } from './shared.js';

/*
 * Every selected information_schema column is aliased in lower case: MySQL 8 returns
 * catalog column names in upper case, MariaDB as written, and the alias settles both.
 */

type Row = Readonly<Record<string, unknown>>;

/** What the first query learns about the server and the connection. */
interface ServerInfo {
  readonly currentSchema: string | null;
  /** MariaDB ≥ 10.2.7 reports literal defaults quoted and a missing default as the string `NULL`. */
  readonly quotedDefaults: boolean;
  /** MariaDB exposes CHECK_CONSTRAINTS.TABLE_NAME; MySQL 8 has no such column and MySQL 5.7 no such table. */
  readonly hasCheckTableName: boolean;
}

/** Rows of the catalog queries, keyed by nothing yet. */
interface Catalog {
  readonly relations: readonly Row[];
  readonly columns: readonly Row[];
  readonly indexParts: readonly Row[];
  readonly foreignKeyParts: readonly Row[];
  readonly jsonColumns: ReadonlySet<string>;
  /** Value lists of CHECK constraints (`col IN ('a', 'b')`), by `tableKey`. */
  readonly checkedValues: ReadonlyMap<string, CheckedValues[]>;
}

const SERVER_SQL = `SELECT DATABASE() AS current_schema, VERSION() AS server_version,
  (SELECT COUNT(*) FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = 'information_schema' AND TABLE_NAME = 'CHECK_CONSTRAINTS'
      AND COLUMN_NAME = 'TABLE_NAME') AS check_table_name`;

// 'SYSTEM VERSIONED' is MariaDB's type for tables WITH SYSTEM VERSIONING; sequences and temporary tables are left out.
const RELATIONS_SQL = (p: string) => `SELECT TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name,
  TABLE_TYPE AS table_type, TABLE_COMMENT AS table_comment, TABLE_ROWS AS table_rows
  FROM information_schema.TABLES
  WHERE TABLE_SCHEMA IN (${p}) AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW')`;

// IS_GENERATED is MariaDB-only, so generated columns are recognised from GENERATION_EXPRESSION and EXTRA.
const COLUMNS_SQL = (p: string) => `SELECT TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name,
  COLUMN_NAME AS column_name, COLUMN_DEFAULT AS column_default, IS_NULLABLE AS is_nullable,
  DATA_TYPE AS data_type, COLUMN_TYPE AS column_type,
  CHARACTER_MAXIMUM_LENGTH AS character_maximum_length,
  NUMERIC_PRECISION AS numeric_precision, NUMERIC_SCALE AS numeric_scale,
  EXTRA AS extra, COLUMN_COMMENT AS column_comment, GENERATION_EXPRESSION AS generation_expression
  FROM information_schema.COLUMNS
  WHERE TABLE_SCHEMA IN (${p})
  ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`;

// STATISTICS rather than COLUMNS.COLUMN_KEY: COLUMN_KEY cannot tell key order nor one unique index from another.
const INDEXES_SQL = (p: string) => `SELECT TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name,
  INDEX_NAME AS index_name, COLUMN_NAME AS column_name
  FROM information_schema.STATISTICS
  WHERE TABLE_SCHEMA IN (${p}) AND NON_UNIQUE = 0
  ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`;

const FOREIGN_KEYS_SQL = (p: string) => `SELECT TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name,
  CONSTRAINT_NAME AS constraint_name, COLUMN_NAME AS column_name,
  REFERENCED_TABLE_SCHEMA AS referenced_table_schema, REFERENCED_TABLE_NAME AS referenced_table_name,
  REFERENCED_COLUMN_NAME AS referenced_column_name
  FROM information_schema.KEY_COLUMN_USAGE
  WHERE TABLE_SCHEMA IN (${p}) AND REFERENCED_TABLE_NAME IS NOT NULL
  ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`;

// MariaDB's JSON is an alias of LONGTEXT whose only trace is the CHECK (json_valid(`col`)) it adds; the other
// CHECK constraints may list a column's values.
const CHECKS_SQL = (p: string) => `SELECT CONSTRAINT_SCHEMA AS table_schema, TABLE_NAME AS table_name,
  CHECK_CLAUSE AS check_clause
  FROM information_schema.CHECK_CONSTRAINTS
  WHERE CONSTRAINT_SCHEMA IN (${p})`;

const JSON_VALID_CLAUSE = /^json_valid\(`((?:[^`]|``)+)`\)$/i;
const GENERATED_EXTRA = /\b(VIRTUAL|STORED|PERSISTENT)\b/i;
const CHARACTER_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);

const TYPE_BY_DATA_TYPE: Readonly<Record<string, NormalizedType>> = {
  // tinyint(1) stays an integer: it holds -128..127, and reading it as boolean loses values.
  tinyint: 'integer',
  smallint: 'integer',
  mediumint: 'integer',
  int: 'integer',
  integer: 'integer',
  bigint: 'integer',
  year: 'integer',
  float: 'number',
  double: 'number',
  real: 'number',
  decimal: 'decimal',
  numeric: 'decimal',
  char: 'string',
  varchar: 'string',
  tinytext: 'string',
  text: 'string',
  mediumtext: 'string',
  longtext: 'string',
  set: 'string',
  enum: 'enum',
  date: 'date',
  datetime: 'datetime',
  timestamp: 'datetime',
  time: 'time',
  json: 'json',
  uuid: 'uuid',
  binary: 'binary',
  varbinary: 'binary',
  tinyblob: 'binary',
  blob: 'binary',
  mediumblob: 'binary',
  longblob: 'binary',
  bit: 'binary',
};

/**
 * Introspects MySQL 8 and MariaDB through information_schema.
 *
 * Runs at most six catalog queries whatever the number of tables: server facts, relations,
 * columns, unique indexes, foreign keys and, on MariaDB, the CHECK constraints that mark JSON columns
 * and list the values of others.
 * `options.schemas` are database names; the default is the connection's `DATABASE()`.
 * Foreign keys into the same database get `referencedSchema: null`, as the model specifies.
 */
export const mysqlIntrospector: Introspector = {
  async introspect(knex: Knex, options: IntrospectOptions): Promise<DatabaseModel> {
    const server = await readServerInfo(knex);
    const schemas = resolveSchemas(options, server);
    if (schemas.length === 0) return { dialect: 'mysql', tables: [] };
    const catalog = await readCatalog(knex, schemas, server);
    return { dialect: 'mysql', tables: buildTables(catalog, server) };
  },
  async listSchemas(knex) {
    return (await selectRows(knex, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME', [])).map((row) =>
      requiredText(row, 'name'),
    );
  },
};

async function readServerInfo(knex: Knex): Promise<ServerInfo> {
  const [row] = await selectRows(knex, SERVER_SQL, []);
  if (row === undefined) throw new Error('conexor: the MySQL server returned no row for DATABASE()');
  const version = requiredText(row, 'server_version');
  return {
    currentSchema: optionalText(row, 'current_schema'),
    quotedDefaults: isMariaDbAtLeast(version, [10, 2, 7]),
    hasCheckTableName: (optionalNumber(row, 'check_table_name') ?? 0) > 0,
  };
}

function resolveSchemas(options: IntrospectOptions, server: ServerInfo): readonly string[] {
  if (options.schemas !== undefined) return [...new Set(options.schemas)];
  if (server.currentSchema === null) {
    throw new Error('conexor: the MySQL connection has no current database; connect to one or pass options.schemas');
  }
  return [server.currentSchema];
}

async function readCatalog(knex: Knex, schemas: readonly string[], server: ServerInfo): Promise<Catalog> {
  const placeholders = schemas.map(() => '?').join(', ');
  const [relations, columns, indexParts, foreignKeyParts, checks] = await Promise.all([
    selectRows(knex, RELATIONS_SQL(placeholders), schemas),
    selectRows(knex, COLUMNS_SQL(placeholders), schemas),
    selectRows(knex, INDEXES_SQL(placeholders), schemas),
    selectRows(knex, FOREIGN_KEYS_SQL(placeholders), schemas),
    server.hasCheckTableName ? selectRows(knex, CHECKS_SQL(placeholders), schemas) : Promise.resolve([]),
  ]);
  return { relations, columns, indexParts, foreignKeyParts, jsonColumns: jsonColumnKeys(checks), checkedValues: checkedValueLists(checks) };
}

/** The value lists of the CHECK constraints that are one (see `checks.ts`), grouped by table. */
function checkedValueLists(checks: readonly Row[]): Map<string, CheckedValues[]> {
  const byTable = new Map<string, CheckedValues[]>();
  for (const row of checks) {
    const checked = checkedValues(requiredText(row, 'check_clause'), MYSQL_LEXICON);
    if (!checked) continue;
    const key = tableKey(row);
    byTable.set(key, [...(byTable.get(key) ?? []), checked]);
  }
  return byTable;
}

/** Keys (`columnKey`) of the columns constrained by exactly `json_valid(\`col\`)`. */
function jsonColumnKeys(checks: readonly Row[]): ReadonlySet<string> {
  const keys = new Set<string>();
  for (const row of checks) {
    const match = JSON_VALID_CLAUSE.exec(requiredText(row, 'check_clause').trim());
    if (match?.[1] === undefined) continue;
    keys.add(columnKey(tableKey(row), match[1].replaceAll('``', '`')));
  }
  return keys;
}

function buildTables(catalog: Catalog, server: ServerInfo): TableModel[] {
  const columns = groupBy(catalog.columns, tableKey);
  const indexes = groupBy(catalog.indexParts, tableKey);
  const foreignKeys = groupBy(catalog.foreignKeyParts, tableKey);
  const tables = catalog.relations.map((relation): TableModel => {
    const key = tableKey(relation);
    const schema = requiredText(relation, 'table_schema');
    const kind = relationKind(requiredText(relation, 'table_type'));
    const keys = readKeys(indexes.get(key) ?? []);
    return {
      schema,
      name: requiredText(relation, 'table_name'),
      kind,
      comment: tableComment(optionalText(relation, 'table_comment'), kind),
      // InnoDB's estimate from its statistics; NULL for views.
      rowEstimate: relation.table_rows === null || relation.table_rows === undefined ? null : Number(relation.table_rows),
      columns: withCheckedValues(
        (columns.get(key) ?? []).map((row) => buildColumn(row, catalog.jsonColumns, server)),
        catalog.checkedValues.get(key) ?? [],
        MYSQL_LEXICON,
      ),
      primaryKey: keys.primaryKey,
      uniqueKeys: keys.uniqueKeys,
      foreignKeys: buildForeignKeys(foreignKeys.get(key) ?? [], schema),
    };
  });
  // Sorted here rather than in SQL so the order does not depend on the server's collation.
  return tables.sort((a, b) => compareText(a.schema, b.schema) || compareText(a.name, b.name));
}

function relationKind(tableType: string): RelationKind {
  return tableType === 'VIEW' ? 'view' : 'table';
}

/** MySQL and MariaDB report the comment of every view as the word `VIEW`. */
function tableComment(comment: string | null, kind: RelationKind): string | null {
  if (comment === null || comment === '') return null;
  if (kind === 'view' && comment === 'VIEW') return null;
  return comment;
}

function buildColumn(row: Row, jsonColumns: ReadonlySet<string>, server: ServerInfo): ColumnModel {
  const name = requiredText(row, 'column_name');
  const dataType = requiredText(row, 'data_type').toLowerCase();
  const nativeType = requiredText(row, 'column_type');
  const type = normalizeType(dataType, jsonColumns.has(columnKey(tableKey(row), name)));
  const extra = optionalText(row, 'extra') ?? '';
  const generationExpression = optionalText(row, 'generation_expression') ?? '';
  const comment = optionalText(row, 'column_comment');
  return {
    name,
    type,
    nativeType,
    nullable: requiredText(row, 'is_nullable') === 'YES',
    default: normalizeDefault(optionalText(row, 'column_default'), server.quotedDefaults),
    autoIncrement: /auto_increment/i.test(extra),
    generated: generationExpression !== '' || GENERATED_EXTRA.test(extra),
    maxLength: type === 'string' && CHARACTER_TYPES.has(dataType) ? optionalNumber(row, 'character_maximum_length') : null,
    precision: type === 'decimal' ? optionalNumber(row, 'numeric_precision') : null,
    scale: type === 'decimal' ? optionalNumber(row, 'numeric_scale') : null,
    withTimeZone: false,
    enumValues: type === 'enum' ? parseEnumValues(nativeType) : null,
    elementType: null,
    comment: comment === '' ? null : comment,
  };
}

function normalizeType(dataType: string, hasJsonCheck: boolean): NormalizedType {
  const type = TYPE_BY_DATA_TYPE[dataType] ?? 'unknown';
  if (hasJsonCheck && CHARACTER_TYPES.has(dataType)) return 'json';
  return type;
}

/**
 * Makes MariaDB defaults look like MySQL's: MariaDB ≥ 10.2.7 quotes literal strings
 * (escaped as in SQL) and reports "no default" as the bare word `NULL`, while a string
 * default 'NULL' stays quoted. Numbers and expressions are already bare on both servers.
 */
function normalizeDefault(raw: string | null, quotedDefaults: boolean): string | null {
  if (raw === null || !quotedDefaults) return raw;
  if (raw === 'NULL') return null;
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) return unescapeSqlString(raw.slice(1, -1));
  return raw;
}

/** Undoes the escaping MySQL uses when it prints a string literal: `''` and backslash sequences. */
function unescapeSqlString(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const char = body[i];
    const next = body[i + 1];
    if (char === '\\' && next !== undefined) {
      out += BACKSLASH_ESCAPES[next] ?? next;
      i++;
    } else if (char === "'" && next === "'") {
      out += "'";
      i++;
    } else {
      out += char;
    }
  }
  return out;
}

/** Reads the quoted literals of `enum('a','b,c','it''s')`; values may contain commas, spaces and quotes. */
function parseEnumValues(columnType: string): string[] {
  const open = columnType.indexOf('(');
  const values: string[] = [];
  let i = open + 1;
  while (open >= 0 && columnType[i] === "'") {
    const end = closingQuote(columnType, i + 1);
    values.push(unescapeSqlString(columnType.slice(i + 1, end)));
    i = end + 1;
    if (columnType[i] === ',') i++;
  }
  return values;
}

/** Index of the quote that closes a literal starting at `start`, skipping `''` and `\x`. */
function closingQuote(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === "'" && text[i + 1] === "'") i += 2;
    else if (text[i] === "'") return i;
    else i++;
  }
  return text.length;
}

interface Keys {
  readonly primaryKey: readonly string[] | null;
  readonly uniqueKeys: readonly UniqueKeyModel[];
}

/** Primary key and unique keys of one table from its unique STATISTICS rows (already in key order). */
function readKeys(indexParts: readonly Row[]): Keys {
  let primaryKey: string[] | null = null;
  const uniqueKeys: UniqueKeyModel[] = [];
  const seen = new Set<string>();
  for (const [name, parts] of groupBy(indexParts, (row) => requiredText(row, 'index_name'))) {
    const columns = parts.map((row) => optionalText(row, 'column_name'));
    // A functional key part (MySQL 8) has no column: the plain columns alone are not known to be unique.
    if (!columns.every((column): column is string => column !== null)) continue;
    if (name === 'PRIMARY') {
      primaryKey = columns;
      continue;
    }
    const signature = JSON.stringify(columns);
    if (seen.has(signature)) continue;
    seen.add(signature);
    uniqueKeys.push({ name, columns });
  }
  return { primaryKey, uniqueKeys };
}

function buildForeignKeys(parts: readonly Row[], schema: string): ForeignKeyModel[] {
  return [...groupBy(parts, (row) => requiredText(row, 'constraint_name'))].map(([name, rows]) => {
    const [first] = rows;
    const referencedSchema = first === undefined ? null : requiredText(first, 'referenced_table_schema');
    return {
      name,
      columns: rows.map((row) => requiredText(row, 'column_name')),
      // The model leaves the schema out when the foreign key stays inside the table's own database.
      referencedSchema: referencedSchema === schema ? null : referencedSchema,
      referencedTable: first === undefined ? '' : requiredText(first, 'referenced_table_name'),
      referencedColumns: rows.map((row) => requiredText(row, 'referenced_column_name')),
    };
  });
}

/** Runs one catalog query; mysql2 (and mysql) resolve `raw` to `[rows, fields]`. */
async function selectRows(knex: Knex, sql: string, bindings: readonly string[]): Promise<Row[]> {
  const result: unknown = await knex.raw(sql, [...bindings]);
  const rows: unknown = Array.isArray(result) ? result[0] : undefined;
  if (!Array.isArray(rows)) throw new Error('conexor: unexpected result shape from the MySQL driver');
  return rows.filter(isRow);
}

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null;
}

function optionalText(row: Row, key: string): string | null {
  const value = row[key];
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  // Some server/driver pairs hand back catalog text as binary.
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new Error(`conexor: unexpected ${typeof value} in catalog column ${key}`);
}

function requiredText(row: Row, key: string): string {
  const value = optionalText(row, key);
  if (value === null) throw new Error(`conexor: catalog column ${key} is unexpectedly null`);
  return value;
}

function optionalNumber(row: Row, key: string): number | null {
  const value = optionalText(row, key);
  if (value === null) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

function tableKey(row: Row): string {
  return `${requiredText(row, 'table_schema')}\u0000${requiredText(row, 'table_name')}`;
}

/** Column names are case-insensitive in MySQL, while CHECK clauses keep the case they were written in. */
function columnKey(table: string, column: string): string {
  return `${table}\u0000${column.toLowerCase()}`;
}

/** Groups rows by key, keeping the order of first appearance and the row order within each group. */
function groupBy(rows: readonly Row[], keyOf: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [row]);
    else group.push(row);
  }
  return groups;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True for MariaDB at or above the version; VERSION() reads like `10.11.6-MariaDB-0+deb12u1`. */
function isMariaDbAtLeast(version: string, minimum: readonly [number, number, number]): boolean {
  const match = /(\d+)\.(\d+)\.(\d+)-MariaDB/i.exec(version);
  if (match === null) return false;
  const parts = [Number(match[1]), Number(match[2]), Number(match[3])];
  for (let i = 0; i < minimum.length; i++) {
    const part = parts[i] ?? 0;
    const wanted = minimum[i] ?? 0;
    if (part !== wanted) return part > wanted;
  }
  return true;
}
