import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import express from 'express';
import { Hono } from 'hono';
import knexFactory, { type Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { conexorHono } from '../../src/adapters/hono.js';
import type { ConexorHttpOptions } from '../../src/adapters/http.js';
import { StaticApiKeyStore, generateApiKey } from '../../src/auth/api-keys.js';
import { createConexor, type Conexor } from '../../src/conexor.js';
import { ConfigurationError } from '../../src/errors.js';

type Kind = 'express' | 'hono';

let knex: Knex;
let cx: Conexor;
const one = generateApiKey({ name: 'agent-one' });
const two = generateApiKey({ name: 'agent-two' });
const store = new StaticApiKeyStore([
  { key: one.key, name: 'agent-one' },
  { key: two.key, name: 'agent-two' },
]);

beforeAll(async () => {
  knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  await knex.schema.createTable('items', (table) => {
    table.increments('id');
    table.string('name');
  });
  await knex('items').insert([{ name: 'apple' }, { name: 'pear' }]);
  cx = await createConexor(knex);
});

afterAll(async () => {
  await knex?.destroy();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A host tool that waits until the test lets it finish, so a request stays in flight as long as needed. */
function slowTool() {
  let entered!: () => void;
  let finish!: () => void;
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const gate = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const onServer: ConexorHttpOptions['onServer'] = (server) => {
    server.registerTool('slow', { description: 'Waits for the test.' }, async () => {
      entered();
      await gate;
      return { content: [{ type: 'text', text: 'done' }] };
    });
  };
  return { onServer, inside, finish: () => finish() };
}

function call(url: URL, key: string, name = 'count_items', id = 1): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${key}` },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } }),
  });
}

async function expectTooMany(response: Response, retryAfter: number): Promise<void> {
  expect(response.status).toBe(429);
  expect(response.headers.get('retry-after')).toBe(String(retryAfter));
  const body = await response.text();
  expect(body).toBe(`{"jsonrpc":"2.0","error":{"code":-32029,"message":"Too many requests: retry after ${retryAfter} s"},"id":null}`);
}

describe.each<Kind>(['express', 'hono'])('limits on %s', (kind) => {
  const servers: Server[] = [];
  const clients: Client[] = [];

  async function mounted(options: ConexorHttpOptions): Promise<URL> {
    let server: Server;
    if (kind === 'express') {
      const app = express();
      app.use('/mcp', conexorExpress(cx, options));
      server = app.listen(0, '127.0.0.1');
    } else {
      const app = new Hono();
      app.route('/mcp', conexorHono(cx, options));
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    }
    servers.push(server);
    if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve));
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  }

  async function client(url: URL, key: string): Promise<Client> {
    const c = new Client({ name: 'conexor-limits-test', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
    clients.push(c);
    return c;
  }

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers 429 with Retry-After to a key over its rate, leaves other keys alone, and lets it in after the window', async () => {
    const url = await mounted({ auth: { store }, limits: { perKeyRate: { points: 3, durationSeconds: 1 } } });
    for (let i = 0; i < 3; i += 1) expect((await call(url, one.key)).status).toBe(200);
    const refused = await call(url, one.key);
    await expectTooMany(refused, 1);
    expect((await call(url, two.key)).status).toBe(200);

    await sleep(1100);
    const again = await call(url, one.key);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ result: { structuredContent: { count: 2 } } });
  });

  it('refuses a second request in flight with per-key concurrency 1, and frees the slot when the first ends', async () => {
    const slow = slowTool();
    const url = await mounted({ auth: { store }, onServer: slow.onServer, limits: { perKeyConcurrency: 1 } });
    const first = call(url, one.key, 'slow');
    await slow.inside;

    await expectTooMany(await call(url, one.key), 1);
    expect((await call(url, two.key)).status).toBe(200);

    slow.finish();
    const done = await first;
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ result: { content: [{ type: 'text', text: 'done' }] } });
    // Released when the response was over: on the SDK path and on the fast path, request after request.
    await expect.poll(async () => (await call(url, one.key, 'slow')).status).toBe(200);
    for (let i = 0; i < 5; i += 1) expect((await call(url, one.key)).status).toBe(200);
  });

  it('refuses requests before reading their body, and releases refused and failed requests', async () => {
    const url = await mounted({ auth: { store }, maxBodyBytes: 200, limits: { perKeyConcurrency: 1, perKeyRate: { points: 4, durationSeconds: 5 } } });
    // A body over the limit (413) and invalid JSON (400) end without leaking the slot.
    expect((await call(url, one.key, 'x'.repeat(300))).status).toBe(413);
    const invalid = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${one.key}` },
      body: '{',
    });
    expect(invalid.status).toBe(400);
    expect((await call(url, one.key)).status).toBe(200);
    expect((await call(url, one.key)).status).toBe(200);
    // The rate is spent; a refused request's oversized body is never read.
    await expectTooMany(await call(url, one.key, 'x'.repeat(300)), 5);
    // A bad key is refused as before and spends nothing.
    expect((await call(url, 'cx_notakey')).status).toBe(401);
  });

  it('serves an SDK client on a sessionful mount with concurrency 1 (the SSE stream holds no slot)', async () => {
    const url = await mounted({ auth: { store }, mode: 'sessionful', limits: { perKeyConcurrency: 1 } });
    const c = await client(url, one.key);
    expect((await c.listTools()).tools.map((tool) => tool.name)).toContain('count_items');
    for (let i = 0; i < 3; i += 1) expect((await c.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 2 });
  });

  it('releases slots on the SDK path of a stateless mount', async () => {
    const url = await mounted({ auth: { store }, fastPath: false, limits: { perKeyConcurrency: 1 } });
    const c = await client(url, one.key);
    for (let i = 0; i < 3; i += 1) expect((await c.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 2 });
  });

  it('limits anonymous callers as one bucket with auth: false', async () => {
    const url = await mounted({ auth: false, limits: { perKeyRate: { points: 1, durationSeconds: 5 } } });
    expect((await call(url, one.key)).status).toBe(200);
    await expectTooMany(await call(url, two.key), 5);
  });

  it('refuses invalid limits when the mount is created', () => {
    const create = kind === 'express' ? conexorExpress : conexorHono;
    expect(() => create(cx, { auth: { store }, limits: { perKeyConcurrency: 0 } })).toThrow(ConfigurationError);
    expect(() => create(cx, { auth: { store }, limits: { perKeyConcurrency: 0 } })).toThrow(/limits\.perKeyConcurrency/);
    expect(() => create(cx, { auth: { store }, limits: { redis: 'redis://127.0.0.1' } })).toThrow(/limits\.redis/);
  });
});
