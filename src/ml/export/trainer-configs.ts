/**
 * Training recipes for other tools from ftr's fine-tune settings: Axolotl YAML, LLaMA-Factory YAML +
 * `dataset_info.json`, torchtune YAML. Each file opens with a comment listing every setting that did
 * not map one-to-one and what was written instead (mapping table: notes/finetune-tfjs.md §3.4).
 *
 * Strategies a tool cannot express (bottleneck adapters, prompt and prefix tuning everywhere;
 * freezing in torchtune) are written as LoRA by default — the nearest parameter-efficient method
 * these tools have — and said so in the header; `unsupported: 'refuse'` writes no file instead.
 *
 * Key names checked against: axolotl `src/axolotl/utils/schemas/*` and docs (chat_template
 * `tokenizer_default_fallback_chatml`); hiyouga/LLaMA-Factory `src/llamafactory/hparams/finetuning_args.py`
 * (lora_*, additional_target, use_rslora, freeze_trainable_layers / freeze_extra_modules; and
 * `model/adapter.py`: freeze_trainable_layers 0 trains no hidden layer) and `data/README.md`
 * (dataset_info.json); pytorch/torchtune `recipes/configs/llama3_2/1B_lora_single_device.yaml`,
 * `1B_full_single_device.yaml`, `torchtune/training/lr_schedulers.py` (cosine with warmup only),
 * `torchtune/datasets/_chat.py` chat_dataset and `_alpaca.py` alpaca_dataset signatures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ExportError, writeFiles } from './layout.js';

export const RECIPE_TOOLS = ['axolotl', 'llama-factory', 'torchtune'] as const;
export type RecipeTool = (typeof RECIPE_TOOLS)[number];
export type RecipeStrategy = 'full' | 'frozen' | 'adapter' | 'lora' | 'prompt' | 'prefix';
export type RecipeTask = 'causal_lm' | 'sft_chat' | 'seq_cls' | 'token_cls';

export interface RecipeLora {
  r: number;
  alpha: number;
  dropout: number;
  /** module-name suffixes as PEFT matches them, or `all-linear` */
  targetModules: string[] | 'all-linear';
  rslora?: boolean;
  /** fully trained extra modules (PEFT modules_to_save) */
  modulesToSave?: string[];
}

/** A torchtune model builder: torchtune has none for the BERT/GPT-2 families ftr trains. */
export interface TorchtuneModel {
  /** full-model builder, e.g. `torchtune.models.llama3_2.llama3_2_1b`; LoRA uses `<module>.lora_<name>` */
  builder: string;
  /** the `tokenizer:` block, e.g. `{ _component_: torchtune.models.llama3.llama3_tokenizer, path: … }` */
  tokenizer: { _component_: string; path: string } & Record<string, unknown>;
  checkpointDir: string;
  checkpointFiles: string[];
  /** the checkpointer's model_type, e.g. LLAMA3_2 */
  modelType: string;
}

export interface FinetuneSettings {
  /** hub id or local path */
  baseModel: string;
  strategy: RecipeStrategy;
  lora?: RecipeLora;
  /** strategy frozen: the modules that are trained (everything else is frozen) */
  unfreeze?: string[];
  sequenceLen: number;
  microBatchSize: number;
  gradAccum: number;
  epochs: number;
  /** total optimizer steps; overrides epochs as in Hugging Face's Trainer */
  maxSteps?: number;
  lr: number;
  schedule: 'linear' | 'cosine' | 'constant';
  warmupRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  outputDir: string;
  task: RecipeTask;
  /** compute the loss on prompts too (default false: completions only) */
  trainOnInputs?: boolean;
  torchtune?: TorchtuneModel;
}

export interface RecipeDataset {
  format: 'alpaca' | 'messages';
  /** JSONL files: alpaca records or `{"messages": [{role, content}]}` lines */
  files: { train: string; val?: string };
  /** training examples, for torchtune's warm-up step count (counted from a .jsonl train file when omitted) */
  trainExamples?: number;
}

