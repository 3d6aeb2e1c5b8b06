import { prng } from '../../runtime/hash.js';
import { defineOp, OpError, type GlobalOutput, type MetricValue, type OpContext, type Params, type Row, type RowSet } from '../types.js';
import { int, num, pct, show, sortLabels, table } from './report.js';

const STRATEGIES = ['weights', 'oversample', 'undersample'] as const;
type Strategy = (typeof STRATEGIES)[number];

const labelKey = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const missing = (v: unknown) => v === null || v === undefined || v === '';

/** sklearn `compute_class_weight("balanced")`: w_c = n / (k · count_c). */
export function classWeights(counts: number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  const k = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? n / (k * c) : 0));
}

/** Temperature / exponent mixing: shares p_c ∝ n_c^α (α = 1 proportional, 0 uniform). */
export function temperatureShares(counts: number[], alpha: number): number[] {
  const w = counts.map((c) => (c > 0 ? c ** alpha : 0));
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / z);
}

export type Target = { kind: 'auto' } | { kind: 'ratio'; ratio: number } | { kind: 'counts'; counts: Record<string, number> } | { kind: 'shares'; shares: Record<string, number> };

/**
 * Target count per class (imbalanced-learn semantics). oversample: `auto` lifts every class to the
 * majority count; a ratio (two classes) lifts the minority to ⌊ratio·N_majority⌋; counts are taken as
 * given (never below the current count). undersample: `auto` cuts every class to the minority
 * count; a ratio cuts the majority to ⌊N_minority/ratio⌋; counts never above the current count.
 * Shares (a target distribution) scale to the smallest total that needs no class cut (oversample)
 * or no class grown (undersample). Classes a record leaves out stay as they are.
 */
export function targetCounts(labels: string[], counts: number[], strategy: 'oversample' | 'undersample', target: Target): { targets: number[]; notes: string[] } {
  const notes: string[] = [];
  const over = strategy === 'oversample';
  const clamp = (c: number, t: number, label: string) => {
    if (over ? t < c : t > c) {
      notes.push(`${label}: target ${int(t)} would ${over ? 'shrink' : 'grow'} it (${int(c)} rows) — ${strategy} leaves it as it is`);
      return c;
    }
    return t;
  };
  switch (target.kind) {
    case 'auto': {
      const ref = over ? Math.max(...counts) : Math.min(...counts);
      return { targets: counts.map(() => ref), notes };
    }
    case 'ratio': {
      if (counts.length !== 2) throw new OpError(`a ratio target is for two classes; there are ${counts.length} (${labels.join(', ')}) — give counts or shares`);
      const maj = counts[0] >= counts[1] ? 0 : 1;
      const min = 1 - maj;
      const t = [...counts];
      if (over) t[min] = clamp(counts[min], Math.floor(target.ratio * counts[maj] + 1e-9), labels[min]);
      else t[maj] = clamp(counts[maj], Math.floor(counts[min] / target.ratio + 1e-9), labels[maj]);
      return { targets: t, notes };
    }
    case 'counts':
      return { targets: counts.map((c, i) => (labels[i] in target.counts ? clamp(c, target.counts[labels[i]], labels[i]) : c)), notes };
    case 'shares': {
      const listed = labels.map((l) => (l in target.shares ? target.shares[l] : undefined));
      const ratios = counts.flatMap((c, i) => (listed[i] !== undefined && listed[i]! > 0 ? [c / listed[i]!] : []));
      if (!ratios.length) return { targets: [...counts], notes };
      const scale = over ? Math.max(...ratios) : Math.min(...ratios);
      return { targets: counts.map((c, i) => (listed[i] === undefined ? c : listed[i] === 0 ? (over ? c : 0) : Math.floor(scale * listed[i]! + 1e-9))), notes };
    }
  }
}

function parseTarget(v: unknown): Target | string {
  if (v === undefined || v === 'auto') return { kind: 'auto' };
  if (typeof v === 'number') return v > 0 ? { kind: 'ratio', ratio: v } : 'a ratio target must be above 0';
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const e = Object.entries(v as Record<string, unknown>);
    if (!e.length || !e.every(([, x]) => typeof x === 'number' && x >= 0)) return 'target values must be counts or shares ≥ 0';
    const nums = e.map(([, x]) => x as number);
    const sum = nums.reduce((a, b) => a + b, 0);
    if (nums.every((x) => x <= 1) && Math.abs(sum - 1) < 1e-9) return { kind: 'shares', shares: Object.fromEntries(e) as Record<string, number> };
    if (nums.every((x) => Number.isInteger(x))) return { kind: 'counts', counts: Object.fromEntries(e) as Record<string, number> };
    return 'target shares must add up to 100% (or give whole-number counts)';
  }
  return 'target is `auto`, a ratio (binary), counts { a: 100, b: 50 } or shares { a: 60%, b: 40% }';
}

