/**
 * Ops whose autodiff keeps too much: the tape holds every intermediate of a training step's
 * forward pass until the backward pass is done, and a GELU or a dropout is 4–5 ops over the
 * largest activations. As custom gradients they keep one tensor each (the intermediates of the
 * forward are freed at once) and compute the same values: peak memory falls, results do not change.
 */
import { tf } from './tf.js';

type Fn1 = (x: tf.Tensor) => tf.Tensor;
const asGrad = (f: unknown) => tf.customGrad(f as Parameters<typeof tf.customGrad>[0]) as unknown as Fn1;

/** GELU, erf form (BERT's): x·Φ(x); its gradient Φ(x) + x·φ(x) from the saved input. */
export const geluErf: Fn1 = asGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))))),
    gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) =>
      tf.tidy(() => {
        const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(xs, Math.SQRT1_2))));
        const pdf = tf.mul(1 / Math.sqrt(2 * Math.PI), tf.exp(tf.mul(tf.square(xs), -0.5)));
        return tf.mul(dy, tf.add(cdf, tf.mul(xs, pdf)));
      }),
  };
});

/**
 * tf.dropout's very values (the same seeded uniform draw, floor(u + keep) / keep), as one op
 * that keeps only its scaled mask for the backward pass.
 */
export function dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  const keep = 1 - rate;
  const f = asGrad((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    const mask = tf.tidy(() => tf.div(tf.floor(tf.add(tf.randomUniform(xi.shape, 0, 1, 'float32', seed), keep)), keep));
    save([mask]);
    return { value: tf.mul(xi, mask), gradFunc: (dy: tf.Tensor, [m]: tf.Tensor[]) => tf.mul(dy, m) };
  });
  return f(x);
}

type Fn3 = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

/** The unfused formula (and the fused op's forward): the same ops, hence the same values. */
function layerNormValue(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/**
 * LayerNorm over the last axis, γ·x̂ + β: autodiff keeps ~6 activations of x's size per call;
 * this keeps x (saved) and recomputes x̂ in the backward pass (two reductions):
 * dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ with dx̂ = dy·γ; dγ = Σ dy·x̂; dβ = Σ dy.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const f = tf.customGrad(((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, g]);
    return {
      value: tf.tidy(() => layerNormValue(xi, g, b, eps)),
      gradFunc: (dy: tf.Tensor, [xs, gs]: tf.Tensor[]) =>
        tf.tidy(() => {
          const { mean, variance } = tf.moments(xs, -1, true);
          const rstd = tf.rsqrt(tf.add(variance, eps));
          const xhat = tf.mul(tf.sub(xs, mean), rstd);
          const dxhat = tf.mul(dy, gs);
          const dx = tf.mul(rstd, tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), -1, true))));
          const d = xs.shape[xs.rank - 1];
          const rows = (t: tf.Tensor) => tf.reshape(t, [-1, d]);
          return [dx, tf.sum(rows(tf.mul(dy, xhat)), 0), tf.sum(rows(dy), 0)];
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Fn3;
  return f(x, gamma, beta);
}
