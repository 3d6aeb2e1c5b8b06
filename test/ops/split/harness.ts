/** Run a global op directly on in-memory rows (defaults filled in like the binder does). */
import type { GlobalOutput, OpContext, OpDef, Params, Row, RowSet } from '../../../src/ops/types.js';
import { rowSet, withDefaults } from '../harness.js';
export { rowSet, withDefaults };

export interface OpRun {
  parts: Record<string, Row[]>;
  dropped: { row: Row; reason: string; detail?: string }[];
  notes: string[];
}


/** `split`-like ops: all rows in, parts out. */
export async function runGlobal(op: OpDef, rows: Row[], params: Params, opts: { seed?: number; parts?: Record<string, Row[]> } = {}): Promise<OpRun> {
  const res: OpRun = { parts: {}, dropped: [], notes: [] };
  const full = withDefaults(op, params);
  const inParts = opts.parts;
  const partNames = inParts ? Object.keys(inParts) : op.kind === 'global' && full.ratios ? Object.keys(full.ratios as object) : undefined;
  const columns = Object.keys(rows[0] ?? Object.values(inParts ?? {})[0]?.[0] ?? {}).map((name) => ({ name, type: 'any' as const }));
  const ctx: OpContext = {
    cell: 'c',
    seed: opts.seed ?? 1,
    baseDir: '.',
    schema: { columns, parts: partNames },
    signal: new AbortController().signal,
    progress() {},
    log() {},
  };
  for (const p of partNames ?? []) res.parts[p] = [];
  const out: GlobalOutput = {
    async emit(row, part) {
      (res.parts[part ?? 'main'] ??= []).push(row);
    },
    async drop(row, reason, detail) {
      res.dropped.push({ row, reason, detail });
    },
    note(line) {
      res.notes.push(line);
    },
  };
  const extra: Record<string, RowSet> = {};
  let all = rows;
  if (inParts) {
    all = Object.values(inParts).flat();
    for (const [p, r] of Object.entries(inParts)) extra[`part:${p}`] = rowSet(r);
  }
  await op.global!.run(rowSet(all), full, ctx, out, extra);
  return res;
}

/** Which part each row id landed in. */
export function partOfIds(parts: Record<string, Row[]>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [p, rows] of Object.entries(parts)) for (const r of rows) m.set(String(r.id), p);
  return m;
}
