import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  KEY_PREFIX,
  StaticApiKeyStore,
  generateApiKey,
  hashSecret,
  parseApiKey,
  verifyApiKey,
  type ApiKeyRecord,
  type SerializedApiKeyRecord,
} from '../../src/auth/api-keys.js';

const ID = 'abcdefghij27';
const SECRET = 'A'.repeat(21) + '-_' + 'z9'.repeat(10);
const WELL_FORMED = `cx_${ID}_${SECRET}`;

function newKey(name = 'test'): string {
  return generateApiKey({ name }).key;
}

function secretOf(key: string): string {
  const parsed = parseApiKey(key);
  if (!parsed) throw new Error('test key is malformed');
  return parsed.secret;
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected a throw');
}

describe('generateApiKey', () => {
  it('makes cx_<12 base32>_<43 base64url> keys', () => {
    const { key, record } = generateApiKey({ name: 'format' });
    expect(KEY_PREFIX).toBe('cx_');
    expect(key.startsWith('cx_')).toBe(true);
    expect(key).toHaveLength(3 + 12 + 1 + 43);
    expect(key).toMatch(/^cx_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(key)).toEqual({ id: record.id, secret: key.slice(16) });
  });

  it('encodes 32 random bytes in the secret', () => {
    const secret = secretOf(newKey());
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
  });

  it('stores only the SHA-256 of the secret', () => {
    const { key, record } = generateApiKey({ name: 'hash' });
    const secret = secretOf(key);
    expect(record.hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(record.hash).toBe(hashSecret(secret));
    expect(JSON.stringify(record)).not.toContain(secret);
  });

  it('fills the record from the options', () => {
    const now = new Date('2025-01-02T03:04:05.678Z');
    const expiresAt = new Date('2026-01-01T00:00:00.000Z');
    const scopes = ['read'];
    const { record } = generateApiKey({ name: '  padded name ', scopes, expiresAt }, now);
    scopes.push('write');
    expect(record).toMatchObject({
      name: 'padded name',
      scopes: ['read'],
      createdAt: now,
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(generateApiKey({ name: 'defaults' }).record).toMatchObject({ scopes: [], expiresAt: null });
  });

  it('refuses an empty name', () => {
    expect(() => generateApiKey({ name: '' })).toThrow(TypeError);
    expect(() => generateApiKey({ name: ' \t\n' })).toThrow(TypeError);
  });

  it('never repeats a key, id or secret over 1,000 keys', () => {
    const keys = Array.from({ length: 1000 }, () => newKey());
    const parsed = keys.map((key) => parseApiKey(key));
    expect(new Set(keys).size).toBe(1000);
    expect(new Set(parsed.map((entry) => entry?.id)).size).toBe(1000);
    expect(new Set(parsed.map((entry) => entry?.secret)).size).toBe(1000);
  });

  it('uses the whole id alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, () => parseApiKey(newKey())?.id ?? '').join(''));
    expect([...seen].sort().join('')).toBe('234567abcdefghijklmnopqrstuvwxyz');
  });
});

describe('parseApiKey', () => {
  it('splits a well-formed key', () => {
    expect(parseApiKey(WELL_FORMED)).toEqual({ id: ID, secret: SECRET });
  });

  it.each([
    ['empty', ''],
    ['prefix only', 'cx_'],
    ['empty parts', 'cx__'],
    ['no secret', `cx_${ID}_`],
    ['no id', `cx__${SECRET}`],
    ['upper-case prefix', `CX_${ID}_${SECRET}`],
    ['other prefix', `sk_${ID}_${SECRET}`],
    ['upper-case id', `cx_${ID.toUpperCase()}_${SECRET}`],
    ['id with 0, 1, 8 or 9 (not base32)', `cx_abcdefghij01_${SECRET}`],
    ['id too short', `cx_${ID.slice(1)}_${SECRET}`],
    ['id too long', `cx_${ID}a_${SECRET}`],
    ['secret too short', `cx_${ID}_${SECRET.slice(1)}`],
    ['secret too long', `cx_${ID}_${SECRET}A`],
    ['base64 padding', `cx_${ID}_${SECRET.slice(1)}=`],
    ['standard base64 characters', `cx_${ID}_${SECRET.slice(2)}+/`],
    ['dash separator', `cx-${ID}-${SECRET}`],
    ['bearer scheme', `Bearer ${WELL_FORMED}`],
    ['leading space', ` ${WELL_FORMED}`],
    ['trailing newline', `${WELL_FORMED}\n`],
    ['inner newline', `cx_${ID}\n_${SECRET}`],
    ['non-ASCII lookalike', `cx_${ID}_${SECRET.slice(1)}Ａ`],
  ])('rejects %s', (_label, key) => {
    expect(parseApiKey(key)).toBeNull();
  });
});

describe('verifyApiKey with a StaticApiKeyStore', () => {
  it('accepts the key and returns its identity without the secret', async () => {
    const key = newKey();
    const { id } = parseApiKey(key) ?? { id: '' };
    const store = new StaticApiKeyStore([{ key, name: 'static', scopes: ['read'] }]);
    const auth = await verifyApiKey(store, key);
    expect(auth).toEqual({ token: id, clientId: id, scopes: ['read'], extra: { keyId: id, keyName: 'static' } });
    expect(JSON.stringify(auth)).not.toContain(secretOf(key));
  });

  it('tolerates surrounding whitespace but nothing else', async () => {
    const key = newKey();
    const store = new StaticApiKeyStore([{ key, name: 'static' }]);
    expect(await verifyApiKey(store, ` ${key}\n`)).not.toBeNull();
    expect(await verifyApiKey(store, `${key}x`)).toBeNull();
    expect(await verifyApiKey(store, `Bearer ${key}`)).toBeNull();
    expect(await verifyApiKey(store, undefined)).toBeNull();
    expect(await verifyApiKey(store, '')).toBeNull();
  });

  it('rejects a wrong secret and an unknown id', async () => {
    const key = newKey();
    const { id } = parseApiKey(key) ?? { id: '' };
    const store = new StaticApiKeyStore([{ key, name: 'static' }]);
    expect(await verifyApiKey(store, `cx_${id}_${secretOf(newKey())}`)).toBeNull();
    expect(await verifyApiKey(store, newKey())).toBeNull();
  });

  it('rejects revoked and expired records, with the expiry instant itself expired', async () => {
    const now = new Date('2025-06-01T00:00:00.000Z');
    const make = (overrides: Partial<ApiKeyRecord>): { key: string; record: ApiKeyRecord } => {
      const created = generateApiKey({ name: 'record' });
      return { key: created.key, record: { ...created.record, ...overrides } };
    };
    const revoked = make({ revokedAt: new Date(now.getTime() - 1) });
    const revokedLater = make({ revokedAt: new Date(now.getTime() + 60_000) });
    const expired = make({ expiresAt: now });
    const valid = make({ expiresAt: new Date(now.getTime() + 1500) });
    const store = new StaticApiKeyStore([revoked, revokedLater, expired, valid].map(({ record }) => record));
    expect(await verifyApiKey(store, revoked.key, now)).toBeNull();
    expect(await verifyApiKey(store, expired.key, now)).toBeNull();
    // A revocation scheduled for later takes effect then.
    expect(await verifyApiKey(store, revokedLater.key, now)).not.toBeNull();
    expect(await verifyApiKey(store, revokedLater.key, new Date(now.getTime() + 60_000))).toBeNull();
    expect((await verifyApiKey(store, valid.key, now))?.expiresAt).toBe(Math.floor((now.getTime() + 1500) / 1000));
  });

  it('records the last use in memory', async () => {
    const key = newKey();
    const { id } = parseApiKey(key) ?? { id: '' };
    const store = new StaticApiKeyStore([{ key, name: 'static' }]);
    expect((await store.find(id))?.lastUsedAt).toBeNull();
    const now = new Date('2025-01-01T00:00:00.000Z');
    await verifyApiKey(store, key, now);
    expect((await store.find(id))?.lastUsedAt).toEqual(now);
  });
});

describe('StaticApiKeyStore', () => {
  it('keeps only the hash of plaintext keys', async () => {
    const key = newKey();
    const { id, secret } = parseApiKey(key) ?? { id: '', secret: '' };
    const store = new StaticApiKeyStore([{ key, name: 'plain', scopes: ['a', 'b'] }]);
    const record = await store.find(id);
    expect(record).toMatchObject({ id, name: 'plain', hash: hashSecret(secret), scopes: ['a', 'b'], revokedAt: null });
    expect(JSON.stringify(record)).not.toContain(secret);
    expect(await store.find('abcdefghijkl')).toBeNull();
  });

  it('reads comma- or whitespace-separated keys from the environment', async () => {
    const [a, b, c] = [newKey(), newKey(), newKey()];
    const store = StaticApiKeyStore.fromEnvironment(`${a}, ${b}\n\t${c},`);
    for (const key of [a, b, c]) {
      const id = parseApiKey(key)?.id;
      const auth = await verifyApiKey(store, key);
      expect(auth?.clientId).toBe(id);
      expect(auth?.extra).toEqual({ keyId: id, keyName: `env-${id}` });
    }
    expect(await verifyApiKey(store, newKey())).toBeNull();
  });

  it('fails at startup for an empty or missing environment variable, unless an empty store is asked for', async () => {
    for (const value of [undefined, '', ' , \n']) {
      expect(() => StaticApiKeyStore.fromEnvironment(value)).toThrow(/unset or holds no API key.*CONEXOR_API_KEYS/);
      expect(await verifyApiKey(StaticApiKeyStore.fromEnvironment(value, { allowEmpty: true }), newKey())).toBeNull();
    }
  });

  it('refuses a malformed key without echoing it', () => {
    const valid = newKey();
    const malformed = `${valid.slice(0, -1)}`;
    const fromConfig = messageOf(() => new StaticApiKeyStore([{ key: malformed, name: 'ci key' }]));
    const fromEnv = messageOf(() => StaticApiKeyStore.fromEnvironment(`${newKey()},${malformed}`));
    for (const message of [fromConfig, fromEnv]) {
      expect(message).toMatch(/not a conexor key/);
      expect(message).not.toContain(malformed);
      expect(message).not.toContain(secretOf(valid).slice(0, 16));
    }
    expect(fromConfig).toContain('ci key');
  });

  it('refuses duplicate ids', () => {
    const key = newKey();
    const { id } = parseApiKey(key) ?? { id: '' };
    const sameIdOtherSecret = `cx_${id}_${secretOf(newKey())}`;
    expect(() => new StaticApiKeyStore([
      { key, name: 'one' },
      { key: sameIdOtherSecret, name: 'two' },
    ])).toThrow(/Duplicate API key id/);
    expect(() => StaticApiKeyStore.fromEnvironment(`${key},${key}`)).toThrow(TypeError);
  });

  it('takes a record as JSON holds it, dates as ISO strings, and refuses a malformed one', async () => {
    const { key, record } = generateApiKey({ name: 'json', expiresAt: new Date(Date.now() + 60_000) });
    const json = JSON.parse(JSON.stringify(record)) as SerializedApiKeyRecord;
    const store = new StaticApiKeyStore([json]);
    expect(await verifyApiKey(store, key)).toMatchObject({ clientId: record.id });
    expect((await store.find(record.id))?.expiresAt).toEqual(record.expiresAt);
    // Expired a minute ago: the string date is compared as a date, not as text.
    const expired = new StaticApiKeyStore([{ ...json, expiresAt: new Date(Date.now() - 60_000).toISOString() }]);
    expect(await verifyApiKey(expired, key)).toBeNull();
    expect(() => new StaticApiKeyStore([{ ...json, expiresAt: 'next week' }])).toThrow(/expiresAt must be an ISO 8601 date or null/);
    expect(() => new StaticApiKeyStore([{ ...json, hash: 'abc' }])).toThrow(/hash must be 64 lowercase hex characters/);
    expect(() => new StaticApiKeyStore([{ ...json, id: 'UPPER' }])).toThrow(/id must be 12 characters/);
  });
});
