#!/usr/bin/env node
// Benchmark: deduplication ops (dedupe_near, dedupe) and split, in-process on generated data.
//
//   npm run build && node bench/dedup.mjs [--docs 1000000] [--small 100000] [--no-big] [--no-cli]
//                                          [--configs default,recall,verify] [--json]
//
// Documents are generated on the fly from their index (seeded), so no text is held in memory
// and each pass over the input regenerates it: the op sees a re-iterable RowSet exactly like the
// runtime's, and the process's peak RSS is the op's index plus Node's baseline. Each document has
// 100–300 words drawn (Zipf-like) from a 50,000-word letter-only vocabulary; 10% are planted
// near-duplicates: a copy of an earlier original with k word edits (substitute / delete / insert),
// k ≤ 1.6% of its words so that the 5-gram Jaccard to the original stays ≥ 0.85 (checked exactly).
//
// Sections (each measurement in a child process under /usr/bin/time -v: wall, CPU, peak RSS):
//   signatures  MinHash signatures alone (128 perms, word 5-grams) over a pre-generated pool, MB/s
//   near        dedupe_near over --small and --docs documents: time, MB/s per core (the op is
//               single-threaded), peak RSS, recall of planted pairs with exact Jaccard ≥ 0.85 and
//               precision of the dropped rows; configs: default (threshold 0.8 → 9×13), recall
//               (recall_weight 90% → 14×9), verify (recall + exact-Jaccard verification)
//   scaling     the same op on --small documents 10× longer (1,000–3,000 words): memory follows
//               the number of documents, not their size
//   exact       dedupe (xxh64) over --docs short rows with 5% case/space variants, rows/s
//   split       split 80/10/10 over --docs rows
//   cli         `ftr run` of jsonl → dedupe_near → write over --small docs (JSONL parse and the
//               store included)
// Generated files (cli only) go to a fresh folder under os.tmpdir() and are removed at the end.
import { writeFileSync, rmSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { events, fmtInt, FTR, median, requireBuild, ROOT, runTimed, table, tempDir } from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000000' },
    small: { type: 'string', default: '100000' },
    'no-big': { type: 'boolean', default: false },
    'no-cli': { type: 'boolean', default: false },
    configs: { type: 'string', default: 'default,recall,verify' },
    'big-configs': { type: 'string', default: 'default,recall' },
    child: { type: 'string' },
    config: { type: 'string', default: 'default' },
    n: { type: 'string' },
    long: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

requireBuild();
const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
const { prng } = await dist('runtime/hash.js');

// ------------------------------------------------------------------------------------------------
// Deterministic document generator

const VOCAB_SIZE = 50_000;
const DUP_RATE = 0.1;
const SEED = 20261124;

function makeVocab() {
  const rand = prng(SEED);
  const seen = new Set();
  while (seen.size < VOCAB_SIZE) {
    const len = 2 + Math.floor(rand() * 9);
    let w = '';
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + Math.floor(rand() * 26));
    seen.add(w);
  }
  return [...seen];
}
const VOCAB = makeVocab();
const mix = (i, salt) => (Math.imul(i ^ salt, 0x9e3779b1) ^ (i >>> 16)) >>> 0;
// Zipf-like: index = V · u², many common words and a long tail
const word = (rand) => VOCAB[Math.floor(rand() * rand() * VOCAB_SIZE)];

function originalWords(i, long) {
  const rand = prng(mix(i, 0x51ed27));
  const n = long ? 1000 + Math.floor(rand() * 2001) : 100 + Math.floor(rand() * 201);
  const w = new Array(n);
  for (let k = 0; k < n; k++) w[k] = word(rand);
  return w;
}

/** Index of the original a planted copy derives from, or -1 for originals. */
function sourceOf(i) {
  if (i === 0) return -1;
  const rand = prng(mix(i, 0x2b7e15));
  if (rand() >= DUP_RATE) return -1;
  let s = Math.floor(rand() * i);
  while (sourceOf(s) !== -1) s = sourceOf(s);
  return s;
}

function docWords(i, long) {
  const src = sourceOf(i);
  if (src === -1) return originalWords(i, long);
  const w = originalWords(src, long);
  const rand = prng(mix(i, 0x9a1f33));
  const shingles = w.length - 4;
  const kmax = Math.max(1, Math.floor(0.0162 * shingles));
  const k = 1 + Math.floor(rand() * kmax);
  for (let e = 0; e < k; e++) {
    const at = Math.floor(rand() * w.length);
    const kind = rand();
    if (kind < 0.7) w[at] = word(rand);
    else if (kind < 0.85) w.splice(at, 1);
    else w.splice(at, 0, word(rand));
  }
  return w;
}

const docText = (i, long) => docWords(i, long).join(' ') + '.';

