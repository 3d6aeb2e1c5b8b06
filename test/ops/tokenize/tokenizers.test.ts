import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@huggingface/tokenizers';
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';
import { ENCODINGS, loadEncoding, loadHfTokenizer } from '../../../src/ops/tokenize/tokenizers.js';
import { OpError } from '../../../src/ops/types.js';
import { ROOT, tempProject } from '../../helpers.js';
import { BPE_FIXTURE, FIXTURE_CASES, UNIGRAM_FIXTURE, WORDPIECE_FIXTURE } from './fixtures.js';

const TEXTS = ['hello world', 'Hello, world!', '', '  leading and trailing  ', 'naïve café 東京 🎉🎉', 'x'.repeat(5000), 'code: for (let i = 0; i < n; i++) {}\n\n\ttabbed'];

describe('OpenAI encodings', () => {
  it('give the published ids for known strings', async () => {
    // the values tiktoken gives (cl100k_base, o200k_base; p50k/r50k share GPT-2's ranks for these)
    const golden: Record<string, [number[], number[]]> = {
      cl100k_base: [[15339, 1917], [9906, 11, 1917, 0]],
      o200k_base: [[24912, 2375], [13225, 11, 2375, 0]],
      p50k_base: [[31373, 995], [15496, 11, 995, 0]],
      r50k_base: [[31373, 995], [15496, 11, 995, 0]],
    };
    for (const name of ENCODINGS) {
      const tok = await loadEncoding(name);
      expect(tok.label).toBe(name);
      expect(tok.encode('hello world')).toEqual(golden[name][0]);
      expect(tok.encode('Hello, world!')).toEqual(golden[name][1]);
      expect(tok.count('Hello, world!')).toBe(4);
    }
  });

  it('count and encode like the library called directly', async () => {
    const tok = await loadEncoding('cl100k_base');
    const o = await loadEncoding('o200k_base');
    for (const t of TEXTS) {
      expect(tok.encode(t)).toEqual(cl100k.encode(t));
      expect(tok.count(t)).toBe(cl100k.countTokens(t));
      expect(o.count(t)).toBe(o200k.countTokens(t));
    }
    expect(o.count('🎉')).toBe(2);
    expect(tok.count('🎉')).toBe(3);
  });

  it('read special-token text as plain text, never as a control token (and never throw)', async () => {
    const tok = await loadEncoding('cl100k_base');
    expect(() => cl100k.encode('<|endoftext|>')).toThrow();
    expect(tok.encode('<|endoftext|>')).toEqual([27, 91, 8862, 728, 428, 91, 29]);
    expect(tok.encode('<|endoftext|>')).not.toContain(100257);
  });
});

describe('Hugging Face tokenizer.json', () => {
  const dir = tempProject({
    'bpe.json': JSON.stringify(BPE_FIXTURE),
    'wordpiece.json': JSON.stringify(WORDPIECE_FIXTURE),
    'unigram.json': JSON.stringify(UNIGRAM_FIXTURE),
    'bad.json': '{ not json',
    'nomodel.json': '{"added_tokens": []}',
    'array.json': '[1, 2]',
    'config.json': '{}',
  });

  it('load BPE, WordPiece and Unigram and give the ids worked out by hand (and by the Rust library)', async () => {
    for (const kind of ['bpe', 'wordpiece', 'unigram'] as const) {
      const plain = await loadHfTokenizer(join(dir, `${kind}.json`), `${kind}.json`);
      const withSpecials = await loadHfTokenizer(join(dir, `${kind}.json`), `${kind}.json`, { specials: true, configAbs: join(dir, 'config.json') });
      for (const [text, ids, idsWithSpecials] of FIXTURE_CASES[kind]) {
        expect(plain.encode(text), `${kind} ${text}`).toEqual(ids);
        expect(plain.count(text)).toBe(ids.length);
        expect(withSpecials.encode(text), `${kind} ${text} with specials`).toEqual(idsWithSpecials);
      }
    }
    expect((await loadHfTokenizer(join(dir, 'bpe.json'), 'bpe.json')).label).toBe('bpe.json, BPE');
    expect((await loadHfTokenizer(join(dir, 'wordpiece.json'), 'wp')).label).toBe('wp, WordPiece');
    expect((await loadHfTokenizer(join(dir, 'unigram.json'), 'u')).label).toBe('u, Unigram');
  });

  it('agree with @huggingface/tokenizers called directly; the empty text has no tokens', async () => {
    const wp = await loadHfTokenizer(join(dir, 'wordpiece.json'), 'wp');
    const direct = new Tokenizer(WORDPIECE_FIXTURE, {});
    for (const t of ['Unaffable, HELLO!!', 'hello unaff', 'un-able']) expect(wp.encode(t)).toEqual(direct.encode(t, { add_special_tokens: false }).ids);
    expect(wp.count('')).toBe(0);
    expect((await loadHfTokenizer(join(dir, 'wordpiece.json'), 'wp', { specials: true })).count('')).toBe(2);
  });

  it('fail with the file named when it is missing, not JSON or not a tokenizer', async () => {
    await expect(loadHfTokenizer(join(dir, 'nope.json'), 'nope.json')).rejects.toThrow(new OpError('nope.json: file not found'));
    await expect(loadHfTokenizer(join(dir, 'bad.json'), 'bad.json')).rejects.toThrow(/^bad\.json: not valid JSON/);
    await expect(loadHfTokenizer(join(dir, 'nomodel.json'), 'nomodel.json')).rejects.toThrow('nomodel.json: not a tokenizer.json (no "model" object)');
    await expect(loadHfTokenizer(join(dir, 'array.json'), 'array.json')).rejects.toThrow(/not a tokenizer\.json/);
    await expect(loadHfTokenizer(join(dir, 'bad.json'), 'bad.json')).rejects.toBeInstanceOf(OpError);
  });

  it('read the trained fixtures exactly as the Rust tokenizers library does', async () => {
    // test/fixtures/tokenizers/make.mjs --rust: ids from Hugging Face's Rust library for the files train_tokenizer wrote
    const fx = join(ROOT, 'test', 'fixtures', 'tokenizers');
    const expected = JSON.parse(readFileSync(join(fx, 'rust-expected.json'), 'utf8')).expected as Record<string, { text: string; special_tokens: boolean; ids: number[] }[]>;
    expect(Object.keys(expected)).toEqual(['bpe-tickets.json', 'wordpiece-tickets.json']);
    for (const [file, cases] of Object.entries(expected)) {
      expect(cases.length).toBe(8);
      for (const c of cases) {
        const tok = await loadHfTokenizer(join(fx, file), file, { specials: c.special_tokens });
        expect(tok.encode(c.text), `${file}: ${c.text}`).toEqual(c.ids);
      }
    }
  });
});
