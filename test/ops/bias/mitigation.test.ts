import { describe, expect, it } from 'vitest';
import { bias_report } from '../../../src/ops/bias/bias_report.js';
import { wilson } from '../../../src/ops/bias/metrics.js';
import { resample } from '../../../src/ops/bias/resample.js';
import { reweigh } from '../../../src/ops/bias/reweigh.js';
import type { Row } from '../../../src/ops/types.js';
import { checkSchema, runGlobal, vectorRows } from './harness.js';

const byGL = (rows: Row[]) => {
  const m: Record<string, number> = {};
  for (const r of rows) {
    const k = `${(r.gender as string[])[0]}/${r.label as string}`;
    m[k] = (m[k] ?? 0) + 1;
  }
  return m;
};

describe('reweigh', () => {
  it('weights of the design notes vector; rows unchanged otherwise', async () => {
    const { kept, notes, dropped } = await runGlobal(reweigh, vectorRows(), { group: 'gender', label: 'label', positive: 'pos' });
    expect(dropped).toEqual([]);
    expect(kept.map((r) => r.id)).toEqual(vectorRows().map((r) => r.id));
    // m+ 0.75 ×4, m− 2 ×1, f+ 1.5 ×2, f− 2/3 ×3
    const w = kept.map((r) => r.weight as number);
    [0.75, 0.75, 0.75, 0.75, 2, 1.5, 1.5, 2 / 3, 2 / 3, 2 / 3].forEach((x, i) => expect(w[i]).toBeCloseTo(x, 12));
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(10, 12);
    expect(kept[0]).toMatchObject({ text: 't0', gender: ['male'], label: 'pos' });
    // weight table, sum, then rates before → after: 80% / 40% → 60% / 60%, SPD −0.4 → 0, DI 0.5 → 1
    expect(notes).toContain('Σ weight = 10.000 (rows 10)');
    expect(notes.some((l) => /^male\s+pos\s+4\s+3\.000\s+0\.7500$/.test(l))).toBe(true);
    expect(notes.some((l) => /^female\s+neg\s+3\s+2\.000\s+0\.6667$/.test(l))).toBe(true);
    expect(notes.some((l) => /^female\s+5\s+40\.0%\s+60\.0%\s+-0\.400\s+0\.000\s+0\.500\s+1\.000$/.test(l))).toBe(true);
    expect(notes).toContain('parity (pos): max−min rate 0.400 → 0.000 · min/max 0.500 → 1.000');
  });

  it('existing weights multiply in; the column name is a param', async () => {
    const rows = vectorRows().map((r, i) => ({ ...r, w: i === 0 ? 2 : 1 }));
    const { kept } = await runGlobal(reweigh, rows, { group: 'gender', label: 'label', weights: 'w', column: 'sample_weight' });
    // weighted counts: m+ 5, m− 1, f+ 2, f− 3; n = 11, n_m = 6, n_+ = 7
    // W(m,+) = 6·7/(11·5) = 42/55; row 0 gets 2·42/55
    expect(kept[0].sample_weight).toBeCloseTo((2 * 42) / 55, 12);
    expect(kept[1].sample_weight).toBeCloseTo(42 / 55, 12);
    expect(kept.reduce((a, r) => a + (r.sample_weight as number), 0)).toBeCloseTo(11, 12);
  });

  it('without `positive`: rates of every label before → after', async () => {
    const { notes } = await runGlobal(reweigh, vectorRows(), { group: 'gender', label: 'label' });
    expect(notes).toContain('parity (pos): max−min rate 0.400 → 0.000 · min/max 0.500 → 1.000');
    expect(notes).toContain('parity (neg): max−min rate 0.400 → 0.000 · min/max 0.333 → 1.000');
  });

  it('schema: adds a number column, checks group and label', () => {
    const { schema, errors } = checkSchema(reweigh, ['id', 'gender', 'label'], { group: 'gender', label: 'label' });
    expect(errors).toEqual([]);
    expect(schema.columns.at(-1)).toEqual({ name: 'weight', type: 'number' });
    expect(checkSchema(reweigh, ['id', 'gender'], { group: 'gender', label: 'label' }).errors[0]).toMatchObject({ param: 'label' });
  });
});

