/**
 * Loader and forward-pass parity with Hugging Face: the tiny BERT, DistilBERT and GPT-2
 * checkpoints under test/fixtures/models (HF names and layouts, seeded) go through
 * `loadPretrained` and `forward`, and the hidden states and logits must match what the
 * independent numpy reference (make_reference.py, float64, HF math) wrote to expected.json.
 * Padded positions are left out: only unpadded hidden states (and, for GPT-2, logits) count.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPretrained } from '../../src/ml/hf.js';
import { tf, useBackend } from '../../src/ml/tf.js';
import { describeBackends } from './helpers.js';

const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const TOL = 1e-4;

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  last_hidden_state: number[][][];
  logits: number[][] | number[][][];
}

const CASES = [
  { dir: 'tiny-bert', task: 'seq_cls' as const },
  { dir: 'tiny-distilbert', task: 'seq_cls' as const },
  { dir: 'tiny-gpt2', task: 'lm' as const },
];

/** Largest |got − want| over the rows for which `keep(b, t)` holds; `where` says where it was. */
function maxAbsError(got: number[][][], want: number[][][], keep: (b: number, t: number) => boolean): { err: number; where: string } {
  let err = 0;
  let where = 'nowhere';
  for (let b = 0; b < want.length; b++) {
    for (let t = 0; t < want[b].length; t++) {
      if (!keep(b, t)) continue;
      for (let j = 0; j < want[b][t].length; j++) {
        const e = Math.abs(got[b][t][j] - want[b][t][j]);
        // a NaN from the model must fail, not slip past a `>` comparison
        if (!(e <= err)) {
          err = Number.isNaN(e) ? Infinity : e;
          where = `[${b}][${t}][${j}]: got ${got[b][t][j]}, want ${want[b][t][j]}`;
        }
      }
    }
  }
  return { err, where };
}

describeBackends()('Hugging Face checkpoint parity on the %s backend', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CASES)('$dir ($task) matches the numpy reference', async ({ dir, task }) => {
    const e = JSON.parse(readFileSync(join(MODELS, dir, 'expected.json'), 'utf8')) as Expected;
    const batch = e.input_ids.length;
    const seq = e.input_ids[0].length;
    const d = e.last_hidden_state[0][0].length;
    const mask = e.attention_mask;
    const unpadded = (b: number, t: number) => mask[b][t] === 1;

    const model = await loadPretrained(join(MODELS, dir), { task });
    try {
      const out = model.forward(
        {
          ids: Int32Array.from(e.input_ids.flat()),
          mask: Int32Array.from(mask.flat()),
          ...(e.token_type_ids ? { typeIds: Int32Array.from(e.token_type_ids.flat()) } : {}),
          batch,
          seq,
        },
        { training: false },
      );
      try {
        expect(out.hidden.shape).toEqual([batch, seq, d]);
        const hidden = (await out.hidden.array()) as number[][][];
        const h = maxAbsError(hidden, e.last_hidden_state, unpadded);
        expect(h.err, `${dir} hidden state, worst at ${h.where}`).toBeLessThanOrEqual(TOL);

        const logitsT = out.logits;
        if (!logitsT) throw new Error(`${dir}: forward gave no logits for task ${task}`);

        if (task === 'lm') {
          const want = e.logits as number[][][];
          expect(logitsT.shape).toEqual([batch, seq, want[0][0].length]);
          const logits = (await logitsT.array()) as number[][][];
          const l = maxAbsError(logits, want, unpadded);
          expect(l.err, `${dir} logits, worst at ${l.where}`).toBeLessThanOrEqual(TOL);
        } else {
          const want = e.logits as number[][];
          expect(logitsT.shape).toEqual([batch, want[0].length]);
          const logits = (await logitsT.array()) as number[][];
          // every row counts: padding must not change a sequence's pooled logits
          const l = maxAbsError([logits], [want], () => true);
          expect(l.err, `${dir} logits, worst at ${l.where}`).toBeLessThanOrEqual(TOL);
        }
      } finally {
        for (const v of Object.values(out)) if (v instanceof tf.Tensor) v.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});
