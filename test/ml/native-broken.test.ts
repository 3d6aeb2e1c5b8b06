/**
 * A broken native install (src/ml/tf.ts), in a file of its own: a process that loaded the real
 * tfjs-node keeps it. `tensorflow` is then an error naming the package, the cause and the fix;
 * `auto` falls back to wasm and says why in the backend's detail.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const dir = tempDir('ftr-native-');
const saved = process.env.FTR_NATIVE_DIR;
process.env.FTR_NATIVE_DIR = dir;
afterAll(() => {
  if (saved === undefined) delete process.env.FTR_NATIVE_DIR;
  else process.env.FTR_NATIVE_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
});
const pkg = join(dir, 'node_modules/@tensorflow/tfjs-node');
mkdirSync(pkg, { recursive: true });
writeFileSync(join(dir, 'package.json'), '{"private":true}');
writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
writeFileSync(join(pkg, 'index.js'), 'throw new Error("libtensorflow_cc.so.2: cannot open shared object file")');

describe('a tfjs-node that fails to load', () => {
  it('`tensorflow` is an error naming the package, the cause and the rebuild', async () => {
    const { useBackend } = await import('../../src/ml/tf.js');
    const err = await useBackend('tensorflow').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/@tensorflow\/tfjs-node in .* did not load: libtensorflow_cc\.so\.2: cannot open shared object file\. Rebuild it with `npm run native`/);
  });

  it('`auto` falls back to wasm and its detail says why', async () => {
    const { useBackend } = await import('../../src/ml/tf.js');
    const b = await useBackend('auto');
    expect(b.name).toBe('wasm');
    expect(b.detail).toMatch(/^@tensorflow\/tfjs-backend-wasm .*; @tensorflow\/tfjs-node in .* did not load: libtensorflow_cc/);
  });
});
