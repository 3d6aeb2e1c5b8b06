/**
 * Hugging Face model folders: `config.json` + `model.safetensors` (or a sharded index) +
 * `tokenizer.json`. Loading maps torch layouts to ours (nn.Linear [out, in] → [in, out]);
 * saving writes the same layout back, so a model pre-trained in a recipe loads in Transformers.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from './tf.js';
import { checkConfig, fromHfConfig, toHfConfig, type Family, type ModelConfig } from './config.js';
import { ParamStore } from './params.js';
import { baseShapes, headShapes, Transformer, type Task } from './model.js';
import { encodeSafetensors, parseSafetensors, type StTensor } from './safetensors.js';
import { fromTorchLayout, isTorchLinear, toTorchLayout } from './export/layout.js';

export class ModelLoadError extends Error {}

const PREFIX: Record<Family, string> = { bert: 'bert.', distilbert: 'distilbert.', gpt2: 'transformer.' };
function readWeights(dir: string): Map<string, StTensor> {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return parseSafetensors(readFileSync(single), single).tensors;
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    const map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
    const all = new Map<string, StTensor>();
    for (const file of [...new Set(Object.values(map))].sort()) for (const [k, v] of parseSafetensors(readFileSync(join(dir, file)), join(dir, file)).tensors) all.set(k, v);
    return all;
  }
  const bin = existsSync(join(dir, 'pytorch_model.bin'));
  throw new ModelLoadError(`${dir}: no model.safetensors${bin ? ' (pytorch_model.bin is a pickle: convert it with `python -c "from transformers import AutoModel; AutoModel.from_pretrained(D).save_pretrained(D, safe_serialization=True)"`)' : ''}`);
}

/** Our name for a checkpoint tensor: the architecture prefix added where a bare model saved without it; old LayerNorm names renamed. */
function canonical(name: string, family: Family, ours: Set<string>): string {
  const n = name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
  if (ours.has(n)) return n;
  if (ours.has(PREFIX[family] + n)) return PREFIX[family] + n;
  return n;
}

export interface LoadOptions {
  task: Task;
  /** label names for a new classification head (default: the config's id2label) */
  labels?: string[];
  /** seed for newly initialised head weights */
  seed?: number;
}

export interface Loaded extends Transformer {
  /** head variables the checkpoint lacked (initialised fresh) */
  freshHead: string[];
  /** checkpoint tensors the model does not use (an MLM head when loading for classification) */
  unused: string[];
}

export function readHfConfig(dir: string): { config: ModelConfig; raw: Record<string, unknown> } {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new ModelLoadError(`${dir}: no config.json (a base model folder holds config.json, model.safetensors and tokenizer.json)`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ModelLoadError(`${path}: not JSON (${(e as Error).message})`);
  }
  const config = fromHfConfig(raw, path);
  checkConfig(config, path);
  return { config, raw };
}

/** Load a base model (and the task head, when the checkpoint has one) from a Hugging Face folder. */
export async function loadPretrained(dir: string, opts: LoadOptions): Promise<Loaded> {
  const { config, raw } = readHfConfig(dir);
  const id2label = raw.id2label as Record<string, string> | undefined;
  const labels = opts.labels ?? (id2label ? Object.keys(id2label).sort((a, b) => Number(a) - Number(b)).map((k) => id2label[k]) : []);
  if ((opts.task === 'seq_cls' || opts.task === 'token_cls') && !labels.length) throw new ModelLoadError(`${dir}: a classification head needs labels (none given and config.json has no id2label)`);
  const wanted = [...baseShapes(config), ...headShapes(config, opts.task, labels.length)];
  const ours = new Set(wanted.map((w) => w.name));
  const shapes = new Map(wanted.map((w) => [w.name, w.shape]));
  const weights = readWeights(dir);
  const params = new ParamStore();
  const unused: string[] = [];
  const headNames = new Set(headShapes(config, opts.task, labels.length).map((h) => h.name));
  for (const [file, t] of weights) {
    const name = canonical(file, config.family, ours);
    if (!ours.has(name)) {
      unused.push(file);
      continue;
    }
    const value = fromTorchLayout(name, t, config.family);
    const want = shapes.get(name)!;
    if (value.shape.join('x') !== want.join('x')) {
      // a classification head for another label set is replaced, not an error
      if (headNames.has(name)) {
        unused.push(file);
        continue;
      }
      params.dispose();
      throw new ModelLoadError(`${dir}: \`${file}\` has shape [${t.shape}], config.json implies [${isTorchLinear(name, config.family) ? [...want].reverse() : want}]`);
    }
    params.add(name, tf.tensor(value.data instanceof Float32Array ? value.data : Float32Array.from(value.data), value.shape, 'float32'), headNames.has(name) ? 'head' : 'base');
  }
  const missing = baseShapes(config).filter((s) => !params.has(s.name));
  if (missing.length) {
    params.dispose();
    throw new ModelLoadError(`${dir}: model.safetensors lacks ${missing.length} base weight(s), e.g. \`${missing[0].name}\``);
  }
  const model = new Transformer(config, params, opts.task, labels) as Loaded;
  // a model ftr fine-tuned with mean pooling says so (Transformers ignores the key)
  if (raw.ftr_pooling === 'mean' || raw.ftr_pooling === 'cls' || raw.ftr_pooling === 'last') model.pooling = raw.ftr_pooling;
  model.freshHead = model.addHead(opts.seed ?? 0);
  model.unused = unused;
  return model;
}

