#!/usr/bin/env node
// Benchmark: fine-tuning throughput of the TensorFlow.js runtime ftr trains with.
//
//   npm run build && node bench/finetune.mjs [--quick] [--json | --json-out FILE] [--steps 3] [--cpu-batch 4]
//                                            [--torch-prefix DIR] [--wait-load 1]
//
// Parts (defaults: about 5 minutes of measuring on 2 cores; --quick: under a minute):
//   peak     single-core FP32 peak of this CPU, measured with a small C probe compiled here (gcc):
//            AVX-512 FMA, AVX2 FMA, and 128-bit mul + add (WebAssembly SIMD128 has no FMA: the
//            ceiling of the wasm backend, which runs on one thread in Node). Without gcc, the
//            figures of notes/finetune-tfjs.md §5.1 are used and labelled as such.
//   matmul   tf.matMul n×n·n×n (512, 1024) on wasm and cpu, median ms → GFLOP/s and % of the
//            peaks; numpy (OpenBLAS, 1 and 2 threads) on the same sizes as the anchor.
//   dense    one dense layer forward + backward on wasm: tfjs autodiff of tf.matMul (its
//            gradient uses transposed operands, which miss XNNPACK) vs ftr's custom gradient
//            (dist/ml/linear.js: explicit transposes, un-transposed products).
//   model    a BERT-like encoder (vocab 8000, hidden 256, 4 layers, 4 heads, FFN 1024, 512
//            positions, 2 labels; ≈ 5.4 M parameters, printed exactly) at batch 32 × seq 128.
//   train    per strategy on wasm (applyStrategy, taskLoss and the real trainer `fit`: AdamW,
//            clip-norm 1, dropout 0.1), median of --steps steps after --warmup steps:
//            full; frozen (the feature pass — one forward without gradient — and the head step on
//            cached features, separately); adapter (Houlsby, bottleneck 16); lora (r 8, α 16,
//            query + value); prompt (20 tokens); prefix (20 tokens). Tokens/s counts the batch's
//            B × T input tokens (prompt tokens not included).
//            cpu backend: full and lora only, at --cpu-batch rows (default 4: a 32-row step takes
//            minutes there), no warm-up; tokens/s is per token, so it compares with wasm's.
//            --profile full,lora: one more step of these strategies under tf.profile, time per kernel.
//   numpy    the same encoder's forward pass (eval, float32, OpenBLAS) in numpy, on the same
//            weights (written with saveHf) and ids — checked against ours — vs our wasm forward.
//            Forward only: numpy has no autodiff.
//   torch    PyTorch on CPU (the issue: "the same model and batch in PyTorch … where it is
//            available (Debian's python3-torch)"): the same encoder written with torch ops on the
//            same weights (forward checked against ours), AdamW, full and LoRA, 1 and 2 threads.
//            Looked for in `python3` and /usr/bin/python3; --torch-prefix DIR uses /usr/bin/python3
//            with Debian's python3-torch unpacked (not installed) under DIR (bench/debian-torch.sh).
//            When torch is missing the script says exactly why and records it.
//
// Every timing is wall time and the measuring process's CPU time (process.cpuUsage /
// time.process_time): on a shared machine wall time swings with the load, CPU time much less.
// --wait-load X waits (up to --wait-max s) until the 1-minute load average is below X first.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fmtInt, median, ROOT, table, tempDir } from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'json-out': { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string', default: '128' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    'cpu-batch': { type: 'string' },
    'cpu-steps': { type: 'string' },
    'no-cpu': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
    strategies: { type: 'string' },
    profile: { type: 'string' },
    python: { type: 'string', default: 'python3' },
    'torch-python': { type: 'string' },
    'torch-prefix': { type: 'string' },
    'torch-steps': { type: 'string' },
    'wait-load': { type: 'string' },
    'wait-max': { type: 'string', default: '600' },
    keep: { type: 'boolean', default: false },
  },
});
const Q = opt.quick;
const num = (v, d) => (v === undefined ? d : Number(v));
const B = num(opt.batch, Q ? 4 : 32);
const T = num(opt.seq, 128);
const STEPS = num(opt.steps, Q ? 1 : 3);
const WARMUP = num(opt.warmup, 1);
const CPU_B = num(opt['cpu-batch'], Q ? 1 : 4);
const CPU_STEPS = num(opt['cpu-steps'], Q ? 1 : 2);
const TORCH_STEPS = num(opt['torch-steps'], Q ? 2 : 5);
const MM_SIZES = Q ? [512] : [512, 1024];
const STRATS = (opt.strategies ?? 'full,frozen,adapter,lora,prompt,prefix').split(',');
const PROFILE = (opt.profile ?? (Q ? 'full' : 'full,lora')).split(',').filter(Boolean);
const LORA = { r: 8, alpha: 16, dropout: 0.05, targets: ['query', 'value'] };
const ADAPTER = { placement: 'houlsby', size: 16, act: 'swish' };
const VTOKENS = 20;
const CONFIG = { family: 'bert', vocabSize: 8000, hidden: 256, layers: 4, heads: 4, intermediate: 1024, maxPositions: 512, typeVocab: 2, eps: 1e-12, act: 'gelu', dropout: 0.1, padId: 0 };
const TRAIN = { lr: 1e-4, weightDecay: 0.01, clipNorm: 1, seed: 1 };

if (!existsSync(join(ROOT, 'dist', 'ml', 'model.js'))) {
  console.error('bench: dist/ml is missing — run `npm run build` first');
  process.exit(2);
}
const log = opt.json ? () => {} : (s = '') => console.log(s);
const t00 = performance.now();
const elapsed = () => `${((performance.now() - t00) / 1000).toFixed(0)} s`;
const progress = opt.json ? () => {} : (s) => process.stderr.write(`[${elapsed()}] ${s}\n`);

