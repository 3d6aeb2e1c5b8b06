#!/usr/bin/env node
// Benchmark: data-parallel training steps across cores (src/ml/parallel.ts) on the wasm backend.
//
//   npm run build && node bench/parallel.mjs [--strategies full,lora] [--configs serial,w2,l1]
//        [--steps 3] [--warmup 1] [--rounds 2] [--batch 32] [--seq 128] [--wait-idle MIN] [--json]
//
// Model: a random BERT-like encoder (hidden 256, 4 layers, 4 heads, intermediate 1024, vocab
// 8000, 512 positions: 5.3 M parameters) saved as a Hugging Face folder in a temp directory,
// sequence classification with 2 labels, dropout 0.1. Each step is one micro-batch of
// --batch rows × --seq tokens (no padding), AdamW, clip 1, via `fit` (src/ml/train/trainer.ts).
// Configurations (threads = cores busy computing):
//   serial  this thread alone (tf.variableGrads, as without `workers`)
//   wN      N worker threads, this thread only sends weights and sums gradients
//   lN      this thread takes a shard + N workers (what runFinetune's `workers: N+1` does)
// Step time = fit's per-step wall time (gradients + clipping + AdamW), median of the --steps
// timed steps after --warmup, pooled over --rounds rounds; configurations are interleaved per
// round so that load from elsewhere spreads over all of them. The breakdown per step: `send`
// copies the trained variables into the shared buffer, `local` is this thread's shard, `wait`
// the time left waiting for workers, `combine` the weighted sum, `worker` a worker's own time
// (load weights + forward/backward + read gradients). CPU s/step counts every thread.
// Every (strategy, configuration) runs in a fresh child process (wasm heaps only grow), which
// reports its peak RSS (all threads). The machine is shared: `others` is the CPU the rest of the
// machine used while the child ran (busy time from /proc/stat minus the child's own, in cores);
// on 2 cores, anything well above 0 makes the speed-up a lower bound.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fmtMs, median, ROOT, table, tempDir } from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    strategies: { type: 'string', default: 'full,lora' },
    configs: { type: 'string', default: 'serial,w2,l1' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '2' },
    batch: { type: 'string', default: '32' },
    seq: { type: 'string', default: '128' },
    json: { type: 'boolean', default: false },
    // before each child: wait (up to this many minutes) until the machine is under 15 % busy for 3 s
    'wait-idle': { type: 'string', default: '0' },
    // internal: run one configuration on the model in --dir and print its result as JSON
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});
const STEPS = Number(opt.steps);
const WARMUP = Number(opt.warmup);
const ROUNDS = Number(opt.rounds);
const BATCH = Number(opt.batch);
const SEQ = Number(opt.seq);
const log = opt.json ? () => {} : (s) => console.log(s);
if (!existsSync(join(ROOT, 'dist', 'ml', 'grad-worker.js'))) {
  console.error('bench: dist/ml/grad-worker.js is missing — run `npm run build` first');
  process.exit(2);
}

const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', 'ml', p)).href);
const config = { family: 'bert', vocabSize: 8000, hidden: 256, layers: 4, heads: 4, intermediate: 1024, maxPositions: 512, typeVocab: 2, eps: 1e-12, act: 'gelu', dropout: 0.1, padId: 0 };
const LABELS = ['no', 'yes'];
const STRATEGIES = {
  full: { strategy: 'full' },
  lora: { strategy: 'lora', lora: { r: 8, alpha: 16, dropout: 0.1, targets: ['query', 'value'] } },
  adapter: { strategy: 'adapter', adapter: { placement: 'houlsby', size: 16, act: 'swish' } },
};

function parseConfig(c) {
  if (c === 'serial') return { name: c, workers: 0, local: true, threads: 1 };
  const m = /^([wl])(\d+)$/.exec(c);
  if (!m) throw new Error(`bench: unknown configuration ${c} (serial, wN, lN)`);
  const n = Number(m[2]);
  return { name: c, workers: n, local: m[1] === 'l', threads: n + (m[1] === 'l' ? 1 : 0) };
}

