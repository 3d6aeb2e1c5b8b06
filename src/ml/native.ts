/**
 * Where the native TensorFlow backend (tfjs-node) lives, found without loading it: cache keys
 * need the backend `auto` resolves to, and the ops that compute them must not pay for tfjs.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Native backends, best first. */
export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/**
 * Where `npm run native` installs tfjs-node: `.ftr-native/` at the project root, outside the
 * project's node_modules so that `npm ci` neither needs nor removes it (FTR_NATIVE_DIR moves it).
 * This file is src/ml/native.ts or dist/ml/native.js: two folders below the root either way.
 */
export function nativeDir(): string {
  return process.env.FTR_NATIVE_DIR ? resolve(process.env.FTR_NATIVE_DIR) : fileURLToPath(new URL('../../.ftr-native/', import.meta.url));
}

export interface NativeInstall {
  pkg: string;
  /** a require that loads `pkg` (and resolves its @tensorflow/tfjs to the project's) */
  require: NodeRequire;
  /** the package's folder */
  where: string;
}

/** The native package that resolves: `npm run native`'s prefix first, then the project's node_modules. */
export function findNative(): NativeInstall | undefined {
  for (const root of [join(nativeDir(), 'package.json'), fileURLToPath(import.meta.url)]) {
    const req = createRequire(root);
    for (const pkg of NATIVE_PACKAGES) {
      try {
        return { pkg, require: req, where: dirname(req.resolve(`${pkg}/package.json`)) };
      } catch {
        // not there: the next place
      }
    }
  }
  return undefined;
}

/** The backend a `backend:` param runs on, without loading anything: `auto` is tensorflow when installed, else wasm. */
export function resolveBackendName(choice: string): string {
  if (choice !== 'auto') return choice;
  return findNative() ? 'tensorflow' : 'wasm';
}
