/**
 * The TensorFlow.js runtime ftr trains with: tfjs plus the wasm (default) and pure-JS cpu
 * backends, the native `tensorflow` backend (tfjs-node / tfjs-node-gpu) when the user has it
 * installed, and the kernels tfjs lacks or runs badly that training needs.
 */
// the umbrella package: tfjs-core's own Node bundle leaves out the gradient definitions
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { findNative } from './native.js';
import { leanGradients } from './backprop.js';

export { findNative, nativeDir } from './native.js';

export { tf };

// PROD: no "install tfjs-node" banner on stderr (ftr reports its backend itself), no debug-mode checks
tf.env().set('PROD', true);
// gradients that free what the backward pass has spent as it goes (backprop.ts)
leanGradients(tf);

export const BACKENDS = ['auto', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** the backend tensors run on: wasm, cpu or tensorflow */
  name: string;
  /** where it came from: `@tensorflow/tfjs-node-gpu 4.22.0`, `@tensorflow/tfjs-backend-wasm 4.22.0` */
  detail: string;
}

export interface NativeOptions {
  /** TensorFlow's intra-op thread pool (ftr's `workers`); fixed once the library has loaded */
  threads?: number;
}

let nativeError: string | undefined;
let nativeDetail: string | undefined;

async function loadNative(opts: NativeOptions): Promise<string | undefined> {
  if (nativeDetail && tf.findBackend('tensorflow')) return nativeDetail;
  const found = findNative();
  if (!found) return undefined;
  // before libtensorflow loads: it reads these once. TF 2.21 prints its start-up banners (oneDNN,
  // CPU features, absl's pre-init notice) at every level below 3; op errors reach us as exceptions.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '3';
  if (opts.threads && process.env.TF_NUM_INTRAOP_THREADS === undefined) {
    process.env.TF_NUM_INTRAOP_THREADS = String(opts.threads);
    // the inter-op pool runs independent ops side by side: one per intra-op thread is plenty
    process.env.TF_NUM_INTEROP_THREADS ??= String(Math.min(2, opts.threads));
  }
  try {
    const mod = found.require(found.pkg) as { version?: Record<string, string> };
    if (!tf.findBackend('tensorflow')) throw new Error(`${found.pkg} loaded but registered no \`tensorflow\` backend: its @tensorflow/tfjs is not the one ftr uses`);
    const version = mod.version?.['tfjs-node'] ?? '';
    const intra = process.env.TF_NUM_INTRAOP_THREADS;
    nativeDetail = `${found.pkg} ${version}`.trim() + ` (${intra ? `${intra} thread${intra === '1' ? '' : 's'}` : 'all cores'})`;
    nativeError = undefined;
    return nativeDetail;
  } catch (e) {
    nativeError = `${found.pkg} in ${found.where} did not load: ${(e as Error).message.split('\n')[0]}`;
    return undefined;
  }
}

let current: BackendInfo | undefined;

/**
 * Select the backend: `auto` takes a native tfjs-node(-gpu) when installed, else wasm, else cpu.
 * Asking for `tensorflow` without tfjs-node installed is an error that says how to get it.
 */
export async function useBackend(choice: BackendChoice = 'auto', opts: NativeOptions = {}): Promise<BackendInfo> {
  if (current && (choice === 'auto' || choice === current.name)) return current;
  let native: string | undefined;
  if (choice === 'tensorflow' || choice === 'auto') native = await loadNative(opts);
  if (choice === 'tensorflow' && !native) {
    throw new Error(
      nativeError
        ? `the \`tensorflow\` backend: ${nativeError}. Rebuild it with \`npm run native\`, or use --backend wasm`
        : 'the `tensorflow` backend needs @tensorflow/tfjs-node: `npm run native` builds it (offline, from the TensorFlow wheel of the local pip index), or use --backend wasm',
    );
  }
  const order = native ? ['tensorflow'] : choice === 'auto' ? ['wasm', 'cpu'] : [choice];
  for (const name of order) {
    if (await tf.setBackend(name).catch(() => false)) {
      await tf.ready();
      patchKernels(name);
      let detail = name === 'tensorflow' ? native!.replace('(', `(TensorFlow ${(tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding?.TF_Version ?? '?'}, `) : `@tensorflow/tfjs-backend-${name} ${tf.version_core}`;
      // auto fell back: say why, so a broken native install is not mistaken for an absent one
      if (name !== 'tensorflow' && choice === 'auto' && nativeError) detail += `; ${nativeError}`;
      current = { name, detail };
      return current;
    }
  }
  throw new Error(`could not start the TensorFlow.js ${order.join(' or ')} backend`);
}

/**
 * The gradient of `gather` (embedding lookup) is an UnsortedSegmentSum: wasm has no such kernel
 * (tfjs #8082) and cpu's loops over every vocabulary row (O(vocab·rows·dim): tens of seconds a
 * step). A plain scatter-add is O(rows·dim) and exact.
 */
function scatterAdd(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as unknown as {
      readSync(id: unknown): Float32Array | Int32Array;
      makeOutput?(shape: number[], dtype: string): tf.TensorInfo;
      typedArrayFromHeap?(t: tf.TensorInfo): Float32Array | Int32Array;
      makeTensorInfo(shape: number[], dtype: string, values: Float32Array | Int32Array): tf.TensorInfo;
    };
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const numSegments = (attrs as { numSegments: number }).numSegments;
    const xv = be.readSync(x.dataId);
    const ids = be.readSync(segmentIds.dataId);
    const innerShape = x.shape.slice(segmentIds.shape.length);
    const inner = innerShape.reduce((a, b) => a * b, 1);
    const outShape = [numSegments, ...innerShape];
    let info: tf.TensorInfo | undefined;
    let ov: Float32Array | Int32Array;
    if (backendName === 'wasm') {
      info = be.makeOutput!(outShape, x.dtype);
      ov = be.typedArrayFromHeap!(info);
      ov.fill(0);
    } else ov = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i];
      if (s < 0 || s >= numSegments) continue;
      const oo = s * inner;
      const xo = i * inner;
      for (let j = 0; j < inner; j++) ov[oo + j] += xv[xo + j];
    }
    return info ?? be.makeTensorInfo(outShape, x.dtype, ov);
  };
}

const patched = new Set<string>();

function patchKernels(backendName: string) {
  if (patched.has(backendName) || (backendName !== 'wasm' && backendName !== 'cpu')) return;
  if (tf.getKernel('UnsortedSegmentSum', backendName)) tf.unregisterKernel('UnsortedSegmentSum', backendName);
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName, kernelFunc: scatterAdd(backendName) });
  patched.add(backendName);
}

/** Version string recorded with every trained artifact (results differ in the last bits between backends). */
export function runtimeId(): string {
  return `tfjs-core ${tf.version_core} / ${current?.name ?? tf.getBackend()}`;
}
