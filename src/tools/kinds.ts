import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { ResolvedOptions } from '../policy/options.js';
import type { TableEntry } from '../catalog/catalog.js';
import { label } from '../catalog/describe.js';
import { MAX_PATH_HOPS } from '../catalog/fields.js';
import { keyArgumentNames } from '../catalog/naming.js';
import { OPERATORS } from '../catalog/filters.js';
import type { ToolOutcome } from '../execute/execute.js';
import type { WriteOutcome } from '../execute/write.js';
import type { ColumnModel } from '../introspect/model.js';
import { READ_ANNOTATIONS, sessionModeOf, type WriteOperation } from '../policy/access.js';
import type { WritePlan } from '../plan/write.js';
import { BUCKETS, METRIC_FUNCTIONS, planAggregate } from '../plan/aggregate.js';
import type { ParsedCall } from '../plan/arguments.js';
import type { BoundTool, ToolKind } from '../plan/bound.js';
import { planCount, planLookup, planQuery, type ReadPlan } from '../plan/plan.js';
import { aggregateInput, countInput, lookupInput, queryInput } from './inputs.js';
import { withCaseHint } from './case-hint.js';
import { toToolResult } from './render.js';

export type JsonSchema = Record<string, unknown>;
type InputSchema = Tool['inputSchema'];

export { READ_ANNOTATIONS };

/** The kind-specific part of one listed tool: its description and argument schema. */
export interface Listing {
  readonly description: string;
  readonly inputSchema: InputSchema;
}

/** What the listing of a kind may refer to. */
export interface ListingContext {
  readonly options: ResolvedOptions;
  /** Whether any exposed table has relations (the generic tools then offer `has` and `relation.field`). */
  readonly relations: boolean;
}

/**
 * One tool kind: its names, its listing (typed per table, and generic with a `table` argument), its argument
 * validator, its plan and its rendering. Every stage asks the spec, never a `switch` on the kind.
 */
interface KindSpec {
  readonly kind: ToolKind;
  /** The generic tool's name, or `null` when the kind has no generic form (lookups are `query` with a key filter). */
  readonly generic: string | null;
  /** From the access policy (see `policy/access.ts`). */
  readonly annotations: Tool['annotations'];
  /** Whether the kind applies to a table (aggregates can be turned off per table). */
  applies(entry: TableEntry): boolean;
  /** Names of the typed tools of a table (lookups: one per key). */
  typedNames(entry: TableEntry): readonly string[];
  /** Listing of a typed tool on one table; `index` picks the key of a lookup. */
  typed(entry: TableEntry, context: ListingContext, index: number): Listing;
  /** Listing of the generic tool (its `table` argument comes first). */
  genericListing(context: ListingContext): Listing | null;
  /** The validator of the kind's arguments on one table (without `table`). */
  input(entry: TableEntry, options: ResolvedOptions, index: number): z.ZodType;
  /** Argument names, for messages. */
  readonly arguments: (entry: TableEntry, index: number) => readonly string[];
  /** The key arguments that name one row (lookups, by-key writes), with their columns; empty for other kinds. */
  key(entry: TableEntry, index: number): readonly (readonly [string, ColumnModel])[];
}

/** A read kind: runs in the read-only session. */
export interface ReadKindSpec extends KindSpec {
  readonly operation: 'read';
  /** The session the access policy gives reads. */
  readonly session: 'read-only';
  plan(tool: BoundTool, call: ParsedCall): ReadPlan;
  render(outcome: ToolOutcome, call: ParsedCall): CallToolResult;
}

/** A write kind: runs in a read-write transaction, only where the access policy allows its operation. */
export interface WriteKindSpec extends KindSpec {
  readonly operation: WriteOperation;
  /** The session the access policy gives writes. */
  readonly session: 'read-write';
  /** By-key (one row named by its key) or filtered (`where` and `max_affected`); inserts are neither. */
  readonly byKey: boolean;
  plan(tool: BoundTool, call: ParsedCall): WritePlan;
  render(outcome: WriteOutcome, call: ParsedCall): CallToolResult;
}

/** One tool kind: read or write. */
export type ToolKindSpec = ReadKindSpec | WriteKindSpec;

const OPS = OPERATORS.join(' ');

/** The filter grammar, in full in every query tool and in the server instructions. */
/** No key arguments. */
const NO_KEY = () => [] as const;

export function whereGrammar(relations: boolean): string {
  return (
    `Conditions [{field, op, value}], ANDed. op: ${OPS}. Nest {or:[…]} {and:[…]} {not:{…}}` +
    (relations ? '; related rows {has: relation, where:[…]}' : '') +
    '. Dates: ISO, "now", {"ago":{"days":7}}, {"start_of":"month"}.'
  );
}

