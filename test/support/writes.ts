import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Knex } from 'knex';
import { expect } from 'vitest';
import { textOf } from './mcp.js';

/** A row as the test compares it: 64-bit integers, dates and bytes in one stable spelling per dialect. */
export type PlainRow = Record<string, unknown>;

/** One value in a stable, comparable form (the driver's own types differ: BigInt, Date, Buffer). */
export function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `base64:${value.toString('base64')}`;
  return value;
}

/** Every row of `table`, read through Knex (never through conexor), ordered by `key`. */
export async function tableRows(knex: Knex, table: string, key = 'id'): Promise<PlainRow[]> {
  const rows = (await knex(table).select('*').orderBy(key)) as PlainRow[];
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, plainValue(value)])));
}

/** Rows by key, for before/after comparisons. */
export function byKey(rows: readonly PlainRow[], key = 'id'): Map<string, PlainRow> {
  return new Map(rows.map((row) => [String(row[key]), row]));
}

/** What changed between two reads of a table: keys added, removed and changed. */
export interface RowDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

export function diffRows(before: readonly PlainRow[], after: readonly PlainRow[], key = 'id'): RowDiff {
  const old = byKey(before, key);
  const now = byKey(after, key);
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changed: [...now.keys()].filter((id) => old.has(id) && JSON.stringify(old.get(id)) !== JSON.stringify(now.get(id))),
  };
}

/** Text an error may not contain once JSON-quoted (echoed) input is removed: SQL, stack frames, object dumps. */
export const ERROR_LEAKS = [/select /i, /insert /i, /drop /i, /delete from/i, /update [`"]/i, / from "/i, / from `/i, /\n\s+at /, /\bat .+:\d+:\d+/, /\[object Object\]/, /undefined/];

/**
 * One call through the MCP client, with a hang guard (not a speed check): it must answer with a well-formed tool
 * result, and an error result must carry no SQL, stack or object dump.
 */
export async function callTool(client: Client, name: string, args: unknown, meta?: Record<string, unknown>, timeoutMs = 30_000): Promise<CallToolResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${timeoutMs} ms: ${show(args)}`)), timeoutMs);
  });
  let result: CallToolResult;
  try {
    const params = { name, arguments: args as Record<string, unknown>, ...(meta ? { _meta: meta } : {}) };
    result = (await Promise.race([client.callTool(params), deadline])) as CallToolResult;
  } finally {
    clearTimeout(timer);
  }
  expect(Array.isArray(result.content), `${name}: a tool result has content`).toBe(true);
  expect(result.content[0]?.type, `${name}: text first`).toBe('text');
  if (result.isError) {
    const text = textOf(result);
    const unquoted = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const leak of ERROR_LEAKS) expect(unquoted, `${name} ${show(args)}: error text leaks ${String(leak)}: ${text.slice(0, 300)}`).not.toMatch(leak);
  }
  return result;
}

/** The `affected` count of a successful write result. */
export function affectedOf(result: CallToolResult): number {
  expect(result.isError, textOf(result)).toBeFalsy();
  return (result.structuredContent as { affected: number }).affected;
}

export function show(args: unknown): string {
  const text = JSON.stringify(args) ?? String(args);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