function rowSet(n, long, make = (i) => ({ id: `d${i}`, text: docText(i, long) })) {
  return {
    count: n,
    async *rows() {
      for (let i = 0; i < n; i++) yield make(i);
    },
  };
}

function ctx(onProgress) {
  return { cell: 'bench', seed: 42, baseDir: ROOT, schema: { columns: [] }, signal: new AbortController().signal, progress: onProgress ?? (() => {}), log() {} };
}

/** CPU seconds (user + system) of this process so far. */
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const defaultsOf = (op) => Object.fromEntries(op.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default]));

// ------------------------------------------------------------------------------------------------
// Children: one measurement each, result as one JSON line on stdout

async function childSignatures() {
  const { MinHasher } = await dist('ops/curate/minhash.js');
  const pool = Array.from({ length: 20_000 }, (_, i) => docText(i, false));
  const bytes = pool.reduce((n, d) => n + Buffer.byteLength(d), 0);
  const out = {};
  for (const [name, kind, n] of [['word 5-grams', 'word', 5], ['char 5-grams', 'char', 5]]) {
    const mh = new MinHasher(128, 42, kind, n);
    const sig = new Uint32Array(128);
    const rates = [];
    for (let round = 0; round < 4; round++) {
      const c0 = cpuS();
      for (const d of pool) mh.signature(d, sig);
      const s = cpuS() - c0;
      if (round) rates.push(bytes / 1e6 / s); // round 0 warms the JIT
    }
    out[name] = { mbPerS: median(rates), docsPerS: (pool.length * median(rates) * 1e6) / bytes };
  }
  return { docs: pool.length, avgBytes: bytes / pool.length, ...out };
}

async function childNear(n, config, long) {
  const { dedupe_near } = await dist('ops/curate/dedupe_near.js');
  const { ShingleHasher, jaccardSorted, sortedUnique } = await dist('ops/curate/minhash.js');
  // generation alone (one pass), to separate it from the op's own time
  let bytes = 0;
  let c0 = cpuS();
  let t0 = performance.now();
  for await (const row of rowSet(n, long).rows()) bytes += Buffer.byteLength(row.text);
  const genMs = performance.now() - t0;
  const genCpu = cpuS() - c0;

  const params = { ...defaultsOf(dedupe_near) };
  if (config !== 'default') params.recall_weight = 0.9;
  if (config === 'verify') params.verify = true;
  const cluster = new Int32Array(n).fill(-1);
  const idx = (id) => Number(String(id).slice(1));
  let dropped = 0;
  const notes = [];
  const out = {
    async emit(row) {
      cluster[idx(row.id)] = idx(row.cluster);
    },
    async drop(row) {
      cluster[idx(row.id)] = idx(row.cluster);
      dropped++;
    },
    note: (l) => notes.push(l),
  };
  let pass1Ms = 0;
  let pass1Cpu = 0;
  c0 = cpuS();
  t0 = performance.now();
  const progress = (rows) => {
    if (rows !== n || pass1Ms) return;
    pass1Ms = performance.now() - t0;
    pass1Cpu = cpuS() - c0;
  };
  await dedupe_near.global.run(rowSet(n, long), params, ctx(progress), out, {});
  const opMs = performance.now() - t0;
  const opCpu = cpuS() - c0;

  // quality: planted pairs (copy, original) with exact 5-gram Jaccard ≥ 0.85 found in one cluster
  const sh = new ShingleHasher('word', 5, true, 7);
  let planted = 0;
  let plantedHigh = 0;
  let found = 0;
  let minJ = 1;
  let sumJ = 0;
  const groupOf = (i) => (sourceOf(i) === -1 ? i : sourceOf(i));
  for (let i = 0; i < n; i++) {
    const s = sourceOf(i);
    if (s === -1) continue;
    planted++;
    const j = jaccardSorted(sortedUnique(sh.hashes(docText(i, long))), sortedUnique(sh.hashes(docText(s, long))));
    minJ = Math.min(minJ, j);
    sumJ += j;
    if (j < 0.85) continue;
    plantedHigh++;
    if (cluster[i] === cluster[s]) found++;
  }
  let correct = 0;
  for (let i = 0; i < n; i++) if (cluster[i] !== i && groupOf(cluster[i]) === groupOf(i)) correct++;
  return {
    n,
    config,
    long,
    bytes,
    genMs,
    opMs,
    pass1Ms,
    genCpu,
    opCpu,
    pass1Cpu,
    dropped,
    planted,
    plantedHigh,
    minPlantedJaccard: minJ,
    meanPlantedJaccard: sumJ / planted,
    recall: found / plantedHigh,
    precision: dropped ? correct / dropped : 1,
    lsh: config === 'default' ? '9×13' : '14×9',
    memoryEstimate: notes.find((l) => l.startsWith('index memory')),
  };
}

