/**
 * The first round trip of `createConexor`: proves the database answers, and when it does not, says why in one line a
 * host can show (the driver's reason and code, never a password or connection string), without the stack trace Knex
 * would print for the failed connection.
 */
import type { Knex } from 'knex';
import { IntrospectionError } from '../errors.js';
import type { Dialect } from '../introspect/model.js';

const DIALECT_NAMES: Record<Dialect, string> = { sqlite: 'SQLite', postgresql: 'PostgreSQL', mysql: 'MySQL/MariaDB' };
const ACQUIRE_ERROR = 'Acquire connection error';
// scheme://user:password@ → scheme://user:***@, and password=… in a key/value connection string.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@]*@/gi;
const KEY_PASSWORD = /(\bpass(?:word)?\s*=\s*)('[^']*'|[^\s;&]*)/gi;

/**
 * Runs `SELECT 1` on `knex`; throws an {@link IntrospectionError} such as
 * `Could not connect to the PostgreSQL database: database "shop" does not exist (3D000).`
 */
export async function checkConnection(knex: Knex, dialect: Dialect): Promise<void> {
  try {
    await quietAcquireErrors(knex, () => knex.raw('SELECT 1'));
  } catch (error) {
    const reason = mask(describeConnectionError(error, knex), secretsOf(knex));
    throw new IntrospectionError(`Could not connect to the ${DIALECT_NAMES[dialect]} database: ${reason}.`, { cause: error });
  }
}

/** The driver's reason, first line only, with its code in parentheses when the text does not already show it. */
export function describeConnectionError(error: unknown, knex?: Knex): string {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  if (name === 'KnexTimeoutError') {
    const timeout = (knex?.client.config as { acquireConnectionTimeout?: number } | undefined)?.acquireConnectionTimeout ?? 60_000;
    return `no connection within ${timeout} ms (acquireConnectionTimeout); is the server reachable?`;
  }
  let text = error instanceof Error ? error.message : String(error);
  // Node reports a refused connection to a host with several addresses as an AggregateError with a blank message.
  if (!text && error instanceof AggregateError) {
    text = [...new Set(error.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : String(inner))))].join('; ');
  }
  text = (text.split('\n')[0] ?? '').trim().replace(/\.$/, '');
  // "Access denied…" reads as part of the sentence; "ECONNREFUSED…" and other codes stay as they are.
  if (/^[A-Z][a-z]/.test(text)) text = text[0]?.toLowerCase() + text.slice(1);
  const codeText = typeof code === 'string' && code ? code : '';
  if (!text) return codeText || 'unknown error';
  return codeText && !text.includes(codeText) ? `${text} (${codeText})` : text;
}

/** Passwords in the Knex connection settings, to be masked wherever a driver might echo them. */
function secretsOf(knex: Knex): string[] {
  const connection = (knex.client.config as { connection?: unknown }).connection;
  const secrets: string[] = [];
  const fromUrl = (text: string) => {
    try {
      const password = new URL(text).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL: nothing to take from it.
    }
  };
  if (typeof connection === 'string') fromUrl(connection);
  else if (connection && typeof connection === 'object') {
    const { password, connectionString, uri } = connection as { password?: unknown; connectionString?: unknown; uri?: unknown };
    if (typeof password === 'string') secrets.push(password);
    if (typeof connectionString === 'string') fromUrl(connectionString);
    if (typeof uri === 'string') fromUrl(uri);
  }
  // Masking one- or two-character strings would garble messages more than it protects.
  return secrets.filter((secret) => secret.length >= 3);
}

function mask(text: string, secrets: readonly string[]): string {
  let result = text.replace(URL_PASSWORD, '$1:***@').replace(KEY_PASSWORD, '$1***');
  for (const secret of secrets) result = result.split(secret).join('***');
  return result;
}

interface KnexLogger {
  warn: (message: unknown) => void;
}

const quieted = new WeakMap<KnexLogger, { count: number; restore: () => void }>();

/**
 * Runs `work` while Knex's logger drops its "Acquire connection error: <stack>" warnings: {@link checkConnection}
 * reports that failure itself. Only those warnings, only meanwhile; with concurrent calls the logger is restored
 * when the last one ends.
 */
async function quietAcquireErrors<T>(knex: Knex, work: () => Promise<T>): Promise<T> {
  const logger = (knex.client as { logger?: KnexLogger }).logger;
  if (!logger || typeof logger.warn !== 'function') return work();
  let state = quieted.get(logger);
  if (!state) {
    const original = logger.warn;
    const own = Object.prototype.hasOwnProperty.call(logger, 'warn');
    logger.warn = (message: unknown) => {
      if (typeof message === 'string' && message.startsWith(ACQUIRE_ERROR)) return;
      original.call(logger, message);
    };
    state = {
      count: 0,
      restore: () => {
        if (own) logger.warn = original;
        else delete (logger as Partial<KnexLogger>).warn;
      },
    };
    quieted.set(logger, state);
  }
  state.count += 1;
  try {
    return await work();
  } finally {
    state.count -= 1;
    if (state.count === 0) {
      quieted.delete(logger);
      state.restore();
    }
  }
}
