/**
 * Train one task and write its artifact: the step both `finetune` (one strategy) and `compare`
 * (several) run. Output folder: `adapter.safetensors` + `adapter.json` (the task, small, swapped
 * onto the base by `ftr predict`), or `model/` for a full fine-tune; `metrics.json` always.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpError, type OpContext, type Params } from '../types.js';
import type { ExampleSet } from './shared.js';
import { checkpointDir, costOf, fmtBytes, fmtCount, fmtMs, settingsOf, strategyOf } from './shared.js';
import type { Strategy } from '../../ml/strategy.js';
import type { RunResult } from '../../ml/finetune.js';
import type { ModelTokenizer } from '../../ml/data.js';

export interface TrainedTask {
  strategy: Strategy;
  run: RunResult;
  /** files written, absolute */
  files: string[];
  artifactBytes: number;
  cost: ReturnType<typeof costOf>;
  notes: string[];
}

const SPARK = '▁▂▃▄▅▆▇█';

/** A loss curve in one line: `▇▆▅▄▃▂▂▁`, 24 buckets at most. */
export function sparkline(values: number[], width = 24): string {
  if (!values.length) return '';
  const buckets: number[] = [];
  const per = Math.max(1, Math.ceil(values.length / width));
  for (let i = 0; i < values.length; i += per) {
    const chunk = values.slice(i, i + per);
    buckets.push(chunk.reduce((a, b) => a + b, 0) / chunk.length);
  }
  const lo = Math.min(...buckets);
  const hi = Math.max(...buckets);
  return buckets.map((v) => SPARK[hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (SPARK.length - 1))]).join('');
}

function write(path: string, data: string | Uint8Array) {
  writeFileSync(`${path}.tmp-${process.pid}`, data);
  renameSync(`${path}.tmp-${process.pid}`, path);
}

export function metricLine(m: Record<string, number> | undefined): string {
  if (!m) return '-';
  if (m.macro_f1 !== undefined) return `acc ${m.accuracy.toFixed(3)} · macro-F1 ${m.macro_f1.toFixed(3)} · loss ${m.loss.toFixed(3)}`;
  return `loss ${m.loss.toFixed(3)} · perplexity ${m.perplexity.toFixed(2)}`;
}

