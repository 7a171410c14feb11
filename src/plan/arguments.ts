import type { z } from 'zod';
import { InvalidArgumentsError } from '../errors.js';
import type { ColumnModel } from '../introspect/model.js';
import type { ResolvedOptions } from '../policy/options.js';
import type { TableFields } from '../catalog/fields.js';
import { VALUE_SHAPE, expectedValue, operatorsFor, type Operator } from '../catalog/filters.js';
import { isRelativeTime, resolveRelativeTime, wallClock, yearRangeProblem, zonedDate, zonedIso } from '../shared/time.js';
import { explainAggregateIssue } from './aggregate.js';
import type { BoundTool, PlanOptions } from './bound.js';
import type { PlannedFilter } from './plan.js';
import { MAX_JOINED_TABLES, joinsOf, lookupField, type FieldRef, type Hop } from './refs.js';
import type { ResolvedTime } from './resolve-time.js';

/** One validated condition. */
export interface Condition {
  readonly field: string;
  readonly op: Operator;
  readonly value?: unknown;
}

/** A validated group of conditions. */
export type Group = { readonly or: readonly Filter[] } | { readonly and: readonly Filter[] } | { readonly not: Filter };

/** Rows of a relation exist (matching `where`, on the related table's fields). */
export interface Exists {
  readonly has: string;
  readonly where?: readonly Filter[];
}

export type Filter = Condition | Group | Exists;

const GROUP_KEYS = ['or', 'and', 'not'] as const;
const NESTING_KEYS = [...GROUP_KEYS, 'has'] as const;
const MAX_REPORTED_ISSUES = 5;
const AGGREGATE_KEYS: ReadonlySet<string> = new Set(['group_by', 'metrics', 'having', 'order_by']);

/** A call's validated arguments, its filters planned and its relative times resolved. */
export interface ParsedCall {
  readonly args: Record<string, unknown>;
  readonly where: readonly PlannedFilter[];
  readonly times: ResolvedTime | undefined;
}

/**
 * Validates a call's arguments against the tool's zod schema, then what a schema cannot say (which value form
 * an operator takes, nesting depth, total conditions), and plans `where`: every field resolved to its column,
 * `has` filters checked against the related table's own fields, relative times resolved. Throws
 * {@link InvalidArgumentsError} naming the argument and what is allowed.
 */
export function parseArguments(tool: BoundTool, args: unknown, options: PlanOptions): ParsedCall {
  const limits = options.limits;
  // Before zod: a hostile nesting thousands of levels deep would exhaust the stack of its recursive parse.
  if (args && typeof args === 'object') checkRawDepth(tool, (args as Record<string, unknown>).where, limits.maxFilterDepth);
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) throw new InvalidArgumentsError(describeIssues(tool, args, parsed.error, limits));
  const data = parsed.data as Record<string, unknown>;
  if (!Array.isArray(data.where)) return { args: data, where: [], times: undefined };
  try {
    const planner = new FilterPlanner(limits, options.clock(), options.timeZone);
    const where = planner.plan(tool.fields, data.where as Filter[], 'where');
    checkJoins(where, 'where');
    if (planner.conditions > limits.maxConditions) {
      throw new InvalidArgumentsError(`where has ${planner.conditions} conditions; at most ${limits.maxConditions} are allowed`);
    }
    return { args: data, where, times: planner.resolved() };
  } catch (error) {
    if (error instanceof InvalidArgumentsError) {
      throw new InvalidArgumentsError(`Invalid arguments for ${tool.name}: ${error.message.replace(/^Invalid arguments: /, '').replace(/\.$/, '')}.`);
    }
    throw error;
  }
}

/** Refuses conditions of one query or `has` subquery whose paths would join more than {@link MAX_JOINED_TABLES} tables. */
function checkJoins(filters: readonly PlannedFilter[], at: string): void {
  const paths: (readonly Hop[])[] = [];
  const walk = (list: readonly PlannedFilter[], path: string) => {
    list.forEach((filter, index) => {
      if (filter.kind === 'condition') paths.push(filter.path ?? []);
      else if (filter.kind === 'exists') checkJoins(filter.where, `${path}[${index}].where`);
      else if (filter.kind === 'not') walk([filter.member], path);
      else walk(filter.members, path);
    });
  };
  walk(filters, at);
  const joins = joinsOf(paths);
  if (joins > MAX_JOINED_TABLES) throw new InvalidArgumentsError(`${at}: the conditions reach ${joins} related tables; at most ${MAX_JOINED_TABLES} are allowed`);
}

