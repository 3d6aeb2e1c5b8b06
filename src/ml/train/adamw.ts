/**
 * AdamW as `torch.optim.AdamW` computes it (amsgrad off, maximize off): decoupled weight decay
 * `p *= 1 - lr·wd`, then `m = β1·m + (1-β1)·g`, `v = β2·v + (1-β2)·g²`,
 * `p -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps)`. Plus global-norm gradient clipping as
 * `torch.nn.utils.clip_grad_norm_`.
 */
import { tf } from '../tf.js';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** torch's default is 0.01 */
  weightDecay?: number;
  /** which variables (by name) get weight decay; default all */
  decay?(name: string): boolean;
}

export interface SlotTensor {
  shape: number[];
  data: Float32Array;
}

/** Optimizer state for checkpoints: `m/<name>` and `v/<name>` moments, and the steps taken. */
export interface AdamWState {
  step: number;
  slots: Map<string, SlotTensor>;
}

/** tf.variable shares its initial tensor's data, so the initial tensor itself must be disposed. */
function zerosVariable(shape: number[]): tf.Variable {
  const z = tf.zeros(shape);
  const v = tf.variable(z, false);
  z.dispose();
  return v;
}

function byName(a: string, b: string) {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly names: string[];
  private readonly params: Map<string, tf.Variable>;
  private readonly decays: Map<string, boolean>;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;

  constructor(vars: Map<string, tf.Variable>, opts: AdamWOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.params = vars;
    this.names = [...vars.keys()].sort(byName);
    this.decays = new Map(this.names.map((n) => [n, opts.decay ? opts.decay(n) : true]));
    for (const name of this.names) {
      const p = vars.get(name)!;
      if (p.dtype !== 'float32') throw new Error(`AdamW: variable \`${name}\` is ${p.dtype}; only float32 variables can be trained`);
      // not trainable, so tf.variableGrads never differentiates the moments
      this.m.set(name, zerosVariable(p.shape));
      this.v.set(name, zerosVariable(p.shape));
    }
  }

  /** Optimizer steps taken (torch's `state['step']`). */
  get step(): number {
    return this.t;
  }

  /** Whether `name` gets weight decay. */
  hasDecay(name: string): boolean {
    return this.decays.get(name) ?? false;
  }

  /**
   * One update at learning rate `lr`. A variable without a gradient is left alone (torch skips
   * parameters whose grad is None), but the step count, and so the bias correction, is shared.
   */
  applyGradients(grads: Map<string, tf.Tensor>, lr: number): void {
    this.t += 1;
    const { beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.t);
    const stepSize = lr / bc1;
    for (const name of this.names) {
      const g = grads.get(name);
      if (!g) continue;
      const p = this.params.get(name)!;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      tf.tidy(() => {
        const wd = this.decays.get(name) ? this.weightDecay : 0;
        const decayed = wd !== 0 ? tf.mul(p, 1 - lr * wd) : p;
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.mul(g, g), 1 - b2));
        const denom = tf.add(tf.div(tf.sqrt(v1), bc2Sqrt), eps);
        const p1 = tf.sub(decayed, tf.mul(tf.div(m1, denom), stepSize));
        m.assign(m1);
        v.assign(v1);
        p.assign(p1);
      });
    }
  }

  getState(): AdamWState {
    const slots = new Map<string, SlotTensor>();
    for (const name of this.names) {
      // copies: cpu's dataSync hands out the backend's own array
      slots.set(`m/${name}`, { shape: [...this.m.get(name)!.shape], data: Float32Array.from(this.m.get(name)!.dataSync()) });
      slots.set(`v/${name}`, { shape: [...this.v.get(name)!.shape], data: Float32Array.from(this.v.get(name)!.dataSync()) });
    }
    return { step: this.t, slots };
  }

  /** Restore `getState()`'s output; every moment must be present with its variable's shape. */
  setState(state: AdamWState): void {
    for (const name of this.names) {
      for (const [kind, slot] of [['m', this.m.get(name)!], ['v', this.v.get(name)!]] as const) {
        const saved = state.slots.get(`${kind}/${name}`);
        if (!saved) throw new Error(`AdamW state has no \`${kind}/${name}\``);
        if (saved.shape.length !== slot.shape.length || saved.shape.some((d, i) => d !== slot.shape[i])) {
          throw new Error(`AdamW state \`${kind}/${name}\` has shape ${JSON.stringify(saved.shape)}, the variable ${JSON.stringify(slot.shape)}`);
        }
        tf.tidy(() => slot.assign(tf.tensor(saved.data, slot.shape, 'float32')));
      }
    }
    this.t = state.step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** √(Σ‖g‖²) over all gradients, as a scalar tensor (no sync). */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    const squares = [...grads].map((g) => tf.sum(tf.square(g)));
    return squares.length ? tf.sqrt(tf.addN(squares)) : tf.scalar(0);
  }) as tf.Scalar;
}

/**
 * Scale the gradients so their global L2 norm is at most `maxNorm`, as clip_grad_norm_ does
 * (coefficient `maxNorm / (norm + 1e-6)` clamped at 1). Returns new tensors (the caller disposes
 * both sets) and the norm before clipping.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  const normT = globalNorm(grads.values());
  const norm = normT.dataSync()[0];
  normT.dispose();
  const coef = Math.min(maxNorm / (norm + 1e-6), 1);
  const out = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) out.set(name, tf.mul(g, coef));
  return { grads: out, norm };
}
