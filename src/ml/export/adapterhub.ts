/**
 * AdapterHub (`adapters` library) bottleneck adapters: `adapter_config.json` + the weights as
 * `pytorch_adapter.bin` (what `load_adapter(dir)` reads by default) and `adapter.safetensors`
 * (`use_safetensors=True`), and a static prediction head as `head_config.json` +
 * `pytorch_model_head.bin` / `model_head.safetensors`, loadable with
 * `adapters.init(model); model.load_adapter(dir)` (and `load_head` for the head).
 * The format, as the loader checks it, is written down in test/interop/test_adapterhub_spec.py.
 *
 * Checked against adapter-hub/adapters:
 * - `src/adapters/configuration/model_adapters_config.py` build_full_config: `{config, hidden_size,
 *   model_class, model_name, model_type, name, version: "adapters.<__version__>"}`, heads add
 *   `label2id` (save_id2label) and `loading.py` PredictionHeadLoader adds `num_labels` for static heads;
 *   `loading.py` WeightsLoaderHelper writes JSON with indent=2, sort_keys=True and safetensors without
 *   metadata; the static-head filter saves every key not under the base model prefix (`bert`, …).
 * - `src/adapters/configuration/adapter_config.py` BnConfig fields and defaults (no `architecture` key
 *   for bottleneck configs; DoubleSeqBnConfig = Houlsby, SeqBnConfig = Pfeiffer).
 * - `src/adapters/methods/modeling.py` Adapter: adapter_down = Sequential(Linear(d, d // rf), act),
 *   adapter_up = Linear(d // rf, d); pre_forward/forward/post_forward give, with
 *   original_ln_before=false, residual_before_ln=true, original_ln_after=true:
 *   out = LN(h + up(act(down(h))) + x) — ftr's form (GPT-2 passes no LayerNorm: h + up(…) + x).
 * - `src/adapters/models/bert/mixin_bert.py` (BertSelfOutput / BertOutput are the adapter layers),
 *   `models/distilbert/mixin_distilbert.py` and `models/gpt2/mixin_gpt2.py`
 *   (`attention_adapters` / `output_adapters` on the block).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, parseSafetensors, type StTensor } from '../safetensors.js';
import { encodeTorchStateDict } from '../torch-save.js';
import { ExportError, fromTorchLayout, shapeOf, sortedJson, toTorchLayout, writeFiles, type Family } from './layout.js';

export const ADAPTERHUB_VERSION = 'adapters.1.2.0';
export const AH_CONFIG_FILE = 'adapter_config.json';
export const AH_WEIGHTS_FILE = 'adapter.safetensors';
export const AH_HEAD_CONFIG_FILE = 'head_config.json';
export const AH_HEAD_WEIGHTS_FILE = 'model_head.safetensors';
/** what `load_adapter(dir)` / `load_head` read by default (use_safetensors=False): torch.load of these */
export const AH_TORCH_WEIGHTS_FILE = 'pytorch_adapter.bin';
export const AH_TORCH_HEAD_WEIGHTS_FILE = 'pytorch_model_head.bin';

/**
 * Keys AdapterHub reads as Python floats: `Adapter.__init__` accepts `scaling` only as a float
 * (`isinstance(config["scaling"], float)`) or a name ("learned", "channel"); JSON `1` is an int.
 */
const FLOAT_KEYS = ['dropout', 'phm_init_range', 'scaling', 'stochastic_depth'];
function withPythonFloats(json: string): string {
  return json.replace(new RegExp(`("(?:${FLOAT_KEYS.join('|')})": )(-?\\d+)(?=,?\n)`, 'g'), '$1$2.0');
}

/** The adapter name tensors carry in memory. */
const MEMORY_NAME = 'default';

export interface AdapterHubHead {
  /** our names and layouts: `classifier.*` (+ `pre_classifier.*` for DistilBERT) or `score.*` */
  tensors: Map<string, StTensor>;
  config: { task: 'seq_cls' | 'token_cls'; labels: string[] };
}

