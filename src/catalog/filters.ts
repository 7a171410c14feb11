import { z } from 'zod';
import type { ColumnModel, Dialect, NormalizedType } from '../introspect/model.js';
import { floatBounds, integerBounds } from '../introspect/shared.js';
import type { ResolvedOptions } from '../policy/options.js';
import { relativeTimeSchema, yearRangeProblem } from '../shared/time.js';

/** Every filter operator. */
export const OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'not_in',
  'between',
  'is_null',
  'is_not_null',
  'contains',
  'starts_with',
  'ends_with',
  'ieq',
  'iin',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** The JSON shape each operator's `value` takes. */
export type ValueShape = 'scalar' | 'list' | 'pair' | 'none' | 'text';

export const VALUE_SHAPE: Record<Operator, ValueShape> = {
  eq: 'scalar',
  neq: 'scalar',
  gt: 'scalar',
  gte: 'scalar',
  lt: 'scalar',
  lte: 'scalar',
  in: 'list',
  not_in: 'list',
  between: 'pair',
  is_null: 'none',
  is_not_null: 'none',
  contains: 'text',
  starts_with: 'text',
  ends_with: 'text',
  ieq: 'scalar',
  iin: 'list',
};

const NULL_TESTS: readonly Operator[] = ['is_null', 'is_not_null'];
const COMPARABLE: readonly Operator[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between', ...NULL_TESTS];
const EQUALITY: readonly Operator[] = ['eq', 'neq', 'in', 'not_in', ...NULL_TESTS];
// Case-insensitive forms only on free text: enum values are a closed set validated exactly, UUIDs have no case to fold.
const TEXT: readonly Operator[] = [...COMPARABLE, 'contains', 'starts_with', 'ends_with', 'ieq', 'iin'];

/** Operators that make sense on each type; JSON, binary, array and unknown columns can only be tested for NULL. */
export const OPERATORS_BY_TYPE: Record<NormalizedType, readonly Operator[]> = {
  string: TEXT,
  integer: COMPARABLE,
  number: COMPARABLE,
  decimal: COMPARABLE,
  date: COMPARABLE,
  datetime: COMPARABLE,
  time: COMPARABLE,
  uuid: EQUALITY,
  enum: EQUALITY,
  boolean: ['eq', 'neq', ...NULL_TESTS],
  json: NULL_TESTS,
  binary: NULL_TESTS,
  array: NULL_TESTS,
  unknown: NULL_TESTS,
};

const TEXT_MATCH: readonly Operator[] = ['contains', 'starts_with', 'ends_with'];
const TEXT_ENUM: readonly Operator[] = [...EQUALITY, ...TEXT_MATCH];
// Native types that hold text: an enum over one of them comes from a CHECK list (native enums are named types or `enum(…)`).
const TEXT_TYPE = /^\s*(?:text|tinytext|mediumtext|longtext|clob|citext|bpchar|string|n?varchar2?|n?char|character(?:\s+varying)?|national\s+(?:var)?char(?:acter)?(?:\s+varying)?|varying\s+character|native\s+character)\b/i;

/** An enum whose values are text of a text column constrained by a CHECK list (not a PostgreSQL or MySQL enum type). */
export function isTextEnum(column: ColumnModel): boolean {
  return column.type === 'enum' && TEXT_TYPE.test(column.nativeType);
}

/** The operators a column takes: its type's, and text matching on enums stored as text. */
export function operatorsFor(column: ColumnModel): readonly Operator[] {
  return isTextEnum(column) ? TEXT_ENUM : OPERATORS_BY_TYPE[column.type];
}

/** Types a model can sort by: ordered types, and enums (in their declared order). */
export function isSortable(column: ColumnModel): boolean {
  return column.type === 'enum' || OPERATORS_BY_TYPE[column.type].includes('lt');
}

export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
// Date, optional time (seconds and fraction optional), optional zone.
export const DATETIME_PATTERN = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;
export const TIME_PATTERN = /^\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Words only type errors; range, length and format problems keep their own messages.
const expected = (what: string) => ({
  error: (issue: { code?: string; input?: unknown }) =>
    issue.code !== 'invalid_type' && issue.code !== 'invalid_value'
      ? undefined
      : issue.input === null
        ? 'null is not a comparison value; use op "is_null" or "is_not_null"'
        : `expected ${what}`,
});

/**
 * Refuses NUL characters in a free string: PostgreSQL cannot hold one in text (a database error), SQLite's LIKE stops
 * reading at it (widening a match), MySQL compares it; so every database gets the same refusal.
 */
function withoutNul(schema: z.ZodString): z.ZodString {
  return schema.refine((value) => !value.includes('\u0000'), 'expected a string without NUL characters');
}

const DATE_PARTS = /^(\d{4})-(\d{2})-(\d{2})/;
const TIME_PARTS = /^(\d{2}):(\d{2})(?::(\d{2}))?/;
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Why a date, date-time or time that has the right form still names no real instant (February 30, 25:00), or
 * leaves the years 0001 to 9999 once its zone is converted (to UTC and to `timeZone`, see `bindValue`), or `null`.
 * Caught here, such a value would otherwise reach the database and fail there, or compare differently per database.
 */
function temporalProblem(column: ColumnModel, value: unknown, timeZone: string): string | null {
  if (typeof value !== 'string' || !['date', 'datetime', 'time'].includes(column.type)) return null;
  const text = value.trim();
  const shown = JSON.stringify(text.slice(0, 40));
  const invalid = `${shown} is not a real ${column.type === 'time' ? 'time' : 'date'}`;
  let timePart = text;
  let instant: Date | null = null;
  if (column.type !== 'time') {
    const date = DATE_PARTS.exec(text);
    if (!date) return null;
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return invalid;
    timePart = text.slice(10).replace(/^[T ]/i, '');
    if (column.type === 'datetime' && ZONED.test(text) && text.length > 10) {
      instant = new Date(text.replace(' ', 'T'));
      if (Number.isNaN(instant.getTime())) return invalid;
    }
  }
  const time = TIME_PARTS.exec(timePart);
  if (time && (Number(time[1]) > 23 || Number(time[2]) > 59 || Number(time[3] ?? 0) > 59)) return invalid;
  const outside = instant && yearRangeProblem(instant, timeZone);
  return outside ? `${shown} lies outside the years 0001 to 9999 once converted to ${outside}` : null;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Refuses values of the right form that name no real date or time (February 30, 25:00) or leave years 1–9999. */
function realTemporal(schema: z.ZodString, column: ColumnModel, timeZone: string): z.ZodType {
  return schema.superRefine((value, context) => {
    const problem = temporalProblem(column, value, timeZone);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
}

/** Human wording of what a value of the column must be, for error messages. */
export function expectedValue(column: ColumnModel): string {
  switch (column.type) {
    case 'integer':
      return 'an integer';
    case 'number':
    case 'decimal':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'uuid':
      return 'a UUID';
    case 'date':
      return 'a date YYYY-MM-DD';
    case 'datetime':
      return 'an ISO date-time such as 2024-05-01T13:45:00Z or 2024-05-01';
    case 'time':
      return 'a time HH:MM[:SS]';
    case 'enum':
      return `one of ${(column.enumValues ?? []).map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return 'a string';
  }
}

/** Groups a table's filterable columns by how their values are typed: one condition schema per group. */
export function valueKey(column: ColumnModel, dialect: Dialect): string {
  if (column.type === 'enum') return `${isTextEnum(column) ? 'text-enum' : 'enum'}:${JSON.stringify(column.enumValues)}`;
  const bounds = column.type === 'integer' ? integerBounds(dialect, column.nativeType) : null;
  if (bounds) return `integer:${bounds.join(':')}`;
  return column.type === 'number' && floatBounds(dialect, column.nativeType) ? 'number:float4' : column.type;
}

/** Builds the zod schemas of filter values, one instance per value type so JSON Schema can share them. */
export class FilterSchemas {
  private readonly values = new Map<string, z.ZodType | null>();
  private readonly filterValues = new Map<string, z.ZodType | null>();
  private readonly operatorEnums = new Map<readonly Operator[], z.ZodType>();
  constructor(
    private readonly limits: ResolvedOptions['limits'],
    private readonly dialect: Dialect,
    private readonly timeZone = 'UTC',
  ) {}

  /** Groups columns whose values validate alike. */
  key(column: ColumnModel): string {
    return valueKey(column, this.dialect);
  }

  /** Schema of one comparison value for a column, or `null` when the column takes no values. */
  value(column: ColumnModel): z.ZodType | null {
    const key = this.key(column);
    if (!this.values.has(key)) this.values.set(key, this.buildValue(column));
    return this.values.get(key) ?? null;
  }

  /** Schema of one value in a filter condition: dates and date-times also take relative forms ("now", ago, start_of). */
  filterValue(column: ColumnModel): z.ZodType | null {
    const key = this.key(column);
    if (!this.filterValues.has(key)) {
      const plain = this.value(column);
      const temporal = column.type === 'date' || column.type === 'datetime';
      this.filterValues.set(key, plain && temporal ? z.union([plain, relativeTimeSchema()]).describe(this.relativeHelp) : plain);
    }
    return this.filterValues.get(key) ?? null;
  }

  private get relativeHelp(): string {
    return `ISO, or relative (resolved in ${this.timeZone}): "now", {"ago":{"days":7}} (years…minutes), {"start_of":"day|week|month|quarter|year","offset":-1}`;
  }

  /** `{field, op, value}` for the given fields, which all share `column`'s value type. */
  condition(fields: readonly string[], column: ColumnModel): z.ZodType {
    const value = this.filterValue(column);
    const shape: Record<string, z.ZodType> = {
      field: z.enum(fields as [string, ...string[]]),
      op: this.operatorEnum(operatorsFor(column)),
    };
    if (value) {
      // The operator decides which of these forms applies; `checkCondition` enforces it with a precise message.
      shape.value = z.union([value, z.array(value).min(1).max(this.limits.maxListLength)]).optional();
    }
    if (!isTextEnum(column)) return z.strictObject(shape);
    // An enum stored as text: its values for equality, any text for contains, starts_with and ends_with.
    const text = this.value({ ...column, type: 'string', enumValues: null });
    return z.union([
      z.strictObject({ ...shape, op: this.operatorEnum(EQUALITY) }),
      z.strictObject({ field: shape.field as z.ZodType, op: this.operatorEnum(TEXT_MATCH), value: text ?? z.string() }),
    ]);
  }

  // One instance per operator set, so types that share operators share one `$defs` entry.
  private operatorEnum(operators: readonly Operator[]): z.ZodType {
    let schema = this.operatorEnums.get(operators);
    if (!schema) {
      schema = z.enum(operators as [Operator, ...Operator[]]);
      this.operatorEnums.set(operators, schema);
    }
    return schema;
  }

  private buildValue(column: ColumnModel): z.ZodType | null {
    const maxString = this.limits.maxStringLength;
    switch (column.type) {
      case 'integer': {
        // A value outside the column's type would make the database fail the query instead of naming the argument.
        const bounds = integerBounds(this.dialect, column.nativeType);
        const integer = z.number(expected('an integer')).int('expected an integer');
        if (!bounds) return integer;
        const range = `expected an integer from ${bounds[0]} to ${bounds[1]}`;
        return integer.min(bounds[0], range).max(bounds[1], range);
      }
      case 'number':
      case 'decimal': {
        const bounds = column.type === 'number' ? floatBounds(this.dialect, column.nativeType) : null;
        const number = z.number(expected('a number'));
        if (!bounds) return number;
        const message = `expected 0 or a number whose magnitude is between ${bounds.smallest} and ${bounds.largest} (single precision)`;
        return number.refine((value) => value === 0 || (Math.abs(value) >= bounds.smallest && Math.abs(value) <= bounds.largest), message);
      }
      case 'boolean':
        return z.boolean(expected('true or false'));
      case 'string':
        return withoutNul(z.string(expected('a string')).max(maxString, `a string of at most ${maxString} characters is allowed`));
      case 'uuid':
        return z.string(expected('a UUID')).regex(UUID_PATTERN, 'expected a UUID').meta({ format: 'uuid' });
      case 'date':
        return realTemporal(z.string(expected('a date')).regex(DATE_PATTERN, `expected ${expectedValue(column)}`), column, this.timeZone).meta({
          format: 'date',
        });
      case 'datetime':
        return realTemporal(
          z.string(expected('a date-time')).regex(DATETIME_PATTERN, `expected ${expectedValue(column)}`),
          column,
          this.timeZone,
        ).meta({ format: 'date-time' });
      case 'time':
        return realTemporal(z.string(expected('a time')).regex(TIME_PATTERN, `expected ${expectedValue(column)}`), column, this.timeZone).meta({
          format: 'time',
        });
      case 'enum': {
        const values = column.enumValues ?? [];
        return values.length > 0
          ? z.enum(values as [string, ...string[]], expected(expectedValue(column)))
          : withoutNul(z.string(expected('a string')).max(maxString));
      }
      default:
        return null;
    }
  }
}
