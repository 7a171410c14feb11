/**
 * better-sqlite3 runs a statement synchronously on the calling thread and has no way to stop it: no interrupt, and
 * its SQLite is built with `SQLITE_OMIT_PROGRESS_CALLBACK`. A slow tool call would block the host's event loop and
 * ignore `statementTimeoutMs`. So conexor runs the statements of tool calls in worker **processes**, each with its own
 * read-only connection, and kills a worker at the time limit.
 *
 * Why processes and not `worker_threads`: `worker.terminate()` stops JavaScript, not native code; a thread inside
 * `sqlite3_step` runs the statement to its end (measured: a 100-million-row CTE kept a terminated thread busy for
 * 13 s), keeping a core and the file's read lock. Killing a process stops the statement at once, and the OS releases
 * its locks. An IPC round trip costs about the same as a thread's `postMessage` (~70 µs against ~55 µs here).
 *
 * Workers are shared by every conexor of the process that loads the same better-sqlite3 (one pool per module path):
 * a test suite creating hundreds of conexors on in-memory databases spawns only a few processes. A worker keeps up
 * to {@link MAX_DATABASES_PER_WORKER} databases open, least recently used first out.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { Knex } from 'knex';
import { ConfigurationError, QueryError } from '../errors.js';
import type { ReadOnlyRunner, ReadOnlySession } from './runner.js';
import { workerSource } from './sqlite-worker-source.js';

/** Worker processes a conexor on better-sqlite3 uses by default: the pool guard's default `maxConcurrent` too. */
export const SQLITE_WORKERS_DEFAULT = Math.max(1, Math.min(4, availableParallelism()));

const MAX_DATABASES_PER_WORKER = 8;
/** Longest wait for a new worker to load better-sqlite3. */
const SPAWN_TIMEOUT_MS = 10_000;
/**
 * Longest wait for a worker to open a database (a large in-memory snapshot takes a while to copy). The statement's
 * own limit starts once it is open, so a slow copy cannot fail every call; the call's deadline still answers it.
 */
const OPEN_TIMEOUT_MS = 60_000;
const STDERR_KEPT = 2_000;

/** What a worker needs to open one database. */
interface OpenSpec {
  /** The main database file (file databases). */
  readonly file?: string;
  /** The main database's content (in-memory databases). */
  readonly snapshot?: Uint8Array;
  /** Attached databases by schema name and file. */
  readonly attach: readonly (readonly [string, string])[];
  readonly nativeBinding?: string;
  readonly safeIntegers?: boolean;
}

interface WorkerRequest {
  id?: number;
  key?: string;
  open?: OpenSpec;
  sql?: string;
  bindings?: readonly unknown[];
  safe?: boolean;
  forget?: string[];
}

interface WorkerReply {
  readonly id: number;
  readonly rows?: Record<string, unknown>[] | null;
  readonly error?: { readonly message: string; readonly code?: string };
  readonly open: boolean;
}

type WorkerMessage = WorkerReply | { readonly id: number; readonly opened: true } | { readonly ready: true } | { readonly failed: string };

/** better-sqlite3's Database, reduced to what conexor uses on the host's connection. */
interface HostDatabase {
  readonly inTransaction: boolean;
  prepare(sql: string): HostStatement;
  serialize(): Uint8Array;
}

interface HostStatement {
  raw(toggle: boolean): HostStatement;
  safeIntegers(toggle: boolean): HostStatement;
  get(): unknown;
  all(): unknown[];
}

let liveProcesses = 0;
let enabled = true;

/**
 * Counts for tests and diagnostics: worker processes not yet exited, those serving a call now, and the process ids
 * of the usable ones.
 * @internal
 */
export function sqliteWorkerStats(): { readonly live: number; readonly busy: number; readonly pids: readonly number[] } {
  let busy = 0;
  const pids: number[] = [];
  for (const pool of pools.values()) {
    busy += pool.busy;
    pids.push(...pool.pids);
  }
  return { live: liveProcesses, busy, pids };
}

/**
 * Turns the worker processes off for conexors created afterwards, so they run better-sqlite3 in process as before
 * (no time limit). Only for benchmarks comparing the two paths.
 * @internal
 */
export function setSqliteWorkersEnabled(value: boolean): void {
  enabled = value;
}

/** The error a statement stopped at the time limit gets; `toQueryError` maps the code to the usual wording. */
function interrupted(): Error {
  return Object.assign(new Error('interrupted: the statement time limit was reached and its worker process was killed'), { code: 'SQLITE_INTERRUPT' });
}

