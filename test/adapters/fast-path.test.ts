import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { conexorHono } from '../../src/adapters/hono.js';
import type { ConexorHttpOptions } from '../../src/adapters/http.js';
import { StaticApiKeyStore, generateApiKey } from '../../src/auth/api-keys.js';
import { createConexor, type Conexor } from '../../src/conexor.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

const created = generateApiKey({ name: 'fast-path' });
const store = new StaticApiKeyStore([created.record]);
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
  authorization: `Bearer ${created.key}`,
};

interface Answer {
  status: number;
  contentType: string | null;
  body: unknown;
}

/** Requests both paths must answer alike: generated tools, errors, and everything the fast path declines. */
const CASES: { name: string; headers?: Record<string, string>; body: unknown }[] = [
  { name: 'tools/list', body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } },
  { name: 'tools/list with a string id', body: { jsonrpc: '2.0', id: 'list-1', method: 'tools/list', params: {} } },
  { name: 'count', body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'count_items', arguments: {} } } },
  {
    name: 'query with filters and ordering',
    body: {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: {
        name: 'query_items',
        arguments: { where: [{ field: 'price', op: 'gte', value: 2 }], order_by: [{ field: 'name', direction: 'desc' }] },
      },
    },
  },
  { name: 'lookup', body: { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'query_items_by_id', arguments: { id: 2 } } } },
  { name: 'lookup miss', body: { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'query_items_by_id', arguments: { id: 99 } } } },
  {
    name: 'invalid arguments',
    body: { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'query_items', arguments: { where: [{ field: 'nope', op: 'eq', value: 1 }] } } },
  },
  { name: 'no arguments at all', body: { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'count_items' } } },
  { name: 'unknown tool', body: { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'drop_items', arguments: {} } } },
  { name: 'ping', body: { jsonrpc: '2.0', id: 9, method: 'ping' } },
  { name: 'a notification', body: { jsonrpc: '2.0', method: 'notifications/initialized' } },
  { name: 'a batch', body: [{ jsonrpc: '2.0', id: 10, method: 'tools/list' }] },
  {
    name: 'progress _meta',
    body: { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'count_items', arguments: {}, _meta: { progressToken: 't' } } },
  },
  { name: 'no SSE in Accept', headers: { accept: 'application/json' }, body: { jsonrpc: '2.0', id: 12, method: 'tools/list' } },
  { name: 'wrong content type', headers: { 'content-type': 'text/plain' }, body: { jsonrpc: '2.0', id: 13, method: 'tools/list' } },
  {
    name: 'unsupported protocol version',
    headers: { 'mcp-protocol-version': '1999-01-01' },
    body: { jsonrpc: '2.0', id: 14, method: 'tools/call', params: { name: 'count_items', arguments: {} } },
  },
  { name: 'not JSON-RPC', body: { id: 15, method: 'tools/list' } },
];

type Kind = 'express' | 'hono';

async function listen(kind: Kind, cx: Conexor, options: ConexorHttpOptions): Promise<{ url: string; server: Server }> {
  if (kind === 'express') {
    const app = express();
    app.use('/mcp', conexorExpress(cx, options));
    const server = await new Promise<Server>((resolve) => {
      const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server };
  }
  const app = new Hono();
  app.route('/mcp', conexorHono(cx, options));
  const server = await new Promise<Server>((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening as Server));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server };
}

async function ask(url: string, headers: Record<string, string>, body: unknown): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), body: text ? (JSON.parse(text) as unknown) : null };
}

describe.each(DIALECTS)('the fast path answers like the SDK path on %s', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await db.knex.schema.createTable('items', (table) => {
      table.increments('id');
      table.string('name').notNullable();
      table.decimal('price', 10, 2);
    });
    await db.knex('items').insert([
      { name: 'apple', price: '1.50' },
      { name: 'pear', price: '2.25' },
      { name: 'plum', price: '3.00' },
    ]);
    cx = await createConexor(db.knex);
  });
  afterAll(() => db?.destroy());

  it.each(['express', 'hono'] as const)('on %s', async (kind) => {
    // Count the servers each mount builds: the fast path must not build any for what it answers.
    let built = 0;
    const counting = Object.create(cx, {
      createServer: { value: () => ((built += 1), cx.createServer()) },
    }) as Conexor;
    const fast = await listen(kind, counting, { auth: { store } });
    const sdk = await listen(kind, cx, { auth: { store }, fastPath: false });
    try {
      for (const entry of CASES) {
        const headers = { ...HEADERS, ...entry.headers };
        const before = built;
        const [viaFast, viaSdk] = await Promise.all([ask(fast.url, headers, entry.body), ask(sdk.url, headers, entry.body)]);
        expect(viaFast, entry.name).toEqual(viaSdk);
        const answeredDirectly = built === before;
        // An unknown tool is refused where a forbidden one is (here), so timing cannot tell them apart; a batch is
        // refused before any path.
        const expectedDirect = ['tools/list', 'tools/list with a string id', 'count', 'query with filters and ordering', 'lookup', 'lookup miss', 'invalid arguments', 'no arguments at all', 'unknown tool', 'a batch'].includes(entry.name);
        expect(answeredDirectly, `${entry.name}: answered without an SDK server`).toBe(expectedDirect);
      }
    } finally {
      fast.server.close();
      sdk.server.close();
    }
  });
});
