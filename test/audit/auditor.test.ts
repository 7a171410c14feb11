import { describe, expect, it, vi } from 'vitest';
import { AuditFailedError, createAuditor, type AuditOptions, type Auditor } from '../../src/audit/auditor.js';
import type { AuditEvent, AuditSink } from '../../src/audit/event.js';
import { ConexorError, ConfigurationError } from '../../src/errors.js';
import { auditEvent, captureLogger, deferred, seededRandom, sleep, type LogRecord } from './support.js';

const FAILED_MESSAGE = 'The call was not answered because it could not be recorded in the audit trail. Retry later.';

/** A sink keeping what it was given; `behaviour` decides each write's fate. */
function recordingSink(
  name = 'memory',
  behaviour: (events: readonly AuditEvent[], call: number) => void | Promise<void> = () => undefined,
): AuditSink & { batches: AuditEvent[][]; calls: number; closed: number } {
  const sink = {
    name,
    batches: [] as AuditEvent[][],
    calls: 0,
    closed: 0,
    async write(events: readonly AuditEvent[]) {
      sink.calls++;
      await behaviour(events, sink.calls);
      sink.batches.push([...events]);
    },
    async close() {
      sink.closed++;
    },
  };
  return sink;
}

function failingSink(name = 'broken', message = 'disk full') {
  return recordingSink(name, () => {
    throw new Error(message);
  });
}

function idsOf(batches: readonly AuditEvent[][]): string[] {
  return batches.flat().map((event) => event.requestId);
}

function failures(records: LogRecord[]): LogRecord[] {
  return records.filter((record) => record.level === 50);
}

function reportedIds(records: LogRecord[]): string[] {
  return failures(records).flatMap((record) => record.requestIds as string[]);
}

function expectConsistent(auditor: Auditor): void {
  const { recorded, written, failed, pending } = auditor.stats;
  expect(recorded, JSON.stringify(auditor.stats)).toBe(written + failed + pending);
}

function setup(options: Partial<AuditOptions> & Pick<AuditOptions, 'sinks'>) {
  const capture = captureLogger();
  const auditor = createAuditor({ logger: capture.logger, ...options });
  return { auditor, ...capture };
}

describe('createAuditor options', () => {
  it.each<[string, unknown]>([
    ['no sinks', { sinks: [] }],
    ['a sink without write', { sinks: [{ name: 'x' }] }],
    ['an unknown field', { sinks: [recordingSink()], batchsize: 10 }],
    ['an unknown mode', { sinks: [recordingSink()], mode: 'async' }],
    ['a zero timeout', { sinks: [recordingSink()], sinkTimeoutMs: 0 }],
    ['maxBuffered below batchSize', { sinks: [recordingSink()], mode: 'buffered', batchSize: 50, maxBuffered: 10 }],
  ])('rejects %s', (_label, options) => {
    expect(() => createAuditor(options as AuditOptions)).toThrow(ConfigurationError);
  });
});

describe('AuditFailedError', () => {
  it('is a ConexorError with code audit_failed and a message safe for a model', () => {
    const error = new AuditFailedError();
    expect(error).toBeInstanceOf(ConexorError);
    expect(error.code).toBe('audit_failed');
    expect(error.name).toBe('AuditFailedError');
    expect(error.message).toBe(FAILED_MESSAGE);
  });
});

