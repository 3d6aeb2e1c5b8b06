/**
 * Runs a checked graph: cells in dependency order, each cut into stages whose results are
 * looked up in (or written to) the content-addressed store. Emits events; renders nothing.
 */
import { join, relative, resolve } from 'node:path';
import type { Graph, GraphCell, Step } from '../check/graph.js';
import { Drop, OpError, type GlobalOutput, type MapResult, type OpContext, type Params, type RowSet, type RunInfo } from '../ops/types.js';
import type { Listener, Row, RunEvent } from './events.js';
import { keyOf, sha256 } from './hash.js';
import { ftrVersion } from './lockfile.js';
import { describeIoError } from './io-errors.js';
import { redactDeep } from './secrets.js';
import { DEFAULT_SHARD_ROWS, rowSet, ShardWriter } from './shards.js';
import { stagePreimage, stagesOf, stepSeed, type Stage, type StagePreimage } from './stages.js';
import { MAIN_PART, manifestHash, manifestRows, Store, type Manifest, type ShardRef } from './store.js';

export interface RunOptions {
  store: Store;
  emit: Listener;
  signal?: AbortSignal;
  /** recompute everything, ignoring cache hits (results are still stored) */
  noCache?: boolean;
  shardRows?: number;
}

/** What a stage produced; stored as the action entry of its key. */
export interface StageResult {
  preimage: StagePreimage;
  /** rows after each step of the stage, in order */
  funnel?: { step: string; rows: number }[];
  /** keys of the per-file / per-shard entries this result was assembled from (kept alive by gc) */
  subkeys?: string[];
  /** pieces (shards, source files) computed vs reused while producing this result */
  work?: { computed: number; reused: number };
  output: Manifest;
  rejects: ShardRef[];
  dropped: Record<string, number>;
  notes: string[];
  files?: { path: string; sha256: string; rows?: number }[];
}

export interface CellState {
  stages: { key: string; preimage: StagePreimage; op: string }[];
  output: string;
  rejects: ShardRef[];
}

export interface RunState {
  recipe: string;
  cells: Record<string, CellState>;
  /** stage keys of earlier runs (newest first), so `cache gc` keeps what a recent run used */
  history?: { at: string; keys: string[] }[];
  /** stage keys of the run the recipe's lockfile was written after: gc keeps them */
  pinned?: string[];
}

/** How many earlier runs per recipe `cache gc` keeps alive. */
export const KEEP_RUNS = 3;

export interface RunSummary {
  status: 'ok' | 'failed' | 'interrupted';
  counts: { cached: number; done: number; failed: number };
  outputs: { path: string; sha256: string; rows?: number }[];
  cells: Record<string, { manifest: Manifest; cached: boolean }>;
}

export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
  }
}


export function recipeId(graph: Graph): string {
  return relative(graph.baseDir, graph.file).replace(/[^A-Za-z0-9_.-]/g, '_');
}

