import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missing, parsePolicy } from '../../../src/ops/clean/missing.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { cellOf, check, HEAD } from '../../check/helpers.js';
import { runGlobal } from './harness.js';

const ROWS = [
  { id: '1', text: 'a', title: 'T1', subject: 'S1', lang: 'en', label: 'x' },
  { id: '2', text: '', title: null, subject: 'S2', lang: null, label: 'y' },
  { id: '3', text: 'c', title: '  ', subject: null, lang: 'fr', label: null },
  { id: '4', text: 'd', subject: 'S4', lang: '', label: 'x' },
  { id: '5', text: 'e', title: 'T5', subject: 'S5', lang: 'de', label: [] },
];
const POLICIES = { label: 'drop', text: 'flag', title: { fill_from: 'subject' }, lang: { fill: 'en' } };
const cells = (notes: string[]) => notes.slice(1).map((l) => l.trim().split(/\s{2,}/));

describe('missing', () => {
  it('drops, fills, copies and flags; reports every column before and after', async () => {
    const r = await runGlobal(missing, ROWS, { policies: POLICIES });
    expect(r.dropped.map((d) => [d.row.id, d.reason, d.detail])).toEqual([
      ['3', 'missing label', '`label` is null'],
      ['5', 'missing label', '`label` is an empty list'],
    ]);
    expect(r.kept).toEqual([
      { id: '1', text: 'a', title: 'T1', subject: 'S1', lang: 'en', label: 'x', text_missing: false },
      { id: '2', text: '', title: 'S2', subject: 'S2', lang: 'en', label: 'y', text_missing: true },
      { id: '4', text: 'd', subject: 'S4', lang: 'en', label: 'x', title: 'S4', text_missing: false },
    ]);
    expect(r.notes[0]).toBe('missing values in 5 rows; 2 dropped (label 2), 3 kept');
    expect(cells(r.notes)).toEqual([
      ['column', 'policy', 'before', '%', 'after', '%'],
      ['id', '-', '0', '0.0%', '0', '0.0%'],
      ['text', 'flag', '1', '20.0%', '1', '33.3%'],
      ['title', 'fill from subject', '3', '60.0%', '0', '0.0%'],
      ['subject', '-', '1', '20.0%', '0', '0.0%'],
      ['lang', 'fill "en"', '2', '40.0%', '0', '0.0%'],
      ['label', 'drop', '2', '40.0%', '0', '0.0%'],
    ]);
  });

  it('alone it only reports; columns first seen later count as missing before', async () => {
    const r = await runGlobal(missing, [{ id: '1', a: 'x' }, { id: '2', a: ' ', b: 'y' }], {}, { columns: ['id', 'a'] });
    expect(r.kept).toEqual([{ id: '1', a: 'x' }, { id: '2', a: ' ', b: 'y' }]);
    expect(r.notes[0]).toBe('missing values in 2 rows');
    expect(cells(r.notes).slice(1)).toEqual([
      ['id', '-', '0', '0.0%', '0', '0.0%'],
      ['a', '-', '1', '50.0%', '1', '50.0%'],
      ['b', '-', '1', '50.0%', '1', '50.0%'],
    ]);
  });

  it('every policy reads the incoming row, so the written order does not matter', async () => {
    const rows = [{ id: '1', a: null, b: null, c: 'z' }];
    const want = [{ id: '1', a: null, b: 'z', c: 'z', c_missing: false }];
    expect((await runGlobal(missing, rows, { policies: { a: { fill_from: 'b' }, b: { fill_from: 'c' }, c: { fill: 'q', flag: true } } })).kept).toEqual(want);
    expect((await runGlobal(missing, rows, { policies: { c: { fill: 'q', flag: true }, b: { fill_from: 'c' }, a: { fill_from: 'b' } } })).kept).toEqual(want);
    // several drop columns missing: the reason names the first in column order
    const two = await runGlobal(missing, [{ id: '1', a: null, b: null }], { policies: { b: 'drop', a: 'drop' } });
    expect(two.dropped.map((d) => d.reason)).toEqual(['missing a']);
  });

  it('policies: words and records, with errors for the rest', () => {
    expect(parsePolicy('drop')).toEqual({ kind: 'drop' });
    expect(parsePolicy('flag')).toEqual({ kind: 'keep', flag: true });
    expect(parsePolicy({ fill: 0, flag: true })).toEqual({ kind: 'fill', value: 0, flag: true });
    expect(parsePolicy('fil')).toMatch(/unknown policy "fil"/);
    expect(parsePolicy({ fill: '' })).toMatch(/not itself missing/);
    expect(parsePolicy({ fill: 1, fill_from: 'x' })).toMatch(/not both/);
    expect(parsePolicy({ fill_frm: 'x' })).toMatch(/unknown key `fill_frm`/);
  });

  it('the checker knows the flag columns, widens fill_from types and rejects bad policies', () => {
    const ok = check(HEAD + 'cell a = t | missing { text: flag, label: { fill_from: n }, n: { fill: 0 } }');
    expect(ok.diagnostics).toEqual([]);
    expect(cellOf(ok, 'a').schema.columns).toEqual([
      { name: 'id', type: 'string' },
      { name: 'source', type: 'string' },
      { name: 'text', type: 'string' },
      { name: 'label', type: 'any' },
      { name: 'n', type: 'number' },
      { name: 'text_missing', type: 'bool' },
    ]);
    const bad = check(HEAD + 'cell a = t | missing { lable: drop, text: { fill: 3 }, label: { fill_from: nope }, n: erase }');
    expect(bad.diagnostics.map((d) => d.message)).toEqual([
      'unknown column `lable`',
      '`n`: unknown policy "erase": write drop, flag, keep, { fill: value } or { fill_from: column }',
      '`text` holds string values, but its fill 3 is a number',
      'unknown column `nope`',
    ]);
  });

  it('runs in a recipe', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe m\nsource t = jsonl "t.jsonl"\ncell m = t | missing { label: drop, text: flag, title: { fill_from: subject }, lang: { fill: "en" } }\nexport m | write "out/" shuffle: false\n',
      't.jsonl': ROWS.map(({ id: _id, ...r }) => JSON.stringify(r)).join('\n') + '\n',
    });
    const { code, cells: c } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    const m = c.get('m')!;
    expect(m.rowsOut).toBe(3);
    expect(m.dropped).toEqual({ 'missing label': 2 });
    expect(m.notes![0]).toBe('missing values in 5 rows; 2 dropped (label 2), 3 kept');
    expect(m.notes).toContainEqual(expect.stringMatching(/^title\s+fill from subject\s+3\s+60\.0%\s+0\s+0\.0%$/));
    const out = readJsonl(join(dir, 'out/m.jsonl'));
    expect(out.map((r) => [r.title, r.lang, r.text_missing])).toEqual([['T1', 'en', false], ['S2', 'en', true], ['S4', 'en', false]]);
    expect((await ftr('rejects', join(dir, 'r.ftr'), 'm')).out).toContain('missing label');
  });
});
