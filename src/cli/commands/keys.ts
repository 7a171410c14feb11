import { InvalidArgumentError, type Command } from 'commander';
import type { Knex } from 'knex';
import { createApiKey, generateApiKey, type ApiKeyRecord } from '../../auth/api-keys.js';
import { KnexApiKeyStore, createApiKeyTable } from '../../auth/knex-store.js';
import type { CallerPolicy } from '../../policy/caller.js';
import { parseDatabaseTarget, openDatabase, type DatabaseTarget } from '../database.js';
import { CliError, UsageError } from '../errors.js';
import { formatTable, formatTime, parseDuration } from '../format.js';
import { collect, databaseOption, keysTableOption } from '../options.js';

interface KeysFlags {
  db: string;
  keysTable: string;
}

/** Opens the database, runs `work`, and always closes the pool. */
async function withKeysDatabase<T>(flags: KeysFlags, create: boolean, work: (knex: Knex, target: DatabaseTarget) => Promise<T>): Promise<T> {
  const target = parseDatabaseTarget(flags.db);
  const knex = await openDatabase(target, { create });
  try {
    return await work(knex, target);
  } finally {
    await knex.destroy();
  }
}

function statusOf(record: ApiKeyRecord, now: Date): string {
  if (record.revokedAt && record.revokedAt <= now) return 'revoked';
  if (record.expiresAt && record.expiresAt <= now) return 'expired';
  return 'active';
}

/** What `keys list --json` prints for a key: everything but the hash. */
function publicRecord(record: ApiKeyRecord, now: Date) {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    policy: record.policy ?? null,
    status: statusOf(record, now),
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
  };
}