const notAnswered = () => new QueryError('timeout', 'The database did not answer in time. Retry later.');

/** One worker process; serves one request at a time. */
class WorkerProcess {
  /** Databases open in the worker, least recently used first, with the version of their content. */
  readonly held = new Map<string, string | null>();
  /** Databases to close with the next message. */
  readonly forget: string[] = [];
  readonly ready: Promise<void>;
  exited = false;
  /** Killed: exiting, never to be leased again. */
  killed = false;
  private readonly child: ChildProcess;
  private stderr = '';
  private nextId = 0;
  private pending:
    | { readonly id: number; resolve(reply: WorkerReply): void; reject(error: Error): void; opened(): void }
    | undefined;

  constructor(modulePath: string, onExit: (worker: WorkerProcess) => void) {
    const env = { ...process.env };
    // The worker is a small internal program: the host's preloads (NODE_OPTIONS) would only slow its start.
    delete env.NODE_OPTIONS;
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    this.child = spawn(process.execPath, ['-e', workerSource(modulePath)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      windowsHide: true,
      env,
    });
    if (this.child.pid !== undefined) liveProcesses += 1;
    // Idle workers must not keep the host process alive; a request in flight has its own timer.
    this.child.unref();
    this.child.channel?.unref();
    const stderr = this.child.stderr as (NodeJS.ReadableStream & { unref?: () => void }) | null;
    stderr?.unref?.();
    stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
    });
    let settle: { resolve(): void; reject(error: Error): void } | undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const startup = setTimeout(() => {
      settle?.reject(new Error(`the worker process did not start within ${SPAWN_TIMEOUT_MS} ms`));
      this.kill();
    }, SPAWN_TIMEOUT_MS);
    startup.unref();
    this.child.on('message', (message: WorkerMessage) => {
      if ('ready' in message) {
        clearTimeout(startup);
        settle?.resolve();
      } else if ('failed' in message) {
        clearTimeout(startup);
        settle?.reject(new Error(`the worker process could not load better-sqlite3: ${message.failed}`));
      } else if (this.pending?.id === message.id) {
        if ('opened' in message) {
          this.pending.opened();
          return;
        }
        const { resolve } = this.pending;
        this.pending = undefined;
        resolve(message);
      }
    });
    const ended = (error: Error) => {
      clearTimeout(startup);
      settle?.reject(error);
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(error);
    };
    this.child.on('error', (error) => {
      ended(new Error(`the SQLite worker process terminated: ${error.message}`));
      this.markExited(onExit);
    });
    this.child.on('exit', (code, signal) => {
      const detail = this.stderr.trim() ? `: ${this.stderr.trim().split('\n').slice(-3).join(' ')}` : '';
      ended(new Error(`the SQLite worker process terminated unexpectedly (${signal ?? `exit code ${String(code)}`})${detail}`));
      this.markExited(onExit);
    });
  }

  private markExited(onExit: (worker: WorkerProcess) => void): void {
    if (this.exited) return;
    this.exited = true;
    if (this.child.pid !== undefined) liveProcesses -= 1;
    onExit(this);
  }

  /**
   * Sends a request. Its statement may run `timeoutMs`, counted once the database is open (opening it may take up to
   * {@link OPEN_TIMEOUT_MS}); then the worker is killed and the request fails as interrupted.
   */
  request(request: WorkerRequest, timeoutMs: number): Promise<WorkerReply> {
    if (this.gone) return Promise.reject(new Error('the SQLite worker process terminated'));
    const id = (this.nextId += 1);
    const message: WorkerRequest = { ...request, id };
    if (this.forget.length > 0) message.forget = this.forget.splice(0);
    return new Promise<WorkerReply>((resolve, reject) => {
      const stop = (error: Error) => () => {
        this.pending = undefined;
        this.kill();
        reject(error);
      };
      const opening = request.open !== undefined && request.sql !== undefined;
      let timer = opening
        ? setTimeout(stop(new Error(`the SQLite worker process did not open the database within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS)
        : setTimeout(stop(interrupted()), timeoutMs);
      this.pending = {
        id,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
        opened: () => {
          clearTimeout(timer);
          timer = setTimeout(stop(interrupted()), timeoutMs);
        },
      };
      this.child.send(message, (error) => {
        if (error && this.pending?.id === id) this.pending.reject(new Error(`the SQLite worker process terminated: ${error.message}`));
      });
    });
  }

  /** Sends what needs no answer (closing databases); dropped if the worker is gone. */
  post(request: WorkerRequest): void {
    if (!this.gone && this.child.connected) this.child.send(request, () => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Exited or killed. */
  get gone(): boolean {
    return this.exited || this.killed;
  }

  kill(): void {
    if (this.gone) return;
    this.killed = true;
    this.child.kill('SIGKILL');
  }

  /** Resolves once the process has exited. */
  whenExited(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }
}

interface Waiter {
  resolve(worker: WorkerProcess): void;
  reject(error: unknown): void;
}

/** The workers of one better-sqlite3 module, shared by the conexors (clients) using it. */
class WorkerPool {
  /** Workers that may serve calls. */
  private readonly workers = new Set<WorkerProcess>();
  /** Processes not yet exited, killed ones included. */
  private readonly alive = new Set<WorkerProcess>();
  private readonly idle: WorkerProcess[] = [];
  private readonly waiting = new Set<Waiter>();
  /** Registered clients and the workers each asks for; the pool grows to the largest. */
  private readonly clients = new Map<symbol, number>();

  constructor(private readonly modulePath: string) {}

  get busy(): number {
    return this.workers.size - this.idle.length;
  }

  get pids(): number[] {
    return [...this.workers].flatMap((worker) => (worker.pid === undefined ? [] : [worker.pid]));
  }

  private get capacity(): number {
    return Math.max(1, ...this.clients.values());
  }

  register(client: symbol, workers: number): void {
    this.clients.set(client, workers);
  }

  /** Closes the client's databases in the workers; the last client out stops every worker. */
  async unregister(client: symbol, key: string): Promise<void> {
    if (!this.clients.delete(client)) return;
    for (const worker of this.workers) {
      if (!worker.held.delete(key)) continue;
      if (this.idle.includes(worker)) worker.post({ forget: [key] });
      else worker.forget.push(key);
    }
    if (this.clients.size > 0) {
      // A smaller capacity now: idle workers beyond it go.
      while (this.workers.size > this.capacity && this.idle.length > 0) this.idle.pop()?.kill();
      return;
    }
    const all = [...this.alive];
    for (const worker of all) worker.kill();
    for (const waiter of this.waiting) waiter.reject(new QueryError('database_error', 'The database is unavailable right now. Retry later.'));
    this.waiting.clear();
    await Promise.all(all.map((worker) => worker.whenExited()));
  }

  /** A worker for one call: an idle one (preferably holding `key`), a new one, or the next one released. */
  async lease(key: string, signal?: AbortSignal): Promise<WorkerProcess> {
    if (signal?.aborted) throw notAnswered();
    if (this.idle.length > 0) {
      let index = this.idle.length - 1;
      for (let at = index; at >= 0; at -= 1) {
        if (this.idle[at]?.held.has(key)) {
          index = at;
          break;
        }
      }
      const [worker] = this.idle.splice(index, 1);
      if (worker) return worker;
    }
    if (this.workers.size < this.capacity) return this.spawn();
    return new Promise<WorkerProcess>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (worker) => {
          signal?.removeEventListener('abort', abort);
          resolve(worker);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', abort);
          reject(error);
        },
      };
      const abort = () => {
        this.waiting.delete(waiter);
        reject(notAnswered());
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.add(waiter);
    });
  }

  release(worker: WorkerProcess): void {
    if (worker.gone || !this.workers.has(worker)) {
      this.workers.delete(worker);
      this.serveWaiter();
      return;
    }
    const next = this.waiting.values().next();
    if (!next.done) {
      this.waiting.delete(next.value);
      next.value.resolve(worker);
      return;
    }
    if (this.workers.size > this.capacity) worker.kill();
    else this.idle.push(worker);
  }

  private serveWaiter(): void {
    const next = this.waiting.values().next();
    if (next.done || this.workers.size >= this.capacity) return;
    this.waiting.delete(next.value);
    this.spawn().then(next.value.resolve, next.value.reject);
  }

  private async spawn(): Promise<WorkerProcess> {
    const worker = new WorkerProcess(this.modulePath, (gone) => {
      this.alive.delete(gone);
      this.workers.delete(gone);
      const at = this.idle.indexOf(gone);
      if (at >= 0) this.idle.splice(at, 1);
      // A worker that died idle (killed from outside) leaves room for a waiter.
      if (at >= 0) this.serveWaiter();
    });
    this.workers.add(worker);
    if (!worker.exited) this.alive.add(worker);
    try {
      await worker.ready;
    } catch (error) {
      this.workers.delete(worker);
      worker.kill();
      throw error;
    }
    return worker;
  }
}

const pools = new Map<string, WorkerPool>();

function poolFor(modulePath: string): WorkerPool {
  let pool = pools.get(modulePath);
  if (!pool) {
    pool = new WorkerPool(modulePath);
    pools.set(modulePath, pool);
  }
  return pool;
}

/**
 * The file of the better-sqlite3 module the host's Knex loaded: the module whose exports are Knex's driver (Knex
 * requires it from its own location), else better-sqlite3 resolved from Knex's location.
 */
function driverPath(knex: Knex): string {
  const require = createRequire(import.meta.url);
  const driver = (knex.client as { driver?: unknown }).driver;
  if (driver !== undefined) {
    for (const [file, module] of Object.entries(require.cache)) if (module?.exports === driver) return file;
  }
  try {
    return createRequire(require.resolve('knex')).resolve('better-sqlite3');
  } catch (error) {
    throw new ConfigurationError(`SQLite: cannot locate the better-sqlite3 module Knex uses: ${String((error as Error).message)}`);
  }
}

interface DatabaseListRow {
  readonly name: string;
  readonly file: string;
}

/** How the host's connection was opened. */
interface HostSettings {
  readonly options?: { readonly nativeBinding?: unknown; readonly safeIntegers?: unknown };
}

/** A read-only runner whose statements run in worker processes, and what it needs when the conexor closes. */
export interface SqliteWorkerRunner extends ReadOnlyRunner {
  /** Worker processes this runner may use at once. */
  readonly workers: number;
  close(): Promise<void>;
}

/** Options of {@link createSqliteWorkerRunner}. */
export interface SqliteWorkerOptions {
  /** Schemas whose tables the tools read; attached databases among them are attached in the workers. */
  readonly schemas: readonly string[];
  /** Worker processes this conexor may use at once. */
  readonly workers: number;
}

let runners = 0;
const hostIds = new WeakMap<object, number>();
const fingerprints = new WeakMap<object, HostStatement>();
let hosts = 0;

/**
 * The content version of an in-memory host connection: its identity, its row changes so far and its schema
 * version. `null` inside a transaction, whose changes may still be rolled back without changing the counters.
 */
function contentVersion(connection: HostDatabase): string | null {
  if (connection.inTransaction) return null;
  let id = hostIds.get(connection);
  if (id === undefined) {
    id = hosts += 1;
    hostIds.set(connection, id);
  }
  let statement = fingerprints.get(connection);
  if (!statement) {
    statement = connection.prepare('SELECT total_changes(), schema_version FROM pragma_schema_version').raw(true).safeIntegers(false);
    fingerprints.set(connection, statement);
  }
  const [changes, schema] = statement.get() as [number, number];
  return `${id}:${changes}:${schema}`;
}

/**
 * A runner for Knex's better-sqlite3 client whose statements run in worker processes, or a reason why this
 * database cannot be served that way (an attached in-memory database among `schemas`: a worker cannot reach it).
 * Spawns or reuses a worker and opens the database in it before returning, so a database or driver a worker cannot
 * open fails here, with a {@link ConfigurationError}.
 */
export async function createSqliteWorkerRunner(
  knex: Knex,
  timeoutMs: number,
  options: SqliteWorkerOptions,
): Promise<{ readonly runner: SqliteWorkerRunner } | { readonly fallback: string } | undefined> {
  if (!enabled) return undefined;
  const modulePath = driverPath(knex);
  const settings = ((knex.client as { connectionSettings?: HostSettings }).connectionSettings ?? {}).options ?? {};
  const base = {
    ...(typeof settings.nativeBinding === 'string' ? { nativeBinding: settings.nativeBinding } : {}),
    ...(typeof settings.safeIntegers === 'boolean' ? { safeIntegers: settings.safeIntegers } : {}),
  };
  const host = (await knex.client.acquireConnection()) as HostDatabase;
  // The database's shape; an in-memory database's content is sent when a worker's copy is missing or stale, and
  // never kept here.
  let shape: OpenSpec;
  let first: { spec: OpenSpec; version: string | null };
  try {
    const list = host.prepare('SELECT name, file FROM pragma_database_list').all() as DatabaseListRow[];
    const attach: [string, string][] = [];
    for (const schema of options.schemas) {
      if (schema === 'main') continue;
      const row = list.find((candidate) => candidate.name === schema);
      if (!row) continue;
      if (!row.file) return { fallback: `the attached database "${schema}" is in memory, where a worker process cannot reach it` };
      attach.push([schema, row.file]);
    }
    const main = list.find((row) => row.name === 'main')?.file ?? '';
    shape = main ? { file: main, attach, ...base } : { attach, ...base };
    first = main ? { spec: shape, version: 'file' } : { spec: { ...shape, snapshot: host.serialize() }, version: contentVersion(host) };
  } finally {
    await knex.client.releaseConnection(host);
  }
  const memory = shape.file === undefined;
  const pool = poolFor(modulePath);
  const client = Symbol('conexor');
  const key = `db${(runners += 1)}`;
  pool.register(client, options.workers);
  try {
    const worker = await pool.lease(key);
    try {
      const reply = await worker.request({ key, open: first.spec }, OPEN_TIMEOUT_MS);
      if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
      worker.held.set(key, first.version);
    } finally {
      pool.release(worker);
    }
  } catch (error) {
    await pool.unregister(client, key);
    const where = memory ? 'an in-memory database' : shape.file;
    throw new ConfigurationError(
      `SQLite: conexor runs better-sqlite3 statements in worker processes, and one could not open ${where} read-only: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const fileSpec = memory ? undefined : shape;

  /** What the worker must open before the call's first statement, if its copy is missing or stale. */
  async function toOpen(worker: WorkerProcess, signal: AbortSignal | undefined): Promise<{ spec: OpenSpec; version: string | null } | undefined> {
    if (fileSpec) return worker.held.has(key) ? undefined : { spec: fileSpec, version: 'file' };
    // The host's connection serializes this with the host's own use of it, as the in-process path did.
    const connection = (await knex.client.acquireConnection()) as HostDatabase;
    try {
      if (signal?.aborted) throw notAnswered();
      const current = contentVersion(connection);
      if (current !== null && worker.held.get(key) === current) return undefined;
      return { spec: { ...shape, snapshot: connection.serialize() }, version: current };
    } finally {
      await knex.client.releaseConnection(connection);
    }
  }

  const runner: SqliteWorkerRunner = {
    workers: options.workers,
    async run(work, signal) {
      const worker = await pool.lease(key, signal);
      try {
        if (signal?.aborted) throw notAnswered();
        let opening = await toOpen(worker, signal);
        const execute = async (sql: string, bindings: readonly unknown[] | undefined, safe: boolean | undefined) => {
          const request: WorkerRequest = { key, sql, ...(bindings ? { bindings } : {}), ...(safe !== undefined ? { safe } : {}) };
          const version = opening ? opening.version : worker.held.get(key);
          if (opening) {
            request.open = opening.spec;
            if (!worker.held.has(key)) evictFor(worker);
            opening = undefined;
          }
          const reply = await worker.request(request, timeoutMs);
          // Least recently used last out: re-inserting moves the key to the end.
          worker.held.delete(key);
          // Not when the conexor closed meanwhile: the worker closes the database with its next message.
          if (reply.open && !worker.forget.includes(key)) worker.held.set(key, version ?? null);
          if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
          return reply.rows ?? [];
        };
        return await work(sessionOn(knex, execute));
      } finally {
        pool.release(worker);
      }
    },
    close: () => pool.unregister(client, key),
  };
  return { runner };
}

/** Makes room for one more database in a worker, closing the least recently used. */
function evictFor(worker: WorkerProcess): void {
  while (worker.held.size >= MAX_DATABASES_PER_WORKER) {
    const oldest = worker.held.keys().next().value as string;
    worker.held.delete(oldest);
    worker.forget.push(oldest);
  }
}

type Execute = (sql: string, bindings: readonly unknown[] | undefined, safe: boolean | undefined) => Promise<unknown[]>;

/**
 * Query builders whose "connection" is the worker. Knex's better-sqlite3 client calls `connection.prepare(sql)`,
 * then `statement.safeIntegers(flag)` when the query asks for it, then `await statement.all(bindings)` for a reader
 * (every statement is declared one: whether it reads is known in the worker, where a write fails read-only).
 */
function sessionOn(knex: Knex, execute: Execute): ReadOnlySession {
  const connection = {
    prepare(sql: string) {
      let safe: boolean | undefined;
      const statement = {
        reader: true,
        safeIntegers(flag: boolean) {
          safe = flag;
          return statement;
        },
        all: (bindings?: readonly unknown[]) => execute(sql, bindings, safe),
        run: (bindings?: readonly unknown[]) => execute(sql, bindings, safe),
      };
      return statement;
    },
  };
  return { builder: () => knex.queryBuilder().connection(connection) };
}
