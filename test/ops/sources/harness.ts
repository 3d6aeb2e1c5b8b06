/** Shared by the source tests: run a one-source recipe and read back every row it produced. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl, runJson, tempProject } from '../../helpers.js';

export interface SourceRun {
  code: number;
  dir: string;
  rows: Record<string, unknown>[];
  rowsOut: number;
  dropped: Record<string, number>;
  status?: string;
  error?: string;
  events: Awaited<ReturnType<typeof runJson>>['events'];
}

/** A temp project holding `files`; `source` is the right-hand side of `source s = …`. */
export function project(files: Record<string, string | Buffer> = {}): string {
  return tempProject(files);
}

/** Run `source s = SOURCE` in `dir` (rows exported to out.jsonl so every row can be checked). */
export async function runSource(dir: string, source: string, ...flags: string[]): Promise<SourceRun> {
  writeFileSync(join(dir, 'r.ftr'), `source s = ${source}\nexport s | write "out.jsonl" shuffle: false\n`);
  const r = await runJson(join(dir, 'r.ftr'), ...flags);
  const cell = r.cells.get('s');
  const out = join(dir, 'out.jsonl');
  return {
    code: r.code,
    dir,
    rows: r.code === 0 && existsSync(out) ? readJsonl(out) : [],
    rowsOut: cell?.rowsOut ?? 0,
    dropped: cell?.dropped ?? {},
    status: cell?.status,
    error: cell?.error,
    events: r.events,
  };
}

export const total = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);
