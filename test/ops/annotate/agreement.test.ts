/** Agreement metrics against the published worked examples of the design notes §2.2 (verbatim values). */
import { describe, expect, it } from 'vitest';
import { alphaBand, cohenKappa, countsOf, fleissKappa, kappaBand, krippendorffAlpha, spanF1 } from '../../../src/ops/annotate/agreement.js';

describe("Cohen's κ", () => {
  it('Wikipedia: 50 proposals [[20,5],[10,15]] → p_o 0.7, p_e 0.5, κ 0.4', () => {
    expect(cohenKappa([[20, 5], [10, 15]])).toBeCloseTo(0.4, 12);
  });
  it('SAS example (statsmodels table10): unweighted 0.4842, linear 0.4701, quadratic 0.4502', () => {
    const t = [[0, 4, 1], [0, 8, 0], [0, 1, 5]];
    expect(cohenKappa(t)).toBeCloseTo(0.4842, 4);
    expect(cohenKappa(t, 'linear')).toBeCloseTo(0.4701, 4);
    expect(cohenKappa(t, 'quadratic')).toBeCloseTo(0.4502, 4);
  });
  it('is undefined (NaN) when both raters use one category only', () => {
    expect(cohenKappa([[5, 0], [0, 0]])).toBeNaN();
  });
});

describe("Fleiss' κ", () => {
  it('Wikipedia worked example (10 items × 5 categories, 14 raters): κ 0.209931', () => {
    const counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]];
    const r = fleissKappa(counts);
    expect(r.kappa).toBeCloseTo(0.209931, 6);
    expect(r.observed).toBeCloseTo(0.378022, 6);
    expect(r.expected).toBeCloseTo(0.212755, 6);
    [0.1429, 0.2, 0.2786, 0.15, 0.2286].forEach((p, j) => expect(r.shares[j]).toBeCloseTo(p, 4));
    [1.0, 0.2527, 0.3077, 0.4396, 0.3297, 0.4615, 0.2418, 0.1758, 0.2857, 0.2857].forEach((p, i) => expect(r.perItem[i]).toBeCloseTo(p, 4));
  });
  it('Fleiss (1971) psychiatric diagnoses (30 × 6 raters): κ 0.4302445 (R irr::kappam.fleiss)', () => {
    const raw = [[4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5], [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5]];
    const counts = countsOf(raw.map((r) => r.map((v) => v - 1)), 5);
    expect(counts.reduce((a, r) => r.map((x, j) => a[j] + x), [0, 0, 0, 0, 0])).toEqual([26, 26, 30, 55, 43]);
    const r = fleissKappa(counts);
    expect(r.kappa).toBeCloseTo(0.4302445, 7);
    expect(r.observed).toBeCloseTo(0.555556, 6);
    expect(r.expected).toBeCloseTo(0.219938, 6);
  });
  it('rejects items with different numbers of ratings', () => {
    expect(() => fleissKappa([[1, 1], [3, 0]])).toThrow(/same number of ratings/);
  });
});

