/**
 * Fairness and diversity metrics on counts, and the tables the bias ops put in their notes. Pure
 * functions: golden values are tested directly. Not an op.
 *
 * Groups: a list column (what `bias_detect` writes) gives one group per row: [] → `none`,
 * [g] → g, several → `mixed`. Any other value is its own group (missing → `none`).
 */
import type { MetricValue } from '../types.js';

export const NONE = 'none';
export const MIXED = 'mixed';
export const NO_LABEL = '(none)';

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/** The one group a row is in, for a group column value. */
export function groupOf(v: unknown): string {
  if (Array.isArray(v)) {
    const gs = [...new Set(v.filter((x) => x !== null && x !== undefined && x !== '').map(str))];
    return gs.length === 0 ? NONE : gs.length === 1 ? gs[0] : MIXED;
  }
  if (v === null || v === undefined || v === '') return NONE;
  return str(v);
}

/** A label value as a class name (missing → `(none)`). */
export function labelOf(v: unknown): string {
  if (v === null || v === undefined || v === '') return NO_LABEL;
  if (Array.isArray(v)) return v.length ? v.map(str).join(', ') : NO_LABEL;
  return str(v);
}

/** `none` and `mixed` are conventions, not demographic groups: never a default reference, never flagged. */
export const isDemographic = (g: string): boolean => g !== NONE && g !== MIXED;

// ---------------------------------------------------------------------------------------------
// diversity

export interface Diversity {
  k: number;
  /** Shannon entropy in bits and in nats */
  bits: number;
  nats: number;
  /** H / log K (evenness); NaN for one category */
  normalized: number;
  /** exp(H): the effective number of categories */
  effective: number;
  /** 1 − Σp² */
  giniSimpson: number;
  /** 1 / Σp² */
  inverseSimpson: number;
  /** largest / smallest count */
  imbalance: number;
}

export function diversity(counts: number[]): Diversity {
  const c = counts.filter((x) => x > 0);
  const n = c.reduce((a, b) => a + b, 0);
  const p = c.map((x) => x / n);
  const nats = -p.reduce((a, q) => a + q * Math.log(q), 0) || 0;
  const sumSq = p.reduce((a, q) => a + q * q, 0);
  return {
    k: c.length,
    nats,
    bits: nats / Math.LN2,
    normalized: c.length > 1 ? nats / Math.log(c.length) : NaN,
    effective: Math.exp(nats),
    giniSimpson: n ? 1 - sumSq : NaN,
    inverseSimpson: n ? 1 / sumSq : NaN,
    imbalance: c.length ? Math.max(...c) / Math.min(...c) : NaN,
  };
}

/** Shares p against target shares t (same order): total variation ½Σ|p−t|, KL(p‖t) in nats, ratios p/t. */
export function representation(p: number[], t: number[]): { tvd: number; kl: number; ratios: number[] } {
  let tvd = 0;
  let kl = 0;
  p.forEach((x, i) => {
    tvd += Math.abs(x - t[i]) / 2;
    if (x > 0) kl += x * Math.log(x / t[i]);
  });
  return { tvd, kl, ratios: p.map((x, i) => x / t[i]) };
}

// ---------------------------------------------------------------------------------------------
// group × label counts

