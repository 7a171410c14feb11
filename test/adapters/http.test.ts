import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import { Hono } from 'hono';
import knexFactory, { type Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { conexorHono } from '../../src/adapters/hono.js';
import type { ConexorHttpOptions } from '../../src/adapters/http.js';
import { serveStdio } from '../../src/adapters/stdio.js';
import { createApiKey, generateApiKey, type ApiKeyRecord, type ManagedApiKeyStore } from '../../src/auth/api-keys.js';
import { createConexor, type Conexor } from '../../src/conexor.js';
import { ConfigurationError } from '../../src/errors.js';

/** A managed key store in memory, as a host would back one with its own database. */
class MemoryKeyStore implements ManagedApiKeyStore {
  readonly records = new Map<string, ApiKeyRecord>();
  /** When set, every lookup fails as an unreachable database would. */
  failing = false;

  find(id: string): Promise<ApiKeyRecord | null> {
    if (this.failing) return Promise.reject(new Error('connect ECONNREFUSED keys-db.internal:5432 (password=hunter2)'));
    return Promise.resolve(this.records.get(id) ?? null);
  }
  touch(id: string, at: Date): Promise<void> {
    const record = this.records.get(id);
    if (record) this.records.set(id, { ...record, lastUsedAt: at });
    return Promise.resolve();
  }
  insert(record: ApiKeyRecord): Promise<void> {
    this.records.set(record.id, record);
    return Promise.resolve();
  }
  list(): Promise<ApiKeyRecord[]> {
    return Promise.resolve([...this.records.values()]);
  }
  revoke(id: string, at: Date): Promise<boolean> {
    const record = this.records.get(id);
    if (!record) return Promise.resolve(false);
    this.records.set(id, { ...record, revokedAt: at });
    return Promise.resolve(true);
  }
}

const UNAUTHORIZED = '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized"},"id":null}';
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
};

type Kind = 'express' | 'hono';

interface Mounted {
  readonly url: URL;
  close(): Promise<void>;
}

let knex: Knex;
let cx: Conexor;
let store: MemoryKeyStore;
const keys = { good: '', other: '', revoked: '', expired: '', unknown: '', wrong: '' };

beforeAll(async () => {
  knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  await knex.schema.createTable('items', (table) => {
    table.increments('id');
    table.string('name');
  });
  await knex('items').insert([{ name: 'apple' }, { name: 'pear' }, { name: 'plum' }]);
  cx = await createConexor(knex);

  store = new MemoryKeyStore();
  keys.good = (await createApiKey(store, { name: 'agent-one', scopes: ['items:read'] })).key;
  keys.other = (await createApiKey(store, { name: 'agent-two' })).key;
  const revoked = await createApiKey(store, { name: 'revoked' });
  await store.revoke(revoked.record.id, new Date(Date.now() - 1000));
  keys.revoked = revoked.key;
  keys.expired = (await createApiKey(store, { name: 'expired', expiresAt: new Date(Date.now() - 1000) })).key;
  keys.unknown = generateApiKey({ name: 'never stored' }).key;
  // The good key's id with another secret.
  keys.wrong = `${keys.good.slice(0, 16)}${'A'.repeat(43)}`;
});

afterAll(async () => {
  await knex?.destroy();
});

/** A host tool that reports what the handler sees of the caller. */
const whoami: ConexorHttpOptions['onServer'] = (server) => {
  server.registerTool('whoami', { description: 'Echoes the caller identity.' }, (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({
          clientId: extra.authInfo?.clientId,
          scopes: extra.authInfo?.scopes,
          keyName: extra.authInfo?.extra?.keyName,
          token: extra.authInfo?.token,
        }),
      },
    ],
  }));
};

async function listen(server: Server): Promise<URL> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return new URL(`http://127.0.0.1:${port}/mcp`);
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function mount(kind: Kind, options: ConexorHttpOptions, target: Conexor = cx): Promise<Mounted> {
  let server: Server;
  if (kind === 'express') {
    const app = express();
    app.use('/mcp', conexorExpress(target, options));
    server = app.listen(0, '127.0.0.1');
  } else {
    const app = new Hono();
    app.route('/mcp', conexorHono(target, options));
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  }
  const url = await listen(server);
  return { url, close: () => stop(server) };
}

function clientTransport(url: URL, key?: string): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(url, key ? { requestInit: { headers: { Authorization: `Bearer ${key}` } } } : undefined);
}

