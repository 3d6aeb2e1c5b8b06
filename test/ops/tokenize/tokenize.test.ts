import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';
import { tokenize } from '../../../src/ops/tokenize/tokenize.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { runOp } from './harness.js';
import { WORDPIECE_FIXTURE } from './fixtures.js';

const plain = { disallowedSpecial: new Set<string>() };
const TEXTS = ['Hello, world!', 'The quick brown fox jumps over the lazy dog. '.repeat(3), 'naïve café 東京 🎉', 'a'];
const rows = TEXTS.map((text, i) => ({ id: `r${i}`, text }));

describe('tokenize', () => {
  it('adds the token count of the library called directly (cl100k_base by default)', async () => {
    const r = await runOp(tokenize, rows, {});
    expect(r.rows.map((x) => x.tokens)).toEqual(TEXTS.map((t) => cl100k.countTokens(t, plain)));
    expect(r.rows.map((x) => x.text)).toEqual(TEXTS);
    expect(r.rows[0]).toEqual({ id: 'r0', text: 'Hello, world!', tokens: 4 });
    const o = await runOp(tokenize, rows, { tokenizer: 'o200k_base' });
    expect(o.rows.map((x) => x.tokens)).toEqual(TEXTS.map((t) => o200k.countTokens(t)));
  });

  it('stores ids on request, under a renamed column too', async () => {
    const r = await runOp(tokenize, rows, { ids: true });
    expect(r.rows.map((x) => x.token_ids)).toEqual(TEXTS.map((t) => cl100k.encode(t)));
    expect(r.rows[0].token_ids).toEqual([9906, 11, 1917, 0]);
    const n = await runOp(tokenize, rows, { into: 'n', ids: true });
    expect(Object.keys(n.rows[0])).toEqual(['id', 'text', 'n', 'n_ids']);
  });

  it('drops rows over max_tokens with the count, the limit and the tokenizer', async () => {
    const long = cl100k.countTokens(TEXTS[1]);
    const r = await runOp(tokenize, rows, { max_tokens: 10 });
    expect(r.rows.map((x) => x.id)).toEqual(['r0', 'r2', 'r3']);
    expect(r.dropped).toEqual([{ id: 'r1', reason: 'too many tokens', detail: `${long} tokens > 10 (cl100k_base)` }]);
    expect(r.notes.at(-1)).toBe(`over 10 tokens: 1 dropped (25.0%); ${4 + cl100k.countTokens(TEXTS[2]) + 1} tokens kept`);
  });

  it('truncates to a prefix whose own count is within max_tokens, and says how many', async () => {
    const r = await runOp(tokenize, rows, { max_tokens: 5, action: 'truncate', ids: true });
    expect(r.dropped).toEqual([]);
    const cut = r.rows[1];
    expect(cut.text).toBe('The quick brown fox jumps');
    expect(cut.tokens).toBe(5);
    expect(cut.token_ids).toEqual(cl100k.encode('The quick brown fox jumps'));
    // 🎉 is 3 tokens; the prefix stops before it rather than split it
    expect(cl100k.countTokens('naïve café 東京 🎉')).toBeGreaterThan(5);
    expect(TEXTS[2].startsWith(r.rows[2].text as string)).toBe(true);
    expect(r.rows[2].tokens).toBe(cl100k.countTokens(r.rows[2].text as string));
    expect(r.rows[2].tokens).toBeLessThanOrEqual(5);
    expect(r.notes.at(-1)).toMatch(/^over 5 tokens: 2 truncated \(50\.0%\); \d+ tokens kept$/);
  });

  it('counts null as 0 tokens and non-text values as JSON, and says so', async () => {
    const r = await runOp(tokenize, [{ id: 'a', text: null }, { id: 'b' }, { id: 'c', text: { k: [1, 2] } }], {});
    expect(r.rows.map((x) => x.tokens)).toEqual([0, 0, cl100k.countTokens('{"k":[1,2]}')]);
    expect(r.notes).toContain('2 rows without text in `text` (0 tokens)');
    expect(r.notes).toContain('1 row with a non-text `text`, counted as JSON');
  });

  it('notes count, mean, p50, p95, max and a histogram', async () => {
    const texts = ['one', 'one two', 'one two three four', 'x '.repeat(20)];
    const counts = texts.map((t) => cl100k.countTokens(t));
    expect(counts).toEqual([1, 2, 4, 21]);
    const r = await runOp(tokenize, texts.map((text, i) => ({ id: i, text })), {});
    const chars = texts.reduce((n, t) => n + t.length, 0);
    expect(r.notes).toEqual([
      `4 rows, 28 tokens (cl100k_base) · per row mean 7 · p50 2 · p95 21 · max 21 · ${(chars / 28).toFixed(2)} chars/token`,
      '      1 │██████████████████████████████│ 1  25.0%',
      '    2–3 │██████████████████████████████│ 1  25.0%',
      '    4–7 │██████████████████████████████│ 1  25.0%',
      '   8–15 │                              │ 0   0.0%',
      '  16–31 │██████████████████████████████│ 1  25.0%',
    ]);
  });

  it('keeps split parts apart: rows to their own part, notes per part', async () => {
    const r = await runOp(tokenize, { train: rows.slice(0, 3), test: rows.slice(3) }, { max_tokens: 10 });
    expect(r.kept.map((k) => [k.row.id, k.part])).toEqual([
      ['r0', 'train'],
      ['r2', 'train'],
      ['r3', 'test'],
    ]);
    expect(r.notes.filter((n) => /^(train|test): \d+ rows/.test(n))).toHaveLength(2);
    expect(r.notes).toContain('test: over 10 tokens: 0 dropped (0.0%); 1 tokens kept');
    expect(r.notes.find((n) => n.startsWith('train: 3 rows'))).toBeDefined();
  });

  it('loads a tokenizer.json relative to the recipe, counting special tokens on request', async () => {
    const dir = tempProject({ 'tok/wp.json': JSON.stringify(WORDPIECE_FIXTURE) });
    const r = await runOp(tokenize, [{ id: 'a', text: 'Unaffable, hello!' }, { id: 'b', text: 'HELLO xyz' }], { tokenizer_file: 'tok/wp.json', ids: true }, dir);
    expect(r.rows.map((x) => [x.tokens, x.token_ids])).toEqual([
      [6, [3, 4, 5, 6, 7, 8]],
      [2, [7, 0]],
    ]);
    expect(r.notes[0]).toMatch(/^2 rows, 8 tokens \(tok\/wp\.json, WordPiece\)/);
    const s = await runOp(tokenize, [{ id: 'a', text: 'HELLO xyz' }], { tokenizer_file: 'tok/wp.json', special_tokens: true, max_tokens: 3 }, dir);
    expect(s.dropped).toEqual([{ id: 'a', reason: 'too many tokens', detail: '4 tokens > 3 (tok/wp.json, WordPiece)' }]);
    await expect(runOp(tokenize, rows, { tokenizer_file: 'tok/missing.json' }, dir)).rejects.toThrow(/tokenizer file not found: tok\/missing\.json/);
  });
});

