import { describe, expect, it } from 'vitest';
import { lrAt, lrLambda, warmupSteps } from '../../../src/ml/train/schedule.js';

// Expected values worked by hand from transformers/optimization.py's lambdas.
describe('lrAt', () => {
  const base = { lr: 2, warmupSteps: 2, totalSteps: 10 };

  it('linear: warm-up from 0, then linear decay to 0 at totalSteps', () => {
    const s = { ...base, schedule: 'linear' as const };
    const got = [0, 1, 2, 5, 9, 10, 12].map((t) => lrAt(t, s));
    // (10 - t) / 8 after warm-up
    expect(got).toEqual([0, 1, 2, 2 * (5 / 8), 2 * (1 / 8), 0, 0]);
  });

  it('cosine: half a cosine from the peak to 0', () => {
    const s = { ...base, schedule: 'cosine' as const };
    expect(lrAt(0, s)).toBe(0);
    expect(lrAt(1, s)).toBe(1);
    expect(lrAt(2, s)).toBe(2);
    expect(lrAt(4, s)).toBeCloseTo(2 * 0.8535533905932737, 14); // progress 1/4: (1 + cos(π/4)) / 2
    expect(lrAt(6, s)).toBeCloseTo(1, 14); // progress 1/2
    expect(lrAt(9, s)).toBeCloseTo(2 * 0.03806023374435663, 14); // progress 7/8
    expect(lrAt(10, s)).toBeCloseTo(0, 14);
  });

  it('constant: warm-up then flat', () => {
    const s = { lr: 1, warmupSteps: 4, totalSteps: 10, schedule: 'constant' as const };
    expect([0, 1, 3, 4, 100].map((t) => lrAt(t, s))).toEqual([0, 0.25, 0.75, 1, 1]);
  });

  it('without warm-up the first update uses the full rate', () => {
    expect(lrLambda(0, 'linear', 0, 4)).toBe(1);
    expect(lrLambda(3, 'linear', 0, 4)).toBe(0.25);
    expect(lrLambda(0, 'cosine', 0, 4)).toBe(1);
    expect(lrLambda(0, 'constant', 0, 4)).toBe(1);
  });

  it('rejects an unknown schedule', () => {
    expect(() => lrLambda(5, 'step' as never, 0, 10)).toThrow(/unknown learning-rate schedule/);
  });
});

describe('warmupSteps', () => {
  it('reads below 1 as a ratio rounded up, otherwise as steps', () => {
    expect(warmupSteps(0.1, 95)).toBe(10);
    expect(warmupSteps(0.25, 8)).toBe(2);
    expect(warmupSteps(5, 100)).toBe(5);
    expect(warmupSteps(1, 100)).toBe(1);
    expect(warmupSteps(0, 100)).toBe(0);
    expect(warmupSteps(undefined, 100)).toBe(0);
  });
});
