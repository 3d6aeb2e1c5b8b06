/** Run a global op directly on rows (defaults filled in), collecting what it emits, drops and notes. */
import type { OpContext, OpDef, Params, Row } from '../../../src/ops/types.js';
import { fakeContext, rowSet, runGlobalOp, withDefaults } from '../harness.js';
export { rowSet, withDefaults };

export const ctx: OpContext = fakeContext();

export async function runOp(op: OpDef, rows: Row[], params: Params, extra: Record<string, Row[]> = {}) {
  const r = await runGlobalOp(op, rows, params, { columns: [], extra });
  const dropped = r.dropped.map(({ id, reason, detail }) => ({ id, reason, detail }));
  return { kept: r.kept, dropped, notes: r.notes, byId: new Map(dropped.map((d) => [d.id, d])) };
}
