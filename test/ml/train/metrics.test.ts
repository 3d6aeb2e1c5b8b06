import { describe, expect, it } from 'vitest';
import { classificationMetrics, formatReport, summary, tokenMetrics } from '../../../src/ml/train/metrics.js';

describe('classificationMetrics', () => {
  it("matches sklearn's classification_report docstring example", () => {
    // y_true [0,1,2,2,2], y_pred [0,0,2,2,1]: precision .50/.00/1.00, recall 1.00/.00/.67, f1 .67/.00/.80,
    // accuracy .60, macro avg .50 .56 .49, weighted f1 .61
    const r = classificationMetrics([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], ['class 0', 'class 1', 'class 2']);
    expect(r.perClass.map((c) => c.precision)).toEqual([0.5, 0, 1]);
    expect(r.perClass.map((c) => c.recall)).toEqual([1, 0, 2 / 3]);
    expect(r.perClass.map((c) => c.f1.toFixed(2))).toEqual(['0.67', '0.00', '0.80']);
    expect(r.perClass.map((c) => c.support)).toEqual([1, 1, 3]);
    expect(r.accuracy).toBe(0.6);
    expect(r.macroPrecision.toFixed(2)).toBe('0.50');
    expect(r.macroRecall.toFixed(2)).toBe('0.56');
    expect(r.macroF1.toFixed(2)).toBe('0.49');
    expect(r.weightedF1.toFixed(2)).toBe('0.61');
  });

  it("matches sklearn's f1_score and precision_recall_fscore_support examples", () => {
    // f1_score(y_true=[0,1,2,0,1,2], y_pred=[0,2,1,0,0,1]): per class [0.8, 0, 0], macro 0.26…
    const r = classificationMetrics([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], ['a', 'b', 'c']);
    expect(r.perClass.map((c) => c.f1)).toEqual([0.8, 0, 0]);
    expect(r.macroF1).toBeCloseTo(0.26666666, 6);
    // cat/dog/pig: macro (0.22, 0.33, 0.26)
    const p = classificationMetrics([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], ['cat', 'dog', 'pig']);
    expect(p.macroPrecision).toBeCloseTo(0.2222222, 6);
    expect(p.macroRecall).toBeCloseTo(0.3333333, 6);
  });

  it("builds sklearn's confusion_matrix docstring example (rows gold, columns predicted)", () => {
    const r = classificationMetrics([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], ['0', '1', '2']);
    expect(r.confusion).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
  });

  it('averages over every declared label, including ones never seen', () => {
    const r = classificationMetrics([0, 0, 1], [0, 0, 1], ['a', 'b', 'unused']);
    expect(r.perClass[2]).toEqual({ label: 'unused', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.macroF1).toBeCloseTo(2 / 3, 12);
    expect(r.accuracy).toBe(1);
  });

  it('rejects ids outside the labels and mismatched lengths', () => {
    expect(() => classificationMetrics([0, 3], [0, 0], ['a', 'b'])).toThrow(/gold label 3/);
    expect(() => classificationMetrics([0, 1], [0, -1], ['a', 'b'])).toThrow(/predicted label -1/);
    expect(() => classificationMetrics([0], [0, 1], ['a', 'b'])).toThrow(/1 gold labels but 2/);
  });
});

describe('tokenMetrics', () => {
  it('skips positions whose gold is -100, whatever was predicted there', () => {
    const r = tokenMetrics([-100, 0, 1, -100, 1, -100], [1, 0, 1, 0, 0, 7], ['O', 'B-PER']);
    expect(r.n).toBe(3);
    expect(r.confusion).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(r.accuracy).toBeCloseTo(2 / 3, 12);
  });
});

describe('formatReport', () => {
  it('prints per-class rows, averages and the confusion matrix', () => {
    const r = classificationMetrics([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], ['neg', 'neu', 'pos']);
    const text = formatReport(r, 2);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/precision\s+recall\s+f1\s+support/);
    expect(lines.find((l) => l.startsWith('pos'))).toMatch(/^pos\s+1\.00\s+0\.67\s+0\.80\s+3$/);
    expect(lines.find((l) => l.startsWith('macro avg'))).toMatch(/0\.50\s+0\.56\s+0\.49\s+5$/);
    expect(lines.find((l) => l.startsWith('accuracy'))).toMatch(/0\.60\s+5$/);
    expect(lines.find((l) => /^2\s+pos/.test(l))).toMatch(/^2\s+pos\s+0\s+1\s+2$/);
    expect(summary(r)).toMatchObject({ accuracy: 0.6 });
  });
});
