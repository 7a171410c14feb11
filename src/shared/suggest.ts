/** Levenshtein distance of two strings, or `limit + 1` as soon as it is known to exceed `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    if (Math.min(...current) > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

export interface ClosestOptions {
  /** Most names returned. @default 3 */
  readonly count?: number;
  /** Smallest edit distance still taken for a typo; longer names allow a third of their length. @default 2 */
  readonly minTolerance?: number;
  /** Whether a candidate containing the name (or contained in it, 3 characters or more) counts as closest. @default true */
  readonly containment?: boolean;
}

/**
 * Up to `count` candidates closest to `name` (case-insensitive): by edit distance within a typo's tolerance, ties in
 * the candidates' order; with `containment`, those containing the name come first.
 */
export function closest(name: string, candidates: readonly string[], options: ClosestOptions = {}): string[] {
  const { count = 3, minTolerance = 2, containment = true } = options;
  const wanted = name.toLowerCase();
  const tolerance = Math.max(minTolerance, Math.floor(wanted.length / 3));
  const scored: { candidate: string; index: number; score: number }[] = [];
  [...new Set(candidates)].forEach((candidate, index) => {
    const lower = candidate.toLowerCase();
    const contains = containment && wanted.length >= 3 && (lower.includes(wanted) || wanted.includes(lower));
    const score = contains ? 0 : editDistance(wanted, lower, tolerance);
    if (score <= tolerance) scored.push({ candidate, index, score });
  });
  return scored
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .slice(0, count)
    .map(({ candidate }) => candidate);
}
