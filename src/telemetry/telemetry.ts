/**
 * OpenTelemetry for conexor, through `@opentelemetry/api` only: nothing is recorded until the host registers an SDK
 * (or passes its providers in the `telemetry` option). Names follow the semantic conventions for MCP
 * (`mcp.method.name`, `gen_ai.tool.name`, `mcp.server.operation.duration`) and databases (`db.system.name`,
 * `db.collection.name`, `db.operation.name`). Spans and metrics carry names, codes and counts only — never argument
 * values, SQL, rows, keys, tokens or connection strings. docs/observability.md lists everything emitted.
 * @module
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  metrics,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Link,
  type Meter,
  type MeterProvider,
  type Span,
  type TextMapGetter,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

/** Every attribute name conexor emits, in one place (docs/observability.md has the table). */
export const ATTRIBUTES = {
  mcpMethod: 'mcp.method.name',
  mcpSession: 'mcp.session.id',
  toolName: 'gen_ai.tool.name',
  genAiOperation: 'gen_ai.operation.name',
  dbSystem: 'db.system.name',
  dbCollection: 'db.collection.name',
  dbOperation: 'db.operation.name',
  errorType: 'error.type',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  /** The audit event's `operation`: query, lookup, count, aggregate, search, host… */
  operation: 'conexor.operation',
  /** The audit event's `rowCount` (spans only). */
  rowCount: 'conexor.row_count',
  /** The audit event's `truncated` (spans only). */
  truncated: 'conexor.truncated',
  limitReason: 'conexor.limit.reason',
} as const;

/** Every metric conexor emits (meter `conexor`). */
export const METRICS = {
  duration: 'mcp.server.operation.duration',
  calls: 'conexor.tool.calls',
  errors: 'conexor.tool.errors',
  rows: 'conexor.tool.rows',
  rejections: 'conexor.limit.rejections',
} as const;

/** `db.system.name` values: MariaDB is told apart from MySQL by its version string. */
export type DbSystem = 'postgresql' | 'mysql' | 'mariadb' | 'sqlite';

/**
 * Why a request or call was refused by a limit: the per-key `rate` or `concurrency` of an HTTP mount (429), its
 * open `sessions` (`maxSessions` 503, `maxSessionsPerKey` 429), or the instance's query queue, `queue_full` or
 * `queue_timeout` (the `concurrency` option).
 */
export type LimitReason = 'rate' | 'concurrency' | 'sessions' | 'queue_full' | 'queue_timeout';

/** The host's OpenTelemetry providers; a missing one falls back to the global one the host registered. */
export interface TelemetryProviders {
  readonly tracerProvider?: TracerProvider;
  readonly meterProvider?: MeterProvider;
}

/** What the call pipeline knows when a call ends: its audit event's facts, never its arguments. */
export interface CallFacts {
  readonly table: string | null;
  readonly operation: string | null;
  readonly errorCode: string | null;
  readonly rowCount: number | null;
  readonly truncated: boolean | null;
}

/** What is known of a `tools/call` or `tools/list` request before it runs. */
export interface RequestStart {
  /**
   * The tool's name — a generated or a host tool; `undefined` for a name that is neither, which is the client's
   * own text (it may hold anything, even a key) and is never recorded.
   */
  readonly tool?: string | undefined;
  readonly sessionId?: string | undefined;
  /** The request's `_meta`, where a client may propagate its trace context (`traceparent`, `tracestate`). */
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
}

/** The span of one HTTP request to the MCP endpoint. */
export interface HttpRequestSpan {
  /** Runs the request's work with its span active, so the tool spans it leads to are its children. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Ends the span with the status sent (`undefined`: none was, the client left first). Only the first call counts. */
  end(status: number | undefined): void;
  /** Whether anything records the span: when not, an adapter need not watch the response's end. */
  readonly recording: boolean;
}

/** conexor's tracer and meter, and the spans and metrics it records with them. */
export interface Telemetry {
  /**
   * Runs one `tools/call` in its span and records its metrics. `key` is the call's request context: the pipeline
   * reports the call's facts with {@link reportCall} under the same key, once, whatever the outcome.
   */
  toolCall<T extends { isError?: boolean }>(start: RequestStart, key: object, run: () => Promise<T>): Promise<T>;
  /** Runs one `tools/list` in its span and records its duration. */
  toolList<T>(start: RequestStart, run: () => Promise<T>): Promise<T>;
  /** Starts the span of one HTTP request to the MCP endpoint. */
  httpRequest(method: string, path: string): HttpRequestSpan;
  /** Counts a request or call refused by a limit. */
  limitRejected(reason: LimitReason): void;
}

// The MCP semantic conventions' advice for mcp.server.operation.duration, in seconds.
const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** `db.operation.name` per audit operation: every read is a SELECT; writes map to their statement. */
const DB_OPERATIONS: Readonly<Record<string, string>> = {
  query: 'SELECT',
  lookup: 'SELECT',
  count: 'SELECT',
  aggregate: 'SELECT',
  insert: 'INSERT',
  update: 'UPDATE',
  delete: 'DELETE',
};

