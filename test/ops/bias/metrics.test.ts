import { describe, expect, it } from 'vitest';
import { Cells, diFlag, diversity, groupOf, labelOf, parity, parityGap, pickReference, representation, reweighing } from '../../../src/ops/bias/metrics.js';
import { equalTargets, parityTargets } from '../../../src/ops/bias/resample.js';

/** The design notes' vector (§6.3): m+ ×4, m− ×1, f+ ×2, f− ×3. */
function vector(): Cells {
  const c = new Cells();
  for (const [g, y, k] of [['m', '+', 4], ['m', '-', 1], ['f', '+', 2], ['f', '-', 3]] as const) for (let i = 0; i < k; i++) c.add(g, y);
  return c;
}

describe('group and label conventions', () => {
  it('a list is one group: [] none, one group, several mixed', () => {
    expect(groupOf([])).toBe('none');
    expect(groupOf(['female'])).toBe('female');
    expect(groupOf(['female', 'female'])).toBe('female');
    expect(groupOf(['female', 'male'])).toBe('mixed');
    expect(groupOf(null)).toBe('none');
    expect(groupOf('')).toBe('none');
    expect(groupOf('group_a')).toBe('group_a');
    expect(groupOf(3)).toBe('3');
  });

  it('labels as text; missing is (none)', () => {
    expect(labelOf(true)).toBe('true');
    expect(labelOf(1)).toBe('1');
    expect(labelOf(null)).toBe('(none)');
    expect(labelOf('pos')).toBe('pos');
  });
});

describe('Kamiran–Calders reweighing (design notes §6.3 vector)', () => {
  it('W = n_g·n_y / (n·n_gy)', () => {
    const w = reweighing(vector());
    // W(m,+) = 5·6/(10·4) = 0.75; W(m,−) = 5·4/(10·1) = 2; W(f,+) = 5·6/(10·2) = 1.5; W(f,−) = 5·4/(10·3) = 2/3
    expect(w.get('m')!.get('+')).toBeCloseTo(0.75, 12);
    expect(w.get('m')!.get('-')).toBeCloseTo(2, 12);
    expect(w.get('f')!.get('+')).toBeCloseTo(1.5, 12);
    expect(w.get('f')!.get('-')).toBeCloseTo(2 / 3, 12);
  });

  it('weights sum to n, and weighted label rates are equal: SPD 0, DI 1', () => {
    const c = vector();
    const w = reweighing(c);
    const after = new Cells();
    for (const g of c.groups) for (const y of c.labels) after.add(g, y, c.get(g, y) * w.get(g)!.get(y)!);
    expect(after.total).toBeCloseTo(10, 12);
    // before: P(+|m) = 0.8, P(+|f) = 0.4 → SPD −0.4, DI 0.5; after both 0.6
    expect(parity(c.rate('f', '+'), c.rate('m', '+'))).toEqual({ spd: expect.closeTo(-0.4, 12), di: expect.closeTo(0.5, 12) });
    expect(after.rate('m', '+')).toBeCloseTo(0.6, 12);
    expect(after.rate('f', '+')).toBeCloseTo(0.6, 12);
    const p = parity(after.rate('f', '+'), after.rate('m', '+'));
    expect(p.spd).toBeCloseTo(0, 12);
    expect(p.di).toBeCloseTo(1, 12);
  });

  it('instance weights count as sums', () => {
    // two rows of m+ with weight 2 each equal four rows of weight 1
    const c = new Cells();
    c.add('m', '+', 2);
    c.add('m', '+', 2);
    c.add('m', '-', 1);
    c.add('f', '+', 2);
    c.add('f', '-', 3);
    expect(reweighing(c).get('m')!.get('+')).toBeCloseTo(0.75, 12);
  });
});

