import { createHash } from 'node:crypto';
import { rowsOf } from '../../src/introspect/shared.js';
import type { Dialect } from '../../src/introspect/model.js';
import type { TestDatabase } from './databases.js';

/** The test database's tables, their columns, and a SHA-256 over every row: equal snapshots mean nothing changed. */
export interface Snapshot {
  readonly tables: string[];
  readonly columns: string[];
  readonly checksum: string;
}

type Row = Record<string, unknown>;

const quote = (dialect: Dialect, name: string) => (dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`);

/** Raw SQL whose identifiers may contain `?`: only Knex's PostgreSQL client would read it as a binding. */
const exec = async (db: TestDatabase, sql: string) => rowsOf<Row>(await db.knex.raw(db.dialect === 'postgresql' ? sql.replace(/\?/g, '\\?') : sql));

/** Reads the test schema directly through Knex: every table and view, its columns, keys and nullability, and every row. */
export async function snapshot(db: TestDatabase): Promise<Snapshot> {
  const { knex, dialect } = db;
  let tables: string[];
  let columns: string[];
  if (dialect === 'sqlite') {
    const objects = rowsOf<Row>(await knex.raw("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"));
    tables = objects.filter((row) => row.type === 'table').map((row) => String(row.name));
    columns = objects.map((row) => `${String(row.type)}:${String(row.tbl_name)}.${String(row.name)}`);
    for (const table of tables) {
      const info = await exec(db, `PRAGMA table_info(${quote(dialect, table)})`);
      columns.push(...info.map((column) => `${table}.${String(column.name)}:${String(column.type)}:${String(column.notnull)}:${String(column.pk)}`));
    }
    // An ATTACH would add a database beside the test one.
    const attached = rowsOf<Row>(await knex.raw('PRAGMA database_list'));
    columns.push(...attached.map((row) => `database:${String(row.name)}`));
  } else {
    const listed = rowsOf<Row>(await knex.raw('SELECT table_name AS name, table_type AS type FROM information_schema.tables WHERE table_schema = ?', [db.schema]));
    tables = listed.map((row) => String(row.name));
    const described = rowsOf<Row>(
      await knex.raw(
        'SELECT table_name AS t, column_name AS c, data_type AS d, is_nullable AS n FROM information_schema.columns WHERE table_schema = ?',
        [db.schema],
      ),
    );
    columns = [
      ...listed.map((row) => `${String(row.type)}:${String(row.name)}`),
      ...described.map((row) => `${String(row.t)}.${String(row.c)}:${String(row.d)}:${String(row.n)}`),
    ];
  }
  const hash = createHash('sha256');
  for (const table of [...tables].sort()) {
    const rows = await exec(db, `SELECT * FROM ${quote(dialect, table)}`);
    const lines = rows.map((row) =>
      JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value instanceof Date ? value.toISOString() : value)),
    );
    hash.update(`${table}\n${lines.sort().join('\n')}\n`);
  }
  return { tables: tables.sort(), columns: columns.sort(), checksum: hash.digest('hex') };
}
