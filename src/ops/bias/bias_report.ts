import { requireColumns } from '../common.js';
import { defineOp, type MetricValue } from '../types.js';
import { BUILTIN_DIMS } from './lexicons/index.js';
import { Cells, diversity, fmt, fmtInt, groupOf, isDemographic, labelOf, pct, rateLines, representation, table } from './metrics.js';
import { positiveOf } from './reweigh.js';

/** Group columns used when `by` is not given: bias_detect's dimensions present in the input. */
export const AUTO_DIMS = [...BUILTIN_DIMS, 'custom'];

export const bias_report = defineOp({
  name: 'bias_report',
  version: 2,
  kind: 'global',
  cardReport: true,
  summary: 'representation, label rates, parity (SPD, disparate impact, four-fifths rule) per group, and source diversity, as tables in the notes',
  doc: [
    '`bias_report label: label` after `bias_detect` reports, for each group column (`by`, default the bias_detect dimensions present): rows per group and share, rows mentioning each group (list columns), and the representation of the demographic groups against a uniform target (ratio share/target, total variation ½Σ|p−t|, KL(p‖t) in nats, max/min count).',
    'A list value counts as one group: [] → `none`, one group → that group, several → `mixed`; `none` and `mixed` are shown but never the default reference and never flagged. With `label`: the rate of `positive` (or of every label) per group, the statistical parity difference SPD = P(y|g) − P(y|ref) and disparate impact DI = P(y|g) / P(y|ref) against a reference group (`reference`, default the most frequent), flagging DI < 0.8 (the four-fifths rule; `threshold`) and DI > 1/0.8 (the reference is then the group below four-fifths) only when the group and the reference both have at least `min_support` rows (default 10; smaller groups are listed as not judged); each rate with its 95% Wilson score interval; demographic parity difference (max − min rate) and ratio (min/max).',
    'Source diversity of the `source` column (default: `source` when the input has it): Shannon entropy H in bits, normalized H/log K, effective number exp(H), Gini–Simpson 1 − Σp², inverse Simpson 1/Σp² and max/min, with the largest sources. Rows pass through unchanged.',
  ].join(' '),
  params: [
    { name: 'by', type: { kind: 'columns' }, positional: true, doc: 'group columns (default: gender, ethnicity, religion, age, custom where present)' },
    { name: 'label', type: { kind: 'column' }, doc: 'label column: label rates and parity per group' },
    { name: 'positive', type: { kind: 'any' }, doc: 'the favourable label (default: rates of every label)' },
    { name: 'reference', type: { kind: 'string' }, doc: 'reference group for SPD and DI (default: the most frequent group other than none/mixed)' },
    { name: 'threshold', type: { kind: 'number', min: 0, max: 1 }, default: 0.8, doc: 'flag disparate impact below this (the four-fifths rule)' },
    { name: 'source', type: { kind: 'column' }, doc: 'column whose diversity is measured (default: `source` when present)' },
    { name: 'limit', type: { kind: 'count', min: 1 }, default: 10, doc: 'largest sources and labels shown' },
    { name: 'min_support', type: { kind: 'count', min: 1 }, default: 10, doc: 'rows a group (and the reference) needs before a disparate-impact flag is raised; smaller groups are shown but not judged' },
  ],
  describe: (p) => `bias_report${p.by ? ` by ${(p.by as string[]).join(', ')}` : ''}${p.label ? ` × ${p.label as string}` : ''}`,
  schema(ctx) {
    const input = ctx.input!;
    const by = ctx.params.by as string[] | undefined;
    if (by) requireColumns(ctx, 'by', by);
    else if (!input.open && !input.columns.some((c) => AUTO_DIMS.includes(c.name))) {
      ctx.error('by', 'no group columns to report on', { help: 'run `bias_detect` first, or name group columns: `bias_report by: [group]`', notes: [`looked for: ${AUTO_DIMS.join(', ')}`] });
    }
    if (ctx.params.label) requireColumns(ctx, 'label', [ctx.params.label as string]);
    if (ctx.params.source) requireColumns(ctx, 'source', [ctx.params.source as string]);
    return input;
  },
  global: {
    parts: 'each',
    async run(input, params, ctx, out) {
      const columns = ctx.schema.columns.map((c) => c.name);
      const by = (params.by as string[] | undefined) ?? AUTO_DIMS.filter((d) => columns.includes(d));
      const label = params.label as string | undefined;
      const source = (params.source as string | undefined) ?? (columns.includes('source') ? 'source' : undefined);
      const limit = params.limit as number;
      const cells = by.map(() => new Cells());
      const mentions = by.map(() => new Map<string, number>());
      const isList = by.map(() => false);
      const sources = new Map<string, number>();
      let n = 0;
      for await (const row of input.rows()) {
        const y = label ? labelOf(row[label]) : '';
        by.forEach((c, k) => {
          const v = row[c];
          cells[k].add(groupOf(v), y);
          if (Array.isArray(v)) {
            isList[k] = true;
            for (const g of new Set(v.map(String))) mentions[k].set(g, (mentions[k].get(g) ?? 0) + 1);
          }
        });
        if (source) {
          const s = row[source] === null || row[source] === undefined ? '(none)' : String(row[source]);
          sources.set(s, (sources.get(s) ?? 0) + 1);
        }
        await out.emit(row);
        if (++n % 10_000 === 0) ctx.progress(n);
      }
      if (!n) {
        out.note('bias report: no rows');
        return;
      }
      by.forEach((c, k) => {
        if (!cells[k].groups.some(isDemographic)) {
          out.note(`${c}: no group in ${fmtInt(n)} row${n === 1 ? '' : 's'} (all ${[...new Set(cells[k].groups)].join(', ')})`);
          return;
        }
        for (const l of representationLines(c, cells[k], isList[k] ? mentions[k] : undefined)) out.note(l);
        if (label) {
          const opts = { groupCol: c, labelCol: label, positive: positiveOf(params.positive), reference: params.reference as string | undefined, threshold: params.threshold as number, limit, minSupport: params.min_support as number };
          const m: Record<string, MetricValue> = {};
          for (const l of rateLines(opts, cells[k], undefined, m)) out.note(l);
          out.metric?.(`rates:${c}`, m);
        }
      });
      if (source) for (const l of sourceLines(source, sources, limit)) out.note(l);
    },
  },
});

