/**
 * A gradient worker thread (see parallel.ts): its own TensorFlow.js and wasm instance, its own
 * copy of the model. Per request: take the trained variables' values from the shared buffer,
 * compute the shard's loss and gradients with taskLoss, send them back as one flat array.
 */
import { parentPort } from 'node:worker_threads';
import { tf, useBackend } from './tf.js';
import { loadPretrained, type Loaded } from './hf.js';
import { applyStrategy } from './strategy.js';
import { taskLoss } from './finetune.js';
import type { FromWorker, ToWorker } from './parallel.js';

if (!parentPort) throw new Error('grad-worker.js runs as a worker thread (GradientWorkers starts it)');
const port = parentPort;
let model: Loaded | undefined;

const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', async (m: ToWorker) => {
  try {
    if (m.type === 'init') {
      const s = m.setup;
      await useBackend(s.backend);
      model = await loadPretrained(s.baseDir, { task: s.task, labels: s.labels, seed: s.seed });
      if (s.model) {
        Object.assign(model.config, s.model.config);
        model.pooling = s.model.pooling;
      }
      applyStrategy(model, s.strategy, s.seed + 7);
      const trainable = [...model.params.trainableVars()].map(([name, v]) => ({ name, shape: [...v.shape] }));
      send({ type: 'ready', trainable });
      return;
    }
    const t0 = performance.now();
    if (!model) throw new Error('no model loaded');
    const m0 = model;
    const flat = new Float32Array(m.weights);
    // wasm copies a new tensor's values into its heap at once; cpu keeps the array, and the caller
    // rewrites the shared buffer on its next call: a copy
    const copy = tf.getBackend() !== 'wasm';
    const varList = m.layout.map((s) => {
      const v = m0.params.get(s.name);
      const values = copy ? flat.slice(s.offset, s.offset + s.size) : flat.subarray(s.offset, s.offset + s.size);
      tf.tidy(() => v.assign(tf.tensor(values, s.shape, 'float32')));
      return v;
    });
    const { value, grads } = tf.variableGrads(() => taskLoss(m0, m.rows, true, m.seed), varList);
    const total = m.layout.reduce((a, s) => a + s.size, 0);
    const out = new Float32Array(total);
    const present = new Uint8Array(m.layout.length);
    m.layout.forEach((s, i) => {
      const g = grads[varList[i].name];
      if (!g) return;
      out.set(g.dataSync() as Float32Array, s.offset);
      present[i] = 1;
    });
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    send({ type: 'grads', id: m.id, loss, ms: performance.now() - t0, present, grads: out }, [out.buffer]);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ type: 'error', id: m.type === 'grads' ? m.id : undefined, message: err.message, stack: err.stack });
  }
});
