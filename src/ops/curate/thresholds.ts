/**
 * Thresholds that are either fixed numbers or derived from the data (`"p99"`, `"mean+3sd"`,
 * `"median+5mad"`), and the robust statistics behind them (quantiles, MAD, modified z, Tukey
 * fences). Shared by `quality`, `outliers` and `gibberish`.
 *
 * Conventions (documented in the ops):
 * - quantiles use linear interpolation between order statistics (numpy's default, R type 7):
 *   position h = (n−1)·q, value = x[⌊h⌋] + (h−⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]);
 * - `sd` is the sample standard deviation (n−1 in the denominator, like pandas `describe`);
 * - MAD is the raw median absolute deviation (not scaled by 1.4826); when it is 0 (more than
 *   half the values are equal) the mean absolute deviation × 1.253314 stands in for it, as
 *   Iglewicz–Hoaglin's practice (IBM SPSS) does; NaN values are ignored everywhere.
 */

/** A threshold as written in a recipe, after parsing. */
export type ThresholdSpec =
  | { kind: 'off' }
  | { kind: 'fixed'; value: number }
  /** the p-th percentile of the data, 0 ≤ p ≤ 100 */
  | { kind: 'percentile'; p: number; text: string }
  /** mean + k·sd (k may be negative) */
  | { kind: 'mean'; k: number; text: string }
  /** median + k·MAD (k may be negative) */
  | { kind: 'median'; k: number; text: string };

/** A threshold ready to compare against: its value and, when data-derived, where it came from. */
export interface ResolvedThreshold {
  value: number;
  /** e.g. "p1 of this data"; absent for fixed thresholds */
  source?: string;
}

export const THRESHOLD_HELP = 'write a number, a percentile of this data ("p1", "p99.5"), "mean+3sd", "mean-2sd", "median+5mad", or null to turn the rule off';

const NUM = '(\\d+(?:\\.\\d+)?|\\.\\d+)';
const PERCENTILE = new RegExp(`^p${NUM}$`);
const MEAN = new RegExp(`^mean(?:([+-])${NUM}(?:sd|sigma|σ))?$`);
const MEDIAN = new RegExp(`^median(?:([+-])${NUM}mad)?$`);

/** Parse a threshold param: a number, null/false/"off" (rule off), or a data-derived string. */
export function parseThreshold(v: unknown): ThresholdSpec | { error: string } {
  if (v === null || v === false || v === undefined) return { kind: 'off' };
  if (typeof v === 'number') return Number.isFinite(v) ? { kind: 'fixed', value: v } : { error: `${v} is not a finite number` };
  if (typeof v !== 'string') return { error: `expected a number or a string like "p99", found ${JSON.stringify(v)}` };
  const s = v.trim().toLowerCase().replace(/\s+/g, '');
  if (s === 'off' || s === 'none') return { kind: 'off' };
  if (/^[+-]?(\d+(\.\d+)?|\.\d+)(e[+-]?\d+)?$/.test(s)) return { kind: 'fixed', value: Number(s) };
  let m = PERCENTILE.exec(s);
  if (m) {
    const p = Number(m[1]);
    if (p > 100) return { error: `percentile ${v} is over p100` };
    return { kind: 'percentile', p, text: `p${m[1]}` };
  }
  m = MEAN.exec(s);
  if (m) {
    const k = m[1] ? (m[1] === '-' ? -1 : 1) * Number(m[2]) : 0;
    return { kind: 'mean', k, text: m[1] ? `mean${m[1]}${m[2]}sd` : 'mean' };
  }
  m = MEDIAN.exec(s);
  if (m) {
    const k = m[1] ? (m[1] === '-' ? -1 : 1) * Number(m[2]) : 0;
    return { kind: 'median', k, text: m[1] ? `median${m[1]}${m[2]}mad` : 'median' };
  }
  return { error: `cannot read threshold ${JSON.stringify(v)}` };
}

export function isDataDerived(t: ThresholdSpec): boolean {
  return t.kind === 'percentile' || t.kind === 'mean' || t.kind === 'median';
}

/** Growable list of finite numbers (NaN skipped), sorted once at the end. */
export class ValueCollector {
  private buf = new Float64Array(1024);
  private n = 0;
  push(x: number): void {
    if (Number.isNaN(x)) return;
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = x;
  }
  get size(): number {
    return this.n;
  }
  /** the values, sorted ascending */
  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }
}

