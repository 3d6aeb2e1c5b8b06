/**
 * The kernel patch (src/ml/tf.ts): the embedding gradient — tf.gather's gradient, an
 * UnsortedSegmentSum — on the cpu and wasm backends against a plain-JS scatter-add, with
 * repeated ids; and the backends agreeing with each other on whole-model forwards and gradients.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/ml/tf.js';
import { applyStrategy } from '../../src/ml/strategy.js';
import { taskLoss } from '../../src/ml/finetune.js';
import type { Example } from '../../src/ml/data.js';
import type { Family } from '../../src/ml/config.js';
import { describeBackends, FAMILY_LIST, maxAbs, maxAbsDiff, rand, randomModel, randomize, run, values } from './helpers.js';

const VOCAB = 11;
const DIM = 3;

/** dE of Σ gather(E, ids) ∘ R: row v collects every R row whose id is v (float64). */
function scatterAddReference(ids: number[], R: Float32Array, rows: number, dim: number): Float64Array {
  const out = new Float64Array(rows * dim);
  ids.forEach((id, i) => {
    if (id < 0 || id >= rows) return;
    for (let j = 0; j < dim; j++) out[id * dim + j] += R[i * dim + j];
  });
  return out;
}

describeBackends()('embedding gradient on %s', (backend) => {
  // repeats (3 ×4, 0 ×2), the first and last rows, rows never used
  const ids = [3, 0, 3, 7, 10, 3, 0, 3, 5];
  const r = rand(7);
  const R = Float32Array.from({ length: ids.length * DIM }, () => r() * 2 - 1);
  const E = Float32Array.from({ length: VOCAB * DIM }, () => r() * 2 - 1);

  it('scatter-adds the upstream rows, repeated ids summed', async () => {
    await useBackend(backend);
    const g = tf.tidy(() => {
      const e = tf.tensor2d(E, [VOCAB, DIM]);
      return tf.grad((et: tf.Tensor) => tf.sum(tf.mul(tf.gather(et, tf.tensor1d(ids, 'int32')), tf.tensor2d(R, [ids.length, DIM]))))(e).dataSync();
    });
    const want = scatterAddReference(ids, R, VOCAB, DIM);
    expect(g.length).toBe(want.length);
    expect(maxAbsDiff(g, want)).toBeLessThan(1e-6);
    // rows no id picked get exactly zero
    for (const row of [1, 2, 4, 6, 8, 9]) expect(Array.from(g.subarray(row * DIM, (row + 1) * DIM))).toEqual([0, 0, 0]);
  });

  it('handles 2-D ids (a [batch, seq] lookup) and an inner shape of rank 2', async () => {
    await useBackend(backend);
    const ids2 = [
      [4, 4, 1],
      [9, 4, 0],
    ];
    const inner = [2, 2];
    const width = inner[0] * inner[1];
    const r2 = rand(11);
    const up = Float32Array.from({ length: 6 * width }, () => r2() * 2 - 1);
    const g = tf.tidy(() => {
      const e = tf.zeros([VOCAB, ...inner]);
      return tf.grad((et: tf.Tensor) => tf.sum(tf.mul(tf.gather(et, tf.tensor2d(ids2, [2, 3], 'int32')), tf.tensor(up, [2, 3, ...inner]))))(e).dataSync();
    });
    expect(maxAbsDiff(g, scatterAddReference(ids2.flat(), up, VOCAB, width))).toBeLessThan(1e-6);
  });

  it('tf.unsortedSegmentSum: sums per segment, drops negative and out-of-range ids (TensorFlow: out-of-range is an error)', async () => {
    await useBackend(backend);
    const x = Float32Array.from({ length: 6 * 2 }, (_, i) => i + 1);
    const seg = [2, -1, 2, 0, 5, 0];
    const sum = (ids: number[]) => tf.tidy(() => Array.from(tf.unsortedSegmentSum(tf.tensor2d(x, [6, 2]), tf.tensor1d(ids, 'int32'), 4).dataSync()));
    // segment 0: rows 3, 5; segment 2: rows 0, 2; row 1 (id −1) and row 4 (id 5 ≥ 4) dropped
    const want = [7 + 11, 8 + 12, 0, 0, 1 + 5, 2 + 6, 0, 0];
    if (backend !== 'tensorflow') expect(sum(seg)).toEqual(want);
    else {
      // the native kernel checks its ids (the embedding gradient never has an out-of-range one)
      expect(() => sum(seg)).toThrow(/segment_ids\[4\] = 5 is out of range/);
      expect(sum([2, -1, 2, 0, -1, 0])).toEqual(want);
    }
  });

  it('trains a tied-embedding LM step (gather + transposed product into the same table)', async () => {
    await useBackend(backend);
    const model = randomModel('gpt2', 3);
    try {
      applyStrategy(model, { strategy: 'full' }, 0);
      const emb = model.params.get(model.embeddingName());
      const ex: Example = { id: 'a', ids: Int32Array.from([1, 4, 4, 9, 2]), targets: Int32Array.from([4, 4, 9, 2, -100]), weight: 1 };
      const { value, grads } = tf.variableGrads(() => taskLoss(model, [ex], true), [emb]);
      const g = grads[emb.name].dataSync();
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      // every row gets the output-projection gradient, so no row is exactly zero
      expect(maxAbs(g)).toBeGreaterThan(0);
      for (let row = 0; row < model.config.vocabSize; row++) expect(maxAbs(g.subarray(row * model.config.hidden, (row + 1) * model.config.hidden)), `row ${row}`).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      model.dispose();
    }
  });
});

