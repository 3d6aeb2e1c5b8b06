/**
 * The strategy hooks of the Transformer (src/ml/model.ts) on random tiny BERT, DistilBERT and
 * GPT-2 models: LoRA and bottleneck adapters are the identity at initialisation (exactly: their
 * last projection starts at zero), prompt and prefix tuning change the output but keep its shape,
 * LoRA merged into the base weights computes what the unmerged model computes and unmerging
 * restores the base; padding and (GPT-2) future tokens do not leak into real positions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/ml/tf.js';
import { linearModules, type Task } from '../../src/ml/model.js';
import type { Family } from '../../src/ml/config.js';
import type { Example } from '../../src/ml/data.js';
import { taskLoss } from '../../src/ml/finetune.js';
import { BATCH_ROWS, describeBackends, FAMILY_LIST, batchOf, maxAbs, maxAbsDiff, randomModel, randomize, run, values } from './helpers.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** The random init's heads give logits of ~1e-2; an O(1) head makes logit comparisons mean something. */
function withLoudHead(family: Family, seed = 1, task?: Task) {
  const model = randomModel(family, seed, task);
  randomize(model, (_, role) => role === 'head', 77, 0.5);
  return model;
}

describeBackends()('on %s', () => {
  describe.each(FAMILY_LIST)('strategy hooks on %s', (family) => {
    it.each([
      ['LoRA on every linear module', (m: ReturnType<typeof randomModel>) => void m.addLora({ r: 4, alpha: 8, dropout: 0, targets: ['all-linear'] }, 3)],
      ['Houlsby adapters', (m: ReturnType<typeof randomModel>) => m.addAdapters({ placement: 'houlsby', size: 4, act: 'swish' }, 3)],
      ['Pfeiffer adapters', (m: ReturnType<typeof randomModel>) => m.addAdapters({ placement: 'pfeiffer', size: 4, act: 'relu' }, 3)],
    ])('%s leave the outputs unchanged at initialisation (max |Δ| = 0)', (_, add) => {
      const model = withLoudHead(family);
      try {
        const before = run(model);
        const count = model.params.names().length;
        add(model);
        expect(model.params.names().length).toBeGreaterThan(count);
        const after = run(model);
        expect(after.hiddenShape).toEqual(before.hiddenShape);
        expect(maxAbsDiff(after.hidden, before.hidden)).toBe(0);
        expect(maxAbsDiff(after.logits, before.logits)).toBe(0);
        // ...and they are wired in: once their weights move, the output moves
        randomize(model, (_, role) => role === 'lora' || role === 'adapter', 5, 0.2);
        expect(maxAbsDiff(run(model).hidden, before.hidden)).toBeGreaterThan(1e-3);
      } finally {
        model.dispose();
      }
    });

    it.each([
      ['prompt', (m: ReturnType<typeof randomModel>) => m.addPrompt(3, 11)],
      ['prefix', (m: ReturnType<typeof randomModel>) => m.addPrefix(3, 11)],
    ])('%s tuning changes the output, keeps its shape, stays finite', (_, add) => {
      const model = withLoudHead(family);
      try {
        const before = run(model);
        add(model);
        const after = run(model);
        expect(after.hiddenShape).toEqual(before.hiddenShape);
        expect(after.logitsShape).toEqual(before.logitsShape);
        expect(after.hidden.every(Number.isFinite)).toBe(true);
        expect(after.logits.every(Number.isFinite)).toBe(true);
        expect(maxAbsDiff(after.hidden, before.hidden)).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(after.logits, before.logits)).toBeGreaterThan(1e-4);
      } finally {
        model.dispose();
      }
    });

    it('prefix tuning numbers the real tokens after the P virtual positions, as PEFT/transformers do (rows 0..P-1 of the position table are never read)', () => {
      const P = 3;
      const model = withLoudHead(family);
      try {
        model.addPrefix(P, 11);
        const before = run(model);
        const name = family === 'gpt2' ? 'transformer.wpe.weight' : `${family}.embeddings.position_embeddings.weight`;
        const table = model.params.get(name);
        const poisoned = table.arraySync() as number[][];
        for (let i = 0; i < P; i++) poisoned[i] = poisoned[i].map(() => NaN);
        table.assign(tf.tensor2d(poisoned));
        const after = run(model);
        expect(after.hidden.every(Number.isFinite)).toBe(true);
        expect(maxAbsDiff(after.logits, before.logits)).toBe(0);
      } finally {
        model.dispose();
      }
    });

    it('a prompt initialised from token ids copies those embedding rows (cycled)', () => {
      const model = randomModel(family, 2);
      try {
        model.addPrompt(5, 0, [7, 3]);
        const emb = model.params.get(model.embeddingName()).dataSync();
        const p = model.params.get('prompt_embeddings');
        expect(p.shape).toEqual([5, 16]);
        const d = model.config.hidden;
        const pv = p.dataSync();
        [7, 3, 7, 3, 7].forEach((id, i) => expect(Array.from(pv.subarray(i * d, (i + 1) * d))).toEqual(Array.from(emb.subarray(id * d, (id + 1) * d))));
      } finally {
        model.dispose();
      }
    });

    it('a prompt too long for the position table is an error naming both lengths', () => {
      const model = randomModel(family, 2);
      try {
        model.addPrompt(36, 0);
        expect(() => run(model)).toThrow(/43 tokens \(36 prompt tokens included\).*40 positions/);
      } finally {
        model.dispose();
      }
    });
  });
});

