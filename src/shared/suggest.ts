/** Edit distance between two short strings (case-insensitive), bounded so long inputs stay cheap. */
export function editDistance(a: string, b: string, max = 64): number {
  const x = a.toLowerCase().slice(0, max);
  const y = b.toLowerCase().slice(0, max);
  let previous = Array.from({ length: y.length + 1 }, (_, index) => index);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/**
 * Up to `count` candidates closest to `name`: those containing it (or contained in it) first, then by edit
 * distance, within a distance that still looks like a typo; ties in the candidates' order.
 */
export function closest(name: string, candidates: readonly string[], count = 3): string[] {
  const wanted = name.toLowerCase();
  const scored = candidates.map((candidate, index) => {
    const lower = candidate.toLowerCase();
    const contains = wanted.length >= 3 && (lower.includes(wanted) || wanted.includes(lower));
    return { candidate, index, score: contains ? 0 : editDistance(wanted, lower) };
  });
  const tolerance = Math.max(2, Math.floor(wanted.length / 3));
  return scored
    .filter(({ score }) => score <= tolerance)
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .slice(0, count)
    .map(({ candidate }) => candidate);
}
