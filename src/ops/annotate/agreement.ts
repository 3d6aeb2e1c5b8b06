/**
 * Inter-annotator agreement: Cohen's κ (unweighted, linear, quadratic), Fleiss' κ (overall and
 * per category), Krippendorff's α (nominal, ordinal, interval, ratio; missing values allowed) and
 * exact-match span F1. Formulas as in the design notes §2.1; every one is pinned by a published
 * worked example in test/ops/annotate/agreement.test.ts. Undefined values (no variation, too
 * few ratings) are NaN, never a made-up number.
 */

export type KappaWeights = 'none' | 'linear' | 'quadratic';

/**
 * Cohen's κ from a k×k contingency table (rows: rater A's category, columns: rater B's).
 * Unweighted: (p_o − p_e)/(1 − p_e). Weighted: 1 − Σ w_ij O_ij / Σ w_ij E_ij with E = outer(row, col)/n
 * and w = |i−j| (linear) or (i−j)² (quadratic); categories must then be in their natural order.
 */
export function cohenKappa(table: number[][], weights: KappaWeights = 'none'): number {
  const k = table.length;
  const rows = table.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = Array.from({ length: k }, (_, j) => table.reduce((a, r) => a + r[j], 0));
  const n = rows.reduce((a, b) => a + b, 0);
  if (n === 0) return NaN;
  const w = (i: number, j: number) => (weights === 'none' ? (i === j ? 0 : 1) : weights === 'linear' ? Math.abs(i - j) : (i - j) ** 2);
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      observed += w(i, j) * table[i][j];
      expected += (w(i, j) * rows[i] * cols[j]) / n;
    }
  }
  return expected === 0 ? NaN : 1 - observed / expected;
}

/** The k×k table of two raters' paired labels (category indexes). */
export function contingency(pairs: [number, number][], k: number): number[][] {
  const t = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const [a, b] of pairs) t[a][b]++;
  return t;
}

export interface FleissResult {
  kappa: number;
  /** mean observed agreement P̄ */
  observed: number;
  /** chance agreement P̄_e = Σ p_j² */
  expected: number;
  /** category shares p_j */
  shares: number[];
  /** per-item agreement P_i */
  perItem: number[];
  /** per-category κ_j = 1 − Σ_i n_ij(m − n_ij) / (N m (m−1) p_j (1 − p_j)) */
  perCategory: number[];
}

/**
 * Fleiss' κ from an N×k matrix of counts (item i, category j), every item rated m ≥ 2 times
 * (the raters may differ between items).
 */
export function fleissKappa(counts: number[][]): FleissResult {
  const N = counts.length;
  const k = counts[0]?.length ?? 0;
  const m = N ? counts[0].reduce((a, b) => a + b, 0) : 0;
  for (const row of counts) {
    const s = row.reduce((a, b) => a + b, 0);
    if (s !== m) throw new Error(`Fleiss' κ needs the same number of ratings per item (${m} and ${s})`);
  }
  if (N === 0 || m < 2) return { kappa: NaN, observed: NaN, expected: NaN, shares: new Array(k).fill(NaN), perItem: [], perCategory: new Array(k).fill(NaN) };
  const perItem = counts.map((row) => (row.reduce((a, x) => a + x * x, 0) - m) / (m * (m - 1)));
  const observed = perItem.reduce((a, b) => a + b, 0) / N;
  const shares = Array.from({ length: k }, (_, j) => counts.reduce((a, r) => a + r[j], 0) / (N * m));
  const expected = shares.reduce((a, p) => a + p * p, 0);
  const kappa = expected === 1 ? NaN : (observed - expected) / (1 - expected);
  const perCategory = shares.map((p, j) => {
    const den = N * m * (m - 1) * p * (1 - p);
    if (den === 0) return NaN;
    return 1 - counts.reduce((a, r) => a + r[j] * (m - r[j]), 0) / den;
  });
  return { kappa, observed, expected, shares, perItem, perCategory };
}

/** Rows of rater values per item → the items × categories count matrix Fleiss' κ takes. */
export function countsOf(items: number[][], k: number): number[][] {
  return items.map((vals) => {
    const row = new Array<number>(k).fill(0);
    for (const v of vals) row[v]++;
    return row;
  });
}

export type AlphaLevel = 'nominal' | 'ordinal' | 'interval' | 'ratio';

export interface AlphaResult {
  alpha: number;
  /** observed and expected disagreement */
  observed: number;
  expected: number;
  /** pairable values (those in units with ≥ 2 values) */
  pairable: number;
  /** the value domain, in order, and the coincidence matrix over it */
  values: (string | number)[];
  coincidence: number[][];
  /** marginals n_c */
  marginals: number[];
}

