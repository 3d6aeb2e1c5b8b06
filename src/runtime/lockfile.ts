/**
 * `RECIPE.lock`: what a run depends on, pinned — ftr version, resolved params, per cell the ops
 * with versions, params and seeds, and the content hash of every source file. Committed next to
 * the recipe; `ftr run --frozen` refuses to run when anything drifted from it.
 */
import { readFileSync } from 'node:fs';
import type { Graph } from '../check/graph.js';
import { canonicalJson } from './hash.js';
import { paramsOrder, stepSeed } from './stages.js';
import type { Store } from './store.js';
import { FILE_CONCURRENCY, mapLimit } from './limit.js';
import { matchFiles, pathsOf } from '../core/paths.js';

export interface LockCell {
  steps: { op: string; version: number; params: Record<string, unknown>; order?: Record<string, string[][]>; seed?: number }[];
  inputs?: { file: string; sha256: string }[];
  /** files read through path params (lexicons, eval sets, tokenizers), by content */
  reads?: { param: string; file: string; sha256: string }[];
}

export interface Lock {
  lockfile: 1;
  ftr: string;
  recipe: string;
  seed: number;
  params: Record<string, unknown>;
  cells: Record<string, LockCell>;
}

export function ftrVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function buildLock(graph: Graph, store: Store): Promise<Lock> {
  const cells: Record<string, LockCell> = {};
  for (const cell of graph.cells) {
    const entry: LockCell = {
      steps: cell.steps.map((s) => ({ op: s.op.name, version: s.op.version, params: s.params, order: paramsOrder(s.params), seed: s.op.random ? stepSeed(graph, cell, s) : undefined })),
    };
    for (const s of cell.steps) {
      if (s.op.kind !== 'source') {
        for (const spec of s.op.params) {
          const held = pathsOf(spec, s.params[spec.name]);
          if (!held || held.access !== 'read') continue;
          for (const p of held.paths) for (const f of matchFiles(p, cell.baseDir)) (entry.reads ??= []).push({ param: spec.name, file: f.label, sha256: await store.fileHash(f.path, { fresh: true }) });
        }
        continue;
      }
      const inputs = await s.op.source!.inputs(s.params, { baseDir: cell.baseDir, offline: true });
      // a lock pins contents: always read, never trust the file index
      entry.inputs = await mapLimit(inputs, FILE_CONCURRENCY, async (i) => ({ file: i.label, sha256: await store.fileHash(i.path, { fresh: true }) }));
    }
    cells[cell.name] = entry;
  }
  return { lockfile: 1, ftr: ftrVersion(), recipe: graph.recipe, seed: graph.seed, params: graph.params, cells };
}

/** Stable text: keys sorted, two-space indent, so a lock diffs cleanly in review. */
export function lockText(lock: Lock): string {
  return JSON.stringify(JSON.parse(canonicalJson(lock)), null, 2) + '\n';
}

/** Every way `now` differs from `locked`, one line each; empty when they agree. */
export function diffLocks(locked: Lock, now: Lock): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);
  if (locked.ftr !== now.ftr) out.push(`ftr version: ${locked.ftr} → ${now.ftr}`);
  if (locked.seed !== now.seed) out.push(`recipe seed: ${locked.seed} → ${now.seed}`);
  for (const k of new Set([...Object.keys(locked.params), ...Object.keys(now.params)])) {
    if (!same(locked.params[k], now.params[k])) out.push(`param ${k}: ${canonicalJson(locked.params[k] ?? null)} → ${canonicalJson(now.params[k] ?? null)}`);
  }
  for (const name of new Set([...Object.keys(locked.cells), ...Object.keys(now.cells)])) {
    const a = locked.cells[name];
    const b = now.cells[name];
    if (!a) {
      out.push(`cell ${name}: added`);
      continue;
    }
    if (!b) {
      out.push(`cell ${name}: removed`);
      continue;
    }
    const opsA = a.steps.map((s) => s.op).join(' | ');
    const opsB = b.steps.map((s) => s.op).join(' | ');
    if (opsA !== opsB) out.push(`cell ${name}: pipeline ${opsA} → ${opsB}`);
    else {
      b.steps.forEach((s, i) => {
        const o = a.steps[i];
        if (o.version !== s.version) out.push(`cell ${name}: op ${s.op} v${o.version} → v${s.version}`);
        for (const k of new Set([...Object.keys(o.params), ...Object.keys(s.params)])) {
          if (!same(o.params[k], s.params[k])) out.push(`cell ${name}: ${s.op} ${k}: ${canonicalJson(o.params[k] ?? null)} → ${canonicalJson(s.params[k] ?? null)}`);
        }
        for (const k of new Set([...Object.keys(o.order ?? {}), ...Object.keys(s.order ?? {})])) {
          if (!same(o.order?.[k], s.order?.[k]) && same(o.params[k], s.params[k])) out.push(`cell ${name}: ${s.op} ${k}: entries reordered (${(o.order?.[k] ?? []).map((x) => x.join(', ')).join('; ')} → ${(s.order?.[k] ?? []).map((x) => x.join(', ')).join('; ')})`);
        }
        if (o.seed !== s.seed) out.push(`cell ${name}: ${s.op} seed ${o.seed} → ${s.seed}`);
      });
    }
    const filesA = new Map((a.inputs ?? []).map((f) => [f.file, f.sha256]));
    const filesB = new Map((b.inputs ?? []).map((f) => [f.file, f.sha256]));
    for (const [f, h] of filesB) {
      if (!filesA.has(f)) out.push(`cell ${name}: new input file ${f}`);
      else if (filesA.get(f) !== h) out.push(`cell ${name}: input file ${f} changed (sha256 ${filesA.get(f)!.slice(0, 12)} → ${h.slice(0, 12)})`);
    }
    for (const f of filesA.keys()) if (!filesB.has(f)) out.push(`cell ${name}: input file ${f} is gone`);
    const readsA = new Map((a.reads ?? []).map((f) => [`${f.param}\u0000${f.file}`, f.sha256]));
    const readsB = new Map((b.reads ?? []).map((f) => [`${f.param}\u0000${f.file}`, f.sha256]));
    for (const [k, h] of readsB) {
      const [param, f] = k.split('\u0000');
      if (!readsA.has(k)) out.push(`cell ${name}: \`${param}\` reads a new file ${f}`);
      else if (readsA.get(k) !== h) out.push(`cell ${name}: file ${f} (read by \`${param}\`) changed (sha256 ${readsA.get(k)!.slice(0, 12)} → ${h.slice(0, 12)})`);
    }
    for (const k of readsA.keys()) if (!readsB.has(k)) out.push(`cell ${name}: file ${k.split('\u0000')[1]} (read by \`${k.split('\u0000')[0]}\`) is no longer read`);
  }
  return out;
}