describe('sync mode', () => {
  it('resolves only once every sink wrote the event', async () => {
    const gates = [deferred(), deferred()];
    const sinks = gates.map((gate, index) => recordingSink(`s${index}`, () => gate.promise));
    const { auditor } = setup({ sinks });
    let settled = false;
    const recording = auditor.record(auditEvent(1)).then(() => (settled = true));
    await sleep(10);
    expect(settled).toBe(false);
    expect(auditor.stats).toEqual({ recorded: 1, written: 0, failed: 0, pending: 1 });
    gates[0].resolve();
    await sleep(10);
    expect(settled).toBe(false);
    gates[1].resolve();
    await recording;
    expect(settled).toBe(true);
    expect(sinks.map((sink) => idsOf(sink.batches))).toEqual([[auditEvent(1).requestId], [auditEvent(1).requestId]]);
    expect(auditor.stats).toEqual({ recorded: 1, written: 1, failed: 0, pending: 0 });
  });

  it('deny (the default): a failing sink refuses the call and is reported with the request id, never argument values', async () => {
    const good = recordingSink('good');
    const { auditor, records, lines } = setup({ sinks: [good, failingSink('broken')] });
    const event = auditEvent(7, { arguments: { where: [{ field: 'email', op: 'eq', value: 'alice@example.com' }] } });

    const error = await auditor.record(event).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AuditFailedError);
    expect((error as AuditFailedError).code).toBe('audit_failed');
    expect((error as AuditFailedError).message).toBe(FAILED_MESSAGE);
    expect(idsOf(good.batches)).toEqual([event.requestId]);
    expect(auditor.stats).toEqual({ recorded: 1, written: 0, failed: 1, pending: 0 });
    const [report, ...others] = failures(records());
    expect(others).toEqual([]);
    expect(report).toMatchObject({
      reason: 'sink_failed',
      sink: 'broken',
      attempts: 1,
      requestIds: [event.requestId],
      error: { type: 'Error', message: 'disk full' },
    });
    expect(lines.join('')).not.toContain('alice@example.com');
  });

  it('continue: a failing sink is reported and the call proceeds', async () => {
    const { auditor, records } = setup({ sinks: [failingSink('broken')], onFailure: 'continue' });
    await expect(auditor.record(auditEvent(1))).resolves.toBeUndefined();
    expect(reportedIds(records())).toEqual([auditEvent(1).requestId]);
    expect(auditor.stats).toEqual({ recorded: 1, written: 0, failed: 1, pending: 0 });
  });

  it('reports one line per failing sink but counts the event once', async () => {
    const { auditor, records } = setup({ sinks: [failingSink('a'), failingSink('b')], onFailure: 'continue' });
    await auditor.record(auditEvent(1));
    expect(failures(records()).map((record) => record.sink)).toEqual(['a', 'b']);
    expect(auditor.stats).toEqual({ recorded: 1, written: 0, failed: 1, pending: 0 });
  });

  it('a sink slower than sinkTimeoutMs fails the call instead of hanging it', async () => {
    const hanging = recordingSink('hanging', () => new Promise<void>(() => undefined));
    const { auditor, records } = setup({ sinks: [hanging], sinkTimeoutMs: 50 });
    const started = performance.now();
    await expect(auditor.record(auditEvent(1))).rejects.toBeInstanceOf(AuditFailedError);
    const elapsed = performance.now() - started;
    // The sink's timeout ended the wait (timers never fire early); the write itself never settles.
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(failures(records())[0]).toMatchObject({ sink: 'hanging', error: { type: 'SinkTimeoutError' } });
    expect(auditor.stats).toEqual({ recorded: 1, written: 0, failed: 1, pending: 0 });
  });

  it('with continue, a timed-out sink lets the call proceed after the timeout', async () => {
    const hanging = recordingSink('hanging', () => new Promise<void>(() => undefined));
    const { auditor } = setup({ sinks: [hanging], sinkTimeoutMs: 30, onFailure: 'continue' });
    await expect(auditor.record(auditEvent(1))).resolves.toBeUndefined();
    expect(auditor.stats.failed).toBe(1);
  });

  it('counts a sink that throws synchronously as failed', async () => {
    const throwing: AuditSink = {
      name: 'sync-throw',
      write: () => {
        throw new Error('boom');
      },
    };
    const { auditor, records } = setup({ sinks: [throwing] });
    await expect(auditor.record(auditEvent(1))).rejects.toBeInstanceOf(AuditFailedError);
    expect(failures(records())[0]).toMatchObject({ sink: 'sync-throw', error: { message: 'boom' } });
  });

  it('flush waits for writes in progress; close refuses further events and closes each sink once', async () => {
    const gate = deferred();
    const sink = recordingSink('slow', () => gate.promise);
    const { auditor, records } = setup({ sinks: [sink] });
    const first = auditor.record(auditEvent(1));
    let flushed = false;
    const flushing = auditor.flush().then(() => (flushed = true));
    await sleep(10);
    expect(flushed).toBe(false);
    gate.resolve();
    await Promise.all([first, flushing]);

    await Promise.all([auditor.close(), auditor.close()]);
    expect(sink.closed).toBe(1);
    await expect(auditor.record(auditEvent(2))).rejects.toBeInstanceOf(AuditFailedError);
    expect(failures(records())[0]).toMatchObject({ reason: 'closed', requestIds: [auditEvent(2).requestId] });
    expect(auditor.stats).toEqual({ recorded: 2, written: 1, failed: 1, pending: 0 });
  });

  it('reports a failing sink close without rejecting', async () => {
    const sink: AuditSink = { name: 'bad-close', write: async () => undefined, close: () => Promise.reject(new Error('nope')) };
    const { auditor, records } = setup({ sinks: [sink] });
    await auditor.close();
    expect(failures(records())[0]).toMatchObject({ sink: 'bad-close', error: { message: 'nope' } });
  });
});

