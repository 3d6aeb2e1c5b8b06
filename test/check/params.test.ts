import { describe, expect, it } from 'vitest';
import { describeType } from '../../src/check/params.js';
import { registry } from '../../src/ops/registry.js';
import { defineOp, type OpDef } from '../../src/ops/types.js';
import { cellOf, check, HEAD, range } from './helpers.js';

/** A map op with one param of each kind, so binding and coercion can be tested on their own. */
const probe = defineOp({
  name: 'probe',
  version: 1,
  kind: 'map',
  summary: 'test op',
  params: [
    { name: 'k', type: { kind: 'number', integer: true, min: 1, max: 10 }, positional: true, doc: 'k doc' },
    { name: 'frac', type: { kind: 'percent' }, doc: 'frac doc' },
    { name: 'cnt', type: { kind: 'count', min: 1 }, doc: 'cnt doc' },
    { name: 'sz', type: { kind: 'size' }, doc: 'sz doc' },
    { name: 'dur', type: { kind: 'duration' }, doc: 'dur doc' },
    { name: 'name', type: { kind: 'string' }, doc: 'name doc' },
    { name: 'tags', type: { kind: 'list', of: { kind: 'string' } }, doc: 'tags doc' },
    { name: 're', type: { kind: 'regex' }, doc: 're doc' },
    { name: 'rec', type: { kind: 'record' }, doc: 'rec doc' },
    { name: 'mode', type: { kind: 'enum', values: ['fast', 'slow'] }, default: 'fast', doc: 'mode doc' },
    { name: 'verbose', type: { kind: 'bool' }, default: false, doc: 'flag doc' },
  ],
  schema: (ctx) => ctx.input!,
});
const REG: Map<string, OpDef> = new Map([...registry, ['probe', probe]]);

/** Check `cell a = t | probe <args>` (on line 3) with the probe registry. */
function probeCheck(args: string, before = '') {
  const lines = before ? before + '\n' : '';
  return check(HEAD + lines + `cell a = t | probe ${args}`, {}, {}, REG);
}

function params(args: string): Record<string, unknown> {
  const r = probeCheck(args);
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
  return cellOf(r, 'a').steps[0].params;
}

describe('coercion of valid values', () => {
  it('every kind lands in its stored form; defaults filled in', () => {
    expect(params('5 frac: 80% cnt: 5k sz: 512MB dur: 30s name: "x" tags: ["a", "b"] re: /a|b/i rec: { a: 1, b: [true] }')).toEqual({
      k: 5,
      frac: 0.8,
      cnt: 5000,
      sz: 512_000_000,
      dur: 30_000,
      name: 'x',
      tags: ['a', 'b'],
      re: { regex: 'a|b', flags: 'i' },
      rec: { a: 1, b: [true] },
      mode: 'fast',
      verbose: false,
    });
  });

  it('percent: `80%`, a fraction, or a whole number read as percent', () => {
    expect(params('1 frac: 0.3').frac).toBe(0.3);
    expect(params('1 frac: 30').frac).toBe(0.3);
    expect(params('1 frac: 100%').frac).toBe(1);
  });

  it('counts, sizes and durations in their units', () => {
    expect(params('1 cnt: 2.5M').cnt).toBe(2_500_000);
    expect(params('1 cnt: 1_000').cnt).toBe(1000);
    expect(params('1 sz: 2GiB').sz).toBe(2 * 1024 ** 3);
    expect(params('1 sz: 4KB').sz).toBe(4000);
    expect(params('1 dur: 5min').dur).toBe(300_000);
    expect(params('1 dur: 250ms').dur).toBe(250);
  });

  it('a regex may be given as a string', () => {
    expect(params('1 re: "^a"').re).toEqual({ regex: '^a', flags: '' });
  });

  it('a bare word sets a bool flag by name and picks an enum by value', () => {
    expect(params('1 verbose slow')).toMatchObject({ verbose: true, mode: 'slow' });
    expect(params('slow 2')).toMatchObject({ k: 2, mode: 'slow' });
  });

  it('paren args bind the same way', () => {
    expect(params('').k).toBeUndefined();
    const r = check(HEAD + 'cell a = t | probe(3, mode: slow, verbose: true)', {}, {}, REG);
    expect(cellOf(r, 'a').steps[0].params).toMatchObject({ k: 3, mode: 'slow', verbose: true });
  });

  it('a recipe param stands for its value', () => {
    const r = probeCheck('k cnt: c name: n', 'param k = 4\nparam c = 2k\nparam n = "nm"');
    expect(cellOf(r, 'a').steps[0].params).toMatchObject({ k: 4, cnt: 2000, name: 'nm' });
  });
});

