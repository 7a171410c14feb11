import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_API_KEY_TABLE } from '../auth/knex-store.js';
import type { ConexorOptions } from '../policy/options.js';

/** Values of the policy flags shared by `serve` and `tools`. */
export interface PolicyFlags {
  schema?: string[];
  include?: string[];
  exclude?: string[];
  hide?: string[];
  maxRows?: number;
  views: boolean;
  keysTable: string;
  catalog?: 'auto' | 'typed' | 'compact';
  budgetTokens?: number;
  featured?: string[];
}

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

/** Adds the policy flags to a command. */
export function addPolicyOptions(command: Command): Command {
  return command
    .addOption(new Option('--schema <name>', 'schema (PostgreSQL) or database (MySQL) to read; repeatable').argParser(collect))
    .addOption(new Option('--include <table>', 'only these tables (names or globs); repeatable').argParser(collect))
    .addOption(new Option('--exclude <table>', 'never these tables (names or globs); repeatable').argParser(collect))
    .addOption(new Option('--hide <table.column>', 'hide a column (table "*" for every table); repeatable').argParser(collectColumn))
    .addOption(new Option('--max-rows <n>', 'most rows one call returns (default 100)').argParser(integerIn(1, 10_000)))
    .option('--no-views', 'expose tables only, not views')
    .addOption(new Option('--catalog <mode>', 'tool listing: auto (typed tools within the budget), typed, compact (generic tools)').choices(['auto', 'typed', 'compact']))
    .addOption(new Option('--budget-tokens <n>', 'token budget of the auto listing (default 10000)').argParser(integerIn(1_000, 1_000_000)))
    .addOption(new Option('--featured <table>', 'table whose typed tools auto lists first; repeatable').argParser(collect))
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
function hiddenColumns(entries: readonly string[]): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const entry of entries) {
    const dot = entry.lastIndexOf('.');
    (map[entry.slice(0, dot)] ??= []).push(entry.slice(dot + 1));
  }
  return map;
}

/** Conexor options from the policy flags. The API key table is always excluded: its hashes are nobody's business. */
export function policyOptions(flags: PolicyFlags): ConexorOptions {
  const hidden = hiddenColumns(flags.hide ?? []);
  return {
    ...(flags.schema ? { schemas: flags.schema } : {}),
    tables: {
      ...(flags.include ? { include: flags.include } : {}),
      exclude: [...(flags.exclude ?? []), exactGlob(flags.keysTable)],
    },
    views: flags.views,
    ...(Object.keys(hidden).length > 0 ? { hiddenColumns: hidden } : {}),
    ...(flags.maxRows !== undefined ? { maxRows: flags.maxRows } : {}),
    ...(flags.catalog || flags.budgetTokens !== undefined || flags.featured
      ? {
          catalog: {
            ...(flags.catalog ? { mode: flags.catalog } : {}),
            ...(flags.budgetTokens !== undefined ? { budgetTokens: flags.budgetTokens } : {}),
            ...(flags.featured ? { featured: flags.featured } : {}),
          },
        }
      : {}),
  };
}
