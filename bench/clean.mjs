#!/usr/bin/env node
// Benchmark: cleaning + normalization throughput of the `strip_html | normalize nfkc` map steps.
//
//   npm run build && node bench/clean.mjs [--rows 20000] [--rounds 5] [--json]
//
// Input: State of the Union passages (bench/corpus.mjs) turned into scraped-page HTML — <p> and
// <div> blocks, <b>/<i>/<a> tags, entities, comments and scripts, NBSP and zero-width spaces,
// ligatures and full-width digits — cycled to --rows rows (about 1.6 KB each).
// 1. In-process: the ops' own map functions (dist/ops/clean/*.js, as the runtime builds them)
//    over the rows, each step alone and chained; per round the CPU time of this process
//    (process.cpuUsage: user + system) and wall time; median of --rounds rounds after one
//    warm-up. The runtime runs map steps on one thread, so MB per CPU-second is MB/s per core.
// 2. Through the CLI: `ftr run` of `jsonl → strip_html text | normalize nfkc` (cold, own cache),
//    the clean cell's time from its `cell` event.
// MB are input megabytes (10^6 bytes of UTF-8 text in the cleaned column).
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { dirty, prng, sotuPassages } from './corpus.mjs';
import { events, fmtInt, FTR, median, requireBuild, ROOT, runTimed, table, tempDir } from './lib.mjs';

const { values: opt } = parseArgs({ options: { rows: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const ROWS = Number(opt.rows);
const ROUNDS = Number(opt.rounds);
requireBuild();
const log = opt.json ? () => {} : (s) => console.log(s);

const { strip_html } = await import(pathToFileURL(join(ROOT, 'dist', 'ops', 'clean', 'strip_html.js')).href);
const { normalize } = await import(pathToFileURL(join(ROOT, 'dist', 'ops', 'clean', 'normalize.js')).href);
const ctx = { cell: 'bench', seed: 1, baseDir: ROOT, schema: { columns: [] }, signal: new AbortController().signal, progress() {}, log() {} };
const defaults = (op, params) => ({ ...Object.fromEntries(op.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default])), ...params });

const passages = sotuPassages(1200);
const rand = prng(3);
const rows = Array.from({ length: ROWS }, (_, i) => ({ id: `r${i}`, source: 'bench', text: dirty(passages[i % passages.length], rand) }));
const mb = rows.reduce((n, r) => n + Buffer.byteLength(r.text), 0) / 1e6;
log(`measuring ${ROOT}\ninput: ${fmtInt(ROWS)} rows, ${mb.toFixed(1)} MB of HTML text (${fmtInt((mb * 1e6) / ROWS)} bytes/row)\n`);

const pipelines = {
  strip_html: [strip_html.map(defaults(strip_html, { columns: ['text'] }), ctx)],
  'normalize nfkc': [normalize.map(defaults(normalize, { form: 'nfkc', columns: ['text'] }), ctx)],
  'strip_html | normalize nfkc': [strip_html.map(defaults(strip_html, { columns: ['text'] }), ctx), normalize.map(defaults(normalize, { form: 'nfkc', columns: ['text'] }), ctx)],
};
function runOnce(fns) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let out = 0;
  for (const row of rows) {
    let r = row;
    for (const f of fns) r = f(r);
    out += r.text.length;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6, out };
}
const result = { rows: ROWS, mb, loadavgStart: loadavg(), inProcess: {} };
for (const [name, fns] of Object.entries(pipelines)) {
  runOnce(fns);
  const rounds = Array.from({ length: ROUNDS }, () => runOnce(fns));
  const cpu = median(rounds.map((r) => r.cpu));
  const wall = median(rounds.map((r) => r.wall));
  result.inProcess[name] = { cpuS: cpu, wallS: wall, mbPerCpuS: mb / cpu, mbPerWallS: mb / wall, rowsPerCpuS: ROWS / cpu, outChars: rounds[0].out };
}

// through the CLI
const dir = tempDir('clean');
writeFileSync(join(dir, 'data.jsonl'), rows.map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n') + '\n');
writeFileSync(join(dir, 'recipe.ftr'), 'recipe bench_clean\nsource docs = jsonl "data.jsonl"\ncell clean = docs | strip_html text | normalize nfkc\n');
const run = await runTimed(process.execPath, [FTR, 'run', join(dir, 'recipe.ftr'), '--json', '--cache-dir', join(dir, 'cache')], { cwd: dir });
if (run.code !== 0) throw new Error(`ftr run exited ${run.code}\n${run.stderr}`);
const cells = Object.fromEntries(events(run.stdout).filter((e) => e.type === 'cell' && e.status === 'done').map((e) => [e.cell, e]));
result.cli = { wallS: run.wallMs / 1000, cpuS: run.cpuS, peakRssMb: run.peakRssMb, sourceS: cells.docs.durationMs / 1000, cleanS: cells.clean.durationMs / 1000, cleanMbPerS: mb / (cells.clean.durationMs / 1000) };
rmSync(dir, { recursive: true, force: true });
result.loadavgEnd = loadavg();
result.machine = { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version };

if (opt.json) console.log(JSON.stringify(result, null, 2));
else {
  log(
    table(
      ['steps (in-process)', 'MB per CPU-s (= MB/s per core)', 'MB/s wall', 'rows per CPU-s', 'CPU s'],
      Object.entries(result.inProcess).map(([k, r]) => [`\`${k.replace(/\|/g, '\\|')}\``, r.mbPerCpuS.toFixed(1), r.mbPerWallS.toFixed(1), fmtInt(r.rowsPerCpuS), r.cpuS.toFixed(2)]),
    ),
  );
  const c = result.cli;
  log(`\nftr run (cold): ${c.wallS.toFixed(1)} s wall, ${c.cpuS?.toFixed(1)} CPU s, peak RSS ${c.peakRssMb?.toFixed(0)} MB; jsonl cell ${c.sourceS.toFixed(2)} s, clean cell (strip_html | normalize nfkc) ${c.cleanS.toFixed(2)} s = ${c.cleanMbPerS.toFixed(1)} MB/s`);
  log(`load average ${result.loadavgStart.map((x) => x.toFixed(2)).join(' ')} → ${result.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}; ${result.machine.nproc} × ${result.machine.cpu}, Node ${result.machine.node}`);
}
