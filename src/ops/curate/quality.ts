import { defineOp, type ParamSpec, type Params, type MetricValue } from '../types.js';
import { requireColumns } from '../common.js';
import {
  compareDetail,
  isDataDerived,
  parseThreshold,
  resolveThreshold,
  showThreshold,
  table,
  THRESHOLD_HELP,
  ValueCollector,
  type ResolvedThreshold,
  type ThresholdSpec,
} from './thresholds.js';
import { countOf, cpLen, findDuplicates, hasLetter, isNonSymbolWord, splitLines, wordTokens } from './textmetrics.js';

/**
 * Web-text quality heuristics with datatrove parity: Gopher quality and repetition (Rae et al.
 * 2021), C4 (Raffel et al. 2020) and FineWeb. Every threshold is a param; any document-level
 * one may be derived from the data ("p1", "mean-3sd", "median+5mad").
 */

type Metrics = Record<string, number>;

/** A document-level threshold rule: drop when `metric cmp threshold`. */
export interface Rule {
  /** unique key (a param may drive two rules: hashes and ellipses) */
  id: string;
  param: string;
  metric: string;
  cmp: '<' | '>';
  /** drop reason after the rule set's prefix, and the measured quantity in details */
  label: string;
  /** datatrove's reason name, for cross-checking reports */
  datatrove: string;
}

export interface Measured {
  /** the text the next rule set sees and the row keeps (C4 removes lines) */
  text: string;
  metrics: Metrics;
  /** a document-level drop that is not a threshold (lorem ipsum, curly bracket, empty) */
  fail?: { label: string; detail: string };
  /** checked after the threshold rules (C4: every line removed) */
  failLast?: { label: string; detail: string };
}

/** Line-level removals of the C4 rules, counted in the final pass. */
export type LineCounts = Record<string, number>;

interface RuleSet {
  name: RuleSetName;
  prefix: string;
  rules: Rule[];
  /** labels of the non-threshold drops, in the order they can happen */
  hard: { label: string; when: string }[];
  measure(text: string, p: Params, lines?: LineCounts): Measured;
}

export type RuleSetName = 'gopher_repetition' | 'gopher_quality' | 'c4' | 'fineweb';
const RULE_NAMES = ['gopher', 'gopher_quality', 'gopher_repetition', 'c4', 'fineweb'] as const;

// ---------------------------------------------------------------------------------------------
// Gopher repetition (datatrove GopherRepetitionFilter; Gopher paper table A1)

/**
 * Words laid out for fast n-gram keys: `spaced` is the words joined by spaces and `packed` joined
 * with nothing; an n-gram is a substring of either (no per-n-gram joins), its length in code
 * points comes from prefix sums.
 */
interface WordLayout {
  n: number;
  spaced: string;
  packed: string;
  /** UTF-16 offset of word i in spaced / packed (length n + 1) */
  sOff: Int32Array;
  pOff: Int32Array;
  /** code points before word i, separators excluded (length n + 1) */
  cp: Int32Array;
}

function layout(words: string[]): WordLayout {
  const n = words.length;
  const sOff = new Int32Array(n + 1);
  const pOff = new Int32Array(n + 1);
  const cp = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const w = words[i];
    sOff[i + 1] = sOff[i] + w.length + 1;
    pOff[i + 1] = pOff[i] + w.length;
    cp[i + 1] = cp[i] + cpLen(w);
  }
  return { n, spaced: words.join(' '), packed: words.join(''), sOff, pOff, cp };
}

function topNgram(l: WordLayout, n: number): number {
  const counts = new Map<string, number>();
  let max = 0;
  for (let i = 0; i + n <= l.n; i++) {
    const g = l.spaced.slice(l.sOff[i], l.sOff[i + n] - 1);
    const c = (counts.get(g) ?? 0) + 1;
    counts.set(g, c);
    if (c > max) max = c;
  }
  // Counter.most_common(1): the first-seen of the most frequent (a Map iterates in insertion order)
  for (const [g, c] of counts) if (c === max) return cpLen(g) * c;
  return 0;
}

