/**
 * Label values and the side-by-side label distribution table that `split` and `leakage` put in
 * their notes. Not an op.
 */

/** Shown for rows whose label is missing (null, absent, empty string, empty list). */
export const NO_LABEL = '(none)';

/** The labels a row carries: one for a scalar, each element for a list; [] when missing. */
export function labelsOf(v: unknown): string[] {
  if (Array.isArray(v)) return [...new Set(v.flatMap((x) => labelsOf(x)))];
  if (v === null || v === undefined || v === '') return [];
  if (typeof v === 'string') return [v];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  return [JSON.stringify(v)];
}

/** Counts of label per part, filled row by row. */
export class LabelCounts {
  readonly byLabel = new Map<string, number[]>();
  readonly rows: number[];
  multi = false;
  constructor(readonly parts: string[]) {
    this.rows = parts.map(() => 0);
  }
  add(part: number, value: unknown): void {
    if (Array.isArray(value)) this.multi = true;
    const labels = labelsOf(value);
    this.rows[part]++;
    for (const l of labels.length ? labels : [NO_LABEL]) {
      let c = this.byLabel.get(l);
      if (!c) this.byLabel.set(l, (c = this.parts.map(() => 0)));
      c[part]++;
    }
  }
}

const pct = (x: number, n: number) => (n ? `${((100 * x) / n).toFixed(1)}%` : '-');
const fmt = (x: number) => x.toLocaleString('en-US');

/**
 * Monospace table: one line per label (most frequent first, at most `limit`), the whole dataset
 * then each part, count and share of the part's rows; then the largest deviation of a part's share
 * from the overall share, and labels missing from a part.
 */
export function labelTable(column: string, counts: LabelCounts, limit = 20): string[] {
  const { parts, rows } = counts;
  const all = rows.reduce((a, b) => a + b, 0);
  const labels = [...counts.byLabel.entries()]
    .map(([label, c]) => ({ label, c, total: c.reduce((a, b) => a + b, 0) }))
    .sort((x, y) => y.total - x.total || (x.label < y.label ? -1 : x.label > y.label ? 1 : 0));
  const shown = labels.slice(0, limit);
  const header = ['label', 'all', ...parts];
  const body = shown.map(({ label, c, total }) => [label.length > 24 ? `${label.slice(0, 23)}…` : label, cell(total, all), ...c.map((x, j) => cell(x, rows[j]))]);
  const totals = ['rows', fmt(all), ...rows.map(fmt)];
  const table = [header, ...body, totals];
  const widths = header.map((_, k) => Math.max(...table.map((r) => r[k].length)));
  const line = (r: string[]) => r.map((s, k) => (k === 0 ? s.padEnd(widths[k]) : s.padStart(widths[k]))).join('  ').trimEnd();
  const out = [`label distribution (${column}${counts.multi ? ', rows carrying each label' : ''}):`, ...table.map(line)];
  if (labels.length > limit) out.push(`… ${labels.length - limit} more labels`);

  let worst = { dev: 0, label: '', part: '' };
  const missing: string[] = [];
  for (const { label, c, total } of labels) {
    for (const [j, x] of c.entries()) {
      if (!rows[j]) continue;
      const dev = Math.abs(x / rows[j] - total / all);
      if (dev > worst.dev) worst = { dev, label, part: parts[j] };
      if (x === 0) missing.push(`${label} in ${parts[j]}`);
    }
  }
  if (all && parts.length > 1) out.push(`max deviation from overall: ${(100 * worst.dev).toFixed(1)} pts${worst.dev > 0 ? ` (${worst.label} in ${worst.part})` : ''}`);
  if (missing.length) out.push(`absent: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? `, … ${missing.length - 8} more` : ''}`);
  return out;
}

function cell(x: number, n: number): string {
  return `${fmt(x)} ${pct(x, n).padStart(6)}`;
}
