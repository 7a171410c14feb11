/**
 * The CLI's settings, driven through the real `conexor` process on SQLite, PostgreSQL and MariaDB/MySQL: a `--config`
 * file validated by the library's own schema, flags over the file, environment variables, `--schema` typos, the audit
 * sink, `keys generate` without a database, and the examples in `--help`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { StaticApiKeyStore, type SerializedApiKeyRecord } from '../../src/auth/api-keys.js';
import { createConexor } from '../../src/conexor.js';
import type { Dialect } from '../../src/introspect/model.js';
import { DIALECTS, MYSQL_URL, PG_URL, uniqueName } from '../support/databases.js';
import { runCli, type CliResult } from '../support/cli.js';

// Each test spawns several CLI processes (tsx start-up included); on a loaded 2-core machine that takes a while.
vi.setConfig({ testTimeout: 120_000 });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_ARGS = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];

/** The test process's environment without anything that would steer the CLI, quiet by default, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/^CONEXOR_(DB|API_KEYS|LOG_LEVEL)$/.test(name)) env[name] = value;
  return { ...env, CONEXOR_LOG_LEVEL: 'silent', ...extra };
}

/** Runs `conexor <args>` to completion. */
function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, cleanEnv(env));
}

/** `conexor serve <args>` over stdio with a real MCP client; the process's stderr so far via `stderr()`. */
async function serveStdio(args: readonly string[], env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...NODE_ARGS, 'serve', ...args],
    cwd: ROOT,
    env: cleanEnv(env),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'cli-config-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

