/**
 * Dense layers whose backward pass uses only un-transposed matMuls. wasm's fast (XNNPACK) path
 * is taken only for plain products; autodiff's transposed products run 5–18× slower there
 * (measured, notes/finetune-tfjs.md §5.3). A frozen weight is closed over, so its gradient is
 * never computed.
 */
import { tf } from './tf.js';

const trainableMatMul = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    // in a tidy: tfjs calls a custom gradient outside one, so the transposes (xᵀ is as large as
    // the activation) would otherwise live until the whole backward pass ends
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [xs, ws] = saved as tf.Tensor2D[];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
      }),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor2D;

function frozenMatMul(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    // saved, not just closed over: a w computed in the forward pass (the tied projection's Eᵀ)
    // is freed before the backward pass runs, a saved one is kept until it has
    save([w]);
    return {
      value: tf.matMul(xi as tf.Tensor2D, w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => [tf.matMul(dy as tf.Tensor2D, tf.transpose(saved[0] as tf.Tensor2D))]),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor2D;
  return f(x);
}

/** x [n, in] · w [in, out]; `trainable` false = no gradient for w. */
export function matmul(x: tf.Tensor2D, w: tf.Tensor2D, trainable: boolean): tf.Tensor2D {
  return trainable ? trainableMatMul(x, w) : frozenMatMul(x, w);
}