/** Calls running now, by request context: where {@link reportCall} leaves the facts for the call's span. */
const running = new WeakMap<object, { facts?: CallFacts }>();

/**
 * Called by the call pipeline where it builds the call's audit event, so every call path is observed exactly once
 * and with the same facts as its audit record. Does nothing for a call that no {@link Telemetry.toolCall} runs.
 */
export function reportCall(key: object, facts: CallFacts): void {
  const state = running.get(key);
  if (state) state.facts = facts;
}

/**
 * conexor's telemetry: `false` records nothing; otherwise the given providers, or the global ones (a no-op until
 * the host registers an SDK, followed when it does). `dbSystem` is read when a call ends (MariaDB is known after
 * connecting).
 */
export function createTelemetry(providers: TelemetryProviders | false | undefined, version: string, dbSystem: () => DbSystem | undefined): Telemetry {
  if (providers === false) return NO_TELEMETRY;
  // The global tracer provider is a proxy that follows a later registration; the global meter provider is not, so
  // the instruments are taken again when the registered provider changes.
  const tracer = (providers?.tracerProvider ?? trace.getTracerProvider()).getTracer('conexor', version);
  const given = providers?.meterProvider;
  let source: MeterProvider | undefined;
  let instruments: Instruments | undefined;
  const current = (): Instruments => {
    const provider = given ?? metrics.getMeterProvider();
    if (provider !== source || !instruments) {
      source = provider;
      instruments = createInstruments(provider.getMeter('conexor', version));
    }
    return instruments;
  };
  return new OtelTelemetry(tracer, current, dbSystem);
}

