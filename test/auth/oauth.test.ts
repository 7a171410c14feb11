/**
 * conexor as an OAuth 2.1 resource server, end to end: a JWKS signer started by the test (no network beyond
 * 127.0.0.1), Express and Hono mounts, and a real MCP client over Streamable HTTP presenting the tokens. Databases
 * are real (SQLite, PostgreSQL, MariaDB), and the tenant of each caller comes from a claim of its token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import { Hono } from 'hono';
import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { conexorHono } from '../../src/adapters/hono.js';
import type { ConexorHttpOptions } from '../../src/adapters/http.js';
import { functionSink, type AuditEvent } from '../../src/audit/index.js';
import { StaticApiKeyStore, generateApiKey } from '../../src/auth/api-keys.js';
import type { OAuthOptions } from '../../src/auth/oauth.js';
import { createConexor, type Conexor } from '../../src/conexor.js';
import { ConfigurationError } from '../../src/errors.js';
import type { Dialect } from '../../src/introspect/model.js';
import { captureLogger } from '../audit/support.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

type Kind = 'express' | 'hono';

/** The MCP endpoint's public URL (behind a TLS proxy in production): the audience every token must carry. */
const AUDIENCE = 'https://mcp.example.test/mcp';
const METADATA_URL = 'https://mcp.example.test/.well-known/oauth-protected-resource/mcp';
const SCOPE = 'conexor:read';

interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A minimal authorization server on 127.0.0.1: its key set (`keys` can be rotated at any time), its metadata
 * (RFC 8414) and a `client_credentials` token endpoint signing with `signer`, as the SDK's client expects.
 */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  signer: SigningKey | undefined;
  /** Every token request's form: `resource` (RFC 8707) and `scope` as the client sent them. */
  readonly tokenRequests: URLSearchParams[] = [];
  private server: Server | undefined;
  url = '';
  issuer = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/.well-known/oauth-authorization-server') {
        return json(200, {
          issuer: this.issuer,
          // Required by the metadata schema; this server only issues client_credentials tokens.
          authorization_endpoint: `${this.issuer}authorize`,
          token_endpoint: `${this.issuer}token`,
          jwks_uri: this.url,
          grant_types_supported: ['client_credentials'],
          token_endpoint_auth_methods_supported: ['client_secret_basic'],
          response_types_supported: ['code'],
        });
      }
      if (req.url === '/token' && req.method === 'POST') {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => void this.issue(req.headers.authorization, new URLSearchParams(Buffer.concat(chunks).toString())).then(([status, body]) => json(status, body)));
        return;
      }
      this.fetches += 1;
      json(200, { keys: this.keys });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/jwks.json`;
    this.issuer = `http://127.0.0.1:${port}/`;
    return this;
  }

  /** client_credentials for `reporting-agent:s3cret` only; the token's audience is the requested resource. */
  private async issue(authorization: string | undefined, form: URLSearchParams): Promise<[number, unknown]> {
    this.tokenRequests.push(form);
    const basic = `Basic ${Buffer.from('reporting-agent:s3cret').toString('base64')}`;
    if (authorization !== basic || form.get('grant_type') !== 'client_credentials' || !this.signer) return [401, { error: 'invalid_client' }];
    const now = Math.floor(Date.now() / 1000);
    const scope = form.get('scope') ?? '';
    const accessToken = await new SignJWT({ client_id: 'reporting-agent', scope, tenant: 'globex' })
      .setProtectedHeader({ alg: this.signer.alg, kid: this.signer.kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setAudience(form.get('resource') ?? 'none')
      .setSubject('reporting-agent')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(this.signer.privateKey);
    return [200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope }];
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let jwks: JwksServer;
let rsa: SigningKey;
let ec: SigningKey;
/** Never published: tokens it signs carry a published kid but a signature no published key verifies. */
let stranger: SigningKey;

interface TokenOptions {
  key?: SigningKey;
  /** Claims over the defaults; `undefined` removes a claim. */
  claims?: Record<string, unknown>;
  kid?: string;
}

/** An access token as the test's authorization server issues it: alice of tenant acme, valid for 5 minutes. */
async function token(options: TokenOptions = {}): Promise<string> {
  const key = options.key ?? rsa;
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: jwks.issuer,
    aud: AUDIENCE,
    sub: 'alice',
    client_id: 'claude-connector',
    scope: `openid ${SCOPE}`,
    tenant: 'acme',
    iat: now,
    exp: now + 300,
    ...options.claims,
  };
  for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'at+jwt' }).sign(key.privateKey);
}

