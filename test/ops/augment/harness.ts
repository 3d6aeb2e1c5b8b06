/** Run augmentation ops directly on rows (defaults filled in like the binder does), with or without parts. */
import type { ExprIR } from '../../../src/core/expr.js';
import { join } from 'node:path';
import { ROOT } from '../../helpers.js';
import type { OpDef, Params, Row, Schema } from '../../../src/ops/types.js';
import { checkOpSchema, runGlobalOp, withDefaults } from '../harness.js';
export { withDefaults };

/** A tiny hand-made database in the WordNet 3.x file format (a few synsets). */
export const FIXTURE = join(ROOT, 'test', 'fixtures', 'wordnet');



/** `rows` as one dataset, or as parts ({ train: […], val: […] }) the way the runtime hands them to a `parts: 'all'` op. */
export async function runAug(op: OpDef, rows: Row[] | Record<string, Row[]>, params: Params, opts: { seed?: number; baseDir?: string } = {}) {
  const r = await runGlobalOp(op, rows, params, opts);
  return { rows: r.kept, ids: r.kept.map((x) => String(x.id)), byPart: r.byPart, dropped: r.dropped, notes: r.notes };
}

/** op.schema() on an input of these columns (and parts): the output schema and the errors reported. */
export function checkSchema(op: OpDef, columns: string[], params: Params, parts?: string[]): { schema: Schema; errors: { param?: string; message: string; help?: string }[] } {
  return checkOpSchema(op, columns, params, { parts });
}

/** `col == "value"` as checked IR. */
export const eq = (name: string, value: string): ExprIR => ({ k: 'bin', op: '==', l: { k: 'col', name }, r: { k: 'lit', value } });
/** `col ~ /re/flags` as checked IR. */
export const matches = (name: string, source: string, flags = ''): ExprIR => ({ k: 'bin', op: '~', l: { k: 'col', name }, r: { k: 're', source, flags } });
