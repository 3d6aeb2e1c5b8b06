import { defineOp, OpError, type Column, type Row, type RowSet } from '../types.js';
import { requireColumns } from '../common.js';
import { cpLen } from './textmetrics.js';
import {
  compareDetail,
  fmt,
  isDataDerived,
  parseThreshold,
  quantile,
  resolveThreshold,
  showThreshold,
  table,
  THRESHOLD_HELP,
  ValueCollector,
  type ResolvedThreshold,
  type ThresholdSpec,
} from './thresholds.js';

/**
 * Gibberish detection: per-character perplexity under an add-k smoothed character n-gram model
 * (trained on the data itself, leave-one-out, or on a reference cell), plus a heuristic
 * gibberish score in [0, 1].
 */

/** What the model reads: NFC, lowercase, whitespace runs as one space, trimmed. */
export function lmText(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * An add-k smoothed character n-gram model: P(c | h) = (N(h c) + k) / (N(h) + k·V), where h is
 * the previous order−1 characters (padded with a start marker), V the training alphabet size
 * plus one for unseen characters, and each text ends with an end marker.
 *
 * Characters get dense ids in training order and an n-gram is the number Σ id·M^j, so counts
 * live in numeric maps (no string per n-gram). M = 2^⌊52/order⌋ (at most 2^21): order 3 has
 * room for 131,069 distinct characters, order 5 for 1,021; characters past that, and unseen
 * ones when scoring, share one "other" id.
 */
export class CharNgramModel {
  private grams = new Map<number, number>();
  private contexts = new Map<number, number>();
  /** code point → id; 0 is the start marker, 1 the end marker, M−1 "other" */
  private ids = new Map<number, number>();
  private vocab = new Set<number>();
  private readonly M: number;
  private readonly span: number;
  texts = 0;

  constructor(readonly order: number, readonly k: number) {
    this.M = 2 ** Math.min(21, Math.floor(52 / order));
    this.span = this.M ** (order - 1);
  }

  private idOf(cp: number, add: boolean): number {
    let id = this.ids.get(cp);
    if (id === undefined) {
      if (!add || this.ids.size + 2 >= this.M - 1) return this.M - 1;
      id = this.ids.size + 2;
      this.ids.set(cp, id);
    }
    return id;
  }

  /** the (context, n-gram, symbol) keys of a text's predictions: each character, then the end */
  private keys(text: string, add: boolean): { ctx: Float64Array; gram: Float64Array; sym: Float64Array; n: number } {
    const t = lmText(text);
    const ctx = new Float64Array(t.length + 1);
    const gram = new Float64Array(t.length + 1);
    const sym = new Float64Array(t.length + 1);
    let h = 0; // the start markers have id 0, so the first context is 0
    let n = 0;
    const step = (id: number) => {
      const g = h * this.M + id;
      ctx[n] = h;
      gram[n] = g;
      sym[n++] = id;
      h = g % this.span;
    };
    for (const ch of t) step(this.idOf(ch.codePointAt(0)!, add));
    step(1);
    return { ctx, gram, sym, n };
  }

  train(text: string): void {
    this.texts++;
    const { ctx, gram, sym, n } = this.keys(text, true);
    for (let i = 0; i < n; i++) {
      this.contexts.set(ctx[i], (this.contexts.get(ctx[i]) ?? 0) + 1);
      this.grams.set(gram[i], (this.grams.get(gram[i]) ?? 0) + 1);
      this.vocab.add(sym[i]);
    }
  }

  get alphabet(): number {
    return this.vocab.size + 1;
  }

  get contextCount(): number {
    return this.contexts.size;
  }

  /**
   * Per-character perplexity exp(−mean ln P). With `leaveOut` the text's own counts are taken
   * out of the model first (for a text the model was trained on), so a string seen only in
   * this row does not vouch for itself.
   */
  perplexity(text: string, leaveOut = false): number {
    const { ctx, gram, n } = this.keys(text, false);
    const ownCtx = new Map<number, number>();
    const ownGram = new Map<number, number>();
    if (leaveOut) {
      for (let i = 0; i < n; i++) {
        ownCtx.set(ctx[i], (ownCtx.get(ctx[i]) ?? 0) + 1);
        ownGram.set(gram[i], (ownGram.get(gram[i]) ?? 0) + 1);
      }
    }
    const kV = this.k * this.alphabet;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const g = (this.grams.get(gram[i]) ?? 0) - (ownGram.get(gram[i]) ?? 0);
      const h = (this.contexts.get(ctx[i]) ?? 0) - (ownCtx.get(ctx[i]) ?? 0);
      sum += Math.log((g + this.k) / (h + kV));
    }
    return Math.exp(-sum / n);
  }
}