export async function trainTask(opts: {
  strategy: Strategy;
  params: Params;
  baseAbs: string;
  baseSha256: string;
  examples: ExampleSet;
  /** the base model's tokenizer, loaded once by the caller */
  tok: ModelTokenizer;
  outDir: string;
  ctx: OpContext;
  tokenizerJson: string;
  /** progress: fraction done → rows, for the cell's bar */
  progress?(fraction: number): void;
}): Promise<TrainedTask> {
  const { strategy, params, examples, ctx } = opts;
  const ml = await import('../../ml/finetune.js');
  const { saveTask } = await import('../../ml/strategy.js');
  const { readHfConfig, saveHf } = await import('../../ml/hf.js');
  const { balancedClassWeights } = await import('../../ml/losses.js');
  const { formatReport } = await import('../../ml/train/metrics.js');
  const { config } = readHfConfig(opts.baseAbs);
  const task = ({ classify: 'seq_cls', tokens: 'token_cls', generate: 'lm' } as const)[params.task as 'classify' | 'tokens' | 'generate'];
  if (task === 'lm' && config.family !== 'gpt2') throw new OpError(`task generate trains a causal LM: the base is a ${config.family} encoder, use a gpt2 base`);
  if (task === 'token_cls' && config.family === 'gpt2') throw new OpError('task tokens tags words with an encoder: use a bert or distilbert base');
  // prompt tokens sit in the model's positions too, and prefix tuning numbers the real tokens after
  // its virtual ones (as PEFT/transformers do): cut inputs that would not fit beside them
  let data = examples;
  const notes: string[] = [];
  if (strategy === 'prompt' || strategy === 'prefix') {
    const room = config.maxPositions - (params.virtual_tokens as number);
    if (room < 2) throw new OpError(`virtual_tokens ${params.virtual_tokens as number} leave no room for input in the base model's ${config.maxPositions} positions`);
    const tok = opts.tok;
    const cut = (list: typeof examples.train) =>
      list.map((e) => {
        if (e.ids.length <= room) return e;
        const last = e.ids[e.ids.length - 1];
        const ids = tok.isSpecial(last) ? Int32Array.from([...e.ids.subarray(0, room - 1), last]) : e.ids.slice(0, room);
        return { ...e, ids, tags: e.tags?.slice(0, room), targets: e.targets?.slice(0, room) };
      });
    const longest = Math.max(...[...examples.train, ...examples.val, ...examples.test].map((e) => e.ids.length));
    if (longest > room) {
      data = { ...examples, train: cut(examples.train), val: cut(examples.val), test: cut(examples.test) };
      notes.push(`${strategy}: inputs cut to ${room} tokens to fit beside ${params.virtual_tokens as number} virtual tokens in ${config.maxPositions} positions`);
    }
  }
  const settings = settingsOf(params, strategy, ctx.seed);
  if (params.class_weights) settings.classWeights = balancedClassWeights(examples.train.map((e) => e.label!), examples.labels.length);
  const spec = strategyOf(params, strategy, config.family);
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 1, base: opts.baseSha256, data: examples.digest, strategy: spec, settings, task, labels: examples.labels, dropout: params.dropout ?? null, pooling: params.pooling, workers: params.workers, backend: params.backend }))
    .digest('hex')
    .slice(0, 32);
  const ckpt = checkpointDir(ctx, key);
  const totalSteps = (params.steps as number | undefined) ?? Math.max(1, Math.ceil((params.epochs as number) * Math.ceil(examples.train.length / ((params.batch as number) * (params.accumulate as number)))));
  let lastLog = 0;
  const run = await ml.runFinetune({
    baseDir: opts.baseAbs,
    task,
    labels: task === 'lm' ? [] : examples.labels,
    strategy: spec,
    train: settings,
    backend: params.backend as 'auto',
    data,
    dropout: params.dropout as number | undefined,
    pooling: params.pooling as 'auto',
    workers: params.workers as number,
    checkpoint: ckpt ? { dir: ckpt, key, everySteps: params.checkpoint_every as number } : undefined,
    featureCache: ctx.memoDir ? { dir: join(ctx.memoDir, 'features'), key: createHash('sha256').update(`${opts.baseSha256}\u0000${examples.digest}\u0000${params.backend}\u0000${params.pooling}`).digest('hex').slice(0, 32) } : undefined,
    signal: ctx.signal,
    onStep: (s) => {
      opts.progress?.(Math.min(1, s.step / totalSteps));
      const now = Date.now();
      if (now - lastLog > 2000 || s.step === totalSteps) {
        lastLog = now;
        ctx.log(`${strategy} step ${s.step}/${totalSteps} · epoch ${s.epoch} · loss ${s.loss.toFixed(4)} · lr ${s.lr.toExponential(1)} · ${Math.round(s.ms)} ms/step`);
      }
    },
    onEval: (e) => ctx.log(`${strategy} eval at step ${e.step}: ${Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' · ')}`),
  });
  // the checkpoint only serves an interrupted run: a finished one leaves nothing behind
  if (ckpt) rmSync(ckpt, { recursive: true, force: true });
  try {
    mkdirSync(opts.outDir, { recursive: true });
    const files: string[] = [];
    let artifactBytes: number;
    const manifest = {
      task,
      labels: run.model.labels,
      family: config.family,
      strategy: spec,
      baseSha256: opts.baseSha256,
      maxLen: params.max_len as number,
      pooling: run.model.pooling,
      params: { trainable: run.trainable, total: run.total },
      backend: run.backend.detail,
      seed: settings.seed,
    };
    if (strategy === 'full') {
      const written = saveHf(join(opts.outDir, 'model'), run.model, { tokenizerJson: opts.tokenizerJson });
      files.push(...written);
      artifactBytes = statSync(join(opts.outDir, 'model', 'model.safetensors')).size;
      const mf = join(opts.outDir, 'adapter.json');
      write(mf, JSON.stringify({ format: 'ftr-task/1', ...manifest, trainedBase: [] }, null, 2) + '\n');
      files.push(mf);
    } else {
      const saved = saveTask(opts.outDir, run.model, manifest);
      files.push(...saved.files);
      artifactBytes = saved.bytes;
    }
    const cost = costOf(run, artifactBytes);
    const metricsFile = join(opts.outDir, 'metrics.json');
    write(
      metricsFile,
      JSON.stringify(
        {
          strategy,
          task,
          backend: run.backend.detail,
          labels: run.model.labels,
          cost,
          skipped: examples.skipped,
          stopped_early: run.fit.stoppedEarly,
          best: run.fit.best,
          resumed_from: run.fit.resumedFrom ?? null,
          features_cached: run.featuresCached ?? null,
          history: run.fit.history.map((h) => ({ step: h.step, loss: Number(h.loss.toFixed(6)), lr: h.lr })),
          evals: run.fit.evals,
          val: run.val?.report ?? run.val?.metrics ?? null,
          test: run.test?.report ?? run.test?.metrics ?? null,
        },
        null,
        2,
      ) + '\n',
    );
    files.push(metricsFile);
    const losses = run.fit.history.map((h) => h.loss);
    notes.unshift(
      `${strategy} on ${config.family} (${run.backend.detail}): ${fmtCount(run.trainable)} of ${fmtCount(run.total)} parameters trained (${cost.trainable_pct.toFixed(2)}%)${task === 'seq_cls' ? ` · ${run.model.pooling} pooling` : ''}`,
      `${run.fit.steps} steps${(params.workers as number) > 1 && strategy !== 'frozen' ? ` on ${params.workers as number} threads` : ''}${run.fit.resumedFrom ? ` (resumed at ${run.fit.resumedFrom})` : ''}${run.fit.stoppedEarly ? ', stopped early' : ''} · ${fmtMs(run.fit.stepMs)}/step · ${fmtMs(run.wallMs)} · ${Math.round(run.tokensPerSecond)} tokens/s · peak ${fmtBytes(run.peakTensorBytes)} in tensors${run.featuresCached ? ' · features from cache' : ''}`,
      `loss ${losses.length ? `${losses[0].toFixed(3)} ${sparkline(losses)} ${losses[losses.length - 1].toFixed(3)}` : '-'}`,
      `val: ${metricLine(run.val?.metrics)} · test: ${metricLine(run.test?.metrics)}`,
      `${strategy === 'full' ? 'model' : 'adapter'} ${fmtBytes(artifactBytes)}`,
    );
    if (Object.keys(examples.skipped).length) notes.push(`left out: ${Object.entries(examples.skipped).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const shown = run.test?.report ?? run.val?.report;
    if (shown && shown.labels.length <= 12) notes.push(`${run.test?.report ? 'test' : 'val'} report:`, ...formatReport(shown).split('\n'));
    return { strategy, run, files, artifactBytes, cost, notes };
  } catch (e) {
    run.model.dispose();
    throw e;
  }
}
