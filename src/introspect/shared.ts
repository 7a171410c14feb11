import type { Dialect, UniqueKeyModel } from './model.js';

/** Rows of a `knex.raw` result, whatever the driver's result shape. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) {
    // mysql2 returns [rows, fields]; better-sqlite3 and sqlite3 return rows.
    return (Array.isArray(result[0]) ? result[0] : result) as T[];
  }
  if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows)) {
    return result.rows as T[];
  }
  return [];
}

/** Groups items by key, keeping first-seen order. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** Drops unique keys equal to the primary key or to an earlier key (same columns, same order). */
export function dedupeUniqueKeys(keys: readonly UniqueKeyModel[], primaryKey: readonly string[] | null): UniqueKeyModel[] {
  const seen = new Set<string>(primaryKey ? [JSON.stringify(primaryKey)] : []);
  const result: UniqueKeyModel[] = [];
  for (const key of keys) {
    const id = JSON.stringify(key.columns);
    if (seen.has(id)) continue;
    seen.add(id);
    result.push(key);
  }
  return result;
}

/** What MySQL and MariaDB mean by a backslash before these characters in a printed string literal. */
export const BACKSLASH_ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  Z: '\x1a',
};

/** `'it''s'` → `it's`; anything not a single-quoted literal is returned as is. */
export function unquoteLiteral(text: string): string {
  const match = /^'((?:[^']|'')*)'$/s.exec(text.trim());
  return match?.[1] != null ? match[1].replace(/''/g, "'") : text;
}

const INTEGER_BITS: Record<string, number> = {
  tinyint: 8,
  smallint: 16,
  int2: 16,
  mediumint: 24,
  int: 32,
  integer: 32,
  int4: 32,
  serial: 32,
  bigint: 64,
  int8: 64,
  bigserial: 64,
};

/**
 * The values a PostgreSQL or MySQL integer column can hold, clamped to JavaScript's safe integers; `null` when the
 * type is not a fixed-width integer (SQLite integers are always 64-bit, so only the safe range applies there).
 */
export function integerBounds(dialect: Dialect, nativeType: string): readonly [number, number] | null {
  if (dialect === 'sqlite') return null;
  const match = /^([a-z0-9]+)(?:\(\d+\))?(\s+unsigned)?/i.exec(nativeType.trim());
  const bits = match?.[1] ? INTEGER_BITS[match[1].toLowerCase()] : undefined;
  if (!bits) return null;
  const unsigned = Boolean(match?.[2]);
  const [min, max] = unsigned ? [0n, 2n ** BigInt(bits) - 1n] : [-(2n ** BigInt(bits - 1)), 2n ** BigInt(bits - 1) - 1n];
  const clamp = (value: bigint) =>
    Number(value < BigInt(Number.MIN_SAFE_INTEGER) ? BigInt(Number.MIN_SAFE_INTEGER) : value > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : value);
  return [clamp(min), clamp(max)];
}

/**
 * The finite range a single-precision float column accepts, for PostgreSQL `real`: values it would round to zero or
 * to infinity make PostgreSQL fail the statement. `null` for other types (MySQL and SQLite round silently).
 */
export function floatBounds(dialect: Dialect, nativeType: string): { readonly smallest: number; readonly largest: number } | null {
  if (dialect !== 'postgresql' || !/^(real|float4)$/i.test(nativeType.trim())) return null;
  return { smallest: 1.401298464324817e-45, largest: 3.4028234663852886e38 };
}