export interface AdapterHubAdapter {
  /** the adapter's name in AdapterHub (replaces `default` in the tensor names) */
  name: string;
  /**
   * adapter tensors (`….adapters.default.adapter_down.0.weight` [d, m] …) plus any other trained
   * base tensors (Houlsby's LayerNorms, BERT's pooler) under their Hugging Face names
   */
  tensors: Map<string, StTensor>;
  family: Family;
  placement: 'houlsby' | 'pfeiffer';
  reductionFactor: number;
  /** AdapterHub / transformers activation name: relu, swish (= silu), gelu, gelu_new, … */
  nonLinearity: string;
  hidden: number;
  /** layers of the base model; layers without adapters are written as leave_out */
  numLayers: number;
  /** hub id or path of the base model (AdapterHub's model_name) */
  baseModel: string;
  /** adapter dropout (default 0) */
  dropout?: number;
  head?: AdapterHubHead;
}

const MODEL_TYPE: Record<Family, string> = { bert: 'bert', distilbert: 'distilbert', gpt2: 'gpt2' };
const BASE_PREFIX: Record<Family, string> = { bert: 'bert', distilbert: 'distilbert', gpt2: 'transformer' };
const BASE_CLASS: Record<Family, string> = { bert: 'BertModel', distilbert: 'DistilBertModel', gpt2: 'GPT2Model' };
const HEAD_CLASS: Record<Family, Record<'seq_cls' | 'token_cls', string>> = {
  bert: { seq_cls: 'BertForSequenceClassification', token_cls: 'BertForTokenClassification' },
  distilbert: { seq_cls: 'DistilBertForSequenceClassification', token_cls: 'DistilBertForTokenClassification' },
  gpt2: { seq_cls: 'GPT2ForSequenceClassification', token_cls: 'GPT2ForTokenClassification' },
};
const HEAD_MODULES: Record<Family, Record<'seq_cls' | 'token_cls', string[]>> = {
  bert: { seq_cls: ['classifier'], token_cls: ['classifier'] },
  distilbert: { seq_cls: ['pre_classifier', 'classifier'], token_cls: ['classifier'] },
  gpt2: { seq_cls: ['score'], token_cls: ['classifier'] },
};

/** Where a family's two adapter layers sit: `mh` after attention, `out` after the FFN. */
const LOCATION: Record<Family, RegExp> = {
  bert: /^bert\.encoder\.layer\.(\d+)\.(attention\.output|output)\.adapters\.([^.]+)\.(adapter_down\.0|adapter_up)\.(weight|bias)$/,
  distilbert: /^distilbert\.transformer\.layer\.(\d+)\.(attention_adapters|output_adapters)\.adapters\.([^.]+)\.(adapter_down\.0|adapter_up)\.(weight|bias)$/,
  gpt2: /^transformer\.h\.(\d+)\.(attention_adapters|output_adapters)\.adapters\.([^.]+)\.(adapter_down\.0|adapter_up)\.(weight|bias)$/,
};
const isMh = (where: string) => where === 'attention.output' || where === 'attention_adapters';

interface Site {
  layer: number;
  mh: boolean;
  parts: Map<string, StTensor>;
}

function parseAdapterName(name: string, family: Family): { layer: number; mh: boolean; adapter: string; part: string } | undefined {
  const m = LOCATION[family].exec(name);
  return m ? { layer: Number(m[1]), mh: isMh(m[2]), adapter: m[3], part: `${m[4]}.${m[5]}` } : undefined;
}

const renameAdapter = (name: string, from: string, to: string) => name.replace(`.adapters.${from}.`, `.adapters.${to}.`);

/** The bottleneck config keys AdapterHub's BnConfig.to_dict() writes, with ftr's adapter form. */
function bnConfig(a: AdapterHubAdapter, leaveOut: number[]): Record<string, unknown> {
  return {
    adapter_residual_before_ln: false,
    cross_adapter: false,
    dropout: a.dropout ?? 0,
    factorized_phm_W: true,
    factorized_phm_rule: false,
    hypercomplex_nonlinearity: 'glorot-uniform',
    init_weights: 'bert',
    inv_adapter: null,
    inv_adapter_reduction_factor: null,
    is_parallel: false,
    learn_phm: true,
    leave_out: leaveOut,
    ln_after: false,
    ln_before: false,
    mh_adapter: a.placement === 'houlsby',
    non_linearity: a.nonLinearity,
    // ftr feeds the sub-layer output h (not LN(h + x)) to the adapter: Houlsby's form, also for Pfeiffer placement
    original_ln_after: true,
    original_ln_before: false,
    output_adapter: true,
    phm_bias: true,
    phm_c_init: 'normal',
    phm_dim: 4,
    phm_init_range: 0.0001,
    phm_layer: false,
    phm_rank: 1,
    reduction_factor: a.reductionFactor,
    residual_before_ln: true,
    scaling: 1.0,
    shared_W_phm: false,
    shared_phm_rule: true,
    stochastic_depth: 0.0,
    use_gating: false,
  };
}

