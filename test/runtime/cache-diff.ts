/**
 * Helpers for cache-integrity tests: run a recipe with its cache, run a fresh copy of the project
 * with --no-cache, and compare what both wrote byte for byte.
 */
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runJson } from '../helpers.js';

/** Every file under `dir` (links as their target text), skipping the cache. */
export function snapshot(dir: string, skip = ['.ftr']): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (skip.includes(relative(dir, p))) continue;
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

/** The files a run wrote under `outDirs` (relative to the project), as base64. */
export function outputsOf(dir: string, outDirs: string[]): Record<string, string> {
  const all: Record<string, string> = {};
  for (const o of outDirs) {
    if (!existsSync(join(dir, o))) continue;
    for (const [k, v] of Object.entries(snapshot(join(dir, o)))) all[join(o, k)] = v;
  }
  return all;
}

/** A copy of the project without its cache and outputs, run with --no-cache: what a fresh run writes. */
export async function freshOutputs(dir: string, recipe: string, outDirs: string[], extra: string[] = []): Promise<{ code: number; files: Record<string, string> }> {
  const twin = mkdtempSync(join(tmpdir(), 'ftr-fresh-'));
  cpSync(dir, twin, { recursive: true, verbatimSymlinks: true, filter: (src) => !['.ftr', ...outDirs].includes(relative(dir, src)) });
  try {
    const r = await runJson(join(twin, recipe), '--no-cache', ...extra);
    return { code: r.code, files: outputsOf(twin, outDirs) };
  } finally {
    rmSync(twin, { recursive: true, force: true });
  }
}
