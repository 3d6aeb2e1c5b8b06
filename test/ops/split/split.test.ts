import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { largestRemainder } from '../../../src/ops/split/split.js';
import { split } from '../../../src/ops/split/split.js';
import { hashKey, hashPartOf } from '../../../src/ops/split/allocate.js';
import type { GlobalOutput, OpContext, Params, Row } from '../../../src/ops/types.js';
import { partOfIds, runGlobal } from './harness.js';
import { fakeContext } from '../harness.js';

function context(seed: number): OpContext {
  return fakeContext({ seed });
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

describe('split: plain calls keep their output', () => {
  it('same rows per part as split v1 for the same seed (golden)', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({ id: `r${i}` }));
    const r = await runGlobal(split, rows, { ratios: { train: 0.6, val: 0.2, test: 0.2 } }, { seed: 42 });
    const ids = (p: string) => r.parts[p].map((x) => x.id);
    expect(ids('train')).toEqual(['r0', 'r1', 'r2', 'r3', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'r14', 'r16']);
    expect(ids('val')).toEqual(['r5', 'r6', 'r15', 'r19']);
    expect(ids('test')).toEqual(['r4', 'r13', 'r17', 'r18']);
  });
});

const LABELS = ['billing', 'billing', 'billing', 'shipping', 'shipping', 'refund'];
const labeled = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, label: LABELS[i % 6] }));
const classCounts = (rows: Row[], col = 'label') => rows.reduce<Record<string, number>>((m, r) => ((m[String(r[col])] = (m[String(r[col])] ?? 0) + 1), m), {});

describe('split stratify', () => {
  const ratios = { train: 0.7, val: 0.15, test: 0.15 };

  it('exact sizes per class on a small labeled set (golden, seed 42)', async () => {
    const r = await runGlobal(split, labeled(60), { ratios, stratify: 'label' }, { seed: 42 });
    expect(classCounts(r.parts.train)).toEqual({ billing: 21, shipping: 14, refund: 7 });
    expect(classCounts(r.parts.val)).toEqual({ billing: 5, shipping: 3, refund: 1 });
    expect(classCounts(r.parts.test)).toEqual({ billing: 4, shipping: 3, refund: 2 });
    expect(r.notes).toContain('label distribution (label):');
    expect(r.notes.some((l) => /^billing\s+30\s+50\.0%\s+21\s+50\.0%\s+5\s+55\.6%\s+4\s+44\.4%$/.test(l))).toBe(true);
    expect(r.notes.some((l) => /^rows\s+60\s+42\s+9\s+9$/.test(l))).toBe(true);
    expect(r.notes).toContain('max deviation from overall: 5.6 pts (billing in val)');
  });

  it('for any seed: part sizes exact, every class within one row of its share', async () => {
    for (let seed = 0; seed < 25; seed++) {
      const r = await runGlobal(split, labeled(97), { ratios, stratify: 'label' }, { seed });
      expect([r.parts.train.length, r.parts.val.length, r.parts.test.length]).toEqual(largestRemainder(97, [0.7, 0.15, 0.15]));
      const whole = classCounts(labeled(97));
      for (const [p, ratio] of Object.entries(ratios)) {
        const got = classCounts(r.parts[p]);
        for (const [c, n] of Object.entries(whole)) expect(Math.abs((got[c] ?? 0) - n * ratio)).toBeLessThan(1);
      }
    }
  });

  it('a missing label is a class of its own', async () => {
    const rows = labeled(40).map((r, i) => (i % 4 === 0 ? { ...r, label: null } : r));
    const r = await runGlobal(split, rows, { ratios: { train: 0.5, test: 0.5 }, stratify: 'label' });
    expect(r.parts.train.filter((x) => x.label === null).length).toBe(5);
    expect(r.notes.some((l) => l.startsWith('(none)'))).toBe(true);
  });

  it('multi-label (list column): iterative stratification, every label in every part where possible', async () => {
    const tags = [['a', 'b'], ['a'], ['b', 'c'], ['c'], ['a', 'c'], ['b'], ['a', 'b', 'c'], ['d'], ['d', 'a'], ['b'], ['c'], ['a'], []];
    const rows = tags.map((t, i) => ({ id: `m${i}`, tags: t }));
    for (let seed = 0; seed < 10; seed++) {
      const r = await runGlobal(split, rows, { ratios: { train: 0.5, val: 0.25, test: 0.25 }, stratify: 'tags' }, { seed });
      expect([r.parts.train.length, r.parts.val.length, r.parts.test.length]).toEqual([7, 3, 3]);
      for (const p of ['train', 'val', 'test']) for (const t of ['a', 'b', 'c']) expect(r.parts[p].some((x) => (x.tags as string[]).includes(t)), `${t} in ${p}`).toBe(true);
      expect(r.notes).toContain('label distribution (tags, rows carrying each label):');
    }
  });
});

