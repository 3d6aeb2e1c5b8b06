/**
 * The fine-tuning strategies (src/ml/strategy.ts): each trains exactly its own variables (and
 * gradients reach all of them, none else), each lowers the loss of a learnable toy task, and a
 * task saved with `saveTask` comes back bit-exact through `TaskSwitcher` on a freshly loaded
 * base — also after swapping other tasks in and out, with the base LayerNorms a Houlsby task
 * trained put back, and without leaking tensors.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/ml/tf.js';
import { applyStrategy, readTaskManifest, saveTask, TaskSwitcher, type StrategySpec, type TaskManifest } from '../../src/ml/strategy.js';
import { loadPretrained, saveHf } from '../../src/ml/hf.js';
import { runFinetune, taskLoss, type TrainSettings } from '../../src/ml/finetune.js';
import { fit } from '../../src/ml/train/trainer.js';
import type { Example } from '../../src/ml/data.js';
import type { Family } from '../../src/ml/config.js';
import type { Task, Transformer } from '../../src/ml/model.js';
import { describeBackends, FAMILY_LIST, maxAbs, maxAbsDiff, rand, randomModel, randomize, run, tempDir, values } from './helpers.js';

const dirs: string[] = [];
function scratch(): string {
  const d = tempDir('ftr-strategy-');
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** label 1 ⇔ token 7 occurs; sequences of 8 starting with a [CLS]-like 1, other tokens from 2…49 but 7. */
function toyExamples(n: number, seed: number): Example[] {
  const r = rand(seed);
  return Array.from({ length: n }, (_, i) => {
    const ids = [1];
    while (ids.length < 8) {
      const t = 2 + Math.floor(r() * 48);
      if (t !== 7) ids.push(t);
    }
    const label = i % 2;
    if (label) ids[1 + Math.floor(r() * 7)] = 7;
    return { id: `e${i}`, ids: Int32Array.from(ids), label, weight: 1 };
  });
}

/** Causal-LM rows: each next token is the previous + 3 (mod 50, skipping 0), targets shifted by one. */
function lmExamples(n: number, seed: number): Example[] {
  const r = rand(seed);
  return Array.from({ length: n }, (_, i) => {
    const ids: number[] = [1 + Math.floor(r() * 49)];
    while (ids.length < 8) ids.push(((ids[ids.length - 1] + 2) % 49) + 1);
    return { id: `l${i}`, ids: Int32Array.from(ids), targets: Int32Array.from([...ids.slice(1), -100]), weight: 1 };
  });
}

function lossOf(model: Transformer, rows: Example[]): number {
  return tf.tidy(() => taskLoss(model, rows, false).dataSync()[0]);
}

/** Head variables by family and task (GPT-2's LM head is the token embedding, tied). */
const HEADS: Record<string, string[]> = {
  'bert seq_cls': ['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight'],
  'bert mlm': ['cls.predictions.bias', 'cls.predictions.transform.LayerNorm.bias', 'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.transform.dense.bias', 'cls.predictions.transform.dense.weight'],
  'distilbert seq_cls': ['classifier.bias', 'classifier.weight', 'pre_classifier.bias', 'pre_classifier.weight'],
  'gpt2 seq_cls': ['score.weight'],
  'gpt2 lm': [],
};

/** Base LayerNorm parameters, by each architecture's own naming (embeddings / per layer / final). */
const LAYER_NORMS: Record<Family, RegExp> = {
  bert: /^bert\.(embeddings|encoder\.layer\.\d+\.(attention\.output|output))\.LayerNorm\.(weight|bias)$/,
  distilbert: /^distilbert\.(embeddings\.LayerNorm|transformer\.layer\.\d+\.(sa_layer_norm|output_layer_norm))\.(weight|bias)$/,
  gpt2: /^transformer\.(h\.\d+\.ln_[12]|ln_f)\.(weight|bias)$/,
};

const LORA_TARGETS: Record<Family, RegExp> = {
  bert: /^bert\.encoder\.layer\.[01]\.attention\.self\.(query|value)\.lora_[AB]\.weight$/,
  distilbert: /^distilbert\.transformer\.layer\.[01]\.attention\.(q_lin|v_lin)\.lora_[AB]\.weight$/,
  gpt2: /^transformer\.h\.[01]\.attn\.c_attn\.lora_[AB]\.weight$/,
};

interface TrainableCase {
  strategy: StrategySpec;
  /** which names must be trainable besides the head, and how many there are (2 layers) */
  expect: (family: Family, name: string) => boolean;
  count: (family: Family) => number;
}