/** Tasks whose output per row can be compared between a padded batch and the row alone. */
const PADDING_CASES: { family: Family; task: Task; extra: 'none' | 'prompt' | 'prefix' }[] = [];
for (const family of FAMILY_LIST)
  for (const extra of ['none', 'prompt', 'prefix'] as const) {
    PADDING_CASES.push({ family, task: family === 'gpt2' ? 'lm' : 'seq_cls', extra });
    if (family === 'gpt2') PADDING_CASES.push({ family, task: 'seq_cls', extra });
  }

describe('padding and causality', () => {
  it.each(PADDING_CASES)('$family $task ($extra): a padded row computes what it computes alone', ({ family, task, extra }) => {
    const model = withLoudHead(family, 4, task);
    try {
      if (extra === 'prompt') model.addPrompt(2, 1);
      if (extra === 'prefix') model.addPrefix(2, 1);
      const both = run(model, batchOf(BATCH_ROWS));
      const short = BATCH_ROWS[1];
      const alone = run(model, batchOf([short]));
      const T = BATCH_ROWS[0].length;
      const d = model.config.hidden;
      // hidden states of the short row's real positions
      const padded = both.hidden.subarray(T * d, T * d + short.length * d);
      expect(maxAbsDiff(padded, alone.hidden)).toBeLessThan(1e-5);
      if (task === 'seq_cls') {
        const C = 2;
        expect(maxAbsDiff(both.logits.subarray(C, 2 * C), alone.logits)).toBeLessThan(1e-5);
      } else {
        const V = model.config.vocabSize;
        expect(maxAbsDiff(both.logits.subarray(T * V, T * V + short.length * V), alone.logits)).toBeLessThan(1e-5);
      }
    } finally {
      model.dispose();
    }
  });

  it.each(['none', 'prompt', 'prefix'] as const)('gpt2 (%s): a later token does not change earlier positions', (extra) => {
    const model = randomModel('gpt2', 6);
    try {
      if (extra === 'prompt') model.addPrompt(2, 1);
      if (extra === 'prefix') model.addPrefix(2, 1);
      const a = run(model, batchOf([[5, 9, 13, 2, 40]]));
      const b = run(model, batchOf([[5, 9, 13, 2, 41]]));
      const d = model.config.hidden;
      expect(maxAbsDiff(a.hidden.subarray(0, 4 * d), b.hidden.subarray(0, 4 * d))).toBe(0);
      expect(maxAbsDiff(a.hidden.subarray(4 * d), b.hidden.subarray(4 * d))).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
  });
});

/** s·A·B for one module, in float64 JS. */
function loraDelta(a: Float32Array, b: Float32Array, inDim: number, r: number, outDim: number, scale: number): Float64Array {
  const out = new Float64Array(inDim * outDim);
  for (let i = 0; i < inDim; i++) for (let k = 0; k < r; k++) for (let j = 0; j < outDim; j++) out[i * outDim + j] += scale * a[i * r + k] * b[k * outDim + j];
  return out;
}

describeBackends()('on %s', () => {
  describe.each(FAMILY_LIST)('LoRA merge on %s', (family) => {
    it.each([{ rslora: false }, { rslora: true }])('merged == unmerged within 1e-5, W += s·A·B exactly as specified, unmerge restores W (rslora $rslora)', ({ rslora }) => {
      const model = withLoudHead(family);
      try {
        const r = 4;
        const alpha = rslora ? 4 : 8;
        const scale = rslora ? alpha / Math.sqrt(r) : alpha / r;
        const base = run(model);
        const paths = model.addLora({ r, alpha, dropout: 0.1, targets: ['all-linear'], rslora }, 3);
        expect(paths.length).toBe(linearModules(model.config).length);
        randomize(model, (n) => n.endsWith('.lora_B.weight'), 8, 0.2);
        const original = values(model, (_, role) => role === 'base');
        const unmerged = run(model);
        // the LoRA deltas matter, so agreement below is not vacuous
        expect(maxAbsDiff(unmerged.hidden, base.hidden)).toBeGreaterThan(1e-2);

        const tensors = tf.memory().numTensors;
        model.mergeLora(true);
        expect(model.merged).toBe(true);
        const merged = run(model);
        expect(maxAbsDiff(merged.hidden, unmerged.hidden)).toBeLessThanOrEqual(1e-5);
        expect(maxAbsDiff(merged.logits, unmerged.logits)).toBeLessThanOrEqual(1e-5);
        for (const m of linearModules(model.config)) {
          const w = model.params.get(`${m.path}.weight`).dataSync();
          const a = model.params.get(`${m.path}.lora_A.weight`).dataSync() as Float32Array;
          const b = model.params.get(`${m.path}.lora_B.weight`).dataSync() as Float32Array;
          const want = loraDelta(a, b, m.inDim, r, m.outDim, scale).map((x, i) => x + original.get(`${m.path}.weight`)![i]);
          expect(maxAbsDiff(w, want), m.path).toBeLessThan(1e-6);
        }
        // merging twice is a no-op
        model.mergeLora(true);
        expect(maxAbsDiff(run(model).hidden, merged.hidden)).toBe(0);

        model.mergeLora(false);
        expect(model.merged).toBe(false);
        const restored = values(model, (_, role) => role === 'base');
        for (const [n, want] of original) expect(maxAbsDiff(restored.get(n)!, want), n).toBeLessThanOrEqual(1e-6);
        expect(maxAbsDiff(run(model).hidden, unmerged.hidden)).toBeLessThanOrEqual(1e-5);
        // merge/unmerge replaces the weights' values without leaking the old ones
        expect(tf.memory().numTensors).toBe(tensors);
      } finally {
        model.dispose();
      }
    });
  });
});

describe('LoRA targets', () => {
  it('matches module names at the end of the path, restricted to the given layers', () => {
    const model = randomModel('bert', 1);
    try {
      const paths = model.addLora({ r: 2, alpha: 2, dropout: 0, targets: ['query', 'value'], layers: [1] }, 0);
      expect(paths).toEqual(['bert.encoder.layer.1.attention.self.query', 'bert.encoder.layer.1.attention.self.value']);
      expect(model.params.names('lora')).toEqual([
        'bert.encoder.layer.1.attention.self.query.lora_A.weight',
        'bert.encoder.layer.1.attention.self.query.lora_B.weight',
        'bert.encoder.layer.1.attention.self.value.lora_A.weight',
        'bert.encoder.layer.1.attention.self.value.lora_B.weight',
      ]);
      expect(model.params.get('bert.encoder.layer.1.attention.self.query.lora_A.weight').shape).toEqual([16, 2]);
      expect(model.params.get('bert.encoder.layer.1.attention.self.query.lora_B.weight').shape).toEqual([2, 16]);
      // B starts at zero, A does not
      expect(maxAbs(model.params.get('bert.encoder.layer.1.attention.self.query.lora_B.weight').dataSync())).toBe(0);
      expect(maxAbs(model.params.get('bert.encoder.layer.1.attention.self.query.lora_A.weight').dataSync())).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });

  it('gpt2 c_attn is one fused [d, 3d] module; a dotted target matches every path ending in it', () => {
    const gpt = randomModel('gpt2', 1);
    const bert = randomModel('bert', 1);
    try {
      expect(gpt.addLora({ r: 2, alpha: 2, dropout: 0, targets: ['c_attn'] }, 0)).toEqual(['transformer.h.0.attn.c_attn', 'transformer.h.1.attn.c_attn']);
      expect(gpt.params.get('transformer.h.0.attn.c_attn.lora_B.weight').shape).toEqual([2, 48]);
      // `output.dense` ends both the FFN output and the attention output paths
      const picked = bert.addLora({ r: 2, alpha: 2, dropout: 0, targets: ['output.dense'], layers: [0] }, 0);
      expect(picked.sort()).toEqual(['bert.encoder.layer.0.attention.output.dense', 'bert.encoder.layer.0.output.dense']);
    } finally {
      gpt.dispose();
      bert.dispose();
    }
  });

  it('no matching module is an error that shows what module names look like', () => {
    const model = randomModel('distilbert', 1);
    try {
      expect(() => model.addLora({ r: 2, alpha: 2, dropout: 0, targets: ['query'] }, 0)).toThrow(/no linear module matches LoRA targets query \(modules look like attention\.q_lin/);
    } finally {
      model.dispose();
    }
  });
});

/**
 * The whole model's gradient, with every custom-gradient path in use (trainable and frozen
 * products, LoRA, adapters, prefix, the embedding scatter-add, GPT-2's tied output), against
 * central differences of the loss: per variable, along its own gradient's direction, where the
 * derivative is the gradient's norm. float32 losses resolve differences of ~1e-7, hence the
 * absolute slack for variables with tiny gradients.
 */
describeBackends()('on %s', () => {
  describe.each(FAMILY_LIST)('whole-model gradient of %s vs finite differences', (family) => {
    it.each([{ base: 'trainable' }, { base: 'frozen' }])('base $base, with LoRA, Houlsby adapters and a prefix', ({ base }) => {
      const model = randomModel(family, 3);
      try {
        model.addLora({ r: 2, alpha: 4, dropout: 0, targets: ['all-linear'] }, 1);
        model.addAdapters({ placement: 'houlsby', size: 4, act: 'gelu' }, 2);
        model.addPrefix(2, 3);
        randomize(model, (_, role) => role !== 'base', 4, 0.2);
        model.params.setTrainable((_, role) => base === 'trainable' || role !== 'base');
        const ex: Example[] =
          family === 'gpt2'
            ? [{ id: 'a', ids: Int32Array.from([3, 9, 9, 1, 30]), targets: Int32Array.from([9, 9, 1, 30, -100]), weight: 1 }]
            : [
                { id: 'a', ids: Int32Array.from([1, 7, 3, 3, 2]), label: 1, weight: 1 },
                { id: 'b', ids: Int32Array.from([1, 4, 2]), label: 0, weight: 1 },
              ];
        const loss = () => tf.tidy(() => taskLoss(model, ex, false).dataSync()[0]);
        const vars = model.params.trainableVars();
        const { value, grads } = tf.variableGrads(() => taskLoss(model, ex, false), [...vars.values()]);
        const eps = 1e-3;
        let checked = 0;
        try {
          for (const [name, v] of vars) {
            const g = grads[v.name];
            expect(g, name).toBeDefined();
            const norm = Math.sqrt(tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]));
            if (norm === 0) continue;
            const orig = v.clone();
            const at = (s: number) => {
              tf.tidy(() => v.assign(tf.add(orig, tf.mul(g, (s * eps) / norm))));
              return loss();
            };
            const fd = (at(1) - at(-1)) / (2 * eps);
            tf.tidy(() => v.assign(orig));
            orig.dispose();
            expect(Math.abs(fd - norm), `${name}: gradient norm ${norm}, finite difference ${fd}`).toBeLessThanOrEqual(2e-2 * norm + 1e-4);
            if (norm > 1e-3) checked++;
          }
        } finally {
          tf.dispose([value, ...Object.values(grads)]);
        }
        // most variables carry a gradient large enough to be checked tightly
        expect(checked).toBeGreaterThan(vars.size / 2);
      } finally {
        model.dispose();
      }
    });
  });
});
