import { InvalidArgumentError, Option, type Command } from 'commander';
import pino from 'pino';
import { pinoSink } from '../audit/sinks.js';
import type { AuditValues } from '../audit/event.js';
import { DEFAULT_API_KEY_TABLE } from '../auth/knex-store.js';
import { ConfigurationError } from '../errors.js';
import type { ConexorOptions } from '../policy/options.js';
import { isValidTimeZone } from '../shared/time.js';
import { LOG_LEVELS, loadConfig, parseAuditSink, type AuditSinkSpec, type CliConfig, type LogLevel } from './config.js';
import { CliError, UsageError, describeError } from './errors.js';

/** Values of the policy flags shared by `serve` and `tools`. */
export interface PolicyFlags {
  config?: string;
  schema?: string[];
  include?: string[];
  exclude?: string[];
  hide?: string[];
  maxRows?: number;
  defaultLimit?: number;
  views: boolean;
  relations: boolean;
  aggregates: boolean;
  aggregatesExclude?: string[];
  statementTimeout?: number;
  timeZone?: string;
  keysTable: string;
  catalog?: 'auto' | 'typed' | 'compact';
  budgetTokens?: number;
  featured?: string[];
  allowWrites?: boolean;
  writeTables?: string[];
  writeOperations?: WriteOperation[];
  logLevel?: LogLevel;
}

type WriteOperation = 'insert' | 'update' | 'delete';
const WRITE_OPERATIONS: readonly WriteOperation[] = ['insert', 'update', 'delete'];

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Commander parser for a repeatable flag: collects every occurrence. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Commander parser for a repeatable `table.column` flag. */
function collectColumn(value: string, previous: string[] = []): string[] {
  const dot = value.lastIndexOf('.');
  if (dot <= 0 || dot === value.length - 1) throw new InvalidArgumentError('expected table.column.');
  return [...previous, value];
}

/** Commander parser for an integer in `[min, max]`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return number;
  };
}

/** Commander parser for a key table name, checked before it is ever used in DDL or a glob. */
export function tableName(value: string): string {
  if (!TABLE_NAME.test(value)) throw new InvalidArgumentError('use letters, digits and "_", not starting with a digit.');
  return value;
}

/** The `--db` option; `CONEXOR_DB` keeps a password out of process listings and client configs. */
export function databaseOption(description = 'database URL (postgres://, mysql://, mariadb://, sqlite:) or SQLite file'): Option {
  return new Option('--db <url>', description).env('CONEXOR_DB').makeOptionMandatory();
}

/** The `--keys-table` option. */
export function keysTableOption(): Option {
  return new Option('--keys-table <name>', 'API key table').default(DEFAULT_API_KEY_TABLE).argParser(tableName);
}

/** Commander parser for `--time-zone`: an IANA zone this Node.js knows. */
function timeZone(value: string): string {
  if (!isValidTimeZone(value)) throw new InvalidArgumentError('expected an IANA time zone such as UTC, Europe/Paris or America/New_York.');
  return value;
}

/** Commander parser for `--write-operations insert,update`: a comma-separated subset of insert, update, delete. */
function writeOperations(value: string, previous: WriteOperation[] = []): WriteOperation[] {
  const operations = value.split(',').map((operation) => operation.trim()).filter(Boolean);
  const wrong = operations.filter((operation) => !WRITE_OPERATIONS.includes(operation as WriteOperation));
  if (operations.length === 0 || wrong.length > 0) {
    throw new InvalidArgumentError(`expected a comma-separated list of ${WRITE_OPERATIONS.join(', ')}${wrong.length ? ` (not ${wrong.join(', ')})` : ''}.`);
  }
  return [...new Set([...previous, ...(operations as WriteOperation[])])];
}

/** Commander parser for a variadic list that also takes commas: `--write-tables orders,notes invoices`. */
function collectNames(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((name) => name.trim()).filter(Boolean)];
}

