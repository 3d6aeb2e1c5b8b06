import { prng } from '../../runtime/hash.js';
import { defineOp, type GlobalOutput, type Params, type Row, type RowSet } from '../types.js';
import { requireColumns } from '../common.js';
import { HASH_SALT, hashKey, hashPartOf, iterativeStratify, keyString, largestRemainder, shuffledRanks, stratifiedSizes, type Unit } from './allocate.js';
import { LabelCounts, labelsOf, labelTable, NO_LABEL } from './labels.js';

export { largestRemainder } from './allocate.js';

const fmt = (x: number) => x.toLocaleString('en-US');
const pct = (r: number) => `${Math.round(r * 1000) / 10}%`;

export const split = defineOp({
  name: 'split',
  version: 2,
  kind: 'global',
  random: true,
  summary: 'seeded or hash-stable train/validation/test split: exact sizes, stratified, multi-label, group-aware',
  doc: [
    '`split` alone gives train 80%, val 10%, test 10%. Write `split 90% 5% 5%` or `split { train: 70%, dev: 15%, test: 15% }` for other parts; percentages must add up to 100%. Refer to a part as `cell.train`.',
    'Sizes are exact: floors of n·ratio, the rows left over to the largest remainders (ties to the earlier part), on integers. Which rows go where depends only on the seed and the input.',
    '`stratify: label` keeps each part\'s label distribution equal to the whole: each class gets floor(n_c·ratio) rows in each part, and its leftover rows go one per part to the parts still short of their exact size, largest remainder first (equal remainders in a seeded order of the classes), so part totals stay exact and no class is more than one row off its share in any part.',
    'When the stratify column holds lists (multi-label), rows are placed by iterative stratification (Sechidis et al. 2011): rarest label first, each row to the part that most wants that label; a full part takes no more rows, so sizes stay exact.',
    '`group: cluster` keeps every group in one part (near-duplicate clusters, `group: parent` for augmented rows and their originals: a row with no group value is grouped by its `key`). Groups go to parts in seeded order, to the part that wants the most rows among those they fit in, stratified over groups when `stratify` is set; sizes are then approximate and a note shows achieved vs target.',
    '`by: hash` assigns each row by sha256("ftr-split-v1" ‖ 0x00 ‖ key) (first 4 bytes / 2^32 against the cumulative ratios): a row keeps its part when rows are added later, whatever the seed; with `group` the group value is hashed. Hash splits are not stratified and sizes are approximate.',
    'Notes give part sizes, and with `stratify` or `report` the label distribution per part side by side.',
  ].join(' '),
  params: [
    { name: 'ratios', type: { kind: 'ratios', names: ['train', 'val', 'test'] }, positional: true, variadic: true, default: { train: 0.8, val: 0.1, test: 0.1 }, doc: 'part names and percentages' },
    { name: 'stratify', type: { kind: 'column' }, doc: 'label column whose distribution every part keeps (a list column: multi-label)' },
    { name: 'group', type: { kind: 'column' }, doc: 'rows with the same value always land in the same part (cluster, conversation, parent)' },
    { name: 'by', type: { kind: 'enum', values: ['random', 'hash'] }, default: 'random', doc: 'random: seeded, exact sizes; hash: stable per key as rows are added' },
    { name: 'key', type: { kind: 'column' }, default: 'id', doc: 'column hashed by `by: hash`, and the group of rows with no group value' },
    { name: 'salt', type: { kind: 'string' }, default: HASH_SALT, doc: 'prefix of the hashed key; change it to draw another stable split' },
    { name: 'report', type: { kind: 'column' }, doc: 'label column shown per part in the notes (default: the stratify column)' },
  ],
  describe: (p) =>
    `split ${Object.values(p.ratios as Record<string, number>).map((r) => Math.round(r * 1000) / 10).join('/')}` +
    (p.by === 'hash' ? ` by hash of ${(p.group as string | undefined) ?? (p.key as string)}` : '') +
    (p.stratify ? ` stratified by ${p.stratify as string}` : '') +
    (p.group && p.by !== 'hash' ? ` grouped by ${p.group as string}` : ''),
  schema(ctx) {
    const p = ctx.params;
    if (p.by === 'hash') {
      requireColumns(ctx, 'key', [p.key as string]);
      if (p.stratify) {
        ctx.error('stratify', 'a hash split cannot be stratified', {
          label: '`by: hash` places each row by its key alone',
          notes: ['stable hash splits keep rows in place as data grows; label shares then follow the data, not a quota'],
          help: `remove \`by: hash\` for an exact stratified split, or write \`report: ${p.stratify as string}\` to see the label distribution per part`,
        });
      }
    }
    return { columns: ctx.input!.columns, parts: Object.keys(p.ratios as Record<string, number>) };
  },
  global: {
    parts: 'merge',
    async run(input, params, ctx, out) {
      const names = Object.keys(params.ratios as Record<string, number>);
      const ratios = Object.values(params.ratios as Record<string, number>);
      const reportCol = (params.report as string | undefined) ?? (params.stratify as string | undefined);
      const counts = reportCol ? new LabelCounts(names) : undefined;
      const sizes = names.map(() => 0);
      const emit = async (row: Row, j: number) => {
        sizes[j]++;
        counts?.add(j, row[reportCol!]);
        await out.emit(row, names[j]);
      };

      if (params.by === 'hash') {
        const key = (params.group as string | undefined) ?? (params.key as string);
        const fallback = params.key as string;
        const partOf = hashPartOf(ratios);
        let missing = 0;
        let i = 0;
        for await (const row of input.rows()) {
          const k = keyString(row[key]) ?? (key !== fallback ? keyString(row[fallback]) : undefined);
          if (k === undefined) {
            missing++;
            await out.drop(row, 'no split key', `\`${key}\` is empty, so the row has no stable part`);
          } else await emit(row, partOf(hashKey(k, params.salt as string)));
          if (++i % 10_000 === 0) ctx.progress(i);
        }
        const n = sizes.reduce((a, b) => a + b, 0);
        out.metric?.('parts', Object.fromEntries(names.map((p, j) => [p, { rows: sizes[j], share: n ? sizes[j] / n : null, target_share: ratios[j], deviation: n ? sizes[j] / n - ratios[j] : null }])));
        if (missing) out.metric?.('no_split_key', missing);
        out.note(`by hash of ${key}: ${names.map((p, j) => `${p} ${fmt(sizes[j])} (${n ? pct(sizes[j] / n) : '-'}, target ${pct(ratios[j])})`).join(' · ')}`);
        if (missing) out.note(`${fmt(missing)} row${missing === 1 ? '' : 's'} without a \`${key}\` dropped (reason "no split key")`);
        if (counts) for (const l of labelTable(reportCol!, counts)) out.note(l);
        return;
      }

      const partOf = await assign(input, params, ctx.seed, ctx.schema.columns.find((c) => c.name === params.stratify)?.type === 'list', out);
      let i = 0;
      for await (const row of input.rows()) await emit(row, partOf[i++]);
      const targets = largestRemainder(i, ratios);
      out.metric?.('parts', Object.fromEntries(names.map((p, j) => [p, { rows: sizes[j], target: targets[j], deviation: sizes[j] - targets[j], share: i ? sizes[j] / i : null, target_share: ratios[j] }])));
      // exact modes hit the targets (the runtime shows part sizes); grouped ones say how close they came
      if (params.group) out.note(`sizes vs target: ${names.map((p, j) => `${p} ${fmt(sizes[j])}/${fmt(targets[j])}`).join(' · ')}`);
      if (counts) for (const l of labelTable(reportCol!, counts)) out.note(l);
    },
  },
});

