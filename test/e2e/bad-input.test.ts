import { appendFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, ftrProcess, ftrSpawn, ROOT, runJson, tempProject } from '../helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'bad-input');

/** Run a one-source recipe on a fixture; return rows out and rejects by reason. */
async function readFixture(name: string, op = name.includes('.csv') ? 'csv' : name.endsWith('.parquet') ? 'parquet' : 'jsonl') {
  const dir = tempProject({ 'r.ftr': `source s = ${op} "${name}"\n` });
  copyFileSync(join(FIXTURES, name), join(dir, name));
  const r = await runJson(join(dir, 'r.ftr'));
  const cell = r.cells.get('s')!;
  return { code: r.code, dir, rows: cell.rowsOut ?? 0, dropped: cell.dropped ?? {}, preview: cell.preview ?? [], error: cell.error };
}

const total = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);

describe('bad input: a clear diagnostic or rejected rows with reasons, never a silent loss', () => {
  // [fixture, records in the file, rows expected out, rejects expected by reason]
  const cases: [string, number, number, Record<string, number>][] = [
    ['bom.jsonl', 2, 2, {}],
    ['crlf.jsonl', 3, 3, {}],
    ['bom-crlf.csv', 3, 3, {}],
    ['ragged.csv', 4, 2, { 'wrong field count': 2 }],
    ['invalid-utf8.jsonl', 4, 2, { 'invalid UTF-8': 2 }],
    ['malformed.jsonl', 4, 2, { 'malformed JSON': 2 }],
    ['not-objects.jsonl', 4, 1, { 'not a JSON object': 3 }],
    ['deep.jsonl', 3, 2, { 'nested too deeply': 1 }],
    ['mixed-types.jsonl', 4, 4, {}],
    ['empty.jsonl', 0, 0, {}],
    ['empty.csv', 0, 0, {}],
    ['fake.parquet', 1, 0, { 'not a Parquet file': 1 }],
  ];
  for (const [name, records, out, rejected] of cases) {
    it(`${name}: ${out} of ${records} rows read, the rest rejected with their reason`, async () => {
      const r = await readFixture(name);
      expect(r.code).toBe(0);
      expect(r.rows).toBe(out);
      expect(r.dropped).toEqual(rejected);
      expect(r.rows + total(r.dropped)).toBe(records);
    });
  }

  it('a BOM is not part of the first column name or value; CRLF does not end up in values', async () => {
    expect((await readFixture('bom.jsonl')).preview[0]).toMatchObject({ text: 'first row after a BOM' });
    expect((await readFixture('bom-crlf.csv')).preview.map((r) => r.text)).toEqual(['quoted, with comma', 'multi\r\nline', 'plain']);
    expect((await readFixture('crlf.jsonl')).preview.map((r) => r.text)).toEqual(['one', 'two', 'three']);
  });

  it('rejected rows are listed by `ftr rejects` with file:line', async () => {
    const r = await readFixture('invalid-utf8.jsonl');
    const out = (await ftr('rejects', join(r.dir, 'r.ftr'), 's')).out;
    expect(out).toContain('invalid-utf8.jsonl:2');
    expect(out).toContain('invalid-utf8.jsonl:3');
  });

  it('a truncated gzip fails the run with the file named (exit 3), no stack trace', () => {
    const dir = tempProject({ 'r.ftr': 'source s = jsonl "truncated.jsonl.gz"\n' });
    copyFileSync(join(FIXTURES, 'truncated.jsonl.gz'), join(dir, 'truncated.jsonl.gz'));
    const r = ftrProcess(['run', join(dir, 'r.ftr')]);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/cannot read truncated\.jsonl\.gz: unexpected end of file/);
    expect(r.out).not.toMatch(/\n\s+at /);
  });

  it('a 50 MB single line is read as one row', async () => {
    const dir = tempProject({ 'r.ftr': 'source s = jsonl "big.jsonl"\ncell n = s | keep len(text) > 1000\n' });
    writeFileSync(join(dir, 'big.jsonl'), JSON.stringify({ text: 'x'.repeat(50 * 1024 * 1024) }) + '\n{"text": "small"}\n');
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('s')!.rowsOut).toBe(2);
    expect(r.cells.get('n')!.rowsOut).toBe(1);
  }, 60_000);

  it('a field that is sometimes a string and sometimes an object stays as read; string ops skip the object', async () => {
    const dir = tempProject({ 'r.ftr': 'source s = jsonl "m.jsonl"\ncell c = s | normalize lowercase | keep present(text)\n' });
    copyFileSync(join(FIXTURES, 'mixed-types.jsonl'), join(dir, 'm.jsonl'));
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('c')!.rowsOut).toBe(3);
    expect(r.cells.get('c')!.dropped).toEqual({ 'not (present(text))': 1 });
  });

  it('a file that changes while it is being read fails the run instead of caching a mix', async () => {
    const dir = tempProject({ 'r.ftr': 'source s = jsonl "grow.jsonl"\n' });
    const line = JSON.stringify({ text: 'a line of text that is long enough to take a while to read '.repeat(4) }) + '\n';
    writeFileSync(join(dir, 'grow.jsonl'), line.repeat(200_000));
    const child = ftrSpawn(['run', join(dir, 'r.ftr'), '--json']);
    let out = '';
    let appended = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (!appended && out.includes('"type":"progress"')) {
          appended = true;
          appendFileSync(join(dir, 'grow.jsonl'), line);
        }
      });
      child.on('exit', resolve);
    });
    expect(appended).toBe(true);
    expect(code).toBe(3);
    expect(out).toContain('grow.jsonl changed while it was being read');
    // once the file is stable, the run succeeds and reads every line
    const again = await runJson(join(dir, 'r.ftr'));
    expect(again.cells.get('s')!.rowsOut).toBe(200_001);
  }, 60_000);

  it('a cache that cannot be written is a clear error, not a crash', () => {
    const dir = tempProject({ 'r.ftr': 'source s = jsonl "d.jsonl"\n', 'd.jsonl': '{"text": "a"}\n', 'blocker': 'a file where the cache folder should go' });
    const r = ftrProcess(['run', join(dir, 'r.ftr'), '--cache-dir', join(dir, 'blocker', 'cache')]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/cannot mkdir .*blocker.*a path component is a file, not a folder \(ENOTDIR\)/);
  });
});
