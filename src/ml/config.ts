/** Model hyper-parameters, read from (and written as) a Hugging Face `config.json`. */

export const FAMILIES = ['bert', 'distilbert', 'gpt2'] as const;
export type Family = (typeof FAMILIES)[number];

export type Activation = 'gelu' | 'gelu_new' | 'relu';

export interface ModelConfig {
  family: Family;
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  /** BERT's segment embeddings (0 for models without them) */
  typeVocab: number;
  eps: number;
  act: Activation;
  dropout: number;
  padId: number;
}

export class ConfigError extends Error {}

function num(json: Record<string, unknown>, key: string, label: string, fallback?: number): number {
  const v = json[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`${label}: \`${key}\` is missing`);
  }
  throw new ConfigError(`${label}: \`${key}\` is ${JSON.stringify(v)}, expected a number`);
}

function act(v: unknown, label: string): Activation {
  if (v === 'gelu' || v === 'gelu_new' || v === 'relu') return v;
  // the tanh approximation under its other names
  if (v === 'gelu_pytorch_tanh' || v === 'gelu_fast') return 'gelu_new';
  throw new ConfigError(`${label}: activation ${JSON.stringify(v)} is not supported (gelu, gelu_new, relu)`);
}

/** A config.json's fields for the architectures ftr runs (MiniLM checkpoints are `bert`). */
export function fromHfConfig(json: Record<string, unknown>, label = 'config.json'): ModelConfig {
  const type = json.model_type;
  switch (type) {
    case 'bert':
      return {
        family: 'bert',
        vocabSize: num(json, 'vocab_size', label),
        hidden: num(json, 'hidden_size', label),
        layers: num(json, 'num_hidden_layers', label),
        heads: num(json, 'num_attention_heads', label),
        intermediate: num(json, 'intermediate_size', label),
        maxPositions: num(json, 'max_position_embeddings', label),
        typeVocab: num(json, 'type_vocab_size', label, 2),
        eps: num(json, 'layer_norm_eps', label, 1e-12),
        act: act(json.hidden_act ?? 'gelu', label),
        dropout: num(json, 'hidden_dropout_prob', label, 0.1),
        padId: num(json, 'pad_token_id', label, 0),
      };
    case 'distilbert':
      if (json.sinusoidal_pos_embds === true) throw new ConfigError(`${label}: sinusoidal position embeddings are not supported`);
      return {
        family: 'distilbert',
        vocabSize: num(json, 'vocab_size', label),
        hidden: num(json, 'dim', label),
        layers: num(json, 'n_layers', label),
        heads: num(json, 'n_heads', label),
        intermediate: num(json, 'hidden_dim', label),
        maxPositions: num(json, 'max_position_embeddings', label),
        typeVocab: 0,
        eps: 1e-12,
        act: act(json.activation ?? 'gelu', label),
        dropout: num(json, 'dropout', label, 0.1),
        padId: num(json, 'pad_token_id', label, 0),
      };
    case 'gpt2': {
      const hidden = num(json, 'n_embd', label);
      return {
        family: 'gpt2',
        vocabSize: num(json, 'vocab_size', label),
        hidden,
        layers: num(json, 'n_layer', label),
        heads: num(json, 'n_head', label),
        intermediate: num(json, 'n_inner', label, 4 * hidden),
        maxPositions: num(json, 'n_positions', label),
        typeVocab: 0,
        eps: num(json, 'layer_norm_epsilon', label, 1e-5),
        act: act(json.activation_function ?? 'gelu_new', label),
        dropout: num(json, 'resid_pdrop', label, 0.1),
        // GPT-2 has no pad token: padding positions are masked, their id does not matter
        padId: num(json, 'pad_token_id', label, num(json, 'eos_token_id', label, 0)),
      };
    }
    default:
      throw new ConfigError(`${label}: model_type ${JSON.stringify(type)} is not supported`, );
  }
}

export function checkConfig(c: ModelConfig, label = 'model'): void {
  if (c.hidden % c.heads !== 0) throw new ConfigError(`${label}: hidden size ${c.hidden} is not divisible by ${c.heads} heads`);
  for (const k of ['vocabSize', 'hidden', 'layers', 'heads', 'intermediate', 'maxPositions'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ConfigError(`${label}: ${k} must be a positive integer, got ${c[k]}`);
  }
}

/** The config.json Transformers writes for this model (plus labels for classification heads). */
export function toHfConfig(c: ModelConfig, extra: { architectures: string[]; labels?: string[] }): Record<string, unknown> {
  const labels = extra.labels?.length
    ? { id2label: Object.fromEntries(extra.labels.map((l, i) => [String(i), l])), label2id: Object.fromEntries(extra.labels.map((l, i) => [l, i])) }
    : {};
  switch (c.family) {
    case 'bert':
      return {
        architectures: extra.architectures,
        model_type: 'bert',
        vocab_size: c.vocabSize,
        hidden_size: c.hidden,
        num_hidden_layers: c.layers,
        num_attention_heads: c.heads,
        intermediate_size: c.intermediate,
        hidden_act: c.act,
        max_position_embeddings: c.maxPositions,
        type_vocab_size: c.typeVocab,
        layer_norm_eps: c.eps,
        hidden_dropout_prob: c.dropout,
        attention_probs_dropout_prob: c.dropout,
        pad_token_id: c.padId,
        initializer_range: 0.02,
        ...labels,
      };
    case 'distilbert':
      return {
        architectures: extra.architectures,
        model_type: 'distilbert',
        vocab_size: c.vocabSize,
        dim: c.hidden,
        n_layers: c.layers,
        n_heads: c.heads,
        hidden_dim: c.intermediate,
        activation: c.act,
        max_position_embeddings: c.maxPositions,
        sinusoidal_pos_embds: false,
        dropout: c.dropout,
        attention_dropout: c.dropout,
        pad_token_id: c.padId,
        initializer_range: 0.02,
        ...labels,
      };
    case 'gpt2':
      return {
        architectures: extra.architectures,
        model_type: 'gpt2',
        vocab_size: c.vocabSize,
        n_embd: c.hidden,
        n_layer: c.layers,
        n_head: c.heads,
        n_inner: c.intermediate,
        n_positions: c.maxPositions,
        activation_function: c.act,
        layer_norm_epsilon: c.eps,
        resid_pdrop: c.dropout,
        embd_pdrop: c.dropout,
        attn_pdrop: c.dropout,
        bos_token_id: c.padId,
        eos_token_id: c.padId,
        initializer_range: 0.02,
        ...labels,
      };
  }
}