describe('buffered mode', () => {
  it('resolves record() at once, before any sink write', async () => {
    const gate = deferred();
    const sink = recordingSink('slow', () => gate.promise);
    const { auditor } = setup({ sinks: [sink], mode: 'buffered', batchSize: 1 });
    let settled = false;
    void auditor.record(auditEvent(1)).then(() => (settled = true));
    await sleep(0);
    expect(settled).toBe(true);
    expect(sink.batches).toEqual([]);
    expect(auditor.stats).toEqual({ recorded: 1, written: 0, failed: 0, pending: 1 });
    gate.resolve();
    await auditor.close();
    expect(auditor.stats).toEqual({ recorded: 1, written: 1, failed: 0, pending: 0 });
  });

  it('writes in batches of at most batchSize, in order', async () => {
    const sink = recordingSink();
    const { auditor } = setup({ sinks: [sink], mode: 'buffered', batchSize: 3, flushIntervalMs: 60_000 });
    const events = Array.from({ length: 7 }, (_, index) => auditEvent(index));
    await Promise.all(events.map((event) => auditor.record(event)));
    await auditor.flush();
    expect(sink.batches.map((batch) => batch.length)).toEqual([3, 3, 1]);
    expect(idsOf(sink.batches)).toEqual(events.map((event) => event.requestId));
    expect(auditor.stats).toEqual({ recorded: 7, written: 7, failed: 0, pending: 0 });
    await auditor.close();
  });

  it('does not write a partial batch before flushIntervalMs, then writes it', async () => {
    const sink = recordingSink();
    const { auditor } = setup({ sinks: [sink], mode: 'buffered', batchSize: 100, flushIntervalMs: 1_000 });
    await auditor.record(auditEvent(1));
    await auditor.record(auditEvent(2));
    await sleep(20);
    expect(sink.batches).toEqual([]);
    await vi.waitFor(() => expect(sink.batches.length).toBe(1), { timeout: 10_000, interval: 10 });
    expect(idsOf(sink.batches)).toEqual([auditEvent(1).requestId, auditEvent(2).requestId]);
    await auditor.close();
  });

  it('close writes everything pending, then closes the sinks; pending is 0 afterwards', async () => {
    const sink = recordingSink();
    const { auditor } = setup({ sinks: [sink], mode: 'buffered', batchSize: 100, flushIntervalMs: 60_000 });
    for (let n = 0; n < 5; n++) await auditor.record(auditEvent(n));
    expect(sink.batches).toEqual([]);
    await auditor.close();
    expect(idsOf(sink.batches)).toHaveLength(5);
    expect(sink.closed).toBe(1);
    expect(auditor.stats).toEqual({ recorded: 5, written: 5, failed: 0, pending: 0 });
  });

  it('refuses events beyond maxBuffered: deny rejects, and the refused event is reported', async () => {
    const gate = deferred();
    const sink = recordingSink('slow', () => gate.promise);
    const { auditor, records } = setup({ sinks: [sink], mode: 'buffered', batchSize: 2, maxBuffered: 4, flushIntervalMs: 60_000 });
    for (let n = 0; n < 4; n++) await auditor.record(auditEvent(n));
    expectConsistent(auditor);
    await expect(auditor.record(auditEvent(4))).rejects.toBeInstanceOf(AuditFailedError);
    expect(failures(records())).toMatchObject([{ reason: 'buffer_full', requestIds: [auditEvent(4).requestId] }]);
    expect(auditor.stats).toEqual({ recorded: 5, written: 0, failed: 1, pending: 4 });
    gate.resolve();
    await auditor.close();
    expect(auditor.stats).toEqual({ recorded: 5, written: 4, failed: 1, pending: 0 });
  });

  it('with continue, an event beyond maxBuffered is reported and the call proceeds', async () => {
    const gate = deferred();
    const sink = recordingSink('slow', () => gate.promise);
    const { auditor, records } = setup({
      sinks: [sink],
      mode: 'buffered',
      onFailure: 'continue',
      batchSize: 1,
      maxBuffered: 1,
    });
    await auditor.record(auditEvent(1));
    await expect(auditor.record(auditEvent(2))).resolves.toBeUndefined();
    expect(reportedIds(records())).toEqual([auditEvent(2).requestId]);
    gate.resolve();
    await auditor.close();
  });

  it('retries a failed batch maxRetries times, then reports every event of it', async () => {
    const sink = failingSink('broken');
    const { auditor, records } = setup({ sinks: [sink], mode: 'buffered', batchSize: 10, maxRetries: 2, retryDelayMs: 1 });
    for (let n = 0; n < 3; n++) await auditor.record(auditEvent(n));
    await auditor.flush();
    expect(sink.calls).toBe(3);
    expect(failures(records())).toMatchObject([
      { reason: 'sink_failed', sink: 'broken', attempts: 3, requestIds: [0, 1, 2].map((n) => auditEvent(n).requestId) },
    ]);
    expect(auditor.stats).toEqual({ recorded: 3, written: 0, failed: 3, pending: 0 });
    await auditor.close();
  });

  it('a batch that succeeds on a retry is written, not reported', async () => {
    const sink = recordingSink('flaky', (_events, call) => {
      if (call <= 2) throw new Error('transient');
    });
    const { auditor, records } = setup({ sinks: [sink], mode: 'buffered', maxRetries: 3, retryDelayMs: 1 });
    await auditor.record(auditEvent(1));
    await auditor.close();
    expect(sink.calls).toBe(3);
    expect(failures(records())).toEqual([]);
    expect(auditor.stats).toEqual({ recorded: 1, written: 1, failed: 0, pending: 0 });
  });

  it('retries only the sink that failed, so the others do not get duplicates', async () => {
    const good = recordingSink('good');
    const broken = failingSink('broken');
    const { auditor, records } = setup({ sinks: [good, broken], mode: 'buffered', maxRetries: 2, retryDelayMs: 1 });
    await auditor.record(auditEvent(1));
    await auditor.close();
    expect(idsOf(good.batches)).toEqual([auditEvent(1).requestId]);
    expect(broken.calls).toBe(3);
    expect(failures(records())).toMatchObject([{ sink: 'broken', requestIds: [auditEvent(1).requestId] }]);
    expect(auditor.stats).toEqual({ recorded: 1, written: 0, failed: 1, pending: 0 });
  });

  it('a hanging sink times out on every attempt, so close does not hang', async () => {
    const hanging = recordingSink('hanging', () => new Promise<void>(() => undefined));
    const { auditor, records } = setup({
      sinks: [hanging],
      mode: 'buffered',
      sinkTimeoutMs: 20,
      maxRetries: 1,
      retryDelayMs: 1,
    });
    await auditor.record(auditEvent(1));
    await auditor.close();
    expect(hanging.calls).toBe(2);
    expect(failures(records())).toMatchObject([{ attempts: 2, error: { type: 'SinkTimeoutError' } }]);
    expect(auditor.stats).toEqual({ recorded: 1, written: 0, failed: 1, pending: 0 });
  });

  it('while closing, gives up a sink after one failed retry cycle instead of one per remaining batch', async () => {
    const hanging = recordingSink('hanging', () => new Promise<void>(() => undefined));
    const { auditor, records } = setup({
      sinks: [hanging],
      mode: 'buffered',
      batchSize: 2,
      sinkTimeoutMs: 30,
      maxRetries: 1,
      retryDelayMs: 1,
      flushIntervalMs: 60_000,
    });
    for (let n = 0; n < 20; n++) await auditor.record(auditEvent(n));
    await auditor.close();
    // Only the first batch is tried (twice, 30 ms each); ten batches tried in full would make 20 calls.
    expect(hanging.calls).toBe(2);
    const reports = failures(records());
    expect(reports[0]).toMatchObject({ attempts: 2, error: { type: 'SinkTimeoutError' } });
    expect(reports.slice(1).every((report) => report.attempts === 0 && (report.error as { type: string }).type === 'SinkAbandonedError')).toBe(true);
    expect(reportedIds(reports).sort()).toEqual(Array.from({ length: 20 }, (_, n) => auditEvent(n).requestId).sort());
    expect(auditor.stats).toEqual({ recorded: 20, written: 0, failed: 20, pending: 0 });
  });

  it('refuses events after close', async () => {
    const { auditor, records } = setup({ sinks: [recordingSink()], mode: 'buffered' });
    await auditor.close();
    await expect(auditor.record(auditEvent(1))).rejects.toBeInstanceOf(AuditFailedError);
    expect(failures(records())).toMatchObject([{ reason: 'closed' }]);
    expect(auditor.stats).toEqual({ recorded: 1, written: 0, failed: 1, pending: 0 });
  });

  it('stats add up at every observable moment, inside sink writes too', async () => {
    const checks: boolean[] = [];
    // Called only once `auditor` below exists (from sink writes and after records).
    const check = () => {
      const { recorded, written, failed, pending } = auditor.stats;
      checks.push(recorded === written + failed + pending);
    };
    const sink = recordingSink('checking', async (_events, call) => {
      check();
      await sleep(1);
      check();
      if (call % 3 === 0) throw new Error('every third write fails');
    });
    const { auditor } = setup({
      sinks: [sink],
      mode: 'buffered',
      batchSize: 4,
      maxBuffered: 10,
      maxRetries: 1,
      retryDelayMs: 1,
      onFailure: 'continue',
    });
    for (let n = 0; n < 60; n++) {
      await auditor.record(auditEvent(n));
      check();
      if (n % 7 === 0) await sleep(1);
    }
    await auditor.close();
    check();
    expect(checks.length).toBeGreaterThan(60);
    expect(checks.every(Boolean)).toBe(true);
    expect(auditor.stats.pending).toBe(0);
    expect(auditor.stats.recorded).toBe(60);
  });
});

