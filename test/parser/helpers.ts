/** Shared helpers for the parser tests: parse, pick items, strip spans, format positions. */
import { expect } from 'vitest';
import type { Expr, Item, RecipeFile, Span } from '../../src/parser/ast.js';
import type { Diagnostic } from '../../src/parser/diagnostics.js';
import { parseRecipe } from '../../src/parser/parse.js';
import { ftrLexer } from '../../src/parser/tokens.js';

export type CellItem = Extract<Item, { kind: 'cell' }>;

/** Parse and insist on no diagnostics (shows them when there are some). */
export function parseOk(src: string, file = 'test.ftr'): RecipeFile {
  const r = parseRecipe(src, file);
  expect(r.diagnostics.map((d) => `${d.code} ${pos(d)} ${d.message}`)).toEqual([]);
  return r.ast;
}

/** The value expression of `param p = <src>`. */
export function expr(src: string): Expr {
  const ast = parseOk(`param p = ${src}`);
  const item = ast.items[0];
  if (item?.kind !== 'param') throw new Error(`expected a param item, got ${item?.kind}`);
  return item.value;
}

export function cellAt(ast: RecipeFile, i: number): CellItem {
  const item = ast.items[i];
  if (item?.kind !== 'cell') throw new Error(`item ${i} is ${item?.kind}, not a cell`);
  return item;
}

/** A deep copy without spans, for structural comparisons. */
export function strip<T>(x: T): unknown {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === 'span' || k === 'nameSpan' || k === 'calleeSpan' || k === 'pathSpan' ? undefined : v)));
}

/** `line:col` of a diagnostic's start. */
export function pos(d: Diagnostic | { span: Span }): string {
  return `${d.span.start.line}:${d.span.start.col}`;
}

/** `line:col-line:col` of a span (end exclusive). */
export function range(s: Span): string {
  return `${s.start.line}:${s.start.col}-${s.end.line}:${s.end.col}`;
}

/** The token types the lexer produces, skipped whitespace and comments left out. */
export function tokenTypes(src: string): string[] {
  const r = ftrLexer.tokenize(src);
  expect(r.errors).toEqual([]);
  return r.tokens.map((t) => t.tokenType.name);
}

export function tokens(src: string): [string, string][] {
  const r = ftrLexer.tokenize(src);
  expect(r.errors).toEqual([]);
  return r.tokens.map((t) => [t.tokenType.name, t.image]);
}
