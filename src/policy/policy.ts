import { tableAccess, writeTableMatcher, type TableAccess } from './access.js';
import picomatch from 'picomatch';
import { ConfigurationError } from '../errors.js';
import type { ColumnModel, DatabaseModel, Dialect, TableModel } from '../introspect/model.js';
import type { ResolvedOptions } from './options.js';
import { snakeCase } from '../shared/snake-case.js';
import { closest } from '../shared/suggest.js';
import { looksSecret } from './secrets.js';

/** A foreign key whose both ends are exposed, so it can be described to a model. */
export interface ExposedForeignKey {
  readonly name: string | null;
  readonly columns: readonly ColumnModel[];
  readonly target: TableModel;
  readonly targetColumns: readonly ColumnModel[];
  /** Whether the key references the target's primary key or a unique key, so a row has at most one target row. */
  readonly toOne: boolean;
}

/**
 * A way from a table to related rows through a declared foreign key, named for the model: `customer` for
 * `orders.customer_id → customers` (kind `one`), `orders` for the reverse way (kind `many`).
 */
export interface ExposedRelation {
  readonly name: string;
  /** `one`: this table's foreign key to a unique key of the target; `many`: the target's foreign key to this table. */
  readonly kind: 'one' | 'many';
  readonly target: TableModel;
  /** Column pairs `[this table's column, the target's column]` the rows are matched on. */
  readonly pairs: readonly (readonly [ColumnModel, ColumnModel])[];
}

/** A table as policy lets a model see it: only visible columns, and only keys made of visible columns. */
export interface ExposedTable {
  readonly table: TableModel;
  /** What the table holds, for the model: the host's `describe` entry, else the catalog comment; `null` for neither. */
  readonly description: string | null;
  /** Descriptions of visible columns by column name: the host's `describe` entry, else the catalog comment. */
  readonly descriptions: ReadonlyMap<string, string>;
  readonly columns: readonly ColumnModel[];
  /** `null` when the table has no primary key or a key column is hidden. */
  readonly primaryKey: readonly ColumnModel[] | null;
  readonly uniqueKeys: readonly (readonly ColumnModel[])[];
  readonly foreignKeys: readonly ExposedForeignKey[];
  /**
   * Scoping (tenancy) columns of this table: never filterable or sortable by the model; every query and count is
   * filtered on them with the caller's values. Keys that include them are looked up by their other columns.
   */
  readonly scopeColumns: readonly ColumnModel[];
  /** Whether scoping columns are returned in results (`scope.visible`). */
  readonly scopeVisible: boolean;
  /** Relations to other exposed tables (empty with `relations: false`). */
  readonly relations: readonly ExposedRelation[];
  /** Whether the table gets an `aggregate_<table>` tool. */
  readonly aggregates: boolean;
  /** What the table allows beyond reading (see `access.ts`): nothing unless the `writes` option says so. */
  readonly access: TableAccess;
}

/** The whole exposed surface, the single input of the tool catalog. */
export interface ExposedSchema {
  readonly dialect: Dialect;
  /** Tables of this schema keep unqualified tool names. */
  readonly defaultSchema: string;
  readonly tables: readonly ExposedTable[];
}

const ALL_TABLES = '*';
/** conexor's own tables (the default API key and audit tables) are never exposed, whatever the patterns say. */
const INTERNAL_TABLES: ReadonlySet<string> = new Set(['conexor_api_keys', 'conexor_audit']);
/**
 * The columns of those tables (see `defineApiKeyColumns`, `defineAuditColumns`): a table holding all of one set is
 * one of them under another name (`createApiKeyTable(knex, 'service_keys')`), and is not exposed either — a model
 * able to write it could lift a key's restrictions or erase audit events.
 */
const INTERNAL_COLUMNS: readonly (readonly string[])[] = [
  ['id', 'name', 'hash', 'scopes', 'policy', 'created_at', 'expires_at', 'revoked_at'],
  ['request_id', 'ts', 'tool', 'table_name', 'operation', 'arguments', 'key_id', 'outcome', 'row_count', 'duration_ms', 'error_code'],
];

