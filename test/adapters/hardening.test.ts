import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import { Hono } from 'hono';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK_ORIGINS, conexorExpress } from '../../src/adapters/express.js';
import { conexorHono } from '../../src/adapters/hono.js';
import type { ConexorHttpOptions } from '../../src/adapters/http.js';
import { KnexApiKeyStore, StaticApiKeyStore, functionSink, generateApiKey, type AuditEvent, type Conexor } from '../../src/index.js';
import { createConexor } from '../../src/conexor.js';
import { serveHttp } from '../../src/cli/http.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

type Kind = 'express' | 'hono';
const KINDS: readonly Kind[] = ['express', 'hono'];

const agent = generateApiKey({ name: 'agent' });
const bystander = generateApiKey({ name: 'bystander' });
const ordersOnly = generateApiKey({ name: 'orders-only', policy: { tables: ['orders'] } });
const store = new StaticApiKeyStore([agent.record, bystander.record, ordersOnly.record]);

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
const INITIALIZE = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const callMessage = (id: number, name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

interface Mounted {
  readonly url: string;
  close(): Promise<void>;
}

async function mount(kind: Kind, cx: Conexor, options: ConexorHttpOptions): Promise<Mounted> {
  let server: Server;
  if (kind === 'express') {
    const app = express();
    app.use('/mcp', conexorExpress(cx, options));
    server = await new Promise<Server>((resolve) => {
      const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
  } else {
    const app = new Hono();
    app.route('/mcp', conexorHono(cx, options));
    server = await new Promise<Server>((resolve) => {
      const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening as Server));
    });
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function post(url: string, key: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...HEADERS, ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers }, body: JSON.stringify(body) });
}

