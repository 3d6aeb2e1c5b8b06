import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricTest, outliers, textMetrics } from '../../../src/ops/curate/outliers.js';
import { sortedCopy } from '../../../src/ops/curate/thresholds.js';
import { readJsonl, runJson, tempProject } from '../../helpers.js';
import { runOp } from './run-op.js';

describe('outlier metrics', () => {
  it('measures length, words and character ratios', () => {
    // "Hello, World 42!": 16 chars; letters HelloWorld = 10 (2 upper); digits 2; spaces 2; symbols , ! = 2
    expect(textMetrics('Hello, World 42!')).toEqual({ length: 16, words: 3, symbol_ratio: 0.125, digit_ratio: 0.125, upper_ratio: 0.2 });
    const empty = textMetrics('');
    expect(empty.length).toBe(0);
    expect(empty.symbol_ratio).toBeNaN();
    expect(textMetrics('12 34').upper_ratio).toBeNaN();
  });

  it('tests by modified z and by Tukey fences on the notes vector', () => {
    const xs = sortedCopy([10, 12, 11, 13, 12, 11, 95]);
    const mad = metricTest('length', xs, 'mad', 3.5, 1.5, 'both');
    // median 12, MAD 1 → z(95) = 0.6745·83 = 55.98
    expect(mad.test(95)).toEqual({ dir: 'high', detail: 'length 95: modified z 55.983 > 3.5 (median 12, MAD 1)' });
    expect(mad.test(13)).toBeUndefined();
    // z(5) = 0.6745·(−7) = −4.72
    expect(mad.test(5)?.dir).toBe('low');
    expect(metricTest('length', xs, 'mad', 3.5, 1.5, 'high').test(5)).toBeUndefined();
    const iqr = metricTest('length', xs, 'iqr', 3.5, 1.5, 'both');
    // Q1 11, Q3 12.5, IQR 1.5 → fences 8.75, 14.75
    expect(iqr.test(95)).toEqual({ dir: 'high', detail: 'length 95 > upper fence 14.75 (Q1 11, Q3 12.5, k 1.5)' });
    expect(iqr.test(14.75)).toBeUndefined();
    expect(iqr.test(8)?.detail).toBe('length 8 < lower fence 8.75 (Q1 11, Q3 12.5, k 1.5)');
  });

  it('drops the outliers with the first failing metric as reason and every failure in the detail', async () => {
    const rows = ['aaaa', 'bbbbb', 'cccc', 'dddd', 'eeeee', 'ffff', 'g h i j k l m n o p q r s t u v w x y z'].map((text, i) => ({ id: `r${i}`, text }));
    const r = await runOp(outliers, rows, { metrics: ['length', 'words'] });
    // lengths 4 5 4 4 5 4 39 → median 4, MAD 0 → mean abs dev (0+1+0+0+1+0+35)/7 = 5.2857; z(39) = 35/(1.253314·5.2857) = 5.283; words 1×6, 20 → meanAD 19/7, z(20) = 19/(1.253314·2.7143) = 5.585
    expect(r.dropped.map((d) => d.id)).toEqual(['r6']);
    expect(r.dropped[0].reason).toBe('outlier: length');
    expect(r.dropped[0].detail).toBe('length 39: modified z 5.283 > 3.5 (median 4, MAD 0, mean abs dev 5.286); words 20: modified z 5.585 > 3.5 (median 1, MAD 0, mean abs dev 2.714)');
    expect(r.notes.at(-1)).toBe('1 of 7 rows dropped as outliers');
  });
});

describe('outliers in a recipe', () => {
  // lengths 20..29 and one of 400 characters
  const texts = [...Array.from({ length: 10 }, (_, i) => 'x'.repeat(20 + i)), 'y'.repeat(400)];
  const data = texts.map((t, i) => JSON.stringify({ id: `r${i}`, text: t })).join('\n') + '\n';

  it('drops by MAD and flags by IQR, with statistics in the notes', async () => {
    const dir = tempProject({
      'r.ftr': `recipe o
source rows = jsonl "data/rows.jsonl"
cell dropped = rows | outliers length
cell flagged = rows | outliers length iqr flag
export flagged | write "out/" shuffle: false
`,
      'data/rows.jsonl': data,
    });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    const d = cells.get('dropped')!;
    expect(d.rowsOut).toBe(10);
    expect(d.dropped).toEqual({ 'outlier: length': 1 });
    // lengths 20..29, 400: median 25, |x−25| = 5 4 3 2 1 0 1 2 3 4 375 → MAD 3; bounds 25 ± 3.5·3/0.6745 = 25 ± 15.567
    expect(d.notes!.join('\n')).toMatch(/length\s+25\s+3\s+\[9.433, 40.567\]\s+1\s+0/);
    const f = cells.get('flagged')!;
    expect(f.rowsOut).toBe(11);
    expect(f.dropped ?? {}).toEqual({});
    // quartiles: h = 10·0.25 = 2.5 → 22.5; h = 7.5 → 27.5; IQR 5 → fences 15, 35
    expect(f.notes!.join('\n')).toMatch(/length\s+22.5\s+27.5\s+5\s+\[15, 35\]\s+1\s+0/);
    const out = readJsonl(join(dir, 'out/flagged.jsonl'));
    expect(Object.keys(out[0])).toEqual(['id', 'source', 'text', 'outlier', 'outlier_reason']);
    expect(out.filter((r) => r.outlier).map((r) => r.id)).toEqual(['r10']);
    expect(out[10].outlier_reason).toBe('length 400 > upper fence 35 (Q1 22.5, Q3 27.5, k 1.5)');
    expect(out[0].outlier_reason).toBeNull();
  });
});
