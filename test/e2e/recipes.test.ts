import { cpSync, existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftrProcess, readJsonl, ROOT } from '../helpers.js';

/** The shipped recipes run as a user runs them: `ftr run recipes/<name>.ftr` in a checkout. */
function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ftr-recipes-'));
  cpSync(join(ROOT, 'recipes'), join(dir, 'recipes'), { recursive: true, filter: (p) => !/\/(\.ftr|out)(\/|$)/.test(p) });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const recipes = readdirSync(join(ROOT, 'recipes')).filter((f) => f.endsWith('.ftr'));

describe('shipped recipes on real data', () => {
  it('there are at least two', () => expect(recipes.length).toBeGreaterThanOrEqual(2));

  it('spam-assassin: 6,046 raw e-mails → clean, deduplicated, stratified, leak-free splits', () => {
    const dir = checkout();
    const r = ftrProcess(['run', 'recipes/spam-assassin.ftr'], { cwd: dir });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('mail done · 6,046 rows');
    const out = join(dir, 'recipes', 'out', 'spam-assassin');
    const train = readJsonl(join(out, 'train.jsonl'));
    const test = readJsonl(join(out, 'test.jsonl'));
    expect(train.length).toBeGreaterThan(3000);
    const share = (rows: Record<string, unknown>[]) => rows.filter((x) => x.label === 'spam').length / rows.length;
    expect(Math.abs(share(train) - share(test))).toBeLessThan(0.03);
    expect(existsSync(join(out, 'val.jsonl'))).toBe(true);
  }, 240_000);
});
