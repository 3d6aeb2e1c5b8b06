/**
 * Cutting a text to at most N tokens: the longest prefix of the original text, never splitting
 * a character, whose own token count is ≤ N. Found by a galloping search from a proportional
 * guess, then bisection, so the cost follows the kept length rather than the whole text.
 */
import type { TextTokenizer } from './tokenizers.js';

export interface Truncated {
  text: string;
  tokens: number;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;

/**
 * `total`: the token count of the whole text (known to be > max). Returns undefined when not
 * even the empty text fits (a post-processor adding more special tokens than `max`).
 */
export function truncateToTokens(text: string, max: number, tok: TextTokenizer, total: number): Truncated | undefined {
  const L = text.length;
  const memo = new Map<number, number>();
  const f = (k: number) => {
    let c = memo.get(k);
    if (c === undefined) memo.set(k, (c = k === L ? total : tok.count(text.slice(0, k))));
    return c;
  };
  // a cut between the two halves of a surrogate pair moves past the pair
  const snap = (k: number) => (k > 0 && k < L && isHigh(text.charCodeAt(k - 1)) ? k + 1 : k);
  if (f(0) > max) return undefined;
  let lo = 0;
  let hi = L;
  // first probe: where the cut would be if tokens were spread evenly over the text
  let g = snap(Math.max(1, Math.min(L - 1, Math.floor((L * max) / Math.max(total, 1)))));
  if (g > lo && g < hi) {
    let step = Math.max(16, g >> 4);
    if (f(g) <= max) {
      lo = g;
      // gallop up until a probe is over
      for (;;) {
        const k = snap(Math.min(hi, lo + step));
        if (k >= hi) break;
        if (f(k) <= max) lo = k;
        else {
          hi = k;
          break;
        }
        step *= 2;
      }
    } else {
      hi = g;
      for (;;) {
        const k = snap(Math.max(lo, hi - step));
        if (k <= lo) break;
        if (f(k) > max) hi = k;
        else {
          lo = k;
          break;
        }
        step *= 2;
      }
    }
  }
  // bisection: f(lo) ≤ max < f(hi) throughout
  while (hi - lo > 1) {
    const mid = snap((lo + hi) >> 1);
    if (mid <= lo || mid >= hi) break;
    if (f(mid) <= max) lo = mid;
    else hi = mid;
  }
  return { text: text.slice(0, lo), tokens: f(lo) };
}