function dupNgram(l: WordLayout, n: number): number {
  const seen = new Set<string>();
  let repeated = 0;
  let i = 0;
  while (i < l.n - n + 1) {
    const g = l.packed.slice(l.pOff[i], l.pOff[i + n]);
    if (seen.has(g)) {
      repeated += l.cp[i + n] - l.cp[i];
      i += n;
    } else {
      seen.add(g);
      i++;
    }
  }
  return repeated;
}

/** Characters covered by the most frequent word n-gram: len("w1 w2") × count (ties: first seen). */
export function topNgramChars(words: string[], n: number): number {
  return topNgram(layout(words), n);
}

/**
 * Characters in repeated word n-grams: scan left to right; an n-gram (words joined without a
 * separator) seen before adds its length and jumps n words, otherwise it is remembered and the
 * scan moves one word.
 */
export function dupNgramChars(words: string[], n: number): number {
  return dupNgram(layout(words), n);
}

export function gopherRepetitionMetrics(text: string): Metrics {
  const len = cpLen(text);
  const paragraphs = text.trim().split(/\n{2,}/);
  const pd = findDuplicates(paragraphs);
  const lines = text.split(/\n+/);
  const ld = findDuplicates(lines);
  const l = layout(wordTokens(text));
  const m: Metrics = {
    dup_para_frac: pd.elements / paragraphs.length,
    dup_para_char_frac: pd.chars / len,
    dup_line_frac: ld.elements / lines.length,
    dup_line_char_frac: ld.chars / len,
  };
  for (const n of [2, 3, 4]) m[`top_${n}_gram_frac`] = l.n >= n ? topNgram(l, n) / len : NaN;
  for (const n of [5, 6, 7, 8, 9, 10]) m[`dup_${n}_gram_frac`] = dupNgram(l, n) / len;
  return m;
}

const gopherRepetition: RuleSet = {
  name: 'gopher_repetition',
  prefix: 'gopher',
  hard: [],
  rules: [
    { id: 'dup_para_frac', param: 'dup_para_frac', metric: 'dup_para_frac', cmp: '>', label: 'duplicate paragraph fraction', datatrove: 'dup_para_frac' },
    { id: 'dup_para_char_frac', param: 'dup_para_char_frac', metric: 'dup_para_char_frac', cmp: '>', label: 'duplicate paragraph char fraction', datatrove: 'dup_para_char_frac' },
    { id: 'dup_line_frac', param: 'dup_line_frac', metric: 'dup_line_frac', cmp: '>', label: 'duplicate line fraction', datatrove: 'dup_line_frac' },
    { id: 'dup_line_char_frac', param: 'dup_line_char_frac', metric: 'dup_line_char_frac', cmp: '>', label: 'duplicate line char fraction', datatrove: 'dup_line_char_frac' },
    ...[2, 3, 4].map((n): Rule => ({ id: `top_${n}_gram_frac`, param: `top_${n}_gram_frac`, metric: `top_${n}_gram_frac`, cmp: '>', label: `top ${n}-gram char fraction`, datatrove: `top_${n}_gram` })),
    ...[5, 6, 7, 8, 9, 10].map((n): Rule => ({ id: `dup_${n}_gram_frac`, param: `dup_${n}_gram_frac`, metric: `dup_${n}_gram_frac`, cmp: '>', label: `duplicated ${n}-gram char fraction`, datatrove: `duplicated_${n}_n_grams` })),
  ],
  measure: (text) => ({ text, metrics: gopherRepetitionMetrics(text) }),
};

// ---------------------------------------------------------------------------------------------
// Gopher quality (datatrove GopherQualityFilter)

export const GOPHER_STOP_WORDS = ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'];

export function gopherQualityMetrics(text: string, stopWords: readonly string[] = GOPHER_STOP_WORDS): Metrics {
  const words = wordTokens(text);
  const n = words.length;
  const nsw = words.filter(isNonSymbolWord);
  const lines = splitLines(text);
  const stop = new Set(stopWords);
  const present = new Set(words.filter((w) => stop.has(w)));
  return {
    doc_words: nsw.length,
    avg_word_length: nsw.length ? nsw.reduce((s, w) => s + cpLen(w), 0) / nsw.length : NaN,
    hash_ratio: n ? countOf(text, '#') / n : NaN,
    ellipsis_ratio: n ? (countOf(text, '...') + countOf(text, '…')) / n : NaN,
    bullet_lines_ratio: lines.length ? lines.filter((l) => /^[•-]/.test(l.trimStart())).length / lines.length : NaN,
    ellipsis_lines_ratio: lines.length ? lines.filter((l) => /(\.\.\.|…)$/.test(l.trimEnd())).length / lines.length : NaN,
    alpha_words_ratio: n ? words.filter(hasLetter).length / n : NaN,
    stop_words: present.size,
  };
}

