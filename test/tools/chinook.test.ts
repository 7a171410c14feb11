import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexorServer } from '../../src/index.js';
import { loadChinook } from '../support/chinook.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

/** Chinook tables by their snake_case name (the PostgreSQL spelling and the tool base name), with their primary keys. */
const TABLES: readonly (readonly [table: string, key: readonly string[]])[] = [
  ['album', ['album_id']],
  ['artist', ['artist_id']],
  ['customer', ['customer_id']],
  ['employee', ['employee_id']],
  ['genre', ['genre_id']],
  ['invoice', ['invoice_id']],
  ['invoice_line', ['invoice_line_id']],
  ['media_type', ['media_type_id']],
  ['playlist', ['playlist_id']],
  ['playlist_track', ['playlist_id', 'track_id']],
  ['track', ['track_id']],
];

/** Chinook's foreign keys: table → [column, target table, target column], all snake_case. */
const FOREIGN_KEYS: Record<string, readonly (readonly [string, string, string])[]> = {
  album: [['artist_id', 'artist', 'artist_id']],
  customer: [['support_rep_id', 'employee', 'employee_id']],
  employee: [['reports_to', 'employee', 'employee_id']],
  invoice: [['customer_id', 'customer', 'customer_id']],
  invoice_line: [
    ['invoice_id', 'invoice', 'invoice_id'],
    ['track_id', 'track', 'track_id'],
  ],
  playlist_track: [
    ['playlist_id', 'playlist', 'playlist_id'],
    ['track_id', 'track', 'track_id'],
  ],
  track: [
    ['album_id', 'album', 'album_id'],
    ['genre_id', 'genre', 'genre_id'],
    ['media_type_id', 'media_type', 'media_type_id'],
  ],
};

/** How a selected column is normalized, both in hand-written SQL and in the expected JSON. */
type Kind = 'int' | 'text' | 'decimal' | 'datetime';

const INVOICE: readonly (readonly [string, Kind])[] = [
  ['invoice_id', 'int'],
  ['customer_id', 'int'],
  ['invoice_date', 'datetime'],
  ['billing_address', 'text'],
  ['billing_city', 'text'],
  ['billing_state', 'text'],
  ['billing_country', 'text'],
  ['billing_postal_code', 'text'],
  ['total', 'decimal'],
];

const TRACK: readonly (readonly [string, Kind])[] = [
  ['track_id', 'int'],
  ['name', 'text'],
  ['album_id', 'int'],
  ['media_type_id', 'int'],
  ['genre_id', 'int'],
  ['composer', 'text'],
  ['milliseconds', 'int'],
  ['bytes', 'int'],
  ['unit_price', 'decimal'],
];

// 44 tools measured at 96.7–97.2 kB (docs/benchmarks.md); a growth past this bound must be a decision, not an accident.
const MAX_LISTING_BYTES = 100_000;

const pascal = (snake: string) =>
  snake
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

type Row = Record<string, unknown>;

/**
 * The relations a table's description names, as `name (fields → target)` for its own foreign keys and
 * `name (source rows)` for keys pointing at it; a source with several keys here, or the table itself, is told
 * apart by the key (`employee_by_reports_to`).
 */
function expectedRelations(table: string, field: (snake: string) => string): string[] {
  const toOne = (FOREIGN_KEYS[table] ?? []).map(([column, target]) => `${column.replace(/_id$/, '')} (${field(column)} → ${target})`);
  const toMany = Object.entries(FOREIGN_KEYS).flatMap(([source, keys]) => {
    const here = keys.filter(([, target]) => target === table);
    const several = here.length > 1 || source === table;
    return here.map(([column]) => `${several ? `${source}_by_${column.replace(/_id$/, '')}` : source} (${source} rows)`);
  });
  return [...toOne, ...toMany].sort();
}

interface Structured {
  rows: Row[];
  truncated: boolean;
  next_offset?: number;
}

