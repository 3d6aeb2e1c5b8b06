import { prng } from '../../runtime/hash.js';
import { APPLY_TO_PARAM, defineOp, type MetricValue } from '../types.js';
import { rootOf } from './counterfactual.js';
import { Cells, fmtInt, groupOf, labelOf, rateLines, table } from './metrics.js';
import { checkMitigation, MITIGATION_PARAMS, positiveOf } from './reweigh.js';

/**
 * Target size of every (group, label) cell for `parity`: the expected counts n_g·n_y / n of
 * Kamiran–Calders uniform sampling, rounded per group by largest remainder (integer arithmetic;
 * ties to the earlier label) so every group keeps its size exactly. A group with no rows of some
 * label cannot be given that label: its rows are shared among the labels it has, in proportion to
 * their totals (n_g·n_y / Σ n_y over those labels).
 */
export function parityTargets(cells: Cells): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const g of cells.groups) {
    const ng = cells.groupTotal(g);
    const present = cells.labels.filter((y) => cells.get(g, y) > 0);
    const den = present.reduce((a, y) => a + cells.labelTotal(y), 0);
    const quotas = present.map((y, i) => {
      const num = ng * cells.labelTotal(y);
      return { y, i, floor: Math.floor(num / den), rem: num % den };
    });
    let left = ng - quotas.reduce((a, q) => a + q.floor, 0);
    const m = new Map(cells.labels.map((y) => [y, 0]));
    for (const q of quotas) m.set(q.y, q.floor);
    for (const q of [...quotas].sort((a, b) => b.rem - a.rem || a.i - b.i)) {
      if (left <= 0) break;
      m.set(q.y, m.get(q.y)! + 1);
      left--;
    }
    out.set(g, m);
  }
  return out;
}

/** `equal`: every cell of groups × labels to `size` (default: rows / non-empty cells, rounded). */
export function equalTargets(cells: Cells, size?: number): Map<string, Map<string, number>> {
  const nonEmpty = cells.groups.reduce((a, g) => a + cells.labels.filter((y) => cells.get(g, y) > 0).length, 0);
  const s = size ?? (nonEmpty ? Math.round(cells.total / nonEmpty) : 0);
  return new Map(cells.groups.map((g) => [g, new Map(cells.labels.map((y) => [y, s]))]));
}

