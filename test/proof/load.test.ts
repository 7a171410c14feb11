/**
 * Load proof: thousands of real tools/call requests over real HTTP (Express mount, API key, sync audit sink) against
 * real SQLite, PostgreSQL and MariaDB, at a concurrency of 50. Every answer must be a 200 with a JSON-RPC `result`,
 * every successful result must be correct, invalid calls must be tool errors, the Knex pool must return to idle,
 * nothing of ours may still run on the server, and the audit trail must hold exactly one event per call.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { StaticApiKeyStore, createConexor, functionSink, generateApiKey, type AuditEvent, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, PG_URL, createTestDatabase, uniqueName, type TestDatabase } from '../support/databases.js';

const ROWS = 3_000;
const CATEGORIES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'] as const;
const PRICE_RANGES: readonly (readonly [number, number])[] = [
  [0, 99],
  [100, 499],
  [250, 750],
  [900, 999],
];
const CALLS = 2_400;
const CONCURRENCY = 50;
const PROTOCOL_VERSION = '2025-06-18';

interface JsonRpcAnswer {
  jsonrpc?: string;
  id?: unknown;
  result?: { isError?: boolean; content?: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };
  error?: unknown;
}

interface Item {
  id: number;
  sku: string;
  category: string;
  price: number;
}

/** One planned call: its tool, arguments, and a check of its result (returns a problem description or null). */
interface PlannedCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly invalid: boolean;
  check(result: NonNullable<JsonRpcAnswer['result']>): string | null;
}

interface LoadReport {
  calls: number;
  invalidCalls: number;
  durationMs: number;
  failures: string[];
  wrong: string[];
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true or the deadline passes; returns the last probe's answer. */
async function until(probe: () => Promise<boolean> | boolean, deadlineMs: number, stepMs = 25): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await wait(stepMs);
  }
}

