import { InvalidArgumentsError } from '../errors.js';
import type { ColumnModel } from '../introspect/model.js';
import type { ExposedRelation, ExposedTable } from '../policy/policy.js';
import { isSortable, type Operator } from '../catalog/filters.js';
import type { AggregatePlan } from './aggregate.js';
import type { BoundTool } from './bound.js';
import { MAX_JOINED_TABLES, joinsOf, lookupField, orderName, resolveField, resultField, type FieldRef, type Hop, type OrderEntry } from './refs.js';
import type { ResolvedTime } from './resolve-time.js';

/** A filter with every name resolved to a column or relation and every relative time to an absolute value. */
export type PlannedFilter =
  | {
      readonly kind: 'condition';
      readonly column: ColumnModel;
      readonly op: Operator;
      readonly value: unknown;
      /** The to-one relations a `relation.….field` condition reads through; absent or empty for own columns. */
      readonly path?: readonly Hop[];
    }
  | { readonly kind: 'or' | 'and'; readonly members: readonly PlannedFilter[] }
  | { readonly kind: 'not'; readonly member: PlannedFilter }
  | { readonly kind: 'exists'; readonly relation: ExposedRelation; readonly target: ExposedTable; readonly where: readonly PlannedFilter[] };

export interface OrderTerm {
  readonly ref: FieldRef;
  readonly direction: 'asc' | 'desc';
}

/** What the executor runs: one table, resolved names, bound-ready values. Never a tool. */
export type ReadPlan =
  | {
      readonly kind: 'query';
      readonly table: ExposedTable;
      readonly select: readonly FieldRef[];
      readonly where: readonly PlannedFilter[];
      readonly orderBy: readonly OrderTerm[];
      readonly limit: number;
      readonly offset: number;
    }
  | { readonly kind: 'lookup'; readonly table: ExposedTable; readonly select: readonly FieldRef[]; readonly key: readonly (readonly [ColumnModel, unknown])[] }
  | { readonly kind: 'count'; readonly table: ExposedTable; readonly where: readonly PlannedFilter[] }
  | ({ readonly kind: 'aggregate'; readonly table: ExposedTable; readonly where: readonly PlannedFilter[] } & AggregatePlan);

/** A plan and what its relative times resolved to (echoed in the result). */
export interface PlannedCall {
  readonly plan: ReadPlan;
  readonly times: ResolvedTime | undefined;
}

/** `query`: fields, filters, order (the primary key breaks ties, so offsets page through a stable order), page. */
export function planQuery(tool: BoundTool, parsed: Record<string, unknown>, where: readonly PlannedFilter[]): ReadPlan {
  const fields = tool.fields;
  const columns = parsed.columns as readonly string[] | undefined;
  const names = columns ? [...new Set(columns)] : fields.resultFields.map(([field]) => field);
  const orderBy: OrderTerm[] = [];
  const ordered = new Set<string>();
  const fail = (message: string): never => {
    throw new InvalidArgumentsError(`Invalid arguments for ${tool.name}: ${message}.`);
  };
  const select = names.map((name, index) => {
    const ref = lookupField(fields, name);
    if (typeof ref !== 'string') return ref;
    // Scoping columns returned with `scope.visible` are results, never fields to name.
    return columns ? fail(`columns[${index}]: ${ref}`) : resultField(fields, name);
  });
  const sortable = () =>
    [...fields.columnsByField.keys(), ...fields.relatedFields.keys()].filter((name) => {
      const ref = resolveField(fields, name);
      return ref !== null && isSortable(ref.column);
    });
  for (const [index, entry] of ((parsed.order_by as readonly OrderEntry[] | undefined) ?? []).entries()) {
    const { name: field, at } = orderName(entry, `order_by[${index}]`, fail);
    const found = lookupField(fields, field);
    const ref = typeof found === 'string' ? fail(`${at}: ${found}; sortable fields: ${sortable().join(', ')}`) : found;
    if (!isSortable(ref.column)) fail(`${at}: ${field} is ${ref.column.type} and cannot be sorted; sortable fields: ${sortable().join(', ')}`);
    if (ordered.has(field)) continue;
    ordered.add(field);
    orderBy.push({ ref, direction: entry.direction ?? 'asc' });
  }
  for (const column of fields.table.primaryKey ?? []) {
    const field = fields.fieldsInOrder.find(([, candidate]) => candidate === column)?.[0] ?? column.name;
    if (!ordered.has(field)) orderBy.push({ ref: { field, column, path: [] }, direction: 'asc' });
  }
  const joins = joinsOf([...select, ...orderBy.map(({ ref }) => ref)].map((ref) => ref.path));
  if (joins > MAX_JOINED_TABLES) fail(`columns and order_by reach ${joins} related tables; at most ${MAX_JOINED_TABLES} are allowed`);
  return {
    kind: 'query',
    table: fields.table,
    select,
    where,
    orderBy,
    limit: parsed.limit as number,
    offset: parsed.offset as number,
  };
}

/** `lookup`: one row by a key. */
export function planLookup(tool: BoundTool, parsed: Record<string, unknown>): ReadPlan {
  return {
    kind: 'lookup',
    table: tool.fields.table,
    select: tool.fields.resultFields.map(([field]) => resultField(tool.fields, field)),
    key: tool.key.map(([field, column]) => [column, parsed[field]] as const),
  };
}

/** `count`: rows matching the filters. */
export function planCount(tool: BoundTool, where: readonly PlannedFilter[]): ReadPlan {
  return { kind: 'count', table: tool.fields.table, where };
}