describe('errors', () => {
  it('integer range: at least, at most, whole (E0108), with the type in the note', () => {
    const lo = probeCheck('0').only();
    expect([lo.code, range(lo), lo.message]).toEqual(['E0108', '3:20-3:21', '`k` must be at least 1, found 0']);
    expect(lo.notes).toEqual(['k: whole number ≥ 1 ≤ 10 — k doc']);
    expect(probeCheck('11').only().message).toBe('`k` must be at most 10, found 11');
    expect(probeCheck('2.5').only().message).toBe('`k` must be a whole number, found 2.5');
    const neg = probeCheck('-3').only();
    expect([neg.code, range(neg), neg.message]).toEqual(['E0108', '3:20-3:22', '`k` must be at least 1, found -3']);
  });

  it('percent, count: out of range (E0108)', () => {
    expect(probeCheck('1 frac: 150%').only().message).toBe('`frac` must be between 0% and 100%, found 150%');
    expect(probeCheck('1 cnt: 0').only().message).toBe('`cnt` must be at least 1, found 0');
    expect(probeCheck('1 cnt: 2.5').only().message).toBe('`cnt` must be a whole number, found 2.5');
  });

  it('a unit of the wrong kind (E0107)', () => {
    const d = probeCheck('1 sz: 30s').only();
    expect([d.code, range(d), d.message, d.label]).toEqual(['E0107', '3:26-3:29', '`sz` expects size (512MB), but `30s` is a duration', 'expected size (512MB)']);
    expect(probeCheck('1 dur: 5k').only().message).toBe('`dur` expects duration (30s), but `5k` is a count');
    expect(probeCheck('1 cnt: 80%').only().message).toBe('`cnt` expects count (5k), but `80%` is a percent');
  });

  it('wrong kinds of value (E0107), with a hint to quote a bare word', () => {
    const s = probeCheck('1 name: foo').only();
    expect([s.code, s.message, s.help, s.notes]).toEqual(['E0107', '`name` must be a string, found name `foo`', 'quote it: "foo"', ['name: name doc']]);
    expect(probeCheck('"x"').only().message).toBe('`k` must be whole number ≥ 1 ≤ 10, found string "x"');
    expect(probeCheck('1 tags: [1]').only().message).toBe('`tags` must be a string, found number 1');
    expect(probeCheck('1 re: 3').only().message).toBe('`re` must be a regex like /refund/i, found number 3');
    expect(probeCheck('1 rec: [1]').only().message).toBe('`rec` must be a record { key: value }');
    expect(probeCheck('1 verbose: 1').only().message).toBe('`verbose` must be true or false, found number 1');
  });

  it('an enum value with did-you-mean', () => {
    const d = probeCheck('1 mode: slwo').only();
    expect([d.code, d.message, d.help]).toEqual(['E0107', '`mode` must be one of fast, slow, found name `slwo`', 'did you mean `slow`?']);
  });

  it('a recipe param of the wrong type, or out of range', () => {
    const t = probeCheck('s', 'param s = "x"').only();
    expect([t.code, range(t), t.message]).toEqual(['E0107', '4:20-4:21', 'param `s` holds "x", but `k` must be whole number ≥ 1 ≤ 10']);
    const o = probeCheck('big', 'param big = 50').only();
    expect([o.code, o.message]).toEqual(['E0108', '`k` must be at most 10, found 50']);
  });

  it('the same param by position and by name (E0112)', () => {
    const d = probeCheck('5 k: 6').only();
    expect([d.code, range(d), d.message, d.notes]).toEqual(['E0112', '3:22-3:26', 'param `k` is given twice', ['first given at 3:20']]);
  });

  it('unknown named param with the list of params (E0106)', () => {
    const d = probeCheck('1 verbos: true').only();
    expect([d.code, d.message, d.help]).toEqual(['E0106', '`probe` has no param `verbos`', 'did you mean `verbose`?']);
    expect(d.notes).toEqual(['params of `probe`: k, frac, cnt, sz, dur, name, tags, re, rec, mode, verbose']);
  });

  it('every error of one call is reported, not just the first', () => {
    const r = probeCheck('0 frac: 2GB name: x nope: 1');
    expect(r.codes).toEqual([
      ['E0108', '3:20'],
      ['E0107', '3:28'],
      ['E0107', '3:38'],
      ['E0106', '3:40'],
    ]);
  });
});

describe('source mappings, columns and expression params', () => {
  it('a mapping value must be a field path, name or string', () => {
    const d = check(HEAD + 'source x = jsonl "nested.jsonl" { text: 3 }').only();
    expect([d.code, range(d), d.message]).toEqual(['E0107', '3:41-3:42', 'a mapping value is a field path like .body.text, found number 3']);
    const b = check(HEAD + 'source x = jsonl "nested.jsonl" fields: 3').only();
    expect(b.message).toBe('`fields` must be a mapping like { text: .body, label: .intent }');
  });

  it('a column param needs a name', () => {
    const d = check(HEAD + 'cell a = t | dedupe 3').only();
    expect([d.code, d.message]).toEqual(['E0107', '`columns` must be a column name, found number 3']);
    // a quoted column name is fine
    expect(cellOf(check(HEAD + 'cell a = t | dedupe "label"'), 'a').steps[0].params.columns).toEqual(['label']);
  });

  it('a field path in a row expression (E0206)', () => {
    const d = check(HEAD + 'cell a = t | keep(.body.text == "x")').only();
    expect([d.code, range(d)]).toEqual(['E0206', '3:19-3:29']);
    expect(d.message).toBe('a field path (`.body.text`) reads raw input records; in an expression use a column name');
  });
});

describe('describeType', () => {
  it('says what each kind of param expects', () => {
    expect(describeType({ kind: 'number', integer: true, min: 1, max: 10 })).toBe('whole number ≥ 1 ≤ 10');
    expect(describeType({ kind: 'number' })).toBe('number');
    expect(describeType({ kind: 'enum', values: ['a', 'b'] })).toBe('one of a, b');
    expect(describeType({ kind: 'list', of: { kind: 'dataset' } })).toBe('list of cell');
    expect(describeType({ kind: 'path', glob: true })).toBe('path or glob');
    expect(describeType({ kind: 'expr', returns: 'bool' })).toBe('expression (bool)');
    expect(describeType({ kind: 'ratios' })).toBe('percentages adding up to 100%');
  });
});
