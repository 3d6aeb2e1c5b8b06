import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportTrainerConfigs, type FinetuneSettings, type RecipeDataset, type RecipeStrategy, type TorchtuneModel } from '../../../src/ml/export/trainer-configs.js';
import { tempDir } from './helpers.js';

const torchtuneModel: TorchtuneModel = {
  builder: 'torchtune.models.llama3_2.llama3_2_1b',
  tokenizer: { _component_: 'torchtune.models.llama3.llama3_tokenizer', path: '/models/Llama-3.2-1B/original/tokenizer.model' },
  checkpointDir: '/models/Llama-3.2-1B',
  checkpointFiles: ['model.safetensors'],
  modelType: 'LLAMA3_2',
};

function settings(over: Partial<FinetuneSettings> = {}): FinetuneSettings {
  return {
    baseModel: 'gpt2',
    strategy: 'lora',
    lora: { r: 8, alpha: 16, dropout: 0.05, targetModules: ['query', 'value'] },
    sequenceLen: 256,
    microBatchSize: 4,
    gradAccum: 2,
    epochs: 3,
    lr: 0.0002,
    schedule: 'cosine',
    warmupRatio: 0.1,
    weightDecay: 0.01,
    maxGradNorm: 1,
    seed: 42,
    outputDir: 'out/run1',
    task: 'causal_lm',
    torchtune: torchtuneModel,
    ...over,
  };
}

const alpaca: RecipeDataset = { format: 'alpaca', files: { train: 'data/train.jsonl' }, trainExamples: 100 };
const ALL = ['axolotl', 'llama-factory', 'torchtune'] as const;

function read(dir: string, name: string): { text: string; doc: Record<string, any> } {
  const text = readFileSync(join(dir, name), 'utf8');
  return { text, doc: parse(text) };
}

/** The header's "did not map" lines. */
function headerNotes(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('#   - ')).map((l) => l.slice('#   - '.length));
}

