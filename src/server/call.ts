import { randomUUID } from 'node:crypto';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AuditEvent, AuditOutcome } from '../audit/event.js';
import { ConexorError, DeniedError, InvalidArgumentsError } from '../errors.js';
import { toQueryError } from '../execute/errors.js';
import type { Executor, Row, ScopeResolver, ValueRange } from '../execute/execute.js';
import type { Confirm, WriteExecutor, WriteOutcome } from '../execute/write.js';
import type { ColumnModel } from '../introspect/model.js';
import { policyCache, policyOfKey, type EffectivePolicy, type RequestContext } from '../policy/caller.js';
import type { ResolvedOptions } from '../policy/options.js';
import { redactArguments, redactKeys, redactUnknownArguments, type AuditValues, type RedactionSubject } from '../audit/redact.js';
import { withoutRelationsTo, type ExposedSchema, type ExposedTable } from '../policy/policy.js';
import { tableFinder, type TableEntry } from '../catalog/catalog.js';
import type { TableFields } from '../catalog/fields.js';
import { parseArguments } from '../plan/arguments.js';
import type { BoundTool } from '../plan/bound.js';
import { keyAliases, keyFields, type ReadKindSpec, type ToolKindSpec, type WriteKindSpec } from '../tools/kinds.js';
import { buildCatalog, selectTools, type Selection, type ToolCatalog, type ToolEntry, type TypedTool } from '../tools/listing.js';
import { fitRows, fitToBudget, toErrorResult, withDataRange } from '../tools/render.js';
import { explainEmpty } from './explain-empty.js';
import { searchTables, type SearchableTable } from '../tools/search.js';
import { closest } from '../shared/suggest.js';
import { serverInstructions } from './instructions.js';
import { schemaDocument } from './schema-resource.js';
import { reportCall } from '../telemetry/telemetry.js';

/** Receives one event per call; rejecting withholds the result (fail closed). */
export type AuditRecorder = (event: AuditEvent) => Promise<void>;

/** The answer, SDK's own words, for a tool that does not exist: a tool a caller may not use gets it too. */
const unknownToolMessage = (name: string) => `MCP error -32602: Tool ${name} not found`;

/** A refusal that must look exactly like the SDK's answer for a tool that does not exist. */
class UnknownToolError extends ConexorError {
  constructor(name: string) {
    super('invalid_arguments', unknownToolMessage(name));
  }
}

// Per-caller views are cached by the caller's restrictions; a bound keeps hostile variety from growing it.
const MAX_CACHED_VIEWS = 1_000;

/**
 * What one restriction set sees: its catalog (without relations towards tables it may not read), its tool listing
 * chosen within the budget, and — built on first use — its server instructions and schema document. Computed once
 * per fingerprint, so a restricted caller costs a map lookup per request.
 */
interface CallerView {
  readonly catalog: ToolCatalog;
  readonly selection: Selection;
  readonly tools: readonly Tool[];
  /** Names of the listed tools: only these can be called. */
  readonly listed: ReadonlySet<string>;
  /** Tables the caller may use, each with the typed tools listed for it: what `search_tables` shows. */
  readonly searchable: readonly SearchableTable[];
  /** Tables the caller may use with each kind, through its typed or its generic tool. */
  readonly usable: ReadonlyMap<ToolKindSpec, ReadonlySet<TableEntry>>;
  /** Finds a table by the names a generic call may use, among those the caller may use with a kind (built on first use). */
  readonly finder: (spec: ToolKindSpec) => (name: string) => TableEntry | undefined;
  readonly instructions: () => string;
  readonly schema: () => string;
}

/** How a call ended, for its audit event. */
interface Ending {
  readonly outcome: AuditOutcome;
  readonly errorCode: string | null;
  readonly rowCount: number | null;
  readonly truncated: boolean | null;
  /** Writes: the keys of the affected rows (redacted per `audit.values`). */
  readonly keys?: readonly Row[];
}

/**
 * One tool call from arguments to result: who is calling and what they may do, the target table (the tool's own,
 * or a generic tool's `table` argument), validation, plan, tenant scope, execution, and exactly one audit event
 * whatever the outcome — for generated tools, for tools the host registered, and for names that are neither.
 */
