import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../src/ml/tf.js';
import { AdamW, clipByGlobalNorm } from '../../../src/ml/train/adamw.js';
import { defaultDecay, fit, mulberry32, shuffleOrder, type FitSpec } from '../../../src/ml/train/trainer.js';

interface Row {
  x: number[];
  y: number;
}

const DIM = 4;
const HIDDEN = 6;

/** Two classes split by a fixed hyperplane, with a little label noise. */
function makeData(n: number, seed: number): Row[] {
  const rand = mulberry32(seed);
  const w = [1.5, -2, 0.7, 1];
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: DIM }, () => rand() * 2 - 1);
    const s = x.reduce((a, xi, i) => a + xi * w[i], 0.2);
    return { x, y: (s > 0) !== rand() < 0.05 ? 1 : 0 };
  });
}

function initValues(seed: number): Record<string, { shape: number[]; data: Float32Array }> {
  const rand = mulberry32(seed);
  const u = (shape: number[], scale: number) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rand() * 2 - 1) * scale) });
  return { 'l1.weight': u([DIM, HIDDEN], 0.8), 'l1.bias': u([HIDDEN], 0.1), 'l2.weight': u([HIDDEN, 2], 0.8), 'l2.bias': u([2], 0.1) };
}

function makeVars(seed: number): Map<string, tf.Variable> {
  return new Map(Object.entries(initValues(seed)).map(([k, t]) => [k, tf.variable(tf.tensor(t.data, t.shape))]));
}

function setVars(vars: Map<string, tf.Variable>, seed: number) {
  for (const [k, t] of Object.entries(initValues(seed))) vars.get(k)!.assign(tf.tensor(t.data, t.shape));
}

function logits(vars: Map<string, tf.Variable>, rows: Row[]): tf.Tensor2D {
  const x = tf.tensor2d(rows.map((r) => r.x));
  const h = tf.relu(tf.add(tf.matMul(x, vars.get('l1.weight')! as tf.Tensor2D), vars.get('l1.bias')!));
  return tf.add(tf.matMul(h as tf.Tensor2D, vars.get('l2.weight')! as tf.Tensor2D), vars.get('l2.bias')!) as tf.Tensor2D;
}

/** Mean softmax cross-entropy. */
function meanLoss(vars: Map<string, tf.Variable>, rows: Row[]): tf.Scalar {
  const z = logits(vars, rows);
  const y = tf.oneHot(tf.tensor1d(rows.map((r) => r.y), 'int32'), 2);
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(z)), 1))) as tf.Scalar;
}

async function evaluateRows(vars: Map<string, tf.Variable>, rows: Row[]) {
  const [loss, pred] = tf.tidy(() => [meanLoss(vars, rows), tf.argMax(logits(vars, rows), 1)]);
  const p = await pred.data();
  const l = (await loss.data())[0];
  tf.dispose([loss, pred]);
  return { metrics: { loss: l, accuracy: rows.filter((r, i) => r.y === p[i]).length / rows.length } };
}

function weights(vars: Map<string, tf.Variable>): Record<string, number[]> {
  return Object.fromEntries([...vars].map(([k, v]) => [k, Array.from(v.dataSync())]));
}

function maxDiff(a: Record<string, number[]>, b: Record<string, number[]>) {
  return Math.max(...Object.keys(a).map((k) => Math.max(...a[k].map((x, i) => Math.abs(x - b[k][i])))));
}

function spec(vars: Map<string, tf.Variable>, train: Row[], extra: Partial<FitSpec<Row>> = {}): FitSpec<Row> {
  return { vars, train, batchSize: 8, lr: 0.05, schedule: 'constant', seed: 7, loss: (rows) => meanLoss(vars, rows), ...extra };
}

const dirs: string[] = [];
function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'ftr-train-'));
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  await useBackend('cpu');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('shuffleOrder / defaultDecay', () => {
  it('gives a seeded permutation', () => {
    const a = shuffleOrder(50, 3);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffleOrder(50, 3)).toEqual(a);
    expect(shuffleOrder(50, 4)).not.toEqual(a);
  });

  it('keeps decay off biases, norms and rank-1 variables', () => {
    expect(defaultDecay('encoder.layer.0.dense.weight', [8, 8])).toBe(true);
    expect(defaultDecay('embeddings.word', [100, 8])).toBe(true);
    expect(defaultDecay('dense.bias', [8, 8])).toBe(false);
    expect(defaultDecay('encoder.LayerNorm.weight', [8, 8])).toBe(false);
    expect(defaultDecay('h.0.ln_1.weight', [8, 8])).toBe(false);
    expect(defaultDecay('ln_f.g', [8, 8])).toBe(false);
    expect(defaultDecay('scale', [8])).toBe(false);
  });
});

