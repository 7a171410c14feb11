import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { ConfigurationError } from '../errors.js';
import type { AuditOptions } from '../audit/auditor.js';
import type { AuditSink, AuditValues } from '../audit/event.js';
import { closest } from '../shared/suggest.js';
import { isValidTimeZone } from '../shared/time.js';
import type { CallerIdentity, CallerPolicy, RequestContext, ScopeValue } from './caller.js';

/** Bounds on tool arguments. Every default is chosen so a hostile call stays cheap. */
export interface ArgumentLimits {
  /** Most filter conditions in one call, across all groups. @default 20 */
  maxConditions?: number;
  /** Longest `in` / `not_in` list. @default 100 */
  maxListLength?: number;
  /** Longest string value, in characters. @default 1000 */
  maxStringLength?: number;
  /** Deepest nesting of `or` / `and` / `not` groups and `has` filters. @default 5 */
  maxFilterDepth?: number;
  /** Largest `offset`. @default 100000 */
  maxOffset?: number;
  /** Most `group_by` keys in one aggregate call. @default 5 */
  maxGroupBy?: number;
  /** Most `metrics` in one aggregate call. @default 10 */
  maxMetrics?: number;
}

/**
 * What conexor exposes and how. Every field is optional; unknown fields are rejected at creation.
 * Table names in this object are the database's own names, optionally qualified as `schema.table`;
 * `tables.include` / `tables.exclude` also accept globs (`*`, `?`, `{a,b}`).
 */
