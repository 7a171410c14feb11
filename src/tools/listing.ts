import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ConfigurationError } from '../errors.js';
import type { ResolvedOptions } from '../policy/options.js';
import type { ExposedSchema } from '../policy/policy.js';
import { estimateTokens, rankTables } from '../catalog/budget.js';
import { buildTableCatalog, type TableCatalog, type TableEntry } from '../catalog/catalog.js';
import { closest } from '../shared/suggest.js';
import type { ToolKindSpec } from './kinds.js';
import { TOOL_KINDS } from './registry.js';
import { SEARCH_TOOL, searchListing } from './search.js';

/** The most tools `auto` lists: OpenAI's API and VS Code refuse more than 128. */
export const MAX_TOOLS = 128;

/** A tool of one kind on one table (`query_orders`). */
export interface TypedTool {
  readonly form: 'typed';
  readonly name: string;
  readonly spec: ToolKindSpec;
  readonly table: TableEntry;
  /** Which key of the table a lookup reads (0 for other kinds). */
  readonly index: number;
  readonly definition: Tool;
  readonly tokens: number;
}

/** A tool of one kind on any table, named by its `table` argument (`query`). */
export interface GenericTool {
  readonly form: 'generic';
  readonly name: string;
  readonly spec: ToolKindSpec;
  readonly definition: Tool;
  readonly tokens: number;
}

/** `search_tables`: what the generic tools can reach. */
export interface SearchTool {
  readonly form: 'search';
  readonly name: string;
  readonly definition: Tool;
  readonly tokens: number;
}

export type ToolEntry = TypedTool | GenericTool | SearchTool;

/** Every tool conexor can list, and the tables behind them. Which ones a caller sees is chosen by {@link selectTools}. */
export interface ToolCatalog {
  readonly tables: TableCatalog;
  /** Typed tools of every table, in table order, kinds in registry order. */
  readonly typed: readonly TypedTool[];
  readonly typedByTable: ReadonlyMap<TableEntry, readonly TypedTool[]>;
  /** `search_tables`, then the generic kinds. */
  readonly generic: readonly (GenericTool | SearchTool)[];
  readonly byName: ReadonlyMap<string, ToolEntry>;
  /** Tables in the order `auto` adds their tools: `featured` first, then by usefulness. */
  readonly ranked: readonly TableEntry[];
}

/** Builds every tool definition from what policy exposes. */
export function buildCatalog(schema: ExposedSchema, options: ResolvedOptions): ToolCatalog {
  const tables = buildTableCatalog(schema, options);
  const context = { options, relations: schema.tables.some((table) => table.relations.length > 0) };
  const typed: TypedTool[] = [];
  const typedByTable = new Map<TableEntry, TypedTool[]>();
  for (const table of tables.entries) {
    const own: TypedTool[] = [];
    for (const spec of TOOL_KINDS) {
      if (!spec.applies(table)) continue;
      spec.typedNames(table).forEach((name, index) => {
        const listing = spec.typed(table, context, index);
        const definition: Tool = { name, description: listing.description, inputSchema: listing.inputSchema, annotations: spec.annotations };
        own.push({ form: 'typed', name, spec, table, index, definition, tokens: tokensOf(definition) });
      });
    }
    typed.push(...own);
    typedByTable.set(table, own);
  }
  const generic: (GenericTool | SearchTool)[] = [];
  const search = searchListing();
  generic.push({ form: 'search', name: SEARCH_TOOL, definition: search, tokens: tokensOf(search) });
  for (const spec of TOOL_KINDS) {
    // A generic write tool exists only when some table allows its operation.
    if (spec.operation !== 'read' && !tables.entries.some((table) => spec.applies(table))) continue;
    const listing = spec.genericListing(context);
    if (!spec.generic || !listing) continue;
    const definition: Tool = { name: spec.generic, description: listing.description, inputSchema: listing.inputSchema, annotations: spec.annotations };
    generic.push({ form: 'generic', name: spec.generic, spec, definition, tokens: tokensOf(definition) });
  }
  const byName = new Map<string, ToolEntry>();
  for (const tool of [...generic, ...typed]) byName.set(tool.name, tool);
  return { tables, typed, typedByTable, generic, byName, ranked: ranked(tables, options.catalog.featured) };
}