/** Adds the policy flags to a command (`serve`, `tools`). */
export function addPolicyOptions(command: Command): Command {
  return command
    .addOption(new Option('--config <file>', 'JSON file of options (see docs/cli.md); flags given too win over it'))
    .addOption(new Option('--schema <name>', 'schema (PostgreSQL), database (MySQL) or attached database (SQLite) to read; repeatable').argParser(collect))
    .addOption(new Option('--include <table>', 'only these tables (names or globs); repeatable').argParser(collect))
    .addOption(new Option('--exclude <table>', 'never these tables (names or globs); repeatable, added to the config file\'s').argParser(collect))
    .addOption(new Option('--hide <table.column>', 'hide a column (table "*" for every table); repeatable, added to the config file\'s').argParser(collectColumn))
    .addOption(new Option('--max-rows <n>', 'most rows one call returns (default 100)').argParser(integerIn(1, 10_000)))
    .addOption(new Option('--default-limit <n>', 'rows a call returns when it gives no limit (default 25)').argParser(integerIn(1, 10_000)))
    .option('--no-views', 'expose tables only, not views')
    .option('--no-relations', 'no related fields (customer.name) nor has filters through foreign keys')
    .option('--no-aggregates', 'no aggregate tools')
    .addOption(new Option('--aggregates-exclude <table>', 'no aggregate tool for these tables (names or globs); repeatable').argParser(collect))
    .addOption(new Option('--statement-timeout <ms>', 'server-side time limit of one statement, in milliseconds (default 5000)').argParser(integerIn(10, 600_000)))
    .addOption(new Option('--time-zone <zone>', 'IANA time zone of relative times and time buckets (default UTC)').argParser(timeZone))
    .addOption(new Option('--catalog <mode>', 'tool listing: auto (typed tools within the budget), typed, compact (generic tools)').choices(['auto', 'typed', 'compact']))
    .addOption(new Option('--budget-tokens <n>', 'token budget of the auto listing (default 10000)').argParser(integerIn(1_000, 1_000_000)))
    .addOption(new Option('--featured <table>', 'table whose typed tools auto lists first; repeatable').argParser(collect))
    .addOption(new Option('--allow-writes', 'generate write tools (insert, update, delete); read-only without it'))
    .addOption(new Option('--write-tables <names...>', 'with --allow-writes: only these tables are writable (names or globs)').argParser(collectNames))
    .addOption(new Option('--write-operations <ops>', 'with --allow-writes: comma-separated subset of insert,update,delete').argParser(writeOperations))
    .addOption(new Option('--log-level <level>', 'level of conexor\'s log on stderr (default warn)').choices(LOG_LEVELS).env('CONEXOR_LOG_LEVEL'))
    .addOption(keysTableOption());
}

/**
 * A glob that matches exactly `name`. Policy rejects a plain name that names no table, but the key table may
 * not exist (yet) or lie outside `--schema`; a glob is exempt from that check.
 */
function exactGlob(name: string): string {
  return `[${name[0]}]${name.slice(1)}`;
}

/** Groups `table.column` (or `schema.table.column`) entries by table; the parser checked each has a dot. */
function hiddenColumns(entries: readonly string[], base: Readonly<Record<string, readonly string[]>> = {}): Record<string, string[]> {
  const map: Record<string, string[]> = Object.fromEntries(Object.entries(base).map(([table, columns]) => [table, [...columns]]));
  for (const entry of entries) {
    const dot = entry.lastIndexOf('.');
    (map[entry.slice(0, dot)] ??= []).push(entry.slice(dot + 1));
  }
  return map;
}

/** The options every CLI conexor gets: the API key table is always excluded, its hashes are nobody's business. */
export function keyTableExcluded(keysTable: string): ConexorOptions {
  return { tables: { exclude: [exactGlob(keysTable)] } };
}

/** What `serve` and `tools` run with, from the config file, the environment and the flags. */
export interface CliSettings {
  /** Library options, without the logger and the audit (see {@link withLogging}). */
  readonly options: ConexorOptions;
  readonly keysTable: string;
  readonly logLevel: LogLevel;
  readonly audit: { readonly sink: AuditSinkSpec; readonly values: AuditValues | undefined };
}

/** Values of the audit flags of `serve`. */
export interface AuditFlags {
  audit?: AuditSinkSpec;
  auditValues?: AuditValues;
}

/**
 * The settings of a command: flag (or its environment variable) over config file over default. Flags that exclude
 * or hide (`--exclude`, `--hide`) add to the config file's lists instead, so a flag can never expose what the file
 * hides. Throws {@link UsageError} for a bad config file and for flags that contradict each other.
 */
