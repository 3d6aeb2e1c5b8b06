/** Run bias ops directly on rows (defaults filled in like the binder does), and call their schema(). */
import type { Drop, OpContext, OpDef, Params, Row, Schema } from '../../../src/ops/types.js';
import { checkOpSchema, fakeContext, mapOf, runGlobalOp, withDefaults } from '../harness.js';
export { withDefaults };


export const ctx = (opts: { seed?: number; baseDir?: string; columns?: string[] } = {}): OpContext => fakeContext(opts);

export async function runGlobal(op: OpDef, rows: Row[], params: Params, opts: { seed?: number } = {}) {
  const r = await runGlobalOp(op, rows, params, { seed: opts.seed });
  return { kept: r.kept, ids: r.kept.map((x) => String(x.id)), dropped: r.dropped.map(({ id, reason, detail }) => ({ id, reason, detail })), notes: r.notes };
}

export function runMap(op: OpDef, rows: Row[], params: Params, baseDir = '.'): (Row | Drop)[] {
  const f = mapOf(op, params, { baseDir });
  return rows.flatMap((r) => {
    const res = f(r);
    return Array.isArray(res) ? res : [res as Row | Drop];
  });
}

/** op.schema() on an input of these columns: the output schema and the errors reported. */
export function checkSchema(op: OpDef, columns: string[], params: Params, baseDir = '.'): { schema: Schema; errors: { param?: string; message: string }[] } {
  const { schema, errors } = checkOpSchema(op, columns, params, { baseDir });
  return { schema, errors: errors.map(({ param, message }) => ({ param, message })) };
}

/** Rows of the design notes' reweighing vector (§6.3): m+ ×4, m− ×1, f+ ×2, f− ×3. */
export function vectorRows(): Row[] {
  const spec: [string, string][] = [...Array(4).fill(['male', 'pos']), ['male', 'neg'], ...Array(2).fill(['female', 'pos']), ...Array(3).fill(['female', 'neg'])];
  return spec.map(([g, y], i) => ({ id: `r${i}`, text: `t${i}`, gender: [g], label: y }));
}
