import type { ColumnModel, NormalizedType } from '../introspect/model.js';
import type { ExposedTable } from '../policy/policy.js';
import type { TableNames } from './naming.js';

const MAX_COMMENT = 200;
const MAX_ENUM_SHOWN = 12;

/** Short names of normalized types, as descriptions state them once per field. */
const TYPE_WORDS: Record<NormalizedType, string> = {
  string: 'text',
  integer: 'int',
  number: 'number',
  decimal: 'decimal',
  boolean: 'bool',
  date: 'date',
  datetime: 'datetime',
  time: 'time',
  json: 'json',
  uuid: 'uuid',
  binary: 'binary',
  enum: 'enum',
  array: 'array',
  unknown: 'other',
};

/** Collapses whitespace and cuts a comment to a length every client shows whole. */
export function clip(text: string, max = MAX_COMMENT): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** `table "Invoice"`, `view "sales"`. */
export function label(exposed: ExposedTable): string {
  const { table } = exposed;
  const kind = table.kind === 'table' ? 'table' : table.kind === 'view' ? 'view' : 'materialized view';
  return `${kind} "${table.name}"`;
}

/** A type as a word; enums with their values (`enum a|b|c`). */
export function typeWord(column: ColumnModel): string {
  if (column.type === 'enum' && column.enumValues && column.enumValues.length > 0) {
    const shown = column.enumValues.slice(0, MAX_ENUM_SHOWN).join('|');
    return `enum ${shown}${column.enumValues.length > MAX_ENUM_SHOWN ? '|…' : ''}`;
  }
  if (column.type === 'array') return `${TYPE_WORDS[column.elementType ?? 'unknown']}[]`;
  return TYPE_WORDS[column.type];
}

/** `InvoiceId int, CustomerId int, …`: every field once with its type; keys and comments where there are some. */
export function fieldList(exposed: ExposedTable, names: TableNames): string {
  const primary = new Set(exposed.primaryKey ?? []);
  return exposed.columns
    .map((column) => {
      const field = names.fields.get(column.name) ?? column.name;
      const notes = [
        ...(primary.has(column) ? ['key'] : []),
        ...(field !== column.name ? [`column "${column.name}"`] : []),
        ...(column.comment ? [clip(column.comment, 120)] : []),
      ];
      return `${field} ${typeWord(column)}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
    })
    .join(', ');
}

/** `customer (CustomerId → customer); invoice_line (invoice_line rows)`: the names `has` and `relation.field` use. */
export function relationList(exposed: ExposedTable, names: TableNames, baseOf: (table: ExposedTable['table']) => string): string {
  return exposed.relations
    .map((relation) => {
      const target = baseOf(relation.target);
      const local = relation.pairs.map(([column]) => names.fields.get(column.name) ?? column.name).join(', ');
      return relation.kind === 'one' ? `${relation.name} (${local} → ${target})` : `${relation.name} (${target} rows)`;
    })
    .join('; ');
}

/** Everything a model needs to use one table: what it holds, its fields with types, its relations. */
export function describeTable(exposed: ExposedTable, names: TableNames, baseOf: (table: ExposedTable['table']) => string): string {
  const parts = [`${label(exposed)}.`];
  if (exposed.table.comment) parts.push(`${clip(exposed.table.comment)}.`);
  parts.push(`Fields: ${fieldList(exposed, names)}.`);
  if (exposed.relations.length > 0) parts.push(`Relations: ${relationList(exposed, names, baseOf)}.`);
  return parts.join(' ');
}
