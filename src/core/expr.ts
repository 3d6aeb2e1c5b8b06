/**
 * Row expressions after checking: a span-free IR that goes into cache keys, the functions it may
 * call, and its compiler to closures over a row. The checker (src/check/expr.ts) lowers recipe
 * expressions to this IR; ops and the runtime evaluate it.
 */
import type { ColType } from './op.js';
import { recipeRegex, type RecipeRegex } from '../parser/regex.js';

const isRecipeRegex = (v: unknown): v is RecipeRegex => typeof v === 'object' && v !== null && typeof (v as RecipeRegex).matches === 'function';

export type ExprIR =
  | { k: 'col'; name: string }
  | { k: 'lit'; value: string | number | boolean | null }
  | { k: 're'; source: string; flags: string }
  | { k: 'list'; items: ExprIR[] }
  | { k: 'call'; fn: string; args: ExprIR[] }
  | { k: 'bin'; op: string; l: ExprIR; r: ExprIR }
  | { k: 'un'; op: string; e: ExprIR };

/** Types the checker tracks for expressions: column types plus regexes and null. */
export type ExprType = ColType | 'regex' | 'null';
type T = ExprType;

export interface FnSpec {
  args: T[][]; // accepted types per argument ('any' matches all)
  returns: T;
  doc: string;
  impl: (...args: unknown[]) => unknown;
}

const isMissing = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
const str = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
const wordRe = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

export const FUNCTIONS: Record<string, FnSpec> = {
  len: { args: [['string', 'list']], returns: 'number', doc: 'length in characters (code points) of a string, or items of a list', impl: (v) => (Array.isArray(v) ? v.length : [...str(v)].length) },
  words: { args: [['string']], returns: 'number', doc: 'number of words in a string', impl: (v) => str(v).match(wordRe)?.length ?? 0 },
  missing: { args: [['any']], returns: 'bool', doc: 'true for null, absent, blank strings and empty lists', impl: isMissing },
  present: { args: [['any']], returns: 'bool', doc: 'not missing(x)', impl: (v) => !isMissing(v) },
  lower: { args: [['string']], returns: 'string', doc: 'lowercase string', impl: (v) => str(v).toLowerCase() },
  upper: { args: [['string']], returns: 'string', doc: 'uppercase string', impl: (v) => str(v).toUpperCase() },
  trim: { args: [['string']], returns: 'string', doc: 'string without leading/trailing whitespace', impl: (v) => str(v).trim() },
  str: { args: [['any']], returns: 'string', doc: 'value as a string', impl: str },
  num: { args: [['any']], returns: 'number', doc: 'value as a number (null when not numeric)', impl: (v) => { const n = Number(v); return v === null || v === '' || Number.isNaN(n) ? null : n; } },
  contains: { args: [['string', 'list'], ['any']], returns: 'bool', doc: 'substring (strings) or member (lists) test', impl: (a, b) => (Array.isArray(a) ? a.includes(b) : str(a).includes(str(b))) },
  starts_with: { args: [['string'], ['string']], returns: 'bool', doc: 'prefix test', impl: (a, b) => str(a).startsWith(str(b)) },
  ends_with: { args: [['string'], ['string']], returns: 'bool', doc: 'suffix test', impl: (a, b) => str(a).endsWith(str(b)) },
  coalesce: { args: [['any'], ['any']], returns: 'any', doc: 'first argument unless missing, else the second', impl: (a, b) => (isMissing(a) ? b : a) },
};

const UNIT_FACTORS: Record<string, number> = {
  k: 1e3, K: 1e3, M: 1e6, bn: 1e9,
  B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4,
  ms: 1, s: 1e3, min: 60e3, h: 3600e3, d: 86400e3,
};

export const UNIT_KIND: Record<string, 'percent' | 'count' | 'size' | 'duration'> = {
  '%': 'percent', k: 'count', K: 'count', M: 'count', bn: 'count',
  B: 'size', KB: 'size', MB: 'size', GB: 'size', TB: 'size', KiB: 'size', MiB: 'size', GiB: 'size', TiB: 'size',
  ms: 'duration', s: 'duration', min: 'duration', h: 'duration', d: 'duration',
};

