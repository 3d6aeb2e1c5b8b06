/**
 * One fine-tuning run: a base model folder + examples per part → a trained task with measured
 * cost (trainable parameters, step and wall time, peak memory, artifact size) and metrics on the
 * validation and test parts. The `finetune` and `compare` ops and the `pretrain` op call this.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, useBackend, type BackendChoice, type BackendInfo } from './tf.js';
import { loadPretrained, type Loaded } from './hf.js';
import { collate, type Example } from './data.js';
import { crossEntropy } from './losses.js';
import { applyStrategy, type StrategySpec } from './strategy.js';
import { GradientWorkers, modelSettings } from './parallel.js';
import type { Pooling, Task, Transformer } from './model.js';
import { fit, type EvalRecord, type FitResult, type StepInfo } from './train/trainer.js';
import { classificationMetrics, summary, tokenMetrics, type ClassificationReport } from './train/metrics.js';
import { encodeSafetensors, readSafetensors } from './safetensors.js';

/** What every training run sets: batches, length, the optimizer and its schedule, the seed. */
export interface OptimSettings {
  batchSize: number;
  epochs: number;
  maxSteps?: number;
  lr: number;
  schedule: 'constant' | 'linear' | 'cosine';
  warmup: number;
  weightDecay: number;
  clipNorm?: number;
  seed: number;
}

export interface TrainSettings extends OptimSettings {
  accumulate: number;
  /** early stopping on a validation metric */
  patience?: number;
  metric: string;
  /** per-class weights (index = label id), multiplied into each row's weight */
  classWeights?: number[];
  evalEvery?: number;
}

export interface RunSpec {
  baseDir: string;
  task: Task;
  labels: string[];
  strategy: StrategySpec;
  train: TrainSettings;
  backend: BackendChoice;
  data: { train: Example[]; val: Example[]; test: Example[] };
  /** dropout while training (default: the base config's) */
  dropout?: number;
  /** sequence vector for classification; auto: see `autoPooling` */
  pooling?: Pooling | 'auto';
  /**
   * threads computing each micro-batch's gradients (data parallel; default 1): this one plus
   * workers − 1 worker threads, each with its own wasm instance and model copy. Not for
   * `frozen` (its head trains on cached features) nor the native `tensorflow` backend (threaded
   * itself). With dropout the result depends on the count: put it in the checkpoint key.
   */
  workers?: number;
  /** checkpoint folder (resume after an interrupt) and the key of this configuration */
  checkpoint?: { dir: string; key: string; everySteps: number };
  /** frozen: where features are cached, keyed by base model + examples */
  featureCache?: { dir: string; key: string };
  signal?: AbortSignal;
  onStep?(s: StepInfo): void;
  onEval?(e: EvalRecord): void;
  log?(line: string): void;
}

export interface EvalResult {
  loss: number;
  report?: ClassificationReport;
  metrics: Record<string, number>;
}

export interface RunResult {
  model: Loaded;
  backend: BackendInfo;
  fit: FitResult;
  trainable: number;
  total: number;
  wallMs: number;
  /** peak bytes held in tensors during training (tf.memory) and the process's peak RSS */
  peakTensorBytes: number;
  peakRssBytes: number;
  val?: EvalResult;
  test?: EvalResult;
  /** frozen: whether the features came from the cache */
  featuresCached?: boolean;
  tokensPerSecond: number;
}

/**
 * [CLS] when the checkpoint brought a trained pooler (BERT pre-trained with next-sentence
 * prediction) or a trained pre_classifier; otherwise the mean of the tokens — a masked-LM-only
 * base (DistilBERT, one `pretrain` wrote) never taught [CLS] to summarise the text. GPT-2: the
 * last token.
 */
/** What transformers' …ForSequenceClassification pools: BERT's pooler and DistilBERT's pre_classifier read [CLS]; GPT-2 the last real token. */
export function transformersPooling(family: string): Pooling {
  return family === 'gpt2' ? 'last' : 'cls';
}