// ---------------------------------------------------------------------------------------------
// machine, load

function sh(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, maxBuffer: 64 << 20 });
  return { ok: r.status === 0, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}
const lscpu = sh('lscpu', []).stdout;
const field = (name) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(lscpu)?.[1]?.trim();
const flags = field('Flags') ?? '';
const machine = {
  cpu: field('Model name') ?? cpus()[0]?.model,
  vendor: field('Vendor ID'),
  family: field('CPU family'),
  model: field('Model'),
  nproc: Number(sh('nproc', []).stdout.trim()) || cpus().length,
  avx512: /\bavx512f\b/.test(flags),
  memGiB: totalmem() / 2 ** 30,
  node: process.version,
};

async function waitForLoad() {
  if (opt['wait-load'] === undefined) return;
  const limit = Number(opt['wait-load']);
  const until = Date.now() + Number(opt['wait-max']) * 1000;
  while (loadavg()[0] >= limit && Date.now() < until) {
    progress(`load average ${loadavg()[0].toFixed(2)} ≥ ${limit}: waiting`);
    await new Promise((r) => setTimeout(r, 15000));
  }
}
await waitForLoad();
const loadStart = loadavg();

// ---------------------------------------------------------------------------------------------
// tfjs and ftr

const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', ...p.split('/'))).href);
const { tf, useBackend } = await dist('ml/tf.js');
const { Transformer } = await dist('ml/model.js');
const { applyStrategy } = await dist('ml/strategy.js');
const { taskLoss } = await dist('ml/finetune.js');
const { crossEntropy } = await dist('ml/losses.js');
const { matmul: customMatmul } = await dist('ml/linear.js');
const { fit } = await dist('ml/train/trainer.js');
const { saveHf } = await dist('ml/hf.js');
const pkgVersion = (name) => {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', ...name.split('/'), 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
};
const versions = { tfjs: pkgVersion('@tensorflow/tfjs'), tfjsCore: tf.version_core, tfjsBackendWasm: pkgVersion('@tensorflow/tfjs-backend-wasm') };

const work = tempDir('finetune');
const result = { machine, versions, settings: { batch: B, seq: T, steps: STEPS, warmup: WARMUP, cpuBatch: CPU_B, cpuSteps: CPU_STEPS, torchSteps: TORCH_STEPS, quick: Q, config: CONFIG, train: TRAIN, lora: LORA, adapter: ADAPTER, virtualTokens: VTOKENS }, loadavgStart: loadStart };

/** wall ms and CPU ms (this process) of fn; fn's returned tensors are read back and disposed. */
function timeIt(fn) {
  const c = process.cpuUsage();
  const t = performance.now();
  const out = fn();
  const wall = performance.now() - t;
  const u = process.cpuUsage(c);
  return { wall, cpu: (u.user + u.system) / 1000, out };
}
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// ---------------------------------------------------------------------------------------------
// peak: a C probe (Appendix B of the notes, with the chains kept in registers and without
// mul+add contraction, which gcc does by default and which would turn the 128-bit test into FMA)

const PEAK_C = String.raw`#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define DECL(T,SET) T a0=SET(1.000f),a1=SET(1.001f),a2=SET(1.002f),a3=SET(1.003f),a4=SET(1.004f),a5=SET(1.005f),a6=SET(1.006f),a7=SET(1.007f),a8=SET(1.008f),a9=SET(1.009f),a10=SET(1.010f),a11=SET(1.011f); const T m=SET(0.999999f),c=SET(1e-7f);
#define ALL(OP) OP(a0);OP(a1);OP(a2);OP(a3);OP(a4);OP(a5);OP(a6);OP(a7);OP(a8);OP(a9);OP(a10);OP(a11);
#define SUM(ADD) ADD(ADD(ADD(ADD(a0,a1),ADD(a2,a3)),ADD(ADD(a4,a5),ADD(a6,a7))),ADD(ADD(a8,a9),ADD(a10,a11)))
__attribute__((target("avx512f"))) static float run512(long it){DECL(__m512,_mm512_set1_ps)
#define F512(x) x=_mm512_fmadd_ps(x,m,c)
  for(long k=0;k<it;k++){ALL(F512)} return _mm512_reduce_add_ps(SUM(_mm512_add_ps));}
__attribute__((target("avx2,fma"))) static float run256(long it){DECL(__m256,_mm256_set1_ps)
#define F256(x) x=_mm256_fmadd_ps(x,m,c)
  for(long k=0;k<it;k++){ALL(F256)} return _mm256_cvtss_f32(SUM(_mm256_add_ps));}
static float run128(long it){DECL(__m128,_mm_set1_ps)
#define F128(x) x=_mm_add_ps(_mm_mul_ps(x,m),c)
  for(long k=0;k<it;k++){ALL(F128)} return _mm_cvtss_f32(SUM(_mm_add_ps));}
int main(int argc,char**argv){
  int width=atoi(argv[1]); long it=atol(argv[2]); int reps=atoi(argv[3]); double best=0,sink=0;
  for(int r=0;r<reps;r++){double t0=now();sink+=width==512?run512(it):width==256?run256(it):run128(it);double dt=now()-t0;
    double fl=(double)it*12*(width/32.0)*2; if(fl/dt>best)best=fl/dt;}
  printf("%.3f\n",best/1e9); return sink==12345.0;}
`;
// §5.1 of notes/finetune-tfjs.md (AMD Zen 5, 2 cores): the fallback when nothing can be compiled
const NOTES_PEAK = { avx512: 205.1, avx2: 104.3, simd128: 52.3, source: 'notes/finetune-tfjs.md §5.1 (AMD EPYC Zen 5; not measured on this machine)' };

