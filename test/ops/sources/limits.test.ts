import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLines } from '../../../src/ops/sources/lines.js';
import { BIN, tempProject } from '../../helpers.js';
import { project, runSource } from './harness.js';

afterEach(() => {
  delete process.env.FTR_MAX_RECORD_BYTES;
});

describe('a record longer than the limit is one rejected row, not a failed source', () => {
  it('jsonl: the long line is rejected with its reason, the rows around it are kept', async () => {
    process.env.FTR_MAX_RECORD_BYTES = '1000';
    const long = JSON.stringify({ text: 'x'.repeat(5000) });
    const dir = project({ 'd.jsonl': `{"text": "before"}\n${long}\n{"text": "after"}\n` });
    const r = await runSource(dir, 'jsonl "d.jsonl"');
    expect(r.code).toBe(0);
    expect(r.rows.map((x) => x.text)).toEqual(['before', 'after']);
    expect(Object.keys(r.dropped)[0]).toMatch(/^record longer than 1,000 bytes \(FTR_MAX_RECORD_BYTES\)/);
  });

  it('lines: a long last line without a newline, and lines right at the limit', async () => {
    const lines = async (text: string, max: number) => {
      const dir = tempProject({ 'f.txt': text });
      const out = [];
      for await (const l of readLines(join(dir, 'f.txt'), max)) out.push('error' in l ? `!${l.line}` : l.text);
      return out;
    };
    expect(await lines(`ok\n${'y'.repeat(50)}`, 10)).toEqual(['ok', '!2']);
    expect(await lines(`${'a'.repeat(10)}\n${'b'.repeat(11)}\nc\n`, 10)).toEqual(['a'.repeat(10), '!2', 'c']);
  });
});

describe('a glob over many files', () => {
  it('opens a bounded number of files at once (no EMFILE under a low ulimit) and leaves no lock behind', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) files[`data/f${String(i).padStart(4, '0')}.jsonl`] = `{"text": "row ${i}"}\n`;
    const dir = tempProject(files);
    writeFileSync(join(dir, 'r.ftr'), 'source d = jsonl "data/*.jsonl"\nexport d | write "out.jsonl"\n');
    const r = spawnSync('sh', ['-c', `ulimit -n 384 && exec "${process.execPath}" "${BIN}" run "${join(dir, 'r.ftr')}"`], { encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1000);
    expect(existsSync(join(dir, '.ftr', 'lock'))).toBe(false);
  }, 300_000);
});