export async function runGraph(graph: Graph, opts: RunOptions): Promise<RunSummary> {
  const { store } = opts;
  const shardRows = opts.shardRows ?? DEFAULT_SHARD_ROWS;
  const signal = opts.signal ?? new AbortController().signal;
  // resolved secrets never reach a reporter, however an op or an error mentions them
  const emit = (e: RunEvent) => opts.emit(redactDeep(e));
  const started = Date.now();
  const outputs = new Map<string, Manifest>();
  const failed = new Set<string>();
  const counts = { cached: 0, done: 0, failed: 0 };
  const files: RunSummary['outputs'] = [];
  const cellsOut: RunSummary['cells'] = {};
  const previous = await store.readState<RunState>(recipeId(graph));
  const state: RunState = { recipe: graph.recipe, cells: { ...previous?.cells }, history: previous?.history, pinned: previous?.pinned };
  const byName = new Map(graph.cells.map((c) => [c.name, c]));
  const runInfo: RunInfo = {
    recipe: graph.recipe,
    recipeSha256: sha256([...graph.sources.values()].join('\u0000')),
    seed: graph.seed,
    params: graph.params,
    ftrVersion: ftrVersion(),
    cells: [],
  };

  emit({
    v: 1,
    type: 'run-start',
    recipe: graph.recipe,
    file: relative(process.cwd(), graph.file),
    seed: graph.seed,
    cacheDir: relative(process.cwd(), store.root) || '.',
    cells: graph.cells.map((c) => ({ name: c.name, summary: c.summary, prose: c.prose })),
  });
  for (const c of graph.cells) emit({ v: 1, type: 'cell', cell: c.name, status: 'queued' });

  let status: RunSummary['status'] = 'ok';
  for (const name of graph.order) {
    const cell = byName.get(name)!;
    const blocked = cell.deps.find((d) => failed.has(d));
    if (blocked) {
      failed.add(name);
      counts.failed++;
      emit({ v: 1, type: 'cell', cell: name, status: 'failed', error: `not run: \`${blocked}\` failed` });
      continue;
    }
    try {
      const r = await runCell(cell);
      outputs.set(name, r.manifest);
      cellsOut[name] = { manifest: r.manifest, cached: r.cached };
      r.cached ? counts.cached++ : counts.done++;
    } catch (e) {
      if (e instanceof InterruptedError || signal.aborted) {
        status = 'interrupted';
        emit({ v: 1, type: 'cell', cell: name, status: 'failed', error: 'interrupted' });
        break;
      }
      failed.add(name);
      counts.failed++;
      status = 'failed';
      const message = e instanceof OpError ? e.message : describeIoError(e) ?? (e as Error).stack ?? String(e);
      emit({ v: 1, type: 'cell', cell: name, status: 'failed', error: message });
    }
  }
  try {
    await store.flush();
    const keys = Object.values(state.cells).flatMap((c) => c.stages.map((s) => s.key));
    state.history = [{ at: new Date().toISOString(), keys }, ...(state.history ?? [])].slice(0, KEEP_RUNS);
    await store.writeState(recipeId(graph), state);
  } catch (e) {
    // the results are committed; only the bookkeeping for explain/rejects/gc could not be saved
    emit({ v: 1, type: 'log', level: 'error', message: `could not save the run state: ${describeIoError(e) ?? (e as Error).message}` });
    if (status === 'ok') status = 'failed';
  }
  emit({ v: 1, type: 'run-end', status, durationMs: Date.now() - started, counts, outputs: files });
  return { status, counts, outputs: files, cells: cellsOut };

  async function runCell(cell: GraphCell): Promise<{ manifest: Manifest; cached: boolean }> {
    const t0 = Date.now();
    let input: Manifest | undefined = cell.input ? select(outputs.get(cell.input.cell)!, cell.input.part) : undefined;
    const rowsIn = input ? manifestRows(input) : undefined;
    const dropped: Record<string, number> = {};
    const notes: string[] = [];
    const rejects: ShardRef[] = [];
    const stageStates: CellState['stages'] = [];
    let allCached = true;
    let announced = false;
    const work = { computed: 0, reused: 0 };
    const funnel: { step: string; rows: number }[] = [];
    const biasReport: string[] = [];
    let last: StageResult | undefined;
    for (const stage of stagesOf(cell)) {
      const datasets = datasetManifests(stage);
      const preimage = await stagePreimage(graph, cell, stage, input, datasets, store, shardRows);
      if (stage.steps.some((s) => s.op.usesRun?.(s.params))) preimage.run = keyOf(runInfo);
      const key = keyOf(preimage);
      let result = opts.noCache ? undefined : await lookupStage(store, key, stage, cell.baseDir);
      if (!result) {
        if (!announced) {
          emit({ v: 1, type: 'cell', cell: cell.name, status: 'running', rowsIn });
          announced = true;
        }
        allCached = false;
        result = await runStage(cell, stage, preimage, input, datasets);
        await store.putAction(key, result);
        if (result.work) {
          work.computed += result.work.computed;
          work.reused += result.work.reused;
        }
      }
      stageStates.push({ key, preimage, op: stage.steps.map((s) => s.op.name).join('+') });
      for (const [reason, n] of Object.entries(result.dropped)) dropped[reason] = (dropped[reason] ?? 0) + n;
      rejects.push(...result.rejects);
      notes.push(...result.notes);
      if (stage.steps.some((st) => st.op.name === 'bias_report')) biasReport.push(...result.notes);
      funnel.push(...(result.funnel ?? [{ step: stage.steps[0].op.name, rows: manifestRows(result.output) }]));
      if (result.files) files.push(...result.files);
      input = result.output;
      last = result;
    }
    // one example per drop reason, so a reason can be judged without `ftr rejects`
    if (rejects.length) notes.push(...(await rejectExamples(rejects)));
    // where rows went, step by step, when more than one step removed some
    const losing = funnel.filter((f, i) => f.rows < (i === 0 ? rowsIn ?? f.rows : funnel[i - 1].rows));
    if (losing.length > 1) notes.unshift(`funnel: ${rowsIn ?? ''}${funnel.map((f) => ` → ${f.step} ${f.rows.toLocaleString('en-US')}`).join('')}`.replace(/^funnel: → /, 'funnel: '));
    if (work.computed && work.reused) notes.push(`incremental: ${work.computed} piece${work.computed === 1 ? '' : 's'} computed, ${work.reused} reused from the cache`);
    const manifest = last!.output;
    state.cells[cell.name] = { stages: stageStates, output: manifestHash(manifest), rejects };
    const sourceFiles = stageStates.flatMap((s) => s.preimage.files ?? []).map((f) => ({ file: f.label, sha256: f.hash }));
    runInfo.cells.push({
      name: cell.name,
      summary: cell.summary,
      rowsIn,
      rowsOut: manifestRows(manifest),
      parts: cell.schema.parts ? Object.fromEntries(Object.entries(manifest.parts).map(([p, sh]) => [p, sh.reduce((n, x) => n + x.rows, 0)])) : undefined,
      dropped,
      funnel,
      inputs: sourceFiles.length ? sourceFiles : undefined,
      biasReport: biasReport.length ? biasReport : undefined,
    });
    const parts = cell.schema.parts ? Object.fromEntries(Object.entries(manifest.parts).map(([p, s]) => [p, s.reduce((n, x) => n + x.rows, 0)])) : undefined;
    emit({
      v: 1,
      type: 'cell',
      cell: cell.name,
      status: allCached ? 'cached' : 'done',
      rowsIn,
      rowsOut: manifestRows(manifest),
      parts,
      dropped: Object.keys(dropped).length ? dropped : undefined,
      key: stageStates[stageStates.length - 1]?.key,
      durationMs: Date.now() - t0,
      // a sink passes its input through: its preview would repeat the cell it writes
      preview: cell.steps[cell.steps.length - 1].op.kind === 'sink' ? undefined : await preview(manifest),
      notes: notes.length ? notes : undefined,
      shards: work.computed + work.reused ? work : undefined,
      funnel,
    });
    return { manifest, cached: allCached };
  }

  function select(m: Manifest, part?: string): Manifest {
    return part ? { parts: { [MAIN_PART]: m.parts[part] ?? [] } } : m;
  }

  function datasetManifests(stage: Stage): Record<string, Manifest> {
    const out: Record<string, Manifest> = {};
    for (const step of stage.steps) for (const [k, ref] of Object.entries(step.datasets)) out[k] = select(outputs.get(ref.cell)!, ref.part);
    return out;
  }

  function context(cell: GraphCell, step: Step, total: number | undefined): OpContext & { done(): void } {
    const t0 = Date.now();
    let lastEmit = 0;
    let rows = 0;
    return {
      cell: cell.name,
      seed: stepSeed(graph, cell, step),
      baseDir: cell.baseDir,
      schema: step.schema,
      run: runInfo,
      signal,
      memoDir: join(store.root, 'memo'),
      progress(n: number) {
        rows = n;
        const now = Date.now();
        if (now - lastEmit < 100) return;
        lastEmit = now;
        const rate = rows / Math.max(0.001, (now - t0) / 1000);
        emit({ v: 1, type: 'progress', cell: cell.name, rows, total, rate, etaMs: total ? ((total - rows) / Math.max(rate, 1e-9)) * 1000 : undefined });
      },
      log(message: string) {
        emit({ v: 1, type: 'log', cell: cell.name, level: 'info', message });
      },
      done() {
        lastEmit = 0;
        this.progress(rows);
      },
    };
  }

  async function runStage(cell: GraphCell, stage: Stage, preimage: StagePreimage, input: Manifest | undefined, datasets: Record<string, Manifest>): Promise<StageResult> {
    switch (stage.kind) {
      case 'source':
        return runSource(cell, stage.steps[0], preimage);
      case 'map':
        return runMap(cell, stage, preimage, input!);
      case 'global':
        return runGlobal(cell, stage.steps[0], preimage, input, datasets);
      case 'sink':
        return runSink(cell, stage.steps[0], preimage, input!);
    }
  }

  async function runSource(cell: GraphCell, step: Step, preimage: StagePreimage): Promise<StageResult> {
    const op = step.op;
    const inputs = await op.source!.inputs(step.params, { baseDir: cell.baseDir });
    const ctx = context(cell, step, undefined);
    const shards: ShardRef[] = [];
    const rejects: ShardRef[] = [];
    const dropped: Record<string, number> = {};
    const work = { computed: 0, reused: 0 };
    const subkeys: string[] = [];
    let rows = 0;
    for (const [i, inp] of inputs.entries()) {
      // each file is cached on its own, so adding a file to a glob reads only the new file
      const fileKey = keyOf({ v: preimage.v, ops: preimage.ops, cell: cell.name, shardRows, file: preimage.files![i] });
      subkeys.push(fileKey);
      const hit = opts.noCache ? undefined : await store.getAction<{ shards: ShardRef[]; rejects: ShardRef[]; dropped: Record<string, number> }>(fileKey);
      if (hit && store.hasObjects([...hit.shards, ...hit.rejects])) {
        shards.push(...hit.shards);
        rejects.push(...hit.rejects);
        addCounts(dropped, hit.dropped);
        rows += hit.shards.reduce((n, s) => n + s.rows, 0);
        work.reused++;
        continue;
      }
      work.computed++;
      const out = new ShardWriter(store, shardRows);
      const bad = new ShardWriter(store, shardRows);
      const fileDropped: Record<string, number> = {};
      for await (const item of op.source!.read(inp, step.params, ctx)) {
        if (signal.aborted) throw new InterruptedError();
        if ('reject' in item) {
          const r = item.reject;
          await bad.add({ step: op.name, reason: r.reason, detail: r.detail, location: r.location ?? inp.label, raw: r.raw });
          fileDropped[r.reason] = (fileDropped[r.reason] ?? 0) + 1;
          continue;
        }
        const { id, ...fields } = item.row;
        await out.add({ id: id === undefined || id === null || id === '' ? `${inp.label}:${item.line}` : String(id), source: cell.name, ...fields });
        ctx.progress(++rows);
      }
      // the cache key used the file's content hash from before the read: it must still hold
      if ((await store.fileHash(inp.path)) !== preimage.files![i].hash) {
        throw new OpError(`${inp.label} changed while it was being read — nothing from it was kept; run again when it is complete`);
      }
      const entry = { shards: await out.close(), rejects: await bad.close(), dropped: fileDropped };
      await store.putAction(fileKey, entry);
      shards.push(...entry.shards);
      rejects.push(...entry.rejects);
      addCounts(dropped, fileDropped);
    }
    ctx.done();
    return { preimage, output: { parts: { [MAIN_PART]: shards } }, rejects, dropped, notes: [], work, subkeys };
  }

  async function runMap(cell: GraphCell, stage: Stage, preimage: StagePreimage, input: Manifest): Promise<StageResult> {
    const fns = stage.steps.map((s) => ({ name: s.op.name, fn: s.op.map!(s.params, context(cell, s, undefined)) }));
    const ctx = context(cell, stage.steps[0], manifestRows(input));
    const output: Manifest = { parts: {} };
    const rejects: ShardRef[] = [];
    const dropped: Record<string, number> = {};
    const work = { computed: 0, reused: 0 };
    const funnel = stage.steps.map((s) => ({ step: s.op.name, rows: 0 }));
    const subkeys: string[] = [];
    let done = 0;
    for (const [part, shards] of Object.entries(input.parts)) {
      output.parts[part] = [];
      for (const shard of shards) {
        // per-shard entries: an appended shard is the only one computed on the next run
        const shardKey = keyOf({ v: preimage.v, ops: preimage.ops, shard: shard.hash });
        subkeys.push(shardKey);
        type ShardEntry = { out: ShardRef[]; rejects: ShardRef[]; dropped: Record<string, number>; after: number[] };
        let entry = opts.noCache ? undefined : await store.getAction<ShardEntry>(shardKey);
        if (!entry || !store.hasObjects([...entry.out, ...entry.rejects])) {
          work.computed++;
          const out = new ShardWriter(store, Number.MAX_SAFE_INTEGER);
          const bad = new ShardWriter(store, Number.MAX_SAFE_INTEGER);
          const shardDropped: Record<string, number> = {};
          const after = fns.map(() => 0);
          for await (const row of store.readShard(shard)) {
            if (signal.aborted) throw new InterruptedError();
            let rows: Row[] = [row];
            for (const [k, { name, fn }] of fns.entries()) {
              const next: Row[] = [];
              for (const r of rows) {
                const res: MapResult = fn(r);
                if (Array.isArray(res)) next.push(...res);
                else if (res instanceof Drop) {
                  await bad.add({ step: name, reason: res.reason, detail: res.detail, id: r.id, row: r });
                  shardDropped[res.reason] = (shardDropped[res.reason] ?? 0) + 1;
                } else next.push(res);
              }
              rows = next;
              after[k] += rows.length;
              if (!rows.length) break;
            }
            for (const r of rows) await out.add(r);
            ctx.progress(++done);
          }
          entry = { out: await out.close(), rejects: await bad.close(), dropped: shardDropped, after };
          await store.putAction(shardKey, entry);
        } else {
          work.reused++;
          done += shard.rows;
          ctx.progress(done);
        }
        output.parts[part].push(...entry.out);
        rejects.push(...entry.rejects);
        addCounts(dropped, entry.dropped);
        entry.after.forEach((n, k) => (funnel[k].rows += n));
      }
    }
    ctx.done();
    return { preimage, output, rejects, dropped, notes: [], work, funnel, subkeys };
  }

  async function runGlobal(cell: GraphCell, step: Step, preimage: StagePreimage, input: Manifest | undefined, datasets: Record<string, Manifest>): Promise<StageResult> {
    const op = step.op;
    const ctx = context(cell, step, input ? manifestRows(input) : undefined);
    const extra: Record<string, RowSet> = {};
    for (const [k, m] of Object.entries(datasets)) extra[k] = rowSet(store, Object.values(m.parts).flat());
    const writers = new Map<string, ShardWriter>();
    const bad = new ShardWriter(store, shardRows);
    const dropped: Record<string, number> = {};
    const notes: string[] = [];
    const files: { path: string; sha256: string }[] = [];
    const mode = op.global!.parts ?? 'each';
    const declared = mode === 'all' && input ? Object.keys(input.parts) : step.schema.parts;
    if (mode === 'all' && input) for (const [p, shards] of Object.entries(input.parts)) extra[`part:${p}`] = rowSet(store, shards);
    const groups: [string, ShardRef[]][] = !input
      ? [[MAIN_PART, []]]
      : mode === 'each'
        ? Object.entries(input.parts)
        : [[MAIN_PART, Object.values(input.parts).flat()]];
    let emitted = 0;
    for (const [part, shards] of groups) {
      const out: GlobalOutput = {
        async emit(row: Row, target?: string) {
          if (signal.aborted) throw new InterruptedError();
          const name = declared ? target! : part;
          if (declared && !declared.includes(name)) throw new OpError(`${op.name} emitted a row to unknown part ${name}`);
          let w = writers.get(name);
          if (!w) writers.set(name, (w = new ShardWriter(store, shardRows)));
          await w.add(row);
          ctx.progress(++emitted);
        },
        async drop(row: Row, reason: string, detail?: string) {
          await bad.add({ step: op.name, reason, detail, id: row.id, row });
          dropped[reason] = (dropped[reason] ?? 0) + 1;
        },
        note(line: string) {
          notes.push(line);
        },
        async wrote(abs: string) {
          files.push({ path: relative(cell.baseDir, abs), sha256: await store.fileHash(abs) });
        },
      };
      await op.global!.run(rowSet(store, shards), step.params, ctx, out, extra);
    }
    ctx.done();
    const output: Manifest = { parts: {} };
    for (const name of declared ?? groups.map(([p]) => p)) output.parts[name] = writers.has(name) ? await writers.get(name)!.close() : [];
    return { preimage, output, rejects: await bad.close(), dropped, notes, files: files.length ? files : undefined };
  }

  async function runSink(cell: GraphCell, step: Step, preimage: StagePreimage, input: Manifest): Promise<StageResult> {
    const ctx = context(cell, step, manifestRows(input));
    const parts: Record<string, RowSet> = {};
    for (const [p, shards] of Object.entries(input.parts)) parts[p] = rowSet(store, shards);
    const res = await step.op.sink!.write(parts, step.params, ctx);
    const written = res.files.map((f) => ({ ...f, path: relative(cell.baseDir, f.path) }));
    // record the written files in the source-file index, so a cached run checks them cheaply
    for (const f of res.files) await store.fileHash(f.path);
    return {
      preimage,
      output: input,
      rejects: [],
      dropped: {},
      notes: [...(res.notes ?? []), ...written.map((f) => `wrote ${f.path} (${f.rows === undefined ? '' : `${f.rows.toLocaleString('en-US')} rows, `}sha256 ${f.sha256.slice(0, 12)})`)],
      files: written,
    };
  }

  async function rejectExamples(shards: ShardRef[], perReason = 1, maxReasons = 5, scan = 5000): Promise<string[]> {
    const seen = new Map<string, string[]>();
    let n = 0;
    outer: for (const s of shards) {
      for await (const r of store.readShard(s)) {
        if (++n > scan) break outer;
        const reason = String(r.reason);
        const list = seen.get(reason) ?? [];
        if (list.length >= perReason || (!seen.has(reason) && seen.size >= maxReasons)) continue;
        const row = r.row as Row | undefined;
        const shown = typeof row?.text === 'string' ? row.text : r.raw !== undefined ? String(r.raw) : JSON.stringify(row ?? {});
        const where = r.location ?? r.id;
        list.push(`${JSON.stringify(shown.length > 70 ? shown.slice(0, 69) + '…' : shown)}${where ? ` (${String(where)})` : ''}${r.detail ? ` — ${String(r.detail)}` : ''}`);
        seen.set(reason, list);
      }
    }
    return [...seen].map(([reason, ex]) => `e.g. ${reason}: ${ex.join(' · ')}`);
  }

  async function preview(m: Manifest): Promise<Row[]> {
    const rows: Row[] = [];
    for (const shards of Object.values(m.parts)) {
      for (const s of shards) {
        for await (const r of store.readShard(s)) {
          rows.push(r);
          if (rows.length >= 3) return rows;
        }
      }
      if (rows.length) break;
    }
    return rows;
  }
}

/** A stored stage result, if it is complete: its shards present, the files it wrote unchanged. */
export async function lookupStage(store: Store, key: string, stage: Stage, baseDir: string): Promise<StageResult | undefined> {
  const hit = await store.getAction<StageResult>(key);
  if (!hit) return undefined;
  if (stage.kind !== 'sink' && !(await store.hasObjects([...Object.values(hit.output.parts).flat(), ...hit.rejects]))) return undefined;
  // files a sink (or a global op: a tokenizer, a review queue) wrote live outside the cache: rewrite them when someone changed or removed them
  for (const f of hit.files ?? []) {
    try {
      if ((await store.fileHash(resolve(baseDir, f.path))) !== f.sha256) return undefined;
    } catch {
      return undefined;
    }
  }
  return hit;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

export type { Params };