/**
 * The part of every row (by input position) for a seeded split. Reads the input once; the caller
 * reads it again to emit. Random draws, in order: the plain path shuffles row indices; the
 * stratified path draws a class tie order, then shuffles each class; the iterative path draws unit
 * and label orders, then breaks part ties.
 */
async function assign(input: RowSet, params: Params, seed: number, listColumn: boolean, out: GlobalOutput): Promise<Uint8Array> {
  const ratios = Object.values(params.ratios as Record<string, number>);
  const stratify = params.stratify as string | undefined;
  const group = params.group as string | undefined;
  const key = params.key as string;
  const rand = prng(seed);

  if (!stratify && !group) {
    // shuffle row indices (Fisher–Yates with the step's seed), then cut into consecutive parts
    const n = input.count;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    const partOf = new Uint8Array(n);
    let pos = 0;
    largestRemainder(n, ratios).forEach((size, p) => {
      for (let k = 0; k < size; k++) partOf[order[pos++]] = p;
    });
    return partOf;
  }

  // pass 1: labels (as indices, CSR) and groups of every row
  const labelIds = new Map<string, number>();
  const labelNames: string[] = [];
  const labelId = (l: string) => {
    let id = labelIds.get(l);
    if (id === undefined) {
      labelIds.set(l, (id = labelNames.length));
      labelNames.push(l);
    }
    return id;
  };
  const offsets: number[] = [0];
  const flat: number[] = [];
  const groupIds = new Map<string, number>();
  const groupOf: number[] = [];
  let multi = listColumn;
  let n = 0;
  for await (const row of input.rows()) {
    if (stratify) {
      const v = row[stratify];
      if (Array.isArray(v)) multi = true;
      for (const l of labelsOf(v)) flat.push(labelId(l));
      offsets.push(flat.length);
    }
    if (group) {
      const g = keyString(row[group]) ?? keyString(row[key]) ?? `\u0000#${n}`;
      let id = groupIds.get(g);
      if (id === undefined) groupIds.set(g, (id = groupIds.size));
      groupOf.push(id);
    }
    n++;
  }
  const labelsOfRow = (i: number): number[] => {
    if (!stratify) return [];
    const ls = flat.slice(offsets[i], offsets[i + 1]);
    // single-label: a missing label is a class of its own; multi-label: a row with no labels
    return multi ? ls : ls.length ? [ls[0]] : [labelId(NO_LABEL)];
  };
  const partOf = new Uint8Array(n);
  const targets = largestRemainder(n, ratios);

  if (!group && !multi) {
    const classOf = Array.from({ length: n }, (_, i) => labelsOfRow(i)[0]);
    const rows: number[][] = labelNames.map(() => []);
    classOf.forEach((c, i) => rows[c].push(i));
    const tie = shuffledRanks(labelNames.length, rand);
    const alloc = stratifiedSizes(rows.map((r) => r.length), ratios, Array.from(tie));
    for (const [c, members] of rows.entries()) {
      const rank = shuffledRanks(members.length, rand);
      const shuffled = new Array<number>(members.length);
      members.forEach((i, k) => (shuffled[rank[k]] = i));
      let pos = 0;
      alloc[c].forEach((size, j) => {
        for (let k = 0; k < size; k++) partOf[shuffled[pos++]] = j;
      });
    }
    return partOf;
  }

  if (!group) {
    const units: Unit[] = Array.from({ length: n }, (_, i) => ({ size: 1, labels: labelsOfRow(i).map((l) => [l, 1]) }));
    const part = iterativeStratify(units, labelNames.length, targets, ratios, rand);
    part.forEach((j, i) => (partOf[i] = j));
    return partOf;
  }

  const units: Unit[] = Array.from({ length: groupIds.size }, () => ({ size: 0, labels: [] }));
  const perGroup = Array.from({ length: groupIds.size }, () => new Map<number, number>());
  for (let i = 0; i < n; i++) {
    const g = groupOf[i];
    units[g].size++;
    for (const l of labelsOfRow(i)) perGroup[g].set(l, (perGroup[g].get(l) ?? 0) + 1);
  }
  perGroup.forEach((m, g) => (units[g].labels = [...m.entries()].sort((a, b) => a[0] - b[0])));
  const part = iterativeStratify(units, labelNames.length, targets, ratios, rand);
  for (let i = 0; i < n; i++) partOf[i] = part[groupOf[i]];
  const names = Object.keys(params.ratios as Record<string, number>);
  const groupsIn = names.map(() => 0);
  part.forEach((j) => groupsIn[j]++);
  const largest = units.reduce((m, u) => Math.max(m, u.size), 0);
  out.metric?.('groups', { column: group, count: units.length, largest, per_part: Object.fromEntries(names.map((p, j) => [p, groupsIn[j]])) });
  out.note(`groups (${group}): ${fmt(units.length)}, largest ${fmt(largest)} row${largest === 1 ? '' : 's'} · ${names.map((p, j) => `${p} ${fmt(groupsIn[j])}`).join(' · ')}`);
  return partOf;
}