export const resample = defineOp({
  name: 'resample',
  version: 1,
  kind: 'global',
  random: true,
  summary: 'over- and under-sample (group, label) cells: equal sizes, or equal label rates across groups (parity)',
  doc: [
    '`resample gender label` (`target: parity`, the default) resizes every (group, label) cell to n_g·n_y / n, the uniform sampling of Kamiran & Calders (2012): each group keeps its size (largest remainder per group) and gets the label distribution of the whole, so label rates are equal across groups up to rounding (a group lacking a label entirely shares its rows among the labels it has). `target: equal` resizes every cell of groups × labels to the same size (`size`, default rows / non-empty cells).',
    'A cell is shrunk by keeping a seeded random subset; the other rows go to the rejects with reason "resample". A cell is grown by keeping all its rows and adding copies: whole rounds of every row, then a seeded random subset for the rest. A copy is the row with id `<id>#dup<k>` and `parent` = the original\'s id (or its own `parent`), so `split group: parent` keeps copies with their original. An empty cell cannot grow (a note says so).',
    'On a split input only the parts in `apply_to` are resampled (default `[train]`): evaluation parts keep their real distribution. ' +
    'Groups come from the `group` column as in `bias_report` (a list from bias_detect: [] → none, several → mixed). Notes: cell sizes before, target and after, and label rates per group before and after with SPD and DI.',
  ].join(' '),
  params: [
    ...MITIGATION_PARAMS,
    APPLY_TO_PARAM,
    { name: 'target', type: { kind: 'enum', values: ['parity', 'equal'] }, default: 'parity', doc: 'parity: cells to n_g·n_y/n (equal label rates); equal: every cell the same size' },
    { name: 'size', type: { kind: 'count', min: 0 }, doc: 'cell size for `target: equal` (default: rows / non-empty cells)' },
  ],
  describe: (p) => `resample ${p.group as string} × ${p.label as string} to ${p.target as string}`,
  schema(ctx) {
    checkMitigation(ctx);
    if (ctx.params.size !== undefined && ctx.params.target !== 'equal') ctx.error('size', '`size` is only used with `target: equal`', { help: 'write `target: equal size: …`, or remove `size`' });
    const input = ctx.input!;
    return input.columns.some((c) => c.name === 'parent') ? input : { ...input, columns: [...input.columns, { name: 'parent', type: 'string' }] };
  },
  global: {
    parts: 'train',
    async run(input, params, ctx, out) {
      const group = params.group as string;
      const label = params.label as string;
      const before = new Cells();
      const cellIds = new Map<string, number>();
      const cellKeys: [string, string][] = [];
      const cellOf = new Int32Array(input.count);
      const members: number[][] = [];
      let i = 0;
      for await (const row of input.rows()) {
        const g = groupOf(row[group]);
        const y = labelOf(row[label]);
        before.add(g, y);
        const key = `${g}\u0000${y}`;
        let c = cellIds.get(key);
        if (c === undefined) {
          cellIds.set(key, (c = cellKeys.length));
          cellKeys.push([g, y]);
          members.push([]);
        }
        cellOf[i] = c;
        members[c].push(i);
        i++;
      }
      const n = i;
      const targets = params.target === 'equal' ? equalTargets(before, params.size as number | undefined) : parityTargets(before);

      // per cell, in first-seen order: a seeded shuffle decides which rows stay or get an extra copy
      const rand = prng(ctx.seed);
      const keep = new Uint8Array(n).fill(1);
      const copies = new Int32Array(n);
      for (const [c, [g, y]] of cellKeys.entries()) {
        const m = members[c];
        const t = targets.get(g)!.get(y)!;
        const order = [...m];
        for (let k = order.length - 1; k > 0; k--) {
          const j = Math.floor(rand() * (k + 1));
          [order[k], order[j]] = [order[j], order[k]];
        }
        if (t < m.length) for (const idx of order.slice(t)) keep[idx] = 0;
        else if (t > m.length) {
          const extra = t - m.length;
          const full = Math.floor(extra / m.length);
          const rem = extra % m.length;
          order.forEach((idx, rank) => (copies[idx] = full + (rank < rem ? 1 : 0)));
        }
      }

      const after = new Cells();
      for (const g of before.groups) for (const y of before.labels) if (before.get(g, y)) after.add(g, y, 0);
      i = 0;
      for await (const row of input.rows()) {
        const [g, y] = cellKeys[cellOf[i]];
        if (!keep[i]) {
          await out.drop(row, 'resample', `under-sampled ${group} ${g}, ${label} ${y}: ${fmtInt(before.get(g, y))} → ${fmtInt(targets.get(g)!.get(y)!)} rows`);
        } else {
          await out.emit('parent' in row ? row : { ...row, parent: null });
          after.add(g, y);
          for (let k = 1; k <= copies[i]; k++) {
            await out.emit({ ...row, id: `${String(row.id)}#dup${k}`, parent: rootOf(row) });
            after.add(g, y);
          }
        }
        if (++i % 10_000 === 0) ctx.progress(i);
      }

      out.note(`resample to ${params.target as string} on ${group} × ${label}: ${fmtInt(n)} → ${fmtInt(after.total)} rows`);
      const rows = [['group', label, 'before', 'target', 'after', 'change']];
      const unfilled: string[] = [];
      for (const g of before.groups) {
        for (const y of before.labels) {
          const b = before.get(g, y);
          const t = targets.get(g)!.get(y)!;
          const a = after.get(g, y);
          if (!b && !t) continue;
          if (!b && t) unfilled.push(`${g}/${y}`);
          rows.push([g, y, fmtInt(b), fmtInt(t), fmtInt(a), a === b ? '0' : a > b ? `+${fmtInt(a - b)}` : `-${fmtInt(b - a)}`]);
        }
      }
      for (const l of table(rows)) out.note(l);
      if (unfilled.length) out.note(`no rows to copy in ${unfilled.slice(0, 8).join(', ')}${unfilled.length > 8 ? ', …' : ''}: ${unfilled.length === 1 ? 'that cell stays' : 'those cells stay'} empty`);
      const opts = { groupCol: group, labelCol: label, positive: positiveOf(params.positive), reference: params.reference as string | undefined, threshold: params.threshold as number };
      const rates: Record<string, MetricValue> = {};
      for (const l of rateLines(opts, before, after, rates)) out.note(l);
      out.metric?.('rates', rates);
    },
  },
});
