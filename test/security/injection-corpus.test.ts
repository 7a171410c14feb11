import { existsSync, readdirSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor, type Dialect } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { snapshot, type Snapshot } from '../support/snapshot.js';
import { connectClient, textOf } from '../support/mcp.js';
import { INJECTION_PAYLOADS, PWNED_FILE } from '../support/injection-payloads.js';

/**
 * A corpus of known SQL-injection payloads sent through every string-valued parameter of every generated tool, on
 * every dialect, through a real MCP client: as text values with every text operator, as lookup keys, and as field
 * names, operator names, `order_by` fields and directions, `columns` entries, argument names, and the group keys,
 * buckets, metric functions, fields and output names, having and order_by names of aggregate calls.
 *
 * Each call must be refused with a validation error naming the argument, or match the payload literally: two
 * payloads are stored as data and must be found exactly by `eq` and by `contains` on a fragment; for every other
 * payload the rows returned must hold the payload literally, and complementary operators must partition the
 * non-null rows (a payload that escaped into SQL would break the partition). No call may take 2 s (time-based
 * payloads stay inert), and afterwards every table, column and row is unchanged, no `pwned` table, role or function
 * exists anywhere, and no file was written.
 */


/** Stored as data; chosen so that no other payload equals them even case- and accent-insensitively. */
const STORED_A = "Robert'); DROP TABLE victim;--";
const STORED_B = "\\'; DELETE FROM victim WHERE ''=' /*!50000 x*/";
const FRAGMENT_A = "'); DROP";
const FRAGMENT_B = '/*!50000';

const PAYLOADS: readonly string[] = [...INJECTION_PAYLOADS, STORED_A, STORED_B];

/** A payload past the documented string limit: refused wherever it goes. */
const TOO_LONG = `' OR 1=1 --${'x'.repeat(1_000)}`;

const TEXT_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between', 'contains', 'starts_with', 'ends_with'] as const;

/** Text an error may not contain once JSON-quoted (echoed) input is removed: SQL, stack frames, object dumps. */
const LEAKS = [/select /i, /insert /i, /drop /i, /delete /i, /update /i, / from "/i, / from `/i, /\n\s+at /, /\bat .+:\d+:\d+/, /\[object Object\]/, /undefined/];
/** What a file read would return. */
const FILE_CONTENT = /root:[x*]?:0:0|daemon:/;

interface TableSpec {
  readonly name: string;
  /** Field identifying a row in results. */
  readonly key: string;
  /** Text columns; the enum column is not one (on SQLite, Knex makes it text CHECKed IN its values: an enum too). */
  readonly textFields: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
  readonly lookups: readonly { readonly tool: string; readonly text?: string; readonly fixed: Record<string, unknown> }[];
}

const NOTES: Record<string, unknown>[] = [
  { id: 1, title: 'plain', body: 'plain body', qty: 1, day: '2024-01-01', flag: true, kind: 'a' },
  { id: 2, title: STORED_A, body: `note: ${STORED_A}`, qty: 2, day: '2024-01-02', flag: false, kind: 'b' },
  { id: 3, title: STORED_B, body: `note: ${STORED_B}`, qty: 3, day: '2024-01-03', flag: true, kind: 'a' },
  { id: 4, title: "O'Brien", body: null, qty: 4, day: '2024-01-04', flag: false, kind: 'b' },
];
const PAIRS: Record<string, unknown>[] = [
  { grp: 1, code: 'x', label: 'first' },
  { grp: 2, code: STORED_A, label: STORED_B },
  { grp: 3, code: STORED_B, label: null },
];
const VICTIMS: Record<string, unknown>[] = [
  { id: 1, name: 'alice' },
  { id: 2, name: 'bob' },
  { id: 3, name: STORED_A },
];

const TABLES: readonly TableSpec[] = [
  {
    name: 'notes',
    key: 'id',
    textFields: ['title', 'body'],
    rows: NOTES,
    lookups: [
      { tool: 'query_notes_by_title', text: 'title', fixed: {} },
      { tool: 'query_notes_by_id', fixed: {} },
    ],
  },
  {
    name: 'pairs',
    key: 'grp',
    textFields: ['code', 'label'],
    rows: PAIRS,
    lookups: [{ tool: 'query_pairs_by_grp_and_code', text: 'code', fixed: { grp: 2 } }],
  },
  {
    name: 'victim',
    key: 'id',
    textFields: ['name'],
    rows: VICTIMS,
    lookups: [{ tool: 'query_victim_by_id', fixed: {} }],
  },
];

async function createSchema(db: TestDatabase): Promise<void> {
  const { knex, dialect } = db;
  await knex.schema.createTable('notes', (t) => {
    t.increments('id');
    t.string('title', 200).unique();
    t.text('body');
    t.integer('qty');
    t.date('day');
    t.boolean('flag');
    if (dialect === 'postgresql') t.enu('kind', ['a', 'b'], { useNative: true, enumName: 'corpus_kind' });
    else t.enu('kind', ['a', 'b']);
  });
  await knex.schema.createTable('pairs', (t) => {
    t.integer('grp').notNullable();
    t.string('code', 200).notNullable();
    t.string('label', 200);
    t.primary(['grp', 'code']);
  });
  await knex.schema.createTable('victim', (t) => {
    t.increments('id');
    t.string('name', 200);
  });
  await knex('notes').insert(NOTES);
  await knex('pairs').insert(PAIRS);
  await knex('victim').insert(VICTIMS);
}


function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return (Array.isArray(result[0]) ? result[0] : result) as Record<string, unknown>[];
  return ((result as { rows?: unknown[] }).rows ?? []) as Record<string, unknown>[];
}



