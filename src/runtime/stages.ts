/**
 * A cell's pipeline cut into stages, and each stage's cache-key preimage. Consecutive map steps
 * fuse into one stage (one pass over each shard); sources, global ops and sinks stand alone.
 */
import type { Graph, GraphCell, Step } from '../check/graph.js';
import { deriveSeed } from './hash.js';
import { manifestHash, type Manifest, type Store } from './store.js';
import { matchFiles, pathsOf } from '../core/paths.js';
import { opFingerprint } from './fingerprint.js';
import { FILE_CONCURRENCY, mapLimit } from './limit.js';

/** 2: entries sealed; keys hold code fingerprints, key order of records, files read per shard */
export const CACHE_VERSION = 'ftr-cache/2';

export interface Stage {
  kind: 'source' | 'map' | 'global' | 'sink';
  steps: Step[];
}

export function stagesOf(cell: GraphCell): Stage[] {
  const stages: Stage[] = [];
  for (const step of cell.steps) {
    const last = stages[stages.length - 1];
    if (step.op.kind === 'map' && last?.kind === 'map') last.steps.push(step);
    else stages.push({ kind: step.op.kind, steps: [step] });
  }
  return stages;
}

export function stepSeed(graph: Graph, cell: GraphCell, step: Step): number {
  return deriveSeed(graph.seed, cell.name, step.index);
}

/**
 * The key order of every record inside a value, depth first: canonical JSON sorts keys, but in a
 * record like split's `{ train: 80%, val: 10%, test: 10% }` or a mapping's columns the order is
 * meaning (which part gets which rows, column order), so it enters the key beside the value.
 */
export function keyOrder(value: unknown): string[][] {
  const out: string[][] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
      if (keys.length > 1) out.push(keys);
      for (const k of keys) walk((v as Record<string, unknown>)[k]);
    }
  };
  walk(value);
  return out;
}

/** The key order of each param that holds records with two or more keys; undefined when none does. */
export function paramsOrder(params: Record<string, unknown>): Record<string, string[][]> | undefined {
  const order = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, keyOrder(v)]).filter(([, o]) => o.length));
  return Object.keys(order).length ? order : undefined;
}

/** What a stage computes, independent of its input data: ops, versions, params (with their key order), seeds. */
export function stageSpec(graph: Graph, cell: GraphCell, stage: Stage) {
  return stage.steps.map((s) => ({
    op: s.op.name,
    version: s.op.version,
    params: s.params,
    order: paramsOrder(s.params),
    seed: s.op.random ? stepSeed(graph, cell, s) : undefined,
  }));
}

export interface StagePreimage {
  v: string;
  ops: ReturnType<typeof stageSpec>;
  /** code fingerprint of each step's op (src/runtime/fingerprint.ts) */
  code?: string[];
  /** content hash of the pipeline input */
  input?: string;
  /** content hashes of dataset params */
  datasets?: Record<string, string>;
  /** sources: the files read, by content */
  files?: { label: string; hash: string }[];
  /** files read by non-source steps through path params (eval sets, lexicons, seed documents) */
  reads?: { param: string; label: string; hash: string }[];
  /** for ops that report on the whole run (a dataset card): a hash of the run info */
  run?: string;
  /** sources: the cell name becomes each row's `source` column */
  cell?: string;
  /** what the steps' results depend on beyond their params, resolved now (the backend `auto` trains on) */
  env?: string[];
  shardRows: number;
}

/** The cache-key preimage of a stage given its input data (sources: their files' content hashes). */
export async function stagePreimage(
  graph: Graph,
  cell: GraphCell,
  stage: Stage,
  input: Manifest | undefined,
  datasets: Record<string, Manifest>,
  store: Store,
  shardRows: number,
  offline = false,
): Promise<StagePreimage> {
  const pre: StagePreimage = { v: CACHE_VERSION, ops: stageSpec(graph, cell, stage), shardRows };
  pre.code = await Promise.all(stage.steps.map((s) => opFingerprint(s.op, store)));
  if (input) pre.input = manifestHash(input);
  if (Object.keys(datasets).length) pre.datasets = Object.fromEntries(Object.entries(datasets).map(([k, m]) => [k, manifestHash(m)]));
  // any other file an op reads is part of its result: key it by content, like a source
  const reads: { param: string; label: string; hash: string }[] = [];
  for (const step of stage.steps) {
    if (step.op.kind === 'source') continue;
    for (const spec of step.op.params) {
      const held = pathsOf(spec, step.params[spec.name]);
      if (!held || held.access !== 'read') continue;
      for (const p of held.paths) for (const f of matchFiles(p, cell.baseDir)) reads.push({ param: spec.name, label: f.label, hash: await store.fileHash(f.path) });
    }
  }
  if (reads.length) pre.reads = reads;
  const env = stage.steps.flatMap((s) => s.op.environment?.(s.params) ?? []);
  if (env.length) pre.env = env;
  if (stage.kind === 'source') {
    const step = stage.steps[0];
    const inputs = await step.op.source!.inputs(step.params, { baseDir: cell.baseDir, offline });
    pre.cell = cell.name;
    pre.files = await mapLimit(inputs, FILE_CONCURRENCY, async (i) => ({ label: i.label, hash: await store.fileHash(i.path) }));
  }
  return pre;
}
