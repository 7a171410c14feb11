import { createRequire } from 'node:module';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { ConexorError, IntrospectionError } from './errors.js';
import { Executor } from './execute/execute.js';
import { createWriteRunner } from './execute/read-write.js';
import { WriteExecutor, scopedLinks } from './execute/write.js';
import { toQueryError } from './execute/errors.js';
import { checkConnection } from './execute/connection.js';
import { createReadOnlyRunner, type ClosableRunner, type ReadOnlyRunner } from './execute/read-only.js';
import { SQLITE_WORKERS_DEFAULT } from './execute/sqlite-workers.js';
import { POOL_GUARD_DEFAULTS, createPoolGuard, type PoolGuard } from './limits/pool-guard.js';
import { dialectOf, introspect } from './introspect/index.js';
import type { DatabaseModel, Dialect } from './introspect/model.js';
import { resolveOptions, type ConexorOptions, type ResolvedOptions } from './policy/options.js';
import { applyPolicy, type ExposedSchema } from './policy/policy.js';
import { buildCatalog, type ToolCatalog } from './tools/listing.js';
import { CallPipeline } from './server/call.js';
import { createAuditor, type AuditStats, type Auditor } from './audit/auditor.js';
import { pinoSink } from './audit/sinks.js';
import type { AuditValues } from './audit/redact.js';
import { NO_HEADERS, type RequestContext } from './policy/caller.js';
import { serveTools, type HandlerExtra } from './server/sdk.js';
import { registerSchemaResource } from './server/schema-resource.js';
import { attachTelemetry, createTelemetry, type DbSystem, type Telemetry } from './telemetry/telemetry.js';

const { version: PACKAGE_VERSION } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * A database introspected and compiled once. {@link Conexor.createServer} then makes MCP servers in constant
 * time, as a stateless HTTP transport needs one per request.
 */
export interface Conexor {
  /** Everything introspection found, before policy. */
  readonly model: DatabaseModel;
  /** What policy exposes. */
  readonly exposed: ExposedSchema;
  /** The generated tool definitions, as `tools/list` returns them to a caller without restrictions. */
  readonly tools: readonly Tool[];
  /** Where conexor reports what a model is not told (the `logger` option); HTTP mounts log to it too by default. */
  readonly logger: Logger;
  /** A new MCP server serving the generated tools. The host may register its own tools on it too. */
  createServer(): McpServer;
  /**
   * Runs one generated tool without MCP, e.g. from a host's own code or tests. `context` describes the caller
   * (its `authInfo`, headers, `_meta`), as a transport would; caller policy, scope and audit apply as over MCP.
   * A name that is no generated tool gets the SDK's "Tool … not found" error, and is audited too.
   */
  callTool(name: string, args?: Record<string, unknown>, context?: CallContext): Promise<CallToolResult>;
  /** The generated tools a caller may see (all of them without restrictions). */
  listTools(context?: CallContext): Promise<readonly Tool[]>;
  /** Whether `name` is one of the generated tools. */
  hasTool(name: string): boolean;
  /** Audit counters (`recorded = written + failed + pending`); `undefined` with `audit: false`. */
  readonly auditStats: AuditStats | undefined;
  /**
   * Writes pending audit events and closes the sinks; on better-sqlite3, stops the worker processes once no conexor
   * uses them. Does not touch the host's Knex.
   */
  close(): Promise<void>;
}

/** Who is calling, when a call does not come through an MCP server (direct calls, the HTTP fast path). */
export interface CallContext {
  readonly authInfo?: AuthInfo;
  /** Request headers by lower-case name. */
  readonly header?: (name: string) => string | undefined;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly client?: { readonly name?: string; readonly version?: string };
}

/**
 * Introspects the database behind `knex`, applies the policy and compiles the tool catalog.
 * Throws {@link ConfigurationError} for bad options or a policy naming what does not exist (a table, a column, a
 * schema in `schemas`), {@link UnsupportedDialectError} for an unsupported Knex client, {@link IntrospectionError}
 * when the database cannot be reached ("Could not connect to the PostgreSQL database: …", never the password) or its
 * catalog cannot be read.
 */
