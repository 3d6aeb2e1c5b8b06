import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';

const LABELS = ['billing', 'billing', 'billing', 'shipping', 'shipping', 'refund'];
const LONG = 'my order arrived damaged and the replacement you promised last week never showed up so please refund the full amount to my card';

/** 60 labeled tickets: 20 copies of one text, 20 near copies of another, 20 distinct texts. */
function tickets(): string {
  const rows = Array.from({ length: 60 }, (_, i) => {
    const text = i < 20 ? 'Where is my refund?' : i < 40 ? `${LONG} ticket ${i}` : `distinct question ${i} about topic ${i * 13} and nothing else`;
    return JSON.stringify({ id: `t${i}`, text, label: LABELS[i % 6], cluster: `c${Math.floor(i / 3)}` });
  });
  return `${rows.join('\n')}\n`;
}

function project(body: string): string {
  return join(tempProject({ 'data/t.jsonl': tickets(), 'r.ftr': `recipe splits\nseed 7\nsource raw = jsonl "data/t.jsonl"\n${body}\n` }), 'r.ftr');
}

describe('split and leakage in recipes', () => {
  it('stratified split: exact part sizes, the label table in the notes', async () => {
    const { code, cells } = await runJson(project('cell parts = raw | split 70% 15% 15% stratify: label'));
    expect(code).toBe(0);
    const parts = cells.get('parts')!;
    expect(parts.parts).toEqual({ train: 42, val: 9, test: 9 });
    expect(parts.notes).toContain('label distribution (label):');
    expect(parts.notes!.some((l) => /^shipping\s+20\s+33\.3%\s+14\s+33\.3%\s+3\s+33\.3%\s+3\s+33\.3%$/.test(l))).toBe(true);
    expect(parts.notes!.some((l) => /^refund\s+10\s+16\.7%\s+7\s+16\.7%/.test(l))).toBe(true);
  });

  it('group split: clusters stay whole, achieved vs target in a note', async () => {
    const file = project('cell parts = raw | split group: cluster report: label\nexport parts | write "out/"');
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    expect(cells.get('parts')!.notes!.some((l) => /^sizes vs target: train \d+\/48 · val \d+\/6 · test \d+\/6$/.test(l))).toBe(true);
    const where = new Map<string, string>();
    for (const p of ['train', 'val', 'test']) {
      for (const r of readJsonl(join(file, '..', 'out', `${p}.jsonl`))) {
        const c = String(r.cluster);
        expect(where.get(c) ?? p).toBe(p);
        where.set(c, p);
      }
    }
    expect(where.size).toBe(20);
  });

  it('hash split: appending rows to the source never moves earlier rows', async () => {
    const file = project('cell parts = raw | split by: hash\nexport parts | write "out/"');
    const partsOf = () => {
      const m = new Map<string, string>();
      for (const p of ['train', 'val', 'test']) for (const r of readJsonl(join(file, '..', 'out', `${p}.jsonl`))) m.set(String(r.id), p);
      return m;
    };
    expect((await runJson(file)).code).toBe(0);
    const before = partsOf();
    appendFileSync(join(file, '..', 'data', 't.jsonl'), Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `new${i}`, text: `new ${i}`, label: 'refund', cluster: 'n' })).join('\n') + '\n');
    const second = await runJson(file);
    expect(second.code).toBe(0);
    expect(Object.values(second.cells.get('parts')!.parts!).reduce((a, b) => a + b, 0)).toBe(100);
    const after = partsOf();
    for (const [id, p] of before) expect(after.get(id)).toBe(p);
  });

  it('leakage: found (notes), failed (exit 3), fixed (rows dropped as "leak")', async () => {
    const found = await runJson(project('cell parts = raw | split\ncell audited = parts | leakage text'));
    expect(found.code).toBe(0);
    const notes = found.cells.get('audited')!.notes!;
    expect(notes[0]).toMatch(/^leakage on text: 1 text in several parts, \d+ near pairs \(Jaccard ≥ 0\.80 on 5-word shingles\)$/);
    expect(notes.some((l) => /^pair\s+exact\s+near$/.test(l))).toBe(true);
    expect(notes.some((l) => /^train ↔ test\s+1\s+[1-9]\d*$/.test(l))).toBe(true);
    expect(notes).toContain('label distribution (label):');
    expect(found.cells.get('audited')!.parts).toEqual(found.cells.get('parts')!.parts);

    const failed = await runJson(project('cell parts = raw | split\ncell audited = parts | leakage text fail: true'));
    expect(failed.code).toBe(3);
    expect(failed.cells.get('audited')!.status).toBe('failed');
    expect(failed.cells.get('audited')!.error).toContain('leakage across parts on text');

    const fixed = await runJson(project('cell parts = raw | split\ncell audited = parts | leakage text fail fix: { drop_from: "test" }'));
    // test and val both hold copies: dropping from test alone leaves train ↔ val
    expect(fixed.code).toBe(3);
    const both = await runJson(project('cell parts = raw | split 80% 20%\ncell audited = parts | leakage text fail fix: { drop_from: "val" }'));
    expect(both.code).toBe(0);
    const audited = both.cells.get('audited')!;
    const leaked = audited.dropped!.leak;
    expect(leaked).toBeGreaterThan(0);
    expect(audited.parts!.val).toBe(both.cells.get('parts')!.parts!.val - leaked);
    expect(audited.parts!.train).toBe(48);
  });

  it('typos and misuse fail at check time', async () => {
    const bad = project('cell a = raw | split stratify: lable\ncell b = raw | leakage text\ncell c = raw | split by: hash stratify: label\ncell d = raw | split | leakage text fix: { drop_from: "tset" }');
    const r = await ftr('check', bad);
    expect(r.code).toBe(1);
    const all = r.out + r.err;
    expect(all).toContain('unknown column `lable`');
    expect(all).toContain('leakage compares the parts of a split');
    expect(all).toContain('a hash split cannot be stratified');
    expect(all).toContain('unknown part `tset`');
  });
});
