import { describe, expect, it } from 'vitest';
import { bm25Idf, bm25Score, centroid, compileKeyword, cosine, keywordText, relevance, seedQuery, stopwordSet, terms, tfidfIdf, tfidfVector } from '../../../src/ops/filter/relevance.js';
import { tempProject } from '../../helpers.js';
import { runGlobal } from './run.js';

// the toy corpus: 3 documents, 9 words, avgdl = 3
const CORPUS = ['apple banana apple', 'banana cherry', 'cherry cherry cherry date'];
const rowsOf = (texts: string[], source = 's') => texts.map((text, i) => ({ id: `d${i + 1}`, source, text }));
const NO_STOP = { stopwords: [] };

// BM25 by hand, k1 = 1.2, b = 0.75, N = 3, avgdl = 3:
//   idf(apple)  = ln(1 + (3 − 1 + 0.5)/(1 + 0.5)) = ln(8/3)      (df 1)
//   idf(cherry) = ln(1 + (3 − 2 + 0.5)/(2 + 0.5)) = ln(1.6)      (df 2)
//   d1: apple tf 2, |D| 3 → K = 1.2·(0.25 + 0.75·3/3) = 1.2 → 2·2.2/(2 + 1.2) = 1.375
//   d2: cherry tf 1, |D| 2 → K = 1.2·(0.25 + 0.5) = 0.9   → 1·2.2/(1 + 0.9) = 2.2/1.9
//   d3: cherry tf 3, |D| 4 → K = 1.2·(0.25 + 1) = 1.5     → 3·2.2/(3 + 1.5) = 6.6/4.5
const BM25 = [1.375 * Math.log(8 / 3), (2.2 / 1.9) * Math.log(1.6), (6.6 / 4.5) * Math.log(1.6)];

// TF-IDF by hand, smoothed idf ln((1 + 3)/(1 + df)) + 1: a = idf(apple) = idf(date) = ln 2 + 1, c = idf(banana) = idf(cherry) = ln(4/3) + 1
const A = Math.log(2) + 1;
const C = Math.log(4 / 3) + 1;
const QN = Math.sqrt(A * A + C * C); // |q| for q = (apple a, cherry c)
const TFIDF = [
  (2 * A * A) / (Math.sqrt(4 * A * A + C * C) * QN), // d1 = (apple 2a, banana c)
  (C * C) / (Math.sqrt(2 * C * C) * QN), // d2 = (banana c, cherry c)
  (3 * C * C) / (Math.sqrt(9 * C * C + A * A) * QN), // d3 = (cherry 3c, date a)
];

describe('scores (golden, hand-computed)', () => {
  const docs = CORPUS.map((t) => terms(t, new Set()));
  const df = (t: string) => docs.filter((d) => d.includes(t)).length;

  it('BM25 (Okapi, k1 1.2, b 0.75, Lucene idf)', () => {
    expect(bm25Idf(3, 1)).toBeCloseTo(Math.log(8 / 3), 12);
    const q = new Map([['apple', 1], ['cherry', 1]]);
    const s = docs.map((d) => bm25Score(d, q, (t) => bm25Idf(3, df(t)), 3, { k1: 1.2, b: 0.75 }));
    s.forEach((x, i) => expect(x).toBeCloseTo(BM25[i], 12));
    expect(s.map((x) => +x.toFixed(6))).toEqual([1.34864, 0.544215, 0.689339]);
  });

  it('TF-IDF cosine (smoothed idf)', () => {
    expect(tfidfIdf(3, 2)).toBeCloseTo(C, 12);
    const idf = (t: string) => tfidfIdf(3, df(t));
    const q = new Map([['apple', idf('apple')], ['cherry', idf('cherry')]]);
    const s = docs.map((d) => cosine(tfidfVector(d, idf), q));
    s.forEach((x, i) => expect(x).toBeCloseTo(TFIDF[i], 12));
    expect(s.map((x) => +x.toFixed(6))).toEqual([0.743986, 0.428046, 0.554433]);
    expect(cosine(new Map(), q)).toBe(0);
  });

  it('seed queries: BM25 weights by seed share, TF-IDF by the normalized centroid', () => {
    const seeds = [['apple', 'pie'], ['apple', 'cherry', 'tart']];
    expect([...seedQuery(seeds)]).toEqual([['apple', 1], ['pie', 0.5], ['cherry', 0.5], ['tart', 0.5]]);
    const c = centroid([new Map([['x', 3], ['y', 4]]), new Map([['x', 2]])]);
    expect(c.get('x')).toBeCloseTo((3 / 5 + 1) / 2, 12);
    expect(c.get('y')).toBeCloseTo(4 / 5 / 2, 12);
  });

  it('tokenizes, drops stopwords, and matches keywords on whole words', () => {
    expect(terms('The Refund, for ORDER #12!', stopwordSet(['en']))).toEqual(['refund', 'order', '12']);
    const kt = keywordText('My refunds were late; see Invoice-Nr 7');
    expect(compileKeyword('refund').re.test(kt)).toBe(false);
    expect(compileKeyword('refund*').re.test(kt)).toBe(true);
    expect(compileKeyword('INVOICE nr').re.test(kt)).toBe(true);
    expect(compileKeyword('voice').re.test(kt)).toBe(false);
  });
});