export class CallPipeline {
  private readonly views = new Map<string, CallerView>();
  private readonly baseView: CallerView;
  /** Catalogs without the relations a caller's table restrictions forbid, by restriction fingerprint. */
  private readonly narrowedCatalogs = new Map<string, ToolCatalog>();
  private readonly compiledPolicy = policyCache(MAX_CACHED_VIEWS);
  /** Tables with scoping columns. */
  private readonly scoped: ReadonlySet<unknown>;
  /** Validators per table and kind, built on first use. */
  private readonly bound = new WeakMap<TableEntry, Map<string, BoundTool>>();

  constructor(
    private readonly exposed: ExposedSchema,
    readonly catalog: ToolCatalog,
    private readonly executor: Executor,
    private readonly options: ResolvedOptions,
    private readonly audit: AuditRecorder | undefined,
    private readonly values: AuditValues = 'clear',
    /** Runs write plans; `undefined` when writes are off (no write tool exists then). */
    private readonly writer?: WriteExecutor,
  ) {
    this.scoped = new Set(exposed.tables.filter((table) => table.scopeColumns.length > 0).map((table) => table.table));
    this.baseView = this.buildView(catalog, undefined);
  }

  /** The listing of a caller without restrictions. */
  get baseTools(): readonly Tool[] {
    return this.baseView.tools;
  }

  /**
   * The catalog a caller works with: relations towards tables it may not read — restricted by `tables`, or left
   * without any tool by `tools` — are gone from descriptions, search results and calls.
   */
  private catalogFor(policy: EffectivePolicy): ToolCatalog {
    if (!this.exposed.tables.some((table) => table.relations.length > 0)) return this.catalog;
    let catalog = this.narrowedCatalogs.get(policy.fingerprint);
    if (!catalog) {
      // Tool names do not depend on relations, so the base catalog says which tables the caller has a tool for.
      const readable = new Set<ExposedTable['table']>();
      for (const tool of this.catalog.typed) {
        if (policy.allows(reference(tool.name, tool.table))) readable.add(tool.table.exposed.table);
      }
      if (readable.size === this.catalog.tables.entries.length) return this.catalog;
      catalog = buildCatalog(withoutRelationsTo(this.exposed, (table) => readable.has(table)), this.options);
      if (this.narrowedCatalogs.size >= MAX_CACHED_CATALOGS) this.narrowedCatalogs.clear();
      this.narrowedCatalogs.set(policy.fingerprint, catalog);
    }
    return catalog;
  }

  /** The caller's restrictions: the key's own policy and the host's `callerPolicy`, each narrowing. */
  async policyFor(context: RequestContext): Promise<EffectivePolicy> {
    const fromHost = this.options.callerPolicy ? await this.options.callerPolicy(context) : undefined;
    return this.compiledPolicy([policyOfKey(context.authInfo), fromHost]);
  }

  /** What a caller with this policy sees: catalog, listing, instructions and schema document, cached by its restrictions. */
  private viewOf(policy: EffectivePolicy): CallerView {
    if (policy.fingerprint === '') return this.baseView;
    let view = this.views.get(policy.fingerprint);
    if (!view) {
      view = this.buildView(this.catalogFor(policy), policy);
      if (this.views.size >= MAX_CACHED_VIEWS) this.views.clear();
      this.views.set(policy.fingerprint, view);
    }
    return view;
  }