function textOf(result: NonNullable<JsonRpcAnswer['result']>): string {
  const first = result.content?.[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}

describe.each(DIALECTS)('load over HTTP on %s', (dialect) => {
  let db: TestDatabase;
  /** The Knex the app under test uses (its own pool, and on PostgreSQL its own application_name). */
  let app: Knex;
  const applicationName = uniqueName('cx_load');
  let items: Item[] = [];
  const expectedCounts = new Map<string, number>();

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_load');
    await db.knex.schema.createTable('items', (table) => {
      table.increments('id');
      table.string('sku', 32).notNullable().unique();
      table.string('category', 16).notNullable().index();
      table.integer('price').notNullable();
      table.string('name', 64).notNullable();
    });
    const rows = Array.from({ length: ROWS }, (_, index) => ({
      sku: `SKU-${String(index).padStart(5, '0')}`,
      category: CATEGORIES[index % CATEGORIES.length] as string,
      price: (index * 37) % 1000,
      name: `Item number ${index}`,
    }));
    await db.knex.batchInsert('items', rows, 100);
    // The truth the answers are checked against comes from SQL, not from the generator above.
    items = (await db.knex('items').select('id', 'sku', 'category', 'price').orderBy('id')).map((row: Item) => ({
      id: Number(row.id),
      sku: row.sku,
      category: row.category,
      price: Number(row.price),
    }));
    expect(items).toHaveLength(ROWS);
    for (const category of CATEGORIES) {
      for (const [low, high] of PRICE_RANGES) {
        const [row] = await db.knex('items').where({ category }).whereBetween('price', [low, high]).count({ n: '*' });
        expectedCounts.set(`${category}:${low}-${high}`, Number(row?.n));
      }
    }
    const [total] = await db.knex('items').count({ n: '*' });
    expectedCounts.set('total', Number(total?.n));

    if (dialect === 'sqlite') {
      // An in-memory SQLite database lives in its one connection: the app uses the same Knex.
      app = db.knex;
    } else if (dialect === 'postgresql') {
      app = knexFactory({
        client: 'pg',
        connection: { connectionString: PG_URL, application_name: applicationName },
        searchPath: [db.schema],
        pool: { min: 0, max: 10 },
      });
    } else {
      app = knexFactory({ client: 'mysql2', connection: db.knex.client.config.connection, pool: { min: 0, max: 10 } });
    }
  });

  afterAll(async () => {
    if (app && app !== db?.knex) await app.destroy();
    await db?.destroy();
  });

  /** The plan: a deterministic mix of filtered queries, lookups by key and unique column, counts and invalid calls. */
  function plan(count: number): PlannedCall[] {
    const calls: PlannedCall[] = [];
    for (let index = 0; index < count; index += 1) {
      const item = items[(index * 7919) % items.length] as Item;
      const category = CATEGORIES[index % CATEGORIES.length] as string;
      const range = PRICE_RANGES[index % PRICE_RANGES.length] as readonly [number, number];
      switch (index % 10) {
        case 0:
        case 1:
        case 2:
          calls.push({
            tool: 'query_items',
            args: {
              where: [{ field: 'category', op: 'eq', value: category }, { field: 'price', op: 'gte', value: 100 }],
              columns: ['id', 'sku', 'category', 'price'],
              order_by: [{ field: 'price', direction: 'desc' }],
              limit: 20,
            },
            invalid: false,
            check(result) {
              const rows = result.structuredContent?.rows as Item[] | undefined;
              if (!Array.isArray(rows) || rows.length !== 20) return `query_items: expected 20 rows, got ${rows?.length}`;
              for (let at = 0; at < rows.length; at += 1) {
                const row = rows[at] as Item;
                if (row.category !== category || row.price < 100) return `query_items: row ${row.id} does not match the filter`;
                if (at > 0 && (rows[at - 1] as Item).price < row.price) return 'query_items: rows not ordered by price desc';
              }
              return null;
            },
          });
          break;
        case 3:
        case 4:
          calls.push({
            tool: 'query_items_by_id',
            args: { id: item.id },
            invalid: false,
            check(result) {
              const row = result.structuredContent?.row as Item | null | undefined;
              return row && Number(row.id) === item.id && row.sku === item.sku ? null : `query_items_by_id(${item.id}): got ${JSON.stringify(row)}`;
            },
          });
          break;
        case 5:
          calls.push({
            tool: 'query_items_by_sku',
            args: { sku: item.sku },
            invalid: false,
            check(result) {
              const row = result.structuredContent?.row as Item | null | undefined;
              return row && Number(row.id) === item.id && Number(row.price) === item.price ? null : `query_items_by_sku(${item.sku}): got ${JSON.stringify(row)}`;
            },
          });
          break;
        case 6:
        case 7: {
          const key = `${category}:${range[0]}-${range[1]}`;
          calls.push({
            tool: 'count_items',
            args: { where: [{ field: 'category', op: 'eq', value: category }, { field: 'price', op: 'between', value: [range[0], range[1]] }] },
            invalid: false,
            check(result) {
              const got = result.structuredContent?.count;
              return got === expectedCounts.get(key) ? null : `count_items(${key}): expected ${expectedCounts.get(key)}, got ${JSON.stringify(got)}`;
            },
          });
          break;
        }
        case 8:
          calls.push({
            tool: 'count_items',
            args: {},
            invalid: false,
            check(result) {
              const got = result.structuredContent?.count;
              return got === expectedCounts.get('total') ? null : `count_items(): expected ${expectedCounts.get('total')}, got ${JSON.stringify(got)}`;
            },
          });
          break;
        default: {
          // Invalid arguments: answered as a tool error (isError), never as an HTTP or JSON-RPC failure.
          const invalid = [
            { tool: 'query_items_by_id', args: { id: 'not-a-number' } },
            { tool: 'count_items', args: { where: [{ field: 'no_such_field', op: 'eq', value: 1 }] } },
            { tool: 'query_items', args: { limit: 1_000_000 } },
            { tool: 'query_items', args: { where: [{ field: 'price', op: 'contains', value: 'x' }] } },
          ][Math.floor(index / 10) % 4] as { tool: string; args: Record<string, unknown> };
          calls.push({
            ...invalid,
            invalid: true,
            check: (result) => (/invalid arguments/i.test(textOf(result)) ? null : `${invalid.tool}: unexpected error text ${JSON.stringify(textOf(result))}`),
          });
        }
      }
    }
    return calls;
  }

  /** Sends every planned call with `concurrency` workers, each a plain fetch over a kept-alive connection. */
  async function drive(url: string, key: string, calls: readonly PlannedCall[], concurrency: number): Promise<LoadReport> {
    const failures: string[] = [];
    const wrong: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < calls.length; index = next++) {
        const call = calls[index] as PlannedCall;
        let answer: JsonRpcAnswer;
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              'mcp-protocol-version': PROTOCOL_VERSION,
              authorization: `Bearer ${key}`,
            },
            body: JSON.stringify({ jsonrpc: '2.0', id: index, method: 'tools/call', params: { name: call.tool, arguments: call.args } }),
          });
          const body = await response.text();
          if (response.status !== 200) {
            failures.push(`#${index} ${call.tool}: HTTP ${response.status} ${body.slice(0, 200)}`);
            continue;
          }
          answer = JSON.parse(body) as JsonRpcAnswer;
        } catch (error) {
          failures.push(`#${index} ${call.tool}: ${String(error)}`);
          continue;
        }
        if (!answer.result || answer.error !== undefined || answer.id !== index) {
          failures.push(`#${index} ${call.tool}: not a JSON-RPC result: ${JSON.stringify(answer).slice(0, 200)}`);
          continue;
        }
        if (Boolean(answer.result.isError) !== call.invalid) {
          failures.push(`#${index} ${call.tool}: isError ${answer.result.isError} for a${call.invalid ? 'n invalid' : ' valid'} call: ${textOf(answer.result).slice(0, 200)}`);
          continue;
        }
        const problem = call.check(answer.result);
        if (problem) wrong.push(`#${index} ${problem}`);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { calls: calls.length, invalidCalls: calls.filter((call) => call.invalid).length, durationMs: performance.now() - started, failures, wrong };
  }

  /** Statements of ours the server is still running (or transactions left open); 0 for SQLite, which has no server. */
  async function busyOnServer(): Promise<number> {
    if (dialect === 'postgresql') {
      const result = await db.knex.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ? AND state <> 'idle'", [applicationName]);
      return Number(result.rows[0].n);
    }
    if (dialect === 'mysql') {
      // Connections of the served database other than this check's own: every one must be asleep, none in a transaction.
      const [running] = (await db.knex.raw(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'",
        [db.schema],
      )) as [{ n: number }[]];
      const [open] = (await db.knex.raw(
        'SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE p.DB = ? AND p.ID <> CONNECTION_ID()',
        [db.schema],
      )) as [{ n: number }[]];
      return Number(running[0]?.n) + Number(open[0]?.n);
    }
    return 0;
  }

  /** Connections of the app the server knows about, to show that `busyOnServer` looks at the right ones. */
  async function connectionsOnServer(): Promise<number> {
    if (dialect === 'postgresql') {
      const result = await db.knex.raw('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ?', [applicationName]);
      return Number(result.rows[0].n);
    }
    if (dialect === 'mysql') {
      const [rows] = (await db.knex.raw('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [db.schema])) as [
        { n: number }[],
      ];
      return Number(rows[0]?.n);
    }
    return 1;
  }

  async function scenario(label: string, options: ConexorOptions): Promise<void> {
    const events: AuditEvent[] = [];
    const key = generateApiKey({ name: 'load' });
    const cx = await createConexor(app, { ...options, audit: { sinks: [functionSink((batch) => void events.push(...batch))], mode: 'sync' } });
    for (const tool of ['query_items', 'query_items_by_id', 'query_items_by_sku', 'count_items']) expect(cx.hasTool(tool), tool).toBe(true);
    const web = express();
    web.use('/mcp', conexorExpress(cx, { auth: { store: new StaticApiKeyStore([key.record]) } }));
    const server = await new Promise<Server>((resolve) => {
      const listening: Server = web.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
      const calls = plan(CALLS);
      const report = await drive(url, key.key, calls, CONCURRENCY);
      const seconds = report.durationMs / 1000;

      // The pool returns to idle, and the server runs nothing of ours.
      const pool = app.client.pool as { numUsed(): number; numPendingAcquires(): number };
      const idle = await until(() => pool.numUsed() === 0 && pool.numPendingAcquires() === 0, 5_000);
      const quiet = await until(async () => (await busyOnServer()) === 0, 5_000, 100);
      const connections = await connectionsOnServer();

      await cx.close();
      console.log(
        `[load ${dialect} ${label}] calls ${report.calls} (invalid ${report.invalidCalls}), concurrency ${CONCURRENCY}, ` +
          `${report.durationMs.toFixed(0)} ms, ${(report.calls / seconds).toFixed(0)} calls/s, events ${events.length}, ` +
          `failures ${report.failures.length}, wrong ${report.wrong.length}, audit ${JSON.stringify(cx.auditStats)}`,
      );

      expect(report.failures.slice(0, 10), `${report.failures.length} failed calls`).toEqual([]);
      expect(report.wrong.slice(0, 10), `${report.wrong.length} wrong results`).toEqual([]);
      expect(report.calls).toBeGreaterThanOrEqual(2_000);
      expect(idle, `pool not idle: used ${pool.numUsed()}, pending ${pool.numPendingAcquires()}`).toBe(true);
      expect(quiet, 'statements of ours still running on the server').toBe(true);
      expect(connections, 'the server check sees the app connections').toBeGreaterThan(0);

      // The audit trail: exactly one event per call, each with its own request id, all accounted as written.
      expect(events).toHaveLength(report.calls);
      expect(new Set(events.map((event) => event.requestId)).size).toBe(report.calls);
      expect(cx.auditStats).toEqual({ recorded: report.calls, written: report.calls, failed: 0, pending: 0 });
      expect(events.filter((event) => event.outcome === 'invalid')).toHaveLength(report.invalidCalls);
      expect(events.filter((event) => event.outcome === 'ok')).toHaveLength(report.calls - report.invalidCalls);
      expect(events.every((event) => event.caller.keyId === key.record.id)).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('answers 2,400 concurrent calls with zero failures, correct results, an idle pool and one audit event per call', async () => {
    await scenario('default guard', {});
  }, 60_000);

  it('still has zero failures behind a small pool guard (2 running, 500 queued)', async () => {
    await scenario('guard 2/500', { concurrency: { maxConcurrent: 2, maxQueued: 500, queueTimeoutMs: 10_000 } });
  }, 60_000);
});