/** A POST with Host and Origin set by hand, as a DNS-rebound browser page would send them (fetch cannot set Host). */
function postWithHost(url: string, host: string, origin: string, key?: string): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const body = JSON.stringify(INITIALIZE);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { ...HEADERS, host, origin, 'content-length': Buffer.byteLength(body), ...(key ? { authorization: `Bearer ${key}` } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A pino logger whose records land in an array. */
function memoryLogger() {
  const records: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, records };
}

describe.each(DIALECTS)('HTTP hardening on %s', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  const events: AuditEvent[] = [];
  const open: Mounted[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await db.knex.schema.createTable('orders', (table) => {
      table.increments('id');
      table.integer('total').notNullable();
    });
    await db.knex.schema.createTable('products', (table) => {
      table.increments('id');
      table.string('name').notNullable();
    });
    await db.knex('orders').insert([{ total: 10 }, { total: 20 }]);
    await db.knex('products').insert([{ name: 'tea' }]);
    cx = await createConexor(db.knex, { audit: { sinks: [functionSink((batch) => void events.push(...batch))] } });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((m) => m.close()));
  });
  afterAll(() => db?.destroy());

  async function mounted(kind: Kind, options: ConexorHttpOptions, target: Conexor = cx): Promise<string> {
    const m = await mount(kind, target, options);
    open.push(m);
    return m.url;
  }
  const eventsOf = (keyId: string) => events.filter((event) => event.caller.keyId === keyId);

  describe.each(KINDS)('on %s', (kind) => {
    it('refuses JSON-RPC batches, so every tool call passes the per-key rate and concurrency limits', async () => {
      const url = await mounted(kind, { auth: { store }, limits: { perKeyRate: { points: 10, durationSeconds: 60 }, perKeyConcurrency: 2 } });
      const before = eventsOf(agent.record.id).length;
      const batch = Array.from({ length: 100 }, (_, index) => callMessage(index + 1, 'count_orders'));
      const refused = await post(url, agent.key, batch);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: expect.stringMatching(/batches are not supported/) as string }, id: null });
      // Nothing ran: no call reached the database or the trail.
      expect(eventsOf(agent.record.id).length).toBe(before);
      // One call per request: the key gets what is left of its 10 points (the refused batch spent one), then 429.
      const statuses: number[] = [];
      for (let index = 0; index < 12; index += 1) statuses.push((await post(url, agent.key, callMessage(index, 'count_orders'))).status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(9);
      expect(statuses.slice(9)).toEqual([429, 429, 429]);
      // Another key is not affected.
      expect((await post(url, bystander.key, callMessage(1, 'count_orders'))).status).toBe(200);

      // Sessionful mounts refuse them too, initialize included.
      const sessions = await mounted(kind, { auth: { store }, mode: 'sessionful' });
      expect((await post(sessions, agent.key, [INITIALIZE])).status).toBe(400);
    });

    it('caps the sessions of one key, so it cannot take every session', async () => {
      const url = await mounted(kind, { auth: { store }, mode: 'sessionful', maxSessions: 10, maxSessionsPerKey: 3 });
      const ids: string[] = [];
      for (let index = 0; index < 3; index += 1) {
        const opened = await post(url, agent.key, INITIALIZE);
        expect(opened.status).toBe(200);
        ids.push(opened.headers.get('mcp-session-id') as string);
      }
      const fourth = await post(url, agent.key, INITIALIZE);
      expect(fourth.status).toBe(429);
      expect(fourth.headers.get('retry-after')).toBe('30');
      expect(await fourth.text()).toMatch(/Too many open sessions for this API key/);
      // Other keys still get sessions.
      expect((await post(url, bystander.key, INITIALIZE)).status).toBe(200);
      // Ending one of its sessions gives the key its slot back.
      const ended = await fetch(url, { method: 'DELETE', headers: { ...HEADERS, authorization: `Bearer ${agent.key}`, 'mcp-session-id': ids[0] as string } });
      expect(ended.status).toBe(200);
      expect((await post(url, agent.key, INITIALIZE)).status).toBe(200);
    });

    it('refuses a forbidden tool and an absent one the same way, on the same path, and records both', async () => {
      // Count the servers each mount builds: the SDK path builds one, the fast path none.
      let built = 0;
      const counting = Object.create(cx, { createServer: { value: () => ((built += 1), cx.createServer()) } }) as Conexor;
      const url = await mounted(kind, { auth: { store } }, counting);
      const before = eventsOf(ordersOnly.record.id).length;
      const forbidden = (await (await post(url, ordersOnly.key, callMessage(1, 'count_products'))).json()) as { result: CallToolResult };
      const absent = (await (await post(url, ordersOnly.key, callMessage(2, 'count_nothing'))).json()) as { result: CallToolResult };
      expect(forbidden.result).toEqual({ content: [{ type: 'text', text: 'MCP error -32602: Tool count_products not found' }], isError: true });
      expect(absent.result).toEqual({ content: [{ type: 'text', text: 'MCP error -32602: Tool count_nothing not found' }], isError: true });
      expect(built).toBe(0);
      const recorded = eventsOf(ordersOnly.record.id).slice(before);
      expect(recorded.map((event) => [event.tool, event.outcome, event.errorCode, event.table])).toEqual([
        ['count_products', 'denied', 'denied', expect.stringMatching(/products$/) as string],
        ['count_nothing', 'invalid', 'unknown_tool', null],
      ]);

      // With host tools, both take the SDK path (where the host's names are known), and only allowed calls are direct.
      const withHost = await mounted(
        kind,
        {
          auth: { store },
          onServer: (server) => {
            server.registerTool('ping_host', { description: 'A tool of the host.' }, () => ({ content: [{ type: 'text', text: 'pong' }] }));
          },
        },
        counting,
      );
      built = 0;
      const startAt = eventsOf(ordersOnly.record.id).length;
      const viaSdk = [
        (await (await post(withHost, ordersOnly.key, callMessage(3, 'count_products'))).json()) as { result: CallToolResult },
        (await (await post(withHost, ordersOnly.key, callMessage(4, 'count_nothing'))).json()) as { result: CallToolResult },
      ];
      expect(built).toBe(2);
      expect(viaSdk.map((answer) => answer.result)).toEqual([forbidden.result, absent.result]);
      expect(((await (await post(withHost, ordersOnly.key, callMessage(5, 'count_orders'))).json()) as { result: CallToolResult }).result.structuredContent).toEqual({ count: 2 });
      expect(built).toBe(2);
      const host = (await (await post(withHost, ordersOnly.key, callMessage(6, 'ping_host', { secret: 'x' }))).json()) as { result: CallToolResult };
      expect(host.result.content).toEqual([{ type: 'text', text: 'pong' }]);
      expect(eventsOf(ordersOnly.record.id).slice(startAt).map((event) => [event.tool, event.operation, event.outcome, event.errorCode])).toEqual([
        ['count_products', 'count', 'denied', 'denied'],
        ['count_nothing', null, 'invalid', 'unknown_tool'],
        ['count_orders', 'count', 'ok', null],
        ['ping_host', 'host', 'ok', null],
      ]);
      // A host tool's argument values are not the policy's to judge: only their names are kept.
      expect(eventsOf(ordersOnly.record.id).at(-1)?.arguments).toEqual({ secret: '[redacted]' });
    });
  });

  it('records a call of an unknown tool over an in-memory MCP client and through callTool, once each', async () => {
    const client = new Client({ name: 'unknown-test', version: '1.0.0' });
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await Promise.all([cx.createServer().connect(serverSide), client.connect(clientSide)]);
    const before = events.length;
    const result = (await client.callTool({ name: 'drop_everything', arguments: { where: 1 } })) as CallToolResult;
    expect(result).toEqual({ content: [{ type: 'text', text: 'MCP error -32602: Tool drop_everything not found' }], isError: true });
    expect(await cx.callTool('drop_everything')).toEqual(result);
    expect(events.slice(before).map((event) => [event.tool, event.outcome, event.errorCode, event.arguments])).toEqual([
      ['drop_everything', 'invalid', 'unknown_tool', { where: '[redacted]' }],
      ['drop_everything', 'invalid', 'unknown_tool', null],
    ]);
    await client.close();
  });

  it('logs refused keys and key store failures for the operator, rate-limited and without secrets', async () => {
    const { logger, records } = memoryLogger();
    const wrong = `${agent.key.slice(0, -4)}AAAA`;
    const url = await mounted('express', { auth: { store }, logger });
    for (let index = 0; index < 30; index += 1) expect((await post(url, wrong, callMessage(index, 'count_orders'))).status).toBe(401);
    expect((await post(url, undefined, callMessage(1, 'count_orders'))).status).toBe(401);
    const refusals = records.filter((record) => record.status === 401);
    // One line per kind of refusal, not one per request.
    expect(refusals.map((record) => [record.reason, record.keyId])).toEqual([
      ['wrong_secret', agent.record.id],
      ['missing', null],
    ]);
    expect(JSON.stringify(records)).not.toContain(wrong.slice(16));
    expect(JSON.stringify(records)).not.toContain(agent.key.slice(16));

    // A key table that does not exist: logged when the mount is created, and on the 503s, with the fix.
    const missing = memoryLogger();
    const tableless = new KnexApiKeyStore(db.knex, { table: 'no_such_keys' });
    const broken = await mounted('hono', { auth: { store: tableless }, logger: missing.logger });
    await expect.poll(() => missing.records.length).toBeGreaterThan(0);
    expect(missing.records[0]).toMatchObject({ level: 50, error: { message: expect.stringMatching(/"no_such_keys" does not exist: create it with createApiKeyTable/) as string } });
    const unavailable = await post(broken, agent.key, callMessage(1, 'count_orders'));
    expect(unavailable.status).toBe(503);
    expect(await unavailable.text()).not.toMatch(/no_such_keys/);
  });
});

