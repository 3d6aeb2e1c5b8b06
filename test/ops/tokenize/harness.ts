/** Running the tokenize ops in-process on rows (defaults filled in), collecting what they emit, drop and note. */
import type { OpDef, Params, Row } from '../../../src/ops/types.js';
import { rowSet, runGlobalOp, withDefaults } from '../harness.js';
export { rowSet, withDefaults };

/** `parts`: rows per named part, passed like the runtime does for `parts: 'all'` ops (extra `part:<name>`). */
export async function runOp(op: OpDef, input: Row[] | Record<string, Row[]>, params: Params, baseDir = '.') {
  const r = await runGlobalOp(op, input, params, { baseDir, columns: [] });
  const dropped = r.dropped.map(({ id, reason, detail }) => ({ id, reason, detail }));
  return { kept: r.emitted, rows: r.kept, dropped, notes: r.notes };
}
