import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolOutcome } from '../execute/execute.js';
import type { ParsedCall } from '../plan/arguments.js';
import type { PlannedFilter } from '../plan/plan.js';

/** Said when a text `eq`/`in` finds nothing: the likeliest cause is the case of the value. */
export const CASE_HINT = 'eq and in compare text as stored (case-sensitive on PostgreSQL and SQLite); ieq and iin ignore case.';

/** Whether a filter, at any depth outside a `not`, compares a text column with `eq` (a value with letters) or `in`. */
function exactText(filters: readonly PlannedFilter[]): boolean {
  return filters.some((filter) => {
    switch (filter.kind) {
      case 'condition':
        if (filter.column.type !== 'string') return false;
        if (filter.op === 'in') return true;
        return filter.op === 'eq' && typeof filter.value === 'string' && filter.value.toLowerCase() !== filter.value.toUpperCase();
      case 'or':
      case 'and':
        return exactText(filter.members);
      case 'exists':
        return exactText(filter.where);
      case 'not':
        // A negated eq excludes rows; it cannot be why none are left.
        return false;
    }
  });
}

/** Whether the outcome found nothing: no rows or groups on the first page, a zero count, an ungrouped aggregate of nothing. */
function empty(outcome: ToolOutcome, call: ParsedCall): boolean {
  switch (outcome.kind) {
    case 'count':
      return outcome.count === 0;
    case 'query':
      return outcome.rows.length === 0 && outcome.offset === 0;
    case 'aggregate': {
      if (outcome.offset !== 0) return false;
      if (outcome.rows.length === 0) return true;
      const grouped = Array.isArray(call.args.group_by) && call.args.group_by.length > 0;
      const [row] = outcome.rows;
      return !grouped && outcome.rows.length === 1 && row !== undefined && Object.values(row).every((value) => value === null || value === 0);
    }
    case 'lookup':
      return false;
  }
}

/**
 * The result with {@link CASE_HINT} as its last text line and as `hint` in its structured content, when a text
 * `eq`/`in` of the call found nothing; unchanged otherwise. Read from the planned filters: no extra query.
 */
export function withCaseHint(result: CallToolResult, outcome: ToolOutcome, call: ParsedCall): CallToolResult {
  if (!result.structuredContent || !empty(outcome, call) || !exactText(call.where)) return result;
  const [first, ...rest] = result.content;
  const text = first?.type === 'text' ? `${first.text}\nHint: ${CASE_HINT}` : `Hint: ${CASE_HINT}`;
  return {
    ...result,
    content: [{ type: 'text', text }, ...(first?.type === 'text' ? rest : result.content)],
    structuredContent: { ...result.structuredContent, hint: CASE_HINT },
  };
}
