/**
 * API keys in a SQL table through Knex, on SQLite, PostgreSQL or MySQL/MariaDB.
 *
 * Timestamps are stored as epoch milliseconds in BIGINT columns. Native date types differ too much between the
 * three databases to round-trip exactly: MySQL DATETIME/TIMESTAMP drop milliseconds unless declared with a
 * precision and shift values by the session time zone, PostgreSQL `timestamp` vs `timestamptz` and driver
 * parsing add their own time-zone rules, and SQLite has no date type at all. An integer has none of these
 * problems, sorts numerically everywhere and needs no collation (ISO strings would depend on a binary collation
 * and break past year 9999). The only driver difference is that `pg` returns BIGINT as a string, which
 * {@link toDate} handles.
 */
import type { Knex } from 'knex';
import type { CallerPolicy } from '../policy/caller.js';
import type { ApiKeyRecord, ManagedApiKeyStore } from './api-keys.js';

/** Table used when none is given. */
export const DEFAULT_API_KEY_TABLE = 'conexor_api_keys';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
// Same alphabet and length as the id part of a key; anything else cannot be a key id.
const KEY_ID = /^[a-z2-7]{12}$/;
const KEY_HASH = /^[0-9a-f]{64}$/;
const NAME_MAX_LENGTH = 200;

/** Options of {@link KnexApiKeyStore}. */
export interface KnexApiKeyStoreOptions {
  /**
   * Name of the keys table (letters, digits and `_`, at most 63 characters).
   * @default 'conexor_api_keys'
   */
  table?: string;
  /**
   * Minimum time between two `last_used_at` writes for the same key in this process, so a key used on every
   * request does not cost a write on every request.
   * @default 60_000
   */
  touchIntervalMs?: number;
  /** Called when recording a key's use fails; the failure is otherwise ignored so the request still succeeds. */
  onError?: (error: unknown, context: { operation: 'touch'; keyId: string }) => void;
}

/** A row of the keys table as the drivers return it. */
interface ApiKeyRow {
  id: string;
  name: string;
  hash: string;
  scopes: string;
  policy: string | null;
  created_at: number | string | bigint;
  expires_at: number | string | bigint | null;
  revoked_at: number | string | bigint | null;
  last_used_at: number | string | bigint | null;
}

/**
 * A {@link ManagedApiKeyStore} over a Knex connection. The table may live in the served database or any other;
 * create it with {@link createApiKeyTable} or {@link apiKeyMigration}.
 */
