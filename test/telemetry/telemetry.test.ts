/**
 * OpenTelemetry through a real MCP client, on every database: one span per tool call with the MCP and database
 * attributes, child of the HTTP request's span on Express and Hono, ERROR on failures; exact metric values; limits
 * counted; and not one argument value, key or connection string in anything exported. Providers are passed through
 * the `telemetry` option (globals would leak between files); the context manager is global, as a host's SDK makes it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SpanKind, SpanStatusCode, context, metrics, propagation, trace, type Attributes, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { Hono } from 'hono';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { conexorHono } from '../../src/adapters/hono.js';
import type { ConexorHttpOptions } from '../../src/adapters/http.js';
import { StaticApiKeyStore, generateApiKey } from '../../src/auth/api-keys.js';
import { createConexor, functionSink, type Conexor, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, MYSQL_URL, PG_URL, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { connectClient } from '../support/mcp.js';

/** A value that must never leave conexor through telemetry: it is only ever an argument. */
const SECRET = 'Zq7-telemetry-secret-4411';

const SLOW: Record<string, string> = {
  postgresql: 'CREATE VIEW slow AS SELECT 1 AS x FROM pg_sleep(5)',
  mysql: 'CREATE VIEW slow AS SELECT SLEEP(5) AS x',
  sqlite: 'CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) SELECT count(*) AS x FROM c',
};
/** Long enough to hold the only query slot while another call arrives, short enough to finish. */
const NAP: Record<string, string> = {
  postgresql: 'CREATE VIEW nap AS SELECT 1 AS x FROM pg_sleep(0.6)',
  mysql: 'CREATE VIEW nap AS SELECT SLEEP(0.6) AS x',
  sqlite: 'CREATE VIEW nap AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS x FROM c',
};

class CollectingReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** In-memory span exporter and metric reader behind providers handed to conexor. */
function harness() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const collect = async () => (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  return {
    telemetry: { tracerProvider, meterProvider },
    tracer: tracerProvider.getTracer('host'),
    spans: () => exporter.getFinishedSpans(),
    toolSpans: () => exporter.getFinishedSpans().filter((span) => span.attributes['mcp.method.name'] === 'tools/call'),
    collect,
    async points<T = number>(name: string): Promise<DataPoint<T>[]> {
      const found = (await collect()).filter((metric) => metric.descriptor.name === name);
      return found.flatMap((metric) => metric.dataPoints as DataPoint<T>[]);
    },
  };
}
type Harness = ReturnType<typeof harness>;

/** Sum of a counter's points, by a key made of some of their attributes. */
function sumsBy(points: DataPoint<number>[], key: (attributes: Attributes) => string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const point of points) sums[key(point.attributes)] = (sums[key(point.attributes)] ?? 0) + point.value;
  return sums;
}

/** Everything exported, as text: names, attributes, statuses, events and links of spans, and every metric point. */
async function exported(otel: Harness): Promise<string> {
  const spans = otel.spans().map((span) => ({ name: span.name, attributes: span.attributes, status: span.status, events: span.events, links: span.links }));
  const points = (await otel.collect()).map((metric) => ({ descriptor: metric.descriptor, points: metric.dataPoints.map((point) => point.attributes) }));
  return JSON.stringify({ spans, points });
}

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

async function seed(db: TestDatabase): Promise<string> {
  await db.knex.schema.createTable('orders', (table) => {
    table.increments('id');
    table.string('customer').notNullable();
    table.integer('amount').notNullable();
  });
  await db.knex('orders').insert([
    { customer: 'ada', amount: 10 },
    { customer: 'bob', amount: 20 },
    { customer: 'cy', amount: 30 },
  ]);
  await db.knex.raw(SLOW[db.dialect] as string);
  await db.knex.raw(NAP[db.dialect] as string);
  if (db.dialect !== 'mysql') return db.dialect;
  const [rows] = (await db.knex.raw('SELECT VERSION() AS version')) as [{ version: string }[]];
  return /mariadb/i.test(rows[0]?.version ?? '') ? 'mariadb' : 'mysql';
}

