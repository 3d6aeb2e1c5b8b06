/** Writes shuffle each part with the recipe seed by default; `shuffle: false` keeps the order. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shuffled } from '../../../src/ops/shuffle.js';
import type { Row } from '../../../src/ops/types.js';
import { rowSet } from '../harness.js';
import { readJsonl, runJson, tempProject } from '../../helpers.js';

const collect = async (it: AsyncIterable<Row>) => {
  const out: Row[] = [];
  for await (const r of it) out.push(r);
  return out;
};

describe('shuffled', () => {
  const rows = Array.from({ length: 1000 }, (_, i) => ({ id: `r${i}` }));

  it('is a permutation, the same for a seed, another for another seed; the window does not change it', async () => {
    const a = await collect(shuffled(rowSet(rows), 7));
    expect(a.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(a).not.toEqual(rows);
    expect(await collect(shuffled(rowSet(rows), 7))).toEqual(a);
    expect(await collect(shuffled(rowSet(rows), 8))).not.toEqual(a);
    // 10 passes of ~100 rows each give the same order as one pass
    expect(await collect(shuffled(rowSet(rows), 7, 100))).toEqual(a);
  });

  it('order comes from the ids: adding rows keeps the others in their relative order', async () => {
    const a = (await collect(shuffled(rowSet(rows), 3))).map((r) => r.id);
    const more = [...rows, ...Array.from({ length: 50 }, (_, i) => ({ id: `new${i}` }))];
    const b = (await collect(shuffled(rowSet(more), 3))).map((r) => r.id).filter((id) => !String(id).startsWith('new'));
    expect(b).toEqual(a);
  });

  it('is not source order: two sources concatenated end up mixed in every part', async () => {
    const two = [...Array.from({ length: 100 }, (_, i) => ({ id: `ticket${i}` })), ...Array.from({ length: 100 }, (_, i) => ({ id: `faq${i}` }))];
    const first = (await collect(shuffled(rowSet(two), 1))).slice(0, 100);
    const faqs = first.filter((r) => String(r.id).startsWith('faq')).length;
    expect(faqs).toBeGreaterThan(30);
    expect(faqs).toBeLessThan(70);
  });
});

describe('write shuffles by default', () => {
  const data = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `t${i}`, text: `ticket ${i}` })).join('\n') + '\n';
  const faq = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `f${i}`, text: `faq ${i}` })).join('\n') + '\n';

  it('each part in a seeded random order; the same seed gives the same bytes; shuffle: false keeps source order', async () => {
    const recipe = (seed: number, extra = '') => `recipe s\nseed ${seed}\nsource a = jsonl "a.jsonl"\nsource b = jsonl "b.jsonl"\ncell all = concat a, b\ncell parts = all | split 50% 50%\nexport parts | write "out/"${extra}\n`;
    const dir = tempProject({ 'a.jsonl': data, 'b.jsonl': faq, 'r.ftr': recipe(1) });
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    const train = readJsonl(join(dir, 'out', 'train.jsonl')).map((r) => r.id as string);
    // tickets and FAQ rows are mixed, not one block after the other
    const firstHalf = train.slice(0, train.length / 2);
    expect(firstHalf.some((id) => id.startsWith('t'))).toBe(true);
    expect(firstHalf.some((id) => id.startsWith('f'))).toBe(true);
    const bytes = readFileSync(join(dir, 'out', 'train.jsonl'), 'utf8');
    const again = tempProject({ 'a.jsonl': data, 'b.jsonl': faq, 'r.ftr': recipe(1) });
    await runJson(join(again, 'r.ftr'));
    expect(readFileSync(join(again, 'out', 'train.jsonl'), 'utf8')).toBe(bytes);
    const kept = tempProject({ 'a.jsonl': data, 'b.jsonl': faq, 'r.ftr': recipe(1, ' shuffle: false') });
    await runJson(join(kept, 'r.ftr'));
    const inOrder = readJsonl(join(kept, 'out', 'train.jsonl')).map((r) => r.id as string);
    expect([...inOrder].sort()).toEqual([...train].sort());
    expect(inOrder).toEqual([...inOrder].sort((x, y) => (x[0] === y[0] ? Number(x.slice(1)) - Number(y.slice(1)) : x[0] === 't' ? -1 : 1)));
  });
});
