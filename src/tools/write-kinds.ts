/**
 * The write kinds: insert, update and delete, each by key (one row, idempotent) or filtered (`where` and a required
 * `max_affected`). A table has them only where the access policy allows the operation; annotations come from it.
 * @module
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { TableEntry } from '../catalog/catalog.js';
import { label } from '../catalog/describe.js';
import { keyArgumentNames } from '../catalog/naming.js';
import type { WriteOutcome } from '../execute/write.js';
import type { ColumnModel } from '../introspect/model.js';
import { annotationsFor, sessionModeOf, type WriteOperation } from '../policy/access.js';
import type { ResolvedOptions } from '../policy/options.js';
import { planDelete, planInsert, planUpdate } from '../plan/write.js';
import { deleteByKeyInput, deleteInput, insertInput, updateByKeyInput, updateInput } from './inputs.js';
import { TABLE, keyProperty, objectSchema, whereArray, type JsonSchema, type Listing, type WriteKindSpec } from './kinds.js';
import { plain, table as textTable } from './render.js';

/**
 * The by-key write's key arguments: named as the tool name spells them, like a lookup's — except a key field named
 * `set`, which would be the update's `set` argument too: it is given as `set_key`.
 */
export function writeKeyFields(entry: TableEntry): readonly (readonly [string, ColumnModel])[] {
  const columns = entry.exposed.access.key ?? [];
  const names = [...keyArgumentNames(columns.map((column) => entry.names.fields.get(column.name) ?? column.name))];
  names.forEach((name, position) => {
    if (name !== 'set') return;
    let free = `${name}_key`;
    while (names.includes(free)) free = `${free}_key`;
    names[position] = free;
  });
  return columns.map((column, position) => [names[position] ?? column.name, column] as const);
}

const fieldOf = (entry: TableEntry, column: ColumnModel) => entry.names.fields.get(column.name) ?? column.name;

/** JSON Schema of one writable field: its JSON type, enum values, and null where the column allows it. */
function valueProperty(column: ColumnModel): JsonSchema {
  const base: JsonSchema =
    column.type === 'enum' && column.enumValues?.length
      ? { enum: [...column.enumValues] }
      : column.type === 'json'
        ? {}
        : column.type === 'array'
          ? { type: 'array' }
          : keyProperty(column.type);
  if (!column.nullable || column.type === 'json') return base;
  if (typeof base.type === 'string') return { ...base, type: [base.type, 'null'] };
  if (Array.isArray(base.enum)) return { enum: [...(base.enum as unknown[]), null] };
  return base;
}

function valuesSchema(entry: TableEntry, columns: readonly ColumnModel[], required: readonly ColumnModel[] = []): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const column of columns) properties[fieldOf(entry, column)] = valueProperty(column);
  return objectSchema(properties, required.map((column) => fieldOf(entry, column))) as JsonSchema;
}

const maxAffectedProperty = (options: ResolvedOptions): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum: options.writes?.maxAffected ?? 1,
  description: 'Most rows this call may change; more matching rows: nothing changes',
});

const maxInsertRows = (options: ResolvedOptions) => options.writes?.maxInsertRows ?? 1;
const maxAffected = (options: ResolvedOptions) => options.writes?.maxAffected ?? 1;

/** `update_<t>`'s `set`: the fields an update may change. */
const SET_HELP = 'New values: {field: value}';

function renderWrite(outcome: WriteOutcome): CallToolResult {
  const verb = { insert: 'inserted', update: 'updated', delete: 'deleted' }[outcome.operation];
  const noun = outcome.affected === 1 ? 'row' : 'rows';
  const more = outcome.unlisted > 0 ? ` (${outcome.unlisted} not listed)` : '';
  const summary = `${verb} ${outcome.affected} ${noun}${more}`;
  return {
    content: [{ type: 'text', text: outcome.rows.length > 0 ? `${summary}\n${textTable([...outcome.rows])}` : summary }],
    structuredContent: { affected: outcome.affected, rows: outcome.rows.map(plain), ...(outcome.unlisted > 0 ? { unlisted: outcome.unlisted } : {}) },
  };
}

const keyNames = (entry: TableEntry) => writeKeyFields(entry).map(([field]) => field);

function keyProperties(entry: TableEntry): Record<string, JsonSchema> {
  const properties: Record<string, JsonSchema> = {};
  for (const [field, column] of writeKeyFields(entry)) properties[field] = keyProperty(column.type);
  return properties;
}

function spec(operation: WriteOperation, byKey: boolean, parts: Omit<WriteKindSpec, 'operation' | 'session' | 'byKey' | 'annotations' | 'render' | 'key'>): WriteKindSpec {
  return {
    operation,
    session: sessionModeOf(operation),
    byKey,
    annotations: annotationsFor(operation, byKey),
    render: (outcome) => renderWrite(outcome),
    key: byKey ? (entry) => writeKeyFields(entry) : () => [],
    ...parts,
  };
}

