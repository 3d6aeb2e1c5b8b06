/**
 * Writing files for sinks: where each part goes, and atomic writes that report the content hash.
 * A file is written to `<dest>.tmp-<pid>`, synced, then renamed over `dest`, so a reader never
 * sees half a file and a killed run leaves no partial output (its temp file is swept next time).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MAIN_PART } from '../../runtime/store.js';

/** Does `path` name a file (ends in `ext`, e.g. `.jsonl`) rather than a folder? */
export function isFilePath(path: string, ext = '.jsonl'): boolean {
  return path.toLowerCase().endsWith(ext.toLowerCase());
}

/** The file name a single dataset gets in a folder: its export cell's name. */
export function datasetFileStem(cell: string): string {
  return cell.replace(/^export:/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Where each part goes: `dir/<part><ext>`, or the named file for a single dataset. */
export function targetsOf(partNames: string[], path: string, cell: string, baseDir: string, ext = '.jsonl'): Record<string, string> {
  const base = resolve(baseDir, path);
  const out: Record<string, string> = {};
  for (const p of partNames) {
    out[p] = isFilePath(path, ext) ? base : join(base, `${p === MAIN_PART ? datasetFileStem(cell) : p}${ext}`);
  }
  return out;
}

/** Partial files of writers that were killed (`<dest>.tmp-<pid>` of a dead pid). */
function sweepStaleTmp(dest: string): void {
  const prefix = `${basename(dest)}.tmp-`;
  for (const name of readdirSync(dirname(dest))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    let alive = pid === process.pid;
    try {
      if (!alive) process.kill(pid, 0);
      alive = true;
    } catch {
      // no such process: its partial file is garbage
    }
    if (!alive) rmSync(join(dirname(dest), name), { force: true });
  }
}

/** Where a writer puts its bytes; strings are written as UTF-8. */
export interface ByteSink {
  write(chunk: string | Uint8Array): Promise<void>;
}

const FLUSH_AT = 1 << 20;

/** A file written to its temp name, waiting to be renamed over its destination (or dropped). */
export interface Prepared<T> {
  sha256: string;
  value: T;
  /** rename the temp file over the destination */
  commit(): void;
  /** remove the temp file, leaving the destination as it was */
  abort(): void;
}

/**
 * Write what `body` puts into the sink to `<dest>.tmp-<pid>` and hash it; `dest` changes only on
 * `commit()`, so several files can be replaced together once all of them are written. If `body`
 * throws, the temp file is removed and the error passes on.
 */
export async function prepareFile<T>(dest: string, body: (out: ByteSink) => Promise<T>): Promise<Prepared<T>> {
  mkdirSync(dirname(dest), { recursive: true });
  sweepStaleTmp(dest);
  const tmp = `${dest}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  const h = createHash('sha256');
  let pending: (string | Uint8Array)[] = [];
  let size = 0;
  const flush = async () => {
    if (!pending.length) return;
    const data = pending.every((c) => typeof c === 'string') ? Buffer.from(pending.join('')) : Buffer.concat(pending.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
    pending = [];
    size = 0;
    h.update(data);
    await fh.write(data);
  };
  const sink: ByteSink = {
    async write(chunk) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= FLUSH_AT) await flush();
    },
  };
  let value: T;
  try {
    value = await body(sink);
    await flush();
    await fh.sync();
  } catch (e) {
    await fh.close();
    rmSync(tmp, { force: true });
    throw e;
  }
  await fh.close();
  return {
    sha256: h.digest('hex'),
    value,
    commit: () => renameSync(tmp, dest),
    abort: () => rmSync(tmp, { force: true }),
  };
}

/** Write `dest` atomically; returns the sha256 of the bytes written and `body`'s result. */
export async function writeAtomic<T>(dest: string, body: (out: ByteSink) => Promise<T>): Promise<{ sha256: string; value: T }> {
  const p = await prepareFile(dest, body);
  p.commit();
  return { sha256: p.sha256, value: p.value };
}

/** Write a whole text file atomically; returns its sha256. */
export async function writeTextFile(dest: string, text: string): Promise<string> {
  return (await writeAtomic(dest, (out) => out.write(text))).sha256;
}
