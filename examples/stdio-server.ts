/**
 * A local MCP server over stdio, for Claude Desktop (see claude_desktop_config.json beside this file).
 * The database URL comes from the environment; stdout carries only MCP messages, so nothing else is printed.
 *
 *   DATABASE_URL=postgres://readonly@localhost/shop npx tsx examples/stdio-server.ts
 */
import knex from 'knex';
import { createConexor } from 'conexor';
import { serveStdio } from 'conexor/stdio';

const db = knex({ client: 'pg', connection: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
const cx = await createConexor(db, { tables: { exclude: ['*_audit', 'conexor_api_keys'] }, maxRows: 100 });
await serveStdio(cx);
