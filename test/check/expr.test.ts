import { describe, expect, it } from 'vitest';
import { checkExpr } from '../../src/check/expr.js';
import { compileExpr, FUNCTIONS, showExpr, truthy, unitValue, type ExprIR } from '../../src/core/expr.js';
import type { Schema } from '../../src/ops/types.js';
import type { Expr } from '../../src/parser/ast.js';
import type { Diagnostic } from '../../src/parser/diagnostics.js';
import { parseRecipe } from '../../src/parser/parse.js';

const SCHEMA: Schema = {
  columns: [
    { name: 'text', type: 'string' },
    { name: 'label', type: 'string' },
    { name: 'n', type: 'number' },
    { name: 'tags', type: 'list' },
    { name: 'ok', type: 'bool' },
    { name: 'meta', type: 'record' },
    { name: 'x', type: 'any' },
  ],
};
const CONSTANTS = new Map<string, unknown>([
  ['min_chars', 5],
  ['names', ['a', 'b']],
  ['pat', { regex: '^a', flags: 'i' }],
  ['greeting', 'hi'],
]);

/** The expression is written after `param p = ` (10 columns), so columns below are relative to it. */
const OFFSET = 10;

function parse(src: string): Expr {
  const r = parseRecipe(`param p = ${src}`, 'e.ftr');
  if (r.diagnostics.length) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  const item = r.ast.items[0];
  if (item.kind !== 'param') throw new Error('not a param');
  return item.value;
}

function checked(src: string) {
  const diagnostics: Diagnostic[] = [];
  const { ir, type } = checkExpr(parse(src), { schema: SCHEMA, constants: CONSTANTS, diagnostics, owner: 'clean' });
  return { ir, type, diagnostics };
}

/** Check (insisting on no errors), compile and evaluate against a row. */
function evaluate(src: string, row: Record<string, unknown> = {}): unknown {
  const c = checked(src);
  expect(c.diagnostics.map((d) => d.message), src).toEqual([]);
  return compileExpr(c.ir)(row);
}

/** [code, start col, end col] relative to the expression text. */
function errs(src: string): [string, number, number][] {
  return checked(src).diagnostics.map((d) => [d.code, d.span.start.col - OFFSET, d.span.end.col - OFFSET]);
}

function only(src: string): Diagnostic {
  const ds = checked(src).diagnostics;
  expect(ds, src).toHaveLength(1);
  return ds[0];
}

describe('checkExpr: types and IR', () => {
  it('literals, with units converted', () => {
    const cases: [string, ExprIR, string][] = [
      ['3', { k: 'lit', value: 3 }, 'number'],
      ['80%', { k: 'lit', value: 0.8 }, 'number'],
      ['5k', { k: 'lit', value: 5000 }, 'number'],
      ['30s', { k: 'lit', value: 30_000 }, 'number'],
      ['2MB', { k: 'lit', value: 2_000_000 }, 'number'],
      ['"s"', { k: 'lit', value: 's' }, 'string'],
      ['true', { k: 'lit', value: true }, 'bool'],
      ['null', { k: 'lit', value: null }, 'null'],
      ['/a|b/i', { k: 're', source: 'a|b', flags: 'i' }, 'regex'],
      ['[1, "a"]', { k: 'list', items: [{ k: 'lit', value: 1 }, { k: 'lit', value: 'a' }] }, 'list'],
    ];
    for (const [src, ir, type] of cases) expect(checked(src), src).toEqual({ ir, type, diagnostics: [] });
  });

  it('a column takes its schema type; a recipe param is inlined as a constant', () => {
    expect(checked('n')).toMatchObject({ ir: { k: 'col', name: 'n' }, type: 'number' });
    expect(checked('tags')).toMatchObject({ ir: { k: 'col', name: 'tags' }, type: 'list' });
    expect(checked('min_chars')).toMatchObject({ ir: { k: 'lit', value: 5 }, type: 'number' });
    expect(checked('names')).toMatchObject({ ir: { k: 'list', items: [{ k: 'lit', value: 'a' }, { k: 'lit', value: 'b' }] }, type: 'list' });
    expect(checked('pat')).toMatchObject({ ir: { k: 're', source: '^a', flags: 'i' }, type: 'regex' });
  });

  it('operators and functions have result types', () => {
    const types: [string, string][] = [
      ['n > 1', 'bool'],
      ['text ~ /a/', 'bool'],
      ['"a" in tags', 'bool'],
      ['ok and ok', 'bool'],
      ['not ok', 'bool'],
      ['n + 1', 'number'],
      ['text + n', 'string'],
      ['x + n', 'any'],
      ['n * 2 - 1', 'number'],
      ['-n', 'number'],
      ['len(text)', 'number'],
      ['words(text)', 'number'],
      ['missing(text)', 'bool'],
      ['lower(text)', 'string'],
      ['num(text)', 'number'],
      ['coalesce(x, 1)', 'any'],
    ];
    for (const [src, type] of types) expect(checked(src).type, src).toBe(type);
  });

  it('every documented function exists', () => {
    expect(Object.keys(FUNCTIONS).sort()).toEqual(
      ['coalesce', 'contains', 'ends_with', 'len', 'lower', 'missing', 'num', 'present', 'starts_with', 'str', 'trim', 'upper', 'words'].sort(),
    );
  });
});