export const balance = defineOp({
  name: 'balance',
  version: 2,
  kind: 'global',
  random: true,
  summary: 'balance labels: class weights, or random over-/under-sampling to a target distribution, with before/after counts',
  doc: [
    '`balance label` adds a `weight` column (`column:` renames): w_c = n / (k · count_c), sklearn\'s "balanced" class weights, so every class weighs the same and the weights sum to n; with a target distribution (`target: { a: 60%, b: 40% }` or `alpha:`) w_c = n · p_c / count_c.',
    '`balance label oversample` copies rows of the smaller classes (imbalanced-learn semantics; `target: auto` lifts every class to the majority count) and `undersample` drops rows of the larger ones (`auto`: down to the minority count). `target:` a ratio N_minority/N_majority (two classes), counts `{ a: 500, b: 500 }` or shares `{ a: 50%, b: 50% }` (the smallest total that needs no class shrunk — or, undersampling, grown); `alpha: 0.3` sets shares ∝ count^α (temperature mixing: 1 proportional, 0 uniform). Classes a record leaves out stay as they are.',
    'Sampling is seeded and deterministic. A copy is the row with id `<id>#os<k>` and `parent` = the original\'s id (or its own `parent`), so `split group: parent` keeps copies with their original; an under-sampled row goes to the rejects with reason "balance". Rows without a label pass through unchanged (weight null). Notes: per class the count and share before, the target, after, and the weight.',
    'Splits: on a split input only the parts in `apply_to` are balanced (default `[train]`, as the augmentation ops); the others pass through unchanged, so evaluation parts keep their real label distribution: no copies, no under-sampled rows, and with `weights` every row weight 1 (`apply_to: [train, val, test]` balances each part on its own).',
  ].join(' '),
  params: [
    { name: 'label', type: { kind: 'column' }, required: true, positional: true, doc: 'label column' },
    { name: 'strategy', type: { kind: 'enum', values: STRATEGIES }, default: 'weights', doc: 'weights (a weight column), oversample or undersample' },
    { name: 'target', type: { kind: 'any' }, doc: 'auto (default), a ratio (binary), counts { a: 100 } or shares { a: 60%, b: 40% }' },
    { name: 'alpha', type: { kind: 'number', min: 0, max: 1 }, doc: 'target shares ∝ count^alpha (temperature mixing)' },
    { name: 'column', type: { kind: 'string' }, default: 'weight', doc: 'name of the weight column (strategy weights)' },
    { name: 'apply_to', type: { kind: 'list', of: { kind: 'any' } }, doc: 'parts of a split input to balance (default [train]); the other parts pass through unchanged' },
  ],
  describe: (p) => `balance ${p.label as string} (${p.strategy as string})`,
  schema(ctx) {
    const input = ctx.input!;
    const t = parseTarget(ctx.params.target);
    if (typeof t === 'string') ctx.error('target', t);
    if (ctx.params.alpha !== undefined && ctx.params.target !== undefined) ctx.error('alpha', '`alpha` and `target` both set the distribution; keep one');
    if (ctx.params.strategy === 'weights' && typeof ctx.params.target === 'number') ctx.error('target', 'a ratio target is for oversample and undersample; weights take shares or counts', { help: 'e.g. target: { a: 60%, b: 40% }' });
    const parts = input.parts;
    const applyTo = ctx.params.apply_to as unknown[] | undefined;
    if (applyTo !== undefined) {
      if (!parts) ctx.error('apply_to', '`apply_to` picks parts of a split, but the input has no parts', { help: 'remove `apply_to`: every row is balanced' });
      else for (const a of applyTo) if (typeof a !== 'string' || !parts.includes(a)) ctx.error('apply_to', `unknown part \`${String(a)}\``, { notes: [`parts of the input: ${parts.join(', ')}`], help: `pick from ${parts.join(', ')}` });
    } else if (parts && !parts.includes('train')) {
      ctx.error(undefined, `the input is split into ${parts.join(', ')}, none of them \`train\`: say which parts to balance`, {
        notes: ['balancing an evaluation part changes the distribution the model is measured on'],
        help: `write \`apply_to: [${parts[0]}]\``,
      });
    }
    if (ctx.params.strategy === 'weights') {
      const col = ctx.params.column as string;
      return { ...input, columns: [...input.columns.filter((c) => c.name !== col), { name: col, type: 'number' }] };
    }
    return input.columns.some((c) => c.name === 'parent') ? input : { ...input, columns: [...input.columns, { name: 'parent', type: 'string' }] };
  },
  global: {
    parts: 'all',
    async run(input, params, ctx, out, extra) {
      const partNames = Object.keys(extra).filter((k) => k.startsWith('part:')).map((k) => k.slice(5));
      const split = !!ctx.schema.parts;
      const into = (part: string | undefined): GlobalOutput => ({ emit: (row) => out.emit(row, part), drop: (row, reason, detail) => out.drop(row, reason, detail), note: (l) => out.note(l), metric: (n, v) => out.metric?.(split && part ? `${part}:${n}` : n, v) });
      if (!split) {
        await balancePart(partNames.length ? extra[`part:${partNames[0]}`] : input, params, ctx, into(partNames[0]));
        return;
      }
      const applyTo = (params.apply_to as string[] | undefined) ?? ['train'];
      const passed: string[] = [];
      for (const part of partNames) {
        const rows = extra[`part:${part}`];
        if (!applyTo.includes(part)) {
          for await (const row of rows.rows()) await out.emit(strategyPassThrough(row, params), part);
          passed.push(`${part} ${int(rows.count)}`);
          continue;
        }
        out.note(`${part}:`);
        await balancePart(rows, params, ctx, into(part));
      }
      if (passed.length) out.note(`passed through unchanged: ${passed.join(' · ')} (apply_to: [${applyTo.join(', ')}])`);
    },
  },
});

