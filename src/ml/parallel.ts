/**
 * Data-parallel gradients across cores. The wasm backend is single-threaded in Node (one
 * process, one core), so each micro-batch is split into contiguous shards, one per worker thread
 * (each with its own wasm instance and its own copy of the model) and optionally one for the
 * calling thread; the shards' gradients are combined, weighted by each shard's share of the
 * loss weight, in shard order. The split and the sums are fixed, so a run gives the same bits
 * every time; with dropout off it gives the single-process gradients up to float rounding.
 *
 * Every call sends the current values of the trained variables (one shared buffer all workers
 * read), so workers never hold stale weights and a checkpoint restore or early-stopping rollback
 * needs no extra care.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { tf, type BackendChoice } from './tf.js';
import { IGNORE, type Example } from './data.js';
import type { ModelConfig } from './config.js';
import type { Pooling, Task, Transformer } from './model.js';
import type { StrategySpec } from './strategy.js';

/**
 * What the caller changed on its model after loading it (dropout, pooling): a worker copies
 * these onto its own copy rather than re-deriving them, so the two cannot drift apart.
 */
export interface ModelSettings {
  config: ModelConfig;
  pooling: Pooling;
}

export function modelSettings(model: Transformer): ModelSettings {
  return { config: { ...model.config }, pooling: model.pooling };
}

/** What a worker needs to build the same model as the calling thread. */
export interface WorkerSetup {
  baseDir: string;
  task: Task;
  labels: string[];
  strategy: StrategySpec;
  /** the run's seed: fresh head weights (loadPretrained) and strategy weights (seed + 7), as runFinetune */
  seed: number;
  /** the caller model's settings (`modelSettings(model)`); without them the worker keeps the loaded ones */
  model?: ModelSettings;
  /** a concrete backend (wasm or cpu); the calling thread's resolved choice */
  backend: BackendChoice;
}

/** The loss of a shard on the calling thread's own model (whose variables are the ones trained). */
export type LocalLoss = (rows: Example[], seed: number) => tf.Scalar;

export interface StartOptions {
  /** compute the first shard on the calling thread with this loss: n workers then make n + 1 shards */
  local?: LocalLoss;
}

/** Cumulative timings (ms) of `gradients` calls, for benchmarks. */
export interface ParallelStats {
  calls: number;
  /** reading the trained variables into the shared buffer */
  sendMs: number;
  /** the calling thread's own shard */
  localMs: number;
  /** waiting for workers after the local shard (all of the call's compute when there is none) */
  waitMs: number;
  /** weighting and summing the shards' gradients, making tensors */
  combineMs: number;
  /** per worker: loading the weights, forward + backward, reading the gradients */
  workerMs: number[];
  /** bytes of variable values written per call */
  bytesPerCall: number;
}

/** Worker → main messages. */
export type FromWorker =
  | { type: 'ready'; trainable: { name: string; shape: number[] }[] }
  | { type: 'grads'; id: number; loss: number; ms: number; present: Uint8Array; grads: Float32Array }
  | { type: 'error'; id?: number; message: string; stack?: string };

/** Main → worker messages. */
export type ToWorker =
  | { type: 'init'; setup: WorkerSetup }
  | { type: 'grads'; id: number; weights: SharedArrayBuffer; layout: Slot[]; rows: Example[]; seed: number };

/** Where a variable's values sit in the flat buffers. */
export interface Slot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/**
 * The worker script: compiled JavaScript next to this module, or — when this module runs from
 * sources (vitest, tsx) — the build in dist/.
 */
export function workerScript(): URL {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../../dist/ml/grad-worker.js', here) : new URL('./grad-worker.js', here);
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`parallel training: the worker script ${fileURLToPath(url)} is missing — worker threads run the compiled JavaScript, build it with \`npm run build\``);
  }
  return url;
}

