import { createHash } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type ColumnModel, type Conexor, type Dialect, type NormalizedType } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { snakeCase } from '../../src/shared/snake-case.js';
import { snapshot, type Snapshot } from '../support/snapshot.js';
import { connectClient, textOf } from '../support/mcp.js';

/**
 * Property-based fuzzing of every generated tool through a real MCP client, on every dialect: the typed tools of
 * every table, and the generic tools (`query`, `count`, `aggregate` with a `table` argument, `search_tables`) of a
 * compact catalog that excludes the `victim` table.
 *
 * For each tool, fast-check generates arguments from (a) arbitrary JSON, (b) structure-aware mutations of valid
 * arguments (hostile values, names and shapes; for aggregate tools also hostile group keys, metrics, having and
 * order_by entries; relative times in filters) and (c) valid arguments built from the documented grammar. Every
 * call must resolve in time with either a validation error, a sanitized database message, or a result whose rows
 * hold only the table's visible fields. After each property run the schema and every row of every table must be
 * unchanged, and a normal call must still answer.
 *
 * Reproduce a failure with the seed printed by fast-check, or rerun a dialect with CONEXOR_FUZZ_SEED=<seed>;
 * CONEXOR_FUZZ_SCALE=<n> multiplies the number of runs.
 */

const BASE_SEEDS: Record<Dialect, number> = { sqlite: 0x5eed_0001, postgresql: 0x5eed_0002, mysql: 0x5eed_0003 };
const SEED_OVERRIDE = process.env.CONEXOR_FUZZ_SEED ? Number(process.env.CONEXOR_FUZZ_SEED) : undefined;
/** Runs per tool and property; CONEXOR_FUZZ_SCALE=10 fuzzes ten times longer (the default keeps the file well under 90 s). */
const SCALE = Math.max(1, Number(process.env.CONEXOR_FUZZ_SCALE ?? 1) || 1);
const RUNS = { json: 30 * SCALE, mutation: 40 * SCALE, valid: 30 * SCALE } as const;
const CALL_TIMEOUT_MS = 10_000;
const MAX_ROWS = 100;
const DEFAULT_LIMIT = 25;
const MAX_LIST = 100;
const MAX_STRING = 1000;
const MAX_GROUP_BY = 5;
const MAX_METRICS = 10;
const MAX_CONDITIONS = 20;
/** The pinned server clock: relative times resolve the same way in every run, and near the rows' own dates. */
const NOW = '2024-05-01T13:45:30Z';

/** A value that must never leave the database: it sits in a column conexor hides as secret-looking. */
const CANARY = 'CANARY-5f1e-secret-do-not-leak';

const HOSTILE_TABLE_CANDIDATES = ['t.x as y"; DROP TABLE victim; --', 'select; drop table victim'];
// Knex's SQLite CHECK for an enum does not escape quotes, so the values stay quote-free.
const ENUM_VALUES = ['sad', 'ok', 'on hold, maybe'] as const;

/** Column names of the hostile table: a dot, an alias, a placeholder, a reserved word. */
const HOSTILE_COLUMNS = { id: 'id', dotted: 'a.b', alias: 'x" as "y', question: 'what?', reserved: 'order' } as const;

/** Text an error may not contain once JSON-quoted (echoed) input is removed: SQL, stack frames, object dumps. */
const LEAKS = [/select /i, /insert /i, /drop /i, /delete /i, /update /i, / from "/i, / from `/i, /\n\s+at /, /\bat .+:\d+:\d+/, /\[object Object\]/, /undefined/, /\bknex\b/i];

/**
 * Sanitized database failures (src/execute/errors.ts) a fuzzed call may end in: a value the column's type cannot
 * hold, or the time limit. The generic "could not run the query" is not among them: with identifiers taken from the
 * schema and values bound, it would mean input changed the SQL (a syntax error) or conexor crashed (a TypeError
 * is reported the same way).
 */
const DB_MESSAGES = [
  /^A filter value is not valid for its column's type \(database code [\w-]+\)\.$/,
  /^The query exceeded the statement time limit and was stopped by the database\./,
];
/** JavaScript exceptions in the host's log: conexor itself failed, whatever the model was told. */
const CRASHES = /"type":"(TypeError|RangeError|ReferenceError|SyntaxError|InternalError)"/;

const OPS_BY_TYPE: Record<NormalizedType, readonly string[]> = (() => {
  const nullTests = ['is_null', 'is_not_null'];
  const comparable = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between', ...nullTests];
  const equality = ['eq', 'neq', 'in', 'not_in', ...nullTests];
  return {
    string: [...comparable, 'contains', 'starts_with', 'ends_with', 'ieq', 'iin'],
    integer: comparable,
    number: comparable,
    decimal: comparable,
    date: comparable,
    datetime: comparable,
    time: comparable,
    uuid: equality,
    enum: equality,
    boolean: ['eq', 'neq', ...nullTests],
    json: nullTests,
    binary: nullTests,
    array: nullTests,
    unknown: nullTests,
  };
})();
const ALL_OPS = [...new Set(Object.values(OPS_BY_TYPE).flat())];

// Aggregates (docs/tools.md): which field types group, and which metric applies to which type.
const BUCKETS = ['hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
const METRIC_FNS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'] as const;
const HAVING_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
const GROUPABLE_TYPES: ReadonlySet<NormalizedType> = new Set(['string', 'integer', 'number', 'decimal', 'boolean', 'date', 'datetime', 'time', 'uuid', 'enum']);
const NUMERIC_TYPES: ReadonlySet<NormalizedType> = new Set(['integer', 'number', 'decimal']);
const ORDERED_TYPES: ReadonlySet<NormalizedType> = new Set([...NUMERIC_TYPES, 'date', 'datetime', 'time']);
function metricFits(fn: string, type: NormalizedType): boolean {
  if (fn === 'sum' || fn === 'avg') return NUMERIC_TYPES.has(type);
  if (fn === 'min' || fn === 'max') return ORDERED_TYPES.has(type);
  return GROUPABLE_TYPES.has(type);
}
type GroupKey = string | { field: string; bucket: string };
interface MetricArg {
  fn: string;
  field?: string;
  as?: string;
}
const groupOutput = (key: GroupKey) => (typeof key === 'string' ? key : `${key.field}_${key.bucket}`);
const metricOutput = (metric: MetricArg) => metric.as ?? (metric.field === undefined ? 'count' : `${metric.fn}_${metric.field.replace(/\./g, '_')}`);
/** The output names of an accepted aggregate call, group keys first. */
function aggregateOutputs(args: Record<string, unknown>): string[] {
  const groups = (args.group_by ?? []) as GroupKey[];
  const metrics = (args.metrics ?? [{ fn: 'count' }]) as MetricArg[];
  return [...groups.map(groupOutput), ...metrics.map(metricOutput)];
}
const SHAPE: Record<string, 'scalar' | 'list' | 'pair' | 'none' | 'text'> = {
  eq: 'scalar',
  neq: 'scalar',
  gt: 'scalar',
  gte: 'scalar',
  lt: 'scalar',
  lte: 'scalar',
  in: 'list',
  not_in: 'list',
  between: 'pair',
  is_null: 'none',
  is_not_null: 'none',
  contains: 'text',
  starts_with: 'text',
  ends_with: 'text',
  ieq: 'scalar',
  iin: 'list',
};

// ---------------------------------------------------------------------------------------------------------------
// Hostile building blocks

const SQL_STRINGS = [
  "' OR '1'='1",
  "' OR 1=1 --",
  '" OR ""="',
  "'; DROP TABLE victim; --",
  'COMMIT; DROP TABLE victim;',
  'SELECT 1--1;DROP TABLE victim',
  "1' UNION SELECT name FROM victim --",
  'WITH x AS (DELETE FROM victim RETURNING *) SELECT 1',
  "/*!50000 DROP TABLE victim */",
  "EXEC('DELETE FROM victim')",
  "'; SELECT pg_sleep(5); --",
  "1 AND SLEEP(5)",
  '`; DROP TABLE victim; --',
  '\\',
  "\\'",
  '\\x27',
  '%27',
  '\u0000',
  "a\u0000'; DROP TABLE victim; --",
  '\u02bc OR 1=1 --',
  '\uff07 OR 1=1 --',
  '%',
  '_',
  '!',
  '%_!%',
  '?',
  '??',
  '$1',
  ':name',
  '\r\n',
  '\u202e',
  '\ud800',
  '🎉',
  'Cafe\u0301',
  'x'.repeat(MAX_STRING),
  'x'.repeat(MAX_STRING + 1),
];
const NAN_LIKE = ['NaN', 'Infinity', '-Infinity', '1e309', '-1e309', '0x10', '1_000', '', ' ', '١٢٣', '1,5', '+1', '01', '1e3', 'null', 'true', 'undefined'];
const JUNK_DATES = [
  '2024-02-30',
  '2023-02-29',
  '2024-13-01',
  '2024-00-10',
  '0000-01-01',
  '0001-01-01',
  '9999-12-31T23:59:59.999999999Z',
  '2024-01-01T24:00',
  '2024-01-01T23:60',
  '2024-01-01T23:59:60',
  '2024-01-01 00:00:00+25:00',
  '2024-01-01T00:00:00+99:99',
  '2024-01-01T00:00-0000',
  '2024-1-1',
  ' 2024-01-01',
  '2024-01-01 ',
  '2024-01-01\u0000',
  '2024-01-01T00:00:00Z; DROP TABLE victim',
  '+275760-09-13',
  '-000001-01-01',
  '99999-01-01',
  '24:00',
  '23:59:59.9999999999',
  '99:99',
  '12:00 PM',
  '00:00:00Z',
  '2024-01-01T12:00:00.000+14:00',
  '2024-01-01T12:00:00.000-12:00',
];
const INTEGER_EDGES = [
  0,
  -1,
  127,
  128,
  -129,
  255,
  256,
  32767,
  32768,
  -32768,
  -32769,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  2 ** 63,
  -(2 ** 63),
  2 ** 64,
  1e308,
  -1e308,
  5e-324,
  0.1,
  1.5,
  -0.5,
];
const OBJECT_VALUES: unknown[] = [
  {},
  { $ne: 1 },
  { raw: 'DROP TABLE victim' },
  { sql: 'DROP TABLE victim', bindings: [] },
  { toString: 'x' },
  { valueOf: 1 },
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
  { field: 'id', op: 'eq', value: 1 },
];
const HOSTILE_NAMES = [
  '',
  ' ',
  '*',
  'id as x',
  'id AS "x"',
  'id" as "x',
  'victim.name',
  'a.b.c',
  'id; DROP TABLE victim',
  'id asc; drop table victim',
  'id`',
  'id"',
  "id'",
  'ID',
  'Id ',
  ' id',
  '(SELECT 1)',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'password_hash',
  'x'.repeat(200),
  'id\u0000',
  'ｉｄ',
];
const HOSTILE_OPS = ['like', 'ilike', 'LIKE', 'regexp', 'raw', '=', '<>', 'EQ', ' eq', 'eq ', 'eq; DROP TABLE victim', 'IS NULL', '__proto__', 'constructor', 'and', 'or', 'not'];
const HOSTILE_DIRECTIONS = ['ASC', 'DESC', ' asc', 'desc ', 'asc nulls first', 'desc; DROP TABLE victim', 'random()', '', 'up', 'down', '1'];
const HOSTILE_FNS = ['COUNT', 'Count', 'count(*)', 'count(id)', 'sum(', 'sum(id); DROP TABLE victim', 'stddev', 'median', 'group_concat', 'string_agg', 'array_agg', 'json_agg', 'distinct', 'count distinct', 'count_distinct ', ' sum', 'pg_sleep', 'sleep', 'raw', '__proto__', 'constructor', ''];
const HOSTILE_BUCKETS = ['minute', 'second', 'decade', 'century', 'millennium', 'epoch', 'dow', 'isoyear', 'MONTH', 'month ', 'week; DROP TABLE victim', "'%Y'", '%Y-%m', 'YYYY', 'yyyy-MM', '', '__proto__'];
/** Output names (`as`) that are not lowercase identifiers, or that clash, or that spell SQL. */
const HOSTILE_OUTPUTS = ['Count', 'COUNT', 'a b', 'a.b', 'a-b', '1abc', '', 'x" as "y', "x' --", 'x`', 'count; DROP TABLE victim', 'ｃｏｕｎｔ', 'é', 'a'.repeat(65), '__proto__', 'constructor'];
/** Relative times as docs/tools.md defines them; valid only as filter values of date and date-time fields. */
const RELATIVE_TIMES: unknown[] = [
  'now',
  { ago: { days: 7 } },
  { ago: { hours: 36, minutes: 5 } },
  { ago: { years: 1, months: 2, weeks: 3 } },
  { ago: { days: 0 } },
  { start_of: 'day' },
  { start_of: 'week', offset: -1 },
  { start_of: 'month', offset: 1 },
  { start_of: 'quarter' },
  { start_of: 'year', offset: -30 },
];
/** Relative times that are not: negative, fractional, huge, unknown units, mixed forms, wrong types. */
const RELATIVE_JUNK: unknown[] = [
  'NOW',
  'now()',
  ' now',
  'now ',
  'today',
  'yesterday',
  'CURRENT_TIMESTAMP',
  "now'; DROP TABLE victim; --",
  { ago: {} },
  { ago: { days: -1 } },
  { ago: { days: 1.5 } },
  { ago: { days: 1e308 } },
  { ago: { years: 2 ** 53 } },
  { ago: { years: 300_000 } },
  { ago: { minutes: 2 ** 31 } },
  { ago: { days: '7' } },
  { ago: { days: null } },
  { ago: { fortnights: 1 } },
  { ago: { days: 1, __proto__: { hours: 1 } } },
  { ago: 7 },
  { ago: null },
  { ago: [7] },
  { start_of: 'decade' },
  { start_of: 'DAY' },
  { start_of: 'day', offset: 1e15 },
  { start_of: 'year', offset: -1e6 },
  { start_of: 'month', offset: 2 ** 31 },
  { start_of: 'day', offset: 0.5 },
  { start_of: 'day', offset: '1' },
  { start_of: null },
  { start_of: 'day', extra: 1 },
  { ago: { days: 1 }, start_of: 'day' },
  { now: true },
];
const EXTRA_KEYS = ['sql', 'raw', 'table', 'from', 'select', 'group_by', 'having', 'join', '__proto__', 'constructor', 'where ', 'WHERE', 'limit', 'offset', 'where'];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SQL_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...NAN_LIKE) },
  { weight: 3, arbitrary: fc.constantFrom(...JUNK_DATES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom("'", '"', '\\', '`', ';', '-', '/', '*', '%', '_', '\u0000', ' ', 'a', '?'), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
);
const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INTEGER_EDGES) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.maxSafeInteger() },
);
const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null));
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileScalar },
  { weight: 2, arbitrary: fc.array(hostileScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(...OBJECT_VALUES) },
  { weight: 1, arbitrary: fc.constantFrom(...RELATIVE_TIMES, ...RELATIVE_JUNK) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.array(hostileScalar, { maxLength: 2 }), { maxLength: 2 }) },
);

