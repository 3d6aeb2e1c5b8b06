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

  it('sotu-curation: passages curated, split by speech, audited, with a bias report and weights', () => {
    const dir = checkout();
    const r = ftrProcess(['run', 'recipes/sotu-curation.ftr'], { cwd: dir });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('speeches done · 233 rows');
    expect(r.out).toMatch(/gender × party: rate of party = Democratic/);
    expect(r.out).toMatch(/reweighing \(Kamiran–Calders\)/);
    const out = join(dir, 'recipes', 'out');
    const train = readJsonl(join(out, 'sotu', 'train.jsonl'));
    const test = readJsonl(join(out, 'sotu', 'test.jsonl'));
    // a speech never spans two splits
    const trainSpeeches = new Set(train.map((x) => x.parent));
    expect(test.some((x) => trainSpeeches.has(x.parent))).toBe(false);
    const weighted = readJsonl(join(out, 'sotu-weighted', 'train.jsonl'));
    expect(weighted.length).toBe(train.length);
    const total = weighted.reduce((n, x) => n + (x.weight as number), 0);
    expect(Math.abs(total - weighted.length)).toBeLessThan(1e-6 * weighted.length);
  }, 240_000);
});
