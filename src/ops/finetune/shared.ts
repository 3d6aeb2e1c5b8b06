/**
 * What the `finetune` and `compare` ops share: their params, check-time validation, turning the
 * split dataset's rows into token-id examples, and the report lines of a trained task.
 * The model code (src/ml, TensorFlow.js) is imported only when a cell trains.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { OpContext, ParamSpec, Params, Row, RowSet, SchemaContext } from '../types.js';
import { OpError } from '../types.js';
import { checkModelFolder, requireColumns } from '../common.js';
import type { Example, ModelTokenizer } from '../../ml/data.js';
import type { StrategySpec, Strategy } from '../../ml/strategy.js';
import type { RunResult, TrainSettings } from '../../ml/finetune.js';
import { resolveBackendName } from '../../ml/native.js';

export const TASKS = ['classify', 'tokens', 'generate'] as const;
export type TaskName = (typeof TASKS)[number];
export const STRATEGY_NAMES = ['full', 'frozen', 'adapter', 'lora', 'prompt', 'prefix'] as const;

/** Learning rates that work for each strategy on small models (prompt tuning wants a large one, full fine-tuning a small one). */
export const DEFAULT_LR: Record<Strategy, number> = { full: 3e-4, frozen: 3e-3, adapter: 1e-3, lora: 1e-3, prompt: 3e-2, prefix: 3e-3 };