/** What a real wire would deliver: the SDK's in-memory transport passes objects by reference. */
function asJson<T>(value: T): T {
  const text = JSON.stringify(value);
  return (text === undefined ? null : JSON.parse(text)) as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Schema under test

interface FieldInfo {
  readonly field: string;
  readonly column: ColumnModel;
}
interface TableInfo {
  readonly name: string;
  readonly fields: readonly FieldInfo[];
}
/** One table as the `conexor://schema` resource describes it (src/server/schema-resource.ts). */
interface SchemaTable {
  readonly table: string;
  readonly schema: string;
  readonly tools: readonly string[];
  readonly fields: readonly { readonly name: string; readonly column?: string; readonly type: string }[];
}
interface ToolInfo {
  readonly name: string;
  readonly kind: 'query' | 'lookup' | 'count' | 'aggregate';
  readonly table: TableInfo;
  /** A lookup's key fields with their arguments (spelled as the tool name spells them, snake_case). */
  readonly keyFields: readonly (FieldInfo & { readonly argument: string })[];
  readonly definition: Tool;
  /** A generic tool's `table` argument (it is called on the compact server); absent for a typed tool. */
  readonly generic?: string;
}

/** `query_all_types`, or `query(table all_types)` for a generic tool. */
const labelOf = (tool: ToolInfo) => (tool.generic === undefined ? tool.name : `${tool.name}(table ${tool.generic})`);

/** A generic tool's arguments: `table` set over any other, when the arguments are an object at all. */
function withTable(args: unknown, table: string): unknown {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return args;
  return Object.defineProperty({ ...(args as Record<string, unknown>) }, 'table', { value: table, enumerable: true, configurable: true, writable: true });
}

const q = (dialect: Dialect, name: string) => (dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`);
/** A statement without bindings; PostgreSQL's Knex client would read every `?` as a placeholder. */
const exec = (db: TestDatabase, sql: string) => db.knex.raw(db.dialect === 'postgresql' ? sql.replace(/\?/g, '\\?') : sql);
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function createSchema(db: TestDatabase): Promise<string> {
  const { knex, dialect } = db;
  await knex.schema.createTable('all_types', (t) => {
    t.increments('id');
    t.integer('n_int');
    t.smallint('n_small');
    t.bigInteger('n_big');
    // Knex makes a SQLite decimal a float; the declared type is what conexor reads as decimal.
    if (dialect === 'sqlite') t.specificType('n_dec', 'decimal(12,3)');
    else t.decimal('n_dec', 12, 3);
    t.float('n_float');
    t.double('n_double');
    t.text('s_text');
    t.string('s_varchar', 64).unique();
    t.boolean('b_bool');
    t.date('d_date');
    t.datetime('d_datetime', { useTz: false });
    t.timestamp('d_instant', { useTz: true }).nullable();
    t.time('d_time');
    t.uuid('u_uuid');
    if (dialect === 'postgresql') t.enu('e_enum', [...ENUM_VALUES], { useNative: true, enumName: 'fuzz_mood' });
    else t.enu('e_enum', [...ENUM_VALUES]);
    t.json('j_json');
    t.binary('bin');
    t.string('password_hash', 100);
  });
  const base = {
    d_datetime: '2024-05-01 13:45:00',
    d_instant: '2024-05-01 13:45:00',
    d_time: '13:45:00',
  };
  await knex('all_types').insert([
    {
      ...base,
      n_int: 2 ** 31 - 1,
      n_small: 32767,
      n_big: '9223372036854775807',
      n_dec: '123456789.123',
      n_float: 1.5,
      n_double: 1e300,
      s_text: `it's "quoted" \\ back; DROP TABLE victim; --`,
      s_varchar: 'alpha',
      b_bool: true,
      d_date: '2024-02-29',
      u_uuid: '123e4567-e89b-12d3-a456-426614174000',
      e_enum: ENUM_VALUES[0],
      j_json: JSON.stringify({ a: 1, sql: "'; DROP TABLE victim; --" }),
      bin: Buffer.from([0, 1, 2, 39, 92, 255]),
      password_hash: CANARY,
    },
    {
      ...base,
      n_int: -(2 ** 31),
      n_small: -32768,
      n_big: '-9223372036854775808',
      n_dec: '-999999999.999',
      n_float: -1.5,
      n_double: -1e300,
      s_text: "O'Brien",
      s_varchar: "beta'; --",
      b_bool: false,
      d_date: '1970-01-01',
      d_datetime: '1999-12-31 23:59:59',
      u_uuid: '00000000-0000-0000-0000-000000000000',
      e_enum: ENUM_VALUES[2],
      j_json: JSON.stringify([1, 'two', null]),
      bin: Buffer.alloc(0),
      password_hash: CANARY,
    },
    {
      ...base,
      n_int: 0,
      n_small: 0,
      n_big: '0',
      n_dec: '0.000',
      n_float: 0,
      n_double: 0,
      s_text: '🎉 שלום Cafe\u0301 100% under_score',
      s_varchar: 'gamma',
      b_bool: true,
      d_date: '2000-01-01',
      u_uuid: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
      e_enum: ENUM_VALUES[1],
      j_json: JSON.stringify('text'),
      bin: Buffer.from('binary'),
      password_hash: CANARY,
    },
    { password_hash: CANARY },
  ]);

  await knex.schema.createTable('composite', (t) => {
    t.integer('k_int').notNullable();
    t.string('k_text', 40).notNullable();
    t.string('val', 40);
    t.primary(['k_int', 'k_text']);
    t.unique(['val', 'k_int']);
  });
  await knex('composite').insert([
    { k_int: 1, k_text: 'a', val: 'one' },
    { k_int: 1, k_text: "b'; DROP TABLE victim; --", val: 'two' },
    { k_int: -5, k_text: '', val: null },
  ]);

  let hostile: string | undefined;
  for (const name of HOSTILE_TABLE_CANDIDATES) {
    try {
      const c = (column: string) => q(dialect, column);
      await exec(
        db,
        `CREATE TABLE ${q(dialect, name)} (${c(HOSTILE_COLUMNS.id)} INTEGER PRIMARY KEY, ${c(HOSTILE_COLUMNS.dotted)} VARCHAR(50) UNIQUE, ` +
          `${c(HOSTILE_COLUMNS.alias)} VARCHAR(50), ${c(HOSTILE_COLUMNS.question)} INTEGER, ${c(HOSTILE_COLUMNS.reserved)} VARCHAR(50))`,
      );
      await exec(
        db,
        `INSERT INTO ${q(dialect, name)} (${Object.values(HOSTILE_COLUMNS).map(c).join(', ')}) VALUES ` +
          `(1, ${literal('x.y')}, ${literal('" as "')}, 7, ${literal('asc')}), (2, ${literal('p?q')}, NULL, NULL, ${literal('desc; drop')})`,
      );
      hostile = name;
      break;
    } catch {
      // The next candidate is tried; the dialect refuses this name.
    }
  }
  if (!hostile) throw new Error(`${dialect} accepts none of the hostile table names`);

  await knex.schema.createTable('victim', (t) => {
    t.increments('id');
    t.string('name', 200);
  });
  await knex('victim').insert([{ name: 'alice' }, { name: 'bob' }, { name: "Robert'); DROP TABLE students;--" }]);
  return hostile;
}



