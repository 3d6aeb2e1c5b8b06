import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  c4Clean,
  countSentences,
  dupNgramChars,
  expandRules,
  finewebMetrics,
  gopherQualityMetrics,
  gopherRepetitionMetrics,
  quality,
  topNgramChars,
} from '../../../src/ops/curate/quality.js';
import { cpLen, splitLines, wordTokens } from '../../../src/ops/curate/textmetrics.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { runOp, withDefaults } from './run-op.js';

describe('text helpers', () => {
  it('tokenizes like NLTK: words, "...", and each other symbol alone', () => {
    expect(wordTokens("Don't stop... #tag 3.5 e-mail!")).toEqual(["Don't", 'stop', '...', '#', 'tag', '3.5', 'e-mail', '!']);
  });
  it('splits lines like Python splitlines and counts code points', () => {
    expect(splitLines('a\r\nb\rc\n\nd\n')).toEqual(['a', 'b', 'c', '', 'd']);
    expect(splitLines('')).toEqual([]);
    expect(cpLen('a😀b')).toBe(3);
  });
});

describe('gopher quality metrics (hand-computed)', () => {
  it('word count and mean word length over non-symbol words', () => {
    // tokens Hello , world ! Big words here . → n = 8; words Hello world Big words here = 5+5+3+5+4 = 22 chars / 5 = 4.4
    const m = gopherQualityMetrics('Hello, world! Big words here.');
    expect(m.doc_words).toBe(5);
    expect(m.avg_word_length).toBeCloseTo(4.4, 12);
  });
  it('hash and ellipsis per token', () => {
    // tokens # a # b # c d → 3 hashes / 7 tokens
    expect(gopherQualityMetrics('#a #b #c d').hash_ratio).toBeCloseTo(3 / 7, 12);
    // tokens wait ... what … now → ("..." 1 + "…" 1) / 5 tokens = 0.4
    expect(gopherQualityMetrics('wait... what… now').ellipsis_ratio).toBeCloseTo(0.4, 12);
  });
  it('bullet and ellipsis lines', () => {
    // lines "• one", " - two", "three" → 2 of 3 start with a bullet after lstrip
    expect(gopherQualityMetrics('• one\n - two\nthree\n').bullet_lines_ratio).toBeCloseTo(2 / 3, 12);
    // "a..." and "b …  " (rstrip) end with an ellipsis, "c" does not → 2/3
    expect(gopherQualityMetrics('a...\nb …  \nc').ellipsis_lines_ratio).toBeCloseTo(2 / 3, 12);
  });
  it('alphabetic tokens and distinct case-sensitive stop words', () => {
    // tokens abc 123 4.5 x1 → abc and x1 have a letter → 2/4
    expect(gopherQualityMetrics('abc 123 4.5 x1').alpha_words_ratio).toBe(0.5);
    // {the, of, with} present; repeats count once → 3
    expect(gopherQualityMetrics('the the the of of with').stop_words).toBe(3);
    // case-sensitive, as in datatrove: "The", "Of", "With" do not count → 1
    expect(gopherQualityMetrics('The Of With the').stop_words).toBe(1);
  });
});