  private buildView(catalog: ToolCatalog, policy: EffectivePolicy | undefined): CallerView {
    // A kind on a table is allowed when the caller may use its typed tool, whichever tool carries the call: the
    // generic tools follow the typed names, so a pattern such as `!aggregate_*` also keeps `aggregate` away.
    // A read-only caller gets no write tool, whatever its patterns say.
    const allows = (tool: TypedTool) =>
      !policy || ((tool.spec.operation === 'read' || !policy.readOnly) && policy.allows(reference(tool.name, tool.table)));
    const selection = selectTools(catalog, { typed: allows }, this.options);
    const usable = new Map<ToolKindSpec, Set<TableEntry>>();
    const listedByTable = new Map<TableEntry, string[]>();
    for (const tool of selection.allowedTyped) {
      let tables = usable.get(tool.spec);
      if (!tables) usable.set(tool.spec, (tables = new Set()));
      tables.add(tool.table);
      if (!listedByTable.has(tool.table)) listedByTable.set(tool.table, []);
    }
    for (const tool of selection.tools) if (tool.form === 'typed') listedByTable.get(tool.table)?.push(tool.name);
    const writesByTable = new Map<TableEntry, Set<string>>();
    for (const tool of selection.allowedTyped) {
      if (tool.spec.operation === 'read') continue;
      let operations = writesByTable.get(tool.table);
      if (!operations) writesByTable.set(tool.table, (operations = new Set()));
      operations.add(tool.spec.operation);
    }
    const searchable = [...listedByTable].map(([entry, tools]) => ({ entry, tools, writes: [...(writesByTable.get(entry) ?? [])] }));
    const finders = new Map<ToolKindSpec, (name: string) => TableEntry | undefined>();
    const finder = (spec: ToolKindSpec) => {
      let find = finders.get(spec);
      if (!find) finders.set(spec, (find = tableFinder([...(usable.get(spec) ?? [])], catalog.tables.schema.defaultSchema)));
      return find;
    };
    const maxRows = policy?.maxRows;
    let instructions: string | undefined;
    let schema: string | undefined;
    return {
      catalog,
      selection,
      finder,
      tools: selection.tools.map((tool) => narrowed(tool, maxRows, this.options)),
      listed: new Set(selection.tools.map((tool) => tool.name)),
      searchable,
      usable,
      instructions: () => (instructions ??= serverInstructions(this.exposed.dialect, selection, searchable.length, this.options)),
      schema: () => (schema ??= schemaDocument(this.exposed.dialect, searchable)),
    };
  }

  /** The tools this caller may see, with `limit` bounded by the caller's `maxRows`. */
  async list(context: RequestContext): Promise<readonly Tool[]> {
    return this.viewOf(await this.policyFor(context)).tools;
  }

  /** The server instructions for this caller: its own tables, tools and relations only. */
  async instructions(context: RequestContext): Promise<string> {
    return this.viewOf(await this.policyFor(context)).instructions();
  }

  /** The `conexor://schema` document for this caller: the tables it may use and the relations it may follow. */
  async schema(context: RequestContext): Promise<string> {
    return this.viewOf(await this.policyFor(context)).schema();
  }

  /**
   * A call naming no generated tool and no host tool: refused with the SDK's own words, after the same policy
   * work as a forbidden tool (so timing does not tell them apart), and recorded.
   */
  async refuseUnknown(name: string, args: unknown, context: RequestContext): Promise<CallToolResult> {
    const started = performance.now();
    const timestamp = new Date().toISOString();
    await this.policyFor(context).catch(() => undefined);
    const result = toErrorResult(unknownToolMessage(name));
    const ending: Ending = { outcome: 'invalid', errorCode: 'unknown_tool', rowCount: null, truncated: null };
    // The name is the client's: the auditor redacts keys in it and bounds it (before any cut, so no part of a key stays).
    return this.recorded(result, { tool: name, table: null, operation: null, args: redactUnknownArguments(args) }, ending, context, started, timestamp);
  }

  /** A call of a tool the host registered on the server: the host's handler runs, the call is recorded like ours. */
  async callHost(name: string, args: unknown, context: RequestContext, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
    const started = performance.now();
    const timestamp = new Date().toISOString();
    let result: CallToolResult;
    let ending: Ending;
    try {
      result = await run();
      ending = { outcome: result.isError ? 'error' : 'ok', errorCode: result.isError ? 'host_tool_error' : null, rowCount: null, truncated: null };
    } catch (error) {
      // The SDK's own refusals (e.g. URL elicitation) travel as JSON-RPC errors: recorded, then passed on.
      await this.record({ tool: name, table: null, operation: 'host', args: redactUnknownArguments(args) }, { outcome: 'error', errorCode: 'host_tool_error', rowCount: null, truncated: null }, context, started, timestamp).catch(() => undefined);
      throw error;
    }
    return this.recorded(result, { tool: name, table: null, operation: 'host', args: redactUnknownArguments(args) }, ending, context, started, timestamp);
  }

