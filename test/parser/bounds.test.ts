import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe } from '../../src/check/checker.js';
import { formatFile } from '../../src/cli/fmt.js';
import { MAX_PER_FILE, MAX_PER_LINE, renderDiagnostics, summaryLine } from '../../src/parser/diagnostics.js';
import { parseRecipe } from '../../src/parser/parse.js';
import { registry } from '../../src/ops/registry.js';
import { ftr, tempProject } from '../helpers.js';

const HEAD = 'source d = jsonl "d.jsonl"\n';

/** `ftr check` of a recipe text in a temp project: exit code and the whole output. */
async function check(text: string): Promise<{ code: number; text: string }> {
  const dir = tempProject({ 'r.ftr': text, 'd.jsonl': '{"text": "a"}\n' });
  const r = await ftr('check', join(dir, 'r.ftr'));
  return { code: r.code, text: r.out + r.err };
}

describe('hostile recipe text: bounded depth, bounded diagnostics', () => {
  it('200 nested `(` is a clear error, not a stack overflow', async () => {
    const r = await check(`${HEAD}cell c = d | keep ${'('.repeat(200)}true${')'.repeat(200)}\n`);
    expect(r.code).toBe(1);
    expect(r.text).toContain('error[E0006]: nested too deeply: more than 64 levels');
    // 60 levels are fine
    expect((await check(`${HEAD}cell c = d | keep ${'('.repeat(60)}true${')'.repeat(60)}\n`)).code).toBe(0);
  });

  it('chains of prefix operators and 30,000 `+` are refused the same way', () => {
    for (const text of [`${HEAD}cell c = d | keep ${'not '.repeat(500)}true\n`, `${HEAD}cell c = d | keep ${Array(30_000).fill('1').join(' + ')} > 0\n`]) {
      const r = parseRecipe(text, 'r.ftr');
      expect(r.diagnostics.map((d) => d.code)).toEqual(['E0006']);
      expect(formatFile(text, 'r.ftr').text).toBeUndefined();
    }
  });

  it('10,000 and 20,000 `|` on one line give a few errors and a count; the line is never shown in full', async () => {
    for (const n of [10_000, 20_000]) {
      const text = `${HEAD}cell c = d ${'|'.repeat(n)}\n`;
      const parsed = parseRecipe(text, 'r.ftr');
      expect(parsed.diagnostics.filter((d) => d.span.start.line === 2).length).toBeLessThanOrEqual(MAX_PER_LINE + 1);
      expect(parsed.diagnostics.some((d) => d.code === 'E0005')).toBe(true);
      const r = await check(text);
      expect(r.code).toBe(1);
      expect(r.text.length).toBeLessThan(5_000);
      expect(r.text).toMatch(/more errors on line 2 not shown/);
    }
  });

  it('errors per file are capped, with the number left out in the summary', () => {
    const text = `${HEAD}${Array.from({ length: 200 }, (_, i) => `cell c${i} = d | dedupe ["nope${i}"]`).join('\n')}\n`;
    const dir = tempProject({ 'r.ftr': text, 'd.jsonl': '{"text": "a"}\n' });
    const r = checkRecipe(join(dir, 'r.ftr'), registry);
    expect(r.diagnostics.length).toBe(MAX_PER_FILE + 1);
    expect(r.diagnostics[MAX_PER_FILE].message).toBe(`150 more errors in r.ftr not shown`.replace('r.ftr', r.diagnostics[0].span.file));
    expect(summaryLine(r.diagnostics, false)).toBe('200 errors; no data was read.');
  });

  it('a 30,000-element list parses, checks and formats', async () => {
    const list = `[${Array.from({ length: 30_000 }, (_, i) => `"w${i}"`).join(', ')}]`;
    const ok = `param words = ${list}\n${HEAD}cell c = d | keep text in words\n`;
    expect((await check(ok)).code).toBe(0);
    expect(formatFile(ok, 'r.ftr').diagnostics).toEqual([]);
    // 30,000 unknown columns: bounded errors
    const bad = await check(`${HEAD}cell c = d | dedupe ${list}\n`);
    expect(bad.code).toBe(1);
    expect(bad.text.length).toBeLessThan(5_000);
    expect(bad.text).toContain('30000 errors');
  });

  it('a long line is shown as a window around the error', () => {
    const text = `cell c = ${'x'.repeat(5000)} |||\n`;
    const r = parseRecipe(text, 'r.ftr');
    const shown = renderDiagnostics(r.diagnostics, new Map([['r.ftr', text]]));
    for (const line of shown.split('\n')) expect(line.length).toBeLessThan(300);
  });
});
