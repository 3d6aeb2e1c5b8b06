/**
 * Hugging Face PEFT adapters: `adapter_config.json` + `adapter_model.safetensors`, written so
 * `PeftModel.from_pretrained(base, dir)` loads them, and read back so adapters trained elsewhere
 * can be used here.
 *
 * Checked against huggingface/peft:
 * - `src/peft/utils/save_and_load.py` (get_peft_model_state_dict / set_peft_model_state_dict):
 *   LoRA keys `base_model.model.<module>.lora_A.weight` (the adapter name is stripped on save);
 *   prompt learning saves one tensor `prompt_embeddings`; modules_to_save wrappers save their
 *   copy under the wrapped module's own path (`ModulesToSaveWrapper.adapter_state_dict` in
 *   `utils/other.py` drops `modules_to_save.<adapter>.`), i.e. `base_model.model.classifier.weight`
 *   for LoRA and `base_model.classifier.weight` for prompt learning (PeftModel.base_model is the
 *   transformers model itself there); safetensors metadata `{"format": "pt"}`.
 * - `src/peft/tuners/lora/config.py` (LoraConfig at 6b2556e, peft 0.15.2.dev0), `src/peft/config.py`
 *   (PeftConfig, PromptLearningConfig), `tuners/prompt_tuning/config.py`, `tuners/prefix_tuning/config.py`
 *   and `tuners/prefix_tuning/model.py` (PrefixEncoder: embedding [n_virtual, num_layers·2·token_dim]).
 *   Config files are `json.dumps(to_dict(), indent=2, sort_keys=True)`. `config.py` from_peft_type drops
 *   keys a version does not know (with a warning) and fills missing ones with defaults, so writing the
 *   0.15 key set loads quietly in 0.15 and later.
 * - `tuners/lora/layer.py` (as summarised in notes/finetune-tfjs.md §1.2, not re-read here): lora_A =
 *   Linear(in, r) → [r, in], lora_B = Linear(r, out) → [out, r], also for GPT-2's Conv1D, where only
 *   the merged delta is transposed (fan_in_fan_out).
 * - `utils/other.py` get_pattern_key: rank_pattern / alpha_pattern keys match `(.*\.)?(key)$`, first key wins.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, parseSafetensors, type StTensor } from '../safetensors.js';
import { ExportError, fromTorchLayout, shapeOf, sortedJson, toTorchLayout, transpose2d, writeFiles, type Family } from './layout.js';

export type PeftTask = 'SEQ_CLS' | 'TOKEN_CLS' | 'CAUSAL_LM';

export interface PeftLoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  /** module-name suffixes (PEFT matches a name exactly or as `.suffix`), `all-linear`, or a regex string */
  targetModules: string[] | string;
  rslora: boolean;
  /** PEFT `layers_to_transform`: LoRA only in these layer indices (default: all) */
  layers?: number[];
  /** per-module overrides as PEFT stores them (only adapters trained elsewhere have these) */
  rankPattern?: Record<string, number>;
  alphaPattern?: Record<string, number>;
  /** `all` / `lora_only`: the base biases of LoRA modules were trained too and are in the tensors */
  bias?: 'none' | 'all' | 'lora_only';
}

export interface PeftPromptConfig {
  numVirtualTokens: number;
  tokenDim: number;
  numLayers: number;
  heads: number;
  /** how the table was initialised (PEFT's prompt_tuning_init; informational once trained) */
  init?: 'RANDOM' | 'TEXT';
  initText?: string;
  tokenizer?: string;
}

export interface PeftPrefixConfig {
  numVirtualTokens: number;
  tokenDim: number;
  numLayers: number;
  heads: number;
}

interface PeftCommon {
  /** our names and layouts (linear [in, out]); strategy tensors plus every module in modulesToSave */
  tensors: Map<string, StTensor>;
  family: Family;
  task: PeftTask;
  /** hub id or path of the base model (PEFT's base_model_name_or_path) */
  baseModel: string;
  /** fully trained modules saved whole, e.g. `classifier`, `pre_classifier`, `bert.pooler.dense` */
  modulesToSave: string[];
}

