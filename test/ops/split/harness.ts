/** Run a global op directly on in-memory rows (defaults filled in like the binder does). */
import type { OpDef, Params, Row } from '../../../src/ops/types.js';
import { rowSet, runGlobalOp, withDefaults } from '../harness.js';
export { rowSet, withDefaults };

export interface OpRun {
  parts: Record<string, Row[]>;
  dropped: { row: Row; reason: string; detail?: string }[];
  notes: string[];
}


/** `split`-like ops: all rows in, parts out. */
export async function runGlobal(op: OpDef, rows: Row[], params: Params, opts: { seed?: number; parts?: Record<string, Row[]> } = {}): Promise<OpRun> {
  const full = withDefaults(op, params);
  const inParts = opts.parts;
  const partNames = inParts ? Object.keys(inParts) : op.kind === 'global' && full.ratios ? Object.keys(full.ratios as object) : undefined;
  const columns = Object.keys(rows[0] ?? Object.values(inParts ?? {})[0]?.[0] ?? {});
  const r = await runGlobalOp(op, inParts ?? rows, params, { seed: opts.seed, columns, parts: partNames });
  const res: OpRun = { parts: Object.fromEntries((partNames ?? []).map((p) => [p, []])), dropped: r.dropped.map(({ row, reason, detail }) => ({ row, reason, detail })), notes: r.notes };
  for (const { row, part } of r.emitted) (res.parts[part ?? 'main'] ??= []).push(row);
  return res;
}

/** Which part each row id landed in. */
export function partOfIds(parts: Record<string, Row[]>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [p, rows] of Object.entries(parts)) for (const r of rows) m.set(String(r.id), p);
  return m;
}
