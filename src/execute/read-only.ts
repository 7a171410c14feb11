import type { Knex } from 'knex';
import { QueryError } from '../errors.js';
import type { Dialect } from '../introspect/model.js';
import { rowsOf } from '../introspect/shared.js';
import type { ClosableRunner, ReadOnlyRunner, ReadOnlySession } from './runner.js';
import { SQLITE_WORKERS_DEFAULT, createSqliteWorkerRunner } from './sqlite-workers.js';

export type { ClosableRunner, ReadOnlyRunner, ReadOnlySession } from './runner.js';

/** Options of {@link createReadOnlyRunner}. */
export interface ReadOnlyRunnerOptions {
  /** Schemas whose tables the tools read (SQLite: attached databases a worker must attach). @default ['main'] */
  readonly schemas?: readonly string[];
  /** Worker processes for better-sqlite3 calls. @default min(4, availableParallelism()) */
  readonly workers?: number;
  /** Told why the better-sqlite3 calls run in process, without a time limit, when they must. */
  readonly warn?: (message: string) => void;
}

/**
 * Creates the runner for a dialect; asks a MySQL-family server once whether it is MariaDB. `inner` wraps the
 * session runner inside the deadline (the pool guard goes there, so a slot is held until the work really ends).
 */
export async function createReadOnlyRunner(
  knex: Knex,
  dialect: Dialect,
  timeoutMs: number,
  inner: (runner: ReadOnlyRunner) => ReadOnlyRunner = (runner) => runner,
  options: ReadOnlyRunnerOptions = {},
): Promise<ClosableRunner> {
  let close = () => Promise.resolve();
  let runner: ReadOnlyRunner;
  let mariadb = false;
  if (dialect === 'postgresql') {
    runner = postgresRunner(knex, timeoutMs);
  } else if (dialect === 'mysql') {
    mariadb = await isMariaDb(knex);
    runner = mariadb ? mariaDbRunner(knex, timeoutMs) : mysqlRunner(knex, timeoutMs);
  } else {
    const workers = (knex.client as { driverName?: string }).driverName === 'better-sqlite3' ? await betterSqliteWorkers(knex, timeoutMs, options) : undefined;
    runner = workers ?? sqliteRunner(knex, timeoutMs);
    if (workers) close = () => workers.close();
  }
  return { ...withDeadline(inner(runner), timeoutMs), close, ...(mariadb ? { mariadb } : {}) };
}

async function betterSqliteWorkers(knex: Knex, timeoutMs: number, options: ReadOnlyRunnerOptions) {
  const created = await createSqliteWorkerRunner(knex, timeoutMs, {
    schemas: options.schemas ?? ['main'],
    workers: options.workers ?? SQLITE_WORKERS_DEFAULT,
  });
  if (created && 'fallback' in created) {
    options.warn?.(`SQLite: ${created.fallback}; tool calls run in process, where better-sqlite3 cannot enforce statementTimeoutMs.`);
    return undefined;
  }
  return created?.runner;
}

const sessionOf = (trx: Knex.Transaction): ReadOnlySession => ({ builder: () => trx.queryBuilder() });

/** Refuses to start work whose call has already been answered. */
function ensureNotAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new QueryError('timeout', 'The database did not answer in time. Retry later.');
}

function postgresRunner(knex: Knex, timeoutMs: number): ReadOnlyRunner {
  return {
    run: (work, signal) =>
      knex.transaction(
        async (trx) => {
          ensureNotAborted(signal);
          // LOCAL: the limit ends with this transaction and never leaks into the host's pool.
          await trx.raw(`SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`);
          return work(sessionOf(trx));
        },
        { readOnly: true },
      ),
  };
}

async function isMariaDb(knex: Knex): Promise<boolean> {
  const [row] = rowsOf<{ version: string }>(await knex.raw('SELECT VERSION() AS version'));
  return /mariadb/i.test(row?.version ?? '');
}

