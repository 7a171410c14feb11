import type { Knex } from 'knex';
import type { DatabaseModel, IntrospectOptions } from './model.js';

/**
 * Reads a database catalog into a {@link DatabaseModel}.
 * Implementations run a small fixed number of catalog queries, never one per table.
 */
export interface Introspector {
  introspect(knex: Knex, options: IntrospectOptions): Promise<DatabaseModel>;
  /** Names of the schemas (PostgreSQL, system schemas left out), databases (MySQL) or attached databases (SQLite). */
  listSchemas(knex: Knex): Promise<string[]>;
}
