import { requireColumns } from '../common.js';
import { defineOp, type ParamSpec, type Row, type SchemaContext, type MetricValue } from '../types.js';
import { Cells, fmt, fmtInt, groupOf, labelOf, rateLines, reweighing, table } from './metrics.js';

/** Params shared by the mitigation ops: which column is the group, which the label, and how parity is shown. */
export const MITIGATION_PARAMS: ParamSpec[] = [
  { name: 'group', type: { kind: 'column' }, required: true, positional: true, doc: 'group column (a bias_detect list: [] is `none`, several groups `mixed`)' },
  { name: 'label', type: { kind: 'column' }, required: true, positional: true, doc: 'label column' },
  { name: 'positive', type: { kind: 'any' }, doc: 'the favourable label, for the parity table (default: rates of every label)' },
  { name: 'reference', type: { kind: 'string' }, doc: 'reference group for SPD and DI (default: the most frequent group other than none/mixed)' },
  { name: 'threshold', type: { kind: 'number', min: 0, max: 1 }, default: 0.8, doc: 'flag disparate impact below this (the four-fifths rule)' },
];

export function checkMitigation(ctx: SchemaContext): void {
  requireColumns(ctx, 'group', [ctx.params.group as string]);
  requireColumns(ctx, 'label', [ctx.params.label as string]);
  if (ctx.params.group === ctx.params.label) ctx.error('label', '`group` and `label` are the same column', { help: 'name the demographic column as `group` and the class column as `label`' });
}

/** `positive` as a label class name (labels are compared as text: true, 1, "pos"). */
export const positiveOf = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : labelOf(v));

/** The instance weight of a row: the `weights` column's number, 1 when missing or not a positive number. */
export function baseWeight(row: Row, column: string | undefined): number {
  if (!column) return 1;
  const v = row[column];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : 1;
}

export const reweigh = defineOp({
  name: 'reweigh',
  version: 1,
  kind: 'global',
  summary: 'Kamiran–Calders reweighing: a `weight` column that makes labels independent of the group',
  doc: [
    '`reweigh gender label` adds a `weight` column: W(g, y) = P(g)·P(y) / P(g, y) = n_g·n_y / (n·n_gy) for a row of group g and label y (Kamiran & Calders 2012; AIF360 `Reweighing`). Weighted, every group has the same label distribution as the whole, so statistical parity difference is 0 and disparate impact 1; the weights sum to the row count. Rows are not dropped or changed otherwise.',
    'Groups come from the `group` column as in `bias_report` (a list from bias_detect: [] → none, several → mixed). With `weights: w` existing instance weights are counted (sums of weights instead of rows) and multiplied in. Notes: the weight table and the label rates per group before and after weighting, with SPD and DI against the reference.',
  ].join(' '),
  params: [
    ...MITIGATION_PARAMS,
    { name: 'column', type: { kind: 'string' }, default: 'weight', doc: 'name of the weight column written' },
    { name: 'weights', type: { kind: 'column' }, doc: 'existing instance weights to start from (default 1 per row)' },
  ],
  describe: (p) => `reweigh ${p.group as string} × ${p.label as string}`,
  schema(ctx) {
    checkMitigation(ctx);
    const col = ctx.params.column as string;
    return { ...ctx.input!, columns: [...ctx.input!.columns.filter((c) => c.name !== col), { name: col, type: 'number' }] };
  },
  global: {
    parts: 'each',
    async run(input, params, ctx, out) {
      const group = params.group as string;
      const label = params.label as string;
      const column = params.column as string;
      const weights = params.weights as string | undefined;
      const before = new Cells();
      for await (const row of input.rows()) before.add(groupOf(row[group]), labelOf(row[label]), baseWeight(row, weights));
      const w = reweighing(before);
      const after = new Cells();
      let i = 0;
      for await (const row of input.rows()) {
        const g = groupOf(row[group]);
        const y = labelOf(row[label]);
        const weight = (w.get(g)?.get(y) ?? 0) * baseWeight(row, weights);
        after.add(g, y, weight);
        await out.emit({ ...row, [column]: weight });
        if (++i % 10_000 === 0) ctx.progress(i);
      }
      const n = before.total;
      out.note(`reweighing (Kamiran–Calders) on ${group} × ${label}: ${column} = P(group)·P(label) / P(group, label)`);
      const rows = [['group', label, weights ? 'weight sum' : 'rows', 'expected', column]];
      for (const g of before.groups) {
        for (const y of before.labels) {
          const ngy = before.get(g, y);
          if (!ngy) continue;
          rows.push([g, y, fmtInt(ngy), fmt((before.groupTotal(g) * before.labelTotal(y)) / n), fmt(w.get(g)!.get(y)!, 4)]);
        }
      }
      for (const l of table(rows)) out.note(l);
      out.note(`Σ ${column} = ${fmt(after.total)} (${weights ? `Σ ${weights}` : 'rows'} ${fmtInt(n)})`);
      const empty = before.groups.flatMap((g) => before.labels.filter((y) => !before.get(g, y)).map((y) => `${g}/${y}`));
      if (empty.length) out.note(`no rows in ${empty.slice(0, 8).join(', ')}${empty.length > 8 ? ', …' : ''}: weighting cannot give ${empty.length === 1 ? 'that group this label' : 'those groups these labels'}`);
      const opts = { groupCol: group, labelCol: label, positive: positiveOf(params.positive), reference: params.reference as string | undefined, threshold: params.threshold as number };
      const rates: Record<string, MetricValue> = {};
      for (const l of rateLines(opts, before, after, rates)) out.note(l);
      out.metric?.('rates', rates);
    },
  },
});