/** The listings of a filtered update or delete, typed and generic: `where`, `set` (updates), `max_affected`. */
function filteredListings(verb: 'Change' | 'Delete', withSet: boolean, returns: string): Pick<WriteKindSpec, 'typed' | 'genericListing' | 'arguments'> {
  const set = (entry?: TableEntry): Record<string, JsonSchema> => {
    if (!withSet) return {};
    return { set: entry ? { ...valuesSchema(entry, entry.exposed.access.updatable), description: SET_HELP } : { type: 'object', description: SET_HELP } };
  };
  const required = ['where', ...(withSet ? ['set'] : []), 'max_affected'];
  const rule = `More matches than max_affected: nothing changes.${returns}`;
  return {
    typed: (entry, { options }) => ({
      description: `${verb} rows of ${label(entry.exposed)} matching where (as in ${entry.names.query}). ${rule}`,
      inputSchema: objectSchema({ where: whereArray('Required'), ...set(entry), max_affected: maxAffectedProperty(options) }, required),
    }),
    genericListing: ({ options }) => ({
      description: `${verb} rows of a table that allows it, matching where (as in query). ${rule}`,
      inputSchema: objectSchema({ table: TABLE, where: whereArray('Required'), ...set(), max_affected: maxAffectedProperty(options) }, ['table', ...required]),
    }),
    arguments: () => required,
  };
}

const insert = spec('insert', false, {
  kind: 'insert',
  generic: 'insert',
  applies: (entry) => entry.exposed.access.insert,
  typedNames: (entry) => [entry.names.writes.insert],
  typed: (entry, { options }) => {
    const required = entry.exposed.access.required.map((column) => fieldOf(entry, column));
    return {
      description: `Insert rows into ${label(entry.exposed)}.${required.length > 0 ? ` Required: ${required.join(', ')}.` : ''} Returns the new rows.`,
      inputSchema: objectSchema(
        { rows: { type: 'array', maxItems: maxInsertRows(options), items: valuesSchema(entry, entry.exposed.access.insertable, entry.exposed.access.required) } },
        ['rows'],
      ),
    };
  },
  genericListing: ({ options }) => ({
    description: 'Insert rows into a table that allows it; search_tables shows its fields and which are required. Returns the new rows.',
    inputSchema: objectSchema({ table: TABLE, rows: { type: 'array', maxItems: maxInsertRows(options), items: { type: 'object' } } }, ['table', 'rows']),
  }),
  input: (entry, options) => insertInput(entry.fields, entry.exposed.access, maxInsertRows(options)),
  arguments: () => ['rows'],
  plan: (tool, call) => planInsert(tool, tool.fields.table.access, call.args),
});

const updateByKey = spec('update', true, {
  kind: 'update_by_key',
  generic: null,
  applies: (entry) => entry.exposed.access.update && entry.names.writes.updateByKey !== null,
  typedNames: (entry) => (entry.names.writes.updateByKey ? [entry.names.writes.updateByKey] : []),
  typed: (entry): Listing => ({
    description: `Change one row of ${label(entry.exposed)} by ${keyNames(entry).join(', ')}. Returns the row; affected 0 when none matches.`,
    inputSchema: objectSchema({ ...keyProperties(entry), set: { ...valuesSchema(entry, entry.exposed.access.updatable), description: SET_HELP } }, [...keyNames(entry), 'set']),
  }),
  genericListing: () => null,
  input: (entry) => updateByKeyInput(entry.fields, entry.exposed.access, writeKeyFields(entry)),
  arguments: (entry) => [...keyNames(entry), 'set'],
  plan: (tool, call) => planUpdate(tool, tool.fields.table.access, call.args, call.where),
});

const update = spec('update', false, {
  kind: 'update',
  generic: 'update',
  applies: (entry) => entry.exposed.access.update,
  typedNames: (entry) => [entry.names.writes.update],
  ...filteredListings('Change', true, ' Returns the rows.'),
  input: (entry, options) => updateInput(entry.fields, entry.exposed.access, maxAffected(options)),
  plan: (tool, call) => planUpdate(tool, tool.fields.table.access, call.args, call.where),
});

const deleteByKey = spec('delete', true, {
  kind: 'delete_by_key',
  generic: null,
  applies: (entry) => entry.exposed.access.delete && entry.names.writes.deleteByKey !== null,
  typedNames: (entry) => (entry.names.writes.deleteByKey ? [entry.names.writes.deleteByKey] : []),
  typed: (entry) => ({
    description: `Delete one row of ${label(entry.exposed)} by ${keyNames(entry).join(', ')}; affected 0 when none matches.`,
    inputSchema: objectSchema(keyProperties(entry), keyNames(entry)),
  }),
  genericListing: () => null,
  input: (entry) => deleteByKeyInput(entry.fields, writeKeyFields(entry)),
  arguments: (entry) => keyNames(entry),
  plan: (tool, call) => planDelete(tool, tool.fields.table.access, call.args, call.where),
});

const remove = spec('delete', false, {
  kind: 'delete',
  generic: 'delete',
  applies: (entry) => entry.exposed.access.delete,
  typedNames: (entry) => [entry.names.writes.delete],
  ...filteredListings('Delete', false, ''),
  input: (entry, options) => deleteInput(entry.fields, maxAffected(options)),
  plan: (tool, call) => planDelete(tool, tool.fields.table.access, call.args, call.where),
});

/** Every write kind, in listing order. */
export const WRITE_KINDS: readonly WriteKindSpec[] = [insert, updateByKey, update, deleteByKey, remove];
