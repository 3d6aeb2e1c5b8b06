import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineOp, OpError, type Row, type SchemaContext, type SinkResult } from '../types.js';
import { requireColumns } from '../common.js';
import { resolvePath } from '../sources/files.js';
import { cellText } from '../tokenize/tokenizers.js';
import { backendEnvironment, fmtCount, fmtMs } from './shared.js';
import { sparkline } from './train_task.js';
import { sha256File } from '../../runtime/hash.js';

export const pretrain = defineOp({
  name: 'pretrain',
  version: 1,
  kind: 'sink',
  random: true,
  environment: backendEnvironment,
  summary: "pre-train a small BERT, DistilBERT or GPT-2 on the recipe's own text into a Hugging Face model folder",
  doc:
    '`pretrain "models/base" tokenizer: "tok/tokenizer.json"` builds a randomly initialised model of the given size (seeded), trains it on the text of `columns` — masked-LM for `arch: bert` / `distilbert` (15% of tokens predicted: 80% [MASK], 10% random, 10% kept; the masks are fixed per example by the seed), causal LM for `arch: gpt2` — and writes `config.json`, `model.safetensors` and a copy of the tokenizer: a folder `finetune base:` and Hugging Face Transformers both load. ' +
    'Rows of every part train unless `parts:` names some; a `val` part reports held-out loss. The cell that writes the tokenizer (`train_tokenizer`) runs first: a cell that reads a file another cell writes depends on it. ' +
    'Sizes: `layers`, `hidden`, `heads`, `intermediate` (default 4 × hidden), `max_len` (positions). A 2-layer, 128-wide model (~1–4M parameters with a 2–30k vocabulary) trains at a few thousand tokens per second on the wasm backend.',
  params: [
    { name: 'path', type: { kind: 'path', access: 'write' }, required: true, positional: true, doc: 'the model folder to write' },
    { name: 'tokenizer', type: { kind: 'path', access: 'read' }, required: true, doc: 'a tokenizer.json (wordpiece with [MASK] for bert/distilbert; byte-level BPE for gpt2)' },
    { name: 'arch', type: { kind: 'enum', values: ['bert', 'distilbert', 'gpt2'] }, default: 'bert', doc: 'architecture (and objective: bert/distilbert masked LM, gpt2 causal LM)' },
    { name: 'columns', type: { kind: 'columns' }, default: ['text'], doc: 'text columns to train on' },
    { name: 'parts', type: { kind: 'list', of: { kind: 'string' } }, doc: 'parts to train on (default: every part but val and test)' },
    { name: 'layers', type: { kind: 'count', min: 1 }, default: 2, doc: 'transformer layers' },
    { name: 'hidden', type: { kind: 'count', min: 8 }, default: 128, doc: 'hidden size' },
    { name: 'heads', type: { kind: 'count', min: 1 }, default: 4, doc: 'attention heads (must divide hidden)' },
    { name: 'intermediate', type: { kind: 'count', min: 1 }, doc: 'feed-forward size (default 4 × hidden)' },
    { name: 'max_len', type: { kind: 'count', min: 8 }, default: 128, doc: 'positions (longer texts are cut)' },
    { name: 'mask', type: { kind: 'percent' }, default: 0.15, doc: 'masked LM: share of tokens predicted' },
    { name: 'epochs', type: { kind: 'number', min: 0 }, default: 1, doc: 'passes over the text' },
    { name: 'steps', type: { kind: 'count', min: 1 }, doc: 'optimizer steps (wins over epochs)' },
    { name: 'batch', type: { kind: 'count', min: 1 }, default: 16, doc: 'sequences per step' },
    { name: 'lr', type: { kind: 'number', min: 0 }, default: 5e-4, doc: 'peak learning rate' },
    { name: 'schedule', type: { kind: 'enum', values: ['linear', 'cosine', 'constant'] }, default: 'linear', doc: 'decay after warm-up' },
    { name: 'warmup', type: { kind: 'number', min: 0 }, default: 0.1, doc: 'warm-up: a fraction of the steps when below 1, else steps' },
    { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: 0.01, doc: 'AdamW weight decay' },
    { name: 'clip', type: { kind: 'number', min: 0 }, default: 1, doc: 'global gradient-norm clip (0 = off)' },
    { name: 'dropout', type: { kind: 'percent' }, default: 0.1, doc: 'dropout while training' },
    { name: 'backend', type: { kind: 'enum', values: ['auto', 'wasm', 'cpu', 'tensorflow'] }, default: 'auto', doc: 'TensorFlow.js backend' },
    { name: 'checkpoint_every', type: { kind: 'count', min: 1 }, default: 50, doc: 'resumable checkpoint (in the cache) every N steps' },
  ],
  describe: (p) => `pretrain ${p.arch as string} ${p.layers as number}×${p.hidden as number} → ${p.path as string}`,
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'columns', p.columns as string[]);
    if ((p.hidden as number) % (p.heads as number) !== 0) ctx.error('heads', `${p.heads as number} heads do not divide hidden size ${p.hidden as number}`, { help: 'pick heads that divide hidden (e.g. 2, 4, 8)' });
    const tok = p.tokenizer as string;
    if (!/\.json$/i.test(tok)) ctx.error('tokenizer', `\`${tok}\` is not a tokenizer.json`);
    else checkTokenizerFile(ctx, p.arch === 'gpt2' ? [] : ['[MASK]', '<mask>']);
    const { abs } = resolvePath(p.path as string, ctx.baseDir);
    if (existsSync(abs) && !statSync(abs).isDirectory()) ctx.error('path', `\`${p.path as string}\` is a file; a model is written to a folder`);
    return ctx.input ?? { columns: [] };
  },
  sink: {
    async write(parts, params, ctx): Promise<SinkResult> {
      const { runPretrain } = await import('../../ml/pretrain.js');
      const { ModelTokenizer } = await import('../../ml/data.js');
      const { saveHf } = await import('../../ml/hf.js');
      const { useBackend } = await import('../../ml/tf.js');
      await useBackend(params.backend as 'auto').catch((e: Error) => {
        throw new OpError(e.message);
      });
      const outDir = resolvePath(params.path as string, ctx.baseDir).abs;
      const tokAbs = resolvePath(params.tokenizer as string, ctx.baseDir).abs;
      if (!existsSync(tokAbs)) throw new OpError(`tokenizer \`${params.tokenizer as string}\` does not exist (write it with \`train_tokenizer\`)`);
      // ModelTokenizer reads <dir>/tokenizer.json: point it at the file's folder through a one-file view
      const tokenizerJson = readFileSync(tokAbs, 'utf8');
      const tok = await ModelTokenizer.fromJson(tokenizerJson, params.tokenizer as string).catch((e: Error) => {
        throw new OpError(e.message);
      });
      if (params.arch !== 'gpt2' && tok.id('[MASK]') === undefined && tok.id('<mask>') === undefined) {
        throw new OpError(`masked-LM pre-training needs a [MASK] token, and \`${params.tokenizer as string}\` has none: train it with \`model: wordpiece\` (whose specials include [MASK]) or add it to \`special_tokens\``);
      }
      const vocabSize = tok.vocabSize();
      const trainParts = (params.parts as string[] | undefined) ?? Object.keys(parts).filter((p) => p !== 'val' && p !== 'test');
      const texts = { train: [] as string[], val: [] as string[] };
      const take = async (rows: AsyncIterable<Row>, into: string[]) => {
        for await (const r of rows) for (const c of params.columns as string[]) {
          const t = cellText(r[c]);
          if (t?.trim()) into.push(t);
        }
      };
      for (const p of trainParts) {
        if (!parts[p]) throw new OpError(`pretrain: the input has no part \`${p}\` (parts: ${Object.keys(parts).join(', ')})`);
        await take(parts[p].rows(), texts.train);
      }
      if (parts.val && !trainParts.includes('val')) await take(parts.val.rows(), texts.val);
      const hidden = params.hidden as number;
      const config = {
        family: params.arch as 'bert' | 'distilbert' | 'gpt2',
        vocabSize,
        hidden,
        layers: params.layers as number,
        heads: params.heads as number,
        intermediate: (params.intermediate as number | undefined) ?? 4 * hidden,
        maxPositions: params.max_len as number,
        typeVocab: params.arch === 'bert' ? 2 : 0,
        eps: params.arch === 'gpt2' ? 1e-5 : 1e-12,
        act: params.arch === 'gpt2' ? ('gelu_new' as const) : ('gelu' as const),
        dropout: params.dropout as number,
        padId: tok.id('[PAD]') ?? tok.eos() ?? 0,
      };
      const key = createHash('sha256').update(JSON.stringify({ config, texts, params, seed: ctx.seed, tok: tokenizerJson.length })).digest('hex').slice(0, 32);
      const ckpt = ctx.memoDir ? join(ctx.memoDir, 'pretrain', key) : undefined;
      const total = Object.values(parts).reduce((a, p) => a + p.count, 0);
      const stepsPlanned = (params.steps as number | undefined) ?? Math.max(1, Math.ceil((params.epochs as number) * Math.ceil(texts.train.length / (params.batch as number))));
      let lastLog = 0;
      const r = await runPretrain({
        config,
        texts,
        tokenizer: tok,
        maskProb: params.mask as number,
        seed: ctx.seed,
        batchSize: params.batch as number,
        epochs: params.epochs as number,
        maxSteps: params.steps as number | undefined,
        lr: params.lr as number,
        schedule: params.schedule as 'linear',
        warmup: params.warmup as number,
        weightDecay: params.weight_decay as number,
        clipNorm: (params.clip as number) || undefined,
        backend: params.backend as 'auto',
        checkpoint: ckpt ? { dir: ckpt, key, everySteps: params.checkpoint_every as number } : undefined,
        signal: ctx.signal,
        onStep: (s) => {
          ctx.progress(Math.round((Math.min(s.step, stepsPlanned) / stepsPlanned) * total));
          if (Date.now() - lastLog > 2000 || s.step === stepsPlanned) {
            lastLog = Date.now();
            ctx.log(`pretrain step ${s.step}/${stepsPlanned} · loss ${s.loss.toFixed(4)} · ${Math.round(s.ms)} ms/step`);
          }
        },
      });
      if (ckpt) rmSync(ckpt, { recursive: true, force: true });
      try {
        const written = saveHf(outDir, r.model, { tokenizerJson, metadata: { ftr: 'pretrain', seed: String(ctx.seed) } });
        const losses = r.fit.history.map((h) => h.loss);
        const report = join(outDir, 'pretrain.json');
        writeFileSync(`${report}.tmp`, JSON.stringify({ arch: config.family, objective: config.family === 'gpt2' ? 'causal-lm' : 'masked-lm', params: r.params, examples: r.examples, steps: r.fit.steps, wall_ms: r.wallMs, step_ms: r.fit.stepMs, tokens_per_s: r.tokensPerSecond, val_loss: r.valLoss ?? null, backend: r.backend.detail, history: r.fit.history }, null, 2) + '\n');
        renameSync(`${report}.tmp`, report);
        const files = await Promise.all([...written, report].map(async (path) => ({ path, sha256: await sha256File(path) })));
        return {
          files,
          notes: [
            `${config.family} ${config.layers}×${config.hidden} (${config.heads} heads, vocab ${fmtCount(vocabSize)}): ${fmtCount(r.params)} parameters, ${config.family === 'gpt2' ? 'causal' : 'masked'} LM on ${fmtCount(r.examples)} texts (${r.backend.detail})`,
            `${r.fit.steps} steps · ${fmtMs(r.fit.stepMs)}/step · ${fmtMs(r.wallMs)} · ${Math.round(r.tokensPerSecond)} tokens/s`,
            `loss ${losses.length ? `${losses[0].toFixed(3)} ${sparkline(losses)} ${losses[losses.length - 1].toFixed(3)}` : '-'}${r.valLoss !== undefined ? ` · val loss ${r.valLoss.toFixed(3)}` : ''}`,
          ],
        };
      } finally {
        r.model.dispose();
      }
    },
  },
});

