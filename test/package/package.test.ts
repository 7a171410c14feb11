/**
 * The package as a user gets it: `npm pack` (prepack builds), the tarball installed into an empty folder with
 * nothing else, and the `conexor` command run there with npx — over stdio with the exact Claude Desktop config of
 * docs/claude.md, on SQLite, PostgreSQL and MariaDB, and `conexor demo`. Heavy (a build and an install), so it is a
 * proof file: it runs alone, after the suite.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/databases.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: what `npm test` adds for its scripts (the repository as local prefix, this
 * package's name and version…) must not steer the npm and npx run in the install folder.
 */
function userEnv(): Record<string, string> {
  const keep = /^npm_config_(cache|registry|userconfig|globalconfig|nodedir|cafile|strict_ssl|https?_proxy|proxy|noproxy)$/i;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name === 'INIT_CWD' || name === 'CONEXOR_DB' || name === 'CONEXOR_API_KEYS') continue;
    if (/^npm_/i.test(name) && !keep.test(name)) continue;
    env[name] = value;
  }
  return env;
}

function run(command: string, args: readonly string[], cwd: string, env: Record<string, string> = userEnv()): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function runOk(command: string, args: readonly string[], cwd: string, env?: Record<string, string>): Promise<Result> {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
  return result;
}

/**
 * better-sqlite3 downloads a prebuilt binary from GitHub at install, and compiles SQLite (a minute or two) when it
 * cannot. The binary this checkout already built is offered under the name of that download, through
 * prebuild-install's documented `local-prebuilds` directory: the install takes the path a networked install takes.
 * Another version or platform finds nothing there and compiles.
 */
async function offerLocalPrebuild(dir: string, env: Record<string, string>): Promise<void> {
  const require = createRequire(import.meta.url);
  const driverDir = join(require.resolve('better-sqlite3/package.json'), '..');
  if (!existsSync(join(driverDir, 'build/Release/better_sqlite3.node'))) return;
  const { version } = JSON.parse(readFileSync(join(driverDir, 'package.json'), 'utf8')) as { version: string };
  const prebuilds = join(dir, 'prebuilds');
  mkdirSync(prebuilds);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await runOk('tar', ['-czf', join(prebuilds, name), '-C', driverDir, 'build/Release/better_sqlite3.node'], dir);
  env.npm_config_better_sqlite3_local_prebuilds = prebuilds;
}