describe('exportTrainerConfigs: LoRA with the mapping table', () => {
  it('Axolotl keys', () => {
    const dir = tempDir();
    const r = exportTrainerConfigs(dir, { tools: ['axolotl'], settings: settings(), dataset: alpaca });
    expect(r.files).toEqual([join(dir, 'axolotl.yaml')]);
    const { text, doc } = read(dir, 'axolotl.yaml');
    expect(text.startsWith('# Axolotl config written by ftr.\n# Run: axolotl train axolotl.yaml\n')).toBe(true);
    expect(doc).toEqual({
      base_model: 'gpt2',
      datasets: [{ path: 'data/train.jsonl', ds_type: 'json', type: 'alpaca' }],
      val_set_size: 0,
      output_dir: 'out/run1',
      sequence_len: 256,
      adapter: 'lora',
      lora_r: 8,
      lora_alpha: 16,
      lora_dropout: 0.05,
      lora_target_modules: ['query', 'value'],
      micro_batch_size: 4,
      gradient_accumulation_steps: 2,
      num_epochs: 3,
      optimizer: 'adamw_torch',
      learning_rate: 0.0002,
      lr_scheduler: 'cosine',
      warmup_ratio: 0.1,
      weight_decay: 0.01,
      max_grad_norm: 1,
      seed: 42,
      train_on_inputs: false,
      bf16: false,
      fp16: false,
    });
    expect(r.unmapped.axolotl).toEqual([]);
    expect(text).toContain('# Every setting mapped.');
  });

  it('LLaMA-Factory keys and dataset_info.json', () => {
    const dir = tempDir();
    const r = exportTrainerConfigs(dir, {
      tools: ['llama-factory'],
      settings: settings({ maxSteps: 500, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['c_attn'], rslora: true, modulesToSave: ['score'] } }),
      dataset: { format: 'alpaca', files: { train: join(dir, 'data', 'train.jsonl'), val: join(dir, 'data', 'val.jsonl') } },
    });
    expect(r.files).toEqual([join(dir, 'llama-factory.yaml'), join(dir, 'dataset_info.json')]);
    const { doc } = read(dir, 'llama-factory.yaml');
    expect(doc).toMatchObject({
      model_name_or_path: 'gpt2', stage: 'sft', do_train: true, finetuning_type: 'lora', lora_rank: 4, lora_alpha: 8, lora_dropout: 0,
      lora_target: 'c_attn', use_rslora: true, additional_target: 'score', dataset: 'ftr_train', dataset_dir: dir, template: 'default',
      cutoff_len: 256, train_on_prompt: false, output_dir: 'out/run1', per_device_train_batch_size: 4, gradient_accumulation_steps: 2,
      num_train_epochs: 3, max_steps: 500, learning_rate: 0.0002, lr_scheduler_type: 'cosine', warmup_ratio: 0.1, weight_decay: 0.01,
      max_grad_norm: 1, seed: 42, bf16: false, eval_dataset: 'ftr_val', eval_strategy: 'epoch',
    });
    expect(JSON.parse(readFileSync(join(dir, 'dataset_info.json'), 'utf8'))).toEqual({
      ftr_train: { file_name: 'data/train.jsonl', formatting: 'alpaca', columns: { prompt: 'instruction', query: 'input', response: 'output' } },
      ftr_val: { file_name: 'data/val.jsonl', formatting: 'alpaca', columns: { prompt: 'instruction', query: 'input', response: 'output' } },
    });
    expect(r.unmapped['llama-factory']).toEqual([]);
  });

  it('torchtune keys: LoRA builder, targets in torchtune names, warm-up steps from the example count', () => {
    const dir = tempDir();
    const r = exportTrainerConfigs(dir, { tools: ['torchtune'], settings: settings(), dataset: alpaca });
    const { text, doc } = read(dir, 'torchtune.yaml');
    expect(text).toContain('# Run: tune run lora_finetune_single_device --config torchtune.yaml');
    expect(doc.model).toEqual({
      _component_: 'torchtune.models.llama3_2.lora_llama3_2_1b', lora_attn_modules: ['q_proj', 'v_proj'], apply_lora_to_mlp: false,
      apply_lora_to_output: false, lora_rank: 8, lora_alpha: 16, lora_dropout: 0.05,
    });
    expect(doc.tokenizer).toEqual({ ...torchtuneModel.tokenizer, max_seq_len: 256 });
    expect(doc.checkpointer).toMatchObject({ checkpoint_dir: '/models/Llama-3.2-1B', checkpoint_files: ['model.safetensors'], model_type: 'LLAMA3_2', output_dir: '${output_dir}' });
    expect(doc.dataset).toEqual({ _component_: 'torchtune.datasets.alpaca_dataset', source: 'json', data_files: 'data/train.jsonl', split: 'train', train_on_input: false, packed: false });
    expect(doc).toMatchObject({ output_dir: 'out/run1', seed: 42, batch_size: 4, epochs: 3, max_steps_per_epoch: null, gradient_accumulation_steps: 2, clip_grad_norm: 1, dtype: 'fp32' });
    expect(doc.optimizer).toEqual({ _component_: 'torch.optim.AdamW', lr: 0.0002, weight_decay: 0.01 });
    // keys lora_finetune_single_device.py reads as cfg.<key> (required): a config without them does not start
    expect(doc).toMatchObject({ log_level: 'INFO', profiler: { _component_: 'torchtune.training.setup_torch_profiler', enabled: false } });
    // 100 examples / batch 4 = 25 batches, / accumulation 2 = 12 steps per epoch, × 3 epochs = 36; 10 % → 4
    expect(doc.lr_scheduler).toEqual({ _component_: 'torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup', num_warmup_steps: 4 });
    expect(r.unmapped.torchtune).toEqual(['warmup_ratio 0.1 → num_warmup_steps 4 (of 36 steps)']);
    expect(headerNotes(text)).toEqual(r.unmapped.torchtune);
  });

  it('counts examples in a .jsonl train file when trainExamples is not given', () => {
    const dir = tempDir();
    const train = join(dir, 'train.jsonl');
    writeFileSync(train, Array.from({ length: 40 }, () => '{"instruction":"a","input":"","output":"b"}').join('\n') + '\n');
    exportTrainerConfigs(dir, { tools: ['torchtune'], settings: settings({ epochs: 1 }), dataset: { format: 'alpaca', files: { train } } });
    expect(read(dir, 'torchtune.yaml').doc.lr_scheduler.num_warmup_steps).toBe(1);
  });

  it('writes the same bytes for the same input', () => {
    const dir = tempDir();
    const opts = { tools: [...ALL], settings: settings(), dataset: alpaca };
    const first = exportTrainerConfigs(dir, opts).files.map((f) => readFileSync(f));
    const second = exportTrainerConfigs(dir, opts).files.map((f) => readFileSync(f));
    expect(second.map((b, i) => b.equals(first[i]))).toEqual([true, true, true, true]);
  });
});

