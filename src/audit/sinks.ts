/**
 * Where audit events go: a pino logger, a SQL table through Knex, or a function.
 *
 * The table stores the event time twice: `ts` as epoch milliseconds in a BIGINT, for filtering and sorting (native
 * date types differ too much between SQLite, PostgreSQL and MySQL to round-trip exactly; see
 * `src/auth/knex-store.ts`), and `ts_iso` as the event's own ISO string, returned unchanged when the trail is read.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { AuditEvent, AuditOutcome, AuditSink } from './event.js';

/** Table used when none is given. */
export const DEFAULT_AUDIT_TABLE = 'conexor_audit';

// Shorter than the key store's limit: index names are `<table>_<column>_idx` and must fit in 63 characters.
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;
// Rows per INSERT: 500 rows of 19 values is 9,500 bound values, under every driver's limit (SQLite's is 32,766).
const INSERT_CHUNK_ROWS = 500;
const MAX_ERROR_MESSAGE_LENGTH = 300;

// ---------------------------------------------------------------------------------------------------------------
// pino

/** Options of {@link pinoSink}. */
export interface PinoSinkOptions {
  /**
   * Level of the audit records. The sink's child logger is set to this level, so a logger at `warn` (conexor's
   * default) still writes `info` audit records.
   * @default 'info'
   */
  level?: 'info' | 'warn';
  /** Message (`msg`) of every audit record. @default 'audit' */
  message?: string;
}

// Keys whose values are redacted should an event ever carry one in clear (events are redacted when built: this is
// defense in depth). Argument keys that are column names (lookup tools) sit at the top of `arguments`; one more
// level covers an object value. Each path costs about 0.6 µs per record, so the list stays short.
const SECRET_KEYS = [
  'password',
  'passwd',
  'secret',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'api_key',
  'apiKey',
  'private_key',
  'authorization',
  'cookie',
];

/** The redaction paths of {@link pinoSink}: secret-looking keys at the first two levels of `audit.arguments`. */
export const AUDIT_REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => [
  `audit.arguments.${key}`,
  `audit.arguments.*.${key}`,
]);

/**
 * A sink writing one log record per event, `{ audit: <event> }`, through a child of `logger` with pino's own
 * redaction of {@link AUDIT_REDACT_PATHS} (censor `[redacted]`). Nothing but `audit` and the message is added at
 * the top level of a record, so no user-controlled key can shadow pino's own (`level`, `time`, `msg`…).
 * `write` resolves once pino has the records; `close` flushes the logger's destination.
 */