export interface ConexorOptions {
  /** Schemas (PostgreSQL), databases (MySQL) or attached databases (SQLite) to read. @default the connection's current schema */
  schemas?: string[];
  /** Tables to expose. @default every table and view in `schemas` */
  tables?: {
    /** Only these tables (names or globs). */
    include?: string[];
    /** Never these tables (names or globs); wins over `include`. */
    exclude?: string[];
  };
  /** Expose views and materialized views. @default true */
  views?: boolean;
  /** Columns to hide, per table name; the key `*` applies to every table. A hidden column appears nowhere. */
  hiddenColumns?: Record<string, string[]>;
  /** Columns to expose although their names look secret (password, token, api_key, `*_hash`, salt…), per table name or `*`. */
  allowedColumns?: Record<string, string[]>;
  /** Hide columns whose names look secret unless listed in `allowedColumns`. @default true */
  hideSecretColumns?: boolean;
  /** Hard cap on rows one call returns; `limit` may not exceed it. @default 100 */
  maxRows?: number;
  /** Rows returned when a call gives no `limit`. @default 25 */
  defaultLimit?: number;
  /**
   * Largest tool result, in bytes of its text and its structured content together. Rows past it are left for the
   * next page (`truncated`, `next_offset`); a single row over it has its longest values cut further. The default
   * keeps a result well under the ~25k tokens Claude's clients accept for one tool result. @default 65536
   */
  maxResultBytes?: number;
  /**
   * Longest text, JSON or binary value a result carries, in characters (binary: bytes before base64). Longer values
   * are cut in the database — never read whole — and end with a marker giving their full size in bytes.
   * @default 4096
   */
  maxValueChars?: number;
  /** Server-side time limit for one statement, in milliseconds. @default 5000 */
  statementTimeoutMs?: number;
  /** Bounds on tool arguments. */
  limits?: ArgumentLimits;
  /**
   * IANA time zone in which relative times (`{"ago": …}`, `{"start_of": "month"}`) and time buckets are computed;
   * date-time columns without a zone are read as wall-clock time in it. @default 'UTC'
   */
  timeZone?: string;
  /** The server's clock, for relative times. @default () => new Date() */
  clock?: () => Date;
  /**
   * `aggregate_<table>` tools: `false` generates none; `{ exclude }` leaves out the listed tables (names or globs).
   * @default true
   */
  aggregates?: boolean | { exclude: string[] };
  /**
   * Which tools are listed, within a token budget (see docs/catalog.md). `typed`: tools per table only;
   * `compact`: the generic tools (`search_tables`, `query`, `count`, `aggregate` with a `table` argument) only;
   * `auto`: the tools per table when they all fit `budgetTokens` (an estimate of o200k tokens of `tools/list`), else
   * the generic tools plus the tools of the most useful tables that fit — `featured` first, in order. Never more
   * than 128 tools in `auto`. @default `{ mode: 'auto', budgetTokens: 10000 }`
   */
  catalog?: CatalogOptions;
  /** Relations through declared foreign keys: related fields (`customer.name`) and `has` filters. @default true */
  relations?: boolean;
  /** Name and version the MCP server reports. @default { name: 'conexor', version: <package version> } */
  serverInfo?: { name?: string; version?: string };
  /** Extra text appended to the server instructions sent to clients. */
  instructions?: string;
  /**
   * What the model should know about a table or column, in the host's words, e.g.
   * `{ customer: 'People who rent films', 'customer.active': '1 = active, 0 = closed' }`. A description replaces the
   * table's or column's catalog comment in tool descriptions (cut to 200 characters there) and in the
   * `conexor://schema` resource; at most 1000 characters each.
   *
   * A key is a table (`customer`, or `schema.table`), or a column (`table.column`, or `schema.table.column`). A key
   * `a.b` names column `b` of table `a` when `a` is an exposed table with a visible column `b`, and table `b` of
   * schema `a` otherwise; a key matching neither may still be the whole name of a table with dots in it. An
   * unqualified table name applies to that table in every schema, and a qualified key wins over it. A key naming a table or column that does not exist or that policy does not expose (excluded tables,
   * hidden and scoping columns) fails creation with a {@link ConfigurationError}.
   */
  describe?: Record<string, string>;
  /**
   * Where conexor logs what the model is not told: the underlying cause of a failed call.
   * @default pino on stderr (stdout belongs to the stdio transport) at level `warn`, or `CONEXOR_LOG_LEVEL`
   * (`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`; `silent` also drops the default audit sink)
   */
  logger?: Logger;
  /**
   * Restrictions for the caller of each call (e.g. from `context.authInfo`): tables, tools, max rows. They narrow the
   * base policy, never widen it, and combine with a policy stored on the API key itself. Tools a caller may not use
   * are not listed for it.
   */
  callerPolicy?: (context: RequestContext) => CallerPolicy | undefined | Promise<CallerPolicy | undefined>;
  /**
   * Row scoping (tenancy): columns that every query and count on a table having them is filtered on, with values
   * taken from the caller. The columns are invisible to the model and cannot be set by arguments; a call whose
   * context lacks a value is denied.
   */
  scope?: {
    /** Scoping column names, e.g. `['tenant_id']`; each must exist in at least one exposed table. */
    columns: string[];
    /** The values for one call, e.g. `({ authInfo }) => ({ tenant_id: authInfo?.extra?.tenantId })`. */
    values: (context: RequestContext) => Record<string, ScopeValue | null | undefined> | Promise<Record<string, ScopeValue | null | undefined>>;
    /** Return the scoping columns in results (they stay unfilterable). @default false */
    visible?: boolean;
  };
  /**
   * The instance-wide limit on calls running against the database at once, in front of the Knex pool: beyond it
   * calls wait in a bounded queue, and a full queue or a long wait fails fast with a retryable error.
   * `false` turns it off. @default `{ maxConcurrent: min(8, pool.max), maxQueued: 100, queueTimeoutMs: 2000 }`
   */
  concurrency?: { maxConcurrent?: number; maxQueued?: number; queueTimeoutMs?: number } | false;
  /**
   * The audit trail: one event per tool call, whatever the outcome. `false` turns it off.
   * @default `{ sinks: [pinoSink(logger)], mode: 'sync', onFailure: 'deny', values: 'clear' }`
   */
  audit?: (Omit<AuditOptions, 'sinks'> & { sinks?: readonly AuditSink[]; values?: AuditValues }) | false;
  /** The end user and model behind a call, for the audit trail. */
  identify?: (context: RequestContext) => CallerIdentity | Promise<CallerIdentity>;
  /**
   * "Allow All Queries": write tools (insert, update, delete) on base tables. Off by default: every tool is read-only
   * and runs in a read-only database session. `true` allows every operation on every exposed table; an object narrows
   * it. Read tools keep their read-only session when writes are on; callers with `readOnly: true` get no write tool.
   * See docs/writes.md. @default false
   */
  writes?: boolean | WriteOptions;
  /**
   * OpenTelemetry spans and metrics (see docs/observability.md). By default conexor uses the global providers the
   * host registered (a no-op without an SDK); pass providers to use others, or `false` to record nothing.
   * @default the global providers of `@opentelemetry/api`
   */
  telemetry?: { tracerProvider?: TracerProvider; meterProvider?: MeterProvider } | false;
}

