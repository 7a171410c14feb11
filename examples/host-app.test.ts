/**
 * How a host app unit-tests its conexor setup: in-memory SQLite, the app's own policy, a real MCP client.
 * Copy this next to your app's tests and replace the schema with your migrations.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import knex, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor, type ConexorOptions } from 'conexor';

// The app's policy, as it is configured in production.
const policy: ConexorOptions = { tables: { exclude: ['sessions'] }, hiddenColumns: { users: ['phone'] }, maxRows: 50 };

describe('our conexor setup', () => {
  let db: Knex;
  let cx: Conexor;
  let client: Client;

  beforeAll(async () => {
    db = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    await db.schema.createTable('users', (t) => {
      t.increments('id');
      t.string('email').notNullable().unique();
      t.string('phone');
      t.string('password_hash');
    });
    await db.schema.createTable('sessions', (t) => {
      t.string('token').primary();
      t.integer('user_id');
    });
    await db('users').insert([
      { email: 'ada@example.com', phone: '+44 20 0000', password_hash: 'x' },
      { email: 'bob@example.com', phone: '+1 555 0000', password_hash: 'y' },
    ]);
    cx = await createConexor(db, policy);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    client = new Client({ name: 'host-app-test', version: '1.0.0' });
    await Promise.all([cx.createServer().connect(serverSide), client.connect(clientSide)]);
  });
  afterAll(() => db.destroy());

  it('exposes users but not sessions', async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('query_users_by_email');
    expect(names.some((name) => name.includes('sessions'))).toBe(false);
  });

  it('never shows phone numbers or password hashes', async () => {
    const result = await client.callTool({ name: 'query_users', arguments: {} });
    expect(result.structuredContent).toEqual({
      rows: [
        { id: 1, email: 'ada@example.com' },
        { id: 2, email: 'bob@example.com' },
      ],
      truncated: false,
    });
  });

  it('answers the question the app cares about', async () => {
    const result = await cx.callTool('count_users', { where: [{ field: 'email', op: 'ends_with', value: '@example.com' }] });
    expect(result.structuredContent).toEqual({ count: 2 });
  });
});