/** `5k` → 5000, `2MB` → 2e6 bytes, `30s` → 30000 ms, `80%` → 0.8. */
export function unitValue(value: number, unit: string): number {
  if (unit === '%') return value / 100;
  return Math.round(value * (UNIT_FACTORS[unit] ?? 1) * 1e6) / 1e6;
}

type Compiled = (row: Record<string, unknown>) => unknown;

/** Compile checked IR to a closure over a row. */
export function compileExpr(ir: ExprIR): Compiled {
  switch (ir.k) {
    case 'col':
      return (row) => row[ir.name];
    case 'lit':
      return () => ir.value;
    case 're': {
      // linear time on user data (src/parser/regex.ts)
      const re = recipeRegex(ir.source, ir.flags);
      return () => re;
    }
    case 'list': {
      const items = ir.items.map(compileExpr);
      return (row) => items.map((f) => f(row));
    }
    case 'call': {
      const fn = FUNCTIONS[ir.fn].impl;
      const args = ir.args.map(compileExpr);
      return (row) => fn(...args.map((a) => a(row)));
    }
    case 'un': {
      const e = compileExpr(ir.e);
      return ir.op === 'not' ? (row) => !truthy(e(row)) : (row) => -Number(e(row));
    }
    case 'bin': {
      const l = compileExpr(ir.l);
      const r = compileExpr(ir.r);
      switch (ir.op) {
        case 'and':
          return (row) => truthy(l(row)) && truthy(r(row));
        case 'or':
          return (row) => truthy(l(row)) || truthy(r(row));
        case '==':
          return (row) => equal(l(row), r(row));
        case '!=':
          return (row) => !equal(l(row), r(row));
        case '<':
          return (row) => compare(l(row), r(row), (c) => c < 0);
        case '<=':
          return (row) => compare(l(row), r(row), (c) => c <= 0);
        case '>':
          return (row) => compare(l(row), r(row), (c) => c > 0);
        case '>=':
          return (row) => compare(l(row), r(row), (c) => c >= 0);
        case '~':
          return (row) => {
            const re = r(row);
            return (isRecipeRegex(re) ? re : recipeRegex(str(re))).test(str(l(row)));
          };
        case 'in':
          return (row) => {
            const hay = r(row);
            const needle = l(row);
            return Array.isArray(hay) ? hay.some((h) => equal(h, needle)) : str(hay).includes(str(needle));
          };
        case '+':
          return (row) => {
            const a = l(row);
            const b = r(row);
            return typeof a === 'number' && typeof b === 'number' ? a + b : str(a) + str(b);
          };
        case '-':
          return (row) => Number(l(row)) - Number(r(row));
        case '*':
          return (row) => Number(l(row)) * Number(r(row));
        case '/':
          return (row) => Number(l(row)) / Number(r(row));
      }
    }
  }
  throw new Error(`cannot compile expression node ${JSON.stringify(ir)}`);
}

export function truthy(v: unknown): boolean {
  return !(v === false || v === null || v === undefined || v === 0 || v === '');
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  return typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b);
}

/** Missing values never compare true, so `len(x) < 5` cannot silently keep a row with no x. */
function compare(a: unknown, b: unknown, test: (c: number) => boolean): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  if (typeof a === 'number' && typeof b === 'number') return test(a - b);
  const sa = str(a);
  const sb = str(b);
  return test(sa < sb ? -1 : sa > sb ? 1 : 0);
}

/** Human form of an IR, for UI summaries and drop reasons. */
export function showExpr(ir: ExprIR): string {
  switch (ir.k) {
    case 'col':
      return ir.name;
    case 'lit':
      return JSON.stringify(ir.value);
    case 're':
      return `/${ir.source}/${ir.flags}`;
    case 'list':
      return `[${ir.items.map(showExpr).join(', ')}]`;
    case 'call':
      return `${ir.fn}(${ir.args.map(showExpr).join(', ')})`;
    case 'un':
      return ir.op === 'not' ? `not ${showExpr(ir.e)}` : `-${showExpr(ir.e)}`;
    case 'bin': {
      const wrap = (e: ExprIR) => (e.k === 'bin' && (e.op === 'or' || e.op === 'and') && e.op !== ir.op ? `(${showExpr(e)})` : showExpr(e));
      return `${wrap(ir.l)} ${ir.op} ${wrap(ir.r)}`;
    }
  }
}