const isAdapter = (n: string) => /\.adapters\.default\.adapter_(down\.0|up)\.(weight|bias)$/.test(n);
const isOutputAdapter = (n: string) => isAdapter(n) && /\.(output|output_adapters)\.adapters\./.test(n) && !/attention/.test(n);

const TRAINABLE: Record<string, TrainableCase> = {
  full: { strategy: { strategy: 'full' }, expect: () => true, count: () => -1 },
  frozen: { strategy: { strategy: 'frozen' }, expect: () => false, count: () => 0 },
  'adapter houlsby': {
    strategy: { strategy: 'adapter', adapter: { placement: 'houlsby', size: 4, act: 'swish' } },
    expect: (f, n) => isAdapter(n) || LAYER_NORMS[f].test(n),
    // 2 layers × 2 adapters × 4 tensors + (1 + 2·2) LayerNorms × 2 tensors
    count: () => 16 + 10,
  },
  'adapter pfeiffer': { strategy: { strategy: 'adapter', adapter: { placement: 'pfeiffer', size: 4, act: 'relu' } }, expect: (_, n) => isOutputAdapter(n), count: () => 8 },
  lora: { strategy: { strategy: 'lora' }, expect: (f, n) => LORA_TARGETS[f].test(n), count: (f) => (f === 'gpt2' ? 4 : 8) },
  prompt: { strategy: { strategy: 'prompt', tokens: 3 }, expect: (_, n) => n === 'prompt_embeddings', count: () => 1 },
  prefix: { strategy: { strategy: 'prefix', tokens: 3 }, expect: (_, n) => n === 'prefix_embeddings', count: () => 1 },
};

describe('trainable variables per strategy', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  // the tied-output tasks (LM, MLM) run the output projection through the frozen product: its own case
  const cases = [
    ...FAMILY_LIST.flatMap((family) => Object.keys(TRAINABLE).map((name) => ({ family, task: 'seq_cls' as Task, name }))),
    ...['full', 'adapter houlsby', 'adapter pfeiffer', 'lora', 'prompt', 'prefix'].map((name) => ({ family: 'gpt2' as Family, task: 'lm' as Task, name })),
    ...['adapter houlsby', 'lora', 'prefix'].map((name) => ({ family: 'bert' as Family, task: 'mlm' as Task, name })),
  ];
  it.each(cases)('$family $task $name: exactly its variables train, and gradients reach all of them and no others', ({ family, task, name }) => {
    const c = TRAINABLE[name];
    const head = HEADS[`${family} ${task}`];
    const model = randomModel(family, 1, task);
    try {
      applyStrategy(model, c.strategy, 2);
      const all = model.params.names();
      const want = all.filter((n) => head.includes(n) || c.expect(family, n));
      if (c.count(family) >= 0) expect(want.length).toBe(head.length + c.count(family));
      const vars = model.params.trainableVars();
      expect([...vars.keys()]).toEqual(want);
      for (const n of all) expect(model.params.get(n).trainable, n).toBe(want.includes(n));

      // zero-initialised projections (LoRA B, adapter up) would zero the gradients before them
      randomize(model, (_, role) => role === 'lora' || role === 'adapter', 3, 0.2);
      const rows = task === 'seq_cls' ? toyExamples(4, 1) : lmExamples(3, 1);
      if (task === 'mlm') for (const r of rows) r.targets = Int32Array.from(r.ids, (id, i) => (i % 3 === 1 ? id : -100));
      const allVars = all.map((n) => model.params.get(n));
      const { value, grads } = tf.variableGrads(() => taskLoss(model, rows, true), allVars);
      try {
        for (const n of all) {
          const g = grads[model.params.get(n).name];
          if (want.includes(n)) {
            expect(g, `${n} has a gradient`).toBeTruthy();
            expect(maxAbs(g.dataSync()), `${n}'s gradient is not all zero`).toBeGreaterThan(0);
          } else expect(g ?? null, `${n} has no gradient`).toBeNull();
        }
      } finally {
        tf.dispose([value, ...Object.values(grads).filter((g): g is tf.Tensor => !!g)]);
      }
    } finally {
      model.dispose();
    }
  });
});