export function pinoSink(logger: Logger, options: PinoSinkOptions = {}): AuditSink {
  const level = options.level ?? 'info';
  if (level !== 'info' && level !== 'warn') throw new TypeError(`pinoSink level must be "info" or "warn", got ${String(level)}.`);
  const message = options.message ?? 'audit';
  // The child's own redact replaces any redact configuration of the parent; audit records need only this one.
  const child = logger.child({}, { level, redact: { paths: [...AUDIT_REDACT_PATHS], censor: '[redacted]' } });
  const log = level === 'warn' ? child.warn.bind(child) : child.info.bind(child);
  return {
    name: 'pino',
    async write(events) {
      for (const event of events) log({ audit: event }, message);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        child.flush((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// function

/**
 * A sink calling `write` with each batch of events (one event per batch in sync mode); a rejection or throw counts
 * as a failed write.
 * @param name - Name used when the sink's failures are reported. @default 'function'
 */
export function functionSink(
  write: (events: readonly AuditEvent[]) => void | Promise<void>,
  name = 'function',
): AuditSink {
  if (typeof write !== 'function') throw new TypeError('functionSink needs a write function.');
  return {
    name,
    async write(events) {
      await write(events);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Knex

/** Options of {@link knexSink}. */
export interface KnexSinkOptions {
  /**
   * Name of the audit table (letters, digits and `_`, at most 48 characters).
   * @default 'conexor_audit'
   */
  table?: string;
}

/** A row of the audit table as written and as the drivers return it. */
export interface AuditRow {
  id?: number | string | bigint;
  request_id: string;
  ts: number | string | bigint;
  ts_iso: string;
  tool: string;
  table_name: string | null;
  operation: string | null;
  arguments: string;
  key_id: string | null;
  key_name: string | null;
  subject: string | null;
  client_name: string | null;
  client_version: string | null;
  user_agent: string | null;
  model: string | null;
  outcome: string;
  row_count: number | string | bigint | null;
  truncated: boolean | number | null;
  duration_ms: number | string;
  error_code: string | null;
}

/** A failed write of the Knex sink. Its message names the table and the driver's error, never SQL or values. */
export class AuditSinkError extends Error {
  /** The driver's error code (`42P01`, `ER_NO_SUCH_TABLE`, `SQLITE_ERROR`…), when it has one. */
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'AuditSinkError';
    this.code = code;
  }
}

/**
 * A sink inserting one row per event into the audit table (create it with {@link createAuditTable} or
 * {@link auditMigration}). A batch is one INSERT; a batch over 500 events is split into several INSERTs inside one
 * transaction, so a batch is written entirely or not at all.
 */
export function knexSink(knex: Knex, options: KnexSinkOptions = {}): AuditSink {
  const table = validateAuditTableName(options.table ?? DEFAULT_AUDIT_TABLE);
  return {
    name: `knex:${table}`,
    async write(events) {
      if (events.length === 0) return;
      const rows = events.map(eventToRow);
      try {
        if (rows.length <= INSERT_CHUNK_ROWS) {
          await knex(table).insert(rows);
        } else {
          await knex.transaction(async (trx) => {
            for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
              await trx(table).insert(rows.slice(start, start + INSERT_CHUNK_ROWS));
            }
          });
        }
      } catch (error) {
        throw toSinkError(error, table, events.length);
      }
    },
  };
}

/**
 * Creates the audit table and its indexes unless the table already exists.
 * @param table - Table name. @default 'conexor_audit'
 */
export async function createAuditTable(knex: Knex, table = DEFAULT_AUDIT_TABLE): Promise<void> {
  validateAuditTableName(table);
  if (await knex.schema.hasTable(table)) return;
  try {
    await knex.schema.createTable(table, (builder) => defineAuditColumns(builder, table, isMySql(knex)));
  } catch (error) {
    // Another process may have created it between the check and the create.
    if (!(await knex.schema.hasTable(table))) throw error;
  }
}

/**
 * Drops the audit table if it exists, with every event in it.
 * @param table - Table name. @default 'conexor_audit'
 */
export async function dropAuditTable(knex: Knex, table = DEFAULT_AUDIT_TABLE): Promise<void> {
  validateAuditTableName(table);
  await knex.schema.dropTableIfExists(table);
}

/** A Knex migration creating (and on rollback dropping) the default audit table, for hosts' migration folders. */
export const auditMigration = {
  up: (knex: Knex): Promise<void> => createAuditTable(knex),
  down: (knex: Knex): Promise<void> => dropAuditTable(knex),
};

function isMySql(knex: Knex): boolean {
  return (knex as { client?: { dialect?: unknown } }).client?.dialect === 'mysql';
}

function defineAuditColumns(builder: Knex.CreateTableBuilder, table: string, mysql: boolean): void {
  if (mysql) {
    // Any Unicode whatever the database's default, and exact, case-sensitive comparisons when filtering.
    builder.charset('utf8mb4');
    builder.collate('utf8mb4_bin');
  }
  builder.bigIncrements('id');
  builder.string('request_id', 64).notNullable();
  // Epoch milliseconds: see the module comment.
  builder.bigInteger('ts').notNullable();
  builder.string('ts_iso', 64).notNullable();
  // Free text a client or the host controls (an unknown tool's name, client info, user agent) has no length limit
  // here: an over-long value must not make the audit write fail. MEDIUMTEXT on MySQL, TEXT elsewhere.
  builder.text('tool', 'mediumtext').notNullable();
  builder.string('table_name', 255).nullable();
  builder.string('operation', 32).nullable();
  builder.text('arguments', 'mediumtext').notNullable();
  builder.string('key_id', 255).nullable();
  builder.text('key_name', 'mediumtext').nullable();
  builder.text('subject', 'mediumtext').nullable();
  builder.text('client_name', 'mediumtext').nullable();
  builder.text('client_version', 'mediumtext').nullable();
  builder.text('user_agent', 'mediumtext').nullable();
  builder.text('model', 'mediumtext').nullable();
  builder.string('outcome', 16).notNullable();
  builder.bigInteger('row_count').nullable();
  builder.boolean('truncated').nullable();
  builder.double('duration_ms').notNullable();
  builder.string('error_code', 64).nullable();
  // Reading the trail filters by time, by key over time and by outcome over time, newest first.
  builder.index(['ts'], `${table}_ts_idx`);
  builder.index(['key_id', 'ts'], `${table}_key_id_idx`);
  builder.index(['outcome', 'ts'], `${table}_outcome_idx`);
  builder.index(['request_id'], `${table}_request_id_idx`);
}

/** Returns `table` if it is a valid audit table name; throws a `TypeError` otherwise. */
export function validateAuditTableName(table: string): string {
  if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
    throw new TypeError(
      `Invalid audit table name ${JSON.stringify(table)}: use 1-48 letters, digits or "_", not starting with a digit.`,
    );
  }
  return table;
}

function eventToRow(event: AuditEvent): AuditRow {
  const ts = Date.parse(event.timestamp);
  // Refused here rather than stored with a time no filter would ever match.
  if (Number.isNaN(ts)) throw new TypeError(`Audit event ${event.requestId} has an invalid timestamp.`);
  return {
    request_id: event.requestId,
    ts,
    ts_iso: event.timestamp,
    tool: event.tool,
    table_name: event.table,
    operation: event.operation,
    // `undefined` arguments are stored (and read back) as null: JSON has no undefined.
    arguments: JSON.stringify(event.arguments ?? null),
    key_id: event.caller.keyId,
    key_name: event.caller.keyName,
    subject: event.caller.subject,
    client_name: event.client.name,
    client_version: event.client.version,
    user_agent: event.client.userAgent,
    model: event.model,
    outcome: event.outcome,
    row_count: event.rowCount,
    truncated: event.truncated,
    duration_ms: event.durationMs,
    error_code: event.errorCode,
  };
}

/** The event a row holds. Throws when the row is corrupt rather than returning a wrong event. */
export function rowToEvent(row: AuditRow): AuditEvent {
  return {
    timestamp: row.ts_iso,
    requestId: row.request_id,
    tool: row.tool,
    table: row.table_name,
    operation: row.operation,
    arguments: parseArguments(row),
    caller: { keyId: row.key_id, keyName: row.key_name, subject: row.subject },
    client: { name: row.client_name, version: row.client_version, userAgent: row.user_agent },
    model: row.model,
    outcome: row.outcome as AuditOutcome,
    rowCount: row.row_count === null ? null : toNumber(row.row_count, row),
    // MySQL and SQLite return booleans as 0 / 1.
    truncated: row.truncated === null ? null : Boolean(Number(row.truncated)),
    durationMs: toNumber(row.duration_ms, row),
    errorCode: row.error_code,
  };
}

function parseArguments(row: AuditRow): unknown {
  try {
    return JSON.parse(row.arguments) as unknown;
  } catch {
    throw new Error(`Audit row ${String(row.id)} has corrupt arguments in the database.`);
  }
}

function toNumber(value: number | string | bigint, row: AuditRow): number {
  // `pg` returns BIGINT as a string.
  const number = Number(value);
  if (Number.isNaN(number)) throw new Error(`Audit row ${String(row.id)} has a corrupt number in the database.`);
  return number;
}

/**
 * Knex prefixes a driver's message with the statement and its bound values (`<sql with values> - <message>`); the
 * values are event fields, so only the driver's part is kept, and no `cause` is attached for a logger to print.
 */
function toSinkError(error: unknown, table: string, count: number): AuditSinkError {
  const raw = error instanceof Error ? error.message : 'unknown error';
  const separator = raw.lastIndexOf(' - ');
  let reason = separator === -1 ? raw : raw.slice(separator + 3);
  if (reason.length > MAX_ERROR_MESSAGE_LENGTH) reason = `${reason.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…`;
  const code = (error as { code?: unknown } | null)?.code;
  return new AuditSinkError(
    `Could not write ${count} audit event(s) to table "${table}": ${reason}`,
    typeof code === 'string' ? code : undefined,
  );
}
