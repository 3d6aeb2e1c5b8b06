import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../helpers.js';

const rows = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ text: `row number ${i + offset} about ${['billing', 'login', 'shipping'][(i + offset) % 3]}`, label: ['a', 'b', 'c'][(i + offset) % 3] })).join('\n') + '\n';

const recipe = (keepMin = 5) => `recipe t
seed 1
source docs = jsonl "data/*.jsonl"
cell clean = docs | normalize | keep len(text) >= ${keepMin} "too short"
cell unique = clean | dedupe text
cell parts = unique | split
export parts | write "out/"
`;

function project(keepMin = 5) {
  return tempProject({ 'r.ftr': recipe(keepMin), 'data/a.jsonl': rows(40), 'data/b.jsonl': rows(40, 40) });
}

describe('cache', () => {
  it('a second run recomputes nothing and says every cell is cached', async () => {
    const dir = project();
    const first = await runJson(join(dir, 'r.ftr'));
    expect(first.code).toBe(0);
    expect([...first.cells.values()].map((c) => c.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    const second = await runJson(join(dir, 'r.ftr'));
    expect([...second.cells.values()].every((c) => c.status === 'cached')).toBe(true);
    expect(second.cells.get('parts')!.parts).toEqual(first.cells.get('parts')!.parts);
  });

  it('changing one param re-runs that cell and its dependants only', async () => {
    const dir = project(5);
    await runJson(join(dir, 'r.ftr'));
    // "row number 3 about login" is 24 characters, "row number 12 about login" 25
    writeFileSync(join(dir, 'r.ftr'), recipe(25));
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('docs')!.status).toBe('cached');
    expect(r.cells.get('clean')!.status).toBe('done');
    expect(r.cells.get('clean')!.dropped).toEqual({ 'too short': 3 });
    expect(r.cells.get('clean')!.rowsOut).toBe(77);
    expect(r.cells.get('unique')!.status).toBe('done');
  });

  it('early cutoff: a re-run cell with identical output leaves its dependants cached', async () => {
    const dir = project(5);
    await runJson(join(dir, 'r.ftr'));
    // every text is longer than 6 characters: the filter changes, its output does not
    writeFileSync(join(dir, 'r.ftr'), recipe(6));
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('clean')!.status).toBe('done');
    expect(r.cells.get('unique')!.status).toBe('cached');
    expect(r.cells.get('parts')!.status).toBe('cached');
  });

  it('appending a file to a source reads only the new file and maps only the new shard', async () => {
    const dir = project();
    await runJson(join(dir, 'r.ftr'));
    writeFileSync(join(dir, 'data/c.jsonl'), rows(40, 80));
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('docs')!.status).toBe('done');
    expect(r.cells.get('docs')!.shards).toEqual({ computed: 1, reused: 2 });
    expect(r.cells.get('clean')!.shards).toEqual({ computed: 1, reused: 2 });
    expect(r.cells.get('clean')!.rowsOut).toBe(120);
  });

  it('appended lines re-shard only the tail of a file', async () => {
    const dir = tempProject({ 'r.ftr': recipe(), 'data/a.jsonl': rows(95) });
    await runJson(join(dir, 'r.ftr'), '--shard-rows', '10');
    appendFileSync(join(dir, 'data/a.jsonl'), rows(20, 95));
    const r = await runJson(join(dir, 'r.ftr'), '--shard-rows', '10');
    // 9 full shards of the old file are byte-identical: only the last one and the new ones are mapped
    expect(r.cells.get('clean')!.shards).toEqual({ computed: 3, reused: 9 });
  });

  it('--no-cache recomputes every cell', async () => {
    const dir = project();
    await runJson(join(dir, 'r.ftr'));
    const r = await runJson(join(dir, 'r.ftr'), '--no-cache');
    expect([...r.cells.values()].every((c) => c.status === 'done')).toBe(true);
  });

  it('two runs on separate caches write byte-identical outputs', async () => {
    const dir = project();
    await runJson(join(dir, 'r.ftr'), '--cache-dir', join(dir, 'c1'));
    const a = readFileSync(join(dir, 'out/train.jsonl'));
    await runJson(join(dir, 'r.ftr'), '--cache-dir', join(dir, 'c2'));
    expect(readFileSync(join(dir, 'out/train.jsonl')).equals(a)).toBe(true);
  });

  it('the split depends on the seed: another recipe seed gives another train set of the same size', async () => {
    const dir = project();
    await runJson(join(dir, 'r.ftr'));
    const a = readJsonl(join(dir, 'out/train.jsonl')).map((r) => r.id);
    writeFileSync(join(dir, 'r.ftr'), recipe().replace('seed 1', 'seed 2'));
    await runJson(join(dir, 'r.ftr'));
    const b = readJsonl(join(dir, 'out/train.jsonl')).map((r) => r.id);
    expect(b.length).toBe(a.length);
    expect(b).not.toEqual(a);
  });

  it('a removed output file is written again on a cached run', async () => {
    const dir = project();
    await runJson(join(dir, 'r.ftr'));
    const before = readFileSync(join(dir, 'out/val.jsonl'));
    writeFileSync(join(dir, 'out/val.jsonl'), 'tampered\n');
    await runJson(join(dir, 'r.ftr'));
    expect(readFileSync(join(dir, 'out/val.jsonl')).equals(before)).toBe(true);
  });
});

