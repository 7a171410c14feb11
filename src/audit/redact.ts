import { createHash } from 'node:crypto';
import type { AuditValues } from './event.js';
import { REDACTED, clip, redactApiKeys } from './sanitize.js';

// AuditValues lives in event.ts, which the policy options can import without reaching the catalog.
export type { AuditValues };

/**
 * The names a call on one table may use, as redaction needs them: the table's own fields, fields of to-one related
 * rows, and relations with their target's names. (The catalog's table fields have this shape.)
 */
export interface RedactionFields {
  readonly columnsByField: ReadonlyMap<string, unknown>;
  readonly relatedFields: ReadonlyMap<string, unknown>;
  /** Resolves a `relation.….field` path; a string when it names nothing visible (see the catalog's table fields). */
  resolvePath?(name: string): unknown;
  readonly relations: ReadonlyMap<string, { readonly target: RedactionFields }>;
}

/** What a call's arguments are checked against: its table's names (`null` when the table is unknown), and its form. */
export interface RedactionSubject {
  readonly fields: RedactionFields | null;
  /** A lookup: every argument is a key field. */
  readonly lookup: boolean;
  /** A lookup's argument names and their aliases (key field names); without them, the table's field names. */
  readonly keys?: ReadonlySet<string>;
  /** The `table` argument of a generic tool, when it names a table the caller may use (kept in clear). */
  readonly table?: string;
}

export { REDACTED };
const MAX_CLEAR_STRING = 256;
const MAX_LIST = 100;
const MAX_KEY = 64;
// Output names a call may choose (metric `as`, order_by `by`): anything else could carry a value, so it is redacted.
const NAME = /^[a-z_][a-z0-9_.]{0,127}$/;

/**
 * The arguments of a call as the audit trail keeps them. Structure (fields, operators, groups, limit, offset) stays
 * readable; values of the tool's visible fields follow `mode`; values anywhere else — unknown, hidden, secret-looking
 * or scoping fields, unexpected keys, malformed shapes — are redacted, so nothing the policy hides is logged in clear.
 */
export function redactArguments(subject: RedactionSubject, args: unknown, mode: AuditValues = 'clear'): unknown {
  if (args === undefined || args === null) return null;
  if (!isRecord(args)) return REDACTED;
  const list = (raw: unknown, each: (entry: unknown) => unknown) => (Array.isArray(raw) ? raw.slice(0, MAX_LIST).map(each) : REDACTED);
  // No prototype: a caller's own `__proto__` argument is kept (redacted) like any other key instead of vanishing.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, raw] of Object.entries(args)) {
    const name = cut(key, MAX_KEY);
    const fields = subject.fields;
    if (key === 'table' && !subject.lookup) out[name] = subject.table !== undefined && raw === subject.table ? raw : REDACTED;
    else if (!fields) out[name] = REDACTED;
    else if (subject.lookup) out[name] = (subject.keys?.has(key) ?? fields.columnsByField.has(key)) ? visibleValue(raw, mode) : REDACTED;
    else if (subject.keys?.has(key)) out[name] = visibleValue(raw, mode);
    else if (key === 'set') out[name] = fieldValues(fields, raw, mode);
    else if (key === 'rows') out[name] = list(raw, (row) => fieldValues(fields, row, mode));
    else if (key === 'max_affected' && typeof raw === 'number') out[name] = raw;
    else if (key === 'where') out[name] = list(raw, (entry) => filter(fields, entry, mode, 0));
    else if (key === 'columns') out[name] = list(raw, (field) => (known(fields, field) ? field : REDACTED));
    else if (key === 'order_by') out[name] = list(raw, (entry) => ordering(fields, entry));
    else if (key === 'group_by') out[name] = list(raw, (entry) => grouping(fields, entry));
    else if (key === 'metrics') out[name] = list(raw, (entry) => metric(fields, entry));
    else if (key === 'having') out[name] = list(raw, (entry) => having(entry, mode));
    else if ((key === 'limit' || key === 'offset') && typeof raw === 'number') out[name] = raw;
    else out[name] = REDACTED;
  }
  return out;
}

/** `{field: value}` of a write: values of the table's visible fields per `mode`, anything else redacted. */
function fieldValues(fields: RedactionFields, raw: unknown, mode: AuditValues): unknown {
  if (!isRecord(raw)) return REDACTED;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw).slice(0, MAX_LIST)) {
    out[cut(key, MAX_KEY)] = fields.columnsByField.has(key) ? visibleValue(value, mode) : REDACTED;
  }
  return out;
}

/** The keys of the rows a write changed, as the audit trail keeps them: values per `mode`, at most 100 rows. */
export function redactKeys(keys: readonly Record<string, unknown>[], mode: AuditValues = 'clear'): Record<string, unknown>[] {
  return keys.slice(0, MAX_LIST).map((key) => Object.fromEntries(Object.entries(key).map(([field, value]) => [cut(field, MAX_KEY), visibleValue(value, mode)])));
}

/**
 * The arguments of a call to a tool conexor did not generate (a host tool, or an unknown name): their argument
 * names stay readable, every value is redacted, since nothing says which of them may be kept.
 */