function oauthOptions(overrides: Partial<OAuthOptions> = {}): OAuthOptions {
  return { issuer: jwks.issuer, audience: AUDIENCE, jwksUri: jwks.url, requiredScopes: [SCOPE], ...overrides };
}

const claimsOf = (authInfo: AuthInfo | undefined) => authInfo?.extra?.claims as { tenant?: unknown; role?: unknown } | undefined;

// ---------------------------------------------------------------------------------------------------------------
// Databases: items (not scoped) and notes (scoped by tenant), on every dialect.

interface Backend {
  readonly db: TestDatabase;
  readonly cx: Conexor;
  readonly events: AuditEvent[];
  readonly lines: string[];
}

const backends = new Map<Dialect, Backend>();

async function backend(dialect: Dialect): Promise<Backend> {
  const db = await createTestDatabase(dialect, 'oauth');
  await db.knex.schema.createTable('items', (table) => {
    table.increments('id');
    table.string('name', 40).notNullable();
  });
  await db.knex.schema.createTable('notes', (table) => {
    table.increments('id');
    table.string('tenant', 20).notNullable();
    table.string('body', 80).notNullable();
  });
  await db.knex('items').insert([{ name: 'apple' }, { name: 'pear' }, { name: 'plum' }]);
  await db.knex('notes').insert([
    { tenant: 'acme', body: 'acme plan' },
    { tenant: 'acme', body: 'acme budget' },
    { tenant: 'globex', body: 'globex secret' },
  ]);
  const events: AuditEvent[] = [];
  const { logger, lines } = captureLogger('info');
  const cx = await createConexor(db.knex, {
    logger,
    scope: { columns: ['tenant'], values: ({ authInfo }) => ({ tenant: claimsOf(authInfo)?.tenant as string | undefined }) },
    audit: { sinks: [functionSink((batch) => void events.push(...batch))] },
  });
  return { db, cx, events, lines };
}

const apiKey = generateApiKey({ name: 'nightly-report' });
const store = new StaticApiKeyStore([apiKey.record]);

beforeAll(async () => {
  jwks = await new JwksServer().start();
  [rsa, ec, stranger] = await Promise.all([signingKey('rsa-1', 'RS256'), signingKey('ec-1', 'ES256'), signingKey('rsa-1', 'RS256')]);
  jwks.keys = [rsa.jwk, ec.jwk];
  for (const dialect of DIALECTS) backends.set(dialect, await backend(dialect));
});

afterAll(async () => {
  await jwks?.stop();
  await Promise.all([...backends.values()].map((entry) => entry.db.destroy()));
});

// ---------------------------------------------------------------------------------------------------------------
// Mounting, exactly as docs/auth.md shows it.

interface Mounted {
  /** The MCP endpoint. */
  readonly url: URL;
  readonly lines: string[];
  close(): Promise<void>;
}

type MountOptions = Omit<ConexorHttpOptions, 'logger'>;

/** Mounts at `/mcp`; `options` may depend on the endpoint's own URL (an audience that is the real address). */
async function mount(kind: Kind, cx: Conexor, options: MountOptions | ((url: URL) => MountOptions)): Promise<Mounted> {
  const { logger, lines } = captureLogger('info');
  // Listen first, so the options can name the endpoint's URL; requests wait for the handler.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  const resolved = { ...(typeof options === 'function' ? options(url) : options), logger };
  if (kind === 'express') {
    const app = express();
    const mcp = conexorExpress(cx, resolved);
    app.use('/mcp', mcp);
    app.use(mcp.wellKnown);
    handler = app;
  } else {
    const app = new Hono();
    const mcp = conexorHono(cx, resolved);
    app.route('/mcp', mcp);
    app.route('/', mcp.wellKnown);
    handler = getRequestListener(app.fetch);
  }
  return {
    url,
    lines,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function connect(url: URL, bearer: string | undefined): Promise<Client> {
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  const headers: Record<string, string> = bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` };
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  return client;
}

/** A raw `tools/list` POST, to read status and headers the client does not expose. */
function post(url: URL, bearer?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` }),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  return ((result as CallToolResult).structuredContent as { rows: Record<string, unknown>[] }).rows;
}

const sqlite = () => backends.get('sqlite') as Backend;

