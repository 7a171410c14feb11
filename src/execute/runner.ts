/**
 * The contract between the executor and what runs its work read-only. It lives apart from `read-only.ts`, which
 * builds the runners (and re-exports these types), so that a runner built elsewhere (`sqlite-workers.ts`) can
 * implement it without importing `read-only.ts`, which imports it: no cycle.
 * @module
 */
import type { Knex } from 'knex';

/** What a read-only call may use: query builders bound to its read-only transaction. */
export interface ReadOnlySession {
  /** A query builder on the call's transaction, with the dialect's per-statement time limit applied. */
  builder(): Knex.QueryBuilder;
}

/**
 * Runs work so that the database itself refuses writes and stops slow queries:
 * - PostgreSQL: `BEGIN READ ONLY` and `SET LOCAL statement_timeout`.
 * - MySQL: a read-only transaction and the `MAX_EXECUTION_TIME` optimizer hint on each statement.
 * - MariaDB: a read-only transaction and `max_statement_time` for the session, restored afterwards.
 * - SQLite with better-sqlite3: a worker process with its own read-only connection (a snapshot for an in-memory
 *   database), killed at the time limit; see `sqlite-workers.ts`.
 * - SQLite with sqlite3: `PRAGMA query_only` on the held connection for the duration of the call (restored
 *   afterwards, so the host's own writes on the same Knex keep working) and `interrupt()` at the time limit.
 * Every call also has a deadline in Node, so an unresponsive database gives an error instead of a hang.
 */
export interface ReadOnlyRunner {
  /**
   * Runs `work` in a read-only session. `signal` aborts work that has not started yet: a call that already got its
   * timeout must not run its query later, once a connection frees up.
   */
  run<T>(work: (session: ReadOnlySession) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Worker processes serving the calls (better-sqlite3), which bound how many calls can run at once. */
  readonly workers?: number;
}

/** The runner of a conexor, with what its `close()` must release. */
export interface ClosableRunner extends ReadOnlyRunner {
  /** Stops what the runner started (SQLite worker processes); never touches the host's Knex. */
  close(): Promise<void>;
  /** `true` when a `mysql` dialect server turned out to be MariaDB. */
  readonly mariadb?: boolean;
}
