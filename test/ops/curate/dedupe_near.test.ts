import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dedupe_near, lshOf } from '../../../src/ops/curate/dedupe_near.js';
import { detectionProbability, jaccard, shingles } from '../../../src/ops/curate/minhash.js';
import type { Row } from '../../../src/ops/types.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { edit, makeDocs, makeVocab, runGlobal } from './helpers.js';

const vocab = makeVocab(3000);
const base = makeDocs(40, 100, vocab);
const J = (a: string[], b: string[]) => jaccard(shingles(a.join(' '), 'word', 5), shingles(b.join(' '), 'word', 5));

/**
 * T0..T39: unrelated 100-word docs (Jaccard ≈ 0 between them).
 * D0..D9: T0..T9 with one word replaced (Jaccard 0.90).
 * E10..E14: T10..T14 re-cased with punctuation (identical after folding).
 * F20..F24: T20..T24 with 5 evenly spaced words replaced (Jaccard 0.59: not near-duplicates at 0.8).
 */
function dataset(): Row[] {
  const rows: Row[] = base.map((w, i) => ({ id: `T${i}`, text: w.join(' '), score: i % 7 }));
  for (let i = 0; i < 10; i++) rows.push({ id: `D${i}`, text: edit(base[i], [50]).join(' '), score: 10 });
  for (let i = 10; i < 15; i++) rows.push({ id: `E${i}`, text: base[i].map((w, k) => (k % 10 === 0 ? `${w.toUpperCase()},` : w)).join(' ') + '!', score: 0 });
  for (let i = 20; i < 25; i++) rows.push({ id: `F${i}`, text: edit(base[i], [10, 30, 50, 70, 90]).join(' '), score: 0 });
  return rows;
}
const D = Array.from({ length: 10 }, (_, i) => `D${i}`);
const E = [10, 11, 12, 13, 14].map((i) => `E${i}`);
const F = [20, 21, 22, 23, 24].map((i) => `F${i}`);

describe('planted pairs', () => {
  it('have the Jaccard the fixtures say', () => {
    expect(J(base[0], edit(base[0], [50]))).toBeCloseTo(91 / 101, 10);
    expect(J(base[20], edit(base[20], [10, 30, 50, 70, 90]))).toBeCloseTo(71 / 121, 10);
    expect(J(base[0], base[1])).toBe(0);
  });
});

