import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Noted, Page, Row, ToolOutcome, ValueRange } from '../execute/execute.js';
import { CutValue } from '../execute/values.js';
import type { ResolvedTime } from '../plan/resolve-time.js';

/** A cell for the text rendering: bare when unambiguous, JSON-quoted otherwise. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof CutValue) return cell(value.toString());
  if (typeof value === 'string') {
    return value === '' || value === 'null' || /[\t\n\r"\\]/.test(value) || value !== value.trim() ? JSON.stringify(value) : value;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function line(fields: readonly string[], row: Row): string {
  return fields.map((field) => cell(row[field])).join('\t');
}

/** Rows as a header line and tab-separated values: far fewer tokens than JSON with repeated keys. */
export function table(rows: readonly Row[]): string {
  const first = rows[0];
  if (!first) return '';
  const fields = Object.keys(first);
  return [fields.join('\t'), ...rows.map((row) => line(fields, row))].join('\n');
}

/** A row with cut values as their marked text: what structured content carries (plain JSON). */
export function plain(row: Row): Row {
  const values = Object.entries(row);
  if (!values.some(([, value]) => value instanceof CutValue)) return row;
  return Object.fromEntries(values.map(([field, value]) => [field, value instanceof CutValue ? value.toString() : value]));
}

// ---------------------------------------------------------------------------------------------------------------
// The result size budget

/** Bytes of a result besides its rows: summary line, keys and flags of the structured content, JSON-RPC framing. */
const RESULT_OVERHEAD_BYTES = 512;

/** What one row costs in a result: its text line and its JSON in the structured content. */
function rowBytes(fields: readonly string[], row: Row): number {
  return Buffer.byteLength(line(fields, row)) + Buffer.byteLength(JSON.stringify(row)) + 2;
}

/**
 * The outcome cut to `maxBytes` of result: rows past the budget are left for the next page (`truncated`,
 * `next_offset`, `sizeLimited`); a first row that alone exceeds it keeps its place with its longest values cut
 * further. Values were already cut to `maxValueChars` by the database, so this never sees a huge one.
 */
export function fitToBudget(outcome: ToolOutcome, maxBytes: number): ToolOutcome {
  if (outcome.kind === 'count') return outcome;
  const room = maxBytes - RESULT_OVERHEAD_BYTES;
  if (outcome.kind === 'lookup') {
    if (!outcome.row) return outcome;
    const fields = Object.keys(outcome.row);
    return { ...outcome, row: shrink(outcome.row, room - Buffer.byteLength(fields.join('\t')), fields) };
  }
  const fitted = fitPage(outcome, room);
  return fitted === outcome ? outcome : { ...outcome, ...fitted };
}

/**
 * A write's listed rows cut to `maxBytes` of result like a page: the rows that fit (a first row alone over it kept,
 * shrunk); the caller counts the others as not listed.
 */
export function fitRows(rows: readonly Row[], maxBytes: number): readonly Row[] {
  return fitPage({ rows: [...rows], truncated: false, nextOffset: undefined, offset: 0 }, maxBytes - RESULT_OVERHEAD_BYTES).rows;
}

function fitPage(page: Page, room: number): Page {
  const first = page.rows[0];
  if (!first) return page;
  const fields = Object.keys(first);
  let used = Buffer.byteLength(fields.join('\t'));
  const kept: Row[] = [];
  for (const row of page.rows) {
    const size = rowBytes(fields, row);
    if (used + size > room) {
      if (kept.length > 0) break;
      // Even the first row is too big: it stays, smaller, so every page moves forward.
      kept.push(shrink(row, room - used, fields));
      break;
    }
    kept.push(row);
    used += size;
  }
  if (kept.length === page.rows.length && kept[0] === first) return page;
  const more = kept.length < page.rows.length || page.truncated;
  return {
    rows: kept,
    truncated: more,
    nextOffset: more ? page.offset + kept.length : undefined,
    offset: page.offset,
    sizeLimited: kept.length < page.rows.length || page.sizeLimited === true,
  };
}

/**
 * `row` with its long values cut to one length, halved until the row costs at most `room` bytes (a dozen rounds at
 * most), or every value is cut to its marker. Text, JSON and base64 values are cut; numbers and the like are kept.
 */
