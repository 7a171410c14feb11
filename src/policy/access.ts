/**
 * The access policy: the one place that decides what each table allows (read always; insert, update and delete
 * only with the `writes` option) and what follows from it — which columns a write may set, the tool annotations,
 * and the database session a call runs in. The tool set, instructions and audit operation all read it from here.
 * @module
 */
import { listMatcher } from './caller.js';
import type { ColumnModel, TableModel } from '../introspect/model.js';
import type { ResolvedWrites } from './options.js';

/** What a write tool does to its table. */
export type WriteOperation = 'insert' | 'update' | 'delete';
/** What any tool does: `read` for query, lookup, count, aggregate and search. */
export type Operation = 'read' | WriteOperation;

/** The write operations, in listing order. */
export const WRITE_OPERATIONS: readonly WriteOperation[] = ['insert', 'update', 'delete'];

/** What one exposed table allows beyond reading, and which columns writes may touch. */
export interface TableAccess {
  readonly insert: boolean;
  readonly update: boolean;
  readonly delete: boolean;
  /** The key that names one row for by-key writes and for reporting affected rows: primary key, else first unique key. */
  readonly key: readonly ColumnModel[] | null;
  /** Columns an insert may set: visible, not generated, not filled by the database (identity, serial, rowid). */
  readonly insertable: readonly ColumnModel[];
  /** Insertable columns an insert must set: NOT NULL without a default. */
  readonly required: readonly ColumnModel[];
  /** Columns an update may set: insertable ones outside the row's key. */
  readonly updatable: readonly ColumnModel[];
}

/** A table that takes no writes. */
export const READ_ONLY: TableAccess = { insert: false, update: false, delete: false, key: null, insertable: [], required: [], updatable: [] };

/** The parts of an exposed table the access policy looks at. */
export interface AccessSubject {
  readonly table: TableModel;
  /** Visible columns (hidden, secret and scoping columns are not among them). */
  readonly columns: readonly ColumnModel[];
  readonly primaryKey: readonly ColumnModel[] | null;
  readonly uniqueKeys: readonly (readonly ColumnModel[])[];
  readonly scopeColumns: readonly ColumnModel[];
}

/**
 * Decides what a table allows. Writes need the `writes` option, a base table (never a view) the option's `tables`
 * select, and for update and delete a key naming one row (so affected rows can be reported and confirmed). An
 * insert is offered only when every NOT NULL column without a default can be set — by the model or, for scoping
 * columns, from the caller.
 */
export function tableAccess(subject: AccessSubject, writes: ResolvedWrites | undefined, selects: (table: TableModel) => boolean): TableAccess {
  if (!writes || subject.table.kind !== 'table' || !selects(subject.table)) return READ_ONLY;
  const key = subject.primaryKey ?? subject.uniqueKeys[0] ?? null;
  const insertable = subject.columns.filter((column) => !column.generated && !column.autoIncrement);
  const keyColumns = new Set(key ?? []);
  const updatable = insertable.filter((column) => !keyColumns.has(column));
  const mustSet = (column: ColumnModel) => !column.nullable && column.default === null && !column.autoIncrement && !column.generated;
  const insertableSet = new Set(insertable);
  const scope = new Set(subject.scopeColumns);
  const unsettable = subject.table.columns.some((column) => mustSet(column) && !insertableSet.has(column) && !scope.has(column));
  return {
    insert: writes.operations.has('insert') && insertable.length > 0 && !unsettable,
    update: writes.operations.has('update') && key !== null && updatable.length > 0,
    delete: writes.operations.has('delete') && key !== null,
    key,
    insertable,
    required: insertable.filter(mustSet),
    updatable,
  };
}

/** The `writes.tables` selection as a matcher of table models; every table when not given. */
export function writeTableMatcher(writes: ResolvedWrites | undefined): (table: TableModel) => boolean {
  const patterns = writes?.tables;
  if (!patterns) return () => true;
  // The same rule as caller restrictions: a positive pattern (or none) and no negated one, under either spelling.
  const matches = listMatcher(patterns);
  return (table) => matches(table.name, `${table.schema}.${table.name}`);
}

/** MCP tool annotations, derived from what a tool does. */
export interface OperationAnnotations {
  readonly readOnlyHint: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint: false;
}

/** Read tools: the hints every client understands. */
export const READ_ANNOTATIONS: OperationAnnotations = { readOnlyHint: true, openWorldHint: false };

/**
 * The annotations of a tool: read-only for reads; inserts add without destroying; updates and deletes are
 * destructive, and idempotent when they name one row by its key.
 */
export function annotationsFor(operation: Operation, byKey = false): OperationAnnotations {
  if (operation === 'read') return READ_ANNOTATIONS;
  const destructive = operation !== 'insert';
  return { readOnlyHint: false, destructiveHint: destructive, idempotentHint: destructive && byKey, openWorldHint: false };
}

/** The database session a tool runs in. */
export type SessionMode = 'read-only' | 'read-write';

/** The database session a tool runs in: reads always read-only, even when writes are enabled. */
export function sessionModeOf(operation: 'read'): 'read-only';
export function sessionModeOf(operation: WriteOperation): 'read-write';
export function sessionModeOf(operation: Operation): SessionMode {
  return operation === 'read' ? 'read-only' : 'read-write';
}
