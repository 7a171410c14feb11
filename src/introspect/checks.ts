import type { ColumnModel } from './model.js';
import { BACKSLASH_ESCAPES } from './shared.js';

/*
 * CHECK constraints that list the values of one column, read as enum values:
 *   status IN ('open', 'paid')                                          (SQLite, MariaDB)
 *   status = ANY (ARRAY['open'::text, 'paid'::text])                    (PostgreSQL's normalized form)
 *   (status)::text = ANY ((ARRAY['a'::character varying])::text[])      (PostgreSQL, varchar column)
 *   status = 'open' OR status = 'paid' [OR status IS NULL]              (every dialect)
 * Anything else (NOT, AND, numbers, NULL in the list, functions, COLLATE, two columns) is not a value list, and the
 * whole constraint is ignored: a wrong list would make the tools refuse values the database accepts.
 */

/** How a dialect writes literals and identifiers in the text conexor reads. */
export interface Lexicon {
  /** MySQL and MariaDB print `\'` and `\\` inside string literals, and may prefix one with a charset (`_utf8mb4'a'`). */
  readonly backslashEscapes: boolean;
  /** SQLite also quotes identifiers as `[name]`. */
  readonly bracketIdentifiers: boolean;
  /** How `Status` and `status` compare as column names: MySQL ignores case, SQLite ASCII case, PostgreSQL neither. */
  readonly foldCase: (name: string) => string;
}

export const POSTGRES_LEXICON: Lexicon = { backslashEscapes: false, bracketIdentifiers: false, foldCase: (name) => name };
export const MYSQL_LEXICON: Lexicon = { backslashEscapes: true, bracketIdentifiers: false, foldCase: (name) => name.toLowerCase() };
export const SQLITE_LEXICON: Lexicon = {
  backslashEscapes: false,
  bracketIdentifiers: true,
  foldCase: (name) => name.replace(/[A-Z]/g, (char) => char.toLowerCase()),
};

/** The values one CHECK constraint allows in one column (NULL aside). */
export interface CheckedValues {
  /** The column as the constraint spells it. */
  readonly column: string;
  readonly values: readonly string[];
}

interface Token {
  /** `word`: a bare word (identifier or keyword); `identifier`: a quoted identifier. */
  readonly kind: 'word' | 'identifier' | 'string' | 'number' | 'symbol';
  readonly text: string;
}

const WORD = /[\p{L}_][\p{L}\p{N}_$]*/uy;
const NUMBER = /\d+(?:\.\d*)?(?:e[+-]?\d+)?/iy;
const SYMBOLS = ['::', '==', '<>', '!=', '<=', '>=', '||'];
const CLOSING_QUOTE: Readonly<Record<string, string>> = { '"': '"', '`': '`', '[': ']' };

/** Splits SQL into tokens, skipping whitespace and comments; `null` when a quote or comment never ends. */
function tokenize(sql: string, lexicon: Lexicon): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const char = sql[i] ?? '';
    if (/\s/.test(char)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return null;
      i = end + 2;
    } else if (char === "'") {
      const literal = readString(sql, i + 1, lexicon);
      if (!literal) return null;
      tokens.push({ kind: 'string', text: literal.value });
      i = literal.end;
    } else if (char === '"' || char === '`' || (char === '[' && lexicon.bracketIdentifiers)) {
      const close = CLOSING_QUOTE[char] ?? char;
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) return null;
        if (sql[j] === close && close !== ']' && sql[j + 1] === close) {
          value += close;
          j += 2;
        } else if (sql[j] === close) {
          break;
        } else {
          value += sql[j];
          j++;
        }
      }
      tokens.push({ kind: 'identifier', text: value });
      i = j + 1;
    } else if (match(WORD, sql, i)) {
      const word = match(WORD, sql, i) ?? '';
      // A charset introducer (`_utf8mb4'open'`) is part of the literal that follows it.
      if (lexicon.backslashEscapes && word.startsWith('_') && sql[i + word.length] === "'") {
        i += word.length;
        continue;
      }
      tokens.push({ kind: 'word', text: word });
      i += word.length;
    } else if (match(NUMBER, sql, i)) {
      const number = match(NUMBER, sql, i) ?? '';
      tokens.push({ kind: 'number', text: number });
      i += number.length;
    } else {
      const symbol = SYMBOLS.find((candidate) => sql.startsWith(candidate, i)) ?? char;
      tokens.push({ kind: 'symbol', text: symbol });
      i += symbol.length;
    }
  }
  return tokens;
}

function match(pattern: RegExp, text: string, at: number): string | null {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0] ?? null;
}