export function autoPooling(model: Loaded): Pooling {
  if (model.config.family === 'gpt2') return 'last';
  const first = model.config.family === 'bert' ? 'bert.pooler.dense.weight' : 'pre_classifier.weight';
  return model.params.has(first) && !model.freshHead.includes(first) ? 'cls' : 'mean';
}

function dropoutSeed(ctx: { seed: number }) {
  return ctx.seed % 1_000_000;
}

/** Loss of a batch for the model's task (weighted mean over rows / tokens). */
export function taskLoss(model: Transformer, examples: Example[], training: boolean, seed = 0): tf.Scalar {
  const { batch, labels, tags, targets, weights } = collate(examples, model.config.padId);
  if (targets) {
    // language modelling: vocabulary logits only where a target is scored
    const { positions, picked, w } = scored(targets, weights, batch.seq);
    const logits = model.forward(batch, { training, seed, positions }).logits as tf.Tensor2D;
    return crossEntropy(logits, picked, w);
  }
  const out = model.forward(batch, { training, seed });
  const logits = out.logits!;
  if (model.task === 'seq_cls') return crossEntropy(logits as tf.Tensor2D, labels!, weights);
  const per = tags ?? targets!;
  const w = new Float32Array(per.length);
  for (let i = 0; i < batch.batch; i++) w.fill(weights[i], i * batch.seq, (i + 1) * batch.seq);
  const C = logits.shape[logits.shape.length - 1]!;
  return crossEntropy(tf.reshape(logits, [-1, C]) as tf.Tensor2D, per, w);
}

/** The flat positions with a target, their targets and row weights. */
function scored(targets: Int32Array, weights: Float32Array, seq: number) {
  const pos: number[] = [];
  for (let i = 0; i < targets.length; i++) if (targets[i] !== -100) pos.push(i);
  return { positions: Int32Array.from(pos), picked: Int32Array.from(pos.map((i) => targets[i])), w: Float32Array.from(pos.map((i) => weights[Math.floor(i / seq)])) };
}

/** Predictions and loss over a list of examples, in batches. */
export async function evaluate(model: Transformer, examples: Example[], batchSize: number): Promise<EvalResult> {
  let lossSum = 0;
  let weightSum = 0;
  const gold: number[] = [];
  const pred: number[] = [];
  for (let i = 0; i < examples.length; i += batchSize) {
    const chunk = examples.slice(i, i + batchSize);
    const { loss, p, g, n } = tf.tidy(() => {
      const { batch, labels, tags, targets: all, weights } = collate(chunk, model.config.padId);
      const lm = all ? scored(all, weights, batch.seq) : undefined;
      const targets = lm?.picked;
      const logits = model.forward(batch, { training: false, positions: lm?.positions }).logits!;
      const C = logits.shape[logits.shape.length - 1]!;
      const flat = tf.reshape(logits, [-1, C]) as tf.Tensor2D;
      const tgt = labels ?? tags ?? targets!;
      const unweighted = crossEntropy(flat, tgt);
      let count = 0;
      for (const t of tgt) if (t !== -100) count++;
      return { loss: unweighted.dataSync()[0], p: Array.from(tf.argMax(flat, 1).dataSync()), g: Array.from(tgt), n: count };
    });
    lossSum += loss * n;
    weightSum += n;
    pred.push(...p);
    gold.push(...g);
    await tf.nextFrame?.();
  }
  const loss = weightSum ? lossSum / weightSum : 0;
  if (model.task === 'seq_cls' || model.task === 'token_cls') {
    const report = model.task === 'seq_cls' ? classificationMetrics(gold, pred, model.labels) : tokenMetrics(gold, pred, model.labels);
    return { loss, report, metrics: { loss, ...summary(report) } };
  }
  return { loss, metrics: { loss, perplexity: Math.exp(loss) } };
}

function countTokens(examples: Example[]) {
  return examples.reduce((a, e) => a + e.ids.length, 0);
}

