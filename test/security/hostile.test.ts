import { createHash } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Knex } from 'knex';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor, type Dialect, type NormalizedType } from '../../src/index.js';
import { CASE_HINT } from '../../src/tools/case-hint.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

/**
 * Hostile input through a real MCP client, on every dialect. Every call must either be refused with a validation
 * error naming the argument, or return exactly the rows a literal reading of the input selects. Afterwards both
 * tables must be byte-for-byte what they were.
 */

const LABELS = [
  'plain',
  "O'Brien",
  "'; DROP TABLE victim; --",
  '" OR ""="',
  '1 OR 1=1',
  'back\\slash',
  "it\\'s",
  '100% pure',
  '1000 pure',
  'under_score',
  'underXscore',
  'wow!',
  'party 🎉',
  'שלום עולם',
  'Cafe\u0301',
  '`tick`; SELECT 1',
] as const;

/** Id of the row holding a label (rows are inserted in LABELS order, ids from 1). */
const idOf = (label: string): number => {
  const index = LABELS.indexOf(label as (typeof LABELS)[number]);
  if (index < 0) throw new Error(`no row labelled ${label}`);
  return index + 1;
};
const ALL_IDS = LABELS.map((_, index) => index + 1);
const MOODS = ['sad', 'ok', 'happy'] as const;
const NUL_LABEL = 'nul\u0000byte';

const VICTIMS = ['alice', 'bob', "Robert'); DROP TABLE students;--"];

/** Text the error may not contain once quoted (echoed) input is removed: SQL, stack frames, object dumps. */
const LEAKS = [/select /i, /insert /i, /drop /i, /delete /i, /update /i, /^\s+at /m, /\bat .+:\d+:\d+/, /\[object Object\]/, /undefined/];

function assertClean(text: string): void {
  // Echoed input is JSON-quoted by conexor's messages; it may legitimately contain anything.
  const unquoted = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const leak of LEAKS) expect(unquoted, `error text leaks ${String(leak)}: ${text.slice(0, 500)}`).not.toMatch(leak);
  expect(text.length).toBeLessThan(2_000);
}

async function tableNames(db: TestDatabase): Promise<string[]> {
  const { knex } = db;
  let names: string[];
  if (db.dialect === 'sqlite') {
    const rows = (await knex.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) as { name: string }[];
    names = rows.map((row) => row.name);
  } else {
    const rows = (await knex('information_schema.tables').select('table_name as name').where('table_schema', db.schema)) as {
      name: string;
    }[];
    names = rows.map((row) => row.name);
  }
  return names.sort();
}