describe('exportTrainerConfigs: messages datasets and other settings', () => {
  it('chat data: Axolotl chat_template, LLaMA-Factory sharegpt with OpenAI tags, torchtune chat_dataset(openai)', () => {
    const dir = tempDir();
    const r = exportTrainerConfigs(dir, {
      tools: [...ALL],
      settings: settings({ task: 'sft_chat', schedule: 'constant', trainOnInputs: true }),
      dataset: { format: 'messages', files: { train: 'chat.jsonl', val: 'chat-val.jsonl' }, trainExamples: 64 },
    });
    const ax = read(dir, 'axolotl.yaml').doc;
    expect(ax.chat_template).toBe('tokenizer_default_fallback_chatml');
    expect(ax.datasets).toEqual([{ path: 'chat.jsonl', ds_type: 'json', type: 'chat_template', field_messages: 'messages', roles_to_train: ['system', 'user', 'assistant'] }]);
    expect(ax.test_datasets).toEqual([{ path: 'chat-val.jsonl', ds_type: 'json', type: 'chat_template', field_messages: 'messages', roles_to_train: ['system', 'user', 'assistant'], split: 'train' }]);
    expect(ax.lr_scheduler).toBe('constant_with_warmup');
    expect(ax.train_on_inputs).toBe(true);
    const lf = read(dir, 'llama-factory.yaml').doc;
    expect(lf).toMatchObject({ lr_scheduler_type: 'constant_with_warmup', train_on_prompt: true, eval_dataset: 'ftr_val' });
    const info = JSON.parse(readFileSync(join(dir, 'dataset_info.json'), 'utf8'));
    expect(info.ftr_train).toMatchObject({ formatting: 'sharegpt', columns: { messages: 'messages' }, tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' } });
    const tt = read(dir, 'torchtune.yaml').doc;
    expect(tt.dataset).toEqual({ _component_: 'torchtune.datasets.chat_dataset', source: 'json', data_files: 'chat.jsonl', split: 'train', conversation_column: 'messages', conversation_style: 'openai', train_on_input: true, packed: false });
    // cosine with num_cycles 0 is flat after warm-up
    expect(tt.lr_scheduler).toMatchObject({ num_cycles: 0 });
    expect(r.unmapped.torchtune).toContain('validation file chat-val.jsonl: torchtune\'s single-device recipes take no validation set; not written');
    expect(r.unmapped.axolotl).toEqual([]);
  });

  it('full fine-tuning: no adapter keys, torchtune full recipe with the plain builder', () => {
    const dir = tempDir();
    const r = exportTrainerConfigs(dir, { tools: [...ALL], settings: settings({ strategy: 'full', lora: undefined, warmupRatio: 0 }), dataset: alpaca });
    const ax = read(dir, 'axolotl.yaml').doc;
    expect(Object.keys(ax).filter((k) => k.startsWith('lora') || k === 'adapter')).toEqual([]);
    expect(read(dir, 'llama-factory.yaml').doc.finetuning_type).toBe('full');
    const tt = read(dir, 'torchtune.yaml');
    expect(tt.text).toContain('# Run: tune run full_finetune_single_device --config torchtune.yaml');
    expect(tt.doc.model).toEqual({ _component_: 'torchtune.models.llama3_2.llama3_2_1b' });
    expect(tt.doc.lr_scheduler.num_warmup_steps).toBe(0);
    expect(r.unmapped).toEqual({ axolotl: [], 'llama-factory': [], torchtune: [] });
  });

  it('frozen + unfreeze: Axolotl unfrozen_parameters, LLaMA-Factory freeze with extra modules, torchtune gets LoRA', () => {
    const dir = tempDir();
    const r = exportTrainerConfigs(dir, { tools: [...ALL], settings: settings({ strategy: 'frozen', lora: undefined, unfreeze: ['score', 'transformer.ln_f', 'transformer.h.11'] }), dataset: alpaca });
    expect(read(dir, 'axolotl.yaml').doc.unfrozen_parameters).toEqual(['^score\\..*', '^transformer\\.ln_f\\..*', '^transformer\\.h\\.11\\..*']);
    expect(read(dir, 'llama-factory.yaml').doc).toMatchObject({ finetuning_type: 'freeze', freeze_trainable_layers: 0, freeze_extra_modules: 'score,ln_f' });
    expect(r.unmapped['llama-factory']).toEqual(['unfreeze transformer.h.11: LLaMA-Factory picks trainable layers by count (freeze_trainable_layers), not by path; not written']);
    expect(r.unmapped.axolotl).toEqual([]);
    expect(r.unmapped.torchtune![0]).toBe('strategy frozen: torchtune cannot freeze part of a model; this file trains LoRA (r=8, alpha=16, dropout=0.05, targets all linear layers) instead');
    expect(read(dir, 'torchtune.yaml').doc.model).toMatchObject({ lora_attn_modules: ['q_proj', 'k_proj', 'v_proj', 'output_proj'], apply_lora_to_mlp: true });
  });

  it('rsLoRA, modules_to_save, linear schedule and max_steps in torchtune', () => {
    const dir = tempDir();
    const r = exportTrainerConfigs(dir, {
      tools: ['torchtune'],
      settings: settings({ schedule: 'linear', maxSteps: 50, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['c_attn', 'mlp.c_fc', 'wte'], rslora: true, modulesToSave: ['score'] } }),
      dataset: alpaca,
    });
    const tt = read(dir, 'torchtune.yaml').doc;
    expect(tt.model).toMatchObject({ lora_attn_modules: ['q_proj', 'k_proj', 'v_proj'], apply_lora_to_mlp: true, lora_alpha: 16 });
    expect(tt).toMatchObject({ epochs: 1, max_steps_per_epoch: 50 });
    expect(tt.lr_scheduler.num_warmup_steps).toBe(5);
    expect(r.unmapped.torchtune).toEqual([
      'LoRA target wte: no torchtune equivalent; dropped',
      'LoRA targets mlp.c_fc → apply_lora_to_mlp: true, which puts LoRA on every MLP projection',
      'use_rslora: torchtune\'s LoRA has no rank-stabilised scaling; lora_alpha 16 (= 8·√4) gives the same scale',
      'modules_to_save score: torchtune\'s LoRA recipes train only the LoRA weights; not written',
      'lr_scheduler linear: torchtune ships only a cosine schedule with warm-up; wrote cosine',
      'warmup_ratio 0.1 → num_warmup_steps 5 (of 50 steps)',
      'max_steps 50: torchtune counts steps per epoch; wrote epochs: 1 and max_steps_per_epoch: 50, which stops earlier if one epoch is shorter',
    ]);
  });

  it('a classification task is not written for any tool: they would train chat fine-tuning of another model; the reason is given', () => {
    const dir = tempDir();
    for (const task of ['seq_cls', 'token_cls'] as const) {
      const r = exportTrainerConfigs(dir, { tools: ['axolotl', 'llama-factory', 'torchtune'], settings: settings({ task, torchtune: torchtuneModel }), dataset: alpaca });
      expect(r.files).toEqual([]);
      for (const tool of ['axolotl', 'llama-factory', 'torchtune'] as const) expect(r.refused[tool]).toMatch(/task is not something \S+ trains \(it fine-tunes causal language models on text\)/);
    }
  });
});

describe('exportTrainerConfigs: strategies the tools lack', () => {
  const expected: Record<RecipeStrategy, RegExp | null> = {
    full: null,
    lora: null,
    frozen: null,
    adapter: /^strategy adapter: bottleneck adapters are AdapterHub's; \S+ has none \(export them with writeAdapterHub\); this file trains LoRA \(r=8, alpha=16, dropout=0\.05, targets query, value\) instead$/,
    prompt: /^strategy prompt: prompt tuning is a PEFT method \S+ does not expose \(export it with writePeftAdapter\); this file trains LoRA/,
    prefix: /^strategy prefix: prefix tuning is a PEFT method \S+ does not expose/,
  };
  for (const strategy of Object.keys(expected) as RecipeStrategy[]) {
    it(`strategy ${strategy}: unmapped lists and headers`, () => {
      const dir = tempDir();
      const r = exportTrainerConfigs(dir, { tools: [...ALL], settings: settings({ strategy, unfreeze: ['score'], warmupRatio: 0 }), dataset: alpaca });
      for (const tool of ALL) {
        const notes = r.unmapped[tool]!;
        const re = strategy === 'frozen' && tool === 'torchtune' ? /^strategy frozen: torchtune cannot freeze/ : expected[strategy];
        expect(notes.filter((n) => n.startsWith('strategy '))).toHaveLength(re ? 1 : 0);
        if (re) expect(notes[0]).toMatch(re);
        const file = tool === 'llama-factory' ? 'llama-factory.yaml' : `${tool}.yaml`;
        expect(headerNotes(read(dir, file).text)).toEqual(notes);
        if (re) {
          // the substitute is a real LoRA config
          const doc = read(dir, file).doc;
          if (tool === 'axolotl') expect(doc.adapter).toBe('lora');
          if (tool === 'llama-factory') expect(doc.finetuning_type).toBe('lora');
          if (tool === 'torchtune') expect(doc.model._component_).toBe('torchtune.models.llama3_2.lora_llama3_2_1b');
        }
      }
    });
  }

  it('unsupported: refuse writes no file for such a strategy', () => {
    const dir = tempDir();
    const r = exportTrainerConfigs(dir, { tools: [...ALL], settings: settings({ strategy: 'prefix' }), dataset: alpaca, unsupported: 'refuse' });
    expect(r.files).toEqual([]);
    expect(r.unmapped).toEqual({});
    expect(r.refused.axolotl).toBe('strategy prefix: prefix tuning is a PEFT method Axolotl does not expose (export it with writePeftAdapter)');
    expect(Object.keys(r.refused)).toEqual([...ALL]);
  });

  it('torchtune without a named model builder is refused; the others are still written', () => {
    const dir = tempDir();
    const r = exportTrainerConfigs(dir, { tools: [...ALL], settings: settings({ torchtune: undefined }), dataset: alpaca });
    expect(r.files.map((f) => f.slice(dir.length + 1))).toEqual(['axolotl.yaml', 'llama-factory.yaml', 'dataset_info.json']);
    expect(r.refused.torchtune).toMatch(/none for `gpt2`; pass settings\.torchtune/);
  });

  it('rejects settings that cannot be right', () => {
    const dir = tempDir();
    expect(() => exportTrainerConfigs(dir, { tools: ['axolotl'], settings: settings({ strategy: 'lora', lora: undefined }), dataset: alpaca })).toThrow(/strategy lora needs settings\.lora/);
    expect(() => exportTrainerConfigs(dir, { tools: ['axolotl'], settings: settings({ microBatchSize: 0 }), dataset: alpaca })).toThrow(/microBatchSize must be a positive integer/);
    expect(() => exportTrainerConfigs(dir, { tools: ['axolotl'], settings: settings({ warmupRatio: 1.5 }), dataset: alpaca })).toThrow(/warmupRatio/);
  });
});