/** The aggregate grammar, in every aggregate tool's description. */
const AGGREGATE_GRAMMAR =
  `group_by: fields or {field, bucket: ${BUCKETS.join('|')}}; metrics: [{fn: ${METRIC_FUNCTIONS.join('|')}, field, as}] (default count); ` +
  'having: [{metric, op, value}] on metric outputs; order_by: [{field: output, direction}].';

const ARRAY: JsonSchema = { type: 'array' };
const OBJECTS: JsonSchema = { type: 'array', items: { type: 'object' } };
export const whereArray = (description: string): JsonSchema => ({ ...OBJECTS, description });
const limitProperty = (options: ResolvedOptions): JsonSchema => ({ type: 'integer', maximum: options.maxRows, default: options.defaultLimit });
const OFFSET: JsonSchema = { type: 'integer' };
export const TABLE: JsonSchema = { type: 'string', description: 'From search_tables' };

export function objectSchema(properties: Record<string, JsonSchema>, required: readonly string[] = []): InputSchema {
  return { type: 'object', properties, ...(required.length > 0 ? { required: [...required] } : {}), additionalProperties: false };
}

/** How `columns` names related fields; paths are stated once, in the generic tool (and the server instructions). */
function columnsHelp(relations: boolean, generic: boolean): string {
  if (!relations) return 'Default all';
  return generic ? `Default all; relation.field reads a related row, up to ${MAX_PATH_HOPS} relations deep: a.b.c.field` : 'Default all; relation.field reads a related row';
}

function queryProperties(where: string, relations: boolean, options: ResolvedOptions, generic = false): Record<string, JsonSchema> {
  return {
    where: whereArray(where),
    columns: { type: 'array', items: { type: 'string' }, description: columnsHelp(relations, generic) },
    order_by: { ...OBJECTS, description: '[{field, direction: asc|desc}]' },
    limit: limitProperty(options),
    offset: OFFSET,
  };
}

function aggregateProperties(where: string | null, options: ResolvedOptions): Record<string, JsonSchema> {
  return {
    where: where === null ? OBJECTS : whereArray(where),
    group_by: ARRAY,
    metrics: OBJECTS,
    having: OBJECTS,
    order_by: OBJECTS,
    limit: limitProperty(options),
    offset: OFFSET,
  };
}

const query: ReadKindSpec = {
  kind: 'query',
  operation: 'read',
  session: sessionModeOf('read'),
  key: NO_KEY,
  generic: 'query',
  annotations: READ_ANNOTATIONS,
  applies: () => true,
  typedNames: (entry) => [entry.names.query],
  typed: (entry, { options }) => ({
    description: `Rows of ${entry.description}`,
    inputSchema: objectSchema(queryProperties(whereGrammar(entry.exposed.relations.length > 0), entry.exposed.relations.length > 0, options)),
  }),
  genericListing: ({ options, relations }) => ({
    description: 'Rows of any table; its fields and relations as search_tables shows them.',
    inputSchema: objectSchema({ table: TABLE, ...queryProperties(whereGrammar(relations), relations, options, true) }, ['table']),
  }),
  input: (entry, options) => queryInput(entry.fields, options),
  arguments: () => ['where', 'columns', 'order_by', 'limit', 'offset'],
  plan: (tool, call) => planQuery(tool, call.args, call.where),
  render: (outcome, call) => withCaseHint(toToolResult(outcome, call.times), outcome, call),
};

const lookup: ReadKindSpec = {
  kind: 'lookup',
  operation: 'read',
  session: sessionModeOf('read'),
  key: (entry, index) => keyFields(entry, index),
  generic: null,
  annotations: READ_ANNOTATIONS,
  applies: (entry) => entry.names.lookups.length > 0,
  typedNames: (entry) => entry.names.lookups.map(({ tool }) => tool),
  typed: (entry, _context, index) => {
    const key = keyFields(entry, index);
    const primary = index === 0 && entry.exposed.primaryKey !== null;
    const properties: Record<string, JsonSchema> = {};
    for (const [field, column] of key) properties[field] = keyProperty(column.type);
    return {
      description: lookupDescription(entry, key.map(([field]) => field), primary),
      inputSchema: objectSchema(properties, key.map(([field]) => field)),
    };
  },
  genericListing: () => null,
  input: (entry, _options, index) => lookupInput(entry.fields, keyFields(entry, index), keyAliases(entry, index)),
  arguments: (entry, index) => keyFields(entry, index).map(([field]) => field),
  plan: (tool, call) => planLookup(tool, call.args),
  render: (outcome) => toToolResult(outcome),
};

