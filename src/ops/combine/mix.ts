import { prng } from '../../runtime/hash.js';
import { defineOp, OpError } from '../types.js';
import { requireColumns } from '../common.js';
import { table } from '../bias/metrics.js';
import { rootOf } from '../bias/counterfactual.js';
import { largestRemainder, ratioWeights } from '../split/allocate.js';

const fmt = (n: number) => n.toLocaleString('en-US');
const pct = (r: number) => `${(Math.round(r * 1000) / 10).toFixed(1)}%`;

/** The group a row belongs to: its `by` value as text ("(none)" when missing). */
export function groupKey(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return '(none)';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * Rows per group for a mix. Groups with a share > 0 must have rows. Without `size`: the largest
 * total that needs no copies (each group's rows cover its share), or with `upsample` the smallest
 * total that drops nothing. With `size`: that total, capped (without `upsample`) at the largest one
 * that needs no copies. Totals are split by largest remainder (exact integers, ties to the earlier
 * group).
 */
export function mixSizes(available: number[], ratios: number[], opts: { size?: number; upsample: boolean }): { sizes: number[]; total: number; capped: boolean } {
  const w = ratioWeights(ratios);
  const W = w.reduce((a, b) => a + b, 0);
  const live = w.map((x, i) => i).filter((i) => w[i] > 0);
  const fits = (t: number[]) => t.every((s, i) => s <= available[i]);
  const covers = (t: number[]) => t.every((s, i) => w[i] === 0 || s >= available[i]);
  // the largest total with every group's share within its rows
  let noCopies = Math.min(...live.map((i) => Math.floor((available[i] * W) / w[i])));
  while (noCopies > 0 && !fits(largestRemainder(noCopies, ratios))) noCopies--;
  let total: number;
  let capped = false;
  if (opts.size !== undefined) {
    total = opts.size;
    if (!opts.upsample && total > noCopies) {
      total = noCopies;
      capped = true;
    }
  } else if (opts.upsample) {
    total = Math.max(...live.map((i) => Math.ceil((available[i] * W) / w[i])));
    while (!covers(largestRemainder(total, ratios))) total++;
  } else total = noCopies;
  return { sizes: largestRemainder(total, ratios), total, capped };
}

export const mix = defineOp({
  name: 'mix',
  version: 1,
  kind: 'global',
  random: true,
  summary: 'mix sources (or tasks) in target proportions: seeded down-sampling, copies for up-sampling',
  doc: [
    '`cell raw = concat tickets, faq, kb | mix { tickets: 60%, faq: 20%, kb: 20% }` groups rows by the `by` column — `source` by default, which holds the cell each row was read by — and resizes every group to its share of the total. `mix by: task` without percentages gives every value of `task` an equal share (task balance); `mix { qa: 50%, summarization: 25%, classification: 25% } by: task` sets them.',
    'The total: `size: 10k`, or by default the largest total every group can fill without copies (the scarcest group relative to its share sets it). With `upsample` and no `size`, the smallest total that keeps every row, the other groups grown with copies; with `size`, copies are made where a group is short — without `upsample` a size that would need copies is lowered to the largest one that does not (a note says so). Shares are split into whole rows by largest remainder, groups taken in name order.',
    'A group is shrunk to a seeded random subset; the other rows go to the rejects with reason "mix". A group is grown by keeping all its rows and adding copies: whole rounds of every row, then a seeded random subset for the rest. A copy is the row with id `<id>#mix<k>` and `parent` = the original\'s id (or its own `parent`), so `split group: parent` keeps copies with their original. Rows of a group not in the percentages are dropped with reason "not in mix"; a group named in them with no rows is an error.',
    'Notes: per group the target and achieved share, rows available and kept, and how many were down- or up-sampled.',
  ].join(' '),
  params: [
    { name: 'ratios', type: { kind: 'ratios' }, positional: true, doc: 'group → share: { tickets: 60%, faq: 40% } (default: equal shares of every group)' },
    { name: 'by', type: { kind: 'column' }, default: 'source', doc: 'column whose values are the groups (source cell, task type, …)' },
    { name: 'size', type: { kind: 'count', min: 0 }, doc: 'total rows (default: the largest total that needs no copies)' },
    { name: 'upsample', type: { kind: 'bool' }, default: false, doc: 'allow copies: without `size`, keep every row and grow the other groups to their shares' },
  ],
  describe: (p) => {
    const r = p.ratios as Record<string, number> | undefined;
    return `mix by ${p.by as string}${r ? ` ${Object.entries(r).map(([g, x]) => `${g} ${Math.round(x * 1000) / 10}%`).join(', ')}` : ' (equal)'}${p.size !== undefined ? ` size ${fmt(p.size as number)}` : ''}`;
  },
  schema(ctx) {
    requireColumns(ctx, 'by', [ctx.params.by as string]);
    const input = ctx.input!;
    return input.columns.some((c) => c.name === 'parent') ? input : { ...input, columns: [...input.columns, { name: 'parent', type: 'string' }] };
  },
  global: {
    parts: 'each',
    async run(input, params, ctx, out) {
      const by = params.by as string;
      // pass 1: the group of every row
      const ids = new Map<string, number>();
      const seen: string[] = [];
      const members: number[][] = [];
      const groupOf = new Int32Array(input.count);
      let i = 0;
      for await (const row of input.rows()) {
        const g = groupKey(row[by]);
        let id = ids.get(g);
        if (id === undefined) {
          ids.set(g, (id = seen.length));
          seen.push(g);
          members.push([]);
        }
        groupOf[i] = id;
        members[id].push(i);
        i++;
      }
      const n = i;
      const given = params.ratios as Record<string, number> | undefined;
      // groups in name order: the written order of the percentages is not part of the cache key
      const names = given ? Object.keys(given).sort() : [...seen].sort();
      const ratios = given ? names.map((g) => given[g]) : names.map(() => 1 / names.length);
      const idx = names.map((g) => ids.get(g));
      const empty = names.filter((g, j) => ratios[j] > 0 && idx[j] === undefined);
      if (empty.length) {
        throw new OpError(
          `mix: no rows with ${by} = ${empty.map((g) => JSON.stringify(g)).join(', ')}; values of \`${by}\`: ${seen.slice(0, 12).map((g) => JSON.stringify(g)).join(', ')}${seen.length > 12 ? ', …' : ''}`,
        );
      }
      if (!names.length) {
        out.note('mix: no rows');
        return;
      }
      const available = idx.map((j) => (j === undefined ? 0 : members[j].length));
      const { sizes, total, capped } = mixSizes(available, ratios, { size: params.size as number | undefined, upsample: params.upsample as boolean });

      // per group, in target order: a seeded shuffle decides which rows stay or get an extra copy
      const rand = prng(ctx.seed);
      const keep = new Uint8Array(n);
      const copies = new Int32Array(n);
      const slot = new Int32Array(seen.length).fill(-1);
      names.forEach((_, k) => {
        const j = idx[k];
        if (j === undefined) return;
        slot[j] = k;
        const m = members[j];
        const t = sizes[k];
        const order = [...m];
        for (let a = order.length - 1; a > 0; a--) {
          const b = Math.floor(rand() * (a + 1));
          [order[a], order[b]] = [order[b], order[a]];
        }
        if (t <= m.length) for (const r of order.slice(0, t)) keep[r] = 1;
        else {
          const extra = t - m.length;
          const full = Math.floor(extra / m.length);
          const rem = extra % m.length;
          order.forEach((r, rank) => {
            keep[r] = 1;
            copies[r] = full + (rank < rem ? 1 : 0);
          });
        }
      });

      // pass 2: rows in input order, copies right after their original
      const got = names.map(() => 0);
      const outside = new Map<string, number>();
      i = 0;
      for await (const row of input.rows()) {
        const j = groupOf[i];
        const k = slot[j];
        const g = seen[j];
        if (k < 0) {
          outside.set(g, (outside.get(g) ?? 0) + 1);
          await out.drop(row, 'not in mix', `${by} ${JSON.stringify(g)} has no share in the mix`);
        } else if (!keep[i]) {
          await out.drop(row, 'mix', `down-sampled ${by} ${g}: ${fmt(available[k])} → ${fmt(sizes[k])} rows`);
        } else {
          await out.emit('parent' in row ? row : { ...row, parent: null });
          got[k]++;
          for (let c = 1; c <= copies[i]; c++) {
            await out.emit({ ...row, id: `${String(row.id)}#mix${c}`, parent: rootOf(row) });
            got[k]++;
          }
        }
        if (++i % 10_000 === 0) ctx.progress(i);
      }

      const how = params.size !== undefined ? `size ${fmt(params.size as number)}` : params.upsample ? 'every row kept, copies up to the shares' : 'the largest total without copies';
      out.note(`mix by ${by}: ${fmt(n)} → ${fmt(total)} rows (${how})`);
      const rows = [['group', 'target', 'achieved', 'available', 'rows', 'change']];
      names.forEach((g, k) => {
        const d = got[k] - available[k];
        rows.push([g, pct(ratios[k]), total ? pct(got[k] / total) : '-', fmt(available[k]), fmt(got[k]), d === 0 ? '0' : d > 0 ? `+${fmt(d)} up-sampled` : `-${fmt(-d)} down-sampled`]);
      });
      for (const l of table(rows)) out.note(l);
      if (capped) out.note(`size ${fmt(params.size as number)} needs copies: lowered to ${fmt(total)}, the largest total without them (add \`upsample\` to reach it)`);
      if (outside.size) out.note(`dropped rows of groups not in the mix: ${[...outside].map(([g, c]) => `${g} (${fmt(c)})`).join(', ')}`);
      out.metric?.('rows_in', n);
      out.metric?.('rows_out', total);
      out.metric?.('groups', Object.fromEntries(names.map((g, k) => [g, { target: ratios[k], achieved: total ? got[k] / total : null, available: available[k], rows: got[k] }])));
      if (outside.size) out.metric?.('dropped_outside_mix', Object.fromEntries(outside));
    },
  },
});
