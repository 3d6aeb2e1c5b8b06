/**
 * The reference checkpoints under test/fixtures/models (written by make_reference.py, numpy only)
 * are well formed: Hugging Face tensor names and layouts for each architecture, shapes that agree
 * with config.json, and expected.json inputs/outputs of the sizes the config implies. Uses only
 * the safetensors reader, not the model code, so a broken fixture is told apart from a broken model.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/ml/safetensors.js';

const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const B = 2;
const T = 7;
const PADDED = 2; // the second sequence's last 2 positions are padding

type Json = Record<string, unknown>;
const readJson = (dir: string, file: string) => JSON.parse(readFileSync(join(MODELS, dir, file), 'utf8')) as Json;

/** [name, shape] pairs a Hugging Face checkpoint of each architecture holds, and nothing else. */
function bertTensors(c: Json): [string, number[]][] {
  const d = c.hidden_size as number;
  const f = c.intermediate_size as number;
  const out: [string, number[]][] = [
    ['bert.embeddings.word_embeddings.weight', [c.vocab_size as number, d]],
    ['bert.embeddings.position_embeddings.weight', [c.max_position_embeddings as number, d]],
    ['bert.embeddings.token_type_embeddings.weight', [c.type_vocab_size as number, d]],
    ['bert.embeddings.LayerNorm.weight', [d]],
    ['bert.embeddings.LayerNorm.bias', [d]],
  ];
  for (let i = 0; i < (c.num_hidden_layers as number); i++) {
    const p = `bert.encoder.layer.${i}`;
    for (const n of ['query', 'key', 'value']) out.push([`${p}.attention.self.${n}.weight`, [d, d]], [`${p}.attention.self.${n}.bias`, [d]]);
    out.push(
      [`${p}.attention.output.dense.weight`, [d, d]],
      [`${p}.attention.output.dense.bias`, [d]],
      [`${p}.attention.output.LayerNorm.weight`, [d]],
      [`${p}.attention.output.LayerNorm.bias`, [d]],
      [`${p}.intermediate.dense.weight`, [f, d]],
      [`${p}.intermediate.dense.bias`, [f]],
      [`${p}.output.dense.weight`, [d, f]],
      [`${p}.output.dense.bias`, [d]],
      [`${p}.output.LayerNorm.weight`, [d]],
      [`${p}.output.LayerNorm.bias`, [d]],
    );
  }
  const labels = Object.keys(c.id2label as Json).length;
  out.push(['bert.pooler.dense.weight', [d, d]], ['bert.pooler.dense.bias', [d]], ['classifier.weight', [labels, d]], ['classifier.bias', [labels]]);
  return out;
}

function distilbertTensors(c: Json): [string, number[]][] {
  const d = c.dim as number;
  const f = c.hidden_dim as number;
  const out: [string, number[]][] = [
    ['distilbert.embeddings.word_embeddings.weight', [c.vocab_size as number, d]],
    ['distilbert.embeddings.position_embeddings.weight', [c.max_position_embeddings as number, d]],
    ['distilbert.embeddings.LayerNorm.weight', [d]],
    ['distilbert.embeddings.LayerNorm.bias', [d]],
  ];
  for (let i = 0; i < (c.n_layers as number); i++) {
    const p = `distilbert.transformer.layer.${i}`;
    for (const n of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) out.push([`${p}.attention.${n}.weight`, [d, d]], [`${p}.attention.${n}.bias`, [d]]);
    out.push(
      [`${p}.sa_layer_norm.weight`, [d]],
      [`${p}.sa_layer_norm.bias`, [d]],
      [`${p}.ffn.lin1.weight`, [f, d]],
      [`${p}.ffn.lin1.bias`, [f]],
      [`${p}.ffn.lin2.weight`, [d, f]],
      [`${p}.ffn.lin2.bias`, [d]],
      [`${p}.output_layer_norm.weight`, [d]],
      [`${p}.output_layer_norm.bias`, [d]],
    );
  }
  const labels = Object.keys(c.id2label as Json).length;
  out.push(['pre_classifier.weight', [d, d]], ['pre_classifier.bias', [d]], ['classifier.weight', [labels, d]], ['classifier.bias', [labels]]);
  return out;
}

function gpt2Tensors(c: Json): [string, number[]][] {
  const d = c.n_embd as number;
  const f = (c.n_inner as number | null) ?? 4 * d;
  const out: [string, number[]][] = [
    ['transformer.wte.weight', [c.vocab_size as number, d]],
    ['transformer.wpe.weight', [c.n_positions as number, d]],
  ];
  for (let i = 0; i < (c.n_layer as number); i++) {
    const p = `transformer.h.${i}`;
    // Conv1D layers store [in, out]
    out.push(
      [`${p}.ln_1.weight`, [d]],
      [`${p}.ln_1.bias`, [d]],
      [`${p}.attn.c_attn.weight`, [d, 3 * d]],
      [`${p}.attn.c_attn.bias`, [3 * d]],
      [`${p}.attn.c_proj.weight`, [d, d]],
      [`${p}.attn.c_proj.bias`, [d]],
      [`${p}.ln_2.weight`, [d]],
      [`${p}.ln_2.bias`, [d]],
      [`${p}.mlp.c_fc.weight`, [d, f]],
      [`${p}.mlp.c_fc.bias`, [f]],
      [`${p}.mlp.c_proj.weight`, [f, d]],
      [`${p}.mlp.c_proj.bias`, [d]],
    );
  }
  out.push(['transformer.ln_f.weight', [d]], ['transformer.ln_f.bias', [d]]);
  return out;
}

