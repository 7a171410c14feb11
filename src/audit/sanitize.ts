/**
 * Every audit event is sanitized once, in `Auditor.record()`, before any sink sees it: a client controls much of an
 * event (tool name, `_meta.model`, client info, argument keys and values), and text a database cannot store (NUL,
 * lone surrogates, oversize values) must not make a write fail, nor any API key reach a log or a table.
 *
 * Every string of the event, at any depth of `arguments` and in its keys too, gets, in this order:
 * 1. NUL replaced by U+FFFD (PostgreSQL text cannot hold it; `jsonb` refuses its JSON escape);
 * 2. lone surrogates replaced by U+FFFD (not encodable in UTF-8; drivers would change them silently, JSON would not);
 * 3. API-key-shaped substrings replaced by `[redacted]`, before any cut, so no cut leaves part of a key;
 * 4. a length bound, cut without splitting a surrogate pair, with the marker `…[truncated]` inside the bound.
 *
 * An event that needs nothing is returned as is: the sync auditor runs this on every call's path.
 */
import type { AuditEvent } from './event.js';

/** What replaces a secret. */
export const REDACTED = '[redacted]';
/** What marks text, lists or objects cut short. */
export const TRUNCATED = '[truncated]';
/** What ends text cut to its bound. */
export const TRUNCATED_TEXT = `…${TRUNCATED}`;
/** What replaces `arguments` the sanitizer could not read (a throwing getter or `toJSON` of a host's event). */
export const UNREADABLE = '[unreadable]';

/** A conexor API key (`KEY_PATTERN` of `src/auth/api-keys.ts`), anywhere in a text. */
const API_KEY = /cx_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/g;
const API_KEY_LENGTH = 59;

/**
 * Bounds, in UTF-16 code units (never fewer than the characters or code points databases count; at most 3 UTF-8
 * bytes each). Fields stored in a VARCHAR keep its size, so PostgreSQL and MySQL in strict mode accept them.
 */
export const AUDIT_TEXT_LIMITS = {
  requestId: 64,
  timestamp: 64,
  table: 255,
  operation: 32,
  keyId: 255,
  outcome: 16,
  errorCode: 64,
  /** `tool`, `caller.keyName`, `caller.subject`, `client.name`, `client.version`, `client.userAgent`, `model`. */
  text: 1_024,
  /** One string value inside `arguments`. */
  argumentValue: 4_096,
  /** One key inside `arguments`. */
  argumentKey: 256,
  /** All of `arguments`, roughly as JSON characters: past it, the rest of each list or object is cut. */
  arguments: 65_536,
  /** Nesting of `arguments`; deeper values (and cycles) become `[truncated]`. */
  argumentsDepth: 32,
} as const;

// ES2024 string methods (Node 20+, which conexor requires), missing from the ES2023 lib this project compiles with.
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/** `text` with every API-key-shaped substring replaced by `[redacted]`. */
export function redactApiKeys(text: string): string {
  return text.length >= API_KEY_LENGTH && text.includes('cx_') ? text.replace(API_KEY, REDACTED) : text;
}

/**
 * `text` storable and free of API keys, at most `max` code units long (`max` ≥ 16): see the module comment.
 * Returns `text` itself when it needs nothing.
 */
export function sanitizeText(text: string, max: number): string {
  const keyShaped = text.length >= API_KEY_LENGTH && text.includes('cx_');
  const wellFormed = (text as WellFormedString).isWellFormed();
  if (text.length <= max && wellFormed && !keyShaped && !text.includes('\0')) return text;
  const long = text.length > max;
  // What lies past `max + API_KEY_LENGTH` is never kept nor scanned (a 1 MiB header costs no more than a short one),
  // while a key starting before `max` still ends inside what is scanned.
  let clean = text.length > max + API_KEY_LENGTH ? text.slice(0, max + API_KEY_LENGTH) : text;
  // Both replacements keep every position, so `max` still marks the same place below.
  if (clean.includes('\0')) clean = clean.replaceAll('\0', '\uFFFD');
  if (!(clean as WellFormedString).isWellFormed()) clean = (clean as WellFormedString).toWellFormed();
  if (keyShaped) clean = redactKeysBefore(clean, long ? max : clean.length);
  else if (long) clean = clip(clean, max);
  return long ? clip(clean, max - TRUNCATED_TEXT.length) + TRUNCATED_TEXT : clean;
}

/**
 * The part of `text` before position `end` with every key starting there redacted whole, even one that runs past
 * `end`; nothing after `end` is kept, so no cut can leave the start of a key that was never redacted.
 */
function redactKeysBefore(text: string, end: number): string {
  let out = '';
  let from = 0;
  for (const match of text.matchAll(API_KEY)) {
    if (match.index >= end) break;
    out += text.slice(from, match.index) + REDACTED;
    from = match.index + match[0].length;
  }
  return from < end ? out + clip(text.slice(from), end - from) : out;
}

