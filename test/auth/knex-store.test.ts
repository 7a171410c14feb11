import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, generateApiKey, parseApiKey, verifyApiKey, type ApiKeyRecord } from '../../src/auth/api-keys.js';
import {
  DEFAULT_API_KEY_TABLE,
  KnexApiKeyStore,
  apiKeyMigration,
  createApiKeyTable,
  dropApiKeyTable,
} from '../../src/auth/knex-store.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

type RawRow = Record<string, unknown>;

/** Changes one character of `text` at `index` to another character of the same alphabet. */
function changeCharAt(text: string, index: number): string {
  const replacement = text[index] === 'a' ? 'b' : 'a';
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

function secretOf(key: string): string {
  const parsed = parseApiKey(key);
  if (!parsed) throw new Error('test key is malformed');
  return parsed.secret;
}

/** A valid key record (for tests that insert records directly). */
function recordWith(overrides: Partial<ApiKeyRecord>): ApiKeyRecord {
  return { ...generateApiKey({ name: 'direct' }).record, ...overrides };
}

describe.each(DIALECTS)('KnexApiKeyStore on %s', (dialect) => {
  let db: TestDatabase;
  let store: KnexApiKeyStore;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cxkeys');
    await createApiKeyTable(db.knex);
    store = new KnexApiKeyStore(db.knex);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('creates the table once: a second create is a no-op that keeps the keys', async () => {
    const { record } = await createApiKey(store, { name: 'idempotent' });
    await createApiKeyTable(db.knex);
    expect(await db.knex.schema.hasTable(DEFAULT_API_KEY_TABLE)).toBe(true);
    expect((await store.find(record.id))?.name).toBe('idempotent');
  });

  it('accepts a created key and returns its identity', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { key, record } = await createApiKey(store, { name: 'reporting bot', scopes: ['read', 'orders'], expiresAt });
    const auth = await verifyApiKey(store, key);
    expect(auth).toMatchObject({
      token: record.id,
      clientId: record.id,
      scopes: ['read', 'orders'],
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
      extra: { keyId: record.id, keyName: 'reporting bot' },
    });
  });

  it('rejects wrong secrets, unknown ids and malformed keys', async () => {
    const { key, record } = await createApiKey(store, { name: 'target' });
    const other = generateApiKey({ name: 'never stored' }).key;
    const wrongSecret = `cx_${record.id}_${secretOf(other)}`;
    const unknownId = other;
    const idStart = 'cx_'.length;
    const secretStart = key.length - secretOf(key).length;
    const rejected = [
      wrongSecret,
      unknownId,
      '',
      'cx_',
      `cx_${record.id}_`,
      changeCharAt(key, idStart),
      changeCharAt(key, secretStart),
      changeCharAt(key, key.length - 1),
      `${key}x`,
      `${key}=`,
      `Bearer ${key}`,
      key.toUpperCase(),
      `cx_${record.id.toUpperCase()}_${secretOf(key)}`,
    ];
    for (const presented of rejected) {
      expect(await verifyApiKey(store, presented), presented).toBeNull();
    }
    expect(await verifyApiKey(store, undefined)).toBeNull();
    // The genuine key still works, so the rejections above are not an artefact of a broken setup.
    expect(await verifyApiKey(store, key)).not.toBeNull();
  });

  it('finds only the exact id, even where the database compares case-insensitively', async () => {
    const { record } = await createApiKey(store, { name: 'case' });
    expect(await store.find(record.id.toUpperCase())).toBeNull();
    expect(await store.find(`${record.id} `)).toBeNull();
    expect(await store.find('')).toBeNull();
    expect((await store.find(record.id))?.id).toBe(record.id);
  });

  it('rejects a revoked key and an expired key', async () => {
    const revoked = await createApiKey(store, { name: 'revoked' });
    expect(await verifyApiKey(store, revoked.key)).not.toBeNull();
    expect(await store.revoke(revoked.record.id, new Date())).toBe(true);
    expect(await verifyApiKey(store, revoked.key)).toBeNull();

    const expired = await createApiKey(store, { name: 'expired', expiresAt: new Date(Date.now() - 1000) });
    expect(await verifyApiKey(store, expired.key)).toBeNull();

    const expiring = await createApiKey(store, { name: 'expiring', expiresAt: new Date(Date.now() + 60_000) });
    expect(await verifyApiKey(store, expiring.key)).not.toBeNull();
    expect(await verifyApiKey(store, expiring.key, new Date(Date.now() + 120_000))).toBeNull();
  });

  it('never stores the plaintext key or its secret', async () => {
    const created = await Promise.all(
      ['one', 'two', 'three'].map((name) => createApiKey(store, { name, scopes: ['read'] })),
    );
    await Promise.all(created.map(({ key }) => verifyApiKey(store, key)));
    const rows = await db.knex<RawRow>(DEFAULT_API_KEY_TABLE).select('*');
    const dump = rows.map((row) => Object.values(row).map(String).join('\u0000')).join('\n');
    for (const { key, record } of created) {
      expect(dump).toContain(record.id);
      expect(dump).toContain(record.hash);
      expect(dump).not.toContain(key);
      expect(dump).not.toContain(secretOf(key));
      // Not even a prefix long enough to help guessing.
      expect(dump).not.toContain(secretOf(key).slice(0, 16));
    }
  });

  it('writes last_used_at on first use and at most once per interval afterwards', async () => {
    const throttled = new KnexApiKeyStore(db.knex, { touchIntervalMs: 1000 });
    const { key, record } = await createApiKey(throttled, { name: 'hot key' });
    const lastUsed = async (): Promise<number | undefined> => (await throttled.find(record.id))?.lastUsedAt?.getTime();
    const t0 = Date.now();

    expect(await lastUsed()).toBeUndefined();
    expect(await verifyApiKey(throttled, key, new Date(t0))).not.toBeNull();
    expect(await lastUsed()).toBe(t0);

    expect(await verifyApiKey(throttled, key, new Date(t0 + 999))).not.toBeNull();
    expect(await lastUsed()).toBe(t0);

    expect(await verifyApiKey(throttled, key, new Date(t0 + 1000))).not.toBeNull();
    expect(await lastUsed()).toBe(t0 + 1000);
  });

  it('throttles in real time with a small interval', async () => {
    const throttled = new KnexApiKeyStore(db.knex, { touchIntervalMs: 250 });
    const { key, record } = await createApiKey(throttled, { name: 'real time' });
    await verifyApiKey(throttled, key);
    const first = (await throttled.find(record.id))?.lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    await verifyApiKey(throttled, key);
    expect((await throttled.find(record.id))?.lastUsedAt).toEqual(first);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await verifyApiKey(throttled, key);
    const second = (await throttled.find(record.id))?.lastUsedAt;
    expect(second?.getTime()).toBeGreaterThan(first?.getTime() ?? Infinity);
  });

  it('by default writes last_used_at at most once a minute', async () => {
    const fresh = new KnexApiKeyStore(db.knex);
    const { record } = await createApiKey(fresh, { name: 'default interval' });
    const t0 = Date.now();
    await fresh.touch(record.id, new Date(t0));
    await fresh.touch(record.id, new Date(t0 + 59_999));
    expect((await fresh.find(record.id))?.lastUsedAt?.getTime()).toBe(t0);
    await fresh.touch(record.id, new Date(t0 + 60_000));
    expect((await fresh.find(record.id))?.lastUsedAt?.getTime()).toBe(t0 + 60_000);
  });

  it('never moves last_used_at backwards when another process wrote a later time', async () => {
    const first = new KnexApiKeyStore(db.knex);
    const second = new KnexApiKeyStore(db.knex);
    const { record } = await createApiKey(first, { name: 'two writers' });
    const t0 = Date.now();
    await first.touch(record.id, new Date(t0 + 5000));
    await second.touch(record.id, new Date(t0));
    expect((await first.find(record.id))?.lastUsedAt?.getTime()).toBe(t0 + 5000);
  });

  describe('across store instances', () => {
    let otherKnex: Knex;
    beforeAll(() => {
      // A separate connection pool, like a restarted process (an in-memory SQLite database lives in one connection).
      otherKnex = dialect === 'sqlite' ? db.knex : knexFactory(db.knex.client.config);
    });
    afterAll(async () => {
      if (otherKnex !== db.knex) await otherKnex.destroy();
    });

    it("sees the other instance's keys and revocations", async () => {
      const writer = new KnexApiKeyStore(db.knex);
      const reader = new KnexApiKeyStore(otherKnex);
      const { key, record } = await createApiKey(writer, { name: 'shared', scopes: ['a'] });
      expect((await verifyApiKey(reader, key))?.clientId).toBe(record.id);
      expect(await reader.revoke(record.id, new Date())).toBe(true);
      expect(await verifyApiKey(writer, key)).toBeNull();
      expect(await verifyApiKey(reader, key)).toBeNull();
    });
  });

  it('lists keys by creation time, then id', async () => {
    const listed = new KnexApiKeyStore(db.knex, { table: 'listed_keys' });
    await createApiKeyTable(db.knex, 'listed_keys');
    const base = Date.UTC(2030, 0, 1);
    const late = recordWith({ id: 'aaaaaaaaaaaa', name: 'late', createdAt: new Date(base + 2) });
    const tieB = recordWith({ id: 'bbbbbbbbbbbb', name: 'tie b', createdAt: new Date(base + 1) });
    const tieA = recordWith({ id: 'aaaaaaaaaaab', name: 'tie a', createdAt: new Date(base + 1) });
    const early = recordWith({ id: 'zzzzzzzzzzzz', name: 'early', createdAt: new Date(base) });
    for (const record of [late, tieB, tieA, early]) await listed.insert(record);
    expect((await listed.list()).map((record) => record.name)).toEqual(['early', 'tie a', 'tie b', 'late']);
  });

  it('revokes: false for unknown ids, the first revocation time is kept', async () => {
    const { key, record } = await createApiKey(store, { name: 'revoke twice' });
    expect(await store.revoke('abcdefghijkl', new Date())).toBe(false);
    expect(await store.revoke('not an id', new Date())).toBe(false);
    expect(await store.revoke(record.id.toUpperCase(), new Date())).toBe(false);
    expect((await store.find(record.id))?.revokedAt).toBeNull();

    const first = new Date(Date.UTC(2024, 5, 1, 12, 0, 0, 123));
    expect(await store.revoke(record.id, first)).toBe(true);
    expect(await store.revoke(record.id, new Date(first.getTime() + 1000))).toBe(true);
    expect((await store.find(record.id))?.revokedAt?.getTime()).toBe(first.getTime());
    expect(await verifyApiKey(store, key)).toBeNull();
    const listedRecord = (await store.list()).find((entry) => entry.id === record.id);
    expect(listedRecord?.revokedAt?.getTime()).toBe(first.getTime());
  });

  it('round-trips timestamps to the millisecond', async () => {
    const record = recordWith({
      name: 'timestamps',
      scopes: ['x', 'y z', 'ü'],
      createdAt: new Date('2024-02-29T23:59:59.999Z'),
      expiresAt: new Date('2100-12-31T23:59:59.001Z'),
      revokedAt: new Date('1969-12-31T23:59:59.999Z'),
      lastUsedAt: new Date('2038-01-19T03:14:08.007Z'),
    });
    await store.insert(record);
    const found = await store.find(record.id);
    expect(found).toEqual(record);
    expect(found?.createdAt).toBeInstanceOf(Date);
    expect(found?.expiresAt?.getTime()).toBe(record.expiresAt?.getTime());
    expect((await store.list()).find((entry) => entry.id === record.id)).toEqual(record);
  });

  it('refuses records the table cannot hold faithfully', async () => {
    await expect(store.insert(recordWith({ name: 'x'.repeat(201) }))).rejects.toThrow(TypeError);
    await expect(store.insert(recordWith({ id: 'TOOSHORT' }))).rejects.toThrow(TypeError);
    await expect(store.insert(recordWith({ hash: 'not hex' }))).rejects.toThrow(TypeError);
    await expect(store.insert(recordWith({ createdAt: new Date(Number.NaN) }))).rejects.toThrow(TypeError);
    const { record } = await createApiKey(store, { name: 'duplicate' });
    await expect(store.insert(record)).rejects.toThrow();
  });

  it('fails loudly on a corrupt row instead of inventing values', async () => {
    const record = recordWith({ name: 'corrupt' });
    await store.insert(record);
    await db.knex(DEFAULT_API_KEY_TABLE).where('id', record.id).update({ scopes: '{"not":"an array"}' });
    await expect(store.find(record.id)).rejects.toThrow(/corrupt scopes/);
    await db.knex(DEFAULT_API_KEY_TABLE).where('id', record.id).delete();
  });

  it('validates the table name at construction', () => {
    for (const table of ['', '1keys', 'api-keys', 'keys; DROP TABLE x', 'schema.keys', '"keys"', 'k'.repeat(64)]) {
      expect(() => new KnexApiKeyStore(db.knex, { table }), table).toThrow(TypeError);
    }
    expect(() => new KnexApiKeyStore(db.knex, { table: '_K'.padEnd(63, '9') })).not.toThrow();
    expect(() => new KnexApiKeyStore(db.knex, { touchIntervalMs: -1 })).toThrow(TypeError);
  });

  it('validates the table name when creating or dropping the table', async () => {
    await expect(createApiKeyTable(db.knex, 'bad name')).rejects.toThrow(TypeError);
    await expect(dropApiKeyTable(db.knex, 'bad name')).rejects.toThrow(TypeError);
  });

  it('works as a Knex migration', async () => {
    const migrated = await createTestDatabase(dialect, 'cxmig');
    try {
      await apiKeyMigration.up(migrated.knex);
      const { key } = await createApiKey(new KnexApiKeyStore(migrated.knex), { name: 'migrated' });
      expect(await verifyApiKey(new KnexApiKeyStore(migrated.knex), key)).not.toBeNull();
      await apiKeyMigration.down(migrated.knex);
      expect(await migrated.knex.schema.hasTable(DEFAULT_API_KEY_TABLE)).toBe(false);
      await apiKeyMigration.down(migrated.knex);
    } finally {
      await migrated.destroy();
    }
  });

  it('rejects find on a broken table while touch never throws', async () => {
    const table = 'broken_keys';
    await createApiKeyTable(db.knex, table);
    const errors: unknown[] = [];
    const broken = new KnexApiKeyStore(db.knex, {
      table,
      onError: (error, context) => {
        errors.push(error);
        expect(context).toEqual({ operation: 'touch', keyId: record.id });
      },
    });
    const { key, record } = await createApiKey(broken, { name: 'doomed' });
    await dropApiKeyTable(db.knex, table);

    // verifyApiKey propagates the failure: the HTTP layer must answer 503/500, not 401.
    await expect(broken.find(record.id)).rejects.toThrow();
    await expect(verifyApiKey(broken, key)).rejects.toThrow();
    await expect(broken.touch(record.id, new Date())).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);

    const throwingHandler = new KnexApiKeyStore(db.knex, {
      table,
      onError: () => {
        throw new Error('handler failed');
      },
    });
    await expect(throwingHandler.touch(record.id, new Date())).resolves.toBeUndefined();
    await expect(new KnexApiKeyStore(db.knex, { table }).touch(record.id, new Date())).resolves.toBeUndefined();
  });
});