export async function createConexor(knex: Knex, options?: ConexorOptions): Promise<Conexor> {
  const resolved = resolveOptions(options, PACKAGE_VERSION);
  const dialect = dialectOf(knex);
  // One round trip first: a wrong password or database name fails here, in one clear line, not as a query error.
  await checkConnection(knex, dialect);
  let model: DatabaseModel;
  try {
    model = await introspect(knex, resolved.schemas ? { schemas: resolved.schemas } : {});
  } catch (error) {
    if (error instanceof ConexorError) throw error;
    throw new IntrospectionError(`Could not read the ${dialect} schema: ${toQueryError(error).message}`, { cause: error });
  }
  const exposed = applyPolicy(model, resolved);
  const catalog = buildCatalog(exposed, resolved);
  // MariaDB speaks the mysql dialect: the runner asks the server, and the spans say which it is from then on.
  let system: DbSystem = dialect;
  const telemetry = createTelemetry(resolved.telemetry, PACKAGE_VERSION, () => system);
  // The guard sits inside the deadline: a call that times out keeps its slot until its work really ends. Reads on
  // the Knex pool share it with writes (which always run there), so together they stay within maxConcurrent.
  let poolGuard: PoolGuard | undefined;
  const runner = await createReadOnlyRunner(
    knex,
    dialect,
    resolved.statementTimeoutMs,
    (inner) => {
      const { runner: guardedRunner, guard } = guarded(inner, knex, resolved, telemetry);
      if (!inner.workers) poolGuard = guard;
      return guardedRunner;
    },
    {
    schemas: [...new Set(exposed.tables.map((table) => table.table.schema))],
    // One better-sqlite3 worker process per call that may run at once.
    workers: (resolved.concurrency && resolved.concurrency.maxConcurrent) || SQLITE_WORKERS_DEFAULT,
    warn: (message) => resolved.logger.warn(message),
    },
  );
  if (runner.mariadb) system = 'mariadb';
  const executor = new Executor(knex, dialect, runner, resolved.timeZone, resolved.maxValueChars);
  const writer = exposed.tables.some((table) => table.access.insert || table.access.update || table.access.delete)
    ? await createWriter(knex, dialect, model, exposed, executor, resolved, telemetry, poolGuard)
    : undefined;
  const auditor = createAuditorFor(resolved);
  const values = resolved.audit ? resolved.audit.values : undefined;
  const conexor = new CompiledConexor(model, exposed, catalog, executor, runner, resolved, auditor, values, telemetry, writer);
  attachTelemetry(conexor, telemetry);
  return conexor;
}

/**
 * Creates an MCP server whose tools are generated from the database behind `knex`.
 * Equivalent to `(await createConexor(knex, options)).createServer()`.
 *
 * @example
 * const server = await createConexorServer(knex, { tables: { exclude: ['secrets'] } });
 * await server.connect(transport);
 */
export async function createConexorServer(knex: Knex, options?: ConexorOptions): Promise<McpServer> {
  return (await createConexor(knex, options)).createServer();
}

class CompiledConexor implements Conexor {
  readonly tools: readonly Tool[];
  readonly logger: Logger;
  private readonly pipeline: CallPipeline;

  constructor(
    readonly model: DatabaseModel,
    readonly exposed: ExposedSchema,
    private readonly catalog: ToolCatalog,
    executor: Executor,
    private readonly runner: ClosableRunner,
    private readonly options: ResolvedOptions,
    private readonly auditor: Auditor | undefined,
    values: AuditValues | undefined,
    private readonly telemetry: Telemetry,
    writer?: WriteExecutor,
  ) {
    this.logger = options.logger;
    this.pipeline = new CallPipeline(exposed, catalog, executor, options, auditor && ((event) => auditor.record(event)), values, writer);
    this.tools = this.pipeline.baseTools;
  }

  createServer(): McpServer {
    // Instructions come with `initialize`, per caller (see serveTools).
    const server = new McpServer(
      { name: this.options.serverInfo.name, version: this.options.serverInfo.version },
      { capabilities: { tools: { listChanged: true } } },
    );
    const contextOf = (extra: HandlerExtra): RequestContext => requestContext(extra, server);
    serveTools(server, {
      list: (extra) => this.telemetry.toolList({ sessionId: extra.sessionId }, () => this.pipeline.list(contextOf(extra))),
      instructions: (extra) => this.pipeline.instructions(contextOf(extra)),
      owns: this.owns,
      call: (name, args, extra, host) => {
        const context = contextOf(extra);
        const tool = this.catalog.byName.get(name);
        // A name that is neither ours nor the host's is the client's text: telemetry never records it.
        const start = { tool: tool || host ? name : undefined, sessionId: extra.sessionId, meta: context.meta };
        return this.telemetry.toolCall(start, context, () => {
          if (tool) return this.pipeline.call(tool, args, context);
          return host ? this.pipeline.callHost(name, args, context, host) : this.pipeline.refuseUnknown(name, args, context);
        });
      },
    });
    registerSchemaResource(server, (extra) => this.pipeline.schema(contextOf(extra)));
    return server;
  }

  callTool(name: string, args?: Record<string, unknown>, context?: CallContext): Promise<CallToolResult> {
    const tool = this.catalog.byName.get(name);
    const request = directContext(context);
    return this.telemetry.toolCall({ tool: tool ? name : undefined, meta: request.meta }, request, () =>
      tool ? this.pipeline.call(tool, args, request) : this.pipeline.refuseUnknown(name, args, request),
    );
  }

  listTools(context?: CallContext): Promise<readonly Tool[]> {
    return this.pipeline.list(directContext(context));
  }

  hasTool(name: string): boolean {
    return this.catalog.byName.has(name);
  }

  get auditStats(): AuditStats | undefined {
    return this.auditor?.stats;
  }

  async close(): Promise<void> {
    try {
      await this.runner.close();
    } finally {
      await this.auditor?.close();
    }
  }

