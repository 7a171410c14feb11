import { z } from 'zod';
import type { ColumnModel } from '../introspect/model.js';
import type { TableAccess } from '../policy/access.js';
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

/** Longest text a write may store in a column without a declared length, in characters. */
export const MAX_WRITE_TEXT = 100_000;
const DECIMAL_TEXT = /^-?\d{1,65}(?:\.\d{1,30})?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Deepest nesting of arrays and objects a JSON value written to a column may have. */
export const MAX_JSON_DEPTH = 64;

/** How deep `value` nests, walked without recursion and given up past the bound. */
function jsonDepth(value: unknown): number {
  let deepest = 0;
  const pending: (readonly [unknown, number])[] = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    if (item !== null && typeof item === 'object') for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * The value a write may store in a column: the column's filter value type, text bounded by the column's own length
 * (a longer value would be cut silently by a lenient MySQL, or fail), exact decimals also as text, JSON values,
 * binary as base64, arrays of their element type; `null` only where the column is nullable.
 */
export function writeValue(fields: TableFields, column: ColumnModel): z.ZodType {
  const base = ((): z.ZodType => {
    switch (column.type) {
      case 'string': {
        const max = column.maxLength ?? MAX_WRITE_TEXT;
        return z
          .string({ error: () => 'expected a string' })
          .max(max, `a string of at most ${max} characters is allowed`)
          .refine((value) => !value.includes('\u0000'), 'NUL characters are not allowed');
      }
      case 'decimal':
      case 'number':
        // Exact decimals travel as text too ("12.50"), as results render them.
        return z.union([fields.filters.value(column) ?? z.number(), z.string().regex(DECIMAL_TEXT, 'expected a decimal number such as 12.50')], {
          error: () => 'expected a number or decimal text such as "12.50"',
        });
      case 'json':
        // Bounded before z.json() walks it recursively: a value thousands of levels deep would overflow the stack.
        return z
          .unknown()
          .refine((value) => jsonDepth(value) <= MAX_JSON_DEPTH, `a JSON value nested at most ${MAX_JSON_DEPTH} levels deep is allowed`)
          .pipe(z.json());
      case 'binary':
        return z.string({ error: () => 'expected base64 text' }).max(MAX_WRITE_TEXT * 2).regex(BASE64, 'expected base64 text');
      case 'array': {
        const element = column.elementType ? fields.filters.value({ ...column, type: column.elementType, enumValues: null }) : null;
        return z.array(element ?? z.string().max(MAX_WRITE_TEXT)).max(10_000);
      }
      case 'enum':
        return fields.filters.value(column) ?? z.string().max(MAX_WRITE_TEXT);
      default:
        return fields.filters.value(column) ?? z.string().max(MAX_WRITE_TEXT);
    }
  })();
  return column.nullable ? base.nullable() : base;
}

/** The field name of a column, as every tool spells it. */
const fieldOf = (fields: TableFields, column: ColumnModel) => fields.names.fields.get(column.name) ?? column.name;

/** `{field: value}` for the given columns; `required` ones must be present. */
function valuesObject(fields: TableFields, columns: readonly ColumnModel[], required: ReadonlySet<ColumnModel>): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const column of columns) {
    const value = writeValue(fields, column);
    shape[fieldOf(fields, column)] = required.has(column) ? value : value.optional();
  }
  return z.strictObject(shape);
}

/** `insert_<table>`: `{rows: [{field: value}]}`, at most `maxRows` rows; NOT NULL columns without a default required. */
export function insertInput(fields: TableFields, access: TableAccess, maxRows: number): z.ZodObject {
  const row = valuesObject(fields, access.insertable, new Set(access.required));
  return z.strictObject({ rows: z.array(row).min(1, 'give at least one row').max(maxRows, `at most ${maxRows} rows per call are allowed`) });
}

/** `set` of an update: at least one updatable field. */
function setObject(fields: TableFields, access: TableAccess): z.ZodType {
  return valuesObject(fields, access.updatable, new Set()).refine((value) => Object.keys(value).length > 0, 'give at least one field to change');
}

/** The key arguments of a by-key write. */
function keyShape(fields: TableFields, key: readonly (readonly [string, ColumnModel])[]): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [argument, column] of key) shape[argument] = fields.filters.value(column) ?? z.string().max(MAX_WRITE_TEXT);
  return shape;
}

/** A filtered write's `where`: required and not empty, so no call changes a whole table by omission. */
const requiredWhere = (fields: TableFields) => fields.where.refine((where) => Array.isArray(where) && where.length > 0, 'give at least one condition');

/** `max_affected`: required, at most the configured bound. */
const maxAffectedSchema = (max: number) => z.number({ error: () => 'required: the most rows this call may change' }).int().min(1).max(max);

/** `update_<table>_by_<key>`: the key fields and `set`. */
export function updateByKeyInput(fields: TableFields, access: TableAccess, key: readonly (readonly [string, ColumnModel])[]): z.ZodObject {
  return z.strictObject({ ...keyShape(fields, key), set: setObject(fields, access) });
}

/** `update_<table>`: `where`, `set`, `max_affected`. */
export function updateInput(fields: TableFields, access: TableAccess, maxAffected: number): z.ZodObject {
  return z.strictObject({ where: requiredWhere(fields), set: setObject(fields, access), max_affected: maxAffectedSchema(maxAffected) });
}

/** `delete_<table>_by_<key>`: the key fields. */
export function deleteByKeyInput(fields: TableFields, key: readonly (readonly [string, ColumnModel])[]): z.ZodObject {
  return z.strictObject(keyShape(fields, key));
}

/** `delete_<table>`: `where`, `max_affected`. */
export function deleteInput(fields: TableFields, maxAffected: number): z.ZodObject {
  return z.strictObject({ where: requiredWhere(fields), max_affected: maxAffectedSchema(maxAffected) });
}
