/**
 * The auditor hands every tool call's event to the sinks, either before the call is answered (sync) or in batches
 * behind it (buffered), and accounts for every event: each one is written to every sink, or reported through the
 * logger with its request id and counted as failed. `recorded = written + failed + pending` at every moment.
 */
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { ConexorError, ConfigurationError } from '../errors.js';
import { describeError } from '../shared/describe-error.js';
import type { AuditEvent, AuditSink } from './event.js';
import { sanitizeAuditEvent } from './sanitize.js';

/** Options of {@link createAuditor}. Unknown fields are rejected. */
export interface AuditOptions {
  /** Where events go; every event is written to each of them. At least one. */
  sinks: readonly AuditSink[];
  /**
   * `sync`: `record()` resolves once every sink wrote the event, so a call is answered only once it is on record.
   * `buffered`: `record()` enqueues and returns at once; batches are written behind the calls.
   * @default 'sync'
   */
  mode?: 'sync' | 'buffered';
  /**
   * What a call does when its event cannot be recorded: `deny` makes `record()` reject with
   * {@link AuditFailedError} so the call is refused; `continue` reports the failure and lets the call proceed.
   * In buffered mode this applies when the buffer is full or the auditor closed (later sink failures can only be
   * reported: the call has been answered).
   * @default 'deny'
   */
  onFailure?: 'deny' | 'continue';
  /**
   * Where failures are reported, at level `error`, with the events' request ids (never their argument values).
   * @default pino at level `warn` on stderr
   */
  logger?: Logger;
  /** Time one sink write may take before it counts as failed (a late completion is ignored). @default 5000 */
  sinkTimeoutMs?: number;
  /** Buffered: most events per sink write. @default 100 */
  batchSize?: number;
  /** Buffered: longest time an event waits in the buffer before a write starts. @default 1000 */
  flushIntervalMs?: number;
  /** Buffered: most events held in memory (waiting or being written); more are refused. @default 10000 */
  maxBuffered?: number;
  /** Buffered: retries of a failed batch write, per sink, before its events are reported as failed. @default 3 */
  maxRetries?: number;
  /** Buffered: delay before the first retry, doubled before each further one. @default 100 */
  retryDelayMs?: number;
}

/** Counters of an {@link Auditor}; `recorded = written + failed + pending` whenever they are read. */
export interface AuditStats {
  /** Events passed to `record()`, refused ones included. */
  readonly recorded: number;
  /** Events every sink wrote. */
  readonly written: number;
  /** Events at least one sink did not write (after retries), or refused; each was reported through the logger. */
  readonly failed: number;
  /** Events waiting in the buffer or being written. */
  readonly pending: number;
}

/** Records tool-call events into the configured sinks. */
export interface Auditor {
  /**
   * The event is first sanitized (see `sanitize.ts`): sinks get its text storable, bounded and without API keys,
   * and the caller's object is never changed.
   * Sync mode: resolves when all sinks wrote the event; rejects with {@link AuditFailedError} when a sink failed
   * or timed out and `onFailure` is `deny`. Buffered mode: enqueues and resolves at once; rejects with
   * {@link AuditFailedError} when the buffer is full and `onFailure` is `deny`. After `close()`, every event is
   * refused as if a sink had failed.
   */
  record(event: AuditEvent): Promise<void>;
  /**
   * Resolves once every event recorded before the call is written or reported. Buffered mode writes the buffer
   * at once, retrying failed batches up to `maxRetries` times.
   */
  flush(): Promise<void>;
  /**
   * Refuses further events, flushes, then closes the sinks. Idempotent. Afterwards `stats.pending` is 0. Buffered:
   * once a sink has failed a batch after every retry while closing, the rest of the buffer is reported for it
   * without another try, so a dead sink delays shutdown by about one retry cycle, not one per remaining batch.
   */
  close(): Promise<void>;
  /** A snapshot of the counters. */
  readonly stats: AuditStats;
}

/** A tool call was refused because its audit event could not be recorded. The message is safe to show to a model. */
export class AuditFailedError extends ConexorError {
  constructor(options?: { cause?: unknown }) {
    super(
      'audit_failed',
      'The call was not answered because it could not be recorded in the audit trail. Retry later.',
      options,
    );
  }
}

/** Defaults of {@link AuditOptions}. */
export const AUDIT_DEFAULTS = {
  mode: 'sync',
  onFailure: 'deny',
  sinkTimeoutMs: 5_000,
  batchSize: 100,
  flushIntervalMs: 1_000,
  maxBuffered: 10_000,
  maxRetries: 3,
  retryDelayMs: 100,
} as const;

