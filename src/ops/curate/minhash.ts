/**
 * MinHash-LSH building blocks for `dedupe_near` (and n-gram hashing for `decontaminate`):
 * text simplification, word/char shingles hashed to 32 bits, MinHash signatures, the LSH
 * S-curve and its (bands, rows) solver, 64-bit band keys, an open-addressing table on typed
 * arrays, and union-find. Pure functions and typed arrays: no row text is kept anywhere.
 *
 * The permutation family is 32-bit, `h_k(x) = (a_k·x + b_k) mod 2^32` over a 32-bit shingle
 * hash (a_k odd; minima taken in signed order), as the curation notes (§4.1) propose for a self-contained TS implementation:
 * statistically fine, about 10× faster than the 61-bit Mersenne family of datasketch, but the
 * signatures are not interchangeable with datatrove's or datasketch's.
 */
import { fmix32, hashString } from '../../core/hash32.js';
import { prng } from '../../runtime/hash.js';

// ---------------------------------------------------------------------------------------------
// Text

const NUMBER = /\p{Nd}+(?:[.,،٫⎖⎗⎘]\p{Nd}+)?/gu;
// punctuation, symbols and control characters (datatrove's PUNCTUATION set is a superset of \p{P})
const PUNCT = /[\p{P}\p{S}\p{Cc}]+/gu;
const MARKS = /\p{Mn}+/gu;
// the same rules for ASCII-only text, without unicode property lookups (every ASCII P/S/Cc char)
const NON_ASCII = /[^\x00-\x7f]/;
const ASCII_NUMBER = /[0-9]+(?:[.,][0-9]+)?/g;
const ASCII_PUNCT = /[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+/g;

/**
 * datatrove's `simplify_text`, in its order: lowercase; numbers (any script, with one decimal
 * part) → `0`; punctuation and symbols → space; collapse whitespace and trim; NFD and drop
 * combining marks. `Café, 3.14 is ½-ish` → `cafe 0 is ½ ish` (½ is a No, not a Nd).
 */
export function simplifyText(s: string): string {
  if (!NON_ASCII.test(s)) {
    // ASCII: whitespace and controls fall in ASCII_PUNCT's range, NFD changes nothing
    return s.toLowerCase().replace(ASCII_NUMBER, '0').replace(ASCII_PUNCT, ' ').trim();
  }
  return simplifyUnicode(s);
}

/** simplifyText without the ASCII fast path (exported so tests can check that both agree). */
export function simplifyUnicode(s: string): string {
  return s
    .toLowerCase()
    .replace(NUMBER, '0')
    .replace(PUNCT, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .normalize('NFD')
    .replace(MARKS, '');
}

/** Words of a text: simplified and split on spaces (fold), or split on whitespace as is. */
export function wordsOf(text: string, fold = true): string[] {
  const t = fold ? simplifyText(text) : text.trim();
  return t ? t.split(fold ? ' ' : /\s+/) : [];
}

export type ShingleKind = 'word' | 'char';

/**
 * The shingle strings of a text (for tests and explanations; the hot path hashes instead).
 * A text with fewer than n units gives one shingle, the whole (simplified) text, so that short
 * duplicates still collide (curation notes §9); an empty text gives the one shingle "".
 */
export function shingles(text: string, kind: ShingleKind, n: number, fold = true): string[] {
  if (kind === 'word') {
    const w = wordsOf(text, fold);
    if (w.length < n) return [w.join(' ')];
    const out: string[] = [];
    for (let i = 0; i + n <= w.length; i++) out.push(w.slice(i, i + n).join(' '));
    return out;
  }
  const t = fold ? simplifyText(text) : text;
  if (t.length < n) return [t];
  const out: string[] = [];
  for (let i = 0; i + n <= t.length; i++) out.push(t.slice(i, i + n));
  return out;
}

/** Jaccard similarity |A∩B| / |A∪B| of two sets (two empty sets: 1). */
export function jaccard<T>(a: Iterable<T>, b: Iterable<T>): number {
  const sa = a instanceof Set ? (a as Set<T>) : new Set(a);
  const sb = b instanceof Set ? (b as Set<T>) : new Set(b);
  if (!sa.size && !sb.size) return 1;
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  return inter / (sa.size + sb.size - inter);
}

/** Jaccard of two sorted, duplicate-free Uint32Arrays (hashed shingle sets): a merge. */
export function jaccardSorted(a: Uint32Array, b: Uint32Array): number {
  if (!a.length && !b.length) return 1;
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      inter++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return inter / (a.length + b.length - inter);
}

/** Sorted, duplicate-free copy of a hash list. */
export function sortedUnique(h: Uint32Array): Uint32Array {
  const s = Uint32Array.from(h).sort();
  let k = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[k - 1]) s[k++] = s[i];
  return s.slice(0, k);
}

// ---------------------------------------------------------------------------------------------
// 32-bit hashing

export { fmix32, hashString } from '../../core/hash32.js';

/** One hash for n consecutive word hashes (order matters). */
function combine(hashes: Uint32Array | number[], from: number, n: number, seed: number): number {
  let h = seed ^ Math.imul(n, 0x9e3779b1);
  for (let t = 0; t < n; t++) {
    h = Math.imul(h ^ hashes[from + t], 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593);
  }
  return fmix32(h);
}

/** Hashes a text's word (or char) shingles to 32 bits; seeded, so runs are reproducible. */
export class ShingleHasher {
  private wordSeed: number;
  private shingleSeed: number;
  private wordBuf = new Uint32Array(1024);
  private out = new Uint32Array(1024);

  constructor(readonly kind: ShingleKind, readonly n: number, readonly fold: boolean, seed: number) {
    const rand = prng(seed ^ 0x5bd1e995);
    this.wordSeed = Math.floor(rand() * 2 ** 32);
    this.shingleSeed = Math.floor(rand() * 2 ** 32);
  }

  private words = 0;

  /** FNV-1a hash of each space-separated word of the (simplified) text, into wordBuf; sets `words`. */
  private wordHashes(text: string): Uint32Array {
    const t = this.fold ? simplifyText(text) : text.replace(/\s+/g, ' ').trim();
    if (this.wordBuf.length < t.length / 2 + 1) this.wordBuf = new Uint32Array(t.length + 16);
    const wb = this.wordBuf;
    const seed = (0x811c9dc5 ^ this.wordSeed) >>> 0;
    let w = 0;
    let h = seed;
    let inWord = false;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 32) {
        if (inWord) wb[w++] = fmix32(h);
        h = seed;
        inWord = false;
      } else {
        h = Math.imul(h ^ c, 0x01000193);
        inWord = true;
      }
    }
    if (inWord) wb[w++] = fmix32(h);
    this.words = w;
    return wb;
  }

  /** The shingle hashes of a text (may repeat; a view valid until the next call). */
  hashes(text: string): Uint32Array {
    const n = this.n;
    if (this.kind === 'char') {
      const t = this.fold ? simplifyText(text) : text;
      const m = Math.max(1, t.length - n + 1);
      if (this.out.length < m) this.out = new Uint32Array(m * 2);
      if (t.length < n) this.out[0] = hashString(t, this.shingleSeed);
      else for (let i = 0; i < m; i++) this.out[i] = hashString(t, this.shingleSeed, i, i + n);
      return this.out.subarray(0, m);
    }
    const wb = this.wordHashes(text);
    const w = this.words;
    const m = Math.max(1, w - n + 1);
    if (this.out.length < m) this.out = new Uint32Array(m * 2);
    if (w < n) this.out[0] = combine(wb, 0, w, this.shingleSeed);
    else for (let i = 0; i < m; i++) this.out[i] = combine(wb, i, n, this.shingleSeed);
    return this.out.subarray(0, m);
  }
}

