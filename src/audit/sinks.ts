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
// And text per INSERT, counted as 3 bytes per UTF-16 code unit (an upper bound of UTF-8 and of MySQL's escaping):
// under the max_allowed_packet MySQL (4 MiB or more) and MariaDB (16 MiB) accept by default, so a batch of large
// events is never one oversize statement. A sanitized event is far smaller (see sanitize.ts): every row fits alone.
const INSERT_CHUNK_BYTES = 2 * 1024 * 1024;
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
  /** JSON of the changed rows' keys (writes); `null` for reads. */
  affected_keys?: string | null;
}

/** A failed write of the Knex sink. Its message names the table and the driver's error, never SQL or values. */
export class AuditSinkError extends Error {
  /** The driver's error code (`42P01`, `ER_NO_SUCH_TABLE`, `SQLITE_ERROR`…), when it has one. */
  readonly code: string | undefined;
  /**
   * Request ids of the events refused for what they hold (the database refused the row: a constraint, a value it
   * cannot store; or the event makes no row: an invalid timestamp) while the others of the batch were written: see
   * {@link AuditSink}. `undefined` when nothing was written.
   */
  readonly refused: readonly string[] | undefined;
  constructor(message: string, code: string | undefined, refused?: readonly string[]) {
    super(message);
    this.name = 'AuditSinkError';
    this.code = code;
    this.refused = refused;
  }
}

/**
 * A sink inserting one row per event into the audit table (create it with {@link createAuditTable} or
 * {@link auditMigration}). A batch is one INSERT, or several inside one transaction (over 500 events or 2 MiB).
 *
 * One event never costs the others: when the database refuses the batch for what a row holds (PostgreSQL SQLSTATE
 * classes 22 and 23 and `RAISE EXCEPTION`; MySQL/MariaDB data, constraint and `SIGNAL` errors; SQLite constraint,
 * mismatch and too-big errors), the batch is written again inside one transaction, halving the part that fails
 * under savepoints until the refused rows are found, and `write` rejects with an {@link AuditSinkError} whose
 * `refused` lists their request ids; the others are committed. Any other error (connection, missing table) rejects
 * with nothing written and no `refused`, so the auditor retries the batch as before.
 */
export function knexSink(knex: Knex, options: KnexSinkOptions = {}): AuditSink {
  const table = validateAuditTableName(options.table ?? DEFAULT_AUDIT_TABLE);
  return {
    name: `knex:${table}`,
    async write(events) {
      if (events.length === 0) return;
      const entries: Entry[] = [];
      const refused: Refusal[] = [];
      for (const event of events) {
        try {
          entries.push({ event, row: eventToRow(event) });
        } catch (error) {
          // An invalid timestamp, arguments JSON cannot hold: this event only.
          refused.push({ event, error });
        }
      }
      try {
        await insertRows(knex, table, entries.map((entry) => entry.row));
      } catch (error) {
        if (!isRowError(error)) throw toSinkError(error, table, events.length);
        try {
          refused.push(...(await knex.transaction((trx) => isolateRefused(trx, table, entries, error))));
        } catch (retryError) {
          // Rolled back: nothing of the batch is written, and the auditor may retry all of it.
          throw toSinkError(retryError, table, events.length);
        }
      }
      if (refused.length > 0) throw toRefusedError(refused, table, events.length);
    },
  };
}

/** An event and the row it makes. */
interface Entry {
  readonly event: AuditEvent;
  readonly row: AuditRow;
}

/** An event the database (or the row conversion) refused, and why. */
interface Refusal {
  readonly event: AuditEvent;
  readonly error: unknown;
}

/** Inserts rows in chunks of rows and bytes; several chunks go inside one transaction (a savepoint in `trx`). */
async function insertRows(db: Knex | Knex.Transaction, table: string, rows: readonly AuditRow[]): Promise<void> {
  const chunks = chunkRows(rows);
  if (chunks.length === 0) return;
  if (chunks.length === 1) {
    await db(table).insert(chunks[0]);
    return;
  }
  await db.transaction(async (trx) => {
    for (const chunk of chunks) await trx(table).insert(chunk);
  });
}

