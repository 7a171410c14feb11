/**
 * Write plans: what an insert, update or delete call changes, with every field resolved to its column. The
 * executor runs a plan in a read-write transaction; it never sees a tool or an argument name.
 * @module
 */
import type { ColumnModel } from '../introspect/model.js';
import type { TableAccess, WriteOperation } from '../policy/access.js';
import type { ExposedTable } from '../policy/policy.js';
import type { TableFields } from '../catalog/fields.js';
import type { BoundTool } from './bound.js';
import type { PlannedFilter } from './plan.js';
import { resultField, type FieldRef } from './refs.js';

/** Column values of one row to write, in the order given. */
export type ColumnValues = readonly (readonly [ColumnModel, unknown])[];

/** Which rows an update or delete reaches: one by its key, or those matching filters (at most `maxAffected`). */
export type WriteTarget =
  | { readonly kind: 'key'; readonly key: ColumnValues }
  | { readonly kind: 'where'; readonly where: readonly PlannedFilter[]; readonly maxAffected: number };

interface WriteBase {
  readonly table: ExposedTable;
  /** The key that names each affected row in the result and the audit (the access policy's write key). */
  readonly key: readonly FieldRef[];
  /** What the result shows of each affected row: its key and, for inserts and updates, its new values. */
  readonly returning: readonly FieldRef[];
}

export type WritePlan =
  | (WriteBase & { readonly operation: 'insert'; readonly rows: readonly ColumnValues[] })
  | (WriteBase & { readonly operation: 'update'; readonly set: ColumnValues; readonly target: WriteTarget })
  | (WriteBase & { readonly operation: 'delete'; readonly target: WriteTarget });

/** The key and result fields of a write on a table. */
function shape(fields: TableFields, access: TableAccess, operation: WriteOperation): WriteBase {
  const refOf = (column: ColumnModel): FieldRef => {
    const field = fields.fieldsInOrder.find(([, candidate]) => candidate === column)?.[0] ?? column.name;
    return { field, column, path: [] };
  };
  const key = (access.key ?? []).map(refOf);
  const returning = operation === 'delete' ? key : fields.resultFields.map(([field]) => resultField(fields, field));
  return { table: fields.table, key, returning };
}

/** Field values of one argument object as column values; unknown names were refused by the validator. */
function columnValues(fields: TableFields, values: Record<string, unknown>): ColumnValues {
  const pairs: (readonly [ColumnModel, unknown])[] = [];
  for (const [field, value] of Object.entries(values)) {
    const column = fields.columnsByField.get(field);
    if (column && value !== undefined) pairs.push([column, value]);
  }
  return pairs;
}

/** `insert_<table>`: the rows. */
export function planInsert(tool: BoundTool, access: TableAccess, args: Record<string, unknown>): WritePlan {
  const rows = (args.rows as Record<string, unknown>[]).map((row) => columnValues(tool.fields, row));
  return { operation: 'insert', ...shape(tool.fields, access, 'insert'), rows };
}

/** By-key target from the key arguments. */
function keyTarget(tool: BoundTool, args: Record<string, unknown>): WriteTarget {
  return { kind: 'key', key: tool.key.map(([field, column]) => [column, args[field]] as const) };
}

/** Filtered target: the planned `where` and `max_affected`. */
function whereTarget(where: readonly PlannedFilter[], args: Record<string, unknown>): WriteTarget {
  return { kind: 'where', where, maxAffected: args.max_affected as number };
}

/** `update_<table>_by_<key>` and `update_<table>`. */
export function planUpdate(tool: BoundTool, access: TableAccess, args: Record<string, unknown>, where: readonly PlannedFilter[]): WritePlan {
  const set = columnValues(tool.fields, args.set as Record<string, unknown>);
  const target = tool.key.length > 0 ? keyTarget(tool, args) : whereTarget(where, args);
  return { operation: 'update', ...shape(tool.fields, access, 'update'), set, target };
}

/** `delete_<table>_by_<key>` and `delete_<table>`. */
export function planDelete(tool: BoundTool, access: TableAccess, args: Record<string, unknown>, where: readonly PlannedFilter[]): WritePlan {
  const target = tool.key.length > 0 ? keyTarget(tool, args) : whereTarget(where, args);
  return { operation: 'delete', ...shape(tool.fields, access, 'delete'), target };
}
