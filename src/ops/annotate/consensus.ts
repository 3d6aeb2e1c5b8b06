import { join, resolve } from 'node:path';
import { didYouMean } from '../../parser/suggest.js';
import { writeAtomic } from '../export/output.js';
import { defineOp, type Column, type MetricValue, type Row } from '../types.js';
import { isMissingLabel, MISSING_MARKERS } from '../common.js';
import { alphaBand, cohenKappa, contingency, countsOf, fleissKappa, kappaBand, krippendorffAlpha, spanKey, spanScore, type AlphaLevel, type Span } from './agreement.js';
import { dawidSkene, logOddsWeight, plurality, type Decision, type Vote } from './aggregate.js';
import { EXPORT_EXTENSION, EXPORT_FORMATS, taskWriter, type AnnSpan, type ExportFormat, type Task } from './formats.js';
import { int, num, pct, round6, show, sortLabels, table } from './report.js';

const METHODS = ['majority', 'weighted', 'dawid_skene'] as const;
type Method = (typeof METHODS)[number];
type Label = string | number;

const labelKey = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** All annotations of one item. */
export interface ItemAnnotations {
  item: string;
  text: string | null;
  /** (annotator, label index) per labelled annotation, in reading order */
  votes: Vote[];
  /** annotator → spans (the union of that annotator's span annotations of the item) */
  spans: Map<number, AnnSpan[]>;
  /** gold label index of the item, when known */
  gold: number;
  /** where each annotator's first annotation of the item came from (row ids) */
  rows: Map<number, string>;
}

export interface AgreementInput {
  items: ItemAnnotations[];
  labels: Label[];
  annotators: string[];
  /** final label per item (-1 none), for agreement with the consensus */
  final: number[];
  /** label order for ordinal/weighted metrics, when the labels have one */
  ordered: boolean;
  numeric: boolean;
}

/** The annotator's label for an item in pairwise metrics: their most frequent (first on ties). */
function modalLabel(votes: Vote[], annotator: number): number {
  const c = new Map<number, number>();
  for (const [a, l] of votes) if (a === annotator) c.set(l, (c.get(l) ?? 0) + 1);
  let best = -1;
  let bc = 0;
  for (const [l, n] of c) if (n > bc) [best, bc] = [l, n];
  return best;
}

