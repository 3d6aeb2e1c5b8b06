/**
 * The training loop every ftr model shares: seeded per-epoch shuffles, gradient accumulation,
 * AdamW with a Hugging Face learning-rate schedule, global-norm clipping, evaluation with early
 * stopping, and checkpoints that resume to the same bits as an uninterrupted run.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.js';
import { encodeSafetensors, readSafetensors, type StTensor } from '../safetensors.js';
import { AdamW, clipByGlobalNorm, globalNorm } from './adamw.js';
import { lrAt, warmupSteps, type Schedule } from './schedule.js';
import { mulberry32 } from '../random.js';

export interface StepInfo {
  /** optimizer steps completed, this one included (1-based) */
  step: number;
  /** 1-based epoch the step belongs to */
  epoch: number;
  /** row-weighted mean loss over the step's micro-batches */
  loss: number;
  lr: number;
  /** global L2 norm of the gradient before clipping */
  gradNorm: number;
  ms: number;
}

export interface EvalRecord {
  step: number;
  /** 1-based epoch; an end-of-epoch evaluation carries the epoch that just ended */
  epoch: number;
  metrics: Record<string, number>;
}

/** Passed to `loss` so a model's dropout can be seeded per micro-batch and so survive a resume. */
export interface LossContext {
  /** optimizer steps completed before this micro-batch's step */
  step: number;
  /** index of the micro-batch within its step */
  micro: number;
  /** 1-based epoch */
  epoch: number;
  /** a 32-bit seed derived from spec.seed, step and micro */
  seed: number;
}

export interface FitSpec<R> {
  /** trainable variables by name; iterated sorted by name */
  vars: Map<string, tf.Variable>;
  train: R[];
  val?: R[];
  /** rows per micro-batch */
  batchSize: number;
  /** micro-batches per optimizer step (default 1); their gradients are averaged weighted by row count */
  accumulate?: number;
  /** default 3 (Hugging Face's default), ignored when maxSteps is set */
  epochs?: number;
  /** optimizer steps; wins over epochs */
  maxSteps?: number;
  lr: number;
  /** default linear (Hugging Face's default) */
  schedule?: Schedule;
  /** below 1: a fraction of the total steps (rounded up); otherwise steps */
  warmup?: number;
  /** default 0 (Hugging Face's default) */
  weightDecay?: number;
  clipNorm?: number;
  seed: number;
  /** which vars get weight decay (default `defaultDecay`: not biases, norms or any rank < 2 var) */
  decay?(name: string): boolean;
  /** the (weighted) mean loss of a micro-batch; runs under tf.variableGrads, so intermediates are freed */
  loss?(rows: R[], training: boolean, ctx: LossContext): tf.Scalar;
  /**
   * Instead of `loss` (and used when both are given): the (weighted) mean loss of a micro-batch
   * and its gradients, keyed by the names of `vars` (a var without a gradient may be left out),
   * computed elsewhere — in worker threads (`GradientWorkers`). `fit` takes ownership of the
   * returned tensors. Everything else (accumulation, clipping, AdamW, checkpoints) is unchanged.
   */
  gradients?(rows: R[], ctx: LossContext): Promise<{ loss: number; grads: Map<string, tf.Tensor> }>;
  /** on val at the end of every epoch, every evalEvery steps, and after the last step */
  evaluate?(rows: R[]): Promise<{ metrics: Record<string, number> }>;
  evalEvery?: number;
  /** stop after `patience` evaluations without a strict improvement, and end with the best weights; mode defaults to min for metrics named *loss*, else max */
  earlyStopping?: { metric: string; patience: number; mode?: 'max' | 'min' };
  /** `key` identifies the run configuration: a checkpoint with another key is ignored (and overwritten) */
  checkpoint?: { dir: string; everySteps: number; key: string };
  onStep?(s: StepInfo): void;
  onEval?(e: EvalRecord): void;
  /** on abort: checkpoint (when configured) at the next step boundary, then throw TrainingAborted */
  signal?: AbortSignal;
}

export interface FitResult {
  steps: number;
  /** epochs trained, fractional when maxSteps ends mid-epoch (as Hugging Face reports it) */
  epochs: number;
  stoppedEarly: boolean;
  best?: { step: number; metrics: Record<string, number> };
  history: { step: number; loss: number; lr: number }[];
  evals: EvalRecord[];
  /** the step a checkpoint restored */
  resumedFrom?: number;
  /** median wall time of this call's optimizer steps */
  stepMs: number;
}

