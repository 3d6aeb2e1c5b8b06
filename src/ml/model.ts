/**
 * BERT, DistilBERT and GPT-2 forward passes over a ParamStore, with the strategy hooks the
 * fine-tuning strategies need: LoRA on any linear module, bottleneck adapters after attention
 * and/or the feed-forward block, prompt tokens before the input, per-layer key/value prefixes.
 * The math follows Hugging Face Transformers so loaded checkpoints give the same outputs.
 */
import { tf } from './tf.js';
import { matmul } from './linear.js';
import { dropout, geluErf, layerNorm } from './fused.js';
import type { ModelConfig } from './config.js';
import { ParamStore, type Role } from './params.js';
import { mulberry32 as rng } from './random.js';

export type Task = 'seq_cls' | 'token_cls' | 'lm' | 'mlm' | 'none';

export const POOLINGS = ['cls', 'mean', 'last'] as const;
export type Pooling = (typeof POOLINGS)[number];

export interface Batch {
  /** token ids, row-major [batch, seq] */
  ids: Int32Array;
  /** 1 = real token, 0 = padding */
  mask?: Int32Array;
  typeIds?: Int32Array;
  batch: number;
  seq: number;
}

export interface ForwardOptions {
  training: boolean;
  /** dropout seed for this forward pass (training only); dropout calls derive theirs from it */
  seed?: number;
  /**
   * lm / mlm: only these flat positions (row · seq + t) get vocabulary logits, returned as
   * [N, V] — the vocabulary projection is most of a small LM's cost, and MLM scores 15% of tokens
   */
  positions?: Int32Array;
}

export interface ForwardResult {
  /** final hidden states [B, T, d] (GPT-2: after ln_f), prompt positions removed */
  hidden: tf.Tensor3D;
  /** seq_cls [B, C]; token_cls [B, T, C]; lm / mlm [B, T, V] */
  logits?: tf.Tensor;
}

export interface LoraSpec {
  r: number;
  alpha: number;
  dropout: number;
  /** module names (`query`, `attn.c_attn`) matched against the end of each linear module's path, or `all-linear` */
  targets: string[];
  rslora?: boolean;
  /** only these layer indices (default: all) */
  layers?: number[];
}

export interface AdapterSpec {
  placement: 'houlsby' | 'pfeiffer';
  /** bottleneck width */
  size: number;
  act: 'relu' | 'swish' | 'gelu';
}

export const ADAPTER = 'default';


/** Paths of a layer's modules, by what they do, for one architecture's naming. */
function layerPaths(c: ModelConfig, i: number) {
  switch (c.family) {
    case 'bert': {
      const p = `bert.encoder.layer.${i}`;
      return {
        q: `${p}.attention.self.query`, k: `${p}.attention.self.key`, v: `${p}.attention.self.value`, qkv: undefined,
        attnOut: `${p}.attention.output.dense`, ln1: `${p}.attention.output.LayerNorm`,
        ff1: `${p}.intermediate.dense`, ff2: `${p}.output.dense`, ln2: `${p}.output.LayerNorm`,
        adapter1: `${p}.attention.output.adapters.${ADAPTER}`, adapter2: `${p}.output.adapters.${ADAPTER}`,
      };
    }
    case 'distilbert': {
      const p = `distilbert.transformer.layer.${i}`;
      return {
        q: `${p}.attention.q_lin`, k: `${p}.attention.k_lin`, v: `${p}.attention.v_lin`, qkv: undefined,
        attnOut: `${p}.attention.out_lin`, ln1: `${p}.sa_layer_norm`,
        ff1: `${p}.ffn.lin1`, ff2: `${p}.ffn.lin2`, ln2: `${p}.output_layer_norm`,
        adapter1: `${p}.attention_adapters.adapters.${ADAPTER}`, adapter2: `${p}.output_adapters.adapters.${ADAPTER}`,
      };
    }
    case 'gpt2': {
      const p = `transformer.h.${i}`;
      return {
        q: undefined, k: undefined, v: undefined, qkv: `${p}.attn.c_attn`,
        attnOut: `${p}.attn.c_proj`, ln1: `${p}.ln_1`,
        ff1: `${p}.mlp.c_fc`, ff2: `${p}.mlp.c_proj`, ln2: `${p}.ln_2`,
        adapter1: `${p}.attention_adapters.adapters.${ADAPTER}`, adapter2: `${p}.output_adapters.adapters.${ADAPTER}`,
      };
    }
  }
}

