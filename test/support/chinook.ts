import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Knex } from 'knex';
import type { Dialect } from '../../src/introspect/model.js';

/** Where the shared Chinook scripts live (never copied into this repository). */
export const CHINOOK_DIR =
  process.env.CONEXOR_CHINOOK_DIR ??
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'datasets', 'chinook');

const FILES: Record<Dialect, string> = {
  sqlite: 'Chinook_Sqlite.sql',
  postgresql: 'Chinook_PostgreSql.sql',
  mysql: 'Chinook_MySql.sql',
};

/**
 * The Chinook script for a dialect, without its database-level statements (DROP/CREATE DATABASE, \c, USE).
 * A missing script names the variable that points at the folder, not just an ENOENT on a derived path.
 */
export function chinookScript(dialect: Dialect, dir: string = CHINOOK_DIR): string {
  const file = join(dir, FILES[dialect]);
  if (!existsSync(file)) {
    throw new Error(
      `Chinook script not found: ${file}. Set CONEXOR_CHINOOK_DIR to the folder holding ${Object.values(FILES).join(', ')} ` +
        '(default: ../shared/datasets/chinook beside this repository).',
    );
  }
  const text = readFileSync(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => !/^\s*(DROP DATABASE|CREATE DATABASE|\\c |USE )/i.test(line))
    .join('\n');
}

/** Loads Chinook into the (empty) database the Knex points at. */
export async function loadChinook(knex: Knex, dialect: Dialect): Promise<void> {
  const script = chinookScript(dialect);
  if (dialect === 'sqlite') {
    const connection = (await knex.client.acquireConnection()) as { exec(sql: string): void };
    try {
      connection.exec(script);
    } finally {
      await knex.client.releaseConnection(connection);
    }
    return;
  }
  await knex.raw(script);
}
