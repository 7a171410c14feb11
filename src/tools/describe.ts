import type { ColumnModel } from '../introspect/model.js';
import type { ExposedTable } from '../policy/policy.js';
import type { TableNames } from './naming.js';

const MAX_COMMENT = 200;

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_COMMENT ? `${oneLine.slice(0, MAX_COMMENT - 1)}…` : oneLine;
}

function label(exposed: ExposedTable): string {
  const { table } = exposed;
  const kind = table.kind === 'table' ? 'table' : table.kind === 'view' ? 'view' : 'materialized view';
  return `${kind} "${table.name}"`;
}

function fieldList(columns: readonly ColumnModel[], names: TableNames): string {
  return columns.map((column) => names.fields.get(column.name) ?? column.name).join(', ');
}

/** What the table holds, its key, its links and any renamed or commented fields: the context every tool of a table shares. */
function context(exposed: ExposedTable, names: TableNames, tableNames: ReadonlyMap<ExposedTable['table'], TableNames>): string[] {
  const parts: string[] = [];
  if (exposed.table.comment) parts.push(`${clip(exposed.table.comment)}.`);
  if (exposed.primaryKey) parts.push(`Key: ${fieldList(exposed.primaryKey, names)}.`);
  if (exposed.relations.length > 0) {
    // The names a model uses in `has` and in `relation.field`; the arrow says which way the key points.
    const links = exposed.relations.map((relation) => {
      const target = tableNames.get(relation.target)?.base ?? relation.target.name;
      const local = relation.pairs.map(([column]) => names.fields.get(column.name) ?? column.name).join(', ');
      return relation.kind === 'one' ? `${relation.name} (${local} → ${target})` : `${relation.name} (${target} rows)`;
    });
    parts.push(`Relations: ${links.join('; ')}.`);
  } else if (exposed.foreignKeys.length > 0) {
    const links = exposed.foreignKeys.map((key) => {
      const target = tableNames.get(key.target);
      const targetFields = key.targetColumns.map((column) => target?.fields.get(column.name) ?? column.name).join(', ');
      return `${fieldList(key.columns, names)} → ${target?.base ?? key.target.name}.${targetFields}`;
    });
    parts.push(`Links: ${links.join('; ')}.`);
  }
  const notes = exposed.columns.flatMap((column) => {
    const field = names.fields.get(column.name) ?? column.name;
    const renamed = field !== column.name ? `column "${column.name}"` : '';
    const comment = column.comment ? clip(column.comment) : '';
    return renamed || comment ? [`${field}: ${[renamed, comment].filter(Boolean).join(', ')}`] : [];
  });
  if (notes.length > 0) parts.push(`Fields: ${notes.join('; ')}.`);
  return parts;
}

export interface Descriptions {
  readonly query: string;
  readonly count: string;
  readonly aggregate: string;
  lookup(columns: readonly ColumnModel[], primary: boolean): string;
}

/** Short, model-facing descriptions; token cost is paid on every request that lists tools. */
export function describeTable(
  exposed: ExposedTable,
  names: TableNames,
  tableNames: ReadonlyMap<ExposedTable['table'], TableNames>,
  maxRows: number,
): Descriptions {
  const about = context(exposed, names, tableNames).join(' ');
  const what = label(exposed);
  return {
    query: `Rows of ${what}. ${about} Returns at most ${maxRows} rows; truncated=true means more match (use offset).`.replace(/\s+/g, ' '),
    count: `Count rows of ${what} matching where (same filters as ${names.query}).`,
    aggregate: `Group and summarize rows of ${what}: where (as ${names.query}) → group_by → metrics → having → order_by → limit (at most ${maxRows} groups).`,
    lookup: (columns, primary) =>
      `One row of ${what} by its ${primary ? 'primary key' : 'unique key'} ${fieldList(columns, names)}; row is null when none matches.`,
  };
}
