import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peftLoraScaling, readPeftAdapter, writePeftAdapter, type PeftAdapter } from '../../../src/ml/export/peft.js';
import { encodeSafetensors, readSafetensors, type StTensor } from '../../../src/ml/safetensors.js';
import { at, plain, seq, tempDir } from './helpers.js';

const d = 4;
const r = 2;

/** LoRA on query/value of a 2-layer BERT with a classifier and a trained pooler. */
function bertLora(): PeftAdapter {
  const tensors = new Map<string, StTensor>();
  let v = 0;
  for (const i of [0, 1]) {
    for (const m of ['query', 'value']) {
      const path = `bert.encoder.layer.${i}.attention.self.${m}`;
      tensors.set(`${path}.lora_A.weight`, seq([d, r], (v += 100)));
      tensors.set(`${path}.lora_B.weight`, seq([r, d], (v += 100)));
    }
  }
  tensors.set('classifier.weight', seq([d, 3], 5000));
  tensors.set('classifier.bias', seq([3], 6000));
  tensors.set('bert.pooler.dense.weight', seq([d, d], 7000));
  tensors.set('bert.pooler.dense.bias', seq([d], 8000));
  return {
    strategy: 'lora',
    tensors,
    family: 'bert',
    task: 'SEQ_CLS',
    baseModel: 'prajjwal1/bert-tiny',
    config: { r, alpha: 16, dropout: 0.05, targetModules: ['query', 'value'], rslora: false },
    modulesToSave: ['classifier', 'bert.pooler.dense'],
  };
}

const LORA_KEYS = [
  'alpha_pattern', 'auto_mapping', 'base_model_name_or_path', 'bias', 'corda_config', 'eva_config', 'exclude_modules', 'fan_in_fan_out',
  'inference_mode', 'init_lora_weights', 'layer_replication', 'layers_pattern', 'layers_to_transform', 'loftq_config', 'lora_alpha',
  'lora_bias', 'lora_dropout', 'megatron_config', 'megatron_core', 'modules_to_save', 'peft_type', 'qalora_group_size', 'r',
  'rank_pattern', 'revision', 'target_modules', 'task_type', 'trainable_token_indices', 'use_dora', 'use_qalora', 'use_rslora',
];