export type PeftAdapter =
  | (PeftCommon & { strategy: 'lora'; config: PeftLoraConfig })
  | (PeftCommon & { strategy: 'prompt'; config: PeftPromptConfig })
  | (PeftCommon & { strategy: 'prefix'; config: PeftPrefixConfig });

export const PEFT_CONFIG_FILE = 'adapter_config.json';
export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';
// let readPeftAdapter recover what PEFT's files do not record; PEFT reads only `format`
const FAMILY_META = 'ftr.family';
const SAVED_META = 'ftr.modules_to_save';

const FAMILY_PREFIX: Record<Family, string> = { bert: 'bert.', distilbert: 'distilbert.', gpt2: 'transformer.' };
const CONV1D_MODULE = /(?:^|\.)(?:attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)$/;
const LAYER_INDEX = /\.(?:layer|h)\.(\d+)\./;

/**
 * The head modules PEFT wraps for a task (`PeftModelForSequenceClassification` adds
 * `classifier`/`score` and matches by name suffix, so DistilBERT's `pre_classifier` is wrapped too).
 * A wrapped module whose weights are missing from the file fails to load, so they must be present.
 */
function requiredHead(family: Family, task: PeftTask): string[] {
  if (task === 'CAUSAL_LM') return [];
  if (family === 'gpt2') return task === 'SEQ_CLS' ? ['score'] : ['classifier'];
  if (family === 'distilbert' && task === 'SEQ_CLS') return ['pre_classifier', 'classifier'];
  return ['classifier'];
}

const modulePath = (tensor: string) => tensor.slice(0, tensor.lastIndexOf('.'));
const suffixMatch = (path: string, key: string) => path === key || path.endsWith(`.${key}`);

/** Which modules_to_save entry covers a tensor, if any. */
function savedModule(tensor: string, modulesToSave: string[]): string | undefined {
  const path = modulePath(tensor);
  return modulesToSave.find((m) => suffixMatch(path, m));
}

function targetMatches(target: string[] | string, path: string): boolean {
  if (Array.isArray(target)) return target.some((t) => suffixMatch(path, t));
  if (target === 'all-linear') return true;
  // PEFT: a string is a regex that must match the whole module name (re.fullmatch)
  return new RegExp(`^(?:${target})$`).test(path);
}

/** PEFT's get_pattern_key: the first pattern key `k` with `(.*\.)?(k)$` matching the module name. */
function patternValue(pattern: Record<string, number> | undefined, module: string): number | undefined {
  for (const [key, value] of Object.entries(pattern ?? {})) if (new RegExp(`^(.*\\.)?(${key})$`).test(module)) return value;
  return undefined;
}

/** The LoRA rank PEFT uses for `module` (rank_pattern over r). */
export function peftLoraRank(config: PeftLoraConfig, module: string): number {
  return patternValue(config.rankPattern, module) ?? config.r;
}

/** The scale PEFT applies to B·A for `module`: alpha/r, or alpha/√r with rsLoRA (patterns resolved). */
export function peftLoraScaling(config: PeftLoraConfig, module: string): number {
  const r = peftLoraRank(config, module);
  const alpha = patternValue(config.alphaPattern, module) ?? config.alpha;
  return config.rslora ? alpha / Math.sqrt(r) : alpha / r;
}

function checkPositiveInt(label: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ExportError(`${label} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

interface Split {
  lora: Map<string, { a?: StTensor; b?: StTensor }>;
  saved: Map<string, StTensor>;
  biases: Map<string, StTensor>;
  table?: StTensor;
}

/** Sort the tensors into strategy tensors and modules_to_save, refusing anything PEFT would drop. */
function split(a: PeftAdapter): Split {
  const out: Split = { lora: new Map(), saved: new Map(), biases: new Map() };
  const tableName = a.strategy === 'prompt' ? 'prompt_embeddings' : a.strategy === 'prefix' ? 'prefix_embeddings' : undefined;
  for (const [name, t] of a.tensors) {
    const lora = /^(.+)\.lora_([AB])\.weight$/.exec(name);
    if (lora) {
      if (a.strategy !== 'lora') throw new ExportError(`\`${name}\` is a LoRA tensor but the strategy is ${a.strategy}`);
      const e = out.lora.get(lora[1]) ?? {};
      e[lora[2] === 'A' ? 'a' : 'b'] = t;
      out.lora.set(lora[1], e);
    } else if (name === tableName) {
      out.table = t;
    } else if (savedModule(name, a.modulesToSave)) {
      out.saved.set(name, t);
    } else if (a.strategy === 'lora' && (a.config.bias ?? 'none') !== 'none' && name.endsWith('.bias')) {
      out.biases.set(name, t);
    } else {
      throw new ExportError(`\`${name}\` is neither a ${a.strategy} tensor nor part of a module in modulesToSave [${a.modulesToSave.join(', ')}]; PEFT would not load it`);
    }
  }
  return out;
}