/** Which writes are allowed and how they are bounded; see {@link ConexorOptions.writes}. */
export interface WriteOptions {
  /** Tables that take writes (names, `schema.table` or globs; `!pattern` excludes). @default every exposed table */
  tables?: string[];
  /** Operations allowed. @default ['insert', 'update', 'delete'] */
  operations?: ('insert' | 'update' | 'delete')[];
  /** Most rows one `insert_<table>` call may insert. @default 100 */
  maxInsertRows?: number;
  /** Largest `max_affected` a filtered update or delete may give. @default 1000 */
  maxAffected?: number;
  /**
   * A destructive call (update, delete) that would change more rows than this asks the user to confirm through MCP
   * elicitation first, when the client supports it; declined or unanswered, nothing changes. @default 1
   */
  confirmAbove?: number;
  /** How long a confirmation request waits for the user's answer, in milliseconds. @default 120000 */
  confirmTimeoutMs?: number;
}

/** How the tool listing is chosen; see {@link ConexorOptions.catalog}. */
export interface CatalogOptions {
  /** @default 'auto' */
  mode?: 'auto' | 'typed' | 'compact';
  /** Estimated o200k tokens the listing may take in `auto`. @default 10000 */
  budgetTokens?: number;
  /** Tables whose tools `auto` lists first, in this order (names or `schema.table`). */
  featured?: string[];
}

const nameList = z.array(z.string().min(1)).max(10_000);
/** Longest host description of a table or column, in characters. */
const MAX_DESCRIPTION = 1_000;
const columnMap = z.record(z.string().min(1), nameList);
const positiveInt = (max: number) => z.number().int().min(1).max(max);

const writesSchema = z.strictObject({
  tables: nameList.min(1).optional(),
  operations: z.array(z.enum(['insert', 'update', 'delete'])).min(1).optional(),
  maxInsertRows: positiveInt(10_000).optional(),
  maxAffected: positiveInt(1_000_000).optional(),
  confirmAbove: z.number().int().min(0).max(1_000_000).optional(),
  confirmTimeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
});