/** Every linear module of the base model with its [in, out] size: LoRA targets are matched against these. */
export function linearModules(c: ModelConfig): { path: string; layer: number; inDim: number; outDim: number }[] {
  const out: { path: string; layer: number; inDim: number; outDim: number }[] = [];
  const d = c.hidden;
  for (let i = 0; i < c.layers; i++) {
    const p = layerPaths(c, i);
    if (p.qkv) out.push({ path: p.qkv, layer: i, inDim: d, outDim: 3 * d });
    else for (const m of [p.q!, p.k!, p.v!]) out.push({ path: m, layer: i, inDim: d, outDim: d });
    out.push({ path: p.attnOut, layer: i, inDim: d, outDim: d });
    out.push({ path: p.ff1, layer: i, inDim: d, outDim: c.intermediate });
    out.push({ path: p.ff2, layer: i, inDim: c.intermediate, outDim: d });
  }
  return out;
}

/** Base-model variables with their shapes (ours: linear [in, out]) and initial values. */
export function baseShapes(c: ModelConfig): { name: string; shape: number[]; init: 'normal' | 'zeros' | 'ones' }[] {
  const d = c.hidden;
  const v: { name: string; shape: number[]; init: 'normal' | 'zeros' | 'ones' }[] = [];
  const linear = (path: string, i: number, o: number) => v.push({ name: `${path}.weight`, shape: [i, o], init: 'normal' }, { name: `${path}.bias`, shape: [o], init: 'zeros' });
  const ln = (path: string) => v.push({ name: `${path}.weight`, shape: [d], init: 'ones' }, { name: `${path}.bias`, shape: [d], init: 'zeros' });
  if (c.family === 'gpt2') {
    v.push({ name: 'transformer.wte.weight', shape: [c.vocabSize, d], init: 'normal' }, { name: 'transformer.wpe.weight', shape: [c.maxPositions, d], init: 'normal' });
  } else {
    const e = `${c.family}.embeddings`;
    v.push({ name: `${e}.word_embeddings.weight`, shape: [c.vocabSize, d], init: 'normal' }, { name: `${e}.position_embeddings.weight`, shape: [c.maxPositions, d], init: 'normal' });
    if (c.typeVocab) v.push({ name: `${e}.token_type_embeddings.weight`, shape: [c.typeVocab, d], init: 'normal' });
    ln(`${e}.LayerNorm`);
  }
  for (let i = 0; i < c.layers; i++) {
    const p = layerPaths(c, i);
    if (c.family === 'gpt2') ln(p.ln1);
    for (const m of linearModules(c).filter((m) => m.layer === i)) {
      linear(m.path, m.inDim, m.outDim);
      if (m.path === p.attnOut && c.family !== 'gpt2') ln(p.ln1);
      if (m.path === p.attnOut && c.family === 'gpt2') ln(p.ln2);
    }
    if (c.family !== 'gpt2') ln(p.ln2);
  }
  if (c.family === 'gpt2') ln('transformer.ln_f');
  return v;
}

