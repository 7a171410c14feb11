import { describe, expect, it } from 'vitest';
import { ConfigurationError, QueryError } from '../../src/errors.js';
import { createPoolGuard, POOL_GUARD_DEFAULTS, type PoolGuard } from '../../src/limits/pool-guard.js';

/** Work that runs until the test opens its gate. */
function gated<T>(value: T): { work: () => Promise<T>; open: () => void; started: () => boolean } {
  let open!: () => void;
  let started = false;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    work: async () => {
      started = true;
      await gate;
      return value;
    },
    open: () => open(),
    started: () => started,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function expectBusy(promise: Promise<unknown>, message: RegExp): Promise<QueryError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(QueryError);
  expect((error as QueryError).code).toBe('timeout');
  expect((error as QueryError).message).toMatch(/^The database is busy: .* Retry later\.$/);
  expect((error as QueryError).message).toMatch(message);
  return error as QueryError;
}

describe('createPoolGuard', () => {
  it('runs up to maxConcurrent at once and queues the rest in order', async () => {
    const guard = createPoolGuard({ maxConcurrent: 2 });
    const jobs = [0, 1, 2, 3, 4].map((n) => gated(n));
    const order: number[] = [];
    const results = jobs.map((job, n) =>
      guard.run(() => {
        order.push(n);
        return job.work();
      }),
    );
    await tick();
    expect(order).toEqual([0, 1]);
    expect([guard.active, guard.queued]).toEqual([2, 3]);

    jobs[1]?.open();
    await tick();
    expect(order).toEqual([0, 1, 2]);
    for (const job of jobs) job.open();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect([guard.active, guard.queued]).toEqual([0, 0]);
  });

  it('never runs more than maxConcurrent of 500 concurrent calls', async () => {
    const guard = createPoolGuard({ maxConcurrent: 8, maxQueued: 500, queueTimeoutMs: 10_000 });
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, n) =>
        guard.run(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, n % 3));
          running -= 1;
          return n;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 500 }, (_, n) => n));
    expect(peak).toBe(8);
    expect([guard.active, guard.queued]).toEqual([0, 0]);
  });

  it('refuses at once when the queue is full, without running the work', async () => {
    const guard = createPoolGuard({ maxConcurrent: 1, maxQueued: 2 });
    const held = gated('held');
    const running = guard.run(held.work);
    const queued = [guard.run(() => Promise.resolve('a')), guard.run(() => Promise.resolve('b'))];
    let ran = false;
    // Refused while the held call still runs: a queued call would wait for the held one instead.
    await expectBusy(
      guard.run(() => {
        ran = true;
        return Promise.resolve('c');
      }),
      /too many queries are waiting/,
    );
    expect(ran).toBe(false);

    held.open();
    expect(await Promise.all([running, ...queued])).toEqual(['held', 'a', 'b']);
    await expectWorking(guard);
  });

  it('refuses a call that waited longer than queueTimeoutMs, and never runs it', async () => {
    const guard = createPoolGuard({ maxConcurrent: 1, queueTimeoutMs: 100 });
    const held = gated('held');
    const running = guard.run(held.work);
    const late = gated('late');
    const started = Date.now();
    await expectBusy(guard.run(late.work), /no query slot became free in time/);
    const waited = Date.now() - started;
    // It waited its queueTimeoutMs (timers never fire early), and the held call still runs.
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(guard.queued).toBe(0);

    held.open();
    expect(await running).toBe('held');
    await tick();
    expect(late.started()).toBe(false);
    await expectWorking(guard);
  });

  it('frees the slot of work that fails or throws', async () => {
    const guard = createPoolGuard({ maxConcurrent: 1 });
    await expect(guard.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      guard.run(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    await expectWorking(guard);
  });

  it('refuses at once when busy with maxQueued 0', async () => {
    const guard = createPoolGuard({ maxConcurrent: 1, maxQueued: 0 });
    const held = gated('held');
    const running = guard.run(held.work);
    await expectBusy(guard.run(() => Promise.resolve(1)), /too many queries are waiting/);
    held.open();
    await running;
    expect(await guard.run(() => Promise.resolve(2))).toBe(2);
  });

  it('tells onRefused why each refused call was refused, and nothing about the calls it ran', async () => {
    const refusals: string[] = [];
    const guard = createPoolGuard({ maxConcurrent: 1, maxQueued: 1, queueTimeoutMs: 50, onRefused: (reason) => refusals.push(reason) });
    const held = gated('held');
    const running = guard.run(held.work);
    const waiting = guard.run(() => Promise.resolve('never'));
    await expectBusy(guard.run(() => Promise.resolve('full')), /too many queries are waiting/);
    await expectBusy(waiting, /no query slot became free in time/);
    held.open();
    expect(await running).toBe('held');
    expect(await guard.run(() => Promise.resolve('ran'))).toBe('ran');
    expect(refusals).toEqual(['queue_full', 'queue_timeout']);
  });

  it('documents its defaults and refuses invalid limits', async () => {
    expect(POOL_GUARD_DEFAULTS).toEqual({ maxConcurrent: 8, maxQueued: 100, queueTimeoutMs: 2000 });
    await expectWorking(createPoolGuard());
    expect(() => createPoolGuard({ maxConcurrent: 0 })).toThrow(ConfigurationError);
    expect(() => createPoolGuard({ maxConcurrent: 1.5 })).toThrow(/maxConcurrent/);
    expect(() => createPoolGuard({ maxQueued: -1 })).toThrow(/maxQueued/);
    expect(() => createPoolGuard({ queueTimeoutMs: Number.NaN })).toThrow(/queueTimeoutMs/);
  });
});

/** The guard still runs work (up to its limit at once) and ends idle. */
async function expectWorking(guard: PoolGuard): Promise<void> {
  expect(await Promise.all([1, 2, 3].map((n) => guard.run(() => Promise.resolve(n))))).toEqual([1, 2, 3]);
  expect([guard.active, guard.queued]).toEqual([0, 0]);
}