function checkName(name: string): void {
  // AdapterHub finds an adapter's weights by `.adapters.<name>.` in the key
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new ExportError(`adapter name ${JSON.stringify(name)} must be letters, digits, _ or - (it becomes part of every weight's key)`);
}

/** Write the adapter (and head) files into `dir`; returns the paths written. */
export function writeAdapterHub(dir: string, a: AdapterHubAdapter): string[] {
  checkName(a.name);
  for (const k of ['hidden', 'numLayers'] as const) if (!Number.isInteger(a[k]) || a[k] < 1) throw new ExportError(`${k} must be a positive integer, got ${a[k]}`);
  if (!(a.reductionFactor > 0)) throw new ExportError(`reductionFactor must be positive, got ${a.reductionFactor}`);
  // AdapterHub sizes the bottleneck as int(hidden_size // reduction_factor)
  const m = Math.max(1, Math.floor(a.hidden / a.reductionFactor));
  const d = a.hidden;
  const sites = new Map<string, Site>();
  const out = new Map<string, StTensor>();
  for (const [name, t] of a.tensors) {
    const p = parseAdapterName(name, a.family);
    if (!p) {
      if (!name.startsWith(`${BASE_PREFIX[a.family]}.`)) throw new ExportError(`\`${name}\` is not an adapter tensor or a base-model tensor of ${a.family}; head tensors go in \`head\``);
      // trained base tensors (Houlsby's LayerNorms, the pooler): load_adapter loads every key that names a model parameter
      out.set(name, toTorchLayout(name, t, a.family));
      continue;
    }
    if (p.adapter !== MEMORY_NAME) throw new ExportError(`\`${name}\`: expected the in-memory adapter name \`${MEMORY_NAME}\``);
    if (p.layer >= a.numLayers) throw new ExportError(`\`${name}\`: layer ${p.layer} is beyond numLayers ${a.numLayers}`);
    const key = `${p.layer}/${p.mh}`;
    const site = sites.get(key) ?? { layer: p.layer, mh: p.mh, parts: new Map() };
    site.parts.set(p.part, t);
    sites.set(key, site);
    out.set(renameAdapter(name, MEMORY_NAME, a.name), toTorchLayout(name, t, a.family));
  }
  if (!sites.size) throw new ExportError('no adapter tensors (`….adapters.default.adapter_down.0.weight` …) were given');
  const want: Record<string, number[]> = { 'adapter_down.0.weight': [d, m], 'adapter_down.0.bias': [m], 'adapter_up.weight': [m, d], 'adapter_up.bias': [d] };
  for (const s of sites.values()) {
    if (s.mh && a.placement === 'pfeiffer') throw new ExportError(`layer ${s.layer} has an attention adapter, but Pfeiffer placement has only the FFN one`);
    for (const [part, shape] of Object.entries(want)) {
      const t = s.parts.get(part);
      if (!t || t.shape.join('x') !== shape.join('x')) {
        throw new ExportError(`layer ${s.layer} ${s.mh ? 'attention' : 'FFN'} adapter: \`${part}\` should be [${shape.join(', ')}] (hidden ${d} / reduction factor ${a.reductionFactor}), got ${shapeOf(t)}`);
      }
    }
  }
  const withAdapters = new Set([...sites.values()].map((s) => s.layer));
  for (const layer of withAdapters) {
    // leave_out drops both adapters of a layer, so a layer has all of its placement's adapters or none
    if (!sites.has(`${layer}/false`) || (a.placement === 'houlsby' && !sites.has(`${layer}/true`))) {
      throw new ExportError(`layer ${layer}: ${a.placement} placement needs ${a.placement === 'houlsby' ? 'both the attention and the FFN adapter' : 'the FFN adapter'}`);
    }
  }
  const leaveOut = Array.from({ length: a.numLayers }, (_, i) => i).filter((i) => !withAdapters.has(i));
  const modelClass = a.head ? HEAD_CLASS[a.family][a.head.config.task] : BASE_CLASS[a.family];
  const common = { hidden_size: d, model_class: modelClass, model_name: a.baseModel, model_type: MODEL_TYPE[a.family], version: ADAPTERHUB_VERSION };
  const files: [string, string | Uint8Array][] = [
    [AH_CONFIG_FILE, withPythonFloats(sortedJson({ ...common, config: bnConfig(a, leaveOut), name: a.name }))],
    [AH_WEIGHTS_FILE, encodeSafetensors(out)],
    [AH_TORCH_WEIGHTS_FILE, encodeTorchStateDict(out)],
  ];
  if (a.head) {
    const { tensors, config } = a.head;
    if (!config.labels.length) throw new ExportError('head: labels are empty');
    const modules = HEAD_MODULES[a.family][config.task];
    const headOut = new Map<string, StTensor>();
    for (const [name, t] of tensors) {
      if (!modules.some((mod) => name.startsWith(`${mod}.`))) {
        throw new ExportError(`head: \`${name}\` is not part of the ${HEAD_CLASS[a.family][config.task]} head (${modules.join(', ')})${name.startsWith(`${BASE_PREFIX[a.family]}.`) ? '; base-model tensors go in `tensors`' : ''}`);
      }
      headOut.set(name, toTorchLayout(name, t, a.family));
    }
    for (const mod of modules) if (!headOut.has(`${mod}.weight`)) throw new ExportError(`head: \`${mod}.weight\` is missing`);
    files.push(
      [AH_HEAD_CONFIG_FILE, sortedJson({ ...common, config: null, label2id: Object.fromEntries(config.labels.map((l, i) => [l, i])), name: null, num_labels: config.labels.length })],
      [AH_HEAD_WEIGHTS_FILE, encodeSafetensors(headOut)],
      [AH_TORCH_HEAD_WEIGHTS_FILE, encodeTorchStateDict(headOut)],
    );
  }
  return writeFiles(dir, files);
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ExportError(`${path}: ${existsSync(path) ? `not JSON (${(e as Error).message})` : 'missing'}`);
  }
}