/**
 * Refuses groups nested deeper than `maxDepth` in the raw `where`, iteratively and before any recursive parse.
 * Only the group structure is looked at; everything else is left to the schema.
 */
function checkRawDepth(tool: BoundTool, where: unknown, maxDepth: number): void {
  if (!Array.isArray(where)) return;
  const pending: { node: unknown; path: string; depth: number }[] = where.map((node, index) => ({ node, path: `where[${index}]`, depth: 0 }));
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { node, path, depth } = item;
    if (!node || typeof node !== 'object' || Array.isArray(node)) continue;
    const entry = node as Record<string, unknown>;
    for (const key of NESTING_KEYS) {
      if (!Object.hasOwn(entry, key)) continue;
      const at = `${path}.${key}`;
      if (depth + 1 > maxDepth) {
        throw new InvalidArgumentsError(`Invalid arguments for ${tool.name}: ${at}: groups and has filters nest deeper than ${maxDepth} levels.`);
      }
      // A `has` nests through its own `where`.
      const members = key === 'has' ? entry.where : entry[key];
      const base = key === 'has' ? `${path}.where` : at;
      if (key === 'not') pending.push({ node: members, path: at, depth: depth + 1 });
      else if (Array.isArray(members)) members.forEach((member, index) => pending.push({ node: member, path: `${base}[${index}]`, depth: depth + 1 }));
    }
  }
}

/**
 * The one walk over a parsed `where`: checks operator/value agreement and group form, parses the conditions of `has`
 * filters against the related table's own fields, resolves relative times, counts conditions, and returns the
 * filters with every name resolved. Depth was checked on the raw input by {@link checkRawDepth}.
 */
class FilterPlanner {
  conditions = 0;
  private readonly times: ResolvedTime['values'][number][] = [];

  constructor(
    private readonly limits: PlanOptions['limits'],
    private readonly now: Date,
    private readonly timeZone: string,
  ) {}

  resolved(): ResolvedTime | undefined {
    if (this.times.length === 0) return undefined;
    return { now: zonedIso(new Date(Math.floor(this.now.getTime() / 1000) * 1000), this.timeZone), time_zone: this.timeZone, values: this.times };
  }

