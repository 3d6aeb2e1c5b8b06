import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeContext } from '../harness.js';
import { describe, expect, it } from 'vitest';
import { describeType } from '../../../src/check/params.js';
import { derive, type NamedExpr } from '../../../src/ops/transform/derive.js';
import { readJsonl, runJson, tempProject } from '../../helpers.js';
import { cellOf, check, HEAD } from '../../check/helpers.js';

/** Check `cell a = t | derive …` on t.jsonl (text, label, n) and return the step's params and output columns. */
function checked(block: string, before = '') {
  const r = check(HEAD + before + `cell a = t | derive ${block}`);
  return { r, params: r.graph ? (cellOf(r, 'a').steps[0].params.columns as NamedExpr[]) : undefined, columns: r.graph ? cellOf(r, 'a').schema.columns : undefined };
}

describe('derive: checking', () => {
  it('types new columns from their expressions and replaces existing ones in place', () => {
    const { r, columns } = checked('{ n_words: words(text), is_long: len(text) > 500, label: upper(label), t: coalesce(label, text), s: text + "!", k: n * 2, m: coalesce(text, n), x: null }');
    expect(r.diagnostics).toEqual([]);
    expect(columns).toEqual([
      { name: 'id', type: 'string' },
      { name: 'source', type: 'string' },
      { name: 'text', type: 'string' },
      { name: 'label', type: 'string' },
      { name: 'n', type: 'number' },
      { name: 'n_words', type: 'number' },
      { name: 'is_long', type: 'bool' },
      { name: 't', type: 'string' },
      { name: 's', type: 'string' },
      { name: 'k', type: 'number' },
      { name: 'm', type: 'any' },
      { name: 'x', type: 'any' },
    ]);
  });

  it('an entry sees the entries before it, not after', () => {
    expect(checked('{ w: words(text), long: w > 3 }').r.diagnostics).toEqual([]);
    const { r } = checked('{ long: w > 3, w: words(text) }');
    expect(r.diagnostics.map((d) => [d.code, d.message, `${d.span.start.line}:${d.span.start.col}`])).toEqual([['E0201', 'unknown column `w`', '3:29']]);
  });

  it('stores span-free IR per column, in the order written (a list: cache keys sort object keys); recipe params are constants', () => {
    const { params } = checked('{ big: n > min_n, a: 1 }', 'param min_n = 3\n');
    expect(params).toEqual([
      { name: 'big', expr: { k: 'bin', op: '>', l: { k: 'col', name: 'n' }, r: { k: 'lit', value: 3 } } },
      { name: 'a', expr: { k: 'lit', value: 1 } },
    ]);
  });

  it('reports type errors, unknown functions, duplicate names, non-blocks, regex values and `id`', () => {
    const msgs = (block: string) => checked(block).r.diagnostics.map((d) => d.message);
    expect(msgs('{ a: len(text) - "x" }')).toEqual(['`-` needs numbers, found string']);
    expect(msgs('{ a: lenn(text) }')).toEqual(['unknown function `lenn`']);
    expect(msgs('{ a: 1, a: 2 }')).toEqual(['`a` is given twice']);
    expect(msgs('words(text)')).toEqual(['`columns` must be named expressions like { n_words: words(text) }']);
    expect(msgs('{ a: /x/ }')).toEqual(['`a`: a regex is not a value (/x/)']);
    expect(msgs('{ id: str(n) }')).toEqual(['`id` cannot be derived: it identifies the row in rejects, splits and duplicates']);
    expect(msgs('{}')).toEqual(['`derive` needs at least one column: { name: expression }']);
    expect(describeType({ kind: 'exprs' })).toBe('named expressions { column: expression }');
  });
});

describe('derive: values', () => {
  it('computes each entry on the row as the earlier entries left it', () => {
    const { params } = checked('{ w: words(text), long: w > 1, label: coalesce(label, "none"), ratio: n / 0, tag: "L" + str(w) }');
    const fn = derive.map!({ columns: params }, fakeContext());
    expect(fn({ id: '1', text: 'hello big world', label: null, n: 3 })).toEqual({ id: '1', text: 'hello big world', label: 'none', n: 3, w: 3, long: true, ratio: null, tag: 'L3' });
    expect(fn({ id: '2', text: 'hi', label: 'a', n: 0 })).toEqual({ id: '2', text: 'hi', label: 'a', n: 0, w: 1, long: false, ratio: null, tag: 'L1' });
  });

  it('runs in a recipe', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe d\nsource t = jsonl "t.jsonl"\ncell d = t | derive { n_words: words(text), is_long: n_words > 3, title: coalesce(title, subject) } | keep is_long\nexport d | write "out/"\n',
      't.jsonl': [{ text: 'one two three four', title: null, subject: 'S1' }, { text: 'short one', title: 'T2', subject: 'S2' }, { text: 'a b c d e', title: 'T3', subject: null }].map((r) => JSON.stringify(r)).join('\n') + '\n',
    });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    expect(cells.get('d')!.rowsOut).toBe(2);
    const out = readJsonl(join(dir, 'out/d.jsonl'));
    expect(out.map((r) => [r.title, r.n_words, r.is_long])).toEqual([['S1', 4, true], ['T3', 5, true]]);
    expect(Object.keys(out[0])).toEqual(['id', 'source', 'text', 'title', 'subject', 'n_words', 'is_long']);
  });
});

describe('derive: order is part of the cache key', () => {
  it('reordering entries that read each other re-runs the step', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe d\nsource t = jsonl "t.jsonl"\ncell d = t | derive { old: text, text: "new" }\nexport d | write "out/"\n',
      't.jsonl': JSON.stringify({ text: 'orig' }) + '\n',
    });
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    expect(readJsonl(join(dir, 'out/d.jsonl'))[0]).toMatchObject({ old: 'orig', text: 'new' });
    writeFileSync(join(dir, 'r.ftr'), 'recipe d\nsource t = jsonl "t.jsonl"\ncell d = t | derive { text: "new", old: text }\nexport d | write "out/"\n');
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    expect(readJsonl(join(dir, 'out/d.jsonl'))[0]).toMatchObject({ old: 'new', text: 'new' });
  });
});