/** Registers `keys create`, `keys list` and `keys revoke`. */
export function registerKeysCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('manage the API keys that protect serve --http')
    .addHelpText(
      'after',
      `
Examples:
  $ conexor keys create --db postgres://app@db/shop --name claude --expires-in 90d
  $ conexor keys list --db postgres://app@db/shop
  $ conexor keys revoke 4f2kq7xw3mzd --db postgres://app@db/shop
  $ conexor keys generate --name ci          # no database: a key and its record for StaticApiKeyStore
`,
    );

  const create = keys
    .command('create')
    .description('create an API key (and the key table if needed); prints the key once')
    .addHelpText(
      'after',
      `
Examples:
  $ KEY=$(conexor keys create --db ./shop.sqlite --name claude)      # the key alone on stdout
  $ conexor keys create --db "$DATABASE_URL" --name reports --table 'orders' --tool 'count_*' --max-rows 50
`,
    )
    .addOption(databaseOption('database holding the key table (URL or SQLite file, created if missing)'))
    .addOption(keysTableOption())
    .requiredOption('--name <name>', 'who or what the key is for')
    .action(async (flags: KeysFlags & KeyOptions & { name: string }) => {
      await withKeysDatabase(flags, true, async (knex) => {
        await createApiKeyTable(knex, flags.keysTable);
        const expiresAt = flags.expiresIn === undefined ? null : new Date(Date.now() + flags.expiresIn);
        const store = new KnexApiKeyStore(knex, { table: flags.keysTable });
        const policy = keyPolicy(flags);
        const created = await createApiKey(store, { name: flags.name, scopes: flags.scope ?? [], expiresAt, policy }).catch((error: unknown) => {
          // Bad names are rejected with a TypeError: a usage mistake, not a failure.
          throw error instanceof TypeError ? new UsageError(error.message) : error;
        });
        const { record } = created;
        // The key alone on stdout, so `KEY=$(conexor keys create …)` works; the rest is for the human.
        process.stderr.write(
          `Created API key "${record.name}" (id ${record.id}, scopes: ${record.scopes.join(', ') || '-'}, expires: ${formatTime(record.expiresAt)}).\n`,
        );
        process.stdout.write(`${created.key}\n`);
        process.stderr.write('This is the only time the key is shown: only its SHA-256 hash is stored. Keep it somewhere safe.\n');
      });
    });
  keyOptions(create);

  const generate = keys
    .command('generate')
    .description('print a new API key and its record for StaticApiKeyStore, without any database')
    .option('--name <name>', 'who or what the key is for', 'static')
    .addHelpText(
      'after',
      `
Prints one JSON object on stdout: {"key": "cx_…", "record": {…}}. Give the key to the client and the record to
the server; the record holds only the key's SHA-256 hash:

  import { StaticApiKeyStore } from 'conexor';
  const store = new StaticApiKeyStore([record]);      // e.g. JSON.parse(process.env.CONEXOR_KEY_RECORD)
  app.use('/mcp', conexorExpress(conexor, { auth: { store } }));

Or set CONEXOR_API_KEYS=<key> for "conexor serve --http" (the key itself, not the record).

Examples:
  $ conexor keys generate --name reporting --table 'orders' --table 'customers' --max-rows 50
  $ conexor keys generate --name ci --expires-in 30d > ci-key.json
`,
    )
    .action((flags: KeyOptions & { name: string }) => {
      const expiresAt = flags.expiresIn === undefined ? null : new Date(Date.now() + flags.expiresIn);
      let created;
      try {
        created = generateApiKey({ name: flags.name, scopes: flags.scope ?? [], expiresAt, policy: keyPolicy(flags) });
      } catch (error) {
        throw error instanceof TypeError ? new UsageError(error.message) : error;
      }
      const { record } = created;
      const serialized = {
        id: record.id,
        name: record.name,
        hash: record.hash,
        scopes: record.scopes,
        createdAt: record.createdAt.toISOString(),
        expiresAt: record.expiresAt?.toISOString() ?? null,
        policy: record.policy ?? null,
      };
      process.stdout.write(`${JSON.stringify({ key: created.key, record: serialized }, null, 2)}\n`);
      process.stderr.write('This is the only time the key is shown: the record keeps only its SHA-256 hash. Keep the key somewhere safe.\n');
    });
  keyOptions(generate);

  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .addHelpText('after', '\nExamples:\n  $ conexor keys list --db ./shop.sqlite\n  $ CONEXOR_DB=postgres://app@db/shop conexor keys list --json\n')
    .addOption(databaseOption('database holding the key table'))
    .addOption(keysTableOption())
    .option('--json', 'print JSON')
    .action(async (flags: KeysFlags & { json?: boolean }) => {
      await withKeysDatabase(flags, false, async (knex) => {
        const records = (await knex.schema.hasTable(flags.keysTable)) ? await new KnexApiKeyStore(knex, { table: flags.keysTable }).list() : [];
        const now = new Date();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(records.map((record) => publicRecord(record, now)), null, 2)}\n`);
          return;
        }
        if (records.length === 0) {
          process.stdout.write('No API keys. Create one with: conexor keys create --db <db> --name <name>\n');
          return;
        }
        const rows = records.map((record) => [
          record.id,
          record.name,
          record.scopes.join(',') || '-',
          formatTime(record.createdAt),
          formatTime(record.expiresAt),
          formatTime(record.revokedAt),
          formatTime(record.lastUsedAt),
          statusOf(record, now),
        ]);
        process.stdout.write(`${formatTable(['ID', 'NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'REVOKED', 'LAST USED', 'STATUS'], rows)}\n`);
      });
    });

  keys
    .command('revoke')
    .description('revoke an API key; requests with it are refused from now on')
    .addHelpText('after', '\nExamples:\n  $ conexor keys revoke 4f2kq7xw3mzd --db ./shop.sqlite\n')
    .argument('<id>', 'key id, as shown by keys list (the part after cx_)')
    .addOption(databaseOption('database holding the key table'))
    .addOption(keysTableOption())
    .action(async (id: string, flags: KeysFlags) => {
      await withKeysDatabase(flags, false, async (knex, target) => {
        const known =
          (await knex.schema.hasTable(flags.keysTable)) && (await new KnexApiKeyStore(knex, { table: flags.keysTable }).revoke(id, new Date()));
        if (!known) throw new CliError(`No API key with id "${id}" in ${flags.keysTable} of ${target.display}.`);
        process.stdout.write(`Revoked API key ${id}.\n`);
      });
    });
}

/** What `keys create` and `keys generate` take besides the name. */
interface KeyOptions {
  scope?: string[];
  expiresIn?: number;
  table?: string[];
  tool?: string[];
  maxRows?: number;
  readOnly?: boolean;
}

/** The options `keys create` and `keys generate` share: scopes, lifetime and the key's own restrictions. */
function keyOptions(command: Command): Command {
  return command
    .option('--scope <scope>', 'scope granted to the key; repeatable', collect)
    .option('--expires-in <duration>', 'lifetime, e.g. 12h, 30d, 1y (default: never expires)', parseDuration)
    .option('--table <name>', 'restrict the key to these tables (names or globs); repeatable', collect)
    .option('--tool <name>', 'restrict the key to these tools (names or globs); repeatable', collect)
    .option('--max-rows <n>', 'rows per call for this key (never above the server\'s own maximum)', parseMaxRows)
    .option('--read-only', 'no write tools for this key, even where the server allows writes');
}

/** The key's own restrictions, or `null` when it has none. */
function keyPolicy(flags: KeyOptions): CallerPolicy | null {
  if (!flags.table && !flags.tool && flags.maxRows === undefined && !flags.readOnly) return null;
  return {
    ...(flags.table ? { tables: flags.table } : {}),
    ...(flags.tool ? { tools: flags.tool } : {}),
    ...(flags.maxRows !== undefined ? { maxRows: flags.maxRows } : {}),
    ...(flags.readOnly ? { readOnly: true } : {}),
  };
}

function parseMaxRows(value: string): number {
  const rows = Number(value);
  if (!Number.isInteger(rows) || rows < 1) throw new InvalidArgumentError('expected a positive integer.');
  return rows;
}
