import { compileExpr, showExpr, truthy, type ExprIR } from '../../core/expr.js';
import { defineOp, Drop, type OpDef } from '../types.js';

/** `keep COND` and `drop COND` differ only in which rows they let through. */
function filterOp(name: 'keep' | 'drop', keepWhen: boolean): OpDef {
  return defineOp({
    name,
    version: 1,
    kind: 'map',
    summary: keepWhen ? 'keep the rows where a condition holds; the others are dropped with a reason' : 'drop the rows where a condition holds, with a reason',
    doc: `\`${name} len(text) < 20 reason: "too short"\`. The condition is checked against the input's columns before any data is read. Dropped rows go to the cell's rejects.`,
    params: [
      { name: 'when', type: { kind: 'expr', returns: 'bool' }, required: true, positional: true, doc: 'condition over the row, e.g. len(text) >= 20 and label != "spam"' },
      { name: 'reason', type: { kind: 'string' }, positional: true, doc: 'reason recorded for dropped rows (default: the condition)' },
    ],
    describe: (p) => `${name} ${showExpr(p.when as ExprIR)}`,
    schema: (ctx) => ctx.input!,
    map(params) {
      const test = compileExpr(params.when as ExprIR);
      const reason = (params.reason as string | undefined) ?? (keepWhen ? `not (${showExpr(params.when as ExprIR)})` : showExpr(params.when as ExprIR));
      return (row) => (truthy(test(row)) === keepWhen ? row : new Drop(reason));
    },
  });
}

export const keep = filterOp('keep', true);
export const drop = filterOp('drop', false);
