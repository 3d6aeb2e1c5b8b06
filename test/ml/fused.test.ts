/**
 * The fused ops (src/ml/fused.ts) on every backend: the same values as the op sequences they
 * replace (dropout bit for bit, same seed), gradients against central differences / the mask,
 * and less memory held for the backward pass than autodiff of those sequences.
 */
import { expect, it } from 'vitest';
import { tf } from '../../src/ml/tf.js';
import { dropout, geluErf } from '../../src/ml/fused.js';
import { describeBackends, maxAbsDiff, rand } from './helpers.js';

const N = 64;
const D = 48;
const r = rand(5);
const X = Float32Array.from({ length: N * D }, () => (r() * 2 - 1) * 4);
const gelu64 = (x: number) => {
  // erf by Abramowitz–Stegun 7.1.26 is too coarse here: integrate Φ numerically instead
  let s = 0;
  const steps = 4000;
  const lo = -12;
  const h = (x - lo) / steps;
  for (let i = 0; i <= steps; i++) {
    const t = lo + i * h;
    s += (i === 0 || i === steps ? 0.5 : 1) * Math.exp(-0.5 * t * t);
  }
  return x * (s * h) / Math.sqrt(2 * Math.PI);
};

describeBackends()('fused ops on %s', (backend) => {
  it('geluErf: the erf formula`s values; its gradient matches central differences', () => {
    const x = tf.tensor2d(X, [N, D]);
    const y = geluErf(x).dataSync();
    const want = tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))).dataSync());
    expect(maxAbsDiff(y, want)).toBe(0);
    const g = tf.grad((t: tf.Tensor) => tf.sum(geluErf(t)))(x).dataSync();
    const eps = 1e-3;
    let worst = 0;
    for (let i = 0; i < 200; i++) worst = Math.max(worst, Math.abs(g[i] - (gelu64(X[i] + eps) - gelu64(X[i] - eps)) / (2 * eps)));
    expect(worst).toBeLessThan(1e-4);
    x.dispose();
  });

  it('dropout: tf.dropout`s values for the same seed, and a gradient that is the scaled mask', () => {
    const x = tf.tensor2d(X, [N, D]);
    const y = dropout(x, 0.25, 42).dataSync();
    expect(Array.from(y)).toEqual(Array.from(tf.tidy(() => tf.dropout(x, 0.25, undefined, 42).dataSync())));
    const g = tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.25, 42)))(x).dataSync();
    for (let i = 0; i < g.length; i++) expect(g[i]).toBe(y[i] === 0 ? 0 : Math.fround(1 / 0.75));
    // something was dropped and something kept
    expect(y.filter((v) => v === 0).length).toBeGreaterThan(N * D * 0.15);
    expect(y.filter((v) => v === 0).length).toBeLessThan(N * D * 0.35);
    x.dispose();
  });

  it('holds less memory for the backward pass than autodiff of the op sequences', () => {
    const x = tf.tensor2d(X, [N, D]);
    // buffers alive at the end of the forward pass: what the tape keeps until the backward pass
    // (buffers, not numBytes: that counts a tensor the tape saves by clone twice, a buffer once)
    const held = (f: (t: tf.Tensor) => tf.Tensor) => {
      const before = tf.memory().numDataBuffers;
      let n = 0;
      tf.tidy(() =>
        tf.grad((t: tf.Tensor) => {
          const y = tf.sum(f(t));
          n = tf.memory().numDataBuffers - before;
          return y;
        })(x),
      );
      return n;
    };
    const unfused = held((t) => tf.dropout(tf.mul(tf.mul(t, 0.5), tf.add(1, tf.erf(tf.mul(t, Math.SQRT1_2)))), 0.1, undefined, 3));
    const fused = held((t) => dropout(geluErf(t), 0.1, 3));
    // unfused: 5 GELU and 4 dropout intermediates of x's size; fused: the GELU, the mask, the
    // output, and the sum (a scalar); on wasm also the tape's copies of the two saved tensors
    // (its clone copies the buffer; cpu and tensorflow share it)
    expect(unfused).toBeGreaterThanOrEqual(10);
    expect(fused).toBe(backend === 'wasm' ? 6 : 4);
    x.dispose();
  });
});