/**
 * Whole-model agreement between the backends: same weights, same batch, logits within 1e-4;
 * and the gradients of one training step within a small relative error.
 */
describe.each(FAMILY_LIST)('cpu and wasm agree on %s', (family: Family) => {
  afterAll(async () => {
    await useBackend('cpu');
  });

  async function onBackend(backend: 'cpu' | 'wasm', weights?: Map<string, Float32Array>) {
    await useBackend(backend);
    const model = randomModel(family, 5);
    // LoRA with non-zero B, a Houlsby adapter with non-zero up-projection and a head with O(1)
    // logits (the random init's 0.02 std gives ~1e-2): every code path carries signal
    applyStrategy(model, { strategy: 'lora', lora: { r: 2, alpha: 4, dropout: 0, targets: ['all-linear'] } }, 1);
    model.addAdapters({ placement: 'houlsby', size: 4, act: 'gelu' }, 2);
    randomize(model, (_, role) => role === 'lora' || role === 'adapter', 9, 0.1);
    randomize(model, (_, role) => role === 'head', 10, 0.5);
    if (weights) {
      const m = new Map([...weights].map(([n, d]) => [n, { shape: [...model.params.get(n).shape], data: d }]));
      model.params.assign(m);
    }
    model.params.setTrainable(() => true);
    const out = run(model);
    const ex: Example[] =
      family === 'gpt2'
        ? [{ id: 'a', ids: Int32Array.from([3, 9, 9, 1, 30]), targets: Int32Array.from([9, 9, 1, 30, -100]), weight: 1 }]
        : [
            { id: 'a', ids: Int32Array.from([1, 7, 3, 3, 2]), label: 1, weight: 1 },
            { id: 'b', ids: Int32Array.from([1, 4, 2]), label: 0, weight: 1 },
          ];
    const vars = model.params.trainableVars();
    const { value, grads } = tf.variableGrads(() => taskLoss(model, ex, true), [...vars.values()]);
    const g = new Map([...vars].map(([n, v]) => [n, Float32Array.from(grads[v.name].dataSync())]));
    tf.dispose([value, ...Object.values(grads)]);
    const w = values(model);
    model.dispose();
    return { out, g, w };
  }

  it('logits within 1e-4 and gradients within 1e-3 relative', async () => {
    const cpu = await onBackend('cpu');
    const wasm = await onBackend('wasm', cpu.w);
    expect(maxAbs(cpu.out.logits)).toBeGreaterThan(0.1);
    expect(maxAbsDiff(wasm.out.hidden, cpu.out.hidden)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(wasm.out.logits, cpu.out.logits)).toBeLessThanOrEqual(1e-4);
    expect([...wasm.g.keys()]).toEqual([...cpu.g.keys()]);
    for (const [n, gc] of cpu.g) {
      const scale = Math.max(maxAbs(gc), 1e-6);
      expect(maxAbsDiff(wasm.g.get(n)!, gc) / scale, n).toBeLessThan(1e-3);
    }
  });
});