  /** `single` is set for the member of a `not` group, which `path` names without an index. */
  plan(fields: TableFields, filters: readonly Filter[], path: string, single?: 'not'): PlannedFilter[] {
    const label = single ? `${path}.${single}` : path;
    return filters.map((filter, index): PlannedFilter => {
      const at = single ? label : `${path}[${index}]`;
      if ('field' in filter) {
        const { column, path } = checkCondition(fields, filter, at, this.limits);
        this.conditions += 1;
        const value = this.resolveTimes(column, filter, at);
        return path.length > 0 ? { kind: 'condition', column, op: filter.op, value, path } : { kind: 'condition', column, op: filter.op, value };
      }
      if ('has' in filter) {
        const related = fields.relations.get(filter.has);
        if (!related) throw new InvalidArgumentsError(`${at}.has: unknown relation "${filter.has}"; allowed: ${[...fields.relations.keys()].join(', ')}.`);
        const exists = { kind: 'exists' as const, relation: related.relation, target: related.target.table };
        if (filter.where === undefined) return { ...exists, where: [] };
        const parsed = related.target.where.safeParse(filter.where);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const entry = issue && issue.path.length > 0 ? issue.path.slice(0, 1) : [];
          const where = `${at}.where${entry.length ? `[${String(entry[0])}]` : ''}`;
          const problem = entry.length ? diagnoseFilter(related.target, valueAt(filter.where, entry), where, this.limits) : '';
          throw new InvalidArgumentsError(problem || `${where}: ${issue?.message ?? 'invalid conditions'}`);
        }
        return { ...exists, where: this.plan(related.target, parsed.data as Filter[], `${at}.where`) };
      }
      const keys = GROUP_KEYS.filter((key) => (filter as Record<string, unknown>)[key] !== undefined);
      if (keys.length !== 1) {
        throw new InvalidArgumentsError(`${at}: a group has exactly one of "or", "and", "not"; a condition has "field", "op", "value".`);
      }
      if ('not' in filter && filter.not !== undefined) {
        const [member] = this.plan(fields, [filter.not], at, 'not');
        return { kind: 'not', member: member as PlannedFilter };
      }
      if ('or' in filter && filter.or !== undefined) return { kind: 'or', members: this.plan(fields, filter.or, `${at}.or`) };
      return { kind: 'and', members: this.plan(fields, (filter as { and: readonly Filter[] }).and, `${at}.and`) };
    });
  }

  /**
   * The condition's value with every relative time replaced by the absolute value to bind: a date for date columns,
   * the zone's wall clock for date-times without a zone, UTC for instants.
   */
  private resolveTimes(column: ColumnModel, condition: Condition, at: string): unknown {
    const value = condition.value;
    if ((column.type !== 'date' && column.type !== 'datetime') || VALUE_SHAPE[condition.op] === 'none') return value;
    const one = (item: unknown, path: string): unknown => {
      if (!isRelativeTime(item)) return item;
      const instant = resolveRelativeTime(item, this.now, this.timeZone);
      // The same rule as ISO values with a zone (see `temporalProblem`): instant columns bind UTC, others the wall clock.
      const outside = yearRangeProblem(instant, this.timeZone);
      if (outside) throw new InvalidArgumentsError(`${path}: ${JSON.stringify(item)} lies outside the years 0001 to 9999 once converted to ${outside}`);
      const echoed = column.type === 'date' ? zonedDate(instant, this.timeZone) : zonedIso(instant, this.timeZone);
      this.times.push({ at: path, field: condition.field, input: item, resolved: echoed });
      if (column.type === 'date') return echoed;
      return column.withTimeZone ? instant.toISOString() : wallClock(instant, this.timeZone);
    };
    return Array.isArray(value) ? value.map((item, index) => one(item, `${at}.value[${index}]`)) : one(value, `${at}.value`);
  }
}

function checkCondition(fields: TableFields, condition: Condition, at: string, limits: PlanOptions['limits']): { column: ColumnModel; path: readonly Hop[] } {
  const ref = lookupField(fields, condition.field);
  if (typeof ref === 'string') throw new InvalidArgumentsError(`${at}.field: ${ref}.`);
  const column = ref.column;
  // A path condition passed the schema with any op and value: check them against the column it reaches.
  if (ref.path.length > 0) checkPathCondition(fields, ref, condition, at, limits);
  const shape = VALUE_SHAPE[condition.op];
  const value = condition.value;
  const what = expectedValue(column);
  const fail = (message: string) => {
    throw new InvalidArgumentsError(`${at}: op "${condition.op}" on ${condition.field} ${message}.`);
  };
  if (shape === 'none' && value !== undefined) fail('takes no value');
  if (shape !== 'none' && value === undefined) fail('needs a value');
  if (shape === 'scalar' && Array.isArray(value)) fail(`takes a single value: ${what}`);
  if (shape === 'list' && !Array.isArray(value)) fail(`takes a list of values, each ${what}`);
  if (shape === 'pair' && !(Array.isArray(value) && value.length === 2)) fail(`takes [low, high], each ${what}`);
  if (shape === 'text' && typeof value !== 'string') fail('takes a non-empty string');
  if (shape === 'text' && value === '') fail('takes a non-empty string');
  return { column, path: ref.path };
}

/** Op and values of a `relation.….field` condition, as the related table's own condition schema checks them. */
function checkPathCondition(fields: TableFields, ref: FieldRef, condition: Condition, at: string, limits: PlanOptions['limits']): void {
  const operators = operatorsFor(ref.column);
  if (!operators.includes(condition.op)) {
    throw new InvalidArgumentsError(`${at}.op: ${JSON.stringify(String(condition.op).slice(0, 32))} is not allowed on ${condition.field}; allowed: ${operators.join(', ')}`);
  }
  const shape = VALUE_SHAPE[condition.op];
  if (shape === 'text' && typeof condition.value === 'string') {
    if (condition.value.length > limits.maxStringLength) throw new InvalidArgumentsError(`${at}.value: a string of at most ${limits.maxStringLength} characters is allowed`);
    if (condition.value.includes('\u0000')) throw new InvalidArgumentsError(`${at}: op "${condition.op}" on ${condition.field} takes a string without NUL characters`);
  }
  if (shape === 'none' || shape === 'text' || condition.value === undefined) return;
  if (condition.value === null) throw new InvalidArgumentsError(`${at}.value: null is not a comparison value; use op "is_null" or "is_not_null"`);
  const schema = fields.filters.filterValue(ref.column);
  const values = Array.isArray(condition.value) ? (condition.value as unknown[]) : [condition.value];
  if (values.length > limits.maxListLength) throw new InvalidArgumentsError(`${at}.value: op "${condition.op}" takes at most ${limits.maxListLength} values`);
  for (const value of values) {
    const result = schema?.safeParse(value);
    if (result && !result.success) {
      throw new InvalidArgumentsError(`${at}.value: ${condition.field} takes ${expectedValue(ref.column)}; ${result.error.issues[0]?.message ?? 'not a valid value'}`);
    }
  }
}