const optionsObject = z.strictObject({
    schemas: z.array(z.string().min(1)).min(1).max(100).optional(),
    tables: z.strictObject({ include: nameList.optional(), exclude: nameList.optional() }).optional(),
    views: z.boolean().optional(),
    hiddenColumns: columnMap.optional(),
    allowedColumns: columnMap.optional(),
    hideSecretColumns: z.boolean().optional(),
    maxRows: positiveInt(10_000).optional(),
    defaultLimit: positiveInt(10_000).optional(),
    maxResultBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).optional(),
    maxValueChars: z.number().int().min(16).max(16 * 1024 * 1024).optional(),
    statementTimeoutMs: z.number().int().min(10).max(600_000).optional(),
    limits: z
      .strictObject({
        maxConditions: positiveInt(1_000).optional(),
        maxListLength: positiveInt(10_000).optional(),
        maxStringLength: positiveInt(1_000_000).optional(),
        maxFilterDepth: positiveInt(10).optional(),
        maxOffset: z.number().int().min(0).max(1_000_000_000).optional(),
        maxGroupBy: positiveInt(20).optional(),
        maxMetrics: positiveInt(50).optional(),
      })
      .optional(),
    timeZone: z.string().refine(isValidTimeZone, 'expected an IANA time zone such as "UTC" or "Europe/Paris"').optional(),
    clock: z.custom<() => Date>((value) => typeof value === 'function', 'expected a function returning a Date').optional(),
    aggregates: z.union([z.boolean(), z.strictObject({ exclude: nameList })]).optional(),
    catalog: z
      .strictObject({
        mode: z.enum(['auto', 'typed', 'compact']).optional(),
        budgetTokens: z.number().int().min(1_000).max(1_000_000).optional(),
        featured: z.array(z.string().min(1)).max(1_000).optional(),
      })
      .optional(),
    relations: z.boolean().optional(),
    serverInfo: z.strictObject({ name: z.string().min(1).optional(), version: z.string().min(1).optional() }).optional(),
    instructions: z.string().max(10_000).optional(),
    describe: z
      .record(
        z.string().min(1),
        z
          .string()
          .min(1, 'a description must not be empty')
          .max(MAX_DESCRIPTION, `a description is at most ${MAX_DESCRIPTION} characters`),
      )
      .optional(),
    callerPolicy: z.custom<NonNullable<ConexorOptions['callerPolicy']>>((value) => typeof value === 'function', 'expected a function').optional(),
    scope: z
      .strictObject({
        columns: z.array(z.string().min(1)).min(1).max(20),
        values: z.custom<NonNullable<ConexorOptions['scope']>['values']>((value) => typeof value === 'function', 'expected a function'),
        visible: z.boolean().optional(),
      })
      .optional(),
    concurrency: z
      .union([
        z.literal(false),
        z.strictObject({
          maxConcurrent: z.number().int().min(1).max(10_000).optional(),
          maxQueued: z.number().int().min(0).max(1_000_000).optional(),
          queueTimeoutMs: z.number().int().min(0).max(600_000).optional(),
        }),
      ])
      .optional(),
    audit: z
      .union([
        z.literal(false),
        z.looseObject({
          sinks: z.array(z.custom<AuditSink>((value) => typeof (value as Partial<AuditSink> | null)?.write === 'function', 'expected an audit sink')).min(1).optional(),
          values: z.enum(['clear', 'hash', 'redact']).optional(),
        }),
      ])
      .optional(),
    identify: z.custom<NonNullable<ConexorOptions['identify']>>((value) => typeof value === 'function', 'expected a function').optional(),
    writes: z.union([z.boolean(), writesSchema]).optional(),
    // Checked by hand: a union would report a wrong provider as "Invalid input" instead of naming it.
    telemetry: z.unknown().superRefine(checkTelemetry).optional(),
    logger: z
      .custom<Logger>((value) => typeof (value as Partial<Logger> | null)?.warn === 'function', 'expected a pino logger')
      .optional(),
});
const optionsSchema = optionsObject.optional();

/**
 * The options a JSON file can hold (no functions, loggers or sinks), validated by the library's own rules: the CLI's
 * `--config` file is checked against it.
 */
export const jsonOptionsSchema = optionsObject.pick({
  schemas: true,
  tables: true,
  views: true,
  hiddenColumns: true,
  allowedColumns: true,
  hideSecretColumns: true,
  maxRows: true,
  defaultLimit: true,
  maxResultBytes: true,
  maxValueChars: true,
  statementTimeoutMs: true,
  limits: true,
  timeZone: true,
  aggregates: true,
  catalog: true,
  relations: true,
  writes: true,
  serverInfo: true,
  instructions: true,
  describe: true,
  concurrency: true,
});