/** `InvoiceLine` → `invoice_line`, as docs/tools.md names tools. */
function snake(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** A tool's kind, as the first words of its description state it (src/tools/kinds.ts). */
function kindOf(tool: Tool): ToolInfo['kind'] {
  const description = tool.description ?? '';
  if (description.startsWith('Rows of ')) return 'query';
  if (description.startsWith('One row of ')) return 'lookup';
  if (description.startsWith('Count rows of ')) return 'count';
  if (description.startsWith('Group and summarize rows of ')) return 'aggregate';
  throw new Error(`${tool.name}: no kind in its description: ${description.slice(0, 80)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Valid values, from the documented grammar

function integerBounds(dialect: Dialect, nativeType: string): [number, number] {
  if (dialect === 'sqlite') return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  const native = nativeType.toLowerCase();
  const unsigned = native.includes('unsigned');
  const bits = /^(tinyint)/.test(native) ? 8 : /^(smallint|int2)/.test(native) ? 16 : /^mediumint/.test(native) ? 24 : /^(bigint|int8|bigserial)/.test(native) ? 64 : 32;
  const clamp = (value: number) => Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, value));
  return unsigned ? [0, clamp(2 ** bits - 1)] : [clamp(-(2 ** (bits - 1))), clamp(2 ** (bits - 1) - 1)];
}

const pad = (value: number, length = 2) => String(value).padStart(length, '0');
const isoDate = (date: Date) => `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
const dateArb = fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true });
const timeArb = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.option(fc.integer({ min: 0, max: 59 })), fc.option(fc.integer({ min: 0, max: 999 })))
  .map(([h, m, s, ms]) => `${pad(h)}:${pad(m)}${s === null ? '' : `:${pad(s)}${ms === null ? '' : `.${pad(ms, 3)}`}`}`);
const zoneArb = fc.constantFrom('', '', 'Z', '+02:00', '-05:30', '+0000');
const dateTimeArb = fc
  .tuple(dateArb, fc.option(timeArb), zoneArb, fc.constantFrom('T', ' '))
  .map(([date, time, zone, sep]) => (time === null ? isoDate(date) : `${isoDate(date)}${sep}${time}${zone}`));

function textArb(minLength = 0): fc.Arbitrary<string> {
  const text = fc.oneof(
    fc.string({ minLength, maxLength: 20 }),
    fc.string({ unit: 'grapheme', minLength, maxLength: 12 }),
    fc.constantFrom(...SQL_STRINGS.filter((value) => value.length >= minLength && value.length <= MAX_STRING)),
    fc.constantFrom('alpha', 'beta', 'gamma', 'one', 'x.y', "O'Brien", 'alice', 'a'),
  );
  // A NUL is refused on every dialect (PostgreSQL text cannot hold one): not a valid value; mutations still send it.
  return text.filter((value) => !value.includes('\u0000'));
}

