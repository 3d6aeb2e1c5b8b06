import { describe, expect, it } from 'vitest';
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import { truncateToTokens } from '../../../src/ops/tokenize/truncate.js';
import { loadEncoding, type TextTokenizer } from '../../../src/ops/tokenize/tokenizers.js';
import { bar, bucketOf, histogram, percentile, summarize } from '../../../src/ops/tokenize/stats.js';
import { prng } from '../../../src/runtime/hash.js';

/** One token per word and per punctuation mark: easy to reason about. */
const words: TextTokenizer = {
  label: 'words',
  encode: (t) => (t.match(/\w+|[^\w\s]/g) ?? []).map((_, i) => i),
  count: (t) => (t.match(/\w+|[^\w\s]/g) ?? []).length,
};

describe('truncateToTokens', () => {
  it('keeps the longest prefix with at most N tokens', () => {
    const text = 'one two three, four five six seven';
    const cut = truncateToTokens(text, 4, words, words.count(text))!;
    // one, two, three and the comma; the space after it adds no token, the next character starts a fifth
    expect(cut).toEqual({ text: 'one two three, ', tokens: 4 });
    expect(words.count(text.slice(0, cut.text.length + 1))).toBe(5);
  });

  it('is a prefix within the budget, maximal, for many texts and limits (cl100k_base)', async () => {
    const tok = await loadEncoding('cl100k_base');
    const rand = prng(7);
    const alphabet = ['a', 'b', ' ', 'the', ' word', '.', '\n', 'é', '東京', '🎉', '👩‍👩‍👧', '  ', '123'];
    for (let n = 0; n < 60; n++) {
      let text = '';
      const len = 5 + Math.floor(rand() * 120);
      for (let i = 0; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
      const total = tok.count(text);
      const max = 1 + Math.floor(rand() * total);
      if (total <= max) continue;
      const cut = truncateToTokens(text, max, tok, total)!;
      expect(text.startsWith(cut.text)).toBe(true);
      expect(cut.tokens).toBe(tok.count(cut.text));
      expect(cut.tokens).toBeLessThanOrEqual(max);
      expect(cut.text).not.toMatch(/\uFFFD/);
      // never half a surrogate pair
      expect(cut.text).not.toMatch(/[\uD800-\uDBFF]$/);
      // the search ends where the next whole character is over the budget
      const next = text.slice(0, cut.text.length + (text.codePointAt(cut.text.length)! > 0xffff ? 2 : 1));
      expect(tok.count(next)).toBeGreaterThan(max);
    }
  });

  it('never splits a character that byte-level BPE spreads over several tokens', async () => {
    const tok = await loadEncoding('cl100k_base');
    // 🎉 is 3 cl100k tokens: 4 tokens hold one and a third of two
    expect(cl100k.encode('🎉🎉').length).toBe(6);
    expect(truncateToTokens('🎉🎉', 4, tok, 6)).toEqual({ text: '🎉', tokens: 3 });
    expect(truncateToTokens('🎉🎉', 2, tok, 6)).toEqual({ text: '', tokens: 0 });
  });

  it('gives up when even the empty text is over (a post-processor adding special tokens)', () => {
    const specials: TextTokenizer = { label: 's', encode: () => [], count: (t) => 2 + words.count(t) };
    expect(truncateToTokens('a b c', 1, specials, 5)).toBeUndefined();
    expect(truncateToTokens('a b c', 3, specials, 5)).toEqual({ text: 'a ', tokens: 3 });
  });

  it('stays near the kept length on a long text (galloping, not bisecting the whole text)', async () => {
    const tok = await loadEncoding('cl100k_base');
    const text = 'lorem ipsum dolor sit amet '.repeat(20000);
    let calls = 0;
    let longest = 0;
    const counting: TextTokenizer = {
      ...tok,
      count: (t) => {
        calls++;
        longest = Math.max(longest, t.length);
        return tok.count(t);
      },
    };
    const cut = truncateToTokens(text, 100, counting, tok.count(text))!;
    expect(cut.tokens).toBe(100);
    expect(longest).toBeLessThan(2000);
    expect(calls).toBeLessThan(40);
  });
});

describe('length statistics', () => {
  it('percentiles are nearest-rank', () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(s, 50)).toBe(5);
    expect(percentile(s, 95)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
    expect(summarize([10, 0, 5])).toEqual({ count: 3, mean: 5, p50: 5, p95: 10, max: 10, total: 15 });
  });

  it('buckets by powers of two', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 512, 1023, 1024].map(bucketOf)).toEqual([0, 1, 2, 2, 3, 3, 4, 10, 10, 11]);
    expect(bar(1, 8, 1)).toBe('▏');
    expect(bar(8, 8, 2)).toBe('██');
    expect(bar(0, 8, 2)).toBe('');
  });

  it('draws a bar chart from the lowest to the highest bucket, empty buckets between', () => {
    expect(histogram([5, 6, 100, 1500], 10)).toEqual([
      '          4–7 │██████████│ 2  50.0%',
      '         8–15 │          │ 0   0.0%',
      '        16–31 │          │ 0   0.0%',
      '        32–63 │          │ 0   0.0%',
      '       64–127 │█████     │ 1  25.0%',
      '      128–255 │          │ 0   0.0%',
      '      256–511 │          │ 0   0.0%',
      '    512–1,023 │          │ 0   0.0%',
      '  1,024–2,047 │█████     │ 1  25.0%',
    ]);
    expect(histogram([0, 0, 1, 3], 4)).toEqual(['    0 │████│ 2  50.0%', '    1 │██  │ 1  25.0%', '  2–3 │██  │ 1  25.0%']);
    expect(histogram([])).toEqual([]);
  });
});