/**
 * Krippendorff's α = 1 − D_o/D_e over units of values (a coder's missing value is simply absent
 * from its unit). Each unit with m_u ≥ 2 values adds 1/(m_u − 1) to o_ck for every ordered pair of
 * its values; units with fewer values are not pairable and drop out. D_o = Σ o_ck δ²_ck / n,
 * D_e = Σ n_c n_k δ²_ck / (n(n−1)). δ²: nominal [c ≠ k]; ordinal (Σ_{g=c..k} n_g − (n_c + n_k)/2)²
 * over the value order; interval (c − k)²; ratio ((c − k)/(c + k))². `order` fixes the value order
 * (ordinal) — by default numbers sort numerically and strings by code unit; interval and ratio need numbers.
 */
export function krippendorffAlpha(units: (string | number)[][], level: AlphaLevel = 'nominal', order?: (string | number)[]): AlphaResult {
  const key = (v: string | number) => (typeof v === 'number' ? `n:${v}` : `s:${v}`);
  const seen = new Map<string, string | number>();
  for (const u of units) if (u.length >= 2) for (const v of u) seen.set(key(v), v);
  let values: (string | number)[];
  if (order) {
    values = order.filter((v) => seen.has(key(v)));
    const missing = [...seen.values()].filter((v) => !order.some((o) => key(o) === key(v)));
    if (missing.length) throw new Error(`value ${JSON.stringify(missing[0])} is not in the given order`);
  } else {
    values = [...seen.values()].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  }
  if ((level === 'interval' || level === 'ratio') && values.some((v) => typeof v !== 'number')) throw new Error(`${level} α needs numeric values`);
  const index = new Map(values.map((v, i) => [key(v), i]));
  const V = values.length;
  const o = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  for (const u of units) {
    const m = u.length;
    if (m < 2) continue;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i !== j) o[index.get(key(u[i]))!][index.get(key(u[j]))!] += 1 / (m - 1);
      }
    }
  }
  const nc = o.map((r) => r.reduce((a, b) => a + b, 0));
  const n = nc.reduce((a, b) => a + b, 0);
  const delta = (c: number, k: number): number => {
    if (c === k) return 0;
    switch (level) {
      case 'nominal':
        return 1;
      case 'ordinal': {
        const [lo, hi] = c < k ? [c, k] : [k, c];
        let s = 0;
        for (let g = lo; g <= hi; g++) s += nc[g];
        return (s - (nc[c] + nc[k]) / 2) ** 2;
      }
      case 'interval':
        return ((values[c] as number) - (values[k] as number)) ** 2;
      case 'ratio': {
        const a = values[c] as number;
        const b = values[k] as number;
        return a + b === 0 ? 0 : ((a - b) / (a + b)) ** 2;
      }
    }
  };
  let Do = 0;
  let De = 0;
  for (let c = 0; c < V; c++) {
    for (let k = 0; k < V; k++) {
      const d = delta(c, k);
      Do += o[c][k] * d;
      De += nc[c] * nc[k] * d;
    }
  }
  Do = n ? Do / n : NaN;
  De = n > 1 ? De / (n * (n - 1)) : NaN;
  return { alpha: De === 0 || Number.isNaN(De) ? NaN : 1 - Do / De, observed: Do, expected: De, pairable: n, values, coincidence: o, marginals: nc };
}

/** A span as the notes define it: end-exclusive offsets (code points in ftr) and a label. */
export interface Span {
  start: number;
  end: number;
  label: string;
}

export const spanKey = (s: Span): string => `${s.start}:${s.end}:${s.label}`;

export interface SpanScore {
  /** exact matches (start, end and label equal) */
  tp: number;
  /** spans of A (the reference) and of B */
  a: number;
  b: number;
  /** precision of B against A, recall of B against A, F1 (symmetric) */
  precision: number;
  recall: number;
  f1: number;
}

export function spanScore(tp: number, a: number, b: number): SpanScore {
  return { tp, a, b, precision: b ? tp / b : NaN, recall: a ? tp / a : NaN, f1: a + b ? (2 * tp) / (a + b) : NaN };
}

/** Exact-match span agreement of B against A. */
export function spanF1(a: Span[], b: Span[]): SpanScore {
  const keys = new Map<string, number>();
  for (const s of a) keys.set(spanKey(s), (keys.get(spanKey(s)) ?? 0) + 1);
  let tp = 0;
  for (const s of b) {
    const left = keys.get(spanKey(s)) ?? 0;
    if (left > 0) {
      tp++;
      keys.set(spanKey(s), left - 1);
    }
  }
  return spanScore(tp, a.length, b.length);
}

/** Landis & Koch (1977) bands for κ. */
export function kappaBand(k: number): string {
  if (Number.isNaN(k)) return 'undefined';
  if (k < 0) return 'poor';
  if (k <= 0.2) return 'slight';
  if (k <= 0.4) return 'fair';
  if (k <= 0.6) return 'moderate';
  if (k <= 0.8) return 'substantial';
  return 'almost perfect';
}

/** Krippendorff's guidance: rely on α ≥ .800, tentative conclusions for .667 ≤ α < .800. */
export function alphaBand(a: number): string {
  if (Number.isNaN(a)) return 'undefined';
  if (a >= 0.8) return 'reliable';
  if (a >= 0.667) return 'tentative';
  return 'unreliable';
}
