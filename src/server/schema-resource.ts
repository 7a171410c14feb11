import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Dialect, TableModel } from '../introspect/model.js';
import type { TableEntry } from '../catalog/catalog.js';
import type { HandlerExtra } from './sdk.js';

export const SCHEMA_RESOURCE_URI = 'conexor://schema';

/** One table as the schema resource describes it: only what policy exposes, in the tools' vocabulary. */
interface TableSummary {
  table: string;
  schema: string;
  kind: string;
  description?: string;
  tools: string[];
  fields: { name: string; column?: string; type: string; nullable: boolean; values?: readonly string[]; description?: string }[];
  primaryKey?: string[];
  uniqueKeys?: string[][];
  links?: { fields: string[]; table: string; targetFields: string[] }[];
  relations?: { name: string; kind: 'one' | 'many'; table: string; fields: string[]; targetFields: string[] }[];
}

/**
 * The text of the schema resource as one caller sees it: the tables it may use, their fields, keys, and the
 * relations it may follow (`tables` come from its own catalog, already without relations to tables it may not
 * read), with the typed tools listed for each. Built once per restriction set; hidden columns and excluded tables
 * never appear.
 */
export function schemaDocument(dialect: Dialect, tables: readonly { readonly entry: TableEntry; readonly tools: readonly string[] }[]): string {
  const fieldsOf = new Map(tables.map(({ entry }) => [entry.exposed.table, entry.names.fields]));
  const field = (table: TableModel, column: string) => fieldsOf.get(table)?.get(column) ?? column;
  const summaries = tables.map(({ entry, tools }): TableSummary => {
    const { exposed } = entry;
    const { table } = exposed;
    const f = (column: string) => entry.names.fields.get(column) ?? column;
    return {
      table: table.name,
      schema: table.schema,
      kind: table.kind,
      ...(exposed.description ? { description: exposed.description } : {}),
      tools: [...tools],
      fields: exposed.columns.map((column) => ({
        name: f(column.name),
        ...(f(column.name) !== column.name ? { column: column.name } : {}),
        type: column.type,
        nullable: column.nullable,
        ...(column.enumValues ? { values: column.enumValues } : {}),
        ...(exposed.descriptions.has(column.name) ? { description: exposed.descriptions.get(column.name) } : {}),
      })),
      ...(exposed.primaryKey ? { primaryKey: exposed.primaryKey.map((column) => f(column.name)) } : {}),
      ...(exposed.uniqueKeys.length ? { uniqueKeys: exposed.uniqueKeys.map((key) => key.map((column) => f(column.name))) } : {}),
      ...(exposed.foreignKeys.length
        ? {
            links: exposed.foreignKeys.map((key) => ({
              fields: key.columns.map((column) => f(column.name)),
              table: key.target.name,
              targetFields: key.targetColumns.map((column) => field(key.target, column.name)),
            })),
          }
        : {}),
      ...(exposed.relations.length
        ? {
            relations: exposed.relations.map((relation) => ({
              name: relation.name,
              kind: relation.kind,
              table: relation.target.name,
              fields: relation.pairs.map(([column]) => f(column.name)),
              targetFields: relation.pairs.map(([, column]) => field(relation.target, column.name)),
            })),
          }
        : {}),
    };
  });
  return JSON.stringify({ dialect, tables: summaries });
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
