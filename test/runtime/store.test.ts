import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, deriveSeed, keyOf, prng } from '../../src/runtime/hash.js';
import { CorruptObjectError, Store } from '../../src/runtime/store.js';
import { ShardWriter } from '../../src/runtime/shards.js';
import { ftrSpawn, readJsonl, tempProject } from '../helpers.js';

function store(): Store {
  const s = new Store(mkdtempSync(join(tmpdir(), 'ftr-store-')));
  s.init();
  return s;
}

describe('hashing', () => {
  it('canonical JSON ignores key order and unicode composition', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 'x', c: null }] })).toBe('{"a":[1,{"c":null,"d":"x"}],"b":1}');
    expect(keyOf({ s: 'caf\u00e9' })).toBe(keyOf({ s: 'cafe\u0301' }));
    expect(keyOf({ a: 1, b: 2 })).toBe(keyOf({ b: 2, a: 1 }));
    expect(keyOf({ a: 1 })).not.toBe(keyOf({ a: 2 }));
  });
  it('derived seeds differ per cell and step; the PRNG is reproducible', () => {
    expect(deriveSeed(42, 'a', 0)).not.toBe(deriveSeed(42, 'b', 0));
    expect(deriveSeed(42, 'a', 0)).not.toBe(deriveSeed(42, 'a', 1));
    expect(deriveSeed(42, 'a', 0)).toBe(deriveSeed(42, 'a', 0));
    const a = prng(5);
    const b = prng(5);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('store', () => {
  it('writes shards under their content hash; identical shards are stored once', async () => {
    const s = store();
    const w1 = new ShardWriter(s, 2);
    for (const i of [1, 2, 3]) await w1.add({ i });
    const refs = await w1.close();
    expect(refs.map((r) => r.rows)).toEqual([2, 1]);
    const w2 = new ShardWriter(s, 2);
    for (const i of [1, 2]) await w2.add({ i });
    expect((await w2.close())[0].hash).toBe(refs[0].hash);
    const rows = [];
    for await (const r of s.readShard(refs[0])) rows.push(r);
    expect(rows).toEqual([{ i: 1 }, { i: 2 }]);
    expect(readdirSync(s.tmpDir)).toEqual([]);
  });

  it('rows longer than a read chunk are read whole (multi-byte chars cut at chunk edges), and still verified', async () => {
    const s = store();
    const w = new ShardWriter(s, 10);
    // 3-byte and 4-byte UTF-8 chars: 64 KiB chunk edges fall inside them
    const rows = [{ t: 'é€😀'.repeat(40_000) }, { t: 'small' }, { t: '' }, { t: 'x'.repeat(200_000) + '€' }];
    for (const r of rows) await w.add(r);
    const [ref] = await w.close();
    expect(ref.bytes).toBeGreaterThan(4 * 65536);
    const back = [];
    for await (const r of s.readShard(ref)) back.push(r);
    expect(back).toEqual(rows);
    // damage inside the long first row: the read fails and the object is moved aside
    const path = s.objectPath(ref.hash);
    const bytes = readFileSync(path);
    bytes[100_000] ^= 0x01;
    writeFileSync(path, bytes);
    await expect(async () => {
      for await (const _ of s.readShard(ref)) void _;
    }).rejects.toThrow(CorruptObjectError);
    expect(existsSync(path)).toBe(false);
  });

  /** When `fileHash` last read the file (from the saved index): unchanged = not re-read. */
  async function hashedAt(s: Store, f: string): Promise<number> {
    await s.flush();
    return JSON.parse(readFileSync(join(s.root, 'files.json'), 'utf8')).files[f].at;
  }
  const tick = () => new Promise((r) => setTimeout(r, 5));

  it('hashes a file by content and does not re-read it while its identity is unchanged', async () => {
    const s = store();
    s.racyWindowMs = 0;
    const f = join(s.root, 'x.txt');
    writeFileSync(f, 'aaaa');
    await tick();
    const h1 = await s.fileHash(f);
    const at = await hashedAt(s, f);
    await tick();
    expect(await s.fileHash(f)).toBe(h1);
    expect(await hashedAt(s, f)).toBe(at);
    // `fresh` (lock, --frozen) always reads
    await s.fileHash(f, { fresh: true });
    expect(await hashedAt(s, f)).toBeGreaterThan(at);
  });

  it('a same-size edit with the mtime put back is re-hashed (ctime), as is a file swapped in by mv (inode)', async () => {
    const s = store();
    s.racyWindowMs = 0;
    const f = join(s.root, 'x.txt');
    const g = join(s.root, 'y.txt');
    const mtime = new Date('2026-01-01T00:00:00Z');
    writeFileSync(f, 'aaaa');
    utimesSync(f, mtime, mtime);
    await tick();
    const h1 = await s.fileHash(f);
    writeFileSync(f, 'bbbb');
    utimesSync(f, mtime, mtime);
    expect(await s.fileHash(f)).not.toBe(h1);
    writeFileSync(g, 'cccc');
    utimesSync(g, mtime, mtime);
    await tick();
    const before = await s.fileHash(f);
    renameSync(g, f);
    expect(await s.fileHash(f)).not.toBe(before);
  });

  it('an edited file index is not trusted: its files are hashed again', async () => {
    const s = store();
    s.racyWindowMs = 0;
    const f = join(s.root, 'x.txt');
    const g = join(s.root, 'y.txt');
    writeFileSync(f, 'aaaa');
    writeFileSync(g, 'bbbb');
    await tick();
    const hf = await s.fileHash(f);
    const hg = await s.fileHash(g);
    await s.flush();
    const saved = JSON.parse(readFileSync(join(s.root, 'files.json'), 'utf8'));
    saved.files[g].hash = hf;
    writeFileSync(join(s.root, 'files.json'), JSON.stringify(saved));
    const again = new Store(s.root);
    const damage: string[] = [];
    again.onDamage = (m) => damage.push(m);
    expect(await again.fileHash(g)).toBe(hg);
    expect(damage.join()).toMatch(/file index/);
  });

  it('racily clean: a file hashed within the window after its last change is re-hashed next time', async () => {
    const s = store();
    const f = join(s.root, 'x.txt');
    writeFileSync(f, 'aaaa');
    await s.fileHash(f);
    const at = await hashedAt(s, f);
    await tick();
    await s.fileHash(f);
    expect(await hashedAt(s, f)).toBeGreaterThan(at);
  });

  it('one run at a time: a second lock waits for the first; a dead owner\'s lock is taken over', async () => {
    const s = store();
    const release = await s.lock();
    let second = false;
    const p = s.lock().then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(second).toBe(false);
    release();
    (await p)();
    expect(second).toBe(true);
    // a lock left by a process that no longer exists
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(s.root, 'lock'));
    writeFileSync(join(s.root, 'lock', 'owner.json'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() }));
    const r = await s.lock();
    expect(existsSync(join(s.root, 'lock'))).toBe(true);
    r();
  });
});

describe('concurrent runs on one cache', () => {
  it('both finish, with the same outputs', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ text: `text ${i % 2500}` })).join('\n');
    const dir = tempProject({ 'r.ftr': 'seed 3\nsource d = jsonl "d.jsonl"\ncell u = d | normalize | dedupe\nexport u | split | write "out/"\n', 'd.jsonl': rows });
    const run = () =>
      new Promise<number | null>((resolve) => {
        const c = ftrSpawn(['run', join(dir, 'r.ftr')]);
        c.on('exit', resolve);
      });
    const codes = await Promise.all([run(), run()]);
    expect(codes).toEqual([0, 0]);
    expect(readJsonl(join(dir, 'out/train.jsonl')).length).toBe(2000);
  }, 30_000);
});
