/**
 * Cache integrity (#12): a cached run writes exactly what a fresh `--no-cache` run writes, whatever
 * happened to the inputs (edits that keep size and mtime, swaps) or to the cache itself.
 */
import { readFileSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, runJson, tempProject } from '../helpers.js';
import { freshOutputs, outputsOf } from './cache-diff.js';

const rows = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ text: `row number ${String(i + offset).padStart(3, '0')} about ${['billing', 'login', 'shipping'][(i + offset) % 3]}` })).join('\n') + '\n';

/** Run with the cache, then a fresh copy with --no-cache: both must write the same bytes. */
async function expectSameAsFresh(dir: string, outDirs = ['out'], recipe = 'r.ftr') {
  const cached = await runJson(join(dir, recipe));
  const fresh = await freshOutputs(dir, recipe, outDirs);
  expect(cached.code).toBe(fresh.code);
  expect(outputsOf(dir, outDirs)).toEqual(fresh.files);
  return cached;
}

/** Give files a whole-millisecond mtime, so putting it back later is exact. */
function pinTimes(dir: string, files: string[], t = new Date('2024-01-01T00:00:00Z')) {
  for (const f of files) utimesSync(join(dir, f), t, t);
}

/** Write new bytes of the same length and put the old mtime back (cp -p, touch -r, a sync tool). */
function sameSizeEdit(path: string, from: string, to: string) {
  const st = statSync(path);
  const text = readFileSync(path, 'utf8');
  expect(text.includes(from)).toBe(true);
  expect(to.length).toBe(from.length);
  writeFileSync(path, text.replace(from, to));
  utimesSync(path, st.atime, st.mtime);
  expect(statSync(path).size).toBe(st.size);
  expect(statSync(path).mtimeMs).toBe(st.mtimeMs);
}

describe('files read through path params are keyed by content (#12.1)', () => {
  it('bias_detect lexicon_file edited → the cell re-runs and equals --no-cache', async () => {
    const dir = tempProject({
      'r.ftr': `recipe t
source docs = jsonl "data.jsonl"
cell tagged = docs | bias_detect text dims: [custom] lexicon_file: "terms.json"
export tagged | write "out/tagged.jsonl"
`,
      'data.jsonl': rows(30),
      'terms.json': JSON.stringify({ billing: ['billing'] }),
    });
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    writeFileSync(join(dir, 'terms.json'), JSON.stringify({ shipping: ['shipping'], login: ['login'] }));
    const r = await expectSameAsFresh(dir);
    expect(r.cells.get('tagged')!.status).toBe('done');
    expect(readFileSync(join(dir, 'out/tagged.jsonl'), 'utf8')).toContain('"login"');
  });
});

