/**
 * Finding and loading the native backend (src/ml/native.ts, src/ml/tf.ts): `npm run native`'s
 * prefix is found without loading it, `auto` resolves to `tensorflow` there (and the training
 * ops' cache keys say so), a broken install is an error that says how to rebuild it, and the
 * real one — when installed — reports TensorFlow's version and the thread pool ftr asked for.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { findNative, nativeDir, resolveBackendName } from '../../src/ml/native.js';
import { backendEnvironment } from '../../src/ops/finetune/shared.js';
import { diffPreimages } from '../../src/runtime/explain.js';
import type { StagePreimage } from '../../src/runtime/stages.js';
import type { GraphCell } from '../../src/check/graph.js';
import { NATIVE_INSTALLED, tempDir } from './helpers.js';
import type { tf as TF } from '../../src/ml/tf.js';

const saved = process.env.FTR_NATIVE_DIR;
const dirs: string[] = [];
afterEach(() => {
  if (saved === undefined) delete process.env.FTR_NATIVE_DIR;
  else process.env.FTR_NATIVE_DIR = saved;
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A prefix laid out as `npm run native` leaves it, holding a tfjs-node whose entry point is `main`. */
function fakePrefix(main: string): string {
  const dir = tempDir('ftr-native-');
  dirs.push(dir);
  const pkg = join(dir, 'node_modules/@tensorflow/tfjs-node');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}');
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), main);
  return dir;
}

describe('finding the native backend', () => {
  it('FTR_NATIVE_DIR moves the prefix; an empty one holds nothing and auto is wasm', () => {
    const empty = tempDir('ftr-native-');
    dirs.push(empty);
    process.env.FTR_NATIVE_DIR = empty;
    expect(nativeDir()).toBe(empty);
    // the project's own node_modules has no tfjs-node either (npm run native never installs there)
    expect(findNative()).toBeUndefined();
    expect(resolveBackendName('auto')).toBe('wasm');
    expect(resolveBackendName('cpu')).toBe('cpu');
    expect(backendEnvironment({ backend: 'auto' })).toEqual(['backend wasm']);
  });

  it('an installed prefix is found without being loaded, and auto resolves to tensorflow in the cache key', () => {
    process.env.FTR_NATIVE_DIR = fakePrefix('throw new Error("must not be loaded to be found")');
    const found = findNative();
    expect(found?.pkg).toBe('@tensorflow/tfjs-node');
    expect(found?.where).toBe(join(process.env.FTR_NATIVE_DIR, 'node_modules/@tensorflow/tfjs-node'));
    expect(resolveBackendName('auto')).toBe('tensorflow');
    expect(backendEnvironment({ backend: 'auto' })).toEqual(['backend tensorflow']);
    expect(backendEnvironment({ backend: 'wasm' })).toEqual(['backend wasm']);
  });

  it('explain names a change of backend as the reason a training cell reruns', () => {
    const pre = (env?: string[]): StagePreimage => ({ v: '1', ops: [], shardRows: 100, ...(env ? { env } : {}) });
    const cell = { name: 'train' } as GraphCell;
    expect(diffPreimages(pre(['backend wasm']), pre(['backend tensorflow']), cell, 'finetune')).toEqual(['step (finetune): it would run elsewhere: backend wasm → backend tensorflow']);
    expect(diffPreimages(pre(['backend wasm']), pre(['backend wasm']), cell, 'finetune')).toEqual([]);
  });
});

describe('loading it', () => {
  it.skipIf(!NATIVE_INSTALLED)('the installed one: auto picks tensorflow, names TensorFlow and the threads asked for, and trains', async () => {
    const { useBackend, tf } = await import('../../src/ml/tf.js');
    const before = process.env.TF_NUM_INTRAOP_THREADS;
    try {
      const b = await useBackend('auto', { threads: 1 });
      expect(b.name).toBe('tensorflow');
      expect(b.detail).toMatch(/^@tensorflow\/tfjs-node(-gpu)? 4\.22\.0 \(TensorFlow 2\.\d+\.\d+, 1 thread\)$/);
      expect(process.env.TF_CPP_MIN_LOG_LEVEL).toBeDefined();
      const w = tf.variable(tf.tensor1d([3]));
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(w)) as TF.Scalar);
      expect(Array.from(grads[w.name].dataSync())).toEqual([6]);
    } finally {
      if (before === undefined) delete process.env.TF_NUM_INTRAOP_THREADS;
    }
  });
});
