import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Knex } from 'knex';
import type { ApiKeyStore } from '../../auth/api-keys.js';
import type * as HttpModule from '../http.js';
import type { Conexor } from '../../conexor.js';
import { createConexor } from '../../conexor.js';
import { MAX_LINE_BYTES_LIMIT, STDIO_DEFAULTS, serveStdio } from '../../adapters/stdio.js';
import { openDatabase, parseDatabaseTarget, type DatabaseTarget } from '../database.js';
import { CliError, UsageError } from '../errors.js';
import { servingKeys } from '../key-store.js';
import { untilShutdown } from '../lifecycle.js';
import { AUDIT_VALUES, parseAuditSink, type AuditSinkSpec } from '../config.js';
import { addPolicyOptions, collect, databaseOption, inFlagTerms, integerIn, resolveSettings, withLogging, type AuditFlags, type PolicyFlags } from '../options.js';

interface ServeFlags extends PolicyFlags, AuditFlags {
  db: string;
  http?: number;
  host: string;
  keysDb?: string;
  auth: boolean;
  allowedOrigin?: string[];
  maxLineBytes?: number;
}

const HTTP_ONLY = ['host', 'keysDb', 'auth', 'allowedOrigin'] as const;
const FLAG_NAMES: Record<(typeof HTTP_ONLY)[number], string> = {
  host: '--host',
  keysDb: '--keys-db',
  auth: '--no-auth',
  allowedOrigin: '--allowed-origin',
};

/** Diagnostics go to stderr: over stdio, stdout carries nothing but MCP. */
function say(line: string): void {
  process.stderr.write(`conexor: ${line}\n`);
}

/** Registers `serve`. */
export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description('serve the database as MCP tools: over stdio (default, e.g. for Claude Desktop) or Streamable HTTP with --http')
    .addHelpText(
      'after',
      `
Settings come from, in order of precedence: flags (and their environment variables), the --config file, defaults.
--exclude and --hide add to the config file's exclusions instead of replacing them. See docs/cli.md.

Examples:
  $ conexor serve --db ./shop.sqlite                                  # stdio, for Claude Desktop / Claude Code
  $ CONEXOR_DB=postgres://app:secret@db:5432/shop conexor serve       # the password stays out of the process list
  $ conexor serve --db mysql://app@db/shop --http 3333 --audit file:./audit.log
  $ conexor serve --db ./shop.sqlite --config conexor.json --catalog compact --exclude 'tmp_*'
  $ conexor serve --db ./shop.sqlite --schema main --hide customers.email --no-aggregates --time-zone Europe/Paris
`,
    )
    .addOption(databaseOption());
  addPolicyOptions(command)
    .option('--http <port>', 'serve Streamable HTTP at /mcp on this port (0: any free port) instead of stdio', integerIn(0, 65_535))
    .option('--host <host>', 'interface to listen on with --http', '127.0.0.1')
    .option('--keys-db <url>', 'database holding the API key table, if not --db')
    .option('--no-auth', 'with --http: accept requests without an API key (only behind authentication of your own)')
    .option('--allowed-origin <origin>', 'with --http: browser origin allowed to call the endpoint; repeatable', collect)
    .addOption(
      new Option('--audit <sink>', 'audit trail of every call: stderr (default), file:<path> (appended, JSON lines) or off').argParser(auditSinkOption),
    )
    .addOption(new Option('--audit-values <mode>', 'argument values in the audit trail: clear (default), hash or redact').choices(AUDIT_VALUES))
    .option(
      '--max-line-bytes <n>',
      `over stdio: longest request line in bytes; longer ones are dropped and answered with an error (default ${STDIO_DEFAULTS.maxLineBytes})`,
      integerIn(1, MAX_LINE_BYTES_LIMIT),
    )
    .action(async (flags: ServeFlags, cmd: Command) => {
      if (flags.http === undefined) {
        const misplaced = HTTP_ONLY.filter((name) => cmd.getOptionValueSource(name) === 'cli').map((name) => FLAG_NAMES[name]);
        if (misplaced.length > 0) throw new UsageError(`${misplaced.join(', ')}: only used with --http <port>.`);
      } else if (flags.maxLineBytes !== undefined) {
        throw new UsageError('--max-line-bytes: only used over stdio, without --http.');
      }
      const settings = resolveSettings(flags, cmd);
      const target = parseDatabaseTarget(flags.db);
      const keysTarget = flags.keysDb === undefined ? undefined : parseDatabaseTarget(flags.keysDb);
      const knex = await openDatabase(target);
      try {
        const conexor = await createConexor(knex, withLogging(settings)).catch((error: unknown) => {
          throw inFlagTerms(error, flags);
        });
        try {
          if (flags.http === undefined) await serveOverStdio(conexor, target, flags.maxLineBytes);
          else await serveOverHttp(conexor, knex, target, keysTarget, { ...flags, keysTable: settings.keysTable }, flags.http);
        } finally {
          // Pending audit events are written and the SQLite worker processes stop before the database is released.
          await conexor.close();
        }
      } finally {
        await knex.destroy();
      }
    });
}

async function serveOverStdio(conexor: Conexor, target: DatabaseTarget, maxLineBytes: number | undefined): Promise<void> {
  const server = await serveStdio(conexor, { maxLineBytes });
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  say(`serving ${conexor.tools.length} tools from ${target.display} over stdio`);
  const reason = await untilShutdown(closed);
  // Said even when the client simply went away: an exit is never silent.
  say(`${reason === 'closed' ? 'stdio closed' : reason}: shutting down`);
  await server.close();
}

async function serveOverHttp(
  conexor: Conexor,
  knex: Knex,
  target: DatabaseTarget,
  keysTarget: DatabaseTarget | undefined,
  flags: ServeFlags,
  port: number,
): Promise<void> {
  const keysKnex = keysTarget ? await openDatabase(keysTarget) : knex;
  try {
    let store: ApiKeyStore | undefined;
    if (flags.auth) {
      const keys = await servingKeys(keysKnex, flags.keysTable, process.env.CONEXOR_API_KEYS);
      if (keys.active === 0) {
        throw new CliError(
          `No usable API key in ${flags.keysTable} of ${(keysTarget ?? target).display} nor in CONEXOR_API_KEYS. ` +
            'Create one with "conexor keys create --db <db> --name <name>", or pass --no-auth to serve without authentication.',
        );
      }
      store = keys.store;
      say(`${keys.active} usable API key(s)`);
    } else {
      say('WARNING: --no-auth: anyone who can reach this endpoint can read the database');
    }
    const { serveHttp } = await loadHttp();
    const endpoint = await serveHttp(conexor, { host: flags.host, port, store, allowedOrigins: flags.allowedOrigin ?? [] });
    say(`serving ${conexor.tools.length} tools from ${target.display} at ${endpoint.url}`);
    const signal = await untilShutdown();
    say(`${signal}: shutting down`);
    await endpoint.close();
  } finally {
    if (keysKnex !== knex) await keysKnex.destroy();
  }
}

/** The HTTP stack is loaded only when asked for: express is an optional dependency that stdio does not need. */
export async function loadHttp(): Promise<typeof HttpModule> {
  try {
    return await import('../http.js');
  } catch (error) {
    const missing = error instanceof Error && (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
    if (missing && error.message.includes("'express'")) {
      throw new CliError('Serving over HTTP needs the express package: npm install express', undefined, { cause: error });
    }
    throw error;
  }
}

function auditSinkOption(value: string): AuditSinkSpec {
  const sink = parseAuditSink(value);
  if (!sink) throw new InvalidArgumentError('expected stderr, off or file:<path>.');
  return sink;
}
