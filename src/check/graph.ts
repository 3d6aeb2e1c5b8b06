/** The typed execution graph: what the checker produces and the runtime executes. */
import type { Span } from '../parser/ast.js';
import type { OpDef, Params, Schema } from '../core/op.js';
import type { DatasetRef } from './params.js';

export interface Step {
  op: OpDef;
  params: Params;
  /** dataset params: param name (or name[i]) → referenced cell */
  datasets: Record<string, DatasetRef>;
  span: Span;
  /** where each param was written, for diagnostics about its value */
  paramSpans: Record<string, Span>;
  /** position in the cell's pipeline; part of the derived seed */
  index: number;
  /** output schema of this step */
  schema: Schema;
}

export interface GraphCell {
  name: string;
  keyword: 'source' | 'cell' | 'show' | 'export';
  span: Span;
  prose?: string;
  /** the pipeline's input cell, when it starts with a reference */
  input?: DatasetRef;
  steps: Step[];
  schema: Schema;
  /** cells this one reads, directly */
  deps: string[];
  /** folder that relative paths in this cell resolve against (the file that defined it) */
  baseDir: string;
  summary: string;
}

export interface Graph {
  recipe: string;
  seed: number;
  /** the main recipe file (absolute) */
  file: string;
  baseDir: string;
  /** cells in recipe order (`use`d cells first) */
  cells: GraphCell[];
  /** execution order: dependencies first */
  order: string[];
  params: Record<string, unknown>;
  /** every file read while checking, for diagnostics rendering and lockfiles */
  sources: Map<string, string>;
}