export interface TrainerExportOptions {
  tools: RecipeTool[];
  settings: FinetuneSettings;
  dataset: RecipeDataset;
  /** a strategy the tool cannot express: train LoRA instead (default) or write no file for that tool */
  unsupported?: 'lora' | 'refuse';
}

export interface TrainerExportResult {
  files: string[];
  /** per written tool, the settings that did not map (the same lines as the file's header) */
  unmapped: Partial<Record<RecipeTool, string[]>>;
  /** tools for which no file was written, with the reason */
  refused: Partial<Record<RecipeTool, string>>;
}

const TOOL_NAME: Record<RecipeTool, string> = { axolotl: 'Axolotl', 'llama-factory': 'LLaMA-Factory', torchtune: 'torchtune' };
/** The LoRA written in place of a strategy a tool lacks, when settings.lora is not given. */
export const SUBSTITUTE_LORA: RecipeLora = { r: 8, alpha: 16, dropout: 0.05, targetModules: 'all-linear' };
const TRAIN_NAME = 'ftr_train';
const VAL_NAME = 'ftr_val';

type Plan = { kind: 'full' } | { kind: 'frozen'; unfreeze: string[] } | { kind: 'lora'; lora: RecipeLora };

const describeLora = (l: RecipeLora) => `r=${l.r}, alpha=${l.alpha}, dropout=${l.dropout}, targets ${l.targetModules === 'all-linear' ? 'all linear layers' : l.targetModules.join(', ')}`;

/** What a tool trains for the settings' strategy, or why it cannot. */
function plan(tool: RecipeTool, s: FinetuneSettings, mode: 'lora' | 'refuse', notes: string[]): Plan | { refuse: string } {
  let why: string | undefined;
  switch (s.strategy) {
    case 'full':
      return { kind: 'full' };
    case 'lora':
      if (!s.lora) throw new ExportError('strategy lora needs settings.lora');
      return { kind: 'lora', lora: s.lora };
    case 'frozen':
      if (tool === 'torchtune') why = 'torchtune cannot freeze part of a model';
      else if (!s.unfreeze?.length) why = 'no modules are named in `unfreeze`, so a causal LM would train nothing';
      else return { kind: 'frozen', unfreeze: s.unfreeze };
      break;
    case 'adapter':
      why = `bottleneck adapters are AdapterHub's; ${TOOL_NAME[tool]} has none (export them with writeAdapterHub)`;
      break;
    case 'prompt':
    case 'prefix':
      why = `${s.strategy} tuning is a PEFT method ${TOOL_NAME[tool]} does not expose (export it with writePeftAdapter)`;
      break;
  }
  if (mode === 'refuse') return { refuse: `strategy ${s.strategy}: ${why}` };
  const lora = s.lora ?? SUBSTITUTE_LORA;
  notes.push(`strategy ${s.strategy}: ${why}; this file trains LoRA (${describeLora(lora)}) instead`);
  return { kind: 'lora', lora };
}

/**
 * These tools fine-tune causal language models on text. A classification task (a head on an
 * encoder) is not something they run: a config would silently train another task (chat
 * fine-tuning), so none is written and the reason is given instead.
 */
export function taskRefusal(tool: RecipeTool, s: Pick<FinetuneSettings, 'task'>): string | undefined {
  if (s.task === 'seq_cls' || s.task === 'token_cls') {
    const what = s.task === 'token_cls' ? 'token classification' : 'classification';
    return `a ${what} task is not something ${TOOL_NAME[tool]} trains (it fine-tunes causal language models on text); a config would turn it into chat fine-tuning of another model — train it with ftr, or export the trained task with peft / adapterhub / merged`;
  }
  return undefined;
}

/** Hugging Face scheduler names (Axolotl lr_scheduler, LLaMA-Factory lr_scheduler_type). */
function hfSchedule(s: FinetuneSettings): string {
  // HF's plain `constant` ignores warm-up
  if (s.schedule === 'constant') return s.warmupRatio > 0 ? 'constant_with_warmup' : 'constant';
  return s.schedule;
}