// ---------------------------------------------------------------------------------------------
// MinHash

export class MinHasher {
  readonly a: Uint32Array;
  readonly b: Uint32Array;
  private ai: Int32Array;
  private bi: Int32Array;
  readonly shingler: ShingleHasher;

  constructor(readonly perms: number, seed: number, kind: ShingleKind = 'word', n = 5, fold = true) {
    const rand = prng(seed);
    this.a = new Uint32Array(perms);
    this.b = new Uint32Array(perms);
    for (let k = 0; k < perms; k++) {
      this.a[k] = (Math.floor(rand() * 2 ** 32) | 1) >>> 0;
      this.b[k] = Math.floor(rand() * 2 ** 32) >>> 0;
    }
    this.ai = new Int32Array(this.a.buffer);
    this.bi = new Int32Array(this.b.buffer);
    this.shingler = new ShingleHasher(kind, n, fold, seed);
  }

  /**
   * MinHash signature of a set of shingle hashes, into `sig` (length perms). Values are compared
   * as signed 32-bit ints (a fixed bijection of the unsigned order: still a min-wise hash), four
   * permutations per sweep over the shingles, so the running minima stay in registers.
   */
  signatureOf(hashes: Uint32Array, sig: Uint32Array = new Uint32Array(this.perms)): Uint32Array {
    const P = this.perms;
    const A = this.ai;
    const B = this.bi;
    const m = hashes.length;
    const h = this.hi32(hashes);
    let k = 0;
    for (; k + 4 <= P; k += 4) {
      const a1 = A[k], b1 = B[k], a2 = A[k + 1], b2 = B[k + 1], a3 = A[k + 2], b3 = B[k + 2], a4 = A[k + 3], b4 = B[k + 3];
      let m1 = 0x7fffffff, m2 = 0x7fffffff, m3 = 0x7fffffff, m4 = 0x7fffffff;
      for (let i = 0; i < m; i++) {
        const x = h[i];
        let v = (Math.imul(a1, x) + b1) | 0;
        if (v < m1) m1 = v;
        v = (Math.imul(a2, x) + b2) | 0;
        if (v < m2) m2 = v;
        v = (Math.imul(a3, x) + b3) | 0;
        if (v < m3) m3 = v;
        v = (Math.imul(a4, x) + b4) | 0;
        if (v < m4) m4 = v;
      }
      sig[k] = m1;
      sig[k + 1] = m2;
      sig[k + 2] = m3;
      sig[k + 3] = m4;
    }
    for (; k < P; k++) {
      const a = A[k], b = B[k];
      let mn = 0x7fffffff;
      for (let i = 0; i < m; i++) {
        const v = (Math.imul(a, h[i]) + b) | 0;
        if (v < mn) mn = v;
      }
      sig[k] = mn;
    }
    return sig;
  }