function checkHead(a: PeftAdapter, saved: Map<string, StTensor>): void {
  for (const m of requiredHead(a.family, a.task)) {
    if (![...saved.keys()].some((n) => suffixMatch(modulePath(n), m))) {
      throw new ExportError(`task ${a.task} on ${a.family}: PEFT trains and saves \`${m}\` for this task, but no \`${m}.*\` tensors were given (add them and list \`${m}\` in modulesToSave)`);
    }
  }
}

function loraConfigJson(a: PeftAdapter & { strategy: 'lora' }, lora: Split['lora']): Record<string, unknown> {
  const c = a.config;
  const modules = [...lora.keys()];
  // PEFT switches fan_in_fan_out on for Conv1D targets and saves it that way
  const fanInFanOut = a.family === 'gpt2' && modules.some((m) => CONV1D_MODULE.test(m));
  return {
    alpha_pattern: c.alphaPattern ?? {},
    auto_mapping: null,
    base_model_name_or_path: a.baseModel,
    bias: c.bias ?? 'none',
    corda_config: null,
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: fanInFanOut,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: c.layers ? [...c.layers].sort((x, y) => x - y) : null,
    loftq_config: {},
    lora_alpha: c.alpha,
    lora_bias: false,
    lora_dropout: c.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: a.modulesToSave.length ? [...a.modulesToSave] : null,
    peft_type: 'LORA',
    qalora_group_size: 16,
    r: c.r,
    rank_pattern: c.rankPattern ?? {},
    revision: null,
    target_modules: Array.isArray(c.targetModules) ? [...c.targetModules].sort() : c.targetModules,
    task_type: a.task,
    trainable_token_indices: null,
    use_dora: false,
    use_qalora: false,
    use_rslora: c.rslora,
  };
}

function promptLearningJson(a: PeftAdapter & { strategy: 'prompt' | 'prefix' }): Record<string, unknown> {
  const c = a.config;
  const base = {
    auto_mapping: null,
    base_model_name_or_path: a.baseModel,
    inference_mode: true,
    num_attention_heads: c.heads,
    num_layers: c.numLayers,
    // 2 only for encoder-decoder models, which ftr does not train
    num_transformer_submodules: 1,
    num_virtual_tokens: c.numVirtualTokens,
    revision: null,
    task_type: a.task,
    token_dim: c.tokenDim,
  };
  if (a.strategy === 'prompt') {
    const p = a.config;
    return {
      ...base,
      peft_type: 'PROMPT_TUNING',
      prompt_tuning_init: p.init ?? 'RANDOM',
      prompt_tuning_init_text: p.initText ?? null,
      tokenizer_kwargs: null,
      tokenizer_name_or_path: p.tokenizer ?? null,
    };
  }
  return { ...base, encoder_hidden_size: c.tokenDim, init_weights: null, peft_type: 'PREFIX_TUNING', prefix_projection: false };
}

