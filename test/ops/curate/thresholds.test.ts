import { describe, expect, it } from 'vitest';
import {
  compareDetail,
  fmt,
  mean,
  modifiedZ,
  modifiedZBounds,
  parseThreshold,
  quantile,
  resolveThreshold,
  robustStats,
  sampleSd,
  sortedCopy,
  tukeyFences,
  ValueCollector,
} from '../../../src/ops/curate/thresholds.js';

// the vector of the design notes (annotation-augmentation-splits-bias.md §7)
const X = [10, 12, 11, 13, 12, 11, 95];
const XS = sortedCopy(X); // 10 11 11 12 12 13 95

describe('quantiles, MAD and fences', () => {
  it('interpolates linearly between order statistics (numpy default)', () => {
    // h = 6·0.25 = 1.5 → between x[1]=11 and x[2]=11 → 11; h = 6·0.75 = 4.5 → between 12 and 13 → 12.5
    expect(quantile(XS, 0.25)).toBe(11);
    expect(quantile(XS, 0.5)).toBe(12);
    expect(quantile(XS, 0.75)).toBe(12.5);
    expect(quantile(XS, 0)).toBe(10);
    expect(quantile(XS, 1)).toBe(95);
    // 1..100: p1 at h = 99·0.01 = 0.99 → 1 + 0.99·(2−1) = 1.99
    expect(quantile(sortedCopy(Array.from({ length: 100 }, (_, i) => i + 1)), 0.01)).toBeCloseTo(1.99, 12);
    expect(quantile(new Float64Array(0), 0.5)).toBeNaN();
  });

  it('flags 95 by modified z (55.98) although the classical z (2.27) misses it', () => {
    // mean 164/7 = 23.4286; sample sd → z(95) = 2.2667 < 3
    expect(mean(X)).toBeCloseTo(23.4286, 4);
    expect((95 - mean(X)) / sampleSd(X)).toBeCloseTo(2.2667, 4);
    // median 12; |x − 12| = 2 0 1 1 0 1 83 → sorted 0 0 1 1 1 2 83 → MAD 1; z = 0.6745·83/1 = 55.9835
    const s = robustStats(XS);
    expect(s.median).toBe(12);
    expect(s.mad).toBe(1);
    expect(modifiedZ(95, s)).toBeCloseTo(55.9835, 4);
    expect(modifiedZ(12, s)).toBe(0);
    expect(Math.abs(modifiedZ(11, s))).toBeLessThan(3.5);
    // |z| ≤ 3.5 ⇔ x within 12 ± 3.5/0.6745 = 12 ± 5.1890
    const [lo, hi] = modifiedZBounds(s, 3.5);
    expect(lo).toBeCloseTo(6.811, 3);
    expect(hi).toBeCloseTo(17.189, 3);
  });

  it('Tukey fences: Q1 11, Q3 12.5, IQR 1.5, fences 8.75 and 14.75', () => {
    expect(tukeyFences(XS, 1.5)).toEqual({ q1: 11, q3: 12.5, iqr: 1.5, low: 8.75, high: 14.75 });
  });

  it('falls back to the mean absolute deviation when MAD is 0', () => {
    // [1,1,1,1,5]: median 1, deviations 0 0 0 0 4 → MAD 0, meanAD 0.8; z(5) = 4/(1.253314·0.8) = 3.98942
    const s = robustStats(sortedCopy([1, 1, 1, 1, 5]));
    expect(s.mad).toBe(0);
    expect(s.usedMeanAd).toBe(true);
    expect(s.meanAd).toBeCloseTo(0.8, 12);
    expect(modifiedZ(5, s)).toBeCloseTo(3.98942, 4);
    // all equal: nothing is an outlier
    const same = robustStats(sortedCopy([2, 2, 2]));
    expect(modifiedZ(2, same)).toBe(0);
    expect(modifiedZ(3, same)).toBe(0);
  });

  it('collects values without NaN and sorts them', () => {
    const c = new ValueCollector();
    for (let i = 3000; i > 0; i--) c.push(i % 7 === 0 ? NaN : i);
    const s = c.sorted();
    expect(s.length).toBe(3000 - Math.floor(3000 / 7));
    expect(s[0]).toBe(1);
    expect(s[s.length - 1]).toBe(3000); // 3000 % 7 = 4, kept
  });
});

describe('thresholds', () => {
  it('parses numbers, off, percentiles, mean±k·sd and median±k·MAD', () => {
    expect(parseThreshold(50)).toEqual({ kind: 'fixed', value: 50 });
    expect(parseThreshold('0.5')).toEqual({ kind: 'fixed', value: 0.5 });
    expect(parseThreshold(null)).toEqual({ kind: 'off' });
    expect(parseThreshold(false)).toEqual({ kind: 'off' });
    expect(parseThreshold('off')).toEqual({ kind: 'off' });
    expect(parseThreshold('p99')).toEqual({ kind: 'percentile', p: 99, text: 'p99' });
    expect(parseThreshold('P99.5')).toEqual({ kind: 'percentile', p: 99.5, text: 'p99.5' });
    expect(parseThreshold('mean+3sd')).toEqual({ kind: 'mean', k: 3, text: 'mean+3sd' });
    expect(parseThreshold('mean - 2.5 sd')).toEqual({ kind: 'mean', k: -2.5, text: 'mean-2.5sd' });
    expect(parseThreshold('median+5mad')).toEqual({ kind: 'median', k: 5, text: 'median+5mad' });
    expect(parseThreshold('p101')).toHaveProperty('error');
    expect(parseThreshold('banana')).toHaveProperty('error');
    expect(parseThreshold([1])).toHaveProperty('error');
  });

  it('resolves data-derived thresholds and says where they came from', () => {
    expect(resolveThreshold({ kind: 'fixed', value: 3 }, [])).toEqual({ value: 3 });
    expect(resolveThreshold({ kind: 'off' }, [1, 2])).toBeUndefined();
    // p50 of 1 2 3 4 = 2.5
    expect(resolveThreshold(parseThreshold('p50') as never, [1, 2, 3, 4])).toEqual({ value: 2.5, source: 'p50 of this data' });
    // 2 4 4 4 5 5 7 9: mean 5, Σ(x−5)² = 32, sample sd √(32/7) = 2.13809 → mean+1sd = 7.13809
    const r = resolveThreshold(parseThreshold('mean+1sd') as never, [2, 4, 4, 4, 5, 5, 7, 9])!;
    expect(r.value).toBeCloseTo(7.13809, 5);
    expect(r.source).toBe('mean+1sd of this data');
    // 1 2 3 4 100: median 3, deviations 2 1 0 1 97 → MAD 1 → median+2mad = 5
    expect(resolveThreshold(parseThreshold('median+2mad') as never, [1, 2, 3, 4, 100])).toEqual({ value: 5, source: 'median+2mad of this data' });
    expect(resolveThreshold(parseThreshold('mean-2sd') as never, [])!.value).toBeNaN();
  });

  it('formats a drop detail with the value, the comparison and the source', () => {
    expect(compareDetail('word count', 3, '<', { value: 12, source: 'p1 of this data' })).toBe('word count 3 < 12 (p1 of this data)');
    expect(compareDetail('mean word length', 11.2, '>', { value: 10 })).toBe('mean word length 11.2 > 10');
    expect(fmt(0.123456)).toBe('0.123');
    expect(fmt(1234.56)).toBe('1234.6');
    expect(fmt(0.001234)).toBe('0.0012');
    expect(fmt(NaN)).toBe('n/a');
  });
});
