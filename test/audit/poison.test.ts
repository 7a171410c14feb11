/**
 * Issue 8, as the attacker reproduced it: through a real MCP client, on every database, one caller's hostile
 * values (NUL, lone surrogates, megabytes, API keys) must neither cost other callers their audit events nor reach a
 * sink as they were sent.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/conexor.js';
import type { ConexorOptions } from '../../src/policy/options.js';
import type { AuditEvent } from '../../src/audit/event.js';
import { DEFAULT_AUDIT_TABLE, createAuditTable, dropAuditTable, functionSink, knexSink, pinoSink } from '../../src/audit/sinks.js';
import { readAuditTrail } from '../../src/audit/trail.js';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, textOf } from '../support/mcp.js';
import { captureLogger } from './support.js';

const TWO_MB = 2 * 1024 * 1024;
/** A key-shaped string whose secret also passes the output-name check of aggregates (`[a-z0-9_.]`). */
const NAME_SHAPED_SECRET = 'topsecret'.padEnd(43, '7');
const NAME_SHAPED_KEY = `cx_abcdefghijkl_${NAME_SHAPED_SECRET}`;

/** Connects an MCP client, with its own name and version, to a fresh server of `cx`. */
async function connect(cx: Conexor, name = 'audit-poison', version = '1.0.0'): Promise<Client> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name, version });
  await Promise.all([cx.createServer().connect(serverTransport), client.connect(clientTransport)]);
  return client;
}

async function callWithMeta(client: Client, name: string, args: Record<string, unknown>, meta: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args, _meta: meta })) as CallToolResult;
}

/** Everything the audit table holds, as the database returns it. */
async function storedText(db: TestDatabase): Promise<string> {
  return JSON.stringify(await db.knex(DEFAULT_AUDIT_TABLE).select('*'));
}

