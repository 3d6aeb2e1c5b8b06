/**
 * Training a BPE or WordPiece vocabulary, in TypeScript (the JS tokenizer library only encodes).
 *
 * The algorithm is the one of Hugging Face's BpeTrainer (and of its WordPieceTrainer, which
 * trains BPE with a `##` continuing-subword prefix and keeps only the vocabulary):
 *   1. the corpus is normalized and pre-tokenized by the very components the written
 *      tokenizer.json declares (built through @huggingface/tokenizers), special tokens split out
 *      first; distinct pre-tokens ("words") are counted;
 *   2. the vocabulary starts with the special tokens, then the alphabet (byte-level BPE: all 256
 *      byte symbols, so any text can be encoded; WordPiece: every character seen, and `##c` for
 *      each seen after a word's first character), in code point order;
 *   3. repeatedly, the most frequent adjacent pair (counted over words × their frequency) is
 *      merged into a new token, until the vocabulary has `vocab_size` tokens or no pair occurs
 *      `min_frequency` times. Ties go to the pair of smaller ids (left, then right): alphabet
 *      symbols before learned tokens, earlier merges before later ones — as in the Rust trainer,
 *      whose merges this reproduces for the same alphabet (checked against tokenizers 0.23) —
 *      so a run is deterministic whatever the order of the rows.
 * Pair counts are updated incrementally (only the words holding the merged pair are touched)
 * with a lazily revalidated max-heap, as in the Rust implementation.
 */
import type { Tokenizer } from '@huggingface/tokenizers';
import { buildHfTokenizer } from './tokenizers.js';

export type TrainModel = 'bpe' | 'wordpiece';

export interface TrainSpec {
  model: TrainModel;
  vocabSize: number;
  minFrequency: number;
  specialTokens: string[];
  /** WordPiece: the token for words it cannot spell */
  unkToken?: string;
  lowercase: boolean;
}

export const WORDPIECE_PREFIX = '##';
/** Token ids live in the low 24 bits of a pair key. */
export const MAX_VOCAB = 2 ** 24 - 1;
const SHIFT = 2 ** 24;

/** The 256 byte symbols of byte-level BPE (GPT-2's bytes_to_unicode), by byte value. */
export const BYTE_SYMBOLS: string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const out: string[] = new Array(256);
  for (const b of bs) out[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (out[b] === undefined) out[b] = String.fromCharCode(256 + n++);
  return out;
})();