export const MODEL_PARAMS: ParamSpec[] = [
  { name: 'base', type: { kind: 'path', access: 'read' }, required: true, doc: 'the base model: a Hugging Face folder (config.json, model.safetensors, tokenizer.json) — BERT, DistilBERT, MiniLM or GPT-2 — or the folder a `pretrain` cell writes' },
  { name: 'task', type: { kind: 'enum', values: TASKS }, default: 'classify', doc: 'classify: one label per row; tokens: a tag per word (NER); generate: causal LM on prompt → response (GPT-2 bases)' },
  { name: 'text', type: { kind: 'column' }, default: 'text', doc: 'classify / tokens: the text column' },
  { name: 'label', type: { kind: 'column' }, default: 'label', doc: 'classify: the label column' },
  { name: 'labels', type: { kind: 'list', of: { kind: 'any' } }, doc: 'classify / tokens: the label set, in head order (default: the labels found, sorted); rows with another label are left out and counted' },
  { name: 'words', type: { kind: 'column' }, doc: 'tokens: a list-of-words column (with `tags:`); default: whitespace words of `text` tagged from `spans:`' },
  { name: 'tags', type: { kind: 'column' }, doc: 'tokens: a list of per-word tags, parallel to `words:`' },
  { name: 'spans', type: { kind: 'column' }, default: 'spans', doc: 'tokens: character spans {start, end, label} on `text` (as `annotate` and `annotations` produce), turned into BIO word tags' },
  { name: 'prompt', type: { kind: 'column' }, default: 'prompt', doc: 'generate: the prompt column (no loss on it)' },
  { name: 'response', type: { kind: 'column' }, default: 'response', doc: 'generate: the response column (the loss)' },
  { name: 'weights', type: { kind: 'column' }, doc: 'per-row loss weights (from `reweigh`); default: a `weight` column when the input has one' },
  { name: 'class_weights', type: { kind: 'bool' }, default: false, doc: 'classify: weight each class n / (k · count) in the loss' },
  { name: 'max_len', type: { kind: 'count', min: 4 }, default: 128, doc: 'tokens per sequence, special tokens included (longer texts are cut)' },
  { name: 'train', type: { kind: 'string' }, default: 'train', doc: 'the part trained on' },
  { name: 'val', type: { kind: 'string' }, default: 'val', doc: 'the part for validation metrics and early stopping (absent part: none)' },
  { name: 'test', type: { kind: 'string' }, default: 'test', doc: 'the part for the final test metrics (absent part: none)' },
  { name: 'epochs', type: { kind: 'number', min: 0 }, default: 3, doc: 'passes over the training part' },
  { name: 'steps', type: { kind: 'count', min: 1 }, doc: 'optimizer steps (wins over epochs)' },
  { name: 'batch', type: { kind: 'count', min: 1 }, default: 16, doc: 'rows per micro-batch' },
  { name: 'accumulate', type: { kind: 'count', min: 1 }, default: 1, doc: 'micro-batches per optimizer step (gradient accumulation)' },
  { name: 'lr', type: { kind: 'number', min: 0 }, doc: 'peak learning rate (default per strategy: full 3e-4 — lower it to 2e-5…5e-5 for BERT-base-sized checkpoints —, frozen 3e-3, adapter 1e-3, lora 1e-3, prompt 3e-2, prefix 3e-3)' },
  { name: 'schedule', type: { kind: 'enum', values: ['linear', 'cosine', 'constant'] }, default: 'linear', doc: 'learning-rate decay after warm-up (Hugging Face schedules)' },
  { name: 'warmup', type: { kind: 'number', min: 0 }, default: 0.1, doc: 'warm-up: a fraction of the steps when below 1, else steps' },
  { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: 0.01, doc: 'AdamW decoupled weight decay (not on biases and norms)' },
  { name: 'clip', type: { kind: 'number', min: 0 }, default: 1, doc: 'clip gradients to this global L2 norm (0 = off)' },
  { name: 'patience', type: { kind: 'count', min: 1 }, doc: 'early stopping: evaluations without improvement of `metric` on the val part; the best weights are kept' },
  { name: 'metric', type: { kind: 'enum', values: ['macro_f1', 'accuracy', 'loss', 'weighted_f1'] }, doc: 'validation metric for early stopping (default: macro_f1; generate: loss)' },
  { name: 'eval_every', type: { kind: 'count', min: 1 }, doc: 'also evaluate every N steps (default: each epoch)' },
  { name: 'r', type: { kind: 'count', min: 1 }, default: 8, doc: 'lora: rank' },
  { name: 'alpha', type: { kind: 'number', min: 0 }, default: 16, doc: 'lora: scale numerator (scale = alpha / r)' },
  { name: 'lora_dropout', type: { kind: 'percent' }, default: 0.05, doc: 'lora: dropout on the LoRA input' },
  { name: 'targets', type: { kind: 'list', of: { kind: 'string' } }, doc: 'lora: module names to adapt, matched at the end of module paths, or "all-linear" (default as PEFT: bert query, value; distilbert q_lin, v_lin; gpt2 c_attn)' },
  { name: 'rslora', type: { kind: 'bool' }, default: false, doc: 'lora: scale alpha / √r (rank-stabilised)' },
  { name: 'adapter', type: { kind: 'enum', values: ['houlsby', 'pfeiffer'] }, default: 'houlsby', doc: 'adapter: houlsby (after attention and feed-forward; LayerNorms train too) or pfeiffer (after feed-forward only)' },
  { name: 'bottleneck', type: { kind: 'count', min: 1 }, default: 16, doc: 'adapter: bottleneck width' },
  { name: 'activation', type: { kind: 'enum', values: ['swish', 'relu', 'gelu'] }, doc: 'adapter: non-linearity (default: houlsby swish, pfeiffer relu — AdapterHub\'s)' },
  { name: 'virtual_tokens', type: { kind: 'count', min: 1 }, default: 20, doc: 'prompt / prefix: trainable virtual tokens' },
  { name: 'pooling', type: { kind: 'enum', values: ['auto', 'cls', 'mean', 'last'] }, default: 'auto', doc: "classify: the sequence's vector — cls (BERT's [CLS], as Transformers), mean (of the tokens), last (GPT-2's last token); auto: cls when the base brings a trained pooler, else mean (a masked-LM-only base never taught [CLS] to summarise). transformers pools cls (gpt2: last), so a mean-pooled task's peft / adapterhub / merged exports are not written (the notes say so): set pooling: cls to export it" },
  { name: 'dropout', type: { kind: 'percent' }, doc: "model dropout while training (default: the base config's)" },
  { name: 'backend', type: { kind: 'enum', values: ['auto', 'wasm', 'cpu', 'tensorflow'] }, default: 'auto', doc: 'TensorFlow.js backend: auto takes the native tensorflow backend when installed (`npm run native`), else wasm; the one it resolves to is part of the cache key' },
  { name: 'workers', type: { kind: 'count', min: 1 }, default: 1, doc: 'threads computing gradients: on wasm, data parallel with one wasm instance each (2 on a 2-core machine is ~1.9× faster per step; with dropout the result depends on the count; not for frozen); on tensorflow, the size of its thread pool (set by the first training cell of a run)' },
  { name: 'checkpoint_every', type: { kind: 'count', min: 1 }, default: 50, doc: 'save a resumable checkpoint (in the cache) every N steps; an interrupted run resumes from it' },
];

