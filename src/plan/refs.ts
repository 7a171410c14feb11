import { InvalidArgumentsError } from '../errors.js';
import type { ColumnModel } from '../introspect/model.js';
import type { ExposedRelation, ExposedTable } from '../policy/policy.js';
import type { TableFields } from '../catalog/fields.js';

/**
 * Most related tables one part of a call may join (columns and order_by, group_by and metrics, the conditions of
 * `where` or of one `has`): a path joins each of its distinct prefixes once; MySQL joins at most 61 tables.
 */
export const MAX_JOINED_TABLES = 25;

/** How many joins the paths need: one per distinct path prefix. */
export function joinsOf(paths: Iterable<readonly Hop[]>): number {
  const prefixes = new Set<string>();
  for (const path of paths) {
    let key = '';
    for (const hop of path) {
      key += `>${hop.relation.name}`;
      prefixes.add(key);
    }
  }
  return prefixes.size;
}

/** One to-one relation a field is read through, and the table it leads to. */
export interface Hop {
  readonly relation: ExposedRelation;
  readonly target: ExposedTable;
}

/** A field a call reads: a column of the table, or of a row reached through to-one relations. */
export interface FieldRef {
  readonly field: string;
  readonly column: ColumnModel;
  /** The to-one relations it is read through, from the table outwards; empty for the table's own columns. */
  readonly path: readonly Hop[];
}

/**
 * A field of the table, or `relation.….field` of a row reached through up to four to-one relations, by the name the
 * model uses; a string explains a rejected name (which hop is wrong and what that table offers).
 */
export function lookupField(fields: TableFields, name: string): FieldRef | string {
  const column = fields.columnsByField.get(name);
  if (column) return { field: name, column, path: [] };
  if (!name.includes('.')) return `${JSON.stringify(name.slice(0, 64))} is not a field`;
  const resolved = fields.resolvePath(name);
  if (typeof resolved === 'string') return resolved;
  return { field: name, column: resolved.column, path: resolved.hops.map(({ relation, target }) => ({ relation, target: target.table })) };
}

/** {@link lookupField}, `null` for a rejected name. */
export function resolveField(fields: TableFields, name: string): FieldRef | null {
  const ref = lookupField(fields, name);
  return typeof ref === 'string' ? null : ref;
}

/** A returned field: a visible or related field, or a scoping column returned with `scope.visible`. */
export function resultField(fields: TableFields, name: string, at = 'columns'): FieldRef {
  const ref = lookupField(fields, name);
  if (typeof ref !== 'string') return ref;
  const column = fields.resultFields.find(([field]) => field === name)?.[1];
  if (!column) throw new InvalidArgumentsError(`${at}: ${ref}`);
  return { field: name, column, path: [] };
}


/** One raw `order_by` entry: `field` and `by` are the same key, one of them is given. */
export interface OrderEntry {
  readonly field?: string;
  readonly by?: string;
  readonly direction?: 'asc' | 'desc';
}

/** The name an `order_by` entry sorts on and where it sits in the arguments (`order_by[0].field`); refuses both or neither key. */
export function orderName(entry: OrderEntry, at: string, fail: (message: string) => never): { name: string; at: string } {
  if (entry.field !== undefined && entry.by !== undefined) fail(`${at}: give "field" or its alias "by", not both`);
  if (entry.field !== undefined) return { name: entry.field, at: `${at}.field` };
  if (entry.by !== undefined) return { name: entry.by, at: `${at}.by` };
  return fail(`${at}: expected {field, direction: asc|desc} ("by" is an alias of "field")`);
}
