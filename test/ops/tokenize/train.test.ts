import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@huggingface/tokenizers';
import { BYTE_SYMBOLS, tokenizerJson, trainBpe, WordCounter, type TrainSpec } from '../../../src/ops/tokenize/bpe_train.js';
import { train_tokenizer } from '../../../src/ops/tokenize/train_tokenizer.js';
import { prng } from '../../../src/runtime/hash.js';
import { ftr, ROOT, runJson, tempProject } from '../../helpers.js';
import { runOp } from './harness.js';

/** BPE the slow, obvious way: recount every pair each round; the most frequent wins, ties to the smaller (left id, right id). */
function naiveBpe(words: Map<string, number>, vocabSize: number, minFrequency: number, prefix?: string) {
  const vocab: string[] = [];
  const chars = new Set<string>();
  const cont = new Set<string>();
  for (const w of words.keys()) Array.from(w).forEach((c, i) => (chars.add(c), prefix && i > 0 && cont.add(prefix + c)));
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  vocab.push(...[...chars].sort(cmp), ...[...cont].sort(cmp));
  const id = (t: string) => vocab.indexOf(t);
  let split = [...words].map(([w, f]) => [Array.from(w).map((c, i) => (prefix && i > 0 ? prefix + c : c)), f] as [string[], number]);
  const merges: [string, string][] = [];
  while (vocab.length < vocabSize) {
    const counts = new Map<string, [string, string, number]>();
    for (const [s, f] of split) for (let i = 0; i + 1 < s.length; i++) {
      const k = `${s[i]}\u0000${s[i + 1]}`;
      const e = counts.get(k) ?? [s[i], s[i + 1], 0];
      e[2] += f;
      counts.set(k, e);
    }
    let best: [string, string, number] | undefined;
    for (const e of counts.values()) {
      if (!best || e[2] > best[2] || (e[2] === best[2] && (id(e[0]) < id(best[0]) || (id(e[0]) === id(best[0]) && id(e[1]) < id(best[1]))))) best = e;
    }
    if (!best || best[2] < minFrequency) break;
    const [a, b] = best;
    const n = a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b);
    if (!vocab.includes(n)) vocab.push(n);
    merges.push([a, b]);
    split = split.map(([s, f]) => {
      const o: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          o.push(n);
          i++;
        } else o.push(s[i]);
      }
      return [o, f];
    });
  }
  return { vocab, merges };
}

