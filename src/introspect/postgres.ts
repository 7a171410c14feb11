import type { Knex } from 'knex';
import { type CheckedValues, POSTGRES_LEXICON, checkedValues, withCheckedValues } from './checks.js';
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

/*
 * PostgreSQL introspection: five catalog queries whatever the number of tables.
 * The first finds the relations; the other four (columns, types, constraints, unique indexes)
 * take the relation oids it returned, so every query sees the same set of relations.
 */

type Row = Record<string, unknown>;

// ---------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------

/**
 * Tables ('r'), partitioned tables ('p'), views and materialized views of the wanted schemas.
 * Partitions are left out: their parent stands for them. So are inheritance children (`INHERITS`) that have an
 * ancestor the connection may read in one of the wanted schemas: a query on that ancestor already reads their
 * rows, so listing them too would offer the same rows twice. A child whose ancestors are all elsewhere or
 * unreadable stays. System schemas are always skipped. A null schema list means the connection's current schema.
 */
/** Schema names, without the system schemas introspection never reads. */
const SCHEMAS_SQL = `SELECT nspname AS name FROM pg_catalog.pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY nspname`;

const RELATIONS_SQL = `
WITH RECURSIVE wanted AS (
  SELECT n.oid, n.nspname
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname = ANY(COALESCE(?::text[], ARRAY[current_schema()::text]))
    AND n.nspname !~ '^pg_'
    AND n.nspname <> 'information_schema'
),
ancestors(child, ancestor) AS (
  SELECT i.inhrelid, i.inhparent
  FROM pg_catalog.pg_inherits i
  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
  WHERE c.relnamespace IN (SELECT oid FROM wanted) AND NOT c.relispartition
  UNION
  SELECT a.child, i.inhparent FROM ancestors a JOIN pg_catalog.pg_inherits i ON i.inhrelid = a.ancestor
)
SELECT c.oid AS oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS relkind,
       d.description AS comment,
       CASE WHEN c.relkind IN ('r', 'm') AND c.reltuples >= 0 THEN c.reltuples::bigint END AS row_estimate
FROM pg_catalog.pg_class c
JOIN wanted n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND NOT c.relispartition
  AND NOT EXISTS (
    SELECT 1
    FROM ancestors a
    JOIN pg_catalog.pg_class p ON p.oid = a.ancestor
    WHERE a.child = c.oid
      AND p.relnamespace IN (SELECT oid FROM wanted)
      AND pg_catalog.has_table_privilege(p.oid, 'SELECT'))`;