  private readonly owns = (name: string): boolean => this.catalog.byName.has(name);
}

function directContext(context: CallContext | undefined): RequestContext {
  return {
    ...(context?.authInfo ? { authInfo: context.authInfo } : {}),
    header: context?.header ?? NO_HEADERS,
    ...(context?.meta ? { meta: context.meta } : {}),
    ...(context?.client ? { client: context.client } : {}),
  };
}

/**
 * The writer: write calls run in read-write transactions on the host's Knex, behind a pool guard of their own;
 * foreign keys are checked against the exposed tables they point at.
 */
async function createWriter(
  knex: Knex,
  dialect: Dialect,
  model: DatabaseModel,
  exposed: ExposedSchema,
  executor: Executor,
  options: ResolvedOptions,
  telemetry: Telemetry,
  poolGuard: PoolGuard | undefined,
): Promise<WriteExecutor> {
  // The reads' guard when they run on the pool too; else (better-sqlite3 workers) one for the host's connection.
  const guard = options.concurrency === false ? undefined : (poolGuard ?? createPoolGuard(guardLimits(knex, options, undefined, telemetry)));
  const runner = await createWriteRunner(knex, dialect, options.statementTimeoutMs, guard ? (work) => guard.run(work) : undefined);
  return new WriteExecutor(knex, dialect, runner, executor, scopedLinks(model, exposed, options.scope?.columns ?? []), options.timeZone);
}

/**
 * Asks the user through MCP elicitation, when the client declared it can: `true` only for an accepted answer
 * within the time limit. A client that cannot be asked gets no `confirm`.
 */
function confirmer(server: McpServer): RequestContext['confirm'] {
  if (!server.server.getClientCapabilities()?.elicitation) return undefined;
  return async (message, timeoutMs) => {
    try {
      const answer = await server.server.elicitInput(
        { message, requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean', title: 'Apply this change', default: false } }, required: ['confirm'] } },
        { timeout: timeoutMs },
      );
      return answer.action === 'accept' && answer.content?.confirm === true;
    } catch {
      // Unanswered in time, or the client failed: nothing is changed.
      return false;
    }
  };
}

/** What a request handler knows about its caller, as a {@link RequestContext}. */
function requestContext(extra: HandlerExtra, server: McpServer): RequestContext {
  const headers = extra.requestInfo?.headers ?? {};
  const client = server.server.getClientVersion();
  const confirm = confirmer(server);
  return {
    ...(confirm ? { confirm } : {}),
    ...(extra.authInfo ? { authInfo: extra.authInfo } : {}),
    header: (name) => {
      const value = headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    ...(extra._meta ? { meta: extra._meta as Record<string, unknown> } : {}),
    ...(client ? { client: { name: client.name, version: client.version } } : {}),
  };
}

/**
 * The read-only runner behind the pool guard, sized by default to the Knex pool so calls fail fast, not queue in
 * Knex; or, on better-sqlite3, to its worker processes, which then run the calls instead of the pool's connection.
 */
function guarded(runner: ReadOnlyRunner, knex: Knex, options: ResolvedOptions, telemetry: Telemetry): { runner: ReadOnlyRunner; guard?: PoolGuard } {
  if (options.concurrency === false) return { runner };
  const guard = createPoolGuard(guardLimits(knex, options, runner.workers, telemetry));
  return { runner: { run: (work, signal) => guard.run(() => runner.run(work, signal)), ...(runner.workers ? { workers: runner.workers } : {}) }, guard };
}

/** The pool guard's limits: the host's, else sized to the worker processes or the Knex pool. */
function guardLimits(knex: Knex, options: ResolvedOptions, workers: number | undefined, telemetry: Telemetry): Parameters<typeof createPoolGuard>[0] {
  const poolMax = (knex.client as { pool?: { max?: number } }).pool?.max ?? (knex.client.config as { pool?: { max?: number } }).pool?.max;
  const concurrency = options.concurrency || undefined;
  return {
    maxConcurrent:
      concurrency?.maxConcurrent ?? workers ?? Math.max(1, Math.min(POOL_GUARD_DEFAULTS.maxConcurrent, poolMax ?? POOL_GUARD_DEFAULTS.maxConcurrent)),
    ...(concurrency?.maxQueued !== undefined ? { maxQueued: concurrency.maxQueued } : {}),
    ...(concurrency?.queueTimeoutMs !== undefined ? { queueTimeoutMs: concurrency.queueTimeoutMs } : {}),
    onRefused: (reason) => telemetry.limitRejected(reason),
  };
}

/** The auditor for the options: the host's sinks, or by default one pino sink on the logger. */
function createAuditorFor(options: ResolvedOptions): Auditor | undefined {
  if (options.audit === false) return undefined;
  const { sinks, ...rest } = options.audit ?? {};
  delete rest.values;
  if (!sinks && options.silent) return undefined;
  return createAuditor({ logger: options.logger, ...rest, sinks: sinks ?? [pinoSink(options.logger)] });
}