describe('explain', () => {
  it('says cached, or which key component changed', async () => {
    const dir = project(5);
    await runJson(join(dir, 'r.ftr'));
    expect((await ftr('explain', join(dir, 'r.ftr'), 'clean')).out).toMatch(/clean: cached/);
    writeFileSync(join(dir, 'r.ftr'), recipe(9));
    const e = await ftr('explain', join(dir, 'r.ftr'), 'clean');
    expect(e.out).toContain('will re-run');
    expect(e.out).toContain('param `when` of `keep` changed');
    const down = await ftr('explain', join(dir, 'r.ftr'), 'parts');
    expect(down.out).toContain('upstream `clean` re-runs first');
    writeFileSync(join(dir, 'r.ftr'), recipe(5));
    appendFileSync(join(dir, 'data/b.jsonl'), rows(1, 500));
    expect((await ftr('explain', join(dir, 'r.ftr'), 'docs')).out).toContain('input file data/b.jsonl changed');
  });
});

describe('bad rows are rejected with a reason, never lost', () => {
  const bad = [
    JSON.stringify({ text: 'a good first row', label: 'a' }),
    '{"text": "cut off',
    '[1, 2, 3]',
    JSON.stringify({ text: 'a good second row', label: 'b' }),
  ].join('\n');
  const latin1 = Buffer.concat([Buffer.from(JSON.stringify({ text: 'caf' }).slice(0, -2)), Buffer.from([0xe9]), Buffer.from('"}\n')]);

  it('counts them per reason, and `ftr rejects` lists them with file:line', async () => {
    const dir = tempProject({
      'r.ftr': 'source docs = jsonl "data/*.jsonl"\ncell n = docs | normalize\n',
      'data/a.jsonl': bad + '\n',
      'data/b.jsonl': latin1,
    });
    const r = await runJson(join(dir, 'r.ftr'));
    const docs = r.cells.get('docs')!;
    expect(docs.rowsOut).toBe(2);
    expect(docs.dropped).toEqual({ 'malformed JSON': 1, 'not a JSON object': 1, 'invalid UTF-8': 1 });
    // the cell output shows an example per reason, with where it came from
    expect(docs.notes).toContain('e.g. not a JSON object: "[1, 2, 3]" (data/a.jsonl:3)');
    expect(docs.notes!.some((n) => n.startsWith('e.g. malformed JSON: "{\\"text\\": \\"cut off" (data/a.jsonl:2)'))).toBe(true);
    const lines = 4 + 1;
    expect(docs.rowsOut! + Object.values(docs.dropped!).reduce((a, b) => a + b, 0)).toBe(lines);
    const rej = await ftr('rejects', join(dir, 'r.ftr'), 'docs');
    expect(rej.out).toContain('3 rejected rows');
    expect(rej.out).toContain('data/a.jsonl:2');
    expect(rej.out).toContain('data/b.jsonl:1');
    const only = await ftr('rejects', join(dir, 'r.ftr'), 'docs', '--reason', 'invalid UTF-8', '--json');
    expect(only.out.trim().split('\n').map((l) => JSON.parse(l).reason)).toEqual(['invalid UTF-8']);
  });

  it('a CSV row with the wrong number of fields is rejected', async () => {
    const dir = tempProject({
      'r.ftr': 'source faq = csv "faq.csv"\n',
      'faq.csv': 'q,label\r\n"hello, there",a\r\nonly one field\r\n"x",b,extra\r\ny,c\r\n',
    });
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('faq')!.rowsOut).toBe(2);
    expect(r.cells.get('faq')!.dropped).toEqual({ 'wrong field count': 2 });
    expect((await ftr('rejects', join(dir, 'r.ftr'), 'faq')).out).toContain('faq.csv:3');
  });
});