/** Creates an auditor; throws {@link ConfigurationError} on invalid options. */
export function createAuditor(options: AuditOptions): Auditor {
  const resolved = resolveAuditOptions(options);
  return resolved.mode === 'sync' ? new SyncAuditor(resolved) : new BufferedAuditor(resolved);
}

// ---------------------------------------------------------------------------------------------------------------
// Options

type ResolvedAuditOptions = Required<AuditOptions>;

const sinkSchema = z.custom<AuditSink>((value) => {
  const sink = value as Partial<AuditSink> | null;
  return typeof sink?.name === 'string' && typeof sink.write === 'function';
}, 'expected an audit sink ({ name, write })');
const int = (min: number, max: number) => z.number().int().min(min).max(max);

const optionsSchema = z.strictObject({
  sinks: z.array(sinkSchema).min(1).max(100),
  mode: z.enum(['sync', 'buffered']).optional(),
  onFailure: z.enum(['deny', 'continue']).optional(),
  logger: z
    .custom<Logger>((value) => typeof (value as Partial<Logger> | null)?.error === 'function', 'expected a pino logger')
    .optional(),
  sinkTimeoutMs: int(1, 600_000).optional(),
  batchSize: int(1, 100_000).optional(),
  flushIntervalMs: int(1, 3_600_000).optional(),
  maxBuffered: int(1, 100_000_000).optional(),
  maxRetries: int(0, 100).optional(),
  retryDelayMs: int(0, 600_000).optional(),
});