function header(tool: RecipeTool, run: string, notes: string[], extra: string[] = []): string {
  const lines = [
    `${TOOL_NAME[tool]} config written by ftr.`,
    `Run: ${run}`,
    'Relative paths resolve against the directory the tool runs in: run it from the folder of this file.',
    ...extra,
    ...(notes.length ? ['Settings that did not map:', ...notes.map((n) => `  - ${n}`)] : ['Every setting mapped.']),
  ];
  return lines.map((l) => `# ${l}`).join('\n') + '\n';
}

const yaml = (doc: Record<string, unknown>) => stringify(doc, { lineWidth: 0 });
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function axolotl(s: FinetuneSettings, ds: RecipeDataset, mode: 'lora' | 'refuse'): { text: string; notes: string[] } | { refuse: string } {
  const notes: string[] = [];
  const task = taskRefusal('axolotl', s);
  if (task) return { refuse: task };
  const p = plan('axolotl', s, mode, notes);
  if ('refuse' in p) return p;
  const trainOnInputs = s.trainOnInputs ?? false;
  const entry = (path: string): Record<string, unknown> =>
    ds.format === 'alpaca'
      ? { path, ds_type: 'json', type: 'alpaca' }
      : { path, ds_type: 'json', type: 'chat_template', field_messages: 'messages', roles_to_train: trainOnInputs ? ['system', 'user', 'assistant'] : ['assistant'] };
  const doc: Record<string, unknown> = { base_model: s.baseModel };
  // GPT-2-class tokenizers have no chat template: fall back to ChatML rather than fail
  if (ds.format === 'messages') doc.chat_template = 'tokenizer_default_fallback_chatml';
  doc.datasets = [entry(ds.files.train)];
  doc.val_set_size = 0;
  if (ds.files.val) doc.test_datasets = [{ ...entry(ds.files.val), split: 'train' }];
  doc.output_dir = s.outputDir;
  doc.sequence_len = s.sequenceLen;
  if (p.kind === 'lora') {
    const l = p.lora;
    doc.adapter = 'lora';
    doc.lora_r = l.r;
    doc.lora_alpha = l.alpha;
    doc.lora_dropout = l.dropout;
    if (l.targetModules === 'all-linear') doc.lora_target_linear = true;
    else doc.lora_target_modules = [...l.targetModules];
    if (l.rslora) doc.peft_use_rslora = true;
    if (l.modulesToSave?.length) doc.lora_modules_to_save = [...l.modulesToSave];
  } else if (p.kind === 'frozen') {
    doc.unfrozen_parameters = p.unfreeze.map((m) => `^${escapeRegex(m)}\\..*`);
  }
  doc.micro_batch_size = s.microBatchSize;
  doc.gradient_accumulation_steps = s.gradAccum;
  doc.num_epochs = s.epochs;
  if (s.maxSteps !== undefined) doc.max_steps = s.maxSteps;
  doc.optimizer = 'adamw_torch';
  doc.learning_rate = s.lr;
  doc.lr_scheduler = hfSchedule(s);
  doc.warmup_ratio = s.warmupRatio;
  doc.weight_decay = s.weightDecay;
  doc.max_grad_norm = s.maxGradNorm;
  doc.seed = s.seed;
  doc.train_on_inputs = trainOnInputs;
  // ftr trains in fp32; on a GPU bf16: auto is the usual choice
  doc.bf16 = false;
  doc.fp16 = false;
  return { text: header('axolotl', 'axolotl train axolotl.yaml', notes) + yaml(doc), notes };
}