async function childExact(n) {
  const { dedupe } = await dist('ops/curate/dedupe.js');
  const make = (i) => {
    const rand = prng(mix(i, 0x77));
    const src = rand() < 0.05 && i > 0 ? Math.floor(rand() * i) : i;
    const r2 = prng(mix(src, 0x99));
    const w = Array.from({ length: 10 + Math.floor(r2() * 30) }, () => word(r2));
    let text = w.join(' ');
    if (src !== i) text = rand() < 0.5 ? text.toUpperCase() : `  ${text.replace(/ /g, '  ')} `;
    return { id: `r${i}`, text };
  };
  let bytes = 0;
  let g0 = cpuS();
  let t0 = performance.now();
  for await (const row of rowSet(n, false, make).rows()) bytes += Buffer.byteLength(row.text);
  const genMs = performance.now() - t0;
  const genCpu = cpuS() - g0;
  let kept = 0;
  let dropped = 0;
  const out = { async emit() { kept++; }, async drop() { dropped++; }, note() {} };
  const c0 = cpuS();
  t0 = performance.now();
  await dedupe.global.run(rowSet(n, false, make), defaultsOf(dedupe), ctx(), out, {});
  const opMs = performance.now() - t0;
  return { n, bytes, genMs, genCpu, opMs, opCpu: cpuS() - c0, kept, dropped };
}

async function childSplit(n) {
  const { split } = await dist('ops/split/split.js');
  const make = (i) => ({ id: `r${i}`, text: 'short row' });
  const g0 = cpuS();
  let t0 = performance.now();
  for await (const _ of rowSet(n, false, make).rows());
  const genMs = performance.now() - t0;
  const genCpu = cpuS() - g0;
  const parts = {};
  const out = { async emit(_row, part) { parts[part] = (parts[part] ?? 0) + 1; }, async drop() {}, note() {} };
  const c0 = cpuS();
  t0 = performance.now();
  await split.global.run(rowSet(n, false, make), defaultsOf(split), ctx(), out, {});
  return { n, genMs, genCpu, opMs: performance.now() - t0, opCpu: cpuS() - c0, parts };
}

if (opt.child) {
  const n = Number(opt.n);
  const r =
    opt.child === 'signatures' ? await childSignatures()
    : opt.child === 'near' ? await childNear(n, opt.config, opt.long)
    : opt.child === 'exact' ? await childExact(n)
    : opt.child === 'split' ? await childSplit(n)
    : (() => { throw new Error(`unknown child ${opt.child}`); })();
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}

// ------------------------------------------------------------------------------------------------
// Parent

const BIG = Number(opt.docs);
const SMALL = Number(opt.small);
const log = (s) => !opt.json && console.log(s);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
log(`bench/dedup.mjs · ${new Date().toISOString()} · ${cpus().length} × ${cpus()[0]?.model ?? '?'} · Node ${process.version} · load ${load()}`);

