/** Machine-readable reason of a {@link ConexorError}. */
export type ConexorErrorCode =
  | 'configuration'
  | 'unsupported_dialect'
  | 'introspection_failed'
  | 'invalid_arguments'
  | 'timeout'
  | 'read_only'
  | 'database_error'
  | 'audit_failed'
  | 'denied';

/** Base class of every error conexor throws or reports. Messages never contain SQL, credentials or stacks. */
export class ConexorError extends Error {
  readonly code: ConexorErrorCode;
  constructor(code: ConexorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Options or policy are wrong; thrown by `createConexor` before any tool exists. */
export class ConfigurationError extends ConexorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('configuration', message, options);
  }
}

/** The Knex instance talks to a database conexor does not support. */
export class UnsupportedDialectError extends ConexorError {
  readonly dialect: string;
  constructor(dialect: string) {
    super(
      'unsupported_dialect',
      `Unsupported Knex dialect "${dialect}": conexor supports sqlite3 (better-sqlite3, sqlite3), postgresql (pg) and mysql (mysql2).`,
    );
    this.dialect = dialect;
  }
}

/** Reading the catalog failed (unreachable database, missing privileges). */
export class IntrospectionError extends ConexorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('introspection_failed', message, options);
  }
}

/** Tool arguments were rejected; the message says which argument and what is allowed. */
export class InvalidArgumentsError extends ConexorError {
  constructor(message: string) {
    super('invalid_arguments', message);
  }
}

/** A tool call failed in the database. The message is safe to show to a model. */
export class QueryError extends ConexorError {
  constructor(code: 'timeout' | 'read_only' | 'database_error', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The caller may not make this call (e.g. the request carries no value for a scoping column). */
export class DeniedError extends ConexorError {
  constructor(message: string) {
    super('denied', message);
  }
}