describe.each(DIALECTS)('telemetry of tool calls on %s', (dialect) => {
  let db: TestDatabase;
  let system: string;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'otel');
    system = await seed(db);
  });
  afterAll(() => db?.destroy());

  it('records one span per call with the MCP and database attributes, ERROR on failures, and exact metrics', async () => {
    const otel = harness();
    const cx = await createConexor(db.knex, {
      telemetry: otel.telemetry,
      statementTimeoutMs: 300,
      callerPolicy: ({ meta }) => (meta?.restricted ? { tools: ['count_*'] } : undefined),
    });
    try {
      const client = await connectClient(cx.createServer());
      await client.listTools();
      const call = async (name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) =>
        (await client.callTool({ name, arguments: args, ...(meta ? { _meta: meta } : {}) })) as CallToolResult;
      expect((await call('count_orders', {})).structuredContent).toEqual({ count: 3 });
      expect((await call('query_orders', { where: [{ field: 'customer', op: 'eq', value: SECRET }] })).isError).toBeFalsy();
      expect((await call('query_orders', { limit: 2 })).isError).toBeFalsy();
      expect((await call('query_orders', { limit: -5, where: [{ field: 'customer', op: 'eq', value: SECRET }] })).isError).toBe(true);
      expect((await call('query_slow', {})).isError).toBe(true);
      expect((await call('query_orders', {}, { restricted: true })).isError).toBe(true);
      expect((await call(`drop_${SECRET}`, { value: SECRET })).isError).toBe(true);

      const table = (name: string) => ({
        'db.system.name': system,
        'db.collection.name': `${db.schema}.${name}`,
        'db.operation.name': 'SELECT',
      });
      const base = { 'mcp.method.name': 'tools/call', 'gen_ai.operation.name': 'execute_tool' };
      const spans = otel.toolSpans();
      expect(spans.map((span) => span.name)).toEqual([
        'tools/call count_orders',
        'tools/call query_orders',
        'tools/call query_orders',
        'tools/call query_orders',
        'tools/call query_slow',
        'tools/call query_orders',
        // A name that is no tool is the client's text: it is not recorded.
        'tools/call',
      ]);
      expect(spans.map((span) => span.attributes)).toEqual([
        { ...base, 'gen_ai.tool.name': 'count_orders', 'conexor.operation': 'count', ...table('orders'), 'conexor.row_count': 3 },
        { ...base, 'gen_ai.tool.name': 'query_orders', 'conexor.operation': 'query', ...table('orders'), 'conexor.row_count': 0, 'conexor.truncated': false },
        { ...base, 'gen_ai.tool.name': 'query_orders', 'conexor.operation': 'query', ...table('orders'), 'conexor.row_count': 2, 'conexor.truncated': true },
        { ...base, 'gen_ai.tool.name': 'query_orders', 'conexor.operation': 'query', ...table('orders'), 'error.type': 'invalid_arguments' },
        { ...base, 'gen_ai.tool.name': 'query_slow', 'conexor.operation': 'query', ...table('slow'), 'error.type': 'timeout' },
        { ...base, 'gen_ai.tool.name': 'query_orders', 'conexor.operation': 'query', ...table('orders'), 'error.type': 'denied' },
        { ...base, 'error.type': 'unknown_tool' },
      ]);
      expect(spans.map((span) => span.status)).toEqual([
        { code: SpanStatusCode.UNSET },
        { code: SpanStatusCode.UNSET },
        { code: SpanStatusCode.UNSET },
        { code: SpanStatusCode.ERROR, message: 'invalid_arguments' },
        { code: SpanStatusCode.ERROR, message: 'timeout' },
        { code: SpanStatusCode.ERROR, message: 'denied' },
        { code: SpanStatusCode.ERROR, message: 'unknown_tool' },
      ]);
      expect(spans.every((span) => span.kind === SpanKind.SERVER && span.instrumentationScope.name === 'conexor')).toBe(true);
      const list = otel.spans().filter((span) => span.name === 'tools/list');
      expect(list.map((span) => span.attributes)).toEqual([{ 'mcp.method.name': 'tools/list' }]);

      // Metrics: exact counts after these seven calls and one listing.
      const byToolAndError = (attributes: Attributes) => `${String(attributes['gen_ai.tool.name'] ?? '-')} ${String(attributes['error.type'] ?? 'ok')}`;
      expect(sumsBy(await otel.points('conexor.tool.calls'), byToolAndError)).toEqual({
        'count_orders ok': 1,
        'query_orders ok': 2,
        'query_orders invalid_arguments': 1,
        'query_slow timeout': 1,
        'query_orders denied': 1,
        '- unknown_tool': 1,
      });
      expect(sumsBy(await otel.points('conexor.tool.errors'), (attributes) => String(attributes['error.type']))).toEqual({
        invalid_arguments: 1,
        timeout: 1,
        denied: 1,
        unknown_tool: 1,
      });
      const durations = await otel.points<Histogram>('mcp.server.operation.duration');
      const countsBy = (method: string) =>
        durations.filter((point) => point.attributes['mcp.method.name'] === method).reduce((total, point) => total + point.value.count, 0);
      expect(countsBy('tools/call')).toBe(7);
      expect(countsBy('tools/list')).toBe(1);
      const durationMetric = (await otel.collect()).find((metric) => metric.descriptor.name === 'mcp.server.operation.duration');
      expect(durationMetric?.descriptor.unit).toBe('s');
      const rows = await otel.points<Histogram>('conexor.tool.rows');
      expect(rows.reduce((total, point) => total + point.value.count, 0)).toBe(3);
      expect(rows.reduce((total, point) => total + (point.value.sum ?? 0), 0)).toBe(5);
      // Session ids and counts stay off metrics: they would make a series per session or per value.
      expect(durations.some((point) => 'mcp.session.id' in point.attributes || 'conexor.row_count' in point.attributes)).toBe(false);

      const text = await exported(otel);
      expect(text).toContain('count_orders');
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(PG_URL);
      expect(text).not.toContain(MYSQL_URL);
    } finally {
      await cx.close();
    }
  });

  it('names write calls INSERT, UPDATE and DELETE, with the rows they changed and never their values', async () => {
    const otel = harness();
    const cx = await createConexor(db.knex, { telemetry: otel.telemetry, writes: { tables: ['orders'] }, catalog: { mode: 'typed' } });
    try {
      const client = await connectClient(cx.createServer());
      const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
      const inserted = await call('insert_orders', { rows: [{ customer: SECRET, amount: 1 }] });
      const id = (inserted.structuredContent as { rows: { id: number }[] }).rows[0]?.id;
      expect((await call('update_orders_by_id', { id, set: { amount: 2 } })).isError).toBeFalsy();
      expect((await call('delete_orders', { where: [{ field: 'customer', op: 'eq', value: SECRET }], max_affected: 1 })).isError).toBeFalsy();
      const spans = otel.toolSpans();
      expect(spans.map((span) => [span.attributes['gen_ai.tool.name'], span.attributes['db.operation.name'], span.attributes['conexor.operation'], span.attributes['conexor.row_count']])).toEqual([
        ['insert_orders', 'INSERT', 'insert', 1],
        ['update_orders_by_id', 'UPDATE', 'update', 1],
        ['delete_orders', 'DELETE', 'delete', 1],
      ]);
      expect(await exported(otel)).not.toContain(SECRET);
    } finally {
      await cx.close();
    }
  });

  it('counts a call refused by the instance query queue as rejected by a limit', async () => {
    const otel = harness();
    const cx = await createConexor(db.knex, { telemetry: otel.telemetry, concurrency: { maxConcurrent: 1, maxQueued: 0 } });
    try {
      const nap = cx.callTool('query_nap');
      // Let the nap take the only slot before the next call arrives.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const refused = await cx.callTool('count_orders');
      expect(refused.isError).toBe(true);
      expect((await nap).isError).toBeFalsy();
      expect(sumsBy(await otel.points('conexor.limit.rejections'), (attributes) => String(attributes['conexor.limit.reason']))).toEqual({ queue_full: 1 });
      expect(otel.toolSpans().find((span) => span.name === 'tools/call count_orders')?.attributes['error.type']).toBe('timeout');
    } finally {
      await cx.close();
    }
  });

  describe.each(['express', 'hono'] as const)('over HTTP on %s', (kind) => {
    const servers: Server[] = [];
    afterAll(async () => {
      for (const server of servers.splice(0)) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    /** Mounts conexor at /mcp; `host` wraps each request in a span of the host's own, as HTTP instrumentation would. */
    async function mounted(cx: Conexor, options: ConexorHttpOptions, host?: Tracer): Promise<URL> {
      let server: Server;
      if (kind === 'express') {
        const app = express();
        if (host) {
          app.use((_req, res, next) => {
            const span = host.startSpan('host request', { kind: SpanKind.SERVER });
            res.once('close', () => span.end());
            context.with(trace.setSpan(context.active(), span), next);
          });
        }
        app.use('/mcp', conexorExpress(cx, options));
        server = app.listen(0, '127.0.0.1');
      } else {
        const app = new Hono();
        if (host) {
          app.use('*', async (_c, next) => {
            const span = host.startSpan('host request', { kind: SpanKind.SERVER });
            await context.with(trace.setSpan(context.active(), span), next);
            span.end();
          });
        }
        app.route('/mcp', conexorHono(cx, options));
        server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
      }
      servers.push(server);
      if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve));
      return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    }

    const post = (url: URL, key: string, name: string, args: Record<string, unknown> = {}) =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${key}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
      });

    /** The span that is `span`'s parent, among the exported ones. */
    const parentOf = (otel: Harness, span: ReadableSpan | undefined) =>
      otel.spans().find((candidate) => candidate.spanContext().spanId === span?.parentSpanContext?.spanId && candidate.spanContext().traceId === span?.spanContext().traceId);

    it('makes each tool call a child of its HTTP request span, and counts a 429 as rejected by a limit', async () => {
      const otel = harness();
      const key = generateApiKey({ name: 'otel-agent' });
      const cx = await createConexor(db.knex, { telemetry: otel.telemetry });
      try {
        const url = await mounted(cx, { auth: { store: new StaticApiKeyStore([key.record]) }, limits: { perKeyRate: { points: 2, durationSeconds: 60 } } });
        // Stateless with JSON responses: tools/call takes the fast path, which answers without the SDK.
        const first = await post(url, key.key, 'count_orders');
        expect(first.status).toBe(200);
        await first.text();
        const second = await post(url, key.key, 'query_orders', { where: [{ field: 'customer', op: 'eq', value: SECRET }] });
        expect(second.status).toBe(200);
        await second.text();
        const refused = await post(url, key.key, 'count_orders');
        expect(refused.status).toBe(429);
        await refused.text();
        await expect.poll(() => otel.spans().filter((span) => span.attributes['http.request.method'] === 'POST').length).toBe(3);

        const tools = otel.toolSpans();
        expect(tools.map((span) => span.name)).toEqual(['tools/call count_orders', 'tools/call query_orders']);
        for (const tool of tools) {
          const http = parentOf(otel, tool);
          expect(http?.name).toBe('POST');
          expect(http?.kind).toBe(SpanKind.SERVER);
          expect(http?.attributes).toEqual({ 'http.request.method': 'POST', 'url.path': '/mcp', 'http.response.status_code': 200 });
          expect(http?.parentSpanContext).toBeUndefined();
        }
        const limited = otel.spans().find((span) => span.attributes['http.response.status_code'] === 429);
        expect(limited?.status).toEqual({ code: SpanStatusCode.UNSET });
        expect(sumsBy(await otel.points('conexor.limit.rejections'), (attributes) => String(attributes['conexor.limit.reason']))).toEqual({ rate: 1 });

        const text = await exported(otel);
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(key.key);
        expect(text).not.toContain(key.key.slice(`cx_${key.record.id}_`.length));
        expect(text).not.toContain(key.record.hash);
      } finally {
        await cx.close();
      }
    });

    it('counts a session refused by maxSessionsPerKey as rejected by a limit', async () => {
      const otel = harness();
      const key = generateApiKey({ name: 'otel-agent' });
      const cx = await createConexor(db.knex, { telemetry: otel.telemetry });
      try {
        const url = await mounted(cx, { auth: { store: new StaticApiKeyStore([key.record]) }, mode: 'sessionful', maxSessionsPerKey: 1 });
        const initialize = () =>
          fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${key.key}` },
            body: JSON.stringify({
              jsonrpc: '2.0',
              id: 1,
              method: 'initialize',
              params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'otel-test', version: '1.0.0' } },
            }),
          });
        const first = await initialize();
        expect(first.status).toBe(200);
        await first.text();
        const second = await initialize();
        expect(second.status).toBe(429);
        await second.text();
        expect(sumsBy(await otel.points('conexor.limit.rejections'), (attributes) => String(attributes['conexor.limit.reason']))).toEqual({ sessions: 1 });
      } finally {
        await cx.close();
      }
    });

    it('records the session id on the SDK path, and nests under a host HTTP span instead of making a second server span', async () => {
      const otel = harness();
      const key = generateApiKey({ name: 'otel-agent' });
      const cx = await createConexor(db.knex, { telemetry: otel.telemetry });
      const client = new Client({ name: 'otel-test', version: '1.0.0' });
      try {
        const url = await mounted(cx, { auth: { store: new StaticApiKeyStore([key.record]) }, mode: 'sessionful' }, otel.tracer);
        const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key.key}` } } });
        await client.connect(transport);
        const result = (await client.callTool({ name: 'count_orders', arguments: {} })) as CallToolResult;
        expect(result.structuredContent).toEqual({ count: 3 });
        await expect.poll(() => otel.toolSpans().length).toBe(1);

        const [tool] = otel.toolSpans();
        expect(transport.sessionId).toBeDefined();
        expect(tool?.attributes['mcp.session.id']).toBe(transport.sessionId);
        expect(tool?.attributes['db.collection.name']).toBe(`${db.schema}.orders`);
        await expect.poll(() => parentOf(otel, tool)?.ended).toBe(true);
        const http = parentOf(otel, tool);
        expect(http?.name).toBe('POST');
        expect(http?.kind).toBe(SpanKind.INTERNAL);
        const host = parentOf(otel, http);
        expect(host?.name).toBe('host request');
        expect(host?.kind).toBe(SpanKind.SERVER);
        // One server span per request: the host's; ours, and the tool's, are inside it.
        const serverSpansInTrace = otel.spans().filter((span) => span.spanContext().traceId === tool?.spanContext().traceId && span.kind === SpanKind.SERVER);
        expect(serverSpansInTrace.map((span) => span.name).sort()).toEqual(['host request', 'tools/call count_orders']);
      } finally {
        await client.close();
        await cx.close();
      }
    });
  });
});

