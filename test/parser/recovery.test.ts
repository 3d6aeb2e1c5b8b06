import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/parser/parse.js';
import { cellAt, pos, range } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'recipes');

describe('one run reports every syntax error of a file', () => {
  const text = readFileSync(join(FIXTURES, 'syntax-errors.ftr'), 'utf8');
  const r = parseRecipe(text, 'syntax-errors.ftr');

  it('each broken item gets its own diagnostic, with code and line:col, in file order', () => {
    expect(r.diagnostics.map((d) => [d.code, range(d.span), d.message])).toEqual([
      ['E0002', '5:10-5:11', 'expected a value, found the end of the item'],
      ['E0002', '6:13-6:14', 'expected an op or cell name, found the end of the item'],
      ['E0002', '7:8-7:9', 'expected a name, found `=`'],
      ['E0002', '9:31-9:32', "expected ')', found the end of the item"],
      ['E0003', '10:19-10:32', 'unterminated string'],
      ['E0001', '11:12-11:13', 'unexpected character "@"'],
      ['E0002', '12:1-12:4', 'expected an item (recipe, seed, param, use, source, cell, show, export), found name `cel`'],
      ['E0002', '13:16-13:17', "expected ']', found the end of the item"],
    ]);
    expect(r.diagnostics.every((d) => d.severity === 'error' && d.span.file === 'syntax-errors.ftr')).toBe(true);
  });

  it('labels, notes and help say what was expected and how to fix it', () => {
    const [a, b, , paren, str, ch, kw] = r.diagnostics;
    expect(a.label).toBe('expected a value here');
    expect(b.label).toBe('expected an op or cell name here');
    expect(paren.label).toBe("expected ')' here");
    expect(paren.notes).toEqual(['an opening `(` needs a matching `)`']);
    expect(str.label).toBe('this string has no closing quote');
    expect(str.help).toBe('add a `"` before the end of the line');
    expect(ch.label).toBe('not part of the language');
    expect(kw.help).toBe('did you mean `cell`?');
  });

  it('the good items around the broken ones still reach the AST', () => {
    const names = r.ast.items.map((i) => (i.kind === 'cell' || i.kind === 'param' || i.kind === 'recipe' ? `${i.kind}:${i.name}` : i.kind));
    expect(names).toEqual(['recipe:broken', 'seed', 'param:a', 'cell:b', 'cell:ok', 'cell:c', 'cell:d', 'cell:e', 'param:g', 'cell:last']);
    const ok = r.ast.items.find((i) => i.kind === 'cell' && i.name === 'ok');
    const last = r.ast.items.find((i) => i.kind === 'cell' && i.name === 'last');
    expect(ok?.kind === 'cell' && ok.pipeline.stages.map((s) => s.name)).toEqual(['x', 'dedupe']);
    expect(last?.kind === 'cell' && last.pipeline.stages.map((s) => [s.name, s.args.length])).toEqual([
      ['ok', 0],
      ['dedupe', 1],
    ]);
    expect(r.ast.items[0].prose).toMatch(/^Several independent syntax errors/);
  });
});

describe('where errors point', () => {
  it('a missing `)` is reported at the end of its line, not at the next line', () => {
    const r = parseRecipe('cell c = x | keep (len(text) > 3\n  | dedupe', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, range(d.span), d.message, d.label])).toEqual([
      ['E0002', '1:33-1:34', "expected ')', found `|`", "expected ')' here"],
    ]);
    // and the pipeline goes on after the error
    expect(cellAt(r.ast, 0).pipeline.stages.map((s) => s.name)).toEqual(['x', 'keep', 'dedupe']);
  });

  it('a missing `)` of paren args, followed by a continuation line', () => {
    const r = parseRecipe('cell c = x | normalize(nfkc, lowercase: true\n  | dedupe text', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, pos(d), d.message])).toEqual([['E0002', '1:45', "expected ')', found `|`"]]);
    expect(r.diagnostics[0].notes).toEqual(['an opening `(` needs a matching `)`']);
    expect(cellAt(r.ast, 0).pipeline.stages.map((s) => [s.name, s.args.length])).toEqual([
      ['x', 0],
      ['normalize', 2],
      ['dedupe', 1],
    ]);
  });

  it('a missing `)` in each of two items: both reported, each on its own line', () => {
    const r = parseRecipe('cell c = x | keep (a\ncell d = y | keep (b', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, pos(d)])).toEqual([
      ['E0002', '1:21'],
      ['E0002', '2:21'],
    ]);
  });

  it('a missing `)` mid-line points at the token found instead', () => {
    const r = parseRecipe('cell c = x | op(a b)', 't.ftr');
    expect(r.diagnostics[0].code).toBe('E0002');
    expect(pos(r.diagnostics[0])).toBe('1:19');
    expect(r.diagnostics[0].message).toBe("expected ')', found name `b`");
    expect(r.diagnostics[0].label).toBe("expected ')'");
  });

  it('unclosed list and block', () => {
    expect(parseRecipe('param p = [1, 2', 't.ftr').diagnostics.map((d) => [pos(d), d.message])).toEqual([["1:16", "expected ']', found the end of the item"]]);
    expect(parseRecipe('param p = { a: 1', 't.ftr').diagnostics.map((d) => [pos(d), d.message])).toEqual([["1:17", "expected '}', found the end of the item"]]);
  });

  it('a `|` with no stage after it, before a continuation line', () => {
    const r = parseRecipe('cell c = x |\n| dedupe', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, pos(d), d.message])).toEqual([['E0002', '1:13', 'expected an op or cell name, found `|`']]);
  });

  it('header items with the wrong kind of value', () => {
    const r = parseRecipe('recipe\nseed "x"\nuse lib\nshow', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, pos(d), d.message])).toEqual([
      ['E0002', '1:7', 'expected a name or a string, found the end of the item'],
      ['E0002', '2:6', 'expected a number, found `"x"`'],
      ['E0002', '3:5', 'expected a string, found name `lib`'],
      ['E0002', '4:5', 'expected an op or cell name, found the end of the item'],
    ]);
  });

  it('tokens before the first item', () => {
    const r = parseRecipe('"hello"\ncell a = b', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, range(d.span), d.message, d.help])).toEqual([
      ['E0002', '1:1-1:8', 'expected an item (recipe, seed, param, use, source, cell, show, export), found `"hello"`', undefined],
    ]);
    expect(cellAt(r.ast, 0).name).toBe('a');
  });
});