/** A metric value: NaN and ±∞ (undefined statistics) become null. */
const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Agreement metrics as note lines (and, at full precision, into `metrics`): overall, per label, per annotator (and annotator pair), spans. */
export function agreementNotes(a: AgreementInput, metrics: Record<string, MetricValue> = {}): string[] {
  const notes: string[] = [];
  const k = a.labels.length;
  const multi = a.items.filter((it) => it.votes.length >= 2);
  if (k && a.items.some((it) => it.votes.length)) {
    // observed agreement: pairwise agreement within each item, averaged over items with ≥ 2 votes
    const pairAgree = multi.map((it) => {
      const c = new Array<number>(k).fill(0);
      for (const [, l] of it.votes) c[l]++;
      const m = it.votes.length;
      return c.reduce((s, x) => s + x * (x - 1), 0) / (m * (m - 1));
    });
    const observed = pairAgree.length ? pairAgree.reduce((s, x) => s + x, 0) / pairAgree.length : NaN;
    // Fleiss on the items with the most common number of ratings
    const byM = new Map<number, number>();
    for (const it of multi) byM.set(it.votes.length, (byM.get(it.votes.length) ?? 0) + 1);
    const mStar = [...byM].sort((x, y) => y[1] - x[1] || y[0] - x[0])[0]?.[0];
    const fleissItems = multi.filter((it) => it.votes.length === mStar);
    const fleiss = mStar ? fleissKappa(countsOf(fleissItems.map((it) => it.votes.map(([, l]) => l)), k)) : undefined;
    const valueOf = (l: number): string | number => (a.numeric ? Number(a.labels[l]) : a.ordered ? l : labelKey(a.labels[l]));
    const units = a.items.map((it) => it.votes.map(([, l]) => valueOf(l)));
    const levels: AlphaLevel[] = ['nominal', ...(a.ordered || a.numeric ? (['ordinal'] as const) : []), ...(a.numeric ? (['interval', 'ratio'] as const) : [])];
    const alphas = levels.map((lv) => [lv, krippendorffAlpha(units, lv)] as const);
    notes.push(
      `agreement on ${int(a.items.length)} items (${int(multi.length)} with ≥ 2 labels): observed ${pct(observed)}` +
        (fleiss ? ` · Fleiss κ ${num(fleiss.kappa)} (${kappaBand(fleiss.kappa)}; ${int(fleissItems.length)} items × ${mStar} ratings${fleissItems.length < multi.length ? `, ${int(multi.length - fleissItems.length)} with another count left out` : ''})` : ''),
    );
    metrics.items = a.items.length;
    metrics.items_with_2_labels = multi.length;
    metrics.observed_agreement = fin(observed);
    if (fleiss) metrics.fleiss_kappa = { kappa: fin(fleiss.kappa), items: fleissItems.length, ratings: mStar!, per_label: Object.fromEntries(a.labels.map((l, j) => [show(l), fin(fleiss.perCategory[j])])) };
    metrics.krippendorff_alpha = Object.fromEntries(alphas.map(([lv, r]) => [lv, fin(r.alpha)]));
    metrics.pairable_values = alphas[0][1].pairable;
    notes.push(`Krippendorff α: ${alphas.map(([lv, r]) => `${lv} ${num(r.alpha)} (${alphaBand(r.alpha)})`).join(' · ')} · ${num(alphas[0][1].pairable, 0)} pairable values`);

    // one pass over the items: each annotator's label per item, pair tables, per-annotator counts
    const ann = a.annotators.length;
    const pairTables = new Map<number, number[][]>();
    const pairItems = new Map<number, number>();
    const stats = a.annotators.map(() => ({ items: 0, labels: 0, withFinal: 0, agree: 0, goldN: 0, goldOk: 0, first: '', vsFinal: [] as [number, number][] }));
    a.items.forEach((it, i) => {
      const who = [...new Set(it.votes.map(([w]) => w))].sort((x, y) => x - y);
      const modal = who.map((w) => modalLabel(it.votes, w));
      for (const [w, l] of it.votes) {
        const st = stats[w];
        st.labels++;
        if (a.final[i] >= 0) {
          st.withFinal++;
          if (l === a.final[i]) st.agree++;
        }
        if (it.gold >= 0) {
          st.goldN++;
          if (l === it.gold) st.goldOk++;
        }
      }
      who.forEach((w, x) => {
        const st = stats[w];
        st.items++;
        if (!st.first) st.first = it.rows.get(w) ?? '';
        if (a.final[i] >= 0) st.vsFinal.push([modal[x], a.final[i]]);
        for (let y = x + 1; y < who.length; y++) {
          const key = w * ann + who[y];
          let t = pairTables.get(key);
          if (!t) pairTables.set(key, (t = Array.from({ length: k }, () => new Array<number>(k).fill(0))));
          t[modal[x]][modal[y]]++;
          pairItems.set(key, (pairItems.get(key) ?? 0) + 1);
        }
      });
    });

    // Cohen: every annotator pair with ≥ 2 shared items
    const pairs: string[][] = [];
    const weighted = a.ordered || a.numeric;
    const head = ['pair', 'items', 'agree', 'κ', ...(weighted ? ['κ linear', 'κ quadratic'] : [])];
    let sumK = 0;
    let nK = 0;
    for (const [key, t] of pairTables) {
      const n = pairItems.get(key)!;
      if (n < 2) continue;
      const kap = cohenKappa(t);
      if (Number.isFinite(kap)) {
        sumK += kap;
        nK++;
      }
      const agree = t.reduce((s, row, j) => s + row[j], 0);
      ((metrics.cohen_kappa ??= {}) as Record<string, MetricValue>)[`${a.annotators[Math.floor(key / ann)]} × ${a.annotators[key % ann]}`] = {
        items: n,
        agreement: agree / n,
        kappa: fin(kap),
        ...(weighted ? { kappa_linear: fin(cohenKappa(t, 'linear')), kappa_quadratic: fin(cohenKappa(t, 'quadratic')) } : {}),
      };
      pairs.push([`${a.annotators[Math.floor(key / ann)]} × ${a.annotators[key % ann]}`, int(n), pct(agree / n), num(kap), ...(weighted ? [num(cohenKappa(t, 'linear')), num(cohenKappa(t, 'quadratic'))] : [])]);
    }
    if (nK) metrics.mean_cohen_kappa = sumK / nK;
    if (pairs.length) {
      notes.push(`Cohen's κ per annotator pair${pairs.length > 1 ? ` (mean ${num(nK ? sumK / nK : NaN)}, Light's κ)` : ''}${weighted ? '; weighted κ over the label order' : ''}:`);
      pairs.sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0));
      for (const l of table([head, ...pairs.slice(0, 20)])) notes.push(l);
      if (pairs.length > 20) notes.push(`… ${pairs.length - 20} more pairs`);
    }

    // per label
    const perLabel = [['label', 'votes', 'final', 'Fleiss κ_j']];
    const votesOf = new Array<number>(k).fill(0);
    for (const it of a.items) for (const [, l] of it.votes) votesOf[l]++;
    const finalOf = new Array<number>(k).fill(0);
    for (const f of a.final) if (f >= 0) finalOf[f]++;
    a.labels.forEach((l, j) => perLabel.push([show(l), int(votesOf[j]), int(finalOf[j]), fleiss ? num(fleiss.perCategory[j]) : '-']));
    for (const l of table(perLabel)) notes.push(l);

    // per annotator: agreement with the final label, κ against it, accuracy on gold
    const hasGold = a.items.some((it) => it.gold >= 0);
    const perAnn = [['annotator', 'items', 'labels', 'agrees with final', 'κ vs final', ...(hasGold ? ['gold acc'] : [])]];
    const single: string[] = [];
    a.annotators.forEach((name, w) => {
      const st = stats[w];
      if (!st.labels) return;
      if (st.labels === 1) single.push(`${name} (${st.first})`);
      perAnn.push([
        name,
        int(st.items),
        int(st.labels),
        st.withFinal ? pct(st.agree / st.withFinal) : '-',
        st.vsFinal.length >= 2 ? num(cohenKappa(contingency(st.vsFinal, k))) : '-',
        ...(hasGold ? [st.goldN ? `${pct(st.goldOk / st.goldN)} of ${st.goldN}` : '-'] : []),
      ]);
    });
    for (const l of table(perAnn)) notes.push(l);
    if (single.length) notes.push(`⚠ ${single.length === 1 ? 'annotator' : 'annotators'} with a single rating, too few for per-annotator agreement: ${single.slice(0, 10).join(', ')}${single.length > 10 ? ', …' : ''}`);
  }

  // spans: exact-match F1 between annotator pairs on items both annotated with spans
  const spanItems = a.items.filter((it) => it.spans.size >= 2);
  if (spanItems.length) {
    let tp = 0;
    let na = 0;
    let nb = 0;
    const perLabel = new Map<string, [number, number, number]>();
    const perPair = new Map<string, [number, number, number]>();
    for (const it of spanItems) {
      const who = [...it.spans.keys()].sort((x, y) => x - y);
      for (let x = 0; x < who.length; x++) {
        for (let y = x + 1; y < who.length; y++) {
          const A = it.spans.get(who[x])!;
          const B = it.spans.get(who[y])!;
          const keysB = new Set(B.map((s) => spanKey(s as Span)));
          const t = A.filter((s) => keysB.has(spanKey(s as Span))).length;
          tp += t;
          na += A.length;
          nb += B.length;
          const pk = `${a.annotators[who[x]]} × ${a.annotators[who[y]]}`;
          const pp = perPair.get(pk) ?? [0, 0, 0];
          perPair.set(pk, [pp[0] + t, pp[1] + A.length, pp[2] + B.length]);
          for (const s of A) {
            const e = perLabel.get(s.label) ?? [0, 0, 0];
            perLabel.set(s.label, [e[0] + (keysB.has(spanKey(s as Span)) ? 1 : 0), e[1] + 1, e[2]]);
          }
          for (const s of B) {
            const e = perLabel.get(s.label) ?? [0, 0, 0];
            perLabel.set(s.label, [e[0], e[1], e[2] + 1]);
          }
        }
      }
    }
    const all = spanScore(tp, na, nb);
    notes.push(`span agreement (exact start, end and label) on ${int(spanItems.length)} items: F1 ${num(all.f1)} (${int(tp)} matches of ${int(na)} + ${int(nb)} spans, pairwise)`);
    const rows = [['span label', 'matches', 'spans', 'F1']];
    for (const [l, [t, x, y]] of [...perLabel].sort((p, q) => (p[0] < q[0] ? -1 : 1))) rows.push([l, int(t), int(x + y), num(spanScore(t, x, y).f1)]);
    for (const l of table(rows)) notes.push(l);
    if (perPair.size > 1) {
      const pr = [['pair', 'matches', 'spans', 'F1']];
      for (const [p, [t, x, y]] of [...perPair].sort((p, q) => (p[0] < q[0] ? -1 : 1)).slice(0, 20)) pr.push([p, int(t), int(x + y), num(spanScore(t, x, y).f1)]);
      for (const l of table(pr)) notes.push(l);
    }
  }
  return notes;
}

