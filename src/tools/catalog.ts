import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ColumnModel } from '../introspect/model.js';
import type { ResolvedOptions } from '../policy/options.js';
import type { ExposedSchema, ExposedTable } from '../policy/policy.js';
import { describeTable } from './describe.js';
import { FilterSchemas, isSortable } from './filters.js';
import { toJsonSchema } from './json-schema.js';
import { assignNames, snakeCase } from './naming.js';
import { rowSchema } from './results.js';

export type ToolKind = 'query' | 'lookup' | 'count';

/** A generated tool: its validator, what it reads, and the definition clients list. Built once, shared by every server. */
export interface ToolDefinition {
  readonly name: string;
  readonly kind: ToolKind;
  readonly table: ExposedTable;
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

/** Builds the tool catalog from what policy exposes. */
export function buildCatalog(schema: ExposedSchema, options: ResolvedOptions): ToolCatalog {
  const names = assignNames(schema);
  const namesByTable = new Map([...names].map(([exposed, tableNames]) => [exposed.table, tableNames]));
  const filters = new FilterSchemas(options.limits, schema.dialect);
  const tools: ToolDefinition[] = [];

  for (const exposed of schema.tables) {
    const tableNames = names.get(exposed);
    if (!tableNames) continue;
    const fieldsInOrder = exposed.columns.map(
      (column) => [tableNames.fields.get(column.name) ?? column.name, column] as const,
    );
    const columnsByField = new Map(fieldsInOrder);
    // Scoping columns may be returned, but never become fields a model can filter, sort or select on.
    const resultFields = exposed.scopeVisible
      ? [...fieldsInOrder, ...exposed.scopeColumns.map((column) => [snakeCase(column.name) || column.name, column] as const)]
      : fieldsInOrder;
    const describe = describeTable(exposed, tableNames, namesByTable, options.maxRows);
    const where = whereSchema(fieldsInOrder, filters, options.limits);
    const row = rowSchema(resultFields);
    const fieldEnum = z.enum(fieldsInOrder.map(([field]) => field) as [string, ...string[]]);
    const sortable = fieldsInOrder.filter(([, column]) => isSortable(column)).map(([field]) => field);
    const valueSchemas = new Map(
      fieldsInOrder.flatMap(([field, column]) => {
        const value = filters.value(column);
        return value ? [[field, value] as const] : [];
      }),
    );
    const common = { table: exposed, columnsByField, fieldsInOrder, resultFields, valueSchemas };

    const queryInput = z.strictObject({
      where: where.optional(),
      columns: z.array(fieldEnum).min(1).max(fieldsInOrder.length).optional().describe('Fields to return; default all.'),
      ...(sortable.length > 0
        ? {
            order_by: z
              .array(
                z.strictObject({
                  field: sortable.length === fieldsInOrder.length ? fieldEnum : z.enum(sortable as [string, ...string[]]),
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
        output: z.object({ rows: z.array(row.partial()), truncated: z.boolean(), next_offset: z.number().int().optional() }),
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
        output: z.object({ count: z.number().int() }),
      }),
    );
  }
  return {
    tools,
    byName: new Map(tools.map((tool) => [tool.name, tool])),
    definitions: tools.map((tool) => tool.definition),
  };
}

/**
 * `where`: a list of conditions, ANDed. A condition is `{field, op, value}`; there is one condition schema per
 * value type of the table, so `value` is typed by the column (integers for integer columns, the allowed values of
 * an enum). Groups `{or: [...]}`, `{and: [...]}` and `{not: ...}` nest.
 */
function whereSchema(
  fields: readonly (readonly [string, ColumnModel])[],
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
  const item: z.ZodType = z.union([...conditions, group]);
  return z.array(item).max(limits.maxConditions).describe(WHERE_HELP);
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