function isInternal(table: TableModel): boolean {
  if (INTERNAL_TABLES.has(table.name)) return true;
  const names = new Set(table.columns.map((column) => column.name));
  return INTERNAL_COLUMNS.some((columns) => columns.every((name) => names.has(name)));
}

/** Applies the policy to the introspected model; throws {@link ConfigurationError} when it names what does not exist. */
export function applyPolicy(model: DatabaseModel, options: ResolvedOptions): ExposedSchema {
  const tables = model.tables;
  checkTablePatterns('tables.include', options.include ?? [], tables);
  checkTablePatterns('tables.exclude', options.exclude, tables);
  checkColumnMap('hiddenColumns', options.hiddenColumns, tables);
  checkColumnMap('allowedColumns', options.allowedColumns, tables);
  if (options.aggregatesExcluded !== true) checkTablePatterns('aggregates.exclude', options.aggregatesExcluded, tables);
  if (options.writes?.tables) checkTablePatterns('writes.tables', options.writes.tables.map((pattern) => pattern.replace(/^!/, '')), tables);
  const writable = writeTableMatcher(options.writes);
  const noAggregates = options.aggregatesExcluded === true ? () => true : matcher(options.aggregatesExcluded);
  const scopeNames = new Set(options.scope?.columns ?? []);

  const include = options.include && matcher(options.include);
  const exclude = matcher(options.exclude);
  const selected = tables.filter(
    (table) =>
      !isInternal(table) &&
      (options.views || table.kind === 'table') &&
      (!include || include(table)) &&
      !exclude(table) &&
      table.columns.length > 0,
  );
  const selectedSet = new Set(selected);
  for (const name of scopeNames) {
    if (!selected.some((table) => table.columns.some((column) => column.name === name))) {
      throw new ConfigurationError(`scope.columns names column "${name}", which no exposed table has`);
    }
  }

  const visibleColumns = new Map<TableModel, Map<string, ColumnModel>>();
  for (const table of selected) {
    const hidden = new Set([...columnsFor(options.hiddenColumns, table)]);
    const allowed = new Set([...columnsFor(options.allowedColumns, table)]);
    const visible = table.columns.filter(
      (column) =>
        !scopeNames.has(column.name) &&
        !hidden.has(column.name) &&
        !(options.hideSecretColumns && looksSecret(column.name, column.type) && !allowed.has(column.name)),
    );
    visibleColumns.set(table, new Map(visible.map((column) => [column.name, column])));
  }

  const resolve = (table: TableModel, names: readonly string[]): ColumnModel[] | null => {
    const visible = visibleColumns.get(table);
    const columns = names.map((name) => visible?.get(name));
    return columns.every((column): column is ColumnModel => column !== undefined) ? columns : null;
  };
  // The scope pins its columns, so a key (tenant_id, id) identifies a row by id alone within the caller's tenant.
  const resolveKey = (table: TableModel, names: readonly string[]): ColumnModel[] | null => {
    const rest = names.filter((name) => !scopeNames.has(name));
    return rest.length > 0 ? resolve(table, rest) : null;
  };
  const tableByName = new Map(tables.map((table) => [`${table.schema}\u0000${table.name}`, table]));
  /**
   * Whether a write setting this foreign key can have its reference checked within the caller's scope: towards an
   * exposed table whose referenced columns are visible (the executor checks it), or towards an unscoped table
   * policy does not expose (the database's constraint suffices). Otherwise only the database would check it —
   * blind to tenants, and telling whether a hidden value exists — so its columns are not settable.
   */
  const isCheckable = (key: TableModel['foreignKeys'][number], target: TableModel): boolean => {
    const pairs = key.columns.map((column, index) => [column, key.referencedColumns[index] ?? column] as const).filter(([column]) => !scopeNames.has(column));
    if (pairs.length === 0) return true;
    if (!selectedSet.has(target) || (visibleColumns.get(target)?.size ?? 0) === 0) return !target.columns.some((column) => scopeNames.has(column.name));
    return pairs.every(([, referenced]) => visibleColumns.get(target)?.has(referenced) === true);
  };
  // Tables left without a visible column are dropped below; they cannot be described either.
  const exposable = selected.filter((table) => (visibleColumns.get(table)?.size ?? 0) > 0);
  const hostDescriptions = resolveDescriptions(options.describe, tables, exposable, visibleColumns);

  const exposed = selected
    .map((table): ExposedTable => {
      const primaryKey = table.primaryKey ? resolveKey(table, table.primaryKey) : null;
      const foreignKeys: ExposedForeignKey[] = [];
      // Columns of references writes cannot check within the caller's scope: never settable (see below).
      const unchecked = new Set<string>();
      for (const key of table.foreignKeys) {
        const target = tableByName.get(`${key.referencedSchema ?? table.schema}\u0000${key.referencedTable}`);
        if (target && !isCheckable(key, target)) for (const column of key.columns) unchecked.add(column);
        if (!target || !selectedSet.has(target)) continue;
        // Pairs through scoping columns say nothing the model can use: describe the link by its other columns.
        const pairs = key.columns.map((column, index) => [column, key.referencedColumns[index] ?? column] as const);
        const kept = pairs.filter(([column]) => !scopeNames.has(column));
        if (kept.length === 0) continue;
        const columns = resolve(table, kept.map(([column]) => column));
        const targetColumns = resolve(target, kept.map(([, referenced]) => referenced));
        if (columns && targetColumns) {
          foreignKeys.push({ name: key.name, columns, target, targetColumns, toOne: isKeyOf(target, key.referencedColumns) });
        }
      }
      const columns = [...(visibleColumns.get(table)?.values() ?? [])];
      const host = hostDescriptions.get(table);
      const descriptions = new Map<string, string>();
      for (const column of columns) {
        const description = host?.columns.get(column.name) ?? column.comment;
        if (description) descriptions.set(column.name, description);
      }
      const uniqueKeys = dedupeKeys(
        table.uniqueKeys.map((key) => resolveKey(table, key.columns)).filter((key) => key !== null),
        primaryKey,
      );
      const scopeColumns = table.columns.filter((column) => scopeNames.has(column.name));
      return {
        table,
        description: host?.table ?? (table.comment || null),
        descriptions,
        columns,
        primaryKey,
        uniqueKeys,
        foreignKeys,
        scopeColumns,
        scopeVisible: options.scope?.visible ?? false,
        relations: [],
        aggregates: !noAggregates(table),
        access: tableAccess({ table, columns: columns.filter((column) => !unchecked.has(column.name)), primaryKey, uniqueKeys, scopeColumns }, options.writes, writable),
      };
    })
    .filter((table) => table.columns.length > 0);

  const defaultSchema = options.schemas?.[0] ?? tables[0]?.schema ?? '';
  return {
    dialect: model.dialect,
    defaultSchema,
    tables: options.relations ? withRelations(exposed, defaultSchema) : exposed,
  };
}