/** One configuration, in this (child) process. */
async function runChild(strategyName, cfg, dir) {
  const { tf, useBackend } = await dist('tf.js');
  const { loadPretrained } = await dist('hf.js');
  const { applyStrategy } = await dist('strategy.js');
  const { taskLoss } = await dist('finetune.js');
  const { GradientWorkers } = await dist('parallel.js');
  const { fit } = await dist('train/trainer.js');
  await useBackend('wasm');
  let s = 7;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const rows = Array.from({ length: BATCH * (WARMUP + STEPS) }, (_, i) => ({
    id: `r${i}`,
    ids: Int32Array.from({ length: SEQ }, (_, t) => (t === 0 ? 2 : 5 + Math.floor(rnd() * (config.vocabSize - 5)))),
    label: i % 2,
    weight: 1,
  }));
  const strategy = STRATEGIES[strategyName];
  const seed = 1;
  const model = await loadPretrained(dir, { task: 'seq_cls', labels: LABELS, seed });
  applyStrategy(model, strategy, seed + 7);
  const vars = model.params.trainableVars();
  const trainable = model.params.count((n) => model.params.isTrainable(n));
  let workers;
  const t0 = performance.now();
  if (cfg.workers) {
    workers = await GradientWorkers.start(cfg.workers, { baseDir: dir, task: 'seq_cls', labels: LABELS, strategy, seed, backend: 'wasm' }, cfg.local ? { local: (r, sd) => taskLoss(model, r, true, sd) } : {});
  }
  const startMs = performance.now() - t0;
  const ms = [];
  let statsAtWarm;
  let c0 = process.cpuUsage();
  let peakTensorBytes = 0;
  try {
    await fit({
      vars,
      train: rows,
      batchSize: BATCH,
      maxSteps: WARMUP + STEPS,
      lr: 1e-4,
      schedule: 'constant',
      weightDecay: 0.01,
      clipNorm: 1,
      seed: 3,
      loss: (r, training, ctx) => taskLoss(model, r, training, ctx.seed % 1_000_000),
      gradients: workers && ((r, ctx) => workers.gradients(r, ctx, vars)),
      onStep: (st) => {
        peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
        if (st.step === WARMUP) {
          c0 = process.cpuUsage();
          statsAtWarm = workers && structuredClone(workers.stats);
        }
        if (st.step > WARMUP) ms.push(st.ms);
      },
    });
  } finally {
    await workers?.close();
    model.dispose();
  }
  const c = process.cpuUsage(c0);
  let breakdown;
  if (workers) {
    const a = statsAtWarm;
    const b = workers.stats;
    const n = b.calls - a.calls;
    breakdown = {
      sendMs: (b.sendMs - a.sendMs) / n,
      localMs: (b.localMs - a.localMs) / n,
      waitMs: (b.waitMs - a.waitMs) / n,
      combineMs: (b.combineMs - a.combineMs) / n,
      workerMs: b.workerMs.map((x, i) => (x - a.workerMs[i]) / n),
      mbPerCall: b.bytesPerCall / 1e6,
    };
  }
  const total = process.cpuUsage();
  return { ms, cpuPerStep: (c.user + c.system) / 1e6 / STEPS, cpuTotal: (total.user + total.system) / 1e6, startMs, trainable, breakdown, peakRssMB: process.resourceUsage().maxRSS / 1024 };
}

if (opt.child) {
  const [st, c] = opt.child.split(':');
  const r = await runChild(st, parseConfig(c), opt.dir);
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}

/** Busy and total CPU seconds of the whole machine so far (Linux; undefined elsewhere). */
function machineCpu() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / 100, total: total / 100 };
  } catch {
    return undefined;
  }
}