/** The training ops' cache-key environment: the backend `backend:` resolves to (`auto` → tensorflow once installed). */
export function backendEnvironment(params: Params): string[] {
  return [`backend ${resolveBackendName((params.backend as string | undefined) ?? 'auto')}`];
}

export function strategyOf(params: Params, strategy: Strategy, family: string): StrategySpec {
  switch (strategy) {
    case 'lora':
      return {
        strategy,
        lora: {
          r: params.r as number,
          alpha: params.alpha as number,
          dropout: params.lora_dropout as number,
          targets: (params.targets as string[] | undefined) ?? ({ bert: ['query', 'value'], distilbert: ['q_lin', 'v_lin'], gpt2: ['c_attn'] } as Record<string, string[]>)[family],
          rslora: params.rslora as boolean,
        },
      };
    case 'adapter': {
      const placement = params.adapter as 'houlsby' | 'pfeiffer';
      return { strategy, adapter: { placement, size: params.bottleneck as number, act: (params.activation as 'swish' | 'relu' | 'gelu' | undefined) ?? (placement === 'houlsby' ? 'swish' : 'relu') } };
    }
    case 'prompt':
    case 'prefix':
      return { strategy, tokens: params.virtual_tokens as number };
    default:
      return { strategy };
  }
}

export function settingsOf(params: Params, strategy: Strategy, seed: number): TrainSettings {
  const task = params.task as TaskName;
  return {
    batchSize: params.batch as number,
    accumulate: params.accumulate as number,
    epochs: params.epochs as number,
    maxSteps: params.steps as number | undefined,
    lr: (params.lr as number | undefined) ?? DEFAULT_LR[strategy],
    schedule: params.schedule as TrainSettings['schedule'],
    warmup: params.warmup as number,
    weightDecay: params.weight_decay as number,
    clipNorm: (params.clip as number) || undefined,
    seed,
    patience: params.patience as number | undefined,
    metric: (params.metric as string | undefined) ?? (task === 'generate' ? 'loss' : 'macro_f1'),
    evalEvery: params.eval_every as number | undefined,
  };
}