/** Whether `columns` are exactly the primary key or a unique key of `table`, in any order. */
function isKeyOf(table: TableModel, columns: readonly string[]): boolean {
  const wanted = [...columns].sort().join('\u0000');
  const keys = [...(table.primaryKey ? [table.primaryKey] : []), ...table.uniqueKeys.map((key) => key.columns)];
  return keys.some((key) => [...key].sort().join('\u0000') === wanted);
}

/** Name of the way along a foreign key: its single column without `_id` (`customer_id` → `customer`), else the target. */
function toOneName(key: ExposedForeignKey): string {
  const column = key.columns.length === 1 ? snakeCase(key.columns[0]?.name ?? '') : '';
  const stripped = column.replace(/_id$/, '');
  return stripped || snakeCase(key.target.name) || 'related';
}

/**
 * Adds both directions of every exposed foreign key: `one` from the referencing table (only when the key
 * references a unique key), `many` from the referenced one. Names are unique per table (`_2`, `_3`… on a clash).
 */
function withRelations(tables: readonly ExposedTable[], defaultSchema: string): ExposedTable[] {
  const byModel = new Map(tables.map((exposed) => [exposed.table, exposed]));
  const found = new Map<ExposedTable, { base: string; relation: Omit<ExposedRelation, 'name'> }[]>(tables.map((exposed) => [exposed, []]));
  const tableName = (table: TableModel) => (table.schema === defaultSchema ? snakeCase(table.name) : `${snakeCase(table.schema)}_${snakeCase(table.name)}`) || 'table';
  for (const source of tables) {
    const keysTo = new Map<TableModel, number>();
    for (const key of source.foreignKeys) keysTo.set(key.target, (keysTo.get(key.target) ?? 0) + 1);
    for (const key of source.foreignKeys) {
      const target = byModel.get(key.target);
      if (!target) continue;
      const pairs = key.columns.map((column, index) => [column, key.targetColumns[index] as ColumnModel] as const);
      const one = toOneName(key);
      if (key.toOne) found.get(source)?.push({ base: one, relation: { kind: 'one', target: key.target, pairs } });
      const several = (keysTo.get(key.target) ?? 0) > 1 || key.target === source.table;
      found.get(target)?.push({
        base: several ? `${tableName(source.table)}_by_${one}` : tableName(source.table),
        relation: { kind: 'many', target: source.table, pairs: pairs.map(([column, targetColumn]) => [targetColumn, column] as const) },
      });
    }
  }
  return tables.map((exposed) => {
    const used = new Set<string>();
    const relations = (found.get(exposed) ?? []).map(({ base, relation }): ExposedRelation => {
      let name = base;
      for (let n = 2; used.has(name); n += 1) name = `${base}_${n}`;
      used.add(name);
      return { name, ...relation };
    });
    return relations.length > 0 ? { ...exposed, relations } : exposed;
  });
}

