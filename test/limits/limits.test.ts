import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { createLimiter, type Acquisition, type LimitOptions, type Limiter } from '../../src/limits/limits.js';

const REDIS_URL = process.env.CONEXOR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const clients: Redis[] = [];

/** A connected client; the limiter fails open while its client is not ready, so tests wait for that. */
async function redisClient(): Promise<Redis> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  clients.push(client);
  if (client.status !== 'ready') await new Promise((resolve, reject) => client.once('ready', resolve).once('error', reject));
  return client;
}

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.quit()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function admitted(result: Acquisition): () => void {
  if (!result.ok) throw new Error(`expected admission, got a ${result.reason} refusal`);
  return () => result.release();
}

/** Rewards go out without being awaited; one store round trip makes them visible to the next check. */
const settle = () => sleep(20);

type Backend = 'memory' | 'redis';

describe.each<Backend>(['memory', 'redis'])('limiter in %s', (backend) => {
  let redis: Redis | undefined;
  beforeAll(async () => {
    if (backend === 'redis') redis = await redisClient();
  });
  /** A limiter with its own key prefix, so tests never see each other's counts. */
  function limiter(options: LimitOptions, errors: unknown[] = []): Limiter {
    return createLimiter({ ...options, redis, keyPrefix: `cx-test-${randomBytes(6).toString('hex')}`, onError: (error) => errors.push(error) });
  }

  it('refuses a key over its rate with the seconds left in the window', async () => {
    const errors: unknown[] = [];
    const limits = limiter({ perKeyRate: { points: 3, durationSeconds: 5 } }, errors);
    for (let i = 0; i < 3; i += 1) expect((await limits.acquire('key1')).ok).toBe(true);
    const refused = await limits.acquire('key1');
    expect(refused).toEqual({ ok: false, reason: 'rate', retryAfterSeconds: 5 });
    // Refused requests count too but do not extend the window.
    expect(await limits.acquire('key1')).toMatchObject({ ok: false, reason: 'rate' });
    expect(errors).toEqual([]);
  });

  it('lets a key in again once its window is over', async () => {
    const limits = limiter({ perKeyRate: { points: 2, durationSeconds: 1 } });
    expect((await limits.acquire('key1')).ok).toBe(true);
    expect((await limits.acquire('key1')).ok).toBe(true);
    const refused = await limits.acquire('key1');
    expect(refused).toEqual({ ok: false, reason: 'rate', retryAfterSeconds: 1 });
    await sleep(1100);
    expect((await limits.acquire('key1')).ok).toBe(true);
    expect((await limits.acquire('key1')).ok).toBe(true);
    expect((await limits.acquire('key1')).ok).toBe(false);
  });

  it('counts every key apart, and all anonymous callers as one', async () => {
    const limits = limiter({ perKeyRate: { points: 2, durationSeconds: 5 } });
    for (const key of ['key1', 'key1', undefined, undefined]) expect((await limits.acquire(key)).ok).toBe(true);
    expect((await limits.acquire('key1')).ok).toBe(false);
    expect((await limits.acquire(undefined)).ok).toBe(false);
    expect((await limits.acquire('key2')).ok).toBe(true);
    expect((await limits.acquire('key2')).ok).toBe(true);
    expect((await limits.acquire('key2')).ok).toBe(false);
  });

  it('holds concurrency slots until released, and frees each exactly once', async () => {
    const limits = limiter({ perKeyConcurrency: 2 });
    const first = admitted(await limits.acquire('key1'));
    const second = admitted(await limits.acquire('key1'));
    expect(await limits.acquire('key1')).toEqual({ ok: false, reason: 'concurrency', retryAfterSeconds: 1 });
    expect((await limits.acquire('key2')).ok).toBe(true);

    first();
    first();
    await settle();
    // Released twice, freed once: one more fits, the next does not.
    const third = admitted(await limits.acquire('key1'));
    expect((await limits.acquire('key1')).ok).toBe(false);

    second();
    third();
    await settle();
    admitted(await limits.acquire('key1'));
    admitted(await limits.acquire('key1'));
    expect((await limits.acquire('key1')).ok).toBe(false);
  });

  it('does not count refused attempts as held slots', async () => {
    const limits = limiter({ perKeyConcurrency: 1 });
    const held = admitted(await limits.acquire('key1'));
    for (let i = 0; i < 5; i += 1) expect((await limits.acquire('key1')).ok).toBe(false);
    held();
    await settle();
    admitted(await limits.acquire('key1'));
    expect((await limits.acquire('key1')).ok).toBe(false);
  });

  it('counts a request that takes no slot toward the rate only', async () => {
    const limits = limiter({ perKeyConcurrency: 1, perKeyRate: { points: 3, durationSeconds: 5 } });
    const held = admitted(await limits.acquire('key1'));
    expect((await limits.acquire('key1', { concurrent: false })).ok).toBe(true);
    expect(await limits.acquire('key1')).toMatchObject({ ok: false, reason: 'concurrency' });
    // Three points spent (the concurrency refusal counted too): the rate refuses next.
    expect(await limits.acquire('key1', { concurrent: false })).toMatchObject({ ok: false, reason: 'rate' });
    held();
  });

  it('frees a slot that is never released after the slot lifetime, without going below zero', async () => {
    const limits = limiter({ perKeyConcurrency: 1, concurrencySlotTtlSeconds: 1 });
    const crashed = admitted(await limits.acquire('key1'));
    expect((await limits.acquire('key1')).ok).toBe(false);
    await sleep(1100);
    admitted(await limits.acquire('key1'));
    // The old request ends late: its release must not free the slot the new one holds.
    crashed();
    await settle();
    expect((await limits.acquire('key1')).ok).toBe(false);
  });

  it('lets everything through when no limit is set', async () => {
    const limits = limiter({});
    for (let i = 0; i < 50; i += 1) expect((await limits.acquire('key1')).ok).toBe(true);
  });
});

