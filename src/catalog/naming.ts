import { createHash } from 'node:crypto';
import type { ColumnModel, TableModel } from '../introspect/model.js';
import type { ExposedSchema, ExposedTable } from '../policy/policy.js';
import { snakeCase } from '../shared/snake-case.js';

export { snakeCase };

/** Longest tool name; Anthropic's API and most clients reject longer ones. */
export const MAX_TOOL_NAME = 64;
/** Property names every major client accepts. */
const SAFE_FIELD = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Properties every JavaScript object has. As a key, `__proto__` sets the prototype instead of a property, and
 * validators that read `data[key]` (ajv, used by the MCP SDK client) see the inherited member when the key is absent;
 * so no field, argument or output is ever named like one.
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** Whether a name is a property every object has, and so may not be a key of the objects conexor builds. */
export function isReservedName(name: string): boolean {
  return RESERVED_NAMES.has(name);
}

const isSafeField = (name: string) => SAFE_FIELD.test(name) && !isReservedName(name);

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Cuts a name to `max` characters, keeping it unique by ending it with a hash of `identity`. */
function fit(name: string, identity: string, max = MAX_TOOL_NAME): string {
  if (name.length <= max) return name;
  const hash = shortHash(identity, 6);
  return `${name.slice(0, max - hash.length - 1).replace(/_+$/, '')}_${hash}`;
}

/** Names the model uses for one table: tool names and the field name of each visible column. */
export interface TableNames {
  readonly base: string;
  readonly query: string;
  readonly count: string;
  readonly aggregate: string;
  /** Lookup tool name per key, in the order primary key, then unique keys. */
  readonly lookups: readonly { readonly columns: readonly ColumnModel[]; readonly tool: string }[];
  /** Field name per column name. */
  readonly fields: ReadonlyMap<string, string>;
  /** Write tool names (listed only when the access policy allows the operation). */
  readonly writes: {
    readonly insert: string;
    /** Filtered: `update_orders {where, set, max_affected}`. */
    readonly update: string;
    readonly delete: string;
    /** By the table's write key: `update_orders_by_id`; `null` without a key. */
    readonly updateByKey: string | null;
    readonly deleteByKey: string | null;
  };
}

/**
 * Deterministic, collision-free names for every exposed table. A table whose name already is snake_case keeps
 * the plain form when another table folds onto it; later collisions get a short hash of the real name.
 */
export function assignNames(schema: ExposedSchema): Map<ExposedTable, TableNames> {
  // Hashes leave the default schema's name out, so the same tables get the same tool names in every database they
  // live in (app_dev, app_prod…); the NUL separator keeps a qualified identity apart from any plain name.
  const identity = (table: TableModel) =>
    table.schema === schema.defaultSchema ? table.name : `${table.schema}\u0000${table.name}`;
  const rawBase = (table: TableModel) => {
    const name = snakeCase(table.name) || `t_${shortHash(identity(table), 8)}`;
    return table.schema === schema.defaultSchema ? name : `${snakeCase(table.schema) || 's'}_${name}`;
  };
  // Tables whose name is already their snake form claim plain names first.
  const ordered = [...schema.tables].sort(
    (a, b) => Number(snakeCase(b.table.name) === b.table.name) - Number(snakeCase(a.table.name) === a.table.name),
  );
  const usedBases = new Set<string>();
  const usedTools = new Set<string>();
  const claim = (name: string, id: string): string => {
    let candidate = fit(name, id);
    if (usedTools.has(candidate)) candidate = fit(`${name}_${shortHash(id, 6)}`, id);
    usedTools.add(candidate);
    return candidate;
  };

  const names = new Map<ExposedTable, TableNames>();
  for (const exposed of ordered) {
    const id = identity(exposed.table);
    // Leave room for the longest prefix so every tool of a table shares the same base.
    let base = fit(rawBase(exposed.table), id, MAX_TOOL_NAME - 'query_'.length);
    if (usedBases.has(base)) base = fit(`${base}_${shortHash(id, 4)}`, id, MAX_TOOL_NAME - 'query_'.length);
    usedBases.add(base);
    const fields = fieldNames(exposed.columns);
    const keys = [...(exposed.primaryKey ? [exposed.primaryKey] : []), ...exposed.uniqueKeys];
    const keySuffix = (columns: readonly ColumnModel[]) => columns.map((column) => snakeCase(fields.get(column.name) ?? column.name) || 'key').join('_and_');
    const writeKey = exposed.access.key;
    names.set(exposed, {
      base,
      query: claim(`query_${base}`, `${id}#query`),
      count: claim(`count_${base}`, `${id}#count`),
      aggregate: claim(`aggregate_${base}`, `${id}#aggregate`),
      lookups: keys.map((columns) => ({
        columns,
        tool: claim(
          `query_${base}_by_${keySuffix(columns)}`,
          `${id}#by:${JSON.stringify(columns.map((column) => column.name))}`,
        ),
      })),
      fields,
      writes: {
        insert: claim(`insert_${base}`, `${id}#insert`),
        update: claim(`update_${base}`, `${id}#update`),
        delete: claim(`delete_${base}`, `${id}#delete`),
        updateByKey: writeKey ? claim(`update_${base}_by_${keySuffix(writeKey)}`, `${id}#update-by`) : null,
        deleteByKey: writeKey ? claim(`delete_${base}_by_${keySuffix(writeKey)}`, `${id}#delete-by`) : null,
      },
    });
  }
  return names;
}

/**
 * Column names are kept as field names when clients accept them and objects can hold them; others (`First Name`,
 * `__proto__`) get their snake_case form.
 */
function fieldNames(columns: readonly ColumnModel[]): Map<string, string> {
  const fields = new Map<string, string>();
  const used = new Set<string>();
  for (const column of columns) if (isSafeField(column.name)) used.add(column.name);
  for (const column of columns) {
    if (isSafeField(column.name)) {
      fields.set(column.name, column.name);
      continue;
    }
    let field = fit(snakeCase(column.name) || 'column', column.name);
    // `constructor` is its own snake_case form.
    if (used.has(field) || isReservedName(field)) field = fit(`${field}_${shortHash(column.name, 4)}`, column.name);
    used.add(field);
    fields.set(column.name, field);
  }
  return fields;
}

/**
 * The argument names of a lookup on key fields `fields`: each field's snake_case form, as the tool name spells it
 * (`query_artist_by_artist_id` takes `artist_id`), unless one of them is unusable (not a safe name, reserved, or the
 * same as another argument or key field); then the field names themselves. The field names are accepted as aliases.
 */
export function keyArgumentNames(fields: readonly string[]): readonly string[] {
  const snake = fields.map((field) => snakeCase(field));
  const usable = snake.every((name, index) => isSafeField(name) && snake.indexOf(name) === index && (name === fields[index] || !fields.includes(name)));
  return usable ? snake : fields;
}

/** The result field of a scoping column returned with `scope.visible`: its snake_case form, never a reserved name. */
export function scopeFieldName(column: ColumnModel): string {
  const field = snakeCase(column.name) || column.name;
  return isReservedName(field) ? `${field}_${shortHash(column.name, 4)}` : field;
}