describe('checkExpr: errors', () => {
  it('unknown column (E0201): label, columns listed, did-you-mean over columns and params', () => {
    const d = only('len(txt) > 3');
    expect([d.code, d.span.start.col - OFFSET, d.span.end.col - OFFSET, d.message]).toEqual(['E0201', 5, 8, 'unknown column `txt`']);
    expect(d.label).toBe('not a column of `clean`');
    expect(d.notes).toEqual(['columns of `clean`: text, label, n, tags, ok, meta, x']);
    expect(d.help).toBe('did you mean `text`?');
    expect(only('len(text) > min_char').help).toBe('did you mean `min_chars`?');
    expect(only('lable == "a"').help).toBe('did you mean `label`?');
    expect(only('zzzzzz').help).toBeUndefined();
  });

  it('unknown function (E0202) with did-you-mean and the list of functions', () => {
    const d = only('lenn(text) > 3');
    expect([d.code, d.span.start.col - OFFSET, d.span.end.col - OFFSET, d.message, d.help]).toEqual(['E0202', 1, 5, 'unknown function `lenn`', 'did you mean `len`?']);
    expect(d.notes).toEqual(['functions: len, words, missing, present, lower, upper, trim, str, num, contains, starts_with, ends_with, coalesce']);
  });

  it('wrong number of arguments', () => {
    const d = only('len(text, n)');
    expect(d.message).toBe('`len` takes 1 argument, got 2');
    expect([d.span.start.col - OFFSET, d.span.end.col - OFFSET]).toEqual([1, 13]);
    expect(only('contains(text)').message).toBe('`contains` takes 2 arguments, got 1');
  });

  it('ill-typed operands and arguments (E0204)', () => {
    const arg = only('starts_with(text, 3)');
    expect([arg.code, arg.message]).toEqual(['E0204', 'argument 2 of `starts_with` must be string, found number']);
    expect([arg.span.start.col - OFFSET, arg.span.end.col - OFFSET]).toEqual([19, 20]);
    expect(only('text ~ 3').message).toBe('`~` needs a regex on its right, like /refund/i');
    expect(errs('text ~ 3')).toEqual([['E0204', 8, 9]]);
    expect(only('tags > 1').message).toBe('cannot order list values');
    expect(only('-text').message).toBe('`-` needs a number, found string');
    expect(only('text * 2').message).toBe('`*` needs numbers, found string');
    expect(errs('ok / meta')).toEqual([
      ['E0204', 1, 3],
      ['E0204', 6, 10],
    ]);
  });

  it('`any`, `null` and regex-valued params are accepted where types are checked', () => {
    expect(errs('x > 1')).toEqual([]);
    expect(errs('x - null')).toEqual([]);
    expect(errs('text ~ pat')).toEqual([]);
    expect(errs('text ~ greeting')).toEqual([]);
  });

  it('`->` outside a rule block (E0205)', () => {
    // `->` parses only at the top of an argument (a rule's `CONDITION -> LABEL`), not in a param
    const r = parseRecipe('cell c = t | keep text ~ /a/ or n > 1 -> label', 'e.ftr');
    const item = r.ast.items[0];
    if (r.diagnostics.length || item.kind !== 'cell') throw new Error('does not parse');
    const diagnostics: Diagnostic[] = [];
    checkExpr(item.pipeline.stages[1].args[0].value, { schema: SCHEMA, constants: CONSTANTS, diagnostics, owner: 'clean' });
    expect(diagnostics.map((d) => [d.code, d.span.start.col, d.span.end.col, d.message])).toEqual([['E0205', 19, 47, '`->` is only allowed in rule blocks']]);
  });

  it('field paths, member access and blocks are not row expressions (E0206)', () => {
    const f = only('.body.text == "x"');
    expect([f.code, f.message, f.help]).toEqual(['E0206', 'a field path (`.body.text`) reads raw input records; in an expression use a column name', 'use `body`']);
    expect(only('parts.train').message).toBe('member access is not allowed in a row expression');
    expect(only('{ a: 1 }').message).toBe('a block is not allowed in a row expression');
  });

  it('every error of an expression is reported, each at its own span', () => {
    expect(errs('nope > 1 and lenn(text) and starts_with(text, 3)')).toEqual([
      ['E0201', 1, 5],
      ['E0202', 14, 18],
      ['E0204', 47, 48],
    ]);
  });
});