describe('BPE training', () => {
  it('learns the merges of the textbook example (Sennrich et al. 2016), ties to the smaller ids', () => {
    const words = new Map([
      ['low', 5],
      ['lower', 2],
      ['newest', 6],
      ['widest', 3],
    ]);
    const r = trainBpe(words, { vocabSize: 1000, minFrequency: 2, specialTokens: ['<s>'] });
    expect(r.merges.map((m) => m.join(' '))).toEqual(['e s', 'es t', 'l o', 'lo w', 'e w', 'n ew', 'new est', 'd est', 'i dest', 'w idest', 'e r', 'low er']);
    expect(r.vocab.slice(0, 11)).toEqual(['<s>', 'd', 'e', 'i', 'l', 'n', 'o', 'r', 's', 't', 'w']);
    expect(r.alphabet).toBe(10);
    expect(r.stop).toBe('min_frequency');
    // vocab_size counts the special token and the alphabet
    const capped = trainBpe(words, { vocabSize: 14, minFrequency: 1, specialTokens: ['<s>'] });
    expect(capped.vocab).toHaveLength(14);
    expect(capped.merges.map((m) => m.join(' '))).toEqual(['e s', 'es t', 'l o']);
    expect(capped.stop).toBe('vocab_size');
  });

  it('matches the obvious recount-everything algorithm on random corpora (BPE and ## WordPiece)', () => {
    const rand = prng(11);
    for (let round = 0; round < 25; round++) {
      const words = new Map<string, number>();
      const letters = 'aabbcdeé🎉'.slice(0, 3 + (round % 7));
      const n = 5 + Math.floor(rand() * 40);
      for (let i = 0; i < n; i++) {
        let w = '';
        const len = 1 + Math.floor(rand() * 9);
        for (let j = 0; j < len; j++) w += Array.from(letters)[Math.floor(rand() * Array.from(letters).length)];
        words.set(w, (words.get(w) ?? 0) + 1 + Math.floor(rand() * 4));
      }
      const prefix = round % 2 ? '##' : undefined;
      const size = 10 + Math.floor(rand() * 60);
      const minF = 1 + (round % 3);
      const fast = trainBpe(words, { vocabSize: size, minFrequency: minF, specialTokens: [], prefix });
      const slow = naiveBpe(words, size, minF, prefix);
      expect(fast.merges, `round ${round}`).toEqual(slow.merges);
      expect(fast.vocab, `round ${round}`).toEqual(slow.vocab);
    }
  });

  it('byte-level: all 256 byte symbols in the vocabulary, so unseen text still encodes without loss', async () => {
    const spec: TrainSpec = { model: 'bpe', vocabSize: 300, minFrequency: 2, specialTokens: ['<|endoftext|>'], lowercase: false };
    const counter = await WordCounter.create(spec);
    for (let i = 0; i < 50; i++) counter.add(`hello world number ${i}<|endoftext|>hello again`);
    expect(counter.words.get('Ġworld')).toBe(50);
    expect([...counter.words.keys()].some((w) => w.includes('endoftext'))).toBe(false);
    const r = trainBpe(counter.words, { vocabSize: 300, minFrequency: 2, specialTokens: spec.specialTokens, initialAlphabet: BYTE_SYMBOLS });
    expect(r.alphabet).toBe(256);
    expect(r.vocab[0]).toBe('<|endoftext|>');
    expect(r.vocab.slice(1, 4)).toEqual(['!', '"', '#']);
    const tok = new Tokenizer(tokenizerJson(spec, r), {});
    const text = 'Zürich 東京 🎉 never seen';
    const ids = tok.encode(text).ids;
    expect(ids).not.toContain(undefined);
    expect(tok.decode(ids)).toBe(text);
    expect(tok.encode('hello world<|endoftext|>').ids.at(-1)).toBe(0);
  });
});

