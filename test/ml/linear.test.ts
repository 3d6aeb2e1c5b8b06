/**
 * The custom-gradient dense op (src/ml/linear.ts) against central differences computed in
 * float64 in plain JS. The loss puts a nonlinearity after the product, so the upstream gradient
 * the op receives is not a constant; shapes are non-square, so a missing or misplaced transpose
 * cannot pass by accident. The frozen variant must give dX and no gradient at all for W.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { matmul } from '../../src/ml/linear.js';
import { tf, useBackend } from '../../src/ml/tf.js';
import { describeBackends, rand } from './helpers.js';

const N = 3;
const IN = 4;
const OUT = 5;

function uniform(n: number, r: () => number): Float64Array {
  return Float64Array.from({ length: n }, () => r() * 2 - 1);
}

/** f(x, w) = Σ tanh(x·w) ∘ R in float64. */
function f64(x: Float64Array, w: Float64Array, R: Float64Array): number {
  let s = 0;
  for (let i = 0; i < N; i++)
    for (let j = 0; j < OUT; j++) {
      let acc = 0;
      for (let k = 0; k < IN; k++) acc += x[i * IN + k] * w[k * OUT + j];
      s += Math.tanh(acc) * R[i * OUT + j];
    }
  return s;
}

/** Central differences of f with respect to every element of `which` (x or w). */
function numericGrad(x: Float64Array, w: Float64Array, R: Float64Array, which: 'x' | 'w'): Float64Array {
  const h = 1e-5;
  const target = which === 'x' ? x : w;
  const g = new Float64Array(target.length);
  for (let i = 0; i < target.length; i++) {
    const keep = target[i];
    target[i] = keep + h;
    const up = f64(x, w, R);
    target[i] = keep - h;
    const down = f64(x, w, R);
    target[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** ‖a − b‖ / ‖b‖ */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den);
}

// float32 forward and backward against float64 differences: ~1e-7 relative is what float32 gives
const REL_TOL = 1e-5;

describeBackends()('matmul custom gradient on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  const r = rand(42);
  const x = uniform(N * IN, r);
  const w = uniform(IN * OUT, r);
  const R = uniform(N * OUT, r);
  const loss = (trainable: boolean) => (xt: tf.Tensor, wt: tf.Tensor) => tf.sum(tf.mul(tf.tanh(matmul(xt as tf.Tensor2D, wt as tf.Tensor2D, trainable)), tf.tensor2d(Float32Array.from(R), [N, OUT])));

  it('computes the same product as tf.matMul, trainable or frozen', () => {
    const [a, b, want, got1, got2] = tf.tidy(() => {
      const xt = tf.tensor2d(Float32Array.from(x), [N, IN]);
      const wt = tf.tensor2d(Float32Array.from(w), [IN, OUT]);
      return [xt, wt, tf.matMul(xt, wt), matmul(xt, wt, true), matmul(xt, wt, false)].map((t) => t.dataSync());
    });
    expect(a.length).toBe(N * IN);
    expect(b.length).toBe(IN * OUT);
    expect(Array.from(got1)).toEqual(Array.from(want));
    expect(Array.from(got2)).toEqual(Array.from(want));
  });

  it('trainable: dX and dW match float64 central differences', () => {
    const [dx, dw] = tf.tidy(() => {
      const xt = tf.tensor2d(Float32Array.from(x), [N, IN]);
      const wt = tf.tensor2d(Float32Array.from(w), [IN, OUT]);
      const g = tf.grads(loss(true))([xt, wt]);
      expect(g[0].shape).toEqual([N, IN]);
      expect(g[1].shape).toEqual([IN, OUT]);
      return g.map((t) => t.dataSync());
    });
    expect(relError(dx, numericGrad(x, w, R, 'x'))).toBeLessThan(REL_TOL);
    expect(relError(dw, numericGrad(x, w, R, 'w'))).toBeLessThan(REL_TOL);
  });

  it('frozen: dX matches central differences and W gets no gradient', () => {
    const xv = tf.variable(tf.tensor2d(Float32Array.from(x), [N, IN]), true);
    const wv = tf.variable(tf.tensor2d(Float32Array.from(w), [IN, OUT]), true);
    try {
      const { value, grads } = tf.variableGrads(() => loss(false)(xv, wv) as tf.Scalar, [xv, wv]);
      expect(Math.abs(value.dataSync()[0] - f64(x, w, R))).toBeLessThan(1e-5);
      expect(Object.keys(grads)).toEqual([xv.name]);
      expect(relError(grads[xv.name].dataSync(), numericGrad(x, w, R, 'x'))).toBeLessThan(REL_TOL);
      tf.dispose([value, ...Object.values(grads)]);

      // the trainable variant, on the same variables, does give W its gradient
      const both = tf.variableGrads(() => loss(true)(xv, wv) as tf.Scalar, [xv, wv]);
      expect(Object.keys(both.grads).sort()).toEqual([xv.name, wv.name].sort());
      expect(relError(both.grads[wv.name].dataSync(), numericGrad(x, w, R, 'w'))).toBeLessThan(REL_TOL);
      tf.dispose([both.value, ...Object.values(both.grads)]);
    } finally {
      xv.dispose();
      wv.dispose();
    }
  });

  it('frozen: W may be an intermediate of the differentiated function (a tied output projection, Eᵀ)', () => {
    // the forward pass's intermediates are freed before the backward pass runs: the op must keep its own W
    const wT = Float32Array.from({ length: OUT * IN }, (_, k) => w[(k % IN) * OUT + Math.floor(k / IN)]);
    const xv = tf.variable(tf.tensor2d(Float32Array.from(x), [N, IN]), true);
    const ev = tf.variable(tf.tensor2d(wT, [OUT, IN]), false);
    try {
      const { value, grads } = tf.variableGrads(() => loss(false)(xv, tf.transpose(ev)) as tf.Scalar, [xv]);
      expect(Math.abs(value.dataSync()[0] - f64(x, w, R))).toBeLessThan(1e-5);
      expect(relError(grads[xv.name].dataSync(), numericGrad(x, w, R, 'x'))).toBeLessThan(REL_TOL);
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      xv.dispose();
      ev.dispose();
    }
  });

  it('frozen: a W reached only through the frozen product cannot be differentiated', () => {
    const wt = tf.tensor2d(Float32Array.from(w), [IN, OUT]);
    const xt = tf.tensor2d(Float32Array.from(x), [N, IN]);
    try {
      expect(() => tf.grad((wi: tf.Tensor) => loss(false)(xt, wi))(wt)).toThrow(/gradient/i);
    } finally {
      tf.dispose([wt, xt]);
    }
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const xt = tf.tensor2d(Float32Array.from(x), [N, IN]);
      const wt = tf.tensor2d(Float32Array.from(w), [IN, OUT]);
      tf.grads(loss(true))([xt, wt]);
      tf.grad((xi: tf.Tensor) => loss(false)(xi, wt))(xt);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeBackends()('matmul custom gradient on %s: memory', () => {
  /** Buffers alive when the backward step just after `product`'s runs (an identity's on x). */
  function aliveAfterProductBackward(product: (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor): number {
    const x = tf.variable(tf.tensor2d(Float32Array.from(uniform(N * IN, rand(3))), [N, IN]));
    const w = tf.variable(tf.tensor2d(Float32Array.from(uniform(IN * OUT, rand(4))), [IN, OUT]));
    let alive = 0;
    const probe = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
      save([]);
      return {
        value: tf.clone(t),
        gradFunc: (dy: tf.Tensor) => {
          alive = tf.memory().numDataBuffers;
          return [tf.clone(dy)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (t: tf.Tensor) => tf.Tensor2D;
    let base = 0;
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const y = tf.sum(product(probe(x), w)) as tf.Scalar;
        base = tf.memory().numDataBuffers;
        return y;
      }, [x, w]);
      return [grads[x.name], grads[w.name]];
    }).forEach((g) => g.dispose());
    tf.dispose([x, w]);
    return alive - base;
  }

  it('keeps no transposed copy of x or w past its own backward step (no more than tf.matMul`s gradient)', () => {
    // tfjs calls a custom gradient outside a tidy: what it leaves lives until the whole backward
    // pass ends — xᵀ is as large as the activation
    expect(aliveAfterProductBackward((x, w) => matmul(x, w, true))).toBeLessThanOrEqual(aliveAfterProductBackward((x, w) => tf.matMul(x, w)));
  });
});
