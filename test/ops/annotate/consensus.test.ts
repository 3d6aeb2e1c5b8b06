/** `annotations` → `consensus` in recipes: published agreement vectors in the notes, Dawid–Skene, QA gates, review files. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';

type Triple = [item: string, annotator: string, label: string | number];
const csv = (rows: Triple[]) => 'item,annotator,label\n' + rows.map((r) => r.join(',')).join('\n') + '\n';

function project(files: Record<string, string>, body: string): string {
  return join(tempProject({ ...files, 'r.ftr': `recipe qa\n${body}\n` }), 'r.ftr');
}
async function notesOf(triples: Triple[], args = '') {
  const file = project({ 'ann.csv': csv(triples) }, `source anns = annotations "ann.csv"\ncell c = anns | consensus ${args}\nexport c | write "out/" shuffle: false`);
  const r = await runJson(file);
  expect(r.code).toBe(0);
  return { notes: r.cells.get('c')!.notes!, rows: readJsonl(join(file, '..', 'out', 'c.jsonl')), cells: r.cells, file };
}

describe('agreement metrics in the notes (published worked examples)', () => {
  it("Cohen's κ, Wikipedia: 50 proposals [[20,5],[10,15]] → 0.400", async () => {
    const t: Triple[] = [];
    const cells: [string, string, number][] = [['yes', 'yes', 20], ['yes', 'no', 5], ['no', 'yes', 10], ['no', 'no', 15]];
    let i = 0;
    for (const [a, b, n] of cells) for (let k = 0; k < n; k++, i++) t.push([`p${i}`, 'A', a], [`p${i}`, 'B', b]);
    const { notes } = await notesOf(t);
    expect(notes.some((l) => /^A × B\s+50\s+70\.0%\s+0\.400$/.test(l))).toBe(true);
  });

  it("weighted Cohen's κ, SAS example (statsmodels table10): 0.484, linear 0.470, quadratic 0.450", async () => {
    const table = [[0, 4, 1], [0, 8, 0], [0, 1, 5]];
    const t: Triple[] = [];
    let i = 0;
    table.forEach((row, a) => row.forEach((n, b) => {
      for (let k = 0; k < n; k++, i++) t.push([`s${i}`, 'r1', a + 1], [`s${i}`, 'r2', b + 1]);
    }));
    const { notes } = await notesOf(t);
    expect(notes.some((l) => /^r1 × r2\s+19\s+68\.4%\s+0\.484\s+0\.470\s+0\.450$/.test(l))).toBe(true);
  });

  it("Fleiss' κ, Wikipedia worked example (10 items × 14 raters) → 0.210", async () => {
    const counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]];
    const t: Triple[] = [];
    counts.forEach((row, i) => {
      let r = 0;
      row.forEach((n, c) => {
        for (let k = 0; k < n; k++) t.push([`i${i}`, `rater${r++}`, `c${c + 1}`]);
      });
    });
    const { notes } = await notesOf(t);
    expect(notes[notes.findIndex((l) => l.startsWith('agreement on'))]).toBe('agreement on 10 items (10 with ≥ 2 labels): observed 37.8% · Fleiss κ 0.210 (fair; 10 items × 14 ratings)');
  });

  it("Krippendorff's α, canonical 4 coders × 12 units with missing values: nominal .743, ordinal .815, interval .849, ratio .797", async () => {
    const u = null;
    const coders = [
      [1, 2, 3, 3, 2, 1, 4, 1, 2, u, u, u],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, u, 3],
      [u, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, u],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, u],
    ];
    const t: Triple[] = [];
    coders.forEach((vals, c) => vals.forEach((v, j) => v !== null && t.push([`u${j + 1}`, `c${c + 1}`, v])));
    const { notes } = await notesOf(t);
    expect(notes).toContain('Krippendorff α: nominal 0.743 (tentative) · ordinal 0.815 (reliable) · interval 0.849 (reliable) · ratio 0.797 (tentative) · 40 pairable values');
  });

  it('string labels with an explicit order get an ordinal α', async () => {
    const t: Triple[] = [['1', 'a', 'low'], ['1', 'b', 'low'], ['2', 'a', 'mid'], ['2', 'b', 'high'], ['3', 'a', 'high'], ['3', 'b', 'high'], ['4', 'a', 'low'], ['4', 'b', 'mid']];
    const { notes } = await notesOf(t, 'order: [low, mid, high]');
    expect(notes.some((l) => /^Krippendorff α: nominal [\d.]+ \(\w+\) · ordinal [\d.]+/.test(l))).toBe(true);
  });
});

describe('consensus: aggregation', () => {
  // crowd-kit test_dawid_skene_step_by_step
  const DS: Triple[] = [
    ['t1', 'w1', 'no'], ['t1', 'w2', 'yes'], ['t1', 'w4', 'yes'], ['t1', 'w5', 'no'],
    ['t2', 'w1', 'yes'], ['t2', 'w2', 'yes'], ['t2', 'w3', 'yes'], ['t2', 'w4', 'no'], ['t2', 'w5', 'no'],
    ['t3', 'w1', 'yes'], ['t3', 'w2', 'no'], ['t3', 'w3', 'no'], ['t3', 'w4', 'yes'], ['t3', 'w5', 'no'],
    ['t4', 'w1', 'yes'], ['t4', 'w2', 'yes'], ['t4', 'w3', 'yes'], ['t4', 'w4', 'yes'], ['t4', 'w5', 'yes'],
    ['t5', 'w1', 'yes'], ['t5', 'w2', 'no'], ['t5', 'w3', 'no'], ['t5', 'w4', 'no'], ['t5', 'w5', 'no'],
  ];
  it('dawid_skene: crowd-kit step by step (n_iter 0 and 1)', async () => {
    let r = await notesOf(DS, 'method: dawid_skene max_iter: 0');
    expect(r.rows.map((x) => x.label)).toEqual(['no', 'yes', 'no', 'yes', 'no']);
    expect(r.rows.map((x) => x.label_confidence)).toEqual([0.5, 0.6, 0.6, 1, 0.8]);
    expect(r.notes.some((l) => l.startsWith('dawid_skene stopped after 0 rounds (not converged) · priors no 0.460 · yes 0.540'))).toBe(true);
    r = await notesOf(DS, 'method: dawid_skene max_iter: 1');
    expect(r.rows.map((x) => x.label)).toEqual(['yes', 'yes', 'no', 'yes', 'no']);
    [0.65, 0.74, 0.87, 1, 0.95].forEach((p, i) => expect(Math.abs((r.rows[i].label_confidence as number) - p)).toBeLessThan(0.01));
    const pri = /priors no ([\d.]+) · yes ([\d.]+)$/.exec(r.notes.find((l) => l.startsWith('dawid_skene stopped after 1 rounds'))!)!;
    expect(Math.abs(Number(pri[1]) - 0.49)).toBeLessThan(0.006);
    expect(Math.abs(Number(pri[2]) - 0.51)).toBeLessThan(0.006);
  });
  it('majority: ties go nowhere silently — to review; votes and agreement per item', async () => {
    const { rows, cells } = await notesOf(DS.filter(([i]) => i !== 't4'));
    expect(rows.map((x) => [x.item, x.label, x.agreement])).toEqual([['t2', 'yes', 0.6], ['t3', 'no', 0.6], ['t5', 'no', 0.8]]);
    expect(rows[0].label_votes).toEqual({ w1: 'yes', w2: 'yes', w3: 'yes', w4: 'no', w5: 'no' });
    expect(cells.get('c')!.dropped).toEqual({ review: 1 });
  });
  it('weighted needs gold; annotator weights come from gold items', async () => {
    const t = ['g1', 'g2', 'g3', 'x'].flatMap((item): Triple[] => [[item, 'good', item === 'x' ? 'A' : 'A'], [item, 'bad1', 'B'], [item, 'bad2', 'B']]);
    const lines = 'item,annotator,label,gold\n' + t.map(([i, a, l]) => `${i},${a},${l},${i === 'x' ? '' : 'A'}`).join('\n') + '\n';
    const file = project({ 'ann.csv': lines }, 'source anns = csv "ann.csv"\ncell c = anns | consensus method: weighted gold: gold\nexport c | write "out/" shuffle: false');
    const r = await runJson(file);
    expect(r.code).toBe(0);
    const rows = readJsonl(join(file, '..', 'out', 'c.jsonl'));
    expect(rows.find((x) => x.item === 'x')!.label).toBe('A');
    expect(r.cells.get('c')!.notes).toContain('weights: good 4.595 (3/3 gold) · bad1 -4.595 (0/3 gold) · bad2 -4.595 (0/3 gold)');
    const bad = await ftr('check', project({ 'ann.csv': lines }, 'source anns = csv "ann.csv"\ncell c = anns | consensus method: weighted'));
    expect(bad.code).toBe(1);
    expect(bad.out + bad.err).toContain('`weighted` takes annotator weights from their accuracy on gold items');
  });
});

describe('consensus: QA gates, joins and bad input', () => {
  const ITEMS = ['t1', 't2', 't3', 't4', 't5'].map((id, i) => JSON.stringify({ id, text: `ticket ${i + 1}` })).join('\n') + '\n';
  const ANN: Triple[] = [
    ['t1', 'ana', 'billing'], ['t1', 'bo', 'billing'], ['t1', 'cy', 'billing'],
    ['t2', 'ana', 'billing'], ['t2', 'bo', 'account'], ['t2', 'cy', 'account'],
    ['t3', 'ana', 'billing'], ['t3', 'bo', 'account'],
    ['t4', 'ana', 'account'],
    ['t9', 'bo', 'billing'],
    ['t1', 'dee', 'biling'],
  ];
  it('items below min_agreement go to a Label Studio review file, not the output, counted with why', async () => {
    const file = project({ 'items.jsonl': ITEMS, 'ann.csv': csv(ANN) }, `source tickets = jsonl "items.jsonl"
source anns = annotations "ann.csv" labels: [billing, account]
cell gold = anns | consensus items: tickets min_agreement: 70% min_annotators: 2 review: "review/queue.json"
export gold | write "out/" shuffle: false`);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    expect(cells.get('anns')!.dropped).toEqual({ 'label not declared': 1 });
    const c = cells.get('gold')!;
    expect(c.dropped).toEqual({ review: 3, 'unknown item': 1 });
    const rows = readJsonl(join(file, '..', 'out', 'gold.jsonl'));
    expect(rows.map((r) => [r.id, r.label, r.label_method])).toEqual([['t1', 'billing', 'majority'], ['t5', null, 'unannotated']]);
    expect(rows[0].text).toBe('ticket 1');
    expect(c.notes).toContain('review: 3 items → review/queue.json (label_studio) — agreement below threshold 2 · tie 1 · too few annotators 1');
    const queue = JSON.parse(readFileSync(join(file, '..', 'review', 'queue.json'), 'utf8')) as { data: { id: string; text: string }; predictions: { model_version: string; result: { value: { choices: string[] } }[] }[] }[];
    expect(queue.map((t) => t.data)).toEqual([{ id: 't2', text: 'ticket 2' }, { id: 't3', text: 'ticket 3' }, { id: 't4', text: 'ticket 4' }]);
    // the majority label as the ftr pre-annotation, then one per annotator
    expect(queue[0].predictions.map((p) => [p.model_version, p.result[0].value.choices[0]])).toEqual([['ftr', 'account'], ['annotator:ana', 'billing'], ['annotator:bo', 'account'], ['annotator:cy', 'account']]);
    // rejects name the annotation's file:line
    const rej = (await ftr('rejects', file, 'gold', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rej.find((r) => r.reason === 'unknown item')).toMatchObject({ id: 'ann.csv:11', detail: 'item "t9" (annotation ann.csv:11) is not in `tickets` (by id)' });
    expect(rej.filter((r) => r.reason === 'review').map((r) => r.detail)).toEqual(['agreement 0.67 < 0.70', 'tie between account and billing; agreement 0.50 < 0.70', '1 annotator < 2']);
    const anns = (await ftr('rejects', file, 'anns', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(anns).toEqual([expect.objectContaining({ reason: 'label not declared', location: 'ann.csv:12', detail: '"biling" is not one of: billing, account' })]);
  });

  it('review files in every tool format read back with `annotations`', async () => {
    // prodigy and doccano carry the majority label (t3, a tie, has none: rejected on import, with why);
    // argilla carries each annotator's answer as a response
    const expected: Record<string, string[]> = { prodigy: ['t2 q account'], doccano: ['t2 q account'], argilla: ['t2 ana billing', 't2 bo account', 't2 cy account', 't3 ana billing', 't3 bo account'] };
    for (const [fmt, ext] of [['prodigy', 'jsonl'], ['doccano', 'jsonl'], ['argilla', 'json'], ['csv', 'csv']] as const) {
      const file = project({ 'ann.csv': csv(ANN.slice(0, 8)) }, `source anns = annotations "ann.csv"\ncell gold = anns | consensus min_agreement: 70% review: "review/" review_format: ${fmt}\nexport gold | write "out/" shuffle: false`);
      expect((await runJson(file)).code).toBe(0);
      const text = readFileSync(join(file, '..', 'review', `gold_review.${ext}`), 'utf8');
      if (fmt === 'csv') {
        expect(text.split('\n')[0]).toBe('item,text,label,confidence,spans,votes');
        expect(text).toContain('t3,,,,,"{""ana"":""billing"",""bo"":""account""}"');
        continue;
      }
      const back = project({ [`q.${ext}`]: text }, `source q = annotations "q.${ext}"${fmt === 'argilla' ? ' question: "label"' : ''}\nexport q | write "out/" shuffle: false`);
      const r = await runJson(back);
      expect(r.code).toBe(0);
      const rows = readJsonl(join(back, '..', 'out', 'q.jsonl'));
      expect(rows.map((x) => `${x.item} ${x.annotator} ${x.label}`)).toEqual(expected[fmt]);
      // argilla: the majority label of t2 is a suggestion, not imported unless `predictions: true`
      expect(r.cells.get('q')!.dropped).toEqual({ [fmt === 'argilla' ? 'suggestion not imported' : fmt === 'prodigy' ? 'no label in annotation' : 'not annotated']: 1 });
    }
  });

  it('span annotations: consensus spans by majority, span F1 (the notes\' vector: 0.4) and per-label F1', async () => {
    const text = 'Apple sued Samsung Jones today at Paris';
    const doc = (spans: [number, number, string][]) => JSON.stringify({ id: 'd1', text, label: spans }) + '\n';
    const file = project(
      {
        'ann/a.jsonl': doc([[0, 5, 'ORG'], [10, 15, 'PER']]),
        'ann/b.jsonl': doc([[0, 5, 'ORG'], [10, 16, 'PER'], [20, 25, 'LOC']]),
      },
      'source anns = annotations "ann/*.jsonl"\ncell c = anns | consensus\nexport c | write "out/" shuffle: false',
    );
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const notes = cells.get('c')!.notes!;
    expect(notes).toContain('span agreement (exact start, end and label) on 1 items: F1 0.400 (1 matches of 2 + 3 spans, pairwise)');
    expect(notes.some((l) => /^ORG\s+1\s+2\s+1\.000$/.test(l))).toBe(true);
    expect(notes.some((l) => /^PER\s+0\s+2\s+0\.000$/.test(l))).toBe(true);
    const [row] = readJsonl(join(file, '..', 'out', 'c.jsonl'));
    expect(row.spans).toEqual([{ start: 0, end: 5, label: 'ORG', text: 'Apple' }]);
    expect(row.agreement).toBe(0.4);
    expect(row.annotators).toBe(2);
  });

  it('span annotations of a text that differs from the item (normalized after export) are dropped with where and why', async () => {
    const nfc = 'Café Müller opened';
    const items = JSON.stringify({ id: 'd1', text: nfc.normalize('NFD') }) + '\n';
    const ann = JSON.stringify({ id: 'd1', text: nfc, label: [[0, 11, 'ORG']] }) + '\n';
    const file = project({ 'items.jsonl': items, 'ann/ana.jsonl': ann }, 'source docs = jsonl "items.jsonl"\nsource anns = annotations "ann/*.jsonl"\ncell c = anns | consensus items: docs\nexport c | write "out/" shuffle: false');
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    expect(cells.get('c')!.dropped).toEqual({ 'text differs from item': 1 });
    const rej = (await ftr('rejects', file, 'c', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rej[0].detail).toBe('annotation ann/ana.jsonl:1: its spans point into a text that differs from item "d1"\'s `text` at code point 3 (the same text in another Unicode normalization: normalize before exporting tasks, not after)');
    expect(readJsonl(join(file, '..', 'out', 'c.jsonl'))[0]).toMatchObject({ id: 'd1', label_method: 'unannotated' });
  });

  it('flags annotators with a single rating, naming where it came from', async () => {
    const { notes } = await notesOf([['a', 'x', 'p'], ['a', 'y', 'p'], ['b', 'x', 'q'], ['b', 'y', 'q'], ['b', 'z', 'q']]);
    expect(notes).toContain('⚠ annotator with a single rating, too few for per-annotator agreement: z (ann.csv:6)');
  });
});

describe('missing labels and metrics that cannot be computed', () => {
  const coders = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
    [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
  ];
  const ALPHA = 'Krippendorff α: nominal 0.743 (tentative) · ordinal 0.815 (reliable) · interval 0.849 (reliable) · ratio 0.797 (tentative) · 40 pairable values';

  it('NA / N/A / null votes are missing by default: interval α stays as without them', async () => {
    const t: Triple[] = [];
    coders.forEach((vals, c) => vals.forEach((v, j) => t.push([`u${j + 1}`, `c${c + 1}`, v === null ? ['NA', 'N/A', 'null'][j % 3] : v])));
    // the annotations source keeps the markers (`missing: []`), so consensus sees them
    const file = project({ 'ann.csv': csv(t) }, 'source anns = annotations "ann.csv" missing: []\ncell c = anns | consensus\nexport c | write "out/" shuffle: false');
    const r = await runJson(file);
    expect(r.code).toBe(0);
    expect(r.cells.get('c')!.notes).toContain(ALPHA);
    expect(r.cells.get('c')!.dropped).toEqual({ 'missing label': 7, review: 1 });
    expect((r.cells.get('c')!.metrics as any).consensus.agreement.krippendorff_alpha.interval).toBeCloseTo(0.849, 3);
  });

  it('a non-number label among numbers: the notes say why ordinal/interval/ratio α are left out', async () => {
    const t: Triple[] = [];
    coders.forEach((vals, c) => vals.forEach((v, j) => t.push([`u${j + 1}`, `c${c + 1}`, v === null ? 'unsure' : v])));
    const { notes } = await notesOf(t);
    expect(notes.some((l) => l.startsWith('Krippendorff α: nominal') && !l.includes('interval'))).toBe(true);
    expect(notes).toContain('ordinal, interval and ratio α left out: 5 labels are numbers but unsure is not (add them to `missing` if they mean "no answer", or give `order`)');
  });
});
