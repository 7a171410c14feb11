import { z } from 'zod';

/** Periods `{"start_of": ...}` truncates to. Weeks start on Monday; quarters on Jan, Apr, Jul and Oct 1. */
export const PERIODS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type Period = (typeof PERIODS)[number];

/** Units `{"ago": {...}}` takes. Years to days move the wall clock; hours and minutes move the instant. */
export const AGO_UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes'] as const;
export type AgoUnit = (typeof AGO_UNITS)[number];

/** A point in time relative to the server clock, as a filter value may give it. */
export type RelativeTime = 'now' | { ago: Partial<Record<AgoUnit, number>> } | { start_of: Period; offset?: number };

const MAX_AGO = 100_000;
const MAX_OFFSET = 1000;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const FORMS = `"now", {"ago": {"days": 7}} (keys ${AGO_UNITS.join(', ')}) or {"start_of": "${PERIODS.join('|')}", "offset"?: -1}`;

let shared: z.ZodType<RelativeTime> | undefined;

/**
 * The zod schema of the relative forms: `"now"`, `{"ago": {...}}` (integers 0..100000, at least one unit) and
 * `{"start_of": period, "offset"?: -1000..1000}`, all strict. Every call returns the same instance, so a JSON
 * Schema that uses it several times can `$ref` one definition. Messages name the key at fault and what it takes.
 */
export function relativeTimeSchema(): z.ZodType<RelativeTime> {
  shared ??= buildSchema();
  return shared;
}

function buildSchema(): z.ZodType<RelativeTime> {
  const units: Partial<Record<AgoUnit, z.ZodOptional<z.ZodInt>>> = {};
  for (const unit of AGO_UNITS) {
    const message = `ago.${unit} must be a whole number from 0 to ${MAX_AGO}`;
    units[unit] = z.int({ error: message }).min(0, { error: message }).max(MAX_AGO, { error: message }).optional();
  }
  const ago = z
    .strictObject(units as Record<AgoUnit, z.ZodOptional<z.ZodInt>>, {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `ago takes ${AGO_UNITS.join(', ')}; unknown: ${quoteKeys(issue.keys)}`
          : `ago must be an object such as {"days": 7} with keys ${AGO_UNITS.join(', ')}`,
    })
    // Only when the keys are known: an unknown key already explains an otherwise empty object.
    .refine((value) => AGO_UNITS.some((unit) => value[unit] !== undefined), {
      error: `ago needs at least one of ${AGO_UNITS.join(', ')}`,
      when: (payload) => payload.issues.length === 0,
    });
  const offsetMessage = `offset must be a whole number from ${-MAX_OFFSET} to ${MAX_OFFSET}`;
  const startOf = z.strictObject(
    {
      start_of: z.enum(PERIODS, { error: `start_of must be one of ${PERIODS.join(', ')}` }),
      offset: z
        .int({ error: offsetMessage })
        .min(-MAX_OFFSET, { error: offsetMessage })
        .max(MAX_OFFSET, { error: offsetMessage })
        .optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `{"start_of": ...} takes "offset" only; unknown: ${quoteKeys(issue.keys)}` : undefined) },
  );
  const agoForm = z.strictObject(
    { ago },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `{"ago": {...}} takes no other key; unknown: ${quoteKeys(issue.keys)}` : undefined) },
  );
  return z.union([z.literal('now'), agoForm, startOf], {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      // zod reports a union as a whole when several forms fail; the key given says which form was meant.
      const input: unknown = issue.input;
      if (input && typeof input === 'object' && !Array.isArray(input)) {
        const hasAgo = 'ago' in input;
        const hasStart = 'start_of' in input;
        if (hasAgo && hasStart) return 'give either "ago" or "start_of", not both';
        const branch = hasAgo ? 1 : hasStart ? 2 : -1;
        const first = branch > 0 ? issue.errors[branch]?.[0] : undefined;
        if (first) return first.message;
      }
      return `expected ${FORMS}`;
    },
  });
}

function quoteKeys(keys: readonly string[]): string {
  return keys.map((key) => JSON.stringify(key.slice(0, 64))).join(', ');
}

/** Whether a (validated) filter value is one of the relative forms rather than an ISO string. */
export function isRelativeTime(value: unknown): value is RelativeTime {
  if (value === 'now') return true;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  // The full schema rather than a key sniff: it is cheap, and the guard then never lies about the shape.
  return relativeTimeSchema().safeParse(value).success;
}

// Creating a DateTimeFormat costs far more than using one; zones come from configuration, so the map stays small.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      // h23: some ICU versions print midnight as 24 with hour12: false.
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/**
 * Whether `zone` is an IANA time zone name the runtime knows (`UTC`, `Europe/Paris`, `America/New_York`).
 * Offsets such as `+05:30` are refused even where Intl takes them: databases read them with other sign rules.
 */
