import type { ResolvedOptions } from '../policy/options.js';
import type { ExposedSchema, ExposedTable } from '../policy/policy.js';
import { describeTable, describeTableFully } from './describe.js';
import { buildTableFields, type TableFields } from './fields.js';
import { assignNames, type TableNames } from './naming.js';

/** One exposed table as every tool kind sees it: its names, its fields and what a model is told about it. */
export interface TableEntry {
  readonly exposed: ExposedTable;
  readonly names: TableNames;
  readonly fields: TableFields;
  /** What the table holds: kind, comment, fields with types, relations; bounded for tool descriptions. */
  readonly description: string;
  /** The same, never cut: what `search_tables` shows. */
  readonly details: string;
}

/** Every exposed table, in a deterministic order (schema, then name), findable by the names a model may use. */
export interface TableCatalog {
  readonly schema: ExposedSchema;
  readonly entries: readonly TableEntry[];
  readonly byTable: ReadonlyMap<ExposedTable['table'], TableEntry>;
  /** Finds a table by its tool base name (`invoice_line`), its own name (`InvoiceLine`) or `schema.table`, in any case. */
  find(name: string): TableEntry | undefined;
}

/** Names, fields and descriptions of every exposed table. Validators are built later, on first use. */
export function buildTableCatalog(schema: ExposedSchema, options: ResolvedOptions): TableCatalog {
  const names = assignNames(schema);
  const fields = buildTableFields(schema, names, options);
  const others = (table: ExposedTable['table']) => fields.get(table)?.names;
  const entries: TableEntry[] = [];
  for (const exposed of schema.tables) {
    const tableNames = names.get(exposed);
    const tableFields = fields.get(exposed.table);
    if (!tableNames || !tableFields) continue;
    entries.push({
      exposed,
      names: tableNames,
      fields: tableFields,
      description: describeTable(exposed, tableNames, others),
      details: describeTableFully(exposed, tableNames, others),
    });
  }
  return {
    schema,
    entries,
    byTable: new Map(entries.map((entry) => [entry.exposed.table, entry])),
    find: tableFinder(entries, schema.defaultSchema),
  };
}

/**
 * Finds one of `entries` by its tool base name (`invoice_line`), its own name (`InvoiceLine`, default schema only) or
 * `schema.table`; a spelling that differs only in case finds it when no other of `entries` has that spelling. Built
 * over the tables one caller may use, it can tell nothing about the others.
 */
export function tableFinder(entries: readonly TableEntry[], defaultSchema: string): (name: string) => TableEntry | undefined {
  const byName = new Map<string, TableEntry>();
  // Base names first: a real name that equals another table's base name never shadows it.
  for (const entry of entries) byName.set(entry.names.base, entry);
  for (const entry of entries) {
    const { schema: owner, name } = entry.exposed.table;
    if (!byName.has(`${owner}.${name}`)) byName.set(`${owner}.${name}`, entry);
    if (owner === defaultSchema && !byName.has(name)) byName.set(name, entry);
  }
  const folded = new Map<string, TableEntry | null>();
  for (const [name, entry] of byName) {
    const key = name.toLowerCase();
    const existing = folded.get(key);
    folded.set(key, existing === undefined || existing === entry ? entry : null);
  }
  return (name) => byName.get(name) ?? folded.get(name.toLowerCase()) ?? undefined;
}
