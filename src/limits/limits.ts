/**
 * Per-API-key request limits: a rate (requests per window) and a concurrency cap (requests in flight), kept in
 * memory or in Redis through `rate-limiter-flexible`, so several app instances can share them.
 * @module
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { ConfigurationError } from '../errors.js';

/** Per-key limits of an endpoint. Without `perKeyRate` and `perKeyConcurrency` nothing is limited. */
export interface LimitOptions {
  /**
   * Per API key: at most `points` requests per `durationSeconds` (a fixed window that starts with the key's first
   * request). Refused requests count too, and the window is not extended by them.
   * @default undefined (no rate limit)
   */
  perKeyRate?: { points: number; durationSeconds: number };
  /**
   * Per API key: at most this many requests in flight at once.
   * @default undefined (no concurrency limit)
   */
  perKeyConcurrency?: number;
  /**
   * How long a concurrency slot can be held at most. A request that never releases its slot (a crashed instance)
   * frees it after this; the count of a key restarts from zero every `concurrencySlotTtlSeconds`.
   * @default 600 (10 minutes)
   */
  concurrencySlotTtlSeconds?: number;
  /**
   * An ioredis client (`new Redis(url)`) holding the per-key counts, shared by every app instance that uses the
   * same client target and `keyPrefix`. In memory, per limiter, when absent.
   * @default undefined (in memory)
   */
  redis?: unknown;
  /**
   * Prefix of the Redis keys (`<prefix>:rate:<keyId>`, `<prefix>:concurrency:<keyId>`); instances sharing limits
   * must use the same prefix and the same limits.
   * @default 'conexor'
   */
  keyPrefix?: string;
  /**
   * Called when the Redis store fails; the request is then let through (fail open, see {@link Limiter}).
   * @default a process warning (`process.emitWarning`), at most once a minute
   */
  onError?: (error: unknown) => void;
}

/** Outcome of {@link Limiter.acquire}. */
export type Acquisition =
  | {
      readonly ok: true;
      /** Frees the request's concurrency slot. Call it when the response is over; calls after the first do nothing. */
      release(): void;
    }
  | { readonly ok: false; readonly retryAfterSeconds: number; readonly reason: 'rate' | 'concurrency' };

/** Options of one {@link Limiter.acquire} call. */
export interface AcquireOptions {
  /**
   * Whether the request takes a concurrency slot. `false` counts it toward the rate only: for long-lived requests
   * such as an SSE stream, which would otherwise hold a slot for their whole life.
   * @default true
   */
  concurrent?: boolean;
}

/**
 * Admits requests of API keys within their limits.
 *
 * Fail open: when the Redis store fails, is not connected or does not answer within {@link LIMIT_DEFAULTS}
 * `storeTimeoutMs`, the request is let through and the error goes to `onError`. Limits protect capacity, and an
 * outage of the limiter's store should not become an outage of the endpoint; the database keeps its own guards
 * (statement timeout, pool guard).
 */
export interface Limiter {
  /**
   * Admits one request of a caller (`undefined` key = anonymous, all anonymous requests share one bucket): ok with
   * a release function, or refused with the seconds to wait. Never rejects.
   */
  acquire(key: string | undefined, options?: AcquireOptions): Promise<Acquisition>;
}

/** The documented defaults of {@link LimitOptions}, and the fixed settings of the limiter. */
export const LIMIT_DEFAULTS = {
  keyPrefix: 'conexor',
  concurrencySlotTtlSeconds: 600,
  /** A Redis call slower than this is treated as failed (fail open). */
  storeTimeoutMs: 1000,
  /** What a refusal for concurrency advises: a slot usually frees within a request's time. */
  concurrencyRetryAfterSeconds: 1,
} as const;

// Key ids are lowercase base32, so this bucket cannot collide with a key.
const ANONYMOUS = '~anonymous';
// A release this close to the end of its window is dropped: the count resets anyway, and a reward arriving after
// the reset would start the next window below zero.
const RELEASE_MARGIN_MS = 250;
const WARNING_INTERVAL_MS = 60_000;

const positiveInt = z.number().int().min(1);

/** Validates {@link LimitOptions}; shared with the HTTP options so both report mistakes alike. */
export const limitOptionsSchema = z.strictObject({
  perKeyRate: z.strictObject({ points: positiveInt, durationSeconds: positiveInt.max(86_400) }).optional(),
  perKeyConcurrency: positiveInt.optional(),
  concurrencySlotTtlSeconds: positiveInt.max(86_400).optional(),
  redis: z
    .custom<unknown>(
      (value) => typeof (value as { defineCommand?: unknown } | null)?.defineCommand === 'function' && typeof (value as { multi?: unknown }).multi === 'function',
      'expected an ioredis client',
    )
    .optional(),
  keyPrefix: z.string().min(1).max(100).optional(),
  onError: z.custom<(error: unknown) => void>((value) => typeof value === 'function', 'expected a function').optional(),
});

/** The two counters a limiter uses; both are rate-limiter-flexible limiters. */
type Counter = RateLimiterMemory | RateLimiterRedis;

