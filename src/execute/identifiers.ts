import type { Dialect, TableModel } from '../introspect/model.js';

/**
 * Quotes an introspected name for use inside `knex.raw` text. Knex would otherwise parse dots, ` as ` and
 * `?` inside names. Only Knex's PostgreSQL client rewrites `?` into `$n` in the final SQL, and only it turns the
 * `\?` escape back into `?`; the MySQL and SQLite clients send `\?` as is, so there a name keeps its `?` (their
 * drivers do not read a `?` inside a quoted identifier as a placeholder).
 */
export function quoteIdentifier(dialect: Dialect, name: string): string {
  if (dialect === 'mysql') return `\`${name.replace(/`/g, '``')}\``;
  const quoted = `"${name.replace(/"/g, '""')}"`;
  return dialect === 'postgresql' ? quoted.replace(/\?/g, '\\?') : quoted;
}

/** `schema.table`, always qualified so the connection's search path cannot redirect a query. */
export function quoteTable(dialect: Dialect, table: TableModel): string {
  return `${quoteIdentifier(dialect, table.schema)}.${quoteIdentifier(dialect, table.name)}`;
}
