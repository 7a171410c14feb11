import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import type { Dialect } from '../../src/introspect/model.js';

/** Every behaviour is tested on these three databases. */
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgresql', 'mysql'];

export const PG_URL = process.env.CONEXOR_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.CONEXOR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** An isolated, empty database (SQLite memory, PostgreSQL schema, MySQL database) dropped by `destroy`. */
export interface TestDatabase {
  readonly dialect: Dialect;
  readonly knex: Knex;
  /** The schema / database the connection uses by default. */
  readonly schema: string;
  destroy(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A Knex on a fresh isolated database of the given dialect. */
export async function createTestDatabase(dialect: Dialect, prefix = 'cx'): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    return { dialect, knex, schema: 'main', destroy: () => knex.destroy() };
  }
  const schema = uniqueName(prefix);
  if (dialect === 'postgresql') {
    const admin = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE SCHEMA "${schema}"`);
    await admin.destroy();
    const knex = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema], pool: { min: 0, max: 4 } });
    return {
      dialect,
      knex,
      schema,
      async destroy() {
        await knex.raw(`DROP SCHEMA "${schema}" CASCADE`);
        await knex.destroy();
      },
    };
  }
  const admin = knexFactory({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE \`${schema}\` CHARACTER SET utf8mb4`);
  await admin.destroy();
  const url = new URL(MYSQL_URL);
  url.pathname = `/${schema}`;
  const knex = knexFactory({
    client: 'mysql2',
    connection: { uri: url.toString(), multipleStatements: true } as Knex.MySql2ConnectionConfig,
    pool: { min: 0, max: 4 },
  });
  return {
    dialect,
    knex,
    schema,
    async destroy() {
      await knex.raw(`DROP DATABASE \`${schema}\``);
      await knex.destroy();
    },
  };
}
