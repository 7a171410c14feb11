import { InvalidArgumentsError } from '../errors.js';
import type { ColumnModel } from '../introspect/model.js';
import type { ExposedRelation, ExposedTable } from '../policy/policy.js';
import type { TableFields } from '../catalog/fields.js';

/** A field a call reads: a column of the table, or of a to-one related row. */
export interface FieldRef {
  readonly field: string;
  readonly column: ColumnModel;
  /** The to-one relation it is read through; `null` for the table's own columns. */
  readonly relation: ExposedRelation | null;
  /** The related table it is read from; `null` for the table's own columns. */
  readonly target: ExposedTable | null;
}

/** A field of the table or of a to-one related row, by the name the model uses. */
export function resolveField(fields: TableFields, name: string): FieldRef | null {
  const column = fields.columnsByField.get(name);
  if (column) return { field: name, column, relation: null, target: null };
  const related = fields.relatedFields.get(name);
  return related ? { field: name, column: related.column, relation: related.relation, target: related.target.table } : null;
}

/** A returned field: a visible or related field, or a scoping column returned with `scope.visible`. */
export function resultField(fields: TableFields, name: string): FieldRef {
  const ref = resolveField(fields, name);
  if (ref) return ref;
  const column = fields.resultFields.find(([field]) => field === name)?.[1];
  if (!column) throw new InvalidArgumentsError(`unknown field ${name}`);
  return { field: name, column, relation: null, target: null };
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
