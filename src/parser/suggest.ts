import { distance } from 'fastest-levenshtein';

/** Edit distance counting a swap of two neighbours as one edit (`rnu` → `run`), as typos are. */
function typoDistance(a: string, b: string): number {
  const d = distance(a, b);
  if (d < 2 || a.length !== b.length) return d;
  const diff = [...a].flatMap((ch, i) => (ch === b[i] ? [] : [i]));
  return diff.length === 2 && diff[1] === diff[0] + 1 && a[diff[0]] === b[diff[1]] && a[diff[1]] === b[diff[0]] ? 1 : d;
}

/** The closest candidate within an edit budget that scales with the word, or undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const budget = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestScore = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    if (c === word) continue;
    const d = c.toLowerCase() === lower ? 0.5 : typoDistance(lower, c.toLowerCase());
    if (d <= budget && d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  return best;
}

export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const c = closest(word, candidates);
  return c === undefined ? undefined : `did you mean \`${c}\`?`;
}
