import type { Knex } from 'knex';
import { QueryError } from '../errors.js';
import type { Dialect } from '../introspect/model.js';
import { rowsOf } from '../introspect/shared.js';

/** What a write call may use: its read-write transaction, under the same statement limit as reads. */
export interface WriteSession {
  readonly trx: Knex.Transaction;
  /** A query builder on the transaction; refused past the call's deadline (see `alive`). */
  builder(): Knex.QueryBuilder;
  /** Throws once the call is past its deadline: the caller has been answered, so no further statement may start. */
  alive(): void;
}

/** What the database of a write runner can do that changes how writes are run. */
export interface WriteCapabilities {
  /** `INSERT … RETURNING` (PostgreSQL, SQLite ≥ 3.35, MariaDB ≥ 10.5); MySQL re-reads by key instead. */
  readonly insertReturning: boolean;
}

/**
 * Runs write calls, each in one read-write transaction that commits only when the whole call succeeded:
 * - PostgreSQL: `SET LOCAL statement_timeout`.
 * - MariaDB: `max_statement_time` for the session, restored afterwards.
 * - MySQL: its statement limit covers only SELECT; the transaction's lock waits are bounded by
 *   `innodb_lock_wait_timeout`, set for the session and restored.
 * - SQLite: the host's connection (read tools use their own read-only connections).
 * Past the limit plus a grace, the caller gets a timeout, and a transaction still running then rolls back instead
 * of committing later.
 */
export interface WriteRunner {
  readonly capabilities: WriteCapabilities;
  run<T>(work: (session: WriteSession) => Promise<T>): Promise<T>;
}

// Past the server-side limit plus this grace, the caller gets an answer even if the database never replies.
const GRACE_MS = 2_000;
const UNCONFIRMED = 'The database did not confirm the change in time: it may have been applied. Check before retrying.';

/** Creates the write runner of a dialect; `guard` wraps each call (the pool guard). */
export async function createWriteRunner(
  knex: Knex,
  dialect: Dialect,
  timeoutMs: number,
  guard: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
): Promise<WriteRunner> {
  const version = await serverVersion(knex, dialect);
  const mariaDb = dialect === 'mysql' && /mariadb/i.test(version);
  const capabilities: WriteCapabilities = {
    insertReturning: dialect === 'postgresql' || (dialect === 'sqlite' && atLeast(version, [3, 35])) || (mariaDb && atLeast(version, [10, 5])),
  };
  const setup = sessionSetup(dialect, mariaDb, timeoutMs);
  // MySQL family: READ COMMITTED, as PostgreSQL's default. The rows a call changes are locked when found, so the
  // outcome is the same; but under REPEATABLE READ an UPDATE that scans a table (InnoDB does for `id IN (…)` on a
  // small one) keeps a lock on every row it read, and concurrent calls on overlapping rows deadlock.
  // Also, REPEATABLE READ locks every row a locking read scans (every tenant's, with a where on unindexed
  // columns) until the transaction ends; READ COMMITTED keeps the locks of the rows a write reaches only.
  const isolation: Knex.TransactionConfig | undefined = dialect === 'mysql' ? { isolationLevel: 'read committed' } : undefined;
  return {
    capabilities,
    run: (work) =>
      guard(() => {
        let expired = false;
        let committing = false;
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          const late = () => {
            // Once the commit is under way nothing can be said to be unchanged: wait for it a while, then say so.
            if (committing) {
              timer = setTimeout(() => reject(new QueryError('timeout', UNCONFIRMED)), GRACE_MS);
              return;
            }
            expired = true;
            reject(new QueryError('timeout', 'The database did not answer in time; nothing was changed. Retry later.'));
          };
          timer = setTimeout(late, timeoutMs + GRACE_MS);
        });
        const transaction = knex.transaction(async (trx) => {
          const restore = await setup(trx);
          try {
            const alive = () => {
              if (expired) throw new QueryError('timeout', 'The call timed out; its transaction was rolled back.');
            };
            const result = await work({
              trx,
              builder: () => {
                alive();
                return trx.queryBuilder();
              },
              alive,
            });
            // A call already answered with a timeout must not commit afterwards.
            if (expired) throw new QueryError('timeout', 'The call timed out; its transaction was rolled back.');
            committing = true;
            return result;
          } finally {
            await restore();
          }
        }, isolation);
        transaction.catch(() => undefined);
        return Promise.race([transaction, deadline]).finally(() => clearTimeout(timer));
      }),
  };
}

type Setup = (trx: Knex.Transaction) => Promise<() => Promise<void>>;
const NOTHING = () => Promise.resolve();

function sessionSetup(dialect: Dialect, mariaDb: boolean, timeoutMs: number): Setup {
  if (dialect === 'postgresql') {
    return async (trx) => {
      // LOCAL: the limit ends with this transaction and never leaks into the host's pool.
      await trx.raw(`SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`);
      return NOTHING;
    };
  }
  if (dialect === 'mysql' && mariaDb) {
    const seconds = (timeoutMs / 1000).toFixed(3);
    return async (trx) => {
      await trx.raw(`SET @conexor_previous_limit = @@SESSION.max_statement_time, SESSION max_statement_time = ${seconds}`);
      return async () => {
        await trx.raw('SET SESSION max_statement_time = @conexor_previous_limit');
      };
    };
  }
  if (dialect === 'mysql') {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    return async (trx) => {
      await trx.raw(`SET @conexor_previous_wait = @@SESSION.innodb_lock_wait_timeout, SESSION innodb_lock_wait_timeout = ${seconds}`);
      return async () => {
        await trx.raw('SET SESSION innodb_lock_wait_timeout = @conexor_previous_wait');
      };
    };
  }
  return () => Promise.resolve(NOTHING);
}

async function serverVersion(knex: Knex, dialect: Dialect): Promise<string> {
  const query = dialect === 'sqlite' ? 'SELECT sqlite_version() AS version' : dialect === 'postgresql' ? 'SHOW server_version' : 'SELECT VERSION() AS version';
  const [row] = rowsOf<Record<string, string>>(await knex.raw(query));
  return String(row?.version ?? row?.server_version ?? '');
}

function atLeast(version: string, minimum: readonly number[]): boolean {
  const parts = (/(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  for (let index = 0; index < minimum.length; index += 1) {
    const have = parts[index] ?? 0;
    const want = minimum[index] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
}
