import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Dialect } from '../introspect/model.js';
import { CliError, UsageError, describeError } from './errors.js';
import { redact, registerSecret } from './redact.js';

/** Where `--db` points, ready for Knex. */
export interface DatabaseTarget {
  readonly dialect: Dialect;
  /** What messages may show: the URL without its password, or the SQLite file path. */
  readonly display: string;
  /** Absolute path of a SQLite file. */
  readonly file?: string;
  readonly config: Knex.Config;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Knex's own log, redacted and kept to one line. Failed connection attempts are dropped: the CLI reports them
 * itself, and Knex would print a stack trace.
 */
function knexLog(level: string): (message: unknown) => void {
  return (message) => {
    const text = typeof message === 'string' ? message : describeError(message);
    if (text.startsWith('Acquire connection error')) return;
    process.stderr.write(`knex ${level}: ${redact(text).replace(/\s*\n\s*/g, ' ')}\n`);
  };
}

const KNEX_LOG: Knex.Config['log'] = { warn: knexLog('warning'), error: knexLog('error'), deprecate: knexLog('deprecation'), debug: () => undefined };
const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const SUPPORTED = 'postgres://, postgresql://, mysql://, mariadb://, sqlite:<file> or a file path';

/**
 * Reads a `--db` value: `postgres://` / `postgresql://` (pg), `mysql://` / `mariadb://` (mysql2),
 * `sqlite:<path>` / `sqlite:///abs/path` or a plain file path (better-sqlite3). Throws {@link UsageError}
 * for anything else. Passwords are registered for redaction before anything can print them.
 */
export function parseDatabaseTarget(spec: string): DatabaseTarget {
  const value = spec.trim();
  if (/^sqlite:/i.test(value)) return sqliteTarget(safeDecode(value.slice('sqlite:'.length).replace(/^\/\//, '')));
  const scheme = URL_SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return sqliteTarget(value);
  if (!['postgres', 'postgresql', 'mysql', 'mariadb'].includes(scheme)) {
    throw new UsageError(`Unsupported database URL scheme "${scheme}:" in --db; use ${SUPPORTED}.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`Invalid database URL: ${redact(value)}`);
  }
  if (url.password) {
    registerSecret(url.password);
    registerSecret(safeDecode(url.password));
  }
  const display = redact(value);
  if (!url.hostname) throw new UsageError(`Database URL ${display} has no host.`);
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return {
      dialect: 'postgresql',
      display,
      config: {
        client: 'pg',
        connection: { connectionString: value, connectionTimeoutMillis: CONNECT_TIMEOUT_MS },
        pool: { min: 0, max: 4 },
        acquireConnectionTimeout: CONNECT_TIMEOUT_MS + 5_000,
      },
    };
  }
  if (url.pathname.length <= 1) throw new UsageError(`MySQL URL ${display} needs a database name: mysql://user@host:3306/database`);
  // mysql2 only knows the mysql: scheme; MariaDB speaks the same protocol.
  url.protocol = 'mysql:';
  return {
    dialect: 'mysql',
    display,
    config: {
      client: 'mysql2',
      connection: { uri: url.toString(), connectTimeout: CONNECT_TIMEOUT_MS } as Knex.MySql2ConnectionConfig,
      pool: { min: 0, max: 4 },
      acquireConnectionTimeout: CONNECT_TIMEOUT_MS + 5_000,
    },
  };
}

function sqliteTarget(path: string): DatabaseTarget {
  if (!path) throw new UsageError(`--db needs a SQLite file path or a URL (${SUPPORTED}).`);
  const file = resolve(path);
  return { dialect: 'sqlite', display: file, file, config: { client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true } };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Options of {@link openDatabase}. */
export interface OpenOptions {
  /** Create a missing SQLite file instead of failing. @default false */
  create?: boolean;
}

const DRIVER_OF: Record<Dialect, string> = { sqlite: 'SQLite', postgresql: 'PostgreSQL', mysql: 'MySQL/MariaDB' };

/**
 * Throws a one-line {@link CliError} naming the package to install when the target's driver is not where Knex
 * loads it from. The drivers are optional dependencies of conexor, so `--omit=optional`, a failed native build or
 * a host's own install can leave one out; Knex itself would log a long require stack and throw.
 */
export function assertDriverInstalled(target: DatabaseTarget): void {
  const driver = String(target.config.client);
  try {
    // Knex requires the driver from its own location: resolve it from there.
    const fromHere = createRequire(import.meta.url);
    createRequire(fromHere.resolve('knex')).resolve(driver);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    throw new CliError(
      `${target.display} needs the ${DRIVER_OF[target.dialect]} driver ${driver}, which is not installed; install it beside conexor: npm install ${driver}`,
    );
  }
}

/**
 * A Knex on the target, after a round trip proves the database answers. Throws {@link CliError} (exit 1)
 * when its driver is not installed, when it does not answer, or when a SQLite file is missing and `create` is not set.
 */
export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Knex> {
  if (target.file && !options.create && !existsSync(target.file)) {
    throw new CliError(`SQLite database file not found: ${target.file}`);
  }
  assertDriverInstalled(target);
  const knex = knexFactory({ ...target.config, log: KNEX_LOG });
  try {
    await knex.raw('SELECT 1');
  } catch (error) {
    await knex.destroy().catch(() => undefined);
    throw new CliError(`Cannot connect to ${target.display}: ${describeError(error)}`, undefined, { cause: error });
  }
  return knex;
}
