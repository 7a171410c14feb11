/**
 * A Hono app (on Node with @hono/node-server) that mounts conexor at /mcp next to its own routes.
 *
 *   DATABASE_URL=postgres://readonly@localhost/shop CONEXOR_API_KEYS=cx_… npx tsx examples/hono-app.ts
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import knex, { type Knex } from 'knex';
import { StaticApiKeyStore, createConexor, type ApiKeyStore } from 'conexor';
import { conexorHono } from 'conexor/hono';

/** Builds the app; exported so tests can mount it on a database of their own. */
export async function createApp(db: Knex, keys: ApiKeyStore): Promise<Hono> {
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true })); // the host's own route

  const cx = await createConexor(db, { tables: { exclude: ['*_audit'] }, maxRows: 200 });
  app.route('/mcp', conexorHono(cx, { auth: { store: keys }, allowedOrigins: ['https://admin.example.com'] }));
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });
  const app = await createApp(db, StaticApiKeyStore.fromEnvironment(process.env.CONEXOR_API_KEYS));
  serve({ fetch: app.fetch, port: 3000 }, () => console.log('MCP endpoint on http://localhost:3000/mcp'));
}