/** Weighted counts per (group, label), in first-seen order. */
export class Cells {
  readonly n = new Map<string, Map<string, number>>();
  readonly labels: string[] = [];
  private readonly seen = new Set<string>();
  add(group: string, label: string, w = 1): void {
    let m = this.n.get(group);
    if (!m) this.n.set(group, (m = new Map()));
    m.set(label, (m.get(label) ?? 0) + w);
    if (!this.seen.has(label)) {
      this.seen.add(label);
      this.labels.push(label);
    }
  }
  get groups(): string[] {
    return [...this.n.keys()];
  }
  get(group: string, label: string): number {
    return this.n.get(group)?.get(label) ?? 0;
  }
  groupTotal(group: string): number {
    let s = 0;
    for (const v of this.n.get(group)?.values() ?? []) s += v;
    return s;
  }
  labelTotal(label: string): number {
    let s = 0;
    for (const m of this.n.values()) s += m.get(label) ?? 0;
    return s;
  }
  get total(): number {
    let s = 0;
    for (const g of this.n.keys()) s += this.groupTotal(g);
    return s;
  }
  /** P(label | group) */
  rate(group: string, label: string): number {
    const t = this.groupTotal(group);
    return t ? this.get(group, label) / t : NaN;
  }
  /** labels by total, largest first (ties in first-seen order) */
  labelsByCount(): string[] {
    return [...this.labels].sort((a, b) => this.labelTotal(b) - this.labelTotal(a));
  }
}

/**
 * Kamiran–Calders reweighing: W(g, y) = P(g)·P(y) / P(g, y) = n_g·n_y / (n·n_gy), counts being
 * sums of instance weights. Cells with no rows get no weight.
 */
export function reweighing(cells: Cells): Map<string, Map<string, number>> {
  const n = cells.total;
  const out = new Map<string, Map<string, number>>();
  for (const g of cells.groups) {
    const m = new Map<string, number>();
    for (const y of cells.labels) {
      const ngy = cells.get(g, y);
      if (ngy > 0) m.set(y, (cells.groupTotal(g) * cells.labelTotal(y)) / (n * ngy));
    }
    out.set(g, m);
  }
  return out;
}

/** The reference group: the one asked for when present, else the most frequent demographic group (ties: first seen), else the most frequent. */
export function pickReference(cells: Cells, asked?: string): { group: string; why: string } | undefined {
  const groups = cells.groups;
  if (asked !== undefined && groups.includes(asked)) return { group: asked, why: 'given' };
  const pool = groups.some(isDemographic) ? groups.filter(isDemographic) : groups;
  let best: string | undefined;
  for (const g of pool) if (best === undefined || cells.groupTotal(g) > cells.groupTotal(best)) best = g;
  return best === undefined ? undefined : { group: best, why: asked !== undefined ? `\`${asked}\` not found; the most frequent` : 'the most frequent' };
}

/** Statistical parity difference and disparate impact of a group's rate against the reference rate. */
export function parity(rate: number, refRate: number): { spd: number; di: number } {
  return { spd: rate - refRate, di: refRate === 0 ? (rate === 0 ? 1 : Infinity) : rate / refRate };
}

/**
 * Wilson score interval for a rate k/n (95% by default): unlike the normal approximation it stays
 * inside [0, 1] and is honest for small n (1 of 1 → 0.21…1, not 1…1).
 */
