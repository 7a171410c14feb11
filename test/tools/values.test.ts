import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor, type NormalizedType } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const TABLE = 'value_kinds';

const NOTE = 'Ünïcödé ✓ 😀 "double" \'single\'\ttab\nnewline \\ backslash';
const DOC = { name: 'Zoë 😀', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null }, quote: '"x"' };
const BYTES = Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]);
const BIG = '9007199254740993'; // 2^53 + 1: not representable as a JavaScript number.

/** The same rows inserted on every dialect, as strings the databases parse (no driver-specific Date or number handling). */
const ROWS = [
  {
    big: BIG,
    small: 42,
    price: '12345.67',
    ratio: 1.5,
    measure: 1234.5678,
    flag: true,
    day: '2024-02-29',
    at: '2024-02-29 13:45:07.123',
    stamp: '2024-07-01 08:00:00',
    doc: JSON.stringify(DOC),
    bytes: BYTES,
    note: NOTE,
    label: 'plain',
  },
  {
    big: '42',
    small: -7,
    price: '1.00',
    ratio: -0.25,
    measure: 0,
    flag: false,
    day: '1999-12-31',
    at: '1999-12-31 23:59:59',
    stamp: '1999-12-31 23:59:59',
    doc: '[1,"two",null,{"k":[]}]',
    bytes: Buffer.alloc(0),
    note: '',
    label: "it's",
  },
  {
    big: null,
    small: null,
    price: null,
    ratio: null,
    measure: null,
    flag: null,
    day: null,
    at: null,
    stamp: null,
    doc: null,
    bytes: null,
    note: null,
    label: null,
  },
  {
    big: '-9007199254740993',
    small: 0,
    price: '-0.50',
    ratio: 0.75,
    measure: -3.141592653589793,
    flag: true,
    day: '2000-01-01',
    at: '2000-01-01 00:00:00.100',
    stamp: '2038-01-19 03:14:07',
    doc: '"just a string"',
    bytes: Buffer.from('conexor', 'utf8'),
    note: 'line1\r\nline2',
    label: 'null',
  },
  {
    big: '9223372036854775807',
    small: 2147483647,
    price: '9999999999.99',
    ratio: 100,
    measure: 1e-7,
    flag: false,
    day: '1970-01-01',
    at: '1970-01-01 00:00:00.999',
    stamp: '1970-01-02 00:00:00',
    doc: '42',
    bytes: Buffer.from([0xff]),
    note: '  padded  ',
    label: 'ok',
  },
];

/** What `query_value_kinds` returns: written once, identical on SQLite, PostgreSQL and MySQL/MariaDB. */
const EXPECTED = {
  rows: [
    {
      id: 1,
      big: BIG,
      small: 42,
      price: '12345.67',
      ratio: 1.5,
      measure: 1234.5678,
      flag: true,
      day: '2024-02-29',
      at: '2024-02-29T13:45:07.123',
      stamp: '2024-07-01T08:00:00',
      doc: DOC,
      bytes: 'AAF/gP7/',
      note: NOTE,
      label: 'plain',
    },
    {
      id: 2,
      big: 42,
      small: -7,
      price: '1.00',
      ratio: -0.25,
      measure: 0,
      flag: false,
      day: '1999-12-31',
      at: '1999-12-31T23:59:59',
      stamp: '1999-12-31T23:59:59',
      doc: [1, 'two', null, { k: [] }],
      bytes: '',
      note: '',
      label: "it's",
    },
    {
      id: 3,
      big: null,
      small: null,
      price: null,
      ratio: null,
      measure: null,
      flag: null,
      day: null,
      at: null,
      stamp: null,
      doc: null,
      bytes: null,
      note: null,
      label: null,
    },
    {
      id: 4,
      big: '-9007199254740993',
      small: 0,
      price: '-0.50',
      ratio: 0.75,
      measure: -3.141592653589793,
      flag: true,
      day: '2000-01-01',
      at: '2000-01-01T00:00:00.100',
      stamp: '2038-01-19T03:14:07',
      doc: 'just a string',
      bytes: 'Y29uZXhvcg==',
      note: 'line1\r\nline2',
      label: 'null',
    },
    {
      id: 5,
      big: '9223372036854775807',
      small: 2147483647,
      price: '9999999999.99',
      ratio: 100,
      measure: 1e-7,
      flag: false,
      day: '1970-01-01',
      at: '1970-01-01T00:00:00.999',
      stamp: '1970-01-02T00:00:00',
      doc: 42,
      bytes: '/w==',
      note: '  padded  ',
      label: 'ok',
    },
  ],
  truncated: false,
};

