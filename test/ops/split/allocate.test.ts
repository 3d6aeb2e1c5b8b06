import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashKey, hashPartOf, hashUnit, iterativeStratify, keyString, largestRemainder, stratifiedSizes, type Unit } from '../../../src/ops/split/allocate.js';
import { prng } from '../../../src/runtime/hash.js';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('largestRemainder: 80/10/10 sizes from the design notes (§5.1)', () => {
  it.each([
    [7, [5, 1, 1]],
    [11, [9, 1, 1]],
    [101, [81, 10, 10]],
    [1001, [801, 100, 100]],
    [12345, [9876, 1235, 1234]],
  ])('n = %i', (n, sizes) => {
    expect(largestRemainder(n, [0.8, 0.1, 0.1])).toEqual(sizes);
  });

  it('uses integer arithmetic where float ceil/floor would be off by one', () => {
    // float: ceil(0.07·100) = 8, ceil(0.55·100) = 56, ceil(0.14·50) = 8
    expect(largestRemainder(100, [0.07, 0.93])).toEqual([7, 93]);
    expect(largestRemainder(100, [0.55, 0.45])).toEqual([55, 45]);
    expect(largestRemainder(50, [0.14, 0.86])).toEqual([7, 43]);
  });
});

describe('hash split (§5.5 test vectors, verbatim)', () => {
  const vectors: [string, number, 0 | 1 | 2][] = [
    ['doc-0', 0.749225, 0],
    ['doc-1', 0.889401, 1],
    ['doc-2', 0.559492, 0],
    ['doc-3', 0.97165, 2],
    ['doc-4', 0.684363, 0],
    ['doc-5', 0.978602, 2],
    ['doc-6', 0.557787, 0],
    ['doc-7', 0.722705, 0],
    ['doc-8', 0.810747, 1],
    ['doc-9', 0.445097, 0],
  ];
  const part = hashPartOf([0.8, 0.1, 0.1]);

  it.each(vectors)('%s → u = %f', (id, u, j) => {
    expect(hashUnit(id)).toBeCloseTo(u, 6);
    expect(part(hashKey(id))).toBe(j);
  });

  it('the key is sha256("ftr-split-v1" ‖ 0x00 ‖ id), first 4 bytes big-endian', () => {
    const digest = createHash('sha256').update(Buffer.concat([Buffer.from('ftr-split-v1'), Buffer.from([0]), Buffer.from('doc-0')])).digest();
    expect(hashKey('doc-0')).toBe(((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0);
    expect(hashKey('doc-0', 'other-salt')).not.toBe(hashKey('doc-0'));
  });

  it('doc-0…doc-99999 split 79,922 / 9,964 / 10,114', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 100_000; i++) counts[part(hashKey(`doc-${i}`))]++;
    expect(counts).toEqual([79_922, 9_964, 10_114]);
  });

  it('boundaries are exact: u < 0.8 is train, u = 0.8 is not', () => {
    const edge = Math.ceil(0.8 * 2 ** 32); // first h with h/2^32 ≥ 0.8
    expect(part(edge - 1)).toBe(0);
    expect(part(edge)).toBe(1);
    expect(part(2 ** 32 - 1)).toBe(2);
    expect(hashPartOf([0.5, 0, 0.5])(Math.floor(0.5 * 2 ** 32))).toBe(2);
  });

  it('keys hash as written: strings as they are, numbers as digits, empty as no key', () => {
    expect(keyString('doc-0')).toBe('doc-0');
    expect(keyString(42)).toBe('42');
    expect(keyString(null)).toBeUndefined();
    expect(keyString('')).toBeUndefined();
    expect(keyString({ a: 1 })).toBe('{"a":1}');
  });
});