describe('compileExpr: functions', () => {
  it('len counts code points of strings and items of lists; missing values have length 0', () => {
    expect(evaluate('len(text)', { text: '😀é' })).toBe(2);
    expect(evaluate('len(text)', { text: 'e\u0301' })).toBe(2);
    expect(evaluate('len(tags)', { tags: [1, 2, 3] })).toBe(3);
    expect(evaluate('len(x)', { x: null })).toBe(0);
    expect(evaluate('len(x)', {})).toBe(0);
    expect(evaluate('len(str(n))', { n: 12345 })).toBe(5);
  });

  it('words counts words, keeping contractions and hyphenated words whole', () => {
    expect(evaluate('words(text)', { text: "don't stop-me now, 42 times!" })).toBe(5);
    expect(evaluate('words(text)', { text: 'héllo wörld — ünïcode' })).toBe(3);
    expect(evaluate('words(text)', { text: '' })).toBe(0);
    expect(evaluate('words(text)', { text: '  ... !! ' })).toBe(0);
  });

  it('missing: null, absent, blank strings, empty lists; present is its negation', () => {
    expect(evaluate('missing(x)', { x: null })).toBe(true);
    expect(evaluate('missing(x)', {})).toBe(true);
    expect(evaluate('missing(text)', { text: ' \t\n' })).toBe(true);
    expect(evaluate('missing(tags)', { tags: [] })).toBe(true);
    expect(evaluate('missing(n)', { n: 0 })).toBe(false);
    expect(evaluate('missing(ok)', { ok: false })).toBe(false);
    expect(evaluate('missing(text)', { text: 'a' })).toBe(false);
    expect(evaluate('present(text)', { text: 'a' })).toBe(true);
    expect(evaluate('present(text)', { text: '' })).toBe(false);
  });

  it('lower, upper, trim, str, num', () => {
    expect(evaluate('lower(text)', { text: 'ÀbC' })).toBe('àbc');
    expect(evaluate('upper(text)', { text: 'straße' })).toBe('STRASSE');
    expect(evaluate('trim(text)', { text: '  a b \n' })).toBe('a b');
    expect(evaluate('str(n)', { n: 3 })).toBe('3');
    expect(evaluate('str(meta)', { meta: { a: 1 } })).toBe('{"a":1}');
    expect(evaluate('str(x)', { x: null })).toBe('');
    expect(evaluate('num(text)', { text: '3.5' })).toBe(3.5);
    expect(evaluate('num(text)', { text: 'abc' })).toBeNull();
    expect(evaluate('num(text)', { text: '' })).toBeNull();
    expect(evaluate('num(x)', { x: null })).toBeNull();
  });

  it('contains, starts_with, ends_with, coalesce', () => {
    expect(evaluate('contains(text, "ell")', { text: 'hello' })).toBe(true);
    expect(evaluate('contains(text, "xyz")', { text: 'hello' })).toBe(false);
    expect(evaluate('contains(tags, "a")', { tags: ['a', 'b'] })).toBe(true);
    expect(evaluate('contains(tags, "ab")', { tags: ['a', 'b'] })).toBe(false);
    expect(evaluate('starts_with(text, "he")', { text: 'hello' })).toBe(true);
    expect(evaluate('starts_with(text, "lo")', { text: 'hello' })).toBe(false);
    expect(evaluate('ends_with(text, "lo")', { text: 'hello' })).toBe(true);
    expect(evaluate('coalesce(x, "d")', { x: '' })).toBe('d');
    expect(evaluate('coalesce(x, "d")', {})).toBe('d');
    expect(evaluate('coalesce(x, "d")', { x: 'v' })).toBe('v');
    expect(evaluate('coalesce(x, "d")', { x: 0 })).toBe(0);
  });
});

