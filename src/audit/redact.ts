import { createHash } from 'node:crypto';
import type { ToolDefinition } from '../tools/catalog.js';

/** How argument values of visible fields appear in audit events; other values are always redacted. */
export type AuditValues = 'clear' | 'hash' | 'redact';

export const REDACTED = '[redacted]';
// A conexor API key pasted into an argument is never kept, whatever the mode.
const API_KEY = /cx_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/g;
const MAX_CLEAR_STRING = 256;
const MAX_LIST = 100;
const MAX_KEY = 64;

/**
 * The arguments of a call as the audit trail keeps them. Structure (fields, operators, groups, limit, offset) stays
 * readable; values of the tool's visible fields follow `mode`; values anywhere else — unknown, hidden, secret-looking
 * or scoping fields, unexpected keys, malformed shapes — are redacted, so nothing the policy hides is logged in clear.
 */
export function redactArguments(tool: ToolDefinition, args: unknown, mode: AuditValues = 'clear'): unknown {
  if (args === undefined || args === null) return null;
  if (!isRecord(args)) return REDACTED;
  const value = (field: unknown, raw: unknown) =>
    typeof field === 'string' && tool.columnsByField.has(field) ? visibleValue(raw, mode) : REDACTED;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(args)) {
    const name = key.slice(0, MAX_KEY);
    if (tool.kind === 'lookup') out[name] = value(key, raw);
    else if (key === 'where') out[name] = Array.isArray(raw) ? raw.slice(0, MAX_LIST).map((entry) => filter(entry, value, 0)) : REDACTED;
    else if (key === 'columns') out[name] = Array.isArray(raw) ? raw.slice(0, MAX_LIST).map((field) => (known(tool, field) ? field : REDACTED)) : REDACTED;
    else if (key === 'order_by') out[name] = Array.isArray(raw) ? raw.slice(0, MAX_LIST).map((entry) => ordering(tool, entry)) : REDACTED;
    else if ((key === 'limit' || key === 'offset') && typeof raw === 'number') out[name] = raw;
    else out[name] = REDACTED;
  }
  return out;
}

type ValueOf = (field: unknown, raw: unknown) => unknown;

function filter(entry: unknown, value: ValueOf, depth: number): unknown {
  if (!isRecord(entry) || depth > 10) return REDACTED;
  if ('field' in entry) {
    return {
      field: typeof entry.field === 'string' ? entry.field.slice(0, MAX_KEY) : REDACTED,
      op: typeof entry.op === 'string' ? entry.op.slice(0, 32) : REDACTED,
      ...('value' in entry ? { value: value(entry.field, entry.value) } : {}),
    };
  }
  const out: Record<string, unknown> = {};
  for (const key of ['or', 'and'] as const) {
    const members = entry[key];
    if (members !== undefined) out[key] = Array.isArray(members) ? members.slice(0, MAX_LIST).map((member) => filter(member, value, depth + 1)) : REDACTED;
  }
  if (entry.not !== undefined) out.not = filter(entry.not, value, depth + 1);
  return Object.keys(out).length > 0 ? out : REDACTED;
}

function ordering(tool: ToolDefinition, entry: unknown): unknown {
  if (!isRecord(entry)) return REDACTED;
  return {
    field: known(tool, entry.field) ? entry.field : REDACTED,
    ...(entry.direction === 'asc' || entry.direction === 'desc' ? { direction: entry.direction } : {}),
  };
}

function visibleValue(raw: unknown, mode: AuditValues): unknown {
  if (Array.isArray(raw)) return raw.slice(0, MAX_LIST).map((item) => visibleValue(item, mode));
  if (raw !== null && typeof raw === 'object') return REDACTED;
  if (mode === 'redact') return REDACTED;
  if (typeof raw === 'string') raw = raw.replace(API_KEY, REDACTED);
  if (mode === 'hash') return `sha256:${createHash('sha256').update(JSON.stringify(raw) ?? '').digest('hex').slice(0, 32)}`;
  return typeof raw === 'string' && raw.length > MAX_CLEAR_STRING ? `${raw.slice(0, MAX_CLEAR_STRING)}…` : raw;
}

function known(tool: ToolDefinition, field: unknown): field is string {
  return typeof field === 'string' && tool.columnsByField.has(field);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