/** zod issues as short sentences naming the argument path and what is allowed. */
function describeIssues(tool: BoundTool, args: unknown, error: z.ZodError, limits: ResolvedOptions['limits']): string {
  const problems: string[] = [];
  for (const issue of error.issues) {
    if (problems.length >= MAX_REPORTED_ISSUES) break;
    const path = issue.path.length ? formatPath(issue.path) : 'arguments';
    if (issue.path[0] === 'where' && issue.path.length >= 2) {
      const at = formatPath(issue.path.slice(0, 2));
      problems.push(diagnoseFilter(tool.fields, valueAt(args, issue.path.slice(0, 2)), at, limits) || `${at}: ${issue.message}`);
    } else if (tool.kind === 'aggregate' && AGGREGATE_KEYS.has(String(issue.path[0])) && issue.path.length >= 2) {
      problems.push(explainAggregateIssue(tool, args, issue.path) || `${path}: ${issue.message}`);
    } else if (issue.code === 'too_big' && issue.origin === 'string') {
      // The value schemas word their type errors themselves, which would otherwise hide the length limit.
      problems.push(`${path}: a string of at most ${String(issue.maximum)} characters is allowed`);
    } else if (issue.code === 'invalid_type' && valueAt(args, issue.path) === undefined && issue.message.startsWith('Invalid input')) {
      // zod's own words for a missing argument are "Invalid input: expected array, received undefined".
      problems.push(`${path}: required`);
    } else if (issue.code === 'unrecognized_keys') {
      const allowed = issue.path.length === 0 ? tool.arguments.join(', ') : '';
      const keys = issue.keys.map((key) => JSON.stringify(key.slice(0, 64))).join(', ');
      problems.push(`${path}: unknown ${issue.keys.length > 1 ? 'arguments' : 'argument'} ${keys}${allowed ? `; allowed: ${allowed}` : ''}`);
    } else {
      problems.push(`${path}: ${issue.message}`);
    }
  }
  const unique = [...new Set(problems)];
  return `Invalid arguments for ${tool.name}: ${unique.join('; ')}.`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return node;
}

/** The message of the first problem the field's value schema finds in `value`, or `null` when it fits. */
function valueProblem(fields: TableFields, field: string, value: unknown): string | null {
  const result = fields.valueSchemas.get(field)?.safeParse(value);
  return !result || result.success ? null : (result.error.issues[0]?.message ?? 'not a valid value');
}

/**
 * Explains why one entry of `where` (at any depth) is invalid, from the raw input; an empty string when the
 * entry itself is valid.
 */
