/** The typed AST of a .ftr file. Every node carries the span it came from. */

export interface Pos {
  line: number; // 1-based
  col: number; // 1-based, in UTF-16 code units
  offset: number; // 0-based
}

export interface Span {
  file: string;
  start: Pos;
  /** exclusive end */
  end: Pos;
}

export type Expr =
  | { kind: 'number'; value: number; raw: string; span: Span }
  | { kind: 'unit'; value: number; unit: string; raw: string; span: Span }
  | { kind: 'string'; value: string; span: Span }
  | { kind: 'regex'; source: string; flags: string; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  | { kind: 'null'; span: Span }
  | { kind: 'name'; name: string; span: Span }
  | { kind: 'field'; path: (string | number)[]; raw: string; span: Span }
  | { kind: 'member'; object: Expr; name: string; nameSpan: Span; span: Span }
  | { kind: 'list'; items: Expr[]; span: Span }
  | { kind: 'block'; entries: BlockEntry[]; span: Span }
  | { kind: 'call'; callee: string; calleeSpan: Span; args: Arg[]; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: 'unary'; op: 'not' | '-'; operand: Expr; span: Span }
  /** a piece the parser could not read; already reported */
  | { kind: 'error'; span: Span };

/** `->` only ever heads an argument's value: a rule clause's `CONDITION -> LABEL` (parser.ts `labeledExpr`). */
export type BinaryOp = 'or' | 'and' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '~' | 'in' | '->' | '+' | '-' | '*' | '/';

export type BlockEntry =
  | { kind: 'setting'; name: string; nameSpan: Span; value: Expr; span: Span }
  | { kind: 'clause'; stage: Stage; span: Span };

export interface Arg {
  name?: string;
  nameSpan?: Span;
  value: Expr;
  span: Span;
}

/** One step of a pipeline: an op call, or (first stage only) a reference to a cell. */
export interface Stage {
  /** dotted name as written: `dedupe`, `parts.train`, `lib.clean` */
  name: string;
  nameSpan: Span;
  args: Arg[];
  span: Span;
}

export interface Pipeline {
  stages: Stage[];
  span: Span;
}

export type Item =
  | { kind: 'recipe'; name: string; span: Span; prose?: string }
  | { kind: 'seed'; value: number; span: Span; prose?: string }
  | { kind: 'param'; name: string; nameSpan: Span; value: Expr; span: Span; prose?: string }
  | { kind: 'use'; path: string; pathSpan: Span; alias?: string; span: Span; prose?: string }
  | {
      kind: 'cell';
      /** `source`, `cell`, `show` or `export` — the keyword it was written with */
      keyword: 'source' | 'cell' | 'show' | 'export';
      name: string;
      /** absent for `show`/`export`, whose names are generated */
      nameSpan?: Span;
      pipeline: Pipeline;
      span: Span;
      prose?: string;
    };

export interface Comment {
  text: string;
  prose: boolean;
  span: Span;
}

export interface RecipeFile {
  file: string;
  source: string;
  items: Item[];
  comments: Comment[];
}