describe.each(DIALECTS)('Chinook tools on %s', (dialect) => {
  let db: TestDatabase;
  let client: Client;
  /** The same database served with `relations: false`, whose descriptions name foreign keys as links. */
  let plainClient: Client;

  /** Real column / table name, which is also the field name: snake_case on PostgreSQL, PascalCase elsewhere. */
  const n = (snake: string) => (dialect === 'postgresql' ? snake : pascal(snake));
  /** The quoted identifier for hand-written SQL. */
  const q = (snake: string) => (dialect === 'mysql' ? `\`${n(snake)}\`` : `"${n(snake)}"`);

  /** One select-list entry normalized in SQL itself: decimals with their 2 decimals, date-times ISO without zone. */
  function expr(snake: string, kind: Kind): string {
    const column = q(snake);
    let sql = column;
    if (kind === 'decimal') {
      sql = dialect === 'postgresql' ? `${column}::text` : dialect === 'mysql' ? `CAST(${column} AS CHAR)` : `printf('%.2f', ${column})`;
    } else if (kind === 'datetime') {
      sql =
        dialect === 'postgresql'
          ? `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS')`
          : dialect === 'mysql'
            ? `DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s')`
            : `strftime('%Y-%m-%dT%H:%M:%S', ${column})`;
    }
    return `${sql} AS ${q(snake)}`;
  }

  async function sql(text: string, bindings: readonly Knex.RawBinding[] = []): Promise<Row[]> {
    const result = await db.knex.raw(text, bindings);
    if (dialect === 'postgresql') return (result as { rows: Row[] }).rows;
    if (dialect === 'mysql') return (result as [Row[]])[0];
    return result as Row[];
  }

  /** Rows from hand-written SQL, keyed by field name, integers as numbers. */
  async function select(
    table: string,
    columns: readonly (readonly [string, Kind])[],
    rest: string,
    bindings: readonly Knex.RawBinding[] = [],
  ): Promise<Row[]> {
    const list = columns.map(([column, kind]) => expr(column, kind)).join(', ');
    const rows = await sql(`SELECT ${list} FROM ${q(table)} ${rest}`, bindings);
    return rows.map((row) => {
      const out: Row = {};
      for (const [column, kind] of columns) {
        const value = row[n(column)];
        out[n(column)] = value == null ? null : kind === 'int' ? Number(value) : String(value);
      }
      return out;
    });
  }

  async function sqlCount(table: string, where: string, bindings: readonly Knex.RawBinding[] = []): Promise<number> {
    const [row] = await sql(`SELECT COUNT(*) AS c FROM ${q(table)} WHERE ${where}`, bindings);
    return Number(row?.c);
  }

  async function ok(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const result = await call(client, name, args);
    expect(result.isError, textOf(result)).toBeFalsy();
    return result;
  }

  async function query(name: string, args: Record<string, unknown> = {}): Promise<Structured> {
    return (await ok(name, args)).structuredContent as unknown as Structured;
  }

  async function count(name: string, where: unknown[]): Promise<number> {
    return ((await ok(name, { where })).structuredContent as { count: number }).count;
  }

  const ids = (rows: readonly Row[], field: string) => rows.map((row) => row[n(field)]);

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await loadChinook(db.knex, dialect);
    client = await connectClient(await createConexorServer(db.knex));
    plainClient = await connectClient(await createConexorServer(db.knex, { relations: false }));
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await plainClient?.close();
    await db?.destroy();
  });

  describe('listing', () => {
    it('lists exactly the 44 generated tools', async () => {
      const { tools } = await client.listTools();
      const expected = TABLES.flatMap(([table, key]) => [
        `query_${table}`,
        `query_${table}_by_${key.join('_and_')}`,
        `count_${table}`,
        `aggregate_${table}`,
      ]);
      expect(expected).toHaveLength(44);
      expect(tools.map((tool) => tool.name)).toEqual(expected);
    });

    it('marks every tool read-only, with a slim input schema, no output schema and a description under 2 KB', async () => {
      const { tools } = await client.listTools();
      for (const tool of tools) {
        expect(tool.annotations, tool.name).toEqual({ readOnlyHint: true, openWorldHint: false });
        expect(tool.outputSchema, tool.name).toBeUndefined();
        expect(tool.inputSchema.type, tool.name).toBe('object');
        expect(tool.description, tool.name).toBeTruthy();
        // Claude Code cuts every tool description at 2 KB.
        expect(Buffer.byteLength(tool.description ?? ''), tool.name).toBeLessThanOrEqual(2048);
        // No per-field enum: field names and values are in the description, and checked on the server.
        expect(JSON.stringify(tool.inputSchema), tool.name).not.toContain('"enum"');
      }
    });

    it('describes each table by its real name, key and foreign keys', async () => {
      const { tools } = await client.listTools();
      const byName = new Map(tools.map((tool) => [tool.name, tool.description ?? '']));
      const plain = new Map((await plainClient.listTools()).tools.map((tool) => [tool.name, tool.description ?? '']));
      for (const [table, key] of TABLES) {
        const realName = `table "${n(table)}"`;
        const lookup = `query_${table}_by_${key.join('_and_')}`;
        for (const tool of [`query_${table}`, lookup, `count_${table}`, `aggregate_${table}`]) expect(byName.get(tool), tool).toContain(realName);
        const description = byName.get(`query_${table}`) ?? '';
        expect(description).toMatch(new RegExp(`^Rows of table "${n(table)}"\\. Fields: `));
        // Every key field is marked as such in the field list; the lookup names its whole key as its arguments,
        // spelled as the tool name spells them.
        for (const field of key) expect(description, `${table}.${field}`).toContain(`${n(field)} int (key)`);
        expect(byName.get(lookup)).toContain(`by its primary key ${key.join(', ')}; row is null when none matches.`);
        expect(byName.get(`count_${table}`)).toBe(`Count rows of table "${n(table)}".`);
        expect(byName.get(`aggregate_${table}`)).toContain(`Group and summarize rows of table "${n(table)}"; where as in query_${table}.`);
        // Every table of Chinook is related to another one: the sentence, last, names exactly its relations.
        const relations = / Relations: (.*)\.$/.exec(description)?.[1]?.split('; ');
        expect(relations?.sort(), table).toEqual(expectedRelations(table, n));
        expect(description).not.toContain('Links');
        if (!FOREIGN_KEYS[table]) expect(description).not.toContain('→');
        // Without relations, each foreign key is a link naming the target's key.
        const link = plain.get(`query_${table}`) ?? '';
        const links = / Links: (.*)\.$/.exec(link)?.[1]?.split('; ') ?? [];
        expect(links.sort(), table).toEqual((FOREIGN_KEYS[table] ?? []).map(([column, target, targetColumn]) => `${n(column)} → ${target}.${n(targetColumn)}`).sort());
        expect(link).not.toContain('Relations');
        if (!FOREIGN_KEYS[table]) expect(link).not.toContain('→');
      }
      expect(byName.get('query_invoice')).toContain(`Relations: customer (${n('customer_id')} → customer); invoice_line (invoice_line rows).`);
      expect(byName.get('query_employee')).toContain('employee_by_reports_to (employee rows)');
      expect(plain.get('query_invoice')).toContain(`Links: ${n('customer_id')} → customer.${n('customer_id')}.`);
    });

    it('keeps the tools/list payload small', async () => {
      const bytes = Buffer.byteLength(JSON.stringify(await client.listTools()), 'utf8');
      console.log(`[${dialect}] Chinook tools/list: ${bytes} bytes`);
      expect(bytes).toBeLessThan(MAX_LISTING_BYTES);
    });
  });

  describe('filters against hand-written SQL', () => {
    it('returns invoices with total >= 15 ordered by total desc, ties by key', async () => {
      const expected = await select('invoice', INVOICE, `WHERE ${q('total')} >= 15 ORDER BY ${q('total')} DESC, ${q('invoice_id')} ASC`);
      expect(expected.length).toBeGreaterThan(5);
      const result = await query('query_invoice', {
        where: [{ field: n('total'), op: 'gte', value: 15 }],
        order_by: [{ field: n('total'), direction: 'desc' }],
        limit: 100,
      });
      expect(result).toEqual({ rows: expected, truncated: false });
      // Decimals keep their scale, e.g. "18.86", and date-times are ISO without zone.
      for (const row of result.rows) {
        expect(row[n('total')]).toMatch(/^\d+\.\d{2}$/);
        expect(row[n('invoice_date')]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      }
    });

    it('counts tracks with in and between', async () => {
      const expected = await sqlCount('track', `${q('genre_id')} IN (1, 2) AND ${q('milliseconds')} BETWEEN 200000 AND 300000`);
      expect(expected).toBeGreaterThan(100);
      const where = [
        { field: n('genre_id'), op: 'in', value: [1, 2] },
        { field: n('milliseconds'), op: 'between', value: [200000, 300000] },
      ];
      expect(await count('count_track', where)).toBe(expected);
      const result = await ok('count_track', { where });
      expect(textOf(result)).toBe(`count: ${expected}`);
      // The bounds of between are inclusive.
      const [edge] = await sql(`SELECT ${q('milliseconds')} AS ms FROM ${q('track')} ORDER BY ${q('track_id')} LIMIT 1`);
      const ms = Number(edge?.ms);
      expect(await count('count_track', [{ field: n('milliseconds'), op: 'between', value: [ms, ms] }])).toBe(
        await sqlCount('track', `${q('milliseconds')} = ?`, [ms]),
      );
    });

    it('selects customers by country list and null company, returning only the requested columns', async () => {
      const columns: (readonly [string, Kind])[] = [
        ['customer_id', 'int'],
        ['first_name', 'text'],
        ['country', 'text'],
        ['company', 'text'],
      ];
      const countries = ['USA', 'Canada', 'Brazil', 'France'];
      const expected = await select(
        'customer',
        columns,
        `WHERE ${q('country')} IN (?, ?, ?, ?) AND ${q('company')} IS NULL ORDER BY ${q('customer_id')}`,
        countries,
      );
      expect(expected.length).toBeGreaterThan(10);
      const result = await query('query_customer', {
        where: [
          { field: n('country'), op: 'in', value: countries },
          { field: n('company'), op: 'is_null' },
        ],
        columns: columns.map(([column]) => n(column)),
        limit: 100,
      });
      expect(result).toEqual({ rows: expected, truncated: false });
      for (const row of result.rows) expect(Object.keys(row).sort()).toEqual(columns.map(([column]) => n(column)).sort());

      const notIn = await sqlCount('customer', `${q('country')} NOT IN (?, ?, ?, ?) AND ${q('company')} IS NOT NULL`, countries);
      expect(
        await count('count_customer', [
          { field: n('country'), op: 'not_in', value: countries },
          { field: n('company'), op: 'is_not_null' },
        ]),
      ).toBe(notIn);
    });

    it('returns only the requested columns, with a matching text header', async () => {
      const fields = [n('composer'), n('name'), n('track_id')];
      const result = await ok('query_track', { columns: fields, where: [{ field: n('track_id'), op: 'lte', value: 3 }] });
      const { rows } = result.structuredContent as unknown as Structured;
      const expected = await select(
        'track',
        [
          ['track_id', 'int'],
          ['name', 'text'],
          ['composer', 'text'],
        ],
        `WHERE ${q('track_id')} <= 3 ORDER BY ${q('track_id')}`,
      );
      expect(rows).toEqual(expected);
      for (const row of rows) expect(Object.keys(row).sort()).toEqual([...fields].sort());
      const [summary, header, ...lines] = textOf(result).split('\n');
      expect(summary).toBe('3 rows');
      expect(header?.split('\t').sort()).toEqual([...fields].sort());
      expect(lines).toHaveLength(3);
    });

    describe('text operators', () => {
      /** Track names matched by a LIKE pattern, case-insensitively, with `!` as the escape character. */
      const likeSql = (pattern: string) => sqlCount('track', `LOWER(${q('name')}) LIKE ? ESCAPE '!'`, [pattern.toLowerCase()]);
      /** Track names containing a literal substring, with no LIKE at all. */
      const literalSql = (needle: string) =>
        sqlCount(
          'track',
          dialect === 'postgresql'
            ? `strpos(${q('name')}, ?) > 0`
            : dialect === 'mysql'
              ? `LOCATE(BINARY ?, ${q('name')}) > 0`
              : `instr(${q('name')}, ?) > 0`,
          [needle],
        );

      it('contains, starts_with and ends_with ignore case', async () => {
        const cases = [
          ['contains', 'LOVE', '%love%'],
          ['starts_with', 'the ', 'the %'],
          ['ends_with', 'BLUES', '%blues'],
        ] as const;
        for (const [op, value, pattern] of cases) {
          const expected = await likeSql(pattern);
          expect(expected, op).toBeGreaterThan(5);
          expect(await count('count_track', [{ field: n('name'), op, value }]), op).toBe(expected);
          const { rows } = await query('query_track', { where: [{ field: n('name'), op, value }], columns: [n('name')], limit: 100 });
          const needle = value.toLowerCase();
          for (const row of rows) {
            const name = String(row[n('name')]).toLowerCase();
            const matches = op === 'contains' ? name.includes(needle) : op === 'starts_with' ? name.startsWith(needle) : name.endsWith(needle);
            expect(matches, `${op} ${value}: ${name}`).toBe(true);
          }
        }
        // Case-insensitivity is exercised: the exact-case needle matches fewer names.
        expect(await literalSql('LOVE')).toBeLessThan(await likeSql('%love%'));
      });

      it('contains returns the same rows as SQL, with truncation past maxRows', async () => {
        const expected = await select('track', TRACK, `WHERE LOWER(${q('name')}) LIKE '%love%' ORDER BY ${q('track_id')}`);
        expect(expected.length).toBeGreaterThan(100);
        const first = await query('query_track', { where: [{ field: n('name'), op: 'contains', value: 'Love' }], limit: 100 });
        expect(first).toEqual({ rows: expected.slice(0, 100), truncated: true, next_offset: 100 });
        const rest = await query('query_track', { where: [{ field: n('name'), op: 'contains', value: 'Love' }], limit: 100, offset: 100 });
        expect(rest).toEqual({ rows: expected.slice(100), truncated: false });
      });

      it('escapes LIKE wildcards: % and _ and the escape character match literally', async () => {
        const total = await sqlCount('track', '1 = 1');
        // Unescaped, these patterns would match every track; escaped, only the literal characters.
        expect(await sqlCount('track', `${q('name')} LIKE '%_%'`)).toBe(total);
        expect(await sqlCount('track', `${q('name')} LIKE '%%%'`)).toBe(total);

        for (const needle of ['%', '_', '0%', '!', '%H']) {
          const expected = await literalSql(needle);
          const escaped = needle.replace(/[!%_]/g, (char) => `!${char}`);
          expect(await likeSql(`%${escaped}%`), needle).toBe(expected);
          expect(await count('count_track', [{ field: n('name'), op: 'contains', value: needle }]), `contains ${needle}`).toBe(expected);
        }
        expect(await literalSql('%')).toBe(2);
        expect(await literalSql('_')).toBe(0);
        expect(await literalSql('!')).toBeGreaterThan(0);

        const percent = await query('query_track', {
          where: [{ field: n('name'), op: 'contains', value: '%' }],
          columns: [n('name')],
        });
        const names = await sql(`SELECT ${q('name')} AS name FROM ${q('track')} WHERE ${q('name')} LIKE '%!%%' ESCAPE '!' ORDER BY ${q('track_id')}`);
        expect(percent.rows.map((row) => row[n('name')])).toEqual(names.map((row) => row.name));
        expect(percent.rows.every((row) => String(row[n('name')]).includes('%'))).toBe(true);

        const endsPercent = await likeSql('%!%');
        expect(endsPercent).toBe(1);
        expect(await count('count_track', [{ field: n('name'), op: 'ends_with', value: '%' }])).toBe(endsPercent);
        expect(await count('count_track', [{ field: n('name'), op: 'starts_with', value: '_' }])).toBe(0);
        expect(await count('count_track', [{ field: n('name'), op: 'starts_with', value: '10_%' }])).toBe(await likeSql('10!_!%%'));
        expect(await count('count_track', [{ field: n('name'), op: 'starts_with', value: '100%' }])).toBe(await likeSql('100!%%'));
      });
    });

    it('combines OR and NOT groups', async () => {
      const where = [
        { or: [{ field: n('genre_id'), op: 'eq', value: 1 }, { field: n('composer'), op: 'is_null' }] },
        { not: { field: n('milliseconds'), op: 'gt', value: 300000 } },
      ];
      const condition = `(${q('genre_id')} = 1 OR ${q('composer')} IS NULL) AND NOT (${q('milliseconds')} > 300000)`;
      const expectedCount = await sqlCount('track', condition);
      expect(expectedCount).toBeGreaterThan(100);
      expect(await count('count_track', where)).toBe(expectedCount);
      const expected = await select('track', TRACK, `WHERE ${condition} ORDER BY ${q('track_id')} LIMIT 100`);
      expect(await query('query_track', { where, limit: 100 })).toEqual({ rows: expected, truncated: true, next_offset: 100 });

      const nested = [
        {
          not: {
            or: [
              { and: [{ field: n('genre_id'), op: 'eq', value: 1 }, { field: n('unit_price'), op: 'gt', value: 0.99 }] },
              { field: n('media_type_id'), op: 'in', value: [2, 3] },
            ],
          },
        },
        { field: n('album_id'), op: 'lt', value: 200 },
      ];
      const nestedSql = `NOT ((${q('genre_id')} = 1 AND ${q('unit_price')} > 0.99) OR ${q('media_type_id')} IN (2, 3)) AND ${q('album_id')} < 200`;
      const nestedCount = await sqlCount('track', nestedSql);
      expect(nestedCount).toBeGreaterThan(0);
      expect(nestedCount).toBeLessThan(await sqlCount('track', `${q('album_id')} < 200`));
      expect(await count('count_track', nested)).toBe(nestedCount);
      const nestedRows = await select('track', TRACK, `WHERE ${nestedSql} ORDER BY ${q('track_id')} DESC LIMIT 30`);
      expect(await query('query_track', { where: nested, order_by: [{ field: n('track_id'), direction: 'desc' }], limit: 30 })).toEqual({
        rows: nestedRows,
        truncated: true,
        next_offset: 30,
      });
    });
  });

  describe('ordering and paging', () => {
    it('pages through a non-unique order exactly like ORDER BY … LIMIT/OFFSET, ties broken by the key', async () => {
      const order = `ORDER BY ${q('album_id')} DESC, ${q('track_id')} ASC`;
      const all = await select('track', TRACK, `${order} LIMIT 120`);
      const pages: Row[] = [];
      for (const offset of [0, 40, 80]) {
        const args = { order_by: [{ field: n('album_id'), direction: 'desc' }], limit: 40, offset };
        const page = await query('query_track', args);
        expect(page).toEqual({ rows: await select('track', TRACK, `${order} LIMIT 40 OFFSET ${offset}`), truncated: true, next_offset: offset + 40 });
        // The same call gives the same page.
        expect(await query('query_track', args)).toEqual(page);
        pages.push(...page.rows);
      }
      expect(pages).toEqual(all);
      expect(new Set(ids(pages, 'track_id')).size).toBe(120);
    });

    it('sorts by text with NULLs last and a second key', async () => {
      const nullsLast =
        dialect === 'mysql'
          ? `${q('composer')} IS NULL, ${q('composer')} ASC, ${q('milliseconds')} DESC, ${q('track_id')} ASC`
          : `${q('composer')} ASC NULLS LAST, ${q('milliseconds')} DESC, ${q('track_id')} ASC`;
      const withComposer = await sqlCount('track', `${q('composer')} IS NOT NULL`);
      const offset = withComposer - 5;
      const expected = await select('track', TRACK, `ORDER BY ${nullsLast} LIMIT 10 OFFSET ${offset}`);
      const result = await query('query_track', {
        order_by: [
          { field: n('composer'), direction: 'asc' },
          { field: n('milliseconds'), direction: 'desc' },
        ],
        limit: 10,
        offset,
      });
      expect(result).toEqual({ rows: expected, truncated: true, next_offset: offset + 10 });
      expect(result.rows.map((row) => row[n('composer')] === null)).toEqual([...Array(5).fill(false), ...Array(5).fill(true)]);

      const byNameDesc = await select('track', TRACK, `ORDER BY ${q('name')} DESC, ${q('track_id')} ASC LIMIT 25 OFFSET 50`);
      expect(await query('query_track', { order_by: [{ field: n('name'), direction: 'desc' }], offset: 50 })).toEqual({
        rows: byNameDesc,
        truncated: true,
        next_offset: 75,
      });
    });

    it('sets truncated and next_offset only while more rows exist', async () => {
      const genres = await sqlCount('genre', '1 = 1');
      expect(genres).toBeGreaterThan(20);
      const first = await ok('query_genre', { limit: 10 });
      expect(first.structuredContent).toMatchObject({ truncated: true, next_offset: 10 });
      expect((first.structuredContent as unknown as Structured).rows).toHaveLength(10);
      expect(textOf(first).split('\n')[0]).toBe('10 rows (truncated: more rows match; next offset 10)');

      const beforeLast = await query('query_genre', { limit: 10, offset: genres - 11 });
      expect(beforeLast.rows).toHaveLength(10);
      expect(beforeLast).toMatchObject({ truncated: true, next_offset: genres - 1 });

      const exact = await query('query_genre', { limit: 10, offset: genres - 10 });
      expect(exact.rows).toHaveLength(10);
      expect(exact).toEqual({ rows: exact.rows, truncated: false });
      expect('next_offset' in exact).toBe(false);

      const tail = await ok('query_genre', { limit: 10, offset: genres - 3 });
      expect(tail.structuredContent).toEqual({
        rows: (await sql(`SELECT ${q('genre_id')} AS id, ${q('name')} AS name FROM ${q('genre')} ORDER BY ${q('genre_id')} LIMIT 3 OFFSET ${genres - 3}`)).map(
          (row) => ({ [n('genre_id')]: Number(row.id), [n('name')]: row.name }),
        ),
        truncated: false,
      });
      expect(textOf(tail).split('\n')[0]).toBe('3 rows');

      const past = await ok('query_genre', { offset: genres + 5 });
      expect(past.structuredContent).toEqual({ rows: [], truncated: false });
      expect(textOf(past)).toBe('0 rows');

      // Default limit is 25; the maximum is 100.
      const defaults = await query('query_track');
      expect(defaults.rows).toHaveLength(25);
      expect(defaults).toMatchObject({ truncated: true, next_offset: 25 });
      const tooMany = await call(client, 'query_track', { limit: 101 });
      expect(tooMany.isError).toBe(true);
      expect(textOf(tooMany)).toMatch(/^Invalid arguments for query_track: limit/);
    });
  });

  describe('lookups by key', () => {
    it('finds one invoice and one track by primary key', async () => {
      const [invoice] = await select('invoice', INVOICE, `ORDER BY ${q('total')} DESC, ${q('invoice_id')} LIMIT 1`);
      expect(invoice).toBeDefined();
      const hit = await ok('query_invoice_by_invoice_id', { [n('invoice_id')]: invoice?.[n('invoice_id')] });
      expect(hit.structuredContent).toEqual({ row: invoice });
      const [header, line] = textOf(hit).split('\n');
      expect(header).toBe(INVOICE.map(([column]) => n(column)).join('\t'));
      expect(line?.split('\t')[0]).toBe(String(invoice?.[n('invoice_id')]));

      const [track] = await select('track', TRACK, `WHERE ${q('composer')} IS NULL ORDER BY ${q('track_id')} DESC LIMIT 1`);
      const trackHit = await query('query_track_by_track_id', { [n('track_id')]: track?.[n('track_id')] });
      expect(trackHit).toEqual({ row: track });

      const miss = await ok('query_invoice_by_invoice_id', { [n('invoice_id')]: 987654 });
      expect(miss.structuredContent).toEqual({ row: null });
      expect(textOf(miss)).toBe('No row matches.');
    });

    it('finds playlist tracks by their composite key and misses a pair that does not exist', async () => {
      const tool = 'query_playlist_track_by_playlist_id_and_track_id';
      const [pair] = await sql(
        `SELECT ${q('playlist_id')} AS p, ${q('track_id')} AS t FROM ${q('playlist_track')} ORDER BY ${q('playlist_id')} DESC, ${q('track_id')} DESC LIMIT 1`,
      );
      const playlistId = Number(pair?.p);
      const trackId = Number(pair?.t);
      const hit = await ok(tool, { [n('playlist_id')]: playlistId, [n('track_id')]: trackId });
      expect(hit.structuredContent).toEqual({ row: { [n('playlist_id')]: playlistId, [n('track_id')]: trackId } });
      expect(textOf(hit)).toBe(`${n('playlist_id')}\t${n('track_id')}\n${playlistId}\t${trackId}`);

      // Both ids exist, but not together.
      const [other] = await sql(
        `SELECT ${q('track_id')} AS t FROM ${q('track')} WHERE ${q('track_id')} NOT IN (SELECT ${q('track_id')} FROM ${q('playlist_track')} WHERE ${q('playlist_id')} = ?) ORDER BY ${q('track_id')} LIMIT 1`,
        [playlistId],
      );
      expect(other).toBeDefined();
      const otherTrack = Number(other?.t);
      expect(await sqlCount('playlist_track', `${q('playlist_id')} = ? AND ${q('track_id')} = ?`, [playlistId, otherTrack])).toBe(0);
      const miss = await ok(tool, { [n('playlist_id')]: playlistId, [n('track_id')]: otherTrack });
      expect(miss.structuredContent).toEqual({ row: null });
      expect(textOf(miss)).toBe('No row matches.');

      const missingKey = await call(client, tool, { [n('playlist_id')]: playlistId });
      expect(missingKey.isError).toBe(true);
      expect(textOf(missingKey)).toMatch(new RegExp(`^Invalid arguments for ${tool}:`));
    });
  });

  describe('date-time filters', () => {
    const date = () => q('invoice_date');

    it('compares a date-only value as midnight and a Z value as UTC wall clock', async () => {
      const where = [
        { field: n('invoice_date'), op: 'gte', value: '2025-11-01' },
        { field: n('invoice_date'), op: 'lt', value: '2025-12-01T00:00:00Z' },
      ];
      const expected = await select(
        'invoice',
        INVOICE,
        `WHERE ${date()} >= '2025-11-01 00:00:00' AND ${date()} < '2025-12-01 00:00:00' ORDER BY ${q('invoice_id')}`,
      );
      expect(expected.length).toBeGreaterThan(2);
      expect(await count('count_invoice', where)).toBe(expected.length);
      expect(await query('query_invoice', { where, limit: 100 })).toEqual({ rows: expected, truncated: false });
      for (const row of expected) expect(String(row[n('invoice_date')]).startsWith('2025-11-')).toBe(true);
    });

    it('matches one day with eq on a date, a Z instant and an offset instant', async () => {
      const [target] = await select('invoice', INVOICE, `ORDER BY ${q('invoice_id')} DESC LIMIT 1`);
      const stamp = String(target?.[n('invoice_date')]);
      expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00$/);
      const day = stamp.slice(0, 10);
      const expected = await select('invoice', INVOICE, `WHERE ${date()} = ? ORDER BY ${q('invoice_id')}`, [`${day} 00:00:00`]);
      expect(expected).toContainEqual(target);
      const previous = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      for (const value of [day, `${day}T00:00:00Z`, `${day}T00:00:00.000Z`, `${day}T02:30:00+02:30`, `${previous}T19:00:00-05:00`, `${day} 00:00`]) {
        const result = await query('query_invoice', { where: [{ field: n('invoice_date'), op: 'eq', value }] });
        expect(result, value).toEqual({ rows: expected, truncated: false });
      }
      // One second later matches nothing on that day.
      expect(await count('count_invoice', [{ field: n('invoice_date'), op: 'eq', value: `${day}T00:00:01Z` }])).toBe(
        await sqlCount('invoice', `${date()} = ?`, [`${day} 00:00:01`]),
      );
    });

    it('between is inclusive on both ends', async () => {
      const low = '2024-08-01';
      const high = '2024-08-05T00:00:00Z';
      const expected = await sqlCount('invoice', `${date()} BETWEEN '2024-08-01 00:00:00' AND '2024-08-05 00:00:00'`);
      expect(expected).toBeGreaterThan(0);
      expect(await sqlCount('invoice', `${date()} = '2024-08-05 00:00:00'`)).toBeGreaterThan(0);
      expect(await count('count_invoice', [{ field: n('invoice_date'), op: 'between', value: [low, high] }])).toBe(expected);
      const invalid = await call(client, 'count_invoice', { where: [{ field: n('invoice_date'), op: 'gte', value: '01/08/2024' }] });
      expect(invalid.isError).toBe(true);
      expect(textOf(invalid)).toMatch(/^Invalid arguments for count_invoice:/);
    });
  });
});