describe('relevance op', () => {
  it('adds the BM25 score and keeps rows over the threshold', async () => {
    const r = await runGlobal(relevance, rowsOf(CORPUS), { terms: ['apple', 'cherry'], threshold: 0.6, ...NO_STOP });
    expect(r.kept.map((k) => [k.id, k.relevance])).toEqual([['d1', 1.34864], ['d3', 0.689339]]);
    expect(r.dropped).toMatchObject([{ id: 'd2', reason: 'off-topic', detail: 'relevance 0.544 < 0.6' }]);
    expect(r.notes[0]).toBe('bm25 (k1 1.2, b 0.75) against 2 terms (apple, cherry); idf over 3 rows; threshold ≥ 0.6');
  });

  it('TF-IDF cosine, default threshold (> 0) and data-derived thresholds', async () => {
    const t = await runGlobal(relevance, rowsOf([...CORPUS, 'date date']), { terms: ['apple'], method: 'tfidf', ...NO_STOP });
    // N = 4 now; only d1 has apple
    expect(t.keptIds).toEqual(['d1']);
    expect(t.byId.get('d4')!.detail).toBe('relevance 0: no domain word in the row');
    const p = await runGlobal(relevance, rowsOf(CORPUS), { terms: ['apple', 'cherry'], method: 'tfidf', threshold: 'median', ...NO_STOP });
    expect(p.kept.map((k) => [k.id, k.relevance])).toEqual([['d1', 0.743986], ['d3', 0.554433]]);
    expect(p.byId.get('d2')!.detail).toBe('relevance 0.428 < 0.554 (median of the rows with a domain word)');
    // rows scoring 0 are dropped and do not count towards a derived threshold: the median of d1..d3 only
    const q = await runGlobal(relevance, rowsOf([...CORPUS, 'date date', 'banana']), { terms: ['apple', 'cherry'], threshold: 'median', ...NO_STOP });
    expect(q.keptIds).toEqual(['d1', 'd3']);
    expect(q.byId.get('d4')!.detail).toBe('relevance 0: no domain word in the row');
    expect(q.notes).toContain('kept 2 of 5 rows; dropped 2 without a domain word, 1 below the threshold');
    // a threshold at or below 0 still needs a domain word
    const z = await runGlobal(relevance, rowsOf([...CORPUS, 'date date']), { terms: ['apple'], threshold: 'p0', ...NO_STOP });
    expect(z.keptIds).toEqual(['d1']);
  });

  it('scores against seed documents from a cell or a file', async () => {
    const seeds = [{ text: 'apple pie' }, { text: 'apple cherry tart' }];
    const r = await runGlobal(relevance, rowsOf(CORPUS), { seeds: 'seedcell', threshold: 0.3, ...NO_STOP }, { seeds });
    // mean BM25 over the seeds as queries: apple weight 1, cherry 0.5
    expect(r.kept.map((k) => [k.id, k.relevance])).toEqual([['d1', +BM25[0].toFixed(6)], ['d3', +(BM25[2] / 2).toFixed(6)]]);
    expect(r.byId.get('d2')!.detail).toBe('relevance 0.272 < 0.3');
    expect(r.notes[0]).toContain('against 2 seed documents from seedcell');
    const dir = tempProject({ 'seeds.txt': 'apple pie\n\napple cherry tart\n', 'seeds.jsonl': seeds.map((s) => JSON.stringify(s)).join('\n') });
    for (const file of ['seeds.txt', 'seeds.jsonl']) {
      const f = await runGlobal(relevance, rowsOf(CORPUS), { seeds_file: file, method: 'tfidf', ...NO_STOP }, {}, dir);
      expect(f.kept.map((k) => k.relevance)).toEqual([0.640866, 0.176204, 0.228231]);
    }
  });

  it('applies keyword and regex rules, and reports kept/total per source', async () => {
    const data = [
      ...rowsOf(['Where is my refund?', 'Refunds take a week', 'Nice weather today'], 'tickets'),
      ...rowsOf(['Invoice 42 attached', 'invoice and refund both', null as unknown as string], 'forum'),
    ].map((r, i) => ({ ...r, id: `r${i}` }));
    const r = await runGlobal(relevance, data, { any: ['refund*', 'invoice'] });
    expect(r.keptIds).toEqual(['r0', 'r1', 'r3', 'r4']);
    expect(r.kept.map((k) => k.relevance)).toEqual([1, 1, 1, 2]);
    expect(r.byId.get('r2')!.detail).toBe('no keyword of any: refund*, invoice');
    expect(r.byId.get('r5')!.detail).toBe('no text in text');
    expect(r.notes).toEqual(['source   kept  total  kept %', 'forum       2      3   66.7%', 'tickets     2      3   66.7%', 'kept 4 of 6 rows; dropped 1 failing keyword rules, 1 without text']);
    const all = await runGlobal(relevance, data, { all: ['invoice', 'refund'] });
    expect(all.keptIds).toEqual(['r4']);
    expect(all.byId.get('r3')!.detail).toBe('missing all: refund');
    const rx = await runGlobal(relevance, data, { regex: { regex: '\\d+', flags: '' } });
    expect(rx.keptIds).toEqual(['r3']);
    expect(rx.byId.get('r0')!.detail).toBe('regex /\\d+/ does not match');
  });

  it('leaves English stopwords out of scores by default', async () => {
    const r = await runGlobal(relevance, rowsOf(['the the the refund', 'refund']), { terms: ['refund'] });
    // both rows are one word long once "the" is gone: equal scores
    expect(r.kept[0].relevance).toBe(r.kept[1].relevance);
  });
});
