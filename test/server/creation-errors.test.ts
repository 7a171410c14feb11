/**
 * Mistakes a newcomer makes on the first call to the library: a schema name with a typo, a wrong password, database
 * name or port, a SQLite file that cannot be opened. Each fails `createConexorServer` with one clear line — never
 * silently with zero tools, never with a stack trace on the console, never with the password.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, IntrospectionError, createConexorServer } from '../../src/index.js';
import { connectClient } from '../support/mcp.js';
import { DIALECTS, MYSQL_URL, PG_URL, createTestDatabase, type TestDatabase } from '../support/databases.js';

/** Everything written to the console or the process streams while `work` runs. */
async function captureOutput<T>(work: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; output: string }> {
  let output = '';
  const keep = (...args: unknown[]) => {
    output += `${args.map((arg) => (arg instanceof Error ? (arg.stack ?? arg.message) : String(arg))).join(' ')}\n`;
  };
  const spies = [
    vi.spyOn(console, 'log').mockImplementation(keep),
    vi.spyOn(console, 'warn').mockImplementation(keep),
    vi.spyOn(console, 'error').mockImplementation(keep),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (keep(String(chunk)), true)),
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (keep(String(chunk)), true)),
  ];
  try {
    const [result] = await Promise.allSettled([work()]);
    return { result: result as PromiseSettledResult<T>, output };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** Creates a server on a Knex made from `config`, then destroys the Knex: the error and all the output meanwhile. */
async function failedCreation(config: Knex.Config): Promise<{ error: unknown; output: string }> {
  const { result, output } = await captureOutput(async () => {
    const knex = knexFactory(config);
    try {
      return await createConexorServer(knex);
    } finally {
      await knex.destroy();
    }
  });
  expect(result.status).toBe('rejected');
  return { error: result.status === 'rejected' ? (result.reason as unknown) : undefined, output };
}

function withPassword(url: string, password: string, change: (url: URL) => void = () => undefined): string {
  const parsed = new URL(url);
  parsed.password = password;
  change(parsed);
  return parsed.toString();
}

describe('a schema that does not exist', () => {
  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let db: TestDatabase;
      beforeAll(async () => {
        db = await createTestDatabase(dialect, 'cx_schemas');
        await db.knex.schema.createTable('notes', (table) => table.increments('id'));
      });
      afterAll(async () => db?.destroy());

      it('fails creation naming it and suggesting the close one, instead of serving 0 tools', async () => {
        // One character off: "mian" for SQLite's main, the unique schema name with its last character changed.
        const typo = dialect === 'sqlite' ? 'mian' : `${db.schema.slice(0, -1)}${db.schema.endsWith('z') ? 'y' : 'z'}`;
        const failure = createConexorServer(db.knex, { schemas: [typo] });
        await expect(failure).rejects.toBeInstanceOf(ConfigurationError);
        const word = { sqlite: 'attached database', postgresql: 'schema', mysql: 'database' }[dialect];
        await expect(failure).rejects.toThrow(`schemas: no ${word} "${typo}"; did you mean "${db.schema}"?`);
      });

      it('serves the tools of an existing schema named explicitly', async () => {
        const client = await connectClient(await createConexorServer(db.knex, { schemas: [db.schema] }));
        expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('query_notes');
        await client.close();
      });
    });
  }

  it('says a PostgreSQL system schema is never read', async () => {
    const knex = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
    try {
      await expect(createConexorServer(knex, { schemas: ['pg_catalog'] })).rejects.toThrow('"pg_catalog" is a system schema, never read');
    } finally {
      await knex.destroy();
    }
  });
});

describe('a database that cannot be reached', () => {
  const password = 'Wr0ngPassw0rd-7f3e';
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'conexor-creation-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  /** The rejection is a one-line IntrospectionError with `expected` in it; nothing reached the console. */
  function expectClear(failure: { error: unknown; output: string }, expected: RegExp): void {
    expect(failure.error).toBeInstanceOf(IntrospectionError);
    const message = (failure.error as Error).message;
    expect(message).toMatch(expected);
    expect(message).not.toContain('\n');
    expect(message).not.toContain(password);
    expect(message).not.toMatch(/:\/\//);
    expect(failure.output).toBe('');
  }

  it('MariaDB/MySQL, wrong password: access denied, with the code', async () => {
    const failure = await failedCreation({ client: 'mysql2', connection: withPassword(MYSQL_URL, password), pool: { min: 0, max: 2 } });
    expectClear(failure, /^Could not connect to the MySQL\/MariaDB database: access denied for user '[^']+'@'[^']+'.*\(ER_ACCESS_DENIED_ERROR\)\.$/);
  });

  it('PostgreSQL, database that does not exist', async () => {
    const url = withPassword(PG_URL, password, (parsed) => (parsed.pathname = '/no_such_database_cx'));
    const failure = await failedCreation({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
    expectClear(failure, /^Could not connect to the PostgreSQL database: database "no_such_database_cx" does not exist \(3D000\)\.$/);
  });

  it('PostgreSQL, nothing listening on the port', async () => {
    const url = withPassword(PG_URL, password, (parsed) => (parsed.port = '1'));
    const failure = await failedCreation({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
    expectClear(failure, /^Could not connect to the PostgreSQL database: .*ECONNREFUSED.*:1\b/);
  });

  it('PostgreSQL, password in a connection object is never shown', async () => {
    const parsed = new URL(PG_URL);
    const failure = await failedCreation({
      client: 'pg',
      connection: { host: parsed.hostname, port: Number(parsed.port), user: parsed.username, password, database: 'no_such_database_cx' },
      pool: { min: 0, max: 2 },
    });
    expectClear(failure, /does not exist \(3D000\)/);
  });

  it('SQLite, a file in a directory that does not exist', async () => {
    const failure = await failedCreation({ client: 'better-sqlite3', connection: { filename: join(dir, 'missing', 'shop.sqlite') }, useNullAsDefault: true });
    expectClear(failure, /^Could not connect to the SQLite database: cannot open database because the directory does not exist\.$/);
  });
});
