import type { ColumnModel } from '../introspect/model.js';
import { offsetAt } from '../shared/time.js';
import { type Fragment, sql, verbatim } from './fragment.js';

/**
 * SQLite dates stored as numbers (see `DateStorage`): the SQL that reads them as instants, dates or wall-clock text,
 * and the numbers filter values are bound as. Columns stored as text are left as they are everywhere.
 */

const DAY_MS = 86_400_000;
/** Julian day number of 1970-01-01T00:00:00Z. */
const JULIAN_EPOCH = 2440587.5;
/** Epoch values at least this large are milliseconds in a mixed column (as at introspection). */
const EPOCH_MS_FROM = '1e11';

/** Whether the column is a SQLite date or date-time whose values are (at least partly) numbers. */
export function storedAsNumbers(column: ColumnModel): boolean {
  return (column.type === 'date' || column.type === 'datetime') && column.storage !== undefined && column.storage !== 'text';
}

/** The column's value as epoch milliseconds (a number), whatever its storage; text in a mixed column is read as UTC. */
export function epochMsSql(column: ColumnModel, c: Fragment): Fragment {
  switch (column.storage) {
    case 'epoch_s':
      return sql`(${c} * 1000)`;
    case 'julian':
      return sql`((${c} - ${verbatim(String(JULIAN_EPOCH))}) * ${verbatim(String(DAY_MS))})`;
    case 'mixed':
      return sql`(CASE WHEN typeof(${c}) IN ('integer', 'real') THEN (CASE WHEN abs(${c}) >= ${verbatim(EPOCH_MS_FROM)} THEN ${c} ELSE ${c} * 1000 END) ELSE ROUND((julianday(${c}) - ${verbatim(String(JULIAN_EPOCH))}) * ${verbatim(String(DAY_MS))}) END)`;
    default:
      return c;
  }
}

/** The column's value as wall-clock text `YYYY-MM-DD HH:MM:SS` in `timeZone`. */
export function wallClockSql(column: ColumnModel, c: Fragment, timeZone: string): Fragment {
  const seconds = sql`(${epochMsSql(column, c)} / 1000.0)`;
  if (timeZone === 'UTC') return sql`datetime(${seconds}, 'unixepoch')`;
  return sql`datetime(${seconds} + ${zoneOffsetSql(seconds, timeZone)}, 'unixepoch')`;
}

/**
 * The expression filters compare: a number-stored date as its `YYYY-MM-DD` date in `timeZone` (compared with the
 * date bound as text, so `eq` matches the whole day), a mixed date-time as epoch milliseconds; otherwise the column.
 */
export function comparableSql(column: ColumnModel, c: Fragment, timeZone: string): Fragment {
  if (!storedAsNumbers(column)) return c;
  if (column.type === 'date') return sql`date(${wallClockSql(column, c, timeZone)})`;
  return column.storage === 'mixed' ? epochMsSql(column, c) : c;
}

/**
 * The number a bound date-time value (`YYYY-MM-DD HH:MM:SS[.fff]`, UTC, as `bindValue` writes it for instants) is
 * compared with in the column's unit; `null` when the column is not a number-stored date-time.
 */
export function storedNumber(column: ColumnModel, utcWallClock: string): number | null {
  if (column.type !== 'datetime' || !storedAsNumbers(column)) return null;
  const ms = Date.parse(`${utcWallClock.replace(' ', 'T')}Z`);
  switch (column.storage) {
    case 'epoch_s':
      return ms / 1000;
    case 'julian':
      return ms / DAY_MS + JULIAN_EPOCH;
    default:
      return ms;
  }
}

/** A number-stored value as a Date: by the column's unit, or in a mixed column by its magnitude. */
export function instantOfStored(column: ColumnModel, value: number): Date {
  switch (column.storage) {
    case 'epoch_s':
      return new Date(value * 1000);
    case 'julian':
      return new Date(Math.round((value - JULIAN_EPOCH) * DAY_MS));
    case 'mixed':
      return new Date(Math.abs(value) >= Number(EPOCH_MS_FROM) ? value : value * 1000);
    default:
      return new Date(value);
  }
}

/** First and last years whose offset changes are spelled out; outside them the nearest known offset applies. */
const ZONE_YEARS = [1900, 2100] as const;
const transitionsByZone = new Map<string, { at: number; offset: number }[]>();

/** The zone's UTC offsets as `[from epoch second, offset seconds]`, found by weekly steps then bisection. */
function transitions(timeZone: string): { at: number; offset: number }[] {
  let list = transitionsByZone.get(timeZone);
  if (list) return list;
  const step = 7 * DAY_MS;
  const start = Date.UTC(ZONE_YEARS[0], 0, 1);
  const end = Date.UTC(ZONE_YEARS[1], 0, 1);
  list = [{ at: -Infinity, offset: offsetAt(start, timeZone) / 1000 }];
  let before = offsetAt(start, timeZone);
  for (let t = start + step; t <= end; t += step) {
    const now = offsetAt(t, timeZone);
    if (now === before) continue;
    let [lo, hi] = [t - step, t];
    while (hi - lo > 1000) {
      const mid = Math.floor((lo + hi) / 2000) * 1000;
      if (offsetAt(mid, timeZone) === before) lo = mid;
      else hi = mid;
    }
    list.push({ at: hi / 1000, offset: now / 1000 });
    before = now;
  }
  transitionsByZone.set(timeZone, list);
  return list;
}

/** The zone's UTC offset in seconds at `seconds` since the epoch, as a CASE over the zone's offset changes. */
function zoneOffsetSql(seconds: Fragment, timeZone: string): Fragment {
  const list = transitions(timeZone);
  const [first, ...rest] = list;
  if (!first) return verbatim('0');
  if (rest.length === 0) return verbatim(String(first.offset));
  // Newest first: recent data meets its branch soonest.
  const branches = [...list].reverse().map(({ at, offset }) => (Number.isFinite(at) ? `WHEN s >= ${at} THEN ${offset}` : `ELSE ${offset}`));
  return sql`(SELECT CASE ${verbatim(branches.join(' '))} END FROM (SELECT ${seconds} AS s))`;
}