type Outcome = { readonly kind: 'counted'; readonly res: RateLimiterRes; readonly over: boolean } | { readonly kind: 'failed'; readonly error: unknown };

/**
 * Creates a limiter. Throws {@link ConfigurationError} for invalid options.
 * @example
 * const limiter = createLimiter({ perKeyRate: { points: 60, durationSeconds: 60 }, perKeyConcurrency: 4, redis });
 * const slot = await limiter.acquire(auth?.clientId);
 * if (!slot.ok) return tooManyRequests(slot.retryAfterSeconds);
 * try { … } finally { slot.release(); }
 */
export function createLimiter(options: LimitOptions): Limiter {
  const parsed = limitOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'options'}: ${issue.message}`);
    throw new ConfigurationError(`createLimiter: invalid options: ${problems.join('; ')}`);
  }
  const value = parsed.data;
  const prefix = value.keyPrefix ?? LIMIT_DEFAULTS.keyPrefix;
  const report = value.onError ?? throttledWarning();
  const counter = (name: string, points: number, duration: number): Counter =>
    value.redis === undefined
      ? new RateLimiterMemory({ keyPrefix: `${prefix}:${name}`, points, duration })
      : // Not ready (connecting, reconnecting) fails at once instead of queueing behind ioredis' reconnects.
        new RateLimiterRedis({ storeClient: value.redis, keyPrefix: `${prefix}:${name}`, points, duration, rejectIfRedisNotReady: true });
  const rate = value.perKeyRate && counter('rate', value.perKeyRate.points, value.perKeyRate.durationSeconds);
  const slots =
    value.perKeyConcurrency === undefined
      ? undefined
      : counter('concurrency', value.perKeyConcurrency, value.concurrencySlotTtlSeconds ?? LIMIT_DEFAULTS.concurrencySlotTtlSeconds);
  // Memory answers synchronously; only a remote store needs a deadline.
  const timeoutMs = value.redis === undefined ? undefined : LIMIT_DEFAULTS.storeTimeoutMs;

  /** Gives a slot point back, unless its window has already ended (then the reset dropped it). */
  const giveBack = (bucket: string, windowEndsAt: number): void => {
    if (!slots || Date.now() >= windowEndsAt - RELEASE_MARGIN_MS) return;
    slots.reward(bucket).catch(report);
  };

  return {
    async acquire(key, acquireOptions = {}) {
      const bucket = key ?? ANONYMOUS;
      if (rate) {
        const outcome = await count(rate, bucket, timeoutMs);
        if (outcome.kind === 'failed') report(outcome.error);
        else if (outcome.over) return { ok: false, reason: 'rate', retryAfterSeconds: seconds(outcome.res.msBeforeNext) };
      }
      if (!slots || acquireOptions.concurrent === false) return { ok: true, release: noop };

      // A consume that answers after its deadline still took a point: give it back so the slot does not leak.
      const outcome = await count(slots, bucket, timeoutMs, (res) => giveBack(bucket, Date.now() + res.msBeforeNext));
      if (outcome.kind === 'failed') {
        report(outcome.error);
        return { ok: true, release: noop };
      }
      const windowEndsAt = Date.now() + outcome.res.msBeforeNext;
      if (outcome.over) {
        // rate-limiter-flexible counts refused consumes too; this one holds no slot.
        giveBack(bucket, windowEndsAt);
        return { ok: false, reason: 'concurrency', retryAfterSeconds: LIMIT_DEFAULTS.concurrencyRetryAfterSeconds };
      }
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          giveBack(bucket, windowEndsAt);
        },
      };
    },
  };
}

/**
 * Consumes one point. A `RateLimiterRes` rejection is a refusal, anything else a store failure. With a deadline,
 * a late result is passed to `onLate` (if it counted a point) instead of being lost.
 */
function count(counter: Counter, bucket: string, timeoutMs: number | undefined, onLate?: (res: RateLimiterRes) => void): Promise<Outcome> {
  const settled = counter.consume(bucket).then(
    (res): Outcome => ({ kind: 'counted', res, over: false }),
    (error: unknown): Outcome => (error instanceof RateLimiterRes ? { kind: 'counted', res: error, over: true } : { kind: 'failed', error }),
  );
  if (timeoutMs === undefined) return settled;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve({ kind: 'failed', error: new Error(`rate limiter store did not answer within ${timeoutMs} ms`) });
    }, timeoutMs);
  });
  void settled.then((outcome) => {
    clearTimeout(timer);
    if (timedOut && outcome.kind === 'counted') onLate?.(outcome.res);
  });
  return Promise.race([settled, deadline]);
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function noop(): void {}

function throttledWarning(): (error: unknown) => void {
  let last = -Infinity;
  return (error) => {
    const now = Date.now();
    if (now - last < WARNING_INTERVAL_MS) return;
    last = now;
    const reason = error instanceof Error ? error.message : String(error);
    process.emitWarning(`conexor limits: the Redis store failed, requests are let through unlimited (${reason})`, 'ConexorLimitsWarning');
  };
}