/**
 * Frozen base: forward every example once (no gradient), keep one feature vector per sequence,
 * then train only the head on those vectors. The features are cached on disk, so another head,
 * learning rate or epoch count does not recompute them.
 */
async function frozenFeatures(model: Transformer, examples: Example[], batchSize: number, cache?: { dir: string; key: string }, part = 'train'): Promise<{ features: Float32Array; cached: boolean }> {
  const d = model.config.hidden;
  const file = cache ? join(cache.dir, `${cache.key}-${part}.safetensors`) : undefined;
  if (file && existsSync(file)) {
    const t = readSafetensors(file).tensors.get('features');
    if (t && t.shape[0] === examples.length && t.shape[1] === d) return { features: t.data as Float32Array, cached: true };
  }
  const features = new Float32Array(examples.length * d);
  for (let i = 0; i < examples.length; i += batchSize) {
    const chunk = examples.slice(i, i + batchSize);
    const v = tf.tidy(() => {
      const { batch } = collate(chunk, model.config.padId);
      const task = model.task;
      model.task = 'none';
      try {
        const out = model.forward(batch, { training: false });
        return model.sequenceFeatures(out.hidden, batch.mask!, batch).dataSync() as Float32Array;
      } finally {
        model.task = task;
      }
    });
    features.set(v, i * d);
  }
  if (file) {
    mkdirSync(cache!.dir, { recursive: true });
    writeFileSync(`${file}.tmp-${process.pid}`, encodeSafetensors({ features: { shape: [examples.length, d], data: features } }));
    renameSync(`${file}.tmp-${process.pid}`, file);
  }
  return { features, cached: false };
}

interface FeatureRow {
  x: Float32Array;
  label: number;
  weight: number;
}

