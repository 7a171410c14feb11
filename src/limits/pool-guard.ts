/**
 * A concurrency limit in front of one app instance's connection pool: at most `maxConcurrent` queries run, a
 * bounded number wait in order, and the rest are refused at once rather than piling up in the pool's own queue.
 * @module
 */
import { ConfigurationError, QueryError } from '../errors.js';

/** How many queries may run and wait. Size `maxConcurrent` below the Knex pool's `max` (see docs/limits.md). */
export interface PoolGuardOptions {
  /**
   * Most calls running at once.
   * @default 8
   */
  maxConcurrent?: number;
  /**
   * Most calls waiting for a slot; one more is refused at once. `0`: no queue.
   * @default 100
   */
  maxQueued?: number;
  /**
   * Longest wait for a slot, in milliseconds; a call still waiting then is refused.
   * @default 2000
   */
  queueTimeoutMs?: number;
  /** Told of each call refused without running: the queue was full, or no slot came free within `queueTimeoutMs`. */
  onRefused?: (reason: 'queue_full' | 'queue_timeout') => void;
}

/** Runs work within the limits of {@link createPoolGuard}. */
export interface PoolGuard {
  /**
   * Runs `work` when a slot is free. Rejects with a {@link QueryError} (`timeout`) when the queue is full or the
   * wait exceeds `queueTimeoutMs`, without running it; otherwise settles as `work` does.
   */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting now. */
  readonly queued: number;
}

/** The documented defaults of {@link PoolGuardOptions}. */
export const POOL_GUARD_DEFAULTS = { maxConcurrent: 8, maxQueued: 100, queueTimeoutMs: 2000 } as const;

const QUEUE_FULL = 'The database is busy: too many queries are waiting. Retry later.';
const QUEUE_TIMEOUT = 'The database is busy: no query slot became free in time. Retry later.';

interface Waiter {
  start(): void;
}

/**
 * Creates a guard. Throws {@link ConfigurationError} for a limit that is not a whole number in range.
 * @example
 * const guard = createPoolGuard({ maxConcurrent: 8 }); // with knex pool.max = 10
 * const rows = await guard.run(() => knex('items').select());
 */
export function createPoolGuard(options: PoolGuardOptions = {}): PoolGuard {
  const maxConcurrent = checked('maxConcurrent', options.maxConcurrent ?? POOL_GUARD_DEFAULTS.maxConcurrent, 1);
  const maxQueued = checked('maxQueued', options.maxQueued ?? POOL_GUARD_DEFAULTS.maxQueued, 0);
  const queueTimeoutMs = checked('queueTimeoutMs', options.queueTimeoutMs ?? POOL_GUARD_DEFAULTS.queueTimeoutMs, 0);
  let active = 0;
  // A Set keeps insertion order (FIFO) and removes a timed-out waiter in O(1).
  const waiting = new Set<Waiter>();

  const start = <T>(work: () => Promise<T>): Promise<T> => {
    active += 1;
    let running: Promise<T>;
    try {
      running = Promise.resolve(work());
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.finally(() => {
      active -= 1;
      const next = waiting.values().next();
      if (!next.done) next.value.start();
    });
  };

  return {
    run(work) {
      if (active < maxConcurrent) return start(work);
      if (waiting.size >= maxQueued) {
        options.onRefused?.('queue_full');
        return Promise.reject(new QueryError('timeout', QUEUE_FULL));
      }
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          start() {
            clearTimeout(timer);
            waiting.delete(waiter);
            start(work).then(resolve, reject);
          },
        };
        const timer = setTimeout(() => {
          waiting.delete(waiter);
          options.onRefused?.('queue_timeout');
          reject(new QueryError('timeout', QUEUE_TIMEOUT));
        }, queueTimeoutMs);
        waiting.add(waiter);
      });
    },
    get active() {
      return active;
    },
    get queued() {
      return waiting.size;
    },
  };
}

function checked(name: keyof PoolGuardOptions, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigurationError(`createPoolGuard: options.${name} must be a whole number of at least ${min} (got ${String(value)})`);
  }
  return value;
}
