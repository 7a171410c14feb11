import type { Dialect } from '../introspect/model.js';
import type { ResolvedOptions } from '../policy/options.js';
import { MAX_PATH_HOPS } from '../catalog/fields.js';
import { OPERATORS } from '../catalog/filters.js';
import type { Selection } from '../tools/listing.js';

const KIND_HELP = {
  query: 'query_<table> (filter, sort, page)',
  lookup: 'query_<table>_by_<key> (one row by a key)',
  count: 'count_<table>',
  aggregate: 'aggregate_<table> (group_by, metrics, having, order_by: one call answers "how many/how much per X")',
} as const;

/** Longest instructions conexor writes itself; Claude Code cuts server instructions at 2 KB. */
export const MAX_INSTRUCTIONS = 2_048;

/**
 * The `instructions` a client may show its model once per session: how the tools one caller may use fit together,
 * and the grammar every tool shares (stated once here, not in every tool). Built from that caller's listing only,
 * so counts, kinds and relations never describe what the caller cannot reach.
 */
export function serverInstructions(dialect: Dialect, selection: Selection, tables: number, options: ResolvedOptions): string {
  const tools = selection.tools;
  if (tools.length === 0) return `Read-only access to a ${dialect} database; no tool is available to this caller.`;
  const typed = tools.flatMap((tool) => (tool.form === 'typed' ? [tool] : []));
  const kinds = new Set(typed.map((tool) => tool.spec.kind));
  const generic = tools.filter((tool) => tool.form === 'generic').map((tool) => tool.name);
  const typedTables = new Set(typed.map((tool) => tool.table));
  const related = selection.allowedTyped.some((tool) => tool.table.exposed.relations.length > 0);
  const writes = tools.some((tool) => tool.form !== 'search' && tool.spec.session === 'read-write');
  const lines = [`${writes ? 'Read and write' : 'Read-only'} access to a ${dialect} database: ${tables} tables, ${tools.length} tools.`];
  if (kinds.size > 0) {
    const per = (['query', 'lookup', 'count', 'aggregate'] as const).filter((kind) => kinds.has(kind)).map((kind) => KIND_HELP[kind]);
    lines.push(`${generic.length > 0 ? `Typed tools for ${typedTables.size} of the tables` : 'Per table'}: ${per.join(', ')}.`);
  }
  if (generic.length > 0) {
    lines.push(
      `search_tables finds every table (detail=columns: fields, types, relations); ${generic.join(', ')} take "table" plus the same arguments as the typed tools.`,
    );
  }
  lines.push(
    `Filters: where = [{field, op, value}, …], ANDed; groups {or: […]}, {and: […]}, {not: {…}}${related ? '; related rows {has: relation, where: […]}' : ''}.`,
    `Ops: ${OPERATORS.filter((op) => !['is_null', 'is_not_null'].includes(op)).join(', ')}; is_null, is_not_null take no value; in/not_in a list; between [low, high]. Case: eq/in are exact (case-sensitive on PostgreSQL and SQLite, per collation on MariaDB); ieq/iin ignore case; contains, starts_with, ends_with ignore case.`,
    `Dates are ISO strings, or relative and resolved by the server in ${options.timeZone}: "now", {"ago": {"days": 7}}, {"start_of": "month"} (offset -1 = the previous month); results echo the resolved values.`,
    ...(related
      ? [`relation.field (e.g. customer.country) reads a related row in columns, where, order_by, group_by and metrics; paths follow to-one relations up to ${MAX_PATH_HOPS} deep (address.city.country.name).`]
      : []),
    `At most ${options.maxRows} rows per call; truncated=true means more match (use offset).`,
    ...(writes
      ? [
          'Writes change data, one transaction per call: insert {rows}; update/delete by key ({key fields, set}) or filtered ({where, set, max_affected}: more matches than max_affected change nothing). Results give the keys and new values. Prefer by-key calls; count first when unsure.',
        ]
      : []),
    'The resource conexor://schema lists tables, fields, keys and relations as JSON.',
  );
  if (options.instructions) lines.push(options.instructions);
  return lines.join('\n');
}
