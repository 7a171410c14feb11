/**
 * The stdio examples run as a user runs them (`npx tsx examples/….ts`, `conexor` resolved to the sources through
 * tsconfig paths), serve an MCP client over stdin/stdout, and exit by themselves when the client closes stdin: a
 * local server that outlives its client is left running by every restart of Claude Desktop.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, uniqueName } from '../test/support/databases.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let dir: string;
let tsconfig: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'conexor-examples-'));
  tsconfig = join(dir, 'tsconfig.json');
  // As vitest.config.ts does for the tests: the package name points at the sources, no build needed.
  const paths = { conexor: ['src/index.ts'], 'conexor/*': ['src/adapters/*.ts'] };
  writeFileSync(tsconfig, JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions: { baseUrl: ROOT, paths } }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  id?: number;
  result?: { tools?: { name: string }[]; structuredContent?: unknown };
  error?: unknown;
}

/** `npx tsx <example>`, spoken to line by line as an MCP client does. */
function startExample(file: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, file)], {
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const answers = (): Answer[] => stdout.split('\n').slice(0, -1).map((line) => JSON.parse(line) as Answer);
  const send = (message: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  const request = async (id: number, method: string, params?: object): Promise<Answer> => {
    send({ id, method, ...(params ? { params } : {}) });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = answers().find((candidate) => candidate.id === id);
      if (answer) return answer;
      if (child.exitCode !== null) throw new Error(`${file} exited (${child.exitCode}) before answering ${method}:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`${file} did not answer ${method}:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const initialize = async () => {
    const init = await request(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'examples', version: '1' } });
    expect(init.error).toBeUndefined();
    send({ method: 'notifications/initialized' });
  };
  /** Closes stdin as a leaving client does; resolves with the exit code, or fails if the process stays. */
  const leave = async (): Promise<number | null> => {
    child.stdin.end();
    // A hang guard, not a speed check: an example that keeps running would never exit at all.
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${file} still runs 30 s after its client closed stdin`)), 30_000).unref(),
    );
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      child.kill('SIGKILL');
    }
  };
  return { child, initialize, request, leave, output: () => ({ stdout, stderr }) };
}

/** The first ```ts block after `heading` in a Markdown file. */
function codeBlock(markdownFile: string, heading: string): string {
  const text = readFileSync(join(ROOT, markdownFile), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(text.slice(text.indexOf(heading)))?.[1];
  if (block === undefined) throw new Error(`${markdownFile}: no ts block after ${heading}`);
  return block;
}

describe('the README quick start', () => {
  it('is examples/quickstart.ts, verbatim', () => {
    const example = readFileSync(join(ROOT, 'examples/quickstart.ts'), 'utf8').replace(/^(\/\/.*\n)+/, '');
    expect(example).toBe(codeBlock('README.md', '## Quick start'));
  });

  it('lists the tools the README names, answers its example call, and exits when the client leaves', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const sentence = /The model now sees ([\s\S]*?),\s+and can call e\.g\.\s+`count_users\((.*?)\)`/.exec(readme);
    expect(sentence, 'README: "The model now sees …, and can call e.g. `count_users(…)`"').not.toBeNull();
    const named = [...(sentence?.[1] ?? '').matchAll(/`(\w+)`/g)].map((match) => match[1]);

    const example = startExample('examples/quickstart.ts');
    await example.initialize();
    const listed = (await example.request(1, 'tools/list')).result?.tools?.map((tool) => tool.name);
    expect(listed?.slice().sort()).toEqual(named.slice().sort());
    const call = await example.request(2, 'tools/call', { name: 'count_users', arguments: JSON.parse(sentence?.[2] ?? '{}') as object });
    expect(call.result?.structuredContent).toEqual({ count: 1 });
    expect(await example.leave()).toBe(0);
  });
});

describe('examples/stdio-server.ts', () => {
  it('serves its PostgreSQL database with its exclusions, and exits when the client leaves', async () => {
    const database = uniqueName('cx_examples');
    const admin = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE DATABASE "${database}"`);
    try {
      const url = new URL(PG_URL);
      url.pathname = `/${database}`;
      const knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 1 } });
      try {
        await knex.schema.createTable('orders', (t) => t.increments('id'));
        await knex.schema.createTable('orders_audit', (t) => t.increments('id'));
      } finally {
        await knex.destroy();
      }
      const example = startExample('examples/stdio-server.ts', { DATABASE_URL: url.toString() });
      await example.initialize();
      const listed = (await example.request(1, 'tools/list')).result?.tools?.map((tool) => tool.name) ?? [];
      expect(listed).toContain('count_orders');
      expect(listed.filter((name) => name.includes('audit'))).toEqual([]);
      expect(await example.leave()).toBe(0);
    } finally {
      await admin.raw(`DROP DATABASE "${database}" WITH (FORCE)`);
      await admin.destroy();
    }
  });
});

describe('stdio snippets in the documentation', () => {
  it('release the database when the client leaves', () => {
    const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((name) => `docs/${name}`)];
    const serving: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, block = ''] of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
        if (!/serveStdio\(|StdioServerTransport/.test(block)) continue;
        serving.push(file);
        // A snippet that starts a stdio server also says what happens when stdin closes.
        expect(block, `${file}: a stdio snippet without onclose`).toMatch(/\.onclose = .*destroy\(\)/);
      }
    }
    expect(serving).toEqual(expect.arrayContaining(['README.md', 'docs/getting-started.md', 'docs/claude.md', 'docs/serving.md']));
  });
});