/** Rows of a catalog probe, or none when the connection's role may not read that catalog. */
async function probe(db: TestDatabase, sql: string, bindings: readonly string[] = []): Promise<Record<string, unknown>[]> {
  try {
    return rowsOf(await db.knex.raw(sql, [...bindings]));
  } catch (error) {
    if (/permission|denied|privilege|must be superuser/i.test(String((error as Error).message))) return [];
    throw error;
  }
}

/** Anything a payload could have created outside the test schema: tables, roles, functions, files. */
async function pwnedTraces(db: TestDatabase): Promise<string[]> {
  const { knex, dialect } = db;
  const traces: string[] = [];
  const files = [
    ...readdirSync('/tmp').filter((name) => name.startsWith('conexor_pwned')).map((name) => `/tmp/${name}`),
    ...[`${PWNED_FILE}.db`, `${PWNED_FILE}_program`, `${PWNED_FILE}_copy`, `${PWNED_FILE}_outfile`, `${PWNED_FILE}_dump`].filter((path) => existsSync(path)),
  ];
  traces.push(...new Set(files));
  if (dialect === 'sqlite') {
    const objects = rowsOf(await knex.raw("SELECT name FROM sqlite_master WHERE name LIKE '%pwned%'"));
    traces.push(...objects.map((row) => `sqlite object ${String(row.name)}`));
    const attached = rowsOf(await knex.raw('PRAGMA database_list'));
    traces.push(...attached.filter((row) => row.name !== 'main' && row.name !== 'temp').map((row) => `attached database ${String(row.name)}`));
    return traces;
  }
  const tables = rowsOf(await knex.raw("SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE LOWER(table_name) LIKE '%pwned%'"));
  traces.push(...tables.map((row) => `table ${String(row.s)}.${String(row.t)}`));
  const columns = rowsOf(await knex.raw("SELECT table_schema AS s, table_name AS t FROM information_schema.columns WHERE LOWER(column_name) LIKE '%pwned%'"));
  traces.push(...columns.map((row) => `column in ${String(row.s)}.${String(row.t)}`));
  if (dialect === 'postgresql') {
    traces.push(...(await probe(db, "SELECT rolname FROM pg_roles WHERE rolname ILIKE '%pwned%'")).map((row) => `role ${String(row.rolname)}`));
    traces.push(...(await probe(db, "SELECT proname FROM pg_proc WHERE proname ILIKE '%pwned%'")).map((row) => `function ${String(row.proname)}`));
    for (const suffix of ['_program', '_copy']) {
      // The server's own view of the file system (it may run with a private /tmp); needs a privileged role.
      const [stat] = await probe(db, 'SELECT pg_stat_file(?, true) AS stat', [`${PWNED_FILE}${suffix}`]);
      if (stat?.stat) traces.push(`server file ${PWNED_FILE}${suffix}`);
    }
  } else {
    traces.push(...(await probe(db, "SELECT user AS u FROM mysql.user WHERE user LIKE '%pwned%'")).map((row) => `user ${String(row.u)}`));
    traces.push(...(await probe(db, "SELECT routine_name AS r FROM information_schema.routines WHERE routine_name LIKE '%pwned%'")).map((row) => `routine ${String(row.r)}`));
    for (const suffix of ['_outfile', '_dump']) {
      // NULL when the file is missing or the role lacks FILE.
      const [loaded] = await probe(db, 'SELECT LOAD_FILE(?) AS content', [`${PWNED_FILE}${suffix}`]);
      if (loaded?.content != null) traces.push(`server file ${PWNED_FILE}${suffix}`);
    }
  }
  return traces;
}

