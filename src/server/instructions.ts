import type { ResolvedOptions } from '../policy/options.js';
import type { ExposedSchema } from '../policy/policy.js';
import type { ToolCatalog } from '../tools/catalog.js';

/** The `instructions` a client may show its model once per session: how the generated tools fit together. */
export function serverInstructions(exposed: ExposedSchema, catalog: ToolCatalog, options: ResolvedOptions): string {
  const related = exposed.tables.some((table) => table.relations.length > 0);
  const lines = [
    `Read-only access to a ${exposed.dialect} database: ${exposed.tables.length} tables, ${catalog.tools.length} tools.`,
    catalog.tools.some((tool) => tool.kind === 'aggregate')
      ? 'Per table: query_<table> (filter, sort, page), query_<table>_by_<key> (one row by a key), count_<table>, and aggregate_<table> (group_by, metrics, having, order_by: one call answers "how many/how much per X").'
      : 'Per table: query_<table> (filter, sort, page), query_<table>_by_<key> (one row by a key), count_<table>.',
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