/** Shard i's dropout seed: shard 0 keeps the micro-batch's, so one shard is the plain single-process step. */
export function shardSeed(seed: number, shard: number): number {
  if (shard === 0) return seed >>> 0;
  let h = Math.imul((seed ^ 0x85ebca6b) >>> 0, 0xcc9e2d51);
  h = Math.imul(h ^ shard ^ (h >>> 15), 0x1b873593);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Contiguous shards of `n` rows over `k` parts, the first n mod k one row longer. */
export function shardBounds(n: number, k: number): [number, number][] {
  const base = Math.floor(n / k);
  const extra = n % k;
  const out: [number, number][] = [];
  let a = 0;
  for (let i = 0; i < k; i++) {
    const len = base + (i < extra ? 1 : 0);
    out.push([a, a + len]);
    a += len;
  }
  return out;
}

/** The denominator of taskLoss's weighted mean: Σ row weight over the scored targets. */
export function lossWeight(rows: Example[]): number {
  let total = 0;
  for (const e of rows) {
    const w = Math.fround(e.weight);
    const per = e.targets ?? e.tags;
    if (!per) {
      total += w;
      continue;
    }
    for (const t of per) if (t !== IGNORE) total += w;
  }
  return total;
}

/** The dropout seed taskLoss receives (runFinetune's `dropoutSeed`). */
const lossSeed = (seed: number) => seed % 1_000_000;

interface Pending {
  resolve(m: Extract<FromWorker, { type: 'grads' }>): void;
  reject(e: Error): void;
}

class WorkerHandle {
  readonly pending = new Map<number, Pending>();
  dead?: Error;
  closing = false;
  ready?: { resolve(t: { name: string; shape: number[] }[]): void; reject(e: Error): void };

  constructor(
    readonly index: number,
    readonly worker: Worker,
  ) {
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => this.fail(new Error(`gradient worker ${index} crashed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`gradient worker ${index} exited (code ${code})`));
    });
  }

  private onMessage(m: FromWorker) {
    if (m.type === 'ready') {
      this.ready?.resolve(m.trainable);
      this.ready = undefined;
    } else if (m.type === 'grads') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
    } else {
      const err = new Error(`gradient worker ${this.index}: ${m.message}`);
      if (m.stack) err.stack = `${err.message}\n  (in the worker) ${m.stack}`;
      if (m.id === undefined) {
        if (this.ready) {
          this.ready.reject(err);
          this.ready = undefined;
        } else this.fail(err);
        return;
      }
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.reject(err);
    }
  }

  fail(e: Error) {
    this.dead ??= e;
    this.ready?.reject(e);
    this.ready = undefined;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  post(m: ToWorker) {
    this.worker.postMessage(m);
  }
}

let nextId = 1;

export class GradientWorkers {
  private weights?: SharedArrayBuffer;
  private checked?: Map<string, tf.Variable>;
  private closed = false;
  private busy = false;
  readonly stats: ParallelStats;

  private constructor(
    private readonly handles: WorkerHandle[],
    private readonly trainable: { name: string; shape: number[] }[],
    private readonly local?: LocalLoss,
  ) {
    this.stats = { calls: 0, sendMs: 0, localMs: 0, waitMs: 0, combineMs: 0, workerMs: handles.map(() => 0), bytesPerCall: 0 };
  }

  /** Shards per micro-batch: the workers, plus the calling thread when it computes one. */
  get shards(): number {
    return this.handles.length + (this.local ? 1 : 0);
  }

  /**
   * Spawn `n` worker threads, each loading the model of `setup`; resolves once all are ready
   * (or rejects with the first failure, the others terminated).
   */
  static async start(n: number, setup: WorkerSetup, opts: StartOptions = {}): Promise<GradientWorkers> {
    if (!Number.isInteger(n) || n < 0 || (n === 0 && !opts.local)) throw new Error(`parallel training: ${n} workers`);
    if (setup.backend === 'tensorflow' || setup.backend === 'auto') throw new Error(`parallel training: workers need a concrete embedded backend (wasm or cpu), not ${setup.backend}`);
    const script = n ? workerScript() : undefined;
    const handles = Array.from({ length: n }, (_, i) => new WorkerHandle(i, new Worker(script!, { name: `ftr-grad-${i}` })));
    const ready = handles.map(
      (s) =>
        new Promise<{ name: string; shape: number[] }[]>((resolve, reject) => {
          s.ready = { resolve, reject };
          s.post({ type: 'init', setup });
        }),
    );
    const abort = async (e: unknown): Promise<never> => {
      for (const h of handles) h.closing = true;
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw e;
    };
    const settled = await Promise.allSettled(ready);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) return abort((failed as PromiseRejectedResult).reason);
    const lists = settled.map((r) => (r as PromiseFulfilledResult<{ name: string; shape: number[] }[]>).value);
    const key = (l: { name: string; shape: number[] }[]) => l.map((t) => `${t.name}:${t.shape.join('x')}`).join(',');
    for (let i = 1; i < lists.length; i++) {
      if (key(lists[i]) !== key(lists[0])) return abort(new Error(`parallel training: workers 0 and ${i} train different variables`));
    }
    return new GradientWorkers(handles, lists[0] ?? [], opts.local);
  }

  /**
   * The weighted mean loss of `rows` and its gradients for `vars` (the calling thread's trained
   * variables, whose current values the workers receive), keyed by the names of `vars` in sorted
   * order. `ctx.seed` seeds dropout (per shard).
   */
  async gradients(rows: Example[], ctx: { seed: number }, vars: Map<string, tf.Variable>): Promise<{ loss: number; grads: Map<string, tf.Tensor> }> {
    if (this.closed) throw new Error('parallel training: the gradient workers are closed');
    if (this.busy) throw new Error('parallel training: gradients() called again before the previous call finished');
    const gone = this.handles.find((s) => s.dead);
    if (gone) throw gone.dead!;
    this.busy = true;
    try {
      return await this.compute(rows, ctx, vars);
    } finally {
      this.busy = false;
    }
  }

  private layoutOf(vars: Map<string, tf.Variable>): Slot[] {
    const names = [...vars.keys()].sort();
    let offset = 0;
    return names.map((name) => {
      const v = vars.get(name)!;
      const slot = { name, shape: [...v.shape], offset, size: v.size };
      offset += v.size;
      return slot;
    });
  }

  private check(layout: Slot[], vars: Map<string, tf.Variable>) {
    if (this.checked === vars) return;
    if (this.handles.length) {
      const theirs = new Map(this.trainable.map((t) => [t.name, t.shape.join('x')]));
      for (const s of layout) {
        const shape = theirs.get(s.name);
        if (shape === undefined) throw new Error(`parallel training: the workers' model does not train \`${s.name}\` (another base, task or strategy — or a dist/ build older than the sources?)`);
        if (shape !== s.shape.join('x')) throw new Error(`parallel training: \`${s.name}\` is [${s.shape}] here, [${shape.split('x')}] in the workers`);
      }
      if (theirs.size !== layout.length) throw new Error(`parallel training: the workers train ${theirs.size} variables, the caller ${layout.length}`);
    }
    this.checked = vars;
  }

  private async compute(rows: Example[], ctx: { seed: number }, vars: Map<string, tf.Variable>) {
    const layout = this.layoutOf(vars);
    this.check(layout, vars);
    const total = layout.reduce((a, s) => a + s.size, 0);
    const k = this.shards;
    const bounds = shardBounds(rows.length, k);
    const shardRows = bounds.map(([a, b]) => rows.slice(a, b));
    const weights = shardRows.map(lossWeight);
    const W = weights.reduce((a, b) => a + b, 0);
    const firstWorkerShard = this.local ? 1 : 0;
    const st = this.stats;
    st.calls++;

    // 1. the trained variables' current values, once, into the buffer every worker reads
    let t = performance.now();
    const needWorkers = weights.some((w, s) => s >= firstWorkerShard && w > 0);
    if (needWorkers) {
      if (!this.weights || this.weights.byteLength !== total * 4) this.weights = new SharedArrayBuffer(total * 4);
      const flat = new Float32Array(this.weights);
      for (const s of layout) flat.set(vars.get(s.name)!.dataSync() as Float32Array, s.offset);
      st.bytesPerCall = total * 4;
    }
    st.sendMs += performance.now() - t;

    // 2. the workers' shards, posted before the local shard so they run alongside it
    const replies: (Promise<Extract<FromWorker, { type: 'grads' }>> | undefined)[] = bounds.map(() => undefined);
    for (let s = firstWorkerShard; s < k; s++) {
      if (!(weights[s] > 0)) continue;
      const handle = this.handles[s - firstWorkerShard];
      const id = nextId++;
      replies[s] = new Promise((resolve, reject) => {
        if (handle.dead) return reject(handle.dead);
        handle.pending.set(id, { resolve, reject });
        handle.post({ type: 'grads', id, weights: this.weights!, layout, rows: shardRows[s], seed: lossSeed(shardSeed(ctx.seed, s)) });
      });
    }

    // 3. the local shard, on this thread
    t = performance.now();
    let local: { loss: number; grads: (Float32Array | undefined)[] } | undefined;
    let localError: unknown;
    if (this.local && weights[0] > 0) {
      try {
        const varList = layout.map((s) => vars.get(s.name)!);
        const { value, grads } = tf.variableGrads(() => this.local!(shardRows[0], lossSeed(shardSeed(ctx.seed, 0))), varList);
        local = { loss: (await value.data())[0], grads: varList.map((v) => grads[v.name]?.dataSync() as Float32Array | undefined) };
        tf.dispose([value, ...Object.values(grads)]);
      } catch (e) {
        localError = e;
      }
    }
    st.localMs += performance.now() - t;

    // 4. every worker's reply (all settle before anything throws: none may still read the buffer)
    t = performance.now();
    const settled = await Promise.allSettled(replies.map((p) => p ?? Promise.resolve(undefined)));
    st.waitMs += performance.now() - t;
    if (localError) throw localError;
    const bad = settled.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (bad) throw bad.reason;

    // 5. Σ (Wₛ / W) · gₛ, shards in order, accumulated in float64
    t = performance.now();
    const parts: { share: number; loss: number; grad(i: number): Float32Array | undefined }[] = [];
    bounds.forEach((_, s) => {
      if (!(weights[s] > 0)) return;
      const share = weights[s] / W;
      if (s === 0 && local) {
        const l = local;
        parts.push({ share, loss: l.loss, grad: (i) => l.grads[i] });
        return;
      }
      const r = (settled[s] as PromiseFulfilledResult<Extract<FromWorker, { type: 'grads' }>>).value;
      st.workerMs[s - firstWorkerShard] += r.ms;
      parts.push({ share, loss: r.loss, grad: (i) => (r.present[i] ? r.grads.subarray(layout[i].offset, layout[i].offset + layout[i].size) : undefined) });
    });
    let loss = 0;
    for (const p of parts) loss += p.share * p.loss;
    const grads = new Map<string, tf.Tensor>();
    let scratch = new Float64Array(0);
    layout.forEach((slot, i) => {
      const present = parts.filter((p) => p.grad(i));
      // no shard reached the variable: no gradient, as tf.variableGrads gives none (no shard had any loss weight: zeros)
      if (!present.length && parts.length) return;
      if (present.length === 1 && present[0].share === 1) {
        grads.set(slot.name, tf.tensor(present[0].grad(i)!, slot.shape, 'float32'));
        return;
      }
      if (scratch.length < slot.size) scratch = new Float64Array(slot.size);
      const acc = scratch.subarray(0, slot.size);
      acc.fill(0);
      for (const p of present) {
        const g = p.grad(i)!;
        const w = p.share;
        for (let j = 0; j < slot.size; j++) acc[j] += w * g[j];
      }
      grads.set(slot.name, tf.tensor(new Float32Array(acc), slot.shape, 'float32'));
    });
    st.combineMs += performance.now() - t;
    return { loss, grads };
  }

  /** Terminate the workers (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.handles) s.closing = true;
    await Promise.all(this.handles.map((s) => s.worker.terminate()));
  }
}