function shrink(row: Row, room: number, fields: readonly string[]): Row {
  if (rowBytes(fields, row) <= room) return row;
  const texts = new Map<string, { text: string; total: number }>();
  for (const field of fields) {
    const value = row[field];
    const text = value instanceof CutValue ? value.kept : typeof value === 'string' ? value : value !== null && typeof value === 'object' ? JSON.stringify(value) : undefined;
    if (text) texts.set(field, { text, total: value instanceof CutValue ? value.totalBytes : Buffer.byteLength(text) });
  }
  let cap = Math.max(0, ...[...texts.values()].map(({ text }) => text.length));
  let current = row;
  while (cap > 0 && rowBytes(fields, current) > room) {
    cap = Math.floor(cap / 2);
    const cut: Row = { ...row };
    for (const [field, { text, total }] of texts) if (text.length > cap) cut[field] = new CutValue(prefix(text, cap), total);
    current = cut;
  }
  return current;
}

/** The first `length` UTF-16 units of `text`, never ending in half of a surrogate pair. */
function prefix(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

/** The line that states what relative times resolved to, so the model can quote the range. */
function timeLine(times: ResolvedTime): string {
  const values = times.values.map((value) => `${value.at} ${JSON.stringify(value.input)} = ${value.resolved}`);
  return `Resolved times (${times.time_zone}, now ${times.now}): ${values.join('; ')}`;
}

/**
 * The tool result: `structuredContent` typed by the output schema, and a compact text rendering of the same data.
 * `times` echoes the relative times the call used.
 */
export function toToolResult(outcome: ToolOutcome & Noted, times?: ResolvedTime): CallToolResult {
  const result = withNotes(toResult(outcome), outcome.notes);
  if (!times || !result.structuredContent) return result;
  const [first] = result.content;
  return {
    content: [{ type: 'text', text: `${timeLine(times)}\n${first?.type === 'text' ? first.text : ''}` }],
    structuredContent: { ...result.structuredContent, resolved_time: times },
  };
}

/** Notes the executor attached (e.g. a column storing dates in several forms): a `notes` list and a text line each. */
function withNotes(result: CallToolResult, notes: readonly string[] | undefined): CallToolResult {
  if (!notes?.length || !result.structuredContent) return result;
  const [first] = result.content;
  return {
    content: [{ type: 'text', text: `${first?.type === 'text' ? first.text : ''}\n${notes.map((note) => `Note: ${note}`).join('\n')}` }],
    structuredContent: { ...result.structuredContent, notes: [...notes] },
  };
}

function toResult(outcome: ToolOutcome): CallToolResult {
  switch (outcome.kind) {
    case 'query':
    case 'aggregate': {
      const { rows, truncated, nextOffset } = outcome;
      const noun = outcome.kind === 'query' ? ['row', 'rows'] : ['group', 'groups'];
      const why = outcome.sizeLimited ? 'the result size limit was reached' : `more ${noun[1]} match`;
      const summary = `${rows.length} ${rows.length === 1 ? noun[0] : noun[1]}${truncated ? ` (truncated: ${why}; next offset ${nextOffset})` : ''}`;
      return {
        content: [{ type: 'text', text: rows.length ? `${summary}\n${table(rows)}` : summary }],
        structuredContent: { rows: rows.map(plain), truncated, ...(nextOffset !== undefined ? { next_offset: nextOffset } : {}) },
      };
    }
    case 'lookup':
      return {
        content: [{ type: 'text', text: outcome.row ? table([outcome.row]) : 'No row matches.' }],
        structuredContent: { row: outcome.row && plain(outcome.row) },
      };
    case 'count':
      return {
        content: [{ type: 'text', text: `count: ${outcome.count}` }],
        structuredContent: { count: outcome.count },
      };
  }
}

/**
 * An empty result with the range of each filtered date column (by field name) within the caller's scope:
 * `No rows: ordered_at ranges from … to … in this table.` and `data_range: {ordered_at: {min, max}}`.
 */
export function withDataRange(result: CallToolResult, ranges: readonly (readonly [field: string, range: ValueRange])[], scoped: boolean): CallToolResult {
  if (ranges.length === 0 || !result.structuredContent) return result;
  const clauses = ranges.map(([field, { min, max }]) => (min === null && max === null ? `${field} has no values` : `${field} ranges from ${cell(min)} to ${cell(max)}`));
  const line = `No rows: ${clauses.join('; ')} ${scoped ? 'in the rows you may read' : 'in this table'}.`;
  const [first, ...rest] = result.content;
  return {
    ...result,
    content: [{ type: 'text', text: first?.type === 'text' ? `${first.text}\n${line}` : line }, ...rest],
    structuredContent: { ...result.structuredContent, data_range: Object.fromEntries(ranges.map(([field, range]) => [field, { min: range.min, max: range.max }])) },
  };
}

/** A tool error the model can act on. */
export function toErrorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
