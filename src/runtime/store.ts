/**
 * The content-addressed cache under `.ftr/`:
 *   objects/ab/<sha256>     shard blobs (JSONL), named by their content hash
 *   actions/ab/<key>.json   cache entries: key → preimage + outputs (whole steps, shards, source files)
 *   files.json              (path, size, mtime) → content hash, so unchanged sources are not re-read
 *   state/<recipe>.json     the keys each cell had on its last run (for `explain` and `rejects`)
 *   tmp/                    partial writes; renamed into place only when complete
 * Every write is tmp + fsync + rename, so a crash never leaves an entry that looks complete.
 */
import { accessSync, constants, createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Row } from './events.js';

export interface ShardRef {
  hash: string;
  rows: number;
  bytes: number;
}

/** A dataset is a manifest: ordered shards per part. Single datasets have one part, `rows`. */
export interface Manifest {
  parts: Record<string, ShardRef[]>;
}

export const MAIN_PART = 'rows';

export function manifestHash(m: Manifest): string {
  const h = createHash('sha256');
  for (const name of Object.keys(m.parts).sort()) {
    h.update(`${name}\n`);
    for (const s of m.parts[name]) h.update(`${s.hash}\n`);
  }
  return h.digest('hex');
}

export function manifestRows(m: Manifest): number {
  let n = 0;
  for (const shards of Object.values(m.parts)) for (const s of shards) n += s.rows;
  return n;
}

export class Store {
  readonly tmpDir: string;
  private fileIndex: Record<string, { size: number; mtimeMs: number; hash: string }> | undefined;
  private fileIndexDirty = false;

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
  }

  init(): void {
    try {
      for (const d of ['objects', 'actions', 'state', 'tmp']) mkdirSync(join(this.root, d), { recursive: true });
    } catch (e) {
      // a recursive mkdir under a read-only mount says ENOENT: report the real cause
      let dir = this.root;
      while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
      accessSync(dir, constants.W_OK);
      throw e;
    }
  }

  objectPath(hash: string): string {
    return join(this.root, 'objects', hash.slice(0, 2), hash);
  }

  private actionPath(key: string): string {
    return join(this.root, 'actions', key.slice(0, 2), `${key}.json`);
  }

  tmpPath(): string {
    return join(this.tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** Atomically place `data` at `path` (tmp in the same filesystem, fsync, rename). */
  async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    const tmp = this.tmpPath();
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await mkdir(join(path, '..'), { recursive: true });
    await rename(tmp, path);
  }

  /** Move a finished tmp file into the object store under its hash (idempotent). */
  async commitObject(tmp: string, hash: string): Promise<void> {
    const dest = this.objectPath(hash);
    if (existsSync(dest)) {
      await rm(tmp, { force: true });
      return;
    }
    await mkdir(join(dest, '..'), { recursive: true });
    await rename(tmp, dest);
  }

  async getAction<T>(key: string): Promise<T | undefined> {
    const path = this.actionPath(key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    // last use, for `cache ls` and size-bounded gc; a failed touch (read-only cache) is harmless
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined; // a corrupt entry is a miss, never a wrong hit
    }
  }

  async putAction(key: string, entry: unknown): Promise<void> {
    await this.writeAtomic(this.actionPath(key), JSON.stringify(entry));
  }

  hasObjects(refs: ShardRef[]): boolean {
    return refs.every((r) => existsSync(this.objectPath(r.hash)));
  }

  /** Stream the rows of one shard. */
  async *readShard(ref: ShardRef): AsyncIterable<Row> {
    const rl = createInterface({ input: createReadStream(this.objectPath(ref.hash), { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of rl) {
      if (line) yield JSON.parse(line) as Row;
    }
  }

  /** Content hash of a file, re-read only when its (size, mtime) changed since last time. */
  async fileHash(path: string): Promise<string> {
    const index = this.loadFileIndex();
    const st = await stat(path);
    const hit = index[path];
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.hash;
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    const hash = h.digest('hex');
    index[path] = { size: st.size, mtimeMs: st.mtimeMs, hash };
    this.fileIndexDirty = true;
    return hash;
  }

  private loadFileIndex() {
    if (!this.fileIndex) {
      try {
        this.fileIndex = JSON.parse(readFileSync(join(this.root, 'files.json'), 'utf8'));
      } catch {
        this.fileIndex = {};
      }
    }
    return this.fileIndex!;
  }

  async flush(): Promise<void> {
    if (this.fileIndexDirty && this.fileIndex) {
      await this.writeAtomic(join(this.root, 'files.json'), JSON.stringify(this.fileIndex));
      this.fileIndexDirty = false;
    }
  }

  statePath(recipeId: string): string {
    return join(this.root, 'state', `${recipeId}.json`);
  }

  async readState<T>(recipeId: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.statePath(recipeId), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  async writeState(recipeId: string, state: unknown): Promise<void> {
    await this.writeAtomic(this.statePath(recipeId), JSON.stringify(state, null, 1));
  }

  /**
   * One run at a time per cache: `mkdir` is atomic; the owner file lets a later run see that a
   * crashed owner (same host, dead pid) left the lock behind, and take it over.
   */
  async lock(onWait?: (owner: string) => void): Promise<() => void> {
    const dir = join(this.root, 'lock');
    for (let waited = 0; ; waited++) {
      try {
        mkdirSync(dir);
        await writeFile(join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
        const release = () => rmSync(dir, { recursive: true, force: true });
        return release;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let owner: { pid: number; host: string } | undefined;
        try {
          owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8'));
        } catch {
          // owner file not written yet, or lost in a crash: stale after a grace period
          if (Date.now() - statSync(dir).mtimeMs > 5_000) rmSync(dir, { recursive: true, force: true });
        }
        if (owner && owner.host === hostname() && !alive(owner.pid)) {
          rmSync(dir, { recursive: true, force: true });
          continue;
        }
        if (waited === 0 && owner) onWait?.(`pid ${owner.pid}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Remove partial writes left by runs that no longer exist. */
  async sweepTmp(): Promise<void> {
    const { readdir } = await import('node:fs/promises');
    let names: string[] = [];
    try {
      names = await readdir(this.tmpDir);
    } catch {
      return;
    }
    await Promise.all(
      names.map(async (n) => {
        const pid = Number(n.split('-')[0]);
        if (pid !== process.pid && !alive(pid)) await rm(join(this.tmpDir, n), { force: true, recursive: true });
      }),
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
