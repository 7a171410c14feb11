import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ColumnModel } from '../introspect/model.js';
import type { ResolvedOptions } from '../policy/options.js';
import type { ExposedRelation, ExposedSchema, ExposedTable } from '../policy/policy.js';
import { describeTable } from './describe.js';
import { FilterSchemas, isSortable } from './filters.js';
import { toJsonSchema } from './json-schema.js';
import { assignNames, scopeFieldName, type TableNames } from './naming.js';
import { rowSchema } from './results.js';

export type ToolKind = 'query' | 'lookup' | 'count' | 'aggregate';

/** A field of a to-one related row, named `relation.field` (e.g. `customer.country`). */
export interface RelatedField {
  readonly relation: ExposedRelation;
  /** The related table's fields. */
  readonly target: TableFields;
  /** The field's name in the related table. */
  readonly field: string;
  readonly column: ColumnModel;
}

/** A relation as filters use it: `{has: name, where: [...]}` with conditions on the target's fields. */
export interface RelationFields {
  readonly relation: ExposedRelation;
  readonly target: TableFields;
}

/**
 * What arguments may name on one table: its own fields, its relations and the fields of to-one related rows.
 * Linked to the related tables' own, so a `has` filter is checked against the target's fields and policy.
 */
export interface TableFields {
  readonly table: ExposedTable;
  /** Column behind each field name of the table. */
  readonly columnsByField: ReadonlyMap<string, ColumnModel>;
  /** Field name of each visible column, in column order. */
  readonly fieldsInOrder: readonly (readonly [field: string, column: ColumnModel])[];
  /** Schema of one filter value per filterable field; used to explain a rejected condition. */
  readonly valueSchemas: ReadonlyMap<string, z.ZodType>;
  /** The `where` schema of the table. */
  readonly where: z.ZodType;
  /** Relations by name. */
  readonly relations: ReadonlyMap<string, RelationFields>;
  /** Fields of to-one related rows by `relation.field`. */
  readonly relatedFields: ReadonlyMap<string, RelatedField>;
}

/** A generated tool: its validator, what it reads, and the definition clients list. Built once, shared by every server. */
export interface ToolDefinition {
  readonly name: string;
  readonly kind: ToolKind;
  readonly table: ExposedTable;
  /** The fields, relations and filters of the tool's table. */
  readonly fields: TableFields;
  /** Column behind each field name the tool accepts or returns. */
  readonly columnsByField: ReadonlyMap<string, ColumnModel>;
  /** Field name of each visible column, in column order. */
  readonly fieldsInOrder: readonly (readonly [field: string, column: ColumnModel])[];
  /** What a row returns by default: the visible columns, plus scoping columns when `scope.visible`. */
  readonly resultFields: readonly (readonly [field: string, column: ColumnModel])[];
  /** Schema of one comparison value per filterable field; used to explain a rejected condition. */
  readonly valueSchemas: ReadonlyMap<string, z.ZodType>;
  /** Lookup tools: the key's columns. */
  readonly keyColumns: readonly ColumnModel[];
  /** Validates and types the call's arguments. */
  readonly input: z.ZodType;
  /** The `tools/list` entry, JSON Schemas included. */
  readonly definition: Tool;
}

/** Every generated tool, by name and in listing order. */
export interface ToolCatalog {
  readonly tools: readonly ToolDefinition[];
  readonly byName: ReadonlyMap<string, ToolDefinition>;
  readonly definitions: readonly Tool[];
}

export const ANNOTATIONS = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;

const WHERE_HELP = 'Conditions, ANDed: {field, op, value}; groups {or: [...]}, {and: [...]}, {not: {...}}.';
const HAS_HELP = ' Related rows: {has: relation, where: [conditions on its fields]}.';

/** Results that used a relative time echo what it resolved to. */
const RESOLVED_TIME = z.record(z.string(), z.unknown()).optional();

