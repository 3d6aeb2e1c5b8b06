/** Run filter ops directly on rows (defaults filled in): global ops collect emits, drops and notes; map ops return results. */
import { Drop, type GlobalOutput, type OpContext, type OpDef, type Params, type Row } from '../../../src/ops/types.js';
import { rowSet, withDefaults } from '../harness.js';

export const ctx = (baseDir = '.'): OpContext => ({ cell: 'c', seed: 1, baseDir, schema: { columns: [] }, signal: new AbortController().signal, progress() {}, log() {} });



export async function runGlobal(op: OpDef, rows: Row[], params: Params, extra: Record<string, Row[]> = {}, baseDir = '.') {
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
  const ex = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, rowSet(v)]));
  await op.global!.run(rowSet(rows), withDefaults(op, params), ctx(baseDir), out, ex);
  return { kept, keptIds: kept.map((r) => r.id), dropped, notes, byId: new Map(dropped.map((d) => [d.id, d])) };
}

export function runMap(op: OpDef, rows: Row[], params: Params): (Row | Drop)[] {
  const f = op.map!(withDefaults(op, params), ctx());
  return rows.map((r) => f(r) as Row | Drop);
}

export const rows = (texts: string[], source = 's') => texts.map((text, i) => ({ id: `r${i}`, source, text }));
