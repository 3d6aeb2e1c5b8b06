/**
 * Agreement metrics against independent implementations: test/fixtures/agreement/reference.json,
 * written by make_agreement_reference.py beside it (scikit-learn for Cohen's κ, statsmodels for
 * Fleiss' κ, NLTK for Krippendorff's α, spaCy for span F1, each cross-checked there against a
 * second implementation; see the script's header). null in the fixture = undefined = NaN in ftr.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AlphaLevel, type Span, cohenKappa, contingency, countsOf, fleissKappa, krippendorffAlpha, spanF1, spanScore } from '../../../src/ops/annotate/agreement.js';

type Num = number | null;
interface Reference {
  versions: Record<string, string>;
  cohen: { name: string; k: number; pairs: [number, number][]; table: number[][]; expected: Record<'none' | 'linear' | 'quadratic', Num> }[];
  fleiss: { name: string; k: number; ratings: number[][]; counts: number[][]; expected: { kappa: Num; observed: Num; expected: Num; shares: Num[]; perItem: Num[]; perCategory: Num[] } }[];
  alpha: {
    name: string;
    units: (string | number)[][];
    published?: Partial<Record<AlphaLevel, number>>;
    expected: Partial<Record<AlphaLevel, { alpha: Num; observed: Num; expected: Num; pairable: number; values: (string | number)[]; coincidence: number[][]; marginals: number[] }>>;
  }[];
  spans: { name: string; a: Span[]; b: Span[]; expected: { tp: number; a: number; b: number; precision: Num; recall: Num; f1: Num } }[];
  spansMicro: { documents: string[]; expected: { tp: number; a: number; b: number; precision: Num; recall: Num; f1: Num } };
}

const ref = JSON.parse(readFileSync(new URL('../../fixtures/agreement/reference.json', import.meta.url), 'utf8')) as Reference;

/** |actual − expected| ≤ 1e-9 · max(1, |expected|); null means the value must be NaN. */
function near(actual: number, expected: Num, what: string): void {
  if (expected === null) {
    expect(actual, `${what}: expected undefined (NaN)`).toBeNaN();
    return;
  }
  expect(Number.isFinite(actual), `${what}: ${actual} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `${what}: ${actual} vs reference ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

describe('reference fixture', () => {
  it('covers every metric with several cases', () => {
    expect(Object.keys(ref.versions)).toEqual(expect.arrayContaining(['scikit-learn', 'statsmodels', 'nltk', 'spacy']));
    expect(ref.cohen.length).toBeGreaterThanOrEqual(15);
    expect(ref.fleiss.length).toBeGreaterThanOrEqual(10);
    expect(ref.alpha.length).toBeGreaterThanOrEqual(15);
    expect(ref.spans.length).toBeGreaterThanOrEqual(10);
    // missing ratings and units that drop out are actually exercised
    expect(ref.alpha.filter((c) => c.units.some((u) => u.length < 2)).length).toBeGreaterThanOrEqual(5);
  });
});

describe("Cohen's κ vs scikit-learn cohen_kappa_score", () => {
  for (const c of ref.cohen) {
    it(c.name, () => {
      const table = contingency(c.pairs, c.k);
      expect(table).toEqual(c.table);
      for (const w of ['none', 'linear', 'quadratic'] as const) near(cohenKappa(table, w), c.expected[w], `${c.name} ${w}`);
    });
  }
});

describe("Fleiss' κ vs statsmodels fleiss_kappa (parts from Fleiss 1971)", () => {
  for (const c of ref.fleiss) {
    it(c.name, () => {
      const counts = countsOf(c.ratings, c.k);
      expect(counts).toEqual(c.counts);
      const r = fleissKappa(counts);
      near(r.kappa, c.expected.kappa, 'kappa');
      near(r.observed, c.expected.observed, 'observed P̄');
      near(r.expected, c.expected.expected, 'expected P̄_e');
      expect(r.shares).toHaveLength(c.k);
      c.expected.shares.forEach((p, j) => near(r.shares[j], p, `p_${j}`));
      expect(r.perItem).toHaveLength(c.ratings.length);
      c.expected.perItem.forEach((p, i) => near(r.perItem[i], p, `P_${i}`));
      c.expected.perCategory.forEach((p, j) => near(r.perCategory[j], p, `κ_${j}`));
    });
  }
});

describe("Krippendorff's α vs NLTK AnnotationTask.alpha (coincidence matrices from Krippendorff 2011)", () => {
  for (const c of ref.alpha) {
    it(c.name, () => {
      for (const [level, e] of Object.entries(c.expected) as [AlphaLevel, NonNullable<(typeof c.expected)[AlphaLevel]>][]) {
        const r = krippendorffAlpha(c.units, level);
        near(r.alpha, e.alpha, `${level} α`);
        near(r.pairable, e.pairable, `${level} pairable`);
        if (e.pairable > 0) {
          near(r.observed, e.observed, `${level} D_o`);
          near(r.expected, e.expected, `${level} D_e`);
        }
        expect(r.values).toEqual(e.values);
        e.marginals.forEach((x, i) => near(r.marginals[i], x, `${level} n_${e.values[i]}`));
        e.coincidence.forEach((row, i) => row.forEach((x, j) => near(r.coincidence[i][j], x, `${level} o_${e.values[i]},${e.values[j]}`)));
        if (c.published?.[level] !== undefined) expect(Math.abs(r.alpha - c.published[level]!)).toBeLessThan(5e-4);
      }
    });
  }
});

describe('span F1 vs spaCy Scorer.score_spans (multiset exact match)', () => {
  for (const c of ref.spans) {
    it(c.name, () => {
      const r = spanF1(c.a, c.b);
      expect([r.tp, r.a, r.b]).toEqual([c.expected.tp, c.expected.a, c.expected.b]);
      near(r.precision, c.expected.precision, 'precision');
      near(r.recall, c.expected.recall, 'recall');
      near(r.f1, c.expected.f1, 'F1');
    });
  }
  it('micro average over documents: spanScore of summed counts', () => {
    const docs = ref.spansMicro.documents.map((name) => ref.spans.find((c) => c.name === name)!);
    const parts = docs.map((c) => spanF1(c.a, c.b));
    const r = spanScore(
      parts.reduce((s, p) => s + p.tp, 0),
      parts.reduce((s, p) => s + p.a, 0),
      parts.reduce((s, p) => s + p.b, 0),
    );
    const e = ref.spansMicro.expected;
    expect([r.tp, r.a, r.b]).toEqual([e.tp, e.a, e.b]);
    near(r.precision, e.precision, 'precision');
    near(r.recall, e.recall, 'recall');
    near(r.f1, e.f1, 'F1');
  });
});