/** Task-head variables for a task: the modules Transformers adds on top of the base. */
export function headShapes(c: ModelConfig, task: Task, numLabels = 0): { name: string; shape: number[]; init: 'normal' | 'zeros' | 'ones' }[] {
  const d = c.hidden;
  const lin = (path: string, i: number, o: number, bias = true) => [{ name: `${path}.weight`, shape: [i, o], init: 'normal' as const }, ...(bias ? [{ name: `${path}.bias`, shape: [o], init: 'zeros' as const }] : [])];
  switch (task) {
    case 'seq_cls':
      if (c.family === 'bert') return [...lin('bert.pooler.dense', d, d), ...lin('classifier', d, numLabels)];
      if (c.family === 'distilbert') return [...lin('pre_classifier', d, d), ...lin('classifier', d, numLabels)];
      return lin('score', d, numLabels, false);
    case 'token_cls':
      return lin('classifier', d, numLabels);
    case 'mlm':
      if (c.family === 'bert')
        return [...lin('cls.predictions.transform.dense', d, d), { name: 'cls.predictions.transform.LayerNorm.weight', shape: [d], init: 'ones' }, { name: 'cls.predictions.transform.LayerNorm.bias', shape: [d], init: 'zeros' }, { name: 'cls.predictions.bias', shape: [c.vocabSize], init: 'zeros' }];
      if (c.family === 'distilbert')
        return [...lin('vocab_transform', d, d), { name: 'vocab_layer_norm.weight', shape: [d], init: 'ones' }, { name: 'vocab_layer_norm.bias', shape: [d], init: 'zeros' }, { name: 'vocab_projector.bias', shape: [c.vocabSize], init: 'zeros' }];
      throw new Error('masked-LM pre-training needs an encoder (bert or distilbert)');
    case 'lm':
      if (c.family !== 'gpt2') throw new Error('causal-LM training needs a decoder (gpt2)');
      return []; // tied to the token embeddings
    case 'none':
      return [];
  }
}

export function initTensor(shape: number[], init: 'normal' | 'zeros' | 'ones', seed: number, std = 0.02): tf.Tensor {
  if (init === 'zeros') return tf.zeros(shape);
  if (init === 'ones') return tf.ones(shape);
  return tf.randomNormal(shape, 0, std, 'float32', seed);
}

/** Per layer, the keys and values of every position decoded so far: [heads, length, head dim]. */
export interface KvCache {
  keys: tf.Tensor[];
  values: tf.Tensor[];
  length: number;
}

export function disposeKv(cache: KvCache): void {
  tf.dispose([...cache.keys, ...cache.values]);
}

export class Transformer {
  /** LoRA settings per module path */
  readonly lora = new Map<string, { scale: number; dropout: number }>();
  adapter?: AdapterSpec;
  promptTokens = 0;
  prefixTokens = 0;
  /** LoRA deltas folded into the base weights (inference) */
  merged = false;
  /** how a sequence becomes one vector for classification (see sequenceFeatures) */
  pooling: Pooling;

  constructor(
    readonly config: ModelConfig,
    readonly params: ParamStore,
    public task: Task,
    public labels: string[] = [],
  ) {
    this.pooling = config.family === 'gpt2' ? 'last' : 'cls';
  }

  /** A randomly initialised base (for pre-training in a recipe), deterministic with the seed. */
  static random(config: ModelConfig, task: Task, labels: string[], seed: number): Transformer {
    const params = new ParamStore();
    const r = rng(seed);
    for (const s of baseShapes(config)) params.add(s.name, initTensor(s.shape, s.init, Math.floor(r() * 2 ** 31)), 'base');
    const m = new Transformer(config, params, task, labels);
    m.addHead(seed + 1);
    return m;
  }

  /** Add the task head's variables that the store lacks; returns their names (newly initialised). */
  addHead(seed: number): string[] {
    const r = rng(seed);
    const added: string[] = [];
    for (const s of headShapes(this.config, this.task, this.labels.length)) {
      if (this.params.has(s.name)) continue;
      this.params.add(s.name, initTensor(s.shape, s.init, Math.floor(r() * 2 ** 31)), 'head');
      added.push(s.name);
    }
    return added;
  }

