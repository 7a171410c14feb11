import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexorServer } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

/**
 * Issue 8, item 3, through a real MCP client: columns whose joined names hold credentials (`passwordhash` is what
 * PostgreSQL makes of an unquoted `passwordHash`) appear nowhere, while look-alikes (`token_count`, `hash_tags`,
 * `secretary_name`) stay queryable.
 */

const quiet = pino({ level: 'silent' });

/** Created by Knex, so spelled the same on every database. */
const JOINED_SECRETS = ['pwdhash', 'authtoken', 'apitoken', 'clientsecret'] as const;
/** Created unquoted in raw SQL: PostgreSQL folds them to `passwordhash`…, MariaDB and SQLite keep the camelCase. */
const UNQUOTED_SECRETS = ['passwordHash', 'accessToken', 'refreshToken'] as const;
/** Every secret column, lower-cased: none may appear in any output, whatever its case. */
const SECRETS = [...JOINED_SECRETS, ...UNQUOTED_SECRETS].map((name) => name.toLowerCase());

const ROWS = 3;
const secretValue = (column: string, id: number) => `S3CRET-${column.toLowerCase()}-${id}`;

describe.each(DIALECTS)('joined secret column names on %s', (dialect) => {
  let db: TestDatabase;
  let client: Client;
  /** The look-alike created unquoted as `tokenCount`, as this database spells it. */
  let tokenCount: string;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_secret_cols');
    const { knex } = db;
    await knex.schema.createTable('accounts', (t) => {
      t.increments('id');
      t.string('email', 100).notNullable();
      for (const column of JOINED_SECRETS) t.string(column, 200);
      t.unique(['authtoken']);
      t.integer('token_count');
      t.string('hash_tags', 200);
      t.string('secretary_name', 100);
      t.string('keyword', 100);
      t.string('passport_country', 2);
      t.boolean('has_password');
    });
    for (const column of UNQUOTED_SECRETS) await knex.raw(`ALTER TABLE accounts ADD COLUMN ${column} varchar(200)`);
    await knex.raw('ALTER TABLE accounts ADD COLUMN tokenCount integer');

    const columns = Object.keys(await knex('accounts').columnInfo());
    tokenCount = dialect === 'postgresql' ? 'tokencount' : 'tokenCount';
    // The point of the test: PostgreSQL really folded the unquoted names to joined lower case.
    const expected = dialect === 'postgresql' ? SECRETS : [...JOINED_SECRETS, ...UNQUOTED_SECRETS];
    expect(columns).toEqual(expect.arrayContaining([...expected, tokenCount]));

    await knex('accounts').insert(
      Array.from({ length: ROWS }, (_, index) => {
        const id = index + 1;
        const row: Record<string, string | number | boolean> = {
          email: `user${id}@example.com`,
          token_count: id * 10,
          hash_tags: `#tag${id}`,
          secretary_name: `Secretary ${id}`,
          keyword: `word${id}`,
          passport_country: id === 1 ? 'FR' : 'DE',
          has_password: id !== 2,
          [tokenCount]: id * 100,
        };
        for (const column of columns) if (SECRETS.includes(column.toLowerCase())) row[column] = secretValue(column, id);
        return row;
      }),
    );
    client = await connectClient(await createConexorServer(knex, { logger: quiet }));
  });

  afterAll(async () => {
    await client?.close();
    await db?.destroy();
  });

  /** Asserts that no secret column name nor any secret value occurs in `text`, in any case. */
  function expectNoSecret(what: string, text: string): void {
    const lower = text.toLowerCase();
    for (const name of SECRETS) expect(lower, `${what} names ${name}`).not.toContain(name);
    for (const name of SECRETS) expect(lower, `${what} holds a value of ${name}`).not.toContain(`s3cret-${name}`);
  }

  async function ok(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const result = await call(client, name, args);
    expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
    return result;
  }

  const rowsOf = (result: CallToolResult) => (result.structuredContent as { rows: Record<string, unknown>[] }).rows;

  it('lists no secret column in tools, instructions or the schema resource', async () => {
    const { tools } = await client.listTools();
    expectNoSecret('tools/list', JSON.stringify(tools));
    // No lookup by the unique authtoken either.
    expect(tools.map((tool) => tool.name).sort()).toEqual(['aggregate_accounts', 'count_accounts', 'query_accounts', 'query_accounts_by_id']);
    expectNoSecret('the instructions', client.getInstructions() ?? '');
    const resource = await client.readResource({ uri: 'conexor://schema' });
    const content = resource.contents[0];
    const text = content && 'text' in content ? content.text : '';
    expect(text).toContain('secretary_name');
    expectNoSecret('conexor://schema', text);
  });

  it('returns no secret column or value, and refuses every argument naming one', async () => {
    const results = [
      await ok('query_accounts', { limit: 100 }),
      await ok('query_accounts_by_id', { id: 1 }),
      await ok('count_accounts'),
      await ok('aggregate_accounts', { group_by: ['passport_country'], metrics: [{ fn: 'count' }] }),
    ];
    expectNoSecret('the results', JSON.stringify(results));
    // MariaDB's BOOLEAN is a tinyint(1), read as an integer: only there does the name alone decide, and it hides.
    const lookAlikes = ['hash_tags', 'keyword', 'passport_country', 'secretary_name', 'token_count', tokenCount];
    const visible = ['email', 'id', ...lookAlikes, ...(dialect === 'mysql' ? [] : ['has_password'])];
    expect(Object.keys(rowsOf(results[0] as CallToolResult)[0] ?? {}).sort()).toEqual(visible.sort());

    const names = [...JOINED_SECRETS, ...UNQUOTED_SECRETS, ...SECRETS];
    for (const field of new Set(names)) {
      for (const [tool, args] of [
        ['query_accounts', { columns: [field] }],
        ['query_accounts', { where: [{ field, op: 'eq', value: secretValue(field, 1) }] }],
        ['query_accounts', { order_by: [{ field }] }],
        ['count_accounts', { where: [{ field, op: 'starts_with', value: 'S3CRET' }] }],
        ['aggregate_accounts', { group_by: [field] }],
        ['aggregate_accounts', { metrics: [{ fn: 'max', field }] }],
        ['query_accounts_by_authtoken', { authtoken: secretValue('authtoken', 1) }],
      ] as const) {
        const result = await call(client, tool, args);
        expect(result.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
        expect(textOf(result)).not.toContain('S3CRET-');
      }
    }
  });

  it('keeps the look-alikes queryable', async () => {
    const found = await ok('query_accounts', {
      columns: ['id', 'token_count', 'hash_tags', 'secretary_name', 'keyword', 'passport_country', tokenCount],
      where: [
        { field: 'token_count', op: 'gte', value: 20 },
        { field: 'hash_tags', op: 'starts_with', value: '#tag' },
        { field: tokenCount, op: 'lt', value: 300 },
      ],
      order_by: [{ field: 'secretary_name', direction: 'desc' }],
    });
    expect(rowsOf(found)).toEqual([
      { id: 2, token_count: 20, hash_tags: '#tag2', secretary_name: 'Secretary 2', keyword: 'word2', passport_country: 'DE', [tokenCount]: 200 },
    ]);
    const perCountry = await ok('aggregate_accounts', {
      group_by: ['passport_country'],
      metrics: [{ fn: 'count' }, { fn: 'max', field: 'token_count', as: 'most' }],
      order_by: [{ by: 'passport_country' }],
    });
    expect(rowsOf(perCountry)).toEqual([
      { passport_country: 'DE', count: 2, most: 30 },
      { passport_country: 'FR', count: 1, most: 10 },
    ]);
    if (dialect !== 'mysql') {
      const withPassword = await ok('count_accounts', { where: [{ field: 'has_password', op: 'eq', value: true }] });
      expect(withPassword.structuredContent).toMatchObject({ count: 2 });
    }
  });
});
