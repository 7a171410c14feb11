import { z } from 'zod';
import type { ResolvedOptions } from '../policy/options.js';
import { MAX_PATH_LENGTH, type TableFields } from '../catalog/fields.js';
import { isSortable } from '../catalog/filters.js';
import { BUCKETS, GROUPABLE, HAVING_OPERATORS, METRIC_FUNCTIONS, OUTPUT_NAME } from '../plan/aggregate.js';

/** Fields a call may name besides the table's own: `relation.field` of to-one related rows (nullable when read). */
function relatedColumns(fields: TableFields) {
  return [...fields.relatedFields].map(([name, { column }]) => [name, { ...column, nullable: true }] as const);
}

/**
 * One of `names`, or any dotted name: a path (`relation.….field`) the planner resolves hop by hop, so the validator
 * never lists paths. Worded like zod's enum for the names.
 */
function fieldName(names: readonly string[], paths: boolean): z.ZodType<string> {
  const known = new Set(names);
  const message = `Invalid option: expected one of ${names.map((name) => JSON.stringify(name)).join('|')}`;
  return z
    .string({ error: () => message })
    .max(MAX_PATH_LENGTH)
    .refine((name) => known.has(name) || (paths && name.includes('.')), { message });
}

/** Columns a query may name beyond the table's own and one-hop fields: paths through several relations. */
const MAX_PATH_COLUMNS = 20;

const limitSchema = (options: ResolvedOptions) => z.number().int().min(1).max(options.maxRows).default(options.defaultLimit);
const offsetSchema = (options: ResolvedOptions) => z.number().int().min(0).max(options.limits.maxOffset).default(0);

/** `order_by` of queries and aggregates: `{field, direction}`, or `{by, direction}` (the same); the plan resolves the name. */
function orderBySchema(max: number) {
  const name = z.string().max(200).optional();
  return z.array(z.strictObject({ field: name, by: name, direction: z.enum(['asc', 'desc']).optional() })).max(max).optional();
}

/** `query`: where, columns, order_by, limit, offset. */
export function queryInput(fields: TableFields, options: ResolvedOptions): z.ZodObject {
  const all = [...fields.fieldsInOrder, ...relatedColumns(fields)];
  const selectable = all.map(([field]) => field);
  const paths = fields.relations.size > 0;
  const fieldEnum = fieldName(selectable, paths);
  const sortable = all.filter(([, column]) => isSortable(column)).map(([field]) => field);
  return z.strictObject({
    where: fields.where.optional(),
    columns: z.array(fieldEnum).min(1).max(selectable.length + (paths ? MAX_PATH_COLUMNS : 0)).optional(),
    // Names are checked by the plan, which says why a field cannot be sorted.
    ...(sortable.length > 0 ? { order_by: orderBySchema(Math.min(sortable.length, 5)) } : {}),
    limit: limitSchema(options),
    offset: offsetSchema(options),
  });
}

/** `count`: where. */
export function countInput(fields: TableFields): z.ZodObject {
  return z.strictObject({ where: fields.where.optional() });
}

/**
 * A lookup: one value per key argument. `aliases` maps each key field's own name to its argument (`ArtistId` →
 * `artist_id`): either may be given, not both.
 */
export function lookupInput(
  fields: TableFields,
  key: readonly (readonly [string, TableFields['fieldsInOrder'][number][1]])[],
  aliases: ReadonlyMap<string, string> = new Map(),
): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [argument, column] of key) shape[argument] = fields.filters.value(column) ?? z.string();
  const object = z.strictObject(shape);
  if (aliases.size === 0) return object;
  return z.preprocess((raw, context) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const args: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
    for (const [alias, argument] of aliases) {
      if (!Object.hasOwn(args, alias)) continue;
      if (Object.hasOwn(args, argument)) {
        context.addIssue({ code: 'custom', path: [argument], message: `give ${argument} or its alias ${alias}, not both` });
      } else {
        args[argument] = args[alias];
      }
      delete args[alias];
    }
    return args;
  }, object);
}

/** `aggregate`: where → group_by → metrics → having → order_by → limit. */
export function aggregateInput(fields: TableFields, options: ResolvedOptions): z.ZodObject {
  const all = [...fields.fieldsInOrder, ...relatedColumns(fields)];
  const groupable = all.filter(([, column]) => GROUPABLE.has(column.type)).map(([name]) => name);
  const bucketable = all.filter(([, column]) => column.type === 'date' || column.type === 'datetime').map(([name]) => name);
  const paths = fields.relations.size > 0;
  const groupEnum = groupable.length > 0 || paths ? fieldName(groupable, paths) : null;
  const groupKey = groupEnum
    ? bucketable.length > 0 || paths
      ? z.union([groupEnum, z.strictObject({ field: fieldName(bucketable, paths), bucket: z.enum(BUCKETS) })])
      : groupEnum
    : null;
  const limits = options.limits;
  return z.strictObject({
    where: fields.where.optional(),
    ...(groupKey ? { group_by: z.array(groupKey).max(limits.maxGroupBy).optional() } : {}),
    metrics: z
      .array(
        z.strictObject({
          fn: z.enum(METRIC_FUNCTIONS),
          ...(groupEnum ? { field: groupEnum.optional() } : {}),
          as: z.string().regex(OUTPUT_NAME, 'expected a name of lowercase letters, digits and _').optional(),
        }),
      )
      .min(1)
      .max(limits.maxMetrics)
      .default([{ fn: 'count' }]),
    having: z
      .array(z.strictObject({ metric: z.string().max(64), op: z.enum(HAVING_OPERATORS), value: z.union([z.number(), z.string().max(64)]) }))
      .max(limits.maxConditions)
      .optional(),
    order_by: orderBySchema(limits.maxGroupBy + limits.maxMetrics),
    limit: limitSchema(options),
    offset: offsetSchema(options),
  });
}
