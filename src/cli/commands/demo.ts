import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Knex } from 'knex';
import { createApiKey } from '../../auth/api-keys.js';
import { DEFAULT_API_KEY_TABLE, KnexApiKeyStore, createApiKeyTable } from '../../auth/knex-store.js';
import { createConexor } from '../../conexor.js';
import { DEMO_SHOP_TABLES, createDemoShop } from '../../demo/shop.js';
import { openDatabase, parseDatabaseTarget } from '../database.js';
import { CliError, describeError } from '../errors.js';
import { servingKeys } from '../key-store.js';
import { untilShutdown } from '../lifecycle.js';
import { integerIn, keyTableExcluded } from '../options.js';
import { loadHttp } from './serve.js';

const DEMO_TABLES = new Set<string>([...DEMO_SHOP_TABLES, DEFAULT_API_KEY_TABLE]);

/**
 * Deletes a previous demo database. Anything else at that path — another database, a file that is not SQLite —
 * is left alone: "overwrite" must never mean losing someone's data to a typo in --file.
 */
async function removePreviousDemo(file: string): Promise<void> {
  if (!existsSync(file)) return;
  const knex = await openDatabase(parseDatabaseTarget(file));
  let tables: string[];
  try {
    tables = await knex('sqlite_master').where('type', 'table').pluck('name');
  } catch (error) {
    throw new CliError(`${file} exists and is not a conexor demo database (${describeError(error)}); choose another --file.`);
  } finally {
    await knex.destroy();
  }
  const foreign = tables.filter((name) => !DEMO_TABLES.has(name) && !name.startsWith('sqlite_'));
  if (foreign.length > 0) {
    throw new CliError(`${file} exists and is not a conexor demo database (it has table "${foreign[0]}"); choose another --file.`);
  }
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

/** The lines `demo` prints once the endpoint is up. */
export function demoInstructions(url: string, key: string, file: string): string {
  const listTools = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
  const callTool = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'count_orders', arguments: {} } });
  const curl = (body: string) =>
    `curl -s ${url} -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -d '${body}'`;
  return [
    `conexor demo: a small shop database (customers, products, orders, order_items) in ${file}`,
    '',
    `  MCP endpoint  ${url}`,
    `  API key       ${key}`,
    '                (shown only now; the database keeps only its hash)',
    '',
    'List the tools:',
    `  ${curl(listTools)}`,
    '',
    'Call one:',
    `  ${curl(callTool)}`,
    '',
    'Explore interactively:',
    '  npx @modelcontextprotocol/inspector   (transport "Streamable HTTP", the URL above, header Authorization: Bearer <key>)',
    '',
    'Connect Claude:',
    `  Claude Code:    claude mcp add --transport http conexor-demo ${url} --header "Authorization: Bearer ${key}"`,
    `  Claude Desktop: serve over stdio instead: add {"command": "npx", "args": ["conexor", "serve", "--db", "${file}"]} under "mcpServers"`,
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}

/** Registers `demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('create a demo shop database (SQLite) and serve it over HTTP with a fresh API key')
    .addHelpText(
      'after',
      `
Examples:
  $ conexor demo                                   # ./conexor-demo.sqlite, http://127.0.0.1:3333/mcp
  $ conexor demo --port 0 --file /tmp/shop.sqlite  # any free port
`,
    )
    .option('--port <port>', 'port to listen on (0: any free port)', integerIn(0, 65_535), 3333)
    .option('--file <path>', 'SQLite file to create; a previous demo database there is replaced', './conexor-demo.sqlite')
    .action(async (flags: { port: number; file: string }) => {
      const file = resolve(flags.file);
      await removePreviousDemo(file);
      const knex: Knex = await openDatabase(parseDatabaseTarget(file), { create: true });
      try {
        await createDemoShop(knex);
        await createApiKeyTable(knex);
        const { key } = await createApiKey(new KnexApiKeyStore(knex), { name: 'demo' });
        const { store } = await servingKeys(knex, DEFAULT_API_KEY_TABLE, process.env.CONEXOR_API_KEYS);
        const conexor = await createConexor(knex, keyTableExcluded(DEFAULT_API_KEY_TABLE));
        const { serveHttp } = await loadHttp();
        const endpoint = await serveHttp(conexor, { host: '127.0.0.1', port: flags.port, store, allowedOrigins: [] });
        process.stdout.write(`${demoInstructions(endpoint.url, key, file)}\n`);
        const signal = await untilShutdown();
        process.stderr.write(`conexor: ${signal}: shutting down\n`);
        await endpoint.close();
        await conexor.close();
      } finally {
        await knex.destroy();
      }
    });
}
