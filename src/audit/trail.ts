/** Reading back the table the Knex sink writes. */
import type { Knex } from 'knex';
import type { AuditEvent, AuditOutcome } from './event.js';
import { DEFAULT_AUDIT_TABLE, rowToEvent, validateAuditTableName, type AuditRow } from './sinks.js';

const OUTCOMES: readonly AuditOutcome[] = ['ok', 'denied', 'invalid', 'error', 'timeout'];
const MAX_LIMIT = 10_000;

/** Which events to read or count. Every field is optional; given fields must all match. */
export interface AuditTrailFilter {
  /** Audit table. @default 'conexor_audit' */
  table?: string;
  /** Calls made with this API key id; `null` for calls made without a key. */
  keyId?: string | null;
  /** Calls on behalf of this subject; `null` for calls without one. */
  subject?: string | null;
  /** Calls of this tool. */
  tool?: string;
  /** Calls that ended this way, or any of these ways. */
  outcome?: AuditOutcome | readonly AuditOutcome[];
  /** The call with this request id. */
  requestId?: string;
  /** Calls started at or after this time. */
  from?: Date;
  /** Calls started before this time (exclusive, so consecutive ranges do not overlap). */
  to?: Date;
}

/** A filter with the number and order of events to return. */
export interface AuditTrailQuery extends AuditTrailFilter {
  /** Most events returned, 1 to 10000. @default 100 */
  limit?: number;
  /** By start time (then by insertion order): `desc` is newest first. @default 'desc' */
  order?: 'asc' | 'desc';
}

/** Events of the audit table matching `query`, as {@link AuditEvent} objects equal to the ones written. */
export async function readAuditTrail(knex: Knex, query: AuditTrailQuery = {}): Promise<AuditEvent[]> {
  const limit = query.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${String(limit)}.`);
  }
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new TypeError(`order must be "asc" or "desc", got ${String(order)}.`);
  const rows = await filtered(knex, query)
    .select<AuditRow[]>('*')
    .orderBy([
      { column: 'ts', order },
      { column: 'id', order },
    ])
    .limit(limit);
  return rows.map(rowToEvent);
}

/** How many events of the audit table match `filter`. */
export async function countAuditEvents(knex: Knex, filter: AuditTrailFilter = {}): Promise<number> {
  const row = await filtered(knex, filter).count<{ n: number | string | bigint }[]>({ n: '*' }).first();
  // `pg` returns counts as strings.
  return Number(row?.n ?? 0);
}

function filtered(knex: Knex, filter: AuditTrailFilter): Knex.QueryBuilder {
  const builder = knex(validateAuditTableName(filter.table ?? DEFAULT_AUDIT_TABLE));
  equalOrNull(builder, 'key_id', filter.keyId);
  equalOrNull(builder, 'subject', filter.subject);
  if (filter.tool !== undefined) builder.where('tool', filter.tool);
  if (filter.requestId !== undefined) builder.where('request_id', filter.requestId);
  if (filter.outcome !== undefined) builder.whereIn('outcome', outcomes(filter.outcome));
  if (filter.from !== undefined) builder.where('ts', '>=', millis(filter.from, 'from'));
  if (filter.to !== undefined) builder.where('ts', '<', millis(filter.to, 'to'));
  return builder;
}

function equalOrNull(builder: Knex.QueryBuilder, column: string, value: string | null | undefined): void {
  if (value === null) builder.whereNull(column);
  else if (value !== undefined) builder.where(column, value);
}

function outcomes(outcome: AuditOutcome | readonly AuditOutcome[]): AuditOutcome[] {
  const list: readonly AuditOutcome[] = typeof outcome === 'string' ? [outcome] : outcome;
  for (const item of list) {
    if (!OUTCOMES.includes(item)) throw new TypeError(`Unknown audit outcome ${JSON.stringify(item)}.`);
  }
  return [...list];
}

function millis(date: Date, field: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new TypeError(`${field} must be a valid Date.`);
  return ms;
}