describe('resample', () => {
  it('parity: exact cell sizes, copies reference their original, drops have a reason', async () => {
    const { kept, dropped, notes } = await runGlobal(resample, vectorRows(), { group: 'gender', label: 'label', positive: 'pos' });
    // targets n_g·n_y/n: m+ 4→3, m− 1→2, f+ 2→3, f− 3→2
    expect(byGL(kept)).toEqual({ 'male/pos': 3, 'male/neg': 2, 'female/pos': 3, 'female/neg': 2 });
    expect(kept).toHaveLength(10);
    expect(dropped).toHaveLength(2);
    expect(dropped.every((d) => d.reason === 'resample')).toBe(true);
    expect(dropped.map((d) => d.detail).sort()).toEqual(['under-sampled gender female, label neg: 3 → 2 rows', 'under-sampled gender male, label pos: 4 → 3 rows']);
    // r4 is the only m− row: its copy is r4#dup1
    const dup = kept.find((r) => r.id === 'r4#dup1');
    expect(dup).toMatchObject({ parent: 'r4', text: 't4', label: 'neg' });
    expect(kept.filter((r) => String(r.id).includes('#dup'))).toHaveLength(2);
    expect(kept.filter((r) => !String(r.id).includes('#dup')).every((r) => r.parent === null)).toBe(true);
    expect(notes[0]).toBe('resample to parity on gender × label: 10 → 10 rows');
    expect(notes.some((l) => /^male\s+neg\s+1\s+2\s+2\s+\+1$/.test(l))).toBe(true);
    expect(notes).toContain('parity (pos): max−min rate 0.400 → 0.000 · min/max 0.500 → 1.000');
  });

  it('is deterministic for a seed; another seed may pick other rows', async () => {
    const a = await runGlobal(resample, vectorRows(), { group: 'gender', label: 'label' }, { seed: 5 });
    const b = await runGlobal(resample, vectorRows(), { group: 'gender', label: 'label' }, { seed: 5 });
    expect(b.ids).toEqual(a.ids);
    const others = await Promise.all([1, 2, 3, 4, 6, 7, 8, 9].map((s) => runGlobal(resample, vectorRows(), { group: 'gender', label: 'label' }, { seed: s })));
    expect(others.some((o) => o.ids.join() !== a.ids.join())).toBe(true);
    for (const o of others) expect(o.ids).toHaveLength(10);
  });

  it('equal: every cell the same size; whole rounds of copies first', async () => {
    // default size: round(10 rows / 4 cells) = 3
    const d = await runGlobal(resample, vectorRows(), { group: 'gender', label: 'label', target: 'equal' });
    expect(byGL(d.kept)).toEqual({ 'male/pos': 3, 'male/neg': 3, 'female/pos': 3, 'female/neg': 3 });
    // size 5: m− (1 row) gets 4 copies r4#dup1…#dup4; f+ (2 rows) 3 copies: one row 2, the other 1
    const e = await runGlobal(resample, vectorRows(), { group: 'gender', label: 'label', target: 'equal', size: 5 });
    expect(byGL(e.kept)).toEqual({ 'male/pos': 5, 'male/neg': 5, 'female/pos': 5, 'female/neg': 5 });
    expect(e.ids.filter((id) => id.startsWith('r4'))).toEqual(['r4', 'r4#dup1', 'r4#dup2', 'r4#dup3', 'r4#dup4']);
    const fpos = ['r5', 'r6'].map((id) => e.ids.filter((x) => x.startsWith(`${id}#dup`)).length).sort();
    expect(fpos).toEqual([1, 2]);
    expect(e.dropped).toEqual([]);
  });

  it('schema: `size` only with `target: equal`; adds `parent`', () => {
    expect(checkSchema(resample, ['id', 'gender', 'label'], { group: 'gender', label: 'label', size: 3 }).errors[0]).toMatchObject({ param: 'size' });
    expect(checkSchema(resample, ['id', 'gender', 'label'], { group: 'gender', label: 'label' }).schema.columns.map((c) => c.name)).toEqual(['id', 'gender', 'label', 'parent']);
  });
});

