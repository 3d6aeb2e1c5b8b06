/** Shared by the op test harnesses: rows as a RowSet, params with their declared defaults. */
import type { OpDef, Params, Row, RowSet } from '../../src/ops/types.js';

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