export function resolveSettings(flags: PolicyFlags & AuditFlags, command: Command): CliSettings {
  const given = (name: string) => ['cli', 'env'].includes(command.getOptionValueSource(name) ?? '');
  const config: Partial<CliConfig> = flags.config === undefined ? {} : loadConfig(flags.config);
  const { audit: configAudit, logLevel: configLogLevel, keysTable: configKeysTable, directory, ...library } = config;
  const keysTable = given('keysTable') ? flags.keysTable : (configKeysTable ?? flags.keysTable);
  if (given('aggregates') && flags.aggregatesExclude) throw new UsageError('--no-aggregates and --aggregates-exclude: give one or the other.');
  const hidden = hiddenColumns(flags.hide ?? [], library.hiddenColumns);
  const catalog = {
    ...library.catalog,
    ...(flags.catalog ? { mode: flags.catalog } : {}),
    ...(flags.budgetTokens !== undefined ? { budgetTokens: flags.budgetTokens } : {}),
    ...(flags.featured ? { featured: flags.featured } : {}),
  };
  const include = flags.include ?? library.tables?.include;
  const aggregates = given('aggregates') ? false : flags.aggregatesExclude ? { exclude: flags.aggregatesExclude } : library.aggregates;
  const writes = writesOf(flags, library.writes);
  const options: ConexorOptions = {
    ...library,
    ...(flags.schema ? { schemas: flags.schema } : {}),
    tables: { ...(include ? { include } : {}), exclude: [...(library.tables?.exclude ?? []), ...(flags.exclude ?? []), exactGlob(keysTable)] },
    ...(Object.keys(hidden).length > 0 ? { hiddenColumns: hidden } : {}),
    ...(given('views') ? { views: flags.views } : {}),
    ...(given('relations') ? { relations: flags.relations } : {}),
    ...(aggregates !== undefined ? { aggregates } : {}),
    ...(flags.maxRows !== undefined ? { maxRows: flags.maxRows } : {}),
    ...(flags.defaultLimit !== undefined ? { defaultLimit: flags.defaultLimit } : {}),
    ...(flags.statementTimeout !== undefined ? { statementTimeoutMs: flags.statementTimeout } : {}),
    ...(flags.timeZone !== undefined ? { timeZone: flags.timeZone } : {}),
    ...(Object.keys(catalog).length > 0 ? { catalog } : {}),
    ...(writes !== undefined ? { writes } : {}),
  };
  const logLevel = (given('logLevel') ? flags.logLevel : undefined) ?? configLogLevel ?? 'warn';
  const fromConfig = typeof configAudit === 'object' ? configAudit : { sink: configAudit === false ? 'off' : configAudit };
  const configSink = fromConfig.sink === undefined ? undefined : parseAuditSink(fromConfig.sink, directory);
  // Silenced logging (the test suites' CONEXOR_LOG_LEVEL=silent) also silences the default audit on stderr.
  const sink: AuditSinkSpec = flags.audit ?? configSink ?? { kind: logLevel === 'silent' ? 'off' : 'stderr' };
  return { options, keysTable, logLevel, audit: { sink, values: flags.auditValues ?? fromConfig.values } };
}

function writesOf(flags: PolicyFlags, fromConfig: ConexorOptions['writes']): ConexorOptions['writes'] {
  const narrowed = flags.writeTables !== undefined || flags.writeOperations !== undefined;
  if (!flags.allowWrites && !narrowed) return fromConfig;
  if (!flags.allowWrites && !fromConfig) {
    throw new UsageError('--write-tables, --write-operations: only with --allow-writes (or "writes" in the config file).');
  }
  // --allow-writes alone keeps the file's narrowing; --write-tables / --write-operations replace its keys.
  if (!narrowed) return typeof fromConfig === 'object' ? fromConfig : true;
  return {
    ...(typeof fromConfig === 'object' ? fromConfig : {}),
    ...(flags.writeTables ? { tables: flags.writeTables } : {}),
    ...(flags.writeOperations ? { operations: flags.writeOperations } : {}),
  };
}

/**
 * The library options with the CLI's logger (pino on stderr at the chosen level) and audit sink. Throws
 * {@link CliError} when the audit file cannot be opened.
 */
export function withLogging(settings: CliSettings): ConexorOptions {
  const logger = pino({ name: 'conexor', level: settings.logLevel }, pino.destination(2));
  const { sink, values } = settings.audit;
  if (sink.kind === 'off') return { ...settings.options, logger, audit: false };
  let auditLogger = logger;
  if (sink.kind === 'file') {
    try {
      // Synchronous appends: an event is on disk when its call answers, and none is lost when the process exits.
      auditLogger = pino({ name: 'conexor' }, pino.destination({ dest: sink.path, append: true, mkdir: true, sync: true }));
    } catch (error) {
      throw new CliError(`Cannot open the audit file ${sink.path}: ${describeError(error)}`, undefined, { cause: error });
    }
  }
  return { ...settings.options, logger, audit: { sinks: [pinoSink(auditLogger)], ...(values ? { values } : {}) } };
}

/**
 * A creation error in the words the user typed: a schema named by `--schema` is reported as `--schema: no schema
 * "pubilc"; did you mean "public"?`; one from the config file keeps the key path `schemas:`.
 */
export function inFlagTerms(error: unknown, flags: Pick<PolicyFlags, 'schema'>): unknown {
  if (flags.schema && error instanceof ConfigurationError && error.message.startsWith('schemas: ')) {
    return new UsageError(`--schema${error.message.slice('schemas'.length)}`);
  }
  return error;
}