function resolveAuditOptions(options: AuditOptions): ResolvedAuditOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'options'}: ${issue.message}`);
    throw new ConfigurationError(`Invalid audit options: ${problems.join('; ')}`);
  }
  const value = parsed.data;
  const resolved: ResolvedAuditOptions = {
    sinks: value.sinks,
    mode: value.mode ?? AUDIT_DEFAULTS.mode,
    onFailure: value.onFailure ?? AUDIT_DEFAULTS.onFailure,
    logger: value.logger ?? pino({ name: 'conexor', level: 'warn' }, pino.destination(2)),
    sinkTimeoutMs: value.sinkTimeoutMs ?? AUDIT_DEFAULTS.sinkTimeoutMs,
    batchSize: value.batchSize ?? AUDIT_DEFAULTS.batchSize,
    flushIntervalMs: value.flushIntervalMs ?? AUDIT_DEFAULTS.flushIntervalMs,
    maxBuffered: value.maxBuffered ?? AUDIT_DEFAULTS.maxBuffered,
    maxRetries: value.maxRetries ?? AUDIT_DEFAULTS.maxRetries,
    retryDelayMs: value.retryDelayMs ?? AUDIT_DEFAULTS.retryDelayMs,
  };
  if (resolved.maxBuffered < resolved.batchSize) {
    throw new ConfigurationError(
      `Invalid audit options: maxBuffered (${resolved.maxBuffered}) is smaller than batchSize (${resolved.batchSize})`,
    );
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------------------------
// Shared machinery

const RESOLVED: Promise<void> = Promise.resolve();

/** Why events were not recorded. */
type FailureReason = 'sink_failed' | 'sink_refused' | 'buffer_full' | 'closed';

interface SinkFailure {
  readonly sink: AuditSink;
  readonly error: unknown;
  readonly attempts: number;
  /**
   * Request ids of the only events the sink did not write, when it refused those and wrote the others (see
   * {@link AuditSink}); `undefined` when it wrote none of them.
   */
  readonly refused?: ReadonlySet<string>;
}

class SinkAbandonedError extends Error {
  constructor(sink: string) {
    super(`Audit sink "${sink}" was not tried: it failed a batch after every retry while the auditor was closing.`);
    this.name = 'SinkAbandonedError';
  }
}

class SinkTimeoutError extends Error {
  constructor(sink: string, timeoutMs: number) {
    super(`Audit sink "${sink}" did not finish writing within ${timeoutMs} ms.`);
    this.name = 'SinkTimeoutError';
  }
}

abstract class AuditorBase implements Auditor {
  protected recorded = 0;
  protected written = 0;
  protected failed = 0;
  protected closed = false;
  private closing: Promise<void> | undefined;

  constructor(protected readonly options: ResolvedAuditOptions) {}

  abstract record(event: AuditEvent): Promise<void>;
  abstract flush(): Promise<void>;
  protected abstract get pending(): number;

  get stats(): AuditStats {
    return { recorded: this.recorded, written: this.written, failed: this.failed, pending: this.pending };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    await this.flush();
    await Promise.all(this.options.sinks.map((sink) => this.closeSink(sink)));
  }

  private async closeSink(sink: AuditSink): Promise<void> {
    try {
      await sink.close?.();
    } catch (error) {
      this.log({ sink: sink.name, error: describeError(error) }, `Closing audit sink "${sink.name}" failed.`);
    }
  }

  /** Counts and reports an event that is not even attempted; rejects when calls must be denied. */
  protected refuse(event: AuditEvent, reason: 'buffer_full' | 'closed'): Promise<void> {
    this.recorded++;
    this.failed++;
    this.report([event], reason);
    return this.options.onFailure === 'deny' ? Promise.reject(new AuditFailedError()) : RESOLVED;
  }

  /** Writes `events` to every sink but the `skipped` ones, each retried up to `retries` times; never rejects. */
  protected async writeAll(
    events: readonly AuditEvent[],
    retries: number,
    skipped?: ReadonlySet<AuditSink>,
  ): Promise<SinkFailure[]> {
    const results = await Promise.all(
      this.options.sinks.map((sink) =>
        skipped?.has(sink) ? { sink, error: new SinkAbandonedError(sink.name), attempts: 0 } : this.writeWithRetries(sink, events, retries),
      ),
    );
    return results.filter((result): result is SinkFailure => result !== undefined);
  }

  private async writeWithRetries(sink: AuditSink, events: readonly AuditEvent[], retries: number): Promise<SinkFailure | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        await writeWithTimeout(sink, events, this.options.sinkTimeoutMs);
        return undefined;
      } catch (error) {
        // Refused events stay refused: no retry, and the others are written.
        const refused = refusedIds(error, events);
        if (refused) return { sink, error, attempts: attempt, refused };
        if (attempt > retries) return { sink, error, attempts: attempt };
        await delay(this.options.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  /** How many events of `events` the failures lost: those any sink did not write. */
  protected lost(events: readonly AuditEvent[], failures: readonly SinkFailure[]): number {
    if (failures.some((failure) => failure.refused === undefined)) return events.length;
    let lost = 0;
    for (const event of events) if (failures.some((failure) => failure.refused?.has(event.requestId))) lost++;
    return lost;
  }

  /** Reports each sink's failure, for the events it did not write. */
  protected reportFailures(events: readonly AuditEvent[], failures: readonly SinkFailure[]): void {
    for (const failure of failures) {
      const { refused } = failure;
      if (refused === undefined) this.report(events, 'sink_failed', failure);
      else this.report(events.filter((event) => refused.has(event.requestId)), 'sink_refused', failure);
    }
  }

  /** Reports events that were not recorded (by one sink, or at all), with their request ids only. */
  protected report(events: readonly AuditEvent[], reason: FailureReason, failure?: SinkFailure): void {
    const requestIds = events.map((event) => event.requestId);
    const what = events.length === 1 ? 'Audit event' : `${events.length} audit events`;
    const why =
      reason === 'buffer_full'
        ? 'the audit buffer is full'
        : reason === 'closed'
          ? 'the auditor is closed'
          : reason === 'sink_refused'
            ? `sink "${failure?.sink.name}" refused ${events.length === 1 ? 'it' : 'them'} and wrote the rest of the batch`
            : failure?.attempts === 0
              ? `sink "${failure.sink.name}" was given up while closing`
              : `sink "${failure?.sink.name}" failed after ${failure?.attempts} attempt(s)`;
    this.log(
      {
        reason,
        sink: failure?.sink.name ?? null,
        attempts: failure?.attempts ?? 0,
        requestIds,
        error: failure ? describeError(failure.error) : null,
      },
      `${what} not recorded: ${why}.`,
    );
  }

  private log(fields: Record<string, unknown>, message: string): void {
    try {
      this.options.logger.error(fields, message);
    } catch {
      // A broken logger must not break the accounting; the events are still counted as failed.
    }
  }
}

/** Each event is written to every sink before `record()` settles. */
class SyncAuditor extends AuditorBase {
  private inFlight = 0;
  /** Deliveries in progress, for `flush()`; they never reject. */
  private readonly deliveries = new Set<Promise<SinkFailure | undefined>>();

  protected get pending(): number {
    return this.inFlight;
  }

  record(raw: AuditEvent): Promise<void> {
    const event = sanitizeAuditEvent(raw);
    if (this.closed) return this.refuse(event, 'closed');
    this.recorded++;
    this.inFlight++;
    const delivery = this.deliver(event);
    this.deliveries.add(delivery);
    return delivery.then((failure) => {
      this.deliveries.delete(delivery);
      if (failure !== undefined && this.options.onFailure === 'deny') throw new AuditFailedError({ cause: failure.error });
    });
  }

  async flush(): Promise<void> {
    await Promise.all([...this.deliveries]);
  }

  /** Resolves with the first failure, if any, once every sink settled. */
  private async deliver(event: AuditEvent): Promise<SinkFailure | undefined> {
    const events = [event];
    // No retry: the caller is waiting; the timeout bounds the wait.
    const failures = await this.writeAll(events, 0);
    // Counters change together, in one synchronous step, so stats always add up.
    this.inFlight--;
    if (failures.length === 0) {
      this.written++;
      return undefined;
    }
    // Even a refusal: the event is not on record in every sink.
    this.failed++;
    this.reportFailures(events, failures);
    return failures[0];
  }
}

/** Events queue in memory and are written in batches, one batch at a time, in order. */
class BufferedAuditor extends AuditorBase {
  private readonly buffer: AuditEvent[] = [];
  private inFlight = 0;
  /** Events ever queued / ever taken off the queue and settled: `flush()` waits for the latter to reach the former. */
  private enqueued = 0;
  private settled = 0;
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /**
   * Sinks that failed a batch after every retry while closing: the rest of the buffer is reported for them without
   * another try, so `close()` ends in about one retry cycle rather than one per remaining batch.
   */
  private readonly abandoned = new Set<AuditSink>();
  private readonly waiters: { target: number; resolve: () => void }[] = [];
  // Bound once, so arming the timer allocates nothing but the timer.
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.startDrain();
  };

  protected get pending(): number {
    return this.buffer.length + this.inFlight;
  }

  record(raw: AuditEvent): Promise<void> {
    const event = sanitizeAuditEvent(raw);
    if (this.closed) return this.refuse(event, 'closed');
    if (this.buffer.length + this.inFlight >= this.options.maxBuffered) return this.refuse(event, 'buffer_full');
    this.recorded++;
    this.enqueued++;
    this.buffer.push(event);
    // A running drain picks the event up; otherwise a full batch starts one and a first event arms the timer.
    if (this.draining === undefined) {
      if (this.buffer.length >= this.options.batchSize) this.startDrain();
      else this.timer ??= setTimeout(this.onTimer, this.options.flushIntervalMs);
    }
    return RESOLVED;
  }

  flush(): Promise<void> {
    const target = this.enqueued;
    if (this.settled >= target) return RESOLVED;
    const flushed = new Promise<void>((resolve) => this.waiters.push({ target, resolve }));
    this.startDrain();
    return flushed;
  }

  private startDrain(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.draining === undefined && this.buffer.length > 0) this.draining = this.drain();
  }

  /** Writes batches until the buffer is empty. Never rejects. */
  private async drain(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.options.batchSize);
        this.inFlight += batch.length;
        const failures = await this.writeAll(batch, this.options.maxRetries, this.abandoned);
        // Counters change together, in one synchronous step, so stats always add up.
        this.inFlight -= batch.length;
        this.settled += batch.length;
        const lost = this.lost(batch, failures);
        this.written += batch.length - lost;
        this.failed += lost;
        this.reportFailures(batch, failures);
        // A sink that refused some events is alive; one that failed a batch after every retry is given up.
        if (this.closed) for (const failure of failures) if (failure.refused === undefined) this.abandoned.add(failure.sink);
        this.wakeWaiters();
      }
    } finally {
      this.draining = undefined;
    }
  }

  private wakeWaiters(): void {
    // Targets were pushed in non-decreasing order.
    while (this.waiters.length > 0 && this.waiters[0].target <= this.settled) this.waiters.shift()?.resolve();
  }
}

function writeWithTimeout(sink: AuditSink, events: readonly AuditEvent[], timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SinkTimeoutError(sink.name, timeoutMs)), timeoutMs);
    const settle = (error?: unknown) => {
      clearTimeout(timer);
      if (error === undefined) resolve();
      else reject(error);
    };
    let written: Promise<void>;
    try {
      written = Promise.resolve(sink.write(events));
    } catch (error) {
      // A sink that throws instead of rejecting.
      settle(error ?? new Error(`Audit sink "${sink.name}" threw.`));
      return;
    }
    written.then(
      () => settle(),
      (error: unknown) => settle(error ?? new Error(`Audit sink "${sink.name}" failed.`)),
    );
  });
}

/**
 * The request ids a sink's error says it refused while writing the rest of `events` (see {@link AuditSink});
 * `undefined` unless that list is non-empty and names only events of the batch, so a confused sink counts as one
 * that wrote nothing (and is retried).
 */
function refusedIds(error: unknown, events: readonly AuditEvent[]): ReadonlySet<string> | undefined {
  const refused = (error as { refused?: unknown } | null)?.refused;
  if (!Array.isArray(refused) || refused.length === 0 || refused.length > events.length) return undefined;
  const inBatch = new Set(events.map((event) => event.requestId));
  const ids = new Set<string>();
  for (const id of refused) {
    if (typeof id !== 'string' || !inBatch.has(id)) return undefined;
    ids.add(id);
  }
  return ids;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