describe('parity metrics', () => {
  it('SPD and DI against the reference; the four-fifths rule both ways', () => {
    // P(+|f) = 0.4 vs P(+|m) = 0.8
    expect(parity(0.4, 0.8)).toEqual({ spd: expect.closeTo(-0.4, 12), di: 0.5 });
    expect(diFlag(0.5, 0.8)).toBe('⚠ DI < 0.8');
    expect(diFlag(0.8, 0.8)).toBe('');
    expect(diFlag(1.25, 0.8)).toBe('');
    expect(diFlag(2, 0.8)).toBe('⚠ DI > 1.25');
    expect(parity(0, 0).di).toBe(1);
    expect(parity(0.3, 0).di).toBe(Infinity);
  });

  it('demographic parity difference and ratio skip none/mixed', () => {
    const c = vector();
    c.add('none', '-', 5);
    expect(parityGap(c, '+')).toEqual({ diff: expect.closeTo(0.4, 12), ratio: expect.closeTo(0.5, 12) });
  });

  it('reference: the one asked for, else the most frequent demographic group', () => {
    const c = vector();
    c.add('f', '+');
    c.add('none', '-', 100);
    expect(pickReference(c)?.group).toBe('f');
    expect(pickReference(c, 'm')?.group).toBe('m');
    expect(pickReference(c, 'nope')?.group).toBe('f');
  });
});

describe('diversity and representation (design notes §6.2 vectors)', () => {
  it('source counts [50, 30, 20]', () => {
    const d = diversity([50, 30, 20]);
    expect(d.nats).toBeCloseTo(1.029653, 6);
    // bits = nats / ln 2 = 0.5·1 + 0.3·log2(10/3) + 0.2·log2(5) = 1.485475
    expect(d.bits).toBeCloseTo(1.485475, 6);
    expect(d.normalized).toBeCloseTo(0.937231, 6);
    expect(d.effective).toBeCloseTo(2.800094, 6);
    expect(d.giniSimpson).toBeCloseTo(0.62, 12);
    expect(d.inverseSimpson).toBeCloseTo(2.631579, 6);
    expect(d.imbalance).toBe(2.5);
  });

  it('uniform and single-source edge cases', () => {
    const u = diversity([25, 25, 25, 25]);
    expect(u.bits).toBeCloseTo(2, 12);
    expect(u.normalized).toBeCloseTo(1, 12);
    expect(u.giniSimpson).toBeCloseTo(0.75, 12);
    const one = diversity([7]);
    expect(one.bits).toBe(0);
    expect(one.giniSimpson).toBe(0);
    expect(one.normalized).toBeNaN();
  });

  it('shares [0.7, 0.2, 0.1] vs uniform', () => {
    const r = representation([0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3]);
    expect(r.tvd).toBeCloseTo(0.366667, 6);
    expect(r.kl).toBeCloseTo(0.296794, 6);
    r.ratios.forEach((x, i) => expect(x).toBeCloseTo([2.1, 0.6, 0.3][i], 12));
  });
});

describe('resample targets', () => {
  it('parity: n_g·n_y / n per cell, group sizes kept', () => {
    // m: 5·6/10 = 3 positive, 5·4/10 = 2 negative; f the same
    const t = parityTargets(vector());
    expect(Object.fromEntries([...t].map(([g, m]) => [g, Object.fromEntries(m)]))).toEqual({ m: { '+': 3, '-': 2 }, f: { '+': 3, '-': 2 } });
  });

  it('parity: largest remainder keeps each group exact', () => {
    // 7 rows: a+ ×3, a− ×1, b+ ×1, b− ×2; n+ = 4, n− = 3
    // a: 4·4/7 = 2.286, 4·3/7 = 1.714 → floors 2, 1, one left to the larger remainder (−) → 2, 2
    // b: 3·4/7 = 1.714, 3·3/7 = 1.286 → floors 1, 1, one left to + → 2, 1
    const c = new Cells();
    for (const [g, y, k] of [['a', '+', 3], ['a', '-', 1], ['b', '+', 1], ['b', '-', 2]] as const) c.add(g, y, k);
    const t = parityTargets(c);
    expect([t.get('a')!.get('+'), t.get('a')!.get('-'), t.get('b')!.get('+'), t.get('b')!.get('-')]).toEqual([2, 2, 2, 1]);
  });

  it('parity: a group without some label shares its rows among the labels it has', () => {
    const c = vector();
    c.add('none', '-', 3);
    expect(Object.fromEntries(parityTargets(c).get('none')!)).toEqual({ '+': 0, '-': 3 });
  });

  it('equal: rows / non-empty cells, or the size given', () => {
    // 10 rows in 4 cells: round(2.5) = 3
    expect([...equalTargets(vector()).get('m')!.values()]).toEqual([3, 3]);
    expect([...equalTargets(vector(), 5).get('f')!.values()]).toEqual([5, 5]);
  });
});