  /** A call of a generated tool (typed, generic or `search_tables`). */
  async call(entry: ToolEntry, args: unknown, context: RequestContext): Promise<CallToolResult> {
    const started = performance.now();
    const timestamp = new Date().toISOString();
    let outcome: AuditOutcome = 'ok';
    let errorCode: string | null = null;
    let rowCount: number | null = null;
    let truncated: boolean | null = null;
    let keys: readonly Row[] | undefined;
    let result: CallToolResult;
    // A typed tool names its table: the audit records it even when the call is refused.
    let target: TableEntry | undefined = entry.form === 'typed' ? entry.table : undefined;
    let redaction: RedactionSubject = { fields: null, lookup: entry.form === 'typed' && entry.spec.kind === 'lookup' };
    const subjectOf = (): Subject => ({
      tool: entry.name,
      table: target ? `${target.exposed.table.schema}.${target.exposed.table.name}` : null,
      operation: entry.form === 'search' ? 'search' : entry.spec.operation === 'read' ? entry.spec.kind : entry.spec.operation,
      args: entry.form === 'search' ? redactUnknownArguments(args) : redactArguments(redaction, args, this.values),
    });
    // A write that committed and then cannot be recorded must say it was applied: a model told to retry repeats it.
    let applied = false;
    try {
      const policy = await this.policyFor(context);
      const view = this.viewOf(policy);
      if (!view.listed.has(entry.name)) throw new UnknownToolError(entry.name);
      if (entry.form === 'search') {
        result = searchTables(view.searchable, args);
        const structured = result.structuredContent as { tables?: unknown[] } | undefined;
        rowCount = structured?.tables?.length ?? 0;
      } else {
        const { spec, table, index } = this.target(view, entry, args);
        target = table;
        const tableArgument = entry.form === 'generic' ? (args as Record<string, unknown>).table : undefined;
        const keyArguments = spec.key(table, index).map(([argument]) => argument);
        redaction = {
          fields: table.fields,
          lookup: spec.kind === 'lookup',
          ...(spec.kind === 'lookup' ? { keys: new Set([...keyFields(table, index).map(([argument]) => argument), ...keyAliases(table, index).keys()]) } : {}),
          ...(spec.operation !== 'read' && keyArguments.length > 0 ? { keys: new Set(keyArguments) } : {}),
          ...(typeof tableArgument === 'string' ? { table: tableArgument } : {}),
        };
        const tool = this.boundTool(table, spec, index, entry.name);
        const parsed = parseArguments(tool, entry.form === 'generic' ? withoutTable(args) : args, this.options);
        // The access policy's session for the kind: the read-only session, or one read-write transaction.
        if (spec.session === 'read-only') {
          ({ result, rowCount, truncated } = await this.read(spec, tool, parsed, args, table, policy.maxRows, entry.name, context));
        } else {
          const done = await this.write(spec, tool, parsed, table, policy.maxRows, entry.name, context);
          applied = true;
          rowCount = done.affected;
          keys = done.keys;
          // Within the result size budget like any result: rows past it are counted as not listed.
          const rows = fitRows(done.rows, this.options.maxResultBytes);
          result = spec.render({ ...done, rows, unlisted: done.unlisted + done.rows.length - rows.length }, parsed);
        }
      }
    } catch (error) {
      const reported = error instanceof UnknownToolError || error instanceof DeniedError ? error : toQueryError(error);
      outcome = outcomeOf(error, reported);
      errorCode = outcome === 'denied' ? 'denied' : reported.code;
      if (outcome === 'error' || outcome === 'timeout') {
        // The model gets a sanitized message; the host's log gets the cause (never the connection settings).
        this.options.logger.warn({ tool: entry.name, code: reported.code, err: reported.cause ?? reported }, reported.message);
      }
      result = toErrorResult(reported.message);
    }
    const unrecorded = applied ? APPLIED_UNRECORDED : undefined;
    return this.recorded(result, subjectOf(), { outcome, errorCode, rowCount, truncated, ...(keys ? { keys } : {}) }, context, started, timestamp, unrecorded);
  }

  /** A read kind: plan, scope, the read-only session, the result within its byte budget. */
  private async read(
    spec: ReadKindSpec,
    tool: BoundTool,
    parsed: ReturnType<typeof parseArguments>,
    args: unknown,
    table: TableEntry,
    maxRows: number | undefined,
    name: string,
    context: RequestContext,
  ): Promise<{ result: CallToolResult; rowCount: number; truncated: boolean | null }> {
    if ((spec.kind === 'query' || spec.kind === 'aggregate') && maxRows !== undefined) {
      limitRows(name, parsed.args, args, maxRows, this.options.defaultLimit);
    }
    const plan = spec.plan(tool, parsed);
    const scope = await this.scopeFor(table, context);
    const done = fitToBudget(await this.executor.run(plan, scope, explainEmpty(plan)), this.options.maxResultBytes);
    const rowCount = done.kind === 'query' || done.kind === 'aggregate' ? done.rows.length : done.kind === 'lookup' ? (done.row ? 1 : 0) : done.count;
    const truncated = done.kind === 'query' || done.kind === 'aggregate' ? done.truncated : null;
    let result = spec.render(done, parsed);
    if (done.ranges) result = withDataRange(result, fieldRanges(table.fields, done.ranges), table.exposed.scopeColumns.length > 0);
    return { result, rowCount, truncated };
  }

