import type { TableEntry } from './catalog.js';

/**
 * An estimate of the o200k_base tokens of a JSON text that errs high (a test holds it at most 5% below the real
 * count on real listings; on Chinook it is about 12% above): a run of ASCII letters costs one token per 8
 * characters or part, a run of digits and symbols one per 3, any other character one; spaces join the word they
 * precede.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(/[A-Za-z]+|[\u0080-\u{10FFFF}]|[^A-Za-z\s\u0080-\u{10FFFF}]+/gu)) {
    const piece = match[0];
    const first = piece.charCodeAt(0);
    // Other scripts and symbols: a token each (CJK often is one per character).
    if (first > 0x7f) tokens += 1;
    else tokens += Math.ceil(piece.length / (/[A-Za-z]/.test(piece) ? LETTERS_PER_TOKEN : OTHERS_PER_TOKEN));
  }
  return tokens;
}

const LETTERS_PER_TOKEN = 8;
const OTHERS_PER_TOKEN = 3;

// Tables whose rows are records of activity rather than things a question is about.
const ACTIVITY = /(^|_)(logs?|audit|audits|history|histories|events?|deliver(y|ies)|archives?|backups?|tmp|temp|old|migrations?|jobs?|queue|sessions?|webhook_(deliveries|events))(_|$)/;

/**
 * Tables by usefulness to a model, most useful first: foreign-key centrality (relations in and out), then size
 * (the row estimate, when the database gives one); join tables (a key made of foreign keys and little else) and
 * activity tables (audit, log, history, events…) last; views after tables of equal weight; then catalog order.
 */
export function rankTables(entries: readonly TableEntry[]): TableEntry[] {
  const weight = (entry: TableEntry) => {
    const { exposed } = entry;
    const name = entry.names.base;
    const centrality = exposed.relations.length;
    const rows = exposed.table.rowEstimate ?? 0;
    const keyColumns = new Set(exposed.primaryKey ?? []);
    const foreign = new Set(exposed.foreignKeys.flatMap((key) => key.columns));
    const join = exposed.foreignKeys.length >= 2 && keyColumns.size >= 2 && [...keyColumns].every((column) => foreign.has(column)) && exposed.columns.length - foreign.size <= 2;
    const penalty = (join ? 1 : 0) + (ACTIVITY.test(name) ? 1 : 0);
    return { penalty, score: centrality * 4 + Math.log10(rows + 1) - (exposed.table.kind === 'table' ? 0 : 0.5) };
  };
  const weighted = entries.map((entry, index) => ({ entry, index, ...weight(entry) }));
  weighted.sort((a, b) => a.penalty - b.penalty || b.score - a.score || a.index - b.index);
  return weighted.map(({ entry }) => entry);
}
