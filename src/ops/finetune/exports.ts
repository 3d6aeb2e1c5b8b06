/**
 * `finetune … export: [...]`: the trained task in other tools' formats — PEFT adapter folders,
 * AdapterHub adapters, a merged Hugging Face model — and training configs for Axolotl,
 * LLaMA-Factory and torchtune with the dataset in their formats, for users with GPUs.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { OpContext, Params, Row, RowSet, SchemaContext } from '../types.js';
import type { Strategy } from '../../ml/strategy.js';
import type { TrainedTask } from './train_task.js';
import { settingsOf, strategyOf } from './shared.js';

// `llama_factory`: a bare word in a recipe (a hyphen would read as a minus)
export const EXPORTS = ['peft', 'adapterhub', 'merged', 'axolotl', 'llama_factory', 'torchtune'] as const;
type ExportName = (typeof EXPORTS)[number];

const NEEDS: Partial<Record<ExportName, { strategies: Strategy[]; why: string }>> = {
  peft: { strategies: ['lora', 'prompt', 'prefix'], why: 'PEFT stores LoRA, prompt and prefix tuning (bottleneck adapters are AdapterHub\'s: `export: [adapterhub]`)' },
  adapterhub: { strategies: ['adapter'], why: 'AdapterHub stores bottleneck adapters (strategy adapter)' },
  merged: { strategies: ['full', 'frozen', 'lora'], why: 'only LoRA folds into the base weights (adapters, prompts and prefixes add computation)' },
};

/** Exports a transformers model class loads and runs: their predictions must be ftr's. */
const TRANSFORMERS_EXPORTS: ExportName[] = ['peft', 'adapterhub', 'merged'];

export function checkExports(ctx: SchemaContext, strategies: Strategy[]): void {
  const list = (ctx.params.export as ExportName[]) ?? [];
  const toHf = list.filter((e) => TRANSFORMERS_EXPORTS.includes(e));
  if (ctx.params.task === 'classify' && ctx.params.pooling === 'mean' && toHf.length) {
    ctx.error('pooling', `\`pooling: mean\` cannot be exported to ${toHf.map((e) => `\`${e}\``).join(', ')}: transformers' …ForSequenceClassification pools [CLS] (GPT-2: the last token), so the exported model would predict other labels than ftr`, {
      notes: ['set `pooling: cls` (gpt2: last) to export the task, or drop the export'],
    });
  }
  for (const e of list) {
    const need = NEEDS[e];
    const bad = need && strategies.find((s) => !need.strategies.includes(s));
    if (need && bad) ctx.error('export', `\`${e}\` cannot export strategy ${bad}`, { notes: [need.why] });
  }
  const dup = list.find((e, i) => list.indexOf(e) !== i);
  if (dup) ctx.error('export', `\`${dup}\` is listed twice`);
}

/**
 * torchtune builds models only from its own builders; the Hub ids it has builders for (its
 * recipes/configs: llama3_2/1B_lora_single_device.yaml, qwen2_5/0.5B_lora_single_device.yaml …),
 * with the checkpoint folder `tune download <id> --output-dir /tmp/<name>` fills.
 */