/** The normalized type conexor must infer for each column, on every dialect. */
const TYPES: Record<string, NormalizedType> = {
  id: 'integer',
  big: 'integer',
  small: 'integer',
  price: 'decimal',
  ratio: 'number',
  measure: 'number',
  flag: 'boolean',
  day: 'date',
  at: 'datetime',
  stamp: 'datetime',
  doc: 'json',
  bytes: 'binary',
  note: 'string',
  label: 'string',
};

/**
 * MySQL/MariaDB has no boolean type: knex's `boolean` is `tinyint(1)`, which conexor deliberately reads as an
 * integer (it can hold -128..127). That column is the one documented divergence.
 */
function forDialect<T>(dialect: string, value: T): T {
  if (dialect !== 'mysql') return value;
  return JSON.parse(JSON.stringify(value), (key, item: unknown) => (key === 'flag' && typeof item === 'boolean' ? Number(item) : item)) as T;
}

type Row = Record<string, unknown>;

const withoutBig = (row: Row): Row => Object.fromEntries(Object.entries(row).filter(([field]) => field !== 'big'));

describe.each(DIALECTS)('value rendering on %s', (dialect) => {
  let db: TestDatabase;
  let conexor: Conexor;
  let client: Client;

  async function ok(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const result = await call(client, name, args);
    expect(result.isError, textOf(result)).toBeFalsy();
    return result;
  }

  async function ids(where: unknown[]): Promise<number[]> {
    const result = await ok(`query_${TABLE}`, { where, columns: ['id'] });
    return (result.structuredContent as { rows: Row[] }).rows.map((row) => Number(row.id));
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await db.knex.schema.createTable(TABLE, (table) => {
      table.increments('id');
      table.bigInteger('big');
      table.integer('small');
      // knex's decimal() is `float` on SQLite; the explicit type keeps the scale everywhere.
      table.specificType('price', 'decimal(12,2)');
      table.float('ratio');
      table.double('measure');
      table.boolean('flag');
      table.date('day');
      table.datetime('at', { useTz: false, precision: 3 });
      table.timestamp('stamp', { useTz: false }).nullable();
      table.json('doc');
      table.binary('bytes');
      table.text('note');
      table.string('label', 40);
    });
    for (const row of ROWS) await db.knex(TABLE).insert(row);
    conexor = await createConexor(db.knex);
    client = await connectClient(conexor.createServer());
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await db?.destroy();
  });

  it('introspects every column to the same normalized type', () => {
    const table = conexor.model.tables.find((candidate) => candidate.name === TABLE);
    const types = Object.fromEntries((table?.columns ?? []).map((column) => [column.name, column.type]));
    expect(types).toEqual(dialect === 'mysql' ? { ...TYPES, flag: 'integer' } : TYPES);
    expect(table?.columns.find((column) => column.name === 'price')?.scale).toBe(2);
  });

  // `big` is checked on its own below, so that lossy big integers fail one test with a precise name.
  it('renders every value identically', async () => {
    const fields = Object.keys(TYPES).filter((field) => field !== 'big');
    const result = await ok(`query_${TABLE}`, { columns: fields });
    expect(result.structuredContent).toEqual({ ...EXPECTED, rows: forDialect(dialect, EXPECTED).rows.map(withoutBig) });
    expect(Object.keys((result.structuredContent as { rows: Row[] }).rows[0] ?? {})).toEqual(fields);
  });

  it('renders each row identically through the key lookup', async () => {
    for (const expected of forDialect(dialect, EXPECTED).rows) {
      const result = await ok(`query_${TABLE}_by_id`, { id: expected.id });
      const { row } = result.structuredContent as { row: Row | null };
      expect({ row: row && withoutBig(row) }).toEqual({ row: withoutBig(expected) });
    }
  });

  it('renders BIGINT values past 2^53 as exact strings, in queries and lookups', async () => {
    const expected = EXPECTED.rows.map((row) => row.big);
    const result = await ok(`query_${TABLE}`, { columns: ['id', 'big'], order_by: [{ field: 'id' }] });
    expect((result.structuredContent as { rows: Row[] }).rows.map((row) => row.big)).toEqual(expected);
    const lookups: unknown[] = [];
    for (const { id } of EXPECTED.rows) {
      const lookup = await ok(`query_${TABLE}_by_id`, { id });
      lookups.push((lookup.structuredContent as { row: Row }).row.big);
    }
    expect(lookups).toEqual(expected);
  });

  it('keeps the text rendering one line per row, quoting what needs it', async () => {
    const text = textOf(await ok(`query_${TABLE}`, { columns: ['id', 'note', 'label'] }));
    const lines = text.split('\n');
    expect(lines[0]).toBe(`${EXPECTED.rows.length} rows`);
    expect(lines[1]).toBe('id\tnote\tlabel');
    expect(lines.slice(2)).toEqual([
      `1\t${JSON.stringify(NOTE)}\tplain`,
      `2\t""\tit's`,
      '3\tnull\tnull',
      `4\t"line1\\r\\nline2"\t"null"`,
      `5\t"  padded  "\tok`,
    ]);
  });

  it('filters on the stored values with the rendered forms', async () => {
    expect(await ids([{ field: 'price', op: 'eq', value: 1 }])).toEqual([2]);
    expect(await ids([{ field: 'price', op: 'eq', value: 12345.67 }])).toEqual([1]);
    expect(await ids([{ field: 'price', op: 'lt', value: 0 }])).toEqual([4]);
    expect(await ids([{ field: 'big', op: 'eq', value: 42 }])).toEqual([2]);
    expect(await ids([{ field: 'big', op: 'gt', value: 2 ** 52 }])).toEqual([1, 5]);
    expect(await ids([{ field: 'day', op: 'eq', value: '2024-02-29' }])).toEqual([1]);
    expect(await ids([{ field: 'day', op: 'between', value: ['1999-12-31', '2000-01-01'] }])).toEqual([2, 4]);
    expect(await ids([{ field: 'at', op: 'eq', value: '2024-02-29T13:45:07.123' }])).toEqual([1]);
    expect(await ids([{ field: 'at', op: 'eq', value: '2024-02-29T13:45:07.123Z' }])).toEqual([1]);
    expect(await ids([{ field: 'at', op: 'gte', value: '2024-02-29T13:45:07Z' }])).toEqual([1]);
    expect(await ids([{ field: 'at', op: 'lt', value: '2000-01-01T00:00:00.1' }])).toEqual([2, 5]);
    expect(await ids([{ field: 'stamp', op: 'eq', value: '1999-12-31 23:59:59' }])).toEqual([2]);
    expect(await ids([{ field: 'note', op: 'contains', value: '😀' }])).toEqual([1]);
    expect(await ids([{ field: 'note', op: 'contains', value: '"DOUBLE"' }])).toEqual([1]);
    expect(await ids([{ field: 'label', op: 'eq', value: "it's" }])).toEqual([2]);
    expect(await ids([{ field: 'doc', op: 'is_null' }])).toEqual([3]);
    expect(await ids([{ field: 'bytes', op: 'is_not_null' }])).toEqual([1, 2, 4, 5]);
    const flag = dialect === 'mysql' ? 1 : true;
    expect(await ids([{ field: 'flag', op: 'eq', value: flag }])).toEqual([1, 4]);
    expect(await ids([{ field: 'flag', op: 'neq', value: flag }])).toEqual([2, 5]);
    const count = await ok(`count_${TABLE}`, { where: [{ field: 'ratio', op: 'is_null' }] });
    expect(count.structuredContent).toEqual({ count: 1 });
  });
});