/** A sink writing every event of a batch but those `refuse` picks, and rejecting with their ids as `refused`. */
function refusingSink(name: string, refuse: (event: AuditEvent) => boolean, refusedOf = (events: readonly AuditEvent[]) => events.filter(refuse).map((event) => event.requestId)) {
  return recordingSink(name, (events) => {
    const refused = refusedOf(events);
    if (refused.length > 0) throw Object.assign(new Error(`refused ${refused.length}`), { code: 'CHECK', refused });
  });
}

describe('a sink that refuses some events of a batch and writes the others', () => {
  const refuseFifth = (event: AuditEvent) => Number(event.requestId.slice(-4)) % 5 === 0;

  it('buffered: only the refused events fail, reported once by request id, without retry', async () => {
    const picky = refusingSink('picky', refuseFifth);
    const good = recordingSink('good');
    const { auditor, records } = setup({ sinks: [picky, good], mode: 'buffered', batchSize: 10, maxRetries: 3, retryDelayMs: 1 });
    for (let n = 1; n <= 20; n++) await auditor.record(auditEvent(n));
    await auditor.close();
    // One write per batch (the good sink never fails, so it shows the batches): nothing was retried.
    expect(picky.calls).toBe(good.calls);
    expect(idsOf(good.batches)).toHaveLength(20);
    const reports = failures(records());
    expect(reportedIds(reports)).toEqual([5, 10, 15, 20].map((n) => auditEvent(n).requestId));
    for (const report of reports) {
      expect(report).toMatchObject({ reason: 'sink_refused', sink: 'picky', attempts: 1, error: { code: 'CHECK' } });
      expect(report.msg).toMatch(/^(Audit event|\d audit events) not recorded: sink "picky" refused (it|them) and wrote the rest of the batch\.$/);
    }
    expect(auditor.stats).toEqual({ recorded: 20, written: 16, failed: 4, pending: 0 });
  });

  it('buffered: a refusal after a failed attempt counts that attempt; a full failure of another sink loses the batch', async () => {
    const picky = recordingSink('picky', (events, call) => {
      if (call === 1) throw new Error('connection lost');
      throw Object.assign(new Error('refused'), { refused: [events[0]?.requestId] });
    });
    const broken = failingSink('broken');
    const { auditor, records } = setup({ sinks: [picky, broken], mode: 'buffered', maxRetries: 2, retryDelayMs: 1 });
    await auditor.record(auditEvent(1));
    await auditor.record(auditEvent(2));
    await auditor.close();
    expect(picky.calls).toBe(2);
    expect(failures(records())).toMatchObject([
      { reason: 'sink_refused', sink: 'picky', attempts: 2, requestIds: [auditEvent(1).requestId] },
      { reason: 'sink_failed', sink: 'broken', attempts: 3, requestIds: [1, 2].map((n) => auditEvent(n).requestId) },
    ]);
    expect(auditor.stats).toEqual({ recorded: 2, written: 0, failed: 2, pending: 0 });
  });

  it.each<[string, (events: readonly AuditEvent[]) => unknown]>([
    ['an empty list', () => []],
    ['an id outside the batch', () => ['not-in-the-batch']],
    ['a list that is not of strings', (events) => [events[0]?.requestId, 7]],
    ['something else', () => 'all of them'],
  ])('buffered: a refusal naming %s is a failure of the whole batch, retried', async (_label, refusedOf) => {
    const confused = recordingSink('confused', (events) => {
      throw Object.assign(new Error('confused'), { refused: refusedOf(events) });
    });
    const { auditor, records } = setup({ sinks: [confused], mode: 'buffered', maxRetries: 1, retryDelayMs: 1 });
    await auditor.record(auditEvent(1));
    await auditor.record(auditEvent(2));
    await auditor.close();
    expect(confused.calls).toBe(2);
    expect(failures(records())).toMatchObject([{ reason: 'sink_failed', attempts: 2, requestIds: [1, 2].map((n) => auditEvent(n).requestId) }]);
    expect(auditor.stats).toEqual({ recorded: 2, written: 0, failed: 2, pending: 0 });
  });

  it('while closing, a sink that refused events is not given up: later batches still go to it', async () => {
    const gate = deferred();
    const picky = recordingSink('picky', async (events) => {
      await gate.promise;
      const refused = events.filter(refuseFifth).map((event) => event.requestId);
      if (refused.length > 0) throw Object.assign(new Error('refused'), { refused });
    });
    const { auditor, records } = setup({ sinks: [picky], mode: 'buffered', batchSize: 5, maxRetries: 0, flushIntervalMs: 60_000 });
    for (let n = 1; n <= 20; n++) await auditor.record(auditEvent(n));
    // The first batch is being written; the three others are written while closing.
    const closed = auditor.close();
    gate.resolve();
    await closed;
    expect(picky.calls).toBe(4);
    expect(failures(records()).every((record) => record.reason === 'sink_refused' && record.attempts === 1)).toBe(true);
    expect(reportedIds(failures(records()))).toEqual([5, 10, 15, 20].map((n) => auditEvent(n).requestId));
    expect(auditor.stats).toEqual({ recorded: 20, written: 16, failed: 4, pending: 0 });
  });

  it('sync: a refused event is not on record, so deny refuses the call and continue reports it', async () => {
    const deny = setup({ sinks: [refusingSink('picky', refuseFifth)] });
    await expect(deny.auditor.record(auditEvent(4))).resolves.toBeUndefined();
    await expect(deny.auditor.record(auditEvent(5))).rejects.toBeInstanceOf(AuditFailedError);
    expect(failures(deny.records())).toMatchObject([{ reason: 'sink_refused', requestIds: [auditEvent(5).requestId] }]);
    expect(deny.auditor.stats).toEqual({ recorded: 2, written: 1, failed: 1, pending: 0 });

    const proceed = setup({ sinks: [refusingSink('picky', refuseFifth)], onFailure: 'continue' });
    await expect(proceed.auditor.record(auditEvent(5))).resolves.toBeUndefined();
    expect(proceed.auditor.stats).toEqual({ recorded: 1, written: 0, failed: 1, pending: 0 });
  });
});