describe('limiter over Redis shared by several app instances', () => {
  it('shares rate and concurrency counts between limiters on different connections', async () => {
    const [one, two] = await Promise.all([redisClient(), redisClient()]);
    const keyPrefix = `cx-test-${randomBytes(6).toString('hex')}`;
    const options: LimitOptions = { perKeyRate: { points: 4, durationSeconds: 5 }, perKeyConcurrency: 2, keyPrefix };
    const a = createLimiter({ ...options, redis: one });
    const b = createLimiter({ ...options, redis: two });

    const fromA = admitted(await a.acquire('key1'));
    admitted(await b.acquire('key1'));
    expect(await a.acquire('key1')).toMatchObject({ ok: false, reason: 'concurrency' });
    fromA();
    await settle();
    admitted(await b.acquire('key1'));
    // Four points spent across both instances.
    expect(await a.acquire('key1')).toMatchObject({ ok: false, reason: 'rate' });
    expect(await b.acquire('key1')).toMatchObject({ ok: false, reason: 'rate' });
    expect((await b.acquire('key2')).ok).toBe(true);
  });
});

describe('limiter when Redis fails', () => {
  let silent: Server;
  let port: number;
  beforeAll(async () => {
    // A port that refuses connections: listen, note it, close.
    silent = createServer();
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
    await new Promise((resolve) => silent.close(resolve));
  });

  it('lets requests through and reports the failure when Redis is down', async () => {
    const down = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    clients.push(down);
    down.on('error', () => undefined);
    const errors: unknown[] = [];
    const limits = createLimiter({ perKeyRate: { points: 1, durationSeconds: 5 }, perKeyConcurrency: 1, redis: down, onError: (error) => errors.push(error) });
    for (let i = 0; i < 5; i += 1) {
      const result = await limits.acquire('key1');
      expect(result.ok).toBe(true);
      if (result.ok) result.release();
    }
    // Both counters failed on every request, at once because the client is not ready (not after reconnect attempts).
    expect(errors).toHaveLength(10);
    expect(String(errors[0])).toMatch(/not ready/);
    down.disconnect();
  });

  it('fails open after the store deadline when Redis hangs, and gives a late slot back', async () => {
    const redis = await redisClient();
    const admin = await redisClient();
    const errors: unknown[] = [];
    const limits = createLimiter({ perKeyConcurrency: 1, redis, keyPrefix: `cx-test-${randomBytes(6).toString('hex')}`, onError: (error) => errors.push(error) });
    // Redis stops answering writes (and scripts) for 1.5 s: the consume answers after the 1 s deadline.
    await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    const started = Date.now();
    const result = await limits.acquire('key1');
    expect(result.ok).toBe(true);
    // It waited for the store's deadline (timers never fire early), then let the request through.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(String(errors[0])).toMatch(/did not answer within 1000 ms/);
    // Once Redis answers, the point the late consume took is given back: the key has its one slot.
    const later = await vi.waitFor(
      async () => {
        const slot = await limits.acquire('key1');
        if (!slot.ok) throw new Error('the late slot is not back yet');
        return () => slot.release();
      },
      { timeout: 10_000, interval: 50 },
    );
    expect((await limits.acquire('key1')).ok).toBe(false);
    later();
  });
});

describe('createLimiter options', () => {
  it('refuses invalid limits and anything that is not an ioredis client', () => {
    expect(() => createLimiter({ perKeyConcurrency: 0 })).toThrow(ConfigurationError);
    expect(() => createLimiter({ perKeyRate: { points: 1, durationSeconds: 0.5 } })).toThrow(/perKeyRate\.durationSeconds/);
    expect(() => createLimiter({ perKeyRate: { points: 1.5, durationSeconds: 1 } })).toThrow(/perKeyRate\.points/);
    expect(() => createLimiter({ redis: { url: 'redis://x' } })).toThrow(/redis: expected an ioredis client/);
    expect(() => createLimiter({ perKeyConcurrency: 1, perKeyRat: {} } as unknown as LimitOptions)).toThrow(/perKeyRat/);
  });
});
