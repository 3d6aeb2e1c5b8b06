import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mix, mixSizes } from '../../../src/ops/combine/mix.js';
import type { Row } from '../../../src/ops/types.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { runGlobal } from '../clean/harness.js';

const rowsOf = (counts: Record<string, number>, col = 'source'): Row[] => Object.entries(counts).flatMap(([g, n]) => Array.from({ length: n }, (_, i) => ({ id: `${g}${i + 1}`, [col]: g })));
const countBy = (rows: Row[], col = 'source') => rows.reduce<Record<string, number>>((m, r) => ({ ...m, [String(r[col])]: (m[String(r[col])] ?? 0) + 1 }), {});

describe('mix sizes', () => {
  it('default: the largest total without copies; upsample: the smallest that drops nothing', () => {
    expect(mixSizes([600, 100, 300], [0.6, 0.2, 0.2], { upsample: false })).toEqual({ sizes: [300, 100, 100], total: 500, capped: false });
    expect(mixSizes([600, 100, 300], [0.6, 0.2, 0.2], { upsample: true })).toEqual({ sizes: [900, 300, 300], total: 1500, capped: false });
  });

  it('size: exact with upsample, lowered to the largest total without copies otherwise', () => {
    expect(mixSizes([600, 100, 300], [0.6, 0.2, 0.2], { size: 400, upsample: false })).toEqual({ sizes: [240, 80, 80], total: 400, capped: false });
    expect(mixSizes([600, 100, 300], [0.6, 0.2, 0.2], { size: 2000, upsample: false })).toEqual({ sizes: [300, 100, 100], total: 500, capped: true });
    expect(mixSizes([600, 100, 300], [0.6, 0.2, 0.2], { size: 2000, upsample: true })).toEqual({ sizes: [1200, 400, 400], total: 2000, capped: false });
  });

  it('rounding by largest remainder never asks a group for more rows than it has', () => {
    expect(mixSizes([5, 5, 5], [1 / 3, 1 / 3, 1 / 3], { upsample: false }).sizes).toEqual([5, 5, 5]);
    expect(mixSizes([1, 1, 1], [0.5, 0.25, 0.25], { upsample: false })).toEqual({ sizes: [1, 1, 0], total: 2, capped: false });
    expect(mixSizes([7, 3, 9], [0.5, 0.5, 0], { upsample: true })).toEqual({ sizes: [7, 7, 0], total: 14, capped: false });
  });
});

describe('mix op', () => {
  const input = [...rowsOf({ a: 6, b: 2, c: 2 }), { id: 'o1', source: 'other' }];

  it('down-samples to the target shares with a seed, drops groups outside the mix, notes the achieved mix', async () => {
    const r = await runGlobal(mix, input, { ratios: { a: 0.5, b: 0.25, c: 0.25 } }, { seed: 3 });
    expect(countBy(r.kept)).toEqual({ a: 4, b: 2, c: 2 });
    expect(r.kept.every((k) => k.parent === null)).toBe(true);
    expect(r.dropped.map((d) => [d.reason, d.detail]).sort()).toEqual([
      ['mix', 'down-sampled source a: 6 → 4 rows'],
      ['mix', 'down-sampled source a: 6 → 4 rows'],
      ['not in mix', 'source "other" has no share in the mix'],
    ]);
    expect(r.notes).toEqual([
      'mix by source: 11 → 8 rows (the largest total without copies)',
      'group  target  achieved  available  rows           change',
      'a       50.0%     50.0%          6     4  -2 down-sampled',
      'b       25.0%     25.0%          2     2                0',
      'c       25.0%     25.0%          2     2                0',
      'dropped rows of groups not in the mix: other (1)',
    ]);
    // kept rows stay in input order
    expect(r.kept.map((k) => String(k.id))).toEqual([...r.kept.map((k) => String(k.id))].sort((x, y) => input.findIndex((i) => i.id === x) - input.findIndex((i) => i.id === y)));
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    const big = rowsOf({ a: 40, b: 10 });
    const ids = async (seed: number) => (await runGlobal(mix, big, { ratios: { a: 0.5, b: 0.5 } }, { seed })).kept.map((k) => k.id);
    expect(await ids(5)).toEqual(await ids(5));
    expect(await ids(5)).not.toEqual(await ids(6));
    expect((await ids(5)).length).toBe(20);
  });

  it('up-samples with copies that point at their original', async () => {
    const r = await runGlobal(mix, rowsOf({ a: 6, b: 2, c: 2 }), { ratios: { a: 0.5, b: 0.25, c: 0.25 }, upsample: true }, { seed: 3 });
    expect(countBy(r.kept)).toEqual({ a: 6, b: 3, c: 3 });
    const copies = r.kept.filter((k) => String(k.id).includes('#mix'));
    expect(copies).toHaveLength(2);
    for (const c of copies) expect(c.id).toBe(`${String(c.parent)}#mix1`);
    expect(r.dropped).toEqual([]);
    expect(r.notes.slice(0, 4)).toEqual([
      'mix by source: 10 → 12 rows (every row kept, copies up to the shares)',
      'group  target  achieved  available  rows         change',
      'a       50.0%     50.0%          6     6              0',
      'b       25.0%     25.0%          2     3  +1 up-sampled',
    ]);
  });

  it('whole rounds of copies first, then a seeded subset; a copy of a copy keeps the root parent', async () => {
    const rows: Row[] = [{ id: 'x', source: 'a', parent: null }, { id: 'y#dup1', source: 'b', parent: 'y' }, { id: 'z', source: 'b', parent: null }];
    const r = await runGlobal(mix, rows, { ratios: { a: 0.8, b: 0.2 }, size: 10, upsample: true });
    expect(countBy(r.kept)).toEqual({ a: 8, b: 2 });
    expect(r.kept.filter((k) => k.source === 'a').map((k) => k.id)).toEqual(['x', ...Array.from({ length: 7 }, (_, i) => `x#mix${i + 1}`)]);
    expect(r.kept.filter((k) => k.source === 'b').map((k) => [k.id, k.parent])).toEqual([['y#dup1', 'y'], ['z', null]]);
    const r2 = await runGlobal(mix, rows.slice(0, 2), { ratios: { a: 0.5, b: 0.5 }, size: 4, upsample: true });
    expect(r2.kept.map((k) => [k.id, k.parent])).toEqual([['x', null], ['x#mix1', 'x'], ['y#dup1', 'y'], ['y#dup1#mix1', 'y']]);
  });

  it('task balance: equal shares of every value of `by` when no percentages are given', async () => {
    const rows = rowsOf({ qa: 4, summarization: 2, classification: 1 }, 'task');
    const down = await runGlobal(mix, rows, { by: 'task' });
    expect(countBy(down.kept, 'task')).toEqual({ qa: 1, summarization: 1, classification: 1 });
    const up = await runGlobal(mix, rows, { by: 'task', upsample: true });
    expect(countBy(up.kept, 'task')).toEqual({ qa: 4, summarization: 4, classification: 4 });
    expect(up.notes[1].split(/\s+/)).toEqual(['group', 'target', 'achieved', 'available', 'rows', 'change']);
    expect(up.notes[2]).toMatch(/^classification\s+33\.3%\s+33\.3%\s+1\s+4\s+\+3 up-sampled$/);
  });

  it('a size that needs copies is lowered without upsample, and says so', async () => {
    const r = await runGlobal(mix, rowsOf({ a: 6, b: 2 }), { ratios: { a: 0.5, b: 0.5 }, size: 10 });
    expect(r.kept).toHaveLength(4);
    expect(r.notes[r.notes.length - 1]).toBe('size 10 needs copies: lowered to 4, the largest total without them (add `upsample` to reach it)');
  });

  it('a group in the percentages with no rows is an error naming the values seen', async () => {
    await expect(runGlobal(mix, rowsOf({ a: 2, b: 2 }), { ratios: { a: 0.5, bb: 0.5 } })).rejects.toThrow('mix: no rows with source = "bb"; values of `source`: "a", "b"');
  });
});

