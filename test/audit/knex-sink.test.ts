import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuditor } from '../../src/audit/auditor.js';
import type { AuditEvent } from '../../src/audit/event.js';
import {
  AuditSinkError,
  DEFAULT_AUDIT_TABLE,
  auditMigration,
  createAuditTable,
  dropAuditTable,
  knexSink,
} from '../../src/audit/sinks.js';
import { countAuditEvents, readAuditTrail } from '../../src/audit/trail.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { auditEvent, captureLogger } from './support.js';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0, 0);
const at = (ms: number) => new Date(T0 + ms);

/** Events varying every field, one millisecond apart. */
function variedEvents(): AuditEvent[] {
  return [
    auditEvent(1, { timestamp: at(1).toISOString() }),
    auditEvent(2, {
      timestamp: at(2).toISOString(),
      tool: 'lookup_customers',
      table: 'sales.customers',
      operation: 'lookup',
      arguments: { id: 42, nested: { list: [1, 2.5, -3e-7, null, true, 'é😀"\\'] }, empty: {} },
      caller: { keyId: 'zzzzzzzzzzzz', keyName: 'ops key', subject: 'Alice' },
      client: { name: 'inspector', version: null, userAgent: `ua-${'x'.repeat(10_000)}` },
      model: null,
      outcome: 'denied',
      rowCount: null,
      truncated: null,
      durationMs: 0.125,
      errorCode: 'denied',
    }),
    auditEvent(3, {
      timestamp: at(3).toISOString(),
      tool: 'count_orders',
      operation: 'count',
      arguments: {},
      caller: { keyId: null, keyName: null, subject: null },
      client: { name: null, version: null, userAgent: null },
      outcome: 'timeout',
      rowCount: 2 ** 40,
      truncated: true,
      durationMs: 5000.5,
      errorCode: 'timeout',
    }),
    auditEvent(4, {
      timestamp: at(4).toISOString(),
      tool: 'no_such_tool',
      table: null,
      operation: null,
      arguments: null,
      caller: { keyId: 'k3q7m2x9ab4c', keyName: 'claude-api', subject: 'alice' },
      outcome: 'invalid',
      rowCount: null,
      truncated: null,
      durationMs: 1,
      errorCode: 'invalid_arguments',
    }),
    auditEvent(5, { timestamp: at(5).toISOString(), outcome: 'error', errorCode: 'database_error', rowCount: null, truncated: null }),
  ];
}

