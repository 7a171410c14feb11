import { z } from 'zod';
import type { ColumnModel } from '../introspect/model.js';
import type { ResolvedOptions } from '../policy/options.js';
import type { ExposedRelation, ExposedSchema, ExposedTable } from '../policy/policy.js';
import { FilterSchemas } from './filters.js';
import { scopeFieldName, type TableNames } from './naming.js';

/** A field of a to-one related row, named `relation.field` (e.g. `customer.country`). */
export interface RelatedField {
  readonly relation: ExposedRelation;
  /** The related table's fields. */
  readonly target: TableFields;
  /** The field's name in the related table. */
  readonly field: string;
  readonly column: ColumnModel;
}

/** Most to-one relations a path such as `address.city.country.name` walks through. */
export const MAX_PATH_HOPS = 4;
/** Longest path name a call may give (the validators refuse longer ones). */
export const MAX_PATH_LENGTH = 256;
/** Most field names a rejected path's message lists for one table. */
const LISTED_FIELDS = 40;

/** A field read through a chain of to-one relations: `hops[0]` leaves the table, the field is on the last target. */
export interface ResolvedPath {
  readonly hops: readonly RelationFields[];
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
 * Validators are built on first use, so a schema of a thousand tables costs only what calls touch.
 */
export interface TableFields {
  readonly table: ExposedTable;
  readonly names: TableNames;
  /** Column behind each field name of the table. */
  readonly columnsByField: ReadonlyMap<string, ColumnModel>;
  /** Field name of each visible column, in column order. */
  readonly fieldsInOrder: readonly (readonly [field: string, column: ColumnModel])[];
  /** What a row returns by default: the visible columns, plus scoping columns when `scope.visible`. */
  readonly resultFields: readonly (readonly [field: string, column: ColumnModel])[];
  /** Schema of one filter value per filterable field; used to explain a rejected condition. */
  readonly valueSchemas: ReadonlyMap<string, z.ZodType>;
  /** The `where` schema of the table. */
  readonly where: z.ZodType;
  /** Relations by name. */
  readonly relations: ReadonlyMap<string, RelationFields>;
  /** Fields of to-one related rows by `relation.field`. */
  readonly relatedFields: ReadonlyMap<string, RelatedField>;
  /** The schemas of filter values, shared by every table of the catalog. */
  readonly filters: FilterSchemas;
  /**
   * Resolves `relation.….field` hop by hop through to-one relations (at most {@link MAX_PATH_HOPS}), on demand:
   * paths are never enumerated. A string explains a rejected path: which hop is wrong and what that table offers.
   */
  resolvePath(name: string): ResolvedPath | string;
}

const WHERE_HELP = 'Conditions, ANDed: {field, op, value}; groups {or: [...]}, {and: [...]}, {not: {...}}.';
const HAS_HELP = ' Related rows: {has: relation, where: [conditions on its fields]}.';

/** Fields of every exposed table, linked through their relations. */
export function buildTableFields(
  schema: ExposedSchema,
  names: ReadonlyMap<ExposedTable, TableNames>,
  options: ResolvedOptions,
): Map<ExposedTable['table'], TableFields> {
  const filters = new FilterSchemas(options.limits, schema.dialect, options.timeZone);
  const spaces = new Map<ExposedTable['table'], LazyFields>();
  for (const exposed of schema.tables) {
    const tableNames = names.get(exposed);
    if (tableNames) spaces.set(exposed.table, new LazyFields(exposed, tableNames, filters, options.limits));
  }
  for (const space of spaces.values()) {
    for (const relation of space.table.relations) {
      const target = spaces.get(relation.target);
      if (target) space.relationList.push({ relation, target });
    }
  }
  return spaces;
}

/** {@link TableFields} computed on first use: related fields, value schemas and the `where` validator. */
class LazyFields implements TableFields {
  readonly columnsByField: ReadonlyMap<string, ColumnModel>;
  readonly fieldsInOrder: readonly (readonly [string, ColumnModel])[];
  readonly resultFields: readonly (readonly [string, ColumnModel])[];
  readonly relationList: RelationFields[] = [];
  private cachedRelations: Map<string, RelationFields> | undefined;
  private cachedRelated: Map<string, RelatedField> | undefined;
  private cachedValues: Map<string, z.ZodType> | undefined;
  private cachedWhere: z.ZodType | undefined;