/** {@link ConexorOptions} that JSON can express. */
export type JsonOptions = z.infer<typeof jsonOptionsSchema>;

/**
 * One line per problem zod found in `value` checked against `schema`: `path: message`. An unknown key gets the close
 * known keys at its place (`tables.exlude: unknown key; did you mean "exclude"?`); a union reports the problems of the
 * branch the value was meant for (an object for an object branch) rather than zod's bare "Invalid input".
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, prefix: readonly PropertyKey[] = []): string[] {
  // A required key spelled wrong is reported once, as the unknown key, not also as missing.
  const suggested = new Set(
    issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.flatMap((key) => {
            const here = schemaAt(schema, issue.path);
            return closest(key, here ? keysOf(here) : []).map((name) => pathText([...issue.path, name]));
          })
        : [],
    ),
  );
  const wanted = issues.filter((issue) => !(issue.code === 'invalid_type' && issue.input === undefined && suggested.has(pathText(issue.path))));
  return wanted.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    const here = schemaAt(schema, issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = here ? keysOf(here) : [];
      return issue.keys.map((key) => {
        const close = closest(key, known);
        const hint = close.length ? `; did you mean ${close.map((name) => `"${name}"`).join(' or ')}?` : known.length ? `; known keys: ${known.join(', ')}` : '';
        return `${pathText([...path, key])}: unknown key${hint}`;
      });
    }
    if (issue.code === 'invalid_union') {
      const branches = here ? unionOptions(here) : [];
      // The branch that got past the type check is the one the value was written for.
      const meant = issue.errors.findIndex((errors) => !errors.every((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
      const branch = branches[meant];
      if (meant >= 0 && branch) return describeIssues(issue.errors[meant] ?? [], branch, path);
      const expected = issue.errors.flatMap((errors) => errors.map((inner) => (inner.code === 'invalid_type' ? inner.expected : null)));
      if (expected.every((name) => name !== null)) return [`${pathText(path)}: expected ${[...new Set(expected)].join(' or ')}`];
    }
    return [`${pathText(path)}: ${issue.message}`];
  });
}

function pathText(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : 'options';
}

/** The schema at `path` inside `schema`, through optional wrappers, objects, records, arrays and unions. */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (!current) return undefined;
    current = unwrap(childOf(current, segment));
  }
  return current;
}

function childOf(schema: z.ZodType, segment: PropertyKey): z.ZodType | undefined {
  if (schema instanceof z.ZodObject) return (schema.shape as Record<string, z.ZodType>)[String(segment)];
  if (schema instanceof z.ZodRecord) return schema.valueType as z.ZodType;
  if (schema instanceof z.ZodArray) return schema.element as z.ZodType;
  if (schema instanceof z.ZodUnion) {
    for (const option of schema.options as readonly z.ZodType[]) {
      const child = childOf(unwrap(option) ?? option, segment);
      if (child) return child;
    }
  }
  return undefined;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
  return current;
}

function unionOptions(schema: z.ZodType): readonly z.ZodType[] {
  return schema instanceof z.ZodUnion ? (schema.options as readonly z.ZodType[]) : [];
}

function keysOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  return unionOptions(schema).flatMap((option) => {
    const inner = unwrap(option);
    return inner ? keysOf(inner) : [];
  });
}

