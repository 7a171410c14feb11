/**
 * Runs generated DDL as fast as each driver allows, through the driver connection itself (not `knex.raw`, which
 * would read `?` in a comment as a binding):
 *
 * - SQLite: one script in one transaction (`exec`);
 * - PostgreSQL: one multi-statement simple query (atomic: it runs as one implicit transaction);
 * - MySQL/MariaDB: batches of statements when the connection has `multipleStatements`, else one by one. DDL
 *   commits implicitly there, so a failure leaves the statements before it in place. Statements marked
 *   `independent` (CREATE TABLEs only) run on up to 4 pooled connections at once with `foreign_key_checks = 0`,
 *   which lets a foreign key name a table created later: InnoDB spends most of a CREATE TABLE waiting for the
 *   disk (a file and a dictionary commit per table), and parallel sessions overlap those waits (1,000 tables:
 *   about 9 s on one connection, 2–3.5 s on four, on the shared 2-core test machine).
 */
import type { Knex } from 'knex';
import type { Dialect } from '../../../src/introspect/model.js';

/** Most bytes of SQL sent in one MySQL batch; far below the server's default `max_allowed_packet` (16 MiB). */
const MYSQL_BATCH_BYTES = 512 * 1024;
/** Most MySQL connections used at once for independent statements. */
const MYSQL_PARALLEL = 4;

export interface RunOptions {
  /** MySQL/MariaDB: the statements are CREATE TABLEs that may run in any order once foreign keys are not checked. */
  readonly independent?: boolean;
}

/** An identifier quoted for the dialect. Names come from fixtures, never from input. */
export function quote(dialect: Dialect, name: string): string {
  return dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}

/** A string literal (standard SQL quoting; fixtures contain no backslashes). */
export function literal(text: string): string {
  if (text.includes('\\')) throw new Error(`fixture text with a backslash: ${text}`);
  return `'${text.replace(/'/g, "''")}'`;
}

interface SqliteConnection {
  exec(sql: string, callback?: (error: Error | null) => void): unknown;
}
interface PgConnection {
  query(sql: string): Promise<unknown>;
}
interface MysqlConnection {
  config?: { multipleStatements?: boolean };
  query(sql: string, callback: (error: Error | null) => void): unknown;
}

/** Runs `statements` (without trailing semicolons) on one connection of the pool (MySQL `independent`: up to 4). */
export async function runStatements(knex: Knex, dialect: Dialect, statements: readonly string[], options: RunOptions = {}): Promise<void> {
  if (statements.length === 0) return;
  if (dialect === 'mysql' && options.independent) {
    const poolMax = (knex.client as { pool?: { max?: number } }).pool?.max ?? 1;
    const width = Math.max(1, Math.min(MYSQL_PARALLEL, poolMax, statements.length));
    const shares = Array.from({ length: width }, (_, share) => statements.filter((_, index) => index % width === share));
    await Promise.all(shares.map((share) => withConnection(knex, (connection) => runMysql(connection as MysqlConnection, share, true))));
    return;
  }
  await withConnection(knex, async (connection) => {
    if (dialect === 'sqlite') {
      const script = `BEGIN;\n${statements.join(';\n')};\nCOMMIT;`;
      const sqlite = connection as SqliteConnection;
      if ((knex.client as { driverName?: string }).driverName === 'better-sqlite3') sqlite.exec(script);
      else await new Promise<void>((resolve, reject) => sqlite.exec(script, (error) => (error ? reject(error) : resolve())));
    } else if (dialect === 'postgresql') {
      await (connection as PgConnection).query(statements.join(';\n'));
    } else {
      await runMysql(connection as MysqlConnection, statements, false);
    }
  });
}

async function withConnection(knex: Knex, work: (connection: unknown) => Promise<void>): Promise<void> {
  const connection: unknown = await knex.client.acquireConnection();
  try {
    await work(connection);
  } finally {
    await knex.client.releaseConnection(connection);
  }
}

async function runMysql(connection: MysqlConnection, statements: readonly string[], uncheckedKeys: boolean): Promise<void> {
  const run = (sql: string) => new Promise<void>((resolve, reject) => connection.query(sql, (error) => (error ? reject(error) : resolve())));
  if (uncheckedKeys) await run('SET foreign_key_checks = 0');
  try {
    if (connection.config?.multipleStatements) {
      for (const batch of batches(statements, MYSQL_BATCH_BYTES)) await run(batch.join(';\n'));
    } else {
      for (const statement of statements) await run(statement);
    }
  } finally {
    // The connection goes back to the host's pool.
    if (uncheckedKeys) await run('SET foreign_key_checks = 1');
  }
}

function batches(statements: readonly string[], maxBytes: number): string[][] {
  const result: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const statement of statements) {
    const size = Buffer.byteLength(statement) + 2;
    if (current.length > 0 && bytes + size > maxBytes) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(statement);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}
