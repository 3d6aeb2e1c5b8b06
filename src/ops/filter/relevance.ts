import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineOp, OpError, type Column, type RegexValue, type Row, type RowSet } from '../types.js';
import { requireColumns } from '../common.js';
import { resolvePath } from '../sources/files.js';
import { readLines } from '../sources/lines.js';
import { compareDetail, fmt, isDataDerived, parseThreshold, quantile, resolveThreshold, showThreshold, table, THRESHOLD_HELP, ValueCollector, type ResolvedThreshold, type ThresholdSpec } from '../curate/thresholds.js';
import { recipeRegex } from '../../parser/regex.js';

/**
 * Domain relevance: keyword and regex rules, and a score of each row against domain terms or
 * seed documents — Okapi BM25 or TF-IDF cosine, with document frequencies taken over the rows
 * being filtered.
 */

// ---------------------------------------------------------------------------------------------
// tokens

/** Words: NFKC, lowercase, runs of letters, marks and digits. */
export function words(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
}

const requireJson = createRequire(import.meta.url);
let stopwordLists: Record<string, string[]> | undefined;

/** stopwords-iso's lists, by ISO 639-1 code (en, de, fr, …). */
export function stopwordLanguages(): Record<string, string[]> {
  return (stopwordLists ??= requireJson('stopwords-iso') as Record<string, string[]>);
}

/**
 * English function words (articles, pronouns, auxiliaries, prepositions, conjunctions): used for
 * `en` instead of stopwords-iso's English list, whose 1,298 entries include content words a
 * domain is often about ("computer", "research", "information", "order", "problem", "system").
 */
export const ENGLISH_STOPWORDS = (
  'a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing down during each ' +
  'few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not of off on once only ' +
  'or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up ' +
  'very was we were what when where which while who whom why will with would you your yours yourself yourselves s t d ll m re ve don doesn didn isn aren wasn weren wouldn shouldn couldn'
).split(' ');

/** The stopwords of the given languages that are one word each after tokenizing (`en`: ENGLISH_STOPWORDS; others: stopwords-iso). */
export function stopwordSet(langs: string[]): Set<string> {
  const lists = stopwordLanguages();
  const out = new Set<string>();
  for (const l of langs) {
    for (const w of l === 'en' ? ENGLISH_STOPWORDS : lists[l] ?? []) {
      const t = words(w);
      if (t.length === 1) out.add(t[0]);
    }
  }
  return out;
}

/** Words of a text without stopwords: what BM25 and TF-IDF count. */
export function terms(text: string, stop: Set<string>): string[] {
  const w = words(text);
  return stop.size ? w.filter((t) => !stop.has(t)) : w;
}

function counts(tokens: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tokens) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

// ---------------------------------------------------------------------------------------------
// keywords

export interface Keyword {
  text: string;
  re: RegExp;
}

/** A keyword or phrase matched on whole words (case- and width-folded); a trailing `*` matches any ending: `refund*`. */
export function compileKeyword(k: string): Keyword {
  const prefix = k.trim().endsWith('*');
  const w = words(k);
  const esc = w.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(' ');
  return { text: k, re: new RegExp(`(?:^| )${esc}${prefix ? '[^ ]*' : ''}(?= |$)`, 'u') };
}

/** The text keywords are matched on: its words joined by single spaces. */
export function keywordText(text: string): string {
  return words(text).join(' ');
}

// ---------------------------------------------------------------------------------------------
// scores

