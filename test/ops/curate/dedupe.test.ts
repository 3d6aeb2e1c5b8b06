import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dedupe, dedupeKey, dedupeText, loadXxhash } from '../../../src/ops/curate/dedupe.js';
import { ftr, runJson, tempProject } from '../../helpers.js';
import { runGlobal } from './helpers.js';

describe('dedupe', () => {
  const rows = [
    { id: 'a', text: 'Hello  world' },
    { id: 'b', text: 'hello world' },
    { id: 'c', text: 'other' },
    { id: 'd', text: 'HELLO WORLD!!' },
    { id: 'e', text: 'Hello world, longer? no: same key below' },
  ];

  it('folds case and whitespace and keeps the first copy by default', async () => {
    const r = await runGlobal(dedupe, rows, {});
    expect(r.keptIds).toEqual(['a', 'c', 'd', 'e']);
    expect(r.dropped.map(({ id, reason, detail }) => ({ id, reason, detail }))).toEqual([{ id: 'b', reason: 'duplicate', detail: 'duplicate of a' }]);
    expect(r.notes).toEqual(['1 duplicate in 5 rows (keep first)']);
  });

  it('keep last / longest, and exact comparison without fold', async () => {
    expect((await runGlobal(dedupe, rows, { keep: 'last' })).keptIds).toEqual(['b', 'c', 'd', 'e']);
    const longest = await runGlobal(dedupe, [{ id: 'x', text: 'ab' }, { id: 'y', text: 'AB' }, { id: 'z', text: ' a  b ' }], { keep: 'longest', columns: ['text'] });
    // 'ab' and 'AB' tie at 2 chars: the earlier stays; ' a  b ' folds to 'a b', another key
    expect(longest.keptIds).toEqual(['x', 'z']);
    expect(longest.dropped[0].detail).toBe('duplicate of x (same length, 2 chars: kept the earlier)');
    const longer = await runGlobal(dedupe, [{ id: 'x', text: 'Hi there' }, { id: 'y', text: 'hi   there  ' }], { keep: 'longest' });
    expect(longer.keptIds).toEqual(['y']);
    expect(longer.dropped[0].detail).toBe('duplicate of y (kept the longest: 12 > 8 chars)');
    expect((await runGlobal(dedupe, rows, { fold: false })).keptIds).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('keep highest uses the score column; missing scores never win; ties keep the earlier row', async () => {
    const scored = [
      { id: 'p', text: 'same', q: 0.2 },
      { id: 'q', text: 'SAME', q: 0.9 },
      { id: 'r', text: 'same ', q: null },
      { id: 's', text: 'same', q: 0.9 },
      { id: 't', text: 'solo', q: 0.1 },
    ];
    const r = await runGlobal(dedupe, scored, { keep: 'highest', score: 'q' });
    expect(r.keptIds).toEqual(['q', 't']);
    expect(r.dropped.map((d) => d.detail)).toEqual([
      'duplicate of q (kept the highest score: 0.9 vs 0.2)',
      'duplicate of q (kept the highest score: 0.9 vs none)',
      'duplicate of q (kept the highest score: 0.9 vs 0.9)',
    ]);
  });

  it('keys are xxh64 of the folded, NUL-joined columns', async () => {
    const xx = await loadXxhash();
    expect(dedupeText({ a: 'X  y', b: 3 }, ['a', 'b'], true)).toBe('sx y\u0000n3\u0000');
    expect(dedupeKey(xx, { a: 'X  y', b: 3 }, ['a', 'b'], true)).toBe(xx.h64('sx y\u0000n3\u0000'));
    expect(typeof dedupeKey(xx, { a: 'x' }, ['a'], true)).toBe('bigint');
    expect(dedupeKey(xx, { a: 'x', b: 'y' }, ['a', 'b'], false)).not.toBe(dedupeKey(xx, { a: 'xy', b: '' }, ['a', 'b'], false));
    // golden: xxh64 with seed 0 of "abc" is 0x44bc2cf5ad770999
    expect(xx.h64('abc')).toBe(0x44bc2cf5ad770999n);
  });
});

describe('dedupe keys keep their type', () => {
  it('"NULL", null, missing, a record and its JSON text, 1 and "1" are all different', async () => {
    const typed = [
      { id: 'missing' },
      { id: 'null', text: null },
      { id: 'NULL', text: 'NULL' },
      { id: 'lower-null', text: 'null' },
      { id: 'record', text: { k: 1 } },
      { id: 'json', text: '{"k":1}' },
      { id: 'num', text: 1 },
      { id: 'str1', text: '1' },
      { id: 'list', text: ['a'] },
      { id: 'liststr', text: '["a"]' },
    ];
    const r = await runGlobal(dedupe, typed, {});
    // "NULL" and "null" fold to the same string: the only duplicate here
    expect(r.dropped.map((d) => [d.id, d.detail])).toEqual([['lower-null', 'duplicate of NULL']]);
    expect(r.keptIds).toEqual(['missing', 'null', 'NULL', 'record', 'json', 'num', 'str1', 'list', 'liststr']);
  });

  it('same type still matches: two nulls, two missing, records with keys in another order', async () => {
    const r = await runGlobal(dedupe, [{ id: 'a', text: null }, { id: 'b', text: null }, { id: 'c' }, { id: 'd' }, { id: 'e', text: { x: 1, y: 2 } }, { id: 'f', text: { y: 2, x: 1 } }], {});
    expect(r.keptIds).toEqual(['a', 'c', 'e']);
  });

  it('fold makes every whitespace run one space, newlines and blank lines included', async () => {
    const ws = [
      { id: 'a', text: 'foo bar' },
      { id: 'b', text: 'foo\nbar' },
      { id: 'c', text: 'foo\n\nbar' },
      { id: 'd', text: ' Foo\t\r\n  bar \n' },
      { id: 'e', text: 'foobar' },
    ];
    const r = await runGlobal(dedupe, ws, {});
    expect(r.keptIds).toEqual(['a', 'e']);
    // without fold the characters are compared as they are
    expect((await runGlobal(dedupe, ws, { fold: false })).keptIds).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('dedupe in a recipe', () => {
  const data = [
    { id: 'T1', text: 'Refund please', score: 1 },
    { id: 'T2', text: 'refund   PLEASE', score: 5 },
    { id: 'T3', text: 'Login broken', score: 2 },
    { id: 'T4', text: 'REFUND please', score: 3 },
    { id: 'T5', text: 'login broken!', score: 9 },
  ];
  const project = (call: string) =>
    tempProject({
      'r.ftr': `recipe d\nseed 1\nsource docs = jsonl "data.jsonl"\ncell u = docs | ${call}\nexport u | write "out/" shuffle: false\n`,
      'data.jsonl': data.map((r) => JSON.stringify(r)).join('\n') + '\n',
    });

  it('keep highest score: the best copy stays, the others are rejects with the winner id', async () => {
    const dir = project('dedupe text highest score: score');
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.code).toBe(0);
    expect(r.cells.get('u')!.rowsOut).toBe(3);
    expect(r.cells.get('u')!.dropped).toEqual({ duplicate: 2 });
    const out = readFileSync(join(dir, 'out', 'u.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).id);
    expect(out).toEqual(['T2', 'T3', 'T5']);
    const rejects = await ftr('rejects', join(dir, 'r.ftr'), 'u', '--json');
    const details = rejects.out.trim().split('\n').map((l) => JSON.parse(l).detail);
    expect(details).toEqual(['duplicate of T2 (kept the highest score: 5 vs 1)', 'duplicate of T2 (kept the highest score: 5 vs 3)']);
  });

  it('its numbers are metrics: in the --json cell event and in metrics.json, at full precision; a cached run has them too', async () => {
    const dir = project('dedupe text');
    const r = await runJson(join(dir, 'r.ftr'));
    const u = r.cells.get('u')!;
    expect(u.metrics).toEqual({ dedupe: { rows: 5, duplicates: 2, kept: 3, duplicate_share: 0.4 } });
    expect(JSON.parse(readFileSync(resolve(u.metricsFile!), 'utf8'))).toEqual({ cell: 'u', metrics: u.metrics });
    const again = await runJson(join(dir, 'r.ftr'));
    expect(again.cells.get('u')!.status).toBe('cached');
    expect(again.cells.get('u')!.metrics).toEqual(u.metrics);
    // a cell whose ops report nothing has no metrics
    expect(r.cells.get('docs')!.metrics).toBeUndefined();
  });

  it('`keep highest` without a score column is a check error', async () => {
    const dir = project('dedupe text highest');
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('`keep highest` needs a `score` column');
  });
});
