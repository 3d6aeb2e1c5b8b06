import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { censorTerm, maskSpans, offensive, offensiveMatcher } from '../../../src/ops/filter/offensive.js';
import { Drop } from '../../../src/ops/types.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { rows, runMap } from './run.js';

const words = (text: string, m = offensiveMatcher()) => m.find(text).map((s) => text.slice(s.start, s.end));

describe('offensive matcher (obscenity English dataset)', () => {
  it('finds profanity, with leetspeak and stretched letters, and skips innocent words', () => {
    expect(words('What the fuck is this shit')).toEqual(['fuck', 'shit']);
    expect(words('sh1t happens')).toEqual(['sh1t']);
    expect(words('fuuuuck you')).toEqual(['fuuuuck']);
    for (const clean of ['Scunthorpe is a town in England', 'an assassin in the class', 'the assessment was fine', 'Please reset my password']) expect(words(clean)).toEqual([]);
  });

  it('adds words and honours the allowlist', () => {
    expect(words('darn it')).toEqual([]);
    expect(words('darn it', offensiveMatcher(['darn']))).toEqual(['darn']);
    const m = offensiveMatcher([], ['sex']);
    expect(m.removed).toEqual(['sex']);
    expect(words('sex education class', m)).toEqual([]);
    expect(words('sex education class')).toEqual(['sex']);
    expect(words('shit and sex', m)).toEqual(['shit']);
  });

  it('masks each match character for character and censors terms', () => {
    const t = 'What the fuck is this shit';
    expect(maskSpans(t, offensiveMatcher().find(t))).toBe('What the **** is this ****');
    expect(maskSpans('fuuuuck!', offensiveMatcher().find('fuuuuck!'))).toBe('*******!');
    expect(maskSpans('abcdef', [{ start: 1, end: 3 }, { start: 2, end: 5 }])).toBe('a****f');
    expect(censorTerm('shit')).toBe('s***');
  });
});

describe('offensive op', () => {
  const data = rows(['You are a piece of shit', 'Thanks for the quick help!', 'what the fuck, shit happens']);

  it('drops rows with the censored terms in the detail', () => {
    const out = runMap(offensive, data, {});
    expect(out[0]).toEqual(new Drop('offensive', 'offensive terms: s***'));
    expect(out[1]).toBe(data[1]);
    expect(out[2]).toEqual(new Drop('offensive', 'offensive terms: f***, s***'));
  });

  it('flags and masks', () => {
    const flagged = runMap(offensive, data, { action: 'flag' });
    expect(flagged.map((r) => [(r as Record<string, unknown>).offensive, (r as Record<string, unknown>).offensive_terms])).toEqual([
      [true, ['s***']],
      [false, []],
      [true, ['f***', 's***']],
    ]);
    const masked = runMap(offensive, data, { action: 'mask' });
    expect(masked.map((r) => (r as Record<string, unknown>).text)).toEqual(['You are a piece of ****', 'Thanks for the quick help!', 'what the ****, **** happens']);
  });

  it('runs in a recipe: drop reasons, mask output, flag columns', async () => {
    const dir = tempProject({
      'r.ftr': `recipe o
source rows = jsonl "rows.jsonl"
cell clean = rows | offensive
cell masked = rows | offensive mask words: ["darn"]
cell flagged = rows | offensive flag allow: ["shit"]
export masked | write "out/" shuffle: false
export flagged | write "out/" shuffle: false
`,
      'rows.jsonl': ['This is shit', 'darn printer', 'All good here'].map((text) => JSON.stringify({ text })).join('\n') + '\n',
    });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    expect(cells.get('clean')!.rowsOut).toBe(2);
    expect(cells.get('clean')!.dropped).toEqual({ offensive: 1 });
    expect(readJsonl(join(dir, 'out/masked.jsonl')).map((r) => r.text)).toEqual(['This is ****', '**** printer', 'All good here']);
    const flagged = readJsonl(join(dir, 'out/flagged.jsonl'));
    expect(Object.keys(flagged[0])).toEqual(['id', 'source', 'text', 'offensive', 'offensive_terms']);
    expect(flagged.map((r) => r.offensive)).toEqual([false, false, false]);
    const rej = await ftr('rejects', join(dir, 'r.ftr'), 'clean');
    expect(rej.out).toContain('offensive terms: s***');
  });
});