/** The value of a literal whose opening quote is just before `start`, and the index after its closing quote. */
function readString(sql: string, start: number, lexicon: Lexicon): { value: string; end: number } | null {
  let value = '';
  for (let i = start; i < sql.length; i++) {
    const char = sql[i] ?? '';
    if (char === '\\' && lexicon.backslashEscapes && i + 1 < sql.length) {
      const next = sql[i + 1] ?? '';
      value += BACKSLASH_ESCAPES[next] ?? next;
      i++;
    } else if (char === "'" && sql[i + 1] === "'") {
      value += "'";
      i++;
    } else if (char === "'") {
      return { value, end: i + 1 };
    } else {
      value += char;
    }
  }
  return null;
}

/** Types a column or literal may be cast to without changing how the values compare (PostgreSQL prints these casts). */
const TEXT_TYPES: ReadonlySet<string> = new Set(['text', 'varchar', 'character varying', 'bpchar', 'character', 'char', 'name']);
/** Words that are never a bare column name in these expressions. */
const RESERVED: ReadonlySet<string> = new Set(['AND', 'ANY', 'ARRAY', 'CASE', 'FALSE', 'IN', 'IS', 'NOT', 'NULL', 'OR', 'TRUE']);

/** A parse step: what was read and the index of the next token, or `null` when the tokens do not fit. */
type Step<T> = { readonly value: T; readonly next: number } | null;

/** Recursive descent over the tokens of one expression; every rule backtracks by returning `null`. */
class Parser {
  constructor(
    private readonly tokens: readonly Token[],
    private readonly lexicon: Lexicon,
  ) {}

  /** The whole token list as one value list, or `null`. */
  parse(): CheckedValues | null {
    const result = this.disjunction(0);
    if (!result || result.next !== this.tokens.length || result.value.values.length === 0) return null;
    return result.value;
  }

  private isWord(at: number, word: string): boolean {
    const token = this.tokens[at];
    return token?.kind === 'word' && token.text.toUpperCase() === word;
  }

  private isSymbol(at: number, ...symbols: string[]): boolean {
    const token = this.tokens[at];
    return token?.kind === 'symbol' && symbols.includes(token.text);
  }

  private sameColumn(a: string, b: string): boolean {
    return this.lexicon.foldCase(a) === this.lexicon.foldCase(b);
  }

  /** term (OR term)*, every term on the same column; the values add up. */
  private disjunction(at: number): Step<CheckedValues> {
    let result = this.term(at);
    while (result && this.isWord(result.next, 'OR')) {
      const right = this.term(result.next + 1);
      if (!right || !this.sameColumn(result.value.column, right.value.column)) return null;
      result = { value: { column: result.value.column, values: [...result.value.values, ...right.value.values] }, next: right.next };
    }
    return result;
  }

  /** A predicate, or a parenthesized disjunction. */
  private term(at: number): Step<CheckedValues> {
    const predicate = this.predicate(at);
    if (predicate) return predicate;
    if (!this.isSymbol(at, '(')) return null;
    const inner = this.disjunction(at + 1);
    return inner && this.isSymbol(inner.next, ')') ? { value: inner.value, next: inner.next + 1 } : null;
  }

  /** `col IN (lits)`, `col = ANY (array)`, `col = lit`, `lit = col`, `col IS NULL` (no value: NULL always passes a CHECK). */
  private predicate(at: number): Step<CheckedValues> {
    const column = this.column(at);
    if (column) {
      const next = column.next;
      if (this.isWord(next, 'IN') && this.isSymbol(next + 1, '(')) {
        const list = this.literalList(next + 2, ')');
        return list && { value: { column: column.value, values: list.value }, next: list.next };
      }
      if (this.isSymbol(next, '=', '==')) {
        if (this.isWord(next + 1, 'ANY') && this.isSymbol(next + 2, '(')) {
          const array = this.array(next + 3);
          if (!array || !this.isSymbol(array.next, ')')) return null;
          return { value: { column: column.value, values: array.value }, next: array.next + 1 };
        }
        const literal = this.literal(next + 1);
        return literal && { value: { column: column.value, values: [literal.value] }, next: literal.next };
      }
      if (this.isWord(next, 'IS') && this.isWord(next + 1, 'NULL')) {
        return { value: { column: column.value, values: [] }, next: next + 2 };
      }
    }
    const literal = this.literal(at);
    if (!literal || !this.isSymbol(literal.next, '=', '==')) return null;
    const right = this.column(literal.next + 1);
    return right && { value: { column: right.value, values: [literal.value] }, next: right.next };
  }

  /** A column name, maybe parenthesized and cast to a text type: `status`, `"Status"`, `(status)::text`. */
  private column(at: number): Step<string> {
    const token = this.tokens[at];
    let result: Step<string> = null;
    if (token?.kind === 'identifier') {
      result = { value: token.text, next: at + 1 };
    } else if (token?.kind === 'word' && !RESERVED.has(token.text.toUpperCase())) {
      result = { value: token.text, next: at + 1 };
    } else if (this.isSymbol(at, '(')) {
      const inner = this.column(at + 1);
      result = inner && this.isSymbol(inner.next, ')') ? { value: inner.value, next: inner.next + 1 } : null;
    }
    return result && { value: result.value, next: this.casts(result.next) };
  }

