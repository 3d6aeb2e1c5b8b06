/** Running the tokenize ops in-process on rows (defaults filled in), collecting what they emit, drop and note. */
import type { GlobalOutput, OpContext, OpDef, Params, Row } from '../../../src/ops/types.js';
import { rowSet, withDefaults } from '../harness.js';
export { rowSet, withDefaults };



/** `parts`: rows per named part, passed like the runtime does for `parts: 'all'` ops (extra `part:<name>`). */
export async function runOp(op: OpDef, input: Row[] | Record<string, Row[]>, params: Params, baseDir = '.') {
  const kept: { row: Row; part?: string }[] = [];
  const dropped: { id: unknown; reason: string; detail?: string }[] = [];
  const notes: string[] = [];
  const out: GlobalOutput = {
    async emit(row, part) {
      kept.push({ row, part });
    },
    async drop(row, reason, detail) {
      dropped.push({ id: row.id, reason, detail });
    },
    note: (line) => void notes.push(line),
  };
  const ctx: OpContext = { cell: 'c', seed: 1, baseDir, schema: { columns: [] }, signal: new AbortController().signal, progress() {}, log() {} };
  const all = Array.isArray(input) ? input : Object.values(input).flat();
  const extra = Array.isArray(input) ? {} : Object.fromEntries(Object.entries(input).map(([k, v]) => [`part:${k}`, rowSet(v)]));
  await op.global!.run(rowSet(all), withDefaults(op, params), ctx, out, extra);
  return { kept, rows: kept.map((k) => k.row), dropped, notes };
}