/** `telemetry`: `false`, or providers that have `getTracer` / `getMeter`. */
function checkTelemetry(value: unknown, context: z.RefinementCtx): void {
  if (value === false || value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    context.addIssue({ code: 'custom', message: 'expected false or { tracerProvider?, meterProvider? }' });
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'tracerProvider' && key !== 'meterProvider') context.addIssue({ code: 'custom', path: [key], message: 'unknown option; expected tracerProvider or meterProvider' });
  }
  const has = (key: string, method: string) => {
    const provider = record[key] as Record<string, unknown> | null | undefined;
    return provider === undefined || typeof provider?.[method] === 'function';
  };
  if (!has('tracerProvider', 'getTracer')) context.addIssue({ code: 'custom', path: ['tracerProvider'], message: 'expected an OpenTelemetry TracerProvider (with getTracer)' });
  if (!has('meterProvider', 'getMeter')) context.addIssue({ code: 'custom', path: ['meterProvider'], message: 'expected an OpenTelemetry MeterProvider (with getMeter)' });
}

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly schemas: readonly string[] | undefined;
  readonly include: readonly string[] | undefined;
  readonly exclude: readonly string[];
  readonly views: boolean;
  readonly hiddenColumns: Readonly<Record<string, readonly string[]>>;
  readonly allowedColumns: Readonly<Record<string, readonly string[]>>;
  readonly hideSecretColumns: boolean;
  readonly maxRows: number;
  readonly defaultLimit: number;
  readonly maxResultBytes: number;
  readonly maxValueChars: number;
  readonly statementTimeoutMs: number;
  readonly limits: Readonly<Required<ArgumentLimits>>;
  readonly timeZone: string;
  readonly clock: () => Date;
  /** Tables without an aggregate tool (names or globs); `true` for none at all. */
  readonly aggregatesExcluded: readonly string[] | true;
  readonly catalog: { readonly mode: 'auto' | 'typed' | 'compact'; readonly budgetTokens: number; readonly featured: readonly string[] };
  readonly relations: boolean;
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly instructions: string | undefined;
  /** Host descriptions by key (`table`, `schema.table`, `table.column`, `schema.table.column`). */
  readonly describe: Readonly<Record<string, string>>;
  readonly logger: Logger;
  readonly callerPolicy: ConexorOptions['callerPolicy'];
  readonly scope: { readonly columns: readonly string[]; readonly values: NonNullable<ConexorOptions['scope']>['values']; readonly visible: boolean } | undefined;
  readonly identify: ConexorOptions['identify'];
  readonly concurrency: ConexorOptions['concurrency'];
  readonly audit: ConexorOptions['audit'];
  /** Writes allowed, with defaults applied; `undefined` when writes are off. */
  readonly writes: ResolvedWrites | undefined;
  /** The host's providers (missing ones: the global ones), or `false` for no telemetry. */
  readonly telemetry: NonNullable<ConexorOptions['telemetry']>;
  /** Whether the default logger was silenced with `CONEXOR_LOG_LEVEL=silent` (tests). */
  readonly silent: boolean;
}

/** {@link WriteOptions} with every default applied. */
export interface ResolvedWrites {
  /** Table patterns; `undefined` for every exposed table. */
  readonly tables: readonly string[] | undefined;
  readonly operations: ReadonlySet<'insert' | 'update' | 'delete'>;
  readonly maxInsertRows: number;
  readonly maxAffected: number;
  readonly confirmAbove: number;
  readonly confirmTimeoutMs: number;
}

export const DEFAULTS = {
  views: true,
  hideSecretColumns: true,
  maxRows: 100,
  defaultLimit: 25,
  maxResultBytes: 65_536,
  maxValueChars: 4_096,
  statementTimeoutMs: 5_000,
  limits: { maxConditions: 20, maxListLength: 100, maxStringLength: 1_000, maxFilterDepth: 5, maxOffset: 100_000, maxGroupBy: 5, maxMetrics: 10 },
  timeZone: 'UTC',
  catalog: { mode: 'auto', budgetTokens: 10_000 },
  writes: { maxInsertRows: 100, maxAffected: 1_000, confirmAbove: 1, confirmTimeoutMs: 120_000 },
} as const;

