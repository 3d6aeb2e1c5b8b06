/** Run an op directly on in-memory rows (defaults filled in like the binder does). */
import type { OpContext, OpDef, Params, Row } from '../../../src/ops/types.js';
import { fakeContext, mapOf, rowSet, runGlobalOp, withDefaults } from '../harness.js';
export { rowSet, withDefaults };

export function context(seed = 1, columns: string[] = []): OpContext {
  return fakeContext({ seed, columns });
}

export interface Run {
  kept: Row[];
  dropped: { row: Row; reason: string; detail?: string }[];
  notes: string[];
}

/** A global op on rows; `columns`: the step's schema columns (default: the keys of the first row). */
export async function runGlobal(op: OpDef, rows: Row[], params: Params, opts: { seed?: number; columns?: string[] } = {}): Promise<Run> {
  const r = await runGlobalOp(op, rows, params, opts);
  return { kept: r.kept, dropped: r.dropped.map(({ row, reason, detail }) => ({ row, reason, detail })), notes: r.notes };
}

/** A map op on one row. */
export function runMap(op: OpDef, params: Params) {
  return mapOf(op, params);
}
