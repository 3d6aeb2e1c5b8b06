import { describe, expect, it } from 'vitest';
import { bandRows, comparedText, jaccard, leakage, shingles } from '../../../src/ops/split/leakage.js';
import { OpError, type Row } from '../../../src/ops/types.js';
import { runGlobal } from './harness.js';

const LONG = 'my order arrived damaged and the replacement you promised last week never showed up so please refund the full amount to my card';

describe('shingles and Jaccard', () => {
  it('word 3-shingles of the folded text; short texts are one shingle', () => {
    expect(shingles('a b c d', 3).length).toBe(2);
    expect(shingles('a b', 3).length).toBe(1);
    expect(shingles('  ', 3).length).toBe(0);
    expect([...shingles('a b c', 3)]).toEqual([...shingles('a b c a b c', 3)].filter((x) => shingles('a b c', 3).includes(x)));
  });

  it('Jaccard: one changed last word of 24 → 21/23', () => {
    const a = shingles(`${LONG} today`, 3);
    const b = shingles(`${LONG} TOMORROW`, 3);
    expect(a.length).toBe(22);
    expect(jaccard(a, b)).toBeCloseTo(21 / 23, 10);
    expect(jaccard(a, a)).toBe(1);
  });

  it('folding: case, spaces and unicode forms do not matter', () => {
    expect(comparedText({ t: '  Ｒefund\tNOW ' }, ['t'])).toBe(comparedText({ t: 'refund now' }, ['t']));
  });

  it('exact keys keep their type and treat every whitespace run as one space', () => {
    expect(comparedText({ t: 'foo\n\nbar' }, ['t'])).toBe(comparedText({ t: 'foo bar' }, ['t']));
    expect(comparedText({ t: '{"k":1}' }, ['t'])).not.toBe(comparedText({ t: { k: 1 } }, ['t']));
    expect(comparedText({ t: 'null' }, ['t'])).not.toBe(comparedText({ t: null, u: 'x' }, ['t', 'u']));
    expect(comparedText({ t: null }, ['t'])).toBeUndefined();
    expect(comparedText({ t: '  ' }, ['t'])).toBeUndefined();
  });

  it('near shingles are dedupe_near\'s words: digits fold to 0, punctuation is a space', () => {
    const a = shingles('order #1234, shipped to: 10 Main St. on 2024-01-02 (tracking 55)', 5);
    const b = shingles('Order 99 shipped to 7 main st on 1999 12 31 tracking 3', 5);
    expect(jaccard(a, b)).toBe(1);
  });

  it('LSH bands: rows per band chosen so a pair at the threshold is found with ≥ 99%', () => {
    expect(bandRows(0.8)).toBe(4);
    expect(bandRows(0.5)).toBe(2);
    expect(bandRows(0.2)).toBe(1);
  });
});

const mk = (id: string, text: string, label = 'x', extra: Row = {}): Row => ({ id, text, label, ...extra });

function parts(): Record<string, Row[]> {
  return {
    train: [mk('a1', 'Refund not received'), mk('a2', `${LONG} today`), mk('a3', 'how do i change my password', 'y'), mk('a4', 'shipping to canada', 'y'), mk('a5', 'the app crashes on start')],
    val: [mk('v1', 'refund   NOT received'), mk('v2', 'where is my parcel', 'y')],
    test: [mk('t1', `${LONG} tomorrow`), mk('t2', 'refund not received'), mk('t3', 'cancel my subscription please', 'y')],
  };
}