/** Spans marked by more than half of the item's span annotators (exact start, end, label). */
export function spanConsensus(spans: Map<number, AnnSpan[]>): { kept: AnnSpan[]; agreement: number } {
  const who = [...spans.keys()];
  const votes = new Map<string, { s: AnnSpan; n: number }>();
  for (const w of who) {
    const mine = new Set<string>();
    for (const s of spans.get(w)!) {
      const key = spanKey(s as Span);
      if (mine.has(key)) continue;
      mine.add(key);
      const v = votes.get(key);
      if (v) v.n++;
      else votes.set(key, { s, n: 1 });
    }
  }
  const kept = [...votes.values()].filter((v) => v.n * 2 > who.length).map((v) => v.s).sort((x, y) => x.start - y.start || x.end - y.end);
  // mean pairwise F1 among the annotators (1 with a single annotator)
  let sum = 0;
  let pairs = 0;
  for (let x = 0; x < who.length; x++) {
    for (let y = x + 1; y < who.length; y++) {
      const A = spans.get(who[x])!;
      const keys = new Set(spans.get(who[y])!.map((s) => spanKey(s as Span)));
      const tp = A.filter((s) => keys.has(spanKey(s as Span))).length;
      const n = A.length + spans.get(who[y])!.length;
      sum += n ? (2 * tp) / n : 1;
      pairs++;
    }
  }
  return { kept, agreement: pairs ? sum / pairs : 1 };
}

