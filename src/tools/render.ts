import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Row, ToolOutcome } from '../execute/execute.js';

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

/** The tool result: `structuredContent` typed by the output schema, and a compact text rendering of the same data. */
export function toToolResult(outcome: ToolOutcome): CallToolResult {
  switch (outcome.kind) {
    case 'query': {
      const { rows, truncated, nextOffset } = outcome;
      const summary = `${rows.length} ${rows.length === 1 ? 'row' : 'rows'}${truncated ? ` (truncated: more rows match; next offset ${nextOffset})` : ''}`;
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
