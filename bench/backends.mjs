#!/usr/bin/env node
// Benchmark: one fine-tuning step per strategy on each backend ftr can train on — wasm (the
// embedded default), tensorflow (the native backend `npm run native` builds) — and on PyTorch
// (CPU), in one run (`--backends wasm,tensorflow,tensorflow-noonednn,torch` adds TensorFlow with oneDNN off), on the same 5.4M-parameter encoder, weights and batch (32 × 128).
//
//   npm run build && node bench/backends.mjs [--strategies full,lora] [--steps 3] [--warmup 1]
//        [--threads 1] [--python /tmp/ftr-bench-venv/bin/python] [--setup-venv] [--json-out FILE]
//
// Each backend × strategy runs in a process of its own, so its peak RSS (getrusage maxrss) is
// that configuration's alone: the model, the batch's activations and gradients, AdamW's state,
// and the runtime (the wasm heap never shrinks; libtensorflow; libtorch). Step time: the
// trainer's own per-step wall time and the process's CPU time between steps, median of --steps
// after --warmup. Threads: --threads for TensorFlow's intra-op pool (ftr's `workers`) and
// PyTorch (OMP/MKL); wasm runs on one thread in Node whatever the setting.
//
// PyTorch: bench/torch_encoder.py (the same BERT math written with torch ops; its forward pass on
// the saved weights is checked against ftr's) in a venv with the CPU wheel from the local pip
// index: `--setup-venv` makes it (python3 -m venv DIR && DIR/bin/pip install torch numpy).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median, ROOT, requireBuild, tempDir } from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    child: { type: 'string' },
    strategies: { type: 'string', default: 'full,lora' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string', default: '1' },
    backends: { type: 'string', default: 'wasm,tensorflow,torch' },
    python: { type: 'string', default: '/tmp/ftr-bench-venv/bin/python' },
    'setup-venv': { type: 'boolean', default: false },
    'json-out': { type: 'string' },
  },
});

const B = 32;
const T = 128;
const CONFIG = { family: 'bert', vocabSize: 8000, hidden: 256, layers: 4, heads: 4, intermediate: 1024, maxPositions: 512, typeVocab: 2, eps: 1e-12, act: 'gelu', dropout: 0.1, padId: 0 };
const TRAIN = { lr: 1e-4, weightDecay: 0.01, clipNorm: 1, seed: 1 };
const LORA = { r: 8, alpha: 16, dropout: 0.05, targets: ['query', 'value'] };
const LABELS = ['neg', 'pos'];
const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', ...p.split('/'))).href);

/** Deterministic ids in [5, vocab) and alternating labels: the same batch for every runtime. */
function batch() {
  let s = 11;
  const r = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ids = Int32Array.from({ length: B * T }, () => 5 + Math.floor(r() * (CONFIG.vocabSize - 5)));
  const labels = Int32Array.from({ length: B }, (_, i) => i % 2);
  return { ids, labels };
}

// ---------------------------------------------------------------------------------------------
// child: one backend × strategy

