import { describe, expect, it } from 'vitest';
import { largestRemainder } from '../../src/ops/split/split.js';
import { split } from '../../src/ops/split/split.js';
import type { GlobalOutput, OpContext, Row } from '../../src/ops/types.js';

function context(seed: number): OpContext {
  return { cell: 'c', seed, baseDir: '.', schema: { columns: [] }, signal: new AbortController().signal, progress() {}, log() {} };
}

async function runSplit(n: number, ratios: Record<string, number>, seed: number) {
  const rows: Row[] = Array.from({ length: n }, (_, i) => ({ id: String(i) }));
  const parts: Record<string, string[]> = {};
  const out: GlobalOutput = {
    async emit(row, part) {
      (parts[part!] ??= []).push(row.id as string);
    },
    async drop() {},
    note() {},
  };
  const input = { count: n, async *rows() { yield* rows; } };
  await split.global!.run(input, { ratios }, context(seed), out, {});
  return parts;
}

describe('largestRemainder', () => {
  it('gives exact sizes that add up to n', () => {
    expect(largestRemainder(10, [0.8, 0.1, 0.1])).toEqual([8, 1, 1]);
    expect(largestRemainder(338, [0.8, 0.1, 0.1])).toEqual([270, 34, 34]);
    expect(largestRemainder(7, [1 / 3, 1 / 3, 1 / 3])).toEqual([3, 2, 2]);
    expect(largestRemainder(1, [0.8, 0.1, 0.1])).toEqual([1, 0, 0]);
    expect(largestRemainder(0, [0.8, 0.1, 0.1])).toEqual([0, 0, 0]);
    for (let n = 0; n < 300; n++) expect(largestRemainder(n, [0.7, 0.15, 0.15]).reduce((a, b) => a + b, 0)).toBe(n);
  });
});

describe('split', () => {
  it('assigns every row to exactly one part, with exact sizes, in input order', async () => {
    const parts = await runSplit(1000, { train: 0.8, val: 0.1, test: 0.1 }, 42);
    expect(parts.train.length).toBe(800);
    expect(parts.val.length).toBe(100);
    expect(parts.test.length).toBe(100);
    const all = [...parts.train, ...parts.val, ...parts.test];
    expect(new Set(all).size).toBe(1000);
    expect(parts.val).toEqual([...parts.val].sort((a, b) => Number(a) - Number(b)));
  });

  it('is a function of the seed', async () => {
    const a = await runSplit(500, { train: 0.8, val: 0.1, test: 0.1 }, 7);
    const b = await runSplit(500, { train: 0.8, val: 0.1, test: 0.1 }, 7);
    const c = await runSplit(500, { train: 0.8, val: 0.1, test: 0.1 }, 8);
    expect(b).toEqual(a);
    expect(c.test).not.toEqual(a.test);
  });
});