describe('leakage', () => {
  it('finds exact and near copies across parts, re-emits every row unchanged', async () => {
    const input = parts();
    const r = await runGlobal(leakage, [], { columns: ['text'] }, { parts: input });
    expect(r.parts).toEqual(input);
    expect(r.dropped).toEqual([]);
    expect(r.notes[0]).toBe('leakage on text: 1 text in several parts, 1 near pair (Jaccard ≥ 0.80 on 5-word shingles)');
    expect(r.notes.slice(1, 5)).toEqual(['pair          exact  near', 'train ↔ val       1     0', 'train ↔ test      1     1', 'val ↔ test        1     0']);
    expect(r.notes).toContain('rows with a copy in another part: train 2 · val 1 · test 2');
    expect(r.notes).toContain('e.g. test:t2 = train:a1  "refund not received"');
    expect(r.notes.some((l) => l.startsWith('e.g. test:t1 ≈ train:a2 (0.90)'))).toBe(true);
    // label distribution side by side (the input has a `label` column)
    expect(r.notes).toContain('label distribution (label):');
    expect(r.notes.some((l) => /^x\s+6\s+60\.0%\s+3\s+60\.0%\s+1\s+50\.0%\s+2\s+66\.7%$/.test(l))).toBe(true);
  });

  it('no leaks: one line saying so', async () => {
    const r = await runGlobal(leakage, [], { label: 'label' }, { parts: { train: [mk('a', 'one two three')], test: [mk('b', 'four five six')] } });
    expect(r.notes[0]).toBe('leakage on text: none across train, test (exact; near: Jaccard ≥ 0.80 on 5-word shingles)');
  });

  it('near: 0% turns the near search off; a lower threshold finds looser pairs', async () => {
    const off = await runGlobal(leakage, [], { near: 0 }, { parts: parts() });
    expect(off.notes[0]).toBe('leakage on text: 1 text in several parts, 0 near pairs (near-duplicate search off)');
    const loose = await runGlobal(leakage, [], { near: 0.3 }, { parts: { train: [mk('a', 'please reset my account password now')], test: [mk('b', 'please reset my account password today')] } });
    expect(loose.notes[0]).toMatch(/^leakage on text: 0 texts in several parts, 1 near pair/);
  });

  it('group: a group value in two parts is a leak', async () => {
    const r = await runGlobal(leakage, [], { group: 'cluster' }, { parts: { train: [mk('a', 'alpha beta', 'x', { cluster: 'c1' })], test: [mk('b', 'gamma delta', 'x', { cluster: 'c1' }), mk('c', 'eps', 'x', { cluster: 'c2' })] } });
    expect(r.notes[0]).toBe('leakage on text: 0 texts in several parts, 0 near pairs (Jaccard ≥ 0.80 on 5-word shingles), 1 group in several parts (cluster)');
    expect(r.notes[1]).toBe('pair          exact  near  groups');
  });

  it('fix: { drop_from: "test" } drops test\'s leaking rows with reason "leak" and what they copy', async () => {
    const r = await runGlobal(leakage, [], { fix: { drop_from: 'test' } }, { parts: parts() });
    expect(r.parts.test.map((x) => x.id)).toEqual(['t3']);
    expect(r.parts.train.length).toBe(5);
    expect(r.dropped.map((d) => [d.row.id, d.reason, d.detail])).toEqual([
      ['t1', 'leak', 'near copy of train:a2 (Jaccard 0.90)'],
      ['t2', 'leak', 'exact copy of train:a1'],
    ]);
    expect(r.notes).toContain('fix: dropped 2 leaking rows from test (reason "leak")');
  });

  it('fail: throws an OpError naming the pairs; leaks all fixed → no failure', async () => {
    const err = await runGlobal(leakage, [], { fail: true }, { parts: parts() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect((err as Error).message).toContain('train ↔ test: 1 exact, 1 near');
    // dropping from test leaves the train ↔ val copy
    const still = await runGlobal(leakage, [], { fail: true, fix: { drop_from: 'test' } }, { parts: parts() }).catch((e: unknown) => e);
    expect((still as Error).message).toMatch(/^leakage across parts on text \(after dropping leaks from test\):\n {2}train ↔ val: 1 exact$/m);
    const p = parts();
    p.val = [mk('v2', 'where is my parcel')];
    const ok = await runGlobal(leakage, [], { fail: true, fix: { drop_from: 'test' } }, { parts: p });
    expect(ok.dropped.length).toBe(2);
  });
});

describe('leakage sees what dedup would see', () => {
  it('a record and its JSON text are not an exact leak; texts differing only in whitespace runs are', async () => {
    const typed = { train: [mk('a', '{"k":1}')], test: [{ id: 'c', text: { k: 1 }, label: 'x' }] };
    expect((await runGlobal(leakage, [], { columns: ['text'], near: 0 }, { parts: typed })).notes[0]).toBe('leakage on text: none across train, test (exact; near: near-duplicate search off)');
    const ws = { train: [mk('b', 'foo\n\nbar baz')], test: [mk('d', 'foo bar baz')] };
    expect((await runGlobal(leakage, [], { columns: ['text'], near: 0 }, { parts: ws })).notes[0]).toBe('leakage on text: 1 text in several parts, 0 near pairs (near-duplicate search off)');
  });

  it('default shingles find pairs that differ in numbers and punctuation (dedupe_near folds them)', async () => {
    const t = 'ticket 4411: printer on floor 3 jams after 20 pages, error E-77 shown on the panel';
    const input = { train: [mk('a', t)], test: [mk('b', t.replace(/\d+/g, '9').replace(/[:,]/g, ''))] };
    const r = await runGlobal(leakage, [], { columns: ['text'] }, { parts: input });
    expect(r.notes[0]).toBe('leakage on text: 0 texts in several parts, 1 near pair (Jaccard ≥ 0.80 on 5-word shingles)');
  });
});