function chunkRows(rows: readonly AuditRow[]): AuditRow[][] {
  const chunks: AuditRow[][] = [];
  let chunk: AuditRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = rowBytes(row);
    if (chunk.length > 0 && (chunk.length >= INSERT_CHUNK_ROWS || bytes + size > INSERT_CHUNK_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** An upper bound of a row's size in an INSERT. */
function rowBytes(row: AuditRow): number {
  let bytes = 0;
  for (const value of Object.values(row) as unknown[]) bytes += 16 + (typeof value === 'string' ? value.length * 3 : 8);
  return bytes;
}

/**
 * Inside `trx`, writes every row the database accepts and returns the refused ones: a part that fails for what a
 * row holds is rolled back to its savepoint and halved, so one refused row among n costs about 2·log2(n) INSERTs.
 * Called once the whole batch has failed with `failure`, so that is split at once. Any other error propagates (and
 * rolls back).
 */
async function isolateRefused(trx: Knex.Transaction, table: string, entries: readonly Entry[], failure: unknown): Promise<Refusal[]> {
  const refused: Refusal[] = [];
  const split = async (part: readonly Entry[], error: unknown): Promise<void> => {
    if (part.length === 1) {
      refused.push({ event: (part[0] as Entry).event, error });
      return;
    }
    const middle = Math.ceil(part.length / 2);
    await attempt(part.slice(0, middle));
    await attempt(part.slice(middle));
  };
  const attempt = async (part: readonly Entry[]): Promise<void> => {
    try {
      // A savepoint: on PostgreSQL a failed statement would otherwise abort the whole transaction.
      await trx.transaction((savepoint) => insertRows(savepoint, table, part.map((entry) => entry.row)));
    } catch (error) {
      if (!isRowError(error)) throw error;
      await split(part, error);
    }
  };
  if (entries.length > 0) await split(entries, failure);
  return refused;
}

// MySQL/MariaDB errors about a value or a constraint of one row, whatever their SQLSTATE (some report HY000).
const MYSQL_ROW_ERRORS = new Set([
  1048, // column cannot be null
  1062, // duplicate entry
  1264, // out of range
  1265, // data truncated
  1292, // incorrect value (date, number)
  1300, // invalid character string
  1364, // no default value
  1366, // incorrect string value (character set)
  1367, // illegal value for type
  1406, // data too long
  1451, // foreign key (parent row)
  1452, // foreign key (child row)
  1644, // SIGNAL in a trigger
  1690, // value out of range
  3140, // invalid JSON text (a host's JSON column)
  3819, // CHECK constraint (MySQL)
  4025, // CHECK constraint (MariaDB)
]);

/** Whether the database refused rows for what they hold, rather than failing whatever the rows. */
function isRowError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno, sqlState } = error as { code?: unknown; errno?: unknown; sqlState?: unknown };
  if (typeof code === 'string') {
    // PostgreSQL: data exception, integrity constraint violation, RAISE EXCEPTION in a trigger.
    if (/^2[23][0-9A-Z]{3}$/.test(code) || code === 'P0001') return true;
    // SQLite: CHECK, NOT NULL, UNIQUE, FOREIGN KEY, RAISE in a trigger; datatype mismatch; value too big.
    if (/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(code)) return true;
  }
  // MySQL/MariaDB (`sqlState` and `errno` are mysql2's): the same SQLSTATE classes, SIGNAL's 45000.
  if (typeof sqlState === 'string' && /^(2[23]|45)/.test(sqlState)) return true;
  return typeof errno === 'number' && MYSQL_ROW_ERRORS.has(errno);
}

/**
 * Creates the audit table and its indexes unless the table already exists.
 * @param table - Table name. @default 'conexor_audit'
 */
export async function createAuditTable(knex: Knex, table = DEFAULT_AUDIT_TABLE): Promise<void> {
  validateAuditTableName(table);
  if (await knex.schema.hasTable(table)) {
    // Tables created before writes existed get the column for the keys of changed rows.
    if (!(await knex.schema.hasColumn(table, 'affected_keys'))) {
      await knex.schema.alterTable(table, (builder) => builder.text('affected_keys', 'mediumtext').nullable()).catch(async (error: unknown) => {
        if (!(await knex.schema.hasColumn(table, 'affected_keys'))) throw error;
      });
    }
    return;
  }
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
  builder.text('affected_keys', 'mediumtext').nullable();
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
    // Only writes carry it, so an audit table created before writes existed keeps taking reads.
    ...(event.keys ? { affected_keys: JSON.stringify(event.keys) } : {}),
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
    ...(typeof row.affected_keys === 'string' ? { keys: parseKeys(row.affected_keys, row) } : {}),
  };
}

function parseKeys(text: string, row: AuditRow): Record<string, unknown>[] {
  try {
    return JSON.parse(text) as Record<string, unknown>[];
  } catch {
    throw new Error(`Audit row ${String(row.id)} has corrupt affected keys in the database.`);
  }
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
  return new AuditSinkError(`Could not write ${count} audit event(s) to table "${table}": ${reasonOf(error)}`, codeOf(error));
}

/** The error of a write that committed every event but the refused ones; it names the first refusal's reason. */
function toRefusedError(refused: readonly Refusal[], table: string, count: number): AuditSinkError {
  const first = refused[0]?.error;
  return new AuditSinkError(
    `Could not write ${refused.length} of ${count} audit event(s) to table "${table}" (the others were written): ${reasonOf(first)}`,
    codeOf(first),
    refused.map((refusal) => refusal.event.requestId),
  );
}

function reasonOf(error: unknown): string {
  const raw = error instanceof Error ? error.message : 'unknown error';
  const separator = raw.lastIndexOf(' - ');
  const reason = separator === -1 ? raw : raw.slice(separator + 3);
  return reason.length > MAX_ERROR_MESSAGE_LENGTH ? `${reason.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : reason;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