describe('dedupe_near', () => {
  it('solves bands × rows from the threshold, or takes them as given', () => {
    expect(lshOf({ threshold: 0.8, perms: 128 })).toEqual({ bands: 9, rows: 13, solved: true });
    expect(lshOf({ threshold: 0.8, perms: 128, recall_weight: 0.9 })).toEqual({ bands: 14, rows: 9, solved: true });
    expect(lshOf({ threshold: 0.8, perms: 128, bands: 16, rows: 8 })).toEqual({ bands: 16, rows: 8, solved: false });
    // the defaults: a pair at the threshold itself is found with probability ≥ 95%
    expect(lshOf({ threshold: 0.8, perms: 128, recall_weight: 0.9, min_recall: 0.95 })).toEqual({ bands: 13, rows: 7, solved: true });
    for (const t of [0.5, 0.7, 0.8, 0.9]) {
      const { bands, rows } = lshOf({ threshold: t, perms: 128, recall_weight: 0.9, min_recall: 0.95 });
      expect(detectionProbability(t, bands, rows)).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('with the defaults, pairs at exactly the threshold land in one cluster about 95% of the time (not 87%)', async () => {
    // 300 pairs of 10-word texts (n: 1): 8 shared words and one of its own each → Jaccard 8/10 exactly
    const words = makeVocab(300 * 10, 77);
    const rows: Row[] = [];
    for (let p = 0; p < 300; p++) {
      const w = words.slice(p * 10, p * 10 + 10);
      rows.push({ id: `a${p}`, text: [...w.slice(0, 8), w[8]].join(' ') }, { id: `b${p}`, text: [...w.slice(0, 8), w[9]].join(' ') });
    }
    expect(jaccard(shingles(rows[0].text as string, 'word', 1), shingles(rows[1].text as string, 'word', 1))).toBe(0.8);
    const r = await runGlobal(dedupe_near, rows, { n: 1 });
    const found = r.dropped.length / 300;
    expect(found).toBeGreaterThanOrEqual(0.93);
    expect(r.notes).toContain('a pair at Jaccard 0.8 exactly is a candidate with probability 0.953 (bands × rows solved for ≥ 0.95; `min_recall`)');
  });

  it('mode: mark keeps every row and gives near-duplicates their cluster id, so split group: cluster keeps them together', async () => {
    const r = await runGlobal(dedupe_near, dataset(), { mode: 'mark' });
    expect(r.dropped).toEqual([]);
    expect(r.kept).toHaveLength(60);
    const cluster = new Map(r.kept.map((x) => [x.id, x.cluster]));
    for (let i = 0; i < 10; i++) expect(cluster.get(`D${i}`)).toBe(`T${i}`);
    expect(cluster.get('E12')).toBe('T12');
    expect(cluster.get('F20')).toBe('F20');
    expect(r.notes.at(-1)).toBe('15 near-duplicates marked in 60 rows, none dropped (mode mark): 15 clusters (largest 2 rows); `cluster` is the id of each cluster\'s first row');
  });

  it('finds the planted near-duplicates, keeps the unrelated rows, and logs the curve and memory first', async () => {
    const r = await runGlobal(dedupe_near, dataset(), { bands: 16, rows: 8, verify: true });
    expect(r.dropped.map((d) => d.id).sort()).toEqual([...D, ...E].sort());
    expect(r.keptIds).toEqual([...base.map((_, i) => `T${i}`), ...F]);
    expect(r.dropped.every((d) => d.reason === 'near-duplicate')).toBe(true);
    const d0 = r.dropped.find((d) => d.id === 'D0')!;
    expect(d0.detail).toBe('near-duplicate of T0 (jaccard 0.90 exact ≥ 0.8)');
    expect(r.dropped.find((d) => d.id === 'E10')!.detail).toBe('near-duplicate of T10 (jaccard 1.00 exact ≥ 0.8)');
    expect(r.logs[0]).toBe('LSH 16 bands × 8 rows of 128 MinHash values over word 5-grams (as given; knee ≈ 0.71)');
    expect(r.logs[1]).toBe('P(candidate | jaccard): 0.50 → 0.061 · 0.60 → 0.237 · 0.70 → 0.613 · 0.80 → 0.947 · 0.85 → 0.994 · 0.90 → 1.000 · 0.95 → 1.000');
    expect(r.logs[2]).toBe('a pair at Jaccard 0.8 exactly is a candidate with probability 0.947 ⚠ below 0.95: more bands of fewer rows would find more');
    expect(r.logs[3]).toMatch(/^index memory ≈ [\d.]+ KB for 60 rows \(band keys 7\.5 KB, buckets 1\.5 KB, union-find 480 B, per-row maps 960 B\) \+ ~1000 B per candidate row \(its shingle set, for verify\)$/);
    expect(r.notes.slice(0, 4)).toEqual(r.logs);
    expect(r.notes.at(-1)).toBe('15 near-duplicates dropped from 60 rows: 15 clusters (largest 2 rows), keep first');
  });

  it('adds a cluster column: the kept row\'s id, own id for singletons', async () => {
    const r = await runGlobal(dedupe_near, dataset(), { bands: 16, rows: 8, verify: true });
    for (const row of r.kept) expect(row.cluster).toBe(row.id);
    for (const d of r.dropped) expect(d.row.cluster).toBe(`T${(d.id as string).slice(1)}`);
  });

  it('without verify, loose LSH takes false candidates; verify removes them by exact Jaccard', async () => {
    const loose = await runGlobal(dedupe_near, dataset(), { bands: 32, rows: 4, verify: false });
    const droppedLoose = loose.dropped.map((d) => d.id);
    expect(droppedLoose).toEqual(expect.arrayContaining([...D, ...E]));
    const fDropped = droppedLoose.filter((id) => F.includes(id as string));
    expect(fDropped.length).toBeGreaterThanOrEqual(3); // P(candidate | 0.59) = 0.98 for 32×4
    expect(loose.dropped.find((d) => d.id === fDropped[0])!.detail).toMatch(/^near-duplicate of T2\d \(jaccard 0\.\d\d estimated; LSH 32×4, threshold 0\.8\)$/);

    const verified = await runGlobal(dedupe_near, dataset(), { bands: 32, rows: 4, verify: true });
    expect(verified.dropped.map((d) => d.id).sort()).toEqual([...D, ...E].sort());
    const line = verified.notes.find((n) => n.startsWith('verify:'))!;
    const [, checked, passed, removed] = /^verify: (\d+) candidate pairs checked, (\d+) with exact Jaccard ≥ 0\.8, (\d+) false positives removed$/.exec(line)!.map(Number);
    expect(passed).toBe(15);
    expect(removed).toBeGreaterThanOrEqual(fDropped.length);
    expect(checked).toBe(passed + removed);
  });

  it('keep policies pick the cluster\'s surviving row', async () => {
    const last = await runGlobal(dedupe_near, dataset(), { bands: 16, rows: 8, keep: 'last', verify: false });
    expect(last.dropped.map((d) => d.id)).toEqual(expect.arrayContaining(['T0', 'T9', 'T10']));
    expect(last.dropped.find((d) => d.id === 'T0')!.row.cluster).toBe('D0');
    expect(last.dropped.find((d) => d.id === 'T0')!.detail).toMatch(/^near-duplicate of D0 \(jaccard 0\.(8\d|9\d) estimated; LSH 16×8, threshold 0\.8\)$/);
    const highest = await runGlobal(dedupe_near, dataset(), { bands: 16, rows: 8, keep: 'highest', score: 'score', verify: false });
    expect(highest.keptIds).toEqual(expect.arrayContaining(D)); // D rows score 10
    expect(highest.keptIds).toContain('T10'); // E rows score 0, T10 scores 3
    const longest = await runGlobal(dedupe_near, dataset(), { bands: 16, rows: 8, keep: 'longest', verify: false });
    expect(longest.keptIds).toEqual(expect.arrayContaining(E)); // the punctuated copies are longer
  });

  it('reports chained members with the link that put them in the cluster', async () => {
    const a = base[30];
    const b = edit(a, [30]);
    const c = edit(b, [70], 'yyyedit');
    expect(J(a, b)).toBeCloseTo(0.9, 1);
    expect(J(a, c)).toBeLessThan(0.85);
    const rows = [{ id: 'A', text: a.join(' ') }, { id: 'B', text: b.join(' ') }, { id: 'C', text: c.join(' ') }];
    const r = await runGlobal(dedupe_near, rows, { bands: 16, rows: 8, verify: true, threshold: 0.85 });
    expect(r.keptIds).toEqual(['A']);
    expect(r.dropped.find((d) => d.id === 'C')!.detail).toBe('near-duplicate of A (jaccard 0.81 exact to it; linked through B, jaccard 0.90 ≥ 0.85)');
  });

  it('short texts are one shingle: short duplicates still collide, other short texts do not', async () => {
    const rows = [
      { id: 's1', text: 'OK, thanks!' },
      { id: 's2', text: 'ok thanks' },
      { id: 's3', text: 'thanks' },
      { id: 's4', text: '' },
      { id: 's5', text: null },
    ];
    const r = await runGlobal(dedupe_near, rows, { verify: false, recall_weight: 0.5 });
    // an empty text and a missing one have no words: they are not compared (not near-duplicates of each other)
    expect(r.keptIds).toEqual(['s1', 's3', 's4', 's5']);
    expect(r.dropped.map((d) => d.detail)).toEqual(['near-duplicate of s1 (jaccard 1.00 estimated; LSH 13×7, threshold 0.8)']);
    expect(r.kept.find((x) => x.id === 's5')!.cluster).toBe('s5');
  });

  it('is reproducible for a seed, and char shingles work too', async () => {
    const a = await runGlobal(dedupe_near, dataset(), { bands: 20, rows: 5 }, { seed: 3 });
    const b = await runGlobal(dedupe_near, dataset(), { bands: 20, rows: 5 }, { seed: 3 });
    expect(b.dropped.map((d) => d.detail)).toEqual(a.dropped.map((d) => d.detail));
    const chars = await runGlobal(dedupe_near, dataset(), { shingle: 'char', n: 5, bands: 16, rows: 8, verify: true });
    expect(chars.dropped.map((d) => d.id)).toEqual(expect.arrayContaining([...D, ...E]));
    expect(chars.dropped.map((d) => d.id)).not.toContain('T1');
  });

  it('export_clusters writes one line per cluster of 2+ rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftr-near-'));
    const r = await runGlobal(dedupe_near, dataset(), { bands: 16, rows: 8, verify: true, export_clusters: 'sub/clusters.jsonl' }, { baseDir: dir });
    const lines = readJsonl(join(dir, 'sub', 'clusters.jsonl'));
    expect(lines.length).toBe(15);
    expect(lines[0]).toEqual({ cluster: 'T0', kept: 'T0', members: ['T0', 'D0'] });
    expect(lines.find((l) => l.cluster === 'T12')).toEqual({ cluster: 'T12', kept: 'T12', members: ['T12', 'E12'] });
    expect(r.notes).toContain('wrote sub/clusters.jsonl (15 clusters)');
  });
});

