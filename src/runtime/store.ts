/**
 * The content-addressed cache under `.ftr/`:
 *   objects/ab/<sha256>     shard blobs (JSONL), named by their content hash
 *   actions/ab/<key>.json   cache entries: key → preimage + outputs (whole steps, shards, source files)
 *   files.json              path → (device, inode, size, mtime, ctime in ns) → content hash, so unchanged
 *                           files are not re-read (see `fileHash` for why this cannot be fooled)
 *   quarantine/             damaged objects and entries, moved out of the way (never used again)
 *   state/<recipe>.json     the keys each cell had on its last run (for `explain` and `rejects`)
 *   tmp/                    partial writes; renamed into place only when complete
 * Every write is tmp + fsync + rename, so a crash never leaves an entry that looks complete.
 */
import { accessSync, constants, createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
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

/** What identifies a file's version without reading it: a change to any of these means "re-hash". */
interface FileIdentity {
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
}

interface FileIndexEntry extends FileIdentity {
  /** when the hash was taken (ms since the epoch): decides whether the entry is racily clean */
  at: number;
  hash: string;
}

/**
 * A file changed within this long before it was hashed may change again with the same timestamps
 * (coarse file-system clocks: 1–2 s on FAT/HFS+/some network file systems): git's "racily clean"
 * rule — such entries are re-hashed until a hash is taken well after the last change.
 */
export const RACY_WINDOW_MS = 3_000;

function identityOf(st: BigIntStats): FileIdentity {
  return { dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

function racy(e: FileIndexEntry, windowMs: number): boolean {
  const changedMs = Number((BigInt(e.mtimeNs) > BigInt(e.ctimeNs) ? BigInt(e.mtimeNs) : BigInt(e.ctimeNs)) / 1_000_000n);
  return changedMs >= e.at - windowMs;
}

/** A cache object whose bytes no longer hash to its name (truncated, edited, emptied, bit rot). */
export class CorruptObjectError extends Error {
  constructor(readonly hash: string, readonly why: string) {
    super(`cache object ${hash.slice(0, 12)} is damaged (${why})`);
  }
}

/** The seal of an action entry: sha256 of its canonical JSON without the seal. */
function sealOf(entry: Record<string, unknown>): string {
  const { sum: _sum, ...rest } = entry;
  return createHash('sha256').update(JSON.stringify(sortKeys(rest))).digest('hex');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/** Whether a parsed action entry is the one `putAction` wrote (not edited, not another entry's). */
export function entrySealed(entry: unknown, key: string): boolean {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return false;
  const e = entry as Record<string, unknown>;
  return e.key === key && typeof e.sum === 'string' && e.sum === sealOf(e);
}

export class Store {
  readonly tmpDir: string;
  private fileIndex: Record<string, FileIndexEntry> | undefined;
  private fileIndexDirty = false;
  /** told when a damaged object or entry was found and dropped (the run shows it under the cell) */
  onDamage?: (message: string) => void;
  /** see RACY_WINDOW_MS */
  racyWindowMs = RACY_WINDOW_MS;

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

  /**
   * Move a finished tmp file into the object store under its hash. Always replaces what is there:
   * the bytes are the same when the object is sound, and a damaged copy nobody read yet is healed.
   */
  async commitObject(tmp: string, hash: string): Promise<void> {
    const dest = this.objectPath(hash);
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
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch {
      entry = undefined;
    }
    // an entry is sealed with its key and a hash of its content: an unreadable, edited or
    // swapped-in entry is a miss (and moved aside), never a wrong hit
    if (!entrySealed(entry, key)) {
      await this.quarantine(path, `entry-${key}`);
      this.onDamage?.(`cache entry ${key.slice(0, 12)} was damaged: dropped and recomputed`);
      return undefined;
    }
    // last use, for `cache ls` and size-bounded gc; a failed touch (read-only cache) is harmless
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return entry as T;
  }

  async putAction(key: string, entry: object): Promise<void> {
    const sealed: Record<string, unknown> = { ...entry, key };
    sealed.sum = sealOf(sealed);
    await this.writeAtomic(this.actionPath(key), JSON.stringify(sealed));
  }

  /** Move a damaged file out of the way (kept for inspection under quarantine/, never read again). */
  async quarantine(path: string, name: string): Promise<void> {
    const dir = join(this.root, 'quarantine');
    await mkdir(dir, { recursive: true }).catch(() => undefined);
    await rename(path, join(dir, `${name}-${Date.now()}`)).catch(() => rm(path, { force: true }).catch(() => undefined));
  }

  /**
   * Whether every object is present with its recorded size (a stat each: cheap). A wrong size is
   * damage: the object is moved aside, so every entry that needs it becomes a miss.
   */
  async hasObjects(refs: ShardRef[]): Promise<boolean> {
    let ok = true;
    for (const r of refs) {
      let size: number;
      try {
        size = (await stat(this.objectPath(r.hash))).size;
      } catch {
        ok = false;
        continue;
      }
      if (size !== r.bytes) {
        await this.dropObject(r.hash, `${size} bytes, expected ${r.bytes}`);
        ok = false;
      }
    }
    return ok;
  }

  /** Quarantine a damaged object and say so. */
  async dropObject(hash: string, why: string): Promise<void> {
    await this.quarantine(this.objectPath(hash), `object-${hash}`);
    this.onDamage?.(`cache object ${hash.slice(0, 12)} was damaged (${why}): dropped and recomputed`);
  }

  /**
   * Stream the rows of one shard, hashing its bytes as they are read: when the hash is not the
   * object's name (damage of any kind, also when the reader stops early), the object is moved
   * aside and `CorruptObjectError` is thrown — rows of a damaged object are never trusted.
   */
  async *readShard(ref: ShardRef): AsyncIterable<Row> {
    const h = createHash('sha256');
    const stream = createReadStream(this.objectPath(ref.hash));
    const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const next = async () => {
      try {
        return await it.next();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CorruptObjectError(ref.hash, 'it is missing');
        throw e;
      }
    };
    const verify = async () => {
      if (h.digest('hex') === ref.hash) return;
      await this.dropObject(ref.hash, 'its content does not match its hash');
      throw new CorruptObjectError(ref.hash, 'its content does not match its hash');
    };
    // The unfinished line is kept as a list of chunk views and joined once, when its newline
    // arrives; only the new chunk is scanned for a newline. (Re-concatenating and copying the
    // carried-over bytes per chunk was quadratic in the line's length: a 50 MB row cost ~40 GB
    // of copies.) Stream chunks are fresh buffers, never reused, so views into them stay valid.
    let pending: Buffer[] = [];
    let parseError: unknown;
    let state: 'reading' | 'done' | 'failed' = 'reading';
    try {
      for (;;) {
        const { value, done } = await next();
        if (done) break;
        h.update(value);
        if (parseError) continue; // keep hashing: damage, or a real bug, is decided at the end
        const rows: Row[] = [];
        let start = 0;
        for (let nl = value.indexOf(10); nl >= 0; nl = value.indexOf(10, start)) {
          const part = value.subarray(start, nl);
          const bytes = pending.length ? Buffer.concat([...pending, part]) : part;
          pending = [];
          start = nl + 1;
          if (!bytes.length) continue;
          try {
            rows.push(JSON.parse(bytes.toString('utf8')) as Row);
          } catch (e) {
            parseError = e;
            break;
          }
        }
        if (!parseError && start < value.length) pending.push(value.subarray(start));
        if (!parseError) for (const r of rows) yield r;
      }
      const rest = parseError || !pending.length ? undefined : Buffer.concat(pending);
      pending = [];
      if (rest?.length) {
        try {
          yield JSON.parse(rest.toString('utf8')) as Row;
        } catch (e) {
          parseError = e;
        }
      }
      state = 'done';
      await verify();
      if (parseError) throw parseError;
    } catch (e) {
      state = 'failed';
      throw e;
    } finally {
      if (state === 'reading') {
        // the reader stopped early (a preview): hash the rest, so damage is still caught
        for (let r = await next(); !r.done; r = await next()) h.update(r.value);
        stream.destroy();
        await verify();
      }
      stream.destroy();
    }
  }

  /**
   * Content hash of a file. Re-read unless its identity — device, inode, size, mtime and ctime in
   * nanoseconds — is the one recorded with the hash: restoring an mtime (cp -p, touch -r, an
   * editor or sync tool) still changes the ctime, which user tools cannot set back, and a `mv`
   * swap changes the inode. Entries taken within RACY_WINDOW_MS of the file's last change are
   * re-hashed (racily clean). `fresh` always reads the file (lock, --frozen).
   */
  async fileHash(path: string, opts: { fresh?: boolean } = {}): Promise<string> {
    const index = this.loadFileIndex();
    const id = identityOf(await stat(path, { bigint: true }));
    const hit = index[path];
    if (!opts.fresh && hit && hit.dev !== undefined && sameIdentity(hit, id) && !racy(hit, this.racyWindowMs)) return hit.hash;
    const at = Date.now();
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    const hash = h.digest('hex');
    // changed while being read: the hash is of no one version, so it is not remembered
    if (sameIdentity(identityOf(await stat(path, { bigint: true })), id)) index[path] = { ...id, at, hash };
    else delete index[path];
    this.fileIndexDirty = true;
    return hash;
  }

  /** The file index, if its seal holds (an edited or half-written index is dropped: files are then re-hashed). */
  private loadFileIndex() {
    if (!this.fileIndex) {
      let text: string | undefined;
      try {
        text = readFileSync(join(this.root, 'files.json'), 'utf8');
      } catch {
        text = undefined;
      }
      this.fileIndex = {};
      if (text !== undefined) {
        let saved: { files?: Record<string, FileIndexEntry>; sum?: string } | undefined;
        try {
          saved = JSON.parse(text);
        } catch {
          saved = undefined;
        }
        if (saved?.files && saved.sum === createHash('sha256').update(JSON.stringify(saved.files)).digest('hex')) this.fileIndex = saved.files;
        else if (saved?.sum !== undefined || !saved) this.onDamage?.('the file index (files.json) was damaged: every file is hashed again');
      }
    }
    return this.fileIndex!;
  }

  async flush(): Promise<void> {
    if (this.fileIndexDirty && this.fileIndex) {
      const files = JSON.stringify(this.fileIndex);
      const sum = createHash('sha256').update(files).digest('hex');
      await this.writeAtomic(join(this.root, 'files.json'), `{"files":${files},"sum":"${sum}"}`);
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
