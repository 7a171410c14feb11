// The README quick start: an in-memory SQLite database served to a local MCP client over stdio.
import knex from 'knex';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createConexorServer } from 'conexor';

const db = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
await db.schema.createTable('users', (t) => {
  t.increments('id');
  t.string('email').unique();
  t.string('name');
});
await db('users').insert([{ email: 'ada@example.com', name: 'Ada' }]);

const server = await createConexorServer(db, { maxRows: 50 });
await server.connect(new StdioServerTransport());