export class KnexApiKeyStore implements ManagedApiKeyStore {
  private readonly table: string;
  private readonly touchIntervalMs: number;
  private readonly onError: KnexApiKeyStoreOptions['onError'];
  /** Key id → time (ms) of the last `last_used_at` write attempted by this instance. */
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly knex: Knex,
    options: KnexApiKeyStoreOptions = {},
  ) {
    this.table = validateTableName(options.table ?? DEFAULT_API_KEY_TABLE);
    this.touchIntervalMs = validateInterval(options.touchIntervalMs ?? 60_000);
    this.onError = options.onError;
  }

  /** The record for a key id, or `null`. Rejects when the database fails, so callers can answer 503 rather than 401. */
  async find(id: string): Promise<ApiKeyRecord | null> {
    if (!KEY_ID.test(id)) return null;
    let row: ApiKeyRow | undefined;
    try {
      row = await this.rows().where('id', id).first<ApiKeyRow | undefined>();
    } catch (error) {
      throw isMissingTable(error) ? this.missingTable(error) : error;
    }
    // MySQL's default collations compare case-insensitively; only an exact id is the key asked for.
    return row && row.id === id ? rowToRecord(row) : null;
  }

  /** Rejects when the keys table does not exist, saying how to create it. */
  async check(): Promise<void> {
    if (!(await this.knex.schema.hasTable(this.table))) throw this.missingTable(undefined);
  }

  private missingTable(cause: unknown): Error {
    return new Error(
      `The API key table "${this.table}" does not exist: create it with createApiKeyTable(knex${this.table === DEFAULT_API_KEY_TABLE ? '' : `, '${this.table}'`}) ` +
        'or apiKeyMigration, or "conexor keys create", which creates it.',
      { cause },
    );
  }

  /**
   * Sets `last_used_at`, at most once per `touchIntervalMs` per key (failed attempts count too, so a failing
   * database is not retried on every request). Never rejects: failures go to `onError`.
   */
  async touch(id: string, at: Date): Promise<void> {
    const time = at.getTime();
    if (!this.dueForTouch(id, time)) return;
    this.lastTouched.set(id, time);
    try {
      await this.rows()
        .where('id', id)
        // Never move last_used_at backwards when several processes share the table.
        .andWhere((where) => where.whereNull('last_used_at').orWhere('last_used_at', '<', time))
        .update({ last_used_at: time });
    } catch (error) {
      this.reportTouchError(error, id);
    }
  }

  /** Stores a new key record. Rejects on a duplicate id or an invalid record. */
  async insert(record: ApiKeyRecord): Promise<void> {
    await this.rows().insert(recordToRow(record));
  }

  /** Every key, oldest first (ties broken by id). */
  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.rows().select<ApiKeyRow[]>('*').orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ]);
    return rows.map(rowToRecord);
  }

  /** Marks a key revoked at `at`; a key revoked before keeps its first revocation time. `false` for an unknown id. */
  async revoke(id: string, at: Date): Promise<boolean> {
    if (!KEY_ID.test(id)) return false;
    const updated = await this.rows().where('id', id).whereNull('revoked_at').update({ revoked_at: toMillis(at, 'revokedAt') });
    if (updated > 0) return true;
    const existing = await this.rows().where('id', id).first<Pick<ApiKeyRow, 'id'> | undefined>('id');
    return existing?.id === id;
  }

  private rows(): Knex.QueryBuilder {
    return this.knex(this.table);
  }

  private dueForTouch(id: string, time: number): boolean {
    const last = this.lastTouched.get(id);
    return last === undefined || time - last >= this.touchIntervalMs;
  }

  private reportTouchError(error: unknown, keyId: string): void {
    try {
      this.onError?.(error, { operation: 'touch', keyId });
    } catch {
      // A throwing error handler must not turn a successful authentication into a failed request.
    }
  }
}

/**
 * Creates the keys table unless it already exists.
 * @param table - Table name. @default 'conexor_api_keys'
 */
export async function createApiKeyTable(knex: Knex, table = DEFAULT_API_KEY_TABLE): Promise<void> {
  validateTableName(table);
  if (await knex.schema.hasTable(table)) return;
  try {
    await knex.schema.createTable(table, defineApiKeyColumns);
  } catch (error) {
    // Another process may have created it between the check and the create.
    if (!(await knex.schema.hasTable(table))) throw error;
  }
}

/**
 * Drops the keys table if it exists, revoking every key in it.
 * @param table - Table name. @default 'conexor_api_keys'
 */
export async function dropApiKeyTable(knex: Knex, table = DEFAULT_API_KEY_TABLE): Promise<void> {
  validateTableName(table);
  await knex.schema.dropTableIfExists(table);
}

/** A Knex migration creating (and on rollback dropping) the default keys table, for hosts' migration folders. */
export const apiKeyMigration = {
  up: (knex: Knex): Promise<void> => createApiKeyTable(knex),
  down: (knex: Knex): Promise<void> => dropApiKeyTable(knex),
};

function defineApiKeyColumns(table: Knex.CreateTableBuilder): void {
  table.string('id', 12).primary();
  table.string('name', NAME_MAX_LENGTH).notNullable();
  table.string('hash', 64).notNullable();
  table.text('scopes').notNullable();
  // JSON restrictions (tables, tools, maxRows); NULL for an unrestricted key.
  table.text('policy').nullable();
  // Epoch milliseconds: see the module comment.
  table.bigInteger('created_at').notNullable();
  table.bigInteger('expires_at').nullable();
  table.bigInteger('revoked_at').nullable();
  table.bigInteger('last_used_at').nullable();
}

function validateTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new TypeError(
      `Invalid API key table name ${JSON.stringify(table)}: use 1-63 letters, digits or "_", not starting with a digit.`,
    );
  }
  return table;
}

/** PostgreSQL 42P01, MySQL/MariaDB 1146, SQLite "no such table". */
function isMissingTable(error: unknown): boolean {
  const { code, errno, message } = (error ?? {}) as { code?: unknown; errno?: unknown; message?: unknown };
  return code === '42P01' || errno === 1146 || (code === 'SQLITE_ERROR' && /no such table/i.test(String(message)));
}

function validateInterval(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new TypeError(`touchIntervalMs must be a non-negative number, got ${ms}.`);
  return ms;
}

function recordToRow(record: ApiKeyRecord): ApiKeyRow {
  // Checked here because SQLite does not enforce lengths and MySQL may silently truncate.
  if (!KEY_ID.test(record.id)) throw new TypeError('An API key id must be 12 lowercase base32 characters.');
  if (!KEY_HASH.test(record.hash)) throw new TypeError('An API key hash must be 64 lowercase hex characters.');
  if (!record.name || record.name.length > NAME_MAX_LENGTH) {
    throw new TypeError(`An API key name must have 1 to ${NAME_MAX_LENGTH} characters.`);
  }
  return {
    id: record.id,
    name: record.name,
    hash: record.hash,
    scopes: JSON.stringify(record.scopes),
    policy: record.policy ? JSON.stringify(record.policy) : null,
    created_at: toMillis(record.createdAt, 'createdAt'),
    expires_at: optionalMillis(record.expiresAt, 'expiresAt'),
    revoked_at: optionalMillis(record.revokedAt, 'revokedAt'),
    last_used_at: optionalMillis(record.lastUsedAt, 'lastUsedAt'),
  };
}

function rowToRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    scopes: parseScopes(row.scopes, row.id),
    policy: parsePolicy(row.policy, row.id),
    createdAt: toDate(row.created_at, row.id),
    expiresAt: optionalDate(row.expires_at, row.id),
    revokedAt: optionalDate(row.revoked_at, row.id),
    lastUsedAt: optionalDate(row.last_used_at, row.id),
  };
}

function toMillis(date: Date, field: string): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new TypeError(`API key ${field} is an invalid date.`);
  return ms;
}

function optionalMillis(date: Date | null, field: string): number | null {
  return date === null ? null : toMillis(date, field);
}

function toDate(value: number | string | bigint, id: string): Date {
  const ms = Number(value);
  // A corrupt row fails loudly rather than yielding a key with an invalid (never-expiring) date.
  if (!Number.isSafeInteger(ms)) throw new Error(`API key "${id}" has a corrupt timestamp in the database.`);
  return new Date(ms);
}

function optionalDate(value: number | string | bigint | null, id: string): Date | null {
  return value === null ? null : toDate(value, id);
}

function parseScopes(text: string, id: string): string[] {
  let scopes: unknown;
  try {
    scopes = JSON.parse(text);
  } catch {
    scopes = undefined;
  }
  if (!Array.isArray(scopes) || !scopes.every((scope): scope is string => typeof scope === 'string')) {
    throw new Error(`API key "${id}" has corrupt scopes in the database.`);
  }
  return scopes;
}

function parsePolicy(text: string | null | undefined, id: string): CallerPolicy | null {
  if (text == null) return null;
  try {
    const policy = JSON.parse(text) as unknown;
    if (policy && typeof policy === 'object' && !Array.isArray(policy)) return policy as CallerPolicy;
  } catch {
    // reported below
  }
  throw new Error(`API key "${id}" has a corrupt policy in the database.`);
}
