import { describe, expect, it } from 'vitest';
import { fromTorchLayout, isTorchLinear, sortedJson, toTorchLayout } from '../../../src/ml/export/layout.js';
import { at, seq } from './helpers.js';

describe('isTorchLinear', () => {
  it('knows nn.Linear weights from embeddings, LayerNorms, biases and GPT-2 Conv1D', () => {
    const cases: [string, 'bert' | 'distilbert' | 'gpt2', boolean][] = [
      ['bert.encoder.layer.0.attention.self.query.weight', 'bert', true],
      ['bert.encoder.layer.0.attention.output.dense.weight', 'bert', true],
      ['bert.encoder.layer.0.intermediate.dense.weight', 'bert', true],
      ['bert.pooler.dense.weight', 'bert', true],
      ['classifier.weight', 'bert', true],
      ['bert.encoder.layer.0.attention.output.adapters.default.adapter_down.0.weight', 'bert', true],
      ['bert.encoder.layer.0.output.adapters.default.adapter_up.weight', 'bert', true],
      ['bert.embeddings.word_embeddings.weight', 'bert', false],
      ['bert.embeddings.position_embeddings.weight', 'bert', false],
      ['bert.embeddings.token_type_embeddings.weight', 'bert', false],
      ['bert.embeddings.LayerNorm.weight', 'bert', false],
      ['bert.encoder.layer.0.output.LayerNorm.weight', 'bert', false],
      ['bert.encoder.layer.0.attention.self.query.bias', 'bert', false],
      ['distilbert.transformer.layer.1.attention.q_lin.weight', 'distilbert', true],
      ['distilbert.transformer.layer.1.ffn.lin2.weight', 'distilbert', true],
      ['distilbert.transformer.layer.1.sa_layer_norm.weight', 'distilbert', false],
      ['distilbert.transformer.layer.1.output_layer_norm.weight', 'distilbert', false],
      ['pre_classifier.weight', 'distilbert', true],
      ['transformer.h.0.attn.c_attn.weight', 'gpt2', false],
      ['transformer.h.0.attn.c_proj.weight', 'gpt2', false],
      ['transformer.h.0.mlp.c_fc.weight', 'gpt2', false],
      ['transformer.h.0.mlp.c_proj.weight', 'gpt2', false],
      ['transformer.h.0.ln_1.weight', 'gpt2', false],
      ['transformer.ln_f.weight', 'gpt2', false],
      ['transformer.wte.weight', 'gpt2', false],
      ['transformer.wpe.weight', 'gpt2', false],
      ['score.weight', 'gpt2', true],
      ['transformer.h.0.output_adapters.adapters.default.adapter_down.0.weight', 'gpt2', true],
    ];
    for (const [name, family, want] of cases) expect([name, isTorchLinear(name, family)]).toEqual([name, want]);
  });
});

describe('toTorchLayout', () => {
  it('transposes Linear weights [in, out] → [out, in] and is its own inverse', () => {
    const w = seq([2, 3]);
    const t = toTorchLayout('classifier.weight', w, 'bert');
    expect(t.shape).toEqual([3, 2]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(at(t, j, i)).toBe(at(w, i, j));
    expect(Array.from(fromTorchLayout('classifier.weight', t, 'bert').data)).toEqual(Array.from(w.data));
  });

  it('leaves Conv1D, embeddings and vectors alone', () => {
    const w = seq([2, 6]);
    expect(toTorchLayout('transformer.h.0.attn.c_attn.weight', w, 'gpt2')).toBe(w);
    expect(toTorchLayout('transformer.wte.weight', w, 'gpt2')).toBe(w);
    const b = seq([3]);
    expect(toTorchLayout('classifier.bias', b, 'bert')).toBe(b);
  });
});

describe('sortedJson', () => {
  it('sorts keys at every level, like json.dumps(sort_keys=True)', () => {
    expect(sortedJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(JSON.stringify({ a: { c: null, d: [{ y: 2, z: 1 }] }, b: 1 }, null, 2));
  });
});