describe('lexing errors', () => {
  it('bad characters in several items are each reported (E0001), a run of them as one', () => {
    const r = parseRecipe('cell c = x @@@ y\ncell d = c $\ncell e = d | dedupe', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, range(d.span), d.message])).toEqual([
      ['E0001', '1:12-1:15', 'unexpected character "@"'],
      ['E0001', '2:12-2:13', 'unexpected character "$"'],
    ]);
    expect(r.ast.items).toHaveLength(3);
  });

  it('an unterminated string is E0003 over the rest of the line, without follow-on noise', () => {
    const r = parseRecipe('param s = "abc\ncell d = c | dedupe', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, range(d.span)])).toEqual([['E0003', '1:11-1:15']]);
    const p = r.ast.items[0];
    expect(p.kind === 'param' && p.value).toMatchObject({ kind: 'string', value: 'abc' });
    expect(cellAt(r.ast, 1).pipeline.stages.map((s) => s.name)).toEqual(['c', 'dedupe']);
  });

  it('an unterminated string inside a call is reported once', () => {
    const r = parseRecipe('cell d = c | keep label == "spam\ncell e = d', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, pos(d)])).toEqual([['E0003', '1:28']]);
  });
});

describe('misspelt item keywords', () => {
  it('`cel x = y` and friends at the start of a line: did you mean …', () => {
    const r = parseRecipe('cel x = y\nsorce t = jsonl "x"\nparm p = 1\nshw x\nexprt x\nrecipee r\nsed 1', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, range(d.span), d.help])).toEqual([
      ['E0002', '1:1-1:4', 'did you mean `cell`?'],
      ['E0002', '2:1-2:6', 'did you mean `source`?'],
      ['E0002', '3:1-3:5', 'did you mean `param`?'],
      ['E0002', '4:1-4:4', 'did you mean `show`?'],
      ['E0002', '5:1-5:6', 'did you mean `export`?'],
      ['E0002', '6:1-6:8', 'did you mean `recipe`?'],
      ['E0002', '7:1-7:4', 'did you mean `seed`?'],
    ]);
    expect(r.diagnostics[0].message).toBe('expected an item (recipe, seed, param, use, source, cell, show, export), found name `cel`');
    expect(r.diagnostics[0].label).toBe('a recipe is a list of items, each starting with a keyword');
  });

  it('a misspelt keyword ends the item above instead of becoming its argument', () => {
    const r = parseRecipe('cell c = x | dedupe\ncel x = y\ncell z = w', 't.ftr');
    expect(r.diagnostics.map((d) => [pos(d), d.help])).toEqual([['2:1', 'did you mean `cell`?']]);
    expect(cellAt(r.ast, 0).pipeline.stages[1].args).toEqual([]);
    expect(cellAt(r.ast, 1).name).toBe('z');
  });

  it('a word far from every keyword gets no suggestion', () => {
    const r = parseRecipe('banana x = y', 't.ftr');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0].help).toBeUndefined();
  });

  // regression (src/parser/parse.ts `syntaxDiagnostic`/`expectedFrom`): tokens left over after a complete
  it('a misspelt `as` in `use` gets a did-you-mean', () => {
    const r = parseRecipe('use "lib.ftr" az lib', 't.ftr');
    expect(r.diagnostics.map((d) => [d.code, pos(d)])).toEqual([['E0002', '1:15']]);
    expect(r.diagnostics[0].help).toBe('did you mean `as`?');
  });
});