/** The first `length` code units of `text`, one fewer when the last would split a surrogate pair. */
export function clip(text: string, length: number): string {
  if (text.length <= length) return text;
  const last = text.charCodeAt(length - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}

/**
 * The event as sinks get it: see the module comment. Fields of other types than declared (a host's own events)
 * are left as they are: a sink may refuse that one event, which never costs the others.
 */
export function sanitizeAuditEvent(event: AuditEvent): AuditEvent {
  const limits = AUDIT_TEXT_LIMITS;
  const requestId = field(event.requestId, limits.requestId);
  const timestamp = field(event.timestamp, limits.timestamp);
  const tool = field(event.tool, limits.text);
  const table = field(event.table, limits.table);
  const operation = field(event.operation, limits.operation);
  const outcome = field(event.outcome, limits.outcome);
  const errorCode = field(event.errorCode, limits.errorCode);
  const model = field(event.model, limits.text);
  const args = sanitizeArguments(event.arguments);
  const caller = sanitizeCaller(event.caller);
  const client = sanitizeClient(event.client);
  if (
    requestId === event.requestId &&
    timestamp === event.timestamp &&
    tool === event.tool &&
    table === event.table &&
    operation === event.operation &&
    outcome === event.outcome &&
    errorCode === event.errorCode &&
    model === event.model &&
    args === event.arguments &&
    caller === event.caller &&
    client === event.client
  ) {
    return event;
  }
  return { ...event, requestId, timestamp, tool, table, operation, arguments: args, caller, client, model, outcome, errorCode };
}

/** A string field sanitized; any other value as it is. */
function field<T>(value: T, max: number): T {
  return (typeof value === 'string' ? sanitizeText(value, max) : value) as T;
}

function sanitizeCaller(caller: AuditEvent['caller']): AuditEvent['caller'] {
  if (typeof caller !== 'object' || caller === null) return caller;
  const keyId = field(caller.keyId, AUDIT_TEXT_LIMITS.keyId);
  const keyName = field(caller.keyName, AUDIT_TEXT_LIMITS.text);
  const subject = field(caller.subject, AUDIT_TEXT_LIMITS.text);
  return keyId === caller.keyId && keyName === caller.keyName && subject === caller.subject ? caller : { keyId, keyName, subject };
}

function sanitizeClient(client: AuditEvent['client']): AuditEvent['client'] {
  if (typeof client !== 'object' || client === null) return client;
  const name = field(client.name, AUDIT_TEXT_LIMITS.text);
  const version = field(client.version, AUDIT_TEXT_LIMITS.text);
  const userAgent = field(client.userAgent, AUDIT_TEXT_LIMITS.text);
  return name === client.name && version === client.version && userAgent === client.userAgent ? client : { name, version, userAgent };
}

/** `arguments` as JSON-safe, bounded data; the same value when nothing needed changing. */
function sanitizeArguments(args: unknown): unknown {
  try {
    return sanitizeValue(args, 0, { budget: AUDIT_TEXT_LIMITS.arguments });
  } catch {
    return UNREADABLE;
  }
}

interface Walk {
  /** Roughly the JSON characters `arguments` may still take. */
  budget: number;
}

function sanitizeValue(value: unknown, depth: number, walk: Walk): unknown {
  switch (typeof value) {
    case 'string': {
      const clean = sanitizeText(value, Math.min(AUDIT_TEXT_LIMITS.argumentValue, Math.max(walk.budget, TRUNCATED_TEXT.length * 2)));
      walk.budget -= clean.length + 3;
      return clean;
    }
    case 'bigint':
      // JSON.stringify throws on a BigInt: one would make the whole batch fail.
      return sanitizeValue(value.toString(), depth, walk);
    case 'object': {
      if (value === null) {
        walk.budget -= 5;
        return value;
      }
      if (depth >= AUDIT_TEXT_LIMITS.argumentsDepth) {
        walk.budget -= TRUNCATED.length + 3;
        return TRUNCATED;
      }
      if (Array.isArray(value)) return sanitizeArray(value, depth, walk);
      // What JSON.stringify would write (a Date's ISO string…).
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return sanitizeValue(toJSON.call(value) as unknown, depth + 1, walk);
      return sanitizeObject(value as Record<string, unknown>, depth, walk);
    }
    default:
      // Numbers, booleans; undefined, functions and symbols, which JSON leaves out.
      walk.budget -= 8;
      return value;
  }
}

function sanitizeArray(array: readonly unknown[], depth: number, walk: Walk): unknown[] {
  walk.budget -= 2;
  let out: unknown[] | undefined;
  for (let index = 0; index < array.length; index++) {
    if (walk.budget <= 0) {
      out ??= array.slice(0, index);
      out.push(TRUNCATED);
      break;
    }
    const item: unknown = array[index];
    const clean = sanitizeValue(item, depth + 1, walk);
    if (out === undefined && clean !== item) out = array.slice(0, index);
    out?.push(clean);
  }
  return out ?? (array as unknown[]);
}

function sanitizeObject(object: Record<string, unknown>, depth: number, walk: Walk): Record<string, unknown> {
  walk.budget -= 2;
  const keys = Object.keys(object);
  let out: Record<string, unknown> | undefined;
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string;
    if (walk.budget <= 0) {
      out ??= copyEntries(object, keys, index);
      put(out, TRUNCATED, TRUNCATED);
      break;
    }
    const cleanKey = sanitizeText(key, AUDIT_TEXT_LIMITS.argumentKey);
    walk.budget -= cleanKey.length + 4;
    const item = object[key];
    const clean = sanitizeValue(item, depth + 1, walk);
    if (out === undefined && (cleanKey !== key || clean !== item)) out = copyEntries(object, keys, index);
    if (out !== undefined) put(out, cleanKey, clean);
  }
  return out ?? object;
}

/** A copy of the first `count` entries, which needed no change. */
function copyEntries(object: Record<string, unknown>, keys: readonly string[], count: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let index = 0; index < count; index++) put(out, keys[index] as string, object[keys[index] as string]);
  return out;
}

/**
 * Sets an own property: `__proto__` included (JSON may carry one), and never over another key, since two keys may
 * sanitize to the same text (two redacted keys, two long keys cut alike): the later one gets `#2`, `#3`…
 */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  let name = key;
  for (let n = 2; Object.hasOwn(out, name); n++) name = `${key}#${n}`;
  Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
}
