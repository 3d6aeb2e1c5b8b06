/**
 * Runs a checked graph: cells in dependency order, each cut into stages whose results are
 * looked up in (or written to) the content-addressed store. Emits events; renders nothing.
 */
import { join, relative, resolve } from 'node:path';
import type { Graph, GraphCell, Step } from '../check/graph.js';
import { RENAMED_SOURCE } from '../core/row.js';
import { Drop, OpError, type GlobalOutput, type PartsMode, type MapResult, type MetricValue, type OpContext, type Params, type RowSet, type RunInfo } from '../core/op.js';
import type { Listener, Row, RunEvent } from './events.js';
import { keyOf, sha256 } from './hash.js';
import { ftrVersion } from './lockfile.js';
import { describeIoError } from './io-errors.js';
import { redactDeep } from './secrets.js';
import { DEFAULT_SHARD_ROWS, rowSet, ShardWriter } from './shards.js';
import { stagePreimage, stagesOf, stepSeed, type Stage, type StagePreimage } from './stages.js';
import { CorruptObjectError, MAIN_PART, manifestHash, manifestRows, Store, type Manifest, type ShardRef } from './store.js';

export interface RunOptions {
  store: Store;
  emit: Listener;
  signal?: AbortSignal;
  /** recompute everything, ignoring cache hits (results are still stored) */
  noCache?: boolean;
  /** a cell with a warning (a step that removed every row, a column null in every row) fails */
  strict?: boolean;
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
  /** what the stage's ops reported with `metric` (by op; by part when a global op ran per part) */
  metrics?: Record<string, MetricValue>;
  files?: { path: string; sha256: string; rows?: number }[];
  /** sources: declared columns that were null or missing in every row read */
  nullColumns?: string[];
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

  // damaged cache objects and entries found while a cell runs are shown under that cell
  const damage: string[] = [];
  store.onDamage = (message) => damage.push(message);

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
      const r = await runCellVerified(cell);
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
  // a cell re-run after damage was found lists its files again: the last write of a path counts
  const written = [...new Map(files.map((f) => [f.path, f])).values()];
  files.splice(0, files.length, ...written);
  emit({ v: 1, type: 'run-end', status, durationMs: Date.now() - started, counts, outputs: files });
  return { status, counts, outputs: files, cells: cellsOut };