  /** A string literal with optional casts to a text type: `'open'`, `'open'::text`. */
  private literal(at: number): Step<string> {
    const token = this.tokens[at];
    if (token?.kind !== 'string') return null;
    return { value: token.text, next: this.casts(at + 1) };
  }

  /** lit (, lit)* followed by `close`. */
  private literalList(at: number, close: string): Step<string[]> {
    const values: string[] = [];
    let next = at;
    for (;;) {
      const literal = this.literal(next);
      if (!literal) return null;
      values.push(literal.value);
      next = literal.next;
      if (this.isSymbol(next, close)) return { value: values, next: next + 1 };
      if (!this.isSymbol(next, ',')) return null;
      next++;
    }
  }

  /** `ARRAY[lits]`, maybe parenthesized and cast: `(ARRAY['a'::character varying])::text[]`. */
  private array(at: number): Step<string[]> {
    let result: Step<string[]> = null;
    if (this.isWord(at, 'ARRAY') && this.isSymbol(at + 1, '[')) {
      result = this.literalList(at + 2, ']');
    } else if (this.isSymbol(at, '(')) {
      const inner = this.array(at + 1);
      result = inner && this.isSymbol(inner.next, ')') ? { value: inner.value, next: inner.next + 1 } : null;
    }
    return result && { value: result.value, next: this.casts(result.next) };
  }

  /** Skips `::type` casts to text types (with a length or `[]`); stops before anything else, which then fails. */
  private casts(at: number): number {
    let next = at;
    while (this.isSymbol(next, '::')) {
      const first = this.tokens[next + 1];
      if (first?.kind !== 'word') return next;
      let name = first.text.toLowerCase();
      let after = next + 2;
      if (name === 'character' && this.isWord(after, 'VARYING')) {
        name = 'character varying';
        after++;
      }
      if (!TEXT_TYPES.has(name)) return next;
      const length = this.tokens[after + 1];
      if (this.isSymbol(after, '(') && length?.kind === 'number' && this.isSymbol(after + 2, ')')) after += 3;
      while (this.isSymbol(after, '[') && this.isSymbol(after + 1, ']')) after += 2;
      next = after;
    }
    return next;
  }
}

/**
 * The values a CHECK expression allows in one column, when it is nothing but a list of string literals for that
 * column (see the module comment); `null` for any other expression.
 */
export function checkedValues(expression: string, lexicon: Lexicon): CheckedValues | null {
  const tokens = tokenize(expression, lexicon);
  return tokens && tokens.length > 0 ? new Parser(tokens, lexicon).parse() : null;
}

/** The value lists of the column- and table-level `CHECK (…)` clauses of a SQLite `CREATE TABLE` statement. */
export function checkedValuesOfCreateTable(sql: string): CheckedValues[] {
  const tokens = tokenize(sql, SQLITE_LEXICON);
  if (!tokens) return [];
  const found: CheckedValues[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token?.kind !== 'word' || token.text.toUpperCase() !== 'CHECK' || tokens[i + 1]?.text !== '(') continue;
    let depth = 0;
    let end = i + 1;
    for (; end < tokens.length; end++) {
      const text = tokens[end]?.kind === 'symbol' ? tokens[end]?.text : '';
      if (text === '(') depth++;
      else if (text === ')' && --depth === 0) break;
    }
    const checked = new Parser(tokens.slice(i + 2, end), SQLITE_LEXICON).parse();
    if (checked) found.push(checked);
    i = end;
  }
  return found;
}

/**
 * Columns with the values their CHECK constraints allow: a text column becomes an `enum` with those values; a column
 * of unknown type keeps its type and gets the values; other columns (numbers, dates, enums the catalog already
 * describes) are left as they are. Several constraints on one column allow only the values they all list.
 */
export function withCheckedValues(columns: readonly ColumnModel[], checks: readonly CheckedValues[], lexicon: Lexicon): ColumnModel[] {
  if (checks.length === 0) return [...columns];
  const fold = lexicon.foldCase;
  const allowed = new Map<string, string[]>();
  for (const check of checks) {
    const key = fold(check.column);
    const values = [...new Set(check.values)];
    const earlier = allowed.get(key);
    allowed.set(key, earlier ? earlier.filter((value) => values.includes(value)) : values);
  }
  return columns.map((column) => {
    const values = allowed.get(fold(column.name));
    // An empty intersection leaves only NULL; that contradiction is not worth describing.
    if (!values || values.length === 0) return column;
    if (column.type === 'string') return { ...column, type: 'enum', enumValues: values };
    if (column.type === 'unknown') return { ...column, enumValues: values };
    return column;
  });
}
