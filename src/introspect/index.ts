import type { Knex } from 'knex';
import { UnsupportedDialectError } from '../errors.js';
import type { Introspector } from './introspector.js';
import type { DatabaseModel, Dialect, IntrospectOptions } from './model.js';
import { mysqlIntrospector } from './mysql.js';
import { postgresIntrospector } from './postgres.js';
import { sqliteIntrospector } from './sqlite.js';

const INTROSPECTORS: Record<Dialect, Introspector> = {
  sqlite: sqliteIntrospector,
  postgresql: postgresIntrospector,
  mysql: mysqlIntrospector,
};

// Knex driver clients (better-sqlite3, mysql2, pgnative…) inherit their family's `dialect`.
const DIALECT_OF_KNEX: Record<string, Dialect> = {
  sqlite3: 'sqlite',
  postgresql: 'postgresql',
  mysql: 'mysql',
};

/** The conexor dialect of a Knex instance; throws {@link UnsupportedDialectError} for any other. */
export function dialectOf(knex: Knex): Dialect {
  const client = (knex as { client?: { dialect?: unknown; config?: { client?: unknown } } }).client;
  const name = typeof client?.dialect === 'string' ? client.dialect : undefined;
  const dialect = name ? DIALECT_OF_KNEX[name] : undefined;
  if (!dialect) {
    const driver = typeof client?.config?.client === 'string' ? client.config.client : 'unknown';
    throw new UnsupportedDialectError(name ?? driver);
  }
  return dialect;
}

/** Reads the schema of the database behind `knex`. */
export function introspect(knex: Knex, options: IntrospectOptions = {}): Promise<DatabaseModel> {
  return INTROSPECTORS[dialectOf(knex)].introspect(knex, options);
}

export type { Introspector } from './introspector.js';
export type * from './model.js';
