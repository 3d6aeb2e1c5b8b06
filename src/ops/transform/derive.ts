import { compileExpr, FUNCTIONS, showExpr, type ExprIR } from '../../core/expr.js';
import { defineOp, type Column, type ColType } from '../types.js';

type T = ColType | 'regex' | 'null';

/** The checked value of an `exprs` param: entries in the order written. */
export interface NamedExpr {
  name: string;
  expr: ExprIR;
}

/**
 * The type of a checked expression over the given columns — the checker's typing rules, plus
 * `coalesce(a, b)` typed as a and b when they agree ("title: coalesce(title, subject)" stays a string).
 */
export function exprType(ir: ExprIR, columns: Column[]): T {
  switch (ir.k) {
    case 'col':
      return columns.find((c) => c.name === ir.name)?.type ?? 'any';
    case 'lit':
      return ir.value === null ? 'null' : typeof ir.value === 'string' ? 'string' : typeof ir.value === 'number' ? 'number' : 'bool';
    case 're':
      return 'regex';
    case 'list':
      return 'list';
    case 'call': {
      if (ir.fn === 'coalesce') {
        const [a, b] = ir.args.map((x) => exprType(x, columns));
        if (a === b || b === 'null') return a === 'null' ? 'any' : a;
        if (a === 'null') return b;
        return 'any';
      }
      return FUNCTIONS[ir.fn]?.returns ?? 'any';
    }
    case 'un':
      return ir.op === 'not' ? 'bool' : 'number';
    case 'bin': {
      switch (ir.op) {
        case '+': {
          const l = exprType(ir.l, columns);
          const r = exprType(ir.r, columns);
          return l === 'string' || r === 'string' ? 'string' : l === 'number' && r === 'number' ? 'number' : 'any';
        }
        case '-':
        case '*':
        case '/':
          return 'number';
        default:
          return 'bool';
      }
    }
  }
}

/** A value as a column holds it: no undefined, no NaN or infinities (JSON has none). */
function cellValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

export const derive = defineOp({
  name: 'derive',
  version: 1,
  kind: 'map',
  summary: 'add or replace columns computed from row expressions',
  doc: [
    '`derive { n_words: words(text), is_long: len(text) > 500, title: coalesce(title, subject) }`. Each entry is a row expression (as in `keep`), checked against the input\'s columns and the entries before it, so `derive { n: words(text), long: n > 100 }` works.',
    'A name that is already a column replaces it in place; new columns come last, typed from their expression.',
    'Values that are not numbers (0/0, 1/0) become null. `id` cannot be derived.',
  ].join(' '),
  params: [{ name: 'columns', type: { kind: 'exprs' }, positional: true, required: true, doc: 'columns to compute: { name: expression, … }' }],
  describe: (p) => `derive ${(p.columns as NamedExpr[]).map((e) => e.name).join(', ')}`,
  schema(ctx) {
    const exprs = ctx.params.columns as NamedExpr[];
    const columns = ctx.input!.columns.map((c) => ({ ...c }));
    if (!exprs.length) ctx.error('columns', '`derive` needs at least one column: { name: expression }');
    for (const { name, expr: ir } of exprs) {
      if (name === 'id') {
        ctx.error('columns', '`id` cannot be derived: it identifies the row in rejects, splits and duplicates', { help: 'derive another column, e.g. `key: …`' });
        continue;
      }
      const t = exprType(ir, columns);
      if (t === 'regex') {
        ctx.error('columns', `\`${name}\`: a regex is not a value (${showExpr(ir)})`, { help: `test it against a column: \`${name}: text ~ ${showExpr(ir)}\`` });
        continue;
      }
      const type: ColType = t === 'null' ? 'any' : t;
      const at = columns.findIndex((c) => c.name === name);
      if (at >= 0) columns[at] = { name, type };
      else columns.push({ name, type });
    }
    return { ...ctx.input!, columns };
  },
  map(params) {
    const fns = (params.columns as NamedExpr[]).map(({ name, expr }) => [name, compileExpr(expr)] as const);
    return (row) => {
      const out = { ...row };
      for (const [name, fn] of fns) out[name] = cellValue(fn(out));
      return out;
    };
  },
});
