import type { Knex } from 'knex';
import type { ColumnModel, Dialect, NormalizedType } from '../introspect/model.js';
import { wallClock as zonedWallClock } from '../shared/time.js';
import { instantOfStored, storedAsNumbers, storedNumber } from './sqlite-dates.js';

const pad = (value: number, length = 2) => String(value).padStart(length, '0');

/** `2024-05-01 13:45:00.123` from a Date's UTC (instant) or local (wall-clock) fields. */
function formatDateTime(date: Date, utc: boolean): string {
  const [y, mo, d, h, mi, s, ms] = utc
    ? [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()]
    : [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds(), date.getMilliseconds()];
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}${ms ? `.${pad(ms, 3)}` : ''}`;
}

const ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const CLOCK = /^(\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;

/**
 * `HH:MM[:SS[.f…]]` as {@link formatDateTime} writes it: seconds always, a fraction only when not 0 and of at least
 * three digits. Servers read every form alike; SQLite compares text, where `12:00` and `12:00:00.000` are not `12:00:00`.
 */
function canonicalClock(clock: string): string {
  const match = CLOCK.exec(clock);
  if (!match) return clock;
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  return `${match[1]}:${match[2] ?? '00'}${fraction ? `.${fraction.padEnd(3, '0')}` : ''}`;
}

/**
 * The value to bind for a validated filter value. Date-times are rewritten to `YYYY-MM-DD HH:MM:SS[.fff]` and times to
 * `HH:MM:SS[.fff]`, the forms SQLite stores and every server parses; a date-time with a zone is converted first.
 */
export function bindValue(dialect: Dialect, column: ColumnModel, value: unknown, timeZone = 'UTC'): Knex.Value {
  if (typeof value === 'boolean' && dialect === 'sqlite') return value ? 1 : 0;
  if (column.type === 'datetime' && typeof value === 'string') {
    const text = value.trim();
    const zoned = ZONE.test(text) && text.length > 10;
    // A zoned value names an instant: an instant column gets it in UTC, a zone-less column its wall clock in `timeZone`.
    const wallClock = zoned
      ? column.withTimeZone || timeZone === 'UTC'
        ? formatDateTime(new Date(text.replace(' ', 'T')), true)
        : zonedWallClock(new Date(text.replace(' ', 'T')), timeZone)
      : `${text.slice(0, 10)} ${text.length === 10 ? '00:00:00' : canonicalClock(text.slice(11))}`;
    // A SQLite date-time stored as numbers is compared with the instant in its unit (epoch ms or s, Julian day).
    const stored = storedNumber(column, wallClock);
    if (stored !== null) return stored;
    // An instant column gets an explicit UTC offset so the session time zone cannot shift it.
    return column.withTimeZone ? `${wallClock}+00:00` : wallClock;
  }
  if (column.type === 'time' && typeof value === 'string') return canonicalClock(value.trim());
  return value as Knex.Value;
}

/**
 * Renders a driver value as JSON the same way on every dialect: integers as numbers (as strings past 2^53),
 * decimals as exact strings, dates `YYYY-MM-DD`, date-times ISO 8601 (with `Z` for instant columns),
 * binary as base64, JSON parsed.
 */
export function renderValue(column: ColumnModel, value: unknown): unknown {
  if (value == null) return null;
  // SQLite dates stored as numbers render as the instants they denote.
  if ((typeof value === 'number' || typeof value === 'bigint') && storedAsNumbers(column)) {
    const instant = instantOfStored(column, Number(value));
    if (!Number.isNaN(instant.getTime())) return column.type === 'date' ? instant.toISOString().slice(0, 10) : instant.toISOString();
  }
  return renderAs(column.type, column, value);
}

function renderAs(type: NormalizedType, column: ColumnModel, value: unknown): unknown {
  switch (type) {
    case 'integer':
      return renderInteger(value);
    case 'number':
      return typeof value === 'number' ? (Number.isFinite(value) ? value : null) : Number(value);
    case 'decimal':
      return renderDecimal(value, column.scale);
    case 'boolean':
      return renderBoolean(value);
    case 'date':
      return value instanceof Date ? formatDateTime(value, false).slice(0, 10) : String(value).slice(0, 10);
    case 'datetime':
      return renderDateTime(value, column.withTimeZone);
    case 'json':
      // SQLite stores a JSON number such as `42` as an INTEGER, which a driver with safe integers returns as a bigint.
      return typeof value === 'bigint' ? renderInteger(value) : renderJson(value);
    case 'binary':
      return Buffer.isBuffer(value) ? value.toString('base64') : value instanceof Uint8Array ? Buffer.from(value).toString('base64') : String(value);
    case 'array':
      return Array.isArray(value) ? value.map((item) => (item == null ? null : renderAs(column.elementType ?? 'unknown', { ...column, type: column.elementType ?? 'unknown' }, item))) : value;
    case 'unknown':
      return renderUnknown(value);
    default:
      return value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : String(value);
  }
}

function renderInteger(value: unknown): number | string {
  if (typeof value === 'number') return value;
  const big = typeof value === 'bigint' ? value : BigInt(String(value));
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
}

function renderDecimal(value: unknown, scale: number | null): string {
  const digits = scale != null && scale >= 0 && scale <= 20 ? scale : null;
  if (typeof value === 'number') return digits != null ? value.toFixed(digits) : String(value);
  // SQLite stores a whole decimal such as 1.00 as an INTEGER: a bigint when the driver returns safe integers.
  if (typeof value === 'bigint') return digits ? `${value}.${'0'.repeat(digits)}` : String(value);
  return String(value);
}

/** Booleans as stored by SQLite (0/1, possibly as bigints) and by drivers that return text. */
function renderBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  return value === '1' || value === 't' || value === 'true';
}

function renderDateTime(value: unknown, instant: boolean): string {
  if (value instanceof Date) {
    return instant ? value.toISOString() : formatDateTime(value, false).replace(' ', 'T');
  }
  const text = String(value).trim();
  if (instant) {
    const parsed = new Date(ZONE.test(text) ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
    return Number.isNaN(parsed.getTime()) ? text : parsed.toISOString();
  }
  return text.replace(' ', 'T');
}

function renderJson(value: unknown): unknown {
  if (typeof value !== 'string') return Buffer.isBuffer(value) ? renderJson(value.toString('utf8')) : value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function renderUnknown(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'object') return JSON.parse(JSON.stringify(value)) as unknown;
  return value;
}

/**
 * A value cut to the result's size bounds: what is kept of it, and its whole size in bytes. Rendered as the kept
 * text followed by an explicit marker, so a model never takes a cut value for the whole one.
 */
export class CutValue {
  constructor(
    /** What is kept: text, JSON text or base64. */
    readonly kept: string,
    /** The whole value's size in bytes, as the database stores it. */
    readonly totalBytes: number,
  ) {}

  /** `kept… [cut: 5242880 bytes in all]`. */
  toString(): string {
    return `${this.kept}… [cut: ${this.totalBytes} bytes in all]`;
  }

  toJSON(): string {
    return this.toString();
  }
}