/** Write `adapter_config.json` + `adapter_model.safetensors` into `dir`; returns the paths written. */
export function writePeftAdapter(dir: string, a: PeftAdapter): string[] {
  // PEFT feeds a prefix to the model as past_key_values; DistilBertModel.forward has no such argument
  if (a.strategy === 'prefix' && a.family === 'distilbert') throw new ExportError('PEFT prefix tuning cannot run on DistilBERT: transformers\' DistilBertModel takes no past_key_values, which is how PEFT passes the prefix (use strategy prompt or lora, or a bert base)');
  const parts = split(a);
  checkHead(a, parts.saved);
  const out = new Map<string, StTensor>();
  let config: Record<string, unknown>;
  if (a.strategy === 'lora') {
    const c = a.config;
    checkPositiveInt('LoRA r', c.r);
    if (!(c.alpha > 0)) throw new ExportError(`LoRA alpha must be positive, got ${c.alpha}`);
    if (!(c.dropout >= 0 && c.dropout < 1)) throw new ExportError(`LoRA dropout must be in [0, 1), got ${c.dropout}`);
    if (!parts.lora.size) throw new ExportError('strategy lora, but no `*.lora_A.weight` / `*.lora_B.weight` tensors were given');
    for (const [m, { a: A, b: B }] of parts.lora) {
      const r = peftLoraRank(c, m);
      if (!A || !B || A.shape.length !== 2 || B.shape.length !== 2 || A.shape[1] !== r || B.shape[0] !== r) {
        throw new ExportError(`\`${m}\`: LoRA needs lora_A [in, ${r}] and lora_B [${r}, out], got ${shapeOf(A)} and ${shapeOf(B)}`);
      }
      if (!targetMatches(c.targetModules, m)) throw new ExportError(`\`${m}\` has LoRA weights but is not matched by targetModules ${JSON.stringify(c.targetModules)}; PEFT would not load them`);
      const layer = LAYER_INDEX.exec(`${m}.`)?.[1];
      if (c.layers && layer !== undefined && !c.layers.includes(Number(layer))) throw new ExportError(`\`${m}\` has LoRA weights but layer ${layer} is not in layers [${c.layers}]`);
      out.set(`base_model.model.${m}.lora_A.weight`, transpose2d(A));
      out.set(`base_model.model.${m}.lora_B.weight`, transpose2d(B));
    }
    for (const [n, t] of [...parts.saved, ...parts.biases]) out.set(`base_model.model.${n}`, toTorchLayout(n, t, a.family));
    config = loraConfigJson(a, parts.lora);
  } else {
    const c = a.config;
    for (const k of ['numVirtualTokens', 'tokenDim', 'numLayers', 'heads'] as const) checkPositiveInt(k, c[k]);
    if (c.tokenDim % c.heads !== 0) throw new ExportError(`tokenDim ${c.tokenDim} is not divisible by ${c.heads} heads`);
    const table = parts.table;
    const width = a.strategy === 'prompt' ? c.tokenDim : c.numLayers * 2 * c.tokenDim;
    const name = a.strategy === 'prompt' ? 'prompt_embeddings' : 'prefix_embeddings';
    if (!table || table.shape.length !== 2 || table.shape[0] !== c.numVirtualTokens || table.shape[1] !== width) {
      throw new ExportError(`strategy ${a.strategy} needs \`${name}\` of shape [${c.numVirtualTokens}, ${width}], got ${shapeOf(table)}`);
    }
    // PEFT's key and layout for both: rows are virtual tokens (prefix: layer l's key in columns [2l·d, (2l+1)·d), value next)
    out.set('prompt_embeddings', table);
    for (const [n, t] of parts.saved) out.set(`base_model.${n}`, toTorchLayout(n, t, a.family));
    config = promptLearningJson(a);
  }
  const metadata: Record<string, string> = { format: 'pt', [FAMILY_META]: a.family };
  // prompt-learning configs have no modules_to_save key
  if (a.strategy !== 'lora') metadata[SAVED_META] = JSON.stringify(a.modulesToSave);
  return writeFiles(dir, [
    [PEFT_CONFIG_FILE, sortedJson(config)],
    [PEFT_WEIGHTS_FILE, encodeSafetensors(out, metadata)],
  ]);
}

function inferFamily(names: string[], baseModel: string | null, label: string): Family {
  for (const f of ['distilbert', 'bert', 'gpt2'] as const) if (names.some((n) => n.startsWith(FAMILY_PREFIX[f]))) return f;
  if (names.some((n) => n === 'score' || n.startsWith('score.'))) return 'gpt2';
  const id = (baseModel ?? '').toLowerCase();
  for (const f of ['distilbert', 'gpt2', 'bert'] as const) if (id.includes(f)) return f;
  throw new ExportError(`${label}: cannot tell the model family from the tensor names or base model \`${baseModel}\`; pass { family }`);
}

