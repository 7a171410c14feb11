/**
 * Case, through a real MCP client on every dialect, typed and generic tools: `eq`/`in` compare text as stored,
 * `ieq`/`iin` and `contains`/`starts_with`/`ends_with` ignore case the same way everywhere — also on a MariaDB column
 * with a case-sensitive (binary) collation — and a text `eq`/`in` that finds nothing says that `ieq` exists.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { CASE_HINT } from '../../src/tools/case-hint.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const ROWS = [
  { id: 1, first_name: 'MARY', code: 'AbC-1', age: 30 },
  { id: 2, first_name: 'John', code: 'xyz', age: 40 },
  { id: 3, first_name: 'mary-ann', code: 'ABC-2', age: 50 },
  { id: 4, first_name: 'ÉLODIE', code: 'Été', age: 60 },
];

describe.each(DIALECTS)('case-insensitive matching (%s)', (dialect) => {
  let db: TestDatabase;
  const conexors: Conexor[] = [];
  let typed: Client;
  let generic: Client;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_case');
    await db.knex.schema.createTable('people', (t) => {
      t.integer('id').primary();
      t.string('first_name', 64);
      // Case-sensitive on MariaDB too: LIKE and = on it compare bytes.
      const code = t.string('code', 64);
      if (dialect === 'mysql') code.collate('utf8mb4_bin');
      t.integer('age');
    });
    await db.knex('people').insert(ROWS);
    for (const options of [{}, { catalog: { mode: 'compact' as const } }]) {
      const conexor = await createConexor(db.knex, options);
      conexors.push(conexor);
    }
    typed = await connectClient(conexors[0]!.createServer());
    generic = await connectClient(conexors[1]!.createServer());
  }, 60_000);

  afterAll(async () => {
    await typed?.close();
    await generic?.close();
    for (const conexor of conexors) await conexor.close();
    await db?.destroy();
  });

  type Where = Record<string, unknown>[];
  /** The same call through the typed tool and the generic one; both answers must agree. */
  async function both(kind: 'query' | 'count' | 'aggregate', args: Record<string, unknown>): Promise<CallToolResult> {
    const a = await call(typed, `${kind}_people`, args);
    const b = await call(generic, kind, { table: 'people', ...args });
    expect(b.isError, textOf(b)).toBeFalsy();
    expect(a.isError, textOf(a)).toBeFalsy();
    expect(b.structuredContent).toEqual(a.structuredContent);
    expect(textOf(b)).toBe(textOf(a));
    return a;
  }
  const ids = async (where: Where) =>
    ((await both('query', { where, columns: ['id'] })).structuredContent as { rows: { id: number }[] }).rows.map((row) => row.id);
  const count = async (where: Where) => ((await both('count', { where })).structuredContent as { count: number }).count;
  const hintOf = (result: CallToolResult) => (result.structuredContent as { hint?: string }).hint;

  it('eq follows the column: "Mary" finds MARY only under a case-insensitive collation (MariaDB default)', async () => {
    expect(await ids([{ field: 'first_name', op: 'eq', value: 'Mary' }])).toEqual(dialect === 'mysql' ? [1] : []);
    expect(await ids([{ field: 'first_name', op: 'in', value: ['mary', 'JOHN'] }])).toEqual(dialect === 'mysql' ? [1, 2] : []);
  });

  it('eq is exact: "Mary" finds no MARY, and the result says ieq exists (query, count, aggregate)', async () => {
    // first_name on PostgreSQL and SQLite; on MariaDB the column with a binary collation, where eq is exact too.
    const where = dialect === 'mysql' ? [{ field: 'code', op: 'eq', value: 'abc-1' }] : [{ field: 'first_name', op: 'eq', value: 'Mary' }];
    const grouping = dialect === 'mysql' ? 'code' : 'first_name';
    const rows = await both('query', { where });
    expect(rows.structuredContent).toEqual({ rows: [], truncated: false, hint: CASE_HINT });
    expect(textOf(rows)).toBe(`0 rows\nHint: ${CASE_HINT}`);
    const counted = await both('count', { where });
    expect(counted.structuredContent).toEqual({ count: 0, hint: CASE_HINT });
    expect(textOf(counted)).toBe(`count: 0\nHint: ${CASE_HINT}`);
    const grouped = await both('aggregate', { where, group_by: [grouping] });
    expect(hintOf(grouped)).toBe(CASE_HINT);
    expect(textOf(grouped)).toContain(`Hint: ${CASE_HINT}`);
    // An ungrouped aggregate of nothing: one row of zero / null metrics.
    const total = await both('aggregate', { where, metrics: [{ fn: 'count' }, { fn: 'sum', field: 'age' }] });
    expect(hintOf(total)).toBe(CASE_HINT);
    // At any depth (outside a not), and for in.
    expect(hintOf(await both('count', { where: [{ or: [{ field: 'code', op: 'in', value: ['abc-1', 'XYZ'] }] }] }))).toBe(CASE_HINT);
    // The exact spelling is found, and then there is no hint.
    const exact = await both('query', { where: [{ field: 'code', op: 'eq', value: 'AbC-1' }], columns: ['id'] });
    expect(exact.structuredContent).toEqual({ rows: [{ id: 1 }], truncated: false });
    expect(textOf(exact)).not.toContain('Hint');
  });

  it('gives no case hint where case cannot be why nothing matched', async () => {
    const quiet: Where[] = [
      [{ field: 'first_name', op: 'ieq', value: 'Nobody' }],
      [{ field: 'first_name', op: 'contains', value: 'zzz' }],
      [{ field: 'first_name', op: 'eq', value: '123' }],
      [{ field: 'age', op: 'eq', value: 99 }],
      [{ not: { field: 'code', op: 'neq', value: 'abc-1' } }],
    ];
    for (const where of quiet) {
      const result = await both('count', { where });
      expect(result.structuredContent, JSON.stringify(where)).toEqual({ count: 0 });
      expect(textOf(result)).toBe('count: 0');
    }
    // A later page that is empty is no empty answer.
    const page = await both('query', { where: [{ field: 'first_name', op: 'eq', value: 'John' }], offset: 5 });
    expect(hintOf(page)).toBeUndefined();
  });

  it('ieq and iin ignore case', async () => {
    expect(await ids([{ field: 'first_name', op: 'ieq', value: 'Mary' }])).toEqual([1]);
    expect(await ids([{ field: 'first_name', op: 'ieq', value: 'mary' }])).toEqual([1]);
    expect(await ids([{ field: 'first_name', op: 'iin', value: ['mary', 'JOHN'] }])).toEqual([1, 2]);
    expect(await count([{ field: 'first_name', op: 'iin', value: ['MARY-ANN', 'nobody'] }])).toBe(1);
    // A case-sensitive collation (utf8mb4_bin on MariaDB) changes nothing.
    expect(await count([{ field: 'code', op: 'eq', value: 'abc-1' }])).toBe(0);
    expect(await ids([{ field: 'code', op: 'ieq', value: 'abc-1' }])).toEqual([1]);
    expect(await ids([{ field: 'code', op: 'iin', value: ['ABC-1', 'abc-2', 'XYZ'] }])).toEqual([1, 2, 3]);
    // Nested and negated like any operator.
    expect(await ids([{ not: { field: 'first_name', op: 'iin', value: ['MARY', 'john'] } }])).toEqual([3, 4]);
    expect(await ids([{ or: [{ field: 'first_name', op: 'ieq', value: 'JOHN' }, { field: 'code', op: 'ieq', value: 'abc-2' }] }])).toEqual([2, 3]);
  });

  it('contains, starts_with and ends_with ignore case on every dialect, binary collation included', async () => {
    for (const field of ['first_name', 'code']) {
      const needle = field === 'code' ? 'abc' : 'MARY';
      expect(await ids([{ field, op: 'contains', value: needle.slice(1) }]), field).toEqual([1, 3]);
      expect(await ids([{ field, op: 'starts_with', value: needle }]), field).toEqual([1, 3]);
    }
    expect(await ids([{ field: 'code', op: 'ends_with', value: 'C-1' }])).toEqual([1]);
    expect(await ids([{ field: 'code', op: 'ends_with', value: 'c-1' }])).toEqual([1]);
    expect(await ids([{ field: 'code', op: 'contains', value: 'XY' }])).toEqual([2]);
    expect(await ids([{ field: 'first_name', op: 'ends_with', value: '-ANN' }])).toEqual([3]);
  });

  it('compares accents as stored on every dialect; non-ASCII case folds except on SQLite', async () => {
    // MariaDB's _ci collations would also ignore accents; the binary comparison after LOWER does not.
    expect(await count([{ field: 'first_name', op: 'ieq', value: 'elodie' }])).toBe(0);
    expect(await count([{ field: 'first_name', op: 'starts_with', value: 'elo' }])).toBe(0);
    // ieq finds at least what eq finds: the stored spelling always matches.
    expect(await ids([{ field: 'first_name', op: 'ieq', value: 'ÉLODIE' }])).toEqual([4]);
    expect(await ids([{ field: 'first_name', op: 'ieq', value: 'éLODIE' }])).toEqual(dialect === 'sqlite' ? [] : [4]);
    expect(await ids([{ field: 'code', op: 'starts_with', value: 'été' }])).toEqual(dialect === 'sqlite' ? [] : [4]);
    // ASCII letters around a non-ASCII one fold on every dialect.
    expect(await ids([{ field: 'first_name', op: 'ends_with', value: 'Élodie' }])).toEqual([4]);
  });

  it('refuses ieq and iin values of the wrong form, naming the argument', async () => {
    const cases: [Where, string][] = [
      [[{ field: 'first_name', op: 'ieq', value: 5 }], 'where[0].value: op "ieq" on first_name takes a string; expected a string'],
      [[{ field: 'first_name', op: 'ieq', value: ['Mary'] }], 'where[0]: op "ieq" on first_name takes a single value: a string'],
      [[{ field: 'first_name', op: 'iin', value: 'Mary' }], 'where[0]: op "iin" on first_name takes a list of values, each a string'],
      [[{ field: 'first_name', op: 'iin', value: ['Mary', 7] }], 'where[0].value: op "iin" on first_name takes a list of values, each a string; expected a string'],
      [[{ field: 'first_name', op: 'ieq' }], 'where[0]: op "ieq" on first_name needs a value'],
      [[{ field: 'age', op: 'ieq', value: 30 }], 'where[0].op: "ieq" is not allowed on age; allowed: eq, neq, gt, gte, lt, lte, in, not_in, between, is_null, is_not_null'],
    ];
    for (const [where, message] of cases) {
      for (const [client, name, extra] of [
        [typed, 'count_people', {}],
        [generic, 'count', { table: 'people' }],
      ] as const) {
        const result = await call(client, name, { ...extra, where });
        expect(result.isError, JSON.stringify(where)).toBe(true);
        expect(textOf(result)).toContain(message);
      }
    }
  });

  it('states the case rules once in the server instructions and lists ieq and iin in the grammar', async () => {
    for (const client of [typed, generic]) {
      const instructions = client.getInstructions() ?? '';
      expect(instructions).toContain('eq/in are exact (case-sensitive on PostgreSQL and SQLite, per collation on MariaDB); ieq/iin ignore case');
      expect(instructions.split('ieq/iin ignore case').length - 1).toBe(1);
    }
    const tools = (await generic.listTools()).tools;
    const where = (tools.find((tool) => tool.name === 'query')?.inputSchema.properties?.where ?? {}) as { description?: string };
    expect(where.description).toContain('ieq iin');
  });
});
