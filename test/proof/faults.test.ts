/**
 * Fault-injection proof: while workers call tools over real HTTP, the app's database connections are cut (twice).
 * Calls during an outage must fail with a clear tool error (never an HTTP or JSON-RPC failure, never SQL text, a
 * stack or a host name), no call may hang, and calls must succeed again afterwards with the same app and the same
 * conexor. A slow query past `statementTimeoutMs` must be stopped on the server, not only abandoned in Node.
 *
 * How "the database went away" is simulated, without touching the shared servers or anyone else's connections:
 * - PostgreSQL: the app's Knex sets a unique `application_name`; during an outage window, every 50 ms,
 *   `pg_terminate_backend` ends every backend of the current database carrying that name (in flight or idle in the
 *   pool), as a restarting server would.
 * - MariaDB: during an outage window, every 50 ms, `KILL CONNECTION` ends every connection whose `DB` is the test's
 *   own database (`db.schema`) — except the connections that created the fixture, listed before the app connected —
 *   issued from a separate admin connection whose default database is another one.
 * - SQLite has no server and the host owns the Knex pool, so the app's file database loses its table instead: a
 *   second connection on the same file renames `items` away for the outage window and back afterwards.
 * - A server that stops answering (PostgreSQL, MariaDB): see the TCP proxy test below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { StaticApiKeyStore, createConexor, functionSink, generateApiKey, type AuditEvent, type Conexor } from '../../src/index.js';
import { DIALECTS, MYSQL_URL, PG_URL, createTestDatabase, uniqueName, type TestDatabase } from '../support/databases.js';

const ROWS = 200;
const WORKERS = 20;
const STATEMENT_TIMEOUT_MS = 1_000;
/** The longest any call may take: the statement timeout plus 1 s for HTTP and scheduling on a busy 2-core machine. */
const MAX_CALL_MS = STATEMENT_TIMEOUT_MS + 1_000;
/**
 * When the database does not answer at all, conexor's Node-side deadline answers instead, 2 s after the statement
 * timeout (`GRACE_MS` in src/execute/read-only.ts); plus the same 1 s margin.
 */
const MAX_UNANSWERED_CALL_MS = STATEMENT_TIMEOUT_MS + 2_000 + 1_000;
const SILENT_MS = 4_000;
const STEADY_MS = 1_000;
const OUTAGE_MS = 1_000;
const KILL_EVERY_MS = 50;
const RECOVERY_DEADLINE_MS = 10_000;
const PROTOCOL_VERSION = '2025-06-18';

/** The messages a model may get when the database fails; anything else is a leak or an unclear error. */
const CLEAR_ERRORS = [
  /^The database is unavailable right now\. Retry later\.$/,
  /^The database could not run the query( \(database code [A-Za-z0-9_]+\))?\.$/,
  /^The database is busy: [^\n]*Retry later\.$/,
  /^The query exceeded the statement time limit and was stopped by the database\.[^\n]*$/,
  /^The database did not answer in time\. Retry later\.$/,
];
/** What must never reach a model: SQL, stack frames, host names, the app's connection identity. */
const LEAKS = /\bselect\b|\binsert\b|\bfrom\s|items_away|pg_|127\.0\.0\.1|localhost|\n\s*at\s|\.[jt]s:\d/i;

interface JsonRpcAnswer {
  id?: unknown;
  result?: { isError?: boolean; content?: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };
  error?: unknown;
}

interface PhaseCount {
  ok: number;
  failed: number;
  maxMs: number;
}

/** One finished call as the load saw it. */
interface Observed {
  readonly started: number;
  readonly ended: number;
  readonly ok: boolean;
  readonly text: string;
  readonly phase: string;
}

interface FaultReport {
  readonly observed: Observed[];
  /** HTTP or JSON-RPC failures, wrong results, no recovery. */
  readonly violations: string[];
  readonly outages: { from: number; to: number }[];
  /** What each outage cut. */
  readonly cuts: number[];
  /** Time from the end of each outage to the first successful call. */
  readonly recoveries: number[];
  /** Calls answered, the recovery polls included. */
  calls: number;
  readonly phases: Map<string, PhaseCount>;
  failureTexts: string[];
}

/** A TCP proxy between the app and its database server. */
interface Proxy {
  readonly port: number;
  /** Connections stay open but nothing passes either way; new ones are accepted and never answered. */
  silence(): void;
  /** Drops every connection (as a restarted server does) and forwards again; returns how many it dropped. */
  restart(): number;
  close(): Promise<void>;
}

