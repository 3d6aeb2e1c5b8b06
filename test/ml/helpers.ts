/** Tiny random models, batches and comparisons shared by the model, strategy and kernel tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { tf, useBackend } from '../../src/ml/tf.js';
import { findNative, nativeDir } from '../../src/ml/native.js';
import type { Family, ModelConfig } from '../../src/ml/config.js';
import { Transformer, type Batch, type Task } from '../../src/ml/model.js';
import type { Role } from '../../src/ml/params.js';

export const FAMILY_LIST: Family[] = ['bert', 'distilbert', 'gpt2'];

export type TestBackend = 'cpu' | 'wasm' | 'tensorflow';
/** The model-correctness suite runs on each: the embedded ones always, the native one when installed. */
export const ALL_BACKENDS: readonly TestBackend[] = ['cpu', 'wasm', 'tensorflow'];

/** `npm run native` has installed tfjs-node (not loaded here: the suites that run on it load it). */
export const NATIVE_INSTALLED = findNative() !== undefined;
/** CI sets this once it has built the native backend: an absent one is then a failure, not a skip. */
const NATIVE_REQUIRED = process.env.FTR_REQUIRE_NATIVE === '1';
const NATIVE_ABSENT = `NATIVE BACKEND NOT INSTALLED (${nativeDir()}): the \`tensorflow\` variants are SKIPPED; \`npm run native\` builds it`;
if (!NATIVE_INSTALLED && !NATIVE_REQUIRED) console.warn(`\n*** ${NATIVE_ABSENT} ***\n`);

/**
 * `describe` once per backend, the backend selected for the block (and the one before it restored
 * after, so blocks that assume cpu still get it). `%s` in the title is the backend's name.
 * The native variant is skipped — visibly, with the reason in its title — when not installed.
 */
export function describeBackends(backends: readonly TestBackend[] = ALL_BACKENDS) {
  return (title: string, body: (backend: TestBackend) => void) => {
    for (const backend of backends) {
      const name = title.includes('%s') ? title.replace('%s', backend) : `${title} [${backend}]`;
      if (backend === 'tensorflow' && !NATIVE_INSTALLED) {
        if (NATIVE_REQUIRED) describe(name, () => it('has the native backend (FTR_REQUIRE_NATIVE=1)', () => {
          throw new Error(NATIVE_ABSENT);
        }));
        else describe.skipIf(true)(`${name} — ${NATIVE_ABSENT}`, () => body(backend));
        continue;
      }
      describe(name, () => {
        let before: string | null = null;
        beforeAll(async () => {
          before = tf.engine().backendName;
          await useBackend(backend);
        });
        afterAll(async () => {
          if (before && before !== backend) await useBackend(before as TestBackend);
        });
        body(backend);
      });
    }
  };
}

/** A model small enough that a forward pass takes milliseconds; dropout off unless asked for. */
export function tinyConfig(family: Family, over: Partial<ModelConfig> = {}): ModelConfig {
  const common = { vocabSize: 50, hidden: 16, layers: 2, heads: 2, intermediate: 32, maxPositions: 40, dropout: 0, padId: 0 };
  switch (family) {
    case 'bert':
      return { family, ...common, typeVocab: 2, eps: 1e-12, act: 'gelu', ...over };
    case 'distilbert':
      return { family, ...common, typeVocab: 0, eps: 1e-12, act: 'gelu', ...over };
    case 'gpt2':
      return { family, ...common, typeVocab: 0, eps: 1e-5, act: 'gelu_new', ...over };
  }
}

/** The task each family is exercised with: classification for the encoders, causal LM for GPT-2. */
export function defaultTask(family: Family): Task {
  return family === 'gpt2' ? 'lm' : 'seq_cls';
}

export function randomModel(family: Family, seed = 1, task: Task = defaultTask(family), over: Partial<ModelConfig> = {}): Transformer {
  return Transformer.random(tinyConfig(family, over), task, task === 'seq_cls' || task === 'token_cls' ? ['no', 'yes'] : [], seed);
}

export { mulberry32 as rand } from '../../src/ml/random.js';

/** Rows of token ids padded to the longest with `pad`, as a Batch with its attention mask. */
export function batchOf(rows: number[][], pad = 0): Batch {
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(B * T).fill(pad);
  const mask = new Int32Array(B * T);
  rows.forEach((r, i) => {
    ids.set(r, i * T);
    mask.fill(1, i * T, i * T + r.length);
  });
  return { ids, mask, batch: B, seq: T };
}

/** Two rows, the second padded: exercises the attention mask in every comparison. */
export const BATCH_ROWS = [
  [1, 7, 12, 33, 4, 9, 21],
  [1, 5, 44, 2, 8],
];

/** Hidden states and logits of an inference forward, as plain arrays (tensors disposed). */
export function run(model: Transformer, batch: Batch = batchOf(BATCH_ROWS)): { hidden: Float32Array; logits: Float32Array; hiddenShape: number[]; logitsShape: number[] } {
  return tf.tidy(() => {
    const out = model.forward(batch, { training: false });
    return {
      hidden: out.hidden.dataSync() as Float32Array,
      logits: (out.logits?.dataSync() ?? new Float32Array()) as Float32Array,
      hiddenShape: out.hidden.shape,
      logitsShape: out.logits?.shape ?? [],
    };
  });
}

/** max |a − b|; a NaN anywhere or a length mismatch counts as Infinity. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= m)) m = Number.isNaN(e) ? Infinity : e;
  }
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Give the selected variables random N(0, std²) values (deterministic in `seed`). */
export function randomize(model: Transformer, pick: (name: string, role: Role) => boolean, seed: number, std = 0.2): string[] {
  const names = model.params.names().filter((n) => pick(n, model.params.role(n)!));
  names.forEach((n, i) => {
    const v = model.params.get(n);
    const t = tf.randomNormal(v.shape, 0, std, 'float32', seed * 1000 + i);
    v.assign(t);
    t.dispose();
  });
  return names;
}

/** A copy of every variable's values, by name. */
export function values(model: Transformer, pick: (name: string, role: Role) => boolean = () => true): Map<string, Float32Array> {
  return new Map([...model.params.snapshot(pick)].map(([n, t]) => [n, Float32Array.from(t.data)]));
}

export function tempDir(prefix = 'ftr-ml-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