describe('the file index cannot be fooled by restored times (#12.2)', () => {
  const recipe = `recipe t
source docs = jsonl "data/*.jsonl"
cell clean = docs | normalize
export clean | write "out/clean.jsonl"
`;

  it('a same-size edit with the mtime put back is seen', async () => {
    const dir = tempProject({ 'r.ftr': recipe, 'data/a.jsonl': rows(20) });
    pinTimes(dir, ['data/a.jsonl']);
    await runJson(join(dir, 'r.ftr'));
    sameSizeEdit(join(dir, 'data/a.jsonl'), 'about billing', 'about BILLING');
    const r = await expectSameAsFresh(dir);
    expect(r.cells.get('docs')!.status).toBe('done');
  });

  it('a mv swap of two files with equal size and mtime is seen', async () => {
    const dir = tempProject({ 'r.ftr': recipe, 'data/a.jsonl': rows(10), 'data/b.jsonl': rows(10, 300) });
    pinTimes(dir, ['data/a.jsonl', 'data/b.jsonl']);
    expect(statSync(join(dir, 'data/a.jsonl')).size).toBe(statSync(join(dir, 'data/b.jsonl')).size);
    await runJson(join(dir, 'r.ftr'));
    renameSync(join(dir, 'data/a.jsonl'), join(dir, 'data/tmp'));
    renameSync(join(dir, 'data/b.jsonl'), join(dir, 'data/a.jsonl'));
    renameSync(join(dir, 'data/tmp'), join(dir, 'data/b.jsonl'));
    const r = await expectSameAsFresh(dir);
    expect(r.cells.get('docs')!.status).toBe('done');
  });

  it('a data file of a `use`d recipe edited with its mtime put back is seen', async () => {
    const dir = tempProject({
      'r.ftr': `recipe t
use "lib/base.ftr"
cell clean = docs | normalize
export clean | write "out/clean.jsonl"
`,
      'lib/base.ftr': `recipe base
source docs = jsonl "data/a.jsonl"
`,
      'lib/data/a.jsonl': rows(20),
    });
    pinTimes(dir, ['lib/data/a.jsonl']);
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    sameSizeEdit(join(dir, 'lib/data/a.jsonl'), 'number 004', 'number 444');
    const r = await expectSameAsFresh(dir);
    expect(r.cells.get('clean')!.status).toBe('done');
  });

  it('an output file rewritten with the same size and mtime is written again', async () => {
    const dir = tempProject({ 'r.ftr': recipe, 'data/a.jsonl': rows(20) });
    await runJson(join(dir, 'r.ftr'));
    // a cached run records the written file's (whole-millisecond) time; the edit then puts it back
    pinTimes(dir, ['out/clean.jsonl']);
    expect((await runJson(join(dir, 'r.ftr'))).cells.get('clean')!.status).toBe('cached');
    sameSizeEdit(join(dir, 'out/clean.jsonl'), 'about login', 'about LOGIN');
    await expectSameAsFresh(dir);
  });

  it('--frozen hashes contents: a same-size edit with the mtime put back is drift', async () => {
    const dir = tempProject({ 'r.ftr': recipe, 'data/a.jsonl': rows(20) });
    pinTimes(dir, ['data/a.jsonl']);
    await runJson(join(dir, 'r.ftr'));
    expect((await ftr('lock', join(dir, 'r.ftr'))).code).toBe(0);
    sameSizeEdit(join(dir, 'data/a.jsonl'), 'about billing', 'about BILLING');
    const r = await ftr('run', join(dir, 'r.ftr'), '--frozen', '--json');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('input file data/a.jsonl changed');
  });
  it('--frozen sees a lexicon edited with its size and mtime kept (the lock pins files read by params)', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe t\nsource docs = jsonl "data.jsonl"\ncell tagged = docs | bias_detect text dims: [custom] lexicon_file: "terms.json"\n',
      'data.jsonl': rows(5),
      'terms.json': JSON.stringify({ billing: ['billing'] }),
    });
    pinTimes(dir, ['terms.json']);
    expect((await ftr('lock', join(dir, 'r.ftr'))).code).toBe(0);
    expect((await ftr('run', join(dir, 'r.ftr'), '--frozen', '--json')).code).toBe(0);
    sameSizeEdit(join(dir, 'terms.json'), '"billing"]', '"login"]  ');
    const r = await ftr('run', join(dir, 'r.ftr'), '--frozen', '--json');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('file terms.json (read by `lexicon_file`) changed');
  });
});