/** Table names, row counts and a hash of every row of both tables, read directly through Knex. */
async function snapshot(db: TestDatabase): Promise<{ tables: string[]; counts: Record<string, number>; checksum: string }> {
  const hash = createHash('sha256');
  const counts: Record<string, number> = {};
  for (const table of ['things', 'victim']) {
    const rows = (await db.knex(table).select('*').orderBy('id')) as Record<string, unknown>[];
    counts[table] = rows.length;
    hash.update(JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
  }
  return { tables: await tableNames(db), counts, checksum: hash.digest('hex') };
}

async function createSchema(knex: Knex, dialect: Dialect): Promise<void> {
  await knex.schema.createTable('things', (t) => {
    t.increments('id');
    t.string('label', 200).unique();
    t.text('body');
    t.integer('qty');
    t.decimal('price', 10, 2);
    t.date('day');
    t.boolean('flag');
    // A real enum type on PostgreSQL; a CHECK-constrained string on SQLite; ENUM on MySQL.
    if (dialect === 'postgresql') t.enu('mood', [...MOODS], { useNative: true, enumName: 'mood' });
    else t.enu('mood', [...MOODS]);
    t.json('doc');
  });
  await knex.schema.createTable('victim', (t) => {
    t.increments('id');
    t.string('name', 200);
  });
  await knex('things').insert(
    LABELS.map((label, index) => ({
      label,
      body: index === 0 ? null : `note: ${label}`,
      qty: index + 1,
      price: `${index + 1}.25`,
      day: `2024-01-${String(index + 1).padStart(2, '0')}`,
      flag: index % 2 === 0,
      mood: MOODS[index % 3],
      doc: JSON.stringify({ n: index + 1, label }),
    })),
  );
  // PostgreSQL text cannot hold NUL at all; elsewhere a stored NUL must be found literally.
  if (dialect !== 'postgresql') await knex('things').insert({ label: NUL_LABEL, body: NUL_LABEL, qty: 0 });
  await knex('victim').insert(VICTIMS.map((name) => ({ name })));
}

describe.each(DIALECTS)('hostile input on %s', (dialect) => {
  let db: TestDatabase;
  let conexor: Conexor;
  let client: Client;
  let before: Awaited<ReturnType<typeof snapshot>>;
  let nulId: number | undefined;
  const errors: string[] = [];
  const logs: string[] = [];

  const typeOf = (field: string): NormalizedType => {
    const table = conexor.exposed.tables.find((exposed) => exposed.table.name === 'things');
    const column = table?.columns.find((candidate) => candidate.name === field);
    if (!column) throw new Error(`no column ${field}`);
    return column.type;
  };

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_hostile');
    await createSchema(db.knex, dialect);
    if (dialect !== 'postgresql') {
      const row = (await db.knex('things').select('id').where('qty', 0).first()) as { id: number } | undefined;
      nulId = row?.id;
    }
    // Causes go to the host's logger, captured here; the model sees only the sanitized message.
    conexor = await createConexor(db.knex, { logger: pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) }) });
    client = await connectClient(conexor.createServer());
    before = await snapshot(db);
  });

  afterAll(async () => {
    await client?.close();
    await db?.destroy();
  });

  async function send(tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const result = await call(client, tool, args);
    if (result.isError) {
      errors.push(textOf(result));
      assertClean(textOf(result));
    }
    return result;
  }

  /** A validation error: `Invalid arguments for <tool>:` naming `argument`. */
  async function expectInvalid(tool: string, args: Record<string, unknown>, argument: string, also?: RegExp): Promise<string> {
    const result = await send(tool, args);
    const text = textOf(result);
    expect(result.isError, `${tool} ${describeArgs(args)} should be refused, got: ${text.slice(0, 300)}`).toBe(true);
    expect(text.startsWith(`Invalid arguments for ${tool}: `), text).toBe(true);
    expect(text, `error should name ${argument}`).toContain(argument);
    if (also) expect(text).toMatch(also);
    return text;
  }

  /** A successful query whose rows are exactly `ids`, and a count tool agreeing with it. */
  async function expectRows(where: unknown[], ids: readonly number[]): Promise<void> {
    const result = await send('query_things', { where, limit: 100 });
    expect(result.isError, `${describeArgs(where)}: ${textOf(result)}`).toBeFalsy();
    const rows = (result.structuredContent as { rows: { id: number }[] }).rows;
    expect(rows.map((row) => row.id).sort((a, b) => a - b), describeArgs(where)).toEqual([...ids].sort((a, b) => a - b));
    const counted = await send('count_things', { where });
    expect(counted.isError, textOf(counted)).toBeFalsy();
    expect((counted.structuredContent as { count: number }).count).toBe(ids.length);
  }

  /** Either a validation error naming `argument` or exactly the rows `ids` (used where dialects legitimately differ). */
  async function expectInvalidOrRows(where: unknown[], argument: string, ids: readonly number[]): Promise<void> {
    const result = await send('query_things', { where, limit: 100 });
    if (result.isError) {
      expect(textOf(result), `${describeArgs(where)} failed without naming ${argument}`).toMatch(/^Invalid arguments for query_things: /);
      expect(textOf(result)).toContain(argument);
    } else {
      const rows = (result.structuredContent as { rows: { id: number }[] }).rows;
      expect(rows.map((row) => row.id).sort((a, b) => a - b), describeArgs(where)).toEqual([...ids].sort((a, b) => a - b));
    }
  }

  const eq = (field: string, value: unknown, op = 'eq') => [{ field, op, value }];
  const others = (...ids: number[]) => [...ALL_IDS, ...(nulId ? [nulId] : [])].filter((id) => !ids.includes(id));

  it('matches SQL-looking, quoted, escaped and unicode strings literally in every tool', async () => {
    for (const label of LABELS) {
      const id = idOf(label);
      await expectRows(eq('label', label), [id]);
      await expectRows(eq('label', label, 'neq'), others(id));
      await expectRows(eq('label', [label, "' OR '1'='1"], 'in'), [id]);
      await expectRows(eq('body', `note: ${label}`), id === 1 ? [] : [id]);
      const lookup = await send('query_things_by_label', { label });
      expect(lookup.isError, textOf(lookup)).toBeFalsy();
      expect((lookup.structuredContent as { row: { id: number; label: string } | null }).row).toMatchObject({ id, label });
    }
    // Injection attempts that match no row find nothing, and never everything.
    for (const needle of ["' OR '1'='1", "x' OR 1=1 --", '" OR 1=1 --', "\\' OR 1=1 #", "'); DROP TABLE victim; --", 'O\\\'Brien', "O''Brien"]) {
      await expectRows(eq('label', needle), []);
      const lookup = await send('query_things_by_label', { label: needle });
      expect((lookup.structuredContent as { row: unknown }).row).toBeNull();
      const victim = await send('query_victim', { where: eq('name', needle) });
      expect((victim.structuredContent as { rows: unknown[] }).rows).toEqual([]);
    }
    // The victim table's own tools, with the same inputs.
    const injection = "x' OR '1'='1";
    // A text eq that finds nothing says ieq exists (see test/tools/case.test.ts).
    expect((await send('count_victim', { where: eq('name', injection) })).structuredContent).toEqual({ count: 0, hint: CASE_HINT });
    expect((await send('count_victim', { where: eq('name', 'DROP TABLE', 'contains') })).structuredContent).toEqual({ count: 1 });
    await expectInvalid('query_victim_by_id', { id: '1 OR 1=1' }, 'id');
    await expectInvalid('count_victim', { where: eq('id', "1; DROP TABLE victim; --") }, 'where[0].value');
    // The victim's own hostile name is found exactly.
    const robert = await send('query_victim', { where: eq('name', VICTIMS[2]) });
    expect((robert.structuredContent as { rows: { name: string }[] }).rows.map((row) => row.name)).toEqual([VICTIMS[2]]);
  });

  it('treats %, _, ! and backslashes in contains / starts_with / ends_with as literal text', async () => {
    const cases: [op: string, value: string, labels: string[]][] = [
      ['contains', '%', ['100% pure']],
      ['contains', '0% p', ['100% pure']],
      ['starts_with', '100%', ['100% pure']],
      ['ends_with', '%', []],
      ['contains', '_', ['under_score']],
      ['ends_with', '_score', ['under_score']],
      ['starts_with', '_', []],
      ['contains', '%_%', []],
      ['contains', '!', ['wow!']],
      ['contains', '!%', []],
      ['contains', "'", ["O'Brien", "'; DROP TABLE victim; --", "it\\'s"]],
      ['contains', '"', ['" OR ""="']],
      ['contains', '\\', ['back\\slash', "it\\'s"]],
      ['contains', "\\'", ["it\\'s"]],
      ['contains', '\\s', ['back\\slash']],
      ['contains', ' OR ', ['" OR ""="', '1 OR 1=1']],
      ['contains', 'drop table', ["'; DROP TABLE victim; --"]],
      ['starts_with', "'; ", ["'; DROP TABLE victim; --"]],
      ['ends_with', '--', ["'; DROP TABLE victim; --"]],
      ['contains', '`', ['`tick`; SELECT 1']],
      ['contains', '🎉', ['party 🎉']],
      ['contains', 'שלום', ['שלום עולם']],
      ['ends_with', 'Cafe\u0301', ['Cafe\u0301']],
      ['contains', 'zz%zz', []],
    ];
    for (const [op, value, labels] of cases) {
      await expectRows(eq('label', value, op), labels.map(idOf));
    }
    await expectRows(eq('body', '%', 'contains'), [idOf('100% pure')]);
    await expectRows(eq('body', 'note: _', 'starts_with'), []);
  });

  it('refuses NUL bytes in every string value with the same validation error on every dialect', async () => {
    // PostgreSQL text cannot hold NUL and SQLite's LIKE stops at one: refused everywhere, naming the argument.
    await expectInvalid('query_things', { where: eq('body', 'nul\u0000', 'starts_with') }, 'where[0]', /without NUL/);
    const attempts: [tool: string, args: Record<string, unknown>, argument: string][] = [
      ['query_things', { where: eq('label', NUL_LABEL) }, 'where[0].value'],
      ['count_things', { where: eq('label', [NUL_LABEL, 'plain'], 'in') }, 'where[0].value'],
      ['query_things_by_label', { label: NUL_LABEL }, 'label'],
      ['query_things', { where: eq('label', '\u0000') }, 'where[0].value'],
    ];
    for (const [tool, args, argument] of attempts) await expectInvalid(tool, args, argument, /without NUL characters/);
    expect(logs.some((line) => line.includes('22021'))).toBe(false);
    // A stored NUL (SQLite, MySQL/MariaDB) is still returned as it is.
    if (nulId !== undefined) {
      const found = await send('query_things', { where: eq('id', nulId), limit: 1 });
      expect((found.structuredContent as { rows: { label: string }[] }).rows).toMatchObject([{ label: NUL_LABEL }]);
    }
    await expectRows(eq('label', 'plain'), [1]);
  });

  it('refuses over-long strings and names the length limit', async () => {
    const huge = 'x'.repeat(1_000_000);
    const limit = /1000 characters/;
    await expectInvalid('query_things', { where: eq('label', huge) }, 'where[0].value', limit);
    await expectInvalid('query_things', { where: eq('body', huge, 'contains') }, 'where[0].value', limit);
    await expectInvalid('count_things', { where: eq('label', ['a', huge], 'in') }, 'where[0].value', limit);
    await expectInvalid('query_things', { where: [{ or: [eq('label', 'a')[0], eq('label', huge)[0]] }] }, 'where[0].or[1].value', limit);
    await expectInvalid('query_things_by_label', { label: huge }, 'label', limit);
    // Exactly at the limit is fine.
    await expectRows(eq('label', 'y'.repeat(1000)), []);
  });

  it('refuses values of the wrong type for each column type', async () => {
    const wrong: [field: string, value: unknown][] = [
      ['qty', '1 OR 1=1'],
      ['qty', '5'],
      ['qty', 1.5],
      ['qty', true],
      ['label', 5],
      ['label', false],
      ['body', 12.5],
      ['price', '1.25'],
      ['price', "1; DROP TABLE victim"],
      ['day', true],
      ['day', 20240101],
      ['day', "2024-01-02'; DROP TABLE victim; --"],
      ['day', '2024-01-02 OR 1=1'],
      ['flag', 'true'],
      ['flag', "1' OR '1'='1"],
      ['id', '1 OR 1=1'],
      ['id', "1; DROP TABLE victim"],
    ];
    if (typeOf('flag') === 'boolean') wrong.push(['flag', 1]);
    if (typeOf('mood') === 'enum') wrong.push(['mood', 'angry'], ['mood', "ok' OR '1'='1"], ['mood', 1]);
    for (const [field, value] of wrong) {
      await expectInvalid('query_things', { where: eq(field, value) }, 'where[0].value');
      await expectInvalid('count_things', { where: eq(field, [value], 'in') }, 'where[0]');
    }
    // Scalars that pass type checks still only select what they say.
    await expectRows(eq('qty', 3), [3]);
    await expectRows(eq('price', 3.25), [3]);
    await expectRows(eq('day', '2024-01-04'), [4]);
    await expectRows(eq('mood', 'happy'), ALL_IDS.filter((id) => (id - 1) % 3 === 2));
    if (typeOf('mood') !== 'enum') await expectRows(eq('mood', "ok' OR '1'='1"), []);
    const flagTrue = typeOf('flag') === 'boolean' ? true : 1;
    await expectRows(eq('flag', flagTrue), ALL_IDS.filter((id) => (id - 1) % 2 === 0));
    // JSON columns only take null tests.
    await expectInvalid('query_things', { where: eq('doc', { n: 1 }) }, 'where[0].op');
    await expectInvalid('query_things', { where: eq('doc', '{"n":1}', 'contains') }, 'where[0].op');
    await expectInvalid('query_things', { where: eq('qty', '1', 'contains') }, 'where[0].op');
    // Well-formed dates that name no real day are refused before they reach the database.
    await expectInvalid('query_things', { where: eq('day', '2024-02-30') }, 'where[0]', /not a real date/);
    await expectInvalid('count_things', { where: eq('day', ['2024-01-01', '2024-13-01'], 'between') }, 'where[0]', /not a real date/);
    await expectInvalid('query_things', { where: eq('day', ['2024-01-01', '0000-01-01'], 'in') }, 'where[0]', /not a real date/);
    await expectRows(eq('day', '2024-02-29'), []);
  });

  it("refuses, or matches nothing for, integers beyond the column's range", async () => {
    // On PostgreSQL an int4 column compared with 2^40 fails in the database; the model must still get either a
    // validation error naming the argument or the (empty) correct result.
    await expectInvalidOrRows(eq('qty', 2 ** 70), 'where[0]', []);
    await expectInvalidOrRows(eq('qty', 2 ** 40), 'where[0]', []);
    await expectInvalidOrRows(eq('qty', -(2 ** 40), 'gt'), 'where[0]', [...ALL_IDS, ...(nulId ? [nulId] : [])]);
    await expectInvalidOrRows(eq('price', 1e300), 'where[0]', []);
    for (const id of [2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER]) {
      const lookup = await send('query_things_by_id', { id });
      if (lookup.isError) expect(textOf(lookup)).toMatch(/^Invalid arguments for query_things_by_id: id/);
      else expect(lookup.structuredContent).toEqual({ row: null });
    }
  });

  it('refuses objects and arrays where scalars are expected, including the Knex CVE-2016-20018 shape', async () => {
    const shapes: unknown[] = [{ a: 1 }, { $ne: 1 }, { toString: 'x' }, [], [1], [[1]], { raw: 'DROP TABLE victim' }];
    for (const value of shapes) {
      await expectInvalid('query_things', { where: eq('id', value) }, 'where[0]');
      await expectInvalid('query_things', { where: eq('label', value) }, 'where[0]');
      await expectInvalid('count_things', { where: eq('label', value, 'neq') }, 'where[0]');
      await expectInvalid('query_things_by_id', { id: value }, 'id');
      await expectInvalid('query_things_by_label', { label: value }, 'label');
    }
    await expectInvalid('query_things', { where: eq('id', [{ a: 1 }], 'in') }, 'where[0]');
    await expectInvalid('query_things', { where: eq('id', 1, 'in') }, 'where[0]', /list/);
    await expectInvalid('query_things', { where: eq('id', [1, 2, 3], 'between') }, 'where[0]', /low, high/);
    await expectInvalid('query_things', { where: eq('id', [1], 'between') }, 'where[0]');
    await expectInvalid('query_things', { where: eq('id', { low: 1, high: 2 }, 'between') }, 'where[0]');
    await expectInvalid('query_things', { where: eq('label', ['a'], 'contains') }, 'where[0]');
    await expectInvalid('query_things', { where: eq('label', '', 'contains') }, 'where[0]', /non-empty/);
    await expectInvalid('query_things', { where: [{ field: 'body', op: 'is_null', value: true }] }, 'where[0]', /no value/);
    await expectInvalid('query_things', { where: { field: 'id', op: 'eq', value: 1 } }, 'where');
    await expectInvalid('query_things', { where: 'id = 1 OR 1=1' }, 'where');
    await expectInvalid('query_things', { where: ['1=1'] }, 'where[0]');
    await expectInvalid('query_things', { where: [[{ field: 'id', op: 'eq', value: 1 }]] }, 'where[0]');
    await expectInvalid('query_things', { columns: 'id, (SELECT name FROM victim)' }, 'columns');
    await expectInvalid('query_things', { order_by: 'id; DROP TABLE victim' }, 'order_by');
    await expectInvalid('query_things', { order_by: [{ field: { a: 1 } }] }, 'order_by[0].field');
    await expectRows([{ field: 'body', op: 'is_null' }], [1]);
    await expectRows(eq('id', [2, 4], 'between'), [2, 3, 4]);
  });

  it('refuses unknown fields, operators, condition keys and top-level arguments', async () => {
    const fields = ['nope', '', 'id; DROP TABLE victim', 'id" OR 1=1 --', 'label`', '*', 'victim.name', 'things.id', 'ID', '(SELECT 1)', 'x'.repeat(10_000)];
    for (const field of fields) {
      const text = await expectInvalid('query_things', { where: eq(field, 1) }, 'where[0].field');
      expect(text).toMatch(/allowed: id, label, body/);
      await expectInvalid('count_things', { where: [{ not: eq(field, 1)[0] }] }, 'where[0].not.field');
      await expectInvalid('query_things', { order_by: [{ field }] }, 'order_by[0].field');
      await expectInvalid('query_things', { columns: ['id', field] }, 'columns[1]');
    }
    await expectInvalid('query_things', { where: [{ field: 1, op: 'eq', value: 1 }] }, 'where[0].field');
    await expectInvalid('query_things', { where: [{ field: null, op: 'eq', value: 1 }] }, 'where[0].field');
    for (const op of ['like', 'ilike', 'regexp', '=', 'OR', '', 'EQ', 'eq; DROP TABLE victim', 'raw', '__proto__', 'constructor']) {
      const text = await expectInvalid('query_things', { where: eq('label', 'a', op) }, 'where[0].op');
      expect(text).toMatch(/allowed: eq, neq/);
    }
    await expectInvalid('query_things', { where: [{ field: 'id', op: 'eq', value: 1, raw: 'OR 1=1' }] }, 'where[0]', /"raw"/);
    await expectInvalid('query_things', { where: [{ field: 'id', value: 1 }] }, 'where[0].op');
    await expectInvalid('query_things', { where: [{ or: [eq('id', 1)[0]], and: [eq('id', 2)[0]] }] }, 'where[0]');
    await expectInvalid('query_things', { where: [{ or: [] }] }, 'where[0]');
    await expectInvalid('query_things', { where: [{ xor: [eq('id', 1)[0]] }] }, 'where[0]');
    await expectInvalid('query_things', { order_by: [{ field: 'id', direction: 'DESC; DROP TABLE victim' }] }, 'order_by[0].direction');
    await expectInvalid('query_things', { order_by: [{ field: 'doc' }] }, 'order_by[0].field');
    await expectInvalid('query_things', { order_by: [{ field: 'id', nulls: 'first' }] }, 'order_by[0]');
    await expectInvalid('query_things', { columns: [] }, 'columns');
    await expectInvalid('query_things', { columns: ['*'] }, 'columns[0]');
    await expectInvalid('query_things', { columns: ['name'] }, 'columns[0]');

    const unknown: [tool: string, args: Record<string, unknown>][] = [
      ['query_things', { drop: true }],
      ['query_things', { where: [], sql: 'DROP TABLE victim' }],
      ['query_things', { table: 'victim' }],
      ['count_things', { limit: 1 }],
      ['count_things', { group_by: 'label' }],
      ['query_things_by_id', { id: 1, label: 'plain' }],
      ['query_things_by_id', { id: 1, where: [] }],
      ['query_things_by_label', { label: 'plain', or: '1=1' }],
      ['query_victim', { from: 'things' }],
    ];
    for (const [tool, args] of unknown) {
      await expectInvalid(tool, args, 'unknown argument', /allowed|arguments/);
    }
    await expectInvalid('query_things_by_id', {}, 'id');
    await expectInvalid('query_things_by_label', { id: 1 }, 'label');
  });

  it('refuses null where a value is expected', async () => {
    await expectInvalid('query_things', { where: eq('label', null) }, 'where[0].value', /is_null/);
    await expectInvalid('query_things', { where: eq('id', [1, null], 'in') }, 'where[0]');
    await expectInvalid('query_things', { where: eq('id', [null, 2], 'between') }, 'where[0]');
    await expectInvalid('query_things', { where: [null] }, 'where[0]');
    await expectInvalid('query_things', { where: [{ not: null }] }, 'where[0]');
    await expectInvalid('query_things', { where: [{ field: 'id', op: null, value: 1 }] }, 'where[0].op');
    for (const name of ['where', 'columns', 'order_by', 'limit', 'offset']) {
      await expectInvalid('query_things', { [name]: null }, name);
    }
    await expectInvalid('count_things', { where: null }, 'where');
    await expectInvalid('query_things_by_id', { id: null }, 'id');
    await expectInvalid('query_things_by_label', { label: null }, 'label');
  });

  it('bounds nesting depth, the number of conditions and list lengths', async () => {
    const cond = eq('id', 1)[0];
    const nest = (levels: number, key: 'not' | 'or' | 'and'): unknown => {
      let node: unknown = cond;
      for (let level = 0; level < levels; level += 1) node = key === 'not' ? { not: node } : { [key]: [node] };
      return node;
    };
    // Five levels are allowed: NOT NOT NOT NOT NOT (id = 1) is id <> 1.
    await expectRows([nest(5, 'not')], others(1));
    await expectRows([nest(5, 'or')], [1]);
    for (const key of ['not', 'or', 'and'] as const) {
      await expectInvalid('query_things', { where: [nest(6, key)] }, 'where[0]', /nest deeper than 5 levels/);
      await expectInvalid('count_things', { where: [nest(50, key)] }, 'where[0]', /nest deeper than 5 levels/);
    }
    // Thousands of levels must be refused as such, not overflow the stack.
    await expectInvalid('query_things', { where: [nest(5_000, 'not')] }, 'where[0]', /nest deeper than 5 levels/);
    await expectInvalid('count_things', { where: [nest(5_000, 'and')] }, 'where[0]', /nest deeper than 5 levels/);

    await expectRows(Array.from({ length: 20 }, () => cond), [1]);
    await expectInvalid('query_things', { where: Array.from({ length: 21 }, () => cond) }, 'where', /20/);
    await expectInvalid('query_things', { where: Array.from({ length: 100_000 }, () => cond) }, 'where', /20/);
    const grouped = Array.from({ length: 5 }, () => ({ or: Array.from({ length: 5 }, () => cond) }));
    await expectInvalid('count_things', { where: grouped }, 'where', /25 conditions; at most 20/);
    await expectInvalid('query_things', { where: [{ and: Array.from({ length: 21 }, () => cond) }] }, 'where[0]', /20/);

    const hundred = Array.from({ length: 100 }, (_, index) => index + 1);
    await expectRows(eq('id', hundred, 'in'), hundred.filter((id) => ALL_IDS.includes(id) || id === nulId));
    await expectRows(eq('id', hundred, 'not_in'), []);
    const text = await expectInvalid('query_things', { where: eq('id', [...hundred, 101], 'in') }, 'where[0].value');
    expect(text).toMatch(/at most 100 values/);
    await expectInvalid('query_things', { where: eq('id', Array.from({ length: 100_000 }, (_, index) => index), 'not_in') }, 'where[0].value', /at most 100/);
    await expectInvalid('query_things', { where: eq('label', Array.from({ length: 101 }, () => "' OR 1=1 --"), 'in') }, 'where[0].value', /at most 100/);
  });

  it('refuses out-of-range, fractional and mistyped limit and offset', async () => {
    for (const limit of [-1, 0, 1.5, 101, 1e12, Number.MAX_SAFE_INTEGER + 2, -1e308, '10', '10; DROP TABLE victim', true, [10], { a: 1 }]) {
      await expectInvalid('query_things', { limit }, 'limit');
    }
    for (const offset of [-1, 0.5, 100_001, 1e12, '0', '0 OR 1=1', false, [0]]) {
      await expectInvalid('query_things', { offset }, 'offset');
    }
    const over = await expectInvalid('query_things', { limit: 101 }, 'limit');
    expect(over).toContain('100');
    const last = await send('query_things', { offset: 100_000, limit: 100 });
    expect(last.structuredContent).toEqual({ rows: [], truncated: false });
    const page = await send('query_things', { limit: 2, offset: 3, columns: ['id'] });
    expect(page.structuredContent).toEqual({ rows: [{ id: 4 }, { id: 5 }], truncated: true, next_offset: 5 });
  });

  it('leaves every table, row count and row unchanged, and still answers', async () => {
    expect(errors.length).toBeGreaterThan(100);
    const after = await snapshot(db);
    expect(after.tables).toEqual(['things', 'victim']);
    expect(after).toEqual(before);
    expect(before.counts).toEqual({ things: LABELS.length + (dialect === 'postgresql' ? 0 : 1), victim: VICTIMS.length });

    const victims = await send('query_victim', { order_by: [{ field: 'id' }] });
    expect(victims.isError).toBeFalsy();
    expect((victims.structuredContent as { rows: { name: string }[] }).rows.map((row) => row.name)).toEqual(VICTIMS);
    const counted = await send('count_things', {});
    expect(counted.structuredContent).toEqual({ count: before.counts.things });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(conexor.tools.map((tool) => tool.name).sort());
  });
});

function describeArgs(args: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(args) ?? String(args);
  } catch {
    text = '(too deep to print)';
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
