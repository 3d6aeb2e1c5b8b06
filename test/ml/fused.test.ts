/**
 * The fused ops (src/ml/fused.ts) on every backend: the same values as the op sequences they
 * replace (dropout bit for bit, same seed), gradients against central differences / the mask,
 * and less memory held for the backward pass than autodiff of those sequences.
 */
import { expect, it } from 'vitest';
import { tf } from '../../src/ml/tf.js';
import { dropout, geluErf, layerNorm } from '../../src/ml/fused.js';
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

  it('layerNorm: the unfused formula`s values; dx, dγ, dβ match its autodiff (rank 3, γ and β not trivial)', () => {
    const [b, t, d] = [3, 5, 16];
    const rx = rand(9);
    const u = (n: number, s = 1) => Float32Array.from({ length: n }, () => (rx() * 2 - 1) * s);
    const x = tf.tensor3d(u(b * t * d, 3), [b, t, d]);
    const gamma = tf.tensor1d(u(d));
    const beta = tf.tensor1d(u(d));
    const R = tf.tensor3d(u(b * t * d), [b, t, d]);
    const unfused = (xi: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => {
      const { mean, variance } = tf.moments(xi, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-5))), g), be);
    };
    expect(maxAbsDiff(layerNorm(x, gamma, beta, 1e-5).dataSync(), unfused(x, gamma, beta).dataSync())).toBe(0);
    // a loss whose gradient is not uniform: Σ R ∘ tanh(LN(x))
    const loss = (f: typeof unfused) => (xi: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => tf.sum(tf.mul(R, tf.tanh(f(xi, g, be))));
    const got = tf.grads(loss((xi, g, be) => layerNorm(xi, g, be, 1e-5)))([x, gamma, beta]);
    const want = tf.grads(loss(unfused))([x, gamma, beta]);
    got.forEach((g, i) => {
      const w = want[i].dataSync();
      const scale = Math.max(...Array.from(w, Math.abs));
      expect(maxAbsDiff(g.dataSync(), w) / scale, ['dx', 'dγ', 'dβ'][i]).toBeLessThan(1e-5);
    });
    tf.dispose([x, gamma, beta, R, ...got, ...want]);
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