function llamaFactory(dir: string, s: FinetuneSettings, ds: RecipeDataset, mode: 'lora' | 'refuse'): { text: string; info: string; notes: string[] } | { refuse: string } {
  const notes: string[] = [];
  const task = taskRefusal('llama-factory', s);
  if (task) return { refuse: task };
  const p = plan('llama-factory', s, mode, notes);
  if ('refuse' in p) return p;
  const doc: Record<string, unknown> = { model_name_or_path: s.baseModel, stage: 'sft', do_train: true };
  if (p.kind === 'full') doc.finetuning_type = 'full';
  else if (p.kind === 'frozen') {
    doc.finetuning_type = 'freeze';
    // no hidden layer trains; the named modules are LLaMA-Factory's "extra" (non-layer) modules
    doc.freeze_trainable_layers = 0;
    const extra: string[] = [];
    for (const m of p.unfreeze) {
      if (/(?:^|\.)\d+(?:\.|$)/.test(m)) notes.push(`unfreeze ${m}: LLaMA-Factory picks trainable layers by count (freeze_trainable_layers), not by path; not written`);
      else extra.push(m.slice(m.lastIndexOf('.') + 1));
    }
    if (extra.length) doc.freeze_extra_modules = [...new Set(extra)].join(',');
  } else {
    const l = p.lora;
    doc.finetuning_type = 'lora';
    doc.lora_rank = l.r;
    doc.lora_alpha = l.alpha;
    doc.lora_dropout = l.dropout;
    doc.lora_target = l.targetModules === 'all-linear' ? 'all' : l.targetModules.join(',');
    if (l.rslora) doc.use_rslora = true;
    if (l.modulesToSave?.length) doc.additional_target = l.modulesToSave.join(',');
  }
  doc.dataset = TRAIN_NAME;
  // relative data files: dataset_info.json sits next to this file, which is run from its folder
  doc.dataset_dir = isAbsolute(ds.files.train) ? dir : '.';
  doc.template = 'default';
  doc.cutoff_len = s.sequenceLen;
  doc.train_on_prompt = s.trainOnInputs ?? false;
  doc.output_dir = s.outputDir;
  doc.per_device_train_batch_size = s.microBatchSize;
  doc.gradient_accumulation_steps = s.gradAccum;
  doc.num_train_epochs = s.epochs;
  if (s.maxSteps !== undefined) doc.max_steps = s.maxSteps;
  doc.optim = 'adamw_torch';
  doc.learning_rate = s.lr;
  doc.lr_scheduler_type = hfSchedule(s);
  doc.warmup_ratio = s.warmupRatio;
  doc.weight_decay = s.weightDecay;
  doc.max_grad_norm = s.maxGradNorm;
  doc.seed = s.seed;
  doc.bf16 = false;
  if (ds.files.val) {
    doc.eval_dataset = VAL_NAME;
    doc.per_device_eval_batch_size = s.microBatchSize;
    doc.eval_strategy = 'epoch';
  }
  // dataset_info.json paths are joined to dataset_dir (the export folder); Python's os.path.join keeps an absolute one
  const entry = (file: string): Record<string, unknown> => {
    const file_name = !isAbsolute(file) ? file : !isAbsolute(dir) ? file : relative(resolve(dir), resolve(file)).split('\\').join('/');
    return ds.format === 'alpaca'
      ? { file_name, formatting: 'alpaca', columns: { prompt: 'instruction', query: 'input', response: 'output' } }
      : {
          file_name,
          formatting: 'sharegpt',
          columns: { messages: 'messages' },
          tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' },
        };
  };
  const info: Record<string, unknown> = { [TRAIN_NAME]: entry(ds.files.train) };
  if (ds.files.val) info[VAL_NAME] = entry(ds.files.val);
  const extra = ['template: default is LLaMA-Factory\'s generic prompt format; set the base model\'s own template when it has one.'];
  return { text: header('llama-factory', 'llamafactory-cli train llama-factory.yaml', notes, extra) + yaml(doc), info: JSON.stringify(info, null, 2) + '\n', notes };
}