describe('every strategy learns the toy task (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  const train = toyExamples(48, 3);
  const STEPS = 40;
  // learning rates per strategy as one would pick them; margins about half the drop each one shows
  const CASES: { name: string; strategy: StrategySpec; lr: number; margin: number }[] = [
    { name: 'full', strategy: { strategy: 'full' }, lr: 3e-3, margin: 0.3 },
    { name: 'frozen', strategy: { strategy: 'frozen' }, lr: 3e-2, margin: 0.06 },
    { name: 'adapter houlsby', strategy: { strategy: 'adapter', adapter: { placement: 'houlsby', size: 8, act: 'swish' } }, lr: 1e-2, margin: 0.2 },
    { name: 'adapter pfeiffer', strategy: { strategy: 'adapter', adapter: { placement: 'pfeiffer', size: 8, act: 'swish' } }, lr: 1e-2, margin: 0.12 },
    { name: 'lora', strategy: { strategy: 'lora', lora: { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] } }, lr: 1e-2, margin: 0.3 },
    { name: 'prompt', strategy: { strategy: 'prompt', tokens: 4 }, lr: 3e-2, margin: 0.12 },
    { name: 'prefix', strategy: { strategy: 'prefix', tokens: 4 }, lr: 3e-2, margin: 0.3 },
  ];

  /**
   * The random init (std 0.02) is a near-constant function of the input, from which no head can
   * learn anything; larger random weights stand in for a pre-trained base whose features carry the input.
   */
  function pretrainedLike(model: Transformer): Transformer {
    randomize(model, (n, role) => role === 'base' && n.endsWith('.weight') && !LAYER_NORMS[model.config.family].test(n), 99, 0.3);
    return model;
  }

  async function trainAndCheck(model: Transformer, spec: StrategySpec, rows: Example[], lr: number, margin: number) {
    applyStrategy(model, spec, 5);
    const frozen = values(model, (n) => !model.params.isTrainable(n));
    const trainable = values(model, (n) => model.params.isTrainable(n));
    const initial = lossOf(model, rows);
    const result = await fit<Example>({
      vars: model.params.trainableVars(),
      train: rows,
      batchSize: 16,
      maxSteps: STEPS,
      lr,
      schedule: 'constant',
      seed: 1,
      loss: (batch, training, ctx) => taskLoss(model, batch, training, ctx.seed),
    });
    expect(result.steps).toBe(STEPS);
    const final = lossOf(model, rows);
    expect(Number.isFinite(final)).toBe(true);
    expect(final, `loss ${initial.toFixed(4)} → ${final.toFixed(4)}`).toBeLessThan(initial - margin);
    // frozen variables did not move by a bit; every trained one moved
    for (const [n, v] of values(model, (name) => frozen.has(name))) expect(maxAbsDiff(v, frozen.get(n)!), n).toBe(0);
    for (const [n, v] of values(model, (name) => trainable.has(name))) expect(maxAbsDiff(v, trainable.get(n)!), n).toBeGreaterThan(0);
    return { initial, final };
  }

  it.each(CASES)('bert $name lowers the training loss', async ({ strategy, lr, margin }) => {
    const model = pretrainedLike(randomModel('bert', 21, 'seq_cls'));
    try {
      await trainAndCheck(model, strategy, train, lr, margin);
    } finally {
      model.dispose();
    }
  });

  it('gpt2 lm with lora lowers the causal-LM loss', async () => {
    const model = pretrainedLike(randomModel('gpt2', 21, 'lm'));
    try {
      // 4.50 → 2.83 when written
      await trainAndCheck(model, { strategy: 'lora', lora: { r: 4, alpha: 8, dropout: 0, targets: ['all-linear'] } }, lmExamples(32, 4), 1e-2, 0.8);
    } finally {
      model.dispose();
    }
  });
});

const MANIFEST = (task: Task, labels: string[], family: Family, strategy: StrategySpec): Omit<TaskManifest, 'format' | 'trainedBase'> => ({
  task,
  labels,
  family,
  strategy,
  baseSha256: 'test',
  maxLen: 8,
  params: { trainable: 0, total: 0 },
  backend: 'cpu',
  seed: 0,
});

