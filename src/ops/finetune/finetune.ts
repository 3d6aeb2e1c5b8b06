import { existsSync, readFileSync } from 'node:fs';
import { defineOp, OpError, type OpContext, type Params, type RowSet, type SinkResult } from '../types.js';
import { resolvePath } from '../sources/files.js';
import { backendEnvironment, buildExamples, checkModelParams, MODEL_PARAMS, STRATEGY_NAMES, type ExampleSet } from './shared.js';
import { trainTask } from './train_task.js';
import { EXPORTS, checkExports, writeExports } from './exports.js';
import type { Strategy } from '../../ml/strategy.js';
import { sha256File } from '../../runtime/hash.js';

/** What every training sink does first: the base model's tokenizer, fingerprint and the examples. */
export async function prepare(parts: Record<string, RowSet>, params: Params, ctx: OpContext) {
  const { ModelTokenizer } = await import('../../ml/data.js');
  const { baseFingerprint } = await import('../../ml/finetune.js');
  const { readHfConfig } = await import('../../ml/hf.js');
  const { useBackend } = await import('../../ml/tf.js');
  // a backend that cannot start is the user's to fix (install tfjs-node, or pick another)
  await useBackend(params.backend as 'auto', { threads: params.workers as number | undefined }).catch((e: Error) => {
    throw new OpError(e.message);
  });
  const baseAbs = resolvePath(params.base as string, ctx.baseDir).abs;
  if (!existsSync(baseAbs)) throw new OpError(`base model folder \`${params.base as string}\` does not exist (a \`pretrain\` cell writes one; or download a Hugging Face model folder)`);
  try {
    readHfConfig(baseAbs);
  } catch (e) {
    throw new OpError((e as Error).message);
  }
  const tok = await ModelTokenizer.load(baseAbs).catch((e: Error) => {
    throw new OpError(e.message);
  });
  const baseSha256 = await baseFingerprint(baseAbs, sha256File);
  const columns = ctx.schema.columns.map((c) => c.name);
  const examples: ExampleSet = await buildExamples(parts, params, tok, columns, ctx);
  return { baseAbs, tok, baseSha256, examples, tokenizerJson: readFileSync(`${baseAbs}/tokenizer.json`, 'utf8') };
}

export const finetune = defineOp({
  name: 'finetune',
  version: 2,
  kind: 'sink',
  random: true,
  environment: backendEnvironment,
  summary: 'fine-tune a base model on the split dataset — full, frozen, adapter, lora, prompt or prefix — into one small per-task artifact',
  doc:
    '`finetune "models/intent" adapter base: "models/base"` trains on the `train` part, early-stops and reports on `val`, and scores `test`; the folder gets the task: `adapter.safetensors` + `adapter.json` (the strategy\'s weights and the head — small; `ftr predict` loads the base once and swaps these), or `model/` (a Hugging Face folder) for `full`, plus `metrics.json` (costs, loss history, evaluations, per-class precision/recall/F1, confusion matrix). ' +
    'Strategies: `full` trains every weight; `frozen` computes the base\'s features once (cached: another head, lr or epoch count reuses them) and trains the head; `adapter` adds bottleneck adapters (Houlsby: after attention and feed-forward, LayerNorms train too; Pfeiffer: after feed-forward) whose up-projection starts at zero, so step 0 is the base model; `lora` adds rank-r A·B to the target modules (B = 0 at start; PEFT\'s default targets); `prompt` trains virtual tokens before the input; `prefix` trains per-layer key/value prefixes. The classification head (and a pooler the checkpoint lacked) always trains. ' +
    'Training: AdamW (decoupled weight decay, not on biases and norms), warm-up then linear/cosine decay, global-norm clipping, gradient accumulation, per-row `weight` from `reweigh` and optional balanced class weights, seeded order and dropout. A checkpoint is kept in the cache every `checkpoint_every` steps: an interrupted run (Ctrl-C, a crash) resumes from it and ends with the same weights. ' +
    'Runs on TensorFlow.js: wasm by default (with a scatter-add kernel for the embedding gradient and dense layers whose backward pass avoids wasm\'s slow transposed matmul), cpu as fallback, tfjs-node(-gpu) when installed; the notes say which. ' +
    '`export: [peft, adapterhub, merged, axolotl, llama_factory, torchtune]` also writes the task for other tools: a PEFT adapter folder (lora, prompt, prefix), an AdapterHub adapter (adapter), a merged Hugging Face model, and training configs with the dataset in their formats (settings that did not map are listed at the top of each file; paths relative to the config, run from its folder). Exports reproduce ftr\'s predictions or are not written, the reason in the notes: a task pooling the mean of its tokens (pooling auto on a base without a trained pooler) gets no peft / adapterhub / merged export (transformers pools [CLS]; set `pooling: cls`), prefix tuning on DistilBERT no PEFT export, a classification task no trainer config (those tools fine-tune causal LMs), and torchtune only a `hub_id:` it has a builder for (Llama 3.2, Qwen 2.5). ' +
    'The cell is cached like any other: same data, base and params → nothing retrains.',
  params: [
    { name: 'path', type: { kind: 'path', access: 'write' }, required: true, positional: true, doc: 'output folder of the task' },
    { name: 'strategy', type: { kind: 'enum', values: STRATEGY_NAMES }, default: 'adapter', positional: true, doc: 'full | frozen | adapter | lora | prompt | prefix' },
    ...MODEL_PARAMS,
    { name: 'export', type: { kind: 'list', of: { kind: 'enum', values: EXPORTS } }, default: [], doc: 'also write: peft, adapterhub, merged, axolotl, llama_factory, torchtune' },
    { name: 'hub_id', type: { kind: 'string' }, doc: 'exports: the base model\'s Hugging Face id (else the base folder path is written)' },
  ],
  describe: (p) => `finetune ${p.strategy as string} → ${p.path as string}`,
  tasks: (p) => [{ dir: p.path as string, base: p.base as string, maxLen: p.max_len as number }],
  schema(ctx) {
    checkModelParams(ctx, [ctx.params.strategy as Strategy]);
    checkExports(ctx, [ctx.params.strategy as Strategy]);
    return ctx.input ?? { columns: [] };
  },
  sink: {
    async write(parts, params, ctx): Promise<SinkResult> {
      const prep = await prepare(parts, params, ctx);
      const outDir = resolvePath(params.path as string, ctx.baseDir).abs;
      const total = Object.values(parts).reduce((a, p) => a + p.count, 0);
      const t = await trainTask({ strategy: params.strategy as Strategy, params, ...prep, outDir, ctx, progress: (f) => ctx.progress(Math.round(f * total)) });
      try {
        const exported = await writeExports({ task: t, params, outDir, baseAbs: prep.baseAbs, parts, ctx });
        const files = await Promise.all([...t.files, ...exported.files].map(async (path) => ({ path, sha256: await sha256File(path) })));
        return { files, notes: [...t.notes, ...exported.notes] };
      } finally {
        t.run.model.dispose();
      }
    },
  },
});