/** torchtune's LoRA placement for PEFT-style target names (BERT, DistilBERT, GPT-2 and Llama names). */
function torchtuneTargets(targets: string[] | 'all-linear', notes: string[]): { attn: string[]; mlp: boolean } {
  if (targets === 'all-linear') return { attn: ['q_proj', 'k_proj', 'v_proj', 'output_proj'], mlp: true };
  const attn = new Set<string>();
  let mlp = false;
  const mlpTargets: string[] = [];
  for (const t of targets) {
    const last = t.slice(t.lastIndexOf('.') + 1);
    if (['query', 'q_lin', 'q_proj', 'q'].includes(last)) attn.add('q_proj');
    else if (['key', 'k_lin', 'k_proj', 'k'].includes(last)) attn.add('k_proj');
    else if (['value', 'v_lin', 'v_proj', 'v'].includes(last)) attn.add('v_proj');
    else if (last === 'c_attn') ['q_proj', 'k_proj', 'v_proj'].forEach((x) => attn.add(x));
    else if (['out_lin', 'o_proj', 'output_proj'].includes(last) || t === 'attention.output.dense' || t.endsWith('.attention.output.dense') || t === 'attn.c_proj' || t.endsWith('.attn.c_proj')) attn.add('output_proj');
    else if (['lin1', 'lin2', 'c_fc', 'gate_proj', 'up_proj', 'down_proj', 'w1', 'w2', 'w3'].includes(last) || t === 'intermediate.dense' || t.endsWith('.intermediate.dense') || t === 'mlp.c_proj' || t.endsWith('.mlp.c_proj')) {
      mlp = true;
      mlpTargets.push(t);
    } else if (t === 'dense' || t === 'output.dense' || t === 'c_proj') {
      // as a PEFT suffix this names the attention output and the FFN projection(s)
      attn.add('output_proj');
      mlp = true;
      mlpTargets.push(t);
    } else notes.push(`LoRA target ${t}: no torchtune equivalent; dropped`);
  }
  if (mlpTargets.length) notes.push(`LoRA targets ${mlpTargets.join(', ')} → apply_lora_to_mlp: true, which puts LoRA on every MLP projection`);
  const order = ['q_proj', 'k_proj', 'v_proj', 'output_proj'];
  return { attn: order.filter((x) => attn.has(x)), mlp };
}

function countExamples(ds: RecipeDataset): number | undefined {
  if (ds.trainExamples !== undefined) return ds.trainExamples;
  if (!ds.files.train.endsWith('.jsonl') || !existsSync(ds.files.train)) return undefined;
  return readFileSync(ds.files.train, 'utf8').split('\n').filter((l) => l.trim()).length;
}

