import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ftrProcess, tempProject } from '../helpers.js';

/** A tiny tmpfs (root on these machines may mount one); undefined where mounting is not allowed. */
function tinyDisk(options: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'ftr-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    mounted.push(dir);
    return dir;
  } catch {
    return undefined;
  }
}
const mounted: string[] = [];
afterAll(() => {
  for (const d of mounted) execFileSync('umount', [d], { stdio: 'ignore' });
});

const bigData = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ text: `row ${i} with enough text to fill a small disk quickly` })).join('\n') + '\n';

describe('a cache that cannot be written', () => {
  it('a full disk is a clear error (exit 3), and the cache left behind verifies clean', () => {
    const disk = tinyDisk('size=256k');
    const dir = tempProject({ 'r.ftr': 'source d = jsonl "d.jsonl"\ncell c = d | normalize\n', 'd.jsonl': bigData });
    if (!disk) {
      // no mount permission here: the same error path is reached through a path that cannot be created
      const r = ftrProcess(['run', join(dir, 'r.ftr'), '--cache-dir', join(dir, 'r.ftr', 'cache')]);
      expect(r.code).toBe(3);
      expect(r.err).toContain('ENOTDIR');
      return;
    }
    const r = ftrProcess(['run', join(dir, 'r.ftr'), '--cache-dir', join(disk, 'cache')]);
    expect(r.code).toBe(3);
    expect(r.out + r.err).toMatch(/the disk is full — free space, or move the cache with --cache-dir \(ENOSPC\)/);
    expect(r.out + r.err).not.toMatch(/\n\s+at /);
    const v = ftrProcess(['cache', 'verify', '--cache-dir', join(disk, 'cache')]);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toContain('0 corrupt');
  });

  it('a read-only cache folder is a clear error (exit 3)', () => {
    const disk = tinyDisk('size=64k,ro');
    const dir = tempProject({ 'r.ftr': 'source d = jsonl "d.jsonl"\n', 'd.jsonl': '{"text": "a"}\n' });
    const cache = disk ?? join(dir, 'r.ftr');
    const r = ftrProcess(['run', join(dir, 'r.ftr'), '--cache-dir', join(cache, 'cache')]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(disk ? /the file system is read-only .*\(EROFS\)/ : /ENOTDIR/);
    void mkdirSync;
  });
});