  /**
   * A write kind: plan, the caller's scope (always resolved: a write must never reach, nor point at, another
   * tenant's rows), one read-write transaction, and a confirmation by the user first when the client can ask one.
   */
  private async write(
    spec: WriteKindSpec,
    tool: BoundTool,
    parsed: ReturnType<typeof parseArguments>,
    table: TableEntry,
    maxRows: number | undefined,
    name: string,
    context: RequestContext,
  ): Promise<WriteOutcome> {
    const writes = this.options.writes;
    if (!this.writer || !writes) throw new UnknownToolError(name);
    const plan = spec.plan(tool, parsed);
    const scope = await this.writeScopeFor(table, context);
    const ask = context.confirm;
    const confirm: Confirm | undefined =
      ask && plan.operation !== 'insert'
        ? (count, keys) => ask(confirmationMessage(plan.operation, count, keys, table, name, parsed.args), writes.confirmTimeoutMs)
        : undefined;
    const listed = Math.min(this.options.maxRows, maxRows ?? this.options.maxRows);
    return this.writer.run(plan, scope, { maxRows: listed, confirmAbove: writes.confirmAbove }, confirm);
  }
  /**
   * The kind, table and key a call works on, in the caller's own catalog: a typed tool's table, or the table a generic
   * tool names — only one the caller may use that kind on, else an error suggesting close names.
   */
  private target(view: CallerView, entry: Exclude<ToolEntry, { form: 'search' }>, args: unknown): { spec: ToolKindSpec; table: TableEntry; index: number } {
    if (entry.form === 'typed') {
      // The caller's catalog may differ from the base one (relations removed): the same table, by its model.
      const table = view.catalog.tables.byTable.get(entry.table.exposed.table) ?? entry.table;
      return { spec: entry.spec, table, index: entry.index };
    }
    const spec = entry.spec;
    const usable = view.usable.get(spec) ?? new Set<TableEntry>();
    const name = args && typeof args === 'object' ? (args as Record<string, unknown>).table : undefined;
    const fail = (message: string): never => {
      throw new InvalidArgumentsError(`Invalid arguments for ${entry.name}: table: ${message}.`);
    };
    if (name === undefined) return fail('required: the name of a table (search_tables lists them)');
    if (typeof name !== 'string') return fail('expected a table name as a string');
    // Only among the tables this caller may use: a table it may not use cannot change how a name resolves.
    const found = view.finder(spec)(name);
    if (!found) {
      const near = closest(name.slice(0, 128), [...usable].map((table) => table.names.base));
      const shown = JSON.stringify(name.slice(0, 64));
      return fail(`${shown} is not a table you can use with ${entry.name}${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''}; search_tables lists the tables`);
    }
    return { spec, table: found, index: 0 };
  }

  /** The validator of a kind on a table, built once; `name` is the tool errors mention. */
  private boundTool(table: TableEntry, spec: ToolKindSpec, index: number, name: string): BoundTool {
    let tools = this.bound.get(table);
    if (!tools) {
      tools = new Map();
      this.bound.set(table, tools);
    }
    const key = `${name}\u0000${index}`;
    let tool = tools.get(key);
    if (!tool) {
      const input = spec.input(table, this.options, index);
      tool = { name, kind: spec.kind, fields: table.fields, input, arguments: spec.arguments(table, index), key: spec.key(table, index) };
      tools.set(key, tool);
    }
    return tool;
  }

  /** `result`, once the call is on record; a call that cannot be recorded is not answered (fail closed). */
  private async recorded(
    result: CallToolResult,
    subject: Subject,
    ending: Ending,
    context: RequestContext,
    started: number,
    timestamp: string,
    unrecorded?: string,
  ): Promise<CallToolResult> {
    try {
      await this.record(subject, ending, context, started, timestamp);
    } catch (error) {
      return toErrorResult(unrecorded ?? toQueryError(error).message);
    }
    return result;
  }