/** Levels `CONEXOR_LOG_LEVEL` may set on the default logger; anything else leaves it at `warn`. */
const DEFAULT_LOGGER_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Validates options and applies defaults; throws {@link ConfigurationError} naming the first mistakes. */
export function resolveOptions(options: ConexorOptions | undefined, packageVersion: string): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error.issues, optionsObject);
    throw new ConfigurationError(`Invalid conexor options: ${problems.join('; ')}`);
  }
  const value = parsed.data ?? {};
  // Test suites silence the default logger (and with it the default audit sink); a host's own logger is never touched.
  const silent = process.env.CONEXOR_LOG_LEVEL === 'silent';
  const level = DEFAULT_LOGGER_LEVELS.find((name) => name === process.env.CONEXOR_LOG_LEVEL) ?? 'warn';
  const maxRows = value.maxRows ?? DEFAULTS.maxRows;
  const defaultLimit = value.defaultLimit ?? Math.min(DEFAULTS.defaultLimit, maxRows);
  if (defaultLimit > maxRows) {
    throw new ConfigurationError(`Invalid conexor options: defaultLimit (${defaultLimit}) exceeds maxRows (${maxRows})`);
  }
  const maxResultBytes = value.maxResultBytes ?? DEFAULTS.maxResultBytes;
  const maxValueChars = value.maxValueChars ?? Math.min(DEFAULTS.maxValueChars, Math.floor(maxResultBytes / 4));
  if (maxValueChars > maxResultBytes) {
    throw new ConfigurationError(`Invalid conexor options: maxValueChars (${maxValueChars}) exceeds maxResultBytes (${maxResultBytes}); one value must fit in a result`);
  }
  return {
    schemas: value.schemas,
    include: value.tables?.include,
    exclude: value.tables?.exclude ?? [],
    views: value.views ?? DEFAULTS.views,
    hiddenColumns: value.hiddenColumns ?? {},
    allowedColumns: value.allowedColumns ?? {},
    hideSecretColumns: value.hideSecretColumns ?? DEFAULTS.hideSecretColumns,
    maxRows,
    defaultLimit,
    maxResultBytes,
    maxValueChars,
    statementTimeoutMs: value.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs,
    limits: { ...DEFAULTS.limits, ...value.limits },
    timeZone: value.timeZone ?? DEFAULTS.timeZone,
    clock: value.clock ?? (() => new Date()),
    aggregatesExcluded: value.aggregates === false ? true : value.aggregates === true || value.aggregates === undefined ? [] : value.aggregates.exclude,
    catalog: {
      mode: value.catalog?.mode ?? DEFAULTS.catalog.mode,
      budgetTokens: value.catalog?.budgetTokens ?? DEFAULTS.catalog.budgetTokens,
      featured: value.catalog?.featured ?? [],
    },
    relations: value.relations ?? true,
    serverInfo: { name: value.serverInfo?.name ?? 'conexor', version: value.serverInfo?.version ?? packageVersion },
    instructions: value.instructions,
    describe: value.describe ?? {},
    logger: value.logger ?? pino({ name: 'conexor', level }, pino.destination(2)),
    callerPolicy: value.callerPolicy,
    scope: value.scope && { columns: value.scope.columns, values: value.scope.values, visible: value.scope.visible ?? false },
    identify: value.identify,
    concurrency: value.concurrency,
    audit: value.audit as ConexorOptions['audit'],
    writes: resolveWrites(value.writes),
    telemetry: (value.telemetry as ConexorOptions['telemetry']) ?? {},
    silent,
  };
}

function resolveWrites(writes: boolean | WriteOptions | undefined): ResolvedWrites | undefined {
  if (writes === undefined || writes === false) return undefined;
  const given = writes === true ? {} : writes;
  return {
    tables: given.tables,
    operations: new Set(given.operations ?? ['insert', 'update', 'delete']),
    maxInsertRows: given.maxInsertRows ?? DEFAULTS.writes.maxInsertRows,
    maxAffected: given.maxAffected ?? DEFAULTS.writes.maxAffected,
    confirmAbove: given.confirmAbove ?? DEFAULTS.writes.confirmAbove,
    confirmTimeoutMs: given.confirmTimeoutMs ?? DEFAULTS.writes.confirmTimeoutMs,
  };
}