describe('compileExpr: operators', () => {
  it('`in` on lists (by value) and on strings (substring)', () => {
    expect(evaluate('"a" in tags', { tags: ['a'] })).toBe(true);
    expect(evaluate('"z" in tags', { tags: ['a'] })).toBe(false);
    expect(evaluate('1 in tags', { tags: ['1'] })).toBe(false);
    expect(evaluate('"ell" in text', { text: 'hello' })).toBe(true);
    expect(evaluate('"elk" in text', { text: 'hello' })).toBe(false);
    expect(evaluate('label in ["a", "b"]', { label: 'b' })).toBe(true);
    expect(evaluate('label in names', { label: 'c' })).toBe(false);
    expect(evaluate('not (label in names)', { label: 'c' })).toBe(true);
  });

  it('`~` matches a regex (flags kept), a string pattern, or a regex param', () => {
    expect(evaluate('text ~ /^h.l/i', { text: 'HELLO' })).toBe(true);
    expect(evaluate('text ~ /^h.l/', { text: 'HELLO' })).toBe(false);
    expect(evaluate('text ~ /refund|charge ?back/', { text: 'a chargeback' })).toBe(true);
    expect(evaluate('text ~ "^h"', { text: 'hello' })).toBe(true);
    expect(evaluate('text ~ pat', { text: 'Abc' })).toBe(true);
    expect(evaluate('x ~ /^$/', { x: null })).toBe(true);
  });

  it('`~` with a `g` flag gives the same answer every time (no lastIndex state)', () => {
    const f = compileExpr(checked('text ~ /a/g').ir);
    const row = { text: 'a' };
    expect([f(row), f(row), f(row)]).toEqual([true, true, true]);
  });

  it('ordering comparisons with null or a missing value are false, both ways', () => {
    for (const op of ['<', '<=', '>', '>=']) {
      expect(evaluate(`n ${op} 3`, { n: null }), op).toBe(false);
      expect(evaluate(`n ${op} 3`, {}), op).toBe(false);
      expect(evaluate(`3 ${op} n`, { n: null }), op).toBe(false);
    }
    expect(evaluate('len(x) < 5', {})).toBe(true); // len of a missing value is 0, a number
  });

  it('ordering numbers and strings', () => {
    expect(evaluate('n >= 3', { n: 3 })).toBe(true);
    expect(evaluate('n > 3', { n: 3 })).toBe(false);
    expect(evaluate('n < 10', { n: 9 })).toBe(true);
    expect(evaluate('n <= 2', { n: 3 })).toBe(false);
    expect(evaluate('n > 10', { n: 9 })).toBe(false); // numeric, not string order
    expect(evaluate('text > "b"', { text: 'c' })).toBe(true);
    expect(evaluate('text < "b"', { text: 'c' })).toBe(false);
  });

  it('== and != : null equals a missing value; lists and records compare by value', () => {
    expect(evaluate('n == null', { n: null })).toBe(true);
    expect(evaluate('n == null', {})).toBe(true);
    expect(evaluate('n != null', { n: 0 })).toBe(true);
    expect(evaluate('label == "a"', { label: 'a' })).toBe(true);
    expect(evaluate('label != "a"', { label: 'a' })).toBe(false);
    expect(evaluate('tags == ["a"]', { tags: ['a'] })).toBe(true);
    expect(evaluate('meta == meta', { meta: { a: 1 } })).toBe(true);
  });

  it('and / or / not use truthiness: false, null, 0 and "" are false', () => {
    expect(evaluate('ok and n', { ok: true, n: 0 })).toBe(false);
    expect(evaluate('ok and n', { ok: true, n: 2 })).toBe(true);
    expect(evaluate('ok or n', { ok: false, n: 2 })).toBe(true);
    expect(evaluate('ok or text', { ok: false, text: '' })).toBe(false);
    expect(evaluate('not ok', { ok: false })).toBe(true);
    expect(evaluate('not text', { text: '' })).toBe(true);
    expect(evaluate('not x', {})).toBe(true);
    expect(evaluate('not not tags', { tags: [] })).toBe(true); // an empty list is truthy
  });

  it('arithmetic with precedence; + joins strings', () => {
    expect(evaluate('n + 2 * 3', { n: 1 })).toBe(7);
    expect(evaluate('(n + 2) * 3', { n: 1 })).toBe(9);
    expect(evaluate('n - 4 / 2', { n: 1 })).toBe(-1);
    expect(evaluate('10 / 4')).toBe(2.5);
    expect(evaluate('-n', { n: 2 })).toBe(-2);
    expect(evaluate('text + n', { text: 'a', n: 1 })).toBe('a1');
    expect(evaluate('text + "!"', { text: 'hi' })).toBe('hi!');
    expect(evaluate('n + min_chars', { n: 1 })).toBe(6);
    expect(evaluate('len(text) >= min_chars and not missing(label)', { text: 'hello', label: 'x' })).toBe(true);
    expect(evaluate('len(text) >= min_chars and not missing(label)', { text: 'hell', label: 'x' })).toBe(false);
  });
});