/** How the dialect's `=` compares text: exactly on SQLite and PostgreSQL; case-, accent- and trailing-space-insensitively on MySQL/MariaDB `_ci` collations. */
function equalText(dialect: Dialect, stored: string, value: string): boolean {
  return dialect === 'mysql' ? fold(stored).trimEnd() === fold(value).trimEnd() : stored === value;
}

/** A superset of what the dialect's case-insensitive LIKE accepts as containing `fragment` at `where`. */
function likeText(stored: string, fragment: string, where: 'contains' | 'starts_with' | 'ends_with'): boolean {
  const [text, part] = [fold(stored), fold(fragment)];
  return where === 'contains' ? text.includes(part) : where === 'starts_with' ? text.startsWith(part) : text.endsWith(part);
}

function fold(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

describe.each(DIALECTS)('injection corpus on %s', (dialect) => {
  let db: TestDatabase;
  let conexor: Conexor;
  let client: Client;
  let before: Snapshot;
  let calls = 0;
  let slowest = { ms: 0, call: '' };
  const outcomes = { matched: 0, refused: 0, database: 0 };
  /** Text and non-text fields of each table as introspected. */
  const textFields = new Map<string, string[]>();
  const otherFields = new Map<string, string[]>();

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_corpus');
    await createSchema(db);
    conexor = await createConexor(db.knex, { logger: pino({ level: 'silent' }) });
    client = await connectClient(conexor.createServer());
    before = await snapshot(db);
    for (const spec of TABLES) {
      const columns = conexor.exposed.tables.find((exposed) => exposed.table.name === spec.name)?.columns ?? [];
      textFields.set(spec.name, columns.filter((column) => column.type === 'string').map((column) => column.name));
      otherFields.set(spec.name, columns.filter((column) => column.type !== 'string').map((column) => column.name));
    }
  });

  afterAll(async () => {
    console.log(
      `[injection corpus ${dialect}] payloads=${PAYLOADS.length} calls=${calls} literal matches=${outcomes.matched} ` +
        `refused=${outcomes.refused} database errors=${outcomes.database} slowest=${slowest.ms.toFixed(0)} ms (${slowest.call})`,
    );
    await client?.close();
    await db?.destroy();
  });

  /** One call through the MCP client: it answers (a hang guard, not a speed check), and an error is clean. */
  async function send(tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
    calls += 1;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${tool} did not answer within 30 s: ${show(args)}`)), 30_000);
    });
    let result: CallToolResult;
    try {
      result = (await Promise.race([client.callTool({ name: tool, arguments: args }), deadline])) as CallToolResult;
    } finally {
      clearTimeout(timer);
    }
    const elapsed = performance.now() - started;
    if (elapsed > slowest.ms) slowest = { ms: elapsed, call: `${tool} ${show(args).slice(0, 80)}` };
    const text = textOf(result);
    expect(text, `${tool} ${show(args)}: file content in the result`).not.toMatch(FILE_CONTENT);
    if (result.isError) {
      const unquoted = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      for (const leak of LEAKS) expect(unquoted, `${tool} ${show(args)}: error text leaks ${String(leak)}: ${text.slice(0, 300)}`).not.toMatch(leak);
      expect(text.length).toBeLessThan(2_000);
    }
    return result;
  }

  /** A validation error naming `argument`. */
  async function expectRefused(tool: string, args: Record<string, unknown>, argument: string): Promise<void> {
    const result = await send(tool, args);
    const text = textOf(result);
    expect(result.isError, `${tool} ${show(args)} should be refused, got ${text.slice(0, 200)}`).toBe(true);
    expect(text.startsWith(`Invalid arguments for ${tool}: `), `${tool} ${show(args)}: ${text}`).toBe(true);
    expect(text, `${tool} ${show(args)} should name ${argument}`).toContain(argument);
    outcomes.refused += 1;
  }

  /**
   * Rows of a query, or `null` when the payload holds a NUL: refused on every dialect (PostgreSQL text cannot hold one,
   * SQLite's LIKE would stop at it and widen the match).
   */
  async function rowsFor(spec: TableSpec, where: unknown[], payload: string): Promise<Record<string, unknown>[] | null> {
    const tool = `query_${spec.name}`;
    const result = await send(tool, { where, limit: 100 });
    if (payload.includes('\u0000')) {
      expect(result.isError, `${tool} ${show(where)}`).toBe(true);
      expect(textOf(result)).toMatch(/^Invalid arguments for .*without NUL characters/);
      outcomes.refused += 1;
      return null;
    }
    expect(result.isError, `${tool} ${show(where)}: ${textOf(result)}`).toBeFalsy();
    outcomes.matched += 1;
    return (result.structuredContent as { rows: Record<string, unknown>[] }).rows;
  }

  const keysOf = (spec: TableSpec, rows: readonly Record<string, unknown>[]) => rows.map((row) => row[spec.key]).sort();
  const nonNull = (spec: TableSpec, field: string) => spec.rows.filter((row) => row[field] !== null).length;

  /** Every text operator with the payload as value on one text field, checked for literal meaning. */
  async function textField(spec: TableSpec, field: string, payload: string): Promise<void> {
    const context = `${spec.name}.${field} ${JSON.stringify(payload).slice(0, 80)}`;
    const cond = (op: string, value: unknown) => ({ field, op, value });
    const results: Partial<Record<(typeof TEXT_OPS)[number], Record<string, unknown>[] | null>> = {};
    for (const op of TEXT_OPS) {
      const value = op === 'in' || op === 'not_in' ? [payload, 'plain'] : op === 'between' ? [payload, payload] : payload;
      results[op] = await rowsFor(spec, [cond(op, value)], payload);
    }
    const negated: Partial<Record<'contains' | 'starts_with' | 'ends_with', Record<string, unknown>[] | null>> = {};
    for (const op of ['contains', 'starts_with', 'ends_with'] as const) negated[op] = await rowsFor(spec, [{ not: cond(op, payload) }], payload);
    if (results.eq === null) return;
    const all = nonNull(spec, field);
    const values = (rows: Record<string, unknown>[] | null | undefined) => (rows ?? []).map((row) => String(row[field]));

    // Only rows holding the payload literally; complementary operators partition the non-null rows.
    for (const value of values(results.eq)) expect(equalText(dialect, value, payload), `${context}: eq returned ${JSON.stringify(value)}`).toBe(true);
    for (const value of values(results.between)) expect(equalText(dialect, value, payload), `${context}: between returned ${JSON.stringify(value)}`).toBe(true);
    for (const value of values(results.in)) expect(equalText(dialect, value, payload) || equalText(dialect, value, 'plain'), `${context}: in returned ${value}`).toBe(true);
    for (const value of values(results.neq)) expect(value === payload, `${context}: neq returned the payload`).toBe(false);
    expect(keysOf(spec, results.between ?? []), `${context}: between [p, p] is eq`).toEqual(keysOf(spec, results.eq ?? []));
    expect((results.eq?.length ?? 0) + (results.neq?.length ?? 0), `${context}: eq + neq`).toBe(all);
    expect((results.in?.length ?? 0) + (results.not_in?.length ?? 0), `${context}: in + not_in`).toBe(all);
    expect((results.gt?.length ?? 0) + (results.lte?.length ?? 0), `${context}: gt + lte`).toBe(all);
    expect((results.lt?.length ?? 0) + (results.gte?.length ?? 0), `${context}: lt + gte`).toBe(all);
    expect((results.gte?.length ?? 0) - (results.gt?.length ?? 0), `${context}: gte - gt is eq`).toBe(results.eq?.length ?? 0);
    // A NUL in a text match is refused on every dialect (SQLite's LIKE would stop at it): nothing to compare then.
    const likeIsLiteral = !payload.includes('\u0000');
    for (const op of ['contains', 'starts_with', 'ends_with'] as const) {
      if (!likeIsLiteral) continue;
      for (const value of values(results[op])) expect(likeText(value, payload, op), `${context}: ${op} returned ${JSON.stringify(value)}`).toBe(true);
      expect((results[op]?.length ?? 0) + (negated[op]?.length ?? 0), `${context}: ${op} + not ${op}`).toBe(all);
    }
    // The stored payloads are found exactly.
    const holding = spec.rows.filter((row) => row[field] === payload);
    if (holding.length > 0) {
      expect(keysOf(spec, results.eq ?? []), `${context}: eq finds the stored rows`).toEqual(keysOf(spec, holding));
      for (const op of ['contains', 'starts_with', 'ends_with'] as const) {
        expect(keysOf(spec, results[op] ?? []), `${context}: ${op} finds the stored rows`).toEqual(expect.arrayContaining(keysOf(spec, holding)));
      }
    }
    // The count tool agrees with the query tool.
    const agreements: [where: unknown[], rows: Record<string, unknown>[] | null | undefined][] = [
      [[cond('eq', payload)], results.eq],
      ...(likeIsLiteral ? [[[cond('contains', payload)], results.contains] as [unknown[], Record<string, unknown>[] | null | undefined]] : []),
      [[{ not: cond('neq', payload) }], results.eq],
    ];
    for (const [where, rows] of agreements) {
      const counted = await send(`count_${spec.name}`, { where });
      expect(counted.isError, `${context}: ${textOf(counted)}`).toBeFalsy();
      expect((counted.structuredContent as { count: number }).count, `${context}: count ${show(where)}`).toBe(rows?.length ?? 0);
    }
    // So does the aggregate tool, grouping by the field: only the payload itself is a group key.
    const grouped = await send(`aggregate_${spec.name}`, { where: [cond('eq', payload)], group_by: [field] });
    expect(grouped.isError, `${context}: ${textOf(grouped)}`).toBeFalsy();
    const groups = (grouped.structuredContent as { rows: Record<string, unknown>[] }).rows;
    expect(groups.reduce((total, row) => total + (row.count as number), 0), `${context}: aggregate count`).toBe(results.eq?.length ?? 0);
    for (const row of groups) expect(equalText(dialect, String(row[field]), payload), `${context}: aggregate grouped ${JSON.stringify(row)}`).toBe(true);
  }

  /** The payload as a lookup key: the row holding it literally or none; as an integer key: refused. */
  async function lookups(spec: TableSpec, payload: string): Promise<void> {
    for (const lookup of spec.lookups) {
      if (!lookup.text) {
        await expectRefused(lookup.tool, { ...lookup.fixed, [spec.key]: payload }, spec.key);
        continue;
      }
      const field = lookup.text;
      const result = await send(lookup.tool, { ...lookup.fixed, [field]: payload });
      if (payload.includes('\u0000')) {
        expect(result.isError).toBe(true);
        expect(textOf(result)).toBe(`Invalid arguments for ${lookup.tool}: ${field}: expected a string without NUL characters.`);
        outcomes.refused += 1;
        continue;
      }
      expect(result.isError, `${lookup.tool} ${JSON.stringify(payload)}: ${textOf(result)}`).toBeFalsy();
      outcomes.matched += 1;
      const row = (result.structuredContent as { row: Record<string, unknown> | null }).row;
      const stored = spec.rows.find((candidate) => candidate[field] === payload && Object.entries(lookup.fixed).every(([key, value]) => candidate[key] === value));
      if (stored) expect(row, `${lookup.tool} finds the stored payload`).toMatchObject({ [field]: payload, [spec.key]: stored[spec.key] });
      else if (row) expect(equalText(dialect, String(row[field]), payload), `${lookup.tool} ${JSON.stringify(payload)} returned ${JSON.stringify(row)}`).toBe(true);
    }
  }

  /** The payload as a value of every non-text field, and as every name a call carries: always refused. */
  async function names(spec: TableSpec, payload: string): Promise<void> {
    const query = `query_${spec.name}`;
    const count = `count_${spec.name}`;
    const textField = spec.textFields[0] as string;
    for (const field of otherFields.get(spec.name) ?? []) {
      await expectRefused(query, { where: [{ field, op: 'eq', value: payload }] }, 'where[0]');
      await expectRefused(count, { where: [{ field, op: 'in', value: [payload] }] }, 'where[0]');
    }
    await expectRefused(query, { where: [{ field: payload, op: 'eq', value: 'plain' }] }, 'where[0].field');
    await expectRefused(count, { where: [{ not: { field: payload, op: 'is_null' } }] }, 'where[0].not.field');
    await expectRefused(query, { where: [{ field: textField, op: payload, value: 'plain' }] }, 'where[0].op');
    await expectRefused(count, { where: [{ or: [{ field: textField, op: payload, value: 'plain' }] }] }, 'where[0].or[0].op');
    await expectRefused(query, { order_by: [{ field: payload }] }, 'order_by[0].field');
    await expectRefused(query, { order_by: [{ field: spec.key, direction: payload }] }, 'order_by[0].direction');
    await expectRefused(query, { columns: [spec.key, payload] }, 'columns[1]');
    await expectRefused(query, { [payload]: 1 }, 'unknown argument');
    await expectRefused(count, { where: [], [payload]: [] }, 'unknown argument');
    await expectRefused(query, { where: [{ [payload]: [{ field: textField, op: 'eq', value: 'plain' }] }] }, 'where[0]');
    await expectRefused(query, { where: payload }, 'where');
    await expectRefused(query, { limit: payload }, 'limit');
    await expectRefused(query, { offset: payload }, 'offset');
    const lookup = spec.lookups[0] as TableSpec['lookups'][number];
    const keyArgs = lookup.text ? { ...lookup.fixed, [lookup.text]: 'plain' } : { [spec.key]: 1 };
    await expectRefused(lookup.tool, { ...keyArgs, [payload]: 'x' }, 'unknown argument');
    // Every name an aggregate call carries: group key, bucket, metric function, field and output, having, order_by.
    const aggregate = `aggregate_${spec.name}`;
    await expectRefused(aggregate, { group_by: [payload] }, 'group_by[0]');
    if (spec.name === 'notes') await expectRefused(aggregate, { group_by: [textField, { field: 'day', bucket: payload }] }, 'group_by[1]');
    await expectRefused(aggregate, { metrics: [{ fn: payload, field: textField }] }, 'metrics[0]');
    await expectRefused(aggregate, { metrics: [{ fn: 'count' }, { fn: 'count_distinct', field: payload }] }, 'metrics[1]');
    await expectRefused(aggregate, { metrics: [{ fn: 'count', as: payload }] }, 'metrics[0].as');
    await expectRefused(aggregate, { having: [{ metric: payload, op: 'gt', value: 0 }] }, 'having[0]');
    await expectRefused(aggregate, { having: [{ metric: 'count', op: payload, value: 0 }] }, 'having[0].op');
    await expectRefused(aggregate, { group_by: [textField], order_by: [{ by: payload }] }, 'order_by[0].by');
    await expectRefused(aggregate, { order_by: [{ by: 'count', direction: payload }] }, 'order_by[0].direction');
    await expectRefused(aggregate, { [payload]: 1 }, 'unknown argument');
  }

  it(`has ${PAYLOADS.length} distinct payloads covering every known bypass, and the stored ones are unambiguous`, () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(80);
    expect(new Set(PAYLOADS).size).toBe(PAYLOADS.length);
    for (const payload of PAYLOADS) expect(payload.length).toBeLessThanOrEqual(1_000);
    for (const needle of ['COMMIT; DROP', 'WITH x AS (DELETE', '/*!50000', 'SELECT 1--1;DROP TABLE', "EXEC('DELETE", 'pg_sleep', 'SLEEP(', 'BENCHMARK(', 'TO PROGRAM', 'LOAD_FILE', 'pg_read_file', 'INTO OUTFILE', 'id as x', 'a.b', 'id asc; drop', '" as "', '%27', '\\x27', '\u0000']) {
      expect(PAYLOADS.some((payload) => payload.includes(needle)), needle).toBe(true);
    }
    for (const stored of [STORED_A, STORED_B]) {
      expect(PAYLOADS.filter((payload) => equalText('mysql', payload, stored))).toEqual([stored]);
    }
  });

  it('lists exactly the expected tools, with the text fields the corpus targets', () => {
    expect(conexor.tools.map((tool) => tool.name).sort()).toEqual(
      [
        'query_notes',
        'query_notes_by_id',
        'query_notes_by_title',
        'count_notes',
        'aggregate_notes',
        'query_pairs',
        'query_pairs_by_grp_and_code',
        'count_pairs',
        'aggregate_pairs',
        'query_victim',
        'query_victim_by_id',
        'count_victim',
        'aggregate_victim',
      ].sort(),
    );
    for (const spec of TABLES) {
      expect(textFields.get(spec.name), spec.name).toEqual(spec.textFields);
      expect(otherFields.get(spec.name)?.length, spec.name).toBeGreaterThan(0);
    }
  });

  it('finds the stored payloads exactly with eq, and with contains on a fragment', async () => {
    for (const [stored, fragment, id] of [
      [STORED_A, FRAGMENT_A, 2],
      [STORED_B, FRAGMENT_B, 3],
    ] as const) {
      const spec = TABLES[0] as TableSpec;
      expect(keysOf(spec, (await rowsFor(spec, [{ field: 'title', op: 'eq', value: stored }], stored)) ?? [])).toEqual([id]);
      expect(keysOf(spec, (await rowsFor(spec, [{ field: 'title', op: 'contains', value: fragment }], fragment)) ?? [])).toEqual([id]);
      expect(keysOf(spec, (await rowsFor(spec, [{ field: 'body', op: 'contains', value: fragment }], fragment)) ?? [])).toEqual([id]);
      const counted = await send('count_notes', { where: [{ field: 'title', op: 'contains', value: fragment }] });
      expect(counted.structuredContent).toEqual({ count: 1 });
      const looked = await send('query_notes_by_title', { title: stored });
      expect((looked.structuredContent as { row: { id: number } }).row.id).toBe(id);
    }
    const victims = await rowsFor(TABLES[2] as TableSpec, [{ field: 'name', op: 'ends_with', value: 'TABLE victim;--' }], '');
    expect(victims?.map((row) => row.name)).toEqual([STORED_A]);
  });

  it('matches every payload literally as a text value, with every text operator, on every text field', async () => {
    for (const payload of PAYLOADS) {
      for (const spec of TABLES) {
        for (const field of textFields.get(spec.name) ?? []) await textField(spec, field, payload);
      }
    }
  });

  it('matches a NUL byte in contains / starts_with / ends_with literally, or refuses it (as now on every dialect)', async () => {
    // On SQLite this fails: conexor sends `LIKE '%' || <value> || '%'`, and SQLite's LIKE reads its pattern (and the
    // column's text) only up to the first NUL, so `contains "\u0000anything"` becomes `LIKE '%'` and matches every
    // row, `ends_with "\u0000x"` too, and `starts_with "pl\u0000x"` becomes `LIKE 'pl'`. A filter is silently
    // widened; values with a NUL should be refused, or matched with a NUL-safe test such as instr().
    const notes = TABLES[0] as TableSpec;
    const cases: [op: string, value: string, ids: number[]][] = [
      ['contains', '\u0000no such text', []],
      ['contains', 'pl\u0000ain', []],
      ['ends_with', '\u0000ain', []],
      ['starts_with', 'plain\u0000', []],
      ['starts_with', 'pla', [1]],
    ];
    const wrong: string[] = [];
    for (const [op, value, ids] of cases) {
      const rows = await rowsFor(notes, [{ field: 'title', op, value }], value);
      if (rows === null) continue;
      const found = keysOf(notes, rows);
      if (JSON.stringify(found) !== JSON.stringify(ids)) wrong.push(`title ${op} ${JSON.stringify(value)} returned ids ${JSON.stringify(found)}, expected ${JSON.stringify(ids)}`);
    }
    expect(wrong, `${dialect}: NUL in a text match is not literal:\n${wrong.join('\n')}`).toEqual([]);
  });

  it('matches every payload literally as a text lookup key, and refuses it as an integer key', async () => {
    for (const payload of PAYLOADS) {
      for (const spec of TABLES) await lookups(spec, payload);
    }
  });

  it('refuses every payload as a non-text value, field name, operator, sort field, direction, column and argument name', async () => {
    for (const payload of PAYLOADS) {
      for (const spec of TABLES) await names(spec, payload);
    }
  });

  it('refuses a payload past the string limit everywhere, naming the limit', async () => {
    for (const spec of TABLES) {
      for (const field of textFields.get(spec.name) ?? []) {
        for (const op of TEXT_OPS) {
          const value = op === 'in' || op === 'not_in' ? ['plain', TOO_LONG] : op === 'between' ? ['a', TOO_LONG] : TOO_LONG;
          await expectRefused(`query_${spec.name}`, { where: [{ field, op, value }] }, 'where[0]');
        }
      }
    }
    await expectRefused('query_notes_by_title', { title: TOO_LONG }, 'title');
    await expectRefused('query_pairs_by_grp_and_code', { grp: 2, code: TOO_LONG }, 'code');
  });

  it('refuses the Knex CVE-2016-20018 object shape and other non-primitive values', async () => {
    const shapes: unknown[] = [{ name: 'alice' }, { title: STORED_A }, { $ne: null }, { raw: "'; DROP TABLE victim; --" }, { sql: 'DROP TABLE victim', bindings: [] }, [[STORED_A]], [{ a: 1 }]];
    for (const value of shapes) {
      await expectRefused('query_victim', { where: [{ field: 'name', op: 'eq', value }] }, 'where[0]');
      await expectRefused('count_notes', { where: [{ field: 'title', op: 'in', value: [value] }] }, 'where[0]');
      await expectRefused('query_notes', { where: [{ field: 'body', op: 'contains', value }] }, 'where[0]');
      await expectRefused('query_notes_by_title', { title: value }, 'title');
      await expectRefused('query_victim_by_id', { id: value }, 'id');
      await expectRefused('query_pairs_by_grp_and_code', { grp: 2, code: value }, 'code');
    }
  });

  it('leaves every table, column and row unchanged, creates nothing anywhere, and still answers', async () => {
    expect(calls).toBeGreaterThan(PAYLOADS.length * 50);
    const after = await snapshot(db);
    expect(after.tables).toEqual(['notes', 'pairs', 'victim']);
    expect(after).toEqual(before);
    expect(await pwnedTraces(db)).toEqual([]);
    const victims = await send('query_victim', { order_by: [{ field: 'id' }] });
    expect((victims.structuredContent as { rows: unknown[] }).rows).toEqual(VICTIMS);
    expect((await send('count_notes', {})).structuredContent).toEqual({ count: NOTES.length });
  });
});

function show(args: unknown): string {
  const text = JSON.stringify(args) ?? String(args);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
