/**
 * Token counts with a real tokenizer: o200k_base (GPT-4o and later), through js-tiktoken's pure-JS encoder.
 *
 * The lite entry point with only the o200k ranks is loaded (not `getEncoding`, whose module bundles every
 * encoding), once, on first use. Counting splits the text with the encoding's own pre-tokenizer pattern and
 * memoizes the token count of each piece: tool listings repeat the same pieces (`"type"`, `":"`, field names)
 * thousands of times, and byte-pair encoding is the slow part of js-tiktoken. Every piece is encoded on its own
 * by the same encoder, so the total is exactly `encode(text).length` (checked in tokens.test.ts); special-token
 * text such as `<|endoftext|>` counts as ordinary text instead of throwing.
 */
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

let encoder: Tiktoken | undefined;
let pieces: RegExp | undefined;
const memo = new Map<string, number>();
/** Bounds the memo for long generated texts; tool listings stay far below it. */
const MEMO_LIMIT = 1_000_000;

/** The o200k_base encoder (built once: about 200k ranks to decode). */
export function o200kEncoder(): Tiktoken {
  encoder ??= new Tiktoken(o200kBase);
  return encoder;
}

/** Number of o200k_base tokens of `text`. */
export function countTokens(text: string): number {
  const encode = o200kEncoder();
  pieces ??= new RegExp(o200kBase.pat_str, 'gu');
  let total = 0;
  for (const [piece] of text.matchAll(pieces)) {
    let count = memo.get(piece);
    if (count === undefined) {
      count = encode.encode(piece, [], []).length;
      if (memo.size < MEMO_LIMIT) memo.set(piece, count);
    }
    total += count;
  }
  return total;
}

/** Tokens of a `tools/list` result's JSON: `{"tools": [...]}`, as a client puts it before the model. */
export function listingTokens(tools: readonly unknown[]): number {
  return countTokens(JSON.stringify({ tools }));
}