export function redactUnknownArguments(args: unknown): unknown {
  if (args === undefined || args === null) return null;
  if (!isRecord(args)) return REDACTED;
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(args).slice(0, MAX_LIST)) out[cut(key, MAX_KEY)] = REDACTED;
  return out;
}

/** A filter at any depth; values are kept per `mode` only for fields of the table the filter is on. */
function filter(fields: RedactionFields, entry: unknown, mode: AuditValues, depth: number): unknown {
  if (!isRecord(entry) || depth > 10) return REDACTED;
  if ('field' in entry) {
    const visible = known(fields, entry.field);
    return {
      field: typeof entry.field === 'string' ? cut(entry.field, MAX_KEY) : REDACTED,
      op: typeof entry.op === 'string' ? cut(entry.op, 32) : REDACTED,
      ...('value' in entry ? { value: visible ? visibleValue(entry.value, mode) : REDACTED } : {}),
    };
  }
  if ('has' in entry) {
    const related = typeof entry.has === 'string' ? fields.relations.get(entry.has) : undefined;
    if (!related) return { has: REDACTED };
    const inner = entry.where;
    return {
      has: entry.has,
      ...(inner !== undefined
        ? { where: Array.isArray(inner) ? inner.slice(0, MAX_LIST).map((member) => filter(related.target, member, mode, depth + 1)) : REDACTED }
        : {}),
    };
  }
  const out: Record<string, unknown> = {};
  for (const key of ['or', 'and'] as const) {
    const members = entry[key];
    if (members !== undefined) out[key] = Array.isArray(members) ? members.slice(0, MAX_LIST).map((member) => filter(fields, member, mode, depth + 1)) : REDACTED;
  }
  if (entry.not !== undefined) out.not = filter(fields, entry.not, mode, depth + 1);
  return Object.keys(out).length > 0 ? out : REDACTED;
}

function ordering(fields: RedactionFields, entry: unknown): unknown {
  if (!isRecord(entry)) return REDACTED;
  const direction = entry.direction === 'asc' || entry.direction === 'desc' ? { direction: entry.direction } : {};
  // `by` is an alias of `field`; aggregates order by output names, which the call itself chose.
  const name = (raw: unknown) => (known(fields, raw) ? raw : chosenName(raw));
  return { ...('field' in entry ? { field: name(entry.field) } : {}), ...('by' in entry ? { by: name(entry.by) } : {}), ...direction };
}

function grouping(fields: RedactionFields, entry: unknown): unknown {
  if (typeof entry === 'string') return known(fields, entry) ? entry : REDACTED;
  if (!isRecord(entry)) return REDACTED;
  return { field: known(fields, entry.field) ? entry.field : REDACTED, bucket: typeof entry.bucket === 'string' ? cut(entry.bucket, 16) : REDACTED };
}

function metric(fields: RedactionFields, entry: unknown): unknown {
  if (!isRecord(entry)) return REDACTED;
  return {
    fn: typeof entry.fn === 'string' ? cut(entry.fn, 32) : REDACTED,
    ...('field' in entry ? { field: known(fields, entry.field) ? entry.field : REDACTED } : {}),
    ...('as' in entry ? { as: chosenName(entry.as) } : {}),
  };
}

function having(entry: unknown, mode: AuditValues): unknown {
  if (!isRecord(entry)) return REDACTED;
  return {
    metric: chosenName(entry.metric),
    op: typeof entry.op === 'string' ? cut(entry.op, 32) : REDACTED,
    value: visibleValue(entry.value, mode),
  };
}

// Lists in arguments are flat (`in`, array columns); deeper nesting (a JSON value) is redacted, never walked.
const MAX_VALUE_DEPTH = 4;

function visibleValue(raw: unknown, mode: AuditValues, depth = 0): unknown {
  if (Array.isArray(raw)) return depth >= MAX_VALUE_DEPTH ? REDACTED : raw.slice(0, MAX_LIST).map((item) => visibleValue(item, mode, depth + 1));
  if (raw !== null && typeof raw === 'object') return REDACTED;
  if (mode === 'redact') return REDACTED;
  if (typeof raw === 'string') raw = redactApiKeys(raw);
  if (mode === 'hash') return `sha256:${createHash('sha256').update(JSON.stringify(raw) ?? '').digest('hex').slice(0, 32)}`;
  return typeof raw === 'string' && raw.length > MAX_CLEAR_STRING ? `${clip(raw, MAX_CLEAR_STRING)}…` : raw;
}

/**
 * Text a client chose as a key, field name or operator, kept short. API keys are redacted first: a cut alone would
 * keep a key whole (59 characters fit in 64) or part of its secret.
 */
function cut(text: string, max: number): string {
  return clip(redactApiKeys(text), max);
}

/** An output name the call chose (metric `as`, order_by `by`) when it looks like one, keys redacted (one may). */
function chosenName(name: unknown): string {
  return typeof name === 'string' && NAME.test(name) ? redactApiKeys(name) : REDACTED;
}

function known(fields: RedactionFields, field: unknown): field is string {
  if (typeof field !== 'string') return false;
  if (fields.columnsByField.has(field) || fields.relatedFields.has(field)) return true;
  // A multi-hop path is as visible as the field it reaches.
  return field.includes('.') && fields.resolvePath !== undefined && typeof fields.resolvePath(field) === 'object';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