describe('cache objects are verified when read (#12.4)', () => {
  const recipe = (min: number) => `recipe t
source docs = jsonl "data/*.jsonl"
cell clean = docs | normalize | keep len(text) >= ${min} "too short"
export clean | write "out/clean.jsonl"
`;

  /** The first output object of a cell's last stage, from the run state. */
  function objectOf(dir: string, cell: string): string {
    const state = JSON.parse(readFileSync(join(dir, '.ftr/state/r.ftr.json'), 'utf8'));
    const key: string = state.cells[cell].stages.at(-1).key;
    const entry = JSON.parse(readFileSync(join(dir, '.ftr/actions', key.slice(0, 2), `${key}.json`), 'utf8'));
    const hash: string = Object.values(entry.output.parts as Record<string, { hash: string }[]>).flat()[0].hash;
    return join(dir, '.ftr/objects', hash.slice(0, 2), hash);
  }

  const damages: Record<string, (path: string) => void> = {
    truncated: (p) => truncateSync(p, Math.floor(statSync(p).size / 2)),
    emptied: (p) => writeFileSync(p, ''),
    edited: (p) => writeFileSync(p, readFileSync(p, 'utf8').replace('row number 001', 'row number one')),
    'flipped byte (same size, still JSON)': (p) => writeFileSync(p, readFileSync(p, 'utf8').replace('row number 002', 'row number 992')),
    'flipped byte (same size, not JSON)': (p) => {
      const b = readFileSync(p);
      b[0] = '['.charCodeAt(0);
      writeFileSync(p, b);
    },
    deleted: (p) => rmSync(p),
  };

  for (const [what, damage] of Object.entries(damages)) {
    it(`a ${what} object: the run recomputes and equals --no-cache`, async () => {
      const dir = tempProject({ 'r.ftr': recipe(5), 'data/a.jsonl': rows(30) });
      expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
      damage(objectOf(dir, 'docs'));
      // `clean` must now read the damaged shard of `docs`
      writeFileSync(join(dir, 'r.ftr'), recipe(6));
      const r = await expectSameAsFresh(dir);
      expect(r.code).toBe(0);
      expect(r.cells.get('docs')!.status).toBe('done');
      expect(r.cells.get('clean')!.rowsOut).toBe(30);
      if (what !== 'deleted') expect(r.cells.get('docs')!.notes?.join('\n')).toMatch(/damaged/);
    });
  }

  it('a damaged object that only the preview reads is caught too', async () => {
    // one short row, so `clean`'s shard is not the same object as `docs`'s
    const dir = tempProject({ 'r.ftr': recipe(5), 'data/a.jsonl': rows(30) + '{"text":"ab"}\n' });
    await runJson(join(dir, 'r.ftr'));
    damages['flipped byte (same size, still JSON)'](objectOf(dir, 'clean'));
    const r = await expectSameAsFresh(dir);
    expect(r.cells.get('clean')!.status).toBe('done');
    expect(r.cells.get('clean')!.notes?.join('\n')).toMatch(/damaged/);
  });

  it('`ftr rejects` on a damaged reject shard says so (no stack trace); the next run recomputes it', async () => {
    const dir = tempProject({ 'r.ftr': recipe(5), 'data/a.jsonl': rows(30) + '{"text":"ab"}\n{"text":"cd"}\n' });
    await runJson(join(dir, 'r.ftr'));
    const state = JSON.parse(readFileSync(join(dir, '.ftr/state/r.ftr.json'), 'utf8'));
    const hash: string = state.cells.clean.rejects[0].hash;
    const path = join(dir, '.ftr/objects', hash.slice(0, 2), hash);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"ab"', '"xy"'));
    const r = await ftr('rejects', join(dir, 'r.ftr'), 'clean');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/cache object \w+ is damaged .*run the recipe again/);
    expect(r.err).not.toMatch(/\n\s+at /);
    const again = await runJson(join(dir, 'r.ftr'));
    expect(again.cells.get('clean')!.status).toBe('done');
    const listed = await ftr('rejects', join(dir, 'r.ftr'), 'clean', '--json');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('"ab"');
  });

  it('`ftr cache verify` reports every damaged entry, and the next run does not say cached for them', async () => {
    const dir = tempProject({
      'r.ftr': `recipe t
source a = jsonl "data/a.jsonl"
source b = jsonl "data/b.jsonl"
source c = jsonl "data/c.jsonl"
source d = jsonl "data/d.jsonl"
source e = jsonl "data/e.jsonl"
`,
      ...Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((f, i) => [`data/${f}.jsonl`, rows(10, i * 100)])),
    });
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    const state = JSON.parse(readFileSync(join(dir, '.ftr/state/r.ftr.json'), 'utf8'));
    const entryPath = (cell: string) => {
      const key: string = state.cells[cell].stages[0].key;
      return join(dir, '.ftr/actions', key.slice(0, 2), `${key}.json`);
    };
    damages['flipped byte (same size, still JSON)'](objectOf(dir, 'a'));
    damages.truncated(objectOf(dir, 'b'));
    // an entry edited into another valid entry: its row count and shard no longer its own
    const ec = JSON.parse(readFileSync(entryPath('c'), 'utf8'));
    ec.output.parts.rows[0].rows = 3;
    writeFileSync(entryPath('c'), JSON.stringify(ec));
    truncateSync(entryPath('d'), 20);
    // e's entry now points at a's shard (same size, exists): a wrong hit unless entries are sealed
    const ee = JSON.parse(readFileSync(entryPath('e'), 'utf8'));
    const ea = JSON.parse(readFileSync(entryPath('a'), 'utf8'));
    ee.output = ea.output;
    writeFileSync(entryPath('e'), JSON.stringify(ee));

    const v = await ftr('cache', 'verify', join(dir, 'r.ftr'));
    expect(v.code).not.toBe(0);
    const brokenKeys = ['a', 'b', 'c', 'd', 'e'].map((c) => state.cells[c].stages[0].key.slice(0, 12));
    for (const k of brokenKeys) expect(v.out).toContain(`broken entry ${k}`);

    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.code).toBe(0);
    for (const c of ['a', 'b', 'c', 'd', 'e']) {
      expect(r.cells.get(c)!.status).toBe('done');
      expect(r.cells.get(c)!.rowsOut).toBe(10);
    }
    expect((await ftr('cache', 'verify', join(dir, 'r.ftr'))).code).toBe(0);
  });
});
