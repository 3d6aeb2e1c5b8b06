/** Run augmentation ops directly on rows (defaults filled in like the binder does), with or without parts. */
import type { ExprIR } from '../../../src/core/expr.js';
import { join } from 'node:path';
import { ROOT } from '../../helpers.js';
import type { GlobalOutput, OpContext, OpDef, Params, Row, RowSet, Schema } from '../../../src/ops/types.js';
import { rowSet, withDefaults } from '../harness.js';
export { withDefaults };

/** A tiny hand-made database in the WordNet 3.x file format (a few synsets). */
export const FIXTURE = join(ROOT, 'test', 'fixtures', 'wordnet');



/** `rows` as one dataset, or as parts ({ train: […], val: […] }) the way the runtime hands them to a `parts: 'all'` op. */
export async function runAug(op: OpDef, rows: Row[] | Record<string, Row[]>, params: Params, opts: { seed?: number; baseDir?: string } = {}) {
  const parts = Array.isArray(rows) ? undefined : rows;
  const all = parts ? Object.values(parts).flat() : (rows as Row[]);
  const emitted: Row[] = [];
  const byPart: Record<string, Row[]> = {};
  const dropped: { id: unknown; reason: string; detail?: string; row: Row }[] = [];
  const notes: string[] = [];
  const out: GlobalOutput = {
    async emit(row, part) {
      emitted.push(row);
      if (part) (byPart[part] ??= []).push(row);
    },
    async drop(row, reason, detail) {
      dropped.push({ id: row.id, reason, detail, row });
    },
    note: (l) => void notes.push(l),
  };
  const ctx: OpContext = {
    cell: 'c',
    seed: opts.seed ?? 1,
    baseDir: opts.baseDir ?? '.',
    schema: { columns: Object.keys(all[0] ?? {}).map((name) => ({ name, type: 'any' as const })), parts: parts ? Object.keys(parts) : undefined },
    signal: new AbortController().signal,
    progress() {},
    log() {},
  };
  const extra: Record<string, RowSet> = parts ? Object.fromEntries(Object.entries(parts).map(([p, r]) => [`part:${p}`, rowSet(r)])) : {};
  await op.global!.run(rowSet(all), withDefaults(op, params), ctx, out, extra);
  return { rows: emitted, ids: emitted.map((r) => String(r.id)), byPart, dropped, notes };
}

/** op.schema() on an input of these columns (and parts): the output schema and the errors reported. */
export function checkSchema(op: OpDef, columns: string[], params: Params, parts?: string[]): { schema: Schema; errors: { param?: string; message: string; help?: string }[] } {
  const errors: { param?: string; message: string; help?: string }[] = [];
  const schema = op.schema({
    input: { columns: columns.map((name) => ({ name, type: 'any' })), parts },
    datasets: {},
    params: withDefaults(op, params),
    baseDir: '.',
    error: (param, message, extra) => void errors.push({ param, message, help: extra?.help }),
  });
  return { schema, errors };
}

/** `col == "value"` as checked IR. */
export const eq = (name: string, value: string): ExprIR => ({ k: 'bin', op: '==', l: { k: 'col', name }, r: { k: 'lit', value } });
/** `col ~ /re/flags` as checked IR. */
export const matches = (name: string, source: string, flags = ''): ExprIR => ({ k: 'bin', op: '~', l: { k: 'col', name }, r: { k: 're', source, flags } });