describe('fit', () => {
  const train = makeData(64, 1);
  const val = makeData(32, 2);

  it('learns a learnable task and is deterministic for a seed', async () => {
    const vars = makeVars(11);
    const before = await evaluateRows(vars, val);
    const r = await fit(spec(vars, train, { epochs: 15 }));
    expect(r.steps).toBe(15 * 8);
    expect(r.epochs).toBe(15);
    const first = r.history.slice(0, 8).reduce((a, h) => a + h.loss, 0) / 8;
    const last = r.history.slice(-8).reduce((a, h) => a + h.loss, 0) / 8;
    expect(last).toBeLessThan(first * 0.7);
    const after = await evaluateRows(vars, val);
    // from chance (0.375 at this init) to most of the held-out rows (5% of labels are flipped)
    expect(after.metrics.accuracy).toBeGreaterThan(0.75);
    expect(after.metrics.accuracy - before.metrics.accuracy).toBeGreaterThan(0.3);
    expect(after.metrics.loss).toBeLessThan(before.metrics.loss);

    const again = makeVars(11);
    const r2 = await fit(spec(again, train, { epochs: 15 }));
    expect(weights(again)).toEqual(weights(vars));
    expect(r2.history).toEqual(r.history);
    const other = makeVars(11);
    await fit(spec(other, train, { epochs: 15, seed: 8 }));
    expect(weights(other)).not.toEqual(weights(vars));
    [vars, again, other].forEach((vs) => vs.forEach((v) => v.dispose()));
  });

  it('accumulating 2 micro-batches of 4 equals batches of 8', async () => {
    const a = makeVars(12);
    const b = makeVars(12);
    const ra = await fit(spec(a, train, { batchSize: 8, maxSteps: 12, weightDecay: 0.01 }));
    const rb = await fit(spec(b, train, { batchSize: 4, accumulate: 2, maxSteps: 12, weightDecay: 0.01 }));
    expect(rb.steps).toBe(12);
    expect(maxDiff(weights(a), weights(b))).toBeLessThan(1e-6);
    rb.history.forEach((h, i) => expect(Math.abs(h.loss - ra.history[i].loss)).toBeLessThan(1e-6));
    // a different batching really does change the result
    const c = makeVars(12);
    await fit(spec(c, train, { batchSize: 4, maxSteps: 12, weightDecay: 0.01 }));
    expect(maxDiff(weights(a), weights(c))).toBeGreaterThan(1e-3);
    [a, b, c].forEach((vs) => vs.forEach((v) => v.dispose()));
  });

  it('weights a short last micro-batch by its rows', async () => {
    // 22 rows, 3 micro-batches of 4 per step: the epoch's second step holds 4 + 4 + 2 rows
    const small = train.slice(0, 22);
    const a = makeVars(13);
    const b = makeVars(13);
    await fit(spec(a, small, { batchSize: 12, maxSteps: 6 }));
    await fit(spec(b, small, { batchSize: 4, accumulate: 3, maxSteps: 6 }));
    expect(maxDiff(weights(a), weights(b))).toBeLessThan(1e-6);
    [a, b].forEach((vs) => vs.forEach((v) => v.dispose()));
  });

  it('applies warm-up and the schedule, recording the rate of each step', async () => {
    const vars = makeVars(14);
    const r = await fit(spec(vars, train, { maxSteps: 8, schedule: 'linear', warmup: 0.25, lr: 0.1 }));
    // 2 warm-up steps from 0, then (8 - s) / 6
    const want = [0, 0.5, 1, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6].map((m) => 0.1 * m);
    r.history.forEach((h, i) => expect(h.lr).toBeCloseTo(want[i], 14));
    expect(r.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    vars.forEach((v) => v.dispose());
  });

  it('clips the global gradient norm and reports the norm before clipping', async () => {
    // one full batch per step: the same computation as a hand-written loop
    const run = async (clipNorm?: number) => {
      const vars = makeVars(15);
      const norms: number[] = [];
      await fit(spec(vars, train, { batchSize: 64, maxSteps: 3, clipNorm, onStep: (s) => norms.push(s.gradNorm) }));
      return { w: weights(vars), norms, vars };
    };
    const manual = (clipNorm: number) => {
      const vars = makeVars(15);
      const opt = new AdamW(vars, { weightDecay: 0 });
      const norms: number[] = [];
      const names = [...vars.keys()];
      for (let t = 0; t < 3; t++) {
        const { value, grads } = tf.variableGrads(() => meanLoss(vars, train), names.map((n) => vars.get(n)!));
        value.dispose();
        const named = new Map(names.map((n) => [n, grads[vars.get(n)!.name]]));
        const c = clipByGlobalNorm(named, clipNorm);
        norms.push(c.norm);
        opt.applyGradients(c.grads, 0.05);
        tf.dispose([...named.values(), ...c.grads.values()]);
      }
      opt.dispose();
      return { w: weights(vars), norms, vars };
    };
    // so tight that Adam's eps dominates: unclipped steps are ~10× larger
    const clipped = await run(1e-9);
    const plain = await run(undefined);
    const ref = manual(1e-9);
    expect(maxDiff(clipped.w, ref.w)).toBeLessThan(1e-6);
    clipped.norms.forEach((n, i) => expect(n).toBeCloseTo(ref.norms[i], 5));
    expect(clipped.norms[0]).toBeCloseTo(plain.norms[0], 5);
    expect(maxDiff(clipped.w, plain.w)).toBeGreaterThan(0.05);
    [clipped, plain, ref].forEach((r) => r.vars.forEach((v) => v.dispose()));
  });

  it('stops after `patience` evaluations without improvement and restores the best weights', async () => {
    const vars = makeVars(16);
    const script = [0.5, 0.7, 0.6, 0.7, 0.9, 0.95];
    let calls = 0;
    const seen = new Map<number, Record<string, number[]>>();
    const r = await fit(
      spec(vars, train, {
        val,
        maxSteps: 40,
        evalEvery: 1,
        evaluate: async () => ({ metrics: { accuracy: script[calls++] } }),
        onEval: (e) => seen.set(e.step, weights(vars)),
        earlyStopping: { metric: 'accuracy', patience: 2 },
      }),
    );
    // 0.7 at step 2; 0.6 and a tie at 0.7 are not improvements
    expect(r.stoppedEarly).toBe(true);
    expect(r.steps).toBe(4);
    expect(calls).toBe(4);
    expect(r.best).toEqual({ step: 2, metrics: { accuracy: 0.7 } });
    expect(weights(vars)).toEqual(seen.get(2));
    expect(weights(vars)).not.toEqual(seen.get(4));
    expect(r.evals.map((e) => e.step)).toEqual([1, 2, 3, 4]);
    vars.forEach((v) => v.dispose());
  });

  it('minimises metrics named loss, and evaluates at epoch ends', async () => {
    const vars = makeVars(17);
    const r = await fit(spec(vars, train, { val, epochs: 4, evaluate: (rows) => evaluateRows(vars, rows), earlyStopping: { metric: 'loss', patience: 10 } }));
    expect(r.evals.map((e) => [e.step, e.epoch])).toEqual([
      [8, 1],
      [16, 2],
      [24, 3],
      [32, 4],
    ]);
    const losses = r.evals.map((e) => e.metrics.loss);
    expect(r.best!.metrics.loss).toBe(Math.min(...losses));
    vars.forEach((v) => v.dispose());
  });

  it('does not leak tensors across steps', async () => {
    const vars = makeVars(18);
    const start = tf.memory().numTensors;
    const counts: number[] = [];
    await fit(spec(vars, train, { batchSize: 4, accumulate: 2, epochs: 2, clipNorm: 1, weightDecay: 0.1, val, evalEvery: 3, evaluate: (rows) => evaluateRows(vars, rows), onStep: () => counts.push(tf.memory().numTensors) }));
    expect(counts.length).toBe(16);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(start);
    vars.forEach((v) => v.dispose());
  });

  describe('checkpoints', () => {
    const data = makeData(40, 3); // 7 steps an epoch of 3+3 rows (the last 3+1)
    const resumable = (vars: Map<string, tf.Variable>, extra: Partial<FitSpec<Row>>): FitSpec<Row> =>
      spec(vars, data, {
        val,
        batchSize: 3,
        accumulate: 2,
        epochs: 3,
        lr: 0.03,
        schedule: 'cosine',
        warmup: 0.1,
        weightDecay: 0.01,
        clipNorm: 0.5,
        evalEvery: 4,
        evaluate: (rows) => evaluateRows(vars, rows),
        earlyStopping: { metric: 'loss', patience: 100 },
        ...extra,
      });

    let straight: { w: Record<string, number[]>; r: Awaited<ReturnType<typeof fit>> };
    beforeAll(async () => {
      const vars = makeVars(21);
      const r = await fit(resumable(vars, {}));
      straight = { w: weights(vars), r };
      vars.forEach((v) => v.dispose());
    });

    for (const stopAt of [5, 7, 10]) {
      it(`resumes after an abort at step ${stopAt} to exactly the uninterrupted weights`, async () => {
        const dir = tempDir();
        const checkpoint = { dir, everySteps: 3, key: 'run-a' };
        const vars = makeVars(21);
        const ac = new AbortController();
        const err = await fit(resumable(vars, { checkpoint, signal: ac.signal, onStep: (s) => s.step === stopAt && ac.abort() })).catch((e: Error) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).name).toBe('AbortError');
        expect(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).step).toBe(stopAt);

        // start from other weights: everything must come from the checkpoint
        setVars(vars, 99);
        const r = await fit(resumable(vars, { checkpoint }));
        expect(r.resumedFrom).toBe(stopAt);
        expect(weights(vars)).toEqual(straight.w);
        expect(r.history).toEqual(straight.r.history);
        expect(r.evals).toEqual(straight.r.evals);
        expect(r.best).toEqual(straight.r.best);
        expect(r.steps).toBe(21);

        // a finished run's checkpoint makes a rerun a no-op that returns the same model
        setVars(vars, 98);
        const again = await fit(resumable(vars, { checkpoint }));
        expect(again.resumedFrom).toBe(21);
        expect(weights(vars)).toEqual(straight.w);
        vars.forEach((v) => v.dispose());
      });
    }

    it('ignores a checkpoint written under another key', async () => {
      const dir = tempDir();
      const vars = makeVars(21);
      const ac = new AbortController();
      await expect(fit(resumable(vars, { checkpoint: { dir, everySteps: 100, key: 'old' }, signal: ac.signal, onStep: (s) => s.step === 6 && ac.abort() }))).rejects.toMatchObject({ name: 'AbortError' });
      setVars(vars, 21);
      const r = await fit(resumable(vars, { checkpoint: { dir, everySteps: 100, key: 'new' } }));
      expect(r.resumedFrom).toBeUndefined();
      expect(weights(vars)).toEqual(straight.w);
      expect(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).key).toBe('new');
      vars.forEach((v) => v.dispose());
    });

    it('refuses a same-key checkpoint made for other data', async () => {
      const dir = tempDir();
      const vars = makeVars(21);
      await fit(resumable(vars, { maxSteps: 2, checkpoint: { dir, everySteps: 1, key: 'k' } }));
      await expect(fit(resumable(vars, { maxSteps: 2, train: data.slice(0, 30), checkpoint: { dir, everySteps: 1, key: 'k' } }))).rejects.toThrow(/the key must cover the whole run configuration/);
      vars.forEach((v) => v.dispose());
    });

    it('lets an abort from a timer in between steps', async () => {
      const vars = makeVars(21);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 20);
      const err = await fit(resumable(vars, { epochs: undefined, maxSteps: 5000, evalEvery: undefined, earlyStopping: undefined, signal: ac.signal })).catch((e) => e);
      expect(err).toMatchObject({ name: 'AbortError' });
      expect(err.step).toBeLessThan(5000);
      vars.forEach((v) => v.dispose());
    });

    it('throws AbortError without a checkpoint when none is configured', async () => {
      const vars = makeVars(21);
      const ac = new AbortController();
      const err = await fit(resumable(vars, { signal: ac.signal, onStep: (s) => s.step === 2 && ac.abort() })).catch((e) => e);
      expect(err).toMatchObject({ name: 'AbortError', step: 2, checkpointed: false });
      vars.forEach((v) => v.dispose());
    });
  });
});
