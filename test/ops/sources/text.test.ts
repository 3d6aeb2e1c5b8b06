import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, firstInvalidUtf8 } from '../../../src/ops/sources/text.js';
import { ftr } from '../../helpers.js';
import { project, runSource, total } from './harness.js';

const bad = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]);

describe('strict UTF-8 decoding', () => {
  it('decodes valid text, drops a BOM, and finds the first bad byte', () => {
    expect(decodeUtf8(Buffer.from('\uFEFFhé', 'utf8'))).toEqual({ text: 'hé' });
    expect(decodeUtf8(bad)).toEqual({ error: 'invalid UTF-8', offset: 3 });
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xf0, 0x9f, 0x98, 0x80, 0xc0, 0x80]))).toBe(5); // overlong NUL after an emoji
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1); // cut sequence at the end
  });
});

describe('text source', () => {
  it('per file: one row per file with its text byte for byte; invalid UTF-8 rejects the file with the offset', async () => {
    const dir = project({ 'docs/a.txt': 'line one\r\nline two\n', 'docs/b.txt': '\uFEFFsecond file', 'docs/c.txt': bad, 'docs/empty.txt': '' });
    const r = await runSource(dir, 'text "docs/*.txt"');
    expect(r.code).toBe(0);
    expect(r.rowsOut).toBe(3);
    expect(r.dropped).toEqual({ 'invalid UTF-8': 1 });
    expect(r.rows.map((x) => [x.id, x.path, x.text])).toEqual([
      ['docs/a.txt:1', 'docs/a.txt', 'line one\r\nline two\n'],
      ['docs/b.txt:1', 'docs/b.txt', 'second file'],
      ['docs/empty.txt:1', 'docs/empty.txt', ''],
    ]);
    const rejects = (await ftr('rejects', join(dir, 'r.ftr'), 's')).out;
    expect(rejects).toContain('docs/c.txt');
    expect(rejects).toContain('first invalid byte at offset 3');
  });

  it('per line: non-blank lines become rows; bad lines are rejected with file:line; .gz is read', async () => {
    const dir = project({ 'a.txt': 'one\r\n\n  \ntwo\n', 'b.txt.gz': gzipSync(Buffer.concat([Buffer.from('three\n'), bad, Buffer.from('four')])) });
    const r = await runSource(dir, 'text "*.txt*" per: line');
    expect(r.code).toBe(0);
    expect(r.rows.map((x) => [x.id, x.text])).toEqual([
      ['a.txt:1', 'one'],
      ['a.txt:4', 'two'],
      ['b.txt.gz:1', 'three'],
      ['b.txt.gz:3', 'four'],
    ]);
    expect(r.dropped).toEqual({ 'invalid UTF-8': 1 });
    expect((await ftr('rejects', join(dir, 'r.ftr'), 's')).out).toContain('b.txt.gz:2');
    expect(r.rowsOut + total(r.dropped)).toBe(5);
    // blank lines are not rows, but they are counted
    const cell = r.events.find((e) => e.type === 'cell' && e.cell === 's' && e.status === 'done') as { notes?: string[] };
    expect(cell.notes).toContain('a.txt: 2 blank lines skipped');
  });

  it('a path that matches nothing is a check-time error', async () => {
    const dir = project({});
    const r = await runSource(dir, 'text "nothing/*.txt"');
    expect(r.code).not.toBe(0);
  });
});
