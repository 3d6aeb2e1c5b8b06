/**
 * Every registered op on a plain input and on a split input: each either runs, or `ftr check`
 * rejects it with a parts diagnostic — never a run-time crash. The op list comes from the
 * registry, so a new op without an example call here fails this test.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/ops/registry.js';
import { ftr, runJson, tempProject } from '../helpers.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures');

/** The arguments of one valid call of each op (`$` becomes a name unique to the shape, for written paths). */
const CALLS: Record<string, string> = {
  concat: 'concat rows',
  mix: 'mix { A: 50%, B: 50% } by: group',
  strip_html: 'strip_html text',
  normalize: 'normalize nfkc',
  fix_unicode: 'fix_unicode',
  punctuation: 'punctuation',
  boilerplate: 'boilerplate',
  mask_pii: 'mask_pii',
  missing: 'missing',
  derive: 'derive { n: len(text) }',
  chunk: 'chunk',
  keep: 'keep len(text) > 3',
  drop: 'drop missing(text)',
  spam: 'spam',
  offensive: 'offensive',
  relevance: 'relevance text terms: ["good", "bad"]',
  language: 'language',
  dedupe: 'dedupe text',
  dedupe_near: 'dedupe_near text',
  decontaminate: 'decontaminate files: ["eval.jsonl"] n: 5',
  quality: 'quality gopher column: text min_doc_words: 1 min_stop_words: 0',
  outliers: 'outliers',
  gibberish: 'gibberish',
  split: 'split 80% 10% 10%',
  leakage: 'leakage text',
  bias_detect: 'bias_detect text dims: [gender]',
  bias_report: 'bias_report group label: label',
  reweigh: 'reweigh group label',
  resample: 'resample group label',
  counterfactual: 'counterfactual text',
  tokenize: 'tokenize text o200k_base max_tokens: 50',
  train_tokenizer: 'train_tokenizer "tok-$.json" vocab_size: 300 min_frequency: 1',
  eda: 'eda text copies: 1 wordnet: "wn"',
  paraphrase: 'paraphrase text provider: local model_dir: "lm" prompt: "{{text}}" temperature: 0 max_tokens: 2 similarity: [0, 1] length_ratio: [0, 100]',
  back_translate: 'back_translate text provider: local model_dir: "lm" to_prompt: "{{text}}" back_prompt: "{{translation}}" temperature: 0 max_tokens: 2 similarity: [0, 1] length_ratio: [0, 100]',
  annotate: 'annotate { rule good: text ~ /good/ -> "pos" }',
  consensus: 'consensus',
  balance: 'balance label',
  export_tasks: 'export_tasks "tasks-$.json"',
  pretrain: 'pretrain "pre-$" tokenizer: "tok.json" hidden: 16 layers: 1 heads: 2 max_len: 16 steps: 2 batch: 8',
  finetune: 'finetune "ft-$" lora base: "bert" label: label max_len: 16 epochs: 1 batch: 8',
  compare: 'compare "cmp-$" strategies: [lora] base: "bert" label: label max_len: 16 epochs: 1 batch: 8',
  write: 'write "out-$/"',
};

/** Models the training and local-provider calls load: trained by the recipe itself (cached across recipes). */
const MODELS = [
  'cell corpus = rows | train_tokenizer "tok.json" model: wordpiece vocab_size: 300 min_frequency: 1',
  'export corpus | pretrain "bert" tokenizer: "tok.json" hidden: 16 layers: 1 heads: 2 max_len: 16 steps: 2 batch: 8',
  'export corpus | pretrain "lm" arch: gpt2 tokenizer: "tok.json" hidden: 16 layers: 1 heads: 2 max_len: 48 steps: 2 batch: 8',
];
const NEEDS_MODELS = ['pretrain', 'finetune', 'compare', 'paraphrase', 'back_translate'];
/** Ops that compare or train on the parts of a split: a plain input is refused by check. */
const NEEDS_PARTS = ['leakage', 'finetune', 'compare'];

const WORDS = ['good', 'bad', 'movie', 'refund', 'order', 'happy', 'sad', 'car', 'invoice', 'quick'];
/** 90 rows: text, a binary label, a group, an annotator and item (so `consensus` has votes). */
const ROWS = Array.from({ length: 90 }, (_, i) => ({
  id: `r${i}`,
  text: `The ${WORDS[i % 10]} ${WORDS[(i * 7) % 10]} number ${i} was ${i % 2 ? 'good' : 'bad'} said the woman`,
  label: i % 2 ? 'pos' : 'neg',
  group: i % 3 ? 'A' : 'B',
  item: `i${Math.floor(i / 3)}`,
  annotator: `a${i % 3}`,
}));

function project(): string {
  const dir = tempProject({
    'rows.jsonl': ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n',
    'eval.jsonl': JSON.stringify({ text: 'The good movie number 1 was good said the woman' }) + '\n',
  });
  cpSync(join(FIXTURES, 'wordnet'), join(dir, 'wn'), { recursive: true });
  return dir;
}

function recipe(dir: string, op: string, shape: 'plain' | 'split'): string {
  const call = CALLS[op].replaceAll('$', shape);
  const input = shape === 'plain' ? 'rows' : 'parts';
  const sink = registry.get(op)!.kind === 'sink';
  const text = [
    `recipe matrix_${op}`,
    'seed 7',
    'source rows = jsonl "rows.jsonl"',
    'cell parts = rows | split 80% 10% 10% stratify: label',
    ...(NEEDS_MODELS.includes(op) ? MODELS : []),
    sink ? `export ${input} | ${call}` : `cell x = ${input} | ${call}`,
    '',
  ].join('\n');
  const file = join(dir, `${op}-${shape}.ftr`);
  writeFileSync(file, text);
  return file;
}

const OPS = [...registry.values()].filter((op) => op.kind !== 'source'); // sources take no input

describe('ops × input shapes', () => {
  const dir = project();

  it('has an example call for every op that takes an input', () => {
    expect(OPS.map((op) => op.name).filter((n) => !(n in CALLS))).toEqual([]);
  });

  for (const op of OPS) {
    it(`${op.name}: runs on a plain input; on a split input runs keeping the parts or is rejected by check`, async () => {
      const plain = recipe(dir, op.name, 'plain');
      const checked = await ftr('check', plain);
      if (NEEDS_PARTS.includes(op.name)) {
        expect(checked.err).toMatch(/error\[E0114\].*(split|parts)/);
        expect(checked.err).toMatch(/help: .*split/);
      } else {
        expect(checked.err + checked.out).not.toMatch(/error\[/);
        const r = await runJson(plain);
        const failed = [...r.cells.values()].filter((c) => c.status === 'failed');
        expect(failed.map((c) => c.error)).toEqual([]);
        expect(r.code).toBe(0);
      }


      const split = recipe(dir, op.name, 'split');
      const c = await ftr('check', split);
      if (c.code !== 0) {
        // refused up front, with a parts diagnostic that says what to write instead
        expect(c.err).toMatch(/error\[E011[56]\].*parts/);
        expect(c.err).toMatch(/help: /);
        return;
      }
      const s = await runJson(split);
      const bad = [...s.cells.values()].filter((x) => x.status === 'failed');
      expect(bad.map((x) => x.error)).toEqual([]);
      expect(s.code).toBe(0);
      const out = s.cells.get(op.kind === 'sink' ? 'export:parts' : 'x')!;
      // only an op that makes its own parts may change them; sinks pass their input through
      if (op.global?.parts !== 'merge') expect(Object.keys(out.parts ?? {})).toEqual(['train', 'val', 'test']);
    }, 120_000);
  }
});
