import type { Dialect } from '../introspect/model.js';
import type { ResolvedOptions } from '../policy/options.js';
import type { ToolDefinition } from '../tools/catalog.js';

const KIND_HELP: Record<ToolDefinition['kind'], string> = {
  query: 'query_<table> (filter, sort, page)',
  lookup: 'query_<table>_by_<key> (one row by a key)',
  count: 'count_<table>',
  aggregate: 'aggregate_<table> (group_by, metrics, having, order_by: one call answers "how many/how much per X")',
};

/**
 * The `instructions` a client may show its model once per session: how the tools one caller may use fit
 * together. Built from that caller's tools only, so counts, tool kinds and relations never describe what the
 * caller cannot reach.
 */
export function serverInstructions(dialect: Dialect, tools: readonly ToolDefinition[], options: ResolvedOptions): string {
  const tables = new Set(tools.map((tool) => tool.table));
  const kinds = new Set(tools.map((tool) => tool.kind));
  const related = [...tables].some((table) => table.relations.length > 0);
  if (tools.length === 0) return `Read-only access to a ${dialect} database; no tool is available to this caller.`;
  const lines = [
    `Read-only access to a ${dialect} database: ${tables.size} tables, ${tools.length} tools.`,
    `Per table: ${(['query', 'lookup', 'count', 'aggregate'] as const).filter((kind) => kinds.has(kind)).map((kind) => KIND_HELP[kind]).join(', ')}.`,
    `Filters: where = [{field, op, value}, …], ANDed; groups {or: […]}, {and: […]}, {not: {…}}${related ? '; related rows {has: relation, where: […]}' : ''}.`,
    'Ops: eq, neq, gt, gte, lt, lte, in/not_in [values], between [low, high], is_null, is_not_null (no value); text: contains, starts_with, ends_with.',
    `Dates are ISO strings, or relative and resolved by the server in ${options.timeZone}: "now", {"ago": {"days": 7}}, {"start_of": "month"} (offset -1 = the previous month); results echo the resolved values.`,
    ...(related ? ['relation.field (e.g. customer.country) reads a related row in columns, order_by, group_by and metrics.'] : []),
    `At most ${options.maxRows} rows per call; truncated=true means more match (use offset).`,
    'The resource conexor://schema lists tables, fields, keys and relations as JSON.',
  ];
  if (options.instructions) lines.push(options.instructions);
  return lines.join('\n');
}