const FAMILIES = Object.keys(MODEL_TYPE) as Family[];

/**
 * Read an AdapterHub bottleneck adapter folder into our names and layouts. Only adapters that
 * compute what ftr's adapter layer computes are accepted (sequential, no extra LayerNorms, no gating,
 * no PHM, scaling 1, adapter input = sub-layer output); others are refused with the reason.
 */
export function readAdapterHub(dir: string): AdapterHubAdapter {
  const cfgPath = join(dir, AH_CONFIG_FILE);
  const stPath = join(dir, AH_WEIGHTS_FILE);
  const cfg = readJson(cfgPath);
  if (!existsSync(stPath)) throw new ExportError(`${dir}: no ${AH_WEIGHTS_FILE}${existsSync(join(dir, 'pytorch_adapter.bin')) ? ' (pytorch_adapter.bin is a pickle: re-save with `model.save_adapter(dir, name, use_safetensors=True)`)' : ''}`);
  const family = FAMILIES.find((f) => MODEL_TYPE[f] === cfg.model_type);
  if (!family) throw new ExportError(`${cfgPath}: model_type ${JSON.stringify(cfg.model_type)} is not supported (${FAMILIES.join(', ')})`);
  const c = cfg.config as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') throw new ExportError(`${cfgPath}: no adapter \`config\``);
  if (c.architecture !== undefined && c.architecture !== null && c.architecture !== 'bottleneck') throw new ExportError(`${cfgPath}: architecture ${JSON.stringify(c.architecture)} is not a bottleneck adapter`);
  const expect: [string, unknown, string][] = [
    ['is_parallel', false, 'parallel adapters'],
    ['original_ln_before', false, 'the adapter reads LN(h + x) instead of the sub-layer output h (SeqBn/"pfeiffer" default)'],
    ['original_ln_after', true, 'no residual + LayerNorm after the adapter'],
    ['residual_before_ln', true, 'the residual taken after the LayerNorm'],
    ['ln_before', false, 'an extra LayerNorm before the bottleneck'],
    ['ln_after', false, 'an extra LayerNorm after the bottleneck'],
    ['use_gating', false, 'gating'],
    ['phm_layer', false, 'PHM (Compacter) layers'],
    ['scaling', 1, 'a scaled adapter output'],
  ];
  for (const [key, value, what] of expect) {
    if (c[key] !== undefined && c[key] !== value) throw new ExportError(`${cfgPath}: ${key}=${JSON.stringify(c[key])} (${what}) is not the adapter form ftr computes`);
  }
  if (c.inv_adapter) throw new ExportError(`${cfgPath}: invertible adapters (inv_adapter ${JSON.stringify(c.inv_adapter)}) are not supported`);
  if (c.cross_adapter) throw new ExportError(`${cfgPath}: cross-attention adapters are not supported`);
  if (c.output_adapter !== true) throw new ExportError(`${cfgPath}: output_adapter is false; ftr's placements always have the FFN adapter`);
  if (typeof c.reduction_factor !== 'number') throw new ExportError(`${cfgPath}: per-layer reduction_factor ${JSON.stringify(c.reduction_factor)} is not supported`);
  const name = String(cfg.name);
  const tensors = new Map<string, StTensor>();
  let maxLayer = -1;
  for (const [key, t] of parseSafetensors(readFileSync(stPath), stPath).tensors) {
    const p = parseAdapterName(key, family);
    if (!p && /(?:^|\.)(?:adapters|adapter_fusion_layer|invertible_adapters)\./.test(key)) throw new ExportError(`${stPath}: \`${key}\` is an adapter weight at a place ftr's ${family} adapters do not use`);
    if (p && p.adapter !== name) throw new ExportError(`${stPath}: \`${key}\` belongs to adapter \`${p.adapter}\`, the config names \`${name}\``);
    const ours = p ? renameAdapter(key, name, MEMORY_NAME) : key;
    if (p) maxLayer = Math.max(maxLayer, p.layer);
    tensors.set(ours, fromTorchLayout(ours, t, family));
  }
  const leaveOut = (c.leave_out as number[] | undefined) ?? [];
  const result: AdapterHubAdapter = {
    name,
    tensors,
    family,
    placement: c.mh_adapter ? 'houlsby' : 'pfeiffer',
    reductionFactor: c.reduction_factor,
    nonLinearity: String(c.non_linearity),
    hidden: cfg.hidden_size as number,
    // leave_out lists every layer without adapters, so with the adapted ones it covers all layers
    numLayers: Math.max(maxLayer, ...leaveOut) + 1,
    baseModel: String(cfg.model_name),
    dropout: (c.dropout as number | undefined) ?? 0,
  };
  const headCfgPath = join(dir, AH_HEAD_CONFIG_FILE);
  if (existsSync(headCfgPath)) {
    const h = readJson(headCfgPath);
    const cls = String(h.model_class);
    const task = (['seq_cls', 'token_cls'] as const).find((t) => HEAD_CLASS[family][t] === cls);
    if (!task) throw new ExportError(`${headCfgPath}: head of model class ${cls} is not supported (${Object.values(HEAD_CLASS[family]).join(', ')}); flex heads (…AdapterModel) are not read`);
    const label2id = (h.label2id as Record<string, number> | undefined) ?? {};
    const labels = Object.entries(label2id).sort(([, x], [, y]) => x - y).map(([l]) => l);
    const headPath = join(dir, AH_HEAD_WEIGHTS_FILE);
    if (!existsSync(headPath)) throw new ExportError(`${dir}: ${AH_HEAD_CONFIG_FILE} without ${AH_HEAD_WEIGHTS_FILE}`);
    const headTensors = new Map<string, StTensor>();
    for (const [key, t] of parseSafetensors(readFileSync(headPath), headPath).tensors) headTensors.set(key, fromTorchLayout(key, t, family));
    result.head = { tensors: headTensors, config: { task, labels } };
  }
  return result;
}