describe('stratifiedSizes: per-class largest remainder with exact totals', () => {
  it('sklearn approximate_mode docstring vectors', () => {
    // ([4,2], 3) → [2,1]: a 50/50 split of 6 rows puts 2 of class 0 and 1 of class 1 in the first part
    expect(stratifiedSizes([4, 2], [0.5, 0.5], [0, 1]).map((r) => r[0])).toEqual([2, 1]);
    // ([5,2], 4) → [3,1]
    expect(stratifiedSizes([5, 2], [4 / 7, 3 / 7], [0, 1]).map((r) => r[0])).toEqual([3, 1]);
    // ([2,2,2,1], 2): ties are broken by the class order given (sklearn: at random)
    expect(stratifiedSizes([2, 2, 2, 1], [2 / 7, 5 / 7], [0, 1, 2, 3]).map((r) => r[0])).toEqual([1, 1, 0, 0]);
    expect(stratifiedSizes([2, 2, 2, 1], [2 / 7, 5 / 7], [2, 1, 0, 3]).map((r) => r[0])).toEqual([0, 1, 1, 0]);
  });

  it('exact sizes per class: 30/20/10 rows at 70/15/15, remainders by class order', () => {
    expect(stratifiedSizes([30, 20, 10], [0.7, 0.15, 0.15], [0, 1, 2])).toEqual([
      [21, 5, 4],
      [14, 3, 3],
      [7, 1, 2],
    ]);
    expect(stratifiedSizes([30, 20, 10], [0.7, 0.15, 0.15], [2, 1, 0])).toEqual([
      [21, 4, 5],
      [14, 3, 3],
      [7, 2, 1],
    ]);
  });

  it('property: classes add up, parts match the unstratified sizes, no class off its share by a row or more', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom<number[]>([0.8, 0.1, 0.1], [0.7, 0.15, 0.15], [0.5, 0.5], [0.6, 0.2, 0.1, 0.1], [1 / 3, 1 / 3, 1 / 3]),
        fc.integer({ min: 0, max: 1000 }),
        (counts, ratios, seed) => {
          const rand = prng(seed);
          const tie = counts.map(() => rand());
          const a = stratifiedSizes(counts, ratios, tie);
          const n = sum(counts);
          a.forEach((row, c) => expect(sum(row)).toBe(counts[c]));
          expect(ratios.map((_, j) => sum(a.map((row) => row[j])))).toEqual(largestRemainder(n, ratios));
          a.forEach((row, c) => row.forEach((x, j) => expect(Math.abs(x - counts[c] * ratios[j])).toBeLessThan(1 + 1e-9)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('iterativeStratify', () => {
  const units = (labels: number[][]): Unit[] => labels.map((ls) => ({ size: 1, labels: ls.map((l) => [l, 1] as [number, number]) }));

  it('multi-label: every label with enough rows reaches every part, sizes exact', () => {
    // labels a=0 b=1 c=2 d=3; d has only 2 rows, so one part must miss it
    const ml = [[0, 1], [0], [1, 2], [2], [0, 2], [1], [0, 1, 2], [3], [3, 0], [1], [2], [0], []];
    for (let seed = 0; seed < 20; seed++) {
      const part = iterativeStratify(units(ml), 4, largestRemainder(ml.length, [0.5, 0.25, 0.25]), [0.5, 0.25, 0.25], prng(seed));
      expect([0, 1, 2].map((j) => [...part].filter((x) => x === j).length)).toEqual([7, 3, 3]);
      for (const l of [0, 1, 2]) for (const j of [0, 1, 2]) expect(ml.some((ls, i) => part[i] === j && ls.includes(l)), `label ${l} in part ${j} (seed ${seed})`).toBe(true);
      // the rare label d: its two rows go to two different parts
      expect(new Set(ml.flatMap((ls, i) => (ls.includes(3) ? [part[i]] : []))).size).toBe(2);
    }
  });

  it('upstream invariant: 500 rows, 3/5/10 random labels, per-label shares within 0.07 of the whole', () => {
    const rand = prng(9);
    for (const q of [3, 5, 10]) {
      const ls = Array.from({ length: 500 }, () => Array.from({ length: q }, (_, l) => l).filter(() => rand() < 0.3));
      const part = iterativeStratify(units(ls), q, [350, 75, 75], [0.7, 0.15, 0.15], prng(q));
      for (let l = 0; l < q; l++) {
        const whole = ls.filter((x) => x.includes(l)).length / 500;
        for (let j = 0; j < 3; j++) {
          const inPart = ls.filter((_, i) => part[i] === j);
          expect(inPart.length).toBe([350, 75, 75][j]);
          expect(Math.abs(inPart.filter((x) => x.includes(l)).length / inPart.length - whole)).toBeLessThanOrEqual(0.07);
        }
      }
    }
  });

  it('groups (units of several rows) are placed whole, sizes near the targets', () => {
    const rand = prng(5);
    const groups: Unit[] = Array.from({ length: 200 }, () => ({ size: 1 + Math.floor(rand() * 4), labels: [] }));
    const n = sum(groups.map((g) => g.size));
    const targets = largestRemainder(n, [0.8, 0.1, 0.1]);
    const part = iterativeStratify(groups, 0, targets, [0.8, 0.1, 0.1], prng(1));
    const got = [0, 1, 2].map((j) => sum(groups.filter((_, g) => part[g] === j).map((g) => g.size)));
    expect(sum(got)).toBe(n);
    got.forEach((x, j) => expect(Math.abs(x - targets[j])).toBeLessThanOrEqual(3));
  });
});