describe('dedupe_near in a recipe', () => {
  const recipe = (call: string) => `recipe near
seed 7
source docs = jsonl "data.jsonl"
cell unique = docs | ${call}
cell parts = unique | split 50% 50%
export unique | write "out/"
`;
  const project = (call: string) => tempProject({ 'r.ftr': recipe(call), 'data.jsonl': dataset().map((r) => JSON.stringify(r)).join('\n') + '\n' });

  it('drops planted near-duplicates, writes the cluster column and the clusters file, and feeds split', async () => {
    const dir = project('dedupe_near text bands: 16 rows: 8 verify export_clusters: "out/clusters.jsonl"');
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.code).toBe(0);
    const cell = r.cells.get('unique')!;
    expect(cell.rowsIn).toBe(60);
    expect(cell.rowsOut).toBe(45);
    expect(cell.dropped).toEqual({ 'near-duplicate': 15 });
    expect(cell.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^P\(candidate \| jaccard\): 0\.50 → 0\.061 · /), expect.stringMatching(/^index memory ≈ /)]));
    const out = readJsonl(join(dir, 'out', 'unique.jsonl'));
    expect(out.length).toBe(45);
    expect(out.every((row) => row.cluster === row.id)).toBe(true);
    expect(Object.keys(out[0])).toEqual(['id', 'source', 'text', 'score', 'cluster']);
    expect(readJsonl(join(dir, 'out', 'clusters.jsonl')).length).toBe(15);
    expect(r.cells.get('parts')!.parts).toEqual({ train: 23, val: 22 });
    const rejects = (await ftr('rejects', join(dir, 'r.ftr'), 'unique', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((x) => x.id).sort()).toEqual([...D, ...E].sort());
    expect(rejects.every((x) => x.row.cluster === x.detail.match(/of (T\d+)/)[1])).toBe(true);
    // a second run is cached
    const again = await runJson(join(dir, 'r.ftr'));
    expect(again.cells.get('unique')!.status).toBe('cached');
  });

  it('the default threshold catches identical-after-folding rows', async () => {
    const dir = project('dedupe_near');
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.code).toBe(0);
    const rejects = (await ftr('rejects', join(dir, 'r.ftr'), 'unique', '--json')).out.trim().split('\n').map((l) => JSON.parse(l).id);
    expect(rejects).toEqual(expect.arrayContaining(E));
    expect(rejects.filter((id: string) => id.startsWith('T'))).toEqual([]);
  });

  it('checks bands/rows and keep before reading data', async () => {
    const dir = project('dedupe_near bands: 20 rows: 8');
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('bands × rows = 160 is more than perms = 128');
    const check = async (call: string) => {
      const c = await ftr('check', join(project(call), 'r.ftr'));
      expect(c.code).toBe(1);
      return c.out + c.err;
    };
    expect(await check('dedupe_near bands: 20')).toContain('give `bands` and `rows` together, or neither');
    expect(await check('dedupe_near highest')).toContain('`keep highest` needs a `score` column');
    expect(await check('dedupe_near txt')).toContain('unknown column `txt`');
    expect(await check('dedupe_near threshold: 1')).toContain('threshold must be between 0 and 1');
  });
});
