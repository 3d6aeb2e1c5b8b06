import { fakeContext } from '../harness.js';
import { describe, expect, it } from 'vitest';
import { ModelTokenizer } from '../../../src/ml/data.js';
import { buildExamples, settingsOf } from '../../../src/ops/finetune/shared.js';
import { finetune } from '../../../src/ops/finetune/finetune.js';
import type { OpContext, Row } from '../../../src/ops/types.js';
import { rowSet, withDefaults } from '../harness.js';

/** A word-level WordPiece vocabulary: enough to turn rows into ids without training one. */
const VOCAB = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', 'good', 'bad', 'film', 'very'];
const TOKENIZER = JSON.stringify({
  model: { type: 'WordPiece', vocab: Object.fromEntries(VOCAB.map((w, i) => [w, i])), unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100 },
  pre_tokenizer: { type: 'Whitespace' },
  added_tokens: VOCAB.slice(0, 4).map((content, id) => ({ id, content, special: true, single_word: false, lstrip: false, rstrip: false, normalized: false })),
  post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }], pair: [], special_tokens: { '[CLS]': { id: '[CLS]', ids: [1], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [2], tokens: ['[SEP]'] } } },
});

const ctx: OpContext = fakeContext();

describe('buildExamples', () => {
  it('encodes with the base tokenizer, takes row weights from a `weight` column, counts rows it leaves out and sorts labels', async () => {
    const tok = await ModelTokenizer.fromJson(TOKENIZER, 'tokenizer.json');
    const train: Row[] = [
      { id: 'a', text: 'very good film', label: 'pos', weight: 2 },
      { id: 'b', text: 'bad film', label: 'neg', weight: 0.5 },
      { id: 'c', text: 'good', label: null },
      { id: 'd', text: '', label: 'pos' },
    ];
    const params = withDefaults(finetune, { base: 'x', path: 'out' });
    const set = await buildExamples({ train: rowSet(train), val: rowSet([{ id: 'e', text: 'good', label: 'pos' }]) }, params, tok, ['id', 'text', 'label', 'weight'], ctx);
    expect(set.labels).toEqual(['neg', 'pos']);
    expect(set.train.map((e) => [e.id, Array.from(e.ids), e.label, e.weight])).toEqual([
      ['a', [1, 7, 4, 6, 2], 1, 2],
      ['b', [1, 5, 6, 2], 0, 0.5],
    ]);
    expect(set.skipped).toEqual({ 'no label': 1, 'no text': 1 });
    expect(set.val).toHaveLength(1);
    expect(set.test).toHaveLength(0);
    // a label outside the declared set is left out, with its name
    const declared = await buildExamples({ train: rowSet(train) }, { ...params, labels: ['pos', 'neutral'] }, tok, ['text', 'label'], ctx);
    expect(declared.skipped['label not declared (neg)']).toBe(1);
    // without a weight column every row weighs 1; max_len cuts and keeps the closing [SEP]
    const short = await buildExamples({ train: rowSet(train) }, { ...params, max_len: 4 }, tok, ['text', 'label'], ctx);
    expect(short.train.map((e) => e.weight)).toEqual([1, 1]);
    expect(Array.from(short.train[0].ids)).toEqual([1, 7, 4, 2]);
  });

  it('resolves per-strategy learning rates unless `lr` is set', () => {
    const p = withDefaults(finetune, { base: 'x', path: 'out' });
    expect(settingsOf(p, 'full', 1).lr).toBe(3e-4);
    expect(settingsOf(p, 'prompt', 1).lr).toBe(3e-2);
    expect(settingsOf({ ...p, lr: 0.01 }, 'full', 1).lr).toBe(0.01);
    expect(settingsOf({ ...p, task: 'generate' }, 'lora', 1).metric).toBe('loss');
  });
});
