import { ConexorError, QueryError } from '../errors.js';

interface DriverError {
  code?: unknown;
  errno?: unknown;
  name?: unknown;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST', '57P01', '57P03', '08006', '08001', '08003']);

/**
 * Turns anything a driver throws into a {@link QueryError} whose message is safe for a model:
 * a short reason and the database's error code, never SQL text, values, host names or credentials.
 */
export function toQueryError(error: unknown): ConexorError {
  if (error instanceof ConexorError) return error;
  const { code, errno, name } = (error ?? {}) as DriverError;
  const codeText = typeof code === 'string' ? code : typeof errno === 'number' ? String(errno) : '';
  if (name === 'KnexTimeoutError') {
    return new QueryError('timeout', 'The database is busy: no connection became free in time. Retry later.', { cause: error });
  }
  // PostgreSQL 57014, MariaDB 1969, MySQL 3024, SQLite interrupt: the server-side time limit fired.
  if (code === '57014' || errno === 1969 || errno === 3024 || code === 'SQLITE_INTERRUPT') {
    return new QueryError('timeout', 'The query exceeded the statement time limit and was stopped by the database. Narrow the filters or lower the limit.', { cause: error });
  }
  // PostgreSQL 25006, MySQL 1792, SQLite read-only: the read-only backstop refused a write.
  if (code === '25006' || errno === 1792 || code === 'SQLITE_READONLY') {
    return new QueryError('read_only', 'The database refused the statement because this access is read-only.', { cause: error });
  }
  if (CONNECTION_CODES.has(codeText) || /connect|terminat|closed/i.test(String((error as Error | undefined)?.message ?? ''))) {
    return new QueryError('database_error', 'The database is unavailable right now. Retry later.', { cause: error });
  }
  if (/^22/.test(codeText) || errno === 1292 || errno === 1366 || errno === 1264) {
    return new QueryError('database_error', `A filter value is not valid for its column's type (database code ${codeText}).`, { cause: error });
  }
  return new QueryError('database_error', `The database could not run the query${codeText ? ` (database code ${codeText})` : ''}.`, { cause: error });
}