  /** LoRA on the modules matching `spec.targets`: A ~ Kaiming-uniform (as PEFT), B = 0, so the model is unchanged until B trains. */
  addLora(spec: LoraSpec, seed: number): string[] {
    const r = rng(seed);
    const picked = linearModules(this.config).filter((m) => (!spec.layers || spec.layers.includes(m.layer)) && (spec.targets.includes('all-linear') || spec.targets.some((t) => m.path === t || m.path.endsWith(`.${t}`))));
    if (!picked.length) throw new Error(`no linear module matches LoRA targets ${spec.targets.join(', ')} (modules look like ${linearModules(this.config).slice(0, 4).map((m) => m.path.split('.').slice(-2).join('.')).join(', ')})`);
    const scale = spec.rslora ? spec.alpha / Math.sqrt(spec.r) : spec.alpha / spec.r;
    for (const m of picked) {
      // kaiming_uniform_(a=√5) on an [r, in] weight: bound = 1/√in
      const bound = 1 / Math.sqrt(m.inDim);
      this.params.add(`${m.path}.lora_A.weight`, tf.randomUniform([m.inDim, spec.r], -bound, bound, 'float32', Math.floor(r() * 2 ** 31)), 'lora');
      this.params.add(`${m.path}.lora_B.weight`, tf.zeros([spec.r, m.outDim]), 'lora');
      this.lora.set(m.path, { scale, dropout: spec.dropout });
    }
    return picked.map((m) => m.path);
  }

  /** Bottleneck adapters; the up-projection starts at zero so the model is unchanged at step 0. */
  addAdapters(spec: AdapterSpec, seed: number): void {
    const r = rng(seed);
    const d = this.config.hidden;
    for (let i = 0; i < this.config.layers; i++) {
      const p = layerPaths(this.config, i);
      for (const at of spec.placement === 'houlsby' ? [p.adapter1, p.adapter2] : [p.adapter2]) {
        this.params.add(`${at}.adapter_down.0.weight`, initTensor([d, spec.size], 'normal', Math.floor(r() * 2 ** 31), 0.01), 'adapter');
        this.params.add(`${at}.adapter_down.0.bias`, tf.zeros([spec.size]), 'adapter');
        this.params.add(`${at}.adapter_up.weight`, tf.zeros([spec.size, d]), 'adapter');
        this.params.add(`${at}.adapter_up.bias`, tf.zeros([d]), 'adapter');
      }
    }
    this.adapter = spec;
  }

  /** Soft prompt: `n` trainable vectors before the input, initialised from the given token ids' embeddings (or randomly). */
  addPrompt(n: number, seed: number, initIds?: number[]): void {
    const emb = this.params.get(this.embeddingName());
    const init = initIds?.length
      ? tf.tidy(() => tf.gather(emb, tf.tensor1d(Array.from({ length: n }, (_, i) => initIds[i % initIds.length]), 'int32')))
      : initTensor([n, this.config.hidden], 'normal', seed);
    this.params.add('prompt_embeddings', init, 'prompt');
    this.promptTokens = n;
  }

  /** Prefix tuning: `n` trainable key/value vectors per layer, in PEFT's layout [n, layers·2·d]. */
  addPrefix(n: number, seed: number): void {
    this.params.add('prefix_embeddings', initTensor([n, this.config.layers * 2 * this.config.hidden], 'normal', seed), 'prefix');
    this.prefixTokens = n;
  }

  embeddingName(): string {
    return this.config.family === 'gpt2' ? 'transformer.wte.weight' : `${this.config.family}.embeddings.word_embeddings.weight`;
  }

  /** Fold LoRA deltas into the base weights (W += s·A·B) for inference, or take them out again. */
  mergeLora(merge: boolean): void {
    if (merge === this.merged) return;
    for (const [path, { scale }] of this.lora) {
      const w = this.params.get(`${path}.weight`);
      // inside tidy: the variable keeps the new value, the temporaries (and the old value) are freed
      tf.tidy(() => {
        const delta = tf.mul(tf.matMul(this.params.get(`${path}.lora_A.weight`), this.params.get(`${path}.lora_B.weight`)), scale);
        w.assign(merge ? tf.add(w, delta) : tf.sub(w, delta));
      });
    }
    this.merged = merge;
  }

  /** Which variables a strategy trains (the rest stay frozen). */
  trainableRoles(roles: Role[], extra: (name: string) => boolean = () => false): void {
    this.params.setTrainable((name, role) => roles.includes(role) || extra(name));
  }

  private w(name: string): tf.Tensor {
    return this.params.get(name);
  }