export function isValidTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || !/^[A-Za-z]/.test(zone)) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** Broken-down wall-clock time; `month` 1..12. */
interface Fields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

/** Milliseconds of a wall-clock time read as if it were UTC: a timeline without DST to do calendar arithmetic on. */
function localMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millisecond = 0): number {
  // Not Date.UTC: it maps years 0..99 to 1900..1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millisecond);
  return date.getTime();
}

function fieldsOf(local: number): Fields {
  const date = new Date(local);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    millisecond: date.getUTCMilliseconds(),
  };
}

/** The zone's UTC offset at an instant, in milliseconds (whole seconds: historical local mean times have them). */
export function offsetAt(instant: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const whole = Math.floor(instant / SECOND) * SECOND;
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatter(timeZone).formatToParts(whole)) parts[part.type] = part.value;
  const year = Number(parts.year);
  const wall = localMs(
    parts.era === 'BC' || parts.era === 'B' ? 1 - year : year,
    Number(parts.month),
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return wall - whole;
}

function checkInstant(instant: Date): number {
  const time = instant.getTime();
  if (Number.isNaN(time)) throw new RangeError('Invalid time value');
  return time;
}

const pad = (value: number, length = 2) => String(value).padStart(length, '0');

/** `YYYY` for years 0..9999, else ISO 8601's expanded `±YYYYYY` (as Date#toISOString writes them). */
function formatYear(year: number): string {
  if (year >= 0 && year <= 9999) return pad(year, 4);
  return `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
}

function formatDate(fields: Fields): string {
  return `${formatYear(fields.year)}-${pad(fields.month)}-${pad(fields.day)}`;
}

function formatTime(fields: Fields): string {
  const fraction = fields.millisecond ? `.${pad(fields.millisecond, 3)}` : '';
  return `${pad(fields.hour)}:${pad(fields.minute)}:${pad(fields.second)}${fraction}`;
}

/** Wall-clock time of an instant in a zone: `YYYY-MM-DD HH:MM:SS`, plus `.fff` only when the milliseconds are not 0. */
export function wallClock(instant: Date, timeZone: string): string {
  const time = checkInstant(instant);
  const fields = fieldsOf(time + offsetAt(time, timeZone));
  return `${formatDate(fields)} ${formatTime(fields)}`;
}

/**
 * Where an instant leaves the years 0001 to 9999 once converted to UTC or to the wall clock of `timeZone` (the two
 * forms conexor binds): `'UTC'`, the zone's name, or `null` when both stay inside. Outside those years databases
 * disagree (PostgreSQL has no year 0 and refuses some five-digit years; SQLite and MySQL compare five digits as text).
 */
export function yearRangeProblem(instant: Date, timeZone: string): string | null {
  const time = checkInstant(instant);
  const inside = (year: number) => year >= 1 && year <= 9999;
  if (!inside(new Date(time).getUTCFullYear())) return 'UTC';
  if (timeZone !== 'UTC' && !inside(fieldsOf(time + offsetAt(time, timeZone)).year)) return timeZone;
  return null;
}

/** The calendar date of an instant in a zone, `YYYY-MM-DD`. */
export function zonedDate(instant: Date, timeZone: string): string {
  const time = checkInstant(instant);
  return formatDate(fieldsOf(time + offsetAt(time, timeZone)));
}

/**
 * ISO 8601 with the zone's offset at that instant: `2026-11-17T10:15:00Z` when the offset is 0, else
 * `2026-03-29T03:00:00+02:00`; milliseconds only when not 0. An offset with seconds (local mean time before
 * ~1900) is written `+00:09:21`.
 */
export function zonedIso(instant: Date, timeZone: string): string {
  const time = checkInstant(instant);
  const offset = offsetAt(time, timeZone);
  const fields = fieldsOf(time + offset);
  return `${formatDate(fields)}T${formatTime(fields)}${formatOffset(offset)}`;
}

function formatOffset(offset: number): string {
  if (offset === 0) return 'Z';
  const total = Math.abs(offset) / SECOND;
  const seconds = total % 60;
  const text = `${offset < 0 ? '-' : '+'}${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}`;
  return seconds ? `${text}:${pad(seconds)}` : text;
}

/** What to do with a wall-clock time a DST gap skips. */
type GapRule = 'shift' | 'transition';

/**
 * The instant the zone's wall clock shows `local` (see {@link localMs}). In an overlap the earlier one. In a gap,
 * `shift` moves it forward by the gap's length; `transition` gives the first instant after the gap (a skipped
 * midnight then gives the first instant of the day even when the gap started before midnight).
 */
function instantOfLocal(local: number, timeZone: string, gap: GapRule): number {
  if (timeZone === 'UTC') return local;
  // Real offsets are within a day of UTC, so the offsets a day either side bracket any single transition.
  const before = offsetAt(local - DAY, timeZone);
  const after = offsetAt(local + DAY, timeZone);
  const candidates = [local - before, local - after].filter((instant) => instant + offsetAt(instant, timeZone) === local);
  if (candidates.length > 0) return Math.min(...candidates);
  if (gap === 'shift' || before === after) return local - before;
  // The transition lies in (local - after, local - before]: bisect to the second.
  let low = local - after;
  let high = local - before;
  while (high - low > SECOND) {
    const middle = low + Math.floor((high - low) / (2 * SECOND)) * SECOND;
    if (offsetAt(middle, timeZone) === before) low = middle;
    else high = middle;
  }
  return high;
}

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

/**
 * The instant at which the zone's wall clock shows the given local time (`YYYY-MM-DD HH:MM:SS` or
 * `YYYY-MM-DDTHH:MM[:SS[.fff]]`; digits past milliseconds are dropped). In a DST gap the later instant (the
 * time shifted forward by the gap), in an overlap the earlier one. Throws a RangeError for anything else.
 */
export function instantOfWallClock(wall: string, timeZone: string): Date {
  const match = WALL_CLOCK.exec(wall);
  const [year, month, day, hour, minute, second] = (match?.slice(1, 7) ?? []).map((part) => Number(part ?? 0));
  const millisecond = Number((match?.[7] ?? '').padEnd(3, '0').slice(0, 3));
  const local = match ? localMs(year!, month!, day!, hour!, minute!, second!, millisecond) : Number.NaN;
  const fields = Number.isNaN(local) ? undefined : fieldsOf(local);
  // Date rolls Feb 30 over to Mar 2; a round trip that changes a field means the input was out of range.
  if (!fields || fields.year !== year || fields.month !== month || fields.day !== day || fields.hour !== hour || fields.minute !== minute || fields.second !== second) {
    throw new RangeError(`expected a wall-clock time YYYY-MM-DD HH:MM:SS, got ${JSON.stringify(wall.slice(0, 64))}`);
  }
  return new Date(instantOfLocal(local, timeZone, 'shift'));
}

function daysInMonth(year: number, month: number): number {
  return fieldsOf(localMs(year, month + 1, 0)).day;
}

/** The local time `months` calendar months after `fields` (negative: before), the day clamped to the month's length. */
function addMonths(fields: Fields, months: number): number {
  const index = fields.year * 12 + (fields.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  const day = Math.min(fields.day, daysInMonth(year, month));
  return localMs(year, month, day, fields.hour, fields.minute, fields.second, fields.millisecond);
}

/**
 * The instant a relative value denotes at `now` in `timeZone`. `now` is first truncated to whole seconds.
 * - `"now"`: that instant.
 * - `ago`: years, months, weeks and days are subtracted on the zone's wall clock (Mar 31 − 1 month = Feb 28/29),
 *   the result taken back to an instant (DST gap: the later one, overlap: the earlier one), then hours and minutes
 *   subtracted from that instant. With no calendar units (or only zeros) the wall clock is not consulted.
 * - `start_of`: the wall clock truncated to the start of the period (weeks start on Monday, quarters on Jan, Apr,
 *   Jul and Oct 1), moved by `offset` periods, at midnight; a midnight a DST gap skips gives the first instant of
 *   that day.
 */
export function resolveRelativeTime(value: RelativeTime, now: Date, timeZone: string): Date {
  const instant = Math.floor(checkInstant(now) / SECOND) * SECOND;
  if (value === 'now') return new Date(instant);
  const wall = fieldsOf(instant + offsetAt(instant, timeZone));
  if ('ago' in value) {
    const { years = 0, months = 0, weeks = 0, days = 0, hours = 0, minutes = 0 } = value.ago;
    let result = instant;
    if (years || months || weeks || days) {
      const local = addMonths(wall, -(years * 12 + months)) - (weeks * 7 + days) * DAY;
      result = instantOfLocal(local, timeZone, 'shift');
    }
    return new Date(result - hours * HOUR - minutes * MINUTE);
  }
  const offset = value.offset ?? 0;
  const midnight = { ...wall, hour: 0, minute: 0, second: 0, millisecond: 0 };
  let local: number;
  switch (value.start_of) {
    case 'day':
      local = localMs(wall.year, wall.month, wall.day) + offset * DAY;
      break;
    case 'week': {
      // getUTCDay: 0 = Sunday; days since Monday is (day + 6) % 7.
      const today = localMs(wall.year, wall.month, wall.day);
      local = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY + offset * 7 * DAY;
      break;
    }
    case 'month':
      local = addMonths({ ...midnight, day: 1 }, offset);
      break;
    case 'quarter':
      local = addMonths({ ...midnight, month: wall.month - ((wall.month - 1) % 3), day: 1 }, offset * 3);
      break;
    case 'year':
      local = localMs(wall.year + offset, 1, 1);
      break;
  }
  return new Date(instantOfLocal(local, timeZone, 'transition'));
}
