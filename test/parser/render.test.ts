import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/parser/codes.js';
import type { Span } from '../../src/parser/ast.js';
import { diag, renderDiagnostics, summaryLine } from '../../src/parser/diagnostics.js';
import { parseRecipe } from '../../src/parser/parse.js';
import { closest, didYouMean } from '../../src/parser/suggest.js';

function span(file: string, line: number, col: number, endLine: number, endCol: number): Span {
  return { file, start: { line, col, offset: 0 }, end: { line: endLine, col: endCol, offset: 1 } };
}

describe('renderDiagnostics', () => {
  it('a parse error: code, message, --> file:line:col, the source line and carets of the token width', () => {
    const src = 'cell a = t\ncel x = y\n';
    const r = parseRecipe(src, 'recipes/r.ftr');
    const out = renderDiagnostics(r.diagnostics, new Map([['recipes/r.ftr', src]]));
    expect(out).toBe(
      [
        'error[E0002]: expected an item (recipe, seed, param, use, source, cell, show, export), found name `cel`',
        '  --> recipes/r.ftr:2:1',
        '  |',
        '2 | cel x = y',
        '  | ^^^ a recipe is a list of items, each starting with a keyword',
        '  |',
        '  = help: did you mean `cell`?',
      ].join('\n'),
    );
  });

  it('the README example: notes and help, carets under the whole word', () => {
    const src = ['recipe support', '', 'source t = jsonl "t.jsonl"', '', '', '', 'cell unique = clean | dedupe lable'].join('\n');
    const d = diag(CODES.UNKNOWN_COLUMN, 'unknown column `lable`', span('recipes/support.ftr', 7, 30, 7, 35), {
      label: 'not a column of `clean`',
      notes: ['columns of `clean`: id, source, text, label'],
      help: 'did you mean `label`?',
    });
    expect(renderDiagnostics([d], new Map([['recipes/support.ftr', src]]))).toBe(
      [
        'error[E0201]: unknown column `lable`',
        '  --> recipes/support.ftr:7:30',
        '  |',
        '7 | cell unique = clean | dedupe lable',
        '  |                              ^^^^^ not a column of `clean`',
        '  |',
        '  = note: columns of `clean`: id, source, text, label',
        '  = help: did you mean `label`?',
      ].join('\n'),
    );
  });

  it('the gutter widens with the line number; several diagnostics are separated by a blank line', () => {
    const lines = Array.from({ length: 12 }, (_, i) => `param p${i + 1} = ${i + 1}`);
    lines[11] = 'param p12 = "open';
    const src = lines.join('\n');
    const r = parseRecipe(src + '\ncell a = x @', 'big.ftr');
    const out = renderDiagnostics(r.diagnostics, new Map([['big.ftr', src + '\ncell a = x @']]));
    expect(out).toBe(
      [
        'error[E0003]: unterminated string',
        '  --> big.ftr:12:13',
        '   |',
        '12 | param p12 = "open',
        '   |             ^^^^^ this string has no closing quote',
        '   |',
        '   = help: add a `"` before the end of the line',
        '',
        'error[E0001]: unexpected character "@"',
        '  --> big.ftr:13:12',
        '   |',
        '13 | cell a = x @',
        '   |            ^ not part of the language',
      ].join('\n'),
    );
  });

  it('an error at the end of a line gets one caret just after the last character', () => {
    const src = 'param a =\n';
    const out = renderDiagnostics(parseRecipe(src, 'e.ftr').diagnostics, new Map([['e.ftr', src]]));
    expect(out.split('\n').slice(1, 5)).toEqual(['  --> e.ftr:1:10', '  |', '1 | param a =', '  |          ^ expected a value here']);
  });

  it('a span over several lines underlines to the end of its first line', () => {
    const src = 'export a\n  | dedupe';
    const d = diag(CODES.MISPLACED_OP, '`export` must end with a sink op such as `write`', span('x.ftr', 1, 1, 2, 11));
    expect(renderDiagnostics([d], new Map([['x.ftr', src]])).split('\n').slice(3)).toEqual(['1 | export a', '  | ^^^^^^^^']);
  });

  it('tabs become single spaces so carets stay aligned; CRLF line ends are dropped', () => {
    const src = 'cell\ta = t @\r\n';
    const out = renderDiagnostics(parseRecipe(src, 't.ftr').diagnostics, new Map([['t.ftr', src]]));
    expect(out.split('\n').slice(3)).toEqual(['1 | cell a = t @', '  |            ^ not part of the language']);
  });

  it('without the source text: header, location and notes only', () => {
    const d = diag(CODES.USE_NOT_FOUND, 'cannot read `x.ftr`: ENOENT', span('gone.ftr', 3, 5, 3, 12), { notes: ['looked for x.ftr'], help: 'check the path' });
    expect(renderDiagnostics([d], new Map())).toBe(
      ['error[E0301]: cannot read `x.ftr`: ENOENT', '  --> gone.ftr:3:5', '   = note: looked for x.ftr', '   = help: check the path'].join('\n'),
    );
  });

  it('warnings are labelled as such; color adds ANSI codes only when asked', () => {
    const d = { ...diag(CODES.MISSING_FIELD, 'careful', span('w.ftr', 1, 1, 1, 2)), severity: 'warning' as const };
    const plain = renderDiagnostics([d], new Map([['w.ftr', 'x']]));
    expect(plain.split('\n')[0]).toBe('warning[W0101]: careful');
    expect(plain).not.toContain('\x1b[');
    const colored = renderDiagnostics([d], new Map([['w.ftr', 'x']]), true);
    expect(colored).toContain('\x1b[1;33mwarning[W0101]\x1b[0m');
    expect(colored).toContain('\x1b[1;31m^\x1b[0m');
  });
});

describe('summaryLine', () => {
  const e = diag(CODES.UNEXPECTED_CHARACTER, 'x', span('f', 1, 1, 1, 2));
  const w = { ...e, severity: 'warning' as const };
  it('counts errors and warnings and says whether data was read', () => {
    expect(summaryLine([e], false)).toBe('1 error; no data was read.');
    expect(summaryLine([e, e, w], true)).toBe('2 errors, 1 warning.');
    expect(summaryLine([w, w], false)).toBe('2 warnings; no data was read.');
  });
});

describe('did-you-mean', () => {
  it('finds the closest candidate within a budget that grows with the word', () => {
    expect(closest('dedup', ['dedupe', 'drop', 'keep'])).toBe('dedupe');
    expect(closest('cel', ['cell', 'seed'])).toBe('cell');
    expect(closest('txt', ['text', 'label'])).toBe('text');
    expect(closest('normalise', ['normalize', 'strip_html'])).toBe('normalize');
    expect(closest('zzz', ['dedupe', 'keep'])).toBeUndefined();
    expect(closest('a', ['abc'])).toBeUndefined();
  });

  it('a swap of two neighbouring letters counts as one typo', () => {
    expect(closest('lable', ['id', 'source', 'text', 'label', 'n'])).toBe('label');
    expect(closest('frist', ['first', 'last', 'longest'])).toBe('first');
  });

  it('case-only differences win; the word itself is never suggested', () => {
    expect(closest('Label', ['label', 'lab'])).toBe('label');
    expect(closest('label', ['label'])).toBeUndefined();
  });

  it('didYouMean formats the suggestion', () => {
    expect(didYouMean('dedup', ['dedupe'])).toBe('did you mean `dedupe`?');
    expect(didYouMean('qqq', ['dedupe'])).toBeUndefined();
  });
});
