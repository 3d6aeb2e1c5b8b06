import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/ml/tf.js';
import { balancedClassWeights, crossEntropy } from '../../src/ml/losses.js';
import { IGNORE } from '../../src/ml/data.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** -log softmax(logits)[target], in float64. */
function nll(row: number[], target: number): number {
  const m = Math.max(...row);
  const z = row.reduce((a, x) => a + Math.exp(x - m), 0);
  return -(row[target] - m - Math.log(z));
}

describe('crossEntropy', () => {
  const logits = [
    [2, 0, -1],
    [0.5, 0.5, 0],
    [-1, 3, 1],
    [0, 0, 0],
  ];

  it('is the weighted mean Σ wᵢ·ℓᵢ / Σ wᵢ (torch CrossEntropyLoss(weight=…)), skipping -100 targets', () => {
    const targets = Int32Array.from([0, 2, IGNORE, 1]);
    const weights = Float32Array.from([1, 3, 5, 0.5]);
    const got = tf.tidy(() => crossEntropy(tf.tensor2d(logits), targets, weights).dataSync()[0]);
    const want = (1 * nll(logits[0], 0) + 3 * nll(logits[1], 2) + 0.5 * nll(logits[3], 1)) / (1 + 3 + 0.5);
    expect(got).toBeCloseTo(want, 5);
    const plain = tf.tidy(() => crossEntropy(tf.tensor2d(logits), Int32Array.from([0, 2, 1, 1])).dataSync()[0]);
    expect(plain).toBeCloseTo((nll(logits[0], 0) + nll(logits[1], 2) + nll(logits[2], 1) + nll(logits[3], 1)) / 4, 5);
  });

  it('is 0 when every target is ignored or weighs nothing', () => {
    expect(tf.tidy(() => crossEntropy(tf.tensor2d(logits), Int32Array.from([IGNORE, IGNORE, IGNORE, IGNORE])).dataSync()[0])).toBe(0);
    expect(tf.tidy(() => crossEntropy(tf.tensor2d(logits), Int32Array.from([0, 1, 2, 0]), new Float32Array(4)).dataSync()[0])).toBe(0);
  });
});

describe('balancedClassWeights', () => {
  it("is n / (k · countᵢ) like scikit-learn's class_weight='balanced'; an absent class gets 0", () => {
    // sklearn.utils.class_weight.compute_class_weight('balanced', classes=[0,1,2], y=[0,0,0,1]) → [0.667, 2.0] for the present ones
    expect(balancedClassWeights([0, 0, 0, 1], 2)).toEqual([4 / (2 * 3), 4 / (2 * 1)]);
    expect(balancedClassWeights([0, 0, 1, 1, 1, 1], 3)).toEqual([6 / 6, 6 / 12, 0]);
  });
});