describe.each<Kind>(['express', 'hono'])('OAuth on %s', (kind) => {
  const open: Mounted[] = [];
  const clients: Client[] = [];
  async function mounted(options: MountOptions | ((url: URL) => MountOptions), cx: Conexor = sqlite().cx): Promise<Mounted> {
    const m = await mount(kind, cx, options);
    open.push(m);
    return m;
  }
  async function client(url: URL, bearer: string | undefined): Promise<Client> {
    const c = await connect(url, bearer);
    clients.push(c);
    return c;
  }
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await Promise.all(open.splice(0).map((m) => m.close()));
  });

  it.each(DIALECTS)('serves a valid token on %s: tools, calls scoped to the tenant of its claim, audited by subject', async (dialect) => {
    const { cx, events, lines } = backends.get(dialect) as Backend;
    const m = await mounted({ auth: { oauth: oauthOptions() } }, cx);
    const acme = await token();
    const c = await client(m.url, acme);
    const names = (await c.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['query_items', 'count_items', 'query_notes', 'count_notes']));

    expect((await c.callTool({ name: 'count_notes', arguments: {} })).structuredContent).toEqual({ count: 2 });
    const rows = rowsOf(await c.callTool({ name: 'query_notes', arguments: { order_by: [{ field: 'id' }] } }));
    expect(rows.map((row) => row.body)).toEqual(['acme plan', 'acme budget']);

    // Another tenant, from another token's claim, on the same mount: its own rows only.
    const globex = await token({ key: ec, claims: { sub: 'bob', client_id: undefined, azp: 'web-app', tenant: 'globex' } });
    const other = await client(m.url, globex);
    expect((await other.callTool({ name: 'count_notes', arguments: {} })).structuredContent).toEqual({ count: 1 });
    // A token without the claim gets no rows of a scoped table: the call is denied.
    const tenantless = await client(m.url, await token({ claims: { sub: 'carol', tenant: undefined } }));
    expect((await tenantless.callTool({ name: 'count_notes', arguments: {} })).isError).toBe(true);

    const mine = events.filter((event) => event.tool === 'count_notes').slice(-3);
    expect(mine.map((event) => event.caller)).toEqual([
      { keyId: 'claude-connector', keyName: null, subject: 'alice' },
      { keyId: 'web-app', keyName: null, subject: 'bob' },
      { keyId: 'claude-connector', keyName: null, subject: 'carol' },
    ]);
    for (const secret of [acme, globex, acme.split('.')[2] as string]) {
      expect(JSON.stringify(events)).not.toContain(secret);
      expect(lines.join('')).not.toContain(secret);
      expect(m.lines.join('')).not.toContain(secret);
    }
  });

  it('answers a request without a token with 401 pointing to the metadata, and serves the metadata document', async () => {
    const m = await mounted({ auth: { oauth: oauthOptions() } });
    const response = await post(m.url);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="conexor", scope="${SCOPE}", resource_metadata="${METADATA_URL}"`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    await expect(client(m.url, undefined)).rejects.toMatchObject({ code: 401 });

    // The metadata sits at the resource's well-known path (and at the root one), outside the endpoint's own path.
    for (const path of [new URL(METADATA_URL).pathname, '/.well-known/oauth-protected-resource']) {
      const metadata = await fetch(new URL(path, m.url), { headers: { Origin: 'https://claude.ai' } });
      expect(metadata.status).toBe(200);
      expect(metadata.headers.get('content-type')).toMatch(/^application\/json/);
      expect(metadata.headers.get('access-control-allow-origin')).toBe('*');
      expect(await metadata.json()).toEqual({
        resource: AUDIENCE,
        authorization_servers: [jwks.issuer],
        scopes_supported: [SCOPE],
        bearer_methods_supported: ['header'],
      });
    }
    const preflight = await fetch(new URL(new URL(METADATA_URL).pathname, m.url), { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/MCP-Protocol-Version/i);
    // Other well-known paths are the host's business.
    expect((await fetch(new URL('/.well-known/oauth-protected-resource/other', m.url))).status).toBe(404);
    expect((await fetch(new URL('/mcp/.well-known/oauth-protected-resource', m.url))).status).not.toBe(200);
  });

  it("lets the SDK's own OAuth client find the authorization server from the 401 and get a token for this resource", async () => {
    jwks.signer = ec;
    const m = await mounted((url) => ({ auth: { oauth: oauthOptions({ audience: url.href }) } }));
    const before = jwks.tokenRequests.length;
    // No token configured: the client meets the 401, reads resource_metadata, discovers the authorization server
    // from the metadata, asks it for a token for this resource (RFC 8707 `resource`), and retries with it.
    const provider = new ClientCredentialsProvider({ clientId: 'reporting-agent', clientSecret: 's3cret', expectedIssuer: jwks.issuer, scope: SCOPE });
    const c = new Client({ name: 'oauth-sdk-client', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(m.url, { authProvider: provider }));
    clients.push(c);
    expect((await c.callTool({ name: 'count_notes', arguments: {} })).structuredContent).toEqual({ count: 1 });
    const requests = jwks.tokenRequests.slice(before);
    expect(requests.map((form) => [form.get('grant_type'), form.get('resource'), form.get('scope')])).toEqual([['client_credentials', m.url.href, SCOPE]]);
  });

  it('refuses every invalid token with 401 invalid_token, logs why, and never the token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stolenSignature = (await token()).split('.')[2] as string;
    const forged = await token({ claims: { sub: 'mallory' } });
    const hmacSecret = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const cases: Record<string, [string, string]> = {
      'wrong audience': [await token({ claims: { aud: 'https://other.example.test/mcp' } }), 'audience'],
      'audience list without ours': [await token({ claims: { aud: ['https://other.example.test/mcp', 'account'] } }), 'audience'],
      'wrong issuer': [await token({ claims: { iss: 'https://evil.example.test/' } }), 'issuer'],
      expired: [await token({ claims: { iat: now - 600, exp: now - 60 } }), 'expired'],
      'not yet valid': [await token({ claims: { nbf: now + 120 } }), 'not_yet_valid'],
      'no expiry': [await token({ claims: { exp: undefined } }), 'claims'],
      'bad signature (key not published, same kid)': [await token({ key: stranger }), 'signature'],
      'signature of another token': [`${forged.split('.').slice(0, 2).join('.')}.${stolenSignature}`, 'signature'],
      'unknown kid': [await token({ kid: 'rsa-9' }), 'unknown_key'],
      'alg none': [new UnsecuredJWT({ iss: jwks.issuer, aud: AUDIENCE, sub: 'mallory', scope: SCOPE, exp: now + 300 }).encode(), 'algorithm'],
      'HS256 keyed with the public key': [
        await new SignJWT({ iss: jwks.issuer, aud: AUDIENCE, sub: 'mallory', scope: SCOPE, exp: now + 300 })
          .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
          .sign(hmacSecret),
        'algorithm',
      ],
      'not a JWT': ['opaque-token-value-123', 'malformed'],
    };
    const logs: string[] = [];
    for (const [name, [bad, reason]] of Object.entries(cases)) {
      // A mount per case: refusals are logged once a minute per reason, and each case must log its own.
      const m = await mounted({ auth: { oauth: oauthOptions() } });
      const response = await post(m.url, bad);
      expect(response.status, name).toBe(401);
      expect(response.headers.get('www-authenticate'), name).toBe(
        `Bearer realm="conexor", error="invalid_token", scope="${SCOPE}", resource_metadata="${METADATA_URL}"`,
      );
      expect(await response.json(), name).toEqual({ jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized' }, id: null });
      await expect(client(m.url, bad), name).rejects.toMatchObject({ code: 401 });
      const records = m.lines.map((line) => JSON.parse(line) as { reason?: string; status?: number });
      expect(records.map((record) => [record.status, record.reason]), name).toEqual([[401, reason]]);
      logs.push(...m.lines);
    }
    // No token, nor any part of one (header, claims, signature), in the log.
    const parts = Object.values(cases).flatMap(([bad]) => [bad, ...bad.split('.')]).filter((part) => part.length > 20);
    for (const part of parts) expect(logs.join('')).not.toContain(part);
  });

  it('answers a valid token without the required scope with 403 insufficient_scope', async () => {
    const m = await mounted({ auth: { oauth: oauthOptions({ requiredScopes: [SCOPE, 'conexor:tenant'] }) } });
    const narrow = await token({ claims: { scope: SCOPE } });
    const response = await post(m.url, narrow);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer realm="conexor", error="insufficient_scope", scope="${SCOPE} conexor:tenant", resource_metadata="${METADATA_URL}"`,
    );
    await expect(client(m.url, narrow)).rejects.toMatchObject({ code: 403 });
    // `scp` as an array (or a string) carries scopes too.
    const c = await client(m.url, await token({ claims: { scope: undefined, scp: [SCOPE, 'conexor:tenant'] } }));
    expect((await c.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });
    expect((await post(m.url, await token({ claims: { scope: undefined, scp: `${SCOPE} conexor:tenant` } }))).status).toBe(200);
  });

  it('follows key rotation: a new kid is fetched, and a removed key is refused', async () => {
    const rotating = await new JwksServer().start();
    try {
      const first = await signingKey('2025-01', 'RS256');
      const second = await signingKey('2025-02', 'ES256');
      rotating.keys = [first.jwk];
      const m = await mounted({
        auth: { oauth: { issuer: rotating.issuer, audience: AUDIENCE, jwksUri: rotating.url, jwks: { cooldownMs: 0 } } },
      });
      const signed = (key: SigningKey) => token({ key, claims: { iss: rotating.issuer } });
      const before = await signed(first);
      const c = await client(m.url, before);
      expect((await c.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });
      const fetched = rotating.fetches;

      // The authorization server rotates: only the new key is published now.
      rotating.keys = [second.jwk];
      const after = await client(m.url, await signed(second));
      expect((await after.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });
      expect(rotating.fetches).toBeGreaterThan(fetched);
      // The old key is gone from the refetched set: its tokens, even unexpired, are refused.
      expect((await post(m.url, before)).status).toBe(401);
      await expect(client(m.url, await signed(first))).rejects.toMatchObject({ code: 401 });
      expect(m.lines.some((line) => line.includes('"reason":"unknown_key"'))).toBe(true);
    } finally {
      await rotating.stop();
    }
  });

  it('keeps API keys working beside OAuth: cx_ tokens go to the key store, others to OAuth', async () => {
    const m = await mounted({ auth: { store, oauth: oauthOptions() } });
    const byKey = await client(m.url, apiKey.key);
    expect((await byKey.callTool({ name: 'count_items', arguments: {} })).structuredContent).toEqual({ count: 3 });
    const byToken = await client(m.url, await token());
    expect((await byToken.callTool({ name: 'count_notes', arguments: {} })).structuredContent).toEqual({ count: 2 });

    const forgedKey = generateApiKey({ name: 'never stored' }).key;
    const refused = await post(m.url, forgedKey);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(`Bearer realm="conexor", error="invalid_token", scope="${SCOPE}", resource_metadata="${METADATA_URL}"`);
    expect(m.lines.some((line) => line.includes('"reason":"unknown"'))).toBe(true);

    // API keys alone: unchanged, no OAuth challenge and no metadata.
    const keysOnly = await mounted({ auth: { store } });
    const plain = await post(keysOnly.url);
    expect(plain.headers.get('www-authenticate')).toBe('Bearer realm="conexor"');
    expect((await post(keysOnly.url, await token())).status).toBe(401);
    expect((await fetch(new URL('/.well-known/oauth-protected-resource', keysOnly.url))).status).toBe(404);
  });

  it('applies the policy caller(claims) returns, like a key policy', async () => {
    const m = await mounted({
      auth: { oauth: oauthOptions({ caller: (claims) => (claims.role === 'viewer' ? { tables: ['items'], maxRows: 2 } : undefined) }) },
    });
    const viewer = await client(m.url, await token({ claims: { role: 'viewer' } }));
    const names = (await viewer.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('query_items');
    expect(names.some((name) => name.includes('notes'))).toBe(false);
    expect(rowsOf(await viewer.callTool({ name: 'query_items', arguments: {} }))).toHaveLength(2);
    expect((await viewer.callTool({ name: 'count_notes', arguments: {} })).isError).toBe(true);

    const admin = await client(m.url, await token({ claims: { role: 'admin' } }));
    expect((await admin.listTools()).tools.map((tool) => tool.name)).toContain('count_notes');
    expect(rowsOf(await admin.callTool({ name: 'query_items', arguments: {} }))).toHaveLength(3);
  });

  it('answers 500 when caller(claims) fails or returns no policy, and logs it without the token', async () => {
    for (const caller of [
      () => {
        throw new Error('directory lookup failed');
      },
      () => 'viewer' as unknown as undefined,
    ]) {
      const m = await mounted({ auth: { oauth: oauthOptions({ caller }) } });
      const bearer = await token();
      const response = await post(m.url, bearer);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toMatch(/directory|caller/);
      expect(m.lines.some((line) => line.includes('auth.oauth.caller(claims)'))).toBe(true);
      expect(m.lines.join('')).not.toContain(bearer.split('.')[2]);
    }
  });

  it('counts per-caller limits by subject, not by token', async () => {
    const m = await mounted({ auth: { oauth: oauthOptions() }, limits: { perKeyRate: { points: 2, durationSeconds: 600 } } });
    // Three different tokens of one subject (a refreshed token is a new string) share one budget.
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await post(m.url, await token({ claims: { jti: `t${i}` } }))).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await post(m.url, await token({ claims: { sub: 'bob' } }))).status).toBe(200);
  });

  it('binds a session to the subject: a refreshed token keeps it, another subject cannot use it', async () => {
    const m = await mounted({ auth: { oauth: oauthOptions() }, mode: 'sessionful' });
    const transport = new StreamableHTTPClientTransport(m.url, { requestInit: { headers: { Authorization: `Bearer ${await token()}` } } });
    const c = new Client({ name: 'oauth-session', version: '1.0.0' });
    await c.connect(transport);
    clients.push(c);
    const sessionId = transport.sessionId as string;
    expect(sessionId).toBeTruthy();
    const inSession = async (bearer: string) =>
      fetch(m.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Mcp-Session-Id': sessionId,
          'Mcp-Protocol-Version': transport.protocolVersion as string,
          Authorization: `Bearer ${bearer}`,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'count_notes', arguments: {} } }),
      });
    const refreshed = await inSession(await token({ claims: { jti: 'refreshed' } }));
    expect(refreshed.status).toBe(200);
    expect(((await refreshed.json()) as { result: CallToolResult }).result.structuredContent).toEqual({ count: 2 });
    // Same client, same tenant claim, another user: the session is not theirs.
    expect((await inSession(await token({ claims: { sub: 'mallory' } }))).status).toBe(404);
  });

  it('answers 503, not 401, while the key set cannot be fetched', async () => {
    const down = await new JwksServer().start();
    const { url, issuer } = down;
    await down.stop();
    const m = await mounted({ auth: { oauth: { issuer, audience: AUDIENCE, jwksUri: url } } });
    const response = await post(m.url, await token({ claims: { iss: issuer } }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(m.lines.some((line) => line.includes('auth.oauth.jwksUri'))).toBe(true);
  });

  it('validates the options at creation, naming the field', () => {
    const create = (oauth: unknown) => () =>
      kind === 'express'
        ? conexorExpress(sqlite().cx, { auth: { oauth: oauth as OAuthOptions } })
        : conexorHono(sqlite().cx, { auth: { oauth: oauth as OAuthOptions } });
    const base = { issuer: 'https://auth.example.test/', audience: AUDIENCE, jwksUri: 'https://auth.example.test/jwks.json' };
    expect(create(base)).not.toThrow();
    expect(create({ ...base, jwksUri: 'http://127.0.0.1:9/jwks.json', issuer: 'http://localhost:9/' })).not.toThrow();
    const mistakes: [unknown, RegExp][] = [
      [{ ...base, issuer: undefined }, /auth\.oauth\.issuer: is required/],
      [{ ...base, audience: undefined }, /auth\.oauth\.audience: is required/],
      [{ ...base, jwksUri: undefined }, /auth\.oauth\.jwksUri: is required/],
      [{ ...base, jwksUri: 'http://auth.example.test/jwks.json' }, /auth\.oauth\.jwksUri: must be an https URL \(http only for localhost or 127\.0\.0\.1\)/],
      [{ ...base, issuer: 'auth.example.test' }, /auth\.oauth\.issuer: must be an https URL/],
      [{ ...base, requiredScopes: ['two words'] }, /auth\.oauth\.requiredScopes\.0: must be a scope token/],
      [{ ...base, caller: { tables: [] } }, /auth\.oauth\.caller: expected a function/],
      [{ ...base, audiences: [AUDIENCE] }, /auth\.oauth: Unrecognized key/],
      [{ ...base, audience: 'api://conexor' }, /auth\.oauth\.resource: audience "api:\/\/conexor" is not an https URL.*pass resource/],
    ];
    for (const [oauth, message] of mistakes) {
      expect(create(oauth)).toThrow(ConfigurationError);
      expect(create(oauth)).toThrow(message);
    }
    // A non-URL audience works with an explicit resource.
    expect(create({ ...base, audience: 'api://conexor', resource: AUDIENCE })).not.toThrow();
    const empty = () => (kind === 'express' ? conexorExpress(sqlite().cx, { auth: {} as { store: never } }) : conexorHono(sqlite().cx, { auth: {} as { store: never } }));
    expect(empty).toThrow(/auth: pass store \(API keys\), oauth \(access tokens\) or both/);
  });
});