/** User columns (attnum > 0) that are not dropped, with their default and comment. */
const COLUMNS_SQL = `
SELECT a.attrelid AS relid, a.attnum AS attnum, a.attname::text AS name, a.atttypid AS typid,
       a.atttypmod AS typmod, pg_catalog.format_type(a.atttypid, a.atttypmod) AS native_type,
       a.attnotnull AS not_null, a.attidentity::text AS identity, a.attgenerated::text AS generated,
       pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS default_expr, d.description AS comment
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum
WHERE a.attrelid = ANY(?::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

/**
 * Every type the columns use, plus (transitively) the base types of domains and the element
 * types of arrays, so domains over enums and arrays of domains resolve without more queries.
 */
const TYPES_SQL = `
WITH RECURSIVE used(oid) AS (
  SELECT DISTINCT a.atttypid FROM pg_catalog.pg_attribute a
  WHERE a.attrelid = ANY(?::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
  UNION
  SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END
  FROM used u JOIN pg_catalog.pg_type t ON t.oid = u.oid
  WHERE (t.typtype = 'd' AND t.typbasetype <> 0) OR (t.typcategory = 'A' AND t.typelem <> 0)
)
SELECT t.oid AS oid, t.typname::text AS name, n.nspname::text AS schema, t.typtype::text AS typtype,
       t.typcategory::text AS category, t.typelem AS elem, t.typbasetype AS base, t.typtypmod AS typmod,
       (SELECT json_agg(e.enumlabel::text ORDER BY e.enumsortorder)
          FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS enum_values
FROM used u
JOIN pg_catalog.pg_type t ON t.oid = u.oid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace`;

/**
 * Primary, unique, foreign key and single-column CHECK constraints with column names in key order.
 * conparentid <> 0 marks the per-partition copies PostgreSQL adds to a foreign key that
 * references a partitioned table; only the constraint on the parent is the real one.
 * A CHECK added NOT VALID may not hold for existing rows, so only validated ones come with their expression.
 */
const CONSTRAINTS_SQL = `
SELECT con.conrelid AS relid, con.conname::text AS name, con.contype::text AS contype,
       rn.nspname::text AS ref_schema, rc.relname::text AS ref_table,
       CASE WHEN con.contype = 'c' AND con.convalidated THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid) END
         AS check_expr,
       (SELECT json_agg(a.attname::text ORDER BY k.ord)
          FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
       (SELECT json_agg(a.attname::text ORDER BY k.ord)
          FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS ref_columns
FROM pg_catalog.pg_constraint con
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.conrelid = ANY(?::oid[]) AND con.conparentid = 0
  AND (con.contype IN ('p', 'u', 'f') OR (con.contype = 'c' AND cardinality(con.conkey) = 1))`;

/**
 * Unique indexes that back no constraint, leaving out partial and expression indexes
 * (they do not make a plain column list unique), invalid ones, and INCLUDE columns.
 */
const UNIQUE_INDEXES_SQL = `
SELECT i.indrelid AS relid, ic.relname::text AS name,
       (SELECT json_agg(a.attname::text ORDER BY k.ord)
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE k.ord <= i.indnkeyatts) AS columns
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY(?::oid[])
  AND i.indisunique AND NOT i.indisprimary AND i.indisvalid
  AND i.indpred IS NULL
  AND NOT (0 = ANY(i.indkey::int2[]))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid)`;

// ---------------------------------------------------------------------------
// Narrowing of driver values (the host may configure its own type parsers)
// ---------------------------------------------------------------------------

function rowsOf(result: unknown): Row[] {
  const rows = (result as { rows?: unknown } | null)?.rows;
  return Array.isArray(rows) ? (rows as Row[]) : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function strOrNull(value: unknown): string | null {
  return value == null ? null : str(value);
}

/** Oids and int2/int4 come back as numbers from node-postgres, but accept strings too. */
function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function bool(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}

/** A json_agg result: parsed JSON by default, a string when the host turned JSON parsing off. */
function stringList(value: unknown): string[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? parsed.map(str) : [];
}

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

interface PgType {
  readonly oid: number;
  readonly name: string;
  readonly schema: string;
  readonly typtype: string;
  readonly category: string;
  readonly elem: number;
  readonly base: number;
  readonly typmod: number;
  readonly enumValues: string[] | null;
}

type TypeMap = ReadonlyMap<number, PgType>;

function toPgType(row: Row): PgType {
  return {
    oid: num(row.oid),
    name: str(row.name),
    schema: str(row.schema),
    typtype: str(row.typtype),
    category: str(row.category),
    elem: num(row.elem),
    base: num(row.base),
    typmod: num(row.typmod),
    enumValues: row.enum_values == null ? null : stringList(row.enum_values),
  };
}

/** Built-in scalar types by pg_catalog name. */
const SCALAR_TYPES: Readonly<Record<string, NormalizedType>> = {
  int2: 'integer',
  int4: 'integer',
  int8: 'integer',
  float4: 'number',
  float8: 'number',
  numeric: 'decimal',
  money: 'decimal',
  bool: 'boolean',
  bpchar: 'string',
  varchar: 'string',
  text: 'string',
  name: 'string',
  char: 'string',
  inet: 'string',
  cidr: 'string',
  macaddr: 'string',
  macaddr8: 'string',
  xml: 'string',
  interval: 'string',
  date: 'date',
  timestamp: 'datetime',
  timestamptz: 'datetime',
  time: 'time',
  timetz: 'time',
  json: 'json',
  jsonb: 'json',
  uuid: 'uuid',
  bytea: 'binary',
};

/** Follows a domain chain to its base type; the typmod is the first one set along the way. */
function resolveDomain(oid: number, typmod: number, types: TypeMap): { type: PgType | undefined; typmod: number } {
  let type = types.get(oid);
  let mod = typmod;
  // The guard only protects against a malformed catalog; domains cannot be cyclic.
  for (let depth = 0; type?.typtype === 'd' && depth < 32; depth++) {
    if (mod < 0) mod = type.typmod;
    type = types.get(type.base);
  }
  return { type, typmod: mod };
}

function scalarType(type: PgType): NormalizedType {
  // citext is an extension type, so it lives in whatever schema the extension was installed in.
  if (type.name === 'citext') return 'string';
  if (type.schema !== 'pg_catalog') return 'unknown';
  return SCALAR_TYPES[type.name] ?? 'unknown';
}

interface ResolvedType {
  readonly type: NormalizedType;
  readonly base: PgType | undefined;
  readonly typmod: number;
  readonly enumValues: readonly string[] | null;
  readonly elementType: NormalizedType | null;
}

function resolveType(oid: number, typmod: number, types: TypeMap, depth = 0): ResolvedType {
  const { type: base, typmod: mod } = resolveDomain(oid, typmod, types);
  const plain = { base, typmod: mod, enumValues: null, elementType: null };
  if (base === undefined) return { ...plain, type: 'unknown' };
  if (base.typtype === 'e') return { ...plain, type: 'enum', enumValues: base.enumValues ?? [] };
  if (base.category === 'A' && base.elem !== 0 && depth < 8) {
    // Multi-dimensional arrays share the element type of the one-dimensional array.
    return { ...plain, type: 'array', elementType: resolveType(base.elem, -1, types, depth + 1).type };
  }
  return { ...plain, type: scalarType(base) };
}

// ---------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------

/** Header bytes PostgreSQL adds to varchar/char/numeric typmods (VARHDRSZ). */
const VARHDRSZ = 4;

function maxLengthOf(resolved: ResolvedType): number | null {
  const name = resolved.base?.schema === 'pg_catalog' ? resolved.base.name : null;
  if ((name === 'varchar' || name === 'bpchar') && resolved.typmod >= VARHDRSZ) return resolved.typmod - VARHDRSZ;
  return null;
}

/** numeric(p,s) packs precision in the high 16 bits and a signed 11-bit scale in the low bits. */
function numericPrecisionOf(resolved: ResolvedType): { precision: number | null; scale: number | null } {
  const isNumeric = resolved.base?.schema === 'pg_catalog' && resolved.base.name === 'numeric';
  if (!isNumeric || resolved.typmod < VARHDRSZ) return { precision: null, scale: null };
  const packed = resolved.typmod - VARHDRSZ;
  return { precision: (packed >> 16) & 0xffff, scale: ((packed & 0x7ff) ^ 1024) - 1024 };
}

/** A quoted literal with an optional cast, e.g. `'abc'::character varying` or `'{}'::integer[]`. */
const QUOTED_LITERAL = /^'((?:[^']|'')*)'(?:::[\w\s."[\](),]+)?$/;
/** An explicit NULL default, e.g. `NULL::character varying`. */
const NULL_LITERAL = /^NULL(?:::[\w\s."[\](),]+)?$/i;

/** Unquotes simple literals; keeps every other expression (`now()`, `nextval(...)`) as written. */
function defaultOf(expression: string | null): string | null {
  if (expression === null || NULL_LITERAL.test(expression)) return null;
  const literal = QUOTED_LITERAL.exec(expression)?.[1];
  return literal === undefined ? expression : literal.replace(/''/g, "'");
}

function toColumn(row: Row, types: TypeMap): ColumnModel {
  const resolved = resolveType(num(row.typid), num(row.typmod), types);
  const generated = str(row.generated) === 's';
  // The pg_attrdef entry of a generated column is its generation expression, not a default.
  const expression = generated ? null : strOrNull(row.default_expr);
  const identity = str(row.identity);
  const base = resolved.base;
  return {
    name: str(row.name),
    type: resolved.type,
    nativeType: str(row.native_type),
    nullable: !bool(row.not_null),
    default: defaultOf(expression),
    autoIncrement: identity === 'a' || identity === 'd' || (expression?.startsWith('nextval(') ?? false),
    generated,
    maxLength: maxLengthOf(resolved),
    ...numericPrecisionOf(resolved),
    withTimeZone: resolved.type === 'datetime' && base?.name === 'timestamptz',
    enumValues: resolved.enumValues,
    elementType: resolved.elementType,
    comment: strOrNull(row.comment),
  };
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

interface Keys {
  primaryKey: string[] | null;
  unique: UniqueKeyModel[];
  foreign: ForeignKeyModel[];
  /** Value lists of the table's CHECK constraints. */
  checks: CheckedValues[];
}

function keysFor(byRelation: Map<number, Keys>, relid: number): Keys {
  let keys = byRelation.get(relid);
  if (keys === undefined) {
    keys = { primaryKey: null, unique: [], foreign: [], checks: [] };
    byRelation.set(relid, keys);
  }
  return keys;
}

function addConstraint(keys: Keys, row: Row): void {
  const name = str(row.name);
  const columns = stringList(row.columns);
  const contype = str(row.contype);
  if (contype === 'p') keys.primaryKey = columns;
  else if (contype === 'u') keys.unique.push({ name, columns });
  else if (contype === 'c') {
    const expression = strOrNull(row.check_expr);
    const checked = expression === null ? null : checkedValues(expression, POSTGRES_LEXICON);
    if (checked) keys.checks.push(checked);
  } else {
    keys.foreign.push({
      name,
      columns,
      referencedSchema: strOrNull(row.ref_schema),
      referencedTable: str(row.ref_table),
      referencedColumns: stringList(row.ref_columns),
    });
  }
}

/** Same columns in any order make the same key, so compare them as a set. */
function columnSetKey(columns: readonly string[]): string {
  return JSON.stringify([...columns].sort(compareText));
}

/** Drops unique keys that repeat the primary key or an earlier key (constraints come first). */
function distinctUniqueKeys(keys: Keys): UniqueKeyModel[] {
  const seen = new Set<string>();
  if (keys.primaryKey) seen.add(columnSetKey(keys.primaryKey));
  const result: UniqueKeyModel[] = [];
  for (const key of keys.unique) {
    const setKey = columnSetKey(key.columns);
    if (seen.has(setKey)) continue;
    seen.add(setKey);
    result.push(key);
  }
  return result.sort((a, b) => compareText(a.name ?? '', b.name ?? ''));
}

// ---------------------------------------------------------------------------
// Assembly
// ---------------------------------------------------------------------------

/** Code-unit order, so the result does not depend on the database or the process locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function kindOf(relkind: string): RelationKind {
  if (relkind === 'v') return 'view';
  if (relkind === 'm') return 'materialized_view';
  return 'table';
}

function groupColumns(rows: readonly Row[], types: TypeMap): Map<number, ColumnModel[]> {
  const byRelation = new Map<number, ColumnModel[]>();
  // Rows arrive in (attrelid, attnum) order, so appending keeps columns in ordinal order.
  for (const row of rows) {
    const relid = num(row.relid);
    const columns = byRelation.get(relid) ?? [];
    columns.push(toColumn(row, types));
    byRelation.set(relid, columns);
  }
  return byRelation;
}

function groupKeys(constraintRows: readonly Row[], indexRows: readonly Row[]): Map<number, Keys> {
  const byRelation = new Map<number, Keys>();
  for (const row of constraintRows) addConstraint(keysFor(byRelation, num(row.relid)), row);
  for (const row of indexRows) {
    keysFor(byRelation, num(row.relid)).unique.push({ name: str(row.name), columns: stringList(row.columns) });
  }
  return byRelation;
}

function toTable(row: Row, columns: Map<number, ColumnModel[]>, keys: Map<number, Keys>): TableModel {
  const oid = num(row.oid);
  const tableKeys = keys.get(oid) ?? { primaryKey: null, unique: [], foreign: [], checks: [] };
  return {
    schema: str(row.schema),
    name: str(row.name),
    kind: kindOf(str(row.relkind)),
    comment: strOrNull(row.comment),
    // reltuples: the planner's estimate, -1 until the table is first analyzed or vacuumed.
    rowEstimate: row.row_estimate === null || row.row_estimate === undefined ? null : Number(row.row_estimate),
    columns: withCheckedValues(columns.get(oid) ?? [], tableKeys.checks, POSTGRES_LEXICON),
    primaryKey: tableKeys.primaryKey,
    uniqueKeys: distinctUniqueKeys(tableKeys),
    foreignKeys: tableKeys.foreign.sort((a, b) => compareText(a.name ?? '', b.name ?? '')),
  };
}

async function introspect(knex: Knex, options: IntrospectOptions): Promise<DatabaseModel> {
  const schemas = options.schemas ? [...options.schemas] : null;
  const relations = rowsOf(await knex.raw(RELATIONS_SQL, [schemas]));
  const oids = relations.map((row) => num(row.oid));
  const byOids = async (sql: string): Promise<Row[]> => rowsOf(await knex.raw(sql, [oids]));
  // The remaining queries are independent; with a pool they run concurrently.
  const [columnRows, typeRows, constraintRows, indexRows] = await Promise.all([
    byOids(COLUMNS_SQL),
    byOids(TYPES_SQL),
    byOids(CONSTRAINTS_SQL),
    byOids(UNIQUE_INDEXES_SQL),
  ]);
  const types = new Map(typeRows.map((row) => [num(row.oid), toPgType(row)] as const));
  const columns = groupColumns(columnRows, types);
  const keys = groupKeys(constraintRows, indexRows);
  const tables = relations
    .map((row) => toTable(row, columns, keys))
    .sort((a, b) => compareText(a.schema, b.schema) || compareText(a.name, b.name));
  return { dialect: 'postgresql', tables };
}

/**
 * Introspects PostgreSQL through the host's Knex by reading pg_catalog directly.
 *
 * Runs five catalog queries whatever the number of tables. Reads the schemas in
 * `options.schemas`, or the connection's `current_schema()` when none are given; system
 * schemas are never read. Partitioned tables appear once, as tables; their partitions do not, nor do the
 * inheritance children of a readable table in the same schemas (the ancestor's rows include theirs).
 */
export const postgresIntrospector: Introspector = {
  introspect,
  async listSchemas(knex) {
    return rowsOf(await knex.raw(SCHEMAS_SQL)).map((row) => str(row.name));
  },
};
