import { defineOp, type Column, type Row } from '../types.js';
import { requireColumns } from '../common.js';
import { charCounts, cpLen } from './textmetrics.js';
import { fmt, modifiedZ, modifiedZBounds, robustStats, sortedCopy, table, tukeyFences, type Fences, type RobustStats } from './thresholds.js';

/**
 * Robust outlier detection on simple text metrics: modified z-score (median/MAD) or Tukey
 * fences (quartiles/IQR); drop the outliers or flag them in two columns.
 */

export const OUTLIER_METRICS = ['length', 'words', 'symbol_ratio', 'digit_ratio', 'upper_ratio'] as const;
export type OutlierMetric = (typeof OUTLIER_METRICS)[number];

/** The metrics of one text; NaN where undefined (a ratio over zero characters or letters). */
export function textMetrics(text: string): Record<OutlierMetric, number> {
  const c = charCounts(text);
  return {
    length: cpLen(text),
    words: text.split(/\s+/).filter(Boolean).length,
    symbol_ratio: c.chars ? c.symbols / c.chars : NaN,
    digit_ratio: c.chars ? c.digits / c.chars : NaN,
    upper_ratio: c.letters ? c.upper / c.letters : NaN,
  };
}

function textValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

type Side = 'both' | 'high' | 'low';

interface MetricTest {
  metric: OutlierMetric;
  stats?: RobustStats;
  fences?: Fences;
  high: number;
  low: number;
  /** why `v` is an outlier, or undefined */
  test(v: number): { dir: 'high' | 'low'; detail: string } | undefined;
}

/** Build the test for one metric from its values (NaN-free, sorted). */
export function metricTest(metric: OutlierMetric, sorted: Float64Array, method: 'mad' | 'iqr', threshold: number, k: number, side: Side): MetricTest {
  const t: MetricTest = { metric, high: 0, low: 0, test: () => undefined };
  const allowHigh = side !== 'low';
  const allowLow = side !== 'high';
  if (sorted.length === 0) return t;
  if (method === 'mad') {
    const s = robustStats(sorted);
    t.stats = s;
    const scale = s.usedMeanAd ? `MAD 0, mean abs dev ${fmt(s.meanAd)}` : `MAD ${fmt(s.mad)}`;
    t.test = (v) => {
      if (Number.isNaN(v)) return undefined;
      const z = modifiedZ(v, s);
      const dir = z > threshold && allowHigh ? 'high' : z < -threshold && allowLow ? 'low' : undefined;
      return dir && { dir, detail: `${metric} ${fmt(v)}: modified z ${fmt(z)} ${dir === 'high' ? '>' : '<'} ${dir === 'high' ? '' : '-'}${fmt(threshold)} (median ${fmt(s.median)}, ${scale})` };
    };
  } else {
    const f = tukeyFences(sorted, k);
    t.fences = f;
    t.test = (v) => {
      if (Number.isNaN(v)) return undefined;
      if (allowHigh && v > f.high) return { dir: 'high', detail: `${metric} ${fmt(v)} > upper fence ${fmt(f.high)} (Q1 ${fmt(f.q1)}, Q3 ${fmt(f.q3)}, k ${fmt(k)})` };
      if (allowLow && v < f.low) return { dir: 'low', detail: `${metric} ${fmt(v)} < lower fence ${fmt(f.low)} (Q1 ${fmt(f.q1)}, Q3 ${fmt(f.q3)}, k ${fmt(k)})` };
      return undefined;
    };
  }
  return t;
}