function validValue(dialect: Dialect, column: ColumnModel): fc.Arbitrary<unknown> {
  switch (column.type) {
    case 'integer': {
      const [min, max] = integerBounds(dialect, column.nativeType);
      return fc.oneof(fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 1000) }), fc.constantFrom(min, max, 0, 1, 2, 7), fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }));
    }
    case 'number':
    case 'decimal':
      return fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, 1.5, -1.5, 0.1), fc.integer({ min: -1000, max: 1000 }));
    case 'boolean':
      return fc.boolean();
    case 'uuid':
      return fc.oneof(fc.uuid(), fc.constantFrom('123e4567-e89b-12d3-a456-426614174000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'));
    case 'date':
      return dateArb.map(isoDate);
    case 'datetime':
      // MySQL TIMESTAMP holds 1970..2038; comparisons outside stay valid but the interesting ones are inside.
      return dialect === 'mysql' && column.nativeType.startsWith('timestamp') ? dateTimeArb.filter((text) => /^(19[7-9]\d|20[0-2]\d)/.test(text)) : dateTimeArb;
    case 'time':
      return timeArb;
    case 'enum':
      return fc.constantFrom(...(column.enumValues ?? ['']));
    case 'string':
      return textArb();
    default:
      return fc.constant(undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe.each(DIALECTS)('fuzzing every generated tool on %s', (dialect) => {
  const seed = SEED_OVERRIDE ?? BASE_SEEDS[dialect];
  let db: TestDatabase;
  let conexor: Conexor;
  let client: Client;
  /** The same database with only the generic tools (`catalog.mode: 'compact'`), and without the `victim` table. */
  let compact: Conexor;
  let compactClient: Client;
  /** The generic tools once per table they reach (`generic` is the `table` argument). */
  let generic: ToolInfo[] = [];
  let before: Snapshot;
  let tools: ToolInfo[] = [];
  let hostileTable = '';
  let calls = 0;
  const outcomes = { ok: 0, invalid: 0, database: 0 };
  const databaseErrors = new Map<string, { count: number; example: string }>();
  const logs: string[] = [];
  const rowCounts = new Map<string, number>();
  const refusedValid: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_fuzz');
    hostileTable = await createSchema(db);
    const options = {
      maxRows: MAX_ROWS,
      defaultLimit: DEFAULT_LIMIT,
      clock: () => new Date(NOW),
      logger: pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) }),
    };
    conexor = await createConexor(db.knex, options);
    client = await connectClient(conexor.createServer());
    before = await snapshot(db);
    tools = await describeTools((await client.listTools()).tools);
    compact = await createConexor(db.knex, { ...options, catalog: { mode: 'compact' }, tables: { exclude: ['victim'] } });
    compactClient = await connectClient(compact.createServer());
    generic = await describeGenericTools();
    for (const table of conexor.exposed.tables) {
      const rows = (await exec(db, `SELECT COUNT(*) AS n FROM ${q(dialect, table.table.name)}`)) as unknown;
      const list = Array.isArray(rows) ? (Array.isArray(rows[0]) ? rows[0] : rows) : (rows as { rows: unknown[] }).rows;
      rowCounts.set(table.table.name, Number((list[0] as { n: unknown }).n));
    }
    console.log(`[fuzz ${dialect}] seed=${seed} tools=${tools.length} generic=${generic.length} hostile table=${JSON.stringify(hostileTable)}`);
  });

  afterAll(async () => {
    const errors = [...databaseErrors].map(([message, { count, example }]) => `${count}× ${message} e.g. ${example}`);
    console.log(
      `[fuzz ${dialect}] seed=${seed} calls=${calls} ok=${outcomes.ok} invalid=${outcomes.invalid} database=${outcomes.database}` +
        (errors.length ? `\n  database errors:\n  ${errors.join('\n  ')}` : '') +
        (refusedValid.length ? `\n  valid arguments the database refused:\n  ${refusedValid.join('\n  ')}` : ''),
    );
    await client?.close();
    await compactClient?.close();
    await db?.destroy();
  });

  /**
   * Pairs each listed tool with its table and fields, as a client learns them: the `conexor://schema` resource gives
   * every table's fields (and the column each stands for) and its tools, each tool's description its kind, a
   * lookup's arguments its key. Column models (native types, enum values) come from `exposed`.
   */
  async function describeTools(listed: readonly Tool[]): Promise<ToolInfo[]> {
    const resource = await client.readResource({ uri: 'conexor://schema' });
    const first = resource.contents[0];
    const document = JSON.parse(first && 'text' in first ? first.text : '{}') as { tables: SchemaTable[] };
    expect(document.tables).toHaveLength(conexor.exposed.tables.length);
    const owners = new Map<string, TableInfo>();
    for (const summary of document.tables) {
      const exposed = conexor.exposed.tables.find((candidate) => candidate.table.schema === summary.schema && candidate.table.name === summary.table);
      if (!exposed) throw new Error(`the schema resource names ${summary.schema}.${summary.table}, which is not exposed`);
      const fields = summary.fields.map(({ name, column, type }): FieldInfo => {
        const model = exposed.columns.find((candidate) => candidate.name === (column ?? name));
        if (!model) throw new Error(`${summary.table}.${name}: no exposed column ${column ?? name}`);
        expect(type, `${summary.table}.${name}`).toBe(model.type);
        return { field: name, column: model };
      });
      // Every visible column is a field, once.
      expect(fields.map(({ column }) => column)).toEqual(exposed.columns);
      const info: TableInfo = { name: exposed.table.name, fields };
      for (const tool of summary.tools) {
        if (owners.has(tool)) throw new Error(`${tool} belongs to two tables`);
        owners.set(tool, info);
      }
    }
    return listed.map((tool): ToolInfo => {
      const table = owners.get(tool.name);
      if (!table) throw new Error(`tool ${tool.name} belongs to no table`);
      const kind = kindOf(tool);
      const keyFields = (kind === 'lookup' ? Object.keys(tool.inputSchema.properties ?? {}) : []).map((argument) => {
        const found = table.fields.find((field) => field.field === argument) ?? table.fields.find((field) => snakeCase(field.field) === argument);
        if (!found) throw new Error(`${tool.name}: key ${argument} is not a field`);
        return { ...found, argument };
      });
      return { name: tool.name, kind, table, keyFields, definition: tool };
    });
  }

  /**
   * The generic tools of the compact conexor once per table `search_tables` lists, each table recognised by the
   * label its detailed description starts with (`table "all_types"`) and given by its name there (the `table`
   * argument).
   */
  async function describeGenericTools(): Promise<ToolInfo[]> {
    const listed = (await compactClient.listTools()).tools;
    expect(listed.map((tool) => tool.name)).toEqual(['search_tables', 'query', 'count', 'aggregate']);
    const found = (await compactClient.callTool({ name: 'search_tables', arguments: { detail: 'columns', limit: 50 } })) as CallToolResult;
    const { tables } = found.structuredContent as { tables: { table: string; kind: string; description: string }[] };
    const typedTables = [...new Set(tools.map((tool) => tool.table))];
    const reached = tables.map(({ table: base, kind, description }) => {
      const table = typedTables.find((candidate) => description.startsWith(`${kind} "${candidate.name}".`));
      if (!table) throw new Error(`search_tables lists ${base}, which is no exposed table: ${description.slice(0, 80)}`);
      return { base, table };
    });
    // Every table but the excluded one.
    expect(reached.map(({ table }) => table.name).sort()).toEqual(typedTables.map((table) => table.name).filter((name) => name !== 'victim').sort());
    return reached.flatMap(({ base, table }) =>
      listed
        .filter((tool) => tool.name !== 'search_tables')
        .map((tool): ToolInfo => ({ name: tool.name, kind: tool.name as ToolInfo['kind'], table, keyFields: [], definition: tool, generic: base })),
    );
  }

  it('generates the expected tools, hiding the secret column and keeping hostile names out of tool names', async () => {
    const names = tools.map((tool) => tool.name).sort();
    const hostileBase = snake(hostileTable);
    expect(names).toEqual(
      [
        'query_all_types',
        'query_all_types_by_id',
        'query_all_types_by_s_varchar',
        'count_all_types',
        'aggregate_all_types',
        'query_composite',
        'query_composite_by_k_int_and_k_text',
        'query_composite_by_val_and_k_int',
        'count_composite',
        'aggregate_composite',
        `query_${hostileBase}`,
        `query_${hostileBase}_by_id`,
        `query_${hostileBase}_by_a_b`,
        `count_${hostileBase}`,
        `aggregate_${hostileBase}`,
        'query_victim',
        'query_victim_by_id',
        'count_victim',
        'aggregate_victim',
      ].sort(),
    );
    for (const name of names) expect(name).toMatch(/^[a-z0-9_]{1,64}$/);
    const allTypes = tools.find((tool) => tool.name === 'query_all_types');
    expect(allTypes?.table.fields.map((field) => field.field)).not.toContain('password_hash');
    expect(allTypes?.table.fields.length).toBe(18);
    const hostile = tools.find((tool) => tool.name === `query_${hostileBase}`);
    expect(hostile?.table.fields.map((field) => field.field)).toEqual(['id', 'a.b', 'x_as_y', 'what', 'order']);
    // The secret column is named nowhere in the listing (no field, group key or metric field), nor in the schema resource.
    expect(JSON.stringify(tools.map((tool) => tool.definition))).not.toContain('password_hash');
    expect(JSON.stringify(await client.readResource({ uri: 'conexor://schema' }))).not.toContain('password_hash');
    // Every column type the brief names is present, so every value path is fuzzed.
    const types = new Set(allTypes?.table.fields.map((field) => field.column.type));
    for (const type of ['integer', 'decimal', 'number', 'string', 'date', 'datetime', 'time', 'json', 'binary'] as const) expect(types).toContain(type);
  });

  // -------------------------------------------------------------------------------------------------------------
  // Calls and checks

  async function invoke(name: string, args: unknown, on: Client = client): Promise<CallToolResult> {
    calls += 1;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} did not answer within ${CALL_TIMEOUT_MS} ms: ${show(args)}`)), CALL_TIMEOUT_MS);
    });
    try {
      const request = on.callTool({ name, arguments: args as Record<string, unknown> }, undefined, { timeout: CALL_TIMEOUT_MS * 2 });
      return (await Promise.race([request, deadline])) as CallToolResult;
    } finally {
      clearTimeout(timer);
    }
  }

  function assertClean(text: string, context: string): void {
    const unquoted = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const leak of LEAKS) expect(unquoted, `${context}: error text leaks ${String(leak)}: ${text.slice(0, 400)}`).not.toMatch(leak);
    expect(text.length, context).toBeLessThan(3_000);
    expect(text, context).not.toContain(CANARY);
  }

  /** Calls a tool and checks the result: a clean refusal, a sanitized data error, or visible fields only. */
  async function check(tool: ToolInfo, args: unknown): Promise<CallToolResult> {
    const context = `${labelOf(tool)} ${show(args)}`;
    // A generic tool is called on its table: the `table` argument is set last, over any the generator made up.
    const result = tool.generic === undefined ? await invoke(tool.name, args) : await invoke(tool.name, withTable(args, tool.generic), compactClient);
    const text = textOf(result);
    expect(JSON.stringify(result), context).not.toContain(CANARY);
    if (result.isError) {
      assertClean(text, context);
      if (text.startsWith(`Invalid arguments for ${tool.name}: `)) {
        outcomes.invalid += 1;
      } else {
        outcomes.database += 1;
        expect(DB_MESSAGES.some((pattern) => pattern.test(text)), `${context}: unexpected database failure: ${text}`).toBe(true);
        const entry = databaseErrors.get(text) ?? { count: 0, example: context.slice(0, 300) };
        entry.count += 1;
        databaseErrors.set(text, entry);
      }
      return result;
    }
    outcomes.ok += 1;
    const visible = new Set(tool.table.fields.map((field) => field.field));
    const total = rowCounts.get(tool.table.name) ?? Number.POSITIVE_INFINITY;
    const content = result.structuredContent as Record<string, unknown> | undefined;
    expect(content, context).toBeDefined();
    const checkRow = (row: unknown) => {
      expect(row && typeof row === 'object' && !Array.isArray(row), context).toBe(true);
      for (const key of Object.keys(row as object)) expect(visible.has(key), `${context}: row has field ${key}`).toBe(true);
    };
    if (tool.kind === 'query') {
      const rows = content?.rows as unknown[];
      expect(Array.isArray(rows), context).toBe(true);
      rows.forEach(checkRow);
      const raw = (args ?? {}) as Record<string, unknown>;
      const limit = typeof raw.limit === 'number' ? raw.limit : DEFAULT_LIMIT;
      expect(rows.length, context).toBeLessThanOrEqual(Math.min(limit, total));
      expect(typeof content?.truncated, context).toBe('boolean');
      if (Array.isArray(raw.columns)) {
        for (const row of rows) expect(Object.keys(row as object).sort(), context).toEqual([...new Set(raw.columns as string[])].sort());
      }
    } else if (tool.kind === 'aggregate') {
      const raw = (args ?? {}) as Record<string, unknown>;
      const rows = content?.rows as Record<string, unknown>[];
      expect(Array.isArray(rows), context).toBe(true);
      expect(typeof content?.truncated, context).toBe('boolean');
      // Accepted, so every group key and metric names a visible field, and each row holds exactly the outputs.
      const groups = (raw.group_by ?? []) as GroupKey[];
      const metrics = (raw.metrics ?? [{ fn: 'count' }]) as MetricArg[];
      for (const key of groups) expect(visible.has(typeof key === 'string' ? key : key.field), `${context}: grouped by a hidden field`).toBe(true);
      for (const metric of metrics) if (metric.field !== undefined) expect(visible.has(metric.field), `${context}: metric on a hidden field`).toBe(true);
      const outputs = aggregateOutputs(raw).sort();
      for (const row of rows) expect(Object.keys(row).sort(), context).toEqual(outputs);
      const limit = typeof raw.limit === 'number' ? raw.limit : DEFAULT_LIMIT;
      const having = Array.isArray(raw.having) && raw.having.length > 0;
      const offset = typeof raw.offset === 'number' ? raw.offset : 0;
      if (groups.length === 0) {
        // One summary row, unless having removes it or offset skips it.
        expect(rows.length, context).toBe(having || offset > 0 ? Math.min(rows.length, 1) : 1);
      } else {
        expect(rows.length, context).toBeLessThanOrEqual(Math.min(limit, total));
      }
      for (const metric of metrics) {
        if (metric.fn !== 'count' && metric.fn !== 'count_distinct') continue;
        for (const row of rows) {
          const value = row[metricOutput(metric)];
          expect(Number.isInteger(value), `${context}: ${metricOutput(metric)} = ${String(value)}`).toBe(true);
          expect(value as number, context).toBeGreaterThanOrEqual(0);
          expect(value as number, context).toBeLessThanOrEqual(total);
        }
      }
    } else if (tool.kind === 'lookup') {
      const row = content?.row;
      if (row !== null) {
        checkRow(row);
        const raw = args as Record<string, unknown>;
        for (const { field, column, argument } of tool.keyFields) {
          if (column.type === 'integer') expect((row as Record<string, unknown>)[field], context).toBe(raw[argument]);
        }
      }
    } else {
      const count = content?.count;
      expect(Number.isInteger(count), context).toBe(true);
      expect(count as number, context).toBeGreaterThanOrEqual(0);
      expect(count as number, context).toBeLessThanOrEqual(total);
    }
    const resolved = content?.resolved_time as { now?: unknown; time_zone?: unknown; values?: unknown } | undefined;
    if (resolved !== undefined) {
      expect(resolved.now, context).toBe(NOW);
      expect(resolved.time_zone, context).toBe('UTC');
      expect(Array.isArray(resolved.values) && resolved.values.length > 0, context).toBe(true);
    }
    return result;
  }

  /** Schema and every row unchanged, and the server still answers a normal call. */
  async function expectIntact(context: string): Promise<void> {
    const after = await snapshot(db);
    expect(after.tables, context).toEqual(before.tables);
    expect(after.columns, context).toEqual(before.columns);
    expect(after.checksum, context).toBe(before.checksum);
    const counted = await invoke('count_victim', {});
    expect(counted.structuredContent, `${context}: count_victim`).toEqual({ count: 3 });
    const found = await invoke('query_victim', { where: [{ field: 'name', op: 'eq', value: 'alice' }], columns: ['name'] });
    expect(found.structuredContent, `${context}: query_victim`).toEqual({ rows: [{ name: 'alice' }], truncated: false });
  }

  /** Runs one property over a tool with a seed derived from the dialect's, then checks the database is intact. */
  async function fuzz(
    tool: ToolInfo,
    label: string,
    args: fc.Arbitrary<unknown>,
    numRuns: number,
    also?: (result: CallToolResult, args: unknown) => Promise<void> | void,
  ): Promise<void> {
    const runSeed = (seed ^ hashOf(`${labelOf(tool)}:${label}`)) | 0;
    await fc.assert(
      fc.asyncProperty(args.map(asJson), async (generated) => {
        const result = await check(tool, generated);
        await also?.(result, generated);
      }),
      { seed: runSeed, numRuns, endOnFailure: true },
    );
    await expectIntact(`${labelOf(tool)} after ${label} (seed ${runSeed})`);
    const crash = logs.find((line) => CRASHES.test(line));
    expect(crash, `${labelOf(tool)} after ${label} (seed ${runSeed}): conexor threw`).toBeUndefined();
  }

  /** The count tool, given the same `where`, agrees with a query that returned every matching row from its offset. */
  async function expectCountAgrees(tool: ToolInfo, args: Record<string, unknown>, result: CallToolResult): Promise<void> {
    const { rows, truncated } = result.structuredContent as { rows: unknown[]; truncated: boolean };
    const offset = typeof args.offset === 'number' ? args.offset : 0;
    if (truncated || (rows.length === 0 && offset > 0)) return;
    const countTool = tools.find((candidate) => candidate.kind === 'count' && candidate.table === tool.table) as ToolInfo;
    const counted = await check(countTool, args.where === undefined ? {} : { where: args.where });
    expect(counted.isError, `${countTool.name} ${show(args.where)}: ${textOf(counted)}`).toBeFalsy();
    expect((counted.structuredContent as { count: number }).count, `${tool.name} ${show(args)}`).toBe(offset + rows.length);
  }

  /**
   * An aggregate's row counts, when every group was returned, add up to what the count tool counts for the same
   * `where`: every matching row is in exactly one group (NULL keys form their own).
   */
  async function expectAggregateAgrees(tool: ToolInfo, args: Record<string, unknown>, result: CallToolResult): Promise<void> {
    const { rows, truncated } = result.structuredContent as { rows: Record<string, unknown>[]; truncated: boolean };
    const metrics = (args.metrics ?? [{ fn: 'count' }]) as MetricArg[];
    const rowCount = metrics.find((metric) => metric.fn === 'count' && metric.field === undefined);
    const offset = typeof args.offset === 'number' ? args.offset : 0;
    if (!rowCount || truncated || offset > 0 || (Array.isArray(args.having) && args.having.length > 0)) return;
    const countTool = tools.find((candidate) => candidate.kind === 'count' && candidate.table === tool.table) as ToolInfo;
    const counted = await check(countTool, args.where === undefined ? {} : { where: args.where });
    expect(counted.isError, `${countTool.name} ${show(args.where)}: ${textOf(counted)}`).toBeFalsy();
    const sum = rows.reduce((total, row) => total + (row[metricOutput(rowCount)] as number), 0);
    expect(sum, `${tool.name} ${show(args)}`).toBe((counted.structuredContent as { count: number }).count);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Argument generators

  function argumentNames(tool: ToolInfo): string[] {
    return Object.keys((tool.definition.inputSchema.properties ?? {}) as Record<string, unknown>);
  }

  /** (a) Arbitrary JSON, under the tool's real argument names and under random ones. */
  function arbitraryJson(tool: ToolInfo): fc.Arbitrary<unknown> {
    const names = argumentNames(tool);
    const json = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }).map(asJson), fc.object({ maxDepth: 2 }));
    return fc.oneof(
      fc.record(Object.fromEntries(names.map((name) => [name, json])), { requiredKeys: [] }),
      fc.tuple(fc.constantFrom(...names), json).map(([name, value]) => ({ [name]: value })),
      fc.object({ maxDepth: 3 }),
      fc.dictionary(fc.oneof(fc.constantFrom(...names, ...EXTRA_KEYS), fc.string()), json, { maxKeys: 4 }),
    );
  }

  const fieldsOf = (tool: ToolInfo) => tool.table.fields;
  const columnOf = (tool: ToolInfo, field: unknown) => fieldsOf(tool).find((candidate) => candidate.field === field)?.column;
  const withKey = (object: Record<string, unknown>, key: string, value: unknown) =>
    Object.defineProperty({ ...object }, key, { value, enumerable: true, configurable: true, writable: true });

  /** A value of the right JSON shape for an operator on a column. */
  function valueForOp(column: ColumnModel, op: string): fc.Arbitrary<unknown> {
    const plain = validValue(dialect, column);
    // Dates and date-times also take relative times, resolved by the server (not in lookups, which use validValue).
    const temporal = column.type === 'date' || column.type === 'datetime';
    const value = temporal ? fc.oneof({ weight: 4, arbitrary: plain }, { weight: 1, arbitrary: fc.constantFrom(...RELATIVE_TIMES) }) : plain;
    switch (SHAPE[op]) {
      case 'none':
        return fc.constant(undefined);
      case 'list':
        return fc.array(value, { minLength: 1, maxLength: 6 });
      case 'pair':
        return fc.tuple(value, value);
      case 'text':
        return textArb(1);
      default:
        return value;
    }
  }

  /** A condition of the documented grammar: a visible field, an operator allowed on its type, a typed value. */
  function validCondition(tool: ToolInfo): fc.Arbitrary<Record<string, unknown>> {
    return fc.constantFrom(...fieldsOf(tool)).chain(({ field, column }) =>
      fc
        .constantFrom(...OPS_BY_TYPE[column.type])
        .chain((op) => valueForOp(column, op).map((value) => (value === undefined ? { field, op } : { field, op, value }))),
    );
  }

  /** A valid condition with one thing wrong or hostile: its value, shape, field, operator or keys. */
  function mutatedCondition(tool: ToolInfo): fc.Arbitrary<unknown> {
    const fieldNames = fieldsOf(tool).map(({ field }) => field);
    const hostileField = fc.oneof(fc.constantFrom(...HOSTILE_NAMES), fc.string(), hostileValue, fc.constantFrom(...fieldNames).map((field) => `${field} `));
    const hostileOp = fc.oneof(fc.constantFrom(...HOSTILE_OPS), fc.constantFrom(...ALL_OPS), fc.string(), hostileValue);
    return validCondition(tool).chain((base) => {
      const column = columnOf(tool, base.field) as ColumnModel;
      const scalar = validValue(dialect, column);
      const shape = SHAPE[base.op as string];
      const mutations: fc.Arbitrary<unknown>[] = [
        // The documented field and operator with a hostile value of any type or shape.
        hostileValue.map((value) => ({ ...base, value })),
        fc.array(fc.oneof(scalar, hostileScalar), { maxLength: 6 }).map((value) => ({ ...base, value })),
        // Relative times, valid and not, on any field and in any shape.
        fc.constantFrom(...RELATIVE_TIMES, ...RELATIVE_JUNK).map((value) => ({ ...base, value: shape === 'list' ? [value] : shape === 'pair' ? [value, value] : value })),
        // Numbers at and beyond the bounds, NaN-like and ISO-looking junk strings.
        fc.oneof(hostileNumber, fc.constantFrom(...NAN_LIKE, ...JUNK_DATES)).map((value) => ({ ...base, value: shape === 'list' ? [value] : shape === 'pair' ? [value, value] : value })),
        // Wrong shapes: a list for a scalar, a scalar for a list, a triple for a pair, a value for a null test.
        fc.tuple(scalar, scalar, scalar).map(([a, b, c]) => ({ ...base, value: shape === 'scalar' || shape === 'text' ? [a] : shape === 'pair' ? [a, b, c] : shape === 'list' ? a : b })),
        fc.constant(withoutValue(base)),
        // Lists at and past the limit, strings at and past the length limit.
        fc.integer({ min: MAX_LIST - 1, max: MAX_LIST + 400 }).chain((length) => fc.array(scalar, { minLength: length, maxLength: length }).map((value) => ({ ...base, value }))),
        fc.integer({ min: MAX_STRING - 1, max: MAX_STRING + 2 }).chain((length) => fc.string({ minLength: length, maxLength: length }).map((value) => ({ ...base, value }))),
        // A hostile field or operator name.
        hostileField.map((field) => ({ ...base, field })),
        hostileOp.map((op) => ({ ...base, op })),
        // An extra, missing or group key mixed into a condition.
        fc.tuple(fc.constantFrom(...EXTRA_KEYS, 'or', 'and', 'not', 'values', 'column', 'raw'), hostileValue).map(([key, value]) => withKey(base, key, value)),
        fc.constantFrom('field', 'op').map((key) => Object.fromEntries(Object.entries(base).filter(([name]) => name !== key))),
      ];
      return fc.oneof(...mutations);
    });
  }

  function validNode(tool: ToolInfo): fc.Arbitrary<unknown> {
    const leaf = validCondition(tool);
    return fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        { weight: 5, arbitrary: leaf },
        { weight: 1, arbitrary: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((items) => ({ or: items })) },
        { weight: 1, arbitrary: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((items) => ({ and: items })) },
        { weight: 1, arbitrary: tie('node').map((item) => ({ not: item })) },
      ),
    })).node;
  }

  /** `where` of the documented grammar within the documented limits: depth 3, 20 conditions. */
  function validWhere(tool: ToolInfo): fc.Arbitrary<unknown[]> {
    return fc.array(validNode(tool), { maxLength: 4 }).filter((list) => depthOf(list) <= 3 && countOf(list) <= 20);
  }

  /** A valid `where` with one hostile entry somewhere inside it, or a `where` of a hostile shape. */
  function mutatedWhere(tool: ToolInfo): fc.Arbitrary<unknown> {
    const bad = mutatedCondition(tool);
    const good = validCondition(tool);
    const placed = fc.oneof(
      { weight: 4, arbitrary: bad },
      { weight: 1, arbitrary: bad.map((item) => ({ not: item })) },
      { weight: 1, arbitrary: fc.tuple(good, bad).map(([a, b]) => ({ or: [a, b] })) },
      { weight: 1, arbitrary: fc.tuple(good, bad).map(([a, b]) => ({ and: [{ not: a }, { or: [b] }] })) },
      // Deep nesting, within and far beyond the limit.
      {
        weight: 2,
        arbitrary: fc.tuple(fc.integer({ min: 1, max: 300 }), fc.constantFrom('not', 'or', 'and', 'mixed'), fc.oneof(good, bad)).map(([levels, key, inner]) => {
          let item: unknown = inner;
          for (let level = 0; level < levels; level += 1) {
            const k = key === 'mixed' ? (['not', 'or', 'and'] as const)[level % 3] : key;
            item = k === 'not' ? { not: item } : { [k as string]: [item] };
          }
          return item;
        }),
      },
      // Malformed groups.
      {
        weight: 1,
        arbitrary: fc.tuple(good, good).chain(([a, b]) => fc.constantFrom<unknown>({ or: [a], and: [b] }, { not: a, field: 'id' }, { or: [] }, { and: a }, { not: [a, b] }, { or: [[a]] }, { not: null }, { OR: [a] })),
      },
    );
    return fc.oneof(
      { weight: 6, arbitrary: fc.tuple(validWhere(tool), placed, fc.nat()).map(([list, item, at]) => [...list.slice(0, at % (list.length + 1)), item, ...list.slice(at % (list.length + 1))]) },
      // More conditions than allowed, flat or grouped.
      { weight: 1, arbitrary: fc.integer({ min: 19, max: 300 }).chain((length) => fc.array(good, { minLength: length, maxLength: length })) },
      { weight: 1, arbitrary: fc.integer({ min: 4, max: 30 }).chain((length) => fc.array(good, { minLength: length, maxLength: length }).map((items) => [{ or: items }, { and: items }])) },
      // Not a list at all.
      { weight: 1, arbitrary: fc.oneof(hostileValue, good) },
    );
  }

  function queryArgs(tool: ToolInfo, mode: 'valid' | 'hostile'): fc.Arbitrary<unknown> {
    const fieldNames = fieldsOf(tool).map(({ field }) => field);
    const sortable = fieldsOf(tool)
      .filter(({ column }) => OPS_BY_TYPE[column.type].includes('lt'))
      .map(({ field }) => field);
    const valid = {
      where: validWhere(tool),
      columns: fc.subarray(fieldNames, { minLength: 1 }),
      order_by: fc.array(fc.record({ field: fc.constantFrom(...sortable), direction: fc.constantFrom('asc', 'desc') }, { requiredKeys: ['field'] }), {
        maxLength: Math.min(5, sortable.length),
      }),
      limit: fc.integer({ min: 1, max: MAX_ROWS }),
      offset: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 100_000 })),
    };
    const validArgs = fc.record(valid, { requiredKeys: [] });
    if (mode === 'valid') return validArgs;
    const name = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NAMES) }, { weight: 1, arbitrary: fc.string() }, { weight: 1, arbitrary: hostileValue });
    const direction = fc.oneof(fc.constantFrom(...HOSTILE_DIRECTIONS), hostileValue);
    const numberish = fc.oneof(hostileNumber, hostileScalar, fc.constantFrom(0, -1, MAX_ROWS, MAX_ROWS + 1, 100_000, 100_001));
    /** The valid arguments with one of them replaced. */
    const replacing = (key: keyof typeof valid, value: fc.Arbitrary<unknown>) =>
      fc.tuple(validArgs, value).map(([args, replacement]) => withKey(args, key, replacement));
    return fc.oneof(
      { weight: 5, arbitrary: replacing('where', mutatedWhere(tool)) },
      { weight: 1, arbitrary: replacing('columns', fc.tuple(valid.columns, name, fc.nat()).map(([list, bad, at]) => [...list.slice(0, at % (list.length + 1)), bad, ...list.slice(at % (list.length + 1))])) },
      { weight: 1, arbitrary: replacing('columns', fc.oneof(hostileValue, fc.constant([]), fc.array(fc.constantFrom(...fieldNames), { minLength: fieldNames.length + 1, maxLength: fieldNames.length + 5 }))) },
      { weight: 1, arbitrary: replacing('order_by', fc.array(fc.record({ field: fc.oneof(name, fc.constantFrom(...fieldNames)), direction: fc.oneof(direction, fc.constantFrom('asc', 'desc')) }, { requiredKeys: [] }), { minLength: 1, maxLength: 8 })) },
      { weight: 1, arbitrary: replacing('order_by', fc.oneof(hostileValue, fc.constantFrom(...sortable).map((field) => [{ field, direction: 'asc', nulls: 'first' }]))) },
      { weight: 1, arbitrary: replacing('limit', numberish) },
      { weight: 1, arbitrary: replacing('offset', numberish) },
      { weight: 1, arbitrary: withExtraKey(validArgs) },
    );
  }

  function withExtraKey(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
    return fc.tuple(base, fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string()), hostileValue).map(([args, key, value]) => withKey(args as Record<string, unknown>, key, value));
  }

  function countArgs(tool: ToolInfo, mode: 'valid' | 'hostile'): fc.Arbitrary<unknown> {
    if (mode === 'valid') return fc.record({ where: validWhere(tool) }, { requiredKeys: [] });
    return fc.oneof({ weight: 6, arbitrary: mutatedWhere(tool).map((where) => ({ where })) }, { weight: 1, arbitrary: withExtraKey(fc.record({ where: validWhere(tool) }, { requiredKeys: [] })) });
  }

  function lookupArgs(tool: ToolInfo, mode: 'valid' | 'hostile'): fc.Arbitrary<unknown> {
    const known = (field: FieldInfo) => {
      const [min] = integerBounds(dialect, field.column.nativeType);
      const samples =
        field.column.type === 'integer'
          ? fc.constantFrom(...[1, 2, 3, -5, 7].filter((id) => id >= min))
          : fc.constantFrom('alpha', 'one', 'a', 'x.y', "b'; DROP TABLE victim; --", '');
      return fc.oneof(validValue(dialect, field.column), samples);
    };
    const valid = fc.record(Object.fromEntries(tool.keyFields.map((field) => [field.argument, known(field)])));
    if (mode === 'valid') return valid;
    const keyNames = tool.keyFields.map(({ argument }) => argument);
    const hostile = fc.oneof(hostileValue, fc.constantFrom(...NAN_LIKE, ...JUNK_DATES), fc.string({ minLength: MAX_STRING, maxLength: MAX_STRING + 1 }));
    return fc.oneof(
      { weight: 5, arbitrary: fc.tuple(valid, fc.constantFrom(...keyNames), hostile).map(([args, key, value]) => withKey(args, key, value)) },
      { weight: 1, arbitrary: fc.tuple(valid, fc.constantFrom(...keyNames)).map(([args, key]) => Object.fromEntries(Object.entries(args).filter(([name]) => name !== key))) },
      { weight: 1, arbitrary: withExtraKey(valid) },
    );
  }

  const groupableOf = (tool: ToolInfo) => fieldsOf(tool).filter(({ column }) => GROUPABLE_TYPES.has(column.type));
  const bucketableOf = (tool: ToolInfo) => fieldsOf(tool).filter(({ column }) => column.type === 'date' || column.type === 'datetime');
  const outputName = fc.oneof(fc.constantFrom('n', 'total', 'revenue', 'count', 'x_1', '_', 'a'.repeat(64)), fc.stringMatching(/^[a-z_][a-z0-9_]{0,63}$/));

  function validGroupKey(tool: ToolInfo): fc.Arbitrary<GroupKey> {
    const plain = fc.constantFrom(...groupableOf(tool)).map(({ field }): GroupKey => field);
    const bucketable = bucketableOf(tool);
    if (bucketable.length === 0) return plain;
    return fc.oneof(plain, fc.tuple(fc.constantFrom(...bucketable), fc.constantFrom(...BUCKETS)).map(([{ field }, bucket]): GroupKey => ({ field, bucket })));
  }

  /** A metric the documented rules allow: count of rows, or a function that applies to the field's type. */
  function validMetric(tool: ToolInfo): fc.Arbitrary<MetricArg> {
    const onField = fc
      .constantFrom(...groupableOf(tool))
      .chain(({ field, column }) => fc.constantFrom(...METRIC_FNS.filter((fn) => metricFits(fn, column.type))).map((fn): MetricArg => ({ fn, field })));
    return fc
      .tuple(fc.oneof(fc.constant<MetricArg>({ fn: 'count' }), onField, onField), fc.option(outputName, { freq: 3 }))
      .map(([metric, as]) => (as === null ? metric : { ...metric, as }));
  }

  /** A having condition on one metric: a number, or an ISO value of the field's type for min/max of a temporal field. */
  function validHaving(tool: ToolInfo, metric: MetricArg): fc.Arbitrary<unknown> {
    const column = metric.field === undefined ? undefined : columnOf(tool, metric.field);
    const temporal = column !== undefined && (metric.fn === 'min' || metric.fn === 'max') && !NUMERIC_TYPES.has(column.type);
    const value = temporal ? validValue(dialect, column) : fc.oneof(fc.integer({ min: -5, max: 10 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
    return fc.tuple(fc.constantFrom(...HAVING_OPS), value).map(([op, v]) => ({ metric: metricOutput(metric), op, value: v }));
  }

  /** Valid aggregate arguments: unique outputs, having and order_by naming them. */
  function validAggregate(tool: ToolInfo): fc.Arbitrary<Record<string, unknown>> {
    return fc
      .record(
        {
          where: validWhere(tool),
          group_by: fc.uniqueArray(validGroupKey(tool), { maxLength: MAX_GROUP_BY, selector: groupOutput }),
          metrics: fc.uniqueArray(validMetric(tool), { minLength: 1, maxLength: MAX_METRICS, selector: metricOutput }),
          limit: fc.integer({ min: 1, max: MAX_ROWS }),
          offset: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 100_000 })),
        },
        { requiredKeys: [] },
      )
      .filter((args) => new Set(aggregateOutputs(args)).size === aggregateOutputs(args).length)
      .chain((args) => {
        const metrics = (args.metrics ?? [{ fn: 'count' }]) as MetricArg[];
        const outputs = aggregateOutputs(args);
        return fc
          .record(
            {
              having: fc.array(fc.constantFrom(...metrics).chain((metric) => validHaving(tool, metric)), { maxLength: 3 }),
              order_by: fc.array(fc.record({ by: fc.constantFrom(...outputs), direction: fc.constantFrom('asc', 'desc') }, { requiredKeys: ['by'] }), { maxLength: 4 }),
            },
            { requiredKeys: [] },
          )
          .map((rest) => ({ ...args, ...rest }));
      });
  }

  /** One entry of a list replaced or joined by a hostile one, at any position. */
  const inserting = (list: fc.Arbitrary<readonly unknown[]>, bad: fc.Arbitrary<unknown>) =>
    fc.tuple(list, bad, fc.nat()).map(([items, item, at]) => [...items.slice(0, at % (items.length + 1)), item, ...items.slice(at % (items.length + 1))]);

  function aggregateArgs(tool: ToolInfo, mode: 'valid' | 'hostile'): fc.Arbitrary<unknown> {
    const valid = validAggregate(tool);
    if (mode === 'valid') return valid;
    const fields = fieldsOf(tool);
    const fieldNames = fields.map(({ field }) => field);
    const groupable = groupableOf(tool).map(({ field }) => field);
    const ungroupable = fields.filter(({ column }) => !GROUPABLE_TYPES.has(column.type)).map(({ field }) => field);
    const unbucketable = groupableOf(tool).filter(({ column }) => column.type !== 'date' && column.type !== 'datetime').map(({ field }) => field);
    const name = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NAMES) },
      { weight: 1, arbitrary: fc.string() },
      { weight: 1, arbitrary: hostileValue },
      { weight: 1, arbitrary: fc.constantFrom(...fieldNames).map((field) => `${field} `) },
      ...(ungroupable.length > 0 ? [{ weight: 1, arbitrary: fc.constantFrom(...ungroupable) }] : []),
    );
    const anyField = fc.oneof(name, fc.constantFrom(...fieldNames));
    const bucket = fc.oneof(fc.constantFrom(...HOSTILE_BUCKETS), fc.constantFrom(...BUCKETS), hostileValue);
    const fn = fc.oneof(fc.constantFrom(...HOSTILE_FNS), fc.constantFrom(...METRIC_FNS), fc.string(), hostileValue);
    const numberish = fc.oneof(hostileNumber, hostileScalar, fc.constantFrom(0, -1, MAX_ROWS, MAX_ROWS + 1, 100_000, 100_001));
    const replacing = (key: string, value: fc.Arbitrary<unknown>) => fc.tuple(valid, value).map(([args, replacement]) => withKey(args, key, replacement));
    const validGroups = fc.uniqueArray(validGroupKey(tool), { maxLength: 3, selector: groupOutput });
    const validMetrics = fc.uniqueArray(validMetric(tool), { minLength: 1, maxLength: 3, selector: metricOutput });

    const badGroupKey = fc.oneof(
      name,
      fc.record({ field: anyField, bucket }),
      fc.tuple(fc.constantFrom(...(unbucketable.length > 0 ? unbucketable : fieldNames)), fc.constantFrom(...BUCKETS)).map(([field, b]) => ({ field, bucket: b })),
      fc.tuple(validGroupKey(tool), fc.constantFrom(...EXTRA_KEYS, 'as', 'fn'), hostileValue).map(([key, extra, value]) =>
        withKey(typeof key === 'string' ? { field: key, bucket: 'day' } : key, extra, value),
      ),
      fc.constantFrom(...groupable).map((field) => ({ field })),
      fc.constantFrom(...groupable).map((field) => ({ bucket: 'month', field, sql: 'DROP TABLE victim' })),
    );
    const badMetric = fc.oneof(
      fc.record({ fn, field: fc.constantFrom(...groupable) }, { requiredKeys: ['fn'] }),
      fc.record({ fn: fc.constantFrom(...METRIC_FNS), field: anyField }),
      // A function on a field of a type it does not apply to, or without the field it needs.
      fc.tuple(fc.constantFrom(...METRIC_FNS), fc.constantFrom(...fields)).map(([f, { field }]) => ({ fn: f, field })),
      fc.constantFrom('count_distinct', 'sum', 'avg', 'min', 'max').map((f) => ({ fn: f })),
      fc.tuple(validMetric(tool), fc.oneof(fc.constantFrom(...HOSTILE_OUTPUTS), fc.string(), hostileValue)).map(([metric, as]) => ({ ...metric, as })),
      fc.tuple(validMetric(tool), fc.constantFrom(...EXTRA_KEYS, 'distinct', 'filter', 'over'), hostileValue).map(([metric, key, value]) => withKey({ ...metric }, key, value)),
      fc.constantFrom(...groupable).map((field) => ({ field })),
      hostileValue,
    );
    const badHaving = fc.oneof(
      fc.record({ metric: fc.oneof(name, fc.constantFrom('count', 'sum_id', 'password_hash', 'id')), op: fc.constantFrom(...HAVING_OPS), value: fc.integer() }),
      fc.record({ metric: fc.constant('count'), op: fc.oneof(fc.constantFrom(...HOSTILE_OPS, 'contains', 'in', 'between', 'is_null'), hostileValue), value: fc.integer() }),
      fc.record({ metric: fc.constant('count'), op: fc.constantFrom(...HAVING_OPS), value: fc.oneof(hostileValue, fc.constantFrom(...NAN_LIKE, ...JUNK_DATES, ...RELATIVE_TIMES, ...RELATIVE_JUNK)) }),
      fc.record({ metric: fc.constant('count'), op: fc.constantFrom(...HAVING_OPS), value: fc.integer() }, { requiredKeys: [] }),
      fc.tuple(fc.constantFrom(...EXTRA_KEYS, 'field', 'fn'), hostileValue).map(([key, value]) => withKey({ metric: 'count', op: 'gt', value: 0 }, key, value)),
      hostileValue,
    );
    const badOrder = fc.oneof(
      fc.record({ by: fc.oneof(name, fc.constantFrom('count desc', 'count; DROP TABLE victim', '1', 'random()', 'count_', 'COUNT')), direction: fc.constantFrom('asc', 'desc') }, { requiredKeys: [] }),
      fc.record({ by: fc.constant('count'), direction: fc.oneof(fc.constantFrom(...HOSTILE_DIRECTIONS), hostileValue) }),
      fc.constant({ by: 'count', direction: 'asc', nulls: 'first' }),
      fc.constantFrom(...groupable).map((field) => ({ field, direction: 'asc' })),
      hostileValue,
    );
    // Metrics always include a bare count here, so having and order_by entries naming "count" are otherwise valid.
    const withCount = (args: Record<string, unknown>) => ({ ...args, metrics: [{ fn: 'count' }] });
    return fc.oneof(
      { weight: 4, arbitrary: replacing('where', mutatedWhere(tool)) },
      { weight: 3, arbitrary: replacing('group_by', inserting(validGroups, badGroupKey)) },
      {
        weight: 1,
        arbitrary: replacing(
          'group_by',
          fc.oneof(
            hostileValue,
            fc.integer({ min: MAX_GROUP_BY + 1, max: 30 }).chain((length) => fc.array(validGroupKey(tool), { minLength: length, maxLength: length })),
            fc.constantFrom(...groupable).map((field) => [field, field]),
          ),
        ),
      },
      { weight: 3, arbitrary: replacing('metrics', inserting(validMetrics, badMetric)) },
      {
        weight: 1,
        arbitrary: replacing(
          'metrics',
          fc.oneof(
            hostileValue,
            fc.constant([]),
            fc.integer({ min: MAX_METRICS + 1, max: 40 }).chain((length) => fc.array(validMetric(tool), { minLength: length, maxLength: length })),
            fc.constant([{ fn: 'count' }, { fn: 'count' }]),
            fc.constantFrom(...groupable).map((field) => [{ fn: 'count', as: field.replace(/\./g, '_') }, { fn: 'count_distinct', field, as: 'count' }]),
          ),
        ),
      },
      // A metric output named like a group key.
      { weight: 1, arbitrary: fc.tuple(valid, fc.constantFrom(...groupable)).map(([args, field]) => ({ ...args, group_by: [field], metrics: [{ fn: 'count', as: field }] })) },
      { weight: 3, arbitrary: fc.tuple(valid, inserting(fc.constant([]), badHaving)).map(([args, having]) => ({ ...withCount(args), having })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(valid, fc.integer({ min: MAX_CONDITIONS + 1, max: 60 }))
          .map(([args, length]) => ({ ...withCount(args), having: Array.from({ length }, () => ({ metric: 'count', op: 'gte', value: 0 })) })),
      },
      { weight: 3, arbitrary: fc.tuple(valid, inserting(fc.constant([]), badOrder)).map(([args, order]) => ({ ...withCount(args), order_by: order })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(valid, fc.oneof(hostileValue, fc.integer({ min: MAX_GROUP_BY + MAX_METRICS + 1, max: 40 }).map((length) => Array.from({ length }, () => ({ by: 'count' })))))
          .map(([args, order]) => ({ ...withCount(args), order_by: order })),
      },
      { weight: 1, arbitrary: replacing('limit', numberish) },
      { weight: 1, arbitrary: replacing('offset', numberish) },
      { weight: 1, arbitrary: withExtraKey(valid) },
    );
  }

  function argsFor(tool: ToolInfo, mode: 'valid' | 'hostile'): fc.Arbitrary<unknown> {
    switch (tool.kind) {
      case 'query':
        return queryArgs(tool, mode);
      case 'count':
        return countArgs(tool, mode);
      case 'aggregate':
        return aggregateArgs(tool, mode);
      default:
        return lookupArgs(tool, mode);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Properties

  it('answers arbitrary JSON arguments on every tool with a clean refusal or visible fields only', async () => {
    for (const tool of [...tools, ...generic]) await fuzz(tool, 'json', arbitraryJson(tool), RUNS.json);
  });

  it('answers structure-aware hostile mutations on every tool with a clean refusal or visible fields only', async () => {
    for (const tool of [...tools, ...generic]) await fuzz(tool, 'mutation', argsFor(tool, 'hostile'), RUNS.mutation);
  });

  it('answers arguments built from the documented grammar on every tool, and they succeed', async () => {
    for (const tool of [...tools, ...generic]) {
      await fuzz(tool, 'valid', argsFor(tool, 'valid'), RUNS.valid, async (result, args) => {
        if (!result.isError) {
          if (tool.kind === 'query') await expectCountAgrees(tool, args as Record<string, unknown>, result);
          if (tool.kind === 'aggregate') await expectAggregateAgrees(tool, args as Record<string, unknown>, result);
          return;
        }
        // Documented refusals of grammatical values: a date-time whose zone takes it outside the years 0001 to 9999,
        // and a number outside a PostgreSQL `real`. A value the database still cannot compare gives the documented data
        // error; it is reported below. Anything else (another validation error, another database failure) fails.
        const text = textOf(result);
        if (/lies outside the years 0001 to 9999|single precision/.test(text)) return;
        expect(text, `${tool.name} ${show(args)} was refused`).toMatch(/^A filter value is not valid for its column's type/);
        refusedValid.push(`${tool.name} ${show(args)} → ${text}`);
      });
    }
  });

  it('refuses arguments that are not an object at the protocol level and keeps serving', async () => {
    // Each generic tool once (and search_tables): without an object there is no table to name.
    const targets = [
      ...tools.map((tool) => ({ name: tool.name, on: client })),
      ...['search_tables', 'query', 'count', 'aggregate'].map((name) => ({ name, on: compactClient })),
    ];
    for (const args of [[], [1, 2], 'where', 42, true, [{ field: 'id', op: 'eq', value: 1 }]]) {
      for (const tool of targets) {
        calls += 1;
        const outcome = await tool.on.callTool({ name: tool.name, arguments: args as unknown as Record<string, unknown> }).then(
          (result) => ({ result: result as CallToolResult }),
          (error: unknown) => ({ error: error as { code?: number; message?: string } }),
        );
        if ('error' in outcome) {
          // The SDK's request validation refuses a non-object `arguments` before conexor sees it (as a JSON-RPC
          // internal error, -32603, quoting its zod issues; not conexor's choice).
          expect([-32602, -32603], String(outcome.error.message)).toContain(outcome.error.code);
          assertClean(String(outcome.error.message), tool.name);
        } else {
          expect(outcome.result.isError, `${tool.name} ${show(args)}`).toBe(true);
          assertClean(textOf(outcome.result), tool.name);
        }
      }
    }
    await expectIntact('after non-object arguments');
  });

  /** Tables a generic tool's `table` argument names, by every spelling it accepts: tool base, name, schema.name. */
  function reachable(): Map<string, TableInfo> {
    const names = new Map<string, TableInfo>();
    for (const tool of generic) names.set(tool.generic as string, tool.table);
    for (const tool of generic) {
      const exposed = conexor.exposed.tables.find((candidate) => candidate.table.name === tool.table.name);
      if (!exposed) continue;
      const qualified = `${exposed.table.schema}.${exposed.table.name}`;
      if (!names.has(qualified)) names.set(qualified, tool.table);
      if (exposed.table.schema === compact.exposed.defaultSchema && !names.has(exposed.table.name)) names.set(exposed.table.name, tool.table);
    }
    return names;
  }

  it('refuses a hostile, unknown or excluded table in the generic tools cleanly, and suggests only tables it serves', async () => {
    const names = reachable();
    const folded = new Map<string, TableInfo | null>();
    for (const [name, info] of names) {
      const key = name.toLowerCase();
      const seen = folded.get(key);
      folded.set(key, seen === undefined || seen === info ? info : null);
    }
    const bases = new Set(generic.map((tool) => tool.generic as string));
    const schemaName = conexor.exposed.tables[0]?.table.schema ?? '';
    const table = fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(...names.keys()) },
      // The excluded table by every spelling, the hostile table's real name, other tables' tools, case variants.
      { weight: 3, arbitrary: fc.constantFrom('victim', 'VICTIM', 'Victim', `${schemaName}.victim`, 'query_victim', 'victims', 'victi', ...HOSTILE_TABLE_CANDIDATES, 'ALL_TYPES', 'all_types ', 'main.all_types', 'search_tables') },
      { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_NAMES) },
      { weight: 2, arbitrary: hostileValue },
      { weight: 1, arbitrary: fc.string() },
    );
    for (const name of ['query', 'count', 'aggregate'] as const) {
      const runSeed = (seed ^ hashOf(`${name}:table`)) | 0;
      await fc.assert(
        fc.asyncProperty(table.map(asJson), async (value) => {
          const args = { table: value, ...(name === 'query' ? { limit: 5 } : {}) };
          const context = `${name} ${show(args)}`;
          const result = await invoke(name, args, compactClient);
          const text = textOf(result);
          expect(JSON.stringify(result), context).not.toContain(CANARY);
          // Names match in any case when only one table has that spelling (see TableCatalog.find).
          const target = typeof value === 'string' ? (names.get(value) ?? folded.get(value.toLowerCase()) ?? undefined) : undefined;
          if (target) {
            expect(result.isError, `${context}: ${text}`).toBeFalsy();
            const content = result.structuredContent as { rows?: Record<string, unknown>[]; count?: number };
            const visible = new Set(target.fields.map(({ field }) => field));
            if (name === 'query') for (const row of content.rows ?? []) for (const key of Object.keys(row)) expect(visible.has(key), `${context}: ${key}`).toBe(true);
            if (name === 'count') expect(content.count, context).toBe(rowCounts.get(target.name));
            if (name === 'aggregate') expect(content.rows, context).toEqual([{ count: rowCounts.get(target.name) }]);
            return;
          }
          expect(result.isError, `${context} should be refused: ${text.slice(0, 200)}`).toBe(true);
          expect(text, context).toMatch(new RegExp(`^Invalid arguments for ${name}: table: `));
          assertClean(text, context);
          // Suggestions name tables this server serves, never the excluded one.
          const suggested = /did you mean (.*?)\?; search_tables lists the tables\.$/.exec(text)?.[1]?.split(', ') ?? [];
          for (const suggestion of suggested) expect(bases.has(suggestion), `${context}: suggests ${suggestion}`).toBe(true);
        }),
        { seed: runSeed, numRuns: RUNS.json, endOnFailure: true },
      );
    }
    // Named plainly, the excluded table is refused like a table that never existed: its name only echoed, the
    // suggestions (close names) all served tables.
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const name of ['query', 'count', 'aggregate']) {
      for (const missing of ['victim', `${schemaName}.victim`]) {
        const text = textOf(await invoke(name, { table: missing }, compactClient));
        const refusal = new RegExp(
          `^Invalid arguments for ${name}: table: ${escape(JSON.stringify(missing))} is not a table you can use with ${name}(?:; did you mean (.*)\\?)?; search_tables lists the tables\\.$`,
        ).exec(text);
        expect(refusal, text).not.toBeNull();
        for (const suggestion of refusal?.[1]?.split(', ') ?? []) expect(bases.has(suggestion), `${text}: suggests ${suggestion}`).toBe(true);
      }
    }
    await expectIntact('after hostile table arguments');
  });

  it('answers search_tables with a clean refusal or served tables only, never the excluded table or the secret column', async () => {
    const bases = new Set(generic.map((tool) => tool.generic as string));
    const pattern = fc.oneof(
      fc.constantFrom('victim', 'password', 'password_hash', 'hash', CANARY, '*', '**', '*victim*', 'vic*', '[', ']', '{', '{a,b', '[!a]', '\\', '?', '*.*', 'all types', 'ALL_TYPES', 'main.*', ''),
      fc.constantFrom(...HOSTILE_NAMES, ...HOSTILE_TABLE_CANDIDATES, ...SQL_STRINGS),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: fc.constantFrom('*', '?', '[', ']', '{', '}', '!', ',', '(', ')', '|', '+', '@', '\\', 'a', '.'), maxLength: 20 }),
      hostileValue,
    );
    const args = fc.oneof(
      { weight: 4, arbitrary: fc.record({ pattern, detail: fc.constantFrom('names', 'columns'), limit: fc.integer({ min: 1, max: 200 }), offset: fc.integer({ min: 0, max: 10 }) }, { requiredKeys: [] }) },
      { weight: 2, arbitrary: fc.record({ pattern: hostileValue, detail: fc.oneof(hostileValue, fc.constantFrom('names', 'columns')), limit: fc.oneof(hostileNumber, hostileScalar), offset: fc.oneof(hostileNumber, hostileScalar) }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: withExtraKey(fc.record({ pattern }, { requiredKeys: [] })) },
      { weight: 1, arbitrary: fc.object({ maxDepth: 2 }) },
    );
    await fc.assert(
      fc.asyncProperty(args.map(asJson), async (generated) => {
        const context = `search_tables ${show(generated)}`;
        const result = await invoke('search_tables', generated, compactClient);
        const text = textOf(result);
        const whole = JSON.stringify(result);
        expect(whole, context).not.toContain(CANARY);
        expect(whole, context).not.toContain('password_hash');
        if (result.isError) {
          expect(text, context).toMatch(/^Invalid arguments for search_tables: /);
          assertClean(text, context);
          return;
        }
        const { tables } = result.structuredContent as { tables: { table: string }[] };
        for (const { table } of tables) expect(bases.has(table), `${context}: lists ${table}`).toBe(true);
        expect(text.replace(/t_x_as_y_drop_table_victim|DROP TABLE victim/g, ''), context).not.toMatch(/victim/i);
      }),
      { seed: (seed ^ hashOf('search_tables')) | 0, numRuns: RUNS.mutation * 2, endOnFailure: true },
    );
    const crash = logs.find((line) => CRASHES.test(line));
    expect(crash, 'search_tables: conexor threw').toBeUndefined();
    await expectIntact('after search_tables');
  });

  it('leaves every table, column and row unchanged, and logs no unexpected failure', async () => {
    await expectIntact('at the end');
    expect(calls).toBeGreaterThan((tools.length + generic.length) * (RUNS.json + RUNS.mutation + RUNS.valid));
    const { tools: listed } = await client.listTools();
    expect(listed.map((tool) => tool.name).sort()).toEqual(tools.map((tool) => tool.name).sort());
    expect((await compactClient.listTools()).tools.map((tool) => tool.name)).toEqual(['search_tables', 'query', 'count', 'aggregate']);
  });
});

function depthOf(node: unknown, depth = 0): number {
  if (Array.isArray(node)) return Math.max(depth, ...node.map((item) => depthOf(item, depth)));
  if (!node || typeof node !== 'object') return depth;
  const entry = node as Record<string, unknown>;
  if ('not' in entry) return depthOf([entry.not], depth + 1);
  if ('or' in entry) return depthOf(entry.or, depth + 1);
  if ('and' in entry) return depthOf(entry.and, depth + 1);
  return depth;
}

function withoutValue(condition: Record<string, unknown>): Record<string, unknown> {
  if (!('value' in condition)) return { ...condition, value: 1 };
  return Object.fromEntries(Object.entries(condition).filter(([key]) => key !== 'value'));
}

function countOf(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((sum: number, item) => sum + countOf(item), 0);
  if (!node || typeof node !== 'object') return 0;
  const entry = node as Record<string, unknown>;
  if ('not' in entry) return countOf([entry.not]);
  if ('or' in entry) return countOf(entry.or);
  if ('and' in entry) return countOf(entry.and);
  return 1;
}

function hashOf(text: string): number {
  return createHash('sha256').update(text).digest().readInt32LE(0);
}

function show(args: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(args) ?? String(args);
  } catch {
    text = '(unprintable)';
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