function measurePeak() {
  const src = join(work, 'peak.c');
  const bin = join(work, 'peak');
  writeFileSync(src, PEAK_C);
  const cc = sh('gcc', ['-O3', '-march=native', '-ffp-contract=off', src, '-o', bin]);
  if (!cc.ok) return { ...NOTES_PEAK, why: `gcc: ${(cc.error?.message ?? cc.stderr).trim().split('\n')[0]}` };
  // best of many short runs: on a shared machine some of them get a core to themselves
  const run = (w) => {
    if (w === 512 && !machine.avx512) return undefined;
    const r = sh(bin, [String(w), String(Q ? 2_000_000 : 5_000_000), String(Q ? 15 : 40)]);
    return r.ok ? Number(r.stdout.trim()) : undefined;
  };
  run(256); // frequency ramp-up
  return { avx512: run(512), avx2: run(256), simd128: run(128), source: 'measured here (gcc -O3 -march=native -ffp-contract=off; best of short runs, 1 thread)' };
}

// ---------------------------------------------------------------------------------------------
// Python helpers (numpy anchor, numpy forward, torch)

const PY_COMMON = String.raw`
import json, sys, time, os, math
import numpy as np
def med(xs):
    s = sorted(xs); n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
def read_st(path):
    b = open(path, 'rb').read()
    n = int.from_bytes(b[:8], 'little'); h = json.loads(b[8:8 + n]); base = 8 + n; out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']; assert v['dtype'] == 'F32', v['dtype']
        out[k] = np.frombuffer(b, dtype='<f4', count=(e - s) // 4, offset=base + s).reshape(v['shape'])
    return out
def blas_core():
    import ctypes, glob
    for pat in [os.path.join(os.path.dirname(np.__file__), '..', 'numpy.libs', '*openblas*'), os.path.join(os.path.dirname(np.__file__), '.libs', '*openblas*')]:
        for lib in glob.glob(pat):
            try:
                l = ctypes.CDLL(lib)
                for sym in ['scipy_openblas_get_config64_', 'openblas_get_config64_', 'openblas_get_config']:
                    if hasattr(l, sym):
                        f = getattr(l, sym); f.restype = ctypes.c_char_p; return f().decode()
            except OSError: pass
    return None
`;

const PY_MATMUL = PY_COMMON + String.raw`
sizes = json.loads(sys.argv[1]); res = {'numpy': np.__version__, 'blas': blas_core(), 'ms': {}}
rng = np.random.default_rng(0)
for n in sizes:
    a = rng.random((n, n), dtype=np.float32); b = rng.random((n, n), dtype=np.float32)
    for _ in range(3): a @ b
    ts = []
    for _ in range(20 if n <= 512 else 8):
        t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
    res['ms'][str(n)] = med(ts) * 1000
print(json.dumps(res))
`;

// the encoder's forward (eval) in numpy on a Hugging Face BertForSequenceClassification state dict
const PY_NUMPY_FORWARD = PY_COMMON + String.raw`
a = json.loads(sys.argv[1])
W = read_st(a['weights']); B, T, L, H, d = a['batch'], a['seq'], a['layers'], a['heads'], a['hidden']; dh = d // H; eps = a['eps']
ids = np.fromfile(a['ids'], dtype='<i4').reshape(B, T)
try:
    from scipy.special import erf; gelu_impl = 'scipy.special.erf'
except ImportError:
    erf = np.vectorize(math.erf, otypes=[np.float32]); gelu_impl = 'math.erf (vectorized; slow)'
def ln(x, p):
    m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * W[p + '.weight'] + W[p + '.bias']
def lin(x, p): return x @ W[p + '.weight'].T + W[p + '.bias']
def forward(ids):
    e = 'bert.embeddings'
    x = W[e + '.word_embeddings.weight'][ids] + W[e + '.position_embeddings.weight'][:T] + W[e + '.token_type_embeddings.weight'][0]
    x = ln(x, e + '.LayerNorm').reshape(B * T, d)
    for l in range(L):
        p = 'bert.encoder.layer.%d' % l
        q, k, v = (lin(x, p + '.attention.self.' + m).reshape(B, T, H, dh).transpose(0, 2, 1, 3) for m in ('query', 'key', 'value'))
        s = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(dh))
        s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B * T, d)
        h1 = ln(lin(ctx, p + '.attention.output.dense') + x, p + '.attention.output.LayerNorm')
        f = lin(h1, p + '.intermediate.dense'); f = f * np.float32(0.5) * (1 + erf(f * np.float32(math.sqrt(0.5))))
        x = ln(lin(f, p + '.output.dense') + h1, p + '.output.LayerNorm')
    return x.reshape(B, T, d)[:, 0, :]
feats = forward(ids)
walls, cpus = [], []
for _ in range(a['reps']):
    c = time.process_time(); t = time.perf_counter(); forward(ids); walls.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
np.asarray(feats, dtype='<f4').tofile(a['out'])
print(json.dumps({'numpy': np.__version__, 'blas': blas_core(), 'gelu': gelu_impl, 'wallMs': med(walls) * 1000, 'cpuMs': med(cpus) * 1000, 'dtype': str(feats.dtype)}))
`;

// the same encoder in torch ops, on the same weights; eval forward checked, then training steps
// the PyTorch side lives in its own file, shared with bench/backends.mjs
const PY_TORCH = readFileSync(new URL('./torch_encoder.py', import.meta.url), 'utf8');