/** The components of the tokenizer.json, everything but the trained model. */
export function pipelineJson(spec: TrainSpec): Record<string, unknown> {
  if (spec.model === 'bpe') {
    return {
      normalizer: spec.lowercase ? { type: 'Lowercase' } : null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    };
  }
  return {
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: spec.lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: WORDPIECE_PREFIX, cleanup: true },
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Counts the pre-tokens of a corpus, exactly as the written tokenizer will see them: special
 * tokens split out, the rest normalized and pre-tokenized by the same components.
 */
export class WordCounter {
  readonly words = new Map<string, number>();
  texts = 0;
  chars = 0;
  private readonly specials: RegExp | undefined;

  private constructor(
    spec: TrainSpec,
    private readonly tok: Tokenizer,
  ) {
    // longest first, so a special token that contains another is split out whole
    const sp = [...spec.specialTokens].sort((a, b) => b.length - a.length);
    this.specials = sp.length ? new RegExp(sp.map(escapeRegex).join('|'), 'g') : undefined;
  }

  static async create(spec: TrainSpec): Promise<WordCounter> {
    const model = spec.model === 'bpe' ? { type: 'BPE', vocab: {}, merges: [] } : { type: 'WordPiece', vocab: {}, unk_token: spec.unkToken, continuing_subword_prefix: WORDPIECE_PREFIX };
    return new WordCounter(spec, await buildHfTokenizer({ ...pipelineJson(spec), added_tokens: [], model }, {}, 'train_tokenizer'));
  }

  add(text: string): void {
    this.texts++;
    this.chars += text.length;
    for (const section of this.specials ? text.split(this.specials) : [text]) {
      if (!section) continue;
      const normalized = this.tok.normalizer ? this.tok.normalizer.normalize(section) : section;
      if (!normalized) continue;
      const words = this.tok.pre_tokenizer ? this.tok.pre_tokenizer.pre_tokenize(normalized) : [normalized];
      for (const w of words) if (w) this.words.set(w, (this.words.get(w) ?? 0) + 1);
    }
  }
}

export interface TrainResult {
  /** tokens by id */
  vocab: string[];
  merges: [string, string][];
  /** how many alphabet symbols follow the special tokens */
  alphabet: number;
  stop: 'vocab_size' | 'min_frequency';
}

/** A max-heap of (count, pair key). */
class PairHeap {
  private readonly keys: number[] = [];
  private readonly counts: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  /** does entry i come before entry j? Higher counts first; ties: the smaller (left id, right id), as Hugging Face's trainer. */
  private before(i: number, j: number): boolean {
    const ci = this.counts[i];
    const cj = this.counts[j];
    return ci !== cj ? ci > cj : this.keys[i] < this.keys[j];
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i];
    this.keys[i] = this.keys[j];
    this.keys[j] = k;
    const c = this.counts[i];
    this.counts[i] = this.counts[j];
    this.counts[j] = c;
  }

  push(key: number, count: number): void {
    this.keys.push(key);
    this.counts.push(count);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { key: number; count: number } | undefined {
    const n = this.keys.length;
    if (!n) return undefined;
    const top = { key: this.keys[0], count: this.counts[0] };
    const lastK = this.keys.pop()!;
    const lastC = this.counts.pop()!;
    if (n > 1) {
      this.keys[0] = lastK;
      this.counts[0] = lastC;
      let i = 0;
      const m = n - 1;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < m && this.before(l, best)) best = l;
        if (r < m && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Learn merges over counted words. `prefix` (WordPiece) marks symbols that continue a word;
 * `initialAlphabet` symbols are in the vocabulary whether or not the corpus holds them.
 */
export function trainBpe(words: Map<string, number>, o: { vocabSize: number; minFrequency: number; specialTokens: string[]; prefix?: string; initialAlphabet?: string[]; signal?: AbortSignal }): TrainResult {
  const vocab: string[] = [];
  const ids = new Map<string, number>();
  const add = (t: string) => {
    let id = ids.get(t);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(t);
      ids.set(t, id);
    }
    return id;
  };
  for (const s of o.specialTokens) add(s);
  const prefix = o.prefix;

  // the alphabet
  const plain = new Set<string>(o.initialAlphabet ?? []);
  const cont = new Set<string>();
  const split: string[][] = [];
  const freq: number[] = [];
  for (const [w, f] of words) {
    const chars = Array.from(w);
    split.push(chars);
    freq.push(f);
    for (let i = 0; i < chars.length; i++) {
      plain.add(chars[i]);
      if (prefix && i > 0) cont.add(prefix + chars[i]);
    }
  }
  const before = vocab.length;
  for (const c of [...plain].sort(byCodePoint)) add(c);
  for (const c of [...cont].sort(byCodePoint)) add(c);
  const alphabet = vocab.length - before;

  // words as symbol ids; pair counts and where each pair occurs
  const syms: number[][] = split.map((chars) => chars.map((c, i) => ids.get(prefix && i > 0 ? prefix + c : c)!));
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  for (let w = 0; w < syms.length; w++) {
    const s = syms[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const k = s[i] * SHIFT + s[i + 1];
      pairCount.set(k, (pairCount.get(k) ?? 0) + freq[w]);
      let list = where.get(k);
      if (!list) where.set(k, (list = []));
      if (list[list.length - 1] !== w) list.push(w);
    }
  }
  const heap = new PairHeap();
  const floor = Math.max(1, o.minFrequency);
  for (const [k, c] of pairCount) if (c >= floor) heap.push(k, c);

  const merges: [string, string][] = [];
  const stamp = new Int32Array(syms.length);
  let round = 0;
  let stop: TrainResult['stop'] = 'min_frequency';
  for (;;) {
    if (vocab.length >= o.vocabSize) {
      stop = 'vocab_size';
      break;
    }
    const top = heap.pop();
    if (!top) break;
    const current = pairCount.get(top.key) ?? 0;
    if (current !== top.count) {
      // stale: counts of existing pairs only fall, so re-queue it with what it has now
      if (current >= floor) heap.push(top.key, current);
      continue;
    }
    if ((++round & 1023) === 0 && o.signal?.aborted) break;
    const a = Math.floor(top.key / SHIFT);
    const b = top.key % SHIFT;
    const left = vocab[a];
    const right = vocab[b];
    const n = add(left + (prefix && right.startsWith(prefix) ? right.slice(prefix.length) : right));
    merges.push([left, right]);

    const grew = new Set<number>();
    const change = (k: number, delta: number, w: number) => {
      pairCount.set(k, (pairCount.get(k) ?? 0) + delta);
      if (delta > 0) {
        grew.add(k);
        let list = where.get(k);
        if (!list) where.set(k, (list = []));
        if (list[list.length - 1] !== w) list.push(w);
      }
    };
    for (const w of where.get(top.key) ?? []) {
      if (stamp[w] === round) continue;
      stamp[w] = round;
      const s = syms[w];
      const f = freq[w];
      for (let i = 0; i + 1 < s.length; i++) {
        if (s[i] !== a || s[i + 1] !== b) continue;
        if (i > 0) {
          change(s[i - 1] * SHIFT + a, -f, w);
          change(s[i - 1] * SHIFT + n, f, w);
        }
        if (i + 2 < s.length) {
          change(b * SHIFT + s[i + 2], -f, w);
          change(n * SHIFT + s[i + 2], f, w);
        }
        s.splice(i, 2, n);
      }
    }
    pairCount.delete(top.key);
    where.delete(top.key);
    for (const k of grew) {
      const c = pairCount.get(k) ?? 0;
      if (c >= floor) heap.push(k, c);
    }
  }
  return { vocab, merges, alphabet, stop };
}

/** A Hugging Face tokenizer.json for a trained vocabulary. */
export function tokenizerJson(spec: TrainSpec, r: TrainResult): Record<string, unknown> {
  // a null-prototype object: a token spelled `__proto__` stays an ordinary key
  const vocab: Record<string, number> = Object.create(null);
  r.vocab.forEach((t, i) => (vocab[t] = i));
  const added_tokens = spec.specialTokens.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const model =
    spec.model === 'bpe'
      ? { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: r.merges }
      : { type: 'WordPiece', unk_token: spec.unkToken, continuing_subword_prefix: WORDPIECE_PREFIX, max_input_chars_per_word: 100, vocab };
  const pipeline = pipelineJson(spec);
  if (spec.model === 'wordpiece' && spec.specialTokens.includes('[CLS]') && spec.specialTokens.includes('[SEP]')) {
    const idOf = (t: string) => spec.specialTokens.indexOf(t);
    const special = (id: string, type_id: number) => ({ SpecialToken: { id, type_id } });
    const seq = (id: string, type_id: number) => ({ Sequence: { id, type_id } });
    pipeline.post_processor = {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0)],
      pair: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0), seq('B', 1), special('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [idOf('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [idOf('[SEP]')], tokens: ['[SEP]'] },
      },
    };
  }
  return { version: '1.0', truncation: null, padding: null, added_tokens, ...pipeline, model };
}
