/**
 * A local MCP server over stdio, for Claude Desktop (see claude_desktop_config.json beside this file).
 * The database URL comes from the environment; stdout carries only MCP messages, so nothing else is printed.
 * The process exits when the client closes stdin (Claude Desktop quitting or restarting the server).
 *
 *   DATABASE_URL=postgres://readonly@localhost/shop npx tsx examples/stdio-server.ts
 */
import knex from 'knex';
import { createConexor } from 'conexor';
import { serveStdio } from 'conexor/stdio';

const db = knex({ client: 'pg', connection: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
const cx = await createConexor(db, { tables: { exclude: ['*_audit'] }, maxRows: 100 });
const server = await serveStdio(cx);
// Without this, the pool's open connections would keep the process alive after the client left.
server.server.onclose = () => void cx.close().finally(() => db.destroy());