function tokensOf(definition: Tool): number {
  // The comma between entries of the `tools` array.
  return estimateTokens(JSON.stringify(definition)) + 1;
}

function ranked(tables: TableCatalog, featured: readonly string[]): TableEntry[] {
  const first: TableEntry[] = [];
  for (const name of featured) {
    const entry = tables.find(name);
    if (!entry) {
      const near = closest(name, tables.entries.map((candidate) => candidate.names.base));
      throw new ConfigurationError(
        `catalog.featured names table "${name}", which is not exposed${near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : ''}`,
      );
    }
    if (!first.includes(entry)) first.push(entry);
  }
  const rest = rankTables(tables.entries.filter((entry) => !first.includes(entry)));
  return [...first, ...rest];
}

/** What one caller may use, for {@link selectTools}. */
export interface Allowance {
  /** Whether the caller may use a kind on a table, whichever tool (typed or generic) carries the call. */
  typed(tool: TypedTool): boolean;
}

/** The tools one caller sees, in listing order; and the tables each generic kind may reach for it. */
export interface Selection {
  readonly tools: readonly ToolEntry[];
  /** Typed tools the caller may use, listed or not: what a generic call on a table is checked against. */
  readonly allowedTyped: readonly TypedTool[];
  /** Estimated tokens of the listing. */
  readonly tokens: number;
}

/**
 * Chooses the listing for one caller. `typed`: its typed tools. `compact`: the generic tools it may use.
 * `auto`: its typed tools when they fit the budget and {@link MAX_TOOLS}; else the generic tools plus, table by
 * table in rank order, the typed query, lookup and count tools of every table that still fits.
 */
export function selectTools(catalog: ToolCatalog, allowance: Allowance, options: ResolvedOptions): Selection {
  const allowedTyped = catalog.typed.filter((tool) => allowance.typed(tool));
  const { mode, budgetTokens } = options.catalog;
  const sum = (tools: readonly ToolEntry[]) => tools.reduce((total, tool) => total + tool.tokens, 0);
  const allTyped = sum(allowedTyped);
  if (mode === 'typed' || (mode === 'auto' && allTyped <= budgetTokens && allowedTyped.length <= MAX_TOOLS)) {
    return { tools: allowedTyped, allowedTyped, tokens: allTyped };
  }
  const generic = catalog.generic.filter((tool) => {
    if (tool.form === 'search') return allowedTyped.length > 0;
    return allowedTyped.some((typed) => typed.spec === tool.spec);
  });
  if (mode === 'compact') return { tools: generic, allowedTyped, tokens: sum(generic) };
  const allowed = new Set(allowedTyped);
  let tokens = sum(generic);
  let count = generic.length;
  const chosen = new Set<TypedTool>();
  for (const table of catalog.ranked) {
    // The generic aggregate serves every table: per-table aggregates would only repeat it; writes go through the
    // generic insert, update and delete.
    const bundle = (catalog.typedByTable.get(table) ?? []).filter((tool) => allowed.has(tool) && tool.spec.operation === 'read' && tool.spec.kind !== 'aggregate');
    if (bundle.length === 0) continue;
    const cost = sum(bundle);
    if (tokens + cost > budgetTokens || count + bundle.length > MAX_TOOLS) continue;
    for (const tool of bundle) chosen.add(tool);
    tokens += cost;
    count += bundle.length;
  }
  // Listing order is the catalog's (stable across budgets), not the rank's.
  const typed = allowedTyped.filter((tool) => chosen.has(tool));
  return { tools: [...generic, ...typed], allowedTyped, tokens };
}
