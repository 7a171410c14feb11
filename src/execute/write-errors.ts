/**
 * Constraint violations of a write, turned into errors a model can act on: which field or constraint, and what is
 * allowed. Only names are read from the driver's error (constraint, column, table) — never its message text, which
 * can quote values of other rows — and names of hidden columns are never shown.
 * @module
 */
import { ConexorError, InvalidArgumentsError, QueryError } from '../errors.js';
import type { ColumnModel, Dialect } from '../introspect/model.js';
import type { WritePlan } from '../plan/write.js';
import { toQueryError } from './errors.js';

interface DriverError {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly message?: unknown;
  readonly constraint?: unknown;
  readonly column?: unknown;
  readonly table?: unknown;
  readonly detail?: unknown;
}

type Violation =
  | { readonly kind: 'unique'; readonly constraint: string | null; readonly columns: readonly string[] }
  | { readonly kind: 'reference'; readonly constraint: string | null; readonly columns: readonly string[] }
  | { readonly kind: 'referenced'; readonly constraint: string | null; readonly by: string | null }
  | { readonly kind: 'not_null'; readonly column: string | null }
  | { readonly kind: 'check'; readonly constraint: string | null }
  | { readonly kind: 'too_long'; readonly column: string | null };

const NOTHING_CHANGED = 'Nothing was changed.';

/** The error a failed write reports: a violation explained, else the read path's safe database error. */
export function toWriteError(error: unknown, plan: WritePlan, dialect: Dialect): ConexorError {
  if (error instanceof ConexorError) return error;
  if (isConflict((error ?? {}) as DriverError)) {
    return new QueryError('database_error', `Another call was changing the same rows at the same time, so this ${plan.operation} was rolled back; nothing was changed. Retry it.`, { cause: error });
  }
  const found = violationOf((error ?? {}) as DriverError, dialect);
  if (!found) return toQueryError(error);
  // SQLite names no side: a foreign key failing on a delete is a row still referenced.
  const violation: Violation = found.kind === 'reference' && plan.operation === 'delete' ? { kind: 'referenced', constraint: found.constraint, by: null } : found;
  const rejected = explain(violation, plan);
  const wrapped = new InvalidArgumentsError(`The database refused this ${plan.operation}: ${rejected}. ${NOTHING_CHANGED}`);
  return Object.assign(wrapped, { cause: error });
}

/**
 * Concurrent writes on the same rows: a deadlock (the database picked this transaction to roll back, e.g. MariaDB
 * scanning a small table for `UPDATE … WHERE id IN (…)` and locking rows another call holds), a serialization
 * failure, or a lock that could not be had. The whole transaction is gone, so a retry is safe.
 */
function isConflict(error: DriverError): boolean {
  const code = text(error.code);
  return code === '40P01' || code === '40001' || code === '55P03' || error.errno === 1213 || error.errno === 1205 || code === 'SQLITE_BUSY';
}

/** A field the model knows for a column name, or `null` for a column it cannot see. */
function fieldOf(plan: WritePlan, name: string): string | null {
  const column = plan.table.columns.find((candidate: ColumnModel) => candidate.name === name);
  if (!column) return null;
  return plan.returning.find((ref) => ref.column === column)?.field ?? plan.key.find((ref) => ref.column === column)?.field ?? column.name;
}

function fieldsOf(plan: WritePlan, names: readonly string[]): string | null {
  const fields = names.map((name) => fieldOf(plan, name));
  return fields.length > 0 && fields.every((field) => field !== null) ? fields.join(', ') : null;
}

/**
 * A constraint's name as the error may show it: `null` when it spells a column the model cannot see (PostgreSQL and
 * MariaDB name a constraint after its columns: `badges_secret_token_key`, `secret_token`).
 */
function shownName(plan: WritePlan, constraint: string | null): string | null {
  if (!constraint) return null;
  const lower = constraint.toLowerCase();
  const hidden = plan.table.table.columns.some((column) => !plan.table.columns.includes(column) && lower.includes(column.name.toLowerCase()));
  return hidden ? null : constraint;
}

function explain(violation: Violation, plan: WritePlan): string {
  const table = plan.table.table.name;
  // Names are looked up as the driver gave them, and shown only when they spell no hidden column.
  const shown = 'constraint' in violation ? shownName(plan, violation.constraint) : null;
  switch (violation.kind) {
    case 'unique': {
      const fields = fieldsOf(plan, violation.columns) ?? uniqueFields(plan, violation.constraint);
      const what = fields ? `${fields} must be unique` : `a unique key${shown ? ` (${shown})` : ''} forbids duplicates`;
      return `${what}, and another row of ${table} already has that value; choose a different value`;
    }
    case 'reference': {
      const fields = fieldsOf(plan, violation.columns) ?? referenceFields(plan, violation.constraint);
      const foreignKey = plan.table.foreignKeys.find((key) => key.name !== null && key.name === violation.constraint);
      const target = foreignKey ? ` of ${foreignKey.target.name}` : '';
      return `${fields ?? `a reference${shown ? ` (${shown})` : ''}`} must name an existing row${target}`;
    }
    case 'referenced': {
      // Named only when the caller sees that table (a relation towards it): else it must appear nowhere.
      const by = plan.table.relations.some((relation) => relation.kind === 'many' && relation.target.name === violation.by) ? violation.by : null;
      return `rows${by ? ` of ${by}` : ' of another table'} still reference this row of ${table}; change or delete them first`;
    }
    case 'not_null': {
      const field = violation.column ? fieldOf(plan, violation.column) : null;
      return field ? `${field} is required and cannot be null` : 'a required column would be empty';
    }
    case 'check':
      return `a value breaks the check constraint${shown ? ` ${shown}` : ''} of ${table}${shown ? allowedHint(plan, shown) : ''}`;
    case 'too_long': {
      const field = violation.column ? fieldOf(plan, violation.column) : null;
      return `${field ?? 'a value'} is too long or out of range for its column`;
    }
  }
}

