import { InvalidArgumentsError } from '../errors.js';
import type { ColumnModel, NormalizedType } from '../introspect/model.js';
import type { TableFields } from '../catalog/fields.js';
import { expectedValue } from '../catalog/filters.js';
import { isReservedName } from '../catalog/naming.js';
import { isRelativeTime } from '../shared/time.js';
import type { BoundTool } from './bound.js';
import { MAX_JOINED_TABLES, joinsOf, lookupField, orderName, resolveField, type FieldRef, type OrderEntry } from './refs.js';

/** Types a group key can have; JSON, binary, arrays and unknown types do not compare reliably. */
export const GROUPABLE: ReadonlySet<ColumnModel['type']> = new Set(['string', 'integer', 'number', 'decimal', 'boolean', 'date', 'datetime', 'time', 'uuid', 'enum']);
export const BUCKETS = ['hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
export const METRIC_FUNCTIONS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'] as const;
export const HAVING_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
/** A metric's output name. */
export const OUTPUT_NAME = /^[a-z_][a-z0-9_]{0,63}$/;

export type Bucket = (typeof BUCKETS)[number];
export type MetricFunction = (typeof METRIC_FUNCTIONS)[number];
export type HavingOperator = (typeof HAVING_OPERATORS)[number];

export interface GroupKey extends FieldRef {
  readonly output: string;
  readonly bucket: Bucket | null;
}

export interface Metric {
  readonly output: string;
  readonly fn: MetricFunction;
  /** `null` for a bare `count`. */
  readonly ref: FieldRef | null;
}

export interface HavingCondition {
  readonly metric: Metric;
  readonly op: HavingOperator;
  readonly value: number | string;
}

/** A checked aggregate call: every name resolved, every combination allowed. */
export interface AggregatePlan {
  readonly groups: readonly GroupKey[];
  readonly metrics: readonly Metric[];
  readonly having: readonly HavingCondition[];
  readonly orderBy: readonly { readonly output: string; readonly direction: 'asc' | 'desc' }[];
  readonly limit: number;
  readonly offset: number;
}

const NUMERIC: ReadonlySet<NormalizedType> = new Set(['integer', 'number', 'decimal']);
const ORDERED: ReadonlySet<NormalizedType> = new Set([...NUMERIC, 'date', 'datetime', 'time']);

/** The field types each metric accepts; `count` takes any field (it counts non-null values). */
export function metricAccepts(fn: MetricFunction, type: NormalizedType): boolean {
  switch (fn) {
    case 'count':
    case 'count_distinct':
      return GROUPABLE.has(type);
    case 'sum':
    case 'avg':
      return NUMERIC.has(type);
    case 'min':
    case 'max':
      return ORDERED.has(type);
  }
}

interface RawArguments {
  readonly group_by?: readonly (string | { readonly field: string; readonly bucket: Bucket })[];
  readonly metrics: readonly { readonly fn: MetricFunction; readonly field?: string; readonly as?: string }[];
  readonly having?: readonly { readonly metric: string; readonly op: HavingOperator; readonly value: number | string }[];
  readonly order_by?: readonly OrderEntry[];
  readonly limit: number;
  readonly offset: number;
}

/**
 * Resolves an aggregate call's names (fields, outputs, metric references) and checks what the schema cannot:
 * which metric fits which field type, unique output names, having and order_by naming real outputs.
 * Throws {@link InvalidArgumentsError} naming the argument and what is allowed.
 */
export function planAggregate(tool: BoundTool, parsed: Record<string, unknown>): AggregatePlan {
  const args = parsed as unknown as RawArguments;
  const fail = (message: string): never => {
    throw new InvalidArgumentsError(`Invalid arguments for ${tool.name}: ${message}.`);
  };
  const outputs = new Map<string, string>();
  const claim = (output: string, at: string) => {
    const previous = outputs.get(output);
    if (previous) fail(`${at}: output name "${output}" is already used by ${previous}; give one of them another name with "as"`);
    outputs.set(output, at);
  };

  const groups = (args.group_by ?? []).map((entry, index): GroupKey => {
    const at = `group_by[${index}]`;
    const field = typeof entry === 'string' ? entry : entry.field;
    const bucket = typeof entry === 'string' ? null : entry.bucket;
    const found = lookupField(tool.fields, field);
    const ref = typeof found === 'string' ? fail(`${at}: ${found}`) : found;
    if (!GROUPABLE.has(ref.column.type)) fail(`${at}: ${field} (${ref.column.type}) cannot be grouped; types allowed: ${[...GROUPABLE].join(', ')}`);
    if (bucket && ref.column.type !== 'date' && ref.column.type !== 'datetime') {
      fail(`${at}.bucket: only date and date-time fields take a bucket; ${field} is ${ref.column.type}`);
    }
    const output = bucket ? `${field}_${bucket}` : field;
    claim(output, at);
    return { ...ref, output, bucket };
  });

  const metrics = args.metrics.map((entry, index): Metric => {
    const at = `metrics[${index}]`;
    let ref: FieldRef | null = null;
    if (entry.field !== undefined) {
      const found = lookupField(tool.fields, entry.field);
      ref = typeof found === 'string' ? fail(`${at}.field: ${found}`) : found;
      if (!metricAccepts(entry.fn, ref.column.type)) {
        const allowed = METRIC_FUNCTIONS.filter((fn) => metricAccepts(fn, ref?.column.type ?? 'unknown'));
        fail(`${at}.fn: "${entry.fn}" does not apply to ${entry.field} (${ref.column.type}); allowed on it: ${allowed.join(', ') || 'none'}; sum and avg need a number field, min and max a number or date field`);
      }
    } else if (entry.fn !== 'count') {
      fail(`${at}.field: "${entry.fn}" needs a field`);
    }
    const output = entry.as ?? (ref ? `${entry.fn}_${ref.field.replace(/\./g, '_')}` : 'count');
    if (!OUTPUT_NAME.test(output)) fail(`${at}.as: give this metric a name of lowercase letters, digits and _ (the default "${output}" is not one)`);
    // Group outputs are field names, which are never reserved (see naming).
    if (isReservedName(output)) fail(`${at}.as: "${output}" is a property every JavaScript object has and cannot name an output; choose another name`);
    claim(output, at);
    return { output, fn: entry.fn, ref };
  });

  const joins = joinsOf([...groups, ...metrics.flatMap((metric) => (metric.ref ? [metric.ref] : []))].map((ref) => ref.path));
  if (joins > MAX_JOINED_TABLES) fail(`group_by and metrics reach ${joins} related tables; at most ${MAX_JOINED_TABLES} are allowed`);

  const byOutput = new Map(metrics.map((metric) => [metric.output, metric]));
  const having = (args.having ?? []).map((entry, index): HavingCondition => {
    const at = `having[${index}]`;
    const metric = byOutput.get(entry.metric) ?? fail(`${at}.metric: "${entry.metric.slice(0, 64)}" names no metric; allowed: ${[...byOutput.keys()].join(', ')}`);
    const temporal = metric.ref !== null && (metric.fn === 'min' || metric.fn === 'max') && !NUMERIC.has(metric.ref.column.type);
    if (temporal && typeof entry.value !== 'string') fail(`${at}.value: ${metric.output} is a ${metric.ref?.column.type}; compare it with an ISO string`);
    if (!temporal && typeof entry.value !== 'number') fail(`${at}.value: ${metric.output} is a number; compare it with a number`);
    if (temporal && metric.ref) {
      const problem = plainValueProblem(tool.fields, metric.ref, entry.value);
      if (problem) fail(`${at}.value: ${metric.output} compares with ${expectedValue(metric.ref.column)}; ${problem}`);
    }
    return { metric, op: entry.op, value: entry.value };
  });

  const orderBy = (args.order_by ?? []).map((entry, index) => {
    const { name, at } = orderName(entry, `order_by[${index}]`, fail);
    if (!outputs.has(name)) fail(`${at}: "${name.slice(0, 64)}" names no metric or group; allowed: ${[...outputs.keys()].join(', ')}`);
    return { output: name, direction: entry.direction ?? 'asc' };
  });

  return { groups, metrics, having, orderBy, limit: args.limit, offset: args.offset };
}

/** Why `value` is not an exact value of the field (relative forms are for filters), or `null`. */
function plainValueProblem(fields: TableFields, ref: FieldRef, value: unknown): string | null {
  if (isRelativeTime(value)) return 'relative times are for where';
  const result = fields.filters.value(ref.column)?.safeParse(value);
  return !result || result.success ? null : (result.error.issues[0]?.message ?? 'not a valid value');
}

/**
 * A precise message for a schema failure inside group_by, metrics, having or order_by, from the raw input;
 * an empty string when there is nothing better to say than zod's own message.
 */
export function explainAggregateIssue(tool: BoundTool, args: unknown, path: readonly PropertyKey[]): string {
  const [key, index] = path;
  if (typeof key !== 'string' || typeof index !== 'number') return '';
  const entry = (args as Record<string, unknown[]>)[key]?.[index];
  const at = `${key}[${index}]`;
  const fields = [...tool.fields.columnsByField.keys(), ...tool.fields.relatedFields.keys()];
  const groupable = fields.filter((field) => GROUPABLE.has(resolveField(tool.fields, field)?.column.type ?? 'unknown'));
  const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : value === undefined ? 'missing' : 'not a string');
  if (key === 'group_by') {
    const field = typeof entry === 'string' ? entry : (entry as { field?: unknown } | null)?.field;
    const ref = typeof field === 'string' ? resolveField(tool.fields, field) : null;
    if (!ref || !GROUPABLE.has(ref.column.type)) return `${at}: ${shown(field)} is not a field to group by; allowed: ${groupable.join(', ')}, or {field, bucket} on a date field`;
    if (typeof entry === 'object' && entry !== null) {
      const bucket = (entry as { bucket?: unknown }).bucket;
      if (ref.column.type !== 'date' && ref.column.type !== 'datetime') return `${at}.bucket: only date and date-time fields take a bucket; ${String(field)} is ${ref.column.type}`;
      if (!BUCKETS.includes(bucket as Bucket)) return `${at}.bucket: ${shown(bucket)} is not a bucket; allowed: ${BUCKETS.join(', ')}`;
      return `${at}: expected {field, bucket}`;
    }
    return '';
  }
  if (key === 'metrics') {
    if (!entry || typeof entry !== 'object') return `${at}: expected {fn, field, as}`;
    const { fn, field } = entry as { fn?: unknown; field?: unknown };
    if (!METRIC_FUNCTIONS.includes(fn as MetricFunction)) return `${at}.fn: ${shown(fn)} is not a metric; allowed: ${METRIC_FUNCTIONS.join(', ')}`;
    if (field !== undefined && !(typeof field === 'string' && groupable.includes(field))) return `${at}.field: ${shown(field)} is not a field; allowed: ${groupable.join(', ')}`;
    return '';
  }
  if (key === 'having') {
    if (!entry || typeof entry !== 'object') return `${at}: expected {metric, op, value}`;
    const { metric, op, value } = entry as { metric?: unknown; op?: unknown; value?: unknown };
    if (typeof metric !== 'string') return `${at}.metric: expected the name of a metric output`;
    if (!HAVING_OPERATORS.includes(op as HavingOperator)) return `${at}.op: ${shown(op)} is not allowed; allowed: ${HAVING_OPERATORS.join(', ')}`;
    if (typeof value !== 'number' && typeof value !== 'string') return `${at}.value: expected a number (or an ISO string for min/max of a date)`;
    return '';
  }
  if (key === 'order_by') {
    const { field, by, direction } = entry && typeof entry === 'object' ? (entry as { field?: unknown; by?: unknown; direction?: unknown }) : {};
    if (direction !== undefined && direction !== 'asc' && direction !== 'desc') return `${at}.direction: ${shown(direction)} is not allowed; allowed: asc, desc`;
    if (!(typeof field === 'string' || typeof by === 'string')) return `${at}: expected {field, direction} naming a metric or group output, e.g. {"field": "count", "direction": "desc"} ("by" is an alias of "field")`;
  }
  return '';
}
