// The README quick start, verbatim below this comment (examples/stdio-examples.test.ts holds them equal and runs it):
// an in-memory SQLite database served to a local MCP client over stdio, until the client closes stdin.
import knex from 'knex';
import { createConexorServer } from 'conexor';
import { serveStdio } from 'conexor/stdio';

const db = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
await db.schema.createTable('users', (t) => { t.increments('id'); t.string('email').unique(); t.string('name'); });
await db('users').insert([{ email: 'ada@example.com', name: 'Ada' }]);

const server = await serveStdio(await createConexorServer(db, { maxRows: 50 }));
server.server.onclose = () => void db.destroy(); // the client left: release the database, and the process exits
