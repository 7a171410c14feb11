import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { CallerPolicy } from '../policy/caller.js';

/** Every conexor API key starts with this, so a leaked key is recognizable (and scannable) as one. */
export const KEY_PREFIX = 'cx_';
// cx_<id: 12 lowercase base32 chars>_<secret: 43 base64url chars (32 random bytes)>
const KEY_PATTERN = /^cx_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** What a store keeps about a key: never the secret, only its SHA-256. */
export interface ApiKeyRecord {
  /** Public identifier, the middle part of the key. */
  readonly id: string;
  /** Who or what the key is for. */
  readonly name: string;
  /** Hex SHA-256 of the secret part. */
  readonly hash: string;
  readonly scopes: readonly string[];
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
  /** Restrictions this key carries over the base policy (tables, tools, max rows); they only narrow it. */
  readonly policy?: CallerPolicy | null;
}

/** Where keys live. Implementations: {@link StaticApiKeyStore}, `KnexApiKeyStore`. */
export interface ApiKeyStore {
  /** The record for a key id, or `null`. */
  find(id: string): Promise<ApiKeyRecord | null>;
  /** Records that the key was used (stores may throttle the writes). */
  touch(id: string, at: Date): Promise<void>;
  /**
   * Rejects, with a message saying how to fix it, when the store cannot serve (e.g. its table does not exist).
   * HTTP mounts call it once when they are created and log a failure at once, before the first request meets it.
   */
  check?(): Promise<void>;
}

/** A store that can also create, list and revoke keys. */
export interface ManagedApiKeyStore extends ApiKeyStore {
  insert(record: ApiKeyRecord): Promise<void>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; `false` when there is no such key. */
  revoke(id: string, at: Date): Promise<boolean>;
}

/** Options of a new key. */
export interface NewApiKey {
  name: string;
  scopes?: readonly string[];
  expiresAt?: Date | null;
  /** Restrictions for this key: tables, tools, max rows. */
  policy?: CallerPolicy | null;
}

/** A freshly created key: `key` is the only time the plaintext exists. */
export interface CreatedApiKey {
  readonly key: string;
  readonly record: ApiKeyRecord;
}

function randomId(): string {
  const bytes = randomBytes(12);
  return Array.from(bytes, (byte) => BASE32[byte % 32]).join('');
}

/** Hex SHA-256 of a key's secret. A 256-bit random secret needs no slow hash: guessing it is hopeless. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Splits a presented key into id and secret; `null` when it is not a well-formed conexor key. */
export function parseApiKey(key: string): { id: string; secret: string } | null {
  const match = KEY_PATTERN.exec(key);
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : null;
}

/** Makes a new key and the record to store for it. */
export function generateApiKey(options: NewApiKey, now = new Date()): CreatedApiKey {
  const name = options.name.trim();
  if (!name) throw new TypeError('An API key needs a name.');
  const id = randomId();
  const secret = randomBytes(32).toString('base64url');
  return {
    key: `${KEY_PREFIX}${id}_${secret}`,
    record: {
      id,
      name,
      hash: hashSecret(secret),
      scopes: [...(options.scopes ?? [])],
      createdAt: now,
      expiresAt: options.expiresAt ?? null,
      revokedAt: null,
      lastUsedAt: null,
      policy: options.policy ?? null,
    },
  };
}

/** Creates a key in a managed store and returns its plaintext, which is never stored. */
export async function createApiKey(store: ManagedApiKeyStore, options: NewApiKey): Promise<CreatedApiKey> {
  const created = generateApiKey(options);
  await store.insert(created.record);
  return created;
}

// Compared against when the id is unknown, so a miss costs the same as a wrong secret.
const DUMMY_HASH = hashSecret('conexor-dummy-secret');

/** Why a presented key was refused: for the server's log only, never for the client. */
export type ApiKeyRefusal = 'missing' | 'malformed' | 'unknown' | 'wrong_secret' | 'revoked' | 'expired';

/** Outcome of {@link checkApiKey}. `keyId` is set when the key was well-formed (the id is public, the secret never). */
export type ApiKeyCheck =
  | { readonly ok: true; readonly auth: AuthInfo }
  | { readonly ok: false; readonly reason: ApiKeyRefusal; readonly keyId?: string };

/**
 * {@link verifyApiKey} with the reason of a refusal, for operators' logs. The client must still get one answer for
 * every refusal. Rejects when the store fails.
 */
export async function checkApiKey(store: ApiKeyStore, presented: string | undefined, now = new Date()): Promise<ApiKeyCheck> {
  const parsed = presented ? parseApiKey(presented.trim()) : null;
  const record = parsed ? await store.find(parsed.id) : null;
  const expected = Buffer.from(record?.hash ?? DUMMY_HASH, 'hex');
  const actual = Buffer.from(hashSecret(parsed?.secret ?? ''), 'hex');
  const matches = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!parsed) return { ok: false, reason: presented ? 'malformed' : 'missing' };
  if (!record) return { ok: false, reason: 'unknown', keyId: parsed.id };
  if (!matches) return { ok: false, reason: 'wrong_secret', keyId: parsed.id };
  if (record.revokedAt && record.revokedAt <= now) return { ok: false, reason: 'revoked', keyId: parsed.id };
  if (record.expiresAt && record.expiresAt <= now) return { ok: false, reason: 'expired', keyId: parsed.id };
  await store.touch(record.id, now);
  return { ok: true, auth: authInfoOf(record) };
}

/**
 * Checks a presented key: well-formed, known, secret matching in constant time, not revoked, not expired.
 * Returns the caller's identity as the SDK's `AuthInfo` (`token` holds the key id, never the secret), or `null`
 * for any failure — callers must not tell the client which check failed.
 */