describe("Krippendorff's α", () => {
  const u = null;
  const byCoder = (rows: (number | string | null)[][]) => rows[0].map((_, j) => rows.map((r) => r[j]).filter((v): v is number | string => v !== null));
  it('canonical 4 coders × 12 units with missing values (Krippendorff 2011; irr "C" data)', () => {
    const units = byCoder([
      [1, 2, 3, 3, 2, 1, 4, 1, 2, u, u, u],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, u, 3],
      [u, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, u],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, u],
    ]);
    const nominal = krippendorffAlpha(units, 'nominal');
    expect(nominal.pairable).toBeCloseTo(40, 10); // unit 12 has one value and drops out
    expect(nominal.marginals.map((x) => Math.round(x * 1e6) / 1e6)).toEqual([9, 13, 10, 5, 3]);
    expect(nominal.coincidence.map((r, i) => Math.round(r[i] * 1e9) / 1e9)).toEqual([7, 10, 8, 4, 3]);
    expect(nominal.coincidence[0][1]).toBeCloseTo(4 / 3, 10);
    expect(nominal.coincidence[1][2]).toBeCloseTo(4 / 3, 10);
    expect(nominal.coincidence[2][3]).toBeCloseTo(1 / 3, 10);
    expect(nominal.alpha).toBeCloseTo(0.743421, 6);
    expect(krippendorffAlpha(units, 'ordinal').alpha).toBeCloseTo(0.815388, 6);
    expect(krippendorffAlpha(units, 'interval').alpha).toBeCloseTo(0.849107, 6);
    expect(krippendorffAlpha(units, 'ratio').alpha).toBeCloseTo(0.797403, 6);
  });
  it('Wikipedia computational example (3 coders × 15 units)', () => {
    const units = byCoder([
      [u, u, u, u, u, 3, 4, 1, 2, 1, 1, 3, 3, u, 3],
      [1, u, 2, 1, 3, 3, 4, 3, u, u, u, u, u, u, u],
      [u, u, 2, 1, 3, 4, 4, u, 2, 1, 1, 3, 3, u, 4],
    ]);
    const r = krippendorffAlpha(units, 'nominal');
    expect(r.pairable).toBeCloseTo(26, 10);
    expect(r.coincidence).toEqual([[6, 0, 1, 0], [0, 4, 0, 0], [1, 0, 7, 2], [0, 0, 2, 3]]);
    expect(r.observed).toBeCloseTo(0.230769, 6);
    expect(r.expected).toBeCloseTo(0.747692, 6);
    expect(r.alpha).toBeCloseTo(0.691358, 6);
    expect(krippendorffAlpha(units, 'interval').alpha).toBeCloseTo(0.810845, 6);
    expect(krippendorffAlpha(units, 'ordinal').alpha).toBeCloseTo(0.806721, 6);
    expect(krippendorffAlpha(units, 'ratio').alpha).toBeCloseTo(0.808944, 6);
  });
  it('string labels (fast-krippendorff): nominal 0.722222', () => {
    const units = byCoder([
      ['pos', 'neg', 'neu', u],
      ['pos', 'neg', 'neu', 'pos'],
      ['pos', 'neg', 'pos', 'pos'],
    ]);
    expect(krippendorffAlpha(units, 'nominal').alpha).toBeCloseTo(0.722222, 6);
  });
  it('an explicit order drives ordinal α; interval on strings is refused', () => {
    const units = [['lo', 'lo'], ['mid', 'hi'], ['hi', 'hi'], ['lo', 'mid']];
    const a = krippendorffAlpha(units, 'ordinal', ['lo', 'mid', 'hi']).alpha;
    const b = krippendorffAlpha(units.map((r) => r.map((v) => ({ lo: 1, mid: 2, hi: 3 })[v]!)), 'ordinal').alpha;
    expect(a).toBeCloseTo(b, 12);
    expect(() => krippendorffAlpha(units, 'interval')).toThrow(/numeric/);
  });
});

describe('span F1 and bands', () => {
  it('A = {(0,5,ORG),(10,15,PER)}, B adds a miss and a near miss → P 1/3, R 1/2, F1 0.4', () => {
    const r = spanF1(
      [{ start: 0, end: 5, label: 'ORG' }, { start: 10, end: 15, label: 'PER' }],
      [{ start: 0, end: 5, label: 'ORG' }, { start: 10, end: 16, label: 'PER' }, { start: 20, end: 25, label: 'LOC' }],
    );
    expect(r.tp).toBe(1);
    expect(r.precision).toBeCloseTo(1 / 3, 12);
    expect(r.recall).toBeCloseTo(1 / 2, 12);
    expect(r.f1).toBeCloseTo(0.4, 12);
  });
  it('Landis & Koch and Krippendorff bands', () => {
    expect([-0.1, 0.1, 0.3, 0.5, 0.7, 0.9].map(kappaBand)).toEqual(['poor', 'slight', 'fair', 'moderate', 'substantial', 'almost perfect']);
    expect([0.85, 0.7, 0.5].map(alphaBand)).toEqual(['reliable', 'tentative', 'unreliable']);
  });
});