describe.each(DIALECTS)('Knex audit sink on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cxaudit');
  });
  afterAll(async () => {
    await db?.destroy();
  });
  beforeEach(async () => {
    await dropAuditTable(db.knex);
    await createAuditTable(db.knex);
  });

  it('creates the table once: a second create is a no-op that keeps the events', async () => {
    await knexSink(db.knex).write([auditEvent(1)]);
    await createAuditTable(db.knex);
    expect(await db.knex.schema.hasTable(DEFAULT_AUDIT_TABLE)).toBe(true);
    expect(await countAuditEvents(db.knex)).toBe(1);
  });

  it('round-trips every field exactly, JSON arguments and millisecond timestamps included', async () => {
    const events = variedEvents();
    await knexSink(db.knex).write(events);
    expect(await readAuditTrail(db.knex, { order: 'asc' })).toStrictEqual(events);
    // Newest first by default.
    expect((await readAuditTrail(db.knex)).map((event) => event.requestId)).toEqual(
      events.map((event) => event.requestId).reverse(),
    );
  });

  it('keeps the keys of the rows a write changed, and reads them back; reads carry none', async () => {
    const write = auditEvent(1, { tool: 'update_orders', operation: 'update', rowCount: 2, keys: [{ id: 3 }, { id: 'a/b', part: 2 }] });
    const read = auditEvent(2);
    await knexSink(db.knex).write([write, read]);
    expect(await readAuditTrail(db.knex, { order: 'asc' })).toStrictEqual([write, read]);
  });

  it('an audit table created before writes existed takes reads as is, and createAuditTable adds the keys column', async () => {
    await db.knex.schema.alterTable(DEFAULT_AUDIT_TABLE, (builder) => builder.dropColumn('affected_keys'));
    await knexSink(db.knex).write([auditEvent(1)]);
    await expect(knexSink(db.knex).write([auditEvent(2, { operation: 'delete', keys: [{ id: 1 }] })])).rejects.toThrow();
    await createAuditTable(db.knex);
    expect(await db.knex.schema.hasColumn(DEFAULT_AUDIT_TABLE, 'affected_keys')).toBe(true);
    await knexSink(db.knex).write([auditEvent(3, { operation: 'delete', keys: [{ id: 1 }] })]);
    expect((await readAuditTrail(db.knex, { order: 'asc' })).map((event) => event.keys ?? null)).toEqual([null, [{ id: 1 }]]);
  });

  it('stores the time as epoch milliseconds and the ISO string as given', async () => {
    await knexSink(db.knex).write([auditEvent(1, { timestamp: '2025-03-01T12:00:00.123Z' })]);
    const row = await db.knex(DEFAULT_AUDIT_TABLE).first<{ ts: number | string; ts_iso: string }>('ts', 'ts_iso');
    expect(Number(row?.ts)).toBe(Date.parse('2025-03-01T12:00:00.123Z'));
    expect(row?.ts_iso).toBe('2025-03-01T12:00:00.123Z');
  });

  it('filters by key, subject, tool, outcome, request id and time range', async () => {
    await knexSink(db.knex).write(variedEvents());
    const ids = async (filter: Parameters<typeof readAuditTrail>[1]) =>
      (await readAuditTrail(db.knex, { order: 'asc', ...filter })).map((event) => Number(event.requestId.slice(-4)));

    expect(await ids({ keyId: 'k3q7m2x9ab4c' })).toEqual([1, 4, 5]);
    expect(await ids({ keyId: null })).toEqual([3]);
    // Exact, case-sensitive matches, MySQL included.
    expect(await ids({ subject: 'alice' })).toEqual([1, 4, 5]);
    expect(await ids({ subject: 'Alice' })).toEqual([2]);
    expect(await ids({ subject: null })).toEqual([3]);
    expect(await ids({ keyId: 'ZZZZZZZZZZZZ' })).toEqual([]);
    expect(await ids({ tool: 'count_orders' })).toEqual([3]);
    expect(await ids({ outcome: 'timeout' })).toEqual([3]);
    expect(await ids({ outcome: ['denied', 'error'] })).toEqual([2, 5]);
    expect(await ids({ requestId: auditEvent(4).requestId })).toEqual([4]);
    // `from` inclusive, `to` exclusive, to the millisecond.
    expect(await ids({ from: at(2), to: at(4) })).toEqual([2, 3]);
    expect(await ids({ from: at(5) })).toEqual([5]);
    expect(await ids({ to: at(1) })).toEqual([]);
    expect(await ids({ keyId: 'k3q7m2x9ab4c', outcome: 'ok', from: at(1), to: at(2) })).toEqual([1]);
    expect(await ids({ limit: 2 })).toEqual([1, 2]);
    expect(await ids({ limit: 2, order: 'desc' })).toEqual([5, 4]);

    expect(await countAuditEvents(db.knex)).toBe(5);
    expect(await countAuditEvents(db.knex, { keyId: 'k3q7m2x9ab4c' })).toBe(3);
    expect(await countAuditEvents(db.knex, { outcome: 'ok', subject: 'nobody' })).toBe(0);
  });

  it('writes a large batch in chunks', async () => {
    const sink = knexSink(db.knex);
    const events = Array.from({ length: 1_234 }, (_, n) => auditEvent(n));
    await sink.write(events);
    expect(await countAuditEvents(db.knex)).toBe(1_234);
    const all = await readAuditTrail(db.knex, { limit: 10_000, order: 'asc' });
    expect(new Set(all.map((event) => event.requestId)).size).toBe(1_234);
  });

  it('writes a batch larger than one statement may be (MySQL max_allowed_packet) in several', async () => {
    // 40 events of 512 Ki characters each: 20 MiB, over MariaDB's default 16 MiB packet.
    const events = Array.from({ length: 40 }, (_, n) => auditEvent(n, { arguments: { blob: `${n}`.padEnd(512 * 1024, 'b') } }));
    await knexSink(db.knex).write(events);
    expect(await countAuditEvents(db.knex)).toBe(40);
  });

  it('a row the database refuses costs only its own event: the others are written, the error names it', async () => {
    const sink = knexSink(db.knex);
    // Across chunks (over 500 rows): NOT NULL tool, an invalid timestamp (refused before the database).
    const events = Array.from({ length: 1_100 }, (_, n) => auditEvent(10_000 + n));
    events[3] = { ...events[3], timestamp: 'not a time' } as AuditEvent;
    events[1_050] = { ...events[1_050], tool: null as unknown as string } as AuditEvent;
    const error = await sink.write(events).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuditSinkError);
    expect((error as AuditSinkError).refused).toEqual([events[3]?.requestId, events[1_050]?.requestId]);
    expect((error as AuditSinkError).message).toMatch(/^Could not write 2 of 1100 audit event\(s\) to table "conexor_audit" \(the others were written\): /);
    expect(await countAuditEvents(db.knex)).toBe(1_098);
    expect(await countAuditEvents(db.knex, { requestId: events[1_050]?.requestId })).toBe(0);

    // A single refused event.
    const lone = await sink.write([auditEvent(1, { outcome: null as unknown as 'ok' })]).catch((caught: unknown) => caught);
    expect((lone as AuditSinkError).refused).toEqual([auditEvent(1).requestId]);
    expect(await countAuditEvents(db.knex)).toBe(1_098);
  });

  it('a refused row among values the database cannot store: only that one is lost', async () => {
    // What the auditor's sanitizer prevents, written to the sink directly: NUL on PostgreSQL, a value longer than
    // its VARCHAR column on PostgreSQL and MySQL; SQLite stores both.
    const events = Array.from({ length: 20 }, (_, n) => auditEvent(n));
    events[7] = auditEvent(7, { model: 'x\u0000y', errorCode: 'e'.repeat(100) });
    const error = await knexSink(db.knex)
      .write(events)
      .catch((caught: unknown) => caught);
    const refused = dialect === 'sqlite' ? [] : [events[7]?.requestId];
    expect(error === undefined ? [] : (error as AuditSinkError).refused).toEqual(refused);
    expect(await countAuditEvents(db.knex)).toBe(20 - refused.length);
  });

  it('on a dropped table, write rejects with a message naming the table and no event values', async () => {
    await dropAuditTable(db.knex);
    const event = auditEvent(1, { arguments: { where: [{ field: 'email', op: 'eq', value: 'needle@example.com' }] } });
    const error = await knexSink(db.knex)
      .write([event])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuditSinkError);
    const message = (error as AuditSinkError).message;
    expect(message).toContain(`table "${DEFAULT_AUDIT_TABLE}"`);
    expect(message).not.toContain('needle');
    expect(message).not.toContain(event.requestId);
    expect(message.toLowerCase()).not.toContain('insert');
    expect((error as AuditSinkError).cause).toBeUndefined();
    expect(typeof (error as AuditSinkError).code).toBe('string');
    // Nothing was written, so nothing is singled out: the auditor retries the batch.
    expect((error as AuditSinkError).refused).toBeUndefined();
  });

  it('behind a sync auditor, a dropped table denies the call and reports it', async () => {
    const { logger, records } = captureLogger();
    const auditor = createAuditor({ sinks: [knexSink(db.knex)], logger });
    await auditor.record(auditEvent(1));
    await dropAuditTable(db.knex);
    await expect(auditor.record(auditEvent(2))).rejects.toMatchObject({ code: 'audit_failed' });
    expect(records().filter((record) => record.level === 50)).toMatchObject([
      { sink: `knex:${DEFAULT_AUDIT_TABLE}`, requestIds: [auditEvent(2).requestId] },
    ]);
    expect(auditor.stats).toEqual({ recorded: 2, written: 1, failed: 1, pending: 0 });
    await auditor.close();
  });

  it('uses a custom table name, and the migration creates and drops the default table', async () => {
    await createAuditTable(db.knex, 'my_audit');
    await knexSink(db.knex, { table: 'my_audit' }).write([auditEvent(1)]);
    expect(await countAuditEvents(db.knex, { table: 'my_audit' })).toBe(1);
    expect(await countAuditEvents(db.knex)).toBe(0);
    await dropAuditTable(db.knex, 'my_audit');
    expect(await db.knex.schema.hasTable('my_audit')).toBe(false);

    await auditMigration.down(db.knex);
    expect(await db.knex.schema.hasTable(DEFAULT_AUDIT_TABLE)).toBe(false);
    await auditMigration.up(db.knex);
    expect(await db.knex.schema.hasTable(DEFAULT_AUDIT_TABLE)).toBe(true);
  });
});

describe('audit table names and trail arguments', () => {
  it.each(['', '1audit', 'audit; drop table x', 'a"b', 'x'.repeat(49)])('rejects the table name %j', (table) => {
    expect(() => knexSink({} as never, { table })).toThrow(TypeError);
  });

  it('rejects a bad limit, order, outcome or date', async () => {
    const db = await createTestDatabase('sqlite');
    await createAuditTable(db.knex);
    const { knex } = db;
    await expect(readAuditTrail(knex, { limit: 0 })).rejects.toThrow(RangeError);
    await expect(readAuditTrail(knex, { limit: 10_001 })).rejects.toThrow(RangeError);
    await expect(readAuditTrail(knex, { order: 'up' as 'asc' })).rejects.toThrow(TypeError);
    await expect(countAuditEvents(knex, { outcome: 'fine' as 'ok' })).rejects.toThrow(TypeError);
    await expect(countAuditEvents(knex, { from: new Date('nope') })).rejects.toThrow(TypeError);
    expect(await countAuditEvents(knex, { outcome: [] })).toBe(0);
    await db.destroy();
  });
});