export async function verifyApiKey(store: ApiKeyStore, presented: string | undefined, now = new Date()): Promise<AuthInfo | null> {
  const checked = await checkApiKey(store, presented, now);
  return checked.ok ? checked.auth : null;
}

function authInfoOf(record: ApiKeyRecord): AuthInfo {
  return {
    token: record.id,
    clientId: record.id,
    scopes: [...record.scopes],
    ...(record.expiresAt ? { expiresAt: Math.floor(record.expiresAt.getTime() / 1000) } : {}),
    // conexor reads `policy` to narrow what this caller sees and may do.
    extra: { keyId: record.id, keyName: record.name, ...(record.policy ? { policy: record.policy } : {}) },
  };
}

/**
 * An {@link ApiKeyRecord} as JSON holds it, dates as ISO 8601 strings: what `conexor keys generate` prints, to be
 * kept in a host's configuration.
 */
export interface SerializedApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly hash: string;
  readonly scopes?: readonly string[];
  readonly createdAt?: string | null;
  readonly expiresAt?: string | null;
  readonly revokedAt?: string | null;
  readonly lastUsedAt?: string | null;
  readonly policy?: CallerPolicy | null;
}

/** A key for {@link StaticApiKeyStore}: a plaintext key (hashed at once, never kept), a stored record, or its JSON form. */
export type StaticApiKey =
  | { key: string; name: string; scopes?: readonly string[]; expiresAt?: Date | null; policy?: CallerPolicy | null }
  | ApiKeyRecord
  | SerializedApiKeyRecord;

/**
 * Keys from configuration or the environment, for simple deployments. Plaintext keys are hashed when the store
 * is built and only the hash is kept. Last-used times live in memory.
 */
export class StaticApiKeyStore implements ApiKeyStore {
  private readonly records = new Map<string, ApiKeyRecord>();
  private readonly lastUsed = new Map<string, Date>();

  constructor(keys: readonly StaticApiKey[]) {
    for (const entry of keys) {
      const record = 'key' in entry ? recordFromPlaintext(entry) : recordFromStored(entry);
      if (this.records.has(record.id)) throw new TypeError(`Duplicate API key id "${record.id}".`);
      this.records.set(record.id, record);
    }
  }

  /**
   * Keys from an environment variable: comma- or whitespace-separated plaintext keys, named `env-<id>`. Throws a
   * `TypeError` when the variable is unset or holds no key, so a deployment that forgot it fails at startup
   * instead of refusing every request; pass `{ allowEmpty: true }` where no key is a valid configuration.
   */
  static fromEnvironment(value: string | undefined, options: { allowEmpty?: boolean } = {}): StaticApiKeyStore {
    const keys = (value ?? '').split(/[\s,]+/).filter(Boolean);
    if (keys.length === 0 && !options.allowEmpty) {
      throw new TypeError(
        'StaticApiKeyStore.fromEnvironment: the variable is unset or holds no API key. Set it (e.g. CONEXOR_API_KEYS) to one or more ' +
          'cx_… keys separated by commas or spaces; "conexor keys create" makes one.',
      );
    }
    return new StaticApiKeyStore(keys.map((key) => ({ key, name: `env-${parseApiKey(key)?.id ?? 'invalid'}` })));
  }

  find(id: string): Promise<ApiKeyRecord | null> {
    const record = this.records.get(id);
    return Promise.resolve(record ? { ...record, lastUsedAt: this.lastUsed.get(id) ?? record.lastUsedAt } : null);
  }

  touch(id: string, at: Date): Promise<void> {
    this.lastUsed.set(id, at);
    return Promise.resolve();
  }
}

const ID_PATTERN = /^[a-z2-7]{12}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** A stored record, its dates read from ISO strings when it comes from JSON; checked, since a typo would lock a key out. */
function recordFromStored(entry: ApiKeyRecord | SerializedApiKeyRecord): ApiKeyRecord {
  const id = String(entry.id);
  if (!ID_PATTERN.test(id)) throw new TypeError(`API key record "${String(entry.name)}": id must be 12 characters a-z, 2-7 (got "${id}").`);
  if (!HASH_PATTERN.test(String(entry.hash))) throw new TypeError(`API key record ${id}: hash must be 64 lowercase hex characters (SHA-256).`);
  const date = (field: 'createdAt' | 'expiresAt' | 'revokedAt' | 'lastUsedAt'): Date | null => {
    const value: unknown = entry[field];
    if (value === undefined || value === null) return null;
    const parsed = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(parsed.getTime())) throw new TypeError(`API key record ${id}: ${field} must be an ISO 8601 date or null.`);
    return parsed;
  };
  return {
    id,
    name: entry.name,
    hash: entry.hash,
    scopes: [...(entry.scopes ?? [])],
    createdAt: date('createdAt') ?? new Date(0),
    expiresAt: date('expiresAt'),
    revokedAt: date('revokedAt'),
    lastUsedAt: date('lastUsedAt'),
    policy: entry.policy ?? null,
  };
}

function recordFromPlaintext(entry: {
  key: string;
  name: string;
  scopes?: readonly string[];
  expiresAt?: Date | null;
  policy?: CallerPolicy | null;
}): ApiKeyRecord {
  const parsed = parseApiKey(entry.key);
  // Never echo the key itself: only say that it is malformed.
  if (!parsed) throw new TypeError(`API key "${entry.name}" is not a conexor key (cx_<id>_<secret>).`);
  return {
    id: parsed.id,
    name: entry.name,
    hash: hashSecret(parsed.secret),
    scopes: [...(entry.scopes ?? [])],
    createdAt: new Date(0),
    expiresAt: entry.expiresAt ?? null,
    revokedAt: null,
    lastUsedAt: null,
    policy: entry.policy ?? null,
  };
}
