/** How the executor runs whole-dataset ops on a split input: per part, across parts, train only. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, runJson, tempProject } from '../helpers.js';

/** 60 rows, every text twice (ids r0…r59): a split scatters the copies over the parts. */
const ROWS = Array.from({ length: 60 }, (_, i) => ({ id: `r${i}`, text: `message number ${i % 30}`, label: i % 3 ? 'a' : 'b', group: i % 2 ? 'x' : 'y' }));

function project(cells: string): string {
  const dir = tempProject({
    'rows.jsonl': ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n',
    'r.ftr': `recipe parts\nseed 3\nsource rows = jsonl "rows.jsonl"\ncell parts = rows | split 50% 25% 25%\n${cells}\n`,
  });
  return join(dir, 'r.ftr');
}

const texts = (file: string, part: string) => readJsonl(join(file, '..', 'out', `${part}.jsonl`)).map((r) => r.text as string);

describe('whole-dataset ops after a split', () => {
  it('dedupe runs across the parts: each text is kept once, in the first part holding it, and the parts stay disjoint', async () => {
    const file = project('cell u = parts | dedupe text\nexport u | write "out/"');
    const r = await runJson(file);
    expect(r.code).toBe(0);
    const all = ['train', 'val', 'test'].flatMap((p) => texts(file, p));
    expect(all.length).toBe(30);
    expect(new Set(all).size).toBe(30);
    expect(Object.keys(r.cells.get('u')!.parts!)).toEqual(['train', 'val', 'test']);
  });

  it('bias_report runs on each part and says which part each line is about', async () => {
    const r = await runJson(project('cell b = parts | bias_report group label: label'));
    expect(r.code).toBe(0);
    const notes = r.cells.get('b')!.notes!.join('\n');
    for (const p of ['train', 'val', 'test']) expect(notes).toContain(`${p}: `);
  });

  it('resample changes only the parts in apply_to (default train); evaluation parts pass through', async () => {
    const r = await runJson(project('cell s = parts | resample group label target: equal size: 20'));
    expect(r.code).toBe(0);
    const before = r.cells.get('parts')!.parts!;
    const after = r.cells.get('s')!.parts!;
    expect(after.val).toBe(before.val);
    expect(after.test).toBe(before.test);
    expect(after.train).not.toBe(before.train);
    expect(r.cells.get('s')!.notes!.join('\n')).toMatch(/val: passed through unchanged \(apply_to: \[train\]\)/);
  });
});