async function child(args) {
  const r = await runTimed(process.execPath, ['--max-old-space-size=8192', join(ROOT, 'bench', 'dedup.mjs'), ...args]);
  if (r.code !== 0) throw new Error(`child ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop();
  return { ...JSON.parse(line), wallMs: r.wallMs, peakRssMb: r.peakRssMb, cpuS: r.cpuS };
}

const results = { date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadStart: load() };

log('\n## MinHash signatures (128 perms), pre-generated pool of 20,000 docs, 1 core (median of 3 rounds, per CPU-second)');
results.signatures = await child(['--child', 'signatures']);
log(table(['shingles', 'MB/s per core', 'docs/s'], ['word 5-grams', 'char 5-grams'].map((k) => [k, results.signatures[k].mbPerS.toFixed(1), fmtInt(results.signatures[k].docsPerS)])));

// rates per core from CPU time (this machine is shared: wall time is noisy), net of generating
// the text (pass 1 generates it once, the whole op three times: pass 1, pass 2, emit)
const nearRow = (r) => [
  fmtInt(r.n),
  r.long ? '1k–3k' : '100–300',
  r.config,
  r.lsh,
  `${(r.bytes / 1e6).toFixed(0)} MB`,
  (r.opMs / 1000).toFixed(1),
  r.opCpu.toFixed(1),
  (r.bytes / 1e6 / (r.pass1Cpu - r.genCpu)).toFixed(1),
  (r.bytes / 1e6 / (r.opCpu - 3 * r.genCpu)).toFixed(1),
  r.peakRssMb?.toFixed(0) ?? '?',
  r.recall.toFixed(4),
  r.precision.toFixed(4),
  `${fmtInt(r.plantedHigh)}/${fmtInt(r.planted)}`,
];
const nearHeader = ['docs', 'words', 'config', 'b×r', 'text', 'op wall s', 'op CPU s', 'pass 1 (signatures) MB/CPU-s', 'whole op MB/CPU-s', 'peak RSS MB', 'recall J≥0.85', 'precision', 'planted J≥0.85/all'];

results.near = [];
log(`\n## dedupe_near (threshold 0.8, 128 perms, word 5-grams), ${SMALL.toLocaleString('en-US')} docs`);
for (const config of opt.configs.split(',')) results.near.push(await child(['--child', 'near', '--n', String(SMALL), '--config', config]));
log(table(nearHeader, results.near.map(nearRow)));
log(`op's own estimate: ${results.near[0].memoryEstimate}`);
log(`planted pairs: exact 5-gram Jaccard min ${results.near[0].minPlantedJaccard.toFixed(3)}, mean ${results.near[0].meanPlantedJaccard.toFixed(3)}`);

log(`\n## memory scaling: ${SMALL.toLocaleString('en-US')} docs 10× longer`);
results.scaling = await child(['--child', 'near', '--n', String(SMALL), '--config', 'default', '--long']);
log(table(nearHeader, [nearRow(results.near[0]), nearRow(results.scaling)]));

if (!opt['no-big']) {
  log(`\n## dedupe_near, ${BIG.toLocaleString('en-US')} docs`);
  results.nearBig = [];
  for (const config of opt['big-configs'].split(',')) {
    results.nearBig.push(await child(['--child', 'near', '--n', String(BIG), '--config', config]));
    log(table(nearHeader, [nearRow(results.nearBig.at(-1))]));
  }
  log(`op's own estimate: ${results.nearBig[0].memoryEstimate}`);
}

const N2 = opt['no-big'] ? SMALL : BIG;
log(`\n## dedupe (exact, xxh64) and split, ${N2.toLocaleString('en-US')} rows`);
results.exact = await child(['--child', 'exact', '--n', String(N2)]);
results.split = await child(['--child', 'split', '--n', String(N2)]);
// dedupe reads its input twice, split once: net = op CPU − passes × generation CPU
const opLine = (name, r, passes, extra) => {
  const net = r.opCpu - passes * r.genCpu;
  return [name, fmtInt(r.n), (r.opMs / 1000).toFixed(2), r.opCpu.toFixed(2), net.toFixed(2), fmtInt(r.n / net), r.peakRssMb?.toFixed(0), extra];
};
log(
  table(['op', 'rows', 'op wall s', 'op CPU s', 'op CPU s net of generation', 'rows per CPU-s (net)', 'peak RSS MB', ''], [
    opLine('dedupe', results.exact, 2, `${fmtInt(results.exact.dropped)} dropped`),
    opLine('split', results.split, 1, JSON.stringify(results.split.parts)),
  ]),
);

if (!opt['no-cli']) {
  log(`\n## ftr run: jsonl → dedupe_near → write, ${SMALL.toLocaleString('en-US')} docs`);
  const dir = tempDir('dedup');
  const lines = [];
  let bytes = 0;
  for (let i = 0; i < SMALL; i++) {
    const l = JSON.stringify({ id: `d${i}`, text: docText(i, false) });
    bytes += l.length + 1;
    lines.push(l);
  }
  writeFileSync(join(dir, 'docs.jsonl'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'r.ftr'), 'recipe bench_dedup\nseed 42\nsource docs = jsonl "docs.jsonl"\ncell unique = docs | dedupe_near text\nexport unique | write "out/"\n');
  const r = await runTimed(process.execPath, [FTR, 'run', join(dir, 'r.ftr'), '--json', '--cache-dir', join(dir, 'cache')]);
  const ev = events(r.stdout);
  const cells = Object.fromEntries(ev.filter((e) => e.type === 'cell' && e.status === 'done').map((e) => [e.cell, e]));
  results.cli = { n: SMALL, bytes, wallMs: r.wallMs, peakRssMb: r.peakRssMb, cpuS: r.cpuS, sourceMs: cells.docs?.durationMs, nearMs: cells.unique?.durationMs, dropped: cells.unique?.dropped };
  log(
    table(['docs', 'JSONL', 'wall s', 'CPU s', 'peak RSS MB', 'jsonl cell s', 'dedupe_near cell s', 'dropped'], [
      [fmtInt(SMALL), `${(bytes / 1e6).toFixed(0)} MB`, (r.wallMs / 1000).toFixed(1), r.cpuS?.toFixed(1), r.peakRssMb?.toFixed(0), ((cells.docs?.durationMs ?? 0) / 1000).toFixed(1), ((cells.unique?.durationMs ?? 0) / 1000).toFixed(1), JSON.stringify(cells.unique?.dropped)],
    ]),
  );
  rmSync(dir, { recursive: true, force: true });
}

results.loadEnd = load();
log(`\nload at end: ${results.loadEnd}`);
if (opt.json) console.log(JSON.stringify(results, null, 2));
