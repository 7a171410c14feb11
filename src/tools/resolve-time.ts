import { InvalidArgumentsError } from '../errors.js';
import type { Condition, Filter } from './arguments.js';
import type { TableFields } from './catalog.js';
import { VALUE_SHAPE } from './filters.js';
import { isRelativeTime, resolveRelativeTime, wallClock, yearRangeProblem, zonedDate, zonedIso, type RelativeTime } from '../shared/time.js';

/** What the relative times of a call resolved to, echoed in its result so the model can state the range. */
export interface ResolvedTime {
  /** The server clock used, ISO with the zone's offset. */
  readonly now: string;
  readonly time_zone: string;
  readonly values: readonly { readonly at: string; readonly field: string; readonly input: RelativeTime; readonly resolved: string }[];
}

/**
 * Replaces every relative time in `where` (at any depth, `has` filters included) by the absolute value to bind:
 * a date for date columns, the zone's wall clock for date-times without a zone, UTC for instants.
 * Returns what they resolved to, or `undefined` when the call used none.
 */
export function resolveTimes(fields: TableFields, where: readonly Filter[] | undefined, now: Date, timeZone: string): ResolvedTime | undefined {
  if (!where) return undefined;
  const values: { at: string; field: string; input: RelativeTime; resolved: string }[] = [];
  const visit = (space: TableFields, filters: readonly Filter[], path: string, single = false) => {
    filters.forEach((filter, index) => {
      const at = single ? path : `${path}[${index}]`;
      if ('field' in filter) resolveCondition(space, filter, at);
      else if ('has' in filter) {
        const related = space.relations.get(filter.has);
        if (related && filter.where) visit(related.target, filter.where, `${at}.where`);
      } else if ('not' in filter) visit(space, [filter.not], `${at}.not`, true);
      else if ('or' in filter) visit(space, filter.or, `${at}.or`);
      else if ('and' in filter) visit(space, filter.and, `${at}.and`);
    });
  };
  const resolveCondition = (space: TableFields, condition: Condition, at: string) => {
    const column = space.columnsByField.get(condition.field);
    if (!column || (column.type !== 'date' && column.type !== 'datetime') || VALUE_SHAPE[condition.op] === 'none') return;
    const one = (value: unknown, path: string): unknown => {
      if (!isRelativeTime(value)) return value;
      const instant = resolveRelativeTime(value, now, timeZone);
      // The same rule as ISO values with a zone (see `temporalProblem`): instant columns bind UTC, others the wall clock.
      const outside = yearRangeProblem(instant, timeZone);
      if (outside) throw new InvalidArgumentsError(`Invalid arguments: ${path}: ${JSON.stringify(value)} lies outside the years 0001 to 9999 once converted to ${outside}.`);
      const echoed = column.type === 'date' ? zonedDate(instant, timeZone) : zonedIso(instant, timeZone);
      values.push({ at: path, field: condition.field, input: value, resolved: echoed });
      if (column.type === 'date') return echoed;
      return column.withTimeZone ? instant.toISOString() : wallClock(instant, timeZone);
    };
    const value = condition.value;
    (condition as { value?: unknown }).value = Array.isArray(value)
      ? value.map((item, index) => one(item, `${at}.value[${index}]`))
      : one(value, `${at}.value`);
  };
  visit(fields, where, 'where');
  if (values.length === 0) return undefined;
  return { now: zonedIso(new Date(Math.floor(now.getTime() / 1000) * 1000), timeZone), time_zone: timeZone, values };
}