if (opt.child) {
  const a = JSON.parse(opt.child);
  const { useBackend } = await dist('ml/tf.js');
  const { Transformer } = await dist('ml/model.js');
  const { applyStrategy } = await dist('ml/strategy.js');
  const { taskLoss } = await dist('ml/finetune.js');
  const { fit } = await dist('ml/train/trainer.js');
  // tensorflow-noonednn: TensorFlow with its oneDNN kernels off (what silencing its banner would cost)
  if (a.backend === 'tensorflow-noonednn') process.env.TF_ENABLE_ONEDNN_OPTS = '0';
  const backend = await useBackend(a.backend.replace('-noonednn', ''), { threads: a.threads });
  if (a.backend === 'tensorflow-noonednn') backend.detail += ', oneDNN off';
  const model = Transformer.random({ ...CONFIG }, 'seq_cls', LABELS, 1);
  applyStrategy(model, { strategy: a.strategy, lora: LORA }, 8);
  const { ids, labels } = batch();
  const rows = Array.from({ length: B }, (_, i) => ({ id: `r${i}`, ids: ids.subarray(i * T, (i + 1) * T), label: labels[i], weight: 1 }));
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const walls = [];
  const cpuMs = [];
  const losses = [];
  let last = cpuNow();
  await fit({
    vars: model.params.trainableVars(),
    train: rows,
    batchSize: B,
    maxSteps: a.warmup + a.steps,
    lr: TRAIN.lr,
    schedule: 'constant',
    weightDecay: TRAIN.weightDecay,
    clipNorm: TRAIN.clipNorm,
    seed: TRAIN.seed,
    loss: (rs, training, ctx) => taskLoss(model, rs, training, ctx.seed % 1_000_000),
    onStep: (s) => {
      const c = cpuNow();
      losses.push(s.loss);
      if (s.step > a.warmup) {
        walls.push(s.ms);
        cpuMs.push(c - last);
      }
      last = c;
    },
  });
  const trainable = model.params.count((n) => model.params.isTrainable(n));
  console.log(JSON.stringify({ backend: backend.detail, ms: median(walls), cpuMs: median(cpuMs), maxRssKb: process.resourceUsage().maxRSS, trainable, losses }));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// parent

requireBuild();
const strategies = opt.strategies.split(',');
const backends = opt.backends.split(',');
const steps = Number(opt.steps);
const warmup = Number(opt.warmup);
const threads = Number(opt.threads);
const progress = (s) => process.stderr.write(`[backends] ${s}\n`);
const work = tempDir('backends');
const { findNative } = await dist('ml/native.js');

function sh(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  return { ok: r.status === 0, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}
const lastJson = (r) => {
  if (!r.ok) return { error: (r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' | ')) || `exit ${r.status}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { error: `unreadable output: ${r.stdout.slice(-300)}` };
  }
};

const lscpu = sh('lscpu', []).stdout;
const result = {
  machine: { nproc: cpus().length, model: /^Model name:\s*(.+)$/m.exec(lscpu)?.[1]?.trim(), memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, loadavgStart: loadavg() },
  settings: { batch: B, seq: T, steps, warmup, threads, config: CONFIG, train: TRAIN, lora: LORA },
  runs: {},
};

// the weights PyTorch trains from: ftr's model, saved as a Hugging Face folder
const { Transformer } = await dist('ml/model.js');
const { saveHf } = await dist('ml/hf.js');
// wasm: the reference forward pass below takes a minute on the pure-JS cpu backend
await (await dist('ml/tf.js')).useBackend('wasm');
const model = Transformer.random({ ...CONFIG }, 'seq_cls', LABELS, 1);
saveHf(join(work, 'model'), model);
const { ids, labels } = batch();
writeFileSync(join(work, 'ids.bin'), Buffer.from(ids.buffer));
writeFileSync(join(work, 'labels.bin'), Buffer.from(labels.buffer));
// ftr's pooled features ([CLS] of the last layer, eval mode) to check PyTorch's forward against
const { tf } = await dist('ml/tf.js');
const feats = tf.tidy(() => model.forward({ ids, mask: new Int32Array(B * T).fill(1), batch: B, seq: T }, { training: false }).hidden.slice([0, 0, 0], [B, 1, CONFIG.hidden]).dataSync());
model.dispose();

for (const backend of backends.filter((b) => b !== 'torch')) {
  result.runs[backend] = {};
  if (backend.startsWith('tensorflow') && !findNative()) {
    result.runs[backend] = { skipped: 'not installed: `npm run native`' };
    progress('tensorflow: not installed (npm run native), skipped');
    continue;
  }
  for (const strategy of strategies) {
    progress(`${backend} ${strategy}`);
    const r = lastJson(sh(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify({ backend, strategy, threads, steps, warmup })]));
    result.runs[backend][strategy] = { ...r, load: loadavg()[0] };
  }
}

if (backends.includes('torch')) {
  result.runs.torch = {};
  if (opt['setup-venv'] && !existsSync(opt.python)) {
    const dir = join(opt.python, '..', '..');
    progress(`making the PyTorch venv ${dir} (CPU wheel from the local pip index)`);
    sh('python3', ['-m', 'venv', dir]);
    const pip = sh(join(dir, 'bin', 'pip'), ['install', '--retries', '1', 'torch', 'numpy']);
    if (!pip.ok) progress(`pip install torch failed: ${pip.stderr.trim().split('\n').pop()}`);
  }
  const probe = sh(opt.python, ['-c', 'import torch; print(torch.__version__)']);
  if (!probe.ok) result.runs.torch = { skipped: `no torch in ${opt.python} (--setup-venv makes one)` };
  else {
    const py = readFileSync(new URL('./torch_encoder.py', import.meta.url), 'utf8');
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
    for (const strategy of strategies) {
      progress(`torch ${strategy}`);
      const out = join(work, 'torch-feats.bin');
      const args = { weights: join(work, 'model', 'model.safetensors'), ids: join(work, 'ids.bin'), labels: join(work, 'labels.bin'), batch: B, seq: T, layers: CONFIG.layers, heads: CONFIG.heads, hidden: CONFIG.hidden, eps: CONFIG.eps, dropout: CONFIG.dropout, out, reps: 1, warmup, steps, strategies: [strategy], lora: LORA, train: TRAIN };
      const r = lastJson(sh(opt.python, ['-c', py, JSON.stringify(args)], env));
      if (!r.error) {
        const theirs = new Float32Array(readFileSync(out).buffer.slice(0));
        r.forwardMaxAbsDiff = theirs.reduce((m, v, i) => Math.max(m, Math.abs(v - feats[i])), 0);
        const t = r.train[strategy];
        result.runs.torch[strategy] = { backend: `torch ${r.torch} (${r.threads} thread${r.threads === 1 ? '' : 's'}, ${r.capability})`, ms: t.wallMs, cpuMs: t.cpuMs, maxRssKb: r.maxRssKb, trainable: t.trainable, losses: t.loss, forwardMaxAbsDiff: r.forwardMaxAbsDiff, load: loadavg()[0] };
      } else result.runs.torch[strategy] = { ...r, load: loadavg()[0] };
    }
  }
}
result.loadavgEnd = loadavg();

// ---------------------------------------------------------------------------------------------
// report

const s = (ms) => (ms === undefined ? '–' : (ms / 1000).toFixed(2));
const gb = (kb) => (kb === undefined ? '–' : (kb / 2 ** 20).toFixed(2));
const torch = result.runs.torch ?? {};
console.log(`\nfine-tuning step, BERT 4×256 (5.4M parameters), batch ${B}×${T}, AdamW; ${threads} thread(s); median of ${steps} after ${warmup} warm-up\n`);
console.log('| strategy | runtime | wall s/step | CPU s/step | peak RSS GB | CPU time ÷ PyTorch |');
console.log('|---|---|---|---|---|---|');
for (const strategy of strategies) {
  for (const name of Object.keys(result.runs)) {
    const r = result.runs[name][strategy] ?? result.runs[name];
    if (r.skipped || r.error) {
      console.log(`| ${strategy} | ${name} | ${r.skipped ?? r.error} | | | |`);
      continue;
    }
    const ref = torch[strategy]?.cpuMs;
    console.log(`| ${strategy} | ${r.backend} | ${s(r.ms)} | ${s(r.cpuMs)} | ${gb(r.maxRssKb)} | ${ref ? `${(r.cpuMs / ref).toFixed(2)}×` : '–'} |`);
  }
}
for (const strategy of strategies) if (torch[strategy]?.forwardMaxAbsDiff !== undefined) console.log(`\nPyTorch's forward on the same weights vs ftr's (pooled [CLS] features): max |Δ| ${torch[strategy].forwardMaxAbsDiff.toExponential(2)}`);
console.log(`load average ${result.machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')} → ${result.loadavgEnd.map((x) => x.toFixed(2)).join(' ')} (1, 5, 15 min); ${result.machine.nproc} CPUs`);
if (opt['json-out']) writeFileSync(opt['json-out'], JSON.stringify(result, null, 2) + '\n');
