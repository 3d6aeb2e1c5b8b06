#!/usr/bin/env node
// Benchmark: tokens/s of the `tokenize` op against the same tokenizer library called directly,
// in the same process on the same texts; plus `train_tokenizer` on the same corpus.
//
//   npm run build && node bench/tokenize.mjs [--rounds 7] [--vocab 8000] [--json]
//
// Texts: the State of the Union passages of bench/corpus.mjs (≈ 9,000 rows of ≈ 1,200 chars,
// 10.8 M characters of English prose). For each configuration, alternating op / direct (one
// warm-up each first, so both see a warm merge cache), median of --rounds rounds of the CPU time
// of this process (process.cpuUsage: user + system; on a shared machine wall time swings by
// ±30% from run to run, CPU time much less — wall times are reported too):
//   op      dist/ops/tokenize/tokenize.js `global.run` over an in-memory RowSet, emit a no-op
//           (what the op itself costs: reading the text, counting, the new row, the statistics)
//   direct  the library on the same strings: gpt-tokenizer countTokens / encode, or
//           @huggingface/tokenizers Tokenizer.encode for a tokenizer.json
// overhead = op time / direct time − 1 (target < 20%). The tokenizer.json is the byte-level BPE
// that `train_tokenizer` trains on the same corpus first (--vocab tokens; its time is reported).
// Then one `ftr run` (cold) of `jsonl → tokenize` for the whole-cell rate, which also includes
// reading and writing the cell's rows in the cache.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sotuPassages } from './corpus.mjs';
import { events, fmtInt, FTR, median, requireBuild, ROOT, runTimed, table, tempDir } from './lib.mjs';

const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, vocab: { type: 'string', default: '8000' }, json: { type: 'boolean', default: false } } });
const ROUNDS = Number(opt.rounds);
requireBuild();
const log = opt.json ? () => {} : (s) => console.log(s);
const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', ...p.split('/'))).href);
const { tokenize } = await dist('ops/tokenize/tokenize.js');
const { train_tokenizer } = await dist('ops/tokenize/train_tokenizer.js');
const { Tokenizer } = await import(pathToFileURL(join(ROOT, 'node_modules', '@huggingface', 'tokenizers', 'dist', 'tokenizers.mjs')).href);

const texts = sotuPassages(1200);
const rows = texts.map((text, i) => ({ id: `p${i}`, source: 'sotu', text }));
const chars = texts.reduce((n, t) => n + t.length, 0);
log(`measuring ${ROOT}\ntexts: ${fmtInt(rows.length)} passages, ${fmtInt(chars)} characters\n`);

const work = mkdtempSync(join(tmpdir(), 'ftr-bench-tokenize-'));
const ctx = { cell: 'bench', seed: 1, baseDir: work, schema: { columns: [] }, signal: new AbortController().signal, progress() {}, log() {} };
const defaults = (op, params) => ({ ...Object.fromEntries(op.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default])), ...params });
const rowSet = { count: rows.length, async *rows() { yield* rows; } };
const sink = (notes = []) => ({ async emit() {}, async drop() {}, note: (l) => notes.push(l) });

// train a tokenizer.json on the corpus (timed): it is also the file the HF configuration loads
const trainNotes = [];
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await train_tokenizer.global.run(rowSet, defaults(train_tokenizer, { path: 'tokenizer.json', vocab_size: Number(opt.vocab) }), ctx, sink(trainNotes), {});
const trainWall = Number(process.hrtime.bigint() - t0) / 1e9;
const trainUsage = process.cpuUsage(c0);
const trainCpu = (trainUsage.user + trainUsage.system) / 1e6;
const hf = new Tokenizer(JSON.parse((await import('node:fs')).readFileSync(join(work, 'tokenizer.json'), 'utf8')), {});

const plain = { disallowedSpecial: new Set() };
const cl100k = await import('gpt-tokenizer/encoding/cl100k_base');
const o200k = await import('gpt-tokenizer/encoding/o200k_base');
const configs = [
  { name: 'cl100k_base', params: { tokenizer: 'cl100k_base' }, direct: (t) => cl100k.countTokens(t, plain) },
  { name: 'o200k_base', params: { tokenizer: 'o200k_base' }, direct: (t) => o200k.countTokens(t, plain) },
  { name: 'cl100k_base, ids', params: { tokenizer: 'cl100k_base', ids: true }, direct: (t) => cl100k.encode(t, plain).length },
  { name: `tokenizer.json (BPE ${fmtInt(Number(opt.vocab))}, trained here)`, params: { tokenizer_file: 'tokenizer.json' }, direct: (t) => hf.encode(t, { add_special_tokens: false }).ids.length },
];

