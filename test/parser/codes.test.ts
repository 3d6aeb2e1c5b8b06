/** Diagnostic codes: one table, every code used in src/ is in it, docs/errors.md and `ftr explain-error` follow it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES, explainCode } from '../../src/parser/codes.js';
import { ftr, ROOT } from '../helpers.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

describe('diagnostic codes', () => {
  const table = Object.values(CODES);

  it('codes are unique and well-formed, each with a title and a paragraph', () => {
    expect(new Set(table.map((c) => c.code)).size).toBe(table.length);
    for (const c of table) {
      expect(c.code).toMatch(/^[EW]\d{4}$/);
      expect(c.explanation.length).toBeGreaterThan(60);
    }
  });

  it('outside the table, src/ names codes by constant (CODES.TYPE), never by a literal', () => {
    const literal = sources(join(ROOT, 'src'))
      .filter((f) => !f.endsWith(join('parser', 'codes.ts')))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/'[EW]\d{4}'/g)].map((m) => `${f}: ${m[0]}`));
    expect(literal).toEqual([]);
  });

  it('every code written in src/ is in the table', () => {
    const used = new Set<string>();
    for (const f of sources(join(ROOT, 'src'))) for (const m of readFileSync(f, 'utf8').matchAll(/'([EW]\d{4})'/g)) used.add(m[1]);
    const known = new Set(table.map((c) => c.code));
    expect([...used].filter((c) => !known.has(c))).toEqual([]);
  });

  it('docs/errors.md is generated from the table (npm run docs)', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    for (const c of table) expect(doc).toContain(`## ${c.code}: ${c.title}\n\n${c.explanation}\n`);
  });

  it('ftr explain-error prints a code by number or name; an unknown code is a usage error', async () => {
    expect(explainCode('e0204')?.title).toBe('type mismatch');
    expect(explainCode('unknown_op')?.code).toBe('E0101');
    const ok = await ftr('explain-error', 'E0115');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^E0115: parts of a split\n\n.*cell\.train/);
    const bad = await ftr('explain-error', 'E9999');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/no diagnostic code `E9999`/);
  });
});
