import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftrProcess, ftrSpawn, tempProject } from '../helpers.js';

describe('exit codes', () => {
  const ok = tempProject({ 'r.ftr': 'source d = jsonl "d.jsonl"\ncell x = d | normalize\n', 'd.jsonl': '{"text": "hello"}\n' });

  it('0 for a clean run and a clean check', () => {
    expect(ftrProcess(['run', join(ok, 'r.ftr')]).code).toBe(0);
    expect(ftrProcess(['check', join(ok, 'r.ftr')]).code).toBe(0);
  });

  it('1 for a recipe error, with every error of the file printed', () => {
    const dir = tempProject({ 'bad.ftr': 'source d = jsonl "d.jsonl"\ncell x = d | normalise\ncell y = d | dedupe txt\n', 'd.jsonl': '{"text": "a"}\n' });
    const r = ftrProcess(['run', join(dir, 'bad.ftr')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[E0101]: unknown op `normalise`');
    expect(r.err).toContain('did you mean `normalize`?');
    expect(r.err).toContain('error[E0201]: unknown column `txt`');
    expect(r.err).toContain('2 errors; no data was read.');
    expect(ftrProcess(['check', join(dir, 'bad.ftr')]).code).toBe(1);
  });

  it('2 for usage errors', () => {
    expect(ftrProcess(['rnu', 'x.ftr']).code).toBe(2);
    expect(ftrProcess(['rnu', 'x.ftr']).err).toContain('did you mean `run`?');
    expect(ftrProcess(['run']).code).toBe(2);
    expect(ftrProcess(['run', join(ok, 'nope.ftr')]).code).toBe(2);
    expect(ftrProcess(['run', join(ok, 'r.ftr'), '--set', 'nope=1']).code).toBe(2);
    expect(ftrProcess(['run', join(ok, 'r.ftr'), '--bogus']).code).toBe(2);
    expect(ftrProcess(['explain', join(ok, 'r.ftr'), 'xx']).err).toContain('did you mean `x`?');
  });

  it('3 for a run failure, naming the file, without a stack trace', () => {
    const truncated = gzipSync(Buffer.from('{"text": "a"}\n'.repeat(1000))).subarray(0, 60);
    const dir = tempProject({ 'r.ftr': 'source d = jsonl "d.jsonl.gz"\n', 'd.jsonl.gz': truncated });
    const r = ftrProcess(['run', join(dir, 'r.ftr')]);
    expect(r.code).toBe(3);
    expect(r.out).toContain('cannot read d.jsonl.gz');
    expect(r.out).not.toMatch(/\n\s+at /);
  });

  it('130 when interrupted, with no partial cache entry left behind', async () => {
    const big = Array.from({ length: 400_000 }, (_, i) => `{"text": "row ${i} of a long file that takes a while"}`).join('\n');
    const dir = tempProject({ 'r.ftr': 'source d = jsonl "d.jsonl"\ncell x = d | normalize | dedupe\n', 'd.jsonl': big });
    const child = ftrSpawn(['run', join(dir, 'r.ftr'), '--json']);
    let out = '';
    let sent = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (!sent && out.includes('"type":"progress"')) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(out).toContain('"status":"interrupted"');
    // the re-run completes from what was committed
    const again = ftrProcess(['run', join(dir, 'r.ftr')]);
    expect(again.code).toBe(0);
  }, 60_000);
});