describe('json events', () => {
  it('are one object per line with cell, status, rows, key and duration', async () => {
    const dir = project();
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.events[0].type).toBe('run-start');
    expect(r.events[r.events.length - 1]).toMatchObject({ type: 'run-end', status: 'ok', counts: { done: 5, cached: 0, failed: 0 } });
    const clean = r.cells.get('clean')!;
    expect(clean).toMatchObject({ v: 1, type: 'cell', cell: 'clean', status: 'done', rowsIn: 80, rowsOut: 80 });
    expect(clean.key).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof clean.durationMs).toBe('number');
    const statuses = r.events.filter((e) => e.type === 'cell' && e.cell === 'clean').map((e) => (e as { status: string }).status);
    expect(statuses).toEqual(['queued', 'running', 'done']);
  });
});

describe('recipes that share cells and params', () => {
  it('`use` runs cells of another file with paths relative to that file; --set overrides a param', async () => {
    const dir = tempProject({
      'lib/common.ftr': 'source docs = jsonl "data.jsonl"\ncell clean = docs | normalize lowercase\n',
      'lib/data.jsonl': rows(30),
      'main.ftr': 'use "lib/common.ftr" as common\nparam min = 5\ncell long = common.clean | keep len(text) >= min\n',
    });
    const r = await runJson(join(dir, 'main.ftr'));
    expect(r.code).toBe(0);
    expect(r.cells.get('common.docs')!.rowsOut).toBe(30);
    expect(r.cells.get('long')!.rowsOut).toBe(30);
    const narrowed = await runJson(join(dir, 'main.ftr'), '--set', 'min=26');
    expect(narrowed.cells.get('common.clean')!.status).toBe('cached');
    expect(narrowed.cells.get('long')!.status).toBe('done');
    expect(narrowed.cells.get('long')!.rowsOut).toBeLessThan(30);
  });
});

describe('files that ops read are part of their cache key', () => {
  it('editing an evaluation file re-runs decontamination; an unchanged one leaves it cached', async () => {
    const train = ['the quick brown fox jumps over the lazy dog near the river bank today', 'a completely different sentence about billing and invoices for customers'];
    const dir = tempProject({
      'r.ftr': 'source d = jsonl "d.jsonl"\ncell clean = d | decontaminate files: ["eval.jsonl"] n: 5\n',
      'd.jsonl': train.map((text) => JSON.stringify({ text })).join('\n') + '\n',
      'eval.jsonl': JSON.stringify({ text: 'nothing in common with training rows at all here' }) + '\n',
    });
    const first = await runJson(join(dir, 'r.ftr'));
    expect(first.cells.get('clean')!.rowsOut).toBe(2);
    expect((await runJson(join(dir, 'r.ftr'))).cells.get('clean')!.status).toBe('cached');
    writeFileSync(join(dir, 'eval.jsonl'), JSON.stringify({ text: 'quick brown fox jumps over the lazy dog' }) + '\n');
    const e = await ftr('explain', join(dir, 'r.ftr'), 'clean');
    expect(e.out).toContain('file eval.jsonl (read by `files`) changed');
    const again = await runJson(join(dir, 'r.ftr'));
    expect(again.cells.get('clean')!.status).toBe('done');
    expect(again.cells.get('clean')!.rowsOut).toBe(1);
  });

  it('a list of paths is checked against the read permission too', async () => {
    const outside = tempProject({ 'eval.jsonl': '{"text": "x"}\n' });
    const dir = tempProject({ 'r.ftr': `source d = jsonl "d.jsonl"\ncell c = d | decontaminate files: ["${join(outside, 'eval.jsonl')}"]\n`, 'd.jsonl': '{"text": "a"}\n' });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('E0401');
  });
});

describe('ops that report on the whole run', () => {
  it('a dataset card is rewritten when the recipe changes, even if its rows did not', async () => {
    const dir = tempProject({ 'r.ftr': 'recipe carded\nsource d = jsonl "d.jsonl"\nexport d | write "out/" card\n', 'd.jsonl': rows(5) });
    await runJson(join(dir, 'r.ftr'));
    const card = () => readFileSync(join(dir, 'out', 'README.md'), 'utf8');
    const before = card();
    expect((await runJson(join(dir, 'r.ftr'))).cells.get('export:d')!.status).toBe('cached');
    writeFileSync(join(dir, 'r.ftr'), '# a comment changes the recipe text\nrecipe carded\nsource d = jsonl "d.jsonl"\nexport d | write "out/" card\n');
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('d')!.status).toBe('cached');
    expect(r.cells.get('export:d')!.status).toBe('done');
    expect(card()).not.toBe(before);
  });
});