export const consensus = defineOp({
  name: 'consensus',
  version: 2,
  kind: 'global',
  summary: 'one label per item from several annotators (majority, weighted, Dawid–Skene), with agreement metrics and QA gates routing doubtful items to a review file',
  doc: [
    '`consensus` reads annotation rows (from `annotations`: item, annotator, label, spans) and emits one row per item: `label` (`column:` renames), `label_confidence` (vote share; weighted: softmax of log-odds scores; dawid_skene: posterior), `label_method`, `label_votes` { annotator: label }, `annotators`, `agreement` (share of the item\'s votes for its top label; for spans the mean pairwise span F1) and, for span annotations, `spans` kept by more than half of the item\'s annotators. `method:` majority (a tie gives no label), weighted (annotator weight log((k−1)p/(1−p)) from accuracy p on `gold` items; 1 without gold) or dawid_skene (EM with per-annotator confusion matrices, missing answers left out; `max_iter`, `tol`, `smoothing`).',
    'An annotator who labels an item twice casts two votes (Dawid & Skene\'s repeated observations); pairwise κ takes their most frequent label. With `items: cell` the consensus is joined onto that cell\'s rows by `key` (default id): annotations of unknown items are dropped with reason "unknown item", naming their file:line, and span annotations made on a text that differs from the item\'s (say, normalized after export) with reason "text differs from item"; items nobody annotated stay, unlabeled. `labels: [a, b]` drops annotations with other labels ("label not declared"). Labels that are blank or a missing-value marker (`missing`, default NA, N/A, null; trimmed, any case) are not categories: those annotations are dropped with reason "missing label". When some labels are numbers and others are not, the notes say that ordinal, interval and ratio α are left out, and which labels are not numbers.',
    'Notes: observed agreement; Fleiss\' κ (on the items with the most common number of ratings) with per-label κ_j; Krippendorff\'s α nominal — and ordinal, interval and ratio when labels are numbers (ordinal also with `order: [low, mid, high]`) — missing ratings allowed; Cohen\'s κ for every annotator pair (linear and quadratic weighted when ordered) and their mean; per annotator: items, agreement with the final label, κ against it, accuracy on gold; exact-match span F1 overall, per label and per pair; Landis–Koch and Krippendorff interpretation bands. Annotators with a single rating are flagged.',
    'QA gates: items with fewer than `min_annotators`, a tie, `agreement` below `min_agreement` or confidence below `min_confidence` are not emitted: they are dropped with reason "review" and why, and written to `review:` (a file, or a folder for <cell>_review) in `review_format` (label_studio, prodigy, doccano, argilla, csv, jsonl) with each annotator\'s answer, for adjudication. A cached run checks the file is still there and unchanged and writes it again when it is not (the dropped items are also in `ftr rejects`, reason review).',
  ].join(' '),
  params: [
    { name: 'method', type: { kind: 'enum', values: METHODS }, default: 'majority', doc: 'majority, weighted (gold accuracy) or dawid_skene' },
    { name: 'item', type: { kind: 'column' }, default: 'item', doc: 'column of item ids' },
    { name: 'annotator', type: { kind: 'column' }, default: 'annotator', doc: 'column of annotator ids' },
    { name: 'label', type: { kind: 'column' }, default: 'label', doc: 'column of labels' },
    { name: 'spans', type: { kind: 'column' }, doc: 'column of span lists (default: spans, when the input has it)' },
    { name: 'text', type: { kind: 'column' }, doc: 'column of the annotated text, carried to the output and review file (default: text, when present)' },
    { name: 'gold', type: { kind: 'column' }, doc: 'column of known labels (gold / honeypot items): annotator accuracy and weights' },
    { name: 'labels', type: { kind: 'list', of: { kind: 'any' } }, doc: 'declared label set: other labels are dropped with reason "label not declared"' },
    { name: 'missing', type: { kind: 'list', of: { kind: 'string' } }, default: MISSING_MARKERS, doc: 'labels that mean "no answer" (trimmed, any case; blank always is): such votes are left out, with reason "missing label" — `missing: []` keeps them as categories' },
    { name: 'order', type: { kind: 'list', of: { kind: 'any' } }, doc: 'label order for ordinal α and weighted κ (numbers are ordered already)' },
    { name: 'items', type: { kind: 'dataset' }, doc: 'cell of the items annotated: the consensus is joined onto its rows' },
    { name: 'key', type: { kind: 'string' }, default: 'id', doc: 'column of `items` holding the item id' },
    { name: 'column', type: { kind: 'string' }, default: 'label', doc: 'output label column (also names <column>_confidence, _method, _votes)' },
    { name: 'min_annotators', type: { kind: 'count', min: 1 }, default: 1, doc: 'QA: items with fewer annotators go to review' },
    { name: 'min_agreement', type: { kind: 'percent' }, doc: 'QA: items whose agreement is below this go to review' },
    { name: 'min_confidence', type: { kind: 'percent' }, doc: 'QA: items whose label confidence is below this go to review' },
    { name: 'review', type: { kind: 'path', access: 'write' }, doc: 'file (or folder/) the review queue is written to' },
    { name: 'review_format', type: { kind: 'enum', values: EXPORT_FORMATS }, default: 'label_studio', doc: 'format of the review file: label_studio, prodigy, doccano, argilla, csv or jsonl' },
    { name: 'max_iter', type: { kind: 'number', integer: true, min: 0 }, default: 100, doc: 'dawid_skene: EM rounds at most' },
    { name: 'tol', type: { kind: 'number', min: 0 }, default: 1e-6, doc: 'dawid_skene: convergence tolerance on priors and confusions' },
    { name: 'smoothing', type: { kind: 'number', min: 0 }, default: 0, doc: 'dawid_skene: add-α smoothing of confusion counts (0 as crowd-kit)' },
  ],
  describe: (p) => `consensus (${p.method as string})${p.items ? ` onto ${p.items as string}` : ''}`,
  schema(ctx) {
    const input = ctx.input!;
    const has = (c: string) => input.open || input.columns.some((x) => x.name === c);
    for (const p of ['item', 'annotator', 'label'] as const) {
      const c = ctx.params[p] as string;
      if (!has(c)) ctx.error(p, `unknown column \`${c}\``, { notes: [`columns: ${input.columns.map((x) => x.name).join(', ')}`], help: didYouMean(c, input.columns.map((x) => x.name)) ?? `set \`${p}:\` to the column holding the ${p}` });
    }
    if (ctx.params.method === 'weighted' && ctx.params.gold === undefined) ctx.error('method', '`weighted` takes annotator weights from their accuracy on gold items', { help: 'add `gold: <column of known labels>`, or use majority or dawid_skene' });
    const column = ctx.params.column as string;
    const out: Column[] = [
      { name: column, type: 'any' },
      { name: `${column}_confidence`, type: 'number' },
      { name: `${column}_method`, type: 'string' },
      { name: `${column}_votes`, type: 'record' },
      { name: 'annotators', type: 'number' },
      { name: 'agreement', type: 'number' },
    ];
    const spansCol = (ctx.params.spans as string | undefined) ?? (has('spans') && !input.open ? 'spans' : undefined);
    if (spansCol) out.push({ name: 'spans', type: 'list' });
    const items = ctx.datasets.items;
    if (items) {
      const key = ctx.params.key as string;
      if (!items.open && !items.columns.some((c) => c.name === key)) ctx.error('key', `\`${ctx.params.items as string}\` has no column \`${key}\``, { help: didYouMean(key, items.columns.map((c) => c.name)) ?? 'set `key:` to its item id column' });
      const names = new Set(out.map((c) => c.name));
      return { columns: [...items.columns.filter((c) => !names.has(c.name)), ...out], open: items.open };
    }
    const textCol = (ctx.params.text as string | undefined) ?? (has('text') ? 'text' : undefined);
    return { columns: [{ name: 'id', type: 'string' }, { name: 'item', type: 'string' }, ...(textCol ? [{ name: 'text', type: 'string' as const }] : []), ...out] };
  },
  global: {
    parts: 'each',
    async run(input, params, ctx, out, extra) {
      const method = params.method as Method;
      const itemCol = params.item as string;
      const annCol = params.annotator as string;
      const labelCol = params.label as string;
      const column = params.column as string;
      const spansCol = (params.spans as string | undefined) ?? (ctx.schema.columns.some((c) => c.name === 'spans') ? 'spans' : undefined);
      const textCol = (params.text as string | undefined) ?? 'text';
      const goldCol = params.gold as string | undefined;
      const declared = params.labels as Label[] | undefined;
      const allowed = declared ? new Set(declared.map(labelKey)) : undefined;

      // the items, when joining
      const itemRows = new Map<string, Row>();
      const keyCol = params.key as string;
      if (extra.items) for await (const r of extra.items.rows()) if (r[keyCol] !== null && r[keyCol] !== undefined) itemRows.set(String(r[keyCol]), r);

      // 1. read and check annotations
      const annIdx = new Map<string, number>();
      const annNames: string[] = [];
      const labelVals = new Map<string, Label>();
      type A = { item: string; ann: number; label: Label | null; spans: AnnSpan[] | null; text: string | null; gold: Label | null; id: string };
      const anns: A[] = [];
      for await (const row of input.rows()) {
        const id = String(row.id ?? '');
        const item = row[itemCol];
        const who = row[annCol];
        const label = row[labelCol];
        if (item === null || item === undefined || item === '') {
          await out.drop(row, 'no item id', `annotation ${id} names no item`);
          continue;
        }
        if (who === null || who === undefined || who === '') {
          await out.drop(row, 'no annotator', `annotation ${id} of item ${String(item)} names no annotator`);
          continue;
        }
        if (extra.items && !itemRows.has(String(item))) {
          await out.drop(row, 'unknown item', `item ${JSON.stringify(String(item))} (annotation ${id}) is not in \`${params.items as string}\` (by ${keyCol})`);
          continue;
        }
        const spans = spansCol && Array.isArray(row[spansCol]) ? (row[spansCol] as AnnSpan[]) : null;
        if (isMissingLabel(label, params.missing as string[]) && !spans?.length) {
          await out.drop(row, 'missing label', `annotation ${id} of item ${String(item)}: ${JSON.stringify(label)} is a missing-value marker (\`missing\`), not a category`);
          continue;
        }
        const l = (typeof label === 'string' || typeof label === 'number') && !isMissingLabel(label, params.missing as string[]) ? label : null;
        const annText = typeof row[textCol] === 'string' ? (row[textCol] as string) : null;
        const itemText = extra.items ? itemRows.get(String(item))![textCol] : undefined;
        if (spans?.length && annText !== null && typeof itemText === 'string' && itemText !== annText) {
          const at = [...annText].findIndex((ch, x) => ch !== [...itemText][x]);
          await out.drop(row, 'text differs from item', `annotation ${id}: its spans point into a text that differs from item ${JSON.stringify(String(item))}'s \`${textCol}\` at code point ${at < 0 ? Math.min([...annText].length, [...itemText].length) : at}${annText.normalize('NFC') === itemText.normalize('NFC') ? ' (the same text in another Unicode normalization: normalize before exporting tasks, not after)' : ''}`);
          continue;
        }
        if (l === null && spans === null) {
          await out.drop(row, 'no label', `annotation ${id} of item ${String(item)} has no label${spansCol ? ' or spans' : ''}`);
          continue;
        }
        const undeclared = allowed ? [...(l !== null ? [l] : []), ...(spans ?? []).map((s) => s.label)].find((x) => !allowed.has(labelKey(x))) : undefined;
        if (undeclared !== undefined) {
          await out.drop(row, 'label not declared', `${JSON.stringify(undeclared)} (annotation ${id}) is not one of: ${[...allowed!].join(', ')}`);
          continue;
        }
        let a = annIdx.get(String(who));
        if (a === undefined) {
          annIdx.set(String(who), (a = annNames.length));
          annNames.push(String(who));
        }
        if (l !== null) labelVals.set(labelKey(l), l);
        const g = goldCol ? row[goldCol] : null;
        anns.push({ item: String(item), ann: a, label: l, spans, text: annText, gold: (typeof g === 'string' && g !== '') || typeof g === 'number' ? g : null, id });
      }
      const labels: Label[] = declared ? [...declared] : sortLabels([...labelVals.values()]);
      if (goldCol) for (const x of anns) if (x.gold !== null && !labels.some((l) => labelKey(l) === labelKey(x.gold))) labels.push(x.gold);
      const lIdx = new Map(labels.map((l, i) => [labelKey(l), i]));
      const k = labels.length;
      const order = params.order as Label[] | undefined;
      let ordered = false;
      const numeric = k > 0 && labels.every((l) => typeof l === 'number' || (l !== '' && Number.isFinite(Number(l))));
      // say why a metric is not computed, never leave it out silently
      const numberLike = labels.filter((l) => typeof l === 'number' || (l !== '' && Number.isFinite(Number(l))));
      if (!numeric && numberLike.length && !order) {
        const others = labels.filter((l) => !numberLike.includes(l));
        out.note(`ordinal, interval and ratio α left out: ${numberLike.length} label${numberLike.length === 1 ? ' is a number' : 's are numbers'} but ${others.slice(0, 5).map(show).join(', ')}${others.length > 5 ? ', …' : ''} ${others.length === 1 ? 'is' : 'are'} not (add them to \`missing\` if they mean "no answer", or give \`order\`)`);
      }
      if (order) {
        const ok = labels.every((l) => order.some((o) => labelKey(o) === labelKey(l)));
        if (ok) {
          labels.sort((x, y) => order.findIndex((o) => labelKey(o) === labelKey(x)) - order.findIndex((o) => labelKey(o) === labelKey(y)));
          labels.forEach((l, i) => lIdx.set(labelKey(l), i));
          ordered = true;
        } else out.note(`⚠ order: ${labels.filter((l) => !order.some((o) => labelKey(o) === labelKey(l))).map(show).join(', ')} not in \`order\`; ordinal metrics left out`);
      }

      // 2. group by item (first-seen order, or the items' order when joining)
      const byItem = new Map<string, ItemAnnotations>();
      for (const x of anns) {
        let it = byItem.get(x.item);
        if (!it) byItem.set(x.item, (it = { item: x.item, text: x.text, votes: [], spans: new Map(), gold: -1, rows: new Map() }));
        it.text ??= x.text;
        if (x.label !== null) it.votes.push([x.ann, lIdx.get(labelKey(x.label))!]);
        if (x.spans) it.spans.set(x.ann, [...(it.spans.get(x.ann) ?? []), ...x.spans]);
        if (x.gold !== null) it.gold = lIdx.get(labelKey(x.gold))!;
        if (!it.rows.has(x.ann)) it.rows.set(x.ann, x.id);
      }
      const items = [...byItem.values()];

      // 3. aggregate
      let weights: number[] | undefined;
      const weightNote: string[] = [];
      if (method === 'weighted') {
        weights = annNames.map((name, w) => {
          let n = 0;
          let ok = 0;
          for (const it of items) if (it.gold >= 0) for (const [x, l] of it.votes) if (x === w) (n++, l === it.gold && ok++);
          if (!n) return weightNote.push(`${name} 1 (no gold)`), 1;
          const wt = logOddsWeight(ok / n, k);
          weightNote.push(`${name} ${num(wt)} (${ok}/${n} gold)`);
          return wt;
        });
      }
      const ds = method === 'dawid_skene' && k ? dawidSkene(items.map((it) => it.votes), annNames.length, k, { maxIter: params.max_iter as number, tol: params.tol as number, smoothing: params.smoothing as number }) : undefined;
      const final: number[] = [];
      const decisions: { label: number; conf: number | null; how: string; agreement: number; spans?: AnnSpan[]; why: string[] }[] = [];
      const minAgree = params.min_agreement as number | undefined;
      const minConf = params.min_confidence as number | undefined;
      const minAnn = params.min_annotators as number;
      items.forEach((it, i) => {
        const why: string[] = [];
        let label = -1;
        let conf: number | null = null;
        let how: string = method;
        let agreement = 1;
        if (it.votes.length) {
          const d: Decision = ds ? { label: ds.labels[i], probs: ds.probs[i] } : plurality(it.votes, k, weights ? { weights, softmax: true } : {});
          const c = new Array<number>(k).fill(0);
          for (const [, l] of it.votes) c[l]++;
          agreement = Math.max(...c) / it.votes.length;
          if (d.label < 0) {
            how = 'tie';
            why.push(`tie between ${d.tie!.map((t) => show(labels[t])).join(' and ')}`);
          } else {
            label = d.label;
            conf = d.probs[label];
          }
        }
        let kept: AnnSpan[] | undefined;
        if (it.spans.size) {
          const sc = spanConsensus(it.spans);
          kept = sc.kept;
          agreement = it.votes.length ? Math.min(agreement, sc.agreement) : sc.agreement;
        }
        const nAnn = new Set([...it.votes.map(([a]) => a), ...it.spans.keys()]).size;
        if (nAnn < minAnn) why.push(`${nAnn} annotator${nAnn === 1 ? '' : 's'} < ${minAnn}`);
        if (minAgree !== undefined && agreement < minAgree - 1e-12) why.push(`agreement ${num(agreement, 2)} < ${num(minAgree, 2)}`);
        if (minConf !== undefined && conf !== null && conf < minConf - 1e-12) why.push(`confidence ${num(conf, 2)} < ${num(minConf, 2)}`);
        final.push(why.length ? -1 : label);
        decisions.push({ label, conf, how, agreement, spans: kept, why });
      });

      // 4. emit, and the review queue
      const review: Task[] = [];
      const whyCount = new Map<string, number>();
      const finalCounts = new Map<string, number>();
      const consensusRow = (it: ItemAnnotations, d: (typeof decisions)[number]): Row => {
        const votes: Record<string, unknown> = {};
        for (const [a, l] of it.votes) votes[annNames[a]] = labels[l];
        const row: Row = {
          [column]: d.label >= 0 ? labels[d.label] : null,
          [`${column}_confidence`]: d.conf === null ? null : round6(d.conf),
          [`${column}_method`]: d.how,
          [`${column}_votes`]: votes,
          annotators: new Set([...it.votes.map(([a]) => a), ...it.spans.keys()]).size,
          agreement: round6(d.agreement),
        };
        if (spansCol) row.spans = it.spans.size ? (d.spans ?? []) : null;
        return row;
      };
      const emitItem = async (it: ItemAnnotations, d: (typeof decisions)[number]) => {
        const base: Row = extra.items ? { ...itemRows.get(it.item)! } : { id: it.item, item: it.item, ...(ctx.schema.columns.some((c) => c.name === 'text') ? { text: it.text } : {}) };
        const row = { ...base, ...consensusRow(it, d) };
        if (d.why.length) {
          for (const w of d.why) {
            const key = w.replace(/ [\d.]+ < [\d.]+$/, ' below threshold').replace(/^tie between .*/, 'tie').replace(/^\d+ annotators? < \d+$/, 'too few annotators');
            whyCount.set(key, (whyCount.get(key) ?? 0) + 1);
          }
          const text = it.text ?? (typeof base[textCol] === 'string' ? (base[textCol] as string) : '');
          review.push({
            id: it.item,
            text,
            label: d.label >= 0 ? labels[d.label] : null,
            confidence: d.conf,
            spans: d.spans,
            votes: row[`${column}_votes`] as Record<string, unknown>,
            spanVotes: it.spans.size ? Object.fromEntries([...it.spans].map(([a, s]) => [annNames[a], s])) : undefined,
          });
          await out.drop(row, 'review', d.why.join('; '));
          return;
        }
        const shown = d.label >= 0 ? labelKey(labels[d.label]) : '(no label)';
        finalCounts.set(shown, (finalCounts.get(shown) ?? 0) + 1);
        await out.emit(row);
      };
      const decisionOf = new Map(items.map((it, i) => [it.item, i]));
      let unannotated = 0;
      if (extra.items) {
        for (const [key, r] of itemRows) {
          const i = decisionOf.get(key);
          if (i === undefined) {
            unannotated++;
            const row: Row = { ...r, [column]: null, [`${column}_confidence`]: null, [`${column}_method`]: 'unannotated', [`${column}_votes`]: {}, annotators: 0, agreement: null };
            if (spansCol) row.spans = null;
            await out.emit(row);
          } else await emitItem(items[i], decisions[i]);
        }
      } else for (const [i, it] of items.entries()) await emitItem(it, decisions[i]);

      let reviewFile: string | undefined;
      if (params.review !== undefined) {
        const fmt = params.review_format as ExportFormat;
        const p = params.review as string;
        const dest = /[\\/]$/.test(p) ? join(resolve(ctx.baseDir, p), `${ctx.cell.replace(/[^A-Za-z0-9_.-]/g, '_')}_review${EXPORT_EXTENSION[fmt]}`) : resolve(ctx.baseDir, p);
        const w = taskWriter(fmt);
        await writeAtomic(dest, async (sink) => {
          await sink.write(w.head);
          for (const [i, t] of review.entries()) await sink.write(w.item(t, i));
          await sink.write(w.tail(review.length));
        });
        reviewFile = p;
        await out.wrote?.(dest);
      }

      // 5. notes
      out.note(`${int(anns.length)} annotations by ${annNames.length} annotator${annNames.length === 1 ? '' : 's'} on ${int(items.length)} items → ${int(items.length - review.length)} labeled by ${method}${review.length ? `, ${int(review.length)} to review` : ''}${unannotated ? ` · ${int(unannotated)} items without annotations kept unlabeled` : ''}`);
      if (finalCounts.size) out.note(`labels: ${[...finalCounts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([l, n]) => `${l} ${int(n)}`).join(' · ')}`);
      if (review.length) out.note(`review: ${int(review.length)} items${reviewFile ? ` → ${reviewFile} (${params.review_format as string})` : ' (dropped with reason "review"; set `review:` to write them for adjudication)'} — ${[...whyCount].map(([w, n]) => `${w} ${int(n)}`).join(' · ')}`);
      if (weights) out.note(`weights: ${weightNote.join(' · ')}`);
      if (ds) {
        out.note(`dawid_skene ${ds.converged ? `converged in ${ds.iterations} rounds` : `stopped after ${ds.iterations} rounds (not converged)`} · priors ${labels.map((l, j) => `${show(l)} ${num(ds.priors[j])}`).join(' · ')}`);
        const mv = items.map((it) => plurality(it.votes, k).label);
        const differ = items.filter((_, i) => mv[i] >= 0 && ds.labels[i] >= 0 && mv[i] !== ds.labels[i]).length;
        out.note(`dawid_skene vs majority vote: differ on ${int(differ)} items · estimated annotator accuracy ${annNames.map((n, w) => `${n} ${num(ds.priors.reduce((s, p, j) => s + p * ds.errors[w][j][j], 0))}`).join(' · ')}`);
      }
      const agreement: Record<string, MetricValue> = {};
      for (const l of agreementNotes({ items, labels, annotators: annNames, final, ordered, numeric }, agreement)) out.note(l);
      out.metric?.('agreement', agreement);
      out.metric?.('items', items.length);
      out.metric?.('annotations', anns.length);
      out.metric?.('to_review', review.length);
      if (finalCounts.size) out.metric?.('labels', Object.fromEntries(finalCounts));
    },
  },
});