export interface GibberishParts {
  score: number;
  /** Latin letters in the words scored (acronyms left out) */
  letters: number;
  /** share of Latin words that look unpronounceable (NaN without Latin words) */
  unpronounceable: number;
  /** vowels (a e i o u y) / Latin letters (NaN without) */
  vowels: number;
  /** longest run of punctuation/symbol characters */
  symbolRun: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** A Latin word that no language would spell: 4+ letters and no vowel, 5+ consonants in a row, or one letter 4+ times in a row. */
export function unpronounceable(word: string): boolean {
  const w = word.toLowerCase();
  return (w.length >= 4 && !/[aeiouy]/.test(w)) || /[bcdfghjklmnpqrstvwxz]{5}/.test(w) || /(.)\1{3}/.test(w);
}

/**
 * gibberish = 0.6·u + 0.25·v + 0.15·r, in [0, 1], where
 * u = share of Latin words (after removing accents; all-caps words of 2–6 letters are acronyms
 *     and skipped) that are unpronounceable,
 * v = how far the vowel share of their letters is outside [0.25, 0.55]: (0.25 − x)/0.25 below,
 *     (x − 0.55)/0.25 above, capped at 1,
 * r = (longest run of punctuation/symbol characters − 3)/12, clamped to [0, 1];
 * a text without Latin words scores r alone.
 */
export function gibberishScore(text: string): GibberishParts {
  const plain = text.normalize('NFD').replace(/\p{M}/gu, '');
  const words = (plain.match(/[A-Za-z]+/g) ?? []).filter((w) => !/^[A-Z]{2,6}$/.test(w));
  let longest = 0;
  for (const m of text.matchAll(/[\p{P}\p{S}]+/gu)) longest = Math.max(longest, cpLen(m[0]));
  const r = clamp01((longest - 3) / 12);
  if (words.length === 0) return { score: r, letters: 0, unpronounceable: NaN, vowels: NaN, symbolRun: longest };
  const u = words.filter(unpronounceable).length / words.length;
  let letters = 0;
  let vowels = 0;
  for (const w of words) {
    letters += w.length;
    vowels += (w.match(/[aeiouyAEIOUY]/g) ?? []).length;
  }
  const x = vowels / letters;
  const v = x < 0.25 ? (0.25 - x) / 0.25 : x > 0.55 ? clamp01((x - 0.55) / 0.25) : 0;
  return { score: 0.6 * u + 0.25 * v + 0.15 * r, letters, unpronounceable: u, vowels: x, symbolRun: longest };
}

/** Letters the score judged: a text with a long symbol run is judged on that alone, whatever its letters. */
function lettersOf(parts: GibberishParts): number {
  return parts.symbolRun > 3 ? Infinity : parts.letters;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Length bands for data-derived perplexity thresholds: a short text's per-character perplexity is
 * higher and noisier (fewer characters, rarer ones — names, acronyms, commands), so each band gets
 * its own "median+10mad of texts of similar length". Upper bounds in code points.
 */
export const LENGTH_BANDS = [16, 32, 64, 128, Infinity];
/** A band with fewer texts than this uses the threshold of all texts. */
const MIN_BAND_TEXTS = 50;
const bandOf = (len: number) => LENGTH_BANDS.findIndex((b) => len < b);

function textOf(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

export const gibberish = defineOp({
  name: 'gibberish',
  version: 2,
  kind: 'global',
  summary: 'score rows by character n-gram perplexity and a gibberish heuristic; drop (or flag) keyboard mash and noise',
  doc: `Adds \`perplexity\` and \`gibberish\` columns and drops rows over either threshold (\`action: flag\` keeps them and adds \`gibberish_reason\`, null for clean rows). **perplexity**: a character n-gram model (order 3) with add-k smoothing, P(c | h) = (N(hc) + k)/(N(h) + k·V) (V = alphabet + 1), over the lowercased, whitespace-collapsed text with start/end markers; the score is exp(−mean ln P) per character. The model is trained on the data itself in a first pass and each row is scored leave-one-out (its own counts removed, so a string seen only in that row does not vouch for itself), or trained on another cell with \`reference: clean_cell\` (its \`reference_column\`, default the same name). **gibberish** = 0.6·u + 0.25·v + 0.15·r: u the share of Latin words (accents removed, all-caps acronyms of 2–6 letters skipped) with 4+ letters and no vowel (aeiouy), 5+ consonants in a row or one letter 4+ times in a row; v how far the vowel share of their letters is outside [0.25, 0.55] (linear, 1 at 0 or ≥ 0.8); r = (longest run of punctuation/symbols − 3)/12 clamped to [0, 1]; a text without Latin words scores r alone. Thresholds are numbers, null or "off", or derived from this data: "p99", "mean+3sd", "median+20mad" (the default for perplexity: 20 raw MADs above the median — perplexity is right-skewed, so a tighter cut removes ordinary rows with rare names and acronyms). A short text has a higher, noisier per-character perplexity, so a data-derived perplexity threshold is computed per length band (under 16, 16–31, 32–63, 64–127, 128+ code points; a band with fewer than 50 texts uses all texts): names and one-line commands are compared with texts of their own length. Texts under \`min_length\` (4) code points are not judged by perplexity, and texts with fewer than \`min_letters\` (8) Latin letters (acronyms excluded) not by the gibberish score, unless they hold a symbol run of 4+. Measured (BENCHMARKS.md, Correctness): on 3,256 man-page one-liners with 3% keyboard mashes added, precision 97.0% (recall 99.0%) and 0.09% of the real one-liners dropped; on 8,849 first names 0.28% of the names dropped (short mashes among names are hard: recall 36%). Rows with a null or blank text get null scores and are kept. Memory: the n-gram counts (distinct n-grams) and two numbers per row.`,
  params: [
    { name: 'column', type: { kind: 'column' }, positional: true, default: 'text', doc: 'the text column scored' },
    { name: 'order', type: { kind: 'number', integer: true, min: 1, max: 5 }, default: 3, doc: 'n-gram order, 1–5 (characters of context + 1)' },
    { name: 'smoothing', type: { kind: 'number', min: 0 }, default: 0.1, doc: 'the k of add-k smoothing (> 0)' },
    { name: 'max_perplexity', type: { kind: 'any' }, default: 'median+20mad', doc: 'drop rows with a higher perplexity: a number, "p99", "mean+3sd", "median+20mad" (per length band of the texts), or null (off)' },
    { name: 'max_gibberish', type: { kind: 'any' }, default: 0.5, doc: 'drop rows with a higher gibberish score (0..1), or a data-derived threshold, or null (off)' },
    { name: 'min_length', type: { kind: 'count', min: 0 }, default: 4, doc: 'texts shorter than this (code points) are not judged by perplexity — names, titles, one-line commands; their perplexity is still reported, and data-derived perplexity thresholds come from the longer texts' },
    { name: 'min_letters', type: { kind: 'count', min: 0 }, default: 8, doc: 'texts with fewer Latin letters (acronyms excluded) are not judged by the gibberish score (a lone "fsck" or "xkcd")' },
    { name: 'reference', type: { kind: 'dataset' }, doc: 'a cell of clean in-domain text to train the model on (default: this data, leave-one-out)' },
    { name: 'reference_column', type: { kind: 'string' }, doc: 'the reference cell column to train on (default: the same name as column)' },
    { name: 'action', type: { kind: 'enum', values: ['drop', 'flag'] }, default: 'drop', doc: 'drop rows over a threshold, or keep them and add gibberish_reason' },
  ],
  describe: (p) => `gibberish ${p.column as string} (char ${p.order}-gram${p.reference ? `, trained on ${p.reference as string}` : ''})`,
  schema(ctx) {
    const p = ctx.params;
    const col = (p.column as string | undefined) ?? 'text';
    requireColumns(ctx, 'column', [col]);
    if (typeof p.smoothing === 'number' && p.smoothing <= 0) ctx.error('smoothing', '`smoothing` must be above 0', { help: 'try smoothing: 0.1' });
    for (const name of ['max_perplexity', 'max_gibberish']) {
      const t = parseThreshold(p[name]);
      if ('error' in t) ctx.error(name, `\`${name}\`: ${t.error}`, { help: THRESHOLD_HELP });
    }
    const ref = ctx.datasets.reference;
    const refCol = (p.reference_column as string | undefined) ?? col;
    if (p.reference_column !== undefined && !p.reference) ctx.error('reference_column', '`reference_column` needs `reference`', { help: 'add `reference: <cell>`' });
    if (ref && !ref.columns.some((c) => c.name === refCol)) {
      ctx.error(p.reference_column !== undefined ? 'reference_column' : 'reference', `the reference cell has no column \`${refCol}\``, {
        notes: [`its columns: ${ref.columns.map((c) => c.name).join(', ') || '(none)'}`],
        help: 'set `reference_column:` to its text column',
      });
    }
    if (!ctx.input) return { columns: [] };
    const added: Column[] = [
      { name: 'perplexity', type: 'number' },
      { name: 'gibberish', type: 'number' },
      ...(p.action === 'flag' ? [{ name: 'gibberish_reason', type: 'string' } as Column] : []),
    ];
    return { ...ctx.input, columns: [...ctx.input.columns.filter((c) => !added.some((a) => a.name === c.name)), ...added] };
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out, extra) {
      const col = params.column as string;
      const flag = params.action === 'flag';
      const model = new CharNgramModel(params.order as number, params.smoothing as number);
      const reference: RowSet | undefined = params.reference ? extra.reference : undefined;
      if (params.reference && !reference) throw new OpError('gibberish: the reference cell did not arrive');
      const refCol = (params.reference_column as string | undefined) ?? col;
      let seen = 0;
      for await (const row of (reference ?? input).rows()) {
        const t = textOf(row[reference ? refCol : col]);
        if (t !== undefined) model.train(t);
        if (++seen % 1000 === 0) ctx.progress(seen);
      }
      if (reference && model.texts === 0) throw new OpError(`gibberish: the reference cell has no text in \`${refCol}\``);
      const leaveOut = !reference;

      const specs: Record<'perplexity' | 'gibberish', ThresholdSpec> = {
        perplexity: parseThreshold(params.max_perplexity) as ThresholdSpec,
        gibberish: parseThreshold(params.max_gibberish) as ThresholdSpec,
      };
      const derived = isDataDerived(specs.perplexity) || isDataDerived(specs.gibberish);
      const ppl = new ValueCollector();
      const gib = new ValueCollector();
      // scores in row order, kept only when a threshold needs every score before deciding
      let stored: Float64Array[] | undefined = derived ? [new Float64Array(Math.max(input.count, 1)), new Float64Array(Math.max(input.count, 1))] : undefined;
      const resolved: Record<'perplexity' | 'gibberish', ResolvedThreshold | undefined> = {
        perplexity: derived ? undefined : resolveThreshold(specs.perplexity, []),
        gibberish: derived ? undefined : resolveThreshold(specs.gibberish, []),
      };
      const removed = { perplexity: 0, gibberish: 0 };
      let hits = 0;

      const minLength = params.min_length as number;
      const minLetters = params.min_letters as number;
      let short = 0;
      const bandPpl = LENGTH_BANDS.map(() => new ValueCollector());
      let bandThresholds: (ResolvedThreshold | undefined)[] | undefined;
      const decide = async (row: Row, p: number, g: number, parts?: GibberishParts) => {
        const raw = { p, g };
        // short texts: too few characters for the char model, too few letters for the score
        const text = textOf(row[col]);
        if (text !== undefined && cpLen(text.trim()) < minLength) {
          p = NaN;
          short++;
        }
        if (text !== undefined && lettersOf(parts ?? gibberishScore(text)) < minLetters) g = NaN;
        let reason: string | undefined;
        let detail = '';
        const tp = text !== undefined && bandThresholds ? bandThresholds[bandOf(cpLen(text.trim()))] : resolved.perplexity;
        const tg = resolved.gibberish;
        const why: string[] = [];
        if (tp && !Number.isNaN(p) && p > tp.value) {
          reason ??= 'gibberish: perplexity';
          why.push(compareDetail('perplexity', p, '>', tp));
          removed.perplexity++;
        }
        if (tg && !Number.isNaN(g) && g > tg.value) {
          reason ??= 'gibberish: score';
          const q = parts ?? gibberishScore(String(row[col]));
          why.push(`${compareDetail('gibberish', g, '>', tg)} (unpronounceable words ${fmt(q.unpronounceable)}, vowel share ${fmt(q.vowels)}, longest symbol run ${q.symbolRun})`);
          if (!reason.endsWith('perplexity')) removed.gibberish++;
        }
        detail = why.join('; ');
        const scored = { ...row, perplexity: Number.isNaN(raw.p) ? null : raw.p, gibberish: Number.isNaN(raw.g) ? null : raw.g } as Row;
        if (reason) hits++;
        if (flag) await out.emit({ ...scored, gibberish_reason: reason ? detail : null } as Row);
        else if (reason) await out.drop(scored, reason, detail);
        else await out.emit(scored);
      };

      let n = 0;
      for await (const row of input.rows()) {
        const t = textOf(row[col]);
        let p = NaN;
        let g = NaN;
        let parts: GibberishParts | undefined;
        if (t !== undefined) {
          p = round4(model.perplexity(t, leaveOut));
          parts = gibberishScore(t);
          g = round4(parts.score);
          if (cpLen(t.trim()) >= minLength) {
            ppl.push(p);
            bandPpl[bandOf(cpLen(t.trim()))].push(p);
          }
          if (lettersOf(parts) >= minLetters) gib.push(g);
        }
        if (stored) {
          if (n >= stored[0].length) stored = stored.map((a) => {
            const next = new Float64Array(a.length * 2);
            next.set(a);
            return next;
          });
          stored[0][n] = p;
          stored[1][n] = g;
        } else await decide(row, p, g, parts);
        if (++n % 1000 === 0) ctx.progress(n);
      }
      const pplSorted = ppl.sorted();
      const gibSorted = gib.sorted();
      if (stored) {
        resolved.perplexity = resolveThreshold(specs.perplexity, pplSorted);
        if (isDataDerived(specs.perplexity)) {
          bandThresholds = bandPpl.map((c) => {
            if (c.size < MIN_BAND_TEXTS) return resolved.perplexity;
            const t = resolveThreshold(specs.perplexity, c.sorted());
            const i = bandPpl.indexOf(c);
            return t && { ...t, source: `${t.source?.replace(' of this data', '')} of texts of ${i ? LENGTH_BANDS[i - 1] : 0}–${Number.isFinite(LENGTH_BANDS[i]) ? LENGTH_BANDS[i] - 1 : '∞'} characters` };
          });
        }
        resolved.gibberish = resolveThreshold(specs.gibberish, gibSorted);
        let i = 0;
        for await (const row of input.rows()) {
          await decide(row, stored[0][i], stored[1][i]);
          i++;
        }
      }

      out.note(
        `char ${model.order}-gram model, add-${fmt(model.k)}, trained on ${reference ? `${params.reference as string} (${model.texts.toLocaleString('en-US')} texts)` : `this data, leave-one-out (${model.texts.toLocaleString('en-US')} texts)`}: ${model.alphabet - 1} characters, ${model.contextCount.toLocaleString('en-US')} contexts`,
      );
      const dist = (xs: Float64Array) => (xs.length ? [fmt(quantile(xs, 0.5)), fmt(quantile(xs, 0.9)), fmt(quantile(xs, 0.99)), fmt(xs[xs.length - 1])] : ['-', '-', '-', '-']);
      const rows: string[][] = [
        ['score', 'median', 'p90', 'p99', 'max', 'threshold', flag ? 'flagged' : 'removed'],
        ['perplexity', ...dist(pplSorted), resolved.perplexity ? `> ${showThreshold(resolved.perplexity)}` : 'off', String(removed.perplexity)],
        ['gibberish', ...dist(gibSorted), resolved.gibberish ? `> ${showThreshold(resolved.gibberish)}` : 'off', String(removed.gibberish)],
      ];
      for (const line of table(rows)) out.note(line);
      if (bandThresholds) {
        out.note(`perplexity thresholds by length (${showThreshold(resolved.perplexity!).replace(/ \(.*$/, '')} per band; bands under ${MIN_BAND_TEXTS} texts use all texts): ${LENGTH_BANDS.map((b, i) => `${i ? LENGTH_BANDS[i - 1] : 0}–${Number.isFinite(b) ? b - 1 : '∞'}: ${bandThresholds![i] ? fmt(bandThresholds![i]!.value) : 'off'} (${bandPpl[i].size} texts)`).join(' · ')}`);
        out.metric?.('perplexity_thresholds_by_length', LENGTH_BANDS.map((b, i) => ({ from: i ? LENGTH_BANDS[i - 1] : 0, below: Number.isFinite(b) ? b : null, texts: bandPpl[i].size, threshold: bandThresholds![i]?.value ?? null })));
      }
      if (short) out.note(`${short.toLocaleString('en-US')} text${short === 1 ? '' : 's'} under ${minLength} characters not judged by perplexity (\`min_length\`); texts with fewer than ${minLetters} letters not judged by the score (\`min_letters\`)`);
      out.metric?.('rows', n);
      out.metric?.(flag ? 'flagged' : 'dropped', hits);
      out.metric?.('removed_by', { ...removed });
      out.metric?.('thresholds', { perplexity: resolved.perplexity?.value ?? null, gibberish: resolved.gibberish?.value ?? null });
      out.metric?.('short_not_judged', short);
      out.note(`${hits.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} rows ${flag ? 'flagged' : 'dropped'}${n - ppl.size ? `; ${(n - ppl.size).toLocaleString('en-US')} without text kept unscored` : ''}`);
    },
  },
});
