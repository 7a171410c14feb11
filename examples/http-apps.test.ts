/** The Express and Hono examples, mounted on in-memory SQLite and called over real HTTP by the SDK client. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import knex, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticApiKeyStore, generateApiKey } from 'conexor';
import { createApp as createExpressApp } from './express-app.js';
import { createApp as createHonoApp } from './hono-app.js';

const created = generateApiKey({ name: 'example' });
const keys = new StaticApiKeyStore([created.record]);

async function start(kind: 'express' | 'hono', db: Knex): Promise<Server> {
  if (kind === 'express') {
    const app = await createExpressApp(db, keys);
    return new Promise((resolve) => {
      const server: Server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
  }
  const app = await createHonoApp(db, keys);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(server as Server));
  });
}

describe.each(['express', 'hono'] as const)('the %s example', (kind) => {
  let db: Knex;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    db = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    await db.schema.createTable('orders', (t) => {
      t.increments('id');
      t.string('country');
    });
    await db.schema.createTable('orders_audit', (t) => {
      t.increments('id');
      t.string('change');
    });
    await db('orders').insert([{ country: 'DE' }, { country: 'FR' }, { country: 'DE' }]);
    server = await start(kind, db);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await db.destroy();
  });

  it('keeps serving its own routes', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ ok: true });
  });

  it('serves the generated tools to a client with a key, and only to such a client', async () => {
    const client = new Client({ name: 'example-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${created.key}` } } }),
    );
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(['query_orders', 'query_orders_by_id', 'count_orders', 'aggregate_orders']);
    const result = await client.callTool({ name: 'count_orders', arguments: { where: [{ field: 'country', op: 'eq', value: 'DE' }] } });
    expect(result.structuredContent).toEqual({ count: 2 });
    await client.close();

    const anonymous = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(anonymous.status).toBe(401);
  });
});