describe('showExpr, truthy, unitValue', () => {
  it('showExpr writes the checked expression back, with params inlined and mixed and/or parenthesised', () => {
    expect(showExpr(checked('len(text) >= min_chars').ir)).toBe('len(text) >= 5');
    expect(showExpr(checked('(ok or n > 1) and label in names').ir)).toBe('(ok or n > 1) and label in ["a", "b"]');
    expect(showExpr(checked('not text ~ /a/i').ir)).toBe('not text ~ /a/i');
    expect(showExpr(checked('-n').ir)).toBe('-n');
  });

  it('truthy', () => {
    expect([false, null, undefined, 0, ''].map(truthy)).toEqual([false, false, false, false, false]);
    expect([true, 1, 'a', [], {}].map(truthy)).toEqual([true, true, true, true, true]);
  });

  it('unitValue converts to base units: counts, bytes, milliseconds, fractions', () => {
    expect(unitValue(5, 'k')).toBe(5000);
    expect(unitValue(2.5, 'M')).toBe(2_500_000);
    expect(unitValue(1, 'bn')).toBe(1e9);
    expect(unitValue(512, 'MB')).toBe(512e6);
    expect(unitValue(2, 'KiB')).toBe(2048);
    expect(unitValue(30, 's')).toBe(30_000);
    expect(unitValue(5, 'min')).toBe(300_000);
    expect(unitValue(1, 'h')).toBe(3_600_000);
    expect(unitValue(1, 'd')).toBe(86_400_000);
    expect(unitValue(80, '%')).toBe(0.8);
  });
});
