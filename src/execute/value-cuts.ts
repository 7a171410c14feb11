import type { ColumnModel, Dialect } from '../introspect/model.js';
import { type Fragment, sql, verbatim } from './fragment.js';
import { CutValue, renderValue } from './values.js';

/** How a selected value is bounded: not at all, cut to a prefix in SQL, or replaced by its size when too long. */
type Cut = 'none' | 'prefix' | 'guard';

/**
 * The SQL that keeps long values from ever being read whole, and how they are rendered back: text, JSON and binary
 * values are cut to `maxChars` characters (binary: the bytes whose base64 is that long) by the database, and their
 * whole size in bytes comes along; values of other types that cannot be cut meaningfully (arrays, types conexor does
 * not know) are replaced by their size when they are too long. A cut value renders as a {@link CutValue}.
 */
export class ValueCuts {
  constructor(
    private readonly dialect: Dialect,
    private readonly maxChars: number,
  ) {}

  /** The select expressions of one output, by alias suffix (`''` is the value itself). */
  select(column: ColumnModel, expression: Fragment): [suffix: string, expression: Fragment][] {
    switch (this.cutOf(column)) {
      case 'none':
        return [['', expression]];
      case 'prefix': {
        // Only a value over the cap in bytes is cut (a short one comes back exactly as stored: SQLite's substr stops
        // at a NUL and turns an empty blob into NULL); one unit more than is kept tells whether it was longer.
        const length = this.bytes(column, expression);
        const whole = this.dialect === 'postgresql' && column.type === 'json' ? sql`CAST(${expression} AS text)` : expression;
        return [
          ['', sql`CASE WHEN ${length} > ${verbatim(String(this.keep(column)))} THEN ${this.substring(column, expression, this.keep(column) + 1)} ELSE ${whole} END`],
          ['_len', length],
        ];
      }
      case 'guard': {
        const length = this.bytes(column, expression);
        const tooLong = sql`${length} > ${verbatim(String(this.keep(column)))}`;
        return [
          ['', sql`CASE WHEN ${tooLong} THEN NULL ELSE ${expression} END`],
          ['_len', sql`CASE WHEN ${tooLong} THEN ${length} END`],
        ];
      }
    }
  }

  /** The rendered value of output `alias` in a record: as `renderValue` does, or a {@link CutValue}. */
  render(column: ColumnModel, record: Record<string, unknown>, alias: string): unknown {
    const value = record[alias];
    switch (this.cutOf(column)) {
      case 'none':
        return renderValue(column, value);
      case 'prefix': {
        if (value == null) return null;
        const keep = this.keep(column);
        if (column.type === 'binary') {
          const bytes = Buffer.isBuffer(value) ? value : value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(String(value));
          return bytes.length > keep ? new CutValue(bytes.subarray(0, keep).toString('base64'), Number(record[`${alias}_len`])) : renderValue(column, value);
        }
        const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
        const chars = Array.from(text);
        return chars.length > keep ? new CutValue(chars.slice(0, keep).join(''), Number(record[`${alias}_len`])) : renderValue(column, value);
      }
      case 'guard': {
        const total = record[`${alias}_len`];
        return total == null ? renderValue(column, value) : new CutValue('', Number(total));
      }
    }
  }

  private cutOf(column: ColumnModel): Cut {
    switch (column.type) {
      case 'string':
        // Servers enforce a declared length, so a short column needs no cut; SQLite enforces none.
        return this.dialect !== 'sqlite' && column.maxLength !== null && column.maxLength <= this.maxChars ? 'none' : 'prefix';
      case 'json':
      case 'binary':
        return 'prefix';
      case 'array':
      case 'unknown':
        return 'guard';
      default:
        return 'none';
    }
  }

  /** Units kept: characters (bytes for a guarded value), or for binary the bytes whose base64 has `maxChars` characters. */
  private keep(column: ColumnModel): number {
    return column.type === 'binary' ? Math.max(1, Math.floor((this.maxChars * 3) / 4)) : this.maxChars;
  }

  private substring(column: ColumnModel, expression: Fragment, length: number): Fragment {
    const n = verbatim(String(length));
    if (this.dialect === 'postgresql') {
      if (column.type === 'binary') return sql`substring(${expression} from 1 for ${n})`;
      return column.type === 'json' ? sql`substr(CAST(${expression} AS text), 1, ${n})` : sql`substr(${expression}, 1, ${n})`;
    }
    return this.dialect === 'mysql' ? sql`SUBSTRING(${expression}, 1, ${n})` : sql`substr(${expression}, 1, ${n})`;
  }

  /** The value's size in bytes as stored. */
  private bytes(column: ColumnModel, expression: Fragment): Fragment {
    if (this.dialect === 'postgresql') {
      return column.type === 'string' || column.type === 'binary' ? sql`octet_length(${expression})` : sql`octet_length(CAST(${expression} AS text))`;
    }
    return this.dialect === 'mysql' ? sql`LENGTH(${expression})` : sql`length(CAST(${expression} AS BLOB))`;
  }
}
