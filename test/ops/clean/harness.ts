/** Run an op directly on in-memory rows (defaults filled in like the binder does). */
import type { GlobalOutput, OpContext, OpDef, Params, Row } from '../../../src/ops/types.js';
import { rowSet, withDefaults } from '../harness.js';
export { rowSet, withDefaults };

export function context(seed = 1, columns: string[] = []): OpContext {
  return { cell: 'c', seed, baseDir: '.', schema: { columns: columns.map((name) => ({ name, type: 'any' })) }, signal: new AbortController().signal, progress() {}, log() {} };
}


export interface Run {
  kept: Row[];
  dropped: { row: Row; reason: string; detail?: string }[];
  notes: string[];
}

/** A global op on rows; `columns`: the step's schema columns (default: the keys of the first row). */
export async function runGlobal(op: OpDef, rows: Row[], params: Params, opts: { seed?: number; columns?: string[] } = {}): Promise<Run> {
  const res: Run = { kept: [], dropped: [], notes: [] };
  const out: GlobalOutput = {
    async emit(row) {
      res.kept.push(row);
    },
    async drop(row, reason, detail) {
      res.dropped.push({ row, reason, detail });
    },
    note: (l) => void res.notes.push(l),
  };
  await op.global!.run(rowSet(rows), withDefaults(op, params), context(opts.seed ?? 1, opts.columns ?? Object.keys(rows[0] ?? {})), out, {});
  return res;
}

/** A map op on one row. */
export function runMap(op: OpDef, params: Params) {
  return op.map!(withDefaults(op, params), context());
}
