import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { formatOf } from '../../../src/ops/sources/files_source.js';
import { ftr } from '../../helpers.js';
import { project, runSource, total } from './harness.js';

describe('format by extension', () => {
  it('knows each reader, case-insensitively, with .gz where the reader inflates', () => {
    const names = ['a.jsonl', 'a.ndjson', 'a.JSON', 'a.csv', 'a.tsv.gz', 'a.parquet', 'a.txt', 'a.md', 'a.markdown', 'a.html', 'a.htm', 'a.eml', 'a.mbox', 'a.jsonl.gz'];
    expect(names.map((n) => formatOf(n)?.name)).toEqual(['jsonl', 'jsonl', 'json', 'csv', 'tsv', 'parquet', 'text', 'markdown', 'markdown', 'html', 'html', 'email', 'mbox', 'jsonl']);
    expect(formatOf('a.parquet.gz')).toBeUndefined();
    expect(formatOf('a.pdf')).toBeUndefined();
    expect(formatOf('README')).toBeUndefined();
  });
});

describe('files source', () => {
  const mixed = {
    'in/a.jsonl': '{"text": "from jsonl", "label": "x"}\nnot json\n',
    'in/b.json': '[{"text": "from json", "label": "y"}]',
    'in/c.csv': 'text,label\nfrom csv,z\n',
    'in/d.tsv.gz': gzipSync('text\tlabel\nfrom tsv\tw\n'),
    'in/e.txt': 'from text',
    'in/f.md': '# From markdown\n\nbody',
    'in/g.html': '<title>Page</title><p>from html</p>',
    'in/h.eml': 'From: a@example.com\nSubject: from email\n\nmail body\n',
    'in/i.pdf': '%PDF-1.4 binary',
  };

  it('dispatches each file to its reader; columns are the union, plus format; unknown extensions are rejected', async () => {
    const dir = project(mixed);
    parquetWriteFile({ filename: join(dir, 'in', 'j.parquet'), columnData: [{ name: 'text', data: ['from parquet'], type: 'STRING' }, { name: 'stars', data: [5], type: 'INT32' }] });
    const r = await runSource(dir, 'files "in"');
    expect(r.code).toBe(0);
    expect(r.rows.map((x) => [x.format, x.text])).toEqual([
      ['jsonl', 'from jsonl'],
      ['json', 'from json'],
      ['csv', 'from csv'],
      ['tsv', 'from tsv'],
      ['text', 'from text'],
      ['markdown', '# From markdown\n\nbody'],
      ['html', 'from html'],
      ['email', 'mail body\n'],
      ['parquet', 'from parquet'],
    ]);
    expect(r.dropped).toEqual({ 'malformed JSON': 1, 'unknown format': 1 });
    expect(r.rowsOut + total(r.dropped)).toBe(11);
    // every row has every column of the union; what its format lacks is null
    const columns = Object.keys(r.rows[0]).sort();
    for (const row of r.rows) expect(Object.keys(row).sort()).toEqual(columns);
    expect(columns).toEqual(expect.arrayContaining(['format', 'text', 'label', 'title', 'path', 'subject', 'from', 'has_html', 'stars']));
    expect(r.rows.find((x) => x.format === 'parquet')).toMatchObject({ stars: 5, label: null, title: null });
    expect(r.rows.find((x) => x.format === 'html')).toMatchObject({ title: 'Page', path: 'in/g.html', label: null });
    expect(r.rows.find((x) => x.format === 'csv')).toMatchObject({ label: 'z', title: null });
    const rejects = (await ftr('rejects', join(dir, 'r.ftr'), 's')).out;
    expect(rejects).toContain('in/i.pdf');
    expect(rejects).toContain('extension .pdf');
    expect(rejects).toContain('in/a.jsonl:2');
  });

  it('the union of columns is known at check time, so a typo is caught before reading', async () => {
    const dir = project({ ...mixed, 'r.ftr': 'source s = files "in"\ncell c = s | keep len(titel) > 0\n' });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('titel');
    expect(r.err).toContain('title');
  });

  it('a mapping picks the same fields from every format', async () => {
    const dir = project(mixed);
    const r = await runSource(dir, 'files "in/*.{jsonl,csv,md}" { body: text }');
    expect(r.rows.map((x) => [x.format, x.body])).toEqual([
      ['jsonl', 'from jsonl'],
      ['csv', 'from csv'],
      ['markdown', '# From markdown\n\nbody'],
    ]);
    expect(Object.keys(r.rows[0]).sort()).toEqual(['body', 'format', 'id', 'source']);
  });
});
