import { join } from 'node:path';
import { renameSync, writeFileSync } from 'node:fs';
import { defineOp, type SinkResult } from '../types.js';
import { resolvePath } from '../sources/files.js';
import { backendEnvironment, checkModelParams, fmtBytes, fmtCount, fmtMs, MODEL_PARAMS, STRATEGY_NAMES } from './shared.js';
import { prepare } from './finetune.js';
import { trainTask, type TrainedTask } from './train_task.js';
import type { Strategy } from '../../ml/strategy.js';
import { sha256File } from '../../runtime/hash.js';

/** The comparison as a Markdown table: one row per strategy, measured. */
export function comparisonTable(tasks: TrainedTask[], metric: string): string[] {
  const pick = (m: Record<string, number> | undefined, k: string) => (m && m[k] !== undefined ? m[k].toFixed(3) : '-');
  const header = ['strategy', 'trainable', '%', 'step', 'wall', 'peak mem', 'artifact', `val ${metric}`, `test ${metric}`, 'test acc'];
  const rows = tasks.map((t) => [
    t.strategy,
    fmtCount(t.cost.trainable),
    `${t.cost.trainable_pct < 0.1 ? t.cost.trainable_pct.toFixed(3) : t.cost.trainable_pct.toFixed(2)}%`,
    fmtMs(t.cost.step_ms),
    fmtMs(t.cost.wall_ms),
    fmtBytes(t.cost.peak_tensor_bytes),
    fmtBytes(t.cost.artifact_bytes),
    pick(t.cost.val, metric),
    pick(t.cost.test, metric),
    pick(t.cost.test, 'accuracy'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)];
}

export const compare = defineOp({
  name: 'compare',
  version: 2,
  kind: 'sink',
  random: true,
  environment: backendEnvironment,
  summary: 'train several fine-tuning strategies on the same data and print their measured costs and scores side by side',
  doc:
    '`compare "models/compare" strategies: [full, frozen, adapter, lora, prompt] base: "models/base"` trains each strategy in turn with the same data, seed and settings (each strategy\'s own default learning rate unless `lr:` is set), saves each task under `<path>/<strategy>/` exactly as `finetune` would, and writes `compare.md` and `compare.json`. ' +
    'The table: trainable parameters (count and % of the model), median step time, wall time, peak memory held in tensors, artifact size on disk, the validation and test metric, test accuracy — all measured in this run, on this machine and backend (named in the notes). ' +
    'On a CPU, LoRA and adapters save optimizer state and storage more than compute (the backward pass still runs through every layer above the first trained one); `frozen` is the cheap one, since the base runs once.',
  params: [
    { name: 'path', type: { kind: 'path', access: 'write' }, required: true, positional: true, doc: 'output folder: one sub-folder per strategy, compare.md, compare.json' },
    { name: 'strategies', type: { kind: 'list', of: { kind: 'enum', values: STRATEGY_NAMES } }, default: ['full', 'frozen', 'adapter', 'lora', 'prompt', 'prefix'], doc: 'strategies to train, in order' },
    ...MODEL_PARAMS,
  ],
  describe: (p) => `compare ${(p.strategies as string[]).join(', ')}`,
  tasks: (p) => (p.strategies as string[]).map((suffix) => ({ dir: p.path as string, base: p.base as string, maxLen: p.max_len as number, suffix })),
  schema(ctx) {
    const list = ctx.params.strategies as Strategy[];
    if (!list.length) ctx.error('strategies', 'no strategy to compare');
    const dup = list.find((s, i) => list.indexOf(s) !== i);
    if (dup) ctx.error('strategies', `\`${dup}\` is listed twice`);
    checkModelParams(ctx, list);
    return ctx.input ?? { columns: [] };
  },
  sink: {
    async write(parts, params, ctx): Promise<SinkResult> {
      const prep = await prepare(parts, params, ctx);
      const outDir = resolvePath(params.path as string, ctx.baseDir).abs;
      const list = params.strategies as Strategy[];
      const total = Object.values(parts).reduce((a, p) => a + p.count, 0);
      const tasks: TrainedTask[] = [];
      const files: string[] = [];
      const notes: string[] = [];
      for (const [i, strategy] of list.entries()) {
        const t = await trainTask({ strategy, params, ...prep, outDir: join(outDir, strategy), ctx, progress: (f) => ctx.progress(Math.round(((i + f) / list.length) * total)) });
        t.run.model.dispose();
        tasks.push(t);
        files.push(...t.files);
        notes.push(`${strategy}: ${t.notes[1]}`);
      }
      const metric = (params.metric as string | undefined) ?? (params.task === 'generate' ? 'loss' : 'macro_f1');
      const table = comparisonTable(tasks, metric);
      const backend = tasks[0].run.backend.detail;
      const md = [`# Strategy comparison`, '', `Base \`${params.base as string}\`, ${prep.examples.train.length} train / ${prep.examples.val.length} val / ${prep.examples.test.length} test examples, backend ${backend}, seed ${ctx.seed}.`, '', ...table, ''].join('\n');
      const json = { base: params.base, backend, seed: ctx.seed, metric, examples: { train: prep.examples.train.length, val: prep.examples.val.length, test: prep.examples.test.length }, strategies: Object.fromEntries(tasks.map((t) => [t.strategy, t.cost])) };
      for (const [name, body] of [['compare.md', md], ['compare.json', JSON.stringify(json, null, 2) + '\n']] as const) {
        const p = join(outDir, name);
        writeFileSync(`${p}.tmp-${process.pid}`, body);
        renameSync(`${p}.tmp-${process.pid}`, p);
        files.push(p);
      }
      const hashed = await Promise.all(files.map(async (path) => ({ path, sha256: await sha256File(path) })));
      return { files: hashed, notes: [`${list.length} strategies on ${backend}:`, ...table, ...notes] };
    },
  },
});
