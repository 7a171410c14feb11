import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { InvalidArgumentsError } from '../errors.js';
import type { TableEntry } from '../catalog/catalog.js';
import { clip, kindWord } from '../catalog/describe.js';
import { READ_ANNOTATIONS } from './kinds.js';

export const SEARCH_TOOL = 'search_tables';
const MAX_NAMES = 200;
const MAX_DETAILED = 50;

/** The `search_tables` listing. */
export function searchListing(): Tool {
  return {
    name: SEARCH_TOOL,
    description:
      'Find the tables and views you can query: pattern matches names, comments and field names (words, or a name glob with * and ?, such as "order*"). ' +
      'detail=columns gives fields with types, keys, relations, enum values and a row estimate. Then call query, count or aggregate with table.',
    inputSchema: {
      type: 'object',
      properties: {
        pattern: { type: 'string' },
        detail: { enum: ['names', 'columns'], default: 'names' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_NAMES },
        offset: { type: 'integer', minimum: 0 },
      },
      additionalProperties: false,
    },
    annotations: READ_ANNOTATIONS,
  };
}

const input = z.strictObject({
  pattern: z.string().max(200).optional(),
  detail: z.enum(['names', 'columns']).default('names'),
  limit: z.number().int().min(1).max(MAX_NAMES).optional(),
  offset: z.number().int().min(0).max(1_000_000).default(0),
});

/** A table as `search_tables` shows it, with the typed tools the caller has for it. */
export interface SearchableTable {
  readonly entry: TableEntry;
  readonly tools: readonly string[];
  /** The write operations the caller may use on the table (through typed or generic tools); empty when none. */
  readonly writes?: readonly string[];
}

/**
 * Runs `search_tables` over the tables a caller may use. Matches every word of `pattern` (case-insensitive) in the
 * table's names, description and field names, or a glob against its names; exact names come first, then names
 * starting with the pattern, other name matches, and tables whose fields or relations match.
 */
export function searchTables(tables: readonly SearchableTable[], args: unknown): CallToolResult {
  const parsed = input.safeParse(args ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : 'arguments';
    // Names the client chose are echoed cut, like every other argument name (see describeIssues).
    const message =
      issue?.code === 'unrecognized_keys'
        ? `unknown ${issue.keys.length > 1 ? 'arguments' : 'argument'} ${issue.keys.slice(0, 5).map((key) => JSON.stringify(key.slice(0, 64))).join(', ')}; allowed: pattern, detail, limit, offset`
        : (issue?.message ?? 'invalid');
    throw new InvalidArgumentsError(`Invalid arguments for ${SEARCH_TOOL}: ${path.slice(0, 64)}: ${message}.`);
  }
  const { pattern, detail, offset } = parsed.data;
  const limit = Math.min(parsed.data.limit ?? (detail === 'names' ? MAX_NAMES : 10), detail === 'names' ? MAX_NAMES : MAX_DETAILED);
  const matched = match(tables, pattern?.trim() ?? '');
  const page = matched.slice(offset, offset + limit);
  const more = offset + page.length < matched.length;
  const summary = `${matched.length} ${matched.length === 1 ? 'table' : 'tables'}${page.length < matched.length ? `, showing ${offset + 1}–${offset + page.length}` : ''}${more ? `; next offset ${offset + page.length}` : ''}`;
  const lines = page.map(({ entry, tools, writes }) => (detail === 'names' ? nameLine(entry) : detailBlock(entry, tools, writes ?? [])));
  const structured = page.map(({ entry, tools, writes }) => ({
    table: entry.names.base,
    kind: entry.exposed.table.kind,
    ...(entry.exposed.table.rowEstimate != null ? { rows: entry.exposed.table.rowEstimate } : {}),
    ...(detail === 'columns' ? { description: entry.details, tools } : entry.exposed.description ? { description: clip(entry.exposed.description) } : {}),
    ...(detail === 'columns' && writes && writes.length > 0 ? { writes: [...writes], ...(writes.includes('insert') ? { required: requiredFields(entry) } : {}) } : {}),
  }));
  return {
    content: [{ type: 'text', text: [summary, ...lines].join(detail === 'names' ? '\n' : '\n\n') }],
    structuredContent: { total: matched.length, tables: structured, ...(more ? { next_offset: offset + page.length } : {}) },
  };
}

function rowsNote(entry: TableEntry): string {
  const rows = entry.exposed.table.rowEstimate;
  return rows != null ? `, ~${rows} rows` : '';
}

function nameLine(entry: TableEntry): string {
  const comment = entry.exposed.description ? `: ${clip(entry.exposed.description, 120)}` : '';
  return `${entry.names.base} (${kindWord(entry.exposed)}${rowsNote(entry)})${comment}`;
}

function detailBlock(entry: TableEntry, tools: readonly string[], writes: readonly string[]): string {
  const keys = entry.exposed.uniqueKeys.map((key) => key.map((column) => entry.names.fields.get(column.name) ?? column.name).join('+'));
  const required = requiredFields(entry);
  const writing = writes.map((operation) => (operation === 'insert' && required.length > 0 ? `insert (required: ${required.join(', ')})` : operation));
  return [
    `${entry.names.base}${rowsNote(entry)}: ${entry.details}`,
    ...(keys.length > 0 ? [`Unique: ${keys.join('; ')}.`] : []),
    ...(tools.length > 0 ? [`Tools: ${tools.join(', ')}.`] : []),
    ...(writing.length > 0 ? [`Writes: ${writing.join(', ')}.`] : []),
  ].join(' ');
}

/** The fields an insert must set. */
function requiredFields(entry: TableEntry): string[] {
  return entry.exposed.access.required.map((column) => entry.names.fields.get(column.name) ?? column.name);
}

function match(tables: readonly SearchableTable[], pattern: string): SearchableTable[] {
  if (pattern === '') return [...tables];
  if (/[*?]/.test(pattern)) {
    const glob = pattern.toLowerCase();
    return tables.filter(({ entry }) => wildcard(glob, entry.names.base) || wildcard(glob, entry.exposed.table.name.toLowerCase()));
  }
  const words = pattern.toLowerCase().split(/\s+/).filter(Boolean);
  const phrase = words.join('_');
  // Exact names first, then names starting with the pattern, names containing every word, and the rest.
  const ranked: { table: SearchableTable; rank: number; index: number }[] = [];
  tables.forEach((table, index) => {
    const names = [table.entry.names.base, table.entry.exposed.table.name.toLowerCase()];
    const joined = names.join(' ');
    const content = `${joined} ${table.entry.details}`.toLowerCase();
    const rank = names.includes(phrase)
      ? 0
      : names.some((name) => name.startsWith(phrase))
        ? 1
        : words.every((word) => joined.includes(word))
          ? 2
          : words.every((word) => content.includes(word))
            ? 3
            : -1;
    if (rank >= 0) ranked.push({ table, rank, index });
  });
  return ranked.sort((a, b) => a.rank - b.rank || a.index - b.index).map(({ table }) => table);
}

/**
 * Whether `text` matches `pattern`, where `*` is any run of characters and `?` one character, everything else
 * literal. Linear backtracking to the last `*` only, so any pattern costs at most pattern × text steps (a regex
 * glob such as picomatch's can backtrack exponentially on `*?*?…`).
 */
export function wildcard(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = t;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}
