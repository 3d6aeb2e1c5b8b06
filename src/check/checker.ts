/**
 * AST → typed graph, in passes: the files (the recipe and what it `use`s), the header and
 * params, the cells and their order, each cell's pipeline (ops looked up, params bound and
 * checked, schemas flowed), and the order files between cells impose. No data is read here
 * (sources may sample a file's first rows to learn its columns).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { capDiagnostics, type Diagnostic } from '../parser/diagnostics.js';
import type { OpDef } from '../core/op.js';
import { declareCells } from './cells.js';
import { orderByFileFlow, producerOf } from './file-flow.js';
import { loadRecipeFiles } from './files.js';
import type { Graph, GraphCell } from './graph.js';
import type { Grants } from './permissions.js';
import { checkPipeline } from './pipeline.js';
import { readHeader, recipeParams } from './recipe-params.js';

export { UsageError } from './recipe-params.js';

export interface CheckOptions {
  /** `--set name=value` overrides, as typed on the command line */
  set?: Record<string, string>;
  /** read a file (tests pass in-memory sources) */
  readFile?: (path: string) => string;
  /**
   * Values for a param of every op that declares it, over what the recipe wrote (`ftr run
   * --backend cpu` sets `backend` of every training cell); checked like a recipe's own value.
   */
  paramOverrides?: Record<string, string>;
  /** decide each read before it happens (a step's files before its schema samples them, `use`d files) */
  grants?: Grants;
}

export interface CheckResult {
  graph?: Graph;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
}

export function checkRecipe(path: string, registry: Map<string, OpDef>, opts: CheckOptions = {}): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const file = resolve(path);
  const files = loadRecipeFiles(file, opts.readFile ?? ((p: string) => readFileSync(p, 'utf8')), Boolean(opts.readFile), diagnostics, opts.grants);
  const { main, decls, sources } = files;
  if (!main) return { diagnostics, sources };
  const { recipeName, seed } = readHeader(main, file, diagnostics);
  const { constants, paramSpans } = recipeParams(files.paramItems, opts.set ?? {}, diagnostics);
  const table = declareCells(decls, registry, diagnostics);
  const cells = new Map<string, GraphCell>();
  const env = { registry, table, cells, constants, paramSpans, diagnostics, producer: producerOf(decls, registry), paramOverrides: opts.paramOverrides, grants: opts.grants, recipeDir: dirname(file) };
  for (const name of table.order) {
    const cell = checkPipeline(table.byName.get(name)!, env);
    if (cell) cells.set(name, cell);
  }
  const order = orderByFileFlow(cells, table, diagnostics);

  diagnostics.sort((a, b) => (a.span.file === b.span.file ? a.span.start.offset - b.span.start.offset : a.span.file < b.span.file ? -1 : 1));
  // bounded: 30,000 unknown columns give a few errors and a count
  if (diagnostics.some((x) => x.severity === 'error')) return { diagnostics: capDiagnostics(diagnostics), sources };
  const graph: Graph = {
    recipe: recipeName,
    seed,
    file,
    baseDir: dirname(file),
    cells: decls.map((d) => cells.get(d.name)).filter((c): c is GraphCell => !!c),
    order,
    params: Object.fromEntries(constants),
    sources,
  };
  return { graph, diagnostics, sources };
}