function torchtune(s: FinetuneSettings, ds: RecipeDataset, mode: 'lora' | 'refuse'): { text: string; notes: string[] } | { refuse: string } {
  const notes: string[] = [];
  const task = taskRefusal('torchtune', s);
  if (task) return { refuse: task };
  const p = plan('torchtune', s, mode, notes);
  if ('refuse' in p) return p;
  const tt = s.torchtune;
  if (!tt) {
    return {
      refuse: `torchtune builds models from its own builders (Llama, Qwen, Gemma, Mistral, Phi, …), none for \`${s.baseModel}\`; pass settings.torchtune { builder, tokenizer, checkpointDir, checkpointFiles, modelType } to name one`,
    };
  }
  const dot = tt.builder.lastIndexOf('.');
  if (dot < 0) throw new ExportError(`settings.torchtune.builder ${JSON.stringify(tt.builder)} should be a dotted path like torchtune.models.llama3_2.llama3_2_1b`);
  const model: Record<string, unknown> = {};
  let recipe = 'full_finetune_single_device';
  if (p.kind === 'lora') {
    recipe = 'lora_finetune_single_device';
    const l = p.lora;
    const t = torchtuneTargets(l.targetModules, notes);
    model._component_ = `${tt.builder.slice(0, dot)}.lora_${tt.builder.slice(dot + 1)}`;
    model.lora_attn_modules = t.attn;
    model.apply_lora_to_mlp = t.mlp;
    model.apply_lora_to_output = false;
    model.lora_rank = l.r;
    let alpha = l.alpha;
    if (l.rslora) {
      // same scale: alpha/√r = alpha'/r with alpha' = alpha·√r
      alpha = l.alpha * Math.sqrt(l.r);
      notes.push(`use_rslora: torchtune's LoRA has no rank-stabilised scaling; lora_alpha ${alpha} (= ${l.alpha}·√${l.r}) gives the same scale`);
    }
    model.lora_alpha = alpha;
    model.lora_dropout = l.dropout;
    if (l.modulesToSave?.length) notes.push(`modules_to_save ${l.modulesToSave.join(', ')}: torchtune's LoRA recipes train only the LoRA weights; not written`);
  } else {
    model._component_ = tt.builder;
  }
  const trainOnInput = s.trainOnInputs ?? false;
  const dataset = (file: string): Record<string, unknown> =>
    ds.format === 'alpaca'
      ? { _component_: 'torchtune.datasets.alpaca_dataset', source: 'json', data_files: file, split: 'train', train_on_input: trainOnInput, packed: false }
      : { _component_: 'torchtune.datasets.chat_dataset', source: 'json', data_files: file, split: 'train', conversation_column: 'messages', conversation_style: 'openai', train_on_input: trainOnInput, packed: false };
  if (ds.files.val) notes.push(`validation file ${ds.files.val}: torchtune's single-device recipes take no validation set; not written`);

  // torchtune schedules only cosine-with-warmup; num_cycles 0 keeps it flat after warm-up
  const scheduler: Record<string, unknown> = { _component_: 'torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup' };
  if (s.schedule === 'constant') scheduler.num_cycles = 0;
  if (s.schedule === 'linear') notes.push('lr_scheduler linear: torchtune ships only a cosine schedule with warm-up; wrote cosine');
  let warmup = 0;
  if (s.warmupRatio > 0) {
    const n = countExamples(ds);
    // torchtune's loader drops the last partial batch and counts optimizer steps
    const total = s.maxSteps ?? (n !== undefined ? s.epochs * Math.floor(Math.floor(n / s.microBatchSize) / s.gradAccum) : undefined);
    if (total === undefined) notes.push(`warmup_ratio ${s.warmupRatio}: torchtune needs num_warmup_steps and the step count is unknown (give dataset.trainExamples); wrote 0`);
    else {
      warmup = Math.ceil(total * s.warmupRatio);
      notes.push(`warmup_ratio ${s.warmupRatio} → num_warmup_steps ${warmup} (of ${total} steps)`);
    }
  }
  scheduler.num_warmup_steps = warmup;
  if (s.maxSteps !== undefined) notes.push(`max_steps ${s.maxSteps}: torchtune counts steps per epoch; wrote epochs: 1 and max_steps_per_epoch: ${s.maxSteps}, which stops earlier if one epoch is shorter`);

  const doc: Record<string, unknown> = {
    output_dir: s.outputDir,
    model,
    tokenizer: { ...tt.tokenizer, max_seq_len: s.sequenceLen },
    checkpointer: {
      _component_: 'torchtune.training.FullModelHFCheckpointer',
      checkpoint_dir: tt.checkpointDir,
      checkpoint_files: [...tt.checkpointFiles],
      recipe_checkpoint: null,
      output_dir: '${output_dir}',
      model_type: tt.modelType,
    },
    resume_from_checkpoint: false,
    ...(p.kind === 'lora' ? { save_adapter_weights_only: false } : {}),
    dataset: dataset(ds.files.train),
    seed: s.seed,
    shuffle: true,
    batch_size: s.microBatchSize,
    optimizer: { _component_: 'torch.optim.AdamW', lr: s.lr, weight_decay: s.weightDecay },
    lr_scheduler: scheduler,
    loss: { _component_: 'torchtune.modules.loss.LinearCrossEntropyLoss' },
    epochs: s.maxSteps !== undefined ? 1 : s.epochs,
    max_steps_per_epoch: s.maxSteps ?? null,
    gradient_accumulation_steps: s.gradAccum,
    clip_grad_norm: s.maxGradNorm,
    compile: false,
    metric_logger: { _component_: 'torchtune.training.metric_logging.DiskLogger', log_dir: '${output_dir}/logs' },
    log_every_n_steps: 1,
    log_peak_memory_stats: true,
    // the recipes read cfg.log_level and cfg.profiler as required keys
    log_level: 'INFO',
    profiler: { _component_: 'torchtune.training.setup_torch_profiler', enabled: false },
    ...(p.kind === 'full' ? { optimizer_in_bwd: false } : {}),
    device: 'cuda',
    // ftr trains in fp32; bf16 is the usual choice on a GPU
    dtype: 'fp32',
    enable_activation_checkpointing: false,
    enable_activation_offloading: false,
  };
  return { text: header('torchtune', `tune run ${recipe} --config torchtune.yaml`, notes) + yaml(doc), notes };
}

