import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Dialect } from '../introspect/model.js';
import type { ExposedTable } from '../policy/policy.js';
import type { ToolCatalog, ToolDefinition } from '../tools/catalog.js';
import type { HandlerExtra } from './sdk.js';

export const SCHEMA_RESOURCE_URI = 'conexor://schema';

/** One table as the schema resource describes it: only what policy exposes, in the tools' vocabulary. */
interface TableSummary {
  table: string;
  schema: string;
  kind: string;
  comment?: string;
  tools: string[];
  fields: { name: string; column?: string; type: string; nullable: boolean; values?: readonly string[]; comment?: string }[];
  primaryKey?: string[];
  uniqueKeys?: string[][];
  links?: { fields: string[]; table: string; targetFields: string[] }[];
  relations?: { name: string; kind: 'one' | 'many'; table: string; fields: string[]; targetFields: string[] }[];
}

/**
 * The text of the schema resource as one caller sees it: the tables it has tools for, their fields, keys, and the
 * relations it may follow (`catalog` is already narrowed to the tables it may read), so a client can orient
 * itself without listing tools. Built once per restriction set; hidden columns and excluded tables never appear.
 */
export function schemaDocument(dialect: Dialect, catalog: ToolCatalog, allowed: (tool: ToolDefinition) => boolean): string {
  const toolsByTable = new Map<ExposedTable, string[]>();
  const fieldOf = new Map<string, string>();
  for (const tool of catalog.tools) {
    // Field names of every table, so a relation towards a table the caller has no tool for still names its fields right.
    for (const [field, column] of tool.fieldsInOrder) fieldOf.set(`${tool.table.table.schema}.${tool.table.table.name}.${column.name}`, field);
    if (!allowed(tool)) continue;
    const names = toolsByTable.get(tool.table) ?? [];
    names.push(tool.name);
    toolsByTable.set(tool.table, names);
  }
  const field = (schema: string, table: string, column: string) => fieldOf.get(`${schema}.${table}.${column}`) ?? column;
  const tables = [...toolsByTable.keys()].map((entry): TableSummary => {
    const { table } = entry;
    const f = (column: string) => field(table.schema, table.name, column);
    return {
      table: table.name,
      schema: table.schema,
      kind: table.kind,
      ...(table.comment ? { comment: table.comment } : {}),
      tools: toolsByTable.get(entry) ?? [],
      fields: entry.columns.map((column) => ({
        name: f(column.name),
        ...(f(column.name) !== column.name ? { column: column.name } : {}),
        type: column.type,
        nullable: column.nullable,
        ...(column.enumValues ? { values: column.enumValues } : {}),
        ...(column.comment ? { comment: column.comment } : {}),
      })),
      ...(entry.primaryKey ? { primaryKey: entry.primaryKey.map((column) => f(column.name)) } : {}),
      ...(entry.uniqueKeys.length ? { uniqueKeys: entry.uniqueKeys.map((key) => key.map((column) => f(column.name))) } : {}),
      ...(entry.foreignKeys.length
        ? {
            links: entry.foreignKeys.map((key) => ({
              fields: key.columns.map((column) => f(column.name)),
              table: key.target.name,
              targetFields: key.targetColumns.map((column) => field(key.target.schema, key.target.name, column.name)),
            })),
          }
        : {}),
      ...(entry.relations.length
        ? {
            relations: entry.relations.map((relation) => ({
              name: relation.name,
              kind: relation.kind,
              table: relation.target.name,
              fields: relation.pairs.map(([column]) => f(column.name)),
              targetFields: relation.pairs.map(([, column]) => field(relation.target.schema, relation.target.name, column.name)),
            })),
          }
        : {}),
    };
  });
  return JSON.stringify({ dialect, tables });
}

/** Registers the schema resource on a server; `text` gives the document for the request's caller (cached by it). */
export function registerSchemaResource(server: McpServer, text: (extra: HandlerExtra) => Promise<string>): void {
  server.registerResource(
    'schema',
    SCHEMA_RESOURCE_URI,
    {
      title: 'Database schema',
      description: 'Tables, fields, keys and relations the tools expose (JSON).',
      mimeType: 'application/json',
    },
    async (uri, extra) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: await text(extra) }] }),
  );
}