describe.each(DIALECTS)('audit events under hostile input on %s', (dialect) => {
  let db: TestDatabase;
  const served: Conexor[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cxpoison');
    await db.knex.schema.createTable('customers', (table) => {
      table.increments('id');
      table.string('name').notNullable();
    });
    await db.knex.schema.createTable('orders', (table) => {
      table.increments('id');
      table.integer('customer_id').unsigned().notNullable().references('id').inTable('customers');
      table.string('status').notNullable();
      table.integer('amount').notNullable();
    });
    await db.knex('customers').insert([{ name: 'Ada' }, { name: 'Bob' }]);
    await db.knex('orders').insert([
      { customer_id: 1, status: 'shipped', amount: 10 },
      { customer_id: 2, status: 'open', amount: 20 },
    ]);
  });
  afterAll(async () => {
    for (const cx of served) await cx.close();
    await db?.destroy();
  });
  beforeEach(async () => {
    await dropAuditTable(db.knex);
    await createAuditTable(db.knex);
  });

  async function serve(audit: NonNullable<Exclude<ConexorOptions['audit'], false>>): Promise<Conexor> {
    const cx = await createConexor(db.knex, {
      tables: { exclude: [DEFAULT_AUDIT_TABLE] },
      // The subject is whatever the request metadata says: a hostile client controls it.
      identify: ({ meta }) => ({ subject: typeof meta?.subject === 'string' ? meta.subject : undefined }),
      audit,
    });
    served.push(cx);
    return cx;
  }

  it('buffered: one poisoned call among 20 innocent ones, all 21 events written, the poison sanitized', async () => {
    const { logger, records } = captureLogger();
    const cx = await serve({ sinks: [knexSink(db.knex)], mode: 'buffered', batchSize: 100, flushIntervalMs: 60_000, logger });
    const innocent = await connect(cx);
    for (let n = 0; n < 10; n++) {
      expect((await call(innocent, 'query_orders', { where: [{ field: 'status', op: 'eq', value: 'shipped' }] })).isError).toBeFalsy();
      expect((await call(innocent, 'count_orders')).isError).toBeFalsy();
    }
    // A lone surrogate in the client's name, 2 MB in its version; NUL in the model, a lone surrogate in the subject
    // and in an argument key, NUL in a field name.
    const attacker = await connect(cx, 'evil\uD800client', '9'.repeat(TWO_MB));
    await callWithMeta(
      attacker,
      'query_orders',
      { where: [{ field: 'st\u0000atus', op: 'eq', value: 'x' }], ['li\uDC00mit']: 1 },
      { model: 'x\u0000y', subject: 'eve\uDBFF' },
    );
    await cx.close();

    expect(cx.auditStats).toEqual({ recorded: 21, written: 21, failed: 0, pending: 0 });
    expect(records().filter((record) => record.level >= 50)).toEqual([]);
    const trail = await readAuditTrail(db.knex, { order: 'asc', limit: 100 });
    expect(trail).toHaveLength(21);
    expect(trail.filter((event) => event.client.name === 'audit-poison')).toHaveLength(20);
    const poisoned = trail.find((event) => event.client.name !== 'audit-poison');
    expect(poisoned).toMatchObject({
      tool: 'query_orders',
      model: 'x\uFFFDy',
      caller: { subject: 'eve\uFFFD' },
      client: { name: 'evil\uFFFDclient' },
      arguments: { where: [{ field: 'st\uFFFDatus', op: 'eq', value: '[redacted]' }], ['li\uFFFDmit']: '[redacted]' },
    });
    const version = poisoned?.client.version ?? '';
    expect(version.length).toBeLessThanOrEqual(1_024);
    expect(version).toMatch(/^9+…\[truncated\]$/);
  });

  it('buffered: a row the database refuses (a CHECK or a trigger) costs only its own event, reported by request id', async () => {
    // The host's own rule on the audit table, refusing the events of one model.
    if (dialect === 'sqlite') {
      await db.knex.raw(
        `CREATE TRIGGER refuse_model BEFORE INSERT ON ${DEFAULT_AUDIT_TABLE} WHEN NEW.model = 'refuse-me' BEGIN SELECT RAISE(ABORT, 'refused by the host'); END`,
      );
    } else {
      await db.knex.raw(`ALTER TABLE ${DEFAULT_AUDIT_TABLE} ADD CONSTRAINT refuse_model CHECK (model IS NULL OR model <> 'refuse-me')`);
    }
    const { logger, records } = captureLogger();
    const events: AuditEvent[] = [];
    const cx = await serve({
      sinks: [knexSink(db.knex), functionSink((batch) => void events.push(...batch))],
      mode: 'buffered',
      flushIntervalMs: 60_000,
      retryDelayMs: 1,
      logger,
    });
    const client = await connect(cx);
    for (let n = 0; n < 10; n++) await callWithMeta(client, 'count_orders', {}, { model: `model-${n}` });
    await callWithMeta(client, 'count_orders', {}, { model: 'refuse-me' });
    for (let n = 10; n < 20; n++) await callWithMeta(client, 'count_orders', {}, { model: `model-${n}` });
    await cx.close();

    const refused = events.find((event) => event.model === 'refuse-me');
    expect(events).toHaveLength(21);
    expect(cx.auditStats).toEqual({ recorded: 21, written: 20, failed: 1, pending: 0 });
    const trail = await readAuditTrail(db.knex, { order: 'asc' });
    expect(trail.map((event) => event.requestId)).toEqual(events.filter((event) => event !== refused).map((event) => event.requestId));
    expect(records().filter((record) => record.level >= 50)).toMatchObject([
      { reason: 'sink_refused', sink: `knex:${DEFAULT_AUDIT_TABLE}`, attempts: 1, requestIds: [refused?.requestId] },
    ]);
  });

  it('sync with onFailure deny: poisoned calls are answered, and their events written sanitized', async () => {
    const cx = await serve({ sinks: [knexSink(db.knex)], mode: 'sync', onFailure: 'deny' });
    const client = await connect(cx, 'sync\uDC00client');
    const counted = await callWithMeta(client, 'count_orders', {}, { model: 'm\u0000'.repeat(TWO_MB / 2) });
    expect(counted.structuredContent).toEqual({ count: 2 });
    // Invalid arguments: refused for what they are, not for the audit.
    const invalid = await callWithMeta(client, 'count_orders', { ['k\uD800ey']: 'v\u0000' }, {});
    expect(textOf(invalid)).not.toMatch(/audit trail/);
    const direct = await cx.callTool('count_orders', {}, {
      header: (name) => (name === 'user-agent' ? 'agent\uDFFF/1.0\u0000' : undefined),
      meta: { model: 'direct\u0000model', subject: `${'s'.repeat(TWO_MB)}\uD800` },
    });
    expect(direct.structuredContent).toEqual({ count: 2 });
    expect(cx.auditStats).toEqual({ recorded: 3, written: 3, failed: 0, pending: 0 });

    const [countEvent, invalidEvent, directEvent] = await readAuditTrail(db.knex, { order: 'asc' });
    expect(countEvent?.client.name).toBe('sync\uFFFDclient');
    expect(countEvent?.model).toMatch(/^(m\uFFFD)+m?…\[truncated\]$/);
    expect(countEvent?.model?.length).toBeLessThanOrEqual(1_024);
    expect(invalidEvent).toMatchObject({ outcome: 'invalid', arguments: { ['k\uFFFDey']: '[redacted]' } });
    expect(directEvent).toMatchObject({ client: { userAgent: 'agent\uFFFD/1.0\uFFFD' }, model: 'direct\uFFFDmodel' });
    expect(directEvent?.caller.subject).toMatch(/^s+…\[truncated\]$/);
  });

  it('no sink ever receives an API key sent anywhere a client chooses text', async () => {
    const { key } = generateApiKey({ name: 'victim' });
    const secret = key.slice(-43);
    const { logger, lines } = captureLogger();
    const events: AuditEvent[] = [];
    const cx = await serve({ sinks: [knexSink(db.knex), pinoSink(logger), functionSink((batch) => void events.push(...batch))] });
    const client = await connect(cx, `client ${key}`, `v ${key}`);
    const calls: [string, Record<string, unknown>, Record<string, unknown>?][] = [
      ['query_orders', { where: [{ field: key, op: 'eq', value: 1 }] }],
      ['query_orders', { where: [{ field: 'status', op: key, value: 'open' }] }],
      ['query_orders', { [key]: 1 }],
      ['query_orders_by_id', { [key]: 1, id: 1 }],
      ['query_customers', { where: [{ has: key }] }],
      ['query_customers', { where: [{ has: key, where: [{ field: key, op: 'eq', value: 1 }] }] }],
      ['query_orders', { order_by: [{ field: key }] }],
      ['aggregate_orders', { metrics: [{ fn: 'count', as: NAME_SHAPED_KEY }], order_by: [{ by: NAME_SHAPED_KEY }] }],
      ['aggregate_orders', { metrics: [{ fn: 'count', as: key }], order_by: [{ by: key }], group_by: [key] }],
      ['aggregate_orders', { metrics: [{ fn: key }], having: [{ metric: NAME_SHAPED_KEY, op: 'gt', value: 1 }] }],
      ['count_orders', {}, { model: key, subject: `user ${key}` }],
      ['count_orders', {}, { model: `${'m'.repeat(1_000)}${key}` }],
      [key, {}],
      // Past where a careless cut would fall: a bound applied before redaction would keep the key's first part.
      [`${'t'.repeat(230)}${key}`, {}],
    ];
    for (const [name, args, meta] of calls) await callWithMeta(client, name, args, meta ?? {}).catch(() => undefined);
    // Direct calls: the model header and the user agent; an unknown tool named after the key.
    await cx.callTool('count_orders', {}, { header: (name) => (name === 'x-mcp-model' || name === 'user-agent' ? `h ${key}` : undefined) });
    await cx.callTool(key, { [key]: key });
    await cx.close();

    // Every call is on record, the unknown tools named after the key too, and the two direct calls.
    expect(events).toHaveLength(calls.length + 2);
    expect(events.filter((event) => event.errorCode === 'unknown_tool').map((event) => event.tool)).toEqual(['[redacted]', `${'t'.repeat(230)}[redacted]`, '[redacted]']);
    const everything = [await storedText(db), lines.join(''), JSON.stringify(events)];
    for (const text of everything) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(secret.slice(0, 8));
      expect(text).not.toContain(NAME_SHAPED_SECRET.slice(0, 12));
    }
    expect(events.map((event) => event.arguments)).toContainEqual({ where: [{ field: '[redacted]', op: 'eq', value: '[redacted]' }] });
    expect(events.map((event) => event.arguments)).toContainEqual({ '[redacted]': '[redacted]' });
    expect(events.map((event) => event.arguments)).toContainEqual({
      metrics: [{ fn: 'count', as: '[redacted]' }],
      order_by: [{ by: '[redacted]' }],
    });
    expect(events.map((event) => event.model)).toContain('[redacted]');
  });
});
