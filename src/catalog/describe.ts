import type { ColumnModel, NormalizedType } from '../introspect/model.js';
import type { ExposedTable } from '../policy/policy.js';
import type { TableNames } from './naming.js';

const MAX_COMMENT = 200;

/** The names of another table, for relations and links that point at it. */
export type OtherNames = (table: ExposedTable['table']) => TableNames | undefined;
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

/** `table "Invoice". What the host or the catalog says it holds.` */
function headline(exposed: ExposedTable): string {
  const about = exposed.description ? clip(exposed.description) : '';
  return about ? `${label(exposed)}. ${/[.!?…]$/.test(about) ? about : `${about}.`}` : `${label(exposed)}.`;
}

/** Collapses whitespace and cuts a comment to a length every client shows whole. */
export function clip(text: string, max = MAX_COMMENT): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** `table`, `view` or `materialized view`. */
export function kindWord(exposed: ExposedTable): string {
  const { kind } = exposed.table;
  return kind === 'table' ? 'table' : kind === 'view' ? 'view' : 'materialized view';
}

/** `table "Invoice"`, `view "sales"`. */
export function label(exposed: ExposedTable): string {
  return `${kindWord(exposed)} "${exposed.table.name}"`;
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
        ...(exposed.descriptions.has(column.name) ? [clip(exposed.descriptions.get(column.name) ?? '', 120)] : []),
      ];
      return `${field} ${typeWord(column)}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
    })
    .join(', ');
}

/** `customer (CustomerId → customer); invoice_line (invoice_line rows)`: the names `has` and `relation.field` use. */
export function relationList(exposed: ExposedTable, names: TableNames, others: OtherNames): string {
  return exposed.relations
    .map((relation) => {
      const target = others(relation.target)?.base ?? relation.target.name;
      const local = relation.pairs.map(([column]) => names.fields.get(column.name) ?? column.name).join(', ');
      return relation.kind === 'one' ? `${relation.name} (${local} → ${target})` : `${relation.name} (${target} rows)`;
    })
    .join('; ');
}

/** `user_id → users.id`: foreign keys, described when relations are off (`relations: false`). */
function linkList(exposed: ExposedTable, names: TableNames, others: OtherNames): string {
  return exposed.foreignKeys
    .map((key) => {
      const target = others(key.target);
      const local = key.columns.map((column) => names.fields.get(column.name) ?? column.name).join(', ');
      const remote = key.targetColumns.map((column) => target?.fields.get(column.name) ?? column.name).join(', ');
      return `${local} → ${target?.base ?? key.target.name}.${remote}`;
    })
    .join('; ');
}

/** ` Relations: …` (the names `has` and `relation.field` use), or ` Links: …` (foreign keys) when relations are off. */
function connections(exposed: ExposedTable, names: TableNames, others: OtherNames): string {
  if (exposed.relations.length > 0) return ` Relations: ${relationList(exposed, names, others)}.`;
  return exposed.foreignKeys.length > 0 ? ` Links: ${linkList(exposed, names, others)}.` : '';
}

/** Longest table description; Claude Code cuts every tool description at 2 KB, and tools add a few words to it. */
export const MAX_TABLE_DESCRIPTION = 1_800;

/**
 * Everything a model needs to use one table: what it holds, its fields with types, its relations. Within
 * {@link MAX_TABLE_DESCRIPTION} bytes: a wide table loses its column comments first, then its last fields and
 * relations are left to `search_tables` (the description says how many).
 */
export function describeTable(exposed: ExposedTable, names: TableNames, others: OtherNames): string {
  const full = describeTableFully(exposed, names, others);
  if (Buffer.byteLength(full) <= MAX_TABLE_DESCRIPTION) return full;
  const head = headline(exposed);
  const relations = connections(exposed, names, others);
  const plain: ExposedTable = { ...exposed, descriptions: new Map() };
  const withoutComments = `${head} Fields: ${fieldList(plain, names)}.${relations}`;
  if (Buffer.byteLength(withoutComments) <= MAX_TABLE_DESCRIPTION) return withoutComments;
  // Fields one by one until the room is used; relations come last and go first.
  const fields = fieldList(plain, names).split(', ');
  const room = MAX_TABLE_DESCRIPTION - Buffer.byteLength(head) - 80;
  const kept: string[] = [];
  let used = 0;
  for (const field of fields) {
    const size = Buffer.byteLength(field) + 2;
    if (used + size > room) break;
    kept.push(field);
    used += size;
  }
  const rest = fields.length - kept.length;
  const relationNote = exposed.relations.length > 0 ? ` and ${exposed.relations.length} relations` : '';
  return `${head} Fields: ${kept.join(', ')}; ${rest} more fields${relationNote}: search_tables with detail=columns lists them.`;
}

/** The whole description, however long: what `search_tables` shows with detail=columns. */
export function describeTableFully(exposed: ExposedTable, names: TableNames, others: OtherNames): string {
  const head = headline(exposed);
  const relations = connections(exposed, names, others);
  return `${head} Fields: ${fieldList(exposed, names)}.${relations}`;
}
