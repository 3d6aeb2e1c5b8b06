/**
 * Tokenizer splitting agrees with tiktoken and Hugging Face `tokenizers` (Rust) on Unicode
 * White_Space: JavaScript's `\s` also matches U+FEFF and misses U+0085, and gpt-tokenizer's rank
 * lookup dropped a leading BOM. Expected ids come from tiktoken 0.14 and tokenizers 0.23 (the
 * interop suite checks 1,000 such strings against the libraries themselves).
 */
import { describe, expect, it } from 'vitest';
import { buildHfTokenizer, loadEncoding, unicodeSpaces } from '../../../src/ops/tokenize/tokenizers.js';

const TEXT = 'x\u0085\u0085 y\ufeff\ufeff\ufeff z \ufeffword';

describe('OpenAI encodings split and merge as tiktoken does', () => {
  it.each([
    ['cl100k_base', [87, 126, 227, 126, 227, 379, 3305, 3305, 3305, 1167, 76880, 1178]],
    ['o200k_base', [87, 126, 227, 126, 227, 342, 135153, 5574, 579, 71280, 1801]],
    ['p50k_base', [87, 126, 227, 126, 227, 331, 171, 119, 123, 171, 119, 123, 171, 119, 123, 1976, 27332, 119, 123, 4775]],
    ['r50k_base', [87, 126, 227, 126, 227, 331, 171, 119, 123, 171, 119, 123, 171, 119, 123, 1976, 27332, 119, 123, 4775]],
  ] as const)('%s on NEL and BOM', async (name, ids) => {
    const enc = await loadEncoding(name);
    expect(enc.encode(TEXT)).toEqual(ids);
    expect(enc.count(TEXT)).toBe(ids.length);
  });
});

describe('tokenizer.json pre-tokenizers split on White_Space as the Rust library does', () => {
  it('ByteLevel (GPT-2 pattern)', async () => {
    const tok = await buildHfTokenizer({ model: { type: 'BPE', vocab: {}, merges: [] }, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true } }, {}, 't');
    const pre = (tok as unknown as { pre_tokenizer: (t: string) => string[] }).pre_tokenizer;
    expect(pre('a\u0085\u0085?! x\ufeffy')).toEqual(['a', 'Âħ', 'Âħ', '?!', 'Ġx', 'ï»¿', 'y']);
  });

  it('unicodeSpaces rewrites \\s and \\S (in and out of classes), leaves escaped backslashes and non-u patterns', () => {
    expect(unicodeSpaces(/ ?[^\s\p{L}]+|\s+(?!\S)/gu).source).toBe(' ?[^\\p{White_Space}\\p{L}]+|\\p{White_Space}+(?!\\P{White_Space})');
    expect(unicodeSpaces(/a\\s/u).source).toBe('a\\\\s');
    const plain = /\s+/g;
    expect(unicodeSpaces(plain)).toBe(plain);
  });
});
