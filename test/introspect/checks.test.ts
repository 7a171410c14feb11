import { describe, expect, it } from 'vitest';
import {
  MYSQL_LEXICON,
  POSTGRES_LEXICON,
  SQLITE_LEXICON,
  checkedValues,
  checkedValuesOfCreateTable,
  withCheckedValues,
} from '../../src/introspect/checks.js';
import type { ColumnModel } from '../../src/introspect/model.js';

/** The CHECK parser on the text each catalog prints; the dialect tests read the same forms from real databases. */

describe('checkedValues', () => {
  it.each([
    // PostgreSQL's normalized forms, as pg_get_expr prints them.
    [`(status = ANY (ARRAY['open'::text, 'paid'::text]))`, 'status', ['open', 'paid']],
    [`((b)::text = ANY ((ARRAY['x'::character varying, 'y'::character varying])::text[]))`, 'b', ['x', 'y']],
    [`((c = 'p'::bpchar) OR (c = 'q'::bpchar))`, 'c', ['p', 'q']],
    [`(d = 'one'::text)`, 'd', ['one']],
    [`(("Mixed Case" = 'm'::text) OR ("Mixed Case" IS NULL))`, 'Mixed Case', ['m']],
    [`(a = ANY (ARRAY['it''s'::text, 'b\\c'::text, ''::text]))`, 'a', ["it's", 'b\\c', '']],
    [`((h)::character varying(5) = 'k'::character varying(5))`, 'h', ['k']],
  ])('reads the PostgreSQL form %s', (expression, column, values) => {
    expect(checkedValues(expression, POSTGRES_LEXICON)).toEqual({ column, values });
  });

  it.each([
    ["`s` in ('open','it\\'s','a\\\\b','dq\"x')", 's', ['open', "it's", 'a\\b', 'dq"x']],
    ["`u` = 'a' or `u` = 'B'", 'u', ['a', 'B']],
    ["`u` = 'x' or `U` is null", 'u', ['x']],
    ["`s` in (_utf8mb4'a',_utf8mb4'b')", 's', ['a', 'b']],
    ["'a' = `s` OR `s` IN ('b', 'c')", 's', ['a', 'b', 'c']],
  ])('reads the MariaDB form %s', (expression, column, values) => {
    expect(checkedValues(expression, MYSQL_LEXICON)).toEqual({ column, values });
  });

  it.each([
    [`status IN ('a', 'b')`, ['a', 'b']],
    [`  status   in   (  'a'  ,'b'  )  `, ['a', 'b']],
    [`"status" In ('a') oR [status] == 'b'`, ['a', 'b']],
    [`(status = 'a') OR ((status = 'b'))`, ['a', 'b']],
    [`status IN ('a', 'b') -- a comment\n`, ['a', 'b']],
    [`status /* x */ IN ('a', 'b')`, ['a', 'b']],
  ])('reads the SQLite form %s', (expression, values) => {
    expect(checkedValues(expression, SQLITE_LEXICON)?.values).toEqual(values);
  });

  it.each([
    [`status NOT IN ('a', 'b')`],
    [`status <> 'a'`],
    [`status IN ('a', NULL)`],
    [`(g = ANY (ARRAY['a'::text, NULL::text]))`],
    [`status IN (1, 2)`],
    [`(e = ANY (ARRAY[1, 2]))`],
    [`status = 'a' OR other = 'b'`],
    [`status IN ('a') AND other > 0`],
    [`status IN ('a') OR status IS NOT NULL`],
    [`status IS NULL`],
    [`lower(status) IN ('a')`],
    [`status COLLATE NOCASE IN ('a')`],
    [`status IN (SELECT code FROM codes)`],
    [`status IN ()`],
    [`status IN ('a'`],
    [`status IN ('a)`],
    [`status IN ("a", "b")`],
    [`length(status) > 2`],
    [`status = 'a' OR 1`],
    [`NOT status = 'a'`],
    [`((status)::integer = ANY (ARRAY['1'::integer]))`],
    [`(status = ANY (ARRAY['a'::mood]))`],
    [`t.status IN ('a')`],
    [`status LIKE 'a%'`],
    [`status BETWEEN 'a' AND 'b'`],
    [``],
  ])('ignores %s', (expression) => {
    expect(checkedValues(expression, SQLITE_LEXICON)).toBeNull();
    expect(checkedValues(expression, POSTGRES_LEXICON)).toBeNull();
  });

  it('tells column names apart as the dialect does', () => {
    expect(checkedValues(`"Status" = 'a' OR status = 'b'`, POSTGRES_LEXICON)).toBeNull();
    expect(checkedValues(`"Status" = 'a' OR status = 'b'`, SQLITE_LEXICON)?.values).toEqual(['a', 'b']);
    expect(checkedValues("`Straße` = 'a' OR `STRASSE` = 'b'", MYSQL_LEXICON)).toBeNull();
    expect(checkedValues(`"Äb" = 'a' OR "äb" = 'b'`, SQLITE_LEXICON)).toBeNull();
  });
});