/** Check-time validation shared by finetune and compare. */
export function checkModelParams(ctx: SchemaContext, strategies: Strategy[]): void {
  const p = ctx.params;
  const input = ctx.input;
  const task = p.task as TaskName;
  checkModelFolder(ctx, 'base', 'the base model');
  if (task === 'classify') {
    requireColumns(ctx, 'text', [p.text as string]);
    requireColumns(ctx, 'label', [p.label as string]);
  } else if (task === 'tokens') {
    if (p.words !== undefined || p.tags !== undefined) {
      if (p.words === undefined || p.tags === undefined) ctx.error(p.words === undefined ? 'tags' : 'words', '`words:` and `tags:` go together (a list of words and a list of their tags)');
      else requireColumns(ctx, 'words', [p.words as string, p.tags as string]);
    } else {
      requireColumns(ctx, 'text', [p.text as string]);
      requireColumns(ctx, 'spans', [p.spans as string]);
    }
  } else {
    requireColumns(ctx, 'prompt', [p.prompt as string]);
    requireColumns(ctx, 'response', [p.response as string]);
  }
  if (p.weights !== undefined) requireColumns(ctx, 'weights', [p.weights as string]);
  if (p.class_weights && task !== 'classify') ctx.error('class_weights', '`class_weights` applies to task classify');
  for (const s of strategies) {
    if (s === 'frozen' && task !== 'classify') ctx.error('task', `strategy \`frozen\` (feature extraction) trains a classification head: it needs task classify, not ${task}`, { help: 'use adapter or lora for this task' });
  }
  if (input?.parts) {
    if (!input.parts.includes(p.train as string)) ctx.error('train', `the input has no part \`${p.train as string}\``, { notes: [`parts: ${input.parts.join(', ')}`] });
  } else if (input) {
    ctx.error(undefined, 'fine-tuning needs a split dataset (train, and val/test for metrics)', { help: 'split it first: `cell parts = … | split 80% 10% 10%`' });
  }
  if (task === 'generate' && p.metric !== undefined && p.metric !== 'loss') ctx.error('metric', '`generate` is evaluated by loss (and perplexity)', { help: 'use `metric: loss`' });
}

/** A stable text for a label value (numbers and booleans as written). */
function labelText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

export interface ExampleSet {
  train: Example[];
  val: Example[];
  test: Example[];
  labels: string[];
  /** rows left out, by reason */
  skipped: Record<string, number>;
  /** sha256 over the examples: keys the frozen-feature cache and checkpoints */
  digest: string;
}

async function collect(set: RowSet | undefined): Promise<Row[]> {
  const out: Row[] = [];
  if (!set) return out;
  for await (const r of set.rows()) out.push(r);
  return out;
}