  /** The same bytes as Int32 (no copy). */
  private hi32(h: Uint32Array): Int32Array {
    return new Int32Array(h.buffer, h.byteOffset, h.length);
  }

  signature(text: string, sig?: Uint32Array): Uint32Array {
    return this.signatureOf(this.shingler.hashes(text), sig);
  }
}

/** Share of equal positions of two signatures: an unbiased estimate of the Jaccard. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  let eq = 0;
  for (let k = 0; k < a.length; k++) if (a[k] === b[k]) eq++;
  return eq / a.length;
}

// ---------------------------------------------------------------------------------------------
// LSH: the S-curve and the (bands, rows) solver

/** Probability that a pair with Jaccard s shares at least one of b bands of r rows: 1 − (1 − s^r)^b. */
export function detectionProbability(s: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(s, rows), bands);
}

/** Where the S-curve is steepest, roughly: (1/b)^(1/r). */
export function knee(bands: number, rows: number): number {
  return Math.pow(1 / bands, 1 / rows);
}

/** datasketch's `_integration`: midpoint rule with step 0.001 (same float steps, same sums). */
function integrate(f: (s: number) => number, from: number, to: number): number {
  const p = 0.001;
  let area = 0;
  let x = from;
  while (x < to) {
    area += f(x + 0.5 * p) * p;
    x += p;
  }
  return area;
}

export interface LshParams {
  bands: number;
  rows: number;
  /** area under the S-curve below the threshold (pairs caught that should not be) */
  falsePositive: number;
  /** area above the S-curve above the threshold (pairs missed that should be caught) */
  falseNegative: number;
}

export function lshAreas(threshold: number, bands: number, rows: number): { falsePositive: number; falseNegative: number } {
  return {
    falsePositive: integrate((s) => detectionProbability(s, bands, rows), 0, threshold),
    falseNegative: integrate((s) => 1 - detectionProbability(s, bands, rows), threshold, 1),
  };
}

/**
 * The (bands, rows) with b·r ≤ perms that minimise
 *   (1 − w)·∫₀ᵗ P(s) ds + w·∫ₜ¹ (1 − P(s)) ds,   P(s) = 1 − (1 − s^r)^b,
 * the false-positive and false-negative areas under the S-curve around threshold t, weighted
 * by w = fnWeight (0.5: the plain sum). This is datasketch's `_optimal_param` (also used by
 * Data-Juicer and text-dedup): 0.7 with 256 perms gives 25 × 10; 0.8 with 128 gives 9 × 13.
 * Hashes past b·r still count in the Jaccard estimate. Ties go to the first (smallest b).
 * `minRecall`: only (b, r) that find a pair at the threshold itself with at least this probability
 * (the optimum alone gives 0.867 at 0.8 with 128 perms: pairs at exactly the threshold were missed).
 */
export function optimalLsh(threshold: number, perms: number, fnWeight = 0.5, minRecall = 0): LshParams {
  let best: LshParams = { bands: 1, rows: perms, falsePositive: Infinity, falseNegative: Infinity };
  let bestErr = Infinity;
  for (let b = 1; b <= perms; b++) {
    const maxR = Math.floor(perms / b);
    for (let r = 1; r <= maxR; r++) {
      if (minRecall > 0 && detectionProbability(threshold, b, r) < minRecall) continue;
      const { falsePositive, falseNegative } = lshAreas(threshold, b, r);
      const err = falsePositive * (1 - fnWeight) + falseNegative * fnWeight;
      if (err < bestErr) {
        bestErr = err;
        best = { bands: b, rows: r, falsePositive, falseNegative };
      }
    }
  }
  return best;
}

export const CURVE_POINTS = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];

/** `0.50 → 0.001 · 0.60 → 0.012 · …` for the chosen bands and rows. */
export function curveLine(bands: number, rows: number, points = CURVE_POINTS): string {
  return points.map((s) => `${s.toFixed(2)} → ${detectionProbability(s, bands, rows).toFixed(3)}`).join(' · ');
}