describe('split group', () => {
  const groupParts = (parts: Record<string, Row[]>, col: string) => {
    const m = new Map<unknown, Set<string>>();
    for (const [p, rows] of Object.entries(parts)) for (const r of rows) (m.get(r[col]) ?? m.set(r[col], new Set()).get(r[col])!).add(p);
    return m;
  };

  it('property: a group never spans two parts, every row lands once (random, stratified, hash)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 25 }), fc.constantFrom('x', 'y', 'z')), { minLength: 1, maxLength: 150 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom<Params>({}, { stratify: 'label' }, { by: 'hash' }),
        async (spec, seed, mode) => {
          const rows = spec.map(([g, label], i) => ({ id: `r${i}`, cluster: `g${g}`, label }));
          const r = await runGlobal(split, rows, { ratios: { train: 0.8, val: 0.1, test: 0.1 }, group: 'cluster', ...mode }, { seed });
          for (const parts of groupParts(r.parts, 'cluster').values()) expect(parts.size).toBe(1);
          const ids = Object.values(r.parts).flat().map((x) => x.id);
          expect(ids.length).toBe(rows.length);
          expect(new Set(ids).size).toBe(rows.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reports achieved vs target sizes and groups per part', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, cluster: `g${Math.floor(i / 4)}` }));
    const r = await runGlobal(split, rows, { ratios: { train: 0.8, val: 0.1, test: 0.1 }, group: 'cluster' }, { seed: 3 });
    const sizes = ['train', 'val', 'test'].map((p) => r.parts[p].length);
    expect(r.notes).toContain(`sizes vs target: train ${sizes[0]}/80 · val ${sizes[1]}/10 · test ${sizes[2]}/10`);
    expect(r.notes.find((l) => l.startsWith('groups (cluster): 25, largest 4 rows'))).toBeDefined();
    sizes.forEach((s, j) => expect(Math.abs(s - [80, 10, 10][j])).toBeLessThanOrEqual(4));
  });

  it('rows with no group value are grouped by their key: `group: parent` keeps augmented rows with their original', async () => {
    const originals = Array.from({ length: 30 }, (_, i) => ({ id: `o${i}`, parent: null }));
    const children = originals.flatMap((o, i) => Array.from({ length: 1 + (i % 3) }, (_, k) => ({ id: `${o.id}-aug${k}`, parent: o.id })));
    for (const seed of [1, 2, 3]) {
      const r = await runGlobal(split, [...originals, ...children], { ratios: { train: 0.8, val: 0.1, test: 0.1 }, group: 'parent' }, { seed });
      const where = partOfIds(r.parts);
      for (const c of children) expect(where.get(c.id)).toBe(where.get(c.parent));
    }
  });

  it('stratified over groups: labels spread, groups whole', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ id: `r${i}`, cluster: `g${Math.floor(i / 2)}`, label: LABELS[Math.floor(i / 2) % 6] }));
    const r = await runGlobal(split, rows, { ratios: { train: 0.7, val: 0.15, test: 0.15 }, group: 'cluster', stratify: 'label' }, { seed: 11 });
    for (const parts of groupParts(r.parts, 'cluster').values()) expect(parts.size).toBe(1);
    // groups are pairs of rows, so a part's class count can be off its share by one group (2 rows), no more
    const whole = classCounts(rows);
    for (const [p, ratio] of Object.entries({ train: 0.7, val: 0.15, test: 0.15 })) {
      const got = classCounts(r.parts[p]);
      for (const [c, n] of Object.entries(whole)) expect(Math.abs((got[c] ?? 0) - n * ratio), `${c} in ${p}`).toBeLessThanOrEqual(2);
    }
    expect(r.parts.val.length).toBe(18);
  });
});

describe('split by: hash', () => {
  const docs = (ids: number[]) => ids.map((i) => ({ id: `doc-${i}`, text: `t${i}` }));
  const ratios = { train: 0.8, val: 0.1, test: 0.1 };

  it('places doc-0…doc-9 as the design notes say', async () => {
    const r = await runGlobal(split, docs([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), { ratios, by: 'hash' });
    expect(r.parts.train.map((x) => x.id)).toEqual(['doc-0', 'doc-2', 'doc-4', 'doc-6', 'doc-7', 'doc-9']);
    expect(r.parts.val.map((x) => x.id)).toEqual(['doc-1', 'doc-8']);
    expect(r.parts.test.map((x) => x.id)).toEqual(['doc-3', 'doc-5']);
  });

  it('is stable: appended (and reordered) rows never move earlier rows, whatever the seed', async () => {
    const first = partOfIds((await runGlobal(split, docs(Array.from({ length: 200 }, (_, i) => i)), { ratios, by: 'hash' }, { seed: 1 })).parts);
    const grown = Array.from({ length: 500 }, (_, i) => i).reverse();
    const second = partOfIds((await runGlobal(split, docs(grown), { ratios, by: 'hash' }, { seed: 99 })).parts);
    for (const [id, p] of first) expect(second.get(id)).toBe(p);
    expect(new Set(first.values()).size).toBe(3);
  });

  it('with group, hashes the group value (a missing one: the key), so groups stay whole', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ id: `doc-${i}`, cluster: i % 5 === 0 ? null : `c${i % 7}` }));
    const r = await runGlobal(split, rows, { ratios, by: 'hash', group: 'cluster' });
    const where = partOfIds(r.parts);
    for (const row of rows) {
      const expected = hashPartOf([0.8, 0.1, 0.1])(hashKey(row.cluster ?? row.id));
      expect(where.get(row.id)).toBe(['train', 'val', 'test'][expected]);
    }
    expect(r.notes[0]).toMatch(/^by hash of cluster: train \d+ \(/);
  });

  it('a row without a key is dropped with a reason, not lost', async () => {
    const r = await runGlobal(split, [...docs([0, 1]), { id: null, text: 'x' }], { ratios, by: 'hash' });
    expect(r.dropped.map((d) => d.reason)).toEqual(['no split key']);
    expect(r.notes).toContain('1 row without a `id` dropped (reason "no split key")');
  });

  it('another salt draws another split', async () => {
    const rows = docs(Array.from({ length: 100 }, (_, i) => i));
    const a = partOfIds((await runGlobal(split, rows, { ratios, by: 'hash' })).parts);
    const b = partOfIds((await runGlobal(split, rows, { ratios, by: 'hash', salt: 'v2' })).parts);
    expect([...a].some(([id, p]) => b.get(id) !== p)).toBe(true);
  });
});
