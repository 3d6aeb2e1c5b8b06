/** `balance`: class weights (sklearn "balanced"), over/under-sampling (imbalanced-learn semantics), temperature shares. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classWeights, targetCounts, temperatureShares } from '../../../src/ops/annotate/balance.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';

describe('balance: vectors', () => {
  it('class weights n / (k · count): sklearn docstring [1,1,1,1,0,0] → [1.5, 0.75]; 80/15/5 → [0.41667, 2.22222, 6.66667]', () => {
    expect(classWeights([2, 4])).toEqual([1.5, 0.75]);
    const w = classWeights([80, 15, 5]);
    [0.41667, 2.22222, 6.66667].forEach((x, i) => expect(w[i]).toBeCloseTo(x, 5));
    expect(80 * w[0] + 15 * w[1] + 5 * w[2]).toBeCloseTo(100, 10);
  });
  it('temperature shares p ∝ n^α: n = [1000, 100, 10]', () => {
    const close = (xs: number[], ys: number[]) => xs.forEach((x, i) => expect(x).toBeCloseTo(ys[i], 4));
    close(temperatureShares([1000, 100, 10], 1), [0.9009, 0.0901, 0.009]);
    close(temperatureShares([1000, 100, 10], 0.5), [0.7061, 0.2233, 0.0706]);
    close(temperatureShares([1000, 100, 10], 0.3), [0.5707, 0.286, 0.1433]);
    close(temperatureShares([1000, 100, 10], 0), [1 / 3, 1 / 3, 1 / 3]);
  });
  it('targets: auto (not majority / not minority), a binary ratio, counts, shares', () => {
    const L = ['a', 'b', 'c'];
    expect(targetCounts(L, [80, 15, 5], 'oversample', { kind: 'auto' }).targets).toEqual([80, 80, 80]);
    expect(targetCounts(L, [80, 15, 5], 'undersample', { kind: 'auto' }).targets).toEqual([5, 5, 5]);
    expect(targetCounts(['a', 'b'], [80, 20], 'oversample', { kind: 'ratio', ratio: 0.5 }).targets).toEqual([80, 40]);
    expect(targetCounts(['a', 'b'], [80, 20], 'undersample', { kind: 'ratio', ratio: 0.5 }).targets).toEqual([40, 20]);
    const r = targetCounts(L, [80, 15, 5], 'oversample', { kind: 'counts', counts: { b: 30, c: 2 } });
    expect(r.targets).toEqual([80, 30, 5]);
    expect(r.notes).toEqual(['c: target 2 would shrink it (5 rows) — oversample leaves it as it is']);
    expect(targetCounts(L, [80, 15, 5], 'oversample', { kind: 'shares', shares: { a: 0.5, b: 0.3, c: 0.2 } }).targets).toEqual([80, 48, 32]);
    expect(targetCounts(L, [80, 15, 5], 'undersample', { kind: 'shares', shares: { a: 0.5, b: 0.25, c: 0.25 } }).targets).toEqual([10, 5, 5]);
    expect(() => targetCounts(L, [80, 15, 5], 'oversample', { kind: 'ratio', ratio: 0.5 })).toThrow(/two classes/);
  });
});

function project(body: string): string {
  const rows = [...Array(8).fill('a'), ...Array(3).fill('b'), 'c', null].map((label, i) => JSON.stringify({ id: `r${i}`, text: `t${i}`, label }));
  return join(tempProject({ 'd.jsonl': rows.join('\n') + '\n', 'r.ftr': `recipe b\nseed 5\nsource d = jsonl "d.jsonl"\n${body}\n` }), 'r.ftr');
}

describe('balance in recipes', () => {
  it('weights: a weight column; unlabeled rows get null; Σ weight = labeled rows; before/after in the notes', async () => {
    const file = project('cell w = d | balance label\nexport w | write "out/" shuffle: false');
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const rows = readJsonl(join(file, '..', 'out', 'w.jsonl'));
    const w = Object.fromEntries(rows.map((r) => [String(r.label), r.weight]));
    expect(w.a).toBeCloseTo(12 / (3 * 8), 12);
    expect(w.b).toBeCloseTo(12 / (3 * 3), 12);
    expect(w.c).toBe(4);
    expect(w.null).toBeNull();
    const notes = cells.get('w')!.notes!;
    expect(notes).toContain('Σ weight = 12.000 (labeled rows 12)');
    expect(notes.some((l) => /^a\s+8\s+66\.7%\s+0\.5000\s+33\.3%$/.test(l))).toBe(true);
    expect(notes).toContain('1 rows without a label passed through unchanged (weight null)');
  });

  it('oversample: copies reference their original (id#os<k>, parent); deterministic; split keeps families together', async () => {
    const file = project('cell o = d | balance label oversample\ncell parts = o | split 50% 50% group: parent\nexport o | write "out/" shuffle: false\nexport parts | write "out/" shuffle: false');
    const first = await runJson(file);
    expect(first.code).toBe(0);
    const rows = readJsonl(join(file, '..', 'out', 'o.jsonl'));
    const count = (l: string) => rows.filter((r) => r.label === l).length;
    expect([count('a'), count('b'), count('c')]).toEqual([8, 8, 8]);
    expect(rows.filter((r) => r.label === 'c').map((r) => r.id)).toEqual(['r11', ...Array.from({ length: 7 }, (_, k) => `r11#os${k + 1}`)]);
    expect(rows.filter((r) => String(r.id).includes('#os')).every((r) => String(r.id).startsWith(`${String(r.parent)}#os`))).toBe(true);
    expect(rows.find((r) => r.id === 'r12')).toMatchObject({ label: null, parent: null });
    const notes = first.cells.get('o')!.notes!;
    expect(notes.some((l) => /^b\s+3\s+25\.0%\s+8\s+8\s+33\.3%$/.test(l))).toBe(true);
    // the same seed gives the same copies; the parts never split a row from its copies
    const again = await ftr('run', file, '--no-cache');
    expect(again.code).toBe(0);
    expect(readJsonl(join(file, '..', 'out', 'o.jsonl'))).toEqual(rows);
    const train = readJsonl(join(file, '..', 'out', 'train.jsonl'));
    const test = readJsonl(join(file, '..', 'out', 'val.jsonl'));
    const fam = (r: Record<string, unknown>) => String(r.parent ?? r.id);
    expect(train.length).toBeGreaterThan(0);
    expect(test.length).toBeGreaterThan(0);
    const trainFam = new Set(train.map(fam));
    expect(test.some((r) => trainFam.has(fam(r)))).toBe(false);
  });

  it('undersample to shares: dropped rows go to the rejects with reason "balance"', async () => {
    const file = project('cell u = d | balance label undersample target: { a: 50%, b: 25%, c: 25% }\nexport u | write "out/" shuffle: false');
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const rows = readJsonl(join(file, '..', 'out', 'u.jsonl'));
    expect(rows.map((r) => r.label).filter((l) => l !== null).sort()).toEqual(['a', 'a', 'b', 'c']);
    expect(cells.get('u')!.dropped).toEqual({ balance: 8 });
    const rej = (await ftr('rejects', file, 'u', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rej.filter((r) => r.detail === 'under-sampled label a: 8 → 2 rows')).toHaveLength(6);
  });

  it('a split input: only `apply_to` parts (default train) are balanced; evaluation parts pass through as they were', async () => {
    const split = 'cell parts = d | keep present(label) | split 50% 50% stratify: label\n';
    const file = project(`${split}cell o = parts | balance label oversample\ncell w = parts | balance label\nexport o | write "o/" shuffle: false\nexport w | write "w/" shuffle: false\nexport parts | write "p/" shuffle: false`);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const dir = join(file, '..');
    const before = { train: readJsonl(join(dir, 'p', 'train.jsonl')), val: readJsonl(join(dir, 'p', 'val.jsonl')) };
    const o = { train: readJsonl(join(dir, 'o', 'train.jsonl')), val: readJsonl(join(dir, 'o', 'val.jsonl')) };
    const count = (rows: Record<string, unknown>[], l: string) => rows.filter((r) => r.label === l).length;
    // train is lifted to its own majority count; val keeps its rows, no copies, parent empty
    const present = ['a', 'b', 'c'].filter((l) => count(before.train, l) > 0);
    const max = Math.max(...present.map((l) => count(before.train, l)));
    expect(present.length).toBeGreaterThanOrEqual(2);
    expect(present.map((l) => count(o.train, l))).toEqual(present.map(() => max));
    expect(o.train.length).toBeGreaterThan(before.train.length);
    expect(o.val).toEqual(before.val.map((r) => ({ ...r, parent: null })));
    expect(o.val.some((r) => String(r.id).includes('#os'))).toBe(false);
    // weights: train weighted, val rows unweighted (weight 1)
    const w = { train: readJsonl(join(dir, 'w', 'train.jsonl')), val: readJsonl(join(dir, 'w', 'val.jsonl')) };
    expect(w.train.every((r) => typeof r.weight === 'number')).toBe(true);
    expect(w.val.map((r) => r.weight)).toEqual(before.val.map(() => 1));
    expect(w.train.reduce((s, r) => s + (r.weight as number), 0)).toBeCloseTo(w.train.length, 9);
    expect(cells.get('o')!.notes).toContain(`passed through unchanged: val ${before.val.length} (apply_to: [train])`);
    // apply_to names the parts; an unknown part, or a split without `train` and no apply_to, is a check error
    const both = project(`${split}cell w = parts | balance label apply_to: [train, val]\nexport w | write "w/" shuffle: false`);
    expect((await runJson(both)).code).toBe(0);
    const val = readJsonl(join(both, '..', 'w', 'val.jsonl'));
    expect(new Set(val.map((r) => r.weight)).size).toBeGreaterThan(1);
    let r = await ftr('check', project(`${split}cell w = parts | balance label apply_to: [dev]`));
    expect(r.out + r.err).toContain('unknown part `dev`');
    r = await ftr('check', project('cell parts = d | split { a: 50%, b: 50% }\ncell w = parts | balance label'));
    expect(r.out + r.err).toContain('none of them `train`: say which parts to balance');
    r = await ftr('check', project('cell w = d | balance label apply_to: [train]'));
    expect(r.out + r.err).toContain('`apply_to` picks parts of a split, but the input has no parts');
  });

  it('alpha: temperature mixing; bad targets are check errors', async () => {
    const file = project('cell t = d | balance label oversample alpha: 0\nexport t | write "out/" shuffle: false');
    expect((await runJson(file)).code).toBe(0);
    const rows = readJsonl(join(file, '..', 'out', 't.jsonl'));
    expect(['a', 'b', 'c'].map((l) => rows.filter((r) => r.label === l).length)).toEqual([8, 8, 8]);
    let r = await ftr('check', project('cell t = d | balance label target: { a: 60%, b: 60% }'));
    expect(r.out + r.err).toContain('target shares must add up to 100%');
    r = await ftr('check', project('cell t = d | balance label oversample target: { a: 1 } alpha: 0.5'));
    expect(r.out + r.err).toContain('`alpha` and `target` both set the distribution');
  });
});
