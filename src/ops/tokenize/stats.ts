/** Token-length summaries for notes: count, mean, percentiles and a text bar chart in power-of-two buckets. */

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface LengthSummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
  total: number;
}

export function summarize(values: ArrayLike<number>): LengthSummary {
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (let i = 0; i < sorted.length; i++) total += sorted[i];
  return {
    count: sorted.length,
    mean: sorted.length ? total / sorted.length : 0,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.length ? sorted[sorted.length - 1] : 0,
    total,
  };
}

/** Bucket of a length: 0 → 0, 1 → 1, 2–3 → 2, 4–7 → 3, … (bucket b ≥ 1 holds 2^(b−1) … 2^b − 1). */
export function bucketOf(n: number): number {
  return n <= 0 ? 0 : 32 - Math.clz32(n);
}

function bucketLabel(b: number): string {
  if (b === 0) return '0';
  const lo = 2 ** (b - 1);
  const hi = 2 ** b - 1;
  return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of `width` cells for value/max, in eighths of a cell; at least a sliver for any non-zero value. */
export function bar(value: number, max: number, width: number): string {
  if (value <= 0 || max <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/**
 * Lines of a histogram of lengths in power-of-two buckets, from the lowest to the highest bucket
 * holding a value (empty buckets between them shown empty): `  64–127 │████▌      │ 1,204  12.0%`.
 */
export function histogram(values: ArrayLike<number>, width = 30): string[] {
  if (!values.length) return [];
  const counts = new Map<number, number>();
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const b = bucketOf(values[i]);
    counts.set(b, (counts.get(b) ?? 0) + 1);
    if (b < first) first = b;
    if (b > last) last = b;
  }
  const peak = Math.max(...counts.values());
  const rows: [string, number][] = [];
  for (let b = first; b <= last; b++) rows.push([bucketLabel(b), counts.get(b) ?? 0]);
  const labelW = Math.max(...rows.map(([l]) => l.length));
  const countW = Math.max(...rows.map(([, c]) => fmt(c).length));
  return rows.map(([label, c]) => {
    const pct = ((100 * c) / values.length).toFixed(1).padStart(5);
    return `  ${label.padStart(labelW)} │${bar(c, peak, width).padEnd(width)}│ ${fmt(c).padStart(countW)} ${pct}%`;
  });
}