describe('bias_report', () => {
  it('representation, rates with SPD/DI and the four-fifths flag; rows pass through', async () => {
    const rows = [...vectorRows(), { id: 'n1', text: 'x', gender: [], label: 'neg' }, { id: 'x1', text: 'y', gender: ['female', 'male'], label: 'pos' }];
    const { kept, notes } = await runGlobal(bias_report, rows, { by: ['gender'], label: 'label', positive: 'pos', min_support: 5 });
    expect(kept).toEqual(rows);
    // 12 rows: male 5, female 5 (demographic, listed first), then mixed 1, none 1
    expect(notes[0]).toBe('gender: 12 rows, 2 groups (a row mentioning several groups is `mixed`, none `none`):');
    expect(notes.some((l) => /^male\s+5\s+41\.7%\s+6\s+1\.00$/.test(l))).toBe(true);
    expect(notes.some((l) => /^mixed\s+1\s+8\.3%$/.test(l))).toBe(true);
    expect(notes).toContain('representation of male, female vs uniform: TVD 0.000 · KL 0.000 nats · max/min 1.00');
    // reference male (tie with female, first seen): female 2/5 = 0.4 vs 0.8 → SPD −0.4, DI 0.5, flagged
    expect(notes.some((l) => /^female\s+5\s+2\s+40\.0%\s+11\.8–76\.9%\s+-0\.400\s+0\.500\s+⚠ DI < 0\.8$/.test(l))).toBe(true);
    expect(notes.some((l) => /^male\s+5\s+4\s+80\.0%\s+37\.6–96\.4%\s+0\.000\s+1\.000\s+\(reference\)$/.test(l))).toBe(true);
    // none and mixed are shown, never flagged
    expect(notes.some((l) => /^none\s+1\s+0\s+0\.0%\s+0\.0–79\.3%\s+-0\.800\s+0\.000$/.test(l))).toBe(true);
    expect(notes).toContain('parity (pos): max−min rate 0.400 · min/max 0.500 ⚠ below 0.8');
  });

  it('without `positive`: rates of every label, the four-fifths rule both ways', async () => {
    const { notes } = await runGlobal(bias_report, vectorRows(), { by: ['gender'], label: 'label', min_support: 5 });
    expect(notes.some((l) => /^male\s+5\s+80\.0%\s+20\.0%$/.test(l))).toBe(true);
    // P(neg|f) = 0.6 vs P(neg|m) = 0.2: DI 3 > 1/0.8, so the reference is the group below four-fifths
    expect(notes).toContain('parity (pos): max−min rate 0.400 · min/max 0.500 · ⚠ four-fifths rule vs male: female DI 0.500 (< 0.8)');
    expect(notes).toContain('parity (neg): max−min rate 0.400 · min/max 0.333 · ⚠ four-fifths rule vs male: female DI 3.000 (> 1.25)');
  });

  it('a group below min_support (default 10) is shown with its 95% Wilson interval but never flagged', async () => {
    const rows = [...Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, g: 'male', y: i < 10 ? 'pos' : 'neg' })), { id: 'f0', g: 'female', y: 'neg' }];
    const { notes } = await runGlobal(bias_report, rows, { by: ['g'], label: 'y', positive: 'pos' });
    // female 0/1: DI 0 would be flagged; with one row it is not judged
    expect(notes.some((l) => /^female\s+1\s+0\s+0\.0%\s+0\.0–79\.3%\s+-0\.500\s+0\.000\s+\(n < 10: not judged\)$/.test(l))).toBe(true);
    expect(notes).toContain('not judged by the four-fifths rule (fewer than 10 rows in the group or the reference; `min_support`): female');
    expect(notes.some((l) => l.includes('⚠ DI'))).toBe(false);
    // without positive: the per-label lines do not flag it either
    const all = await runGlobal(bias_report, rows, { by: ['g'], label: 'y' });
    expect(all.notes.some((l) => l.includes('four-fifths rule vs'))).toBe(false);
    // min_support: 1 judges it
    expect((await runGlobal(bias_report, rows, { by: ['g'], label: 'y', positive: 'pos', min_support: 1 })).notes.some((l) => l.includes('⚠ DI < 0.8'))).toBe(true);
  });

  it('Wilson score intervals match the textbook values', () => {
    const [lo1, hi1] = wilson(1, 1);
    expect(lo1).toBeCloseTo(0.2065, 4);
    expect(hi1).toBe(1);
    const [lo2, hi2] = wilson(0, 10);
    expect(lo2).toBe(0);
    expect(hi2).toBeCloseTo(0.2775, 4);
    const [lo3, hi3] = wilson(40, 100);
    expect(lo3).toBeCloseTo(0.3094, 4);
    expect(hi3).toBeCloseTo(0.4980, 4);
  });

  it('reference group and uneven representation', async () => {
    // shares 7 : 2 : 1 → vs uniform TVD 0.367, KL 0.297 (design notes §6.2)
    const rows = [...Array(7).fill('a'), 'b', 'b', 'c'].map((g, i) => ({ id: `r${i}`, g, y: i % 2 ? 'yes' : 'no' }));
    const { notes } = await runGlobal(bias_report, rows, { by: ['g'], label: 'y', positive: 'yes', reference: 'b' });
    expect(notes).toContain('representation of a, b, c vs uniform: TVD 0.367 · KL 0.297 nats · max/min 7.00');
    expect(notes.some((l) => l.includes('reference: b, given'))).toBe(true);
    expect(notes.some((l) => /^a\s+7\s+70\.0%\s+2\.10$/.test(l))).toBe(true);
  });

  it('source diversity of the `source` column', async () => {
    const rows = [...Array(50).fill('a'), ...Array(30).fill('b'), ...Array(20).fill('c')].map((s, i) => ({ id: `r${i}`, source: s, gender: [] }));
    const { notes } = await runGlobal(bias_report, rows, {});
    expect(notes).toContain('gender: no group in 100 rows (all none)');
    expect(notes).toContain('source diversity (source): 3 sources · H 1.485 bits · H/log K 0.937 · exp(H) 2.80 · Gini–Simpson 0.620 · inverse Simpson 2.63 · max/min 2.50');
    expect(notes.some((l) => /^a\s+50\s+50\.0%$/.test(l))).toBe(true);
  });

  it('schema: needs group columns', () => {
    expect(checkSchema(bias_report, ['id', 'text'], {}).errors[0]).toMatchObject({ param: 'by', message: 'no group columns to report on' });
    expect(checkSchema(bias_report, ['id', 'gender'], {}).errors).toEqual([]);
    expect(checkSchema(bias_report, ['id', 'gender'], { label: 'nope' }).errors[0]).toMatchObject({ param: 'label' });
  });
});