function createInstruments(meter: Meter): Instruments {
  return {
    duration: meter.createHistogram(METRICS.duration, {
      unit: 's',
      description: 'Duration of MCP requests conexor answered (tools/call, tools/list), from receipt to result.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    calls: meter.createCounter(METRICS.calls, { unit: '{call}', description: 'Tool calls answered, whatever their outcome.' }),
    errors: meter.createCounter(METRICS.errors, { unit: '{call}', description: 'Tool calls that failed, by error.type (the conexor error code).' }),
    rows: meter.createHistogram(METRICS.rows, {
      unit: '{row}',
      description: 'Rows a tool call returned (query, lookup, aggregate groups) or counted (count), as its audit rowCount.',
      advice: { explicitBucketBoundaries: [0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 10_000, 100_000, 1_000_000] },
    }),
    rejections: meter.createCounter(METRICS.rejections, {
      unit: '{request}',
      description: 'Requests and calls refused by a limit, by conexor.limit.reason (rate, concurrency, sessions, queue_full, queue_timeout).',
    }),
  };
}

interface Instruments {
  readonly duration: Histogram;
  readonly calls: Counter;
  readonly errors: Counter;
  readonly rows: Histogram;
  readonly rejections: Counter;
}

class OtelTelemetry implements Telemetry {
  constructor(
    private readonly tracer: Tracer,
    private readonly metrics: () => Instruments,
    private readonly dbSystem: () => DbSystem | undefined,
  ) {}

  async toolCall<T extends { isError?: boolean }>(start: RequestStart, key: object, run: () => Promise<T>): Promise<T> {
    const began = performance.now();
    const base: Attributes = { [ATTRIBUTES.mcpMethod]: 'tools/call', [ATTRIBUTES.genAiOperation]: 'execute_tool' };
    if (start.tool !== undefined) base[ATTRIBUTES.toolName] = start.tool;
    const span = this.startSpan(start.tool === undefined ? 'tools/call' : `tools/call ${start.tool}`, base, start);
    const state: { facts?: CallFacts } = {};
    running.set(key, state);
    let result: T;
    try {
      result = await context.with(trace.setSpan(span.parent, span.span), run);
    } catch (error) {
      this.endCall(span.span, base, state.facts, state.facts?.errorCode ?? '_OTHER', began);
      throw error;
    } finally {
      running.delete(key);
    }
    // An error result the facts do not explain: the call ran, but its audit record could not be written.
    const failed = state.facts?.errorCode ?? (result.isError === true ? 'audit_failed' : undefined);
    this.endCall(span.span, base, state.facts, failed, began);
    return result;
  }

  async toolList<T>(start: RequestStart, run: () => Promise<T>): Promise<T> {
    const began = performance.now();
    const base: Attributes = { [ATTRIBUTES.mcpMethod]: 'tools/list' };
    const { span, parent } = this.startSpan('tools/list', base, start);
    let errorType: string | undefined;
    try {
      return await context.with(trace.setSpan(parent, span), run);
    } catch (error) {
      errorType = '_OTHER';
      throw error;
    } finally {
      const attributes = errorType ? { ...base, [ATTRIBUTES.errorType]: errorType } : base;
      this.metrics().duration.record(seconds(began), attributes);
      if (errorType) fail(span, errorType);
      span.end();
    }
  }

  httpRequest(method: string, path: string): HttpRequestSpan {
    const active = context.active();
    // Under the host's own HTTP server span (instrumentation-http, a framework's), ours is its child: one server
    // span per request in the trace, not two.
    const host = trace.getSpanContext(active);
    const nested = host !== undefined && isSpanContextValid(host) && host.isRemote !== true;
    const span = this.tracer.startSpan(
      method,
      { kind: nested ? SpanKind.INTERNAL : SpanKind.SERVER, attributes: { [ATTRIBUTES.httpMethod]: method, [ATTRIBUTES.urlPath]: path } },
      active,
    );
    const inside = trace.setSpan(active, span);
    let ended = false;
    return {
      recording: span.isRecording(),
      run: (work) => context.with(inside, work),
      end(status) {
        if (ended) return;
        ended = true;
        if (status !== undefined) {
          span.setAttribute(ATTRIBUTES.httpStatus, status);
          // HTTP conventions: a server span fails on 5xx only; a 4xx is the client's.
          if (status >= 500) fail(span, String(status));
        }
        span.end();
      },
    };
  }

  limitRejected(reason: LimitReason): void {
    this.metrics().rejections.add(1, { [ATTRIBUTES.limitReason]: reason });
  }

  /**
   * A server span, as the MCP conventions ask: its parent is the trace context the client propagated in `_meta`
   * when there is one (then the ambient context, e.g. the HTTP request's span, is linked), else the ambient context.
   */
  private startSpan(name: string, attributes: Attributes, start: RequestStart): { span: Span; parent: Context } {
    const active = context.active();
    let parent = active;
    const links: Link[] = [];
    if (typeof start.meta?.traceparent === 'string') {
      const extracted = propagation.extract(ROOT_CONTEXT, start.meta, META_GETTER);
      const remote = trace.getSpanContext(extracted);
      if (remote && isSpanContextValid(remote)) {
        parent = extracted;
        const ambient = trace.getSpanContext(active);
        if (ambient && isSpanContextValid(ambient)) links.push({ context: ambient });
      }
    }
    const all = start.sessionId !== undefined ? { ...attributes, [ATTRIBUTES.mcpSession]: start.sessionId } : attributes;
    return { span: this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: all, links }, parent), parent };
  }

  private endCall(span: Span, base: Attributes, facts: CallFacts | undefined, errorType: string | undefined, began: number): void {
    const attributes: Attributes = { ...base };
    if (facts?.operation) attributes[ATTRIBUTES.operation] = facts.operation;
    if (facts?.table) {
      const system = this.dbSystem();
      if (system) attributes[ATTRIBUTES.dbSystem] = system;
      attributes[ATTRIBUTES.dbCollection] = facts.table;
      const operation = facts.operation ? DB_OPERATIONS[facts.operation] : undefined;
      if (operation) attributes[ATTRIBUTES.dbOperation] = operation;
    }
    if (errorType) attributes[ATTRIBUTES.errorType] = errorType;
    // Metrics get only low-cardinality attributes: no session id, no counts.
    const instruments = this.metrics();
    instruments.duration.record(seconds(began), attributes);
    instruments.calls.add(1, attributes);
    if (errorType) instruments.errors.add(1, attributes);
    if (facts?.rowCount !== null && facts?.rowCount !== undefined) instruments.rows.record(facts.rowCount, attributes);
    span.setAttributes(attributes);
    if (facts?.rowCount !== null && facts?.rowCount !== undefined) span.setAttribute(ATTRIBUTES.rowCount, facts.rowCount);
    if (facts?.truncated !== null && facts?.truncated !== undefined) span.setAttribute(ATTRIBUTES.truncated, facts.truncated);
    if (errorType) fail(span, errorType);
    span.end();
  }
}

/** Reads `traceparent`, `tracestate` and `baggage` from `_meta`, unprefixed as the MCP conventions say; strings only. */
const META_GETTER: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/** ERROR status with the error code only: an error message may quote the caller's arguments. */
function fail(span: Span, errorType: string): void {
  span.setAttribute(ATTRIBUTES.errorType, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

/** `telemetry: false`: the work runs as is. */
const NO_TELEMETRY: Telemetry = {
  toolCall: (_start, _key, run) => run(),
  toolList: (_start, run) => run(),
  httpRequest: () => ({ recording: false, run: (work) => work(), end: () => undefined }),
  limitRejected: () => undefined,
};

/** Telemetry by conexor instance, for the HTTP mounts, which reach conexor through its public interface only. */
const attached = new WeakMap<object, Telemetry>();
let globalTelemetry: Telemetry | undefined;

/** Makes `telemetry` the one {@link telemetryOf} returns for `owner` (a conexor instance). */
export function attachTelemetry(owner: object, telemetry: Telemetry): void {
  attached.set(owner, telemetry);
}

/** The telemetry of a conexor instance; for one not made by `createConexor`, the global providers'. */
export function telemetryOf(owner: object): Telemetry {
  return attached.get(owner) ?? (globalTelemetry ??= createTelemetry(undefined, 'unknown', () => undefined));
}