describe('gopher repetition metrics (hand-computed)', () => {
  it('duplicate paragraphs and lines, by count and by characters', () => {
    // paragraphs aa | bb | aa → 1 duplicate of 3; its 2 chars / len 10
    const p = gopherRepetitionMetrics('aa\n\nbb\n\naa');
    expect(p.dup_para_frac).toBeCloseTo(1 / 3, 12);
    expect(p.dup_para_char_frac).toBeCloseTo(0.2, 12);
    // paragraphs "x\ny\nx" | "z" → none repeated; lines x y x z → 1 of 4, 1 char / len 8
    const l = gopherRepetitionMetrics('x\ny\nx\n\nz');
    expect(l.dup_para_frac).toBe(0);
    expect(l.dup_line_frac).toBe(0.25);
    expect(l.dup_line_char_frac).toBe(0.125);
  });
  it('top n-gram: length of the n-gram (spaces included) × count / characters', () => {
    const words = 'a b a b a b c'.split(' ');
    // 2-grams: "a b"×3, "b a"×2, "b c"×1 → 3 chars × 3 = 9
    expect(topNgramChars(words, 2)).toBe(9);
    // 3-grams: "a b a"×2, "b a b"×2 (tie: first seen wins), "a b c" → 5 × 2 = 10
    expect(topNgramChars(words, 3)).toBe(10);
    const m = gopherRepetitionMetrics('a b a b a b c');
    expect(m.top_2_gram_frac).toBeCloseTo(9 / 13, 12);
    expect(m.top_3_gram_frac).toBeCloseTo(10 / 13, 12);
  });
  it('duplicated n-grams: scan, jump n words after a repeat, words joined without spaces', () => {
    const text = 'one two three four five one two three four five six';
    const words = text.split(' ');
    // 5-grams at 0..4 are new; at 5 "onetwothreefourfive" repeats → +19 chars, jump to 10 → stop
    expect(dupNgramChars(words, 5)).toBe(19);
    expect(dupNgramChars(words, 6)).toBe(0);
    // 19 / 51 characters
    expect(gopherRepetitionMetrics(text).dup_5_gram_frac).toBeCloseTo(19 / 51, 12);
  });
});

const C4_DOC = [
  'The first line is fine. It has two sentences.',
  'short line.',
  'No punctuation here',
  'Please enable JavaScript to continue.',
  'Read our privacy policy before you go.',
  'A word [1] with a citation is kept.',
  'The last line ends with dots...',
  'The end is near now!',
].join('\n');

describe('c4 line rules', () => {
  const p = withDefaults(quality, { rules: ['c4'] });
  it('removes lines and counts the sentences of the kept ones', () => {
    const lines: Record<string, number> = {};
    const m = c4Clean(C4_DOC, p, lines);
    // kept: line 1 (2 sentences), line 6 without its citation (1), line 8 (1) → 4 sentences
    expect(m.text).toBe('The first line is fine. It has two sentences.\nA word  with a citation is kept.\nThe end is near now!');
    expect(m.metrics.sentences).toBe(4);
    expect(lines).toEqual({ 'too few words': 1, 'no terminal punctuation': 2, javascript: 1, policy: 1 });
  });
  it('drops the row below min_num_sentences, keeps the cleaned text otherwise', async () => {
    const rows = [{ id: 'a', text: C4_DOC }];
    const r = await runOp(quality, rows, { rules: ['c4'] });
    expect(r.dropped).toEqual([{ id: 'a', reason: 'c4: sentence count', detail: 'sentence count 4 < 5' }]);
    const k = await runOp(quality, rows, { rules: ['c4'], min_num_sentences: 4 });
    expect(k.kept[0].text).toBe(c4Clean(C4_DOC, p).text);
    expect(k.notes.join('\n')).toContain('c4 removed 5 lines (word over max_word_length 0, no terminal punctuation 2, too few words 1, javascript 1, policy 1); 1 kept rows rewritten');
  });
  it('drops the whole row for lorem ipsum and curly brackets, and when no line is left', async () => {
    const r = await runOp(
      quality,
      [
        { id: 'l', text: 'Lorem ipsum dolor sit amet, consectetur.' },
        { id: 'c', text: 'Use {braces} in code, please.' },
        { id: 'n', text: 'menu\nhome' },
      ],
      { rules: ['c4'], min_num_sentences: 'off' },
    );
    expect(r.byId.get('l')?.reason).toBe('c4: lorem ipsum');
    expect(r.byId.get('c')?.reason).toBe('c4: curly bracket');
    expect(r.byId.get('n')).toEqual({ id: 'n', reason: 'c4: no lines left', detail: 'all 2 lines removed by the C4 line rules' });
  });
  it('removes lines with an overlong word, unless max_word_length is off', () => {
    const text = `A ${'x'.repeat(1001)} word here.\nThe end is near now!`;
    const lines: Record<string, number> = {};
    expect(c4Clean(text, p, lines).text).toBe('The end is near now!');
    expect(lines).toEqual({ 'word over max_word_length': 1 });
    expect(c4Clean(text, { ...p, max_word_length: null }).text).toBe(text);
  });
  it('segments sentences with ICU', () => {
    expect(countSentences('One. Two! Three? ')).toBe(3);
  });
});