  /** Builds the call's one audit event and hands it to the auditor; rejects when it cannot be recorded. */
  private async record(subject: Subject, ending: Ending, context: RequestContext, started: number, timestamp: string): Promise<void> {
    // The call's span and metrics take the same facts as its audit event (never its arguments), audited or not.
    reportCall(context, { table: subject.table, operation: subject.operation, errorCode: ending.errorCode, rowCount: ending.rowCount, truncated: ending.truncated });
    if (!this.audit) return;
    const identity = this.options.identify ? await this.identify(context) : {};
    const event: AuditEvent = {
      timestamp,
      requestId: randomUUID(),
      tool: subject.tool,
      table: subject.table,
      operation: subject.operation,
      arguments: subject.args,
      caller: {
        keyId: context.authInfo?.clientId ?? null,
        keyName: stringOrNull(context.authInfo?.extra?.keyName),
        // An OAuth token's subject when the host's identify() names none.
        subject: identity.subject ?? stringOrNull(context.authInfo?.extra?.subject) ?? null,
      },
      client: {
        name: context.client?.name ?? null,
        version: context.client?.version ?? null,
        userAgent: context.header('user-agent') ?? null,
      },
      model: identity.model ?? stringOrNull(context.meta?.model) ?? context.header('x-mcp-model') ?? null,
      outcome: ending.outcome,
      rowCount: ending.rowCount,
      truncated: ending.truncated,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      errorCode: ending.errorCode,
      ...(ending.keys ? { keys: redactKeys(ending.keys, this.values) } : {}),
    };
    await this.audit(event);
  }

  private async identify(context: RequestContext): Promise<{ subject?: string; model?: string }> {
    try {
      return (await this.options.identify?.(context)) ?? {};
    } catch (error) {
      this.options.logger.warn({ err: error }, 'identify() failed; the audit event has no subject or model');
      return {};
    }
  }

  /** Writes: the caller's scope values for every scoped table, resolved whether or not relations reach them. */
  private async writeScopeFor(table: TableEntry, context: RequestContext): Promise<ScopeResolver> {
    if (!this.options.scope) return NO_SCOPE;
    return scopeResolver(await this.options.scope.values(context), table);
  }

  /**
   * The caller's scope values for every table the call may read (its own, joined and `has` tables). A missing
   * value denies the call: up front for the call's own table, when the query is built for a related one.
   */
  private async scopeFor(table: TableEntry, context: RequestContext): Promise<ScopeResolver> {
    if (!this.options.scope || !reachesScoped(table.fields, this.scoped)) return NO_SCOPE;
    return scopeResolver(await this.options.scope.values(context), table);
  }
}

const NO_SCOPE: ScopeResolver = () => new Map();
/** A write that committed, then could not be recorded (`onFailure: 'deny'`): its result is withheld, not its effect. */
const APPLIED_UNRECORDED = 'The change was applied, but the call could not be recorded in the audit trail, so its result is withheld. Do not repeat it.';

/**
 * The caller's value for each scoping column of a table; a missing or non-primitive value denies the call — checked
 * here for the call's own table, and when a query is built for any other.
 */
function scopeResolver(values: Record<string, unknown>, table: TableEntry): ScopeResolver {
  const resolver: ScopeResolver = (exposed) => {
    const scope = new Map<ColumnModel, unknown>();
    for (const column of exposed.scopeColumns) {
      const value = values[column.name];
      if (value === undefined || value === null || !['string', 'number', 'boolean'].includes(typeof value)) {
        throw new DeniedError('This call is not allowed: the request carries no scope for this data.');
      }
      scope.set(column, value);
    }
    return scope;
  };
  resolver(table.exposed);
  return resolver;
}
const MAX_CACHED_CATALOGS = 100;