/** 5,000 calls spread over a few milliseconds against a sink failing at random (seeded). */
async function stressAuditor(options: Partial<AuditOptions>, seed: number, refuseSome = false) {
  const random = seededRandom(seed);
  const written: string[] = [];
  const sink: AuditSink = {
    name: 'flaky',
    async write(events) {
      await sleep(random() * 3);
      if (random() < 0.3) throw new Error('flaky');
      // Sometimes writes part of the batch and refuses the rest, as knexSink does for rows its database refuses.
      const refused = refuseSome && random() < 0.3 ? events.filter(() => random() < 0.2).map((event) => event.requestId) : [];
      for (const event of events) if (!refused.includes(event.requestId)) written.push(event.requestId);
      if (refused.length > 0) throw Object.assign(new Error('refused'), { refused });
    },
  };
  const { auditor, records } = setup({ sinks: [sink], ...options });
  const events = Array.from({ length: 5_000 }, (_, n) => auditEvent(n));
  let consistent = true;
  const results = await Promise.all(
    events.map(async (event, n) => {
      await sleep(n % 10);
      const { recorded, written: done, failed, pending } = auditor.stats;
      consistent &&= recorded === done + failed + pending;
      return auditor.record(event).then(
        () => 'resolved',
        (error: unknown) => (error instanceof AuditFailedError ? 'denied' : 'other'),
      );
    }),
  );
  await auditor.close();
  return { auditor, written, reported: reportedIds(records()), events, results, consistent };
}

