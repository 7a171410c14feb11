import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import {
  StaticApiKeyStore,
  createAuditTable,
  createConexor,
  functionSink,
  generateApiKey,
  knexSink,
  readAuditTrail,
  type AuditEvent,
  type Conexor,
  type ConexorOptions,
} from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

const SLOW: Record<string, string> = {
  postgresql: 'CREATE VIEW slow AS SELECT 1 AS x FROM pg_sleep(5)',
  mysql: 'CREATE VIEW slow AS SELECT SLEEP(5) AS x',
  sqlite: `CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT count(*) AS x FROM c`,
};

describe.each(DIALECTS)('the audit trail on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await db.knex.schema.createTable('accounts', (table) => {
      table.increments('id');
      table.integer('tenant_id').notNullable();
      table.string('email').notNullable();
      table.string('password_hash').notNullable();
    });
    await db.knex.schema.createTable('victim', (table) => table.increments('id'));
    await db.knex('accounts').insert([
      { tenant_id: 1, email: 'ada@example.com', password_hash: 'hunter2-hash' },
      { tenant_id: 1, email: 'bob@example.com', password_hash: 'xyzzy-hash' },
      { tenant_id: 2, email: 'cy@example.com', password_hash: 'plugh-hash' },
    ]);
    await db.knex.raw(SLOW[dialect] as string);
    await createAuditTable(db.knex);
  });
  afterAll(() => db?.destroy());

  async function serve(options: ConexorOptions) {
    const key = generateApiKey({ name: 'analyst' });
    const cx = await createConexor(db.knex, {
      scope: { columns: ['tenant_id'], values: ({ header }) => ({ tenant_id: header('x-tenant') ? Number(header('x-tenant')) : undefined }) },
      identify: ({ header }) => ({ subject: header('x-end-user') ?? undefined }),
      statementTimeoutMs: 300,
      ...options,
    });
    const app = express();
    app.use('/mcp', conexorExpress(cx, { auth: { store: new StaticApiKeyStore([key.record]) } }));
    const server = await new Promise<Server>((resolve) => {
      const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    const client = async (headers: Record<string, string> = {}) => {
      const c = new Client({ name: 'audit-test', version: '2.1.0' });
      await c.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key.key}`, ...headers } } }));
      return c;
    };
    return { cx, server, client, keyId: key.record.id };
  }
  const call = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;

  it('records one event per call, whatever the outcome, with caller, subject, model and result metadata', async () => {
    const events: AuditEvent[] = [];
    const { cx, server, client, keyId } = await serve({ audit: { sinks: [functionSink((batch) => void events.push(...batch)), knexSink(db.knex)] } });
    try {
      const tenant = await client({ 'x-tenant': '1', 'x-end-user': 'ada@corp', 'x-mcp-model': 'claude-test-model', 'user-agent': 'audit-agent/1.0' });
      const outcomes: [string, Record<string, unknown>, string][] = [
        ['query_accounts', { limit: 1 }, 'ok'],
        ['count_accounts', { where: [{ field: 'password_hash', op: 'eq', value: 'hunter2-hash' }] }, 'invalid'],
        ['query_accounts_by_id', { id: 'one' }, 'invalid'],
        ['query_slow', {}, dialect === 'sqlite' ? 'ok' : 'timeout'],
      ];
      for (const [tool, args] of outcomes) await call(tenant, tool, args);
      const noTenant = await client();
      expect((await call(noTenant, 'count_accounts')).isError).toBe(true);
      const before = events.length;
      expect(before).toBe(outcomes.length + 1);

      const [ok, badField, badId, slow, denied] = events;
      expect(ok).toMatchObject({
        tool: 'query_accounts',
        operation: 'query',
        outcome: 'ok',
        rowCount: 1,
        truncated: true,
        errorCode: null,
        caller: { keyId, keyName: 'analyst', subject: 'ada@corp' },
        client: { userAgent: 'audit-agent/1.0' },
        model: 'claude-test-model',
      });
      expect(ok?.table).toMatch(/accounts$/);
      expect(ok?.durationMs).toBeGreaterThan(0);
      expect(badField).toMatchObject({ outcome: 'invalid', errorCode: 'invalid_arguments', rowCount: null });
      expect(badId).toMatchObject({ outcome: 'invalid', arguments: { id: 'one' } });
      expect(slow?.outcome).toBe(dialect === 'sqlite' ? 'ok' : 'timeout');
      expect(denied).toMatchObject({ outcome: 'denied', errorCode: 'denied', caller: { subject: null } });
      // The hidden column's value never reaches the trail in clear, nor any secret of the database.
      expect(JSON.stringify(events)).not.toContain('hunter2');
      expect(badField?.arguments).toEqual({ where: [{ field: 'password_hash', op: 'eq', value: '[redacted]' }] });

      // The durable sink has the same events, readable by key, outcome and time.
      const stored = await readAuditTrail(db.knex, { keyId, order: 'asc' });
      expect(stored.map((event) => event.requestId)).toEqual(events.map((event) => event.requestId));
      expect(await readAuditTrail(db.knex, { keyId, outcome: 'denied' })).toHaveLength(1);
      expect(await readAuditTrail(db.knex, { keyId, from: new Date(Date.now() + 60_000) })).toHaveLength(0);
      // Its table is never a tool.
      expect(cx.tools.some((tool) => tool.name.includes('audit'))).toBe(false);
    } finally {
      server.close();
    }
  });

  it('fails closed with onFailure deny: the call is refused, and nothing of the data is returned', async () => {
    const { server, client } = await serve({
      audit: { sinks: [functionSink(() => Promise.reject(new Error('audit database down')))], onFailure: 'deny' },
    });
    try {
      const result = await call(await client({ 'x-tenant': '1' }), 'query_accounts');
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toBeUndefined();
      const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
      expect(text).toMatch(/could not be recorded in the audit trail/);
      expect(text).not.toContain('ada@example.com');
    } finally {
      server.close();
    }
  });

  it('answers and reports loudly with onFailure continue', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const { server, client } = await serve({
      logger,
      audit: { sinks: [functionSink(() => Promise.reject(new Error('audit database down')))], onFailure: 'continue' },
    });
    try {
      const result = await call(await client({ 'x-tenant': '1' }), 'count_accounts');
      expect(result.structuredContent).toEqual({ count: 2 });
      const reported = lines.map((line) => JSON.parse(line) as { level: number; requestIds?: string[] });
      expect(reported.some((entry) => entry.level >= 50 && (entry.requestIds?.length ?? 0) === 1)).toBe(true);
    } finally {
      server.close();
    }
  });

  it.each(['sync', 'buffered'] as const)('loses nothing under concurrency (%s mode): events equal calls', async (mode) => {
    const events: AuditEvent[] = [];
    // Generous statement and queue limits: 200 calls queue for a small pool on a busy CI machine, and this test is
    // about the audit trail, not timeouts or the pool guard (the defaults made it flaky on MariaDB under load).
    const served = await serve({
      statementTimeoutMs: 10_000,
      concurrency: { maxQueued: 1_000, queueTimeoutMs: 30_000 },
      audit: { sinks: [functionSink((batch) => void events.push(...batch))], mode },
    });
    const cx: Conexor = served.cx;
    try {
      const clients = await Promise.all(Array.from({ length: 10 }, () => served.client({ 'x-tenant': '2' })));
      const calls = clients.flatMap((c) => Array.from({ length: 20 }, (_, index) => call(c, index % 2 ? 'count_accounts' : 'query_accounts')));
      const results = await Promise.all(calls);
      expect(results.filter((result) => result.isError).map((result) => JSON.stringify(result.content))).toEqual([]);
      await cx.close();
      expect(events).toHaveLength(200);
      expect(new Set(events.map((event) => event.requestId)).size).toBe(200);
      expect(cx.auditStats).toMatchObject({ recorded: 200, written: 200, failed: 0, pending: 0 });
    } finally {
      served.server.close();
    }
  });
});