/** What the user is asked before a destructive change of `count` rows: the tool, the table, the rows, the new values. */
function confirmationMessage(operation: string, count: number, keys: readonly Row[], table: TableEntry, tool: string, args: Record<string, unknown>): string {
  // The model's text, inert: JSON leaves line separators and bidirectional controls as they are, which could start
  // a line of the model's own words or reverse how the rest of the question reads.
  const inert = (text: string) => text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
  const set = args.set && typeof args.set === 'object' ? inert(JSON.stringify(args.set)) : '';
  const shown = set.length > 300 ? `${set.slice(0, 300)}…` : set;
  // Which rows: their keys (the first ten), so the user sees what the count stands for.
  const named = keys.slice(0, CONFIRM_KEYS).map((key) => inert(Object.values(key).map((value) => JSON.stringify(value)).join('/')));
  const rows = named.length > 0 ? ` (${Object.keys(keys[0] ?? {}).join('/')} ${named.join(', ')}${keys.length > CONFIRM_KEYS ? ', …' : ''})` : '';
  return `${tool} would ${operation} ${count} rows of ${table.exposed.table.name}${rows}${shown ? `, setting ${shown}` : ''}. This cannot be undone. Apply it?`;
}

/** Keys a confirmation question names at most. */
const CONFIRM_KEYS = 10;

/** What a call was about, for its audit event. */
interface Subject {
  readonly tool: string;
  readonly table: string | null;
  readonly operation: string | null;
  /** Already redacted. */
  readonly args: unknown;
}

/** Whether a call on these fields may read a scoped table: its own, or one reached through relations. */
function reachesScoped(fields: TableFields, scoped: ReadonlySet<unknown>): boolean {
  // Computed once per table's fields: the walk is proportional to the schema, a call must not be.
  let known = reachesScopedCache.get(fields);
  if (known === undefined) {
    known = walkReachesScoped(fields, scoped);
    reachesScopedCache.set(fields, known);
  }
  return known;
}
const reachesScopedCache = new WeakMap<TableFields, boolean>();

function walkReachesScoped(fields: TableFields, scoped: ReadonlySet<unknown>): boolean {
  const seen = new Set<TableFields>();
  const pending = [fields];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    if (scoped.has(next.table.table)) return true;
    for (const { target } of next.relations.values()) pending.push(target);
  }
  return false;
}

/** Ranges by the caller's field names. */
function fieldRanges(fields: TableFields, ranges: ReadonlyMap<ColumnModel, ValueRange>): [string, ValueRange][] {
  return [...ranges].map(([column, range]) => [fields.fieldsInOrder.find(([, candidate]) => candidate === column)?.[0] ?? column.name, range]);
}

function reference(name: string, table: TableEntry): { name: string; schema: string; table: string } {
  return { name, schema: table.exposed.table.schema, table: table.exposed.table.name };
}

/** A generic tool's arguments without `table`, which names the target and is not an argument of the kind. */
function withoutTable(args: unknown): unknown {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return args;
  const rest: Record<string, unknown> = { ...(args as Record<string, unknown>) };
  delete rest.table;
  return rest;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function outcomeOf(error: unknown, reported: ConexorError): AuditOutcome {
  if (error instanceof UnknownToolError || error instanceof DeniedError) return 'denied';
  if (reported instanceof InvalidArgumentsError) return 'invalid';
  if (reported.code === 'timeout') return 'timeout';
  return 'error';
}

/** A caller's `maxRows` bounds `limit`: an explicit larger limit is refused, the default shrinks. */
function limitRows(tool: string, parsed: Record<string, unknown>, raw: unknown, maxRows: number, defaultLimit: number): void {
  const asked = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).limit : undefined;
  if (typeof asked === 'number' && asked > maxRows) {
    throw new InvalidArgumentsError(`Invalid arguments for ${tool}: limit: at most ${maxRows} rows are allowed for this caller.`);
  }
  parsed.limit = Math.min(typeof asked === 'number' ? asked : defaultLimit, maxRows);
}

/** A tool definition as a restricted caller sees it: `limit` bounded by its `maxRows`. */
function narrowed(tool: ToolEntry, maxRows: number | undefined, options: ResolvedOptions): Tool {
  if (tool.form === 'search' || (tool.spec.kind !== 'query' && tool.spec.kind !== 'aggregate') || maxRows === undefined || maxRows >= options.maxRows) return tool.definition;
  const input = tool.definition.inputSchema as { properties?: Record<string, Record<string, unknown>> };
  const limit = input.properties?.limit;
  if (!limit) return tool.definition;
  return {
    ...tool.definition,
    inputSchema: {
      ...tool.definition.inputSchema,
      properties: { ...input.properties, limit: { ...limit, maximum: maxRows, default: Math.min(options.defaultLimit, maxRows) } },
    },
  };
}