function torchtuneModelFor(hubId: string) {
  const name = hubId.split('/').pop()!;
  const dir = `/tmp/${name}`;
  const llama = /^meta-llama\/Llama-3\.2-(1B|3B)(-Instruct)?$/.exec(hubId);
  if (llama) {
    const size = llama[1].toLowerCase();
    return { builder: `torchtune.models.llama3_2.llama3_2_${size}`, tokenizer: { _component_: 'torchtune.models.llama3.llama3_tokenizer', path: `${dir}/original/tokenizer.model` }, checkpointDir: dir, checkpointFiles: size === '1b' ? ['model.safetensors'] : ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'], modelType: 'LLAMA3_2' };
  }
  const qwen = /^Qwen\/Qwen2\.5-(0\.5B|1\.5B)(-Instruct)?$/.exec(hubId);
  if (qwen) {
    // 0.5B has one builder; 1.5B one per variant (qwen2_5_1_5b_base / _instruct)
    const size = qwen[1].replace('.', '_').toLowerCase() + (qwen[1] === '1.5B' ? (qwen[2] ? '_instruct' : '_base') : '');
    return { builder: `torchtune.models.qwen2_5.qwen2_5_${size}`, tokenizer: { _component_: 'torchtune.models.qwen2_5.qwen2_5_tokenizer', path: `${dir}/vocab.json`, merges_file: `${dir}/merges.txt` }, checkpointDir: dir, checkpointFiles: ['model.safetensors'], modelType: 'QWEN2' };
  }
  return undefined;
}

const PEFT_TASK = { seq_cls: 'SEQ_CLS', token_cls: 'TOKEN_CLS', lm: 'CAUSAL_LM' } as const;

/** Modules saved whole alongside an adapter: the head (and a pooler the base lacked), by module path. */
function headModules(names: string[]): string[] {
  return [...new Set(names.map((n) => n.replace(/\.(weight|bias)$/, '')))].sort();
}

async function rowsOf(set: RowSet | undefined): Promise<Row[]> {
  const out: Row[] = [];
  if (set) for await (const r of set.rows()) out.push(r);
  return out;
}

export async function writeExports(o: { task: TrainedTask; params: Params; outDir: string; baseAbs: string; parts: Record<string, RowSet>; ctx: OpContext }): Promise<{ files: string[]; notes: string[] }> {
  let list = (o.params.export as ExportName[]) ?? [];
  if (!list.length) return { files: [], notes: [] };
  const { taskTensors } = await import('../../ml/strategy.js');
  const { saveHf } = await import('../../ml/hf.js');
  const model = o.task.run.model;
  const family = model.config.family;
  const baseModel = (o.params.hub_id as string | undefined) ?? (o.params.base as string);
  const files: string[] = [];
  const notes: string[] = [];
  const tensors = taskTensors(model);
  const modulesToSave = headModules(model.params.names('head'));
  const task = model.task as 'seq_cls' | 'token_cls' | 'lm';
  const spec = strategyOf(o.params, o.task.strategy, family);
  const { transformersPooling } = await import('../../ml/finetune.js');
  const hfPooling = transformersPooling(family);
  if (model.task === 'seq_cls' && model.pooling !== hfPooling) {
    // transformers has no mean pooling in …ForSequenceClassification: an export would predict other labels than ftr.
    // Not written, rather than a model trained worse for it: on a base without a trained pooler (pooling auto → mean) [CLS] learns poorly
    for (const e of list.filter((x) => TRANSFORMERS_EXPORTS.includes(x))) {
      notes.push(`export ${e}: not written — the task pools the ${model.pooling === 'mean' ? 'mean of the tokens' : `${model.pooling} token`}${o.params.pooling === 'auto' ? ' (pooling auto: the base has no trained pooler, and [CLS] learns poorly there)' : ''}, but transformers' ${family} sequence classifier pools ${hfPooling === 'cls' ? '[CLS]' : 'the last token'}, so the export would predict other labels than ftr; set \`pooling: ${hfPooling}\` to export it`);
    }
    list = list.filter((x) => !TRANSFORMERS_EXPORTS.includes(x));
  }

  if (list.includes('peft') && spec.strategy === 'prefix' && family === 'distilbert') {
    notes.push("export peft: not written — PEFT feeds a prefix to the model as past_key_values, which transformers' DistilBERT does not take (use prompt or lora tuning, or a bert base)");
    list = list.filter((x) => x !== 'peft');
  }
  if (list.includes('peft')) {
    const { writePeftAdapter } = await import('../../ml/export/peft.js');
    const common = { tensors, family, task: PEFT_TASK[task], baseModel, modulesToSave };
    const c = model.config;
    const dir = join(o.outDir, 'peft');
    const written =
      spec.strategy === 'lora'
        ? writePeftAdapter(dir, { ...common, strategy: 'lora', config: { r: spec.lora!.r, alpha: spec.lora!.alpha, dropout: spec.lora!.dropout, targetModules: spec.lora!.targets, rslora: spec.lora!.rslora ?? false } })
        : spec.strategy === 'prompt'
          ? writePeftAdapter(dir, { ...common, strategy: 'prompt', config: { numVirtualTokens: spec.tokens!, tokenDim: c.hidden, numLayers: c.layers, heads: c.heads, init: 'RANDOM' } })
          : writePeftAdapter(dir, { ...common, strategy: 'prefix', config: { numVirtualTokens: spec.tokens!, tokenDim: c.hidden, numLayers: c.layers, heads: c.heads } });
    files.push(...written);
    notes.push(`export peft → ${dir} (${spec.strategy})`);
  }
  if (list.includes('adapterhub')) {
    const { writeAdapterHub } = await import('../../ml/export/adapterhub.js');
    const dir = join(o.outDir, 'adapterhub');
    const headNames = new Set(model.params.names('head'));
    const adapterTensors = new Map([...tensors].filter(([n]) => !headNames.has(n) || n.startsWith('bert.pooler.')));
    const head = task === 'lm' ? undefined : { tensors: new Map([...tensors].filter(([n]) => headNames.has(n) && !n.startsWith('bert.pooler.'))), config: { task, labels: model.labels } };
    // AdapterHub names the adapter in every weight key: the task folder's name, made a valid one
    const name = basename(o.outDir).replace(/[^A-Za-z0-9_-]+/g, '_') || 'task';
    files.push(
      ...writeAdapterHub(dir, {
        name,
        tensors: adapterTensors,
        family,
        placement: spec.adapter!.placement,
        reductionFactor: model.config.hidden / spec.adapter!.size,
        nonLinearity: spec.adapter!.act,
        hidden: model.config.hidden,
        numLayers: model.config.layers,
        baseModel,
        head,
      }),
    );
    notes.push(`export adapterhub → ${dir} (adapter \`${name}\`)`);
  }
  if (list.includes('merged')) {
    const dir = join(o.outDir, 'merged');
    model.mergeLora(true);
    try {
      files.push(...saveHf(dir, model, { tokenizerJson: readFileSync(join(o.baseAbs, 'tokenizer.json'), 'utf8') }));
    } finally {
      model.mergeLora(false);
    }
    notes.push(`export merged → ${dir} (a plain Hugging Face model${o.task.strategy === 'lora' ? ', LoRA folded into the weights' : ''})`);
  }
  const tools = list.filter((e) => e === 'axolotl' || e === 'llama_factory' || e === 'torchtune').map((e) => (e === 'llama_factory' ? 'llama-factory' : e) as 'axolotl' | 'llama-factory' | 'torchtune');
  const recipeTask = ({ generate: 'causal_lm', classify: 'seq_cls', tokens: 'token_cls' } as const)[o.params.task as 'generate' | 'classify' | 'tokens'];
  if (tools.length && recipeTask !== 'causal_lm') {
    // not a task these tools run: no config and no data for them, the reason in the notes
    const { taskRefusal } = await import('../../ml/export/trainer-configs.js');
    for (const t of tools) notes.push(`export ${t}: not written — ${taskRefusal(t, { task: recipeTask })}`);
  } else if (tools.length) {
    const { exportTrainerConfigs } = await import('../../ml/export/trainer-configs.js');
    const dir = join(o.outDir, 'trainers');
    mkdirSync(join(dir, 'data'), { recursive: true });
    // the dataset as chat records: classification becomes "text → label" turns, generation prompt → response
    const toRecord = (r: Row) => {
      if (o.params.task === 'generate') return { instruction: String(r[o.params.prompt as string] ?? ''), input: '', output: String(r[o.params.response as string] ?? '') };
      const text = String(r[o.params.text as string] ?? '');
      const label = r[o.params.label as string];
      return { messages: [{ role: 'user', content: text }, { role: 'assistant', content: typeof label === 'string' ? label : JSON.stringify(label) }] };
    };
    const format = o.params.task === 'generate' ? 'alpaca' : 'messages';
    // the configs name the data relative to their own folder (they run from there): no temp or machine paths
    const dataFiles: { train: string; val?: string } = { train: 'data/train.jsonl' };
    const trainRows = await rowsOf(o.parts[o.params.train as string]);
    writeFileSync(join(dir, dataFiles.train), trainRows.map((r) => JSON.stringify(toRecord(r))).join('\n') + '\n');
    files.push(join(dir, dataFiles.train));
    const valRows = await rowsOf(o.parts[o.params.val as string]);
    if (valRows.length) {
      dataFiles.val = 'data/val.jsonl';
      writeFileSync(join(dir, dataFiles.val), valRows.map((r) => JSON.stringify(toRecord(r))).join('\n') + '\n');
      files.push(join(dir, dataFiles.val));
    }
    const hubId = o.params.hub_id as string | undefined;
    const s = settingsOf(o.params, o.task.strategy, o.ctx.seed);
    const res = exportTrainerConfigs(dir, {
      tools,
      settings: {
        // a local base folder, relative to the configs' folder
        baseModel: hubId ?? (relative(dir, o.baseAbs).split('\\').join('/') || '.'),
        torchtune: hubId ? torchtuneModelFor(hubId) : undefined,
        strategy: o.task.strategy,
        lora: spec.lora ? { r: spec.lora.r, alpha: spec.lora.alpha, dropout: spec.lora.dropout, targetModules: spec.lora.targets.includes('all-linear') ? 'all-linear' : spec.lora.targets, rslora: spec.lora.rslora, modulesToSave } : undefined,
        unfreeze: o.task.strategy === 'frozen' ? modulesToSave : undefined,
        sequenceLen: o.params.max_len as number,
        microBatchSize: s.batchSize,
        gradAccum: s.accumulate,
        epochs: s.epochs,
        maxSteps: s.maxSteps,
        lr: s.lr,
        schedule: s.schedule,
        warmupRatio: s.warmup < 1 ? s.warmup : 0,
        weightDecay: s.weightDecay,
        maxGradNorm: s.clipNorm ?? 0,
        seed: s.seed,
        // the task folder's name: a cell name may hold colons (`export:parts:2`), which no tool wants in a path
        outputDir: `./outputs/${basename(o.outDir).replace(/[^A-Za-z0-9._-]+/g, '_') || 'task'}`,
        task: recipeTask,
      },
      dataset: { format, files: dataFiles, trainExamples: trainRows.length },
    });
    files.push(...res.files.filter((f) => !files.includes(f)));
    for (const t of tools) {
      if (res.refused[t]) notes.push(`export ${t}: not written — ${res.refused[t]}`);
      else notes.push(`export ${t} → ${dir}${res.unmapped[t]?.length ? ` (${res.unmapped[t]!.length} setting(s) did not map; listed at the top of the file)` : ''}`);
    }
  }
  return { files, notes };
}
