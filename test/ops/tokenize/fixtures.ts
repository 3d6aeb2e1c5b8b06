/**
 * Tiny Hugging Face tokenizer.json files, one per model type, written by the tests themselves.
 * The expected ids were worked out by hand and confirmed with the Rust `tokenizers` library
 * (npm `tokenizers` 0.23.2, `Tokenizer.fromString(JSON.stringify(fixture)).encode(text)`).
 */

const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

/** Character BPE over whitespace-split words: a+b → ab, ab+c → abc; anything else is [UNK]. */
export const BPE_FIXTURE = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [added(0, '[UNK]')],
  normalizer: null,
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: null,
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: '[UNK]',
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab: { '[UNK]': 0, a: 1, b: 2, c: 3, ab: 4, abc: 5 },
    merges: [
      ['a', 'b'],
      ['ab', 'c'],
    ],
  },
};

/** BERT-style WordPiece: lowercasing, punctuation split, ## continuations, [CLS] … [SEP]. */
export const WORDPIECE_FIXTURE = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [added(0, '[UNK]'), added(1, '[CLS]'), added(2, '[SEP]')],
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
    special_tokens: { '[CLS]': { id: '[CLS]', ids: [1], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [2], tokens: ['[SEP]'] } },
  },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab: { '[UNK]': 0, '[CLS]': 1, '[SEP]': 2, un: 3, '##aff': 4, '##able': 5, ',': 6, hello: 7, '!': 8 },
  },
};

/** Unigram with a Metaspace pre-tokenizer: the best-scoring segmentation wins. */
export const UNIGRAM_FIXTURE = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [added(0, '<unk>')],
  normalizer: null,
  pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false },
  post_processor: null,
  decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false },
  model: {
    type: 'Unigram',
    unk_id: 0,
    byte_fallback: false,
    vocab: [
      ['<unk>', 0],
      ['▁', -2],
      ['▁he', -3],
      ['llo', -3],
      ['▁hello', -2.5],
      ['h', -5],
      ['e', -5],
      ['l', -5],
      ['o', -5],
      ['▁world', -4],
      ['w', -5],
      ['r', -5],
      ['d', -5],
    ],
  },
};

/** [text, ids without special tokens, ids with them] per fixture. */
export const FIXTURE_CASES = {
  bpe: [
    ['abc ab cab', [5, 4, 3, 4], [5, 4, 3, 4]],
    ['ab x abc', [4, 0, 5], [4, 0, 5]],
  ],
  wordpiece: [
    ['Unaffable, hello!', [3, 4, 5, 6, 7, 8], [1, 3, 4, 5, 6, 7, 8, 2]],
    ['HELLO xyz', [7, 0], [1, 7, 0, 2]],
  ],
  unigram: [
    ['hello world', [4, 9], [4, 9]],
    ['hello low', [4, 1, 7, 8, 10], [4, 1, 7, 8, 10]],
  ],
} as const;
