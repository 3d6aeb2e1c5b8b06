/**
 * The fine-tuning strategies: which weights a strategy adds to the base model and which it
 * trains. One base model, one small artifact per task (`adapter.safetensors` + `adapter.json`),
 * swapped onto the loaded base at will.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from './tf.js';
import { encodeSafetensors, readSafetensors } from './safetensors.js';
import { headShapes, initTensor, Transformer, type AdapterSpec, type LoraSpec, type Pooling, type Task } from './model.js';

export const STRATEGIES = ['full', 'frozen', 'adapter', 'lora', 'prompt', 'prefix'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface StrategySpec {
  strategy: Strategy;
  lora?: LoraSpec;
  adapter?: AdapterSpec;
  /** prompt / prefix: virtual tokens */
  tokens?: number;
}

/** PEFT's default LoRA targets per architecture (peft/utils/constants.py). */
export const DEFAULT_LORA_TARGETS: Record<string, string[]> = { bert: ['query', 'value'], distilbert: ['q_lin', 'v_lin'], gpt2: ['c_attn'] };

/**
 * Add the strategy's weights and mark what trains: `full` everything; `frozen` the head only;
 * `adapter` adapters + LayerNorms (Houlsby) + head; `lora`, `prompt`, `prefix` their own weights
 * + head. Head weights the base checkpoint lacked always train.
 */
export function applyStrategy(model: Transformer, spec: StrategySpec, seed: number): void {
  switch (spec.strategy) {
    case 'full':
      model.trainableRoles(['base', 'head']);
      return;
    case 'frozen':
      model.trainableRoles(['head']);
      return;
    case 'adapter': {
      model.addAdapters(spec.adapter ?? { placement: 'houlsby', size: 16, act: 'swish' }, seed);
      model.trainableRoles(['adapter', 'head'], (n) => trainsBase(model, n));
      return;
    }
    case 'lora':
      model.addLora(spec.lora ?? { r: 8, alpha: 16, dropout: 0.05, targets: DEFAULT_LORA_TARGETS[model.config.family] }, seed);
      model.trainableRoles(['lora', 'head']);
      return;
    case 'prompt':
      model.addPrompt(spec.tokens ?? 20, seed);
      model.trainableRoles(['prompt', 'head']);
      return;
    case 'prefix':
      model.addPrefix(spec.tokens ?? 20, seed);
      model.trainableRoles(['prefix', 'head']);
      return;
  }
}

/** Base weights a strategy trains besides its own: the LayerNorms, under Houlsby adapters. */
function trainsBase(model: Transformer, name: string): boolean {
  return model.adapter?.placement === 'houlsby' && /(LayerNorm|layer_norm|ln_\d|ln_f)\.(weight|bias)$/.test(name);
}

/** What `adapter.json` records: enough to rebuild the task on the same base. */
export interface TaskManifest {
  format: 'ftr-task/1';
  task: Task;
  labels: string[];
  family: string;
  strategy: StrategySpec;
  /** sha256 of the base model's weights file(s): a task only loads onto the base it was trained on */
  baseSha256: string;
  maxLen: number;
  /** how sequences became one vector (classification) */
  pooling?: Pooling;
  /** names of the stored tensors that are base weights (LayerNorms a Houlsby adapter trains) */
  trainedBase: string[];
  params: { trainable: number; total: number };
  backend: string;
  seed: number;
  metrics?: Record<string, unknown>;
}

/**
 * The tensors a task artifact holds: what the strategy added, the head, and any base weight it
 * trained — by the strategy, not by the trainable flags, which are cleared once training ends.
 */
export function taskTensors(model: Transformer) {
  return model.params.snapshot((name, role) => role !== 'base' || model.params.isTrainable(name) || trainsBase(model, name));
}

/** Save a task as its own small artifact (not the base): `adapter.safetensors` + `adapter.json`. */
export function saveTask(dir: string, model: Transformer, manifest: Omit<TaskManifest, 'format' | 'trainedBase'>): { files: string[]; bytes: number } {
  mkdirSync(dir, { recursive: true });
  const tensors = taskTensors(model);
  const full: TaskManifest = { format: 'ftr-task/1', ...manifest, pooling: model.pooling, trainedBase: [...tensors.keys()].filter((n) => model.params.role(n) === 'base') };
  const bytes = encodeSafetensors(tensors, { format: 'ftr' });
  const st = join(dir, 'adapter.safetensors');
  const js = join(dir, 'adapter.json');
  for (const [p, d] of [[st, bytes], [js, JSON.stringify(full, null, 2) + '\n']] as const) {
    writeFileSync(`${p}.tmp-${process.pid}`, d);
    renameSync(`${p}.tmp-${process.pid}`, p);
  }
  return { files: [st, js], bytes: bytes.byteLength };
}

export function readTaskManifest(dir: string): TaskManifest {
  const path = join(dir, 'adapter.json');
  if (!existsSync(path)) throw new Error(`${dir}: no adapter.json (not a task trained by \`finetune\`)`);
  const m = JSON.parse(readFileSync(path, 'utf8')) as TaskManifest;
  if (m.format !== 'ftr-task/1') throw new Error(`${path}: unknown format ${JSON.stringify(m.format)}`);
  return m;
}

/**
 * Put a saved task onto a loaded base: drop the previous task's weights, restore base weights it
 * had changed, add this task's head and strategy weights, assign the saved values.
 */
export class TaskSwitcher {
  private restore = new Map<string, tf.Tensor>();

  constructor(readonly model: Transformer) {}

  load(dir: string): TaskManifest {
    const m = readTaskManifest(dir);
    const model = this.model;
    if (m.family !== model.config.family) throw new Error(`${dir}: trained on a ${m.family} base, the loaded base is ${model.config.family}`);
    if (m.strategy.strategy === 'full') throw new Error(`${dir}: a \`full\` fine-tune is a whole model (its model/ folder), not an adapter to swap`);
    this.unload();
    model.task = m.task;
    model.labels = m.labels;
    if (m.pooling) model.pooling = m.pooling;
    for (const s of headShapes(model.config, m.task, m.labels.length)) model.params.add(s.name, initTensor(s.shape, s.init, 0), 'head');
    applyStrategy(model, m.strategy, 0);
    const values = readSafetensors(join(dir, 'adapter.safetensors')).tensors;
    for (const n of m.trainedBase) this.restore.set(n, model.params.get(n).clone());
    model.params.assign(values, join(dir, 'adapter.safetensors'));
    model.params.setTrainable(() => false);
    return m;
  }

  unload(): void {
    const model = this.model;
    model.params.remove((_, role) => role !== 'base');
    for (const [n, t] of this.restore) {
      model.params.get(n).assign(t);
      t.dispose();
    }
    this.restore.clear();
    model.lora.clear();
    model.adapter = undefined;
    model.promptTokens = 0;
    model.prefixTokens = 0;
    model.merged = false;
  }
}