describe('fineweb rules (hand-computed)', () => {
  const text = 'Hello there.\nshort\nThis line is long enough to not be short at all.\nshort\n\n';
  it('measures punctuation, short lines, duplicated chars and newlines per token', () => {
    const m = finewebMetrics(text, withDefaults(quality, { rules: ['fineweb'] })).metrics;
    // 4 non-empty lines; "Hello there." and the long line end in "." → 2/4
    expect(m.line_punct_ratio).toBe(0.5);
    // ≤ 30 chars: "Hello there." (12), "short", "short"; the long line has 48 → 3/4
    expect(m.short_line_ratio).toBe(0.75);
    // repeated "short" = 5 chars / (12 + 5 + 48 + 5 = 70 chars without newlines)
    expect(m.char_dup_ratio).toBeCloseTo(5 / 70, 12);
    // 5 newlines / 17 tokens (Hello there . short This line is long enough to not be short at all . short)
    expect(m.new_line_ratio).toBeCloseTo(5 / 17, 12);
  });
  it('line_punct_exclude_zero exempts documents where no line ends in punctuation', () => {
    const none = 'no punctuation at the end of this line\nnor at the end of this one here';
    const p = withDefaults(quality, { rules: ['fineweb'] });
    expect(finewebMetrics(none, p).metrics.line_punct_ratio).toBe(0);
    expect(finewebMetrics(none, { ...p, line_punct_exclude_zero: true }).metrics.line_punct_ratio).toBeNaN();
  });
  it('drops with the rule, value and threshold; first failing rule wins', async () => {
    const r = await runOp(quality, [{ id: 'a', text }, { id: 'e', text: '\n \n' }], { rules: ['fineweb'] });
    expect(r.byId.get('a')).toEqual({ id: 'a', reason: 'fineweb: short line fraction', detail: 'short line fraction 0.75 > 0.67' });
    // blank text never reaches the rules
    expect(r.byId.get('e')).toEqual({ id: 'e', reason: 'quality: empty text', detail: 'text is blank' });
    const off = await runOp(quality, [{ id: 'a', text }], { rules: ['fineweb'], short_line_thr: null });
    expect(off.byId.get('a')).toEqual({ id: 'a', reason: 'fineweb: duplicated line char fraction', detail: 'duplicated line char fraction 0.071 > 0.01' });
  });
});

describe('quality thresholds', () => {
  const rows = [5, 10, 20, 40].map((n, i) => ({ id: `r${i}`, text: Array.from({ length: n }, () => 'the word and').join(' ') }));
  it('uses the web defaults unless told otherwise', async () => {
    // 15, 30, 60, 120 words: the first two are under 50
    const r = await runOp(quality, rows, { rules: ['gopher_quality'] });
    expect(r.dropped.map((d) => d.detail)).toEqual(['word count 15 < 50', 'word count 30 < 50']);
    expect(r.dropped[0].reason).toBe('gopher: word count');
  });
  it('derives a threshold from the data and says so in the detail and the note', async () => {
    // word counts 15 30 60 120 → p50 = (30 + 60)/2 = 45
    const r = await runOp(quality, rows, { rules: ['gopher_quality'], min_doc_words: 'p50' });
    expect(r.dropped.map((d) => d.detail)).toEqual(['word count 15 < 45 (p50 of this data)', 'word count 30 < 45 (p50 of this data)']);
    expect(r.notes.find((l) => l.includes('gopher_short_doc'))).toMatch(/gopher: word count\s+< 45 \(p50 of this data\)\s+2\s+gopher_short_doc/);
    expect(r.notes.at(-1)).toBe('kept 2 of 4 rows');
  });
  it('runs rule sets in order; gopher is repetition then quality', () => {
    expect(expandRules(['c4', 'gopher', 'gopher_quality'])).toEqual(['c4', 'gopher_repetition', 'gopher_quality']);
  });
});