/** Builds the tool catalog from what policy exposes. */
export function buildCatalog(schema: ExposedSchema, options: ResolvedOptions): ToolCatalog {
  const names = assignNames(schema);
  const namesByTable = new Map([...names].map(([exposed, tableNames]) => [exposed.table, tableNames]));
  const filters = new FilterSchemas(options.limits, schema.dialect, options.timeZone);
  const spaces = tableFields(schema, names, filters, options);
  const tools: ToolDefinition[] = [];

  for (const exposed of schema.tables) {
    const tableNames = names.get(exposed);
    const fields = spaces.get(exposed.table);
    if (!tableNames || !fields) continue;
    const { fieldsInOrder, columnsByField, valueSchemas, where } = fields;
    // Scoping columns may be returned, but never become fields a model can filter, sort or select on.
    const resultFields = exposed.scopeVisible
      ? [...fieldsInOrder, ...exposed.scopeColumns.map((column) => [scopeFieldName(column), column] as const)]
      : fieldsInOrder;
    const related = [...fields.relatedFields].map(([name, { column }]) => [name, { ...column, nullable: true }] as const);
    const describe = describeTable(exposed, tableNames, namesByTable, options.maxRows);
    // Related fields come back as `relation.field` keys; listing each in the output schema would double its size.
    const row = rowSchema(resultFields);
    const selectable = [...fieldsInOrder, ...related].map(([field]) => field);
    const fieldEnum = z.enum(selectable as [string, ...string[]]);
    const sortable = [...fieldsInOrder, ...related].filter(([, column]) => isSortable(column)).map(([field]) => field);
    const common = { table: exposed, fields, columnsByField, fieldsInOrder, resultFields, valueSchemas };

    const queryInput = z.strictObject({
      where: where.optional(),
      columns: z
        .array(fieldEnum)
        .min(1)
        .max(selectable.length)
        .optional()
        .describe(related.length > 0 ? 'Fields to return; default all of this table. relation.field reads the related row.' : 'Fields to return; default all.'),
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
      limit: z.number().int().min(1).max(options.maxRows).default(options.defaultLimit),
      offset: z.number().int().min(0).max(options.limits.maxOffset).default(0),
    });
    tools.push(
      define({
        ...common,
        name: tableNames.query,
        kind: 'query',
        keyColumns: [],
        description: describe.query,
        input: queryInput,
        output: z.object({
          rows: z.array(row.partial()),
          truncated: z.boolean(),
          next_offset: z.number().int().optional(),
          resolved_time: RESOLVED_TIME,
        }),
      }),
    );

    tableNames.lookups.forEach(({ columns, tool }, index) => {
      const shape: Record<string, z.ZodType> = {};
      for (const column of columns) {
        const value = filters.value(column);
        shape[tableNames.fields.get(column.name) ?? column.name] = value ?? z.string();
      }
      tools.push(
        define({
          ...common,
          name: tool,
          kind: 'lookup',
          keyColumns: columns,
          description: describe.lookup(columns, index === 0 && exposed.primaryKey !== null),
          input: z.strictObject(shape),
          output: z.object({ row: row.partial().nullable() }),
        }),
      );
    });

    tools.push(
      define({
        ...common,
        name: tableNames.count,
        kind: 'count',
        keyColumns: [],
        description: describe.count,
        input: z.strictObject({ where: where.optional() }),
        output: z.object({ count: z.number().int(), resolved_time: RESOLVED_TIME }),
      }),
    );

    if (exposed.aggregates) {
      tools.push(
        define({
          ...common,
          name: tableNames.aggregate,
          kind: 'aggregate',
          keyColumns: [],
          description: describe.aggregate,
          input: aggregateInput(fields, where, options),
          output: z.object({
            rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
            truncated: z.boolean(),
            next_offset: z.number().int().optional(),
            resolved_time: RESOLVED_TIME,
          }),
        }),
      );
    }
  }
  return {
    tools,
    byName: new Map(tools.map((tool) => [tool.name, tool])),
    definitions: tools.map((tool) => tool.definition),
  };
}

/** Fields of every exposed table, linked through their relations. */
function tableFields(
  schema: ExposedSchema,
  names: ReadonlyMap<ExposedTable, TableNames>,
  filters: FilterSchemas,
  options: ResolvedOptions,
): Map<ExposedTable['table'], TableFields> {
  type Mutable = { -readonly [K in keyof TableFields]: TableFields[K] } & {
    relations: Map<string, RelationFields>;
    relatedFields: Map<string, RelatedField>;
  };
  const spaces = new Map<ExposedTable['table'], Mutable>();
  for (const exposed of schema.tables) {
    const tableNames = names.get(exposed);
    if (!tableNames) continue;
    const fieldsInOrder = exposed.columns.map((column) => [tableNames.fields.get(column.name) ?? column.name, column] as const);
    const valueSchemas = new Map(
      fieldsInOrder.flatMap(([field, column]) => {
        const value = filters.filterValue(column);
        return value ? [[field, value] as const] : [];
      }),
    );
    spaces.set(exposed.table, {
      table: exposed,
      columnsByField: new Map(fieldsInOrder),
      fieldsInOrder,
      valueSchemas,
      where: z.never(),
      relations: new Map(),
      relatedFields: new Map(),
    });
  }
  for (const space of spaces.values()) {
    for (const relation of space.table.relations) {
      const target = spaces.get(relation.target);
      if (!target) continue;
      space.relations.set(relation.name, { relation, target });
      if (relation.kind !== 'one') continue;
      for (const [field, column] of target.fieldsInOrder) {
        const name = `${relation.name}.${field}`;
        if (!space.columnsByField.has(name)) space.relatedFields.set(name, { relation, target, field, column });
      }
    }
  }
  for (const space of spaces.values()) space.where = whereSchema(space.fieldsInOrder, [...space.relations.keys()], filters, options.limits);
  return spaces;
}

