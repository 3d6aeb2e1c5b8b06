/**
 * The `local` provider: a causal language model from a folder on disk (a Hugging Face GPT-2
 * family checkpoint — config.json, model.safetensors, tokenizer.json — or one a `pretrain` cell
 * wrote), run in-process with TensorFlow.js. No server, no network. Generation is greedy at
 * temperature 0, otherwise seeded sampling, so the same request gives the same text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpError, type Params } from '../types.js';
import { resolvePath } from '../sources/files.js';
import { sha256 } from '../../runtime/hash.js';
import type { ChatBackend, ChatMessage, Completion } from './providers.js';
import type { KvCache } from '../../ml/model.js';

interface Loaded {
  model: import('../../ml/model.js').Transformer;
  tok: import('../../ml/data.js').ModelTokenizer;
  tf: typeof import('../../ml/tf.js').tf;
}

/** Messages as one prompt: GPT-2-style base models have no chat template. */
export function promptText(messages: ChatMessage[]): string {
  return messages.map((m) => (m.role === 'assistant' ? m.content : m.content.trim())).join('\n\n') + '\n';
}

export class LocalModel implements ChatBackend {
  readonly endpoint: string;
  retried = 0;
  private readonly dir: string;
  private readonly fingerprint: string;
  private loading?: Promise<Loaded>;

  constructor(private readonly params: Params, baseDir: string) {
    const dir = params.model_dir as string | undefined;
    if (!dir) throw new OpError('provider local needs `model_dir:` (a folder with config.json, model.safetensors and tokenizer.json)');
    this.dir = resolvePath(dir, baseDir).abs;
    const weights = join(this.dir, 'model.safetensors');
    if (!existsSync(weights)) throw new OpError(`model_dir \`${dir}\` has no model.safetensors`);
    // the weights' hash is in every memo key: another model never answers from this one's memo
    this.fingerprint = sha256(readFileSync(weights)).slice(0, 16);
    this.endpoint = `local:${dir}`;
  }

  body(messages: ChatMessage[], seed: number): Record<string, unknown> {
    return { model: this.fingerprint, prompt: promptText(messages), temperature: this.params.temperature, max_tokens: this.params.max_tokens, seed };
  }

  private load(): Promise<Loaded> {
    this.loading ??= (async () => {
      const { useBackend, tf } = await import('../../ml/tf.js');
      const { loadPretrained, readHfConfig } = await import('../../ml/hf.js');
      const { ModelTokenizer } = await import('../../ml/data.js');
      await useBackend('auto');
      const { config } = readHfConfig(this.dir);
      if (config.family !== 'gpt2') throw new OpError(`model_dir holds a ${config.family} model: the local provider generates with a causal LM (gpt2 family)`);
      return { model: await loadPretrained(this.dir, { task: 'lm' }), tok: await ModelTokenizer.load(this.dir), tf };
    })().catch((e: Error) => {
      throw e instanceof OpError ? e : new OpError(`local model ${this.endpoint}: ${e.message}`);
    });
    return this.loading;
  }

  async send(body: Record<string, unknown>, signal: AbortSignal): Promise<Completion> {
    const { model, tok } = await this.load();
    const { mulberry32 } = await import('../../ml/random.js');
    const { disposeKv } = await import('../../ml/model.js');
    const temperature = body.temperature as number;
    const rand = mulberry32(body.seed as number);
    const eos = tok.eos();
    const ids = tok.pieces(body.prompt as string);
    const start = ids.length;
    const limit = model.config.maxPositions;
    if (start >= limit) throw new OpError(`the prompt is ${start} tokens; the local model reads at most ${limit}`);
    let finish = 'length';
    // the prompt once, then one token a step: earlier positions' keys and values are cached
    let cache: KvCache | undefined;
    try {
      while (ids.length - start < (body.max_tokens as number) && ids.length < limit) {
        if (signal.aborted) throw signal.reason;
        const step = model.decode(cache ? ids.slice(-1) : ids, cache);
        cache = step.cache;
        const next = temperature === 0 ? argmax(step.logits) : sample(step.logits, temperature, rand);
        if (next === eos) {
          finish = 'stop';
          break;
        }
        ids.push(next);
        // yield so a Ctrl-C and progress events get through between tokens
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      if (cache) disposeKv(cache);
    }
    const generated = ids.slice(start);
    return { text: generated.length ? tok.decode(generated).trim() : '', finish };
  }
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

function sample(logits: Float32Array, temperature: number, rand: () => number): number {
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  const p = Array.from(logits, (x) => Math.exp((x - max) / temperature));
  const total = p.reduce((a, b) => a + b, 0);
  let r = rand() * total;
  for (let i = 0; i < p.length; i++) {
    r -= p[i];
    if (r <= 0) return i;
  }
  return p.length - 1;
}
