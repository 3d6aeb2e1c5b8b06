/**
 * GPT-2 decoding with a key/value cache (Transformer.decode): token by token, the logits equal
 * the full forward pass's at the last position — plain, with LoRA and with adapters — on every
 * backend, and the cache holds no tensors once disposed.
 */
import { expect, it } from 'vitest';
import { tf } from '../../src/ml/tf.js';
import { disposeKv, type KvCache, type Transformer } from '../../src/ml/model.js';
import { batchOf, describeBackends, maxAbs, maxAbsDiff, randomModel, randomize } from './helpers.js';

const PROMPT = [1, 7, 12, 33, 4];
const NEXT = [9, 21, 2, 40];

/** The full forward's logits after the last of `ids`. */
function lastLogits(model: ReturnType<typeof randomModel>, ids: number[]): Float32Array {
  return tf.tidy(() => model.forward(batchOf([ids]), { training: false, positions: Int32Array.of(ids.length - 1) }).logits!.dataSync() as Float32Array);
}

describeBackends()('KV-cached decoding on %s', () => {
  it.each([
    ['plain', (): void => {}],
    ['LoRA', (m: Transformer): void => void m.addLora({ r: 2, alpha: 4, dropout: 0.1, targets: ['all-linear'] }, 3)],
    ['Houlsby adapters', (m: Transformer): void => m.addAdapters({ placement: 'houlsby', size: 4, act: 'swish' }, 3)],
  ] as [string, (m: Transformer) => void][])('%s: every step`s logits are the full forward`s, and nothing leaks', (_, add) => {
    const model = randomModel('gpt2', 4, 'lm');
    try {
      add(model);
      randomize(model, (_n, role) => role !== 'base', 6, 0.3);
      const before = tf.memory().numTensors;
      let cache: KvCache | undefined;
      const ids = [...PROMPT];
      let r = model.decode(ids);
      cache = r.cache;
      expect(cache.length).toBe(PROMPT.length);
      const want0 = lastLogits(model, ids);
      expect(maxAbs(want0)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(r.logits, want0)).toBeLessThan(1e-5);
      for (const t of NEXT) {
        ids.push(t);
        r = model.decode([t], cache);
        cache = r.cache;
        expect(cache.length).toBe(ids.length);
        expect(maxAbsDiff(r.logits, lastLogits(model, ids)), `after ${ids.length} tokens`).toBeLessThan(1e-5);
      }
      // two layers' keys and values, nothing else
      expect(tf.memory().numTensors).toBe(before + 2 * model.config.layers);
      disposeKv(cache);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });

  it('is for GPT-2 without prompt or prefix tuning, and within its positions', () => {
    const bert = randomModel('bert', 1);
    expect(() => bert.decode([1, 2])).toThrow(/KV cache is for GPT-2/);
    bert.dispose();
    const gpt = randomModel('gpt2', 1, 'lm');
    expect(() => gpt.decode(Array.from({ length: 41 }, () => 1))).toThrow(/41 tokens is longer than the model's 40 positions/);
    gpt.dispose();
  });
});
