/** CSV and JSON Lines on messy files: a broken record, multi-line records, blank lines, provenance-named columns. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';

const rowsOf = (dir: string, file: string) => readJsonl(join(dir, 'out', file)).sort((a, b) => String(a.id).localeCompare(String(b.id)));

describe('csv on messy files', () => {
  it('an unterminated quote in the last record is one reject with its line; the rows before it are read', async () => {
    const dir = tempProject({
      'r.ftr': 'source faq = csv "faq.csv"\nexport faq | write "out/faq.jsonl"\n',
      'faq.csv': 'q,label\nhello,a\nragged\n"multi\nline",b\nlast good,c\n"broken,d\nnever closed\n',
    });
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.code).toBe(0);
    const cell = r.cells.get('faq')!;
    expect(cell.rowsOut).toBe(3);
    expect(cell.dropped).toEqual({ 'wrong field count': 1, 'unterminated quote': 1 });
    const rej = (await ftr('rejects', join(dir, 'r.ftr'), 'faq', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rej.map((x) => [x.reason, x.location])).toEqual([
      ['wrong field count', 'faq.csv:3'],
      ['unterminated quote', 'faq.csv:7'],
    ]);
    expect(rej[1].detail).toMatch(/^record starting at line 7 \(to line 8\): /);
  });

  it('a record spanning lines carries the line it starts on (in its id and its rejects)', async () => {
    const dir = tempProject({
      'r.ftr': 'source faq = csv "faq.csv"\nexport faq | write "out/faq.jsonl"\n',
      'faq.csv': 'q,label\n"one\ntwo\nthree",a\nnext,b\n"x\ny",b,extra\n',
    });
    await runJson(join(dir, 'r.ftr'));
    expect(rowsOf(dir, 'faq.jsonl').map((x) => x.id)).toEqual(['faq.csv:2', 'faq.csv:5']);
    const rej = (await ftr('rejects', join(dir, 'r.ftr'), 'faq', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rej.map((x) => x.location)).toEqual(['faq.csv:6']);
  });

  it('a column named `source` does not replace provenance: renamed data_source, and the notes say so; `id` is noted', async () => {
    const dir = tempProject({
      'r.ftr': 'source faq = csv "faq.csv"\ncell c = faq | keep data_source != "" "x"\nexport c | write "out/faq.jsonl"\n',
      'faq.csv': 'id,text,source\nk1,hello,crm\n,world,web\n',
    });
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.code).toBe(0);
    const rows = rowsOf(dir, 'faq.jsonl');
    expect(rows).toEqual([
      { id: 'faq.csv:3', source: 'faq', text: 'world', data_source: 'web' },
      { id: 'k1', source: 'faq', text: 'hello', data_source: 'crm' },
    ]);
    const notes = r.cells.get('faq')!.notes ?? [];
    expect(notes).toContain('faq.csv: 1 row id taken from the data\'s `id` field (rows without one: file:line)');
    expect(notes).toContain('faq.csv: the data\'s `source` field is renamed `data_source` (2 rows): `source` holds the cell that read each row');
  });
});

describe('jsonl blank lines', () => {
  it('are counted in the source notes', async () => {
    const dir = tempProject({
      'r.ftr': 'source s = jsonl "a.jsonl"\n',
      'a.jsonl': '{"text":"a"}\n\n   \n{"text":"b"}\n\n',
    });
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('s')!.rowsOut).toBe(2);
    expect(r.cells.get('s')!.notes).toContain('a.jsonl: 3 blank lines skipped');
    // a cached run says the same
    const again = await runJson(join(dir, 'r.ftr'));
    expect(again.cells.get('s')!.notes).toContain('a.jsonl: 3 blank lines skipped');
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8')).toContain('\n\n');
  });
});