describe('tokenize in a recipe', () => {
  const data = Array.from({ length: 40 }, (_, i) => ({ id: `t${i}`, text: i % 10 === 0 ? 'word '.repeat(60 + i) : `ticket number ${i}: my order has not arrived`, label: i % 2 ? 'a' : 'b' }));
  const files = {
    'data/t.jsonl': data.map((r) => JSON.stringify(r)).join('\n') + '\n',
    'r.ftr': `recipe tok
seed 3
source t = jsonl "data/t.jsonl"
cell parts = t | split 75% 25%
cell counted = parts | tokenize text o200k_base max_tokens: 50
cell cut = t | tokenize max_tokens: 8 truncate
export counted | write "out/"
`,
  };

  it('counts, drops with reasons per part, writes the tokens column; re-runs from the cache', async () => {
    const dir = tempProject(files);
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    const c = cells.get('counted')!;
    expect(c.dropped).toEqual({ 'too many tokens': 4 });
    expect(c.rowsOut).toBe(36);
    expect(Object.keys(c.parts!)).toEqual(['train', 'val']);
    expect(c.notes!.filter((n) => /^(train|val): \d+ rows, \d+ tokens \(o200k_base\)/.test(n))).toHaveLength(2);
    const train = readJsonl(join(dir, 'out', 'train.jsonl'));
    for (const r of train) expect(r.tokens).toBe(o200k.countTokens(r.text as string));
    const cut = cells.get('cut')!;
    expect(cut.rowsOut).toBe(40);
    expect(cut.notes).toContain('over 8 tokens: 40 truncated (100.0%); 320 tokens kept');
    const rejects = await ftr('rejects', join(dir, 'r.ftr'), 'counted', '--json');
    expect(rejects.code).toBe(0);
    expect(rejects.out).toContain('too many tokens');
    expect(rejects.out).toMatch(/\d+ tokens > 50 \(o200k_base\)/);
    const again = await runJson(join(dir, 'r.ftr'));
    expect([...again.cells.values()].every((x) => x.status === 'cached')).toBe(true);
  });

  it('checks its params before reading data', async () => {
    const dir = tempProject({
      ...files,
      'r.ftr': `recipe bad
source t = jsonl "data/t.jsonl"
cell a = t | tokenize lable
cell b = t | tokenize tokenizer: cl100k_base tokenizer_file: "x.json"
cell c = t | tokenize truncate
cell d = t | tokenize special_tokens
cell e = t | tokenize into: "text"
cell f = t | tokenize tokenizer_config: "missing.json"
`,
    });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    const out = r.out + r.err;
    expect(out).toContain('unknown column `lable`');
    expect(out).toContain('give `tokenizer` or `tokenizer_file`, not both');
    expect(out).toContain('`truncate` needs `max_tokens`');
    expect(out).toContain('`special_tokens` applies to a `tokenizer_file` only');
    expect(out).toContain('would overwrite the text column');
    expect(out).toContain('file not found: `missing.json`');
  });

  it('runs as a real CLI process', async () => {
    const dir = tempProject(files);
    const { ftrProcess } = await import('../../helpers.js');
    const r = ftrProcess(['run', join(dir, 'r.ftr')]);
    expect(r.code).toBe(0);
    expect(r.out + r.err).toMatch(/train: \d+ rows, [\d,]+ tokens \(o200k_base\)/);
    expect(readFileSync(join(dir, 'out', 'val.jsonl'), 'utf8')).toContain('"tokens":');
  });
});