function diagnoseFilter(space: TableFields, raw: unknown, at: string, limits: ResolvedOptions['limits'], depth = 0): string {
  const fields = [...space.columnsByField.keys()];
  const relations = [...space.relations.keys()];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    const has = relations.length > 0 ? ', or related rows {has: relation, where: [...]}' : '';
    return `${at}: expected a condition {field, op, value} or a group {or: [...]}, {and: [...]}, {not: {...}}${has}`;
  }
  const entry = raw as Record<string, unknown>;
  if ('has' in entry) {
    const extra = Object.keys(entry).filter((name) => name !== 'has' && name !== 'where');
    if (extra.length > 0) return `${at}: a has filter takes "has" and "where" only`;
    if (relations.length === 0) return `${at}.has: this table has no relations`;
    if (typeof entry.has !== 'string' || !space.relations.has(entry.has)) {
      const shown = typeof entry.has === 'string' ? JSON.stringify(entry.has.slice(0, 64)) : 'missing';
      return `${at}.has: ${shown} is not a relation; allowed: ${relations.join(', ')}`;
    }
    if (entry.where !== undefined && !Array.isArray(entry.where)) return `${at}.where: expected a list of conditions on ${entry.has}'s fields`;
    if (Array.isArray(entry.where) && entry.where.length > limits.maxConditions) return `${at}.where: at most ${limits.maxConditions} conditions are allowed`;
    return '';
  }
  const groupKeys = GROUP_KEYS.filter((key) => key in entry);
  if (groupKeys.length > 0 && depth < 10) {
    const key = groupKeys[0] as (typeof GROUP_KEYS)[number];
    const extra = Object.keys(entry).filter((name) => name !== key);
    if (extra.length > 0 || groupKeys.length > 1) return `${at}: a group has exactly one key: "or", "and" or "not"`;
    const members = entry[key];
    if (key === 'not') return diagnoseFilter(space, members, `${at}.not`, limits, depth + 1);
    if (!Array.isArray(members) || members.length === 0) return `${at}.${key}: expected a non-empty list of conditions`;
    for (const [index, member] of members.entries()) {
      const problem = diagnoseFilter(space, member, `${at}.${key}[${index}]`, limits, depth + 1);
      if (problem) return problem;
    }
    return members.length > limits.maxConditions ? `${at}.${key}: too many conditions; at most ${limits.maxConditions} are allowed` : '';
  }
  const unknownKeys = Object.keys(entry).filter((key) => !['field', 'op', 'value'].includes(key));
  if (unknownKeys.length > 0) {
    return `${at}: unknown key ${JSON.stringify(unknownKeys[0]?.slice(0, 64))}; a condition has "field", "op" and "value"`;
  }
  const field = entry.field;
  // A path passes the schema and is explained by the planner, hop by hop.
  if (typeof field === 'string' && field.includes('.') && !space.columnsByField.has(field) && space.relations.size > 0) return '';
  const column = typeof field === 'string' ? space.columnsByField.get(field) : undefined;
  if (!column) {
    const shown = typeof field === 'string' ? JSON.stringify(field.slice(0, 64)) : 'missing';
    return `${at}.field: ${shown} is not a field; allowed: ${fields.join(', ')}`;
  }
  const operators = operatorsFor(column);
  if (typeof entry.op !== 'string' || !operators.includes(entry.op as Operator)) {
    const shown = typeof entry.op === 'string' ? JSON.stringify(entry.op.slice(0, 32)) : 'missing';
    return `${at}.op: ${shown} is not allowed on ${String(field)}; allowed: ${operators.join(', ')}`;
  }
  const op = entry.op as Operator;
  const shape = VALUE_SHAPE[op];
  const what = expectedValue(column);
  if (entry.value === null) return `${at}.value: null is not a comparison value; use op "is_null" or "is_not_null"`;
  if (shape === 'none') return entry.value === undefined ? '' : `${at}: op "${op}" takes no value`;
  if (entry.value === undefined) return '';
  const values = Array.isArray(entry.value) ? (entry.value as unknown[]) : [entry.value];
  if (Array.isArray(entry.value) && values.length > limits.maxListLength) {
    return `${at}.value: op "${op}" takes at most ${limits.maxListLength} values`;
  }
  if (shape === 'text') {
    const text = entry.value;
    if (typeof text !== 'string' || text === '') return `${at}.value: op "${op}" takes a non-empty string`;
    // The value schema refuses NUL (see `withoutNul`); worded for a text match, as SQLite's LIKE would stop at it.
    if (text.includes('\u0000')) return `${at}: op "${op}" on ${String(field)} takes a string without NUL characters`;
    return text.length > limits.maxStringLength ? `${at}.value: a string of at most ${limits.maxStringLength} characters is allowed` : '';
  }
  // A condition the schema accepts is not the problem: report nothing, so a group goes on to its other members.
  const problem = values.map((value) => valueProblem(space, String(field), value)).find((found) => found !== null);
  if (!problem) return '';
  const form = shape === 'list' ? `a list of values, each ${what}` : shape === 'pair' ? `[low, high], each ${what}` : what;
  return `${at}.value: op "${op}" on ${String(field)} takes ${form}; ${problem}`;
}