/** Linear-interpolation quantile (q in [0, 1]) of sorted values; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Sample standard deviation (n−1); 0 for a single value, NaN when empty. */
export function sampleSd(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n === 0) return NaN;
  if (n === 1) return 0;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < n; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / (n - 1));
}

export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).filter((x) => !Number.isNaN(x)).sort();
}

/** Median, MAD and the scale the modified z-score divides by (MAD, or 1.253314·meanAD when MAD is 0). */
export interface RobustStats {
  median: number;
  mad: number;
  /** mean absolute deviation from the median */
  meanAd: number;
  /** MAD is 0, so the modified z-score uses the mean absolute deviation instead */
  usedMeanAd: boolean;
}

export function robustStats(sorted: ArrayLike<number>): RobustStats {
  const median = quantile(sorted, 0.5);
  const dev = new Float64Array(sorted.length);
  let sumAd = 0;
  for (let i = 0; i < sorted.length; i++) {
    dev[i] = Math.abs(sorted[i] - median);
    sumAd += dev[i];
  }
  dev.sort();
  const mad = quantile(dev, 0.5);
  const meanAd = sorted.length ? sumAd / sorted.length : NaN;
  return { median, mad, meanAd, usedMeanAd: mad === 0 };
}

/**
 * Modified z-score (Iglewicz & Hoaglin 1993): 0.6745·(x − median)/MAD. When MAD is 0 it is
 * (x − median)/(1.253314·meanAD); when that is 0 too every value equals the median and z is 0.
 */
export function modifiedZ(x: number, s: RobustStats): number {
  if (x === s.median) return 0;
  if (s.mad > 0) return (0.6745 * (x - s.median)) / s.mad;
  if (s.meanAd > 0) return (x - s.median) / (1.253314 * s.meanAd);
  return 0;
}

/** The raw values where |modified z| reaches `z`: median ± z·MAD/0.6745 (or the meanAD form). */
export function modifiedZBounds(s: RobustStats, z: number): [number, number] {
  const w = s.mad > 0 ? (z * s.mad) / 0.6745 : s.meanAd > 0 ? z * 1.253314 * s.meanAd : 0;
  return [s.median - w, s.median + w];
}

export interface Fences {
  q1: number;
  q3: number;
  iqr: number;
  low: number;
  high: number;
}

/** Tukey fences: Q1 − k·IQR and Q3 + k·IQR, quartiles by linear interpolation. */
export function tukeyFences(sorted: ArrayLike<number>, k: number): Fences {
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  return { q1, q3, iqr, low: q1 - k * iqr, high: q3 + k * iqr };
}

/** Resolve a threshold against the data's values (sorted ascending, NaN-free). */
export function resolveThreshold(t: ThresholdSpec, sorted: ArrayLike<number>): ResolvedThreshold | undefined {
  switch (t.kind) {
    case 'off':
      return undefined;
    case 'fixed':
      return { value: t.value };
    case 'percentile':
      return { value: quantile(sorted, t.p / 100), source: `${t.text} of this data` };
    case 'mean':
      return { value: mean(sorted) + t.k * sampleSd(sorted), source: `${t.text} of this data` };
    case 'median': {
      const s = robustStats(sorted);
      const scale = s.mad > 0 ? s.mad : s.meanAd > 0 ? 1.253314 * 0.6745 * s.meanAd : 0;
      return { value: s.median + t.k * scale, source: `${t.text} of this data` };
    }
  }
}

/** A number for a note or a drop detail: integers as is, others with up to 3 decimals (1 when ≥ 100). */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (Number.isInteger(x)) return String(x);
  const digits = Math.abs(x) >= 100 ? 1 : Math.abs(x) >= 0.01 ? 3 : 4;
  const s = x.toFixed(digits).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

/** `word count 3 < 12 (p1 of this data)` */
export function compareDetail(label: string, value: number, cmp: '<' | '>', t: ResolvedThreshold): string {
  return `${label} ${fmt(value)} ${cmp} ${fmt(t.value)}${t.source ? ` (${t.source})` : ''}`;
}

/** `12 (p1 of this data)`, `50`, or `off` */
export function showThreshold(t: ResolvedThreshold | undefined): string {
  if (!t) return 'off';
  return `${fmt(t.value)}${t.source ? ` (${t.source})` : ''}`;
}

/** Lay out rows of cells as aligned monospace columns (cells that are numbers right-aligned). */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const numeric = (c: string) => /^-?[\d,.]+%?$/.test(c);
  return rows.map((r) =>
    r
      .map((c, i) => (i > 0 && numeric(c) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}
