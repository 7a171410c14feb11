/**
 * An existing Express app that mounts conexor at /mcp next to its own routes.
 *
 *   DATABASE_URL=postgres://readonly@localhost/shop CONEXOR_API_KEYS=cx_… npx tsx examples/express-app.ts
 */
import express from 'express';
import knex, { type Knex } from 'knex';
import { KnexApiKeyStore, StaticApiKeyStore, createConexor, type ApiKeyStore } from 'conexor';
import { conexorExpress } from 'conexor/express';

/** Builds the app; exported so tests can mount it on a database of their own. */
export async function createApp(db: Knex, keys: ApiKeyStore): Promise<express.Express> {
  const app = express();
  app.get('/health', (_req, res) => void res.json({ ok: true })); // the host's own route

  const cx = await createConexor(db, { tables: { exclude: ['*_audit'] }, maxRows: 200 });
  app.use('/mcp', conexorExpress(cx, { auth: { store: keys } }));
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });
  // Keys from the environment for a quick start; KnexApiKeyStore keeps them in a table shared by all instances.
  const keys = process.env.CONEXOR_API_KEYS ? StaticApiKeyStore.fromEnvironment(process.env.CONEXOR_API_KEYS) : new KnexApiKeyStore(db);
  const app = await createApp(db, keys);
  app.listen(3000, () => console.log('MCP endpoint on http://localhost:3000/mcp'));
}