/** Columns of the unique key a constraint names. */
function uniqueFields(plan: WritePlan, constraint: string | null): string | null {
  if (!constraint) return null;
  const table = plan.table.table;
  const key = table.uniqueKeys.find((candidate) => candidate.name === constraint || constraint.endsWith(`.${candidate.name ?? ''}`));
  if (key) return fieldsOf(plan, key.columns);
  if (/primary|_pkey$/i.test(constraint) && table.primaryKey) return fieldsOf(plan, table.primaryKey);
  return null;
}

function referenceFields(plan: WritePlan, constraint: string | null): string | null {
  const key = plan.table.table.foreignKeys.find((candidate) => candidate.name !== null && candidate.name === constraint);
  return key ? fieldsOf(plan, key.columns) : null;
}

/** `; allowed values of status: a, b` when the constraint is about an enum-like column. */
function allowedHint(plan: WritePlan, constraint: string | null): string {
  const column = plan.table.columns.find((candidate) => candidate.enumValues && constraint?.includes(candidate.name));
  if (!column?.enumValues) return '';
  return `; allowed values of ${fieldOf(plan, column.name) ?? column.name}: ${column.enumValues.join(', ')}`;
}

const CONSTRAINT_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const quoted = (message: string, pattern: RegExp): string | null => pattern.exec(message)?.[1] ?? null;

/** Reads the kind of violation and the names involved; `null` when the error is not a constraint violation. */
function violationOf(error: DriverError, dialect: Dialect): Violation | null {
  const code = text(error.code);
  const message = typeof error.message === 'string' ? error.message : '';
  if (dialect === 'postgresql') {
    const constraint = text(error.constraint);
    const detailColumns = quoted(text(error.detail) ?? '', /^Key \(([^)]*)\)=/)?.split(', ') ?? [];
    if (code === '23505') return { kind: 'unique', constraint, columns: detailColumns };
    if (code === '23503') {
      return /is still referenced/.test(text(error.detail) ?? '')
        ? { kind: 'referenced', constraint, by: quoted(text(error.detail) ?? '', /from table "([^"]+)"/) }
        : { kind: 'reference', constraint, columns: detailColumns };
    }
    if (code === '23502') return { kind: 'not_null', column: text(error.column) };
    if (code === '23514') return { kind: 'check', constraint };
    if (code === '22001' || code === '22003') return { kind: 'too_long', column: null };
    return null;
  }
  if (dialect === 'mysql') {
    switch (error.errno) {
      case 1062: {
        const key = quoted(message, /for key '([^']*)'$/);
        return { kind: 'unique', constraint: key ? (key.split('.').pop() ?? key) : null, columns: [] };
      }
      case 1452:
        return { kind: 'reference', constraint: quoted(message, /CONSTRAINT `([^`]*)`/), columns: (quoted(message, /FOREIGN KEY \(([^)]*)\)/) ?? '').split(', ').map((name) => name.replace(/`/g, '')).filter(Boolean) };
      case 1451:
        return { kind: 'referenced', constraint: quoted(message, /CONSTRAINT `([^`]*)`/), by: quoted(message, /\(`[^`]*`\.`([^`]*)`, CONSTRAINT/) };
      case 1048:
        return { kind: 'not_null', column: quoted(message, /^Column '([^']*)' cannot be null/) };
      case 1364:
        return { kind: 'not_null', column: quoted(message, /^Field '([^']*)' doesn't have a default value/) };
      case 4025:
        return { kind: 'check', constraint: quoted(message, /^CONSTRAINT `([^`]*)` failed/) };
      case 3819:
        return { kind: 'check', constraint: quoted(message, /^Check constraint '([^']*)' is violated/) };
      case 1406:
      case 1264:
        return { kind: 'too_long', column: quoted(message, /for column '([^']*)'/) };
      default:
        return null;
    }
  }
  if (!/^SQLITE_CONSTRAINT/.test(code ?? '') && !/SQLITE_CONSTRAINT/.test(message)) return null;
  const columnsAfter = (prefix: string) =>
    (quoted(message, new RegExp(`${prefix} constraint failed: (.*)$`)) ?? '')
      .split(', ')
      .map((name) => name.slice(name.indexOf('.') + 1))
      .filter(Boolean);
  if (/UNIQUE constraint failed/.test(message)) return { kind: 'unique', constraint: null, columns: columnsAfter('UNIQUE') };
  if (/NOT NULL constraint failed/.test(message)) return { kind: 'not_null', column: columnsAfter('NOT NULL')[0] ?? null };
  if (/CHECK constraint failed/.test(message)) {
    // An unnamed CHECK is named by its expression: SQL, maybe about hidden columns. Only a name is passed on.
    const named = quoted(message, /CHECK constraint failed: (.*)$/);
    return { kind: 'check', constraint: named !== null && CONSTRAINT_NAME.test(named) ? named : null };
  }
  if (/FOREIGN KEY constraint failed/.test(message)) {
    return { kind: 'reference', constraint: null, columns: [] };
  }
  return null;
}
