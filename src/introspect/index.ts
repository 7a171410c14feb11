import type { Knex } from 'knex';
import { ConfigurationError, UnsupportedDialectError } from '../errors.js';
import { closest } from '../shared/suggest.js';
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

const SCHEMA_WORDS: Record<Dialect, string> = { postgresql: 'schema', mysql: 'database', sqlite: 'attached database' };

/**
 * Reads the schema of the database behind `knex`. Throws {@link ConfigurationError} when `options.schemas` names a
 * schema the database does not have: a typo would otherwise expose nothing, silently.
 */
export async function introspect(knex: Knex, options: IntrospectOptions = {}): Promise<DatabaseModel> {
  const dialect = dialectOf(knex);
  const introspector = INTROSPECTORS[dialect];
  if (options.schemas?.length) {
    const existing = await introspector.listSchemas(knex);
    // MySQL and MariaDB compare database names in information_schema without regard to case on most setups.
    const known = dialect === 'mysql' ? new Set(existing.map((name) => name.toLowerCase())) : new Set(existing);
    const missing = options.schemas.filter((name) => !known.has(dialect === 'mysql' ? name.toLowerCase() : name));
    if (missing.length > 0) throw new ConfigurationError(missingSchemasMessage(dialect, missing, existing));
  }
  return introspector.introspect(knex, options);
}

function missingSchemasMessage(dialect: Dialect, missing: readonly string[], existing: readonly string[]): string {
  const word = SCHEMA_WORDS[dialect];
  const parts = missing.map((name) => {
    if (dialect === 'postgresql' && (/^pg_/.test(name) || name === 'information_schema')) return `"${name}" is a system schema, never read`;
    const close = closest(name, existing);
    return `no ${word} "${name}"${close.length ? `; did you mean ${close.map((candidate) => `"${candidate}"`).join(' or ')}?` : ''}`;
  });
  const shown = existing.slice(0, 20).map((name) => `"${name}"`).join(', ');
  const more = existing.length > 20 ? ` and ${existing.length - 20} more` : '';
  return `schemas: ${parts.join('; ')} (the database has ${existing.length ? `${shown}${more}` : 'none the connection can see'})`;
}

export type { Introspector } from './introspector.js';
export type * from './model.js';
