import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import picomatch from 'picomatch';

/** What conexor knows about the request behind a tool call; the input of every per-caller decision. */
export interface RequestContext {
  /** The verified API key (or the host's own auth), when the transport supplied one. */
  readonly authInfo?: AuthInfo;
  /** A request header by lower-case name (HTTP only). */
  header(name: string): string | undefined;
  /** The request's `_meta`, when the client sent one. */
  readonly meta?: Readonly<Record<string, unknown>>;
  /** The MCP client's name and version, when known (sessionful and stdio servers learn it at initialize). */
  readonly client?: { readonly name?: string; readonly version?: string };
  /**
   * Asks the user to confirm (MCP elicitation), when the client declared it can; resolves `true` only when the user
   * accepted within `timeoutMs`. Absent when the client cannot be asked.
   */
  readonly confirm?: (message: string, timeoutMs: number) => Promise<boolean>;
}

/** A request with no transport behind it (direct `callTool`). */
export const NO_HEADERS = (): undefined => undefined;

/**
 * Restrictions one caller carries over the base policy. They only ever narrow it: a table or tool the base
 * policy hides stays hidden, and `maxRows` above the base is ignored.
 */
export interface CallerPolicy {
  /** Tables this caller may read (real names, `schema.table`, or globs). @default every exposed table */
  tables?: readonly string[];
  /** Tools this caller may use (names or globs). @default every generated tool of the allowed tables */
  tools?: readonly string[];
  /** Rows per call for this caller; the smaller of this and the base `maxRows` applies. */
  maxRows?: number;
  /**
   * Keep this caller read-only where writes are enabled (`writes` option): no write tool is listed for it or runs
   * for it. Without it, a caller may use the write tools its `tables` and `tools` allow. @default false
   */
  readOnly?: boolean;
}

/** Values of scoping columns for one call. */
export type ScopeValue = string | number | boolean;

/** Identity details for the audit trail, from the host. */
export interface CallerIdentity {
  /** The end user or subject on whose behalf the model acts. */
  subject?: string;
  /** The model, when the host knows it. */
  model?: string;
}

/** The intersection of a caller's restrictions, compiled for quick checks. */
export interface EffectivePolicy {
  /** Stable key of the restrictions, for caching per-caller listings. */
  readonly fingerprint: string;
  readonly maxRows: number | undefined;
  /** Whether any of the caller's restrictions says `readOnly: true`: no write tool for it. */
  readonly readOnly: boolean;
  allows(tool: { readonly name: string; readonly schema: string; readonly table: string }): boolean;
  /** Whether the caller may read a table at all, e.g. through a relation; `undefined` when tables are not restricted. */
  readonly allowsTable: ((schema: string, table: string) => boolean) | undefined;
}

const UNRESTRICTED: EffectivePolicy = { fingerprint: '', maxRows: undefined, readOnly: false, allows: () => true, allowsTable: undefined };

/**
 * Combines restrictions (from the key record and from the host's function; each one narrows), keeping compiled
 * policies per restriction set: a call then costs a fingerprint, not a glob compilation. Bounded, so hostile
 * variety cannot grow it.
 */
export function policyCache(maxEntries = 1_000): (policies: readonly (CallerPolicy | undefined)[]) => EffectivePolicy {
  const compiled = new Map<string, EffectivePolicy>();
  return (policies) => {
    const present = policies.filter((policy): policy is CallerPolicy => policy !== undefined);
    if (present.length === 0) return UNRESTRICTED;
    const fingerprint = fingerprintOf(present);
    let policy = compiled.get(fingerprint);
    if (!policy) {
      if (compiled.size >= maxEntries) compiled.clear();
      policy = compile(present, fingerprint);
      compiled.set(fingerprint, policy);
    }
    return policy;
  };
}

function fingerprintOf(present: readonly CallerPolicy[]): string {
  return JSON.stringify(present.map((policy) => [policy.tables ?? null, policy.tools ?? null, policy.maxRows ?? null, policy.readOnly === true]));
}

function compile(present: readonly CallerPolicy[], fingerprint: string): EffectivePolicy {
  const tableMatchers = present.flatMap((policy) => (policy.tables ? [listMatcher(policy.tables)] : []));
  const toolMatchers = present.flatMap((policy) => (policy.tools ? [listMatcher(policy.tools)] : []));
  const rows = present.flatMap((policy) => (policy.maxRows !== undefined ? [policy.maxRows] : []));
  const allowsTable = (schema: string, table: string) => tableMatchers.every((match) => match(table, `${schema}.${table}`));
  return {
    fingerprint,
    maxRows: rows.length > 0 ? Math.min(...rows) : undefined,
    readOnly: present.some((policy) => policy.readOnly === true),
    allows: (tool) => allowsTable(tool.schema, tool.table) && toolMatchers.every((match) => match(tool.name)),
    allowsTable: tableMatchers.length > 0 ? allowsTable : undefined,
  };
}

/**
 * A name list as a restriction: a name passes when it matches one positive pattern (or there is none) and no negated
 * one (`!aggregate_*`). picomatch given the whole list passes a name that ANY pattern matches, so two negations
 * (`['!aggregate_*', '!*_log']`) would each let through what the other excludes.
 */
export function listMatcher(patterns: readonly string[]): (...names: string[]) => boolean {
  const positive = patterns.filter((pattern) => !pattern.startsWith('!'));
  const negative = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  const included = positive.length > 0 ? picomatch(positive, { dot: true }) : () => true;
  const excluded = negative.length > 0 ? picomatch(negative, { dot: true }) : () => false;
  // Several spellings of one thing (`orders`, `public.orders`): any may be included, none may be excluded.
  return (...names) => names.some((name) => included(name)) && !names.some((name) => excluded(name));
}

/** A policy carried by an API key record, handed over by the key store as `authInfo.extra.policy`. */
export function policyOfKey(authInfo: AuthInfo | undefined): CallerPolicy | undefined {
  const policy = authInfo?.extra?.policy;
  return policy && typeof policy === 'object' ? (policy as CallerPolicy) : undefined;
}
