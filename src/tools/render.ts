import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Row, ToolOutcome } from '../execute/execute.js';
import type { ResolvedTime } from './resolve-time.js';

/** A cell for the text rendering: bare when unambiguous, JSON-quoted otherwise. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return value === '' || value === 'null' || /[\t\n\r"\\]/.test(value) || value !== value.trim() ? JSON.stringify(value) : value;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Rows as a header line and tab-separated values: far fewer tokens than JSON with repeated keys. */
function table(rows: readonly Row[]): string {
  const first = rows[0];
  if (!first) return '';
  const fields = Object.keys(first);
  return [fields.join('\t'), ...rows.map((row) => fields.map((field) => cell(row[field])).join('\t'))].join('\n');
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
export function toToolResult(outcome: ToolOutcome, times?: ResolvedTime): CallToolResult {
  const result = toResult(outcome);
  if (!times || !result.structuredContent) return result;
  const [first] = result.content;
  return {
    content: [{ type: 'text', text: `${timeLine(times)}\n${first?.type === 'text' ? first.text : ''}` }],
    structuredContent: { ...result.structuredContent, resolved_time: times },
  };
}

function toResult(outcome: ToolOutcome): CallToolResult {
  switch (outcome.kind) {
    case 'query':
    case 'aggregate': {
      const { rows, truncated, nextOffset } = outcome;
      const noun = outcome.kind === 'query' ? ['row', 'rows'] : ['group', 'groups'];
      const summary = `${rows.length} ${rows.length === 1 ? noun[0] : noun[1]}${truncated ? ` (truncated: more ${noun[1]} match; next offset ${nextOffset})` : ''}`;
      return {
        content: [{ type: 'text', text: rows.length ? `${summary}\n${table(rows)}` : summary }],
        structuredContent: { rows, truncated, ...(nextOffset !== undefined ? { next_offset: nextOffset } : {}) },
      };
    }
    case 'lookup':
      return {
        content: [{ type: 'text', text: outcome.row ? table([outcome.row]) : 'No row matches.' }],
        structuredContent: { row: outcome.row },
      };
    case 'count':
      return {
        content: [{ type: 'text', text: `count: ${outcome.count}` }],
        structuredContent: { count: outcome.count },
      };
  }
}

/** A tool error the model can act on. */
export function toErrorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