describe('checkedValuesOfCreateTable', () => {
  it('reads column-level and table-level CHECK clauses, and only those that list values', () => {
    const sql = `CREATE TABLE "ticket" (
      id INTEGER PRIMARY KEY,
      status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
      "priority" TEXT CONSTRAINT priority_values CHECK ("priority" = 'low' OR "priority" = 'high'),
      note TEXT DEFAULT 'CHECK (note IN (''x''))' CHECK (length(note) < 100),
      [kind] TEXT, -- CHECK (kind IN ('ignored'))
      CHECK ([kind] IN ('bug', 'it''s a feature')),
      CONSTRAINT two CHECK (status = 'open' OR priority = 'low')
    )`;
    expect(checkedValuesOfCreateTable(sql)).toEqual([
      { column: 'status', values: ['open', 'closed'] },
      { column: 'priority', values: ['low', 'high'] },
      { column: 'kind', values: ['bug', "it's a feature"] },
    ]);
  });

  it('reads nothing from a statement it cannot tokenize', () => {
    expect(checkedValuesOfCreateTable(`CREATE TABLE t (a TEXT CHECK (a IN ('x')), b TEXT DEFAULT 'unterminated)`)).toEqual([]);
  });
});

describe('withCheckedValues', () => {
  const column = (name: string, type: ColumnModel['type'], enumValues: string[] | null = null): ColumnModel => ({
    name,
    type,
    nativeType: type,
    nullable: true,
    default: null,
    autoIncrement: false,
    generated: false,
    maxLength: null,
    precision: null,
    scale: null,
    withTimeZone: false,
    enumValues,
    elementType: null,
    comment: null,
  });

  it('makes a text column an enum, gives an untyped column the values, and leaves other types alone', () => {
    const columns = [column('status', 'string'), column('anything', 'unknown'), column('day', 'date'), column('mood', 'enum', ['x', 'y'])];
    const checks = [
      { column: 'status', values: ['a', 'b', 'a'] },
      { column: 'anything', values: ['p'] },
      { column: 'day', values: ['2024-01-01'] },
      { column: 'mood', values: ['x'] },
    ];
    const result = withCheckedValues(columns, checks, POSTGRES_LEXICON);
    expect(result.map((c) => [c.name, c.type, c.enumValues])).toEqual([
      ['status', 'enum', ['a', 'b']],
      ['anything', 'unknown', ['p']],
      ['day', 'date', null],
      ['mood', 'enum', ['x', 'y']],
    ]);
    // The model's columns are new objects; the input is untouched.
    expect(columns[0]?.type).toBe('string');
  });

  it('keeps only the values every constraint on a column allows', () => {
    const checks = [
      { column: 'Status', values: ['a', 'b', 'c'] },
      { column: 'status', values: ['c', 'b', 'z'] },
    ];
    expect(withCheckedValues([column('status', 'string')], checks, SQLITE_LEXICON)[0]?.enumValues).toEqual(['b', 'c']);
    // Constraints that leave no value in common describe nothing useful: the column stays as it was.
    const none = withCheckedValues([column('status', 'string')], [...checks, { column: 'status', values: ['q'] }], SQLITE_LEXICON);
    expect(none[0]).toMatchObject({ type: 'string', enumValues: null });
  });
});