const gopherQuality: RuleSet = {
  name: 'gopher_quality',
  prefix: 'gopher',
  hard: [],
  rules: [
    { id: 'min_doc_words', param: 'min_doc_words', metric: 'doc_words', cmp: '<', label: 'word count', datatrove: 'gopher_short_doc' },
    { id: 'max_doc_words', param: 'max_doc_words', metric: 'doc_words', cmp: '>', label: 'word count', datatrove: 'gopher_long_doc' },
    { id: 'min_avg_word_length', param: 'min_avg_word_length', metric: 'avg_word_length', cmp: '<', label: 'mean word length', datatrove: 'gopher_below_avg_threshold' },
    { id: 'max_avg_word_length', param: 'max_avg_word_length', metric: 'avg_word_length', cmp: '>', label: 'mean word length', datatrove: 'gopher_above_avg_threshold' },
    { id: 'max_symbol_word_ratio:hash', param: 'max_symbol_word_ratio', metric: 'hash_ratio', cmp: '>', label: 'hash-to-word ratio', datatrove: 'gopher_too_many_hashes' },
    { id: 'max_symbol_word_ratio:ellipsis', param: 'max_symbol_word_ratio', metric: 'ellipsis_ratio', cmp: '>', label: 'ellipsis-to-word ratio', datatrove: 'gopher_too_many_ellipsis' },
    { id: 'max_bullet_lines_ratio', param: 'max_bullet_lines_ratio', metric: 'bullet_lines_ratio', cmp: '>', label: 'bullet line fraction', datatrove: 'gopher_too_many_bullets' },
    { id: 'max_ellipsis_lines_ratio', param: 'max_ellipsis_lines_ratio', metric: 'ellipsis_lines_ratio', cmp: '>', label: 'ellipsis line fraction', datatrove: 'gopher_too_many_end_ellipsis' },
    { id: 'max_non_alpha_words_ratio', param: 'max_non_alpha_words_ratio', metric: 'alpha_words_ratio', cmp: '<', label: 'alphabetic word fraction', datatrove: 'gopher_below_alpha_threshold' },
    { id: 'min_stop_words', param: 'min_stop_words', metric: 'stop_words', cmp: '<', label: 'stop words', datatrove: 'gopher_enough_stop_words' },
  ],
  measure: (text, p) => ({ text, metrics: gopherQualityMetrics(text, p.stop_words as string[]) }),
};

// ---------------------------------------------------------------------------------------------
// C4 (datatrove C4QualityFilter; TFDS c4_utils)

const CITATION = /\[\d*]|\[edit]|\[citation needed]/g;
const POLICY = ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'];
let sentenceSegmenter: Intl.Segmenter | undefined;

/** Sentences in a line: ICU sentence segments (Intl.Segmenter, "en") holding a letter or digit. */
export function countSentences(line: string): number {
  sentenceSegmenter ??= new Intl.Segmenter('en', { granularity: 'sentence' });
  let n = 0;
  for (const s of sentenceSegmenter.segment(line)) if (/[\p{L}\p{N}]/u.test(s.segment)) n++;
  return n;
}

export const C4_LINE_RULES = ['word over max_word_length', 'no terminal punctuation', 'too few words', 'javascript', 'policy'] as const;