function toolNames(stdout: string): string[] {
  return (JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'conexor-cli-config-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes a config file and returns its path. */
function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

/** Two related tables in a fresh database of the dialect, and how the CLI reaches them. */
interface Fixture {
  /** `--db` value. */
  readonly db: string;
  /** The schema (PostgreSQL), database (MySQL) or attached database (SQLite) holding the tables. */
  readonly schema: string;
  destroy(): Promise<void>;
}

async function createFixture(dialect: Dialect): Promise<Fixture> {
  const fill = async (knex: Knex) => {
    await knex.schema.createTable('customers', (table) => {
      table.integer('id').primary();
      table.string('name', 50).notNullable();
      table.string('email', 80);
    });
    await knex.schema.createTable('orders', (table) => {
      table.integer('id').primary();
      table.integer('customer_id').references('id').inTable('customers');
      table.integer('total');
    });
    await knex('customers').insert([
      { id: 1, name: 'Ada', email: 'ada@example.com' },
      { id: 2, name: 'Grace', email: 'grace@example.com' },
    ]);
    await knex('orders').insert([
      { id: 1, customer_id: 1, total: 10 },
      { id: 2, customer_id: 2, total: 20 },
      { id: 3, customer_id: 2, total: 30 },
    ]);
  };
  if (dialect === 'sqlite') {
    const file = join(dir, `${uniqueName('fixture')}.sqlite`);
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    await fill(knex);
    await knex.destroy();
    return { db: file, schema: 'main', destroy: async () => undefined };
  }
  const schema = uniqueName('cx_cli_cfg');
  if (dialect === 'postgresql') {
    const admin = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE SCHEMA "${schema}"`);
    const knex = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema], pool: { min: 0, max: 1 } });
    await fill(knex);
    await knex.destroy();
    return {
      db: PG_URL,
      schema,
      async destroy() {
        await admin.raw(`DROP SCHEMA "${schema}" CASCADE`);
        await admin.destroy();
      },
    };
  }
  const admin = knexFactory({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE \`${schema}\``);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${schema}`;
  const knex = knexFactory({ client: 'mysql2', connection: url.toString(), pool: { min: 0, max: 1 } });
  await fill(knex);
  await knex.destroy();
  return {
    db: url.toString(),
    schema,
    async destroy() {
      await admin.raw(`DROP DATABASE \`${schema}\``);
      await admin.destroy();
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`on ${dialect}`, () => {
    let fixture: Fixture;
    beforeAll(async () => {
      fixture = await createFixture(dialect);
    });
    afterAll(async () => fixture?.destroy());

    it('applies a config file: compact catalog in tools/list, a hidden column absent from tools and results', async () => {
      const compact = configFile(`compact-${dialect}.json`, { schemas: [fixture.schema], catalog: { mode: 'compact' } });
      const listed = await cli(['tools', '--db', fixture.db, '--config', compact, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(toolNames(listed.stdout)).toEqual(['search_tables', 'query', 'count', 'aggregate']);

      const hiding = configFile(`hide-${dialect}.json`, { schemas: [fixture.schema], hiddenColumns: { customers: ['email'] }, aggregates: false });
      const { client } = await serveStdio(['--db', fixture.db, '--config', hiding]);
      try {
        const { tools } = await client.listTools();
        const names = tools.map((tool) => tool.name);
        expect(names).toContain('query_customers');
        expect(names.filter((name) => name.startsWith('aggregate'))).toEqual([]);
        expect(JSON.stringify(tools)).not.toContain('email');
        const result = (await client.callTool({ name: 'query_customers', arguments: { order_by: [{ field: 'id' }] } })) as CallToolResult;
        expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
        const rows = (result.structuredContent as { rows: Record<string, unknown>[] }).rows;
        expect(rows.map((row) => row.name)).toEqual(['Ada', 'Grace']);
        for (const row of rows) expect(Object.keys(row)).not.toContain('email');
      } finally {
        await client.close();
      }
    });

    it('lets flags win over the config file, and adds --hide and --exclude to its lists', async () => {
      const config = configFile(`override-${dialect}.json`, {
        schemas: [fixture.schema],
        catalog: { mode: 'compact' },
        hiddenColumns: { customers: ['email'] },
        tables: { exclude: ['orders'] },
      });
      const result = await cli(['tools', '--db', fixture.db, '--config', config, '--json', '--catalog', 'typed', '--hide', 'customers.name']);
      expect(result.code, result.stderr).toBe(0);
      const tools = (JSON.parse(result.stdout) as { tools: { name: string; inputSchema: unknown }[] }).tools;
      // Typed from the flag; orders still excluded by the file; email (file) and name (flag) both hidden.
      expect(tools.map((tool) => tool.name).sort()).toEqual(['aggregate_customers', 'count_customers', 'query_customers', 'query_customers_by_id']);
      // The columns appear in the schemas as property names and enum values; neither hidden one does.
      const schemas = JSON.stringify(tools.map((tool) => tool.inputSchema));
      expect(schemas).toContain('"id"');
      expect(schemas).not.toContain('"email"');
      expect(schemas).not.toContain('"name"');
    });

    it('refuses a schema with a typo, in --schema or the config file, suggesting the existing one', async () => {
      const typo = dialect === 'sqlite' ? 'mian' : `${fixture.schema.slice(0, -1)}${fixture.schema.endsWith('z') ? 'y' : 'z'}`;
      const missing = `no ${{ sqlite: 'attached database', postgresql: 'schema', mysql: 'database' }[dialect]} "${typo}"; did you mean "${fixture.schema}"?`;
      const flag = await cli(['serve', '--db', fixture.db, '--schema', typo]);
      expect(flag.code).toBe(2);
      expect(flag.stderr).toContain(`error: --schema: ${missing}`);
      expect(flag.stderr.trim().split('\n')).toHaveLength(1);
      const file = await cli(['tools', '--db', fixture.db, '--config', configFile(`typo-${dialect}.json`, { schemas: [typo] })]);
      expect(file.code).toBe(2);
      expect(file.stderr).toContain(`error: schemas: ${missing}`);
    });

    it('takes --db from CONEXOR_DB', async () => {
      const result = await cli(['tools', '--schema', fixture.schema, '--json', '--include', 'orders'], { CONEXOR_DB: fixture.db });
      expect(result.code, result.stderr).toBe(0);
      expect(toolNames(result.stdout).sort()).toEqual(['aggregate_orders', 'count_orders', 'query_orders', 'query_orders_by_id']);
    });
  });
}

describe('config file mistakes', () => {
  let db: string;
  beforeAll(async () => {
    db = join(dir, 'mistakes.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: db }, useNullAsDefault: true });
    await knex.schema.createTable('notes', (table) => table.increments('id'));
    await knex.schema.createTable('memos', (table) => {
      table.increments('id');
      table.string('body', 100).notNullable();
    });
    await knex.destroy();
  });

  it('turns writes on with --allow-writes, narrowed by --write-tables and --write-operations or by the config file', async () => {
    const writeTools = (names: string[]) => names.filter((name) => /^(insert|update|delete)_/.test(name));
    const none = await cli(['tools', '--db', db, '--catalog', 'typed', '--json']);
    expect(writeTools(toolNames(none.stdout))).toEqual([]);
    const flags = await cli(['tools', '--db', db, '--catalog', 'typed', '--allow-writes', '--write-tables', 'memos', '--write-operations', 'insert,delete', '--json']);
    expect(flags.code, flags.stderr).toBe(0);
    expect(writeTools(toolNames(flags.stdout))).toEqual(['insert_memos', 'delete_memos_by_id', 'delete_memos']);
    const file = configFile('writes-update.json', { writes: { tables: ['memos'], operations: ['update'] }, catalog: { mode: 'typed' } });
    const fromFile = await cli(['tools', '--db', db, '--config', file, '--json']);
    expect(writeTools(toolNames(fromFile.stdout))).toEqual(['update_memos_by_id', 'update_memos']);
    // Served over stdio, an insert lands in the database.
    const { client } = await serveStdio(['--db', db, '--allow-writes', '--write-tables', 'memos', '--catalog', 'typed']);
    try {
      const result = (await client.callTool({ name: 'insert_memos', arguments: { rows: [{ body: 'from the CLI' }] } })) as { structuredContent?: unknown };
      expect(result.structuredContent).toEqual({ affected: 1, rows: [{ id: 1, body: 'from the CLI' }] });
    } finally {
      await client.close();
    }
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: db }, useNullAsDefault: true });
    try {
      expect(await knex('memos').select('body')).toEqual([{ body: 'from the CLI' }]);
    } finally {
      await knex.destroy();
    }
  });

  /** Exit 2 and one line on stderr containing every part of `expected`. */
  async function refused(config: string, ...expected: string[]): Promise<void> {
    const result = await cli(['tools', '--db', db, '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const part of expected) expect(lines[0]).toContain(part);
  }

  it('names the file and the key path, and suggests the close key', async () => {
    const typo = configFile('typo.json', { tables: { exlude: ['notes'] } });
    await refused(typo, `Invalid config file ${typo}: tables.exlude: unknown key; did you mean "exclude"?`);
    const top = configFile('top.json', { maxRow: 5 });
    await refused(top, `Invalid config file ${top}: maxRow: unknown key; did you mean "maxRows"?`);
    const cliKey = configFile('cli-key.json', { loglevel: 'info' });
    await refused(cliKey, 'loglevel: unknown key; did you mean "logLevel"?');
  });

  it('names the key path and what is allowed for a wrong type or value', async () => {
    const type = configFile('type.json', { maxRows: '10', catalog: { mode: 'fast' } });
    await refused(type, type, 'maxRows: Invalid input: expected number, received string', 'catalog.mode: Invalid option: expected one of "auto"|"typed"|"compact"');
    const audit = configFile('audit.json', { audit: 'syslog' });
    await refused(audit, 'audit: expected "stderr", "off" or "file:<path>"');
    const functions = configFile('function.json', { logger: 'pino' });
    await refused(functions, 'logger: unknown key');
  });

  it('says when the file is missing or not JSON', async () => {
    const missing = join(dir, 'nope.json');
    await refused(missing, `--config: cannot read ${missing}`);
    const broken = configFile('broken.json', '{ "maxRows": 5, }');
    await refused(broken, `--config: ${broken} is not valid JSON`);
  });

  it('refuses write flags that contradict each other or name no operation', async () => {
    const without = await cli(['tools', '--db', db, '--write-tables', 'notes']);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('--write-tables, --write-operations: only with --allow-writes');
    const wrong = await cli(['tools', '--db', db, '--allow-writes', '--write-operations', 'insert,drop']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('expected a comma-separated list of insert, update, delete (not drop)');
    const both = await cli(['tools', '--db', db, '--no-aggregates', '--aggregates-exclude', 'notes']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--no-aggregates and --aggregates-exclude');
    const zone = await cli(['tools', '--db', db, '--time-zone', 'Mars/Olympus']);
    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain('expected an IANA time zone');
    // A config file asking for writes passes the library's validation.
    const writes = configFile('writes.json', { writes: { tables: ['notes'], operations: ['insert'] } });
    const accepted = await cli(['tools', '--db', db, '--config', writes, '--json']);
    expect(accepted.code, accepted.stderr).toBe(0);
  });
});

describe('audit and log level', () => {
  it('appends the audit trail to --audit file:<path>, whatever the log level', async () => {
    const db = join(dir, 'audited.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: db }, useNullAsDefault: true });
    await knex.schema.createTable('notes', (table) => table.increments('id'));
    await knex('notes').insert([{ id: 1 }, { id: 2 }]);
    await knex.destroy();
    const log = join(dir, 'logs', 'audit.jsonl');
    const { client, stderr } = await serveStdio(['--db', db, '--audit', `file:${log}`, '--audit-values', 'hash']);
    const result = (await client.callTool({ name: 'count_notes', arguments: {} })) as CallToolResult;
    expect(result.structuredContent).toEqual({ count: 2 });
    await client.close();
    await expect.poll(() => stderr()).toContain('stdio closed: shutting down');
    const records = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { audit: { tool: string; operation: string; outcome: string; table: string } });
    expect(records.map((record) => record.audit)).toEqual([expect.objectContaining({ tool: 'count_notes', operation: 'count', outcome: 'ok', table: 'main.notes' })]);
    // The trail went to the file only.
    expect(stderr()).not.toContain('"audit"');
  });

  it('takes the audit sink from the config file, a relative file: path against the file\'s folder', async () => {
    const db = join(dir, 'audited-by-config.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: db }, useNullAsDefault: true });
    await knex.schema.createTable('notes', (table) => table.increments('id'));
    await knex.destroy();
    const folder = mkdtempSync(join(dir, 'config-'));
    const config = join(folder, 'conexor.json');
    writeFileSync(config, JSON.stringify({ audit: { sink: 'file:trail/audit.jsonl', values: 'redact' } }));
    const { client, stderr } = await serveStdio(['--db', db, '--config', config]);
    await client.callTool({ name: 'query_notes', arguments: { where: [{ field: 'id', op: 'eq', value: 7 }] } });
    await client.close();
    await expect.poll(() => stderr()).toContain('stdio closed: shutting down');
    const [record, ...more] = readFileSync(join(folder, 'trail', 'audit.jsonl'), 'utf8').trim().split('\n');
    expect(more).toEqual([]);
    const event = (JSON.parse(record ?? '{}') as { audit: { tool: string; arguments: unknown } }).audit;
    expect(event.tool).toBe('query_notes');
    // values: redact, from the file: the filter value is not in the trail.
    expect(JSON.stringify(event.arguments)).not.toContain('7');
  });

  it('logs the audit trail on stderr by default, and nothing with CONEXOR_LOG_LEVEL=silent or --audit off', async () => {
    const db = join(dir, 'logged.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: db }, useNullAsDefault: true });
    await knex.schema.createTable('notes', (table) => table.increments('id'));
    await knex.destroy();
    const runs: [Record<string, string>, string[], boolean][] = [
      [{ CONEXOR_LOG_LEVEL: 'warn' }, [], true],
      [{ CONEXOR_LOG_LEVEL: 'silent' }, [], false],
      [{ CONEXOR_LOG_LEVEL: 'info' }, ['--audit', 'off'], false],
      // The flag wins over the environment variable.
      [{ CONEXOR_LOG_LEVEL: 'silent' }, ['--log-level', 'warn'], true],
    ];
    for (const [env, args, audited] of runs) {
      const { client, stderr } = await serveStdio(['--db', db, ...args], env);
      await client.callTool({ name: 'count_notes', arguments: {} });
      await client.close();
      await expect.poll(() => stderr()).toContain('stdio closed: shutting down');
      expect(stderr().includes('"tool":"count_notes"'), `${JSON.stringify(env)} ${args.join(' ')}: ${stderr()}`).toBe(audited);
    }
  });
});

describe('keys generate', () => {
  it('prints a key and a record that StaticApiKeyStore accepts in a real server call, with no database', async () => {
    const generated = await cli(['keys', 'generate', '--name', 'reports', '--table', 'orders', '--max-rows', '2', '--expires-in', '30d']);
    expect(generated.code, generated.stderr).toBe(0);
    const { key, record } = JSON.parse(generated.stdout) as { key: string; record: SerializedApiKeyRecord };
    expect(key).toMatch(/^cx_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ id: key.split('_')[1], name: 'reports', scopes: [], policy: { tables: ['orders'], maxRows: 2 } });
    expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(record)).not.toContain(key.slice(16));
    expect(Date.parse(record.expiresAt ?? '') - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(generated.stderr).toContain('only time the key is shown');

    const db = join(dir, 'generated.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: db }, useNullAsDefault: true });
    let server: Server | undefined;
    try {
      await knex.schema.createTable('orders', (table) => table.increments('id'));
      await knex.schema.createTable('payroll', (table) => table.increments('id'));
      await knex('orders').insert([{ id: 1 }, { id: 2 }, { id: 3 }]);
      const conexor = await createConexor(knex);
      const app = express();
      // The record as JSON carries it, dates as strings: what a host would keep in its configuration.
      app.use('/mcp', conexorExpress(conexor, { auth: { store: new StaticApiKeyStore([JSON.parse(JSON.stringify(record)) as SerializedApiKeyRecord]) } }));
      server = createServer(app);
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
      const client = new Client({ name: 'generated-key', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
      // The key's own policy applies: orders only, at most 2 rows.
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['aggregate_orders', 'count_orders', 'query_orders', 'query_orders_by_id']);
      const rows = (await client.callTool({ name: 'query_orders', arguments: {} })) as CallToolResult;
      expect((rows.structuredContent as { rows: unknown[] }).rows).toHaveLength(2);
      await client.close();
      const other = JSON.parse((await cli(['keys', 'generate'])).stdout) as { key: string };
      const refused = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${other.key}`, 'Content-Type': 'application/json' }, body: '{}' });
      expect(refused.status).toBe(401);
      await conexor.close();
    } finally {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await knex.destroy();
    }
  });
});

describe('keys generate --read-only', () => {
  it('gives a key no write tool where the server allows writes; a key without it gets them', async () => {
    const readOnly = JSON.parse((await cli(['keys', 'generate', '--name', 'viewer', '--read-only'])).stdout) as { key: string; record: SerializedApiKeyRecord };
    const writer = JSON.parse((await cli(['keys', 'generate', '--name', 'editor'])).stdout) as { key: string; record: SerializedApiKeyRecord };
    expect(readOnly.record.policy).toEqual({ readOnly: true });
    expect(writer.record.policy).toBeNull();
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    let server: Server | undefined;
    try {
      await knex.schema.createTable('orders', (table) => {
        table.increments('id');
        table.string('note', 50).notNullable();
      });
      const conexor = await createConexor(knex, { writes: true, catalog: { mode: 'typed' } });
      const app = express();
      app.use('/mcp', conexorExpress(conexor, { auth: { store: new StaticApiKeyStore([readOnly.record, writer.record]) } }));
      server = createServer(app);
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
      const writeTools = async (key: string) => {
        const client = new Client({ name: 'keys', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
        const names = (await client.listTools()).tools.map((tool) => tool.name).filter((name) => /^(insert|update|delete)_/.test(name));
        const refused = (await client.callTool({ name: 'insert_orders', arguments: { rows: [{ note: 'x' }] } })) as CallToolResult;
        await client.close();
        return { names, refused: refused.isError === true };
      };
      expect(await writeTools(readOnly.key)).toEqual({ names: [], refused: true });
      expect(await writeTools(writer.key)).toEqual({ names: ['insert_orders', 'update_orders_by_id', 'update_orders', 'delete_orders_by_id', 'delete_orders'], refused: false });
      expect(await knex('orders').count({ n: '*' })).toEqual([{ n: 1 }]);
      await conexor.close();
    } finally {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await knex.destroy();
    }
  });
});

describe('--help', () => {
  it('shows examples for every command, and the environment variables', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Environment:[\s\S]*CONEXOR_DB[\s\S]*CONEXOR_LOG_LEVEL[\s\S]*Examples:/);
    for (const command of [['serve'], ['tools'], ['demo'], ['keys'], ['keys', 'create'], ['keys', 'generate'], ['keys', 'list'], ['keys', 'revoke']]) {
      const help = await cli([...command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout, command.join(' ')).toMatch(new RegExp(`Examples:\\n(  \\$ .*conexor ${command.join(' ')}\\b.*\\n)+`));
    }
    const serve = await cli(['serve', '--help']);
    for (const flag of ['--config <file>', '--statement-timeout <ms>', '--time-zone <zone>', '--no-relations', '--no-aggregates', '--aggregates-exclude <table>', '--default-limit <n>', '--allow-writes', '--write-tables <names...>', '--write-operations <ops>', '--audit <sink>', '--log-level <level>']) {
      expect(serve.stdout).toContain(flag);
    }
  });
});
