import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { defineOp, OpError, type RowSet } from '../types.js';
import { requireColumns } from '../common.js';
import { resolvePath } from '../sources/files.js';
import { BYTE_SYMBOLS, MAX_VOCAB, tokenizerJson, trainBpe, WordCounter, WORDPIECE_PREFIX, type TrainModel, type TrainSpec } from './bpe_train.js';
import { buildHfTokenizer, cellText, loadEncoding } from './tokenizers.js';
import { fmt } from './stats.js';

export const DEFAULT_SPECIALS: Record<TrainModel, string[]> = {
  bpe: ['<|endoftext|>'],
  wordpiece: ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]'],
};

/** The special tokens of a call: the given ones (the unk token first when WordPiece lacks it), else the model's defaults. */
export function specialsOf(params: Record<string, unknown>): string[] {
  const model = params.model as TrainModel;
  const given = params.special_tokens as string[] | undefined;
  const list = given ?? DEFAULT_SPECIALS[model];
  const unk = params.unk_token as string;
  return model === 'wordpiece' && !list.includes(unk) ? [unk, ...list] : list;
}

export const train_tokenizer = defineOp({
  name: 'train_tokenizer',
  version: 1,
  kind: 'global',
  summary: "train a BPE or WordPiece vocabulary on the recipe's own text and write a Hugging Face tokenizer.json",
  doc:
    '`train_tokenizer "tok/tokenizer.json" vocab_size: 8k` learns a vocabulary from the text of `columns` (default `text`) over every row of every part, and writes it as a Hugging Face tokenizer.json (relative to the recipe) that `tokenize tokenizer_file:` — in a cell downstream of this one — and the Python/Rust `tokenizers` library load. Rows pass through unchanged. ' +
    '`model: bpe` (default) is byte-level BPE like GPT-2: text is split by the GPT-2 pattern and read as UTF-8 bytes, and all 256 byte symbols are in the vocabulary, so any text encodes without an unknown token; `lowercase` adds a lowercasing normalizer. ' +
    '`model: wordpiece` is BERT-style: BertNormalizer (control characters removed, CJK characters spaced, `lowercase` also strips accents), whitespace and punctuation split, `##` marking continuations, and [CLS] … [SEP] added by the post-processor when both are special tokens; a word it cannot spell becomes `unk_token`. ' +
    'Training is Hugging Face\'s BpeTrainer algorithm in TypeScript (WordPiece, like its WordPieceTrainer, is trained as BPE with the `##` prefix and keeps the vocabulary): the vocabulary starts with the special tokens, then the alphabet, then repeatedly adds the merge of the most frequent adjacent pair until it holds `vocab_size` tokens or no pair occurs `min_frequency` times. Ties go to the pair whose texts sort first, so the file is the same byte for byte on every run and machine. ' +
    '`special_tokens` default: bpe `["<|endoftext|>"]`, wordpiece `["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]`; they take ids 0, 1, … in that order, and their text in the corpus is left out of training. ' +
    'Notes: rows and words trained on, vocabulary (specials, alphabet, merges) and why training stopped, the most frequent tokens of the corpus, characters per token on the training text next to cl100k_base, and the file with its sha256. ' +
    'A cached run checks the file is still there and unchanged, and trains again when it is not.',
  params: [
    { name: 'path', type: { kind: 'path', access: 'write' }, required: true, positional: true, doc: 'the tokenizer.json to write, relative to the recipe' },
    { name: 'columns', type: { kind: 'columns' }, default: ['text'], doc: 'text columns to train on (each cell a separate text)' },
    { name: 'model', type: { kind: 'enum', values: ['bpe', 'wordpiece'] }, default: 'bpe', doc: 'bpe (byte-level, GPT-2 style) or wordpiece (BERT style)' },
    { name: 'vocab_size', type: { kind: 'count', min: 1 }, default: 30000, doc: 'target vocabulary size, special tokens and alphabet included' },
    { name: 'min_frequency', type: { kind: 'count', min: 1 }, default: 2, doc: 'a pair must occur this often to be merged' },
    { name: 'special_tokens', type: { kind: 'list', of: { kind: 'string' } }, doc: 'special tokens, ids 0, 1, … (default: bpe <|endoftext|>; wordpiece [UNK] [CLS] [SEP] [PAD] [MASK])' },
    { name: 'unk_token', type: { kind: 'string' }, default: '[UNK]', doc: 'wordpiece: the token for words it cannot spell (added to the special tokens if missing)' },
    { name: 'lowercase', type: { kind: 'bool' }, default: false, doc: 'lowercase the text (wordpiece: and strip accents) before training and encoding' },
  ],
  describe: (p) => `train_tokenizer ${p.model as string} ${fmt(p.vocab_size as number)} → ${p.path as string}`,
  schema(ctx) {
    const p = ctx.params;
    const columns = p.columns as string[];
    requireColumns(ctx, 'columns', columns);
    for (const c of columns) {
      const col = ctx.input?.columns.find((x) => x.name === c);
      if (col && col.type !== 'string' && col.type !== 'any') ctx.error('columns', `\`${c}\` holds ${col.type} values, not text`, { help: 'train on text columns' });
    }
    const path = p.path as string;
    if (!/\.json$/i.test(path)) ctx.error('path', `\`${path}\` is not a .json file`, { help: 'write to a file such as "tokenizer/tokenizer.json"' });
    else {
      const { abs } = resolvePath(path, ctx.baseDir);
      if (existsSync(abs) && statSync(abs).isDirectory()) ctx.error('path', `\`${path}\` is a folder`, { help: 'name a .json file' });
    }
    const given = p.special_tokens as string[] | undefined;
    if (given) {
      if (given.some((s) => !s)) ctx.error('special_tokens', 'a special token is empty');
      const dup = given.find((s, i) => given.indexOf(s) !== i);
      if (dup !== undefined) ctx.error('special_tokens', `\`${dup}\` is listed twice`);
    }
    if (p.model === 'wordpiece' && !(p.unk_token as string)) ctx.error('unk_token', 'the unknown token is empty');
    if (p.model !== 'wordpiece' && p.unk_token !== '[UNK]') ctx.error('unk_token', '`unk_token` is for `model: wordpiece`', { notes: ['byte-level BPE spells any text with its 256 byte symbols and has no unknown token'] });
    const vocab = p.vocab_size as number;
    const floor = specialsOf(p).length + (p.model === 'bpe' ? BYTE_SYMBOLS.length : 0);
    if (vocab > MAX_VOCAB) ctx.error('vocab_size', `at most ${fmt(MAX_VOCAB)} tokens`);
    else if (vocab <= floor) {
      ctx.error('vocab_size', `\`vocab_size\` ${fmt(vocab)} leaves no room for merges`, {
        notes: [`the vocabulary starts with ${specialsOf(p).length} special token(s)${p.model === 'bpe' ? ' and the 256 byte symbols' : ''}`],
        help: `use more than ${fmt(floor)}`,
      });
    }
    return ctx.input ?? { columns: [] };
  },
  global: {
    parts: 'all',
    async run(input, params, ctx, out, extra) {
      const columns = params.columns as string[];
      const spec: TrainSpec = {
        model: params.model as TrainModel,
        vocabSize: params.vocab_size as number,
        minFrequency: params.min_frequency as number,
        specialTokens: specialsOf(params),
        unkToken: params.model === 'wordpiece' ? (params.unk_token as string) : undefined,
        lowercase: params.lowercase as boolean,
      };
      const label = params.path as string;
      const { abs } = resolvePath(label, ctx.baseDir);

      // pass 1: count the words of the corpus
      const counter = await WordCounter.create(spec);
      let rows = 0;
      for await (const row of input.rows()) {
        for (const c of columns) {
          const t = cellText(row[c]);
          if (t) counter.add(t);
        }
        if (++rows % 1000 === 0) ctx.progress(rows);
      }
      if (!counter.words.size) throw new OpError(`train_tokenizer: no text to train on in ${columns.map((c) => `\`${c}\``).join(', ')} (${fmt(rows)} rows)`);
      const result = trainBpe(counter.words, {
        vocabSize: spec.vocabSize,
        minFrequency: spec.minFrequency,
        specialTokens: spec.specialTokens,
        prefix: spec.model === 'wordpiece' ? WORDPIECE_PREFIX : undefined,
        initialAlphabet: spec.model === 'bpe' ? BYTE_SYMBOLS : undefined,
        signal: ctx.signal,
      });
      const json = tokenizerJson(spec, result);
      const text = JSON.stringify(json, null, 2) + '\n';
      const sha = createHash('sha256').update(text).digest('hex');
      mkdirSync(dirname(abs), { recursive: true });
      const tmp = `${abs}.tmp-${process.pid}`;
      await writeFile(tmp, text);
      renameSync(tmp, abs);
      await out.wrote?.(abs);

      // the file as `tokenize` will load it: token counts of the corpus, word by word
      const tok = await buildHfTokenizer(JSON.parse(text), {}, label);
      const tokenCounts = new Map<string, number>();
      let tokens = 0;
      let unknown = 0;
      for (const [w, f] of counter.words) {
        const pieces = tok.model!._call([w]);
        tokens += pieces.length * f;
        for (const t of pieces) {
          tokenCounts.set(t, (tokenCounts.get(t) ?? 0) + f);
          if (t === spec.unkToken) unknown += f;
        }
      }

      // pass 2: rows through unchanged, to their parts; the same text through cl100k_base for comparison
      const cl100k = await loadEncoding('cl100k_base');
      let baseline = 0;
      const named = Object.keys(extra).filter((k) => k.startsWith('part:'));
      const parts: [string | undefined, RowSet][] = named.length ? named.map((k) => [k.slice(5), extra[k]]) : [[undefined, input]];
      for (const [part, set] of parts) {
        for await (const row of set.rows()) {
          for (const c of columns) {
            const t = cellText(row[c]);
            if (t) baseline += cl100k.count(t);
          }
          await out.emit(row, part);
        }
      }

      const words = [...counter.words.values()].reduce((a, b) => a + b, 0);
      const nSpecial = spec.specialTokens.length;
      const kind = spec.model === 'bpe' ? 'byte-level BPE' : 'WordPiece';
      out.note(`trained ${kind} on ${fmt(counter.texts)} texts in ${fmt(rows)} rows: ${fmt(words)} words, ${fmt(counter.words.size)} distinct`);
      const why = result.stop === 'vocab_size' ? 'reached vocab_size' : `no pair left that occurs ${fmt(spec.minFrequency)}+ times (vocab_size ${fmt(spec.vocabSize)})`;
      const learned = result.vocab.length - nSpecial - result.alphabet;
      out.note(`vocabulary ${fmt(result.vocab.length)} tokens: ${fmt(nSpecial)} special + ${fmt(result.alphabet)} alphabet + ${fmt(learned)} from ${fmt(result.merges.length)} merges; stopped: ${why}`);
      const top = [...tokenCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
      out.note(`top tokens: ${top.map(([t, c]) => `${JSON.stringify(t)} ${((100 * c) / Math.max(tokens, 1)).toFixed(1)}%`).join(', ')}`);
      const cpt = (n: number) => (n ? (counter.chars / n).toFixed(2) : '–');
      out.note(`chars_per_token ${cpt(tokens)} on the training text (${fmt(tokens)} tokens; cl100k_base: ${cpt(baseline)}, ${fmt(baseline)} tokens)${unknown ? `; ${fmt(unknown)} ${spec.unkToken} tokens` : ''}`);
      out.note(`wrote ${relative(ctx.baseDir, abs).split('\\').join('/')} (${fmt(Buffer.byteLength(text) / 1024)} KB, sha256 ${sha})`);
    },
  },
});
