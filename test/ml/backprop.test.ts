/**
 * The freeing gradient computation (src/ml/backprop.ts, installed by tf.ts) on every backend:
 * gradients where one tensor feeds several ops (the same gradient object under several ids),
 * second-order gradients, and the memory alive at the end of a long chain's backward pass.
 */
import { expect, it } from 'vitest';
import { tf } from '../../src/ml/tf.js';
import { describeBackends, maxAbsDiff } from './helpers.js';

const X = [0.3, -1.2, 2.5, 0.05];

describeBackends()('lean gradients on %s', () => {
  it('a tensor used by several ops, and an Add whose gradient is the same dy for both inputs', () => {
    const x = tf.tensor1d(X);
    // y = Σ tanh(2x + 3x) + Σ x·x + Σ (x + x): dy/dx = 5(1 − tanh²(5x)) + 2x + 2
    const g = tf.grad((t: tf.Tensor) => tf.addN([tf.sum(tf.tanh(tf.add(tf.mul(t, 2), tf.mul(t, 3)))), tf.sum(tf.mul(t, t)), tf.sum(tf.add(t, t))]))(x).dataSync();
    const want = X.map((v) => 5 * (1 - Math.tanh(5 * v) ** 2) + 2 * v + 2);
    expect(maxAbsDiff(g, want)).toBeLessThan(1e-5);
    x.dispose();
  });

  it('second-order gradients still work (d²/dx² x³ = 6x), and several xs get theirs', () => {
    const x = tf.tensor1d(X);
    const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.mul(u, u), u)))(t)))(x).dataSync();
    expect(maxAbsDiff(g2, X.map((v) => 6 * v))).toBeLessThan(1e-4);
    const [ga, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(a, b)))([x, tf.tensor1d([1, 2, 3, 4])]);
    expect(Array.from(ga.dataSync())).toEqual([1, 2, 3, 4]);
    expect(maxAbsDiff(gb.dataSync(), X)).toBeLessThan(1e-6);
    tf.dispose([x, ga, gb]);
  });

  it('frees each op`s gradient and saved tensors once its backward step is done', () => {
    const x = tf.variable(tf.tensor1d(X));
    // an identity at the start of the chain: its backward step runs last and counts the buffers
    let alive = 0;
    const probe = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
      save([]);
      return { value: tf.clone(t), gradFunc: (dy: tf.Tensor) => ((alive = tf.memory().numDataBuffers), [tf.clone(dy)]) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (t: tf.Tensor) => tf.Tensor;
    const before = tf.memory().numDataBuffers;
    const { grads } = tf.variableGrads(() => {
      let h = probe(x);
      for (let i = 0; i < 30; i++) h = tf.tanh(h);
      return tf.sum(h) as tf.Scalar;
    }, [x]);
    // 30 tanh steps: tfjs alone keeps 30 saved outputs and 30 gradients until the end
    expect(alive - before).toBeLessThanOrEqual(6);
    tf.dispose([x, grads[x.name]]);
  });
});