/** Lucene's BM25 idf, never negative: ln(1 + (N − df + 0.5)/(df + 0.5)). */
export function bm25Idf(n: number, df: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** scikit-learn's smoothed idf: ln((1 + N)/(1 + df)) + 1. */
export function tfidfIdf(n: number, df: number): number {
  return Math.log((1 + n) / (1 + df)) + 1;
}

export interface Bm25Params {
  k1: number;
  b: number;
}

/**
 * Okapi BM25 of a document against weighted query terms:
 * Σ_t w(t) · idf(t) · tf(t)·(k1 + 1) / (tf(t) + k1·(1 − b + b·|D|/avgdl)).
 */
export function bm25Score(doc: string[], query: Map<string, number>, idf: (t: string) => number, avgdl: number, p: Bm25Params): number {
  const tf = counts(doc);
  const norm = p.k1 * (1 - p.b + (p.b * doc.length) / (avgdl || 1));
  let s = 0;
  for (const [t, w] of query) {
    const f = tf.get(t);
    if (!f) continue;
    s += (w * idf(t) * f * (p.k1 + 1)) / (f + norm);
  }
  return s;
}

/** tf·idf vector of a document. */
export function tfidfVector(doc: string[], idf: (t: string) => number): Map<string, number> {
  const v = counts(doc);
  for (const [t, f] of v) v.set(t, f * idf(t));
  return v;
}

export function norm(v: Map<string, number>): number {
  let s = 0;
  for (const x of v.values()) s += x * x;
  return Math.sqrt(s);
}

/** Cosine similarity of two sparse vectors (0 when either is empty). */
export function cosine(a: Map<string, number>, b: Map<string, number>, normA = norm(a), normB = norm(b)): number {
  if (!normA || !normB) return 0;
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [t, x] of small) {
    const y = big.get(t);
    if (y) dot += x * y;
  }
  return dot / (normA * normB);
}

/** Mean of the L2-normalized vectors: the centroid of seed documents. */
export function centroid(vectors: Map<string, number>[]): Map<string, number> {
  const c = new Map<string, number>();
  const used = vectors.filter((v) => norm(v) > 0);
  for (const v of used) {
    const n = norm(v);
    for (const [t, x] of v) c.set(t, (c.get(t) ?? 0) + x / n / used.length);
  }
  return c;
}

/** A BM25 query from seed documents: each word weighted by the share of seeds that contain it. */
export function seedQuery(seeds: string[][]): Map<string, number> {
  const q = new Map<string, number>();
  for (const s of seeds) for (const t of new Set(s)) q.set(t, (q.get(t) ?? 0) + 1 / seeds.length);
  return q;
}

// ---------------------------------------------------------------------------------------------
// the op

function rowText(row: Row, columns: string[]): string | undefined {
  const parts: string[] = [];
  for (const c of columns) {
    const v = row[c];
    if (typeof v === 'string') parts.push(v);
    else if (v !== null && v !== undefined && typeof v !== 'object') parts.push(String(v));
  }
  const t = parts.join('\n');
  return t.trim() ? t : undefined;
}

/** Seed documents from a file: JSON Lines (the `field` of each object) or plain text (one seed per non-empty line). */
async function readSeedFile(path: string, label: string, field: string): Promise<string[]> {
  const jsonl = /\.(jsonl|ndjson)(\.gz)?$/i.test(path);
  const out: string[] = [];
  for await (const line of readLines(path)) {
    if ('error' in line) throw new OpError(`${label}:${line.line}: ${line.error}`);
    if (!line.text.trim()) continue;
    if (!jsonl) {
      out.push(line.text);
      continue;
    }
    let rec: unknown;
    try {
      rec = JSON.parse(line.text);
    } catch {
      throw new OpError(`${label}:${line.line}: not valid JSON`);
    }
    const v = rec && typeof rec === 'object' && !Array.isArray(rec) ? (rec as Record<string, unknown>)[field] : undefined;
    if (typeof v !== 'string') throw new OpError(`${label}:${line.line}: no string field \`${field}\``);
    out.push(v);
  }
  return out;
}

function stopwordsOf(v: unknown): string[] {
  const list = (v as string[] | undefined) ?? [];
  return list.length === 1 && list[0] === 'none' ? [] : list;
}

const count = (n: number) => n.toLocaleString('en-US');