const count: ReadKindSpec = {
  kind: 'count',
  operation: 'read',
  session: sessionModeOf('read'),
  key: NO_KEY,
  generic: 'count',
  annotations: READ_ANNOTATIONS,
  applies: () => true,
  typedNames: (entry) => [entry.names.count],
  typed: (entry) => ({
    description: `Count rows of ${label(entry.exposed)}.`,
    inputSchema: objectSchema({ where: whereArray(`As in ${entry.names.query}`) }),
  }),
  genericListing: () => ({
    description: 'Count rows of any table matching where.',
    inputSchema: objectSchema({ table: TABLE, where: whereArray('As in query') }, ['table']),
  }),
  input: (entry) => countInput(entry.fields),
  arguments: () => ['where'],
  plan: (tool, call) => planCount(tool, call.where),
  render: (outcome, call) => withCaseHint(toToolResult(outcome, call.times), outcome, call),
};

const aggregate: ReadKindSpec = {
  kind: 'aggregate',
  operation: 'read',
  session: sessionModeOf('read'),
  key: NO_KEY,
  generic: 'aggregate',
  annotations: READ_ANNOTATIONS,
  applies: (entry) => entry.exposed.aggregates,
  typedNames: (entry) => [entry.names.aggregate],
  typed: (entry, { options }) => ({
    description: `Group and summarize rows of ${label(entry.exposed)}; where as in ${entry.names.query}. ${AGGREGATE_GRAMMAR}`,
    inputSchema: objectSchema(aggregateProperties(null, options)),
  }),
  genericListing: ({ options }) => ({
    description: `Group and summarize rows of any table (one call answers "how many/how much per X"); where as in query. ${AGGREGATE_GRAMMAR}`,
    inputSchema: objectSchema({ table: TABLE, ...aggregateProperties(null, options) }, ['table']),
  }),
  input: (entry, options) => aggregateInput(entry.fields, options),
  arguments: () => ['where', 'group_by', 'metrics', 'having', 'order_by', 'limit', 'offset'],
  plan: (tool, call) => ({ kind: 'aggregate', table: tool.fields.table, where: call.where, ...planAggregate(tool, call.args) }),
  render: (outcome, call) => withCaseHint(toToolResult(outcome, call.times), outcome, call),
};

/** Longest tool description: Claude Code cuts longer ones. */
export const MAX_DESCRIPTION = 2_048;

/** `One row of table "orders" by its primary key id; …`; a key too long to name within 2 KB is named by its size. */
function lookupDescription(entry: TableEntry, fields: readonly string[], primary: boolean): string {
  const kind = primary ? 'primary' : 'unique';
  const full = `One row of ${label(entry.exposed)} by its ${kind} key ${fields.join(', ')}; row is null when none matches.`;
  if (Buffer.byteLength(full) <= MAX_DESCRIPTION) return full;
  return `One row of ${label(entry.exposed)} by its ${kind} key of ${fields.length} fields (the arguments); row is null when none matches.`;
}

/** Every read kind, in listing order. */
export const READ_KINDS: readonly ReadKindSpec[] = [query, lookup, count, aggregate];


/**
 * The arguments of a table's `index`-th key (primary first, then unique keys), with their columns: named as the tool
 * name spells them (see {@link keyArgumentNames}).
 */
export function keyFields(entry: TableEntry, index: number): readonly (readonly [string, TableEntry['exposed']['columns'][number]])[] {
  const columns = entry.names.lookups[index]?.columns ?? [];
  const names = keyArgumentNames(columns.map((column) => entry.names.fields.get(column.name) ?? column.name));
  return columns.map((column, position) => [names[position] ?? column.name, column] as const);
}

/** A lookup's aliases: each key field's own name, when it differs from its argument name, → that argument. */
export function keyAliases(entry: TableEntry, index: number): ReadonlyMap<string, string> {
  const columns = entry.names.lookups[index]?.columns ?? [];
  const aliases = new Map<string, string>();
  keyFields(entry, index).forEach(([argument], position) => {
    const column = columns[position];
    const field = column ? (entry.names.fields.get(column.name) ?? column.name) : argument;
    if (field !== argument) aliases.set(field, argument);
  });
  return aliases;
}

export function keyProperty(type: string): JsonSchema {
  switch (type) {
    case 'integer':
      return { type: 'integer' };
    case 'number':
    case 'decimal':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    default:
      return { type: 'string' };
  }
}