/**
 * The tokenizer file, when it exists before the run (not written by another cell): it must be a
 * tokenizer.json holding one of `anyOf` (a masked LM needs a mask token).
 */
function checkTokenizerFile(ctx: SchemaContext, anyOf: string[]): void {
  const tok = ctx.params.tokenizer as string;
  const { abs } = resolvePath(tok, ctx.baseDir);
  if (ctx.producer?.(abs)) return;
  if (!existsSync(abs)) {
    ctx.error('tokenizer', `tokenizer \`${tok}\` does not exist`, { help: 'write it with `train_tokenizer` in a cell of this recipe, or copy a model\'s tokenizer.json' });
    return;
  }
  if (!anyOf.length) return;
  let tokens: string[];
  try {
    const json = JSON.parse(readFileSync(abs, 'utf8')) as { added_tokens?: { content: string }[]; model?: { vocab?: Record<string, number> | [string, number][] } };
    const vocab = json.model?.vocab;
    tokens = [...(json.added_tokens ?? []).map((t) => t.content), ...(Array.isArray(vocab) ? vocab.map((v) => v[0]) : Object.keys(vocab ?? {}))];
  } catch {
    ctx.error('tokenizer', `\`${tok}\` is not a valid tokenizer.json`);
    return;
  }
  if (!anyOf.some((t) => tokens.includes(t))) {
    ctx.error('tokenizer', `masked-LM pre-training needs a mask token, and \`${tok}\` has none of ${anyOf.join(', ')}`, { help: 'train the tokenizer with `model: wordpiece` (its specials include [MASK]), or use `arch: gpt2` (causal LM)' });
  }
}
