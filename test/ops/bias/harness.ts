/** Run bias ops directly on rows (defaults filled in like the binder does), and call their schema(). */
import { Drop, type GlobalOutput, type OpContext, type OpDef, type Params, type Row, type Schema } from '../../../src/ops/types.js';
import { withDefaults } from '../harness.js';
export { withDefaults };


export const ctx = (opts: { seed?: number; baseDir?: string; columns?: string[] } = {}): OpContext => ({
  cell: 'c',
  seed: opts.seed ?? 1,
  baseDir: opts.baseDir ?? '.',
  schema: { columns: (opts.columns ?? []).map((name) => ({ name, type: 'any' as const })) },
  signal: new AbortController().signal,
  progress() {},
  log() {},
});

export async function runGlobal(op: OpDef, rows: Row[], params: Params, opts: { seed?: number } = {}) {
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
    note: (l) => void notes.push(l),
  };
  const set = { count: rows.length, async *rows() { yield* rows; } };
  await op.global!.run(set, withDefaults(op, params), ctx({ seed: opts.seed, columns: Object.keys(rows[0] ?? {}) }), out, {});
  return { kept, ids: kept.map((r) => String(r.id)), dropped, notes };
}

export function runMap(op: OpDef, rows: Row[], params: Params, baseDir = '.'): (Row | Drop)[] {
  const f = op.map!(withDefaults(op, params), ctx({ baseDir }));
  return rows.flatMap((r) => {
    const res = f(r);
    return Array.isArray(res) ? res : [res as Row | Drop];
  });
}

/** op.schema() on an input of these columns: the output schema and the errors reported. */
export function checkSchema(op: OpDef, columns: string[], params: Params, baseDir = '.'): { schema: Schema; errors: { param?: string; message: string }[] } {
  const errors: { param?: string; message: string }[] = [];
  const schema = op.schema({
    input: { columns: columns.map((name) => ({ name, type: 'any' })) },
    datasets: {},
    params: withDefaults(op, params),
    baseDir,
    error: (param, message) => void errors.push({ param, message }),
  });
  return { schema, errors };
}

/** Rows of the design notes' reweighing vector (§6.3): m+ ×4, m− ×1, f+ ×2, f− ×3. */
export function vectorRows(): Row[] {
  const spec: [string, string][] = [...Array(4).fill(['male', 'pos']), ['male', 'neg'], ...Array(2).fill(['female', 'pos']), ...Array(3).fill(['female', 'neg'])];
  return spec.map(([g, y], i) => ({ id: `r${i}`, text: `t${i}`, gender: [g], label: y }));
}