export function c4Clean(text: string, p: Params, lines?: LineCounts): Measured {
  const maxWord = fixedOrOff(p.max_word_length);
  const minWords = fixedOrOff(p.min_words_per_line);
  const kept: string[] = [];
  let sentences = 0;
  const removed = (why: string) => {
    if (lines) lines[why] = (lines[why] ?? 0) + 1;
  };
  for (const raw of splitLines(text)) {
    let line = raw.trim();
    const words = line.split(/\s+/).filter(Boolean);
    if (maxWord !== undefined && words.some((w) => cpLen(w) > maxWord)) {
      removed('word over max_word_length');
      continue;
    }
    if (p.remove_citations) line = line.replace(CITATION, '');
    if (p.filter_no_terminal_punct && (!/[.?!"']$/.test(line) || line.endsWith('...'))) {
      removed('no terminal punctuation');
      continue;
    }
    if (minWords !== undefined && words.length < minWords) {
      removed('too few words');
      continue;
    }
    const lower = line.toLowerCase();
    if (p.filter_lorem_ipsum && lower.includes('lorem ipsum')) {
      return { text, metrics: {}, fail: { label: 'lorem ipsum', detail: `line contains "lorem ipsum": ${clip(line)}` } };
    }
    if (p.filter_javascript && lower.includes('javascript')) {
      removed('javascript');
      continue;
    }
    if (p.filter_curly_bracket && line.includes('{')) {
      return { text, metrics: {}, fail: { label: 'curly bracket', detail: `line contains "{": ${clip(line)}` } };
    }
    if (p.filter_policy && POLICY.some((s) => lower.includes(s))) {
      removed('policy');
      continue;
    }
    sentences += countSentences(line);
    kept.push(line);
  }
  const cleaned = kept.join('\n').trim();
  return {
    text: cleaned,
    metrics: { sentences },
    failLast: cleaned === '' ? { label: 'no lines left', detail: `all ${splitLines(text).length} lines removed by the C4 line rules` } : undefined,
  };
}

const c4: RuleSet = {
  name: 'c4',
  prefix: 'c4',
  hard: [
    { label: 'lorem ipsum', when: 'filter_lorem_ipsum' },
    { label: 'curly bracket', when: 'filter_curly_bracket' },
  ],
  rules: [{ id: 'min_num_sentences', param: 'min_num_sentences', metric: 'sentences', cmp: '<', label: 'sentence count', datatrove: 'too_few_sentences' }],
  measure: c4Clean,
};

// ---------------------------------------------------------------------------------------------
// FineWeb (datatrove FineWebQualityFilter)

/** Line ends for the FineWeb punctuation rule: Unicode Sentence_Terminal (. ! ? 。 । ؟ …) plus quotes and "…". */
const TERMINAL = /[\p{Sentence_Terminal}"'”’…]$/u;

export function finewebMetrics(text: string, p: Params): Measured {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { text, metrics: {}, fail: { label: 'empty', detail: 'no non-empty lines' } };
  const punct = lines.filter((l) => TERMINAL.test(l)).length / lines.length;
  const shortLen = p.short_line_length as number;
  const words = wordTokens(text);
  return {
    text,
    metrics: {
      line_punct_ratio: punct === 0 && p.line_punct_exclude_zero ? NaN : punct,
      short_line_ratio: lines.filter((l) => cpLen(l) <= shortLen).length / lines.length,
      char_dup_ratio: findDuplicates(lines).chars / cpLen(text.replaceAll('\n', '')),
      new_line_ratio: words.length ? countOf(text, '\n') / words.length : NaN,
    },
  };
}

const fineweb: RuleSet = {
  name: 'fineweb',
  prefix: 'fineweb',
  hard: [{ label: 'empty', when: '' }],
  rules: [
    { id: 'line_punct_thr', param: 'line_punct_thr', metric: 'line_punct_ratio', cmp: '<', label: 'terminal punctuation line fraction', datatrove: 'line_punct_ratio' },
    { id: 'short_line_thr', param: 'short_line_thr', metric: 'short_line_ratio', cmp: '>', label: 'short line fraction', datatrove: 'short_line_ratio' },
    { id: 'char_duplicates_ratio', param: 'char_duplicates_ratio', metric: 'char_dup_ratio', cmp: '>', label: 'duplicated line char fraction', datatrove: 'char_dup_ratio' },
    { id: 'new_line_ratio', param: 'new_line_ratio', metric: 'new_line_ratio', cmp: '>', label: 'newlines per word', datatrove: 'list_ratio' },
  ],
  measure: finewebMetrics,
};

const SETS: Record<RuleSetName, RuleSet> = { gopher_repetition: gopherRepetition, gopher_quality: gopherQuality, c4, fineweb };

/** `gopher` is repetition then quality (FineWeb's order); duplicates keep their first place. */
export function expandRules(names: readonly string[]): RuleSetName[] {
  const out: RuleSetName[] = [];
  for (const n of names) for (const s of n === 'gopher' ? (['gopher_repetition', 'gopher_quality'] as const) : [n as RuleSetName]) if (!out.includes(s)) out.push(s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// params

const thr = (name: string, def: unknown, doc: string): ParamSpec => ({ name, type: { kind: 'any' }, default: def, doc });
const flag = (name: string, def: boolean, doc: string): ParamSpec => ({ name, type: { kind: 'bool' }, default: def, doc });

/** Params by the rule set they tune (for "set but not used" errors). */
const SET_PARAMS: Record<RuleSetName, ParamSpec[]> = {
  gopher_quality: [
    thr('min_doc_words', 50, 'gopher: drop when fewer words (tokens that are not only punctuation)'),
    thr('max_doc_words', 100_000, 'gopher: drop when more words'),
    thr('min_avg_word_length', 3, 'gopher: drop when the mean word length is lower'),
    thr('max_avg_word_length', 10, 'gopher: drop when the mean word length is higher'),
    thr('max_symbol_word_ratio', 0.1, 'gopher: drop when "#" per token, or "..."/"…" per token, is higher'),
    thr('max_bullet_lines_ratio', 0.9, 'gopher: drop when a larger share of lines starts with • or -'),
    thr('max_ellipsis_lines_ratio', 0.3, 'gopher: drop when a larger share of lines ends with ... or …'),
    thr('max_non_alpha_words_ratio', 0.8, 'gopher: drop when a smaller share of tokens has a letter (datatrove name)'),
    thr('min_stop_words', 2, 'gopher: drop when fewer distinct stop words appear (case-sensitive)'),
    { name: 'stop_words', type: { kind: 'list', of: { kind: 'string' } }, default: GOPHER_STOP_WORDS, doc: 'gopher: the stop words min_stop_words counts' },
  ],
  gopher_repetition: [
    thr('dup_para_frac', 0.3, 'gopher: drop when a larger share of paragraphs repeats an earlier one'),
    thr('dup_para_char_frac', 0.2, 'gopher: drop when repeated paragraphs hold a larger share of the characters'),
    thr('dup_line_frac', 0.3, 'gopher: drop when a larger share of lines repeats an earlier one'),
    thr('dup_line_char_frac', 0.2, 'gopher: drop when repeated lines hold a larger share of the characters'),
    thr('top_2_gram_frac', 0.2, 'gopher: drop when the most frequent word 2-gram covers a larger share of the characters'),
    thr('top_3_gram_frac', 0.18, 'gopher: the same for 3-grams'),
    thr('top_4_gram_frac', 0.16, 'gopher: the same for 4-grams'),
    thr('dup_5_gram_frac', 0.15, 'gopher: drop when repeated word 5-grams cover a larger share of the characters'),
    thr('dup_6_gram_frac', 0.14, 'gopher: the same for 6-grams'),
    thr('dup_7_gram_frac', 0.13, 'gopher: the same for 7-grams'),
    thr('dup_8_gram_frac', 0.12, 'gopher: the same for 8-grams'),
    thr('dup_9_gram_frac', 0.11, 'gopher: the same for 9-grams'),
    thr('dup_10_gram_frac', 0.1, 'gopher: the same for 10-grams'),
  ],
  c4: [
    thr('min_num_sentences', 5, 'c4: drop when the kept lines hold fewer sentences'),
    thr('min_words_per_line', 3, 'c4: remove lines with fewer whitespace-separated words (a number, or null to turn off)'),
    thr('max_word_length', 1000, 'c4: remove lines with a word longer than this (a number, or null to turn off)'),
    flag('remove_citations', true, 'c4: remove [1], [edit], [citation needed] from lines'),
    flag('filter_no_terminal_punct', true, 'c4: remove lines not ending in . ? ! " \' (or ending in ...)'),
    flag('filter_lorem_ipsum', true, 'c4: drop the row when a kept line contains "lorem ipsum"'),
    flag('filter_javascript', true, 'c4: remove lines containing "javascript"'),
    flag('filter_curly_bracket', true, 'c4: drop the row when a kept line contains "{"'),
    flag('filter_policy', true, 'c4: remove lines with "terms of use", "privacy policy", cookie notices'),
  ],
  fineweb: [
    thr('line_punct_thr', 0.12, 'fineweb: drop when a smaller share of lines ends in terminal punctuation'),
    flag('line_punct_exclude_zero', false, 'fineweb: do not apply line_punct_thr when no line ends in punctuation'),
    thr('short_line_thr', 0.67, 'fineweb: drop when a larger share of lines is short'),
    { name: 'short_line_length', type: { kind: 'number', integer: true, min: 0 }, default: 30, doc: 'fineweb: a line this long or shorter (characters) is short' },
    thr('char_duplicates_ratio', 0.01, 'fineweb: drop when repeated lines hold a larger share of the characters (newlines excluded)'),
    thr('new_line_ratio', 0.3, 'fineweb: drop when there are more newlines per token'),
  ],
};

/** Line-level params take a number or off only. */
const LINE_PARAMS = new Set(['min_words_per_line', 'max_word_length']);

function fixedOrOff(v: unknown): number | undefined {
  const t = parseThreshold(v);
  return 'kind' in t && t.kind === 'fixed' ? t.value : undefined;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const DOC = `Drops rows of web-like text that fail the heuristic rules of datatrove's filters, and records for each dropped row the rule, the measured value and the threshold (\`gopher: mean word length\`, detail "mean word length 11.2 > 10"). Name the rule sets: \`quality gopher\`, \`quality c4 fineweb\`; they run in the order written, each on the text the previous one left, the first failing rule deciding the reason. **gopher** = gopher_repetition then gopher_quality. Tokens: runs of letters/digits (inner ' - . kept), "..." and each other symbol alone; "words" are tokens that are not only punctuation/symbols. Repetition (first hit wins): paragraphs (split on 2+ newlines) repeating an earlier one > 30% of paragraphs (dup_para_frac) or > 20% of characters (dup_para_char_frac); lines (split on newlines) > 30% / > 20% (dup_line_frac, dup_line_char_frac); the most frequent word 2/3/4-gram (joined by spaces) × its count > 20/18/16% of characters; repeated 5…10-grams (scan, jump n words after a repeat) > 15/14/13/12/11/10% of characters. Quality: words < 50 or > 100,000 (min/max_doc_words); mean word length < 3 or > 10; "#" per token or "..."+"…" per token > 0.1 (max_symbol_word_ratio); > 90% of lines start with • or -; > 30% of lines end with an ellipsis; < 80% of tokens contain a letter (max_non_alpha_words_ratio); < 2 distinct stop words of {the, be, to, of, and, that, have, with} (case-sensitive, as in datatrove). **c4** rewrites the text: each line is stripped and removed when it has a word over 1000 characters (max_word_length), does not end in . ? ! " ' or ends in ... (filter_no_terminal_punct), has < 3 words (min_words_per_line), contains "javascript", or contains a cookie/terms-of-use phrase (filter_policy); Wikipedia citations are cut first (remove_citations). The row is dropped when a kept line contains "lorem ipsum" or "{", when the kept lines hold < 5 sentences (min_num_sentences; ICU sentence segmentation stands in for punkt), or when no line is left. The kept lines, joined by newlines, replace the column. **fineweb** on the non-empty lines: none → dropped (empty); < 12% end in terminal punctuation (line_punct_thr; Unicode sentence terminators, quotes, …); > 67% are ≤ 30 characters (short_line_thr, short_line_length); characters of repeated lines > 1% of the characters without newlines (char_duplicates_ratio); newlines per token > 0.3 (new_line_ratio). **Thresholds** are numbers, \`null\` or \`"off"\` (rule off), or derived from this data in a first pass: \`"p1"\` (a percentile, linear interpolation), \`"mean-3sd"\` (sample sd), \`"median+5mad"\` (raw MAD; mean absolute deviation × 1.2533·0.6745 when MAD is 0). A derived threshold is computed over the rows that reach its rule set (after the sets before it), and the drop detail says so: "word count 3 < 12 (p1 of this data)". These rules were tuned on web pages: for short fine-tuning rows turn the length rules off or make them data-relative, and apply them per field (\`column: response\`). Rows whose column is null, not a string, or blank are dropped as \`quality: empty text\`. Under a split each part gets its own thresholds. The note lists every rule with its resolved threshold and the rows it removed, and C4's removed lines by cause.`;

export const quality = defineOp({
  name: 'quality',
  version: 1,
  kind: 'global',
  summary: 'Gopher, C4 and FineWeb quality heuristics (datatrove parity); thresholds fixed or data-relative ("p1", "mean+3sd")',
  doc: DOC,
  params: [
    { name: 'rules', type: { kind: 'list', of: { kind: 'enum', values: RULE_NAMES } }, required: true, positional: true, variadic: true, doc: 'rule sets to apply, in order: gopher, gopher_quality, gopher_repetition, c4, fineweb' },
    { name: 'column', type: { kind: 'column' }, default: 'text', doc: 'the text column the rules read (c4 writes its cleaned text back to it)' },
    ...Object.values(SET_PARAMS).flat(),
  ],
  describe: (p) => `quality ${(p.rules as string[]).join(', ')} on ${p.column as string}`,
  schema(ctx) {
    const p = ctx.params;
    const col = (p.column as string | undefined) ?? 'text';
    requireColumns(ctx, 'column', [col]);
    const sets = expandRules((p.rules as string[] | undefined) ?? []);
    for (const [set, specs] of Object.entries(SET_PARAMS) as [RuleSetName, ParamSpec[]][]) {
      for (const spec of specs) {
        const v = p[spec.name];
        if (JSON.stringify(v) !== JSON.stringify(spec.default) && !sets.includes(set)) {
          ctx.error(spec.name, `\`${spec.name}\` tunes the ${set} rules, which this call does not run`, {
            help: `add ${set.startsWith('gopher') ? 'gopher' : set} to the rules, or remove \`${spec.name}\``,
          });
        }
        if (spec.type.kind !== 'any') continue;
        const t = parseThreshold(v);
        if ('error' in t) ctx.error(spec.name, `\`${spec.name}\`: ${t.error}`, { help: THRESHOLD_HELP });
        else if (LINE_PARAMS.has(spec.name) && isDataDerived(t)) ctx.error(spec.name, `\`${spec.name}\` is a per-line rule: give a number, or null to turn it off`, { help: `e.g. ${spec.name}: ${JSON.stringify(spec.default)}` });
      }
    }
    return ctx.input ?? { columns: [] };
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const col = params.column as string;
      const sets = expandRules(params.rules as string[]).map((n) => SETS[n]);
      const specs = new Map<string, ThresholdSpec>();
      for (const s of sets) for (const r of s.rules) specs.set(r.id, parseThreshold(params[r.param]) as ThresholdSpec);
      const resolved = new Map<string, ResolvedThreshold | undefined>();

      /** one rule set on a text: the text it leaves, or why the row goes */
      const evaluate = (set: RuleSet, text: string, lines?: LineCounts): { text: string } | { key: string; reason: string; detail: string } => {
        const m = set.measure(text, params, lines);
        if (m.fail) return { key: `${set.name}:${m.fail.label}`, reason: `${set.prefix}: ${m.fail.label}`, detail: m.fail.detail };
        for (const r of set.rules) {
          const t = resolved.get(r.id);
          const v = m.metrics[r.metric];
          if (!t || Number.isNaN(v) || Number.isNaN(t.value)) continue;
          if (r.cmp === '<' ? v < t.value : v > t.value) return { key: r.id, reason: `${set.prefix}: ${r.label}`, detail: compareDetail(r.label, v, r.cmp, t) };
        }
        if (m.failLast) return { key: `${set.name}:${m.failLast.label}`, reason: `${set.prefix}: ${m.failLast.label}`, detail: m.failLast.detail };
        return { text: m.text };
      };

      // resolve thresholds set by set: a derived one needs a pass over the rows reaching its set
      for (let si = 0; si < sets.length; si++) {
        const derived = sets[si].rules.filter((r) => isDataDerived(specs.get(r.id)!));
        for (const r of sets[si].rules) if (!derived.includes(r)) resolved.set(r.id, resolveThreshold(specs.get(r.id)!, []));
        if (!derived.length) continue;
        const values = new Map(derived.map((r) => [r.id, new ValueCollector()]));
        let seen = 0;
        for await (const row of input.rows()) {
          if (++seen % 1000 === 0) ctx.progress(seen);
          let text = textOf(row[col]).text;
          if (text === undefined) continue;
          for (let sj = 0; sj < si && text !== undefined; sj++) {
            const v = evaluate(sets[sj], text);
            text = 'text' in v ? v.text : undefined;
          }
          if (text === undefined) continue;
          const m = sets[si].measure(text, params);
          if (m.fail) continue;
          for (const r of derived) values.get(r.id)!.push(m.metrics[r.metric]);
        }
        for (const r of derived) resolved.set(r.id, resolveThreshold(specs.get(r.id)!, values.get(r.id)!.sorted()));
        ctx.log(`quality: ${derived.map((r) => `${r.param} = ${showThreshold(resolved.get(r.id))}`).join(', ')}`);
      }

      const removed = new Map<string, number>();
      const lines: LineCounts = {};
      let total = 0;
      let kept = 0;
      let changed = 0;
      let empty = 0;
      for await (const row of input.rows()) {
        total++;
        const { text: original, why } = textOf(row[col]);
        if (original === undefined) {
          empty++;
          await out.drop(row, 'quality: empty text', `${col} ${why}`);
          continue;
        }
        let text = original;
        let gone = false;
        for (const set of sets) {
          const v = evaluate(set, text, set.name === 'c4' ? lines : undefined);
          if ('text' in v) {
            text = v.text;
            continue;
          }
          removed.set(v.key, (removed.get(v.key) ?? 0) + 1);
          await out.drop(row, v.reason, v.detail);
          gone = true;
          break;
        }
        if (gone) continue;
        kept++;
        if (text !== original) {
          changed++;
          await out.emit({ ...row, [col]: text });
        } else await out.emit(row);
      }

      // the note: every rule with its threshold and what it removed
      const rows: string[][] = [['rule', 'threshold', 'removed', 'datatrove']];
      for (const set of sets) {
        for (const h of set.hard) {
          if (h.when && !params[h.when]) continue;
          rows.push([`${set.prefix}: ${h.label}`, set.name === 'fineweb' ? 'no non-empty line' : 'any kept line', count(removed.get(`${set.name}:${h.label}`) ?? 0), set.name === 'fineweb' ? 'empty' : h.label.replace(' ', '_')]);
        }
        for (const r of set.rules) {
          const t = resolved.get(r.id);
          rows.push([`${set.prefix}: ${r.label}`, t ? `${r.cmp} ${showThreshold(t)}` : 'off', t ? count(removed.get(r.id) ?? 0) : '-', r.datatrove]);
        }
        if (set.name === 'c4') rows.push(['c4: no lines left', 'every line removed', count(removed.get('c4:no lines left') ?? 0), '-']);
      }
      if (empty) rows.push(['quality: empty text', `${col} null or blank`, count(empty), '-']);
      for (const line of table(rows)) out.note(line);
      if (sets.some((s) => s.name === 'c4')) {
        const parts = C4_LINE_RULES.map((k) => `${k} ${count(lines[k] ?? 0)}`);
        const sum = C4_LINE_RULES.reduce((n, k) => n + (lines[k] ?? 0), 0);
        out.note(`c4 removed ${count(sum)} lines (${parts.join(', ')}); ${count(changed)} kept rows rewritten`);
      }
      const ruleMetrics: Record<string, MetricValue> = {};
      for (const set of sets) for (const r of set.rules) ruleMetrics[`${set.prefix}: ${r.label}`] = { threshold: resolved.get(r.id)?.value ?? null, removed: resolved.get(r.id) ? (removed.get(r.id) ?? 0) : null };
      out.metric?.('rules', ruleMetrics);
      out.metric?.('removed', Object.fromEntries(removed));
      out.metric?.('rows', total);
      out.metric?.('kept', kept);
      if (empty) out.metric?.('empty_text', empty);
      out.note(`kept ${count(kept)} of ${count(total)} rows`);
    },
  },
});

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The column's text, or why there is none. */
function textOf(v: unknown): { text?: string; why: string } {
  if (v === null || v === undefined) return { why: 'is null' };
  if (typeof v !== 'string') return { why: `is a ${Array.isArray(v) ? 'list' : typeof v}, not text` };
  if (v.trim() === '') return { why: v === '' ? 'is empty' : 'is blank' };
  return { text: v, why: '' };
}