describe('quality in a recipe', () => {
  const base = [
    'The river runs to the sea and the fish swim with it.',
    'We walked along the bank of the river for an hour.',
    'Then the rain came and we had to find a dry place to rest.',
    'The old bridge was the only shelter that we could see.',
    'We waited there until the sky was clear and blue again.',
    'Then we went home and had a warm meal with the family.',
  ];
  const extra = 'It was a long and happy day for all of us.';
  // doc i: 71 + 11·i words after C4 removes "Menu" and the javascript line
  const good = (i: number) => [...base, ...Array(i).fill(extra)].join('\n');
  const rows = [
    ...Array.from({ length: 6 }, (_, i) => ({ id: `g${i}`, body: `Menu\nPlease enable javascript in your browser.\n${good(i)}`, label: 'ok' })),
    { id: 'lorem', body: `Lorem ipsum dolor sit amet, consectetur adipiscing.\n${good(0)}`, label: 'x' },
    { id: 'one', body: 'Just one sentence here, nothing more.', label: 'x' },
    { id: 'none', body: null, label: 'x' },
  ];
  const recipe = `recipe q
source rows = jsonl "data/rows.jsonl" { id: .id, text: .body, label: .label }
cell q = rows | quality c4 gopher_quality min_doc_words: "p50"
export q | write "out/" shuffle: false
`;

  it('cleans with C4, drops by rule with data-relative thresholds, and reports per rule', async () => {
    const dir = tempProject({ 'r.ftr': recipe, 'data/rows.jsonl': rows.map((r) => JSON.stringify(r)).join('\n') + '\n' });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    const q = cells.get('q')!;
    expect(q.rowsIn).toBe(9);
    expect(q.rowsOut).toBe(3);
    // word counts 71 82 93 104 115 126 → p50 = (93 + 104)/2 = 98.5
    expect(q.dropped).toEqual({ 'c4: lorem ipsum': 1, 'c4: sentence count': 1, 'gopher: word count': 3, 'quality: empty text': 1 });
    const notes = q.notes!.join('\n');
    expect(notes).toMatch(/gopher: word count\s+< 98.5 \(p50 of this data\)\s+3/);
    expect(notes).toMatch(/c4: sentence count\s+< 5\s+1/);
    expect(notes).toContain('c4 removed 12 lines (word over max_word_length 0, no terminal punctuation 6, too few words 0, javascript 6, policy 0); 3 kept rows rewritten');
    const out = readJsonl(join(dir, 'out/q.jsonl'));
    expect(out.map((r) => r.id)).toEqual(['g3', 'g4', 'g5']);
    expect(Object.keys(out[0])).toEqual(['id', 'source', 'text', 'label']);
    expect(out[0].text).toBe(good(3));
    const rej = await ftr('rejects', join(dir, 'r.ftr'), 'q', '--reason', 'gopher: word count');
    expect(rej.out).toContain('word count 71 < 98.5 (p50 of this data)');
  });

  it('fails the check on a bad column, a bad threshold, or a param of a rule set not run', async () => {
    const dir = tempProject({
      'r.ftr': `recipe q
source rows = jsonl "data/rows.jsonl"
cell a = rows | quality gopher column: txt
cell b = rows | quality gopher max_avg_word_length: "banana"
cell c = rows | quality c4 min_doc_words: 10
cell d = rows | quality c4 min_words_per_line: "p5"
`,
      'data/rows.jsonl': '{"text": "x"}\n',
    });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    const all = r.out + r.err;
    expect(all).toContain('unknown column `txt`');
    expect(all).toContain('did you mean `text`');
    expect(all).toContain('cannot read threshold "banana"');
    expect(all).toContain('`min_doc_words` tunes the gopher_quality rules, which this call does not run');
    expect(all).toContain('`min_words_per_line` is a per-line rule');
  });
});