/** Types a group key can have; JSON, binary, arrays and unknown types do not compare reliably. */
export const GROUPABLE: ReadonlySet<ColumnModel['type']> = new Set(['string', 'integer', 'number', 'decimal', 'boolean', 'date', 'datetime', 'time', 'uuid', 'enum']);
export const BUCKETS = ['hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
export const METRIC_FUNCTIONS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'] as const;
export const HAVING_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
/** A metric's output name. */
export const OUTPUT_NAME = /^[a-z_][a-z0-9_]{0,63}$/;

/** `aggregate_<table>`: where → group_by → metrics → having → order_by → limit. */
function aggregateInput(fields: TableFields, where: z.ZodType, options: ResolvedOptions): z.ZodObject {
  const all = [...fields.fieldsInOrder, ...[...fields.relatedFields].map(([name, { column }]) => [name, column] as const)];
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
    where: where.optional(),
    ...(groupKey
      ? {
          group_by: z
            .array(groupKey)
            .max(limits.maxGroupBy)
            .optional()
            .describe('Fields, or {field, bucket} on dates; outputs named field or field_bucket.'),
        }
      : {}),
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
      .default([{ fn: 'count' }])
      .describe('sum/avg: numbers; min/max: numbers, dates. Output: as, or fn_field (count).'),
    having: z
      .array(z.strictObject({ metric: z.string().max(64), op: z.enum(HAVING_OPERATORS), value: z.union([z.number(), z.string().max(64)]) }))
      .max(limits.maxConditions)
      .optional()
      .describe('On metric outputs, ANDed.'),
    order_by: z
      .array(z.strictObject({ by: z.string().max(200).describe('Output name'), direction: z.enum(['asc', 'desc']).optional() }))
      .max(limits.maxGroupBy + limits.maxMetrics)
      .optional(),
    limit: z.number().int().min(1).max(options.maxRows).default(options.defaultLimit),
    offset: z.number().int().min(0).max(limits.maxOffset).default(0),
  });
}

/**
 * `where`: a list of conditions, ANDed. A condition is `{field, op, value}`; there is one condition schema per
 * value type of the table, so `value` is typed by the column (integers for integer columns, the allowed values of
 * an enum). Groups `{or: [...]}`, `{and: [...]}` and `{not: ...}` nest.
 */
function whereSchema(
  fields: readonly (readonly [string, ColumnModel])[],
  relations: readonly string[],
  filters: FilterSchemas,
  limits: ResolvedOptions['limits'],
): z.ZodType {
  const byType = new Map<string, { column: ColumnModel; fields: string[] }>();
  for (const [field, column] of fields) {
    const key = filters.key(column);
    const entry = byType.get(key);
    if (entry) entry.fields.push(field);
    else byType.set(key, { column, fields: [field] });
  }
  const conditions = [...byType.values()].map(({ column, fields: names }) => filters.condition(names, column));
  const group = z.strictObject({
    get or() {
      return z.array(item).min(1).max(limits.maxConditions).optional();
    },
    get and() {
      return z.array(item).min(1).max(limits.maxConditions).optional();
    },
    get not() {
      return item.optional();
    },
  });
  // The related table's conditions are checked against its own fields after parsing (see `checkFilters`).
  const has =
    relations.length > 0
      ? [z.strictObject({ has: z.enum(relations as [string, ...string[]]), where: z.array(z.unknown()).max(limits.maxConditions).optional() })]
      : [];
  const item: z.ZodType = z.union([...conditions, group, ...has]);
  return z.array(item).max(limits.maxConditions).describe(relations.length > 0 ? WHERE_HELP + HAS_HELP : WHERE_HELP);
}

interface DefineArgs extends Omit<ToolDefinition, 'definition' | 'input'> {
  readonly description: string;
  readonly input: z.ZodObject;
  readonly output: z.ZodObject;
}

function define(args: DefineArgs): ToolDefinition {
  const { description, output, ...rest } = args;
  return {
    ...rest,
    definition: {
      name: args.name,
      description,
      inputSchema: toJsonSchema(args.input, 'input') as Tool['inputSchema'],
      outputSchema: toJsonSchema(output, 'output') as Tool['outputSchema'],
      annotations: ANNOTATIONS,
    },
  };
}