async function connect(url: URL, key?: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = clientTransport(url, key);
  const client = new Client({ name: 'conexor-http-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

function text(result: unknown): string {
  const first = (result as CallToolResult).content[0];
  return first && first.type === 'text' ? first.text : '';
}

interface RawOptions {
  key?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

function raw(url: URL, options: RawOptions = {}): Promise<Response> {
  const method = options.method ?? 'POST';
  return fetch(url, {
    method,
    headers: {
      ...(method === 'POST' ? { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' } : {}),
      ...(options.key ? { Authorization: `Bearer ${options.key}` } : {}),
      ...options.headers,
    },
    body: method === 'POST' ? (options.body ?? JSON.stringify(INITIALIZE)) : undefined,
  });
}

describe.each<Kind>(['express', 'hono'])('%s mount', (kind) => {
  const open: Mounted[] = [];
  const clients: Client[] = [];
  async function mounted(options: ConexorHttpOptions, target?: Conexor): Promise<URL> {
    const m = await mount(kind, options, target);
    open.push(m);
    return m.url;
  }
  async function client(url: URL, key?: string) {
    const connected = await connect(url, key);
    clients.push(connected.client);
    return connected;
  }
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await Promise.all(open.splice(0).map((m) => m.close()));
  });

  it('serves generated and host tools to a good key, and handlers see the caller', async () => {
    const url = await mounted({ auth: { store }, onServer: whoami });
    const { client: c } = await client(url, keys.good);
    const names = (await c.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(['query_items', 'query_items_by_id', 'count_items', 'aggregate_items', 'whoami']);
    const count = await c.callTool({ name: 'count_items', arguments: {} });
    expect(count.structuredContent).toEqual({ count: 3 });

    const who = JSON.parse(text(await c.callTool({ name: 'whoami', arguments: {} }))) as Record<string, unknown>;
    const id = keys.good.split('_')[1];
    expect(who).toEqual({ clientId: id, scopes: ['items:read'], keyName: 'agent-one', token: id });
    expect(JSON.stringify(who)).not.toContain(keys.good.slice(16));
    expect(store.records.get(id as string)?.lastUsedAt).toBeInstanceOf(Date);
  });

  it('refuses every bad key with the same 401 and no hint which check failed', async () => {
    const url = await mounted({ auth: { store } });
    const variants: Record<string, RawOptions> = {
      missing: {},
      malformed: { key: 'not-a-conexor-key' },
      notBearer: { headers: { Authorization: `Basic ${Buffer.from(`u:${keys.good}`).toString('base64')}` } },
      unknown: { key: keys.unknown },
      wrong: { key: keys.wrong },
      revoked: { key: keys.revoked },
      expired: { key: keys.expired },
    };
    for (const [name, options] of Object.entries(variants)) {
      const response = await raw(url, options);
      expect(response.status, name).toBe(401);
      expect(response.headers.get('www-authenticate'), name).toBe('Bearer realm="conexor"');
      expect(await response.text(), name).toBe(UNAUTHORIZED);
    }
    // The same key is accepted, so the refusals above are about the keys.
    expect((await raw(url, { key: keys.good })).status).toBe(200);
    await expect(connect(url, keys.revoked)).rejects.toThrow();
  });

  it('refuses foreign origins and hosts, and accepts allowed ones', async () => {
    const closed = await mounted({ auth: { store } });
    const evil = await raw(closed, { key: keys.good, headers: { Origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    // Never compared with Host: an Origin equal to the server's own address is still foreign by default.
    expect((await raw(closed, { key: keys.good, headers: { Origin: closed.origin } })).status).toBe(403);

    const url = await mounted({ auth: { store }, allowedOrigins: ['http://app.example'], allowedHosts: ['127.0.0.1'] });
    expect((await raw(url, { key: keys.good, headers: { Origin: 'http://app.example' } })).status).toBe(200);
    expect((await raw(url, { key: keys.good, headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    expect((await raw(url, { key: keys.good })).status).toBe(200);
    // A DNS-rebound page reaches us under the attacker's host name.
    expect(await statusWithHost(url, 'evil.example', keys.good)).toBe(403);
    expect(await statusWithHost(url, `127.0.0.1:${url.port}`, keys.good)).toBe(200);
  });

  it('refuses an oversized body with 413, declared or streamed', async () => {
    const url = await mounted({ auth: { store } });
    const big = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, pad: 'x'.repeat(1024 * 1024) } });
    const declared = await raw(url, { key: keys.good, body: big });
    expect(declared.status).toBe(413);
    expect(await declared.text()).toMatch(/Payload too large/);

    const small = await mounted({ auth: { store }, maxBodyBytes: 2048 });
    const chunk = new TextEncoder().encode('x'.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 64 MiB without a Content-Length: a server that read it all before checking would take every chunk.
        if (sent++ < 65_536) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await fetch(small, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${keys.good}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThan(65_536);
    // A body under the limit still passes.
    expect((await raw(small, { key: keys.good })).status).toBe(200);
  });

  it('serves 30 concurrent clients, with a server per request that is closed afterwards', async () => {
    let created = 0;
    let closed = 0;
    const url = await mounted({
      auth: { store },
      onServer: (server) => {
        created += 1;
        server.server.onclose = () => {
          closed += 1;
        };
      },
    });
    const results = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const { client: c } = await client(url, keys.good);
        return (await c.callTool({ name: 'count_items', arguments: {} })).structuredContent;
      }),
    );
    expect(results).toEqual(Array.from({ length: 30 }, () => ({ count: 3 })));
    // initialize and notifications/initialized build a server each; the fast path answers tools/call without one.
    expect(created).toBe(60);
    await expect.poll(() => closed).toBe(created);
  });

  it('builds a server for every request when the fast path is off, and closes each', async () => {
    let created = 0;
    let closed = 0;
    const url = await mounted({
      auth: { store },
      fastPath: false,
      onServer: (server) => {
        created += 1;
        server.server.onclose = () => {
          closed += 1;
        };
      },
    });
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const { client: c } = await client(url, keys.good);
        return (await c.callTool({ name: 'count_items', arguments: {} })).structuredContent;
      }),
    );
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ count: 3 })));
    // initialize, notifications/initialized and tools/call: three POSTs per client.
    expect(created).toBe(30);
    await expect.poll(() => closed).toBe(created);
  });

  it('serves without a key only when auth is explicitly false', async () => {
    const url = await mounted({ auth: false, onServer: whoami });
    const { client: c } = await client(url);
    expect((await c.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });
    expect(JSON.parse(text(await c.callTool({ name: 'whoami', arguments: {} })))).toEqual({});

    const create = kind === 'express' ? conexorExpress : conexorHono;
    expect(() => create(cx, {} as ConexorHttpOptions)).toThrow(ConfigurationError);
    expect(() => create(cx, {} as ConexorHttpOptions)).toThrow(/auth is required/);
    expect(() => create(cx, { auth: { store }, allowedOrigins: ['https://app.example/'] })).toThrow(/allowedOrigins\.0/);
    expect(() => create(cx, { auth: { store }, mode: 'sticky' } as unknown as ConexorHttpOptions)).toThrow(/mode/);
    expect(() => create(cx, { auth: { store }, allowedOrigin: [] } as unknown as ConexorHttpOptions)).toThrow(/allowedOrigin/);
  });

  it('answers GET and DELETE on a stateless endpoint with 405', async () => {
    const url = await mounted({ auth: { store } });
    const get = await raw(url, { key: keys.good, method: 'GET', headers: { Accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect((await raw(url, { key: keys.good, method: 'DELETE' })).status).toBe(405);
    expect((await raw(url, { method: 'GET' })).status).toBe(401);
  });

  it('streams responses as SSE when enableJsonResponse is false', async () => {
    const url = await mounted({ auth: { store }, enableJsonResponse: false });
    const response = await raw(url, { key: keys.good });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await response.text()).toMatch(/"protocolVersion"/);
    const { client: c } = await client(url, keys.good);
    expect((await c.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });
  });

  it('keeps sessions bound to their key and ends them on DELETE', async () => {
    const url = await mounted({ auth: { store }, mode: 'sessionful', onServer: whoami });
    const { client: c, transport } = await client(url, keys.good);
    const sessionId = transport.sessionId;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await c.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });
    expect(JSON.parse(text(await c.callTool({ name: 'whoami', arguments: {} }))).keyName).toBe('agent-one');

    const listing = { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} };
    const sessionHeaders = { 'Mcp-Session-Id': sessionId as string, 'Mcp-Protocol-Version': LATEST_PROTOCOL_VERSION };
    const same = await raw(url, { key: keys.good, headers: sessionHeaders, body: JSON.stringify(listing) });
    expect(same.status).toBe(200);
    const stolen = await raw(url, { key: keys.other, headers: sessionHeaders, body: JSON.stringify(listing) });
    expect(stolen.status).toBe(404);
    expect(await stolen.text()).not.toContain('query_items');
    expect((await raw(url, { headers: sessionHeaders, body: JSON.stringify(listing) })).status).toBe(401);
    const missing = await raw(url, { key: keys.good, body: JSON.stringify(listing) });
    expect(missing.status).toBe(400);

    await transport.terminateSession();
    const ended = await raw(url, { key: keys.good, headers: sessionHeaders, body: JSON.stringify(listing) });
    expect(ended.status).toBe(404);
  });

  it('caps sessions and closes idle ones', async () => {
    const url = await mounted({ auth: { store }, mode: 'sessionful', maxSessions: 1, sessionIdleMs: 300 });
    const first = await raw(url, { key: keys.good });
    expect(first.status).toBe(200);
    const sessionId = first.headers.get('mcp-session-id') as string;
    expect((await raw(url, { key: keys.good })).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const headers = { 'Mcp-Session-Id': sessionId, 'Mcp-Protocol-Version': LATEST_PROTOCOL_VERSION };
    const listing = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    expect((await raw(url, { key: keys.good, headers, body: listing })).status).toBe(404);
    expect((await raw(url, { key: keys.good })).status).toBe(200);
  });

  it('sends no CORS headers by default, and answers preflights for configured origins', async () => {
    const plain = await mounted({ auth: { store }, allowedOrigins: ['http://app.example'] });
    const preflightHeaders = {
      Origin: 'http://app.example',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type',
    };
    const noCors = await raw(plain, { method: 'OPTIONS', headers: preflightHeaders });
    expect(noCors.headers.get('access-control-allow-origin')).toBeNull();
    const post = await raw(plain, { key: keys.good, headers: { Origin: 'http://app.example' } });
    expect(post.status).toBe(200);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();

    const url = await mounted({ auth: { store }, mode: 'sessionful', cors: { origins: ['http://app.example'], maxAgeSeconds: 60 } });
    const preflight = await raw(url, { method: 'OPTIONS', headers: preflightHeaders });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version/);
    expect(preflight.headers.get('access-control-max-age')).toBe('60');
    const foreign = await raw(url, { method: 'OPTIONS', headers: { ...preflightHeaders, Origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const actual = await raw(url, { key: keys.good, headers: { Origin: 'http://app.example' } });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(actual.headers.get('access-control-expose-headers')).toMatch(/Mcp-Session-Id/);
    expect(actual.headers.get('mcp-session-id')).toBeTruthy();
    const refused = await raw(url, { headers: { Origin: 'http://app.example' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://app.example');
  });

  it('answers 503 without details while the key store fails, then recovers', async () => {
    const flaky = new MemoryKeyStore();
    const key = (await createApiKey(flaky, { name: 'flaky' })).key;
    const url = await mounted({ auth: { store: flaky } });
    const steady = await mounted({ auth: { store } });
    flaky.failing = true;
    const failed = await raw(url, { key });
    expect(failed.status).toBe(503);
    const body = await failed.text();
    expect(JSON.parse(body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
    expect(body).not.toMatch(/ECONNREFUSED|keys-db|hunter2/);
    // Other endpoints, and the failing one once its store is back, keep serving.
    expect((await raw(steady, { key: keys.good })).status).toBe(200);
    flaky.failing = false;
    const { client: c } = await client(url, key);
    expect((await c.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });
  });
});

describe('express mount behind a host body parser', () => {
  it('uses the body the host already parsed', async () => {
    const app = express();
    app.use(express.json({ limit: '2mb' }));
    app.use('/mcp', conexorExpress(cx, { auth: { store } }));
    const server = app.listen(0, '127.0.0.1');
    const url = await listen(server);
    try {
      const { client: c } = await connect(url, keys.good);
      expect((await c.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });
      await c.close();
    } finally {
      await stop(server);
    }
  });
});

/** A request with a chosen Host header, which fetch does not let us set. */
function statusWithHost(url: URL, host: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(INITIALIZE);
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          Host: host,
          Authorization: `Bearer ${key}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The client side of a stdio connection over in-process streams, framed exactly as the SDK frames stdio. */
class StreamClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly buffer = new ReadBuffer();

  constructor(
    private readonly input: PassThrough,
    private readonly output: PassThrough,
  ) {}

  start(): Promise<void> {
    this.input.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let message = this.buffer.readMessage(); message; message = this.buffer.readMessage()) this.onmessage?.(message);
    });
    return Promise.resolve();
  }
  send(message: JSONRPCMessage): Promise<void> {
    this.output.write(serializeMessage(message));
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.output.end();
    this.onclose?.();
    return Promise.resolve();
  }
}

describe('serveStdio', () => {
  it('serves a real client over stdio streams and writes nothing but JSON-RPC to stdout', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const written: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => written.push(chunk));

    const server = await serveStdio(cx, { stdin, stdout });
    let closed = false;
    server.server.onclose = () => {
      closed = true;
    };
    const client = new Client({ name: 'conexor-stdio-test', version: '1.0.0' });
    await client.connect(new StreamClientTransport(stdout, stdin));
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('count_items');
    expect((await client.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });

    await client.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(true);
    const lines = Buffer.concat(written).toString('utf8').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
  });

  it('accepts a server the host extended', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const own = cx.createServer();
    whoami?.(own, undefined);
    const served = await serveStdio(own, { stdin, stdout });
    expect(served).toBe(own);
    const client = new Client({ name: 'conexor-stdio-test', version: '1.0.0' });
    await client.connect(new StreamClientTransport(stdout, stdin));
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('whoami');
    await client.close();
  });
});
