import { cpSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftrProcess, ROOT } from '../helpers.js';

/** The README's promise, through the real CLI on a copy of the shipped example. */
describe('quickstart from the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftr-qs-'));
  cpSync(join(ROOT, 'examples'), dir, { recursive: true, filter: (src) => !src.includes('.ftr/') && !src.endsWith('/out') && !src.includes('/out/') });

  it('runs, writes 80/10/10 splits, and a second run is fully cached', () => {
    const first = ftrProcess(['run', 'quickstart.ftr'], { cwd: dir });
    expect(first.code, first.err).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['test.jsonl', 'train.jsonl', 'val.jsonl']);
    const count = (f: string) => readFileSync(join(dir, 'out', f), 'utf8').trim().split('\n').length;
    const [train, val, test] = [count('train.jsonl'), count('val.jsonl'), count('test.jsonl')];
    const n = train + val + test;
    expect(train).toBe(Math.round(n * 0.8));
    expect(Math.abs(val - test)).toBeLessThanOrEqual(1);
    expect(first.out).toMatch(/dropped \d+: .*malformed JSON/);
    expect(first.out).toMatch(/duplicate/);

    const second = ftrProcess(['run', 'quickstart.ftr'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/7 cells: 7 cached, 0 ran, 0 failed/);
  });

  it('`ftr check` passes on the example and `ftr graph` lists its cells', () => {
    const check = ftrProcess(['check', 'quickstart.ftr'], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.out).toContain('ok: quickstart');
    const graph = ftrProcess(['graph', 'quickstart.ftr', '--format', 'mermaid'], { cwd: dir });
    expect(graph.out).toContain('flowchart LR');
    expect(graph.out).toContain('unique --> parts');
  });
});
