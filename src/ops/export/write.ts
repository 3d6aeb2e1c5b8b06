import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { defineOp, type RowSet } from '../types.js';
import { MAIN_PART } from '../../runtime/store.js';

function isFilePath(path: string): boolean {
  return /\.jsonl$/i.test(path);
}

/** Where each part goes: `dir/<part>.jsonl`, or the named file for a single dataset. */
export function targetsOf(partNames: string[], path: string, cell: string, baseDir: string): Record<string, string> {
  const base = resolve(baseDir, path);
  const out: Record<string, string> = {};
  for (const p of partNames) {
    out[p] = isFilePath(path) ? base : join(base, `${p === MAIN_PART ? cell.replace(/^export:/, '').replace(/[^A-Za-z0-9_.-]/g, '_') : p}.jsonl`);
  }
  return out;
}

/** Write rows as JSONL to `dest` atomically; returns the content hash. */
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

async function writeJsonl(rows: RowSet, dest: string, columns?: string[]): Promise<{ sha256: string; rows: number }> {
  mkdirSync(dirname(dest), { recursive: true });
  sweepStaleTmp(dest);
  const tmp = `${dest}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  const h = createHash('sha256');
  let n = 0;
  let buf: string[] = [];
  const flush = async () => {
    const data = buf.join('');
    h.update(data);
    await fh.write(data);
    buf = [];
  };
  try {
    for await (const row of rows.rows()) {
      const out = columns ? Object.fromEntries(columns.map((c) => [c, row[c] ?? null])) : row;
      buf.push(JSON.stringify(out) + '\n');
      if (++n % 5000 === 0) await flush();
    }
    await flush();
    await fh.sync();
  } catch (e) {
    await fh.close();
    rmSync(tmp, { force: true });
    throw e;
  }
  await fh.close();
  renameSync(tmp, dest);
  return { sha256: h.digest('hex'), rows: n };
}

export const write = defineOp({
  name: 'write',
  version: 1,
  kind: 'sink',
  summary: 'write a dataset as JSON Lines: one file per part (train.jsonl, val.jsonl, test.jsonl)',
  doc: '`write "out/"` writes each part of a split to its own file in the folder (a single dataset to `<cell>.jsonl`); `write "out/data.jsonl"` names the file of a single dataset. Files are replaced atomically and their sha256 is reported.',
  params: [
    { name: 'path', type: { kind: 'path', access: 'write' }, required: true, positional: true, doc: 'output folder, or a .jsonl file for a single dataset' },
    { name: 'columns', type: { kind: 'columns' }, doc: 'columns to write, in this order (default: all)' },
  ],
  describe: (p) => `write ${p.path}`,
  schema(ctx) {
    if (ctx.input?.parts && isFilePath(ctx.params.path as string)) {
      ctx.error('path', `a dataset with parts (${ctx.input.parts.join(', ')}) is written to a folder, one file per part`, { help: `write to "${dirname(ctx.params.path as string)}/"` });
    }
    const cols = ctx.params.columns as string[] | undefined;
    return cols ? { ...ctx.input!, columns: ctx.input!.columns.filter((c) => cols.includes(c.name)) } : ctx.input!;
  },
  sink: {
    async write(parts, params, ctx) {
      const targets = targetsOf(Object.keys(parts), params.path as string, ctx.cell, ctx.baseDir);
      const files = [];
      for (const [part, rows] of Object.entries(parts)) {
        const r = await writeJsonl(rows, targets[part], params.columns as string[] | undefined);
        files.push({ path: targets[part], ...r });
      }
      return { files };
    },
  },
});
