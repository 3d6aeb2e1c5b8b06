/** Running a global op in-process on an array of rows, collecting what it emits, drops and notes. */
import type { GlobalOutput, OpContext, OpDef, Row, RowSet } from '../../../src/ops/types.js';
import { prng } from '../../../src/runtime/hash.js';
import { rowSet } from '../harness.js';
export { rowSet };

export function context(seed = 1, baseDir = '.'): OpContext & { logs: string[] } {
  const logs: string[] = [];
  return { cell: 'c', seed, baseDir, schema: { columns: [] }, signal: new AbortController().signal, progress() {}, log: (m) => void logs.push(m), logs };
}


export async function runGlobal(op: OpDef, rows: Row[], params: Record<string, unknown>, opts: { seed?: number; baseDir?: string; extra?: Record<string, RowSet> } = {}) {
  const kept: Row[] = [];
  const dropped: { id: unknown; reason: string; detail?: string; row: Row }[] = [];
  const notes: string[] = [];
  const out: GlobalOutput = {
    async emit(row) {
      kept.push(row);
    },
    async drop(row, reason, detail) {
      dropped.push({ id: row.id, reason, detail, row });
    },
    note: (l) => void notes.push(l),
  };
  const defaults = Object.fromEntries(op.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default]));
  const ctx = context(opts.seed ?? 1, opts.baseDir);
  await op.global!.run(rowSet(rows), { ...defaults, ...params }, ctx, out, opts.extra ?? {});
  return { kept, keptIds: kept.map((r) => r.id), dropped, notes, logs: ctx.logs };
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