  private linear(x: tf.Tensor2D, path: string, drop: Dropout): tf.Tensor2D {
    const wName = `${path}.weight`;
    let y = matmul(x, this.params.get(wName) as tf.Tensor2D, this.params.isTrainable(wName));
    if (this.params.has(`${path}.bias`)) y = tf.add(y, this.w(`${path}.bias`));
    const lora = this.merged ? undefined : this.lora.get(path);
    if (lora) {
      const a = `${path}.lora_A.weight`;
      const b = `${path}.lora_B.weight`;
      const h = matmul(drop(x, lora.dropout) as tf.Tensor2D, this.params.get(a) as tf.Tensor2D, this.params.isTrainable(a));
      y = tf.add(y, tf.mul(matmul(h, this.params.get(b) as tf.Tensor2D, this.params.isTrainable(b)), lora.scale));
    }
    return y;
  }

  private layerNorm(x: tf.Tensor, path: string): tf.Tensor {
    return layerNorm(x, this.w(`${path}.weight`), this.w(`${path}.bias`), this.config.eps);
  }

  private act(x: tf.Tensor, kind: ModelConfig['act'] | AdapterSpec['act']): tf.Tensor {
    switch (kind) {
      case 'relu':
        return tf.relu(x);
      case 'swish':
        return tf.mul(x, tf.sigmoid(x));
      case 'gelu':
        return geluErf(x);
      case 'gelu_new':
        // x·x·x: tf.pow is 2× slower on wasm
        return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(tf.mul(x, x), x)))))));
    }
  }

  private adapterBlock(h: tf.Tensor2D, path: string, drop: Dropout): tf.Tensor2D {
    if (!this.params.has(`${path}.adapter_up.weight`)) return h;
    const down = this.act(this.linear(h, `${path}.adapter_down.0`, drop), this.adapter!.act) as tf.Tensor2D;
    return tf.add(h, this.linear(down, `${path}.adapter_up`, drop));
  }

  forward(b: Batch, opts: ForwardOptions): ForwardResult {
    const c = this.config;
    const B = b.batch;
    const T0 = b.seq;
    const d = c.hidden;
    const nPrompt = this.promptTokens;
    const T = T0 + nPrompt;
    // prefix tuning: the virtual key/values take positions 0..P-1 and the real tokens are numbered
    // after them, as transformers numbers tokens after a cache (BERT past_key_values_length, GPT-2
    // cache_position) when PEFT passes the prefix as past_key_values
    const P = this.prefixTokens;
    if (T + P > c.maxPositions) throw new Error(`sequence of ${T} tokens${nPrompt ? ` (${nPrompt} prompt tokens included)` : ''}${P ? ` after ${P} prefix positions` : ''} is longer than the model's ${c.maxPositions} positions`);
    let dropCall = 0;
    const drop: Dropout = (x, rate = c.dropout) => (opts.training && rate > 0 ? dropout(x, rate, (opts.seed ?? 0) * 1000 + dropCall++) : x);

    const maskArr = b.mask ?? new Int32Array(B * T0).fill(1);
    // prompt positions are real tokens for attention
    const fullMask = new Float32Array(B * T);
    for (let i = 0; i < B; i++) {
      for (let t = 0; t < nPrompt; t++) fullMask[i * T + t] = 1;
      for (let t = 0; t < T0; t++) fullMask[i * T + nPrompt + t] = maskArr[i * T0 + t];
    }

    const ids = tf.tensor1d(b.ids, 'int32');
    let x: tf.Tensor = tf.reshape(tf.gather(this.w(this.embeddingName()), ids), [B, T0, d]);
    if (nPrompt) x = tf.concat([tf.tile(tf.expandDims(this.w('prompt_embeddings'), 0), [B, 1, 1]), x], 1);
    if (c.family === 'gpt2') {
      x = tf.add(x, tf.slice(this.w('transformer.wpe.weight'), [P, 0], [T, d]));
    } else {
      const e = `${c.family}.embeddings`;
      x = tf.add(x, tf.slice(this.w(`${e}.position_embeddings.weight`), [P, 0], [T, d]));
      if (c.typeVocab) {
        const types = new Int32Array(B * T);
        if (b.typeIds) for (let i = 0; i < B; i++) for (let t = 0; t < T0; t++) types[i * T + nPrompt + t] = b.typeIds[i * T0 + t];
        x = tf.add(x, tf.reshape(tf.gather(this.w(`${e}.token_type_embeddings.weight`), tf.tensor1d(types, 'int32')), [B, T, d]));
      }
      x = this.layerNorm(x, `${e}.LayerNorm`);
    }
    x = drop(x);

    // additive attention bias [B, 1, Tq, Tk]: padding keys (and future keys for GPT-2) get -1e9; prefix keys are always visible
    const Tk = T + P;
    const bias = new Float32Array(B * T * Tk);
    for (let i = 0; i < B; i++)
      for (let q = 0; q < T; q++)
        for (let k = 0; k < T; k++) {
          const hidden = fullMask[i * T + k] === 0 || (c.family === 'gpt2' && k > q);
          if (hidden) bias[(i * T + q) * Tk + P + k] = -1e9;
        }
    const attnBias = tf.tensor4d(bias, [B, 1, T, Tk]);

    const H = c.heads;
    const dh = d / H;
    const splitHeads = (t: tf.Tensor, len: number) => tf.transpose(tf.reshape(t, [B, len, H, dh]), [0, 2, 1, 3]);
    for (let l = 0; l < c.layers; l++) {
      const p = layerPaths(c, l);
      const input = tf.reshape(c.family === 'gpt2' ? this.layerNorm(x, p.ln1) : x, [B * T, d]) as tf.Tensor2D;
      let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
      if (p.qkv) [q, k, v] = tf.split(this.linear(input, p.qkv, drop), 3, 1);
      else [q, k, v] = [this.linear(input, p.q!, drop), this.linear(input, p.k!, drop), this.linear(input, p.v!, drop)];
      q = splitHeads(q, T);
      k = splitHeads(k, T);
      v = splitHeads(v, T);
      if (P) {
        const pre = this.w('prefix_embeddings');
        const pk = tf.slice(pre, [0, 2 * l * d], [P, d]);
        const pv = tf.slice(pre, [0, (2 * l + 1) * d], [P, d]);
        const tileHeads = (t: tf.Tensor) => tf.tile(tf.expandDims(tf.transpose(tf.reshape(t, [P, H, dh]), [1, 0, 2]), 0), [B, 1, 1, 1]);
        k = tf.concat([tileHeads(pk), k], 2);
        v = tf.concat([tileHeads(pv), v], 2);
      }
      const scores = tf.add(tf.div(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), Math.sqrt(dh)), attnBias);
      const probs = drop(tf.softmax(scores));
      const ctx = tf.reshape(tf.transpose(tf.matMul(probs as tf.Tensor4D, v as tf.Tensor4D), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
      let a = drop(this.linear(ctx, p.attnOut, drop)) as tf.Tensor2D;
      a = this.adapterBlock(a, p.adapter1, drop);
      if (c.family === 'gpt2') {
        x = tf.add(x, tf.reshape(a, [B, T, d]));
        const m = tf.reshape(this.layerNorm(x, p.ln2), [B * T, d]) as tf.Tensor2D;
        let f = drop(this.linear(this.act(this.linear(m, p.ff1, drop), c.act) as tf.Tensor2D, p.ff2, drop)) as tf.Tensor2D;
        f = this.adapterBlock(f, p.adapter2, drop);
        x = tf.add(x, tf.reshape(f, [B, T, d]));
      } else {
        const h1 = this.layerNorm(tf.add(a, input), p.ln1) as tf.Tensor2D;
        let f = drop(this.linear(this.act(this.linear(h1, p.ff1, drop), c.act) as tf.Tensor2D, p.ff2, drop)) as tf.Tensor2D;
        f = this.adapterBlock(f, p.adapter2, drop);
        x = tf.reshape(this.layerNorm(tf.add(f, h1), p.ln2), [B, T, d]);
      }
    }
    if (c.family === 'gpt2') x = this.layerNorm(x, 'transformer.ln_f');
    const full = x as tf.Tensor3D;
    const hidden = nPrompt ? (tf.slice(full, [0, nPrompt, 0], [B, T0, d]) as tf.Tensor3D) : full;
    return { hidden, logits: this.head(full, hidden, maskArr, b, drop, opts.positions) };
  }

  /**
   * GPT-2 generation with a key/value cache: the logits after the last of `ids` (the prompt,
   * then one new token a call), computing only the new positions and reusing every earlier one's
   * keys and values, as Transformers' `past_key_values`. Without a cache each token re-ran the
   * whole sequence: O(n²) positions for n tokens instead of O(n). Inference only (no dropout);
   * the caller disposes the returned cache (`disposeKv`), which replaces the one passed in.
   */
  decode(ids: ArrayLike<number>, past?: KvCache): { logits: Float32Array; cache: KvCache } {
    const c = this.config;
    if (c.family !== 'gpt2' || this.promptTokens || this.prefixTokens) throw new Error('decode: a KV cache is for GPT-2 without prompt or prefix tuning');
    const start = past?.length ?? 0;
    const n = ids.length;
    if (start + n > c.maxPositions) throw new Error(`sequence of ${start + n} tokens is longer than the model's ${c.maxPositions} positions`);
    const d = c.hidden;
    const H = c.heads;
    const dh = d / H;
    const keep: tf.Tensor[] = [];
    const logits = tf.tidy(() => {
      const none: Dropout = (x) => x;
      let x = tf.add(tf.gather(this.w(this.embeddingName()), tf.tensor1d(Array.from(ids), 'int32')), tf.slice(this.w('transformer.wpe.weight'), [start, 0], [n, d])) as tf.Tensor2D;
      // new query i (position start + i) sees keys 0 … start + i
      const total = start + n;
      const bias = new Float32Array(n * total);
      for (let i = 0; i < n; i++) for (let k = start + i + 1; k < total; k++) bias[i * total + k] = -1e9;
      const attnBias = tf.tensor2d(bias, [n, total]);
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [n, H, dh]), [1, 0, 2]);
      for (let l = 0; l < c.layers; l++) {
        const p = layerPaths(c, l);
        const [q, k, v] = tf.split(this.linear(this.layerNorm(x, p.ln1) as tf.Tensor2D, p.qkv!, none), 3, 1).map(heads);
        const K = past ? tf.concat([past.keys[l], k], 1) : k;
        const V = past ? tf.concat([past.values[l], v], 1) : v;
        keep.push(K, V);
        const scores = tf.add(tf.div(tf.matMul(q as tf.Tensor3D, K as tf.Tensor3D, false, true), Math.sqrt(dh)), attnBias);
        const ctx = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores) as tf.Tensor3D, V as tf.Tensor3D), [1, 0, 2]), [n, d]) as tf.Tensor2D;
        x = tf.add(x, this.adapterBlock(this.linear(ctx, p.attnOut, none), p.adapter1, none)) as tf.Tensor2D;
        const m = this.layerNorm(x, p.ln2) as tf.Tensor2D;
        const f = this.linear(this.act(this.linear(m, p.ff1, none), c.act) as tf.Tensor2D, p.ff2, none);
        x = tf.add(x, this.adapterBlock(f, p.adapter2, none)) as tf.Tensor2D;
      }
      const last = this.layerNorm(tf.slice(x, [n - 1, 0], [1, d]), 'transformer.ln_f') as tf.Tensor2D;
      // one row: the transposed product beats transposing (and, on wasm, re-packing) the whole table
      const out = tf.matMul(last, this.w(this.embeddingName()) as tf.Tensor2D, false, true);
      keep.forEach((t) => tf.keep(t));
      return out.dataSync() as Float32Array;
    });
    const cache: KvCache = { keys: keep.filter((_, i) => i % 2 === 0), values: keep.filter((_, i) => i % 2 === 1), length: start + n };
    if (past) disposeKv(past);
    return { logits, cache };
  }

  private head(full: tf.Tensor3D, hidden: tf.Tensor3D, mask: Int32Array, b: Batch, drop: Dropout, positions?: Int32Array): tf.Tensor | undefined {
    const c = this.config;
    const d = c.hidden;
    const B = b.batch;
    const T0 = b.seq;
    const flat = () => tf.reshape(hidden, [B * T0, d]) as tf.Tensor2D;
    const rows = () => (positions ? (tf.gather(flat(), tf.tensor1d(positions, 'int32')) as tf.Tensor2D) : flat());
    const shaped = (t: tf.Tensor2D) => (positions ? t : tf.reshape(t, [B, T0, c.vocabSize]));
    const tiedLogits = (h: tf.Tensor2D) => {
      const emb = this.params.get(this.embeddingName());
      // h · Eᵀ with an explicit transpose (wasm's fast matmul needs plain operands)
      return matmul(h, tf.transpose(emb) as tf.Tensor2D, this.params.isTrainable(this.embeddingName()));
    };
    switch (this.task) {
      case 'none':
        return undefined;
      case 'seq_cls':
        return this.classifyFeatures(this.sequenceFeatures(full, mask, b), drop);
      case 'token_cls':
        return tf.reshape(this.linear(drop(flat()) as tf.Tensor2D, 'classifier', drop), [B, T0, this.labels.length]);
      case 'lm':
        return shaped(tiedLogits(rows()));
      case 'mlm': {
        const [dense, ln, bias] = c.family === 'bert' ? ['cls.predictions.transform.dense', 'cls.predictions.transform.LayerNorm', 'cls.predictions.bias'] : ['vocab_transform', 'vocab_layer_norm', 'vocab_projector.bias'];
        const t = this.layerNorm(this.act(this.linear(rows(), dense, drop), c.act), ln) as tf.Tensor2D;
        return shaped(tf.add(tiedLogits(t), this.w(bias)) as tf.Tensor2D);
      }
    }
  }

  /**
   * One vector per sequence for classification. `cls`: the first position (BERT's [CLS]; a
   * prompt token under prompt tuning, as in PEFT); `last`: the last real token (GPT-2, as
   * GPT2ForSequenceClassification); `mean`: the average of the real tokens — what a base
   * pre-trained without a sentence objective needs, since its [CLS] barely depends on the text.
   */
  sequenceFeatures(full: tf.Tensor3D, mask: Int32Array, b: Batch): tf.Tensor2D {
    const d = this.config.hidden;
    const B = b.batch;
    const T = full.shape[1];
    const offset = T - b.seq;
    if (this.pooling === 'cls') return tf.reshape(tf.slice(full, [0, 0, 0], [B, 1, d]), [B, d]) as tf.Tensor2D;
    if (this.pooling === 'mean') {
      const w = new Float32Array(B * T);
      for (let i = 0; i < B; i++) {
        let n = 0;
        for (let t = 0; t < b.seq; t++) n += mask[i * b.seq + t] ? 1 : 0;
        for (let t = 0; t < b.seq; t++) if (mask[i * b.seq + t]) w[i * T + offset + t] = 1 / Math.max(n, 1);
      }
      return tf.sum(tf.mul(full, tf.tensor3d(w, [B, T, 1])), 1) as tf.Tensor2D;
    }
    const last = new Int32Array(B);
    for (let i = 0; i < B; i++) {
      let n = 0;
      for (let t = 0; t < b.seq; t++) n += mask[i * b.seq + t] ? 1 : 0;
      last[i] = i * T + offset + Math.max(0, n - 1);
    }
    return tf.gather(tf.reshape(full, [B * T, d]), tf.tensor1d(last, 'int32')) as tf.Tensor2D;
  }

  /** The sequence-classification head on sequence features: BERT pooler → classifier; DistilBERT pre_classifier → ReLU → classifier; GPT-2 score. */
  classifyFeatures(features: tf.Tensor2D, drop: Dropout = (x) => x): tf.Tensor2D {
    switch (this.config.family) {
      case 'gpt2':
        return this.linear(features, 'score', drop);
      case 'bert':
        return this.linear(drop(tf.tanh(this.linear(features, 'bert.pooler.dense', drop))) as tf.Tensor2D, 'classifier', drop);
      case 'distilbert':
        return this.linear(drop(tf.relu(this.linear(features, 'pre_classifier', drop))) as tf.Tensor2D, 'classifier', drop);
    }
  }

  dispose(): void {
    this.params.dispose();
  }
}

type Dropout = (x: tf.Tensor, rate?: number) => tf.Tensor;