/** Keys that became equal once scoping columns were dropped are listed once. */
function dedupeKeys(keys: readonly ColumnModel[][], primaryKey: readonly ColumnModel[] | null): ColumnModel[][] {
  const seen = new Set<string>(primaryKey ? [primaryKey.map((column) => column.name).join('\u0000')] : []);
  return keys.filter((key) => {
    const id = key.map((column) => column.name).join('\u0000');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

type TableMatcher = (table: TableModel) => boolean;

function matcher(patterns: readonly string[]): TableMatcher {
  if (patterns.length === 0) return () => false;
  const isMatch = picomatch([...patterns], { dot: true });
  return (table) => isMatch(table.name) || isMatch(`${table.schema}.${table.name}`);
}

function isGlob(pattern: string): boolean {
  return picomatch.scan(pattern).isGlob;
}

function namesTable(name: string, table: TableModel): boolean {
  return name === table.name || name === `${table.schema}.${table.name}`;
}

/** A plain name (not a glob) must name an existing table; a typo must not silently expose or hide nothing. */
function checkTablePatterns(option: string, patterns: readonly string[], tables: readonly TableModel[]): void {
  for (const pattern of patterns) {
    if (!isGlob(pattern) && !tables.some((table) => namesTable(pattern, table))) {
      throw new ConfigurationError(`${option} names table "${pattern}", which does not exist${suggest(pattern, tables.map((t) => t.name))}`);
    }
  }
}

function checkColumnMap(option: string, map: Readonly<Record<string, readonly string[]>>, tables: readonly TableModel[]): void {
  for (const [tableName, columns] of Object.entries(map)) {
    const matching = tableName === ALL_TABLES ? tables : tables.filter((table) => namesTable(tableName, table));
    if (matching.length === 0) {
      throw new ConfigurationError(`${option} names table "${tableName}", which does not exist${suggest(tableName, tables.map((t) => t.name))}`);
    }
    for (const column of columns) {
      if (!matching.some((table) => table.columns.some((c) => c.name === column))) {
        const known = matching.length === 1 ? (matching[0]?.columns.map((c) => c.name) ?? []) : [];
        throw new ConfigurationError(
          `${option}["${tableName}"] names column "${column}", which does not exist${suggest(column, known)}`,
        );
      }
    }
  }
}

function columnsFor(map: Readonly<Record<string, readonly string[]>>, table: TableModel): string[] {
  return Object.entries(map)
    .filter(([name]) => name === ALL_TABLES || namesTable(name, table))
    .flatMap(([, columns]) => columns);
}

/**
 * A hint for the likely intended name: the same name in another case, else the closest names (a few edits away),
 * else the first few known names.
 */
function suggest(name: string, known: readonly string[]): string {
  const lower = name.toLowerCase();
  const sameCase = known.find((candidate) => candidate.toLowerCase() === lower);
  if (sameCase) return `; did you mean "${sameCase}"?`;
  if (known.length === 0) return '';
  const close = closest(name, [...known].sort(), { minTolerance: 1, containment: false }).map((candidate) => `"${candidate}"`);
  if (close.length > 0) return `; did you mean ${close.join(' or ')}?`;
  const shown = known.slice(0, 20).map((n) => `"${n}"`).join(', ');
  return `; known: ${shown}${known.length > 20 ? ', …' : ''}`;
}

/** The host's descriptions of one exposed table: its own, and its visible columns' by column name. */
interface HostDescriptions {
  table: string | undefined;
  readonly columns: Map<string, string>;
}

/**
 * Resolves the `describe` keys to exposed tables and visible columns (see `ConexorOptions.describe` for the rules);
 * throws {@link ConfigurationError} naming a key that names nothing exposed, with the closest keys that would.
 */
function resolveDescriptions(
  describe: Readonly<Record<string, string>>,
  tables: readonly TableModel[],
  exposable: readonly TableModel[],
  visibleColumns: ReadonlyMap<TableModel, ReadonlyMap<string, ColumnModel>>,
): Map<TableModel, HostDescriptions> {
  const result = new Map<TableModel, HostDescriptions>();
  const entryFor = (table: TableModel): HostDescriptions => {
    let entry = result.get(table);
    if (!entry) {
      entry = { table: undefined, columns: new Map() };
      result.set(table, entry);
    }
    return entry;
  };
  const visible = (table: TableModel, column: string) => visibleColumns.get(table)?.has(column) ?? false;
  const keys = Object.entries(describe).map(([key, text]) => ({ key, text, target: describeTarget(key, exposable, visible) }));
  // Unqualified keys first, so `sales.customer` overrides what `customer` says about that one table.
  for (const qualified of [false, true]) {
    for (const { key, text, target } of keys) {
      if (!target) throw new ConfigurationError(describeProblem(key, tables, exposable, visibleColumns));
      if (target.qualified !== qualified) continue;
      for (const table of target.tables) {
        if (target.column === null) entryFor(table).table = text;
        else entryFor(table).columns.set(target.column, text);
      }
    }
  }
  return result;
}

interface DescribeTarget {
  readonly tables: readonly TableModel[];
  /** `null` for a table description. */
  readonly column: string | null;
  /** Whether the key names the schema. */
  readonly qualified: boolean;
}

/** What a `describe` key names among exposed tables and visible columns, or `null` when nothing. */
function describeTarget(
  key: string,
  exposable: readonly TableModel[],
  visible: (table: TableModel, column: string) => boolean,
): DescribeTarget | null {
  const parts = key.split('.');
  const [first = '', second = '', third = ''] = parts;
  const named = (schema: string | null, name: string) =>
    exposable.filter((table) => table.name === name && (schema === null || table.schema === schema));
  const found = (tables: readonly TableModel[], column: string | null, qualified: boolean) =>
    tables.length > 0 ? { tables, column, qualified } : null;
  const whole = found(named(null, key), null, false);
  if (parts.length === 2) {
    const withColumn = named(null, first).filter((table) => visible(table, second));
    return found(withColumn, second, false) ?? found(named(first, second), null, true) ?? whole;
  }
  if (parts.length === 3) return found(named(first, second).filter((table) => visible(table, third)), third, true) ?? whole;
  // One part, or a table whose own name has dots: the key is the table's name.
  return whole;
}

/** Why a `describe` key names nothing exposed, with the closest keys that would. */
function describeProblem(
  key: string,
  tables: readonly TableModel[],
  exposable: readonly TableModel[],
  visibleColumns: ReadonlyMap<TableModel, ReadonlyMap<string, ColumnModel>>,
): string {
  const parts = key.split('.');
  const [first = '', second = '', third = ''] = parts;
  const at = `describe["${key}"]`;
  const exists = (schema: string | null, name: string) =>
    tables.some((table) => table.name === name && (schema === null || table.schema === schema));
  const isExposed = (schema: string | null, name: string) =>
    exposable.some((table) => table.name === name && (schema === null || table.schema === schema));
  const columnProblem = (schema: string | null, name: string, column: string): string => {
    const models = exposable.filter((table) => table.name === name && (schema === null || table.schema === schema));
    const hidden = models.some((table) => table.columns.some((c) => c.name === column));
    const shown = schema === null ? name : `${schema}.${name}`;
    const reason = hidden ? 'which policy hides (hiddenColumns, a secret-looking name or a scope column)' : 'which does not exist';
    const known = models.flatMap((table) => [...(visibleColumns.get(table)?.keys() ?? [])]);
    return `${at} names column "${column}" of table "${shown}", ${reason}${suggest(column, known)}`;
  };
  const unexposed = (shown: string) =>
    `${at} names table "${shown}", which policy does not expose (tables.include / tables.exclude, views: false, or no visible column)`;
  const candidates = describeKeys(parts.length, exposable, visibleColumns);
  if (parts.length === 1) {
    return exists(null, first) ? unexposed(first) : `${at} names table "${first}", which does not exist${suggest(key, candidates)}`;
  }
  if (parts.length === 2) {
    if (isExposed(null, first)) return columnProblem(null, first, second);
    if (exists(first, second)) return unexposed(key);
    if (exists(null, first)) return unexposed(first);
    return `${at} names neither a column "${second}" of a table "${first}" nor a table "${second}" of a schema "${first}"${suggest(key, candidates)}`;
  }
  if (parts.length === 3) {
    if (isExposed(first, second)) return columnProblem(first, second, third);
    if (exists(first, second)) return unexposed(`${first}.${second}`);
    const qualifiedNames = exposable.map((table) => `${table.schema}.${table.name}`);
    return `${at} names table "${first}.${second}", which does not exist${suggest(`${first}.${second}`, qualifiedNames)}`;
  }
  return `${at} is not a table, schema.table, table.column or schema.table.column name`;
}

/** The keys with `parts` dot-separated parts that name something exposed, for suggestions. */
function describeKeys(
  parts: number,
  exposable: readonly TableModel[],
  visibleColumns: ReadonlyMap<TableModel, ReadonlyMap<string, ColumnModel>>,
): string[] {
  const columnsOf = (table: TableModel) => [...(visibleColumns.get(table)?.keys() ?? [])];
  return exposable.flatMap((table) => {
    if (parts === 1) return [table.name];
    if (parts === 2) return [`${table.schema}.${table.name}`, ...columnsOf(table).map((column) => `${table.name}.${column}`)];
    return columnsOf(table).map((column) => `${table.schema}.${table.name}.${column}`);
  });
}

/**
 * The schema as a caller restricted to some tables sees it: every table stays (tool names do not change), but
 * relations towards tables it may not read are gone, so neither schemas nor calls can reach them.
 */
/**
 * Writes of a caller that may not use the targets of `keys`: their columns are not settable (nothing could check
 * such a reference within the caller's scope, and its answer would tell what the forbidden table holds); an insert
 * that would have to set one is not offered.
 */
function withoutReferences(access: TableAccess, keys: readonly ExposedForeignKey[]): TableAccess {
  const blocked = new Set(keys.flatMap((key) => key.columns));
  if (blocked.size === 0) return access;
  const settable = (column: ColumnModel) => !blocked.has(column);
  const insertable = access.insertable.filter(settable);
  const updatable = access.updatable.filter(settable);
  return {
    ...access,
    insert: access.insert && insertable.length > 0 && access.required.every(settable),
    update: access.update && updatable.length > 0,
    insertable,
    required: access.required.filter(settable),
    updatable,
  };
}

export function withoutRelationsTo(schema: ExposedSchema, allowsTable: (table: TableModel) => boolean): ExposedSchema {
  return {
    ...schema,
    tables: schema.tables.map((exposed) => {
      const relations = exposed.relations.filter((relation) => allowsTable(relation.target));
      // Descriptions fall back to foreign keys when no relation is left: they must not name a forbidden table either.
      const foreignKeys = exposed.foreignKeys.filter((key) => allowsTable(key.target));
      return relations.length === exposed.relations.length && foreignKeys.length === exposed.foreignKeys.length
        ? exposed
        : { ...exposed, relations, foreignKeys, access: withoutReferences(exposed.access, exposed.foreignKeys.filter((key) => !allowsTable(key.target))) };
    }),
  };
}