  constructor(
    readonly table: ExposedTable,
    readonly names: TableNames,
    readonly filters: FilterSchemas,
    private readonly limits: ResolvedOptions['limits'],
  ) {
    this.fieldsInOrder = table.columns.map((column) => [names.fields.get(column.name) ?? column.name, column] as const);
    this.columnsByField = new Map(this.fieldsInOrder);
    // Scoping columns may be returned, but never become fields a model can filter, sort or select on.
    this.resultFields = table.scopeVisible
      ? [...this.fieldsInOrder, ...table.scopeColumns.map((column) => [scopeFieldName(column), column] as const)]
      : this.fieldsInOrder;
  }

  get relations(): ReadonlyMap<string, RelationFields> {
    return (this.cachedRelations ??= new Map(this.relationList.map((entry) => [entry.relation.name, entry])));
  }

  get relatedFields(): ReadonlyMap<string, RelatedField> {
    if (!this.cachedRelated) {
      this.cachedRelated = new Map();
      for (const { relation, target } of this.relationList) {
        if (relation.kind !== 'one') continue;
        for (const [field, column] of target.fieldsInOrder) {
          const name = `${relation.name}.${field}`;
          if (!this.columnsByField.has(name)) this.cachedRelated.set(name, { relation, target, field, column });
        }
      }
    }
    return this.cachedRelated;
  }

  resolvePath(name: string): ResolvedPath | string {
    const shown = JSON.stringify(name.slice(0, 100));
    const segments = name.split('.');
    if (segments.length - 1 > MAX_PATH_HOPS) {
      return `${shown} goes through ${segments.length - 1} relations; paths reach at most ${MAX_PATH_HOPS} relations deep (relation.….field)`;
    }
    const hops: RelationFields[] = [];
    for (const [index, segment] of segments.entries()) {
      // The table this hop stands on: the last relation's target (every target is a LazyFields of the same catalog).
      const table = (hops.at(-1)?.target as LazyFields | undefined) ?? this;
      const last = index === segments.length - 1;
      const column = table.columnsByField.get(segment);
      if (last && column && hops.length > 0) return { hops, field: segment, column };
      const relation = table.relations.get(segment);
      if (!last && relation?.relation.kind === 'one') {
        hops.push(relation);
        continue;
      }
      const name = table.names.base;
      const problem =
        relation && relation.relation.kind !== 'one'
          ? `"${segment}" is a to-many relation of ${name}: paths follow to-one relations (where can use {has: "${segment}", where: […]})`
          : relation
            ? `"${segment}" is a relation of ${name}: name one of its fields after it`
            : column
              ? `"${segment}" is a field of ${name}, not a relation`
              : `${name} has no ${last ? 'field' : 'relation or field'} ${JSON.stringify(segment.slice(0, 64))}`;
      return `${shown}: ${problem}; ${table.offers()}`;
    }
    return `${shown}: expected relation.field`;
  }

  /** What a path may name on this table: its to-one relations and its fields (at most {@link LISTED_FIELDS}). */
  private offers(): string {
    const relations = this.relationList.filter(({ relation }) => relation.kind === 'one').map(({ relation }) => relation.name);
    const fields = [...this.columnsByField.keys()];
    const listed = fields.length > LISTED_FIELDS ? [...fields.slice(0, LISTED_FIELDS), `… (${fields.length} fields)`] : fields;
    return `${relations.length > 0 ? `relations: ${relations.join(', ')}; ` : ''}fields allowed: ${listed.join(', ')}`;
  }

  get valueSchemas(): ReadonlyMap<string, z.ZodType> {
    return (this.cachedValues ??= new Map(
      this.fieldsInOrder.flatMap(([field, column]) => {
        const value = this.filters.filterValue(column);
        return value ? [[field, value] as const] : [];
      }),
    ));
  }

  get where(): z.ZodType {
    return (this.cachedWhere ??= whereSchema(this.fieldsInOrder, [...this.relations.keys()], this.filters, this.limits));
  }
}

/** A name with at least one dot: a path the planner resolves hop by hop. */
export function pathName(): z.ZodString {
  return z.string().max(MAX_PATH_LENGTH).regex(/\./, 'expected relation.field');
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
  // The related table's conditions are checked against its own fields after parsing (see `planFilters`).
  const has =
    relations.length > 0
      ? [z.strictObject({ has: z.enum(relations as [string, ...string[]]), where: z.array(z.unknown()).max(limits.maxConditions).optional() })]
      : [];
  // A condition on a path (`relation.….field`) is checked once the path is resolved (see `planFilters`).
  const paths = relations.length > 0 ? [z.strictObject({ field: pathName(), op: z.string().max(32), value: z.unknown().optional() })] : [];
  const item: z.ZodType = z.union([...conditions, ...paths, group, ...has]);
  return z.array(item).max(limits.maxConditions).describe(relations.length > 0 ? WHERE_HELP + HAS_HELP : WHERE_HELP);
}