  /**
   * Run a cell; when a cache object it reads turns out damaged (the store moved it aside), re-run
   * the cells whose output held it — their entries now miss — and then this cell again.
   */
  async function runCellVerified(cell: GraphCell): Promise<{ manifest: Manifest; cached: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await runCell(cell);
      } catch (e) {
        if (!(e instanceof CorruptObjectError) || attempt >= 3 || signal.aborted) throw e;
        if (e.why === 'it is missing') damage.push(`cache object ${e.hash.slice(0, 12)} went missing: recomputed`);
        for (const [name, m] of outputs) {
          if (!Object.values(m.parts).some((shards) => shards.some((s) => s.hash === e.hash))) continue;
          const r = await runCellVerified(byName.get(name)!);
          outputs.set(name, r.manifest);
          cellsOut[name] = { manifest: r.manifest, cached: r.cached };
        }
      }
    }
  }

  async function runCell(cell: GraphCell): Promise<{ manifest: Manifest; cached: boolean }> {
    const t0 = Date.now();
    let input: Manifest | undefined = cell.input ? select(outputs.get(cell.input.cell)!, cell.input.part) : undefined;
    const rowsIn = input ? manifestRows(input) : undefined;
    const dropped: Record<string, number> = {};
    const notes: string[] = [];
    const metrics: Record<string, MetricValue> = {};
    const rejects: ShardRef[] = [];
    const stageStates: CellState['stages'] = [];
    let allCached = true;
    let announced = false;
    const work = { computed: 0, reused: 0 };
    const funnel: { step: string; rows: number }[] = [];
    const nullColumns: string[] = [];
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
      // by op name; a second call of the same op in the cell is `name#2`
      for (const [name, m] of Object.entries(result.metrics ?? {})) {
        let k = name;
        for (let n = 2; k in metrics; n++) k = `${name}#${n}`;
        metrics[k] = m;
      }
      if (stage.steps.some((st) => st.op.cardReport)) biasReport.push(...result.notes);
      funnel.push(...(result.funnel ?? [{ step: stage.steps[0].op.name, rows: manifestRows(result.output) }]));
      if (result.files) files.push(...result.files);
      if (result.nullColumns) nullColumns.push(...result.nullColumns);
      input = result.output;
      last = result;
    }
    const warnings = cellWarnings(rowsIn, funnel, nullColumns);
    if (warnings.length && opts.strict) throw new OpError(`${warnings.join('\n')}\n(--strict: a warning fails the cell)`);
    notes.unshift(...warnings.map((w) => `warning: ${w}`));
    // one example per drop reason, so a reason can be judged without `ftr rejects`
    if (rejects.length) notes.push(...(await rejectExamples(rejects)));
    // where rows went, step by step, when more than one step removed some
    const losing = funnel.filter((f, i) => f.rows < (i === 0 ? rowsIn ?? f.rows : funnel[i - 1].rows));
    if (losing.length > 1) notes.unshift(`funnel: ${rowsIn ?? ''}${funnel.map((f) => ` → ${f.step} ${f.rows.toLocaleString('en-US')}`).join('')}`.replace(/^funnel: → /, 'funnel: '));
    if (work.computed && work.reused) notes.push(`incremental: ${work.computed} piece${work.computed === 1 ? '' : 's'} computed, ${work.reused} reused from the cache`);
    const manifest = last!.output;
    // a sink passes its input through: its preview would repeat the cell it writes
    const cellPreview = cell.steps[cell.steps.length - 1].op.kind === 'sink' ? undefined : await preview(manifest);
    notes.push(...damage.splice(0));
    state.cells[cell.name] = { stages: stageStates, output: manifestHash(manifest), rejects };
    const sourceFiles = stageStates.flatMap((s) => s.preimage.files ?? []).map((f) => ({ file: f.label, sha256: f.hash }));
    const runCellInfo: RunInfo['cells'][number] = {
      name: cell.name,
      summary: cell.summary,
      rowsIn,
      rowsOut: manifestRows(manifest),
      parts: cell.schema.parts ? Object.fromEntries(Object.entries(manifest.parts).map(([p, sh]) => [p, sh.reduce((n, x) => n + x.rows, 0)])) : undefined,
      dropped,
      funnel,
      inputs: sourceFiles.length ? sourceFiles : undefined,
      biasReport: biasReport.length ? biasReport : undefined,
    };
    // a cell re-run after damage was found keeps its place in the run info
    const seen = runInfo.cells.findIndex((c) => c.name === cell.name);
    if (seen >= 0) runInfo.cells[seen] = runCellInfo;
    else runInfo.cells.push(runCellInfo);
    const metricsFile = Object.keys(metrics).length ? await writeMetrics(cell.name, metrics) : undefined;
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
      preview: cellPreview,
      notes: notes.length ? notes : undefined,
      warnings: warnings.length ? warnings : undefined,
      metrics: metricsFile ? metrics : undefined,
      metricsFile,
      shards: work.computed + work.reused ? work : undefined,
      funnel,
    });
    return { manifest, cached: allCached };
  }

  /**
   * The cell's metrics as `<cache>/metrics/<recipe id>/<cell>/metrics.json`, beside what the cache
   * keeps of the cell (its state and outputs); written on cached runs too, so it always matches the
   * last run. A file that cannot be written is a warning, not a failed cell.
   */
  async function writeMetrics(name: string, metrics: Record<string, MetricValue>): Promise<string | undefined> {
    const path = join(store.root, 'metrics', recipeId(graph), name, 'metrics.json');
    try {
      await store.writeAtomic(path, JSON.stringify({ cell: name, metrics }, null, 2) + '\n');
      return relative(process.cwd(), path);
    } catch (e) {
      emit({ v: 1, type: 'log', level: 'warn', cell: name, message: `could not write ${path}: ${describeIoError(e) ?? (e as Error).message}` });
      return undefined;
    }
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
    const notes: string[] = [];
    const dropped: Record<string, number> = {};
    const work = { computed: 0, reused: 0 };
    const subkeys: string[] = [];
    const present = new Set<string>();
    let rows = 0;
    for (const [i, inp] of inputs.entries()) {
      // each file is cached on its own, so adding a file to a glob reads only the new file
      const fileKey = keyOf({ v: preimage.v, ops: preimage.ops, code: preimage.code, cell: cell.name, shardRows, file: preimage.files![i] });
      subkeys.push(fileKey);
      const hit = opts.noCache ? undefined : await store.getAction<{ shards: ShardRef[]; rejects: ShardRef[]; dropped: Record<string, number>; present?: string[]; notes?: string[] }>(fileKey);
      if (hit && hit.present && (await store.hasObjects([...hit.shards, ...hit.rejects]))) {
        notes.push(...(hit.notes ?? []));
        shards.push(...hit.shards);
        rejects.push(...hit.rejects);
        notes.push(...(hit.notes ?? []));
        addCounts(dropped, hit.dropped);
        for (const c of hit.present) present.add(c);
        rows += hit.shards.reduce((n, s) => n + s.rows, 0);
        work.reused++;
        continue;
      }
      work.computed++;
      const out = new ShardWriter(store, shardRows);
      const bad = new ShardWriter(store, shardRows);
      const fileDropped: Record<string, number> = {};
      const filePresent = new Set<string>();
      const prov = { skipped: new Map<string, number>(), noted: new Map<string, number>(), dataIds: 0, renamed: 0 };
      for await (const item of op.source!.read(inp, step.params, ctx)) {
        if (signal.aborted) throw new InterruptedError();
        if ('skip' in item) {
          prov.skipped.set(item.skip, (prov.skipped.get(item.skip) ?? 0) + 1);
          continue;
        }
        if ('note' in item) {
          prov.noted.set(item.note, (prov.noted.get(item.note) ?? 0) + 1);
          continue;
        }
        if ('reject' in item) {
          const r = item.reject;
          await bad.add({ step: op.name, reason: r.reason, detail: r.detail, location: r.location ?? inp.label, raw: r.raw });
          fileDropped[r.reason] = (fileDropped[r.reason] ?? 0) + 1;
          continue;
        }
        // provenance never silently replaced: a data `source` is renamed, a data `id` is counted
        const { id, source: dataSource, ...fields } = item.row;
        if (dataSource !== undefined) {
          fields[RENAMED_SOURCE] = dataSource;
          prov.renamed++;
        }
        for (const [k, v] of Object.entries(fields)) if (v !== null && v !== undefined && !filePresent.has(k)) filePresent.add(k);
        const own = id === undefined || id === null || id === '';
        if (!own) prov.dataIds++;
        await out.add({ id: own ? `${inp.label}:${item.line}` : String(id), source: cell.name, ...fields });
        ctx.progress(++rows);
      }
      const fileNotes = [...prov.skipped].map(([what, n]) => `${inp.label}: ${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'} skipped`);
      for (const [what, n] of prov.noted) fileNotes.push(`${inp.label}: ${what}${n > 1 ? ` (${n.toLocaleString('en-US')} times)` : ''}`);
      if (prov.dataIds) fileNotes.push(`${inp.label}: ${prov.dataIds.toLocaleString('en-US')} row id${prov.dataIds === 1 ? '' : 's'} taken from the data's \`id\` field (rows without one: file:line)`);
      if (prov.renamed) fileNotes.push(`${inp.label}: the data's \`source\` field is renamed \`${RENAMED_SOURCE}\` (${prov.renamed.toLocaleString('en-US')} row${prov.renamed === 1 ? '' : 's'}): \`source\` holds the cell that read each row`);
      notes.push(...fileNotes);
      // the cache key used the file's content hash from before the read: it must still hold
      if ((await store.fileHash(inp.path)) !== preimage.files![i].hash) {
        throw new OpError(`${inp.label} changed while it was being read — nothing from it was kept; run again when it is complete`);
      }
      const entry = { shards: await out.close(), rejects: await bad.close(), dropped: fileDropped, present: [...filePresent].sort(), notes: fileNotes };
      await store.putAction(fileKey, entry);
      shards.push(...entry.shards);
      rejects.push(...entry.rejects);
      addCounts(dropped, fileDropped);
      for (const c of filePresent) present.add(c);
    }
    ctx.done();
    const declared = step.schema.columns.map((c) => c.name).filter((c) => c !== 'id' && c !== 'source');
    const nullColumns = rows ? declared.filter((c) => !present.has(c)) : [];
    return { preimage, output: { parts: { [MAIN_PART]: shards } }, rejects, dropped, notes, work, subkeys, nullColumns };
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
        // per-shard entries: an appended shard is the only one computed on the next run; all that
        // the stage's key holds besides its input (files read, code, datasets) is in it too
        const { input: _input, shardRows: _shardRows, ...common } = preimage;
        const shardKey = keyOf({ ...common, shard: shard.hash });
        subkeys.push(shardKey);
        type ShardEntry = { out: ShardRef[]; rejects: ShardRef[]; dropped: Record<string, number>; after: number[] };
        let entry = opts.noCache ? undefined : await store.getAction<ShardEntry>(shardKey);
        if (!entry || !(await store.hasObjects([...entry.out, ...entry.rejects]))) {
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
    const metrics: Record<string, MetricValue> = {};
    const files: { path: string; sha256: string }[] = [];
    const plan = partsPlan(op.global!.parts ?? 'each', input, step);
    if (plan.mode === 'all') for (const [p, shards] of Object.entries(input!.parts)) extra[`part:${p}`] = rowSet(store, shards);
    let emitted = 0;
    const write = async (row: Row, part: string) => {
      let w = writers.get(part);
      if (!w) writers.set(part, (w = new ShardWriter(store, shardRows)));
      await w.add(row);
      ctx.progress(++emitted);
    };
    for (const group of plan.groups) {
      if (group.passThrough) {
        for await (const row of rowSet(store, group.shards).rows()) await write(row, group.part);
        notes.push(`${group.part}: passed through unchanged (apply_to: [${plan.applyTo!.join(', ')}])`);
        continue;
      }
      const tagged = plan.mode === 'across' ? taggedRowSet(store, input!) : rowSet(store, group.shards);
      const out: GlobalOutput = {
        async emit(row: Row, target?: string) {
          if (signal.aborted) throw new InterruptedError();
          await write(row, routeRow(op.name, plan, group.part, row, target));
        },
        async drop(row: Row, reason: string, detail?: string) {
          await bad.add({ step: op.name, reason, detail, id: row.id, row });
          dropped[reason] = (dropped[reason] ?? 0) + 1;
        },
        note(line: string) {
          // one op call per part: say which part a line is about
          notes.push(plan.groups.length > 1 ? `${group.part}: ${line}` : line);
        },
        metric(name: string, value: MetricValue) {
          // an op run once per part reports per part
          if (plan.groups.length > 1 || group.part !== MAIN_PART) ((metrics[group.part] ??= {}) as Record<string, MetricValue>)[name] = value;
          else metrics[name] = value;
        },
        async wrote(abs: string) {
          files.push({ path: relative(cell.baseDir, abs), sha256: await store.fileHash(abs) });
        },
      };
      await op.global!.run(tagged, step.params, ctx, out, extra);
    }
    ctx.done();
    const output: Manifest = { parts: {} };
    for (const name of plan.outParts) output.parts[name] = writers.has(name) ? await writers.get(name)!.close() : [];
    const stray = [...writers.keys()].filter((p) => !plan.outParts.includes(p));
    if (stray.length) throw new Error(`${op.name} emitted rows to ${stray.map((p) => `\`${p}\``).join(', ')}, which the checker did not declare (parts: ${plan.outParts.join(', ')})`);
    return { preimage, output, rejects: await bad.close(), dropped, notes, metrics: Object.keys(metrics).length ? { [op.name]: metrics } : undefined, files: files.length ? files : undefined };
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
      metrics: res.metrics && Object.keys(res.metrics).length ? { [step.op.name]: res.metrics } : undefined,
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

/** Where a global op's rows come from and go to, by its parts mode (see `PartsMode`). */
interface PartsPlan {
  mode: PartsMode;
  /** one op call per group (`passThrough`: copied unchanged, no call) */
  groups: { part: string; shards: ShardRef[]; passThrough?: boolean }[];
  /** the output's parts, in order */
  outParts: string[];
  applyTo?: string[];
}

export function partsPlan(mode: PartsMode, input: Manifest | undefined, step: Step): PartsPlan {
  if (!input) return { mode, groups: [{ part: MAIN_PART, shards: [] }], outParts: step.schema.parts ?? [MAIN_PART] };
  const inParts = Object.keys(input.parts);
  const all = Object.values(input.parts).flat();
  switch (mode) {
    case 'merge':
      return { mode, groups: [{ part: MAIN_PART, shards: all }], outParts: step.schema.parts ?? [MAIN_PART] };
    case 'across':
    case 'all':
    case 'refuse':
      return { mode, groups: [{ part: MAIN_PART, shards: all }], outParts: inParts };
    case 'train': {
      const named = !!step.schema.parts;
      const applyTo = named ? ((step.params.apply_to as string[] | undefined) ?? ['train']) : undefined;
      const groups = Object.entries(input.parts).map(([part, shards]) => ({ part, shards, passThrough: applyTo ? !applyTo.includes(part) : false }));
      return { mode, groups, outParts: inParts, applyTo };
    }
    case 'each':
      return { mode, groups: Object.entries(input.parts).map(([part, shards]) => ({ part, shards })), outParts: inParts };
  }
}

/** The part of a dataset a row was read from, in `across` mode; kept by `{ ...row }` copies, never serialised. */
const PART_OF = Symbol('ftr.part');

/** Every part's rows in part order, each tagged with its part. */
function taggedRowSet(store: Store, input: Manifest): RowSet {
  return {
    count: manifestRows(input),
    async *rows() {
      for (const [part, shards] of Object.entries(input.parts)) {
        for (const s of shards) {
          for await (const row of store.readShard(s)) {
            (row as Record<symbol, unknown>)[PART_OF] = part;
            yield row;
          }
        }
      }
    },
  };
}

/** The part an emitted row goes to. */
function routeRow(op: string, plan: PartsPlan, part: string, row: Row, target: string | undefined): string {
  switch (plan.mode) {
    case 'across': {
      const from = (row as Record<symbol, unknown>)[PART_OF];
      if (typeof from !== 'string') throw new Error(`${op} emitted a row that was not read from its input (parts mode \`across\` routes each row to the part it came from)`);
      return from;
    }
    case 'all':
    case 'merge':
      if (target !== undefined) return target;
      if (plan.outParts.length === 1) return plan.outParts[0];
      throw new Error(`${op} emitted a row without naming one of the parts ${plan.outParts.join(', ')}`);
    default:
      return part;
  }
}

/** What a cell did that is probably not what its recipe meant: shown under it, an error with --strict. */
function cellWarnings(rowsIn: number | undefined, funnel: { step: string; rows: number }[], nullColumns: string[]): string[] {
  const out: string[] = [];
  for (const c of nullColumns) out.push(`\`${c}\` is null in every row read — check the field it is read from`);
  funnel.forEach((f, i) => {
    const before = i === 0 ? rowsIn : funnel[i - 1].rows;
    if (before && f.rows === 0) out.push(`\`${f.step}\` removed every row (${before.toLocaleString('en-US')} → 0)`);
  });
  return out;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

export type { Params };