describe('under 5,000 concurrent calls with a flaky sink, no event is lost', () => {
  function expectAccountedFor(run: Awaited<ReturnType<typeof stressAuditor>>): void {
    const { auditor, written, reported, events, consistent } = run;
    const all = events.map((event) => event.requestId);
    // Every event is written or reported, none both, none twice.
    expect(new Set(written).size).toBe(written.length);
    expect(new Set(reported).size).toBe(reported.length);
    expect(written.filter((id) => reported.includes(id))).toEqual([]);
    expect([...written, ...reported].sort()).toEqual([...all].sort());
    expect(auditor.stats).toEqual({ recorded: 5_000, written: written.length, failed: reported.length, pending: 0 });
    expect(consistent).toBe(true);
    expect(written.length).toBeGreaterThan(0);
    expect(reported.length).toBeGreaterThan(0);
  }

  it('buffered, with a small buffer and retries', async () => {
    const run = await stressAuditor(
      { mode: 'buffered', batchSize: 50, maxBuffered: 500, maxRetries: 1, retryDelayMs: 1, flushIntervalMs: 5, onFailure: 'continue' },
      1,
    );
    expectAccountedFor(run);
    expect(run.results.every((result) => result === 'resolved')).toBe(true);
  });

  it('buffered with deny: exactly the refused calls are rejected', async () => {
    const run = await stressAuditor({ mode: 'buffered', batchSize: 50, maxBuffered: 200, maxRetries: 0, flushIntervalMs: 5 }, 2);
    expectAccountedFor(run);
    const denied = run.results.filter((result) => result === 'denied').length;
    expect(denied).toBeGreaterThan(0);
    expect(run.results.includes('other')).toBe(false);
    expect(denied).toBeLessThanOrEqual(run.reported.length);
  });

  it('buffered, with a sink that also refuses some events of some batches', async () => {
    const run = await stressAuditor(
      { mode: 'buffered', batchSize: 50, maxBuffered: 500, maxRetries: 1, retryDelayMs: 1, flushIntervalMs: 5, onFailure: 'continue' },
      4,
      true,
    );
    expectAccountedFor(run);
  });

  it('sync with deny: exactly the failed events are denied', async () => {
    const run = await stressAuditor({ mode: 'sync' }, 3);
    expectAccountedFor(run);
    expect(run.results.filter((result) => result === 'denied').length).toBe(run.reported.length);
    expect(run.results.filter((result) => result === 'resolved').length).toBe(run.written.length);
  });
});

describe('record() on the hot path', () => {
  it('in buffered mode returns the same settled promise every time (no per-call promise)', async () => {
    const { auditor } = setup({ sinks: [recordingSink()], mode: 'buffered', flushIntervalMs: 60_000 });
    const first = auditor.record(auditEvent(1));
    const second = auditor.record(auditEvent(2));
    expect(second).toBe(first);
    await auditor.close();
  });
});