/** The Claude Desktop configuration shown in docs/claude.md: its first server entry. */
function documentedDesktopConfig(): { command: string; args: string[] } {
  const doc = readFileSync(join(ROOT, 'docs/claude.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Claude Desktop'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (block === undefined) throw new Error('docs/claude.md has no JSON block under "## Claude Desktop"');
  const config = JSON.parse(block) as { mcpServers: Record<string, { command: string; args: string[] }> };
  const [entry] = Object.values(config.mcpServers);
  if (entry === undefined) throw new Error('docs/claude.md: the Claude Desktop config has no server');
  return entry;
}

/** The documented args with `--db` pointing at `db`. */
function withDatabase(args: readonly string[], db: string): string[] {
  const index = args.indexOf('--db');
  expect(index, 'the documented config passes --db').toBeGreaterThanOrEqual(0);
  return args.map((arg, i) => (i === index + 1 ? db : arg));
}

function structured(result: unknown): Record<string, unknown> {
  return ((result as CallToolResult).structuredContent ?? {}) as Record<string, unknown>;
}

/** Serves over stdio as Claude Desktop would start it, lists the tools and counts the orders. */
async function overStdio(command: string, args: readonly string[], cwd: string) {
  const transport = new StdioClientTransport({ command, args: [...args], cwd, env: userEnv(), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'package-test', version: '1.0.0' });
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  const names = (await client.listTools()).tools.map((tool) => tool.name);
  const count = structured(await client.callTool({ name: 'count_orders', arguments: {} }));
  await client.close();
  // The server noticed stdin closing and left by itself (the SDK sends SIGTERM after 2 s otherwise).
  await expect.poll(() => stderr).toMatch(/stdio closed: shutting down/);
  expect(stderr).not.toMatch(/SIGTERM|\n\s+at /);
  expect(errors).toEqual([]);
  return { names, count, stderr };
}

async function createShop(knex: Knex): Promise<void> {
  await knex.schema.createTable('orders', (t) => {
    t.increments('id');
    t.string('country', 2);
  });
  await knex.schema.createTable('orders_audit', (t) => {
    t.increments('id');
    t.string('note');
  });
  await knex('orders').insert([{ country: 'DE' }, { country: 'FR' }, { country: 'DE' }]);
}

let dir: string;
let app: string;
const timings: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conexor-package-'));
  app = join(dir, 'app');
  mkdirSync(app);

  let started = Date.now();
  const packed = await runOk('npm', ['pack', '--json', '--pack-destination', dir], ROOT);
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  timings.push(`npm pack (with the prepack build) ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const env = userEnv();
  await offerLocalPrebuild(dir, env);
  started = Date.now();
  await runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, filename)], app, env);
  timings.push(`npm install of the tarball ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 900_000);

afterAll(() => {
  if (timings.length > 0) process.stderr.write(`package test: ${timings.join(', ')}\n`);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('installs only the tarball, with the drivers and the peers the command needs', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(['conexor']);
    for (const name of ['knex', 'zod', '@modelcontextprotocol/sdk', 'pg', 'mysql2', 'better-sqlite3']) {
      expect(existsSync(join(app, 'node_modules', name, 'package.json')), name).toBe(true);
    }
  });

  it('ships the build, LICENSE and no source maps', () => {
    const pkg = join(app, 'node_modules/conexor');
    expect(existsSync(join(pkg, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/index.d.ts'))).toBe(true);
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const files = (function walk(at: string): string[] {
      return readdirSync(at).flatMap((name) => (statSync(join(at, name)).isDirectory() ? walk(join(at, name)) : [join(at, name)]));
    })(pkg);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.js') && readFileSync(file, 'utf8').includes('sourceMappingURL'))).toEqual([]);
    expect(files.some((file) => file.includes(`${join(pkg, 'src')}/`))).toBe(false);
  });

  it('is the config of examples/claude_desktop_config.json too', () => {
    const example = JSON.parse(readFileSync(join(ROOT, 'examples/claude_desktop_config.json'), 'utf8')) as {
      mcpServers: Record<string, unknown>;
    };
    expect(Object.values(example.mcpServers)[0]).toEqual(documentedDesktopConfig());
  });
});

describe('npx conexor serve with the Claude Desktop config of docs/claude.md', () => {
  const { command, args } = documentedDesktopConfig();

  it('is an npx command with policy flags', () => {
    expect(command).toBe('npx');
    expect(args.slice(0, 2)).toEqual(['conexor', 'serve']);
    expect(args).toEqual(expect.arrayContaining(['--exclude', '*_audit']));
  });

  it('serves a SQLite file', async () => {
    const file = join(dir, 'shop.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    try {
      await createShop(knex);
    } finally {
      await knex.destroy();
    }
    await expectServed(file);
  });

  it('serves a PostgreSQL URL', async () => {
    await onServer('pg', PG_URL, (name) => `CREATE DATABASE "${name}"`, (name) => `DROP DATABASE "${name}" WITH (FORCE)`, expectServed);
  });

  it('serves a MariaDB URL', async () => {
    await onServer('mysql2', MYSQL_URL, (name) => `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`, (name) => `DROP DATABASE \`${name}\``, expectServed);
  });

  /** Serves `target` (a SQLite file or a URL holding the shop) with the documented command: orders listed and counted. */
  async function expectServed(target: string): Promise<void> {
    const { names, count } = await overStdio(command, withDatabase(args, target), app);
    expect(names).toEqual(expect.arrayContaining(['query_orders', 'count_orders']));
    expect(names.filter((name) => name.includes('audit'))).toEqual([]);
    expect(count).toEqual({ count: 3 });
  }

  /** A fresh database on a server, holding the shop, handed to `use` by URL and dropped afterwards. */
  async function onServer(client: 'pg' | 'mysql2', server: string, create: (name: string) => string, drop: (name: string) => string, use: (url: string) => Promise<void>): Promise<void> {
    const database = uniqueName('cx_pkg');
    const admin = knexFactory({ client, connection: server, pool: { min: 0, max: 1 } });
    await admin.raw(create(database));
    try {
      const url = new URL(server);
      url.pathname = `/${database}`;
      const knex = knexFactory({ client, connection: url.toString(), pool: { min: 0, max: 1 } });
      try {
        await createShop(knex);
      } finally {
        await knex.destroy();
      }
      await use(url.toString());
    } finally {
      await admin.raw(drop(database));
      await admin.destroy();
    }
  }
});

describe('npx conexor demo', () => {
  it('serves the demo over HTTP, and its printed Claude Desktop config serves it over stdio', async () => {
    const file = join(dir, 'demo.sqlite');
    // Its own process group, to stop it as Ctrl-C in a terminal does: npx passes a signal sent to itself alone on to
    // nothing (SIGINT) or dies leaving conexor behind (SIGTERM).
    const demo = spawn('npx', ['conexor', 'demo', '--port', '0', '--file', file], {
      cwd: app,
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const output = { stdout: '', stderr: '' };
    demo.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => demo.on('close', (code) => resolve(code)));
    try {
      await expect.poll(() => output.stdout, { timeout: 60_000 }).toMatch(/Press Ctrl-C to stop/);
      const url = /MCP endpoint\s+(\S+)/.exec(output.stdout)?.[1] as string;
      const key = /API key\s+(cx_\S+)/.exec(output.stdout)?.[1] as string;
      const client = new Client({ name: 'package-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
      const overHttp = structured(await client.callTool({ name: 'count_orders', arguments: {} }));
      await client.close();
      expect(overHttp.count).toBeGreaterThan(0);

      const snippet = /Claude Desktop:.*?(\{.*\})/.exec(output.stdout)?.[1] as string;
      const desktop = JSON.parse(snippet) as { command: string; args: string[] };
      expect(desktop.args).toContain(file);
      const { names, count } = await overStdio(desktop.command, desktop.args, app);
      expect(names).toContain('count_orders');
      expect(count).toEqual(overHttp);
    } finally {
      try {
        process.kill(-(demo.pid as number), 'SIGINT');
      } catch {
        // The group is gone already (the demo failed to start): the assertions say why.
      }
      await exited;
    }
    expect(output.stderr).toContain('conexor: SIGINT: shutting down\n');
    expect(output.stderr).not.toMatch(/\n\s+at /);
  });
});

// These remove packages from the install folder, so they run last.
describe('a missing package', () => {
  it('is one line naming the driver to install, without a stack', async () => {
    rmSync(join(app, 'node_modules/mysql2'), { recursive: true, force: true });
    const result = await run('npx', ['conexor', 'serve', '--db', 'mysql://someone:hunter2@127.0.0.1:3306/shop'], app);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: mysql://someone:***@127.0.0.1:3306/shop needs the MySQL/MariaDB driver mysql2, which is not installed; ' +
        'install it beside conexor: npm install mysql2\n',
    );
  });

  it('is one line naming a missing peer dependency, without a stack', async () => {
    // What yarn 1 or `npm install --legacy-peer-deps` leave: no knex.
    rmSync(join(app, 'node_modules/knex'), { recursive: true, force: true });
    const result = await run('npx', ['conexor', 'serve', '--db', 'shop.sqlite'], app);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: conexor needs the package knex, which is not installed: npm install knex\n');
  });
});
