/**
 * Empty answers that explain themselves: when a call's date or date-time filters leave no rows, its result states
 * the range of each filtered column within the caller's scope, so a model learns where the data lies in one call.
 * @module
 */
import type { ExplainOutcome, ToolOutcome } from '../execute/execute.js';
import type { ColumnModel } from '../introspect/model.js';
import type { PlannedFilter, ReadPlan } from '../plan/plan.js';

/** Operators that compare a date with values (`is_null` says nothing about where the data lies). */
const RANGE_OPERATORS: ReadonlySet<string> = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in']);

/** Columns whose range one result states at most: a where over many date fields must not grow the result much. */
const MAX_RANGES = 4;

/**
 * What asks the executor for ranges after a plan ran: the date and date-time columns of the plan's own table that
 * its filters compare (not those of `has` subqueries; the first {@link MAX_RANGES}), when the outcome says no row
 * matched; else none.
 */
export function explainEmpty(plan: ReadPlan): ExplainOutcome | undefined {
  if (plan.kind === 'lookup') return undefined;
  const columns = dateColumns(plan.where, new Set(plan.table.columns)).slice(0, MAX_RANGES);
  if (columns.length === 0) return undefined;
  return (outcome) => (matchedNothing(plan, outcome) ? columns : []);
}

function dateColumns(filters: readonly PlannedFilter[], own: ReadonlySet<ColumnModel>, found: ColumnModel[] = []): ColumnModel[] {
  for (const filter of filters) {
    switch (filter.kind) {
      case 'condition':
        if (isDate(filter.column) && RANGE_OPERATORS.has(filter.op) && own.has(filter.column) && !found.includes(filter.column)) found.push(filter.column);
        break;
      case 'or':
      case 'and':
        dateColumns(filter.members, own, found);
        break;
      case 'not':
        dateColumns([filter.member], own, found);
        break;
      case 'exists':
        break;
    }
  }
  return found;
}

const isDate = (column: ColumnModel) => column.type === 'date' || column.type === 'datetime';

/** Whether the filters left no row: not a page past the end, nor groups that `having` removed. */
function matchedNothing(plan: Exclude<ReadPlan, { kind: 'lookup' }>, outcome: ToolOutcome): boolean {
  switch (outcome.kind) {
    case 'count':
      return outcome.count === 0;
    case 'query':
      return outcome.rows.length === 0 && outcome.offset === 0;
    case 'aggregate':
      if (outcome.matched !== undefined) return outcome.matched === 0;
      return plan.kind === 'aggregate' && plan.groups.length > 0 && plan.having.length === 0 && outcome.rows.length === 0 && outcome.offset === 0;
    case 'lookup':
      return false;
  }
}
