import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.js';
import { KnexApiKeyStore, createApiKeyTable } from '../../src/auth/knex-store.js';
import { createDemoShop } from '../../src/demo/shop.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/databases.js';
import { runCli, type CliResult } from '../support/cli.js';

// Each test spawns several CLI processes (tsx start-up included); on a loaded 2-core machine that takes a while.
vi.setConfig({ testTimeout: 120_000 });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
const NODE_ARGS = ['--import', 'tsx', MAIN];
const KEY_PATTERN = /cx_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/;

/** The test process's environment without anything that would steer the CLI. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('CONEXOR_DB' in extra)) delete env.CONEXOR_DB;
  if (!('CONEXOR_API_KEYS' in extra)) delete env.CONEXOR_API_KEYS;
  return env;
}

/** Runs `conexor <args>` to completion. */
function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, cleanEnv(env));
}

/** A long-running `conexor <args>`, with its output so far. */
function start(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output, exited };
}

async function waitFor(check: () => boolean, what: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface RawAnswer {
  jsonrpc: string;
  id?: string | number | null;
  result?: { structuredContent?: unknown };
  error?: { code: number; message: string; data?: unknown };
}

/** `conexor serve` over stdio driven byte by byte, as a client that writes whatever it likes. */
function rawStdio(args: readonly string[]) {
  const child = spawn(process.execPath, [...NODE_ARGS, 'serve', ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  /** Every complete line on stdout, parsed: one that is not JSON fails the test. */
  const answers = (): RawAnswer[] => output.stdout.split('\n').slice(0, -1).map((line) => JSON.parse(line) as RawAnswer);
  // A failed write is reported through its callback; without this listener it would also be an uncaught error.
  child.stdin.on('error', () => undefined);
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve, reject) =>
      child.stdin.write(data, (error) => (error ? reject(new Error(`conexor stopped reading its stdin (${error.message})`)) : resolve())),
    );
  const request = async (id: number, method: string, params?: Record<string, unknown>): Promise<RawAnswer> => {
    await write(`${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })}\n`);
    await waitFor(() => answers().some((answer) => answer.id === id), `the answer to request ${id}`, child, 60_000);
    return answers().find((answer) => answer.id === id) as RawAnswer;
  };
  const initialize = async () => {
    const init = await request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    expect(init.result).toBeDefined();
    await write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  };
  const refusals = () => answers().filter((answer) => answer.id === null);
  return { child, output, exited, answers, write, request, initialize, refusals };
}

async function httpClient(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'cli-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

function structured(result: unknown): Record<string, unknown> {
  return ((result as CallToolResult).structuredContent ?? {}) as Record<string, unknown>;
}

let dir: string;
/**
 * A demo shop with a key table in it, as `serve` and `tools` see a real application database. The table has a
 * custom name: the default one is hidden by the core policy, a custom one only by the CLI.
 */
const KEYS_TABLE = 'app_api_keys';
let shopFile: string;
let shopKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conexor-cli-'));
  shopFile = join(dir, 'shop.sqlite');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: shopFile }, useNullAsDefault: true });
  try {
    await createDemoShop(knex, { seed: 1 });
    await createApiKeyTable(knex, KEYS_TABLE);
    shopKey = (await createApiKey(new KnexApiKeyStore(knex, { table: KEYS_TABLE }), { name: 'fixture' })).key;
  } finally {
    await knex.destroy();
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('usage', () => {
  it('prints help and version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'tools', 'keys', 'demo']) expect(help.stdout).toContain(command);
    const serveHelp = await cli(['serve', '--help']);
    expect(serveHelp.code).toBe(0);
    expect(serveHelp.stdout).toMatch(/--http <port>[\s\S]*--no-auth[\s\S]*--allowed-origin[\s\S]*--max-line-bytes <n>/);
    const keysHelp = await cli(['keys', 'create', '--help']);
    expect(keysHelp.stdout).toContain('--expires-in');
    const version = await cli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on an unknown flag, an unknown URL scheme and an invalid value', async () => {
    const flag = await cli(['tools', '--db', shopFile, '--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--frobnicate'");
    const scheme = await cli(['tools', '--db', 'mongodb://user:hunter2hunter@localhost/db']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr.trim().split('\n')).toHaveLength(1);
    expect(scheme.stderr).toContain('Unsupported database URL scheme');
    expect(scheme.stderr).not.toContain('hunter2hunter');
    const rows = await cli(['tools', '--db', shopFile, '--max-rows', 'many']);
    expect(rows.code).toBe(2);
    const policy = await cli(['tools', '--db', shopFile, '--include', 'no_such_table']);
    expect(policy.code).toBe(2);
    expect(policy.stderr).toContain('no_such_table');
  });

  it('exits 1 for an unreachable database without printing its password', async () => {
    const password = 'Sup3rS3cretPw';
    const result = await cli(['tools', '--db', `postgres://postgres:${password}@127.0.0.1:1/test`]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(password);
    expect(result.stderr).toContain('postgres://postgres:***@127.0.0.1:1/test');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 1 for a missing SQLite file instead of creating it', async () => {
    const missing = join(dir, 'missing.sqlite');
    for (const args of [['tools', '--db', missing], ['keys', 'list', '--db', missing]]) {
      const result = await cli(args);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('not found');
    }
  });
});

describe('serve', () => {
  it('serves the tools over stdio to an MCP client, without the key table', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...NODE_ARGS, 'serve', '--db', shopFile, '--keys-table', KEYS_TABLE, '--exclude', 'products'],
      cwd: ROOT,
      env: cleanEnv() as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'cli-test', version: '1.0.0' });
    const errors: Error[] = [];
    client.onerror = (error) => errors.push(error);
    await client.connect(transport);
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['query_orders', 'count_customers']));
    expect(names.filter((name) => name.includes('products') || name.includes('api_keys'))).toEqual([]);
    expect(structured(await client.callTool({ name: 'count_orders', arguments: {} }))).toEqual({ count: 600 });

    await client.close();
    // The CLI noticed stdin closing and shut down by itself (the SDK would send SIGTERM after 2 s otherwise).
    await expect.poll(() => stderr).toMatch(/stdio closed: shutting down/);
    expect(stderr).not.toMatch(/SIGTERM/);
    expect(errors).toEqual([]);
    expect(stderr).toMatch(/serving \d+ tools from .* over stdio/);
  });

  it('keeps serving over stdio after a 12 MB line, a line without a newline and a malformed line', async () => {
    const marker = 'PAYLOAD-MARKER-c41d';
    const session = rawStdio(['--db', shopFile, '--keys-table', KEYS_TABLE]);
    try {
      await session.initialize();
      expect((await session.request(2, 'tools/call', { name: 'count_orders', arguments: {} })).result?.structuredContent).toEqual({ count: 600 });

      const huge = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"count_orders","arguments":{"x":"${marker}${'A'.repeat(12 * 1024 * 1024)}"}}}\n`;
      await session.write(huge);
      await waitFor(() => session.refusals().length === 1, 'the refusal of the 12 MB line', session.child, 60_000);

      // 2 MB and still no newline: the refusal comes while the line is open, and nothing else is answered meanwhile.
      await session.write(`{"jsonrpc":"2.0","id":4,"method":"ping","params":{"_meta":{"pad":"${marker}`);
      const piece = 'B'.repeat(64 * 1024);
      for (let i = 0; i < 32; i += 1) await session.write(piece);
      await waitFor(() => session.refusals().length === 2, 'the refusal of the open line', session.child, 60_000);
      await session.write(`${piece}"}}}\n`);
      await session.write(`{"jsonrpc":"2.0","id":5,"method":"ping" ${marker}\n`);
      await waitFor(() => session.refusals().length === 3, 'the refusal of the malformed line', session.child, 60_000);

      expect((await session.request(6, 'tools/call', { name: 'count_orders', arguments: {} })).result?.structuredContent).toEqual({ count: 600 });
      expect(session.child.exitCode).toBeNull();
      const [huge1, open1, malformed] = session.refusals();
      for (const refusal of [huge1, open1]) {
        expect(refusal).toEqual({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: expect.stringContaining('at most 1048576 bytes (maxLineBytes)') as unknown, data: { maxLineBytes: 1048576 } },
        });
      }
      expect(malformed?.error?.code).toBe(-32700);
      expect(session.answers().map((answer) => answer.id)).toEqual([1, 2, null, null, null, 6]);
    } finally {
      session.child.stdin.end();
    }
    expect(await session.exited).toBe(0);
    const { stdout, stderr } = session.output;
    expect(stdout.endsWith('\n')).toBe(true);
    for (const line of stdout.trimEnd().split('\n')) expect((JSON.parse(line) as RawAnswer).jsonrpc).toBe('2.0');
    expect(stderr.match(/conexor: stdio: dropped a line longer than the limit of 1048576 bytes \(maxLineBytes\)\n/g)).toHaveLength(2);
    expect(stderr).toContain('conexor: stdio: dropped a line that is not valid JSON\n');
    expect(stderr).toContain('conexor: stdio closed: shutting down\n');
    expect(stdout + stderr).not.toContain(marker);
  });

  it('takes the stdio line limit from --max-line-bytes, and only over stdio', async () => {
    const session = rawStdio(['--db', shopFile, '--max-line-bytes', '4096']);
    try {
      await session.initialize();
      await session.write(`{"jsonrpc":"2.0","id":2,"method":"ping","params":{"_meta":{"pad":"${'C'.repeat(5000)}"}}}\n`);
      expect(await session.request(3, 'ping')).toMatchObject({ result: {} });
      expect(session.refusals()).toEqual([
        { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('at most 4096 bytes') as unknown, data: { maxLineBytes: 4096 } } },
      ]);
    } finally {
      session.child.stdin.end();
    }
    expect(await session.exited).toBe(0);
    expect(session.output.stderr).toContain('dropped a line longer than the limit of 4096 bytes');
    const withHttp = await cli(['serve', '--db', shopFile, '--http', '0', '--no-auth', '--max-line-bytes', '4096']);
    expect(withHttp.code).toBe(2);
    expect(withHttp.stderr).toContain('--max-line-bytes: only used over stdio');
    expect((await cli(['serve', '--db', shopFile, '--max-line-bytes', '0'])).code).toBe(2);
  });

  it('refuses HTTP without any API key unless --no-auth is given', async () => {
    const bare = join(dir, 'bare.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: bare }, useNullAsDefault: true });
    await knex.schema.createTable('notes', (table) => table.increments('id'));
    await knex.destroy();
    const result = await cli(['serve', '--db', bare, '--http', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--no-auth');
    const misplaced = await cli(['serve', '--db', bare, '--no-auth']);
    expect(misplaced.code).toBe(2);
  });

  it('serves HTTP with keys from the table and from CONEXOR_API_KEYS', async () => {
    const environmentKey = `cx_abcdefghijkl_${'A'.repeat(43)}`;
    const server = start(['serve', '--db', shopFile, '--keys-table', KEYS_TABLE, '--http', '0'], { CONEXOR_API_KEYS: environmentKey });
    try {
      await waitFor(() => /at (http:\S+)/.test(server.output.stderr), 'the endpoint URL', server.child);
      const url = /at (http:\S+)/.exec(server.output.stderr)?.[1] as string;
      for (const key of [shopKey, environmentKey]) {
        const client = await httpClient(url, key);
        expect(structured(await client.callTool({ name: 'count_customers', arguments: {} }))).toEqual({ count: 50 });
        await client.close();
      }
      const anonymous = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(anonymous.status).toBe(401);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });
});

describe('tools', () => {
  it('prints one line per tool with bytes and tokens, and a total', async () => {
    const result = await cli(['tools', '--db', shopFile, '--keys-table', KEYS_TABLE, '--hide', 'customers.email']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.find((line) => line.startsWith('query_orders '))).toMatch(/^query_orders\s+\d+ B\s+~\d+ tokens$/);
    expect(result.stdout).not.toContain(KEYS_TABLE);
    // Hiding the email column also drops the lookup by email.
    expect(result.stdout).not.toContain('query_customers_by_email');
    const toolLines = lines.slice(1, -1);
    expect(lines.at(-1)).toMatch(new RegExp(`^Total: ${toolLines.length} tools, \\d+ B, ~\\d+ tokens$`));

    const json = await cli(['tools', '--db', shopFile, '--json', '--include', 'orders']);
    const parsed = JSON.parse(json.stdout) as { tools: { name: string; inputSchema: unknown }[] };
    expect(parsed.tools.map((tool) => tool.name).sort()).toEqual(['aggregate_orders', 'count_orders', 'query_orders', 'query_orders_by_id']);
    expect(parsed.tools[0]?.inputSchema).toBeTypeOf('object');
  });

  it('chooses the listing with --catalog, --budget-tokens and --featured, and names a featured table that does not exist', async () => {
    const compact = await cli(['tools', '--db', shopFile, '--json', '--catalog', 'compact']);
    expect(compact.code, compact.stderr).toBe(0);
    const names = (JSON.parse(compact.stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name);
    expect(names).toEqual(['search_tables', 'query', 'count', 'aggregate']);

    // A budget too small for every typed tool: the generic tools, then the featured table's typed tools first.
    const featured = await cli(['tools', '--db', shopFile, '--json', '--budget-tokens', '1500', '--featured', 'orders']);
    expect(featured.code, featured.stderr).toBe(0);
    const chosen = (JSON.parse(featured.stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name);
    expect(chosen.slice(0, 4)).toEqual(['search_tables', 'query', 'count', 'aggregate']);
    expect(chosen).toContain('query_orders');

    const wrong = await cli(['tools', '--db', shopFile, '--featured', 'order']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('catalog.featured names table "order", which is not exposed; did you mean');
    expect(wrong.stderr).toMatch(/did you mean [^\n]*"orders"/);
    const mode = await cli(['tools', '--db', shopFile, '--catalog', 'everything']);
    expect(mode.code).not.toBe(0);
    expect(mode.stderr).toContain('auto, typed, compact');
  });
});

describe('keys', () => {
  /** create → list (no secret) → revoke → list shows it revoked → unknown id fails. */
  async function keyLifecycle(db: string, extra: string[]): Promise<void> {
    const created = await cli(['keys', 'create', '--db', db, ...extra, '--name', 'ci bot', '--scope', 'read', '--scope', 'reports', '--expires-in', '30d']);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(new RegExp(`^${KEY_PATTERN.source}$`));
    expect(created.stderr).toContain('only time');
    const id = key.split('_')[1] as string;

    const listed = await cli(['keys', 'list', '--db', db, ...extra]);
    expect(listed.code).toBe(0);
    const line = listed.stdout.split('\n').find((row) => row.startsWith(id)) ?? '';
    expect(line).toMatch(/ci bot\s+read,reports\s+\d{4}-\S+Z\s+\d{4}-\S+Z\s+-\s+-\s+active$/);
    expect(listed.stdout).not.toContain(key.slice(16));

    expect((await cli(['keys', 'revoke', id, '--db', db, ...extra])).code).toBe(0);
    const json = await cli(['keys', 'list', '--db', db, ...extra, '--json']);
    const records = JSON.parse(json.stdout) as Record<string, unknown>[];
    const record = records.find((entry) => entry.id === id);
    expect(record).toMatchObject({ name: 'ci bot', scopes: ['read', 'reports'], status: 'revoked' });
    expect(record?.revokedAt).toEqual(expect.any(String));
    expect(Object.keys(record ?? {})).not.toContain('hash');
    expect(json.stdout).not.toContain(key.slice(16));

    const unknown = await cli(['keys', 'revoke', 'aaaaaaaaaaaa', '--db', db, ...extra]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No API key');
  }

  it('creates, lists and revokes keys in a SQLite file', async () => {
    await keyLifecycle(join(dir, 'keys.sqlite'), []);
  });

  it('rejects a malformed duration', async () => {
    const result = await cli(['keys', 'create', '--db', join(dir, 'keys.sqlite'), '--name', 'x', '--expires-in', 'soon']);
    expect(result.code).toBe(2);
  });

  for (const [label, url] of [
    ['PostgreSQL', PG_URL],
    ['MariaDB/MySQL', MYSQL_URL],
  ] as const) {
    it(`creates, lists and revokes keys on ${label}`, async () => {
      const table = uniqueName('cx_cli_keys');
      try {
        await keyLifecycle(url, ['--keys-table', table]);
      } finally {
        const knex = knexFactory({ client: url.startsWith('postgres') ? 'pg' : 'mysql2', connection: url, pool: { min: 0, max: 1 } });
        await knex.schema.dropTableIfExists(table);
        await knex.destroy();
      }
    });
  }
});

describe('demo', () => {
  it('creates the shop, prints a working key and curl line, and stops cleanly on SIGTERM', async () => {
    const file = join(dir, 'demo.sqlite');
    const demo = start(['demo', '--port', '0', '--file', file]);
    try {
      await waitFor(() => demo.output.stdout.includes('Ctrl-C'), 'the demo banner', demo.child, 30_000);
      const { stdout } = demo.output;
      const url = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stdout)?.[1] as string;
      const key = KEY_PATTERN.exec(stdout)?.[0] as string;
      expect(url).toBeDefined();
      expect(key).toBeDefined();

      const client = await httpClient(url, key);
      expect(structured(await client.callTool({ name: 'count_orders', arguments: {} }))).toEqual({ count: 600 });
      await client.close();

      // The printed curl line works as printed: same headers, same body, no initialize.
      const curl = stdout.split('\n').find((line) => line.trim().startsWith('curl ')) ?? '';
      const headers = Object.fromEntries([...curl.matchAll(/-H '([^:]+): ([^']+)'/g)].map((match) => [match[1], match[2]]));
      const body = /-d '([^']+)'/.exec(curl)?.[1];
      const response = await fetch(url, { method: 'POST', headers, body });
      expect(response.status).toBe(200);
      const listed = (await response.json()) as { result?: { tools?: { name: string }[] } };
      expect(listed.result?.tools?.map((tool) => tool.name)).toContain('query_order_items');
    } finally {
      demo.child.kill('SIGTERM');
    }
    expect(await demo.exited).toBe(0);
    expect(demo.output.stderr).toContain('shutting down');
  });

  it('refuses to overwrite a file that is not a demo database', async () => {
    const file = join(dir, 'precious.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    await knex.schema.createTable('invoices', (table) => table.increments('id'));
    await knex('invoices').insert({});
    await knex.destroy();
    const result = await cli(['demo', '--port', '0', '--file', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not a conexor demo database');
    const check = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    expect(await check('invoices').count('* as n')).toEqual([{ n: 1 }]);
    await check.destroy();
  });
});