function mysqlRunner(knex: Knex, timeoutMs: number): ReadOnlyRunner {
  const hint = `MAX_EXECUTION_TIME(${Math.floor(timeoutMs)})`;
  return {
    run: (work, signal) =>
      knex.transaction(
        (trx) => {
          ensureNotAborted(signal);
          return work({ builder: () => trx.queryBuilder().hintComment(hint) });
        },
        { readOnly: true },
      ),
  };
}

function mariaDbRunner(knex: Knex, timeoutMs: number): ReadOnlyRunner {
  const seconds = (timeoutMs / 1000).toFixed(3);
  return {
    run: (work, signal) =>
      knex.transaction(
        async (trx) => {
          ensureNotAborted(signal);
          // One statement saves the host's value and sets ours; `finally` puts it back on this pooled connection.
          await trx.raw(`SET @conexor_previous_limit = @@SESSION.max_statement_time, SESSION max_statement_time = ${seconds}`);
          try {
            return await work(sessionOf(trx));
          } finally {
            await trx.raw('SET SESSION max_statement_time = @conexor_previous_limit');
          }
        },
        { readOnly: true },
      ),
  };
}

/** The two SQLite drivers Knex supports, reduced to what the read-only session needs. */
interface SqliteConnection {
  /** better-sqlite3 (synchronous). */
  pragma?: (source: string, options?: { simple?: boolean }) => unknown;
  /** sqlite3 (callback-based). */
  get?: (sql: string, callback: (error: Error | null, row?: Record<string, unknown>) => void) => void;
  run?: (sql: string, callback: (error: Error | null) => void) => void;
  interrupt?: () => void;
}

function sqlitePragma(connection: SqliteConnection, statement: string): Promise<number> {
  if (connection.pragma) return Promise.resolve(Number(connection.pragma(statement, { simple: true }) ?? 0));
  return new Promise((resolve, reject) => {
    connection.get?.(`PRAGMA ${statement}`, (error, row) => (error ? reject(error) : resolve(Number(Object.values(row ?? {})[0] ?? 0))));
  });
}

/**
 * SQLite: the connection itself is made read-only with `PRAGMA query_only` for the call. The pragmas go straight
 * to the driver and the query runs on the held connection, so a call costs one Knex query, not a transaction and
 * three more; while the connection is held, no query of the host's can run on it and meet the pragma.
 */
function sqliteRunner(knex: Knex, timeoutMs: number): ReadOnlyRunner {
  return {
    async run(work, signal) {
      const connection = (await knex.client.acquireConnection()) as SqliteConnection;
      let previous: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        ensureNotAborted(signal);
        previous = await sqlitePragma(connection, 'query_only');
        await sqlitePragma(connection, 'query_only = ON');
        // better-sqlite3 runs synchronously and cannot be interrupted here (its calls normally run in worker
        // processes); the sqlite3 driver can.
        if (typeof connection.interrupt === 'function') timer = setTimeout(() => connection.interrupt?.(), timeoutMs);
        return await work({ builder: () => knex.queryBuilder().connection(connection) });
      } finally {
        if (timer) clearTimeout(timer);
        try {
          if (previous !== undefined) await sqlitePragma(connection, `query_only = ${previous ? 'ON' : 'OFF'}`);
        } finally {
          await knex.client.releaseConnection(connection);
        }
      }
    },
  };
}

// Past the server-side limit plus this grace, the caller gets an answer even if the database never replies.
const GRACE_MS = 2_000;

function withDeadline(runner: ReadOnlyRunner, timeoutMs: number): ReadOnlyRunner {
  return {
    run(work) {
      const abandoned = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abandoned.abort();
          reject(new QueryError('timeout', 'The database did not answer in time. Retry later.'));
        }, timeoutMs + GRACE_MS);
      });
      return Promise.race([runner.run(work, abandoned.signal), deadline]).finally(() => clearTimeout(timer));
    },
  };
}
