/**
 * TensorFlow.js's gradient computation (Engine.gradients), freeing as it goes. tfjs keeps the
 * gradient of every intermediate, and every tensor the forward pass saved for the backward, until
 * the whole backward pass is done: on a transformer step that is as much memory again as the
 * forward pass. Here a node's output gradients and saved tensors are freed once the node has
 * been processed — the same arithmetic in the same order, so the same gradients.
 * Installed by `leanGradients()` (tf.ts, once per process); higher-order gradients (a gradient
 * of a gradient) keep tfjs's own bookkeeping.
 */
import type * as TF from '@tensorflow/tfjs';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, TF.Tensor>;
  outputs: TF.Tensor[];
  gradient?: (dys: (TF.Tensor | null)[]) => Record<string, () => TF.Tensor>;
  saved?: TF.Tensor[];
}

/** tfjs-core's getFilteredNodesXToY (tape.ts): the nodes on a path from an x to y, inputs pruned to those from x. */
function filterTape(tape: TapeNode[], xs: TF.Tensor[], y: TF.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      node.outputs.forEach((o) => fromX.add(o.id));
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const t of Object.values(node.inputs)) toY.add(t.id);
      nodesToY.add(node.id);
    }
  }
  return tape
    .filter((n) => nodesFromX.has(n.id) && nodesToY.has(n.id))
    .map((n) => ({ ...n, inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))), outputs: n.outputs }));
}

/**
 * tfjs-core's backpropagateGradients, plus: a gradient tensor may sit under several tensor ids
 * (an Add's gradient is dy for both inputs), so each is counted and disposed when its last
 * entry is spent; `keep` are the ids whose gradients the caller reads.
 */
function backprop(tf: typeof TF, grads: Map<number, TF.Tensor>, tape: TapeNode[], keep: Set<number>, freeSaved: boolean): void {
  const refs = new Map<TF.Tensor, number>();
  const hold = (t: TF.Tensor) => refs.set(t, (refs.get(t) ?? 0) + 1);
  const release = (t: TF.Tensor) => {
    const n = (refs.get(t) ?? 1) - 1;
    if (n > 0) refs.set(t, n);
    else {
      refs.delete(t);
      t.dispose();
    }
  };
  for (const g of grads.values()) hold(g);
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGradients = node.gradient(dys);
    for (const [name, x] of Object.entries(node.inputs)) {
      if (!(name in inputGradients)) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
      const dx = tf.tidy(() => inputGradients[name]());
      if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
      if (!tf.util.arraysEqual(dx.shape, x.shape)) throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
      const cur = grads.get(x.id);
      if (cur === undefined) {
        grads.set(x.id, dx);
        hold(dx);
      } else {
        const sum = tf.add(cur, dx);
        grads.set(x.id, sum);
        hold(sum);
        release(cur);
        // dx was used only in the sum (unless it is held elsewhere, as the same tensor)
        if (!refs.has(dx)) dx.dispose();
      }
    }
    // this node's output gradients are spent, and so is what it saved for its backward step
    for (const o of node.outputs) {
      const g = grads.get(o.id);
      if (g && !keep.has(o.id)) {
        grads.delete(o.id);
        release(g);
      }
    }
    if (freeSaved) for (const t of node.saved ?? []) t.dispose();
  }
}

/** Replace the engine's `gradients` by the freeing version above (idempotent). */
export function leanGradients(tf: typeof TF): void {
  const engine = tf.engine() as unknown as Record<string, unknown> & { state: { activeTape: TapeNode[] | null; gradientDepth: number }; __ftrLean?: boolean };
  if (engine.__ftrLean) return;
  engine.__ftrLean = true;
  const scopedRun = (engine.scopedRun as (a: () => void, b: () => void, f: () => unknown) => unknown).bind(engine);
  const startTape = (engine.startTape as () => void).bind(engine);
  const endTape = (engine.endTape as () => void).bind(engine);
  const tidy = (engine.tidy as (name: string, f: () => unknown) => unknown).bind(engine);
  engine.gradients = (f: () => TF.Tensor, xs: TF.Tensor[], dy?: TF.Tensor, allowNoGradients = false) => {
    tf.util.assert(xs.length > 0, () => 'gradients() received an empty list of xs.');
    if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = scopedRun(startTape, endTape, () => tidy('forward', f)) as TF.Tensor;
    tf.util.assert(y instanceof tf.Tensor, () => 'The result y returned by f() must be a tensor.');
    const tape = filterTape(engine.state.activeTape ?? [], xs, y);
    if (!allowNoGradients && tape.length === 0 && xs.length > 0) throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.');
    return tidy('backward', () => {
      const grads = new Map<number, TF.Tensor>([[y.id, dy ?? tf.ones(y.shape)]]);
      const outer = engine.state.gradientDepth === 0;
      // the caller's dy is theirs; the xs' gradients are the result
      const keep = new Set(xs.map((x) => x.id));
      if (dy != null) keep.add(y.id);
      backprop(tf, grads, tape, keep, outer);
      const result = xs.map((x) => grads.get(x.id));
      if (outer) {
        for (const node of engine.state.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
        engine.state.activeTape = null;
      }
      return { value: y, grads: result };
    });
  };
}