function str(cfg: Record<string, unknown>, key: string, label: string): string {
  const v = cfg[key];
  if (typeof v !== 'string') throw new ExportError(`${label}: \`${key}\` is ${JSON.stringify(v)}, expected a string`);
  return v;
}

function int(cfg: Record<string, unknown>, key: string, label: string): number {
  const v = cfg[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ExportError(`${label}: \`${key}\` is ${JSON.stringify(v)}, expected an integer`);
  return v;
}

const TASKS: readonly PeftTask[] = ['SEQ_CLS', 'TOKEN_CLS', 'CAUSAL_LM'];

/**
 * Read a PEFT adapter folder (LoRA, prompt tuning or prefix tuning, safetensors) into our names
 * and layouts. `family` overrides the one recorded by ftr or inferred from tensor names.
 */
export function readPeftAdapter(dir: string, opts: { family?: Family } = {}): PeftAdapter {
  const cfgPath = join(dir, PEFT_CONFIG_FILE);
  const stPath = join(dir, PEFT_WEIGHTS_FILE);
  if (!existsSync(cfgPath)) throw new ExportError(`${dir}: no ${PEFT_CONFIG_FILE} (not a PEFT adapter folder)`);
  if (!existsSync(stPath)) {
    const bin = existsSync(join(dir, 'adapter_model.bin'));
    throw new ExportError(`${dir}: no ${PEFT_WEIGHTS_FILE}${bin ? ' (adapter_model.bin is a pickle: re-save it with `PeftModel.save_pretrained(dir, safe_serialization=True)`)' : ''}`);
  }
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new ExportError(`${cfgPath}: not JSON (${(e as Error).message})`);
  }
  const { tensors: raw, metadata } = parseSafetensors(readFileSync(stPath), stPath);
  const peftType = str(cfg, 'peft_type', cfgPath);
  const task = cfg.task_type as PeftTask;
  if (!TASKS.includes(task)) throw new ExportError(`${cfgPath}: task_type ${JSON.stringify(cfg.task_type)} is not supported (${TASKS.join(', ')})`);
  const baseModel = (cfg.base_model_name_or_path as string | null) ?? '';
  const names = [...raw.keys()].map((k) => k.replace(/^base_model\.(model\.)?/, ''));
  const recorded = metadata[FAMILY_META] as Family | undefined;
  const family = opts.family ?? (recorded && recorded in FAMILY_PREFIX ? recorded : inferFamily(names, baseModel, stPath));
  const tensors = new Map<string, StTensor>();

  if (peftType === 'LORA') {
    if (cfg.use_dora) throw new ExportError(`${cfgPath}: a DoRA adapter (use_dora) has magnitude vectors ftr's LoRA does not model`);
    const modulesToSave = (cfg.modules_to_save as string[] | null) ?? [];
    const lora = new Set<string>();
    for (const [key, t] of raw) {
      const name = key.replace(/^base_model\.model\./, '');
      const m = /^(.+)\.lora_([AB])\.weight$/.exec(name);
      if (m) {
        // [r, in] → [in, r] and [out, r] → [r, out]
        tensors.set(name, transpose2d(t));
        lora.add(m[1]);
      } else if (/\.lora_(?:embedding_|magnitude)|\.lora_[AB]\./.test(name)) {
        throw new ExportError(`${stPath}: \`${key}\` is a LoRA variant ftr does not support (embedding LoRA, DoRA or a multi-adapter key)`);
      } else {
        tensors.set(name, fromTorchLayout(name, t, family));
      }
    }
    const target = cfg.target_modules;
    const config: PeftLoraConfig = {
      r: int(cfg, 'r', cfgPath),
      alpha: cfg.lora_alpha as number,
      dropout: (cfg.lora_dropout as number) ?? 0,
      targetModules: Array.isArray(target) ? [...(target as string[])].sort() : typeof target === 'string' ? target : [...lora].map((m) => m.slice(m.lastIndexOf('.') + 1)).filter((v, i, all) => all.indexOf(v) === i).sort(),
      rslora: cfg.use_rslora === true,
    };
    const layers = cfg.layers_to_transform;
    if (typeof layers === 'number') config.layers = [layers];
    else if (Array.isArray(layers)) config.layers = [...(layers as number[])].sort((x, y) => x - y);
    if (cfg.rank_pattern && Object.keys(cfg.rank_pattern as object).length) config.rankPattern = cfg.rank_pattern as Record<string, number>;
    if (cfg.alpha_pattern && Object.keys(cfg.alpha_pattern as object).length) config.alphaPattern = cfg.alpha_pattern as Record<string, number>;
    if (cfg.bias && cfg.bias !== 'none') config.bias = cfg.bias as 'all' | 'lora_only';
    for (const m of lora) {
      const A = tensors.get(`${m}.lora_A.weight`);
      const B = tensors.get(`${m}.lora_B.weight`);
      if (!A || !B) throw new ExportError(`${stPath}: \`${m}\` has only one of lora_A / lora_B`);
      const rank = peftLoraRank(config, m);
      if (A.shape[1] !== rank || B.shape[0] !== rank) throw new ExportError(`${stPath}: \`${m}\` has rank ${A.shape[1]}, the config says ${rank}`);
    }
    return { strategy: 'lora', tensors, family, task, baseModel, config, modulesToSave };
  }

  if (peftType === 'PROMPT_TUNING' || peftType === 'PREFIX_TUNING') {
    const label = cfgPath;
    if ((cfg.num_transformer_submodules ?? 1) !== 1) throw new ExportError(`${label}: num_transformer_submodules ${String(cfg.num_transformer_submodules)} (encoder-decoder models) is not supported`);
    const table = raw.get('prompt_embeddings');
    if (!table) throw new ExportError(`${stPath}: no \`prompt_embeddings\` tensor`);
    const found: string[] = [];
    for (const [key, t] of raw) {
      if (key === 'prompt_embeddings') continue;
      const name = key.replace(/^base_model\./, '');
      tensors.set(name, fromTorchLayout(name, t, family));
      const mod = modulePath(name);
      if (!found.includes(mod)) found.push(mod);
    }
    const modulesToSave = metadata[SAVED_META] ? (JSON.parse(metadata[SAVED_META]) as string[]) : found;
    const common = {
      numVirtualTokens: int(cfg, 'num_virtual_tokens', label),
      tokenDim: int(cfg, 'token_dim', label),
      numLayers: int(cfg, 'num_layers', label),
      heads: int(cfg, 'num_attention_heads', label),
    };
    const width = peftType === 'PROMPT_TUNING' ? common.tokenDim : common.numLayers * 2 * common.tokenDim;
    if (table.shape.length !== 2 || table.shape[0] !== common.numVirtualTokens || table.shape[1] !== width) {
      throw new ExportError(`${stPath}: \`prompt_embeddings\` is ${shapeOf(table)}, the config implies [${common.numVirtualTokens}, ${width}]`);
    }
    if (peftType === 'PROMPT_TUNING') {
      tensors.set('prompt_embeddings', table);
      const config: PeftPromptConfig = { ...common };
      if (cfg.prompt_tuning_init && cfg.prompt_tuning_init !== 'RANDOM') config.init = cfg.prompt_tuning_init as 'TEXT';
      if (typeof cfg.prompt_tuning_init_text === 'string') config.initText = cfg.prompt_tuning_init_text;
      if (typeof cfg.tokenizer_name_or_path === 'string') config.tokenizer = cfg.tokenizer_name_or_path;
      return { strategy: 'prompt', tensors, family, task, baseModel, config, modulesToSave };
    }
    // with prefix_projection PEFT saves the projected table, which is the same [n, L·2·d] prefix
    tensors.set('prefix_embeddings', table);
    return { strategy: 'prefix', tensors, family, task, baseModel, config: common, modulesToSave };
  }
  throw new ExportError(`${cfgPath}: peft_type ${peftType} is not supported (LORA, PROMPT_TUNING, PREFIX_TUNING)`);
}
