/** Tiny tensors with known values for the export tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StTensor } from '../../../src/ml/safetensors.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ftr-export-'));
}

/** A float tensor holding start, start+1, … in row-major order. */
export function seq(shape: number[], start = 0): StTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, (_, i) => start + i) };
}

/** Element [i][j] of a 2-D tensor. */
export function at(t: StTensor, i: number, j: number): number {
  return t.data[i * t.shape[1] + j];
}

/** A comparable form of a tensor map: sorted [name, shape, values]. */
export function plain(m: Map<string, StTensor>): [string, number[], number[]][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, t]) => [k, t.shape, Array.from(t.data)]);
}
