/**
 * Pre-training a small base model on the recipe's own text, so a whole pipeline runs offline:
 * masked-LM for encoders (BERT's 15% / 80-10-10 masking, fixed per example by the seed) and
 * causal LM for GPT-2. The result is a Hugging Face folder that `finetune` (and Transformers) loads.
 */
import { useBackend, type BackendChoice, type BackendInfo } from './tf.js';
import { Transformer } from './model.js';
import type { ModelConfig } from './config.js';
import { IGNORE, type Example, type ModelTokenizer } from './data.js';
import { fit, type FitResult, type StepInfo } from './train/trainer.js';
import { mulberry32 } from './random.js';
import { evaluate, taskLoss, type OptimSettings } from './finetune.js';

export interface PretrainSpec extends OptimSettings {
  config: ModelConfig;
  texts: { train: string[]; val: string[] };
  tokenizer: ModelTokenizer;
  maskProb: number;
  backend: BackendChoice;
  checkpoint?: { dir: string; key: string; everySteps: number };
  signal?: AbortSignal;
  onStep?(s: StepInfo): void;
}

export interface PretrainResult {
  model: Transformer;
  backend: BackendInfo;
  fit: FitResult;
  params: number;
  wallMs: number;
  tokensPerSecond: number;
  valLoss?: number;
  examples: number;
}

/** BERT masking of one sequence: 15% of the non-special tokens predicted; of those 80% → [MASK], 10% → a random token, 10% kept. */
export function maskTokens(ids: number[], tok: ModelTokenizer, vocab: number, prob: number, rand: () => number): { ids: number[]; targets: number[] } | undefined {
  const mask = tok.id('[MASK]') ?? tok.id('<mask>');
  if (mask === undefined) throw new Error('masked-LM pre-training needs a [MASK] token in the tokenizer (train a wordpiece tokenizer, whose specials include it)');
  const candidates = ids.map((id, i) => (tok.isSpecial(id) ? -1 : i)).filter((i) => i >= 0);
  if (!candidates.length) return undefined;
  let chosen = candidates.filter(() => rand() < prob);
  if (!chosen.length) chosen = [candidates[Math.floor(rand() * candidates.length)]];
  const out = [...ids];
  const targets = ids.map(() => IGNORE);
  for (const i of chosen) {
    targets[i] = ids[i];
    const r = rand();
    if (r < 0.8) out[i] = mask;
    else if (r < 0.9) {
      let t: number;
      do t = Math.floor(rand() * vocab);
      while (tok.isSpecial(t));
      out[i] = t;
    }
  }
  return { ids: out, targets };
}

export function pretrainExamples(texts: string[], spec: Pick<PretrainSpec, 'config' | 'tokenizer' | 'maskProb' | 'seed'>, part: string): Example[] {
  const { config, tokenizer: tok } = spec;
  const out: Example[] = [];
  const rand = mulberry32(spec.seed ^ (part === 'val' ? 0x5bd1e995 : 0));
  texts.forEach((text, n) => {
    if (config.family === 'gpt2') {
      const eos = tok.eos();
      const ids = [...tok.pieces(text), ...(eos === undefined ? [] : [eos])].slice(0, config.maxPositions);
      if (ids.length < 2) return;
      out.push({ id: `${part}:${n}`, ids: Int32Array.from(ids), targets: Int32Array.from(ids.map((_, t) => (t + 1 < ids.length ? ids[t + 1] : IGNORE))), weight: 1 });
    } else {
      const m = maskTokens(tok.encode(text, config.maxPositions).ids, tok, config.vocabSize, spec.maskProb, rand);
      if (m) out.push({ id: `${part}:${n}`, ids: Int32Array.from(m.ids), targets: Int32Array.from(m.targets), weight: 1 });
    }
  });
  return out;
}

export async function runPretrain(spec: PretrainSpec): Promise<PretrainResult> {
  const backend = await useBackend(spec.backend);
  const task = spec.config.family === 'gpt2' ? 'lm' : 'mlm';
  const model = Transformer.random(spec.config, task, [], spec.seed);
  try {
    model.trainableRoles(['base', 'head']);
    const train = pretrainExamples(spec.texts.train, spec, 'train');
    const val = pretrainExamples(spec.texts.val, spec, 'val');
    if (!train.length) throw new Error('no text to pre-train on');
    const t0 = performance.now();
    const result = await fit<Example>({
      vars: model.params.trainableVars(),
      train,
      batchSize: spec.batchSize,
      epochs: spec.epochs,
      maxSteps: spec.maxSteps,
      lr: spec.lr,
      schedule: spec.schedule,
      warmup: spec.warmup,
      weightDecay: spec.weightDecay,
      clipNorm: spec.clipNorm,
      seed: spec.seed,
      checkpoint: spec.checkpoint,
      signal: spec.signal,
      loss: (rows, training, ctx) => taskLoss(model, rows, training, ctx.seed % 1_000_000),
      onStep: spec.onStep,
    });
    const wallMs = performance.now() - t0;
    model.params.setTrainable(() => false);
    const valLoss = val.length ? (await evaluate(model, val, 32)).loss : undefined;
    const tokens = train.reduce((a, e) => a + e.ids.length, 0) * result.epochs;
    return { model, backend, fit: result, params: model.params.count(), wallMs, tokensPerSecond: tokens / Math.max(wallMs / 1000, 1e-9), valLoss, examples: train.length };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