export const outliers = defineOp({
  name: 'outliers',
  version: 1,
  kind: 'global',
  summary: 'drop or flag rows whose length, word count or character ratios are outliers (modified z-score or IQR fences)',
  doc: `\`outliers length words\` drops rows whose metric is an outlier among this data's rows; \`outliers symbol_ratio iqr flag\` keeps every row and adds \`outlier\` (bool) and \`outlier_reason\` (text, null when not an outlier). Metrics of the text column: length (characters, code points), words (whitespace-separated), symbol_ratio (characters that are not letters, digits, marks or whitespace / characters), digit_ratio (decimal digits / characters), upper_ratio (uppercase letters / letters); a ratio with a zero denominator is undefined and never an outlier. Null counts as empty text. Method mad (default): modified z-score 0.6745·(x − median)/MAD (Iglewicz–Hoaglin), outlier when |z| > threshold (3.5); when MAD is 0 (over half the values equal) z = (x − median)/(1.253314 · mean absolute deviation). Method iqr: Tukey fences Q1 − k·IQR and Q3 + k·IQR (k 1.5), quartiles by linear interpolation (numpy's default). \`high\` or \`low\` tests one side only. A row is an outlier when any metric is; the drop reason names the first (\`outlier: length\`) and the detail gives every failing metric with its value, score and the statistics. The note shows median/MAD or quartiles/fences per metric, the raw range kept and the counts. Statistics are over the part being processed (each part of a split on its own); memory holds one number per row and metric.`,
  params: [
    { name: 'metrics', type: { kind: 'list', of: { kind: 'enum', values: OUTLIER_METRICS } }, positional: true, variadic: true, default: ['length'], doc: `metrics to test: ${OUTLIER_METRICS.join(', ')}` },
    { name: 'column', type: { kind: 'column' }, default: 'text', doc: 'the text column measured' },
    { name: 'method', type: { kind: 'enum', values: ['mad', 'iqr'] }, default: 'mad', doc: 'mad: modified z-score; iqr: Tukey fences' },
    { name: 'threshold', type: { kind: 'number', min: 0 }, default: 3.5, doc: 'mad: outlier when |modified z| is above this' },
    { name: 'k', type: { kind: 'number', min: 0 }, default: 1.5, doc: 'iqr: fences at Q1 − k·IQR and Q3 + k·IQR' },
    { name: 'side', type: { kind: 'enum', values: ['both', 'high', 'low'] }, default: 'both', doc: 'which tail counts: both, high only or low only' },
    { name: 'action', type: { kind: 'enum', values: ['drop', 'flag'] }, default: 'drop', doc: 'drop outliers, or keep them and add outlier / outlier_reason columns' },
  ],
  describe: (p) => `outliers ${(p.metrics as string[]).join(', ')} (${p.method === 'iqr' ? `iqr k ${p.k}` : `mad ${p.threshold}`})`,
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'column', [(p.column as string | undefined) ?? 'text']);
    if (p.method === 'iqr' && p.threshold !== 3.5) ctx.error('threshold', '`threshold` is the modified z cut of method mad, but method is iqr', { help: 'set `k:` for the IQR fences, or use method mad' });
    if (p.method !== 'iqr' && p.k !== 1.5) ctx.error('k', '`k` sets the IQR fences, but method is mad', { help: 'write `outliers … iqr k: 3`, or set `threshold:` for mad' });
    if (!ctx.input) return { columns: [] };
    if (p.action !== 'flag') return ctx.input;
    const added: Column[] = [
      { name: 'outlier', type: 'bool' },
      { name: 'outlier_reason', type: 'string' },
    ];
    return { ...ctx.input, columns: [...ctx.input.columns.filter((c) => !added.some((a) => a.name === c.name)), ...added] };
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const metrics = [...new Set(params.metrics as OutlierMetric[])];
      const col = params.column as string;
      const flag = params.action === 'flag';
      // pass 1: every row's metrics, in row order
      const values = new Map(metrics.map((m) => [m, new Float64Array(Math.max(input.count, 1))]));
      let n = 0;
      for await (const row of input.rows()) {
        const m = textMetrics(textValue(row[col]));
        for (const k of metrics) {
          let arr = values.get(k)!;
          if (n >= arr.length) {
            const next = new Float64Array(arr.length * 2);
            next.set(arr);
            values.set(k, (arr = next));
          }
          arr[n] = m[k];
        }
        if (++n % 1000 === 0) ctx.progress(n);
      }
      const tests = metrics.map((m) => metricTest(m, sortedCopy(values.get(m)!.subarray(0, n)), params.method as 'mad' | 'iqr', params.threshold as number, params.k as number, params.side as Side));
      // pass 2: test, then drop or flag
      let i = 0;
      let hits = 0;
      for await (const row of input.rows()) {
        const found: { metric: OutlierMetric; detail: string }[] = [];
        for (const t of tests) {
          const r = t.test(values.get(t.metric)![i]);
          if (!r) continue;
          t[r.dir]++;
          found.push({ metric: t.metric, detail: r.detail });
        }
        i++;
        if (found.length) hits++;
        const detail = found.map((f) => f.detail).join('; ');
        if (flag) await out.emit({ ...row, outlier: found.length > 0, outlier_reason: found.length ? detail : null } as Row);
        else if (found.length) await out.drop(row, `outlier: ${found[0].metric}`, detail);
        else await out.emit(row);
      }
      const mad = params.method !== 'iqr';
      const head = mad ? ['metric', 'median', 'MAD', `kept (|z| ≤ ${fmt(params.threshold as number)})`, 'high', 'low'] : ['metric', 'Q1', 'Q3', 'IQR', `kept (k ${fmt(params.k as number)})`, 'high', 'low'];
      const rows: string[][] = [head];
      for (const t of tests) {
        if (t.stats) {
          const [lo, hi] = modifiedZBounds(t.stats, params.threshold as number);
          rows.push([t.metric, fmt(t.stats.median), t.stats.usedMeanAd ? `0 (mean abs dev ${fmt(t.stats.meanAd)})` : fmt(t.stats.mad), range(lo, hi, params.side as Side), String(t.high), String(t.low)]);
        } else if (t.fences) {
          const f = t.fences;
          rows.push([t.metric, fmt(f.q1), fmt(f.q3), fmt(f.iqr), range(f.low, f.high, params.side as Side), String(t.high), String(t.low)]);
        } else rows.push([t.metric, 'no values', '', '', '', '0', '0']);
      }
      for (const line of table(rows)) out.note(line);
      out.metric?.(
        'metrics',
        Object.fromEntries(
          tests.map((t) => {
            if (t.stats) {
              const [lo, hi] = modifiedZBounds(t.stats, params.threshold as number);
              return [t.metric, { median: t.stats.median, mad: t.stats.mad, mean_abs_dev: t.stats.usedMeanAd ? t.stats.meanAd : null, low_bound: Number.isFinite(lo) ? lo : null, high_bound: Number.isFinite(hi) ? hi : null, high: t.high, low: t.low }];
            }
            if (t.fences) return [t.metric, { q1: t.fences.q1, q3: t.fences.q3, iqr: t.fences.iqr, low_fence: t.fences.low, high_fence: t.fences.high, high: t.high, low: t.low }];
            return [t.metric, null];
          }),
        ),
      );
      out.metric?.(flag ? 'flagged' : 'dropped', hits);
      out.metric?.('rows', n);
      out.note(`${hits.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} rows ${flag ? 'flagged' : 'dropped'} as outliers`);
    },
  },
});

function range(lo: number, hi: number, side: Side): string {
  return `[${side === 'high' ? '-∞' : fmt(lo)}, ${side === 'low' ? '∞' : fmt(hi)}]`;
}