/** A row of a part that is not balanced: as it was, unweighted (weight 1) or with no parent. */
function strategyPassThrough(row: Row, params: Params): Row {
  if (params.strategy === 'weights') return { ...row, [params.column as string]: 1 };
  return 'parent' in row ? row : { ...row, parent: null };
}

/** Balance one dataset (a whole input, or one part of a split), emitting to `out`. */
async function balancePart(input: RowSet, params: Params, ctx: OpContext, out: GlobalOutput): Promise<void> {
  const labelCol = params.label as string;
  const strategy = params.strategy as Strategy;
  const keys: string[] = [];
  const shownOf = new Map<string, unknown>();
  const idx = new Map<string, number>();
  const classOf = new Int32Array(input.count).fill(-1);
  const members: number[][] = [];
  let i = 0;
  let unlabeled = 0;
  for await (const row of input.rows()) {
    const v = row[labelCol];
    if (missing(v)) {
      unlabeled++;
      i++;
      continue;
    }
    const key = labelKey(v);
    let c = idx.get(key);
    if (c === undefined) {
      idx.set(key, (c = keys.length));
      keys.push(key);
      shownOf.set(key, v);
      members.push([]);
    }
    classOf[i] = c;
    members[c].push(i);
    i++;
  }
  const n = i;
  const counts = members.map((m) => m.length);
  const labeled = counts.reduce((a, b) => a + b, 0);
  const parsed = params.alpha !== undefined ? ({ kind: 'shares', shares: Object.fromEntries(keys.map((key, c) => [key, temperatureShares(counts, params.alpha as number)[c]])) } as Target) : parseTarget(params.target);
  if (typeof parsed === 'string') throw new OpError(parsed);
  if (parsed.kind !== 'auto' && parsed.kind !== 'ratio') {
    const named = Object.keys(parsed.kind === 'counts' ? parsed.counts : parsed.shares);
    const unknown = named.filter((k) => !idx.has(k));
    if (unknown.length) out.note(`⚠ target names ${unknown.join(', ')}, not a label of the data (labels: ${keys.join(', ')})`);
  }

  let after = [...counts];
  let weights: number[] | undefined;
  let targets: number[] | undefined;
  const order = sortLabels(keys).map((key) => idx.get(key)!);
  if (strategy === 'weights') {
    if (parsed.kind === 'auto') weights = classWeights(counts);
    else {
      const shares = parsed.kind === 'shares' ? parsed.shares : parsed.kind === 'counts' ? normalize(parsed.counts) : undefined;
      if (!shares) throw new OpError('a ratio target is for over- and under-sampling; for weights give shares or counts');
      weights = keys.map((key, c) => (key in shares ? (labeled * shares[key]) / counts[c] : 1));
    }
    i = 0;
    const col = params.column as string;
    for await (const row of input.rows()) {
      await out.emit({ ...row, [col]: classOf[i] < 0 ? null : weights[classOf[i]] });
      if (++i % 10_000 === 0) ctx.progress(i);
    }
  } else {
    const t = targetCounts(keys, counts, strategy, parsed);
    targets = t.targets;
    for (const l of t.notes) out.note(l);
    const rand = prng(ctx.seed);
    const keep = new Uint8Array(n).fill(1);
    const copies = new Int32Array(n);
    for (const c of members.keys()) {
      const m = members[c];
      const target = targets[c];
      const shuffled = [...m];
      for (let x = shuffled.length - 1; x > 0; x--) {
        const y = Math.floor(rand() * (x + 1));
        [shuffled[x], shuffled[y]] = [shuffled[y], shuffled[x]];
      }
      if (target < m.length) for (const r of shuffled.slice(target)) keep[r] = 0;
      else if (target > m.length) {
        const extra = target - m.length;
        const full = Math.floor(extra / m.length);
        const rem = extra % m.length;
        shuffled.forEach((r, rank) => (copies[r] = full + (rank < rem ? 1 : 0)));
      }
    }
    after = counts.map(() => 0);
    i = 0;
    for await (const row of input.rows()) {
      const c = classOf[i];
      const base: Row = 'parent' in row ? row : { ...row, parent: null };
      if (c >= 0 && !keep[i]) {
        await out.drop(row, 'balance', `under-sampled ${labelCol} ${show(shownOf.get(keys[c]))}: ${int(counts[c])} → ${int(targets[c])} rows`);
      } else {
        await out.emit(base);
        if (c >= 0) {
          after[c]++;
          const root = row.parent === null || row.parent === undefined || row.parent === '' ? String(row.id) : String(row.parent);
          for (let k = 1; k <= copies[i]; k++) {
            await out.emit({ ...row, id: `${String(row.id)}#os${k}`, parent: root });
            after[c]++;
          }
        }
      }
      if (++i % 10_000 === 0) ctx.progress(i);
    }
  }

  const total = after.reduce((a, b) => a + b, 0);
  out.note(`balance ${labelCol} (${strategy}${params.alpha !== undefined ? `, alpha ${params.alpha as number}` : parsed.kind !== 'auto' ? `, target ${parsed.kind}` : ''}): ${int(labeled)} labeled rows in ${keys.length} classes${strategy === 'weights' ? '' : ` → ${int(total)}`}`);
  const head = strategy === 'weights' ? [labelCol, 'rows', 'share', 'weight', 'weighted share'] : [labelCol, 'before', 'share', 'target', 'after', 'share'];
  const rows = [head];
  for (const c of order) {
    const label = show(shownOf.get(keys[c]));
    if (strategy === 'weights') rows.push([label, int(counts[c]), pct(counts[c] / labeled), num(weights![c], 4), pct((counts[c] * weights![c]) / weights!.reduce((s, w, x) => s + w * counts[x], 0))]);
    else rows.push([label, int(counts[c]), pct(counts[c] / labeled), int(targets![c]), int(after[c]), pct(after[c] / total)]);
  }
  for (const l of table(rows)) out.note(l);
  if (unlabeled) out.note(`${int(unlabeled)} rows without a ${labelCol} passed through unchanged${strategy === 'weights' ? ' (weight null)' : ''}`);
  if (strategy === 'weights') out.note(`Σ weight = ${num(weights!.reduce((s, w, c) => s + w * counts[c], 0))} (labeled rows ${int(labeled)})`);
  out.metric?.('labeled', labeled);
  out.metric?.('unlabeled', unlabeled);
  out.metric?.('rows_out', total);
  out.metric?.(
    'classes',
    Object.fromEntries(order.map((c): [string, MetricValue] => [show(shownOf.get(keys[c])), strategy === 'weights' ? { rows: counts[c], weight: weights![c] } : { before: counts[c], target: targets![c], after: after[c] }])),
  );
}

function normalize(counts: Record<string, number>): Record<string, number> {
  const z = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, z ? v / z : 0]));
}
