/** Running a global op in-process on an array of rows, collecting what it emits, drops and notes. */
import type { OpDef, Row, RowSet } from '../../../src/ops/types.js';
import { prng } from '../../../src/runtime/hash.js';
import { fakeContext, rowSet, runGlobalOp } from '../harness.js';
export { rowSet };

export function context(seed = 1, baseDir = '.') {
  return fakeContext({ seed, baseDir });
}

export async function runGlobal(op: OpDef, rows: Row[], params: Record<string, unknown>, opts: { seed?: number; baseDir?: string; extra?: Record<string, RowSet> } = {}) {
  const r = await runGlobalOp(op, rows, params, { seed: opts.seed, baseDir: opts.baseDir, columns: [], extra: opts.extra });
  return { kept: r.kept, keptIds: r.kept.map((x) => x.id), dropped: r.dropped, notes: r.notes, logs: r.logs };
}

/** Letter-only words (digits would fold to 0), drawn from a seeded PRNG. */
export function makeVocab(n: number, seed = 5): string[] {
  const rand = prng(seed);
  const words = new Set<string>();
  while (words.size < n) {
    const len = 3 + Math.floor(rand() * 7);
    let w = '';
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + Math.floor(rand() * 26));
    words.add(w);
  }
  return [...words];
}

export function makeDocs(count: number, words: number, vocab: string[], seed = 9): string[][] {
  const rand = prng(seed);
  return Array.from({ length: count }, () => Array.from({ length: words }, () => vocab[Math.floor(rand() * vocab.length)]));
}

/** A copy of a doc with the words at the given positions replaced. */
export function edit(doc: string[], positions: number[], word = 'zzzedit'): string[] {
  const out = [...doc];
  positions.forEach((p, k) => (out[p] = `${word}${String.fromCharCode(97 + (k % 26))}`));
  return out;
}