const ARCH: Record<Family, Partial<Record<Task, string>>> = {
  bert: { seq_cls: 'BertForSequenceClassification', token_cls: 'BertForTokenClassification', mlm: 'BertForMaskedLM', none: 'BertModel' },
  distilbert: { seq_cls: 'DistilBertForSequenceClassification', token_cls: 'DistilBertForTokenClassification', mlm: 'DistilBertForMaskedLM', none: 'DistilBertModel' },
  gpt2: { seq_cls: 'GPT2ForSequenceClassification', lm: 'GPT2LMHeadModel', none: 'GPT2Model' },
};

/** The model's base + head weights in Hugging Face layout (strategy weights excluded; merge LoRA first to include it). */
export function hfTensors(model: Transformer): Map<string, StTensor> {
  const out = new Map<string, StTensor>();
  for (const [name, t] of model.params.snapshot((_, role) => role === 'base' || role === 'head')) {
    out.set(name, toTorchLayout(name, t, model.config.family));
  }
  return out;
}

/**
 * `tokenizer_config.json` + `special_tokens_map.json` for a tokenizer.json, so that
 * `AutoTokenizer.from_pretrained(dir)` builds exactly that tokenizer: without them transformers
 * picks the model type's own class (BertTokenizer: lowercasing and accent stripping, whatever the
 * vocabulary). `PreTrainedTokenizerFast` runs tokenizer.json as it is; the special tokens are the
 * file's own ([UNK] [CLS] [SEP] [PAD] [MASK] for WordPiece; GPT-2's <|endoftext|> as bos, eos,
 * unk and pad — ftr pads GPT-2 batches with it).
 */
export function tokenizerConfigFiles(tokenizerJson: string, maxLen: number): Record<string, string> {
  const j = JSON.parse(tokenizerJson) as { added_tokens?: { content: string; special?: boolean }[] };
  const specials = new Set((j.added_tokens ?? []).filter((t) => t.special).map((t) => t.content));
  const map: Record<string, string> = {};
  const roles: [string, string[]][] = [
    ['unk_token', ['[UNK]', '<unk>', '<|endoftext|>']],
    ['cls_token', ['[CLS]', '<s>']],
    ['sep_token', ['[SEP]', '</s>']],
    ['pad_token', ['[PAD]', '<pad>', '<|endoftext|>']],
    ['mask_token', ['[MASK]', '<mask>']],
    ['bos_token', ['<|endoftext|>', '<s>']],
    ['eos_token', ['<|endoftext|>', '</s>']],
  ];
  for (const [role, names] of roles) {
    const hit = names.find((n) => specials.has(n));
    if (hit) map[role] = hit;
  }
  const config = { tokenizer_class: 'PreTrainedTokenizerFast', model_max_length: maxLen, clean_up_tokenization_spaces: false, ...map };
  return { 'tokenizer_config.json': JSON.stringify(config, null, 2) + '\n', 'special_tokens_map.json': JSON.stringify(map, null, 2) + '\n' };
}

/** Write a Hugging Face model folder: config.json, model.safetensors (and tokenizer.json with its tokenizer_config.json when given). */
export function saveHf(dir: string, model: Transformer, extra: { tokenizerJson?: string; metadata?: Record<string, string> } = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const config = toHfConfig(model.config, { architectures: [ARCH[model.config.family][model.task] ?? ARCH[model.config.family].none!], labels: model.labels });
  if (model.task === 'seq_cls' && model.pooling !== (model.config.family === 'gpt2' ? 'last' : 'cls')) config.ftr_pooling = model.pooling;
  const files: [string, string | Uint8Array][] = [
    ['config.json', JSON.stringify(config, null, 2) + '\n'],
    ['model.safetensors', encodeSafetensors(hfTensors(model), { format: 'pt', ...extra.metadata })],
  ];
  if (extra.tokenizerJson !== undefined) {
    files.push(['tokenizer.json', extra.tokenizerJson]);
    for (const [name, text] of Object.entries(tokenizerConfigFiles(extra.tokenizerJson, model.config.maxPositions))) files.push([name, text]);
  }
  for (const [name, data] of files) {
    const path = join(dir, name);
    writeFileSync(`${path}.tmp-${process.pid}`, data);
    renameSync(`${path}.tmp-${process.pid}`, path);
  }
  return files.map(([n]) => join(dir, n));
}