// ---------------------------------------------------------------------------------------------
// Band keys and the bucket table

/**
 * 64-bit key of each band (two independent 32-bit hashes of its r values, salted with the band
 * number), written to out[offset + 2j], out[offset + 2j + 1].
 */
export function bandKeys(sig: Uint32Array, bands: number, rows: number, out: Uint32Array, offset: number): void {
  for (let j = 0; j < bands; j++) {
    let h1 = Math.imul(j + 1, 0x9e3779b1);
    let h2 = Math.imul(j + 1, 0x85ebca77) ^ 0x27d4eb2f;
    const base = j * rows;
    for (let t = 0; t < rows; t++) {
      const v = sig[base + t];
      h1 = Math.imul(h1 ^ v, 0xcc9e2d51);
      h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul(h2 + v, 0x1b873593);
      h2 ^= h2 >>> 15;
    }
    out[offset + 2 * j] = fmix32(h1 ^ rows);
    out[offset + 2 * j + 1] = fmix32(h2 + rows);
  }
}

/**
 * Open-addressing map from a 64-bit key (hi, lo) to a non-negative int, on typed arrays
 * (12 bytes a slot, load ≤ 1/2, grows by doubling).
 */
export class KeyTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private val: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  static bytesFor(expected: number): number {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    return cap * 12;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  private slot(hi: number, lo: number): number {
    let s = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    while (this.val[s] !== -1 && (this.hi[s] !== hi || this.lo[s] !== lo)) s = (s + 1) & this.mask;
    return s;
  }

  get(hi: number, lo: number): number {
    return this.val[this.slot(hi >>> 0, lo >>> 0)];
  }

  /** Store v under the key; returns the value it had (−1: none). */
  swap(hi: number, lo: number, v: number): number {
    hi >>>= 0;
    lo >>>= 0;
    let s = this.slot(hi, lo);
    const prev = this.val[s];
    if (prev === -1) {
      if ((this.size + 1) * 2 > this.capacity) {
        this.grow();
        s = this.slot(hi, lo);
      }
      this.hi[s] = hi;
      this.lo[s] = lo;
      this.size++;
    }
    this.val[s] = v;
    return prev;
  }

  /** Store v only when the key is new; returns the stored value (the old one, or v). */
  setIfAbsent(hi: number, lo: number, v: number): number {
    const prev = this.get(hi, lo);
    if (prev !== -1) return prev;
    this.swap(hi, lo, v);
    return v;
  }

  clear(): void {
    this.val.fill(-1);
    this.size = 0;
  }

  private grow(): void {
    const { hi, lo, val } = this;
    const cap = this.capacity * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let s = 0; s < val.length; s++) {
      if (val[s] === -1) continue;
      const t = this.slot(hi[s], lo[s]);
      this.hi[t] = hi[s];
      this.lo[t] = lo[s];
      this.val[t] = val[s];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Union-find

/** Union-find on an Int32Array: path halving, union by size; the root is any member. */
export class UnionFind {
  readonly parent: Int32Array;
  readonly size: Int32Array;

  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]];
      x = p[x];
    }
    return x;
  }

  /** Returns true when x and y were in different sets. */
  union(x: number, y: number): boolean {
    let a = this.find(x);
    let b = this.find(y);
    if (a === b) return false;
    if (this.size[a] < this.size[b]) [a, b] = [b, a];
    this.parent[b] = a;
    this.size[a] += this.size[b];
    return true;
  }

  sizeOf(x: number): number {
    return this.size[this.find(x)];
  }
}

// ---------------------------------------------------------------------------------------------
// Memory estimate

export interface MemoryEstimate {
  total: number;
  bandKeys: number;
  buckets: number;
  unionFind: number;
  perRow: number;
  /** bytes per cluster (its kept row's signature), or with verify per candidate row (its shingle set) */
  perCandidate: number;
}

/**
 * Index memory for n rows: band keys (8 B per band per row), one band's bucket table, union-find
 * (8 B), candidate, kept-row and cluster-number maps (12 B) and `extraPerRow` (keep values, verify's bucket chains).
 */
export function indexMemory(n: number, perms: number, bands: number, extraPerRow: number, verify: boolean, avgShingles = 250): MemoryEstimate {
  const bandKeyBytes = n * bands * 8;
  const buckets = KeyTable.bytesFor(n);
  const unionFind = n * 8;
  const perRow = n * (extraPerRow + 12);
  return {
    total: bandKeyBytes + buckets + unionFind + perRow,
    bandKeys: bandKeyBytes,
    buckets,
    unionFind,
    perRow,
    perCandidate: verify ? avgShingles * 4 : perms * 4,
  };
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