/** Run a Python snippet: parsed JSON of its last stdout line, or { error } with the reason. */
function python(cmd, src, arg, env) {
  const r = sh(cmd, ['-c', src, JSON.stringify(arg)], env);
  if (!r.ok) return { error: (r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' | ')) || `exit ${r.status}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { error: `unreadable output: ${r.stdout.slice(-300)}` };
  }
}

// ---------------------------------------------------------------------------------------------
// matmul GFLOP/s

function tfMatmul(n, reps) {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const once = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  once();
  const walls = [];
  const cpuMs = [];
  for (let i = 0; i < reps; i++) {
    const r = timeIt(once);
    walls.push(r.wall);
    cpuMs.push(r.cpu);
  }
  a.dispose();
  b.dispose();
  return { n, ms: median(walls), cpuMs: median(cpuMs), gflops: (2 * n ** 3) / (median(walls) * 1e6) };
}

// the dense layer: x [rows, in] · W [in, out], forward + dX + dW, autodiff vs custom gradient
function denseLayer(rows, inDim, outDim, reps) {
  const x = tf.randomNormal([rows, inDim], 0, 1, 'float32', 3);
  const w = tf.randomNormal([inDim, outDim], 0, 0.05, 'float32', 4);
  const run = (mm) => {
    const g = tf.grads((xi, wi) => tf.sum(mm(xi, wi)));
    const once = () => {
      const gs = g([x, w]);
      for (const t of gs) t.dataSync();
      tf.dispose(gs);
    };
    once();
    const walls = [];
    for (let i = 0; i < reps; i++) walls.push(timeIt(once).wall);
    return median(walls);
  };
  const autodiff = run((xi, wi) => tf.matMul(xi, wi));
  const custom = run((xi, wi) => customMatmul(xi, wi, true));
  x.dispose();
  w.dispose();
  const flop = 3 * 2 * rows * inDim * outDim;
  return { shape: `[${rows},${inDim}]·[${inDim},${outDim}]`, autodiffMs: autodiff, customMs: custom, autodiffGflops: flop / (autodiff * 1e6), customGflops: flop / (custom * 1e6), speedup: autodiff / custom };
}

// ---------------------------------------------------------------------------------------------
// the model

const rand = (seed) => {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};
/** `rows` examples of T random ids in [5, vocab) (ids 0–4 would be specials), labels alternating. */
function examples(rows, seed = 11) {
  const r = rand(seed);
  return Array.from({ length: rows }, (_, i) => ({ id: `r${i}`, ids: Int32Array.from({ length: T }, () => 5 + Math.floor(r() * (CONFIG.vocabSize - 5))), label: i % 2, weight: 1 }));
}
const LABELS = ['neg', 'pos'];
function newModel(strategy) {
  const m = Transformer.random({ ...CONFIG }, 'seq_cls', LABELS, 1);
  if (strategy) applyStrategy(m, { strategy, lora: LORA, adapter: ADAPTER, tokens: VTOKENS }, 8);
  return m;
}

/** Matrix-product FLOPs of one forward pass over `rows` sequences (T tokens, `extra` prompt tokens, P prefix keys). */
function forwardFlops(rows, { prompt = 0, prefix = 0 } = {}) {
  const { hidden: d, intermediate: ff, layers: L } = CONFIG;
  const Tq = T + prompt;
  const Tk = Tq + prefix;
  const perLayer = 2 * Tq * (4 * d * d + 2 * d * ff) + 2 * 2 * Tq * Tk * d;
  return rows * (L * perLayer + 2 * d * d + 2 * d * 2);
}

/** The trainer's steps: wall ms (fit's own per-step timing) and CPU ms between step ends. */
async function trainSteps(model, rows, batch, warmup, steps) {
  const walls = [];
  const cpuMs = [];
  const losses = [];
  let lastCpu = cpuNow();
  const r = await fit({
    vars: model.params.trainableVars(),
    train: rows,
    batchSize: batch,
    maxSteps: warmup + steps,
    lr: TRAIN.lr,
    schedule: 'constant',
    weightDecay: TRAIN.weightDecay,
    clipNorm: TRAIN.clipNorm,
    seed: TRAIN.seed,
    loss: (rs, training, ctx) => taskLoss(model, rs, training, ctx.seed % 1_000_000),
    onStep: (s) => {
      const c = cpuNow();
      losses.push(s.loss);
      if (s.step > warmup) {
        walls.push(s.ms);
        cpuMs.push(c - lastCpu);
      }
      lastCpu = c;
    },
  });
  return { ms: median(walls), cpuMs: median(cpuMs), allMs: walls, losses, steps: r.steps };
}

/**
 * One more training step under tf.profile: time per kernel (wasm runs kernels synchronously, so
 * each is timed alone). Matrix products are split by shape: 2-D (dense layers; XNNPACK when the
 * operands are not transposed) and batched (attention scores and context, and their gradients).
 */
async function profileStep(model, rows, batch) {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await fit({ vars: model.params.trainableVars(), train: rows, batchSize: batch, maxSteps: 1, lr: TRAIN.lr, schedule: 'constant', weightDecay: TRAIN.weightDecay, clipNorm: TRAIN.clipNorm, seed: TRAIN.seed + 1, loss: (rs, training, ctx) => taskLoss(model, rs, training, ctx.seed % 1_000_000) });
    return [];
  });
  const wall = performance.now() - t0;
  const by = new Map();
  const backend = tf.getBackend();
  for (const k of info.kernels) {
    // a custom-gradient op shows up as its scope ("forward") around the kernels it runs: not a kernel
    if (!tf.getKernel(k.name, backend)) continue;
    let name = k.name;
    if (name === 'BatchMatMul' || name === '_FusedMatMul') {
      const a = k.inputShapes[0] ?? [];
      const batchDims = a.slice(0, -2).reduce((x, y) => x * y, 1);
      name = batchDims > 1 ? 'BatchMatMul, batched (attention)' : 'BatchMatMul, 2-D (dense layers)';
    }
    const e = by.get(name) ?? { kernel: name, ms: 0, calls: 0, flops: 0 };
    e.ms += k.kernelTimeMs;
    e.calls++;
    if (name.startsWith('BatchMatMul')) {
      // 2·(output size)·(inner dimension); a transposed operand shows as a's rows ≠ the output's
      const a = k.inputShapes[0];
      const o = k.outputShapes[0];
      const inner = a[a.length - 2] === o[o.length - 2] ? a[a.length - 1] : a[a.length - 2];
      e.flops += 2 * o.reduce((x, y) => x * y, 1) * inner;
    }
    by.set(name, e);
  }
  const kernels = [...by.values()].sort((x, y) => y.ms - x.ms);
  const kernelMs = kernels.reduce((a, k) => a + k.ms, 0);
  return { wallMs: wall, kernelMs, kernels };
}

/** frozen: the feature pass as finetune.ts does it (base forward, no gradient, first position). */
function featurePass(model, rows) {
  const ids = new Int32Array(rows.length * T);
  rows.forEach((e, i) => ids.set(e.ids, i * T));
  const batch = { ids, mask: new Int32Array(rows.length * T).fill(1), batch: rows.length, seq: T };
  return tf.tidy(() => {
    model.task = 'none';
    try {
      const out = model.forward(batch, { training: false });
      return model.sequenceFeatures(out.hidden, batch.mask, batch).dataSync();
    } finally {
      model.task = 'seq_cls';
    }
  });
}

async function frozenHead(model, feats, rows, steps) {
  const d = CONFIG.hidden;
  const fr = rows.map((e, i) => ({ x: feats.subarray(i * d, (i + 1) * d), label: e.label, weight: 1 }));
  const walls = [];
  let lastCpu = cpuNow();
  const cpuMs = [];
  const warm = 5;
  await fit({
    vars: model.params.trainableVars(),
    train: fr,
    batchSize: rows.length,
    maxSteps: warm + steps,
    lr: TRAIN.lr,
    schedule: 'constant',
    weightDecay: TRAIN.weightDecay,
    clipNorm: TRAIN.clipNorm,
    seed: TRAIN.seed,
    loss: (rs) => {
      const x = new Float32Array(rs.length * d);
      rs.forEach((r, i) => x.set(r.x, i * d));
      return crossEntropy(model.classifyFeatures(tf.tensor2d(x, [rs.length, d])), Int32Array.from(rs.map((r) => r.label)), Float32Array.from(rs.map((r) => r.weight)));
    },
    onStep: (s) => {
      const c = cpuNow();
      if (s.step > warm) {
        walls.push(s.ms);
        cpuMs.push(c - lastCpu);
      }
      lastCpu = c;
    },
  });
  return { ms: median(walls), cpuMs: median(cpuMs) };
}

// ---------------------------------------------------------------------------------------------
// run

progress(`load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}; measuring ${ROOT}`);
progress('peak FLOP/s probe');
const peak = measurePeak();
result.peak = peak;
const pct = (g, p) => (p ? `${((100 * g) / p).toFixed(1)}%` : '–');

// numpy anchor
progress('numpy matmul anchor');
const numpyMm = {};
for (const threads of [1, 2]) {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  numpyMm[threads] = { ...python(opt.python, PY_MATMUL, MM_SIZES, env), load: loadavg()[0] };
}
result.numpyMatmul = numpyMm;

const wasm = await useBackend('wasm');
const wasmFlags = { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') };
result.wasm = { backend: wasm, flags: wasmFlags };
progress('wasm matmul');
result.matmul = { wasm: MM_SIZES.map((n) => tfMatmul(n, Q ? 3 : n <= 512 ? 10 : 5)) };

progress('wasm dense layer: autodiff vs custom gradient');
result.dense = [denseLayer(B * T, CONFIG.hidden, CONFIG.intermediate, Q ? 1 : 3), denseLayer(B * T, CONFIG.intermediate, CONFIG.hidden, Q ? 1 : 3)];

// the model's size
const probe = newModel();
const total = probe.params.count();
const embeddings = probe.params.count((n) => n.includes('.embeddings.'));
const head = probe.params.count((_, role) => role === 'head');
result.model = { params: total, embeddings, encoder: total - embeddings - head, head, flopsPerForward: forwardFlops(B), flopsPerToken: forwardFlops(1) / T };
probe.dispose();

const rows = examples(B);
const tokens = B * T;
const strategies = [];
const profiles = {};
for (const s of STRATS) {
  progress(`wasm ${s}`);
  const m = newModel(s);
  const trainable = m.params.count((n) => m.params.isTrainable(n));
  const extra = s === 'prompt' ? { prompt: VTOKENS } : s === 'prefix' ? { prefix: VTOKENS } : {};
  const F = forwardFlops(B, extra);
  if (s === 'frozen') {
    featurePass(m, rows); // warm-up
    const walls = [];
    const cpuMs = [];
    let feats;
    for (let i = 0; i < Math.max(STEPS, 1); i++) {
      const r = timeIt(() => featurePass(m, rows));
      walls.push(r.wall);
      cpuMs.push(r.cpu);
      feats = r.out;
    }
    const headStep = await frozenHead(m, feats, rows, Q ? 5 : 30);
    strategies.push({ strategy: 'frozen: feature pass', trainable: 0, total: m.params.count(), ms: median(walls), cpuMs: median(cpuMs), flops: F, note: 'forward without gradient, once per example (cached on disk)' });
    strategies.push({ strategy: 'frozen: head step', trainable, total: m.params.count(), ms: headStep.ms, cpuMs: headStep.cpuMs, flops: 3 * 2 * B * (CONFIG.hidden * CONFIG.hidden + CONFIG.hidden * 2), note: `per epoch, on ${B} cached feature vectors` });
  } else {
    const r = await trainSteps(m, rows, B, WARMUP, STEPS);
    // full: forward + dX + dW everywhere (≈ 3 forwards); the others need dX down to layer 0 but
    // (almost) no dW of the base: ≈ 2 forwards
    strategies.push({ strategy: s, trainable, total: m.params.count(), ms: r.ms, cpuMs: r.cpuMs, allMs: r.allMs, losses: r.losses, flops: (s === 'full' ? 3 : 2) * F });
    if (PROFILE.includes(s)) {
      progress(`wasm ${s}: one step under tf.profile`);
      profiles[s] = await profileStep(m, rows, B);
    }
  }
  m.dispose();
}
for (const s of strategies) {
  s.tokensPerS = tokens / (s.ms / 1000);
  s.tokensPerCpuS = tokens / (s.cpuMs / 1000);
  s.gflops = s.flops / (s.ms * 1e6);
}
result.strategies = strategies;
result.profiles = profiles;

// our forward for the numpy / torch comparisons, on weights the Python side reads
progress('wasm forward (eval) + weights for numpy / torch');
const ref = newModel('frozen');
saveHf(join(work, 'model'), ref);
const ids = new Int32Array(B * T);
rows.forEach((e, i) => ids.set(e.ids, i * T));
writeFileSync(join(work, 'ids.bin'), Buffer.from(ids.buffer));
writeFileSync(join(work, 'labels.bin'), Buffer.from(Int32Array.from(rows.map((e) => e.label)).buffer));
const ourFeats = Float32Array.from(featurePass(ref, rows));
const fw = strategies.find((s) => s.strategy === 'frozen: feature pass');
const ourForward = fw ? { ms: fw.ms, cpuMs: fw.cpuMs } : (() => {
  const r = [];
  for (let i = 0; i < 2; i++) r.push(timeIt(() => featurePass(ref, rows)));
  return { ms: median(r.map((x) => x.wall)), cpuMs: median(r.map((x) => x.cpu)) };
})();
ref.dispose();
const maxDiff = (file) => {
  const b = readFileSync(file);
  const other = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  let m = 0;
  for (let i = 0; i < ourFeats.length; i++) m = Math.max(m, Math.abs(other[i] - ourFeats[i]));
  return other.length === ourFeats.length ? m : NaN;
};
const pyArgs = { weights: join(work, 'model', 'model.safetensors'), ids: join(work, 'ids.bin'), labels: join(work, 'labels.bin'), batch: B, seq: T, layers: CONFIG.layers, heads: CONFIG.heads, hidden: CONFIG.hidden, eps: CONFIG.eps, dropout: CONFIG.dropout };

progress('numpy forward');
result.numpyForward = {};
for (const threads of [1, 2]) {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  const out = join(work, `np-feats-${threads}.bin`);
  const load = loadavg()[0];
  const r = { ...python(opt.python, PY_NUMPY_FORWARD, { ...pyArgs, out, reps: Q ? 2 : 5 }, env), load };
  if (!r.error) r.maxAbsDiff = maxDiff(out);
  result.numpyForward[threads] = r;
}
result.ourForward = ourForward;

// ---------------------------------------------------------------------------------------------
// PyTorch

function findTorch() {
  const tried = [];
  let env = process.env;
  const prefix = opt['torch-prefix'];
  if (prefix) {
    const lib = (p) => join(prefix, p);
    env = {
      ...process.env,
      PYTHONPATH: lib('usr/lib/python3/dist-packages'),
      LD_LIBRARY_PATH: ['usr/lib/x86_64-linux-gnu/openblas-pthread', 'usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu', 'usr/lib', 'usr/lib/x86_64-linux-gnu/lapack'].map(lib).join(':'),
    };
  }
  const cands = opt['torch-python'] ? [opt['torch-python']] : prefix ? ['/usr/bin/python3'] : [...new Set([opt.python, '/usr/bin/python3'])];
  for (const py of cands) {
    const r = sh(py, ['-c', 'import sys, torch; print(torch.__version__, sys.version.split()[0])'], env);
    if (r.ok) {
      const [version, pyVersion] = r.stdout.trim().split(' ');
      return { python: py, env, version, pyVersion, prefix, tried };
    }
    const why = r.error ? r.error.message : r.stderr.trim().split('\n').pop();
    const ver = sh(py, ['-c', 'import sys; print(sys.version.split()[0], sys.executable)']).stdout.trim();
    tried.push(`${py}${ver ? ` (Python ${ver})` : ''}: ${why}`);
  }
  const dpkg = sh('dpkg-query', ['-W', '-f', '${Status} ${Version}', 'python3-torch']);
  const policy = /Candidate:\s*(\S+)/.exec(sh('apt-cache', ['policy', 'python3-torch']).stdout)?.[1];
  tried.push(`Debian python3-torch: ${dpkg.ok ? dpkg.stdout.trim() : 'not installed'}${policy ? ` (apt candidate ${policy})` : ''}`);
  return { tried };
}

if (opt['no-torch']) result.torch = { skipped: '--no-torch' };
else {
  progress('PyTorch');
  const found = findTorch();
  if (!found.python) result.torch = { available: false, why: found.tried };
  else {
    result.torch = { available: true, python: found.python, pyVersion: found.pyVersion, version: found.version, prefix: found.prefix, runs: {} };
    for (const threads of Q ? [1] : [1, 2]) {
      progress(`PyTorch, ${threads} thread(s)`);
      const env = { ...found.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
      const out = join(work, `torch-feats-${threads}.bin`);
      const load = loadavg()[0];
      const r = { ...python(found.python, PY_TORCH, { ...pyArgs, out, reps: Q ? 1 : 3, warmup: 1, steps: TORCH_STEPS, strategies: ['full', 'lora'], lora: LORA, train: TRAIN }, env), load };
      if (!r.error) r.maxAbsDiff = maxDiff(out);
      result.torch.runs[threads] = r;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// cpu backend (slow: last)

if (!opt['no-cpu']) {
  const cpuBe = await useBackend('cpu');
  result.cpu = { backend: cpuBe };
  progress('cpu matmul');
  result.matmul.cpu = MM_SIZES.map((n) => tfMatmul(n, Q ? 1 : n <= 512 ? 3 : 2));
  const cpuRows = examples(CPU_B);
  result.cpu.strategies = [];
  for (const s of ['full', 'lora']) {
    progress(`cpu ${s} (batch ${CPU_B})`);
    const m = newModel(s);
    const r = await trainSteps(m, cpuRows, CPU_B, 0, CPU_STEPS);
    const F = forwardFlops(CPU_B);
    result.cpu.strategies.push({ strategy: s, batch: CPU_B, ms: r.ms, cpuMs: r.cpuMs, allMs: r.allMs, tokensPerS: (CPU_B * T) / (r.ms / 1000), tokensPerCpuS: (CPU_B * T) / (r.cpuMs / 1000), gflops: ((s === 'full' ? 3 : 2) * F) / (r.ms * 1e6) });
    m.dispose();
  }
}

result.loadavgEnd = loadavg();
result.wallS = (performance.now() - t00) / 1000;
if (!opt.keep) rmSync(work, { recursive: true, force: true });
else result.workDir = work;

// ---------------------------------------------------------------------------------------------
// report

if (opt['json-out']) writeFileSync(opt['json-out'], JSON.stringify(result, null, 2) + '\n');
if (opt.json) {
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
const f1 = (x) => (x === undefined || Number.isNaN(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const la = (l) => l.map((x) => x.toFixed(2)).join(' ');
log(`machine: ${machine.cpu} (${machine.vendor}, family ${machine.family} model ${machine.model}${machine.avx512 ? ', AVX-512' : ''}), nproc ${machine.nproc}, ${machine.memGiB.toFixed(0)} GiB; Node ${machine.node}; tfjs ${versions.tfjs} (core ${versions.tfjsCore}), backend ${wasm.detail} (SIMD ${wasmFlags.simd}, threads ${wasmFlags.threads})`);
log(`load average at start ${la(loadStart)}, at end ${la(result.loadavgEnd)}; ${result.wallS.toFixed(0)} s in all${Q ? ' (--quick)' : ''}`);
log();
log(`### Peak FP32 FLOP/s, one core (${peak.source}${peak.why ? `; ${peak.why}` : ''})`);
log();
log(table(['unit', 'GFLOP/s'], [['AVX-512 FMA', f1(peak.avx512)], ['AVX2 FMA', f1(peak.avx2)], ['128-bit mul + add (the wasm SIMD128 ceiling)', f1(peak.simd128)]]));
log();
log(`### matmul n×n·n×n, median (fractions of the one-core peaks above)`);
log();
const mmRows = [];
for (const [name, list] of [['tfjs wasm', result.matmul.wasm], ['tfjs cpu', result.matmul.cpu ?? []]]) for (const r of list) mmRows.push([name, r.n, f1(r.ms), f1(r.gflops), pct(r.gflops, peak.avx512), pct(r.gflops, peak.simd128)]);
for (const th of [1, 2]) {
  const r = numpyMm[th];
  if (r.error) mmRows.push([`numpy, ${th} thread(s)`, '–', r.error, '', '', '']);
  else for (const n of MM_SIZES) {
    const g = (2 * n ** 3) / (r.ms[n] * 1e6);
    mmRows.push([`numpy ${r.numpy} (OpenBLAS), ${th} thread${th > 1 ? `s (load ${r.load.toFixed(1)})` : ''}`, n, f1(r.ms[n]), f1(g), pct(g, th * peak.avx512) + (th > 1 ? ' (of 2 cores)' : ''), pct(g, th * peak.simd128)]);
  }
}
log(table(['', 'n', 'ms', 'GFLOP/s', '% AVX-512 peak', '% 128-bit ceiling'], mmRows));
if (numpyMm[1]?.blas) log(`\nnumpy BLAS: ${numpyMm[1].blas}`);
log();
log(`### Dense layer forward + backward on wasm (dX and dW): tfjs autodiff vs ftr's custom gradient`);
log();
log(table(['x · W', 'autodiff ms', 'GFLOP/s', 'custom ms', 'GFLOP/s', 'speed-up'], result.dense.map((r) => [r.shape, f1(r.autodiffMs), f1(r.autodiffGflops), f1(r.customMs), f1(r.customGflops), `${r.speedup.toFixed(1)}×`])));
log();
const M = result.model;
log(`### Training step, wasm: BERT-like encoder, ${fmtInt(M.params)} parameters (embeddings ${fmtInt(M.embeddings)}, encoder ${fmtInt(M.encoder)}, head ${fmtInt(M.head)}), batch ${B} × seq ${T}`);
log(`forward ≈ ${(M.flopsPerForward / 1e9).toFixed(1)} GFLOP of matrix products (${(M.flopsPerToken / 1e6).toFixed(2)} MFLOP/token); median of ${STEPS} step(s) after ${WARMUP} warm-up`);
log();
log(
  table(
    ['strategy', 'trainable', 'ms/step', 'CPU ms/step', 'tokens/s', 'tokens/CPU-s', '≈ GFLOP/s', '% 128-bit ceiling'],
    strategies.map((s) => [s.strategy, `${fmtInt(s.trainable)} (${((100 * s.trainable) / s.total).toFixed(2)}%)`, f1(s.ms), f1(s.cpuMs), fmtInt(s.tokensPerS), fmtInt(s.tokensPerCpuS), f1(s.gflops), pct(s.gflops, peak.simd128)]),
  ),
);
log(`\nGFLOP/s counts matrix products only: full ≈ 3 forwards, adapter/lora/prompt/prefix ≈ 2 (dX through every layer, almost no dW), the feature pass 1.`);
for (const [s, p] of Object.entries(profiles)) {
  log();
  log(`### Where a \`${s}\` step's time goes (wasm, one step under tf.profile: ${f1(p.wallMs)} ms wall, ${f1(p.kernelMs)} ms in kernels)`);
  log();
  const top = p.kernels.slice(0, 8);
  const rest = p.kernels.slice(8);
  const restMs = rest.reduce((a, k) => a + k.ms, 0);
  const rowsP = top.map((k) => [k.kernel, k.calls, f1(k.ms), pct(k.ms, p.wallMs), k.flops ? `${f1(k.flops / 1e9)} GFLOP, ${f1(k.flops / (k.ms * 1e6))} GFLOP/s` : '']);
  if (rest.length) rowsP.push([`${rest.length} other kernels`, rest.reduce((a, k) => a + k.calls, 0), f1(restMs), pct(restMs, p.wallMs), '']);
  rowsP.push(['outside kernels (JS: op dispatch, autodiff tape, trainer)', '–', f1(p.wallMs - p.kernelMs), pct(p.wallMs - p.kernelMs, p.wallMs), '']);
  log(table(['kernel', 'calls', 'ms', 'share', 'matrix products'], rowsP));
}
if (result.cpu) {
  log();
  log(`### Training step, cpu backend (pure JS), batch ${CPU_B} × seq ${T}, median of ${CPU_STEPS} step(s), no warm-up`);
  log();
  log(table(['strategy', 'ms/step', 'CPU ms/step', 'tokens/s', 'tokens/CPU-s', '≈ GFLOP/s', 'wasm / cpu (tokens/s)'], result.cpu.strategies.map((s) => {
    const w = strategies.find((x) => x.strategy === s.strategy);
    return [s.strategy, f1(s.ms), f1(s.cpuMs), fmtInt(s.tokensPerS), fmtInt(s.tokensPerCpuS), f1(s.gflops), w ? `${(w.tokensPerS / s.tokensPerS).toFixed(1)}×` : '–'];
  })));
}
log();
log(`### Forward only (eval, to the [CLS] features), batch ${B} × seq ${T}: numpy vs ours`);
log();
const fwdRows = [['ftr, tfjs wasm (1 thread)', f1(ourForward.ms), f1(ourForward.cpuMs), fmtInt(tokens / (ourForward.ms / 1000)), '1.00×', '–']];
for (const th of [1, 2]) {
  const r = result.numpyForward[th];
  if (r.error) fwdRows.push([`numpy, ${th} thread(s)`, r.error, '', '', '', '']);
  else fwdRows.push([`numpy ${r.numpy} float32 (OpenBLAS, ${th} thread${th > 1 ? `s; load ${r.load.toFixed(1)}` : ''})`, f1(r.wallMs), f1(r.cpuMs), fmtInt(tokens / (r.wallMs / 1000)), `${(ourForward.ms / r.wallMs).toFixed(1)}×`, r.maxAbsDiff.toExponential(1)]);
}
log(table(['', 'ms', 'CPU ms', 'tokens/s', 'speed vs ours', 'max |Δ| features'], fwdRows));
log();
log('### PyTorch (CPU)');
log();
const tr = result.torch;
if (tr.skipped) log(`skipped (${tr.skipped})`);
else if (!tr.available) {
  log('PyTorch is not available here, so there is no PyTorch comparison in this run:');
  for (const w of tr.why) log(`- ${w}`);
} else {
  const r1 = Object.values(tr.runs).find((r) => !r.error);
  log(`torch ${tr.version} on ${tr.python} (Python ${tr.pyVersion})${tr.prefix ? `, Debian's python3-torch unpacked under ${tr.prefix} (not installed; bench/debian-torch.sh)` : ''}${r1?.capability ? `; CPU capability ${r1.capability}` : ''}${r1?.blas ? `; BLAS ${r1.blas}` : ''}`);
  log();
  const rowsT = [];
  for (const [th, r] of Object.entries(tr.runs)) {
    if (r.error) {
      rowsT.push([`${th} thread(s)`, 'error', r.error, '', '', '', '']);
      continue;
    }
    rowsT.push([`forward (eval), ${th} thread${th > 1 ? `s (load ${r.load.toFixed(1)})` : ''}`, '–', f1(r.forwardMs), '–', fmtInt(tokens / (r.forwardMs / 1000)), `${(ourForward.ms / r.forwardMs).toFixed(1)}×`, `max |Δ| ${r.maxAbsDiff.toExponential(1)}`]);
    for (const [s, t] of Object.entries(r.train)) {
      const ours = strategies.find((x) => x.strategy === s);
      rowsT.push([`${s}, ${th} thread${th > 1 ? 's' : ''}`, fmtInt(t.trainable), f1(t.wallMs), f1(t.cpuMs), fmtInt(tokens / (t.wallMs / 1000)), ours ? `${(ours.ms / t.wallMs).toFixed(1)}×` : '–', `matmul 1024³ ${f1((2 * 1024 ** 3) / (r.matmul1024Ms * 1e6))} GFLOP/s`]);
    }
  }
  log(table(['torch', 'trainable', 'ms/step', 'CPU ms/step', 'tokens/s', 'torch speed vs ours (wasm)', 'notes'], rowsT));
}