function check(s: FinetuneSettings, ds: RecipeDataset): void {
  const posInt = (k: string, v: number | undefined) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new ExportError(`${k} must be a positive integer, got ${v}`);
  };
  posInt('sequenceLen', s.sequenceLen);
  posInt('microBatchSize', s.microBatchSize);
  posInt('gradAccum', s.gradAccum);
  posInt('epochs', s.epochs);
  posInt('maxSteps', s.maxSteps);
  if (!(s.lr > 0)) throw new ExportError(`lr must be positive, got ${s.lr}`);
  if (!(s.warmupRatio >= 0 && s.warmupRatio < 1)) throw new ExportError(`warmupRatio must be in [0, 1), got ${s.warmupRatio}`);
  if (!(s.weightDecay >= 0)) throw new ExportError(`weightDecay must be ≥ 0, got ${s.weightDecay}`);
  if (!(s.maxGradNorm > 0)) throw new ExportError(`maxGradNorm must be positive, got ${s.maxGradNorm}`);
  if (!['linear', 'cosine', 'constant'].includes(s.schedule)) throw new ExportError(`unknown schedule ${JSON.stringify(s.schedule)}`);
  if (!s.baseModel) throw new ExportError('baseModel is empty');
  if (!ds.files.train) throw new ExportError('dataset.files.train is empty');
}

/** Write the recipe files for `tools` into `dir`; same input, same bytes. */
export function exportTrainerConfigs(dir: string, opts: TrainerExportOptions): TrainerExportResult {
  const { settings: s, dataset: ds } = opts;
  const mode = opts.unsupported ?? 'lora';
  check(s, ds);
  for (const t of opts.tools) if (!RECIPE_TOOLS.includes(t)) throw new ExportError(`unknown tool ${JSON.stringify(t)} (${RECIPE_TOOLS.join(', ')})`);
  const result: TrainerExportResult = { files: [], unmapped: {}, refused: {} };
  const files: [string, string][] = [];
  for (const tool of RECIPE_TOOLS.filter((t) => opts.tools.includes(t))) {
    if (tool === 'axolotl') {
      const r = axolotl(s, ds, mode);
      if ('refuse' in r) result.refused.axolotl = r.refuse;
      else {
        files.push(['axolotl.yaml', r.text]);
        result.unmapped.axolotl = r.notes;
      }
    } else if (tool === 'llama-factory') {
      const r = llamaFactory(dir, s, ds, mode);
      if ('refuse' in r) result.refused['llama-factory'] = r.refuse;
      else {
        files.push(['llama-factory.yaml', r.text], ['dataset_info.json', r.info]);
        result.unmapped['llama-factory'] = r.notes;
      }
    } else {
      const r = torchtune(s, ds, mode);
      if ('refuse' in r) result.refused.torchtune = r.refuse;
      else {
        files.push(['torchtune.yaml', r.text]);
        result.unmapped.torchtune = r.notes;
      }
    }
  }
  result.files = files.length ? writeFiles(dir, files) : [];
  return result;
}