/** Thrown after an abort, once the checkpoint is written; `name` is AbortError. */
export class TrainingAborted extends Error {
  override name = 'AbortError';
  constructor(readonly step: number, readonly checkpointed: boolean) {
    super(`training stopped at step ${step}${checkpointed ? '; the checkpoint resumes it' : ''}`);
  }
}

export const CHECKPOINT_TENSORS = 'checkpoint.safetensors';
export const CHECKPOINT_STATE = 'checkpoint.json';
const FORMAT = 'ftr-train-checkpoint/1';

export { mulberry32 };

/** A Fisher–Yates permutation of 0..n-1 from `seed`. */
export function shuffleOrder(n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Hugging Face decays every parameter but biases and LayerNorm weights; rank < 2 also catches
 * norms and biases whose names do not say so (and 1-d scales generally, as nanoGPT does).
 */
export function defaultDecay(name: string, shape?: readonly number[]): boolean {
  if (shape && shape.length < 2) return false;
  const lower = name.toLowerCase();
  if (lower.includes('bias') || lower.includes('norm')) return false;
  return !lower.split(/[./]/).some((seg) => /^ln(_?\d+|_f)?$/.test(seg));
}

function byName(a: string, b: string) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function mix(seed: number, step: number, micro: number): number {
  let h = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b);
  h = Math.imul(h ^ step ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ micro ^ (h >>> 16), 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

function positiveInt(what: string, x: number) {
  if (!Number.isInteger(x) || x < 1) throw new Error(`fit: ${what} must be a positive integer, got ${x}`);
}

/** What checkpoint.json holds besides the tensors. */
interface SavedState {
  format: string;
  key: string;
  step: number;
  /** 0-based epoch and steps done in it, of the next step to run */
  epoch: number;
  inEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  trainRows: number;
  optimizerStep: number;
  history: FitResult['history'];
  evals: EvalRecord[];
  lastEvalStep: number;
  best?: FitResult['best'];
  bestValue?: number;
  sinceBest: number;
  stopped: boolean;
  hasBestWeights: boolean;
}

export async function fit<R>(spec: FitSpec<R>): Promise<FitResult> {
  const names = [...spec.vars.keys()].sort(byName);
  const varList = names.map((n) => spec.vars.get(n)!);
  // tf.variableGrads names gradients by the tf.Variable's own (global) name
  const keyOf = new Map(varList.map((v, i) => [v.name, names[i]]));
  const n = spec.train.length;
  const accumulate = spec.accumulate ?? 1;
  positiveInt('batchSize', spec.batchSize);
  positiveInt('accumulate', accumulate);
  if (!n) throw new Error('fit: no training rows');
  if (!names.length) throw new Error('fit: no variables to train');
  if (!spec.loss && !spec.gradients) throw new Error('fit: give `loss` or `gradients`');
  const rowsPerStep = spec.batchSize * accumulate;
  const stepsPerEpoch = Math.ceil(n / rowsPerStep);
  const totalSteps = spec.maxSteps ?? (spec.epochs ?? 3) * stepsPerEpoch;
  if (!Number.isInteger(totalSteps) || totalSteps < 0) throw new Error(`fit: the step count must be a whole number, got ${totalSteps}`);
  const sched = { lr: spec.lr, schedule: spec.schedule ?? 'linear', warmupSteps: warmupSteps(spec.warmup, totalSteps), totalSteps } as const;
  const canEval = !!(spec.evaluate && spec.val?.length);
  const es = spec.earlyStopping;
  if (es && !canEval) throw new Error('fit: early stopping needs `evaluate` and validation rows');
  if (es) positiveInt('earlyStopping.patience', es.patience);
  const esMode = es?.mode ?? (es && /loss/i.test(es.metric) ? 'min' : 'max');
  if (spec.evalEvery !== undefined) positiveInt('evalEvery', spec.evalEvery);
  if (spec.checkpoint) positiveInt('checkpoint.everySteps', spec.checkpoint.everySteps);

  const decay = spec.decay ?? ((name: string) => defaultDecay(name, spec.vars.get(name)!.shape));
  const opt = new AdamW(spec.vars, { weightDecay: spec.weightDecay ?? 0, decay });

  let st: SavedState = {
    format: FORMAT,
    key: spec.checkpoint?.key ?? '',
    step: 0,
    epoch: 0,
    inEpoch: 0,
    stepsPerEpoch,
    totalSteps,
    trainRows: n,
    optimizerStep: 0,
    history: [],
    evals: [],
    lastEvalStep: -1,
    sinceBest: 0,
    stopped: false,
    hasBestWeights: false,
  };
  let bestWeights: Map<string, Float32Array> | undefined;
  let resumedFrom: number | undefined;
  let savedAt = -1;

  const snapshot = () => new Map(names.map((name, i) => [name, Float32Array.from(varList[i].dataSync())]));
  const assignAll = (src: (name: string) => StTensor | undefined, what: string) => {
    names.forEach((name, i) => {
      const t = src(name);
      const v = varList[i];
      if (!t) throw new Error(`fit: the checkpoint has no ${what} for \`${name}\``);
      if (t.shape.length !== v.shape.length || t.shape.some((d, j) => d !== v.shape[j])) {
        throw new Error(`fit: the checkpoint's ${what} \`${name}\` has shape ${JSON.stringify(t.shape)}, the variable ${JSON.stringify(v.shape)}`);
      }
      tf.tidy(() => v.assign(tf.tensor(t.data, v.shape, 'float32')));
    });
  };

  const ck = spec.checkpoint;
  const tensorsPath = ck && join(ck.dir, CHECKPOINT_TENSORS);
  const statePath = ck && join(ck.dir, CHECKPOINT_STATE);

  const save = () => {
    if (!ck || savedAt === st.step) return;
    mkdirSync(ck.dir, { recursive: true });
    const tensors = new Map<string, StTensor>();
    names.forEach((name, i) => tensors.set(`param/${name}`, { shape: [...varList[i].shape], data: Float32Array.from(varList[i].dataSync()) }));
    const os = opt.getState();
    for (const [k, t] of os.slots) tensors.set(`opt/${k}`, t);
    if (bestWeights) for (const [name, data] of bestWeights) tensors.set(`best/${name}`, { shape: [...spec.vars.get(name)!.shape], data });
    st.optimizerStep = os.step;
    st.hasBestWeights = !!bestWeights;
    // tensors first, state last: a crash between the renames leaves a step mismatch, which load rejects
    writeFileSync(`${tensorsPath}.tmp`, encodeSafetensors(tensors, { format: FORMAT, key: ck.key, step: String(st.step) }));
    writeFileSync(`${statePath}.tmp`, JSON.stringify(st));
    renameSync(`${tensorsPath}.tmp`, tensorsPath!);
    renameSync(`${statePath}.tmp`, statePath!);
    savedAt = st.step;
  };

  const load = () => {
    if (!ck || !existsSync(statePath!) || !existsSync(tensorsPath!)) return;
    let saved: SavedState;
    try {
      saved = JSON.parse(readFileSync(statePath!, 'utf8'));
    } catch {
      return;
    }
    if (saved.format !== FORMAT || saved.key !== ck.key) return;
    const { tensors, metadata } = readSafetensors(tensorsPath!);
    if (metadata.key !== ck.key || metadata.step !== String(saved.step)) return;
    if (saved.stepsPerEpoch !== stepsPerEpoch || saved.totalSteps !== totalSteps || saved.trainRows !== n) {
      throw new Error(`fit: the checkpoint in ${ck.dir} has key ${JSON.stringify(ck.key)} but was made for ${saved.trainRows} rows in ${saved.totalSteps} steps of ${saved.stepsPerEpoch} an epoch, not ${n} rows in ${totalSteps} steps of ${stepsPerEpoch}: the key must cover the whole run configuration`);
    }
    assignAll((name) => tensors.get(`param/${name}`), 'weights');
    const slots = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [k, t] of tensors) if (k.startsWith('opt/')) slots.set(k.slice(4), { shape: t.shape, data: t.data as Float32Array });
    opt.setState({ step: saved.optimizerStep, slots });
    if (saved.hasBestWeights) bestWeights = new Map(names.map((name) => [name, tensors.get(`best/${name}`)!.data as Float32Array]));
    st = saved;
    savedAt = resumedFrom = saved.step;
  };

  const evaluate = async (epoch: number) => {
    const { metrics } = await spec.evaluate!(spec.val!);
    const rec: EvalRecord = { step: st.step, epoch, metrics };
    st.evals.push(rec);
    st.lastEvalStep = st.step;
    spec.onEval?.(rec);
    if (!es) return;
    const value = metrics[es.metric];
    if (typeof value !== 'number') throw new Error(`fit: early stopping watches \`${es.metric}\`, which evaluate did not return (it returned ${Object.keys(metrics).join(', ') || 'nothing'})`);
    const better = st.bestValue === undefined ? !Number.isNaN(value) : esMode === 'max' ? value > st.bestValue : value < st.bestValue;
    if (better) {
      st.best = { step: st.step, metrics };
      st.bestValue = value;
      st.sinceBest = 0;
      bestWeights = snapshot();
    } else if (++st.sinceBest >= es.patience) st.stopped = true;
  };

  const stepMs: number[] = [];
  try {
    load();
    let order: number[] = [];
    let orderEpoch = -1;
    while (!st.stopped && st.step < totalSteps) {
      // a turn of the event loop lets an abort (a signal handler, a timer) arrive between steps
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (spec.signal?.aborted) {
        save();
        throw new TrainingAborted(st.step, !!ck);
      }
      const t0 = performance.now();
      if (orderEpoch !== st.epoch) {
        order = shuffleOrder(n, (spec.seed + st.epoch) >>> 0);
        orderEpoch = st.epoch;
      }
      const from = st.inEpoch * rowsPerStep;
      const to = Math.min(n, from + rowsPerStep);
      const stepRows = to - from;
      let lossSum: tf.Tensor | undefined;
      const acc = new Map<string, tf.Tensor>();
      for (let micro = 0, a = from; a < to; micro++, a += spec.batchSize) {
        const rows = order.slice(a, Math.min(to, a + spec.batchSize)).map((i) => spec.train[i]);
        // weighting by rows makes k micro-batches of a mean loss equal one batch of k times the rows
        const w = rows.length / stepRows;
        const ctx: LossContext = { step: st.step, micro, epoch: st.epoch + 1, seed: mix(spec.seed, st.step, micro) };
        let value: tf.Tensor;
        let pairs: [string, tf.Tensor][];
        if (spec.gradients) {
          const r = await spec.gradients(rows, ctx);
          value = tf.scalar(r.loss * w);
          const stray = [...r.grads.keys()].find((key) => !spec.vars.has(key));
          if (stray !== undefined) {
            tf.dispose([value, ...r.grads.values()]);
            throw new Error(`fit: \`gradients\` returned a gradient for \`${stray}\`, which is not a trained variable`);
          }
          pairs = [...r.grads].map(([key, g]) => {
            if (w === 1) return [key, g];
            const scaled = tf.mul(g, w);
            g.dispose();
            return [key, scaled];
          });
        } else {
          const vg = tf.variableGrads(() => {
            const l = spec.loss!(rows, true, ctx);
            return w === 1 ? l : tf.mul(l, w);
          }, varList);
          value = vg.value;
          pairs = Object.entries(vg.grads).flatMap(([vname, g]) => (g ? [[keyOf.get(vname)!, g] as [string, tf.Tensor]] : []));
        }
        if (lossSum) {
          const s = tf.add(lossSum, value);
          lossSum.dispose();
          value.dispose();
          lossSum = s;
        } else lossSum = value;
        for (const [key, g] of pairs) {
          const prev = acc.get(key);
          if (prev) {
            acc.set(key, tf.add(prev, g));
            prev.dispose();
            g.dispose();
          } else acc.set(key, g);
        }
      }
      let grads = acc;
      let gradNorm: number;
      if (spec.clipNorm !== undefined) {
        const clipped = clipByGlobalNorm(acc, spec.clipNorm);
        grads = clipped.grads;
        gradNorm = clipped.norm;
        tf.dispose([...acc.values()]);
      } else {
        const normT = globalNorm(acc.values());
        gradNorm = (await normT.data())[0];
        normT.dispose();
      }
      const loss = (await lossSum!.data())[0];
      lossSum!.dispose();
      const lr = lrAt(st.step, sched);
      opt.applyGradients(grads, lr);
      tf.dispose([...grads.values()]);
      const ms = performance.now() - t0;
      stepMs.push(ms);

      st.step++;
      st.inEpoch++;
      const epoch = st.epoch + 1;
      st.history.push({ step: st.step, loss, lr });
      spec.onStep?.({ step: st.step, epoch, loss, lr, gradNorm, ms });
      const epochEnd = st.inEpoch === stepsPerEpoch;
      if (epochEnd) {
        st.epoch++;
        st.inEpoch = 0;
      }
      if (canEval && (epochEnd || st.step === totalSteps || (spec.evalEvery && st.step % spec.evalEvery === 0))) await evaluate(epoch);
      if (ck && (st.step % ck.everySteps === 0 || st.stopped || st.step === totalSteps)) save();
    }
    save();
    if (es && bestWeights) assignAll((name) => ({ shape: [...spec.vars.get(name)!.shape], data: bestWeights!.get(name)! }), 'best weights');
  } finally {
    opt.dispose();
  }
  return {
    steps: st.step,
    epochs: st.step / stepsPerEpoch,
    stoppedEarly: st.stopped,
    best: st.best,
    history: st.history,
    evals: st.evals,
    resumedFrom,
    stepMs: median(stepMs),
  };
}