async function startProxy(host: string, port: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let silent = false;
  const server = createServer((client) => {
    const upstream = connect(port, host);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => {
        if (!silent) to.write(chunk);
      });
      from.on('close', end);
      from.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dropAll = () => {
    const count = sockets.size;
    for (const socket of [...sockets]) socket.destroy();
    return count;
  };
  return {
    port: (server.address() as AddressInfo).port,
    silence() {
      silent = true;
    },
    restart() {
      const dropped = dropAll();
      silent = false;
      return dropped;
    },
    async close() {
      dropAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

describe.each(DIALECTS)('faults under load on %s', (dialect) => {
  let db: TestDatabase | undefined;
  let directory: string | undefined;
  /** The app's Knex, whose connections are cut. */
  let app: Knex;
  /** Another connection, for the fault itself and the server-side checks; never cut. */
  let admin: Knex;
  let schema: string;
  const applicationName = uniqueName('cx_faults');
  /** MariaDB: the fixture's own connections, which the outage spares. */
  let spared: number[] = [];
  /** What Knex logs about the app's dead connections as it discards them (PostgreSQL), for the printed report. */
  const knexWarnings: string[] = [];
  const log = { warn: (message: unknown) => void knexWarnings.push(String(message)) };

  beforeAll(async () => {
    if (dialect === 'sqlite') {
      directory = mkdtempSync(join(tmpdir(), 'conexor-faults-'));
      const file = join(directory, 'app.sqlite');
      app = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
      admin = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
      schema = 'main';
    } else {
      db = await createTestDatabase(dialect, 'cx_faults');
      schema = db.schema;
      if (dialect === 'postgresql') {
        app = knexFactory({
          client: 'pg',
          connection: { connectionString: PG_URL, application_name: applicationName },
          searchPath: [schema],
          pool: { min: 0, max: 10 },
          log,
        });
        admin = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
      } else {
        // Default database `test`, not ours: the KILL loop below never matches this connection.
        admin = knexFactory({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 1 } });
      }
    }
    const setup = db?.knex ?? admin;
    await setup.schema.createTable('items', (table) => {
      table.increments('id');
      table.string('sku', 32).notNullable().unique();
      table.integer('price').notNullable();
    });
    await setup.batchInsert(
      'items',
      Array.from({ length: ROWS }, (_, index) => ({ sku: `SKU-${index}`, price: (index * 13) % 100 })),
      100,
    );
    if (dialect === 'postgresql') await setup.raw('CREATE VIEW slow AS SELECT 1 AS x FROM pg_sleep(5)');
    if (dialect === 'mysql') {
      await setup.raw('CREATE VIEW slow AS SELECT SLEEP(5) AS x');
      const [rows] = (await admin.raw('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ?', [schema])) as [{ id: number }[]];
      spared = rows.map((row) => Number(row.id));
      app = knexFactory({ client: 'mysql2', connection: db?.knex.client.config.connection, pool: { min: 0, max: 10 }, log });
    }
  });

  afterAll(async () => {
    await app?.destroy();
    await admin?.destroy();
    await db?.destroy();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  /** Cuts the app's connections once (see the module comment); returns how many were cut. */
  async function cut(): Promise<number> {
    if (dialect === 'postgresql') {
      const result = await admin.raw(
        'SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = ?',
        [applicationName],
      );
      return (result.rows as { gone: boolean }[]).filter((row) => row.gone).length;
    }
    const [rows] = (await admin.raw('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [schema])) as [
      { id: number }[],
    ];
    let killed = 0;
    for (const { id } of rows.filter((row) => !spared.includes(Number(row.id)))) {
      try {
        await admin.raw('KILL CONNECTION ?', [Number(id)]);
        killed += 1;
      } catch {
        // Already gone (ER_NO_SUCH_THREAD): the connection closed between the listing and the kill.
      }
    }
    return killed;
  }

  /** An outage of `OUTAGE_MS`: repeated cuts on a server, the table renamed away and back on SQLite. */
  async function outage(): Promise<number> {
    if (dialect === 'sqlite') {
      await admin.schema.renameTable('items', 'items_away');
      await wait(OUTAGE_MS);
      await admin.schema.renameTable('items_away', 'items');
      return 1;
    }
    let cuts = 0;
    const end = Date.now() + OUTAGE_MS;
    while (Date.now() < end) {
      cuts += await cut();
      await wait(KILL_EVERY_MS);
    }
    return cuts;
  }

  /** Statements (or open transactions) of the app the server has now (0 on SQLite); `name`: its application_name. */
  async function runningOnServer(name = applicationName): Promise<number> {
    if (dialect === 'postgresql') {
      const result = await admin.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ? AND state <> 'idle'", [name]);
      return Number(result.rows[0].n);
    }
    if (dialect === 'mysql') {
      const [rows] = (await admin.raw(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'",
        [schema],
      )) as [{ n: number }[]];
      return Number(rows[0]?.n);
    }
    return 0;
  }

  async function serve(cx: Conexor) {
    const key = generateApiKey({ name: 'faults' });
    const web = express();
    web.use('/mcp', conexorExpress(cx, { auth: { store: new StaticApiKeyStore([key.record]) } }));
    const server = await new Promise<Server>((resolve) => {
      const listening: Server = web.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    let nextId = 0;
    /** One tools/call over HTTP; throws on anything but a 200 JSON-RPC result. */
    const call = async (name: string, args: Record<string, unknown>) => {
      const id = (nextId += 1);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': PROTOCOL_VERSION,
          authorization: `Bearer ${key.key}`,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${body.slice(0, 300)}`);
      const answer = JSON.parse(body) as JsonRpcAnswer;
      if (!answer.result || answer.id !== id) throw new Error(`not a JSON-RPC result: ${body.slice(0, 300)}`);
      return answer.result;
    };
    const close = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    };
    return { call, close };
  }

  /**
   * Steady load by `workers` HTTP callers, with `rounds` outages in between: steady, outage 1, (poll until a call
   * succeeds) recovered 1, outage 2, … Each outage is `outage()`, which returns once the fault is over.
   */
  async function underFaults(cx: Conexor, workers: number, rounds: number, outage: () => Promise<number>): Promise<FaultReport> {
    knexWarnings.length = 0;
    const { call, close } = await serve(cx);
    const report: FaultReport = { observed: [], violations: [], outages: [], cuts: [], recoveries: [], calls: 0, phases: new Map(), failureTexts: [] };
    let phase = 'steady';
    let running = true;

    /** One call of the mix; a success must also be correct. */
    const oneCall = async (index: number): Promise<{ ok: boolean; text: string }> => {
      const id = (index % ROWS) + 1;
      const kind = index % 3;
      const result =
        kind === 0
          ? await call('count_items', {})
          : kind === 1
            ? await call('query_items_by_id', { id })
            : await call('query_items', { where: [{ field: 'price', op: 'lt', value: 50 }], limit: 5 });
      report.calls += 1;
      const text = textOf(result);
      if (result.isError) return { ok: false, text };
      const content = result.structuredContent ?? {};
      const correct =
        kind === 0
          ? content.count === ROWS
          : kind === 1
            ? Number((content.row as { id?: unknown } | null)?.id) === id
            : Array.isArray(content.rows) && content.rows.length === 5;
      if (!correct) report.violations.push(`wrong result for call ${index}: ${JSON.stringify(content).slice(0, 200)}`);
      return { ok: true, text };
    };

    const worker = async (offset: number) => {
      for (let index = offset; running; index += workers) {
        const callPhase = phase;
        const started = Date.now();
        try {
          const { ok, text } = await oneCall(index);
          report.observed.push({ started, ended: Date.now(), ok, text, phase: callPhase });
        } catch (error) {
          report.violations.push(`HTTP or JSON-RPC failure in ${callPhase}: ${String(error)}`);
        }
      }
    };

    /** Polls with single calls until one succeeds: the same app and conexor serve again. */
    const recover = async (): Promise<number> => {
      const started = Date.now();
      const recovered = await until(async () => {
        try {
          return (await oneCall(0)).ok;
        } catch {
          return false;
        }
      }, RECOVERY_DEADLINE_MS, 50);
      if (!recovered) report.violations.push(`no successful call within ${RECOVERY_DEADLINE_MS} ms after ${phase}`);
      return Date.now() - started;
    };

    const callers = Array.from({ length: workers }, (_, offset) => worker(offset));
    try {
      await wait(STEADY_MS);
      for (let round = 1; round <= rounds; round += 1) {
        phase = `outage ${round}`;
        const from = Date.now();
        report.cuts.push(await outage());
        report.outages.push({ from, to: Date.now() });
        report.recoveries.push(await recover());
        phase = `recovered ${round}`;
        await wait(STEADY_MS);
      }
    } finally {
      running = false;
      await Promise.all(callers);
      await close();
    }
    for (const entry of report.observed) {
      const count = report.phases.get(entry.phase) ?? { ok: 0, failed: 0, maxMs: 0 };
      if (entry.ok) count.ok += 1;
      else count.failed += 1;
      count.maxMs = Math.max(count.maxMs, entry.ended - entry.started);
      report.phases.set(entry.phase, count);
    }
    report.failureTexts = [...new Set(report.observed.filter((entry) => !entry.ok).map((entry) => entry.text))];
    return report;
  }

  function print(label: string, report: FaultReport, events: readonly AuditEvent[]): void {
    console.log(
      `[faults ${dialect} ${label}] cut per outage ${JSON.stringify(report.cuts)}, recovered after ${JSON.stringify(report.recoveries)} ms, ` +
        `calls ${report.calls}, events ${events.length}, Knex 'Connection Error' warnings ${knexWarnings.length}\n` +
        [...report.phases]
          .map(([name, count]) => `  ${name.padEnd(12)} ok ${String(count.ok).padStart(5)}  failed ${String(count.failed).padStart(4)}  slowest ${count.maxMs} ms`)
          .join('\n') +
        `\n  failure texts: ${JSON.stringify(report.failureTexts)}`,
    );
  }

  /** What every fault scenario must show; `maxCallMs` bounds every call. */
  function expectCleanFaults(report: FaultReport, rounds: number, maxCallMs: number): void {
    expect(report.violations.slice(0, 10), `${report.violations.length} violations`).toEqual([]);
    expect(report.cuts.every((count) => count > 0), 'each outage cut something').toBe(true);
    // The outages did bite, and every failure is a clear tool error with nothing of the database's internals in it.
    expect(report.observed.filter((entry) => !entry.ok).length, 'calls failed during the outages').toBeGreaterThan(0);
    for (const text of report.failureTexts) {
      expect(CLEAR_ERRORS.some((pattern) => pattern.test(text)), `unclear error text: ${JSON.stringify(text)}`).toBe(true);
      expect(text).not.toMatch(LEAKS);
      expect(text).not.toContain(schema);
      expect(text).not.toContain(applicationName);
    }
    // A failure only ever happens to a call that overlapped an outage (its connection may have been cut a moment
    // before the window closed, hence a small allowance after it).
    const overlapped = (entry: Observed) => report.outages.some(({ from, to }) => entry.started <= to + 250 && entry.ended >= from);
    const stray = report.observed.filter((entry) => !entry.ok && !overlapped(entry));
    expect(stray.map((entry) => `${entry.phase}: ${entry.text}`).slice(0, 10), 'failures outside the outages').toEqual([]);
    // The load was served before and after every outage, and nothing hung.
    for (const name of ['steady', ...Array.from({ length: rounds }, (_, at) => `recovered ${at + 1}`)]) {
      expect(report.phases.get(name)?.ok ?? 0, `successful calls in ${name}`).toBeGreaterThan(0);
    }
    expect(report.phases.get(`recovered ${rounds}`)?.failed, 'failures after the last recovery').toBe(0);
    for (const [name, count] of report.phases) expect(count.maxMs, `slowest call in ${name}`).toBeLessThan(maxCallMs);
  }

  /** The pool is idle again, the server runs nothing of ours, and the trail has one event per call, failed ones too. */
  async function expectSettled(knex: Knex, cx: Conexor, report: FaultReport, events: readonly AuditEvent[], name: string): Promise<void> {
    const pool = knex.client.pool as { numUsed(): number; numPendingAcquires(): number };
    const idle = await until(() => pool.numUsed() === 0 && pool.numPendingAcquires() === 0, 5_000);
    expect(idle, `pool: used ${pool.numUsed()}, pending ${pool.numPendingAcquires()}`).toBe(true);
    expect(await until(async () => (await runningOnServer(name)) === 0, 5_000, 100), 'statements of ours still running').toBe(true);
    await cx.close();
    expect(events).toHaveLength(report.calls);
    expect(new Set(events.map((event) => event.requestId)).size).toBe(report.calls);
    expect(cx.auditStats).toEqual({ recorded: report.calls, written: report.calls, failed: 0, pending: 0 });
    const failedEvents = events.filter((event) => event.outcome !== 'ok');
    const recoveryFailures = report.calls - report.observed.length - report.recoveries.length;
    expect(failedEvents.length).toBe(report.observed.filter((entry) => !entry.ok).length + recoveryFailures);
    expect(failedEvents.every((event) => event.outcome === 'error' || event.outcome === 'timeout')).toBe(true);
  }

  it('fails calls clearly while its connections are cut (twice), never hangs, and recovers without a restart', async () => {
    const events: AuditEvent[] = [];
    const cx = await createConexor(app, {
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      tables: { include: ['items'] },
      audit: { sinks: [functionSink((batch) => void events.push(...batch))] },
    });
    const report = await underFaults(cx, WORKERS, 2, outage);
    print('connections cut', report, events);
    expectCleanFaults(report, 2, MAX_CALL_MS);
    await expectSettled(app, cx, report, events, applicationName);
  }, 60_000);

  // A database that stops answering (a network partition, a frozen server) cannot be simulated by killing
  // connections: those fail at once. Here the app reaches the server through a TCP proxy in this process, which
  // goes silent (connections stay open, nothing passes either way, new ones never complete their handshake) and
  // then drops every connection, as a restarted server would. Nothing on the shared server is touched.
  it.skipIf(dialect === 'sqlite')('answers every call in bounded time while the database does not answer at all, then recovers', async () => {
    const target = new URL(dialect === 'postgresql' ? PG_URL : MYSQL_URL);
    const proxy = await startProxy(target.hostname, Number(target.port || (dialect === 'postgresql' ? 5432 : 3306)));
    const via = new URL(target);
    via.hostname = '127.0.0.1';
    via.port = String(proxy.port);
    const silentName = uniqueName('cx_silent');
    let proxied: Knex;
    if (dialect === 'postgresql') {
      proxied = knexFactory({
        client: 'pg',
        connection: { connectionString: via.toString(), application_name: silentName },
        searchPath: [schema],
        pool: { min: 0, max: 10 },
        log,
      });
    } else {
      via.pathname = `/${schema}`;
      proxied = knexFactory({ client: 'mysql2', connection: { uri: via.toString() } as Knex.MySql2ConnectionConfig, pool: { min: 0, max: 10 }, log });
    }
    try {
      const events: AuditEvent[] = [];
      const cx = await createConexor(proxied, {
        statementTimeoutMs: STATEMENT_TIMEOUT_MS,
        tables: { include: ['items'] },
        audit: { sinks: [functionSink((batch) => void events.push(...batch))] },
      });
      // 6 workers and the recovery poller stay within the pool guard's 8 slots, so no call also waits in its queue:
      // each is bounded by conexor's Node-side deadline alone.
      const report = await underFaults(cx, 6, 1, async () => {
        proxy.silence();
        await wait(SILENT_MS);
        return proxy.restart();
      });
      print('database silent', report, events);
      expectCleanFaults(report, 1, MAX_UNANSWERED_CALL_MS);
      expect(report.failureTexts, 'the Node-side deadline answered the hung calls').toContain('The database did not answer in time. Retry later.');
      await expectSettled(proxied, cx, report, events, silentName);
    } finally {
      await proxied.destroy();
      await proxy.close();
    }
  }, 60_000);

  // SQLite has no server to ask what still runs; test/execute/sqlite-workers.test.ts proves that the better-sqlite3
  // worker process running a slow query is killed at the limit.
  it.skipIf(dialect === 'sqlite')('stops a slow query on the server at statementTimeoutMs', async () => {
    const cx = await createConexor(app, { statementTimeoutMs: 300, tables: { include: ['slow', 'items'] } });
    // Warm the pool, so the slow call does not also pay for a new connection.
    expect((await cx.callTool('count_items')).structuredContent).toEqual({ count: ROWS });
    const started = Date.now();
    const pending = cx.callTool('query_slow');
    // The probe below sees the query while it runs, so its later 0 means something.
    const seenRunning = await until(async () => (await runningOnServer()) > 0, 280, 10);
    const result = await pending;
    const elapsed = Date.now() - started;
    const returned = Date.now();
    const stopped = await until(async () => (await runningOnServer()) === 0, 1_000, 20);
    const stoppedAfter = Date.now() - returned;
    console.log(`[faults ${dialect}] slow query: answered after ${elapsed} ms, seen running ${seenRunning}, gone from the server ${stoppedAfter} ms after the answer`);

    expect(result.isError).toBe(true);
    const first = result.content[0];
    expect(first?.type === 'text' ? first.text : '').toMatch(/statement time limit/);
    expect(seenRunning, 'the server showed the slow query while it ran').toBe(true);
    expect(stopped, 'the slow query is still running on the server 1 s after the call returned').toBe(true);
  });
});
