import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recipeRegex, regexEngine, regexProblem } from '../../src/parser/regex.js';
import { BIN, ftr, readJsonl, tempProject } from '../helpers.js';

const EVIL = 'a'.repeat(40) + 'b';

/** The real CLI, killed after `seconds`: a catastrophic regex would otherwise hang the test run. */
function cli(args: string[], seconds = 60): { code: number | null; out: string; signal: NodeJS.Signals | null } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, CI: 'true' }, encoding: 'utf8', timeout: seconds * 1000 });
  return { code: r.status, out: r.stdout + r.stderr, signal: r.signal };
}

describe('recipe regexes run in linear time (RE2)', () => {
  it('the engine is RE2 (npm re2js): without it, recipe regexes can backtrack for hours', () => {
    expect(regexEngine()).toBe('re2');
  });

  it('/(a+)+$/ on 40 a and a b answers at once, with JavaScript flags and UTF-16 offsets', () => {
    expect(recipeRegex('(a+)+$').test(EVIL)).toBe(false);
    expect(recipeRegex('(a+)+$').test('aaa')).toBe(true);
    expect(recipeRegex('REFUND', 'i').test('a refund')).toBe(true);
    expect(recipeRegex('^b', 'm').test('a\nb')).toBe(true);
    expect(recipeRegex('a.b', 's').test('a\nb')).toBe(true);
    expect(recipeRegex('b+').matches('😀é bb b')).toEqual([{ start: 4, end: 6 }, { start: 7, end: 8 }]);
    expect(recipeRegex('\\p{L}+', 'u').test('é')).toBe(true);
  });

  it('backreferences and lookaround are named, with a way around', () => {
    expect(regexProblem('(a)\\1', '')).toMatchObject({ message: expect.stringContaining('backreferences'), help: expect.stringContaining('alternative') });
    expect(regexProblem('a(?=b)', '')?.message).toContain('lookahead');
    expect(regexProblem('(?<!x)a', '')?.message).toContain('lookbehind');
    expect(regexProblem('[(?=]\\(?=', '')).toBeUndefined();
    expect(regexProblem('a(', '')?.message).toContain('invalid regex');
  });

  it('`ftr check` names the missing feature at the regex', async () => {
    const dir = tempProject({ 'd.jsonl': '{"text": "aa"}\n', 'r.ftr': 'source d = jsonl "d.jsonl"\ncell c = d | keep text ~ /(a)\\1/\n' });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('backreferences');
    expect(r.err).toContain('r.ftr:2:');
    expect(r.err).toContain('help:');
  });

  it('a run with /(a+)+$/ over a hostile row finishes and keeps the other rows', () => {
    const dir = tempProject({ 'd.jsonl': [EVIL, 'aaaa', 'b'].map((t) => JSON.stringify({ text: t })).join('\n') + '\n', 'r.ftr': 'source d = jsonl "d.jsonl"\ncell c = d | keep text ~ /(a+)+$/\nexport c | write "out.jsonl"\n' });
    const r = cli(['run', join(dir, 'r.ftr')]);
    expect(r.signal).toBeNull();
    expect(r.code, r.out).toBe(0);
    expect(readJsonl(join(dir, 'out.jsonl')).map((x) => x.text)).toEqual(['aaaa']);
  });

  it('`ftr check` with the same regex in inline rule examples finishes', () => {
    const dir = tempProject({
      'd.jsonl': '{"text": "a"}\n',
      'r.ftr': `source d = jsonl "d.jsonl"\ncell c = d | annotate {\n  rule evil: matches(text, /(a+)+$/) -> "x" examples: { match: ["aaa"], no_match: ["${EVIL}"] }\n}\n`,
    });
    const r = cli(['check', join(dir, 'r.ftr')]);
    expect(r.signal).toBeNull();
    expect(r.code, r.out).toBe(0);
  });
});