describe('mix in a recipe', () => {
  const jsonl = (prefix: string, n: number, task: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ text: `${prefix} ${i + 1}`, task })).join('\n') + '\n';
  const files = {
    'data/tickets.jsonl': jsonl('ticket', 6, 'qa'),
    'data/faq.jsonl': jsonl('faq', 2, 'classification'),
    'data/kb.jsonl': jsonl('kb', 4, 'summarization'),
    'r.ftr': `recipe m
seed 7
source tickets = jsonl "data/tickets.jsonl"
source faq = jsonl "data/faq.jsonl"
source kb = jsonl "data/kb.jsonl"
cell mixed = concat tickets, faq, kb | mix { tickets: 60%, faq: 20%, kb: 20% }
cell big = concat tickets, faq, kb | mix { tickets: 60%, faq: 20%, kb: 20% } size: 20 upsample
cell tasks = concat tickets, faq, kb | mix by: task
export mixed | write "out/"
export big | write "out/"
`,
  };

  it('mixes cells by source with exact counts, copies and notes, reproducibly', async () => {
    const dir = tempProject(files);
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    const m = cells.get('mixed')!;
    expect(m.rowsOut).toBe(10);
    expect(m.dropped).toEqual({ mix: 2 });
    expect(m.notes!.slice(0, 5)).toEqual([
      'mix by source: 12 → 10 rows (the largest total without copies)',
      'group    target  achieved  available  rows           change',
      'faq       20.0%     20.0%          2     2                0',
      'kb        20.0%     20.0%          4     2  -2 down-sampled',
      'tickets   60.0%     60.0%          6     6                0',
    ]);
    expect(cells.get('big')!.rowsOut).toBe(20);
    expect(cells.get('tasks')!.rowsOut).toBe(6);
    const big = readJsonl(join(dir, 'out/big.jsonl'));
    expect(countBy(big)).toEqual({ tickets: 12, faq: 4, kb: 4 });
    expect(big.filter((r) => r.parent !== null).every((r) => r.id === `${String(r.parent)}#mix1`)).toBe(true);
    expect(Object.keys(big[0])).toEqual(['id', 'source', 'text', 'task', 'parent']);

    const first = readFileSync(join(dir, 'out/mixed.jsonl'), 'utf8');
    expect((await ftr('run', join(dir, 'r.ftr'), '--no-cache')).code).toBe(0);
    expect(readFileSync(join(dir, 'out/mixed.jsonl'), 'utf8')).toBe(first);
  });

  it('the check rejects an unknown `by` column and shares that do not add up', async () => {
    const dir = tempProject({ ...files, 'r.ftr': files['r.ftr'].replace('mix by: task', 'mix by: tsk').replace('kb: 20% } size', 'kb: 30% } size') });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown column `tsk`');
    expect(r.err).toContain('percentages add up to 110%');
  });
});