/** CPU seconds (user + system) and wall seconds of fn. */
async function measure(fn) {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  const value = await fn();
  const u = process.cpuUsage(c);
  return { cpu: (u.user + u.system) / 1e6, wall: Number(process.hrtime.bigint() - t) / 1e9, value };
}
const timeOp = (params) => measure(() => tokenize.global.run(rowSet, defaults(tokenize, params), ctx, sink(), {}));
const timeDirect = (fn) =>
  measure(() => {
    let tokens = 0;
    for (const text of texts) tokens += fn(text);
    return tokens;
  });

const result = { rows: rows.length, chars, loadavgStart: loadavg(), train: { wallS: trainWall, cpuS: trainCpu, notes: trainNotes }, configs: [] };
for (const c of configs) {
  log(`${c.name}…`);
  await timeOp(c.params);
  const tokens = (await timeDirect(c.direct)).value;
  const op = [];
  const direct = [];
  for (let k = 0; k < ROUNDS; k++) {
    // alternate which goes first, so drift in machine load hits both alike
    if (k % 2) {
      direct.push(await timeDirect(c.direct));
      op.push(await timeOp(c.params));
    } else {
      op.push(await timeOp(c.params));
      direct.push(await timeDirect(c.direct));
    }
  }
  const o = median(op.map((x) => x.cpu));
  const d = median(direct.map((x) => x.cpu));
  const ow = median(op.map((x) => x.wall));
  const dw = median(direct.map((x) => x.wall));
  result.configs.push({ name: c.name, tokens, opCpuS: o, directCpuS: d, opTokensPerCpuS: tokens / o, directTokensPerCpuS: tokens / d, ratio: o / d, opWallS: ow, directWallS: dw, wallRatio: ow / dw, op, direct });
}

// the whole cell through the CLI
const dir = tempDir('tokenize-cli');
writeFileSync(join(dir, 'data.jsonl'), rows.map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n') + '\n');
writeFileSync(join(dir, 'recipe.ftr'), 'recipe bench_tokenize\nsource docs = jsonl "data.jsonl"\ncell counted = docs | tokenize text\n');
const run = await runTimed(process.execPath, [FTR, 'run', join(dir, 'recipe.ftr'), '--json', '--cache-dir', join(dir, 'cache')], { cwd: dir });
if (run.code !== 0) throw new Error(`ftr run exited ${run.code}\n${run.stderr}`);
const cell = events(run.stdout).find((e) => e.type === 'cell' && e.cell === 'counted' && e.status === 'done');
const cliTokens = result.configs[0].tokens;
result.cli = { wallS: run.wallMs / 1000, cpuS: run.cpuS, peakRssMb: run.peakRssMb, cellS: cell.durationMs / 1000, cellTokensPerS: cliTokens / (cell.durationMs / 1000), notes: cell.notes };
rmSync(dir, { recursive: true, force: true });
rmSync(work, { recursive: true, force: true });
result.loadavgEnd = loadavg();
result.machine = { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version };

if (opt.json) console.log(JSON.stringify(result, null, 2));
else {
  log('');
  log(
    table(
      ['tokenizer', 'tokens', 'op tokens per CPU-s', 'direct tokens per CPU-s', 'op / direct (CPU)', 'overhead', 'op / direct (wall)'],
      result.configs.map((c) => [c.name, fmtInt(c.tokens), fmtInt(c.opTokensPerCpuS), fmtInt(c.directTokensPerCpuS), c.ratio.toFixed(3), `${((c.ratio - 1) * 100).toFixed(1)}%`, c.wallRatio.toFixed(3)]),
    ),
  );
  log(`\nftr run (cold) jsonl → tokenize (cl100k_base): tokenize cell ${result.cli.cellS.toFixed(2)} s = ${fmtInt(result.cli.cellTokensPerS)} tokens/s (rows read from and written to the cache included); run ${result.cli.wallS.toFixed(1)} s wall, peak RSS ${result.cli.peakRssMb?.toFixed(0)} MB`);
  log(`train_tokenizer (byte-level BPE, vocab ${fmtInt(Number(opt.vocab))}) on the same ${fmtInt(chars)} characters: ${trainWall.toFixed(1)} s wall, ${trainCpu.toFixed(1)} CPU s`);
  for (const n of trainNotes) log(`  ${n}`);
  log(`load average ${result.loadavgStart.map((x) => x.toFixed(2)).join(' ')} → ${result.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}; ${result.machine.nproc} × ${result.machine.cpu}, Node ${result.machine.node}`);
}