export const relevance = defineOp({
  name: 'relevance',
  version: 1,
  kind: 'global',
  summary: 'keep rows relevant to a domain: keyword/regex rules and a BM25 or TF-IDF score against domain terms or seed documents',
  doc:
    'Rules, all of which a kept row must pass: `any: ["refund", "invoice*"]` (at least one keyword), `all: [...]` (every keyword), `regex: /order #\\d+/i`, and a score over `threshold` when `terms` or `seeds` are given. ' +
    'Keywords match whole words and phrases after lowercasing and NFKC (`refund` does not match `refunds`; `refund*` does). ' +
    'Scores: `terms: ["refund", "chargeback", "invoice"]` is a query (each distinct word weight 1); `seeds: cell` (its `seeds_column`, default `text`) or `seeds_file: "domain.txt"` (one seed per non-empty line, or JSON Lines with a `text` field) are example in-domain documents. ' +
    '`method: bm25` (default) is Okapi BM25, score = Σ_t w(t)·idf(t)·tf·(k1 + 1)/(tf + k1·(1 − b + b·|D|/avgdl)) with k1 = 1.2, b = 0.75 (the usual defaults, e.g. Lucene/Elasticsearch) and idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)) (Lucene\'s variant, never negative), N, df and avgdl taken over the rows being filtered; with seeds w(t) is the share of seed documents containing t (the mean BM25 of the row with each seed\'s words as a query). ' +
    '`method: tfidf` is the cosine between the row\'s tf·idf vector and the query\'s (terms: idf of each term; seeds: the mean of the seeds\' L2-normalized tf·idf vectors), idf(t) = ln((1 + N)/(1 + df)) + 1 (scikit-learn\'s smoothed idf), in [0, 1]. ' +
    'Words are runs of letters and digits, lowercased; stopwords are left out of scores: `stopwords: [en]` (default) is a list of ' + `${ENGLISH_STOPWORDS.length}` + ' English function words (stopwords-iso\'s English list is not used: it holds content words like "computer", "research", "order"); other ISO 639-1 codes (`[en, de, fr]`) add stopwords-iso\'s list for that language; `stopwords: []` keeps every word. ' +
    'A scored row must contain a domain word (score above 0) and reach `threshold` when one is given: a number, or derived from the scores of the rows that contain a domain word ("p10": drop the lowest tenth of them; "median", "mean-1sd"). ' +
    'Adds `relevance` (the score; with keyword rules only, the number of distinct keywords found). Rows that fail are dropped with reason "off-topic" and the rule (`relevance 0.8 < 1.5`, `no keyword of any: refund, invoice`); rows without text are dropped too. ' +
    'Notes: rows kept of total per `by` column value (default `source`). Reads the input twice (three times with a data-derived threshold); memory: document frequencies of the vocabulary (BM25: of the query words only).',
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, default: ['text'], doc: 'text columns scored (joined by newlines)' },
    { name: 'any', type: { kind: 'list', of: { kind: 'string' } }, doc: 'keep rows containing at least one of these words or phrases (trailing * = any ending)' },
    { name: 'all', type: { kind: 'list', of: { kind: 'string' } }, doc: 'keep rows containing every one of these words or phrases' },
    { name: 'regex', type: { kind: 'regex' }, doc: 'keep rows matching this regex' },
    { name: 'terms', type: { kind: 'list', of: { kind: 'string' } }, doc: 'domain terms: the query rows are scored against' },
    { name: 'seeds', type: { kind: 'dataset' }, doc: 'a cell of in-domain example documents to score against' },
    { name: 'seeds_column', type: { kind: 'string' }, default: 'text', doc: 'the text column (or JSON Lines field) of the seed documents' },
    { name: 'seeds_file', type: { kind: 'path', access: 'read' }, doc: 'in-domain example documents: text (one per line) or JSON Lines' },
    { name: 'method', type: { kind: 'enum', values: ['bm25', 'tfidf'] }, default: 'bm25', doc: 'score: Okapi BM25 or TF-IDF cosine' },
    { name: 'threshold', type: { kind: 'any' }, doc: 'minimum score: a number or "p10", "median", "mean-1sd" (default: above 0)' },
    { name: 'k1', type: { kind: 'number', min: 0 }, default: 1.2, doc: 'BM25 term-frequency saturation' },
    { name: 'b', type: { kind: 'number', min: 0, max: 1 }, default: 0.75, doc: 'BM25 length normalization' },
    { name: 'stopwords', type: { kind: 'list', of: { kind: 'string' } }, default: ['en'], doc: 'stopword languages left out of scores (ISO 639-1; [] for none)' },
    { name: 'by', type: { kind: 'column' }, default: 'source', doc: 'column whose values the kept/total note is broken down by' },
  ],
  describe: (p) => {
    const what = p.terms ? `${(p.terms as string[]).length} terms` : p.seeds ? `seeds ${p.seeds as string}` : p.seeds_file ? `seeds ${p.seeds_file as string}` : 'keywords';
    return `relevance ${what}${p.terms || p.seeds || p.seeds_file ? ` (${p.method as string})` : ''}`;
  },
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'columns', (p.columns as string[] | undefined) ?? ['text']);
    if (p.by !== undefined && p.by !== 'source') requireColumns(ctx, 'by', [p.by as string]);
    const scored = p.terms !== undefined || p.seeds !== undefined || p.seeds_file !== undefined;
    if (!scored && !p.any && !p.all && !p.regex) {
      ctx.error(undefined, '`relevance` needs something to judge relevance by', { help: 'give domain `terms: [...]`, `seeds: <cell>` or `seeds_file: "…"`, or keyword rules `any: [...]`, `all: [...]`, `regex: /…/`' });
    }
    if ([p.terms, p.seeds, p.seeds_file].filter((x) => x !== undefined).length > 1) {
      ctx.error(p.seeds_file !== undefined ? 'seeds_file' : 'seeds', 'score against `terms`, `seeds` or `seeds_file`, one of them', { help: 'put the terms into a seed document, or use two `relevance` steps' });
    }
    const t = parseThreshold(p.threshold);
    if ('error' in t) ctx.error('threshold', `\`threshold\`: ${t.error}`, { help: THRESHOLD_HELP });
    else if (p.threshold !== undefined && !scored) ctx.error('threshold', '`threshold` applies to a score, and there is none', { help: 'add `terms: [...]` or `seeds:`' });
    const langs = stopwordsOf(p.stopwords);
    const known = stopwordLanguages();
    for (const l of langs) if (!known[l]) ctx.error('stopwords', `no stopword list for \`${l}\``, { help: 'use ISO 639-1 codes: en, de, fr, es, …, or [] for none' });
    const stop = stopwordSet(langs.filter((l) => known[l]));
    for (const [name, list] of [['any', p.any], ['all', p.all], ['terms', p.terms]] as const) {
      for (const k of (list as string[] | undefined) ?? []) {
        if (!words(k).length) ctx.error(name, `\`${name}\` entry ${JSON.stringify(k)} has no words`);
        else if (name === 'terms' && !terms(k, stop).length) ctx.error('terms', `term ${JSON.stringify(k)} is only stopwords, which scores leave out`, { help: 'remove it, or set `stopwords: []`' });
      }
    }
    if (p.regex) {
      try {
        new RegExp((p.regex as RegexValue).regex, (p.regex as RegexValue).flags);
      } catch (e) {
        ctx.error('regex', `not a valid regex: ${(e as Error).message}`);
      }
    }
    const seeds = ctx.datasets.seeds;
    if (seeds && !seeds.open && !seeds.columns.some((c) => c.name === p.seeds_column)) {
      ctx.error('seeds_column', `the seeds cell has no column \`${p.seeds_column as string}\``, { notes: [`its columns: ${seeds.columns.map((c) => c.name).join(', ')}`], help: 'set `seeds_column:` to its text column' });
    }
    if (typeof p.seeds_file === 'string') {
      const { abs } = resolvePath(p.seeds_file, ctx.baseDir);
      if (!existsSync(abs) || !statSync(abs).isFile()) ctx.error('seeds_file', `file not found: \`${p.seeds_file}\``, { notes: ['paths are relative to the recipe file'] });
    }
    if (!ctx.input) return { columns: [] };
    const added: Column[] = [{ name: 'relevance', type: 'number' }];
    return { ...ctx.input, columns: [...ctx.input.columns.filter((c) => c.name !== 'relevance'), ...added] };
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out, extra) {
      const columns = params.columns as string[];
      const by = (params.by as string | undefined) ?? 'source';
      const method = params.method as 'bm25' | 'tfidf';
      const bm: Bm25Params = { k1: params.k1 as number, b: params.b as number };
      const stop = stopwordSet(stopwordsOf(params.stopwords));
      const anyK = ((params.any as string[] | undefined) ?? []).map(compileKeyword);
      const allK = ((params.all as string[] | undefined) ?? []).map(compileKeyword);
      const rx = params.regex ? recipeRegex((params.regex as RegexValue).regex, (params.regex as RegexValue).flags.replace(/[gy]/g, '')) : undefined;

      // the query: domain terms, or seed documents
      let seedDocs: string[][] | undefined;
      let seedLabel = '';
      if (params.seeds !== undefined) {
        const rows: RowSet | undefined = extra.seeds;
        if (!rows) throw new OpError('relevance: the seeds cell did not arrive');
        seedDocs = [];
        for await (const r of rows.rows()) {
          const v = r[params.seeds_column as string];
          if (typeof v === 'string' && v.trim()) seedDocs.push(terms(v, stop));
        }
        seedLabel = `${count(seedDocs.length)} seed documents from ${params.seeds as string}`;
      } else if (params.seeds_file !== undefined) {
        const { abs } = resolvePath(params.seeds_file as string, ctx.baseDir);
        if (!existsSync(abs)) throw new OpError(`relevance: seeds file not found: ${params.seeds_file as string}`);
        seedDocs = (await readSeedFile(abs, params.seeds_file as string, params.seeds_column as string)).map((s) => terms(s, stop));
        seedLabel = `${count(seedDocs.length)} seed documents from ${params.seeds_file as string}`;
      }
      if (seedDocs && !seedDocs.some((d) => d.length)) throw new OpError(`relevance: the seed documents have no words (${seedLabel})`);
      const termList = params.terms as string[] | undefined;
      const scored = !!(termList || seedDocs);
      let query = new Map<string, number>();
      if (termList) for (const t of termList) for (const w of terms(t, stop)) query.set(w, 1);
      else if (seedDocs) query = seedQuery(seedDocs);

      // pass 1: document frequencies and lengths over the rows
      const df = new Map<string, number>();
      let docs = 0;
      let totalLen = 0;
      let n = 0;
      if (scored) {
        for await (const row of input.rows()) {
          const text = rowText(row, columns);
          if (text !== undefined) {
            const toks = terms(text, stop);
            docs++;
            totalLen += toks.length;
            for (const t of new Set(toks)) if (method === 'tfidf' || query.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
          }
          if (++n % 1000 === 0) ctx.progress(n);
        }
      }
      const avgdl = docs ? totalLen / docs : 0;
      const idfCache = new Map<string, number>();
      const idf = (t: string) => {
        let v = idfCache.get(t);
        if (v === undefined) {
          const d = df.get(t) ?? 0;
          v = method === 'bm25' ? bm25Idf(docs, d) : tfidfIdf(docs, d);
          idfCache.set(t, v);
        }
        return v;
      };
      let qvec: Map<string, number> | undefined;
      let qnorm = 0;
      if (scored && method === 'tfidf') {
        qvec = seedDocs ? centroid(seedDocs.map((d) => tfidfVector(d, idf))) : new Map([...query.keys()].map((t) => [t, idf(t)]));
        qnorm = norm(qvec);
      }
      const score = (text: string): number => {
        const toks = terms(text, stop);
        const s = method === 'bm25' ? bm25Score(toks, query, idf, avgdl, bm) : cosine(tfidfVector(toks, idf), qvec!, undefined, qnorm);
        return Math.round(s * 1e6) / 1e6;
      };

      // keyword rules: the reason a row fails, or undefined; hits = distinct keywords found
      const keywordCheck = (text: string): { fail?: string; hits: number } => {
        const kt = keywordText(text);
        const anyHit = anyK.filter((k) => k.re.test(kt));
        const allHit = allK.filter((k) => k.re.test(kt));
        const hits = new Set([...anyHit, ...allHit].map((k) => k.text)).size;
        if (anyK.length && !anyHit.length) return { fail: `no keyword of any: ${anyK.map((k) => k.text).join(', ')}`, hits };
        if (allK.length && allHit.length < allK.length) return { fail: `missing all: ${allK.filter((k) => !allHit.includes(k)).map((k) => k.text).join(', ')}`, hits };
        if (rx && !rx.test(text)) return { fail: `regex /${(params.regex as RegexValue).regex}/${(params.regex as RegexValue).flags} does not match`, hits };
        return { hits };
      };

      const spec = parseThreshold(params.threshold) as ThresholdSpec;
      const derived = scored && isDataDerived(spec);
      let resolved: ResolvedThreshold | undefined = derived ? undefined : resolveThreshold(spec, []);
      const values = new ValueCollector();
      const perSource = new Map<string, { rows: number; kept: number }>();
      const why = { keywords: 0, score: 0, zero: 0, noText: 0 };
      let kept = 0;

      const decide = async (row: Row, s: number | null): Promise<void> => {
        const key = row[by] === null || row[by] === undefined ? '(none)' : typeof row[by] === 'string' ? (row[by] as string) : JSON.stringify(row[by]);
        const src = perSource.get(key) ?? { rows: 0, kept: 0 };
        perSource.set(key, src);
        src.rows++;
        const text = rowText(row, columns);
        if (text === undefined) {
          why.noText++;
          await out.drop({ ...row, relevance: null }, 'off-topic', `no text in ${columns.join(', ')}`);
          return;
        }
        const k = keywordCheck(text);
        const value = scored ? (s as number) : k.hits;
        const scoredRow = { ...row, relevance: value } as Row;
        if (k.fail) {
          why.keywords++;
          await out.drop(scoredRow, 'off-topic', k.fail);
          return;
        }
        if (scored && value <= 0) {
          why.zero++;
          await out.drop(scoredRow, 'off-topic', 'relevance 0: no domain word in the row');
          return;
        }
        if (scored && resolved && value < resolved.value) {
          why.score++;
          await out.drop(scoredRow, 'off-topic', compareDetail('relevance', value, '<', resolved));
          return;
        }
        src.kept++;
        kept++;
        await out.emit(scoredRow);
      };

      // pass 2: scores (kept in row order when the threshold needs all of them first)
      let stored: Float64Array | undefined = derived ? new Float64Array(Math.max(input.count, 1)) : undefined;
      let i = 0;
      for await (const row of input.rows()) {
        const text = scored ? rowText(row, columns) : undefined;
        const s = text !== undefined ? score(text) : NaN;
        if (s > 0) values.push(s);
        if (stored) {
          if (i >= stored.length) {
            const next = new Float64Array(stored.length * 2);
            next.set(stored);
            stored = next;
          }
          stored[i] = s;
        } else await decide(row, Number.isNaN(s) ? null : s);
        i++;
        if (!scored && i % 1000 === 0) ctx.progress(i);
      }
      const sorted = values.sorted();
      if (stored) {
        const r = resolveThreshold(spec, sorted);
        // derived from the rows that contain a domain word: rows scoring 0 never count
        resolved = r && { ...r, source: `${(spec as { text: string }).text} of the rows with a domain word` };
        let j = 0;
        for await (const row of input.rows()) {
          await decide(row, Number.isNaN(stored[j]) ? null : stored[j]);
          j++;
        }
      }

      if (scored) {
        const what = termList ? `${count(query.size)} term${query.size === 1 ? '' : 's'} (${[...query.keys()].slice(0, 8).join(', ')}${query.size > 8 ? ', …' : ''})` : seedLabel;
        const how = method === 'bm25' ? `bm25 (k1 ${fmt(bm.k1)}, b ${fmt(bm.b)})` : 'tf-idf cosine';
        out.note(`${how} against ${what}; idf over ${count(docs)} rows; threshold ${resolved ? `≥ ${showThreshold(resolved)}` : '> 0'}`);
        if (sorted.length) out.note(`relevance of the ${count(sorted.length)} rows with a domain word: p10 ${fmt(quantile(sorted, 0.1))}, median ${fmt(quantile(sorted, 0.5))}, p90 ${fmt(quantile(sorted, 0.9))}, max ${fmt(sorted[sorted.length - 1])}`);
      }
      const srcRows = [...perSource].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '-');
      for (const line of table([[by, 'kept', 'total', 'kept %'], ...srcRows.map(([s, c]) => [s, count(c.kept), count(c.rows), pct(c.kept, c.rows)])])) out.note(line);
      const total = i;
      const parts = [why.zero && `${count(why.zero)} without a domain word`, why.score && `${count(why.score)} below the threshold`, why.keywords && `${count(why.keywords)} failing keyword rules`, why.noText && `${count(why.noText)} without text`].filter(Boolean);
      out.note(`kept ${count(kept)} of ${count(total)} rows${parts.length ? `; dropped ${parts.join(', ')}` : ''}`);
      out.metric?.('rows', total);
      out.metric?.('kept', kept);
      out.metric?.('dropped', { no_domain_word: why.zero, below_threshold: why.score, keyword_rules: why.keywords, no_text: why.noText });
      if (resolved) out.metric?.('threshold', resolved.value);
      if (sorted.length) out.metric?.('relevance', { rows_with_domain_word: sorted.length, p10: quantile(sorted, 0.1), median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), max: sorted[sorted.length - 1] });
      out.metric?.('by_source', Object.fromEntries(srcRows.map(([s, c]) => [s, { kept: c.kept, rows: c.rows }])));
    },
  },
});
