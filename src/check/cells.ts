/**
 * Pass 4 of checking: cell names (unique, not an op's), what each cell reads, and the order
 * cells run in (dependencies first, declaration order otherwise; cycles reported).
 */
import { CODES } from '../parser/codes.js';
import type { Expr } from '../parser/ast.js';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import type { OpDef } from '../core/op.js';
import type { CellDecl } from './files.js';

export interface CellTable {
  byName: Map<string, CellDecl>;
  /** each cell's dependencies by name (file-flow edges are added by pass 6) */
  deps: Map<string, string[]>;
  order: string[];
  /** `lib.` for a cell of a file `use`d as lib */
  prefixOf(d: CellDecl): string;
  /** what `name` (or `cell.part`) refers to from a cell with this prefix */
  refTarget(name: string, prefix: string): { cell: string; part?: string } | undefined;
}

export function declareCells(decls: CellDecl[], registry: Map<string, OpDef>, diagnostics: Diagnostic[]): CellTable {
  const byName = new Map<string, CellDecl>();
  for (const d of decls) {
    if (!d.item.nameSpan) {
      // `show`/`export` cells: a second `export parts` becomes `export:parts:2`
      let n = 2;
      const base = d.name;
      while (byName.has(d.name)) d.name = `${base}:${n++}`;
    }
    const prev = byName.get(d.name);
    if (prev) {
      diagnostics.push(diag(CODES.DUPLICATE, `cell \`${d.name}\` is defined twice`, d.item.nameSpan ?? d.item.span, { notes: [`first defined at ${prev.file}:${prev.item.span.start.line}`] }));
      continue;
    }
    if (registry.has(d.name)) {
      diagnostics.push(diag(CODES.DUPLICATE, `cell \`${d.name}\` has the name of an op`, d.item.nameSpan ?? d.item.span, { help: 'pick another name so `| ' + d.name + '` stays unambiguous' }));
    }
    byName.set(d.name, d);
  }
  const prefixOf = (d: CellDecl) => d.name.slice(0, d.name.length - d.item.name.length);

  const refTarget = (name: string, prefix: string): { cell: string; part?: string } | undefined => {
    for (const candidate of [prefix + name, name]) {
      if (byName.has(candidate)) return { cell: candidate };
      const dot = candidate.lastIndexOf('.');
      if (dot > 0 && byName.has(candidate.slice(0, dot))) return { cell: candidate.slice(0, dot), part: candidate.slice(dot + 1) };
    }
    return undefined;
  };
  const depsOf = (d: CellDecl): string[] => {
    const deps = new Set<string>();
    const prefix = prefixOf(d);
    const visit = (e: Expr): void => {
      const n = dottedName(e);
      if (n) {
        const t = refTarget(n, prefix);
        if (t) deps.add(t.cell);
      }
      if (e.kind === 'list') e.items.forEach(visit);
    };
    d.item.pipeline.stages.forEach((s, i) => {
      if (i === 0 && s.args.length === 0) {
        const t = refTarget(s.name, prefix);
        if (t) deps.add(t.cell);
      }
      const op = registry.get(s.name);
      if (op?.params.some((p) => p.type.kind === 'dataset' || (p.type.kind === 'list' && p.type.of.kind === 'dataset'))) s.args.forEach((a) => visit(a.value));
    });
    return [...deps]; // a self-reference stays: the cycle check reports it
  };
  const deps = new Map([...byName.values()].map((d) => [d.name, depsOf(d)]));
  const order = topoOrder([...byName.keys()], deps, (cycle) => {
    const d = byName.get(cycle[0])!;
    diagnostics.push(diag(CODES.CYCLE, `cells depend on each other in a cycle: ${cycle.join(' → ')}`, d.item.nameSpan ?? d.item.span, { help: 'a cell can only read cells that do not read it back' }));
  });
  return { byName, deps, order, prefixOf, refTarget };
}

export function dottedName(e: Expr): string | undefined {
  if (e.kind === 'name') return e.name;
  if (e.kind === 'member') {
    const head = dottedName(e.object);
    return head === undefined ? undefined : `${head}.${e.name}`;
  }
  return undefined;
}

/** Kahn's algorithm in declaration order; reports each cycle once. */
export function topoOrder(names: string[], deps: Map<string, string[]>, onCycle: (cycle: string[]) => void): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    const s = state.get(n);
    if (s === 'done') return;
    if (s === 'visiting') {
      onCycle([...stack.slice(stack.indexOf(n)), n]);
      return;
    }
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of deps.get(n) ?? []) if (deps.has(d)) visit(d);
    stack.pop();
    state.set(n, 'done');
    order.push(n);
  };
  names.forEach(visit);
  return order;
}