/** Three tasks per family, with strategies that add different variables and (Houlsby) change the base. */
const TASKS: Record<Family, { task: Task; labels: string[]; strategy: StrategySpec }[]> = {
  bert: [
    { task: 'seq_cls', labels: ['no', 'yes'], strategy: { strategy: 'adapter', adapter: { placement: 'houlsby', size: 4, act: 'swish' } } },
    { task: 'token_cls', labels: ['O', 'B-X', 'I-X'], strategy: { strategy: 'lora', lora: { r: 2, alpha: 4, dropout: 0, targets: ['all-linear'] } } },
    { task: 'seq_cls', labels: ['a', 'b', 'c', 'd'], strategy: { strategy: 'prompt', tokens: 3 } },
  ],
  distilbert: [
    { task: 'seq_cls', labels: ['no', 'yes'], strategy: { strategy: 'adapter', adapter: { placement: 'houlsby', size: 4, act: 'gelu' } } },
    { task: 'seq_cls', labels: ['x', 'y', 'z'], strategy: { strategy: 'prefix', tokens: 2 } },
    { task: 'token_cls', labels: ['O', 'B-X'], strategy: { strategy: 'adapter', adapter: { placement: 'pfeiffer', size: 4, act: 'relu' } } },
  ],
  gpt2: [
    { task: 'seq_cls', labels: ['no', 'yes'], strategy: { strategy: 'adapter', adapter: { placement: 'houlsby', size: 4, act: 'relu' } } },
    { task: 'lm', labels: [], strategy: { strategy: 'lora', lora: { r: 2, alpha: 4, dropout: 0, targets: ['c_attn', 'c_fc'] } } },
    { task: 'seq_cls', labels: ['x', 'y', 'z'], strategy: { strategy: 'prefix', tokens: 2 } },
  ],
};

describeBackends()('on %s', (backend) => {
  describe.each(FAMILY_LIST)('task save / swap round trip on %s', (family) => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    /** A base model folder (no head), as `pretrain` or a download leaves it. */
    function baseFolder(): string {
      const dir = scratch();
      const base = randomModel(family, 31, 'none');
      saveHf(dir, base);
      base.dispose();
      return dir;
    }

    it('saveTask → TaskSwitcher gives each task its logits back exactly, through A → B → A → C → A swaps', async () => {
      const baseDir = baseFolder();
      const saved: { dir: string; out: ReturnType<typeof run>; changedBase: string[] }[] = [];
      for (const [i, t] of TASKS[family].entries()) {
        const model = await loadPretrained(baseDir, { task: t.task, labels: t.labels, seed: i });
        try {
          applyStrategy(model, t.strategy, 40 + i);
          // "trained": every trainable variable (LayerNorms of a Houlsby task included) gets new values
          const changed = randomize(model, (n) => model.params.isTrainable(n), 50 + i, 0.3);
          const dir = scratch();
          saveTask(dir, model, MANIFEST(t.task, t.labels, family, t.strategy));
          saved.push({ dir, out: run(model), changedBase: changed.filter((n) => model.params.role(n) === 'base') });
        } finally {
          model.dispose();
        }
      }
      // the Houlsby task changed base LayerNorms; the others did not touch the base
      expect(saved[0].changedBase.length).toBe(10);
      expect(saved[1].changedBase).toEqual([]);
      expect(readTaskManifest(saved[0].dir).trainedBase.sort()).toEqual(saved[0].changedBase.sort());

      const fresh = await loadPretrained(baseDir, { task: 'none' });
      try {
        const base = values(fresh);
        const tensors = tf.memory().numTensors;
        const sw = new TaskSwitcher(fresh);
        for (const k of [0, 1, 0, 2, 0, 1]) {
          const m = sw.load(saved[k].dir);
          expect(m.task).toBe(TASKS[family][k].task);
          expect(fresh.labels).toEqual(TASKS[family][k].labels);
          const out = run(fresh);
          expect(out.logitsShape, `task ${k}`).toEqual(saved[k].out.logitsShape);
          expect(maxAbsDiff(out.hidden, saved[k].out.hidden), `task ${k} hidden`).toBe(0);
          expect(maxAbsDiff(out.logits, saved[k].out.logits), `task ${k} logits`).toBe(0);
          // a loaded task is for inference: nothing trains
          expect(fresh.params.trainableVars().size).toBe(0);
          if (k !== 0) {
            // the Houlsby task's LayerNorms were put back when it was swapped out
            for (const n of saved[0].changedBase) expect(maxAbsDiff(fresh.params.get(n).dataSync(), base.get(n)!), n).toBe(0);
          }
        }
        sw.unload();
        expect(fresh.params.names()).toEqual([...base.keys()]);
        for (const [n, v] of values(fresh)) expect(maxAbsDiff(v, base.get(n)!), n).toBe(0);
        expect(fresh.lora.size).toBe(0);
        expect(fresh.adapter).toBeUndefined();
        expect(fresh.promptTokens + fresh.prefixTokens).toBe(0);
        // six swaps leave no tensors behind
        expect(tf.memory().numTensors).toBe(tensors);
      } finally {
        fresh.dispose();
      }
    });
  });
});

