/**
 * Row expressions (`len(text) >= 20 and not missing(label)`): type-checked against a schema and
 * lowered to the IR of src/core/expr.ts, which ops compile and evaluate.
 */
import { CODES } from '../parser/codes.js';
import type { Expr, Span } from '../parser/ast.js';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import { didYouMean } from '../parser/suggest.js';
import type { Schema } from '../core/op.js';
import { FUNCTIONS, unitValue, type ExprIR, type ExprType } from '../core/expr.js';

type T = ExprType;

export interface ExprScope {
  schema: Schema;
  /** recipe params visible as constants */
  constants: Map<string, unknown>;
  /** where each recipe param is declared, so a type error can point at its definition */
  constantSpans?: Map<string, Span>;
  diagnostics: Diagnostic[];
  /** what the schema belongs to, for messages ("not a column of `clean`") */
  owner: string;
}

/** Check an expression and lower it to IR; errors go to scope.diagnostics. */
export function checkExpr(e: Expr, scope: ExprScope): { ir: ExprIR; type: T; param?: string } {
  const err = (d: Diagnostic) => {
    scope.diagnostics.push(d);
    return { ir: { k: 'lit', value: null } as ExprIR, type: 'any' as T };
  };
  switch (e.kind) {
    case 'number':
      return { ir: { k: 'lit', value: e.value }, type: 'number' };
    case 'unit':
      if (e.unit === '%') return { ir: { k: 'lit', value: e.value / 100 }, type: 'number' };
      return { ir: { k: 'lit', value: unitValue(e.value, e.unit) }, type: 'number' };
    case 'string':
      return { ir: { k: 'lit', value: e.value }, type: 'string' };
    case 'bool':
      return { ir: { k: 'lit', value: e.value }, type: 'bool' };
    case 'null':
      return { ir: { k: 'lit', value: null }, type: 'null' };
    case 'regex':
      return { ir: { k: 're', source: e.source, flags: e.flags }, type: 'regex' };
    case 'list': {
      const items = e.items.map((i) => checkExpr(i, scope).ir);
      return { ir: { k: 'list', items }, type: 'list' };
    }
    case 'name': {
      const col = scope.schema.columns.find((c) => c.name === e.name);
      if (col) return { ir: { k: 'col', name: e.name }, type: col.type };
      if (scope.constants.has(e.name)) {
        const v = scope.constants.get(e.name);
        return { ir: constantIR(v), type: typeOfValue(v), param: e.name };
      }
      if (scope.schema.open) return { ir: { k: 'col', name: e.name }, type: 'any' };
      const names = scope.schema.columns.map((c) => c.name);
      return err(
        diag(CODES.UNKNOWN_COLUMN, `unknown column \`${e.name}\``, e.span, {
          label: `not a column of \`${scope.owner}\``,
          notes: [`columns of \`${scope.owner}\`: ${names.join(', ') || '(none)'}`],
          help: didYouMean(e.name, [...names, ...scope.constants.keys()]),
        }),
      );
    }
    case 'call': {
      const fn = FUNCTIONS[e.callee];
      if (!fn) {
        return err(diag(CODES.UNKNOWN_FUNCTION, `unknown function \`${e.callee}\``, e.calleeSpan, { notes: [`functions: ${Object.keys(FUNCTIONS).join(', ')}`], help: didYouMean(e.callee, Object.keys(FUNCTIONS)) }));
      }
      if (e.args.length !== fn.args.length) {
        return err(diag(CODES.ARITY, `\`${e.callee}\` takes ${fn.args.length} argument${fn.args.length === 1 ? '' : 's'}, got ${e.args.length}`, e.span));
      }
      const args = e.args.map((a, i) => {
        const r = checkExpr(a.value, scope);
        if (!accepts(fn.args[i], r.type)) {
          const help = fn.args[i].includes('string') && r.type === 'number' ? `make it a string first: \`${e.callee}(str(…))\`` : undefined;
          scope.diagnostics.push(diag(CODES.TYPE, `argument ${i + 1} of \`${e.callee}\` must be ${fn.args[i].join(' or ')}, found ${r.type}`, a.span, { notes: paramSite(scope, r), help }));
        }
        return r.ir;
      });
      return { ir: { k: 'call', fn: e.callee, args }, type: fn.returns };
    }
    case 'unary': {
      const r = checkExpr(e.operand, scope);
      if (e.op === '-' && !accepts(['number'], r.type)) scope.diagnostics.push(diag(CODES.TYPE, `\`-\` needs a number, found ${r.type}`, e.span));
      return { ir: { k: 'un', op: e.op, e: r.ir }, type: e.op === 'not' ? 'bool' : 'number' };
    }
    case 'binary': {
      const l = checkExpr(e.left, scope);
      const r = checkExpr(e.right, scope);
      const ir: ExprIR = { k: 'bin', op: e.op, l: l.ir, r: r.ir };
      switch (e.op) {
        case 'and':
        case 'or':
          return { ir, type: 'bool' };
        case '~':
          if (r.type !== 'regex' && r.type !== 'string' && r.type !== 'any') {
            scope.diagnostics.push(diag(CODES.TYPE, '`~` needs a regex on its right, like /refund/i', e.right.span));
          }
          return { ir, type: 'bool' };
        case 'in':
          return { ir, type: 'bool' };
        case '<':
        case '<=':
        case '>':
        case '>=': {
          let orderable = true;
          for (const [side, t] of [[e.left, l], [e.right, r]] as const) {
            if (!accepts(['number', 'string'], t.type)) {
              scope.diagnostics.push(diag(CODES.TYPE, `cannot order ${t.type} values`, side.span, { notes: paramSite(scope, t) }));
              orderable = false;
            }
          }
          if (orderable) mismatch(e, l, r, scope);
          return { ir, type: 'bool' };
        }
        case '==':
        case '!=':
          mismatch(e, l, r, scope);
          return { ir, type: 'bool' };
        case '+':
          return { ir, type: l.type === 'string' || r.type === 'string' ? 'string' : l.type === 'number' && r.type === 'number' ? 'number' : 'any' };
        case '-':
        case '*':
        case '/':
          for (const [side, t] of [[e.left, l.type], [e.right, r.type]] as const) {
            if (!accepts(['number'], t)) scope.diagnostics.push(diag(CODES.TYPE, `\`${e.op}\` needs numbers, found ${t}`, side.span));
          }
          return { ir, type: 'number' };
        case '->':
          return err(diag(CODES.ARROW, '`->` is only allowed in rule blocks', e.span));
      }
      return { ir, type: 'any' };
    }
    case 'field':
      return err(diag(CODES.NOT_AN_EXPRESSION, `a field path (\`${e.raw}\`) reads raw input records; in an expression use a column name`, e.span, { help: `use \`${String(e.path[0])}\`` }));
    case 'member':
      return err(diag(CODES.NOT_AN_EXPRESSION, 'member access is not allowed in a row expression', e.span));
    case 'block':
      return err(diag(CODES.NOT_AN_EXPRESSION, 'a block is not allowed in a row expression', e.span));
    case 'error':
      return { ir: { k: 'lit', value: null }, type: 'any' };
  }
}

