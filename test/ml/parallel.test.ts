/**
 * Data-parallel gradients (src/ml/parallel.ts): worker threads give the single-process gradients
 * of a micro-batch (dropout off, up to float rounding), whether the calling thread takes a shard
 * or not; training with workers is deterministic; a worker's error reaches the caller.
 *
 * The workers run the build (dist/ml/grad-worker.js): `npm test` builds first; alone, run
 * `npx tsc -p tsconfig.build.json` before this file.
 */
import { existsSync, rmSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/ml/tf.js';
import { loadPretrained, saveHf, type Loaded } from '../../src/ml/hf.js';
import { applyStrategy, type StrategySpec } from '../../src/ml/strategy.js';
import { runFinetune, taskLoss, type TrainSettings } from '../../src/ml/finetune.js';
import { GradientWorkers, lossWeight, modelSettings, shardBounds, type WorkerSetup } from '../../src/ml/parallel.js';
import { fit } from '../../src/ml/train/trainer.js';
import type { Example } from '../../src/ml/data.js';
import type { Task } from '../../src/ml/model.js';
import { maxAbs, maxAbsDiff, rand, randomModel, randomize, tempDir } from './helpers.js';

const WORKER = fileURLToPath(new URL('../../dist/ml/grad-worker.js', import.meta.url));
const dirs: string[] = [];
let bertDir: string;
let gptDir: string;

beforeAll(async () => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: build first (npx tsc -p tsconfig.build.json)`);
  await useBackend('wasm');
  bertDir = tempDir('ftr-parallel-');
  gptDir = tempDir('ftr-parallel-');
  dirs.push(bertDir, gptDir);
  for (const [dir, family] of [[bertDir, 'bert'], [gptDir, 'gpt2']] as const) {
    const base = randomModel(family, 4, 'none');
    saveHf(dir, base);
    base.dispose();
  }
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Classification rows of 3…12 tokens (so shards pad differently), uneven row weights. */
function clsExamples(n: number, seed: number): Example[] {
  const r = rand(seed);
  return Array.from({ length: n }, (_, i) => {
    const len = 3 + Math.floor(r() * 10);
    const ids = Int32Array.from({ length: len }, (_, t) => (t === 0 ? 1 : 2 + Math.floor(r() * 48)));
    return { id: `r${i}`, ids, label: ids.includes(7) || i % 3 === 0 ? 1 : 0, weight: 0.5 + r() * 1.5 };
  });
}

/** Causal-LM rows: targets = next token, -100 on a prompt of varying length, so shards score different token counts. */
function lmExamples(n: number, seed: number): Example[] {
  const r = rand(seed);
  return Array.from({ length: n }, (_, i) => {
    const len = 4 + Math.floor(r() * 9);
    const ids = Int32Array.from({ length: len }, () => 1 + Math.floor(r() * 49));
    const prompt = Math.floor(r() * (len - 2));
    const targets = Int32Array.from({ length: len }, (_, t) => (t < prompt || t === len - 1 ? -100 : ids[t + 1]));
    return { id: `l${i}`, ids, targets, weight: 0.5 + r() };
  });
}

const LORA: StrategySpec = { strategy: 'lora', lora: { r: 2, alpha: 4, dropout: 0, targets: ['all-linear'] } };
const FULL: StrategySpec = { strategy: 'full' };

function setupOf(baseDir: string, task: Task, labels: string[], strategy: StrategySpec): WorkerSetup {
  return { baseDir, task, labels, strategy, seed: 11, backend: 'wasm' };
}

/**
 * The caller's model as a worker builds it, dropout off and (encoders) mean pooling, which the
 * setup then carries; every trained variable moved off its init (LoRA B starts at zero).
 */
async function callerModel(s: WorkerSetup): Promise<Loaded> {
  const model = await loadPretrained(s.baseDir, { task: s.task, labels: s.labels, seed: s.seed });
  model.config.dropout = 0;
  if (model.config.family !== 'gpt2') model.pooling = 'mean';
  applyStrategy(model, s.strategy, s.seed + 7);
  randomize(model, (n) => model.params.isTrainable(n), 5, 0.05);
  s.model = modelSettings(model);
  return model;
}

function serialGrads(model: Loaded, rows: Example[]) {
  const vars = model.params.trainableVars();
  const names = [...vars.keys()];
  const { value, grads } = tf.variableGrads(() => taskLoss(model, rows, true, 0), names.map((n) => vars.get(n)!));
  const out = new Map(names.map((n) => [n, grads[vars.get(n)!.name].dataSync() as Float32Array]));
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

describe('shards', () => {
  it('split contiguously, the first n mod k one row longer', () => {
    expect(shardBounds(10, 3)).toEqual([[0, 4], [4, 7], [7, 10]]);
    expect(shardBounds(2, 3)).toEqual([[0, 1], [1, 2], [2, 2]]);
  });

  it('weigh a shard by its scored targets × row weight', () => {
    expect(lossWeight([{ id: 'a', ids: new Int32Array(3), label: 0, weight: 2 }, { id: 'b', ids: new Int32Array(3), label: 1, weight: 0.5 }])).toBe(2.5);
    expect(lossWeight([{ id: 'a', ids: new Int32Array(3), targets: Int32Array.from([-100, 4, 5]), weight: 2 }])).toBe(4);
  });
});

describe('GradientWorkers give the single-process gradients (wasm, dropout 0)', () => {
  const cases = [
    { name: 'bert seq_cls, lora', dir: () => bertDir, task: 'seq_cls' as Task, labels: ['no', 'yes'], strategy: LORA, rows: () => clsExamples(13, 3) },
    { name: 'bert seq_cls, full', dir: () => bertDir, task: 'seq_cls' as Task, labels: ['no', 'yes'], strategy: FULL, rows: () => clsExamples(13, 3) },
    { name: 'gpt2 lm, full', dir: () => gptDir, task: 'lm' as Task, labels: [], strategy: FULL, rows: () => lmExamples(11, 5) },
  ];

  it.each(cases)('$name: 2 workers, and this thread + 1 worker', async (c) => {
    const s = setupOf(c.dir(), c.task, c.labels, c.strategy);
    const model = await callerModel(s);
    const rows = c.rows();
    const want = serialGrads(model, rows);
    const vars = model.params.trainableVars();
    for (const [n, local] of [[2, undefined], [1, (r: Example[], seed: number) => taskLoss(model, r, true, seed)]] as const) {
      const workers = await GradientWorkers.start(n, s, { local });
      try {
        expect(workers.shards).toBe(2);
        const got = await workers.gradients(rows, { seed: 9 }, vars);
        expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5);
        expect([...got.grads.keys()]).toEqual([...want.grads.keys()]);
        let worst = 0;
        for (const [name, g] of got.grads) {
          worst = Math.max(worst, maxAbsDiff(g.dataSync(), want.grads.get(name)!));
          g.dispose();
        }
        expect(worst).toBeLessThan(1e-5);
        // the comparison means something: the gradients are not all ~0
        expect(Math.max(...[...want.grads.values()].map(maxAbs))).toBeGreaterThan(1e-3);
      } finally {
        await workers.close();
      }
    }
    model.dispose();
  });

  it('one shard on this thread is the plain step, bit for bit', async () => {
    const s = setupOf(bertDir, 'seq_cls', ['no', 'yes'], LORA);
    const model = await callerModel(s);
    const rows = clsExamples(6, 8);
    const want = serialGrads(model, rows);
    const workers = await GradientWorkers.start(0, s, { local: (r, seed) => taskLoss(model, r, true, seed) });
    const got = await workers.gradients(rows, { seed: 0 }, model.params.trainableVars());
    expect(got.loss).toBe(want.loss);
    for (const [name, g] of got.grads) {
      expect(maxAbsDiff(g.dataSync(), want.grads.get(name)!)).toBe(0);
      g.dispose();
    }
    await workers.close();
    model.dispose();
  });
});

describe('training with workers', () => {
  const SETTINGS: TrainSettings = { batchSize: 8, accumulate: 2, epochs: 1, maxSteps: 3, lr: 2e-2, schedule: 'linear', warmup: 0, weightDecay: 0.01, clipNorm: 1, seed: 3, metric: 'loss' };

  async function train(workers: number, dropout: number) {
    const result = await runFinetune({
      baseDir: bertDir,
      task: 'seq_cls',
      labels: ['no', 'yes'],
      strategy: { strategy: 'lora', lora: { r: 2, alpha: 4, dropout, targets: ['query', 'value'] } },
      train: SETTINGS,
      backend: 'wasm',
      dropout,
      workers,
      data: { train: clsExamples(40, 21), val: [], test: [] },
    });
    const weights = new Map([...result.model.params.trainableVars()].map(([n, v]) => [n, Float32Array.from(v.dataSync())]));
    result.model.dispose();
    return { weights, losses: result.fit.history.map((h) => h.loss) };
  }

  it('gives the same weights on every run (dropout on)', async () => {
    const a = await train(3, 0.1);
    const b = await train(3, 0.1);
    expect(a.losses).toEqual(b.losses);
    for (const [n, w] of a.weights) expect(maxAbsDiff(w, b.weights.get(n)!), n).toBe(0);
  });

  it('follows the single-process run with dropout off', async () => {
    const a = await train(2, 0);
    const b = await train(1, 0);
    for (let i = 0; i < a.losses.length; i++) expect(Math.abs(a.losses[i] - b.losses[i])).toBeLessThan(1e-4);
    for (const [n, w] of a.weights) expect(maxAbsDiff(w, b.weights.get(n)!), n).toBeLessThan(1e-4);
  });
});

describe('errors', () => {
  it("a worker's failure surfaces, naming the worker", async () => {
    const s = setupOf(bertDir, 'seq_cls', ['no', 'yes'], LORA);
    const model = await callerModel(s);
    const vars = model.params.trainableVars();
    const workers = await GradientWorkers.start(2, s);
    try {
      const rows = clsExamples(4, 1);
      // the second shard (worker 1) gets a row longer than the model's 40 positions
      rows[3] = { ...rows[3], ids: new Int32Array(60).fill(3) };
      await expect(workers.gradients(rows, { seed: 1 }, vars)).rejects.toThrow(/gradient worker 1: .*longer than the model's 40 positions/);
      // the workers survive a failed request
      const ok = await workers.gradients(clsExamples(4, 1), { seed: 1 }, vars);
      tf.dispose([...ok.grads.values()]);
    } finally {
      await workers.close();
    }
    await expect(workers.gradients(clsExamples(4, 1), { seed: 1 }, vars)).rejects.toThrow(/closed/);
    model.dispose();
  });

  it('a worker that dies makes later calls fail, naming it', async () => {
    const s = setupOf(bertDir, 'seq_cls', ['no', 'yes'], LORA);
    const model = await callerModel(s);
    const workers = await GradientWorkers.start(2, s);
    try {
      const exited = new Promise((resolve) => (workers as unknown as { handles: { worker: Worker }[] }).handles[1].worker.once('exit', resolve));
      await (workers as unknown as { handles: { worker: Worker }[] }).handles[1].worker.terminate();
      await exited;
      await expect(workers.gradients(clsExamples(4, 1), { seed: 1 }, model.params.trainableVars())).rejects.toThrow(/gradient worker 1 exited/);
    } finally {
      await workers.close();
    }
    model.dispose();
  });

  it('a worker that cannot load the model fails start', async () => {
    const missing = tempDir('ftr-parallel-');
    dirs.push(missing);
    await expect(GradientWorkers.start(2, setupOf(missing, 'seq_cls', ['no', 'yes'], LORA))).rejects.toThrow(/gradient worker \d: .*no config\.json/);
  });

  it('variables the workers do not train are refused', async () => {
    const s = setupOf(bertDir, 'seq_cls', ['no', 'yes'], LORA);
    const model = await callerModel({ ...s, strategy: FULL });
    const workers = await GradientWorkers.start(1, s);
    try {
      await expect(workers.gradients(clsExamples(4, 1), { seed: 1 }, model.params.trainableVars())).rejects.toThrow(/does not train/);
    } finally {
      await workers.close();
    }
    model.dispose();
  });

  it('fit passes a gradients error on', async () => {
    const v = tf.variable(tf.zeros([2]));
    await expect(
      fit({
        vars: new Map([['w', v]]),
        train: [1, 2, 3],
        batchSize: 2,
        maxSteps: 1,
        lr: 0.1,
        seed: 1,
        gradients: async () => {
          throw new Error('boom');
        },
      }),
    ).rejects.toThrow('boom');
    v.dispose();
  });
});