describe('a server on loopback (MCP conformance scenario dns-rebinding-protection)', () => {
  // The scenario of @modelcontextprotocol/conformance (which needs Node 22): an initialize with a foreign Host and
  // Origin must get a 4xx, one with a localhost Host and Origin a 2xx. The CLI's `serve --http` is what it runs against.
  let cx: Conexor;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await createTestDatabase('sqlite');
    await db.knex.schema.createTable('notes', (table) => table.increments('id'));
    cx = await createConexor(db.knex);
  });
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it.each([
    ['without authentication (--no-auth)', undefined],
    ['with API keys', store],
  ] as const)('accepts loopback origins and refuses every other one, %s', async (_, keys) => {
    const endpoint = await serveHttp(cx, { host: '127.0.0.1', port: 0, store: keys, allowedOrigins: [] });
    close = endpoint.close;
    const key = keys ? agent.key : undefined;
    const here = `127.0.0.1:${endpoint.port}`;
    expect((await postWithHost(endpoint.url, 'evil.example.com', 'http://evil.example.com', key)).status).toBe(403);
    expect((await postWithHost(endpoint.url, here, 'http://evil.example.com', key)).status).toBe(403);
    expect((await postWithHost(endpoint.url, 'evil.example.com', `http://${here}`, key)).status).toBe(403);
    expect((await postWithHost(endpoint.url, here, 'http://localhost.evil.example.com:1234', key)).status).toBe(403);
    for (const origin of [`http://${here}`, `http://localhost:${endpoint.port}`, 'http://localhost:6274', 'http://[::1]:6274']) {
      const answer = await postWithHost(endpoint.url, here, origin, key);
      expect(answer.status, origin).toBe(200);
      expect(answer.body).toMatch(/"protocolVersion"/);
    }
  });

  it('lets a library mount opt in with LOOPBACK_ORIGINS, and validates wildcard origins at creation', async () => {
    const mounted = await mount('express', cx, { auth: false, allowedOrigins: [...LOOPBACK_ORIGINS] });
    close = mounted.close;
    const host = new URL(mounted.url).host;
    expect((await postWithHost(mounted.url, host, 'http://localhost:6274')).status).toBe(200);
    expect((await postWithHost(mounted.url, host, 'https://127.0.0.1:8443')).status).toBe(200);
    expect((await postWithHost(mounted.url, host, 'http://evil.example.com')).status).toBe(403);
    expect(() => conexorExpress(cx, { auth: false, allowedOrigins: ['http://localhost:*/path'] })).toThrow(/allowedOrigins/);
    expect(() => conexorExpress(cx, { auth: false, cors: { origins: ['http://localhost:*'] } })).toThrow(/cors\.origins/);
  });
});

describe('fail fast where the configuration is wrong', () => {
  it('StaticApiKeyStore.fromEnvironment refuses an unset variable', () => {
    expect(() => StaticApiKeyStore.fromEnvironment(undefined)).toThrow(/unset or holds no API key/);
  });
});
