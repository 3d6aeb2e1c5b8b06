/** Run filter ops directly on rows (defaults filled in): global ops collect emits, drops and notes; map ops return results. */
import { Drop, type OpContext, type OpDef, type Params, type Row } from '../../../src/ops/types.js';
import { fakeContext, runGlobalOp, withDefaults } from '../harness.js';

export const ctx = (baseDir = '.'): OpContext => fakeContext({ baseDir });

export async function runGlobal(op: OpDef, rows: Row[], params: Params, extra: Record<string, Row[]> = {}, baseDir = '.') {
  const r = await runGlobalOp(op, rows, params, { baseDir, columns: [], extra });
  return { kept: r.kept, keptIds: r.kept.map((x) => x.id), dropped: r.dropped, notes: r.notes, byId: new Map(r.dropped.map((d) => [d.id, d])) };
}

export function runMap(op: OpDef, rows: Row[], params: Params): (Row | Drop)[] {
  const f = op.map!(withDefaults(op, params), ctx());
  return rows.map((r) => f(r) as Row | Drop);
}

export const rows = (texts: string[], source = 's') => texts.map((text, i) => ({ id: `r${i}`, source, text }));