/** Rows per group, share, mentions, and the demographic groups against a uniform target. */
export function representationLines(column: string, cells: Cells, mentions?: Map<string, number>): string[] {
  const n = cells.total;
  const groups = [...cells.groups].sort((a, b) => Number(!isDemographic(a)) - Number(!isDemographic(b)) || cells.groupTotal(b) - cells.groupTotal(a));
  const demo = groups.filter(isDemographic);
  const dn = demo.reduce((a, g) => a + cells.groupTotal(g), 0);
  const rep = demo.length ? representation(demo.map((g) => cells.groupTotal(g) / dn), demo.map(() => 1 / demo.length)) : undefined;
  const head = ['group', 'rows', 'share', ...(mentions ? ['mentions'] : []), ...(rep ? ['vs uniform'] : [])];
  const body = groups.map((g) => {
    const d = demo.indexOf(g);
    return [g, fmtInt(cells.groupTotal(g)), pct(cells.groupTotal(g) / n), ...(mentions ? [isDemographic(g) ? fmtInt(mentions.get(g) ?? 0) : ''] : []), ...(rep ? [d >= 0 ? fmt(rep.ratios[d], 2) : ''] : [])];
  });
  const out = [`${column}: ${fmtInt(n)} rows, ${demo.length} group${demo.length === 1 ? '' : 's'}${mentions ? ' (a row mentioning several groups is `mixed`, none `none`)' : ''}:`, ...table([head, ...body])];
  if (rep && demo.length > 1) {
    const counts = demo.map((g) => cells.groupTotal(g));
    out.push(`representation of ${demo.join(', ')} vs uniform: TVD ${fmt(rep.tvd)} · KL ${fmt(rep.kl)} nats · max/min ${fmt(Math.max(...counts) / Math.min(...counts), 2)}`);
  }
  return out;
}

/** Source diversity: entropy, evenness, effective number, Gini–Simpson, inverse Simpson, and the largest sources. */
export function sourceLines(column: string, counts: Map<string, number>, limit: number): string[] {
  const entries = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const d = diversity(entries.map(([, c]) => c));
  const n = entries.reduce((a, [, c]) => a + c, 0);
  const out = [
    `source diversity (${column}): ${d.k} source${d.k === 1 ? '' : 's'} · H ${fmt(d.bits)} bits · H/log K ${fmt(d.normalized)} · exp(H) ${fmt(d.effective, 2)} · Gini–Simpson ${fmt(d.giniSimpson)} · inverse Simpson ${fmt(d.inverseSimpson, 2)} · max/min ${fmt(d.imbalance, 2)}`,
  ];
  const shown = entries.slice(0, limit).map(([s, c]) => [s.length > 40 ? `${s.slice(0, 39)}…` : s, fmtInt(c), pct(c / n)]);
  out.push(...table([[column, 'rows', 'share'], ...shown]));
  if (entries.length > limit) out.push(`… ${entries.length - limit} more sources`);
  return out;
}