describe('writePeftAdapter: LoRA', () => {
  it('writes LoraConfig with every key and PEFT defaults', () => {
    const dir = tempDir();
    const files = writePeftAdapter(dir, bertLora());
    expect(files).toEqual([join(dir, 'adapter_config.json'), join(dir, 'adapter_model.safetensors')]);
    const text = readFileSync(files[0], 'utf8');
    const cfg = JSON.parse(text);
    expect(Object.keys(cfg)).toEqual(LORA_KEYS);
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'SEQ_CLS',
      base_model_name_or_path: 'prajjwal1/bert-tiny',
      inference_mode: true,
      revision: null,
      r: 2,
      lora_alpha: 16,
      lora_dropout: 0.05,
      target_modules: ['query', 'value'],
      modules_to_save: ['classifier', 'bert.pooler.dense'],
      bias: 'none',
      use_rslora: false,
      use_dora: false,
      fan_in_fan_out: false,
      init_lora_weights: true,
      layers_to_transform: null,
      rank_pattern: {},
      alpha_pattern: {},
      loftq_config: {},
      megatron_core: 'megatron.core',
    });
    // Python's json.dumps(indent=2, sort_keys=True) layout
    expect(text.split('\n')[1]).toBe('  "alpha_pattern": {},');
  });

  it('stores lora_A [r, in] = Aᵀ, lora_B [out, r] = Bᵀ and modules_to_save under base_model.model.<path>', () => {
    const a = bertLora();
    const dir = tempDir();
    writePeftAdapter(dir, a);
    const { tensors, metadata } = readSafetensors(join(dir, 'adapter_model.safetensors'));
    expect(metadata.format).toBe('pt');
    expect([...tensors.keys()].sort()).toEqual([
      'base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight',
      'base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight',
      'base_model.model.bert.encoder.layer.0.attention.self.value.lora_A.weight',
      'base_model.model.bert.encoder.layer.0.attention.self.value.lora_B.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight',
      'base_model.model.bert.pooler.dense.bias',
      'base_model.model.bert.pooler.dense.weight',
      'base_model.model.classifier.bias',
      'base_model.model.classifier.weight',
    ]);
    const A = a.tensors.get('bert.encoder.layer.1.attention.self.value.lora_A.weight')!;
    const B = a.tensors.get('bert.encoder.layer.1.attention.self.value.lora_B.weight')!;
    const fa = tensors.get('base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight')!;
    const fb = tensors.get('base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight')!;
    expect(fa.shape).toEqual([r, d]);
    expect(fb.shape).toEqual([d, r]);
    for (let i = 0; i < d; i++) for (let j = 0; j < r; j++) {
      expect(at(fa, j, i)).toBe(at(A, i, j));
      expect(at(fb, i, j)).toBe(at(B, j, i));
    }
    const cls = tensors.get('base_model.model.classifier.weight')!;
    expect(cls.shape).toEqual([3, d]);
    expect(at(cls, 2, 1)).toBe(at(a.tensors.get('classifier.weight')!, 1, 2));
    expect(Array.from(tensors.get('base_model.model.classifier.bias')!.data)).toEqual([6000, 6001, 6002]);
  });

  it('round-trips exactly through readPeftAdapter', () => {
    const a = bertLora();
    const dir = tempDir();
    writePeftAdapter(dir, a);
    const back = readPeftAdapter(dir);
    expect({ ...back, tensors: plain(back.tensors) }).toEqual({ ...a, tensors: plain(a.tensors) });
  });

  it('writes the same bytes for the same input', () => {
    const d1 = tempDir();
    const d2 = tempDir();
    writePeftAdapter(d1, bertLora());
    writePeftAdapter(d2, bertLora());
    for (const f of ['adapter_config.json', 'adapter_model.safetensors']) expect(readFileSync(join(d1, f)).equals(readFileSync(join(d2, f)))).toBe(true);
  });

  it('marks GPT-2 Conv1D targets fan_in_fan_out and keeps PEFT shapes [r, in] / [out, r]', () => {
    const tensors = new Map<string, StTensor>([
      ['transformer.h.0.attn.c_attn.lora_A.weight', seq([d, r], 1)],
      ['transformer.h.0.attn.c_attn.lora_B.weight', seq([r, 3 * d], 50)],
    ]);
    const a: PeftAdapter = {
      strategy: 'lora', tensors, family: 'gpt2', task: 'CAUSAL_LM', baseModel: 'gpt2',
      config: { r, alpha: 8, dropout: 0, targetModules: ['c_attn'], rslora: true, layers: [0] }, modulesToSave: [],
    };
    const dir = tempDir();
    writePeftAdapter(dir, a);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ fan_in_fan_out: true, use_rslora: true, modules_to_save: null, layers_to_transform: [0], task_type: 'CAUSAL_LM' });
    const st = readSafetensors(join(dir, 'adapter_model.safetensors')).tensors;
    expect(st.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape).toEqual([r, d]);
    expect(st.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape).toEqual([3 * d, r]);
    const back = readPeftAdapter(dir);
    expect({ ...back, tensors: plain(back.tensors) }).toEqual({ ...a, tensors: plain(a.tensors) });
    expect(peftLoraScaling(a.config as never, 'transformer.h.0.attn.c_attn')).toBeCloseTo(8 / Math.sqrt(2));
  });

  it('refuses what PEFT would not load', () => {
    const dir = tempDir();
    const noHead = bertLora();
    noHead.tensors.delete('classifier.weight');
    noHead.tensors.delete('classifier.bias');
    expect(() => writePeftAdapter(dir, noHead)).toThrow(/SEQ_CLS on bert: PEFT trains and saves `classifier`/);

    const stray = bertLora();
    stray.tensors.set('bert.encoder.layer.0.output.LayerNorm.weight', seq([d]));
    expect(() => writePeftAdapter(dir, stray)).toThrow(/neither a lora tensor nor part of a module in modulesToSave/);

    const untargeted = bertLora();
    untargeted.tensors.set('bert.encoder.layer.0.attention.self.key.lora_A.weight', seq([d, r]));
    untargeted.tensors.set('bert.encoder.layer.0.attention.self.key.lora_B.weight', seq([r, d]));
    expect(() => writePeftAdapter(dir, untargeted)).toThrow(/self\.key` has LoRA weights but is not matched by targetModules/);

    const wrongRank = bertLora();
    wrongRank.tensors.set('bert.encoder.layer.0.attention.self.query.lora_A.weight', seq([d, 3]));
    expect(() => writePeftAdapter(dir, wrongRank)).toThrow(/lora_A \[in, 2\] and lora_B \[2, out\], got \[4, 3\]/);

    const distil: PeftAdapter = {
      strategy: 'lora', family: 'distilbert', task: 'SEQ_CLS', baseModel: 'distilbert-base-uncased',
      tensors: new Map([
        ['distilbert.transformer.layer.0.attention.q_lin.lora_A.weight', seq([d, r])],
        ['distilbert.transformer.layer.0.attention.q_lin.lora_B.weight', seq([r, d])],
        ['classifier.weight', seq([d, 2])],
      ]),
      config: { r, alpha: 8, dropout: 0, targetModules: ['q_lin'], rslora: false }, modulesToSave: ['classifier'],
    };
    expect(() => writePeftAdapter(dir, distil)).toThrow(/PEFT trains and saves `pre_classifier`/);
    const gpt: PeftAdapter = {
      strategy: 'lora', family: 'gpt2', task: 'SEQ_CLS', baseModel: 'gpt2',
      tensors: new Map([
        ['transformer.h.0.attn.c_attn.lora_A.weight', seq([d, r])],
        ['transformer.h.0.attn.c_attn.lora_B.weight', seq([r, 3 * d])],
      ]),
      config: { r, alpha: 8, dropout: 0, targetModules: 'all-linear', rslora: false }, modulesToSave: [],
    };
    expect(() => writePeftAdapter(dir, gpt)).toThrow(/`score`/);
  });
});

describe('writePeftAdapter: prompt and prefix tuning', () => {
  it('prompt tuning: PromptTuningConfig keys, `prompt_embeddings` as is, heads under base_model.<path>', () => {
    const a: PeftAdapter = {
      strategy: 'prompt', family: 'distilbert', task: 'SEQ_CLS', baseModel: 'distilbert-base-uncased',
      tensors: new Map([
        ['prompt_embeddings', seq([5, d], 1)],
        ['pre_classifier.weight', seq([d, d], 100)],
        ['pre_classifier.bias', seq([d], 200)],
        ['classifier.weight', seq([d, 2], 300)],
        ['classifier.bias', seq([2], 400)],
      ]),
      config: { numVirtualTokens: 5, tokenDim: d, numLayers: 2, heads: 2 },
      modulesToSave: ['pre_classifier', 'classifier'],
    };
    const dir = tempDir();
    writePeftAdapter(dir, a);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(Object.keys(cfg)).toEqual([
      'auto_mapping', 'base_model_name_or_path', 'inference_mode', 'num_attention_heads', 'num_layers', 'num_transformer_submodules',
      'num_virtual_tokens', 'peft_type', 'prompt_tuning_init', 'prompt_tuning_init_text', 'revision', 'task_type', 'token_dim',
      'tokenizer_kwargs', 'tokenizer_name_or_path',
    ]);
    expect(cfg).toMatchObject({ peft_type: 'PROMPT_TUNING', num_virtual_tokens: 5, token_dim: d, num_layers: 2, num_attention_heads: 2, num_transformer_submodules: 1, prompt_tuning_init: 'RANDOM', inference_mode: true });
    const st = readSafetensors(join(dir, 'adapter_model.safetensors')).tensors;
    expect([...st.keys()].sort()).toEqual(['base_model.classifier.bias', 'base_model.classifier.weight', 'base_model.pre_classifier.bias', 'base_model.pre_classifier.weight', 'prompt_embeddings']);
    expect(Array.from(st.get('prompt_embeddings')!.data)).toEqual(Array.from(a.tensors.get('prompt_embeddings')!.data));
    expect(st.get('base_model.classifier.weight')!.shape).toEqual([2, d]);
    const back = readPeftAdapter(dir);
    expect({ ...back, tensors: plain(back.tensors) }).toEqual({ ...a, tensors: plain(a.tensors) });
  });

  it('prefix tuning: PrefixTuningConfig without projection, [n, L·2·d] table saved as prompt_embeddings', () => {
    const L = 2;
    const a: PeftAdapter = {
      strategy: 'prefix', family: 'gpt2', task: 'CAUSAL_LM', baseModel: 'gpt2',
      tensors: new Map([['prefix_embeddings', seq([3, L * 2 * d], 7)]]),
      config: { numVirtualTokens: 3, tokenDim: d, numLayers: L, heads: 2 },
      modulesToSave: [],
    };
    const dir = tempDir();
    writePeftAdapter(dir, a);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'PREFIX_TUNING', prefix_projection: false, encoder_hidden_size: d, num_layers: L, num_virtual_tokens: 3, init_weights: null });
    const st = readSafetensors(join(dir, 'adapter_model.safetensors')).tensors;
    expect([...st.keys()]).toEqual(['prompt_embeddings']);
    expect(st.get('prompt_embeddings')!.shape).toEqual([3, L * 2 * d]);
    const back = readPeftAdapter(dir);
    expect({ ...back, tensors: plain(back.tensors) }).toEqual({ ...a, tensors: plain(a.tensors) });

    a.tensors.set('prefix_embeddings', seq([3, d]));
    expect(() => writePeftAdapter(tempDir(), a)).toThrow(/needs `prefix_embeddings` of shape \[3, 16\], got \[3, 4\]/);
  });

  it('prefix tuning on DistilBERT is refused: transformers\' DistilBertModel takes no past_key_values, which is how PEFT feeds the prefix', () => {
    const L = 2;
    const a: PeftAdapter = {
      strategy: 'prefix', family: 'distilbert', task: 'SEQ_CLS', baseModel: 'distilbert-base-uncased',
      tensors: new Map([['prefix_embeddings', seq([3, L * 2 * d], 7)], ['pre_classifier.weight', seq([d, d])], ['pre_classifier.bias', seq([d])], ['classifier.weight', seq([d, 2])], ['classifier.bias', seq([2])]]),
      config: { numVirtualTokens: 3, tokenDim: d, numLayers: L, heads: 2 },
      modulesToSave: ['classifier', 'pre_classifier'],
    };
    expect(() => writePeftAdapter(tempDir(), a)).toThrow(/DistilBERT.*past_key_values/);
  });
});

describe('readPeftAdapter: adapters saved by PEFT', () => {
  /** A folder as PEFT itself would write it (no ftr metadata, newer keys, patterns). */
  function peftFolder(extra: Record<string, unknown> = {}): string {
    const dir = tempDir();
    const cfg = {
      alpha_pattern: { value: 32 }, auto_mapping: null, base_model_name_or_path: 'bert-base-uncased', bias: 'none', fan_in_fan_out: false,
      inference_mode: true, init_lora_weights: true, layers_to_transform: null, lora_alpha: 16, lora_dropout: 0.1, modules_to_save: ['classifier', 'score'],
      peft_type: 'LORA', r: 2, rank_pattern: { 'layer.1.attention.self.query': 4 }, revision: null, target_modules: ['value', 'query'],
      task_type: 'SEQ_CLS', use_dora: false, use_rslora: false, target_parameters: null, peft_version: '0.18.0', ...extra,
    };
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(cfg));
    const st = new Map<string, StTensor>([
      ['base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight', seq([2, d], 1)],
      ['base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight', seq([d, 2], 2)],
      ['base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight', seq([4, d], 3)],
      ['base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight', seq([d, 4], 4)],
      ['base_model.model.classifier.weight', seq([2, d], 5)],
      ['base_model.model.classifier.bias', seq([2], 6)],
    ]);
    writeFileSync(join(dir, 'adapter_model.safetensors'), encodeSafetensors(st, { format: 'pt' }));
    return dir;
  }

  it('maps keys and layouts back, infers the family, and resolves rank/alpha patterns', () => {
    const a = readPeftAdapter(peftFolder());
    expect(a.family).toBe('bert');
    expect(a.strategy).toBe('lora');
    expect([...a.tensors.keys()].sort()).toEqual([
      'bert.encoder.layer.0.attention.self.query.lora_A.weight',
      'bert.encoder.layer.0.attention.self.query.lora_B.weight',
      'bert.encoder.layer.1.attention.self.query.lora_A.weight',
      'bert.encoder.layer.1.attention.self.query.lora_B.weight',
      'classifier.bias',
      'classifier.weight',
    ]);
    const A = a.tensors.get('bert.encoder.layer.1.attention.self.query.lora_A.weight')!;
    expect(A.shape).toEqual([d, 4]);
    expect(at(A, 3, 1)).toBe(3 + 1 * d + 3);
    expect(a.tensors.get('classifier.weight')!.shape).toEqual([d, 2]);
    if (a.strategy !== 'lora') throw new Error('expected LoRA');
    expect(a.config).toEqual({ r: 2, alpha: 16, dropout: 0.1, targetModules: ['query', 'value'], rslora: false, rankPattern: { 'layer.1.attention.self.query': 4 }, alphaPattern: { value: 32 } });
    expect(a.modulesToSave).toEqual(['classifier', 'score']);
    expect(peftLoraScaling(a.config, 'bert.encoder.layer.0.attention.self.query')).toBe(8);
    expect(peftLoraScaling(a.config, 'bert.encoder.layer.1.attention.self.query')).toBe(4);
    expect(peftLoraScaling(a.config, 'bert.encoder.layer.0.attention.self.value')).toBe(16);
  });

  it('checks tensor shapes against the config', () => {
    expect(() => readPeftAdapter(peftFolder({ rank_pattern: {} }))).toThrow(/layer\.1\.attention\.self\.query` has rank 4, the config says 2/);
    const dir = tempDir();
    writePeftAdapter(dir, {
      strategy: 'prompt', family: 'gpt2', task: 'CAUSAL_LM', baseModel: 'gpt2', modulesToSave: [],
      tensors: new Map([['prompt_embeddings', seq([3, d])]]), config: { numVirtualTokens: 3, tokenDim: d, numLayers: 1, heads: 1 },
    });
    const cfgPath = join(dir, 'adapter_config.json');
    writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('"num_virtual_tokens": 3', '"num_virtual_tokens": 5'));
    expect(() => readPeftAdapter(dir)).toThrow(/`prompt_embeddings` is \[3, 4\], the config implies \[5, 4\]/);
  });

  it('refuses DoRA and points at the pickle format', () => {
    expect(() => readPeftAdapter(peftFolder({ use_dora: true }))).toThrow(/DoRA/);
    const dir = tempDir();
    writeFileSync(join(dir, 'adapter_config.json'), '{"peft_type": "LORA"}');
    writeFileSync(join(dir, 'adapter_model.bin'), 'pickle');
    expect(() => readPeftAdapter(dir)).toThrow(/adapter_model\.bin is a pickle/);
    expect(existsSync(join(dir, 'adapter_model.safetensors'))).toBe(false);
  });
});
