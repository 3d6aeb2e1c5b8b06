/**
 * `ftr cache ls | verify | gc`: what the cache holds, whether its objects still hash to their
 * names, and mark-and-sweep collection from the recent runs of every recipe that used it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunState, StageResult } from './executor.js';
import { entrySealed, type ShardRef, type Store } from './store.js';

export interface EntryInfo {
  key: string;
  /** what made it: op chain of a stage, or `shard`/`file` for sub-entries */
  what: string;
  rows: number;
  bytes: number;
  lastUsed: Date;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function* actionFiles(store: Store): AsyncIterable<{ key: string; path: string }> {
  const root = join(store.root, 'actions');
  for (const d of (await listDir(root)).sort()) {
    for (const f of (await listDir(join(root, d))).sort()) {
      if (f.endsWith('.json')) yield { key: f.slice(0, -5), path: join(root, d, f) };
    }
  }
}

async function* objectFiles(store: Store): AsyncIterable<{ hash: string; path: string }> {
  const root = join(store.root, 'objects');
  for (const d of (await listDir(root)).sort()) {
    for (const f of (await listDir(join(root, d))).sort()) yield { hash: f, path: join(root, d, f) };
  }
}

type AnyEntry = Partial<StageResult> & { shards?: ShardRef[]; out?: ShardRef[]; rejects?: ShardRef[] };

/** Every object an entry points at. */
function objectsOf(e: AnyEntry): ShardRef[] {
  return [...(e.output ? Object.values(e.output.parts).flat() : []), ...(e.shards ?? []), ...(e.out ?? []), ...(e.rejects ?? [])];
}

function describeEntry(e: AnyEntry): string {
  if (e.preimage) return e.preimage.ops.map((o) => o.op).join('+');
  if (e.shards) return 'source file';
  return 'shard';
}

export async function listEntries(store: Store): Promise<EntryInfo[]> {
  const out: EntryInfo[] = [];
  for await (const { key, path } of actionFiles(store)) {
    let e: AnyEntry;
    try {
      e = JSON.parse(await readFile(path, 'utf8')) as AnyEntry;
    } catch {
      out.push({ key, what: 'corrupt entry', rows: 0, bytes: 0, lastUsed: (await stat(path)).mtime });
      continue;
    }
    const objs = e.output ? Object.values(e.output.parts).flat() : [...(e.shards ?? []), ...(e.out ?? [])];
    out.push({
      key,
      what: describeEntry(e),
      rows: objs.reduce((n, s) => n + s.rows, 0),
      bytes: objectsOf(e).reduce((n, s) => n + s.bytes, 0),
      lastUsed: (await stat(path)).mtime,
    });
  }
  return out;
}

export interface VerifyReport {
  objects: number;
  corrupt: string[];
  entries: number;
  /** entries pointing at objects that are gone, or unreadable entries */
  broken: string[];
}

/**
 * Re-hash every object and check every entry: sealed (not edited, not another entry's), and every
 * object it points at present, of its recorded size, and not corrupt. What is damaged can never be
 * used correctly, so it is moved to quarantine/ (deleted when `remove`): the next run recomputes
 * it instead of saying `cached`.
 */
export async function verifyCache(store: Store, remove = false): Promise<VerifyReport> {
  const report: VerifyReport = { objects: 0, corrupt: [], entries: 0, broken: [] };
  const drop = (path: string, name: string) => (remove ? rm(path, { force: true }) : store.quarantine(path, name));
  const sizes = new Map<string, number>();
  for await (const { hash, path } of objectFiles(store)) {
    report.objects++;
    const h = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(path)) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    if (h.digest('hex') !== hash) report.corrupt.push(hash);
    else sizes.set(hash, size);
  }
  for await (const { key, path } of actionFiles(store)) {
    report.entries++;
    let e: AnyEntry | undefined;
    try {
      e = JSON.parse(await readFile(path, 'utf8')) as AnyEntry;
    } catch {
      e = undefined;
    }
    if (!e || !entrySealed(e, key) || objectsOf(e).some((o) => sizes.get(o.hash) !== o.bytes)) {
      report.broken.push(key);
      await drop(path, `entry-${key}`);
    }
  }
  for (const hash of report.corrupt) await drop(join(store.root, 'objects', hash.slice(0, 2), hash), `object-${hash}`);
  return report;
}

export interface GcReport {
  roots: number;
  keptEntries: number;
  removedEntries: string[];
  removedObjects: string[];
  freedBytes: number;
  dryRun: boolean;
}

/**
 * Mark from the last runs of every recipe that used this cache (their stage keys and the
 * per-file/per-shard entries those were built from), sweep the rest. Runs on the cache lock.
 */
export async function collectGarbage(store: Store, opts: { dryRun: boolean }): Promise<GcReport> {
  const roots = new Set<string>();
  for (const f of await listDir(join(store.root, 'state'))) {
    try {
      const st = JSON.parse(await readFile(join(store.root, 'state', f), 'utf8')) as RunState;
      for (const c of Object.values(st.cells)) for (const s of c.stages) roots.add(s.key);
      for (const h of st.history ?? []) for (const k of h.keys) roots.add(k);
      for (const k of st.pinned ?? []) roots.add(k);
    } catch {
      // an unreadable state file protects nothing
    }
  }
  const liveEntries = new Set<string>();
  const liveObjects = new Set<string>();
  const mark = async (key: string) => {
    if (liveEntries.has(key)) return;
    const e = await readEntry(store, key);
    if (!e) return;
    liveEntries.add(key);
    for (const o of objectsOf(e)) liveObjects.add(o.hash);
    for (const sub of e.subkeys ?? []) await mark(sub);
  };
  for (const k of roots) await mark(k);
  // rejects of the last runs are listed by `ftr rejects`: keep them too
  for (const f of await listDir(join(store.root, 'state'))) {
    try {
      const st = JSON.parse(await readFile(join(store.root, 'state', f), 'utf8')) as RunState;
      for (const c of Object.values(st.cells)) for (const r of c.rejects) liveObjects.add(r.hash);
    } catch {
      // as above
    }
  }
  const report: GcReport = { roots: roots.size, keptEntries: liveEntries.size, removedEntries: [], removedObjects: [], freedBytes: 0, dryRun: opts.dryRun };
  for await (const { key, path } of actionFiles(store)) {
    if (liveEntries.has(key)) continue;
    report.removedEntries.push(key);
    report.freedBytes += (await stat(path)).size;
    if (!opts.dryRun) await rm(path, { force: true });
  }
  for await (const { hash, path } of objectFiles(store)) {
    if (liveObjects.has(hash)) continue;
    report.removedObjects.push(hash);
    report.freedBytes += (await stat(path)).size;
    if (!opts.dryRun) await rm(path, { force: true });
  }
  return report;
}

async function readEntry(store: Store, key: string): Promise<(AnyEntry & { subkeys?: string[] }) | undefined> {
  try {
    return JSON.parse(await readFile(join(store.root, 'actions', key.slice(0, 2), `${key}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}
