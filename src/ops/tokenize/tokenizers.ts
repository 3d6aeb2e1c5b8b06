/**
 * Tokenizers the tokenize ops load: OpenAI's BPE encodings (gpt-tokenizer) by name, or a
 * Hugging Face `tokenizer.json` (BPE, WordPiece, Unigram; @huggingface/tokenizers, pure JS).
 * Both behind one small interface: ids and counts of a text.
 */
import { readFileSync } from 'node:fs';
import type { Tokenizer } from '@huggingface/tokenizers';
import { OpError } from '../types.js';

export const ENCODINGS = ['cl100k_base', 'o200k_base', 'p50k_base', 'r50k_base'] as const;
export type EncodingName = (typeof ENCODINGS)[number];

export interface TextTokenizer {
  /** `cl100k_base`, or `tok/tokenizer.json, BPE` */
  label: string;
  encode(text: string): number[];
  count(text: string): number;
}

interface GptApi {
  encode(text: string, opts?: { disallowedSpecial?: Set<string> }): number[];
  countTokens(text: string, opts?: { disallowedSpecial?: Set<string> }): number;
}

/** The module of one encoding, imported only when used (each holds its ranks: several MB). */
export async function gptEncoding(name: EncodingName): Promise<GptApi> {
  switch (name) {
    case 'cl100k_base':
      return import('gpt-tokenizer/encoding/cl100k_base');
    case 'o200k_base':
      return import('gpt-tokenizer/encoding/o200k_base');
    case 'p50k_base':
      return import('gpt-tokenizer/encoding/p50k_base');
    case 'r50k_base':
      return import('gpt-tokenizer/encoding/r50k_base');
  }
}

/**
 * An OpenAI encoding. Text that spells a special token (`<|endoftext|>`) is counted as the
 * ordinary text it is: data is never read as control tokens (and never makes the library throw).
 */
export async function loadEncoding(name: EncodingName): Promise<TextTokenizer> {
  const api = await gptEncoding(name);
  const opts = { disallowedSpecial: new Set<string>() };
  return { label: name, encode: (t) => api.encode(t, opts), count: (t) => api.countTokens(t, opts) };
}

/** What a tokenizer.json holds, as far as the ops look at it. */
export interface TokenizerJson {
  model?: { type?: string; vocab?: unknown; merges?: unknown };
  added_tokens?: { id: number; content: string; special?: boolean }[];
  [k: string]: unknown;
}

/**
 * Parse and build a Hugging Face tokenizer. Throws an OpError naming the file when it is not
 * JSON, not a tokenizer.json, or uses a component the JS library does not implement.
 */
export async function buildHfTokenizer(json: unknown, config: unknown, label: string): Promise<Tokenizer> {
  // imported on first use: recipes without a tokenizer.json never load the library
  const { Tokenizer } = await import('@huggingface/tokenizers');
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new OpError(`${label}: not a tokenizer.json (expected a JSON object with a "model")`);
  const j = json as TokenizerJson;
  if (!j.model || typeof j.model !== 'object') throw new OpError(`${label}: not a tokenizer.json (no "model" object)`);
  // files written by other tools may leave out the optional components: the library wants them present
  const full: Record<string, unknown> = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...j };
  try {
    return new Tokenizer(full, config && typeof config === 'object' ? config : {});
  } catch (e) {
    throw new OpError(`${label}: cannot load this tokenizer: ${(e as Error).message}`);
  }
}

export function readJsonFile(abs: string, label: string): unknown {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OpError(code === 'ENOENT' ? `${label}: file not found` : `${label}: cannot read (${code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OpError(`${label}: not valid JSON (${(e as Error).message})`);
  }
}

/** The model type a tokenizer.json declares (BPE, WordPiece, Unigram…), inferred like the library does when absent. */
export function modelType(json: TokenizerJson): string {
  const m = json.model ?? {};
  if (typeof m.type === 'string') return m.type;
  if (Array.isArray(m.vocab)) return 'Unigram';
  return 'merges' in m ? 'BPE' : 'WordPiece';
}

/**
 * A Hugging Face tokenizer from a tokenizer.json (and optionally its tokenizer_config.json).
 * `specials`: count the tokens the post-processor adds ([CLS] … [SEP], <s> … </s>).
 */
export async function loadHfTokenizer(abs: string, label: string, opts: { configAbs?: string; configLabel?: string; specials?: boolean } = {}): Promise<TextTokenizer> {
  const json = readJsonFile(abs, label) as TokenizerJson;
  const config = opts.configAbs ? readJsonFile(opts.configAbs, opts.configLabel ?? opts.configAbs) : {};
  const tok = await buildHfTokenizer(json, config, label);
  const add = opts.specials ?? false;
  const encode = (t: string) => (t === '' && !add ? [] : tok.encode(t, { add_special_tokens: add }).ids);
  return { label: `${label}, ${modelType(json)}`, encode, count: (t) => encode(t).length };
}

/** The text of a cell to tokenize: strings as they are, nothing for null, other values as JSON. */
export function cellText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return undefined;
  return JSON.stringify(v);
}