type Typed = { type: T; param?: string };

/** Where a recipe param that gave an operand its type is declared. */
function paramSite(scope: ExprScope, t: Typed): string[] | undefined {
  if (!t.param) return undefined;
  const at = scope.constantSpans?.get(t.param);
  return [`\`${t.param}\` is ${t.type === 'any' ? 'a param' : `a ${t.type}`}${at ? `, declared at ${at.file}:${at.start.line}:${at.start.col}` : ''}`];
}

/**
 * Comparing values of two different known types is never what a recipe means: `len(text) > "ten"`
 * would drop every row, `n == "3"` never holds. Columns of unknown type (`any`) and null pass.
 */
function mismatch(e: Extract<Expr, { kind: 'binary' }>, l: Typed, r: Typed, scope: ExprScope): void {
  const concrete = (t: T) => t === 'number' || t === 'string' || t === 'bool';
  if (!concrete(l.type) || !concrete(r.type) || l.type === r.type) return;
  const notes = [...(paramSite(scope, l) ?? []), ...(paramSite(scope, r) ?? [])];
  const numberSide = l.type === 'number' ? r : r.type === 'number' ? l : undefined;
  const help = numberSide?.param && numberSide.type === 'string' ? `declare \`${numberSide.param}\` as a number: \`param ${numberSide.param} = 10\`` : l.type === 'number' || r.type === 'number' ? 'convert one side: `num(x)` or `str(x)`' : undefined;
  scope.diagnostics.push(
    diag(CODES.TYPE, `\`${e.op}\` compares a ${l.type} with a ${r.type}`, e.span, {
      label: e.op === '==' ? 'never true' : e.op === '!=' ? 'always true' : 'compared as text, not as numbers',
      notes: notes.length ? notes : undefined,
      help,
    }),
  );
}

function accepts(allowed: T[], t: T): boolean {
  return t === 'any' || t === 'null' || allowed.includes('any') || allowed.includes(t);
}

function typeOfValue(v: unknown): T {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object' && v && 'regex' in v) return 'regex';
  return 'record';
}

function constantIR(v: unknown): ExprIR {
  if (Array.isArray(v)) return { k: 'list', items: v.map(constantIR) };
  if (v && typeof v === 'object' && 'regex' in v) {
    const r = v as { regex: string; flags: string };
    return { k: 're', source: r.regex, flags: r.flags };
  }
  return { k: 'lit', value: (v ?? null) as string | number | boolean | null };
}