function shapeOf(x: unknown): number[] {
  const shape: number[] = [];
  let cur = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/** every leaf is a finite number and every sub-array at one depth has the same length */
function isRectangularFinite(x: unknown, shape: number[]): boolean {
  if (shape.length === 0) return typeof x === 'number' && Number.isFinite(x);
  return Array.isArray(x) && x.length === shape[0] && x.every((y) => isRectangularFinite(y, shape.slice(1)));
}

const CASES = [
  { dir: 'tiny-bert', modelType: 'bert', arch: 'BertForSequenceClassification', tensors: bertTensors, hidden: (c: Json) => c.hidden_size as number, lm: false, typeIds: true },
  { dir: 'tiny-distilbert', modelType: 'distilbert', arch: 'DistilBertForSequenceClassification', tensors: distilbertTensors, hidden: (c: Json) => c.dim as number, lm: false, typeIds: false },
  { dir: 'tiny-gpt2', modelType: 'gpt2', arch: 'GPT2LMHeadModel', tensors: gpt2Tensors, hidden: (c: Json) => c.n_embd as number, lm: true, typeIds: false },
];

describe.each(CASES)('reference fixture $dir', ({ dir, modelType, arch, tensors, hidden, lm, typeIds }) => {
  const config = readJson(dir, 'config.json');
  const expected = readJson(dir, 'expected.json');

  it('config.json names the architecture and the agreed sizes', () => {
    expect(config.model_type).toBe(modelType);
    expect(config.architectures).toEqual([arch]);
    expect(config.vocab_size).toBe(99);
    expect(hidden(config)).toBe(32);
    if (modelType === 'bert') {
      expect(config).toMatchObject({ num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, hidden_act: 'gelu', max_position_embeddings: 40, type_vocab_size: 2, layer_norm_eps: 1e-12 });
    } else if (modelType === 'distilbert') {
      expect(config).toMatchObject({ n_layers: 2, n_heads: 4, hidden_dim: 64, activation: 'gelu', max_position_embeddings: 40, sinusoidal_pos_embds: false });
    } else {
      expect(config).toMatchObject({ n_layer: 2, n_head: 4, n_positions: 40, n_inner: null, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 });
    }
    if (!lm) {
      expect(config.id2label).toEqual({ 0: 'neg', 1: 'neu', 2: 'pos' });
      expect(config.label2id).toEqual({ neg: 0, neu: 1, pos: 2 });
    }
  });

  it('model.safetensors holds exactly the Hugging Face tensor names and shapes, F32, 8-aligned', () => {
    const path = join(MODELS, dir, 'model.safetensors');
    const buf = readFileSync(path);
    const headerLen = Number(buf.readBigUInt64LE(0));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { dtype?: string }>;
    expect(Object.entries(header).filter(([k]) => k !== '__metadata__').every(([, v]) => v.dtype === 'F32')).toBe(true);

    const { tensors: got, metadata } = readSafetensors(path);
    expect(metadata).toEqual({ format: 'pt' });
    const want = tensors(config);
    expect([...got.keys()].sort()).toEqual(want.map(([n]) => n).sort());
    for (const [name, shape] of want) {
      const t = got.get(name)!;
      expect(t.shape, name).toEqual(shape);
      expect(t.data, name).toBeInstanceOf(Float32Array);
      expect(t.data.every((v) => Number.isFinite(v)), name).toBe(true);
    }
    // the tied LM head and the attention mask buffers are not saved
    expect(got.has('lm_head.weight')).toBe(false);
    expect([...got.keys()].some((k) => /\.attn\.(bias|masked_bias)$/.test(k))).toBe(false);
    // LayerNorm scales sit near 1, everything else near 0 (a sign the layouts were not mixed up)
    for (const [name, t] of got) {
      let sum = 0;
      for (const v of t.data) sum += v;
      const mean = sum / t.data.length;
      const isScale = /(LayerNorm|layer_norm|ln_\w+)\.weight$/.test(name);
      expect(Math.abs(mean - (isScale ? 1 : 0)), name).toBeLessThan(0.2);
    }
    expect(statSync(path).size).toBeLessThan(160_000);
  });

  it('expected.json has a batch of 2×7 with the second row right-padded, and outputs sized by the config', () => {
    const d = hidden(config);
    const V = config.vocab_size as number;
    const keys = ['input_ids', 'attention_mask', ...(typeIds ? ['token_type_ids'] : []), 'last_hidden_state', 'logits'];
    expect(Object.keys(expected).sort()).toEqual(keys.sort());

    const ids = expected.input_ids as number[][];
    const mask = expected.attention_mask as number[][];
    expect(shapeOf(ids)).toEqual([B, T]);
    expect(mask).toEqual([Array(T).fill(1), [...Array(T - PADDED).fill(1), ...Array(PADDED).fill(0)]]);
    expect(ids.flat().every((v) => Number.isInteger(v) && v >= 0 && v < V)).toBe(true);
    expect(ids[1].slice(T - PADDED)).toEqual(Array(PADDED).fill(0));
    expect(ids.flat().filter((_, i) => mask.flat()[i] === 1).every((v) => v !== 0)).toBe(true);
    if (typeIds) {
      const tt = expected.token_type_ids as number[][];
      expect(shapeOf(tt)).toEqual([B, T]);
      expect(tt.flat().every((v) => v === 0 || v === 1)).toBe(true);
      expect(tt.flat()).toContain(1);
    }

    expect(isRectangularFinite(expected.last_hidden_state, [B, T, d])).toBe(true);
    const logitsShape = lm ? [B, T, V] : [B, Object.keys(config.id2label as Json).length];
    expect(isRectangularFinite(expected.logits, logitsShape)).toBe(true);
    // the two rows and the positions differ (nothing was broadcast by mistake)
    const h = expected.last_hidden_state as number[][][];
    expect(h[0][0]).not.toEqual(h[1][0]);
    expect(h[0][0]).not.toEqual(h[0][1]);
  });
});
