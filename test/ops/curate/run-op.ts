/** Run a global op directly on rows (defaults filled in), collecting what it emits, drops and notes. */
import type { GlobalOutput, OpContext, OpDef, Params, Row } from '../../../src/ops/types.js';
import { rowSet, withDefaults } from '../harness.js';
export { rowSet, withDefaults };

export const ctx: OpContext = { cell: 'c', seed: 1, baseDir: '.', schema: { columns: [] }, signal: new AbortController().signal, progress() {}, log() {} };



export async function runOp(op: OpDef, rows: Row[], params: Params, extra: Record<string, Row[]> = {}) {
  const kept: Row[] = [];
  const dropped: { id: unknown; reason: string; detail?: string }[] = [];
  const notes: string[] = [];
  const out: GlobalOutput = {
    async emit(row) {
      kept.push(row);
    },
    async drop(row, reason, detail) {
      dropped.push({ id: row.id, reason, detail });
    },
    note(line) {
      notes.push(line);
    },
  };
  const ex = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, rowSet(v)]));
  await op.global!.run(rowSet(rows), withDefaults(op, params), ctx, out, ex);
  return { kept, dropped, notes, byId: new Map(dropped.map((d) => [d.id, d])) };
}
