/** Cross-entropy with per-row weights (bias mitigation) and class weights, ignoring -100 targets. */
import { tf } from './tf.js';
import { IGNORE } from './data.js';

/**
 * logits [N, C], targets (length N, IGNORE = no loss), weights per target (row weight × class
 * weight). The mean is weighted like torch's CrossEntropyLoss(weight=…): Σ wᵢ·ℓᵢ / Σ wᵢ.
 */
export function crossEntropy(logits: tf.Tensor2D, targets: Int32Array, weights?: Float32Array): tf.Scalar {
  const n = targets.length;
  const w = new Float32Array(n);
  const safe = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (targets[i] === IGNORE) continue;
    safe[i] = targets[i];
    w[i] = weights ? weights[i] : 1;
    total += w[i];
  }
  if (total === 0) return tf.scalar(0);
  const logp = tf.logSoftmax(logits);
  const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(safe, 'int32'), logits.shape[1])), 1);
  return tf.div(tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(w)))), total) as tf.Scalar;
}

/** Class weights n / (k · countᵢ) (sklearn's "balanced"); absent classes get 0. */
export function balancedClassWeights(labels: number[], k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const l of labels) if (l >= 0) counts[l]++;
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c ? n / (k * c) : 0));
}
