/**
 * Tokenizers the tokenize ops load: OpenAI's BPE encodings (gpt-tokenizer) by name, or a
 * Hugging Face `tokenizer.json` (BPE, WordPiece, Unigram; @huggingface/tokenizers, pure JS).
 * Both behind one small interface: ids and counts of a text.
 */
import { readFileSync } from 'node:fs';
import type { Tokenizer } from '@huggingface/tokenizers';
import { OpError } from './op.js';

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

/**
 * A split pattern with Unicode White_Space for `\s` / `\S`, as tiktoken's and `tokenizers`' Rust
 * regexes read them. JavaScript's `\s` also matches U+FEFF and misses U+0085 (NEL), so the
 * JavaScript libraries split text holding either differently and give other ids. Only `u` patterns
 * are rewritten (`\p{…}` needs the flag; every pattern these libraries use has it).
 */
export function unicodeSpaces(re: RegExp): RegExp {
  if (!re.flags.includes('u') || !/\\[sS]/.test(re.source)) return re;
  // an escaped backslash stays as it is; \s / \S become the property, inside classes too
  const source = re.source.replace(/\\\\|\\s|\\S/g, (m) => (m === '\\s' ? '\\p{White_Space}' : m === '\\S' ? '\\P{White_Space}' : m));
  return new RegExp(source, re.flags);
}

/** The module of one encoding, imported only when used (each holds its ranks: several MB). */
export async function gptEncoding(name: EncodingName): Promise<GptApi> {
  const api = await importEncoding(name);
  // gpt-tokenizer splits with JavaScript's \s: give its BPE core the pattern as tiktoken reads it
  const core = (api as unknown as { default?: { bytePairEncodingCoreProcessor?: BpeCore } }).default?.bytePairEncodingCoreProcessor;
  if (!core?.tokenSplitRegex || typeof core.getBpeRankFromBytes !== 'function' || typeof core.binarySearch !== 'function') throw new Error(`gpt-tokenizer ${name}: its BPE core changed shape; ftr cannot correct its splitting`);
  if (!corrected.has(core)) {
    corrected.add(core);
    core.tokenSplitRegex = unicodeSpaces(core.tokenSplitRegex);
    // its byte → rank lookup decodes bytes with a TextDecoder that drops a leading BOM (EF BB BF),
    // so tokens starting with U+FEFF are never found; they sit in its sorted byte table: look there
    const lookup = core.getBpeRankFromBytes.bind(core);
    core.getBpeRankFromBytes = (key: Uint8Array) => {
      if (key.length >= 3 && key[0] === 0xef && key[1] === 0xbb && key[2] === 0xbf) {
        const i = core.binarySearch(key);
        return i === -1 ? undefined : core.bytePairNonUtfSortedEncoder[i][1];
      }
      return lookup(key);
    };
  }
  return api;
}

/** The parts of gpt-tokenizer's BytePairEncodingCore that ftr corrects. */
interface BpeCore {
  tokenSplitRegex: RegExp;
  getBpeRankFromBytes(key: Uint8Array): number | undefined;
  binarySearch(key: Uint8Array): number;
  bytePairNonUtfSortedEncoder: [Uint8Array, number][];
}
const corrected = new WeakSet<object>();

function importEncoding(name: EncodingName): Promise<GptApi> {
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
 * Give every regex-splitting pre-tokenizer of a built tokenizer the White_Space reading of `\s`
 * (ByteLevel's GPT-2 pattern and BertPreTokenizer's are hard-coded with JavaScript's `\s`;
 * `Split` patterns from the file are already translated by the library).
 */
function fixPreTokenizerSpaces(node: unknown, depth = 0): void {
  // the library's pre-tokenizers are callable objects (functions)
  if (!node || (typeof node !== 'object' && typeof node !== 'function') || depth > 8) return;
  const n = node as { pattern?: unknown; tokenizers?: unknown[] };
  if (n.pattern instanceof RegExp) n.pattern = unicodeSpaces(n.pattern);
  if (Array.isArray(n.tokenizers)) for (const t of n.tokenizers) fixPreTokenizerSpaces(t, depth + 1);
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
    const tok = new Tokenizer(full, config && typeof config === 'object' ? config : {});
    fixPreTokenizerSpaces((tok as unknown as { pre_tokenizer?: unknown }).pre_tokenizer);
    return tok;
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