describeBackends()('on %s', (backend) => {
  describe('a task trained by runFinetune round-trips', () => {
    const SETTINGS: TrainSettings = { batchSize: 8, accumulate: 1, epochs: 1, maxSteps: 3, lr: 5e-2, schedule: 'constant', warmup: 0, weightDecay: 0, seed: 3, metric: 'loss' };

    it.each([
      { name: 'adapter houlsby', strategy: { strategy: 'adapter', adapter: { placement: 'houlsby', size: 4, act: 'swish' } } as StrategySpec },
      { name: 'lora', strategy: { strategy: 'lora', lora: { r: 2, alpha: 4, dropout: 0, targets: ['query', 'value'] } } as StrategySpec },
    ])('$name: the saved task reproduces the trained model exactly', async ({ strategy }) => {
      const baseDir = scratch();
      const base = randomModel('bert', 8, 'none');
      saveHf(baseDir, base);
      base.dispose();
      const result = await runFinetune({
        baseDir,
        task: 'seq_cls',
        labels: ['no', 'yes'],
        strategy,
        train: SETTINGS,
        backend,
        data: { train: toyExamples(16, 9), val: [], test: [] },
      });
      const dir = scratch();
      let trained: ReturnType<typeof run>;
      try {
        trained = run(result.model);
        saveTask(dir, result.model, MANIFEST('seq_cls', ['no', 'yes'], 'bert', strategy));
      } finally {
        result.model.dispose();
      }
      const fresh = await loadPretrained(baseDir, { task: 'none' });
      try {
        new TaskSwitcher(fresh).load(dir);
        const out = run(fresh);
        expect(maxAbsDiff(out.hidden, trained.hidden)).toBe(0);
        expect(maxAbsDiff(out.logits, trained.logits)).toBe(0);
      } finally {
        fresh.dispose();
      }
    });
  });
});

describe('TaskSwitcher errors', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  async function setup() {
    const baseDir = scratch();
    const base = randomModel('bert', 2, 'none');
    saveHf(baseDir, base);
    base.dispose();
    return { baseDir, model: await loadPretrained(baseDir, { task: 'none' }) };
  }

  function writeTask(dir: string, family: Family, strategy: StrategySpec, hidden?: number) {
    const m = randomModel(family, 3, 'seq_cls', hidden ? { hidden, intermediate: 2 * hidden } : {});
    try {
      applyStrategy(m, strategy, 0);
      saveTask(dir, m, MANIFEST('seq_cls', ['no', 'yes'], family, strategy));
    } finally {
      m.dispose();
    }
  }

  it('a folder without adapter.json', async () => {
    const { model } = await setup();
    try {
      const dir = scratch();
      expect(() => new TaskSwitcher(model).load(dir)).toThrow(new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no adapter.json`));
    } finally {
      model.dispose();
    }
  });

  it('an unknown manifest format names the file', async () => {
    const { model } = await setup();
    try {
      const dir = scratch();
      writeTask(dir, 'bert', { strategy: 'lora' });
      const path = join(dir, 'adapter.json');
      writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), format: 'ftr-task/9' }));
      expect(() => new TaskSwitcher(model).load(dir)).toThrow(`${path}: unknown format "ftr-task/9"`);
    } finally {
      model.dispose();
    }
  });

  it('a task for another family, and a full fine-tune, are refused', async () => {
    const { model } = await setup();
    try {
      const gpt = scratch();
      writeTask(gpt, 'gpt2', { strategy: 'lora' });
      expect(() => new TaskSwitcher(model).load(gpt)).toThrow(/trained on a gpt2 base, the loaded base is bert/);
      const full = scratch();
      writeTask(full, 'bert', { strategy: 'lora' });
      const path = join(full, 'adapter.json');
      writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), strategy: { strategy: 'full' } }));
      expect(() => new TaskSwitcher(model).load(full)).toThrow(/a `full` fine-tune is a whole model/);
    } finally {
      model.dispose();
    }
  });

  it('a task trained on a base of another size names adapter.safetensors and the tensor', async () => {
    const { model } = await setup();
    try {
      const dir = scratch();
      writeTask(dir, 'bert', { strategy: 'lora' }, 8);
      expect(existsSync(join(dir, 'adapter.safetensors'))).toBe(true);
      expect(() => new TaskSwitcher(model).load(dir)).toThrow(new RegExp(`adapter\\.safetensors: \`[^\`]+\` has shape \\[\\d+,\\d+\\], the model expects \\[\\d+,\\d+\\]`));
    } finally {
      model.dispose();
    }
  });
});