export async function runFinetune(spec: RunSpec): Promise<RunResult> {
  const backend = await useBackend(spec.backend, { threads: spec.workers });
  const s = spec.train;
  const model = await loadPretrained(spec.baseDir, { task: spec.task, labels: spec.labels, seed: s.seed });
  if (spec.dropout !== undefined) model.config.dropout = spec.dropout;
  model.pooling = !spec.pooling || spec.pooling === 'auto' ? autoPooling(model) : spec.pooling;
  try {
    applyStrategy(model, spec.strategy, s.seed + 7);
    const trainable = model.params.count((n) => model.params.isTrainable(n));
    const total = model.params.count();
    const cw = s.classWeights;
    const weighted = (ex: Example[]) => (cw && spec.task === 'seq_cls' ? ex.map((e) => ({ ...e, weight: e.weight * (cw[e.label!] ?? 1) })) : ex);
    const train = weighted(spec.data.train);
    let peakTensorBytes = tf.memory().numBytes;
    let peakRss = process.memoryUsage().rss;
    const sample = () => {
      peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    };
    const t0 = performance.now();
    let result: FitResult;
    let featuresCached: boolean | undefined;
    const common = {
      vars: model.params.trainableVars(),
      batchSize: s.batchSize,
      accumulate: s.accumulate,
      epochs: s.epochs,
      maxSteps: s.maxSteps,
      lr: s.lr,
      schedule: s.schedule,
      warmup: s.warmup,
      weightDecay: s.weightDecay,
      clipNorm: s.clipNorm,
      seed: s.seed,
      evalEvery: s.evalEvery,
      earlyStopping: s.patience ? { metric: s.metric, patience: s.patience } : undefined,
      checkpoint: spec.checkpoint,
      signal: spec.signal,
      onStep: (st: StepInfo) => {
        sample();
        spec.onStep?.(st);
      },
      onEval: spec.onEval,
    };
    if (spec.strategy.strategy === 'frozen') {
      if (spec.task !== 'seq_cls') throw new Error('`frozen` (feature extraction) trains a classification head: use it with task classify');
      const feats = async (ex: Example[], part: string): Promise<FeatureRow[]> => {
        const { features, cached } = await frozenFeatures(model, ex, Math.max(s.batchSize, 32), spec.featureCache, part);
        if (part === 'train') featuresCached = cached;
        const d = model.config.hidden;
        return ex.map((e, i) => ({ x: features.subarray(i * d, (i + 1) * d), label: e.label!, weight: e.weight }));
      };
      const trainF = await feats(train, 'train');
      const valF = await feats(spec.data.val, 'val');
      sample();
      const headLoss = (rows: FeatureRow[]) => {
        const d = model.config.hidden;
        const x = new Float32Array(rows.length * d);
        rows.forEach((r, i) => x.set(r.x, i * d));
        const logits = model.classifyFeatures(tf.tensor2d(x, [rows.length, d]));
        return crossEntropy(logits, Int32Array.from(rows.map((r) => r.label)), Float32Array.from(rows.map((r) => r.weight)));
      };
      result = await fit<FeatureRow>({
        ...common,
        train: trainF,
        val: valF.length ? valF : undefined,
        loss: (rows) => headLoss(rows),
        // validation scores the head on the cached validation features: no base forward per evaluation
        evaluate: valF.length
          ? async (rows) => {
              const { loss, pred } = tf.tidy(() => {
                const d = model.config.hidden;
                const x = new Float32Array(rows.length * d);
                rows.forEach((r, i) => x.set(r.x, i * d));
                const logits = model.classifyFeatures(tf.tensor2d(x, [rows.length, d]));
                return { loss: crossEntropy(logits, Int32Array.from(rows.map((r) => r.label))).dataSync()[0], pred: Array.from(tf.argMax(logits, 1).dataSync()) };
              });
              return { metrics: { loss, ...summary(classificationMetrics(rows.map((r) => r.label), pred, model.labels)) } };
            }
          : undefined,
      });
    } else {
      const parallel =
        (spec.workers ?? 1) > 1 && backend.name !== 'tensorflow'
          ? await GradientWorkers.start(
              spec.workers! - 1,
              { baseDir: spec.baseDir, task: spec.task, labels: spec.labels, strategy: spec.strategy, seed: s.seed, model: modelSettings(model), backend: backend.name as BackendChoice },
              { local: (rows, seed) => taskLoss(model, rows, true, seed) },
            )
          : undefined;
      try {
        result = await fit<Example>({
          ...common,
          train,
          val: spec.data.val.length ? spec.data.val : undefined,
          loss: (rows, training, ctx) => taskLoss(model, rows, training, dropoutSeed(ctx)),
          gradients: parallel && ((rows, ctx) => parallel.gradients(rows, ctx, common.vars)),
          evaluate: spec.data.val.length ? async (rows) => ({ metrics: (await evaluate(model, rows, Math.max(s.batchSize, 32))).metrics }) : undefined,
        });
      } finally {
        await parallel?.close();
      }
    }
    const wallMs = performance.now() - t0;
    sample();
    model.params.setTrainable(() => false);
    const val = spec.data.val.length ? await evaluate(model, spec.data.val, Math.max(s.batchSize, 32)) : undefined;
    const test = spec.data.test.length ? await evaluate(model, spec.data.test, Math.max(s.batchSize, 32)) : undefined;
    const tokens = countTokens(spec.data.train) * Math.max(result.epochs, 0);
    return {
      model,
      backend,
      fit: result,
      trainable,
      total,
      wallMs,
      peakTensorBytes,
      peakRssBytes: peakRss,
      val,
      test,
      featuresCached,
      tokensPerSecond: wallMs > 0 ? tokens / (wallMs / 1000) : 0,
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** sha256 of a model folder's weights file(s), to tie tasks to the base they were trained on. */
export async function baseFingerprint(dir: string, hash: (path: string) => Promise<string>): Promise<string> {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return hash(single);
  const index = join(dir, 'model.safetensors.index.json');
  const files = [...new Set(Object.values((JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map))].sort();
  return (await Promise.all(files.map((f) => hash(join(dir, f))))).join(':');
}