export function wilson(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (n <= 0) return [NaN, NaN];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const ci = ([lo, hi]: [number, number]): string => (Number.isNaN(lo) ? '-' : `${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)}%`);
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The four-fifths rule, both ways: DI below the threshold, or above its inverse (the reference is the one below). */
export function diFlag(di: number, threshold: number): string {
  if (!Number.isFinite(di)) return di > 0 ? `⚠ DI > ${fmt(1 / threshold, 2)}` : '';
  if (di < threshold) return `⚠ DI < ${threshold}`;
  if (threshold > 0 && di > 1 / threshold) return `⚠ DI > ${fmt(1 / threshold, 2)}`;
  return '';
}

/** Demographic parity difference (max − min rate) and ratio (min / max) over demographic groups (all groups when none is). */
export function parityGap(cells: Cells, label: string): { diff: number; ratio: number } {
  const groups = cells.groups.some(isDemographic) ? cells.groups.filter(isDemographic) : cells.groups;
  const rates = groups.map((g) => cells.rate(g, label)).filter((r) => !Number.isNaN(r));
  if (!rates.length) return { diff: NaN, ratio: NaN };
  const max = Math.max(...rates);
  const min = Math.min(...rates);
  return { diff: max - min, ratio: max === 0 ? 1 : min / max };
}

// ---------------------------------------------------------------------------------------------
// formatting

export const fmtInt = (x: number): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : fmt(x, 2));
export function fmt(x: number, digits = 3): string {
  if (Number.isNaN(x)) return '-';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  const s = x.toFixed(digits);
  return s === `-${(0).toFixed(digits)}` ? (0).toFixed(digits) : s;
}
export const pct = (x: number): string => (Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`);
export const signed = (x: number, digits = 3): string => (Number.isNaN(x) ? '-' : x > 0 ? `+${fmt(x, digits)}` : fmt(x, digits));

/** Monospace table: first column left-aligned, the others right-aligned, two spaces apart. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  const pad = (c: string, w: number, left: boolean) => (left ? c + ' '.repeat(w - [...c].length) : ' '.repeat(w - [...c].length) + c);
  return rows.map((r) => r.map((c, i) => pad(c, widths[i], i === 0 || (i === r.length - 1 && /^[⚠(]/.test(c)))).join('  ').trimEnd());
}

/**
 * Label rates per group with SPD and DI against the reference, before and (optionally) after a
 * mitigation — the table `reweigh`, `resample` and `bias_report` share. `positive` set: one table
 * for that label; unset: rates of the most frequent labels (at most `limit`) and the worst DI.
 */
export function rateLines(
  opts: { groupCol: string; labelCol: string; positive?: string; reference?: string; threshold: number; limit?: number; minSupport?: number },
  before: Cells,
  after?: Cells,
  metrics?: Record<string, MetricValue>,
): string[] {
  const ref = pickReference(before, opts.reference);
  if (!ref) return [];
  const out: string[] = [];
  // a disparate-impact flag needs enough rows in the group and in the reference to mean anything
  const minSupport = opts.minSupport ?? 1;
  const supported = (g: string) => (after ?? before).groupTotal(g) >= minSupport && (after ?? before).groupTotal(ref.group) >= minSupport;
  const small: string[] = [];
  const rateMetrics = (c: Cells, y: string) =>
    Object.fromEntries(
      c.groups.map((g) => {
        const [lo, hi] = wilson(c.get(g, y), c.groupTotal(g));
        const pr = parity(c.rate(g, y), c.rate(ref.group, y));
        return [g, { rows: c.groupTotal(g), count: c.get(g, y), rate: num(c.rate(g, y)), ci95: [num(lo), num(hi)], spd: num(pr.spd), di: num(pr.di), flagged: g !== ref.group && isDemographic(g) && supported(g) && diFlag(pr.di, opts.threshold) !== '' }];
      }),
    );
  const groups = before.groups;
  const labels = opts.positive !== undefined ? [opts.positive] : before.labelsByCount().slice(0, opts.limit ?? 6);
  const more = opts.positive !== undefined ? 0 : before.labels.length - labels.length;
  const r = ref.group;
  if (opts.positive !== undefined) {
    const y = opts.positive;
    out.push(`${opts.groupCol} × ${opts.labelCol}: rate of ${opts.labelCol} = ${y} (reference: ${r}, ${ref.why}; ${after ? 'before → after' : 'four-fifths rule'}):`);
    if (metrics) {
      metrics.reference = r;
      metrics.label = y;
      metrics.min_support = minSupport;
      metrics.groups = rateMetrics(after ?? before, y);
      if (after) metrics.groups_before = rateMetrics(before, y);
    }
    const head = after ? ['group', 'rows', 'rate', '→', 'SPD', '→', 'DI', '→', ''] : ['group', 'rows', y, 'rate', '95% CI', 'SPD', 'DI', ''];
    const body = groups.map((g) => {
      const b = parity(before.rate(g, y), before.rate(r, y));
      let flag = g === r ? '(reference)' : isDemographic(g) ? diFlag((after ? parity(after.rate(g, y), after.rate(r, y)) : b).di, opts.threshold) : '';
      if (flag.startsWith('⚠') && !supported(g)) {
        small.push(g);
        flag = `(n < ${minSupport}: not judged)`;
      }
      if (!after) return [g, fmtInt(before.groupTotal(g)), fmtInt(before.get(g, y)), pct(before.rate(g, y)), ci(wilson(before.get(g, y), before.groupTotal(g))), signed(b.spd), fmt(b.di), flag];
      const a = parity(after.rate(g, y), after.rate(r, y));
      return [g, fmtInt(before.groupTotal(g)), pct(before.rate(g, y)), pct(after.rate(g, y)), signed(b.spd), signed(a.spd), fmt(b.di), fmt(a.di), flag];
    });
    out.push(...table([head, ...body]));
    const gb = parityGap(before, y);
    if (after) {
      const ga = parityGap(after, y);
      out.push(`parity (${y}): max−min rate ${fmt(gb.diff)} → ${fmt(ga.diff)} · min/max ${fmt(gb.ratio)} → ${fmt(ga.ratio)}`);
    } else out.push(`parity (${y}): max−min rate ${fmt(gb.diff)} · min/max ${fmt(gb.ratio)}${gb.ratio < opts.threshold ? ` ⚠ below ${opts.threshold}` : ''}`);
    if (small.length) out.push(`not judged by the four-fifths rule (fewer than ${minSupport} rows in the group or the reference; \`min_support\`): ${small.join(', ')}`);
    if (metrics) metrics.parity = { max_minus_min: num(gb.diff), min_over_max: num(gb.ratio) };
    return out;
  }
  out.push(`${opts.groupCol} × ${opts.labelCol}: label rates per group (reference: ${r}, ${ref.why}${after ? '; before → after' : ''}):`);
  const head = ['group', 'rows', ...labels.flatMap((y) => (after ? [y, '→'] : [y]))];
  const body = groups.map((g) => [g, fmtInt(before.groupTotal(g)), ...labels.flatMap((y) => (after ? [pct(before.rate(g, y)), pct(after.rate(g, y))] : [pct(before.rate(g, y))]))]);
  out.push(...table([head, ...body]));
  if (more > 0) out.push(`… ${more} more label${more === 1 ? '' : 's'}`);
  if (metrics) {
    metrics.reference = r;
    metrics.min_support = minSupport;
    metrics.labels = Object.fromEntries(before.labels.map((y) => [y, { groups: rateMetrics(after ?? before, y), parity: { max_minus_min: num(parityGap(after ?? before, y).diff), min_over_max: num(parityGap(after ?? before, y).ratio) } }]));
  }
  // per label: the demographic parity gap and the groups below four-fifths of the reference
  for (const y of labels) {
    const gb = parityGap(before, y);
    const judged = (g: string) => {
      const hit = g !== r && isDemographic(g) && diFlag(parity((after ?? before).rate(g, y), (after ?? before).rate(r, y)).di, opts.threshold) !== '';
      if (hit && !supported(g) && !small.includes(g)) small.push(g);
      return hit && supported(g);
    };
    const flagged = groups.filter(judged);
    const ga = after ? parityGap(after, y) : undefined;
    out.push(
      `parity (${y}): max−min rate ${fmt(gb.diff)}${ga ? ` → ${fmt(ga.diff)}` : ''} · min/max ${fmt(gb.ratio)}${ga ? ` → ${fmt(ga.ratio)}` : ''}` +
        (flagged.length
          ? ` · ⚠ four-fifths rule vs ${r}: ${flagged
              .map((g) => {
                const di = parity((after ?? before).rate(g, y), (after ?? before).rate(r, y)).di;
                return `${g} DI ${fmt(di)} (${di < opts.threshold ? `< ${opts.threshold}` : `> ${fmt(1 / opts.threshold, 2)}`})`;
              })
              .join(', ')}`
          : ''),
    );
  }
  if (small.length) out.push(`not judged by the four-fifths rule (fewer than ${minSupport} rows in the group or the reference; \`min_support\`): ${small.join(', ')}`);
  return out;
}
