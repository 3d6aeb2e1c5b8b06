import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../src/ml/tf.js';
import { AdamW, clipByGlobalNorm, globalNorm } from '../../../src/ml/train/adamw.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** torch.optim.AdamW's single-tensor update, in float64. */
function torchAdamW(p: number[], m: number[], v: number[], g: number[], t: number, lr: number, wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8) {
  const bc1 = 1 - b1 ** t;
  const bc2 = 1 - b2 ** t;
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - lr * wd;
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    const denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + eps;
    p[i] -= (lr / bc1) * (m[i] / denom);
  }
}

describe('AdamW', () => {
  it('follows torch.optim.AdamW on a quadratic, with and without decay, to 1e-6', () => {
    // loss = ½ Σ a (p - c)²  → grad a (p - c)
    const a = { w: [1, 3, 0.5, 2, 0.1, 4], b: [2, 0.3, 1] };
    const c = { w: [0.5, -1, 2, 0, 1, -0.5], b: [1, -2, 0.25] };
    const init = { w: [0.1, 0.2, -0.3, 0.4, -0.5, 0.6], b: [0, 0.5, -1] };
    const vars = new Map([
      ['w', tf.variable(tf.tensor(init.w, [2, 3]))],
      ['b', tf.variable(tf.tensor(init.b, [3]))],
    ]);
    const wd = 0.1;
    const opt = new AdamW(vars, { weightDecay: wd, decay: (n) => n !== 'b' });
    expect(opt.hasDecay('w')).toBe(true);
    expect(opt.hasDecay('b')).toBe(false);
    const ref = {
      w: { p: [...init.w], m: init.w.map(() => 0), v: init.w.map(() => 0) },
      b: { p: [...init.b], m: init.b.map(() => 0), v: init.b.map(() => 0) },
    };
    const lrs = [0, 0.05, 0.1, 0.1, 0.08, 0.02];
    for (let t = 1; t <= lrs.length; t++) {
      const lr = lrs[t - 1];
      const { value, grads } = tf.variableGrads(() => {
        let total = tf.scalar(0);
        for (const k of ['w', 'b'] as const) {
          const d = tf.sub(vars.get(k)!.reshape([-1]), tf.tensor(c[k]));
          total = tf.add(total, tf.mul(0.5, tf.sum(tf.mul(tf.tensor(a[k]), tf.square(d)))));
        }
        return total as tf.Scalar;
      }, [...vars.values()]);
      value.dispose();
      const named = new Map([...vars].map(([k, v]) => [k, grads[v.name]]));
      opt.applyGradients(named, lr);
      tf.dispose(Object.values(grads));
      for (const k of ['w', 'b'] as const) {
        const r = ref[k];
        const g = r.p.map((p, i) => a[k][i] * (p - c[k][i]));
        torchAdamW(r.p, r.m, r.v, g, t, lr, k === 'w' ? wd : 0);
      }
    }
    expect(opt.step).toBe(lrs.length);
    for (const k of ['w', 'b'] as const) {
      const got = Array.from(vars.get(k)!.dataSync());
      got.forEach((x, i) => expect(Math.abs(x - ref[k].p[i])).toBeLessThan(1e-6));
      // the run moved the parameters well beyond the tolerance, so the comparison means something
      expect(Math.max(...got.map((x, i) => Math.abs(x - init[k][i])))).toBeGreaterThan(0.05);
    }
    opt.dispose();
    vars.forEach((v) => v.dispose());
  });

  it('restores getState() exactly: a resumed optimizer continues bit for bit', () => {
    const run = (opt: AdamW, p: tf.Variable, from: number, to: number) => {
      for (let t = from; t < to; t++) {
        const g = tf.tidy(() => tf.add(tf.mul(p, 0.7), Math.sin(t)));
        opt.applyGradients(new Map([['p', g]]), 0.01 * (t + 1));
        g.dispose();
      }
    };
    const p = tf.variable(tf.tensor([0.3, -0.2, 1.5, 0.01]));
    const opt = new AdamW(new Map([['p', p]]), { weightDecay: 0.05 });
    run(opt, p, 0, 3);
    const state = opt.getState();
    const mid = Float32Array.from(p.dataSync());
    run(opt, p, 3, 6);
    const straight = Float32Array.from(p.dataSync());

    const q = tf.variable(tf.tensor(mid));
    const opt2 = new AdamW(new Map([['p', q]]), { weightDecay: 0.05 });
    opt2.setState(state);
    expect(opt2.step).toBe(3);
    run(opt2, q, 3, 6);
    expect(Array.from(q.dataSync())).toEqual(Array.from(straight));
    expect(state.slots.get('m/p')!.shape).toEqual([4]);
    expect(() => opt2.setState({ step: 1, slots: new Map() })).toThrow(/no `m\/p`/);
    [opt, opt2].forEach((o) => o.dispose());
    [p, q].forEach((v) => v.dispose());
  });

  it('leaves variables without a gradient untouched and frees its temporaries', () => {
    const p = tf.variable(tf.tensor([1, 2]));
    const q = tf.variable(tf.tensor([3, 4]));
    const opt = new AdamW(new Map([['p', p], ['q', q]]), { weightDecay: 0.5 });
    const before = tf.memory().numTensors;
    const g = tf.tensor([0.5, -0.5]);
    opt.applyGradients(new Map([['p', g]]), 0.1);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(q.dataSync())).toEqual([3, 4]);
    expect(Array.from(p.dataSync())).not.toEqual([1, 2]);
    opt.dispose();
    [p, q].forEach((v) => v.dispose());
  });
});

describe('clipByGlobalNorm', () => {
  it('scales by maxNorm / (norm + 1e-6) when over, returning the norm before clipping', () => {
    const grads = new Map([
      ['a', tf.tensor([3, 4])],
      ['b', tf.tensor([[12]])],
    ]);
    const { grads: out, norm } = clipByGlobalNorm(grads, 6.5);
    expect(norm).toBeCloseTo(13, 5);
    const coef = 6.5 / (13 + 1e-6);
    expect(Array.from(out.get('a')!.dataSync())).toEqual([Math.fround(3 * coef), Math.fround(4 * coef)].map((x) => expect.closeTo(x, 6)));
    const after = globalNorm(out.values());
    expect(after.dataSync()[0]).toBeCloseTo(6.5, 4);
    after.dispose();
    tf.dispose([...out.values()]);

    const { grads: same, norm: n2 } = clipByGlobalNorm(grads, 100);
    expect(n2).toBeCloseTo(13, 5);
    expect(Array.from(same.get('b')!.dataSync())).toEqual([12]);
    tf.dispose([...same.values(), ...grads.values()]);
  });
});