/** Rows of the train/val/test parts → token-id examples for the task. */
export async function buildExamples(parts: Record<string, RowSet>, params: Params, tok: ModelTokenizer, schemaColumns: string[], ctx: OpContext): Promise<ExampleSet> {
  const { spansToTags, encodeWords, IGNORE } = await import('../../ml/data.js');
  const task = params.task as TaskName;
  const maxLen = params.max_len as number;
  const weightsCol = (params.weights as string | undefined) ?? (schemaColumns.includes('weight') ? 'weight' : undefined);
  const rows = { train: await collect(parts[params.train as string]), val: await collect(parts[params.val as string]), test: await collect(parts[params.test as string]) };
  const skipped: Record<string, number> = {};
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
  const weightOf = (r: Row) => {
    if (!weightsCol) return 1;
    const v = Number(r[weightsCol]);
    return Number.isFinite(v) && v >= 0 ? v : 1;
  };

  // the label set: declared, else every label seen (sorted; tags: O first)
  let labels = (params.labels as unknown[] | undefined)?.map((l) => labelText(l)!).filter(Boolean);
  const tagRows = (r: Row): { words: string[]; tags: string[] } | undefined => {
    if (params.words !== undefined) {
      const w = r[params.words as string];
      const t = r[params.tags as string];
      if (!Array.isArray(w) || !Array.isArray(t) || w.length !== t.length) return undefined;
      return { words: w.map(String), tags: t.map(String) };
    }
    const text = r[params.text as string];
    const spans = r[params.spans as string];
    if (typeof text !== 'string') return undefined;
    const list = Array.isArray(spans) ? (spans as { start: number; end: number; label: string }[]).filter((s) => s && typeof s.start === 'number' && typeof s.end === 'number') : [];
    return spansToTags(text, list.map((s) => ({ start: s.start, end: s.end, label: String(s.label) })));
  };
  if (!labels) {
    const seen = new Set<string>();
    for (const r of [...rows.train, ...rows.val, ...rows.test]) {
      if (task === 'classify') {
        const l = labelText(r[params.label as string]);
        if (l !== undefined) seen.add(l);
      } else if (task === 'tokens') for (const t of tagRows(r)?.tags ?? []) seen.add(t);
    }
    labels = [...seen].sort((a, b) => (a === 'O' ? -1 : b === 'O' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  const hash = createHash('sha256');
  const encode = (list: Row[]): Example[] => {
    const out: Example[] = [];
    for (const r of list) {
      const id = String(r.id ?? out.length);
      let ex: Example | undefined;
      if (task === 'classify') {
        const text = r[params.text as string];
        const l = labelText(r[params.label as string]);
        if (typeof text !== 'string' || !text.trim()) {
          skip('no text');
          continue;
        }
        if (l === undefined) {
          skip('no label');
          continue;
        }
        const li = index.get(l);
        if (li === undefined) {
          skip(`label not declared (${l})`);
          continue;
        }
        ex = { id, ids: Int32Array.from(tok.encode(text, maxLen).ids), label: li, weight: weightOf(r) };
      } else if (task === 'tokens') {
        const t = tagRows(r);
        if (!t || !t.words.length) {
          skip('no words/tags');
          continue;
        }
        const tagIds = t.tags.map((x) => index.get(x) ?? -1);
        if (tagIds.includes(-1)) {
          skip('tag not declared');
          continue;
        }
        const e = encodeWords(tok, t.words, tagIds, maxLen);
        ex = { id, ids: Int32Array.from(e.ids), tags: Int32Array.from(e.tags), weight: weightOf(r) };
      } else {
        const prompt = r[params.prompt as string];
        const response = r[params.response as string];
        if (typeof prompt !== 'string' || typeof response !== 'string' || !response) {
          skip('no prompt/response');
          continue;
        }
        const p = tok.pieces(prompt + '\n');
        const eos = tok.eos();
        const resp = [...tok.pieces(response), ...(eos === undefined ? [] : [eos])];
        const ids = [...p, ...resp].slice(0, maxLen);
        if (p.length >= ids.length) {
          skip('prompt fills max_len');
          continue;
        }
        // position t predicts token t+1: loss only where the next token is the response's
        const targets = ids.map((_, t) => (t + 1 < ids.length && t + 1 >= p.length ? ids[t + 1] : IGNORE));
        ex = { id, ids: Int32Array.from(ids), targets: Int32Array.from(targets), weight: weightOf(r) };
      }
      hash.update(`${id}\u0000${ex.ids.join(',')}\u0000${ex.label ?? ''}${ex.tags?.join(',') ?? ''}${ex.targets?.join(',') ?? ''}\u0000${ex.weight}\n`);
      out.push(ex);
    }
    return out;
  };
  const set = { train: encode(rows.train), val: encode(rows.val), test: encode(rows.test) };
  if (!set.train.length) throw new OpError(`no training examples in part \`${params.train as string}\`${Object.keys(skipped).length ? ` (left out: ${Object.entries(skipped).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`);
  if (task !== 'generate' && labels.length < 2) throw new OpError(`${task === 'classify' ? 'classification' : 'tagging'} needs at least 2 labels; found ${labels.length ? labels.join(', ') : 'none'}`);
  ctx.log(`${set.train.length} train / ${set.val.length} val / ${set.test.length} test examples, ${labels.length} labels`);
  return { ...set, labels, skipped, digest: hash.digest('hex') };
}

export function fmtCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(n);
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KB`;
  return `${n} B`;
}

export function fmtMs(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** The headline numbers of a trained task, as one record (metrics.json, the compare table). */
export function costOf(r: RunResult, artifactBytes: number) {
  return {
    trainable: r.trainable,
    total: r.total,
    trainable_pct: (100 * r.trainable) / r.total,
    step_ms: r.fit.stepMs,
    wall_ms: r.wallMs,
    steps: r.fit.steps,
    peak_tensor_bytes: r.peakTensorBytes,
    peak_rss_bytes: r.peakRssBytes,
    artifact_bytes: artifactBytes,
    tokens_per_s: r.tokensPerSecond,
    val: r.val?.metrics,
    test: r.test?.metrics,
  };
}

export function checkpointDir(ctx: OpContext, key: string): string | undefined {
  return ctx.memoDir ? join(ctx.memoDir, 'finetune', key) : undefined;
}
