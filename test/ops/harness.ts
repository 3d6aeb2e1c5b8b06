/** Shared by the op test harnesses: rows as a RowSet, params with their declared defaults. */
import type { GlobalOutput, OpContext, OpDef, Params, Row, RowSet, Schema } from '../../src/ops/types.js';

export function rowSet(rows: Row[]): RowSet {
  return {
    count: rows.length,
    async *rows() {
      yield* rows;
    },
  };
}

/** Params as the checker would bind them: declared defaults, then the given values. */
export function withDefaults(op: OpDef, params: Params): Params {
  const p: Params = {};
  for (const s of op.params) if (s.default !== undefined) p[s.name] = s.default;
  return { ...p, ...params };
}

/** The run context an op sees, without a runtime: seeded, never aborted, logs collected. */
export function fakeContext(opts: { seed?: number; baseDir?: string; columns?: string[]; parts?: string[]; cell?: string } = {}): OpContext & { logs: string[] } {
  const logs: string[] = [];
  return {
    cell: opts.cell ?? 'c',
    seed: opts.seed ?? 1,
    baseDir: opts.baseDir ?? '.',
    schema: { columns: (opts.columns ?? []).map((name) => ({ name, type: 'any' as const })), parts: opts.parts },
    signal: new AbortController().signal,
    progress() {},
    log: (m) => void logs.push(m),
    logs,
  };
}

export interface OpRun {
  /** every emitted row with the part it was emitted to (undefined: no part named) */
  emitted: { row: Row; part?: string }[];
  kept: Row[];
  byPart: Record<string, Row[]>;
  dropped: { id: unknown; reason: string; detail?: string; row: Row }[];
  notes: string[];
  logs: string[];
}

/**
 * A global op on rows, the way the runtime calls it: `input` is one dataset, or its parts
 * ({ train: […], val: […] }) handed over as `part:<name>` extras with every row as the input.
 * `columns` default to the keys of the first row.
 */
export async function runGlobalOp(
  op: OpDef,
  input: Row[] | Record<string, Row[]>,
  params: Params,
  opts: { seed?: number; baseDir?: string; columns?: string[]; parts?: string[]; extra?: Record<string, RowSet | Row[]> } = {},
): Promise<OpRun> {
  const parts = Array.isArray(input) ? undefined : input;
  const all = parts ? Object.values(parts).flat() : (input as Row[]);
  const res: OpRun = { emitted: [], kept: [], byPart: {}, dropped: [], notes: [], logs: [] };
  const out: GlobalOutput = {
    async emit(row, part) {
      res.emitted.push({ row, part });
      res.kept.push(row);
      if (part) (res.byPart[part] ??= []).push(row);
    },
    async drop(row, reason, detail) {
      res.dropped.push({ id: row.id, reason, detail, row });
    },
    note: (l) => void res.notes.push(l),
  };
  const ctx = fakeContext({ seed: opts.seed, baseDir: opts.baseDir, columns: opts.columns ?? Object.keys(all[0] ?? {}), parts: opts.parts ?? (parts ? Object.keys(parts) : undefined) });
  const extra: Record<string, RowSet> = {};
  for (const [k, v] of Object.entries(opts.extra ?? {})) extra[k] = Array.isArray(v) ? rowSet(v) : v;
  for (const [p, rows] of Object.entries(parts ?? {})) extra[`part:${p}`] = rowSet(rows);
  await op.global!.run(rowSet(all), withDefaults(op, params), ctx, out, extra);
  res.logs = ctx.logs;
  return res;
}

/** A map op's row function, with defaults filled in. */
export function mapOf(op: OpDef, params: Params, opts: { seed?: number; baseDir?: string; columns?: string[] } = {}) {
  return op.map!(withDefaults(op, params), fakeContext(opts));
}

/** op.schema() on an input of these columns (and parts): the output schema and the errors reported. */
export function checkOpSchema(op: OpDef, columns: string[], params: Params, opts: { parts?: string[]; baseDir?: string } = {}): { schema: Schema; errors: { param?: string; message: string; help?: string }[] } {
  const errors: { param?: string; message: string; help?: string }[] = [];
  const schema = op.schema({
    input: { columns: columns.map((name) => ({ name, type: 'any' })), parts: opts.parts },
    datasets: {},
    params: withDefaults(op, params),
    baseDir: opts.baseDir ?? '.',
    error: (param, message, extra) => void errors.push({ param, message, help: extra?.help }),
  });
  return { schema, errors };
}