describe('train_tokenizer', () => {
  const rows = Array.from({ length: 60 }, (_, i) => ({ id: `r${i}`, text: `The refund for order ${i % 7} has not arrived; please refund the order.` }));

  it('passes rows through unchanged and writes a tokenizer.json the JS library loads', async () => {
    const dir = tempProject({});
    const r = await runOp(train_tokenizer, rows, { path: 'tok/tokenizer.json', vocab_size: 300 }, dir);
    expect(r.rows).toEqual(rows);
    expect(r.dropped).toEqual([]);
    const text = readFileSync(join(dir, 'tok', 'tokenizer.json'), 'utf8');
    const json = JSON.parse(text);
    expect(json.model.type).toBe('BPE');
    // the corpus runs out of pairs seen twice before vocab_size
    expect(Object.keys(json.model.vocab)).toHaveLength(299);
    expect(json.model.merges).toHaveLength(42);
    expect(json.added_tokens).toEqual([{ id: 0, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }]);
    const sha = createHash('sha256').update(text).digest('hex');
    expect(r.notes).toEqual([
      'trained byte-level BPE on 60 texts in 60 rows: 840 words, 18 distinct',
      'vocabulary 299 tokens: 1 special + 256 alphabet + 42 from 42 merges; stopped: no pair left that occurs 2+ times (vocab_size 300)',
      'top tokens: "Ġorder" 14.3%, "Ġrefund" 14.3%, "." 7.1%, ";" 7.1%, "The" 7.1%, "Ġarrived" 7.1%, "Ġfor" 7.1%, "Ġhas" 7.1%, "Ġnot" 7.1%, "Ġplease" 7.1%',
      `chars_per_token ${(rows.reduce((n, r) => n + r.text.length, 0) / 840).toFixed(2)} on the training text (840 tokens; cl100k_base: 4.27, 900 tokens)`,
      `wrote tok/tokenizer.json (${Math.round(Buffer.byteLength(text) / 1024)} KB, sha256 ${sha})`,
    ]);
    const tok = new Tokenizer(json, {});
    expect(tok.encode('The refund has not arrived').tokens).toEqual(['The', 'Ġrefund', 'Ġhas', 'Ġnot', 'Ġarrived']);
    expect(tok.decode(tok.encode('Unseen: naïve 🎉').ids)).toBe('Unseen: naïve 🎉');
  });

  it('writes the same bytes whatever the order of the rows', async () => {
    const a = tempProject({});
    const b = tempProject({});
    const shuffled = [...rows].reverse();
    await runOp(train_tokenizer, rows, { path: 't.json', vocab_size: 280, min_frequency: 3 }, a);
    await runOp(train_tokenizer, shuffled, { path: 't.json', vocab_size: 280, min_frequency: 3 }, b);
    expect(readFileSync(join(a, 't.json'), 'utf8')).toBe(readFileSync(join(b, 't.json'), 'utf8'));
  });

  it('WordPiece: BERT-style file, [CLS] … [SEP] added when both are special tokens, unknown characters as [UNK]', async () => {
    const dir = tempProject({});
    const r = await runOp(train_tokenizer, rows, { path: 'wp.json', model: 'wordpiece', vocab_size: 80, lowercase: true }, dir);
    const json = JSON.parse(readFileSync(join(dir, 'wp.json'), 'utf8'));
    expect(json.model).toMatchObject({ type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##' });
    expect(json.added_tokens.map((t: { content: string }) => t.content)).toEqual(['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]']);
    expect(json.post_processor.type).toBe('TemplateProcessing');
    expect(r.notes[1]).toMatch(/^vocabulary \d+ tokens: 5 special \+ \d+ alphabet/);
    const tok = new Tokenizer(json, {});
    expect(tok.encode('REFUND the order').tokens).toEqual(['[CLS]', 'refund', 'the', 'order', '[SEP]']);
    // lowercase strips accents (ü → u); z never occurs in the corpus, so a word with it is unknown
    expect(tok.encode('Refünd zoo', { add_special_tokens: false }).tokens).toEqual(['refund', '[UNK]']);
  });

  it('round trip in a recipe: train, then tokenize with the written file downstream; cached on re-run', async () => {
    const dir = tempProject({
      'data/t.jsonl': rows.map((r) => JSON.stringify(r)).join('\n') + '\n',
      'r.ftr': `recipe rt
source t = jsonl "data/t.jsonl"
cell parts = t | split 50% 50%
cell trained = parts | train_tokenizer "tok/tokenizer.json" vocab_size: 290
cell counted = trained | tokenize tokenizer_file: "tok/tokenizer.json" ids
cell wp = t | train_tokenizer "tok/wp.json" wordpiece vocab_size: 100 special_tokens: ["[PAD]"] unk_token: "<unk>"
cell wp_counted = wp | tokenize tokenizer_file: "tok/wp.json"
cell both = t | train_tokenizer "tok/b.json" vocab_size: 270 | tokenize tokenizer_file: "tok/b.json"
export counted | write "out/"
`,
    });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    const trained = cells.get('trained')!;
    expect(trained.parts).toEqual(cells.get('parts')!.parts);
    const direct = new Tokenizer(JSON.parse(readFileSync(join(dir, 'tok', 'tokenizer.json'), 'utf8')), {});
    const out = readFileSync(join(dir, 'out', 'train.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(out.length).toBeGreaterThan(0);
    for (const row of out) {
      expect(row.token_ids).toEqual(direct.encode(row.text, { add_special_tokens: false }).ids);
      expect(row.tokens).toBe(row.token_ids.length);
    }
    // the token total of the training note is what tokenize counts over the same rows
    const trainedTokens = /chars_per_token [\d.]+ on the training text \(([\d,]+) tokens/.exec(trained.notes!.join('\n'))![1];
    const counted = cells.get('counted')!.notes!.filter((n) => /^(train|val): /.test(n) && n.includes('rows,')).map((n) => Number(/rows, ([\d,]+) tokens/.exec(n)![1].replace(/,/g, '')));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(Number(trainedTokens.replace(/,/g, '')));
    const wp = JSON.parse(readFileSync(join(dir, 'tok', 'wp.json'), 'utf8'));
    expect(wp.added_tokens.map((t: { content: string }) => t.content)).toEqual(['<unk>', '[PAD]']);
    expect(wp.post_processor).toBeNull();
    expect(cells.get('wp_counted')!.notes![0]).toMatch(/^60 rows, [\d,]+ tokens \(tok\/wp\.json, WordPiece\)/);
    // trained and used in one cell: the tokenize step reads the file the step before it wrote
    expect(cells.get('both')!.notes!.some((n) => /^60 rows, [\d,]+ tokens \(tok\/b\.json, BPE\)/.test(n))).toBe(true);
    const again = await runJson(join(dir, 'r.ftr'));
    expect([...again.cells.values()].every((c) => c.status === 'cached')).toBe(true);
  });

  it('reproduces the committed fixtures byte for byte (test/fixtures/tokenizers/make.mjs)', async () => {
    const fx = join(ROOT, 'test', 'fixtures', 'tokenizers');
    // the recipe of make.mjs
    const dir = tempProject({
      'tickets.jsonl': readFileSync(join(ROOT, 'examples', 'data', 'tickets.jsonl')),
      'recipe.ftr': `recipe tokenizer_fixtures
seed 1
source tickets = jsonl "tickets.jsonl" { id: .ticket_id, text: .body.text }
cell bpe = tickets | train_tokenizer "bpe-tickets.json" vocab_size: 400
cell wordpiece = tickets | train_tokenizer "wordpiece-tickets.json" wordpiece vocab_size: 300 lowercase
`,
    });
    expect(readFileSync(join(fx, 'make.mjs'), 'utf8')).toContain('cell wordpiece = tickets | train_tokenizer "wordpiece-tickets.json" wordpiece vocab_size: 300 lowercase');
    const { code } = await runJson(join(dir, 'recipe.ftr'));
    expect(code).toBe(0);
    for (const f of ['bpe-tickets.json', 'wordpiece-tickets.json']) expect(readFileSync(join(dir, f), 'utf8'), f).toBe(readFileSync(join(fx, f), 'utf8'));
  });

  it('checks its params before reading data', async () => {
    const dir = tempProject({
      'data/t.jsonl': '{"text": "a", "n": 1}\n',
      'r.ftr': `recipe bad
source t = jsonl "data/t.jsonl"
cell a = t | train_tokenizer "tok.txt"
cell b = t | train_tokenizer "t.json" vocab_size: 257
cell c = t | train_tokenizer "t.json" unk_token: "<unk>"
cell d = t | train_tokenizer "t.json" columns: n
cell e = t | train_tokenizer "t.json" special_tokens: ["<a>", "<a>"]
cell f = t | train_tokenizer "t.json" wordpiece vocab_size: 300
`,
    });
    const r = await ftr('check', join(dir, 'r.ftr'));
    const out = r.out + r.err;
    expect(r.code).toBe(1);
    expect(out).toContain('`tok.txt` is not a .json file');
    expect(out).toContain('`vocab_size` 257 leaves no room for merges');
    expect(out).toContain('`unk_token` is for `model: wordpiece`');
    expect(out).toContain('`n` holds number values, not text');
    expect(out).toContain('`<a>` is listed twice');
    expect(out).not.toContain('r.ftr:9');
  });

  it('writes inside the recipe folder only, unless --allow-write', async () => {
    const dir = tempProject({ 'sub/d.jsonl': '{"text": "a b"}\n', 'sub/r.ftr': 'recipe r\nsource t = jsonl "d.jsonl"\ncell a = t | train_tokenizer "../tok.json"\n' });
    const r = await ftr('check', join(dir, 'sub', 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain("`a` would write `../tok.json`, outside the recipe's folder");
  });
});
