/**
 * The schema model: what conexor knows about a database after introspection.
 * Every identifier that ever reaches SQL is taken from here.
 */

/** Dialects conexor can introspect and query. */
export type Dialect = 'sqlite' | 'postgresql' | 'mysql';

/** A column type reduced to what matters for validation and rendering. */
export type NormalizedType =
  | 'string'
  | 'integer'
  | 'number'
  | 'decimal'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'time'
  | 'json'
  | 'uuid'
  | 'binary'
  | 'enum'
  | 'array'
  | 'unknown';

/**
 * How a SQLite `date` or `datetime` column stores its values, found from a bounded sample at introspection (SQLite
 * has no date type; Knex with either driver stores a JavaScript `Date` as epoch milliseconds):
 * - `text`: ISO 8601 text (`2024-05-01 13:45:00` or `2024-05-01T13:45:00`), also the answer for an empty column;
 * - `epoch_ms` / `epoch_s`: numbers of milliseconds / seconds since 1970-01-01 UTC (told apart by magnitude);
 * - `julian`: Julian day numbers (`julianday()`, about 2.4 million), fractional;
 * - `mixed`: text and numbers in one column; compared and grouped through an expression that reads each value by its
 *   type (numbers as epoch milliseconds or seconds by magnitude, text as UTC), and results say so.
 * Numeric storages denote instants: such columns have `withTimeZone` set.
 */
export type DateStorage = 'text' | 'epoch_ms' | 'epoch_s' | 'julian' | 'mixed';

/** One column of a table or view. */
export interface ColumnModel {
  /** Column name exactly as the database spells it. */
  readonly name: string;
  /** Normalized type. */
  readonly type: NormalizedType;
  /** Native type as the catalog reports it, e.g. `character varying(40)`, `tinyint(1)`, `NVARCHAR(160)`. */
  readonly nativeType: string;
  readonly nullable: boolean;
  /** Default expression as text, unquoted for literals; `null` when there is none. */
  readonly default: string | null;
  /** Filled by the database on insert (serial, identity, AUTO_INCREMENT, SQLite rowid alias). */
  readonly autoIncrement: boolean;
  /** Computed by the database (generated / virtual columns). */
  readonly generated: boolean;
  /** Maximum length in characters for character types. */
  readonly maxLength: number | null;
  /** Total digits and fractional digits for exact numeric types. */
  readonly precision: number | null;
  readonly scale: number | null;
  /** For `datetime`: values denote an absolute instant (PostgreSQL `timestamptz`). */
  readonly withTimeZone: boolean;
  /** SQLite `date` / `datetime` columns: how values are stored (see {@link DateStorage}); absent means `text`. */
  readonly storage?: DateStorage;
  /**
   * Allowed values of an enum column (PostgreSQL enum or domain over one, MySQL ENUM, or a text column whose CHECK
   * constraint lists its values), or the values such a CHECK lists for a column of unknown type.
   */
  readonly enumValues: readonly string[] | null;
  /** Element type of an `array` column. */
  readonly elementType: NormalizedType | null;
  readonly comment: string | null;
}

/** A set of columns whose values identify at most one row. */
export interface UniqueKeyModel {
  /** Constraint or index name; `null` when the database has none (e.g. SQLite inline UNIQUE). */
  readonly name: string | null;
  readonly columns: readonly string[];
}

/** A foreign key, possibly composite. Columns and referenced columns are aligned by position. */
export interface ForeignKeyModel {
  readonly name: string | null;
  readonly columns: readonly string[];
  /** Schema of the referenced table (`null` on SQLite and when it is the same database on MySQL). */
  readonly referencedSchema: string | null;
  readonly referencedTable: string;
  readonly referencedColumns: readonly string[];
}

export type RelationKind = 'table' | 'view' | 'materialized_view';

/** A table, view or materialized view. */
export interface TableModel {
  /** Schema (PostgreSQL), database (MySQL) or attached database (SQLite, normally `main`). */
  readonly schema: string;
  readonly name: string;
  readonly kind: RelationKind;
  readonly comment: string | null;
  /** Columns in ordinal order. */
  readonly columns: readonly ColumnModel[];
  /** Primary key columns in key order; `null` when the table has none. */
  readonly primaryKey: readonly string[] | null;
  /** Unique constraints and unique indexes other than the primary key, deduplicated by column list. */
  readonly uniqueKeys: readonly UniqueKeyModel[];
  readonly foreignKeys: readonly ForeignKeyModel[];
  /** Rows the database's statistics estimate (PostgreSQL `reltuples`, MySQL `TABLE_ROWS`); `null` when unknown. */
  readonly rowEstimate?: number | null;
}

/** Everything introspection found, in a stable order (schema, then table name). */
export interface DatabaseModel {
  readonly dialect: Dialect;
  readonly tables: readonly TableModel[];
}

/** Options that steer introspection. */
export interface IntrospectOptions {
  /**
   * Schemas to read (PostgreSQL schemas, MySQL databases, SQLite attached databases).
   * Default: the connection's current schema (`current_schema()`, `DATABASE()`, `main`).
   */
  readonly schemas?: readonly string[];
}