const { tf } = await dist('tf.js');
const { Transformer } = await dist('model.js');
const { saveHf } = await dist('hf.js');
await (await dist('tf.js')).useBackend('wasm');
const dir = tempDir('parallel');
{
  const base = Transformer.random(config, 'none', [], 1);
  saveHf(dir, base);
  base.dispose();
}
const self = fileURLToPath(import.meta.url);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitIdle() {
  const until = Date.now() + Number(opt['wait-idle']) * 60_000;
  while (Date.now() < until) {
    const a = machineCpu();
    await sleep(3000);
    const b = machineCpu();
    if (!a || !b || (b.busy - a.busy) / (b.total - a.total) < 0.15) return;
  }
}
function spawnChild(st, cfg) {
  const before = machineCpu();
  const t0 = performance.now();
  const p = spawnSync(process.execPath, [self, '--child', `${st}:${cfg.name}`, '--dir', dir, '--steps', String(STEPS), '--warmup', String(WARMUP), '--batch', String(BATCH), '--seq', String(SEQ)], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
  const wallS = (performance.now() - t0) / 1000;
  const after = machineCpu();
  if (p.status !== 0) throw new Error(`bench child ${st}:${cfg.name} failed (${p.status}):\n${p.stderr}`);
  const r = JSON.parse(p.stdout.trim().split('\n').pop());
  // cores the rest of the machine kept busy meanwhile
  r.others = before && after ? Math.max(0, (after.busy - before.busy - r.cpuTotal) / wallS) : undefined;
  return r;
}

const configs = opt.configs.split(',').map(parseConfig);
const strategies = opt.strategies.split(',');
const loadStart = loadavg();
log(`measuring ${ROOT}: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, tfjs ${tf.version_core} wasm`);
log(`model: BERT-like d=${config.hidden} L=${config.layers} heads=${config.heads} ff=${config.intermediate} vocab=${config.vocabSize}; batch ${BATCH} × seq ${SEQ}; ${WARMUP} warm-up + ${STEPS} timed steps × ${ROUNDS} rounds`);
log(`load average at start: ${loadStart.map((x) => x.toFixed(2)).join(' ')}\n`);

const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const st of strategies) {
    for (const cfg of configs) {
      if (Number(opt['wait-idle']) > 0) await waitIdle();
      const r = spawnChild(st, cfg);
      const key = `${st}/${cfg.name}`;
      (results[key] ??= { strategy: st, config: cfg, runs: [] }).runs.push(r);
      log(`  round ${round + 1} ${key}: steps ${r.ms.map(fmtMs).join(', ')} ms; others ${r.others?.toFixed(2) ?? '?'} cores; peak RSS ${r.peakRssMB.toFixed(0)} MB`);
    }
  }
}
const loadEnd = loadavg();
const rowsOut = [];
const summary = [];
for (const st of strategies) {
  const serialKey = `${st}/serial`;
  const serialMed = results[serialKey] ? median(results[serialKey].runs.flatMap((r) => r.ms)) : undefined;
  for (const cfg of configs) {
    const res = results[`${st}/${cfg.name}`];
    const all = res.runs.flatMap((r) => r.ms);
    const med = median(all);
    const perRound = res.runs.map((r) => median(r.ms));
    const cpu = median(res.runs.map((r) => r.cpuPerStep));
    const b = res.runs.map((r) => r.breakdown).filter(Boolean);
    const avg = (f) => (b.length ? b.reduce((a, x) => a + f(x), 0) / b.length : undefined);
    const bd = b.length
      ? {
          sendMs: avg((x) => x.sendMs),
          localMs: avg((x) => x.localMs),
          waitMs: avg((x) => x.waitMs),
          combineMs: avg((x) => x.combineMs),
          workerMs: avg((x) => x.workerMs.reduce((p, q) => p + q, 0) / x.workerMs.length),
          mbPerCall: b[0].mbPerCall,
        }
      : undefined;
    const others = res.runs.map((r) => r.others).filter((x) => x !== undefined);
    const rss = Math.max(...res.runs.map((r) => r.peakRssMB));
    const row = { strategy: st, config: cfg.name, threads: cfg.threads, trainable: res.runs[0].trainable, stepMs: med, perRoundMs: perRound, speedup: serialMed ? serialMed / med : undefined, cpuSecondsPerStep: cpu, startMs: median(res.runs.map((r) => r.startMs)), breakdown: bd, othersCores: others, peakRssMB: rss };
    summary.push(row);
    rowsOut.push([
      st,
      cfg.name,
      String(cfg.threads),
      row.trainable.toLocaleString('en-US'),
      `**${fmtMs(med)}** (${perRound.map(fmtMs).join(' / ')})`,
      row.speedup ? `${row.speedup.toFixed(2)}×` : '–',
      cpu.toFixed(1),
      bd ? `${fmtMs(bd.sendMs)} / ${fmtMs(bd.localMs)} / ${fmtMs(bd.waitMs)} / ${fmtMs(bd.combineMs)} / ${fmtMs(bd.workerMs)}` : '–',
      bd ? bd.mbPerCall.toFixed(1) : '–',
      cfg.workers ? fmtMs(row.startMs) : '–',
      rss.toFixed(0),
      others.length ? others.map((x) => x.toFixed(2)).join(' / ') : '?',
    ]);
  }
}
rmSync(dir, { recursive: true, force: true });

if (opt.json) {
  console.log(JSON.stringify({ model: config, batch: BATCH, seq: SEQ, steps: STEPS, warmup: WARMUP, rounds: ROUNDS, machine: { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version }, loadavg: { start: loadStart, end: loadEnd }, results: summary }, null, 2));
} else {
  log('');
  log(table(['strategy', 'config', 'threads', 'trainable', 'step ms median (per round)', 'speed-up', 'CPU s/step', 'send / local / wait / combine / worker ms', 'MB sent', 'start ms', 'peak RSS MB', 'others (cores, per round)'], rowsOut));
  log(`\nload average (1/5/15 min) at start: ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end: ${loadEnd.map((x) => x.toFixed(2)).join(' ')}`);
}