describe('telemetry without an SDK, with globals, and from the client trace context', () => {
  let knex: ReturnType<typeof knexFactory>;
  beforeAll(async () => {
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    await knex.schema.createTable('orders', (table) => {
      table.increments('id');
      table.string('customer');
    });
    await knex('orders').insert([{ customer: 'ada' }]);
  });
  afterAll(() => knex?.destroy());

  it('serves normally with no SDK registered, and records nothing with telemetry: false even when one is', async () => {
    const plain = await createConexor(knex);
    const client = await connectClient(plain.createServer());
    expect((await client.callTool({ name: 'count_orders', arguments: {} })).structuredContent).toEqual({ count: 1 });
    expect((await plain.callTool('nope')).isError).toBe(true);
    await plain.close();

    // Created before the host registers its SDK: conexor follows the registration, for spans and metrics alike.
    const global = await createConexor(knex);
    const otel = harness();
    trace.setGlobalTracerProvider(otel.telemetry.tracerProvider);
    metrics.setGlobalMeterProvider(otel.telemetry.meterProvider);
    try {
      const off = await createConexor(knex, { telemetry: false });
      expect((await off.callTool('count_orders')).structuredContent).toEqual({ count: 1 });
      await off.close();
      expect(otel.spans()).toEqual([]);
      expect(await otel.points('conexor.tool.calls')).toEqual([]);

      // By default, the providers the host registered globally.
      expect((await global.callTool('count_orders')).structuredContent).toEqual({ count: 1 });
      expect(otel.toolSpans().map((span) => span.attributes['db.system.name'])).toEqual(['sqlite']);
      expect(sumsBy(await otel.points('conexor.tool.calls'), () => 'all')).toEqual({ all: 1 });
    } finally {
      trace.disable();
      metrics.disable();
      await global.close();
    }
  });

  it('continues the trace a client propagates in _meta (traceparent), as the MCP conventions ask', async () => {
    // A minimal W3C trace-context propagator, as a host SDK registers one.
    const w3c: TextMapPropagator = {
      inject: () => undefined,
      extract: (ctx, carrier, getter) => {
        const value = getter.get(carrier, 'traceparent');
        const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0([01])$/.exec(typeof value === 'string' ? value : '');
        return match ? trace.setSpanContext(ctx, { traceId: match[1] as string, spanId: match[2] as string, traceFlags: Number(match[3]), isRemote: true }) : ctx;
      },
      fields: () => ['traceparent'],
    };
    propagation.setGlobalPropagator(w3c);
    const otel = harness();
    const cx = await createConexor(knex, { telemetry: otel.telemetry });
    try {
      const client = await connectClient(cx.createServer());
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      await client.callTool({ name: 'count_orders', arguments: {}, _meta: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      await client.callTool({ name: 'count_orders', arguments: {} });
      const [continued, fresh] = otel.toolSpans();
      expect(continued?.spanContext().traceId).toBe(traceId);
      expect(continued?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
      expect(continued?.parentSpanContext?.isRemote).toBe(true);
      expect(fresh?.spanContext().traceId).not.toBe(traceId);
      expect(fresh?.parentSpanContext).toBeUndefined();
    } finally {
      propagation.disable();
      await cx.close();
    }
  });

  it('records host tools by their name without database attributes, and a call whose audit failed as audit_failed', async () => {
    const otel = harness();
    const cx = await createConexor(knex, {
      telemetry: otel.telemetry,
      audit: { sinks: [functionSink(() => Promise.reject(new Error('audit database down')))], onFailure: 'deny' },
    });
    try {
      const server = cx.createServer();
      server.registerTool('ping', { description: 'Host tool.' }, () => ({ content: [{ type: 'text', text: 'pong' }], isError: true }));
      const client = await connectClient(server);
      expect((await client.callTool({ name: 'ping', arguments: {} })).isError).toBe(true);
      expect((await client.callTool({ name: 'count_orders', arguments: {} })).isError).toBe(true);
      expect(otel.toolSpans().map((span) => span.attributes)).toEqual([
        { 'mcp.method.name': 'tools/call', 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'ping', 'conexor.operation': 'host', 'error.type': 'host_tool_error' },
        {
          'mcp.method.name': 'tools/call',
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'count_orders',
          'conexor.operation': 'count',
          'db.system.name': 'sqlite',
          'db.collection.name': 'main.orders',
          'db.operation.name': 'SELECT',
          'conexor.row_count': 1,
          // The count ran, but its result was withheld: the audit record could not be written.
          'error.type': 'audit_failed',
        },
      ]);
    } finally {
      await cx.close();
    }
  });

  it('refuses providers that are not providers, naming the option', async () => {
    const bad = (telemetry: unknown) => createConexor(knex, { telemetry } as unknown as ConexorOptions);
    await expect(bad({ tracerProvider: {} })).rejects.toThrow(/telemetry\.tracerProvider: expected an OpenTelemetry TracerProvider \(with getTracer\)/);
    await expect(bad({ meterProvider: 'otel' })).rejects.toThrow(/telemetry\.meterProvider: expected an OpenTelemetry MeterProvider \(with getMeter\)/);
    await expect(bad({ tracer: trace.getTracerProvider() })).rejects.toThrow(/telemetry\.tracer: unknown option; expected tracerProvider or meterProvider/);
    await expect(bad(true)).rejects.toThrow(/telemetry: expected false or \{ tracerProvider\?, meterProvider\? \}/);
  });
});
