import { z } from 'zod';
import type { ResolvedOptions } from '../policy/options.js';
import type { TableFields } from '../catalog/fields.js';
import { isSortable } from '../catalog/filters.js';
import { BUCKETS, GROUPABLE, HAVING_OPERATORS, METRIC_FUNCTIONS, OUTPUT_NAME } from '../plan/aggregate.js';

/** Fields a call may name besides the table's own: `relation.field` of to-one related rows (nullable when read). */
function relatedColumns(fields: TableFields) {
  return [...fields.relatedFields].map(([name, { column }]) => [name, { ...column, nullable: true }] as const);
}

const limitSchema = (options: ResolvedOptions) => z.number().int().min(1).max(options.maxRows).default(options.defaultLimit);
const offsetSchema = (options: ResolvedOptions) => z.number().int().min(0).max(options.limits.maxOffset).default(0);

/** `query`: where, columns, order_by, limit, offset. */
export function queryInput(fields: TableFields, options: ResolvedOptions): z.ZodObject {
  const all = [...fields.fieldsInOrder, ...relatedColumns(fields)];
  const selectable = all.map(([field]) => field);
  const fieldEnum = z.enum(selectable as [string, ...string[]]);
  const sortable = all.filter(([, column]) => isSortable(column)).map(([field]) => field);
  return z.strictObject({
    where: fields.where.optional(),
    columns: z.array(fieldEnum).min(1).max(selectable.length).optional(),
    ...(sortable.length > 0
      ? {
          order_by: z
            .array(
              z.strictObject({
                field: sortable.length === selectable.length ? fieldEnum : z.enum(sortable as [string, ...string[]]),
                direction: z.enum(['asc', 'desc']).optional(),
              }),
            )
            .max(Math.min(sortable.length, 5))
            .optional(),
        }
      : {}),
    limit: limitSchema(options),
    offset: offsetSchema(options),
  });
}

/** `count`: where. */
export function countInput(fields: TableFields): z.ZodObject {
  return z.strictObject({ where: fields.where.optional() });
}

/** A lookup: one value per key field. */
export function lookupInput(fields: TableFields, key: readonly (readonly [string, TableFields['fieldsInOrder'][number][1]])[]): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [field, column] of key) shape[field] = fields.filters.value(column) ?? z.string();
  return z.strictObject(shape);
}

/** `aggregate`: where → group_by → metrics → having → order_by → limit. */
export function aggregateInput(fields: TableFields, options: ResolvedOptions): z.ZodObject {
  const all = [...fields.fieldsInOrder, ...relatedColumns(fields)];
  const groupable = all.filter(([, column]) => GROUPABLE.has(column.type)).map(([name]) => name);
  const bucketable = all.filter(([, column]) => column.type === 'date' || column.type === 'datetime').map(([name]) => name);
  const groupEnum = groupable.length > 0 ? z.enum(groupable as [string, ...string[]]) : null;
  const groupKey = groupEnum
    ? bucketable.length > 0
      ? z.union([groupEnum, z.strictObject({ field: z.enum(bucketable as [string, ...string[]]), bucket: z.enum(BUCKETS) })])
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
    order_by: z
      .array(z.strictObject({ by: z.string().max(200), direction: z.enum(['asc', 'desc']).optional() }))
      .max(limits.maxGroupBy + limits.maxMetrics)
      .optional(),
    limit: limitSchema(options),
    offset: offsetSchema(options),
  });
}
