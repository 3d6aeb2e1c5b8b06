/**
 * What an op is. Every op is one module that exports an `OpDef`; the parser, checker and runtime
 * know ops only through this interface. Part of the core layer (src/core): it imports nothing but
 * the parser's spans and other core modules, so every layer above may use it.
 */
import type { Span } from '../parser/ast.js';
import type { ExprIR } from './expr.js';
import type { Row } from './row.js';

export type ColType = 'string' | 'number' | 'bool' | 'list' | 'record' | 'any';

export interface Column {
  name: string;
  type: ColType;
}

export interface Schema {
  columns: Column[];
  /** named outputs (a split's train/val/test); absent for a single dataset */
  parts?: string[];
  /** columns beyond those listed may exist (a source whose head could not be sampled): names are not checked */
  open?: boolean;
}

export type ParamType =
  | { kind: 'string' }
  | { kind: 'number'; integer?: boolean; min?: number; max?: number }
  | { kind: 'bool' }
  /** `80%` or `0.8`; stored as a fraction */
  | { kind: 'percent' }
  /** `5k`, `1_000`; stored as an integer */
  | { kind: 'count'; min?: number }
  /** `512MB`; stored in bytes */
  | { kind: 'size' }
  /** `30s`; stored in milliseconds */
  | { kind: 'duration' }
  | { kind: 'enum'; values: readonly string[] }
  /** a column of the op's input, by bare name or string */
  | { kind: 'column' }
  /** one column or a list of columns */
  | { kind: 'columns' }
  /** a file or folder path, relative to the recipe; `glob` allows wildcards; `access` is checked against --allow-read/--allow-write */
  | { kind: 'path'; glob?: boolean; access?: 'read' | 'write' }
  | { kind: 'regex' }
  /** a row expression, type-checked against the input schema */
  | { kind: 'expr'; returns?: 'bool' | 'string' | 'number' | 'any' }
  /** `{ n_words: words(text), long: len(text) > 500 }`: named row expressions, each type-checked against the input schema plus the entries before it; stored in order as [{ name, expr: ExprIR }] (a list: cache keys sort object keys) */
  | { kind: 'exprs' }
  /** another cell: makes a graph edge */
  | { kind: 'dataset' }
  /** a path into a raw record: `.data.items`, `.messages[0]`; stored as a list of keys */
  | { kind: 'field' }
  /** `{ out_col: .path.in.record, other: column }` */
  | { kind: 'mapping' }
  /** `{ train: 80%, val: 10%, test: 10% }` or a list of percentages; must add up to 100% */
  | { kind: 'ratios'; names?: readonly string[] }
  | { kind: 'list'; of: ParamType }
  | { kind: 'record' }
  /**
   * `{ rule NAME: CONDITION -> "label" … }`: clauses (keywords in `clauses`, default `rule`) bound
   * to a `RulesValue` (src/check/rules.ts), each condition checked against the input schema.
   * Settings `name: value` in the block bind to the op's other params.
   */
  | { kind: 'rules'; clauses?: readonly string[] }
  /** `env("API_TOKEN")`: the name of an environment variable holding a secret; resolve with `resolveSecret` */
  | { kind: 'secret' }
  | { kind: 'any' };

export interface ParamSpec {
  name: string;
  type: ParamType;
  doc: string;
  /** value used when the recipe does not set it; absent + not required = optional (undefined) */
  default?: unknown;
  required?: boolean;
  /** may be given without its name, in declaration order */
  positional?: boolean;
  /** several positional values collect into this list param */
  variadic?: boolean;
}

/** A field path like `.body.text` after checking. */
export interface FieldPathValue {
  field: (string | number)[];
}

export interface RegexValue {
  regex: string;
  flags: string;
}

/** Checked params: JSON-serialisable (they go into cache keys) with defaults filled in. */
export type Params = Record<string, unknown>;

export interface SchemaContext {
  /** the pipeline input's schema; undefined for sources */
  input?: Schema;
  /** schemas of dataset params, by param name (lists: name[i]) */
  datasets: Record<string, Schema>;
  params: Params;
  /** recipe folder: sources may sample files to infer columns */
  baseDir: string;
  /** the cell that writes this absolute path (or a folder holding it), when another cell does: its file need not exist before the run */
  producer?(abs: string): string | undefined;
  /** report a problem with a param (or the whole call when param is undefined) */
  error(param: string | undefined, message: string, extra?: { label?: string; help?: string; notes?: string[] }): void;
  /** report something that is probably a mistake but does not stop the run (a field path no sampled record has) */
  warn?(param: string | undefined, message: string, extra?: { label?: string; help?: string; notes?: string[] }): void;
}

/** What a run has done so far — for ops that report on the whole recipe (a dataset card). */
export interface RunInfo {
  recipe: string;
  /** sha256 of the recipe text (and of every `use`d file, in order) */
  recipeSha256: string;
  seed: number;
  params: Record<string, unknown>;
  ftrVersion: string;
  /** cells finished before this one, in execution order */
  cells: {
    name: string;
    summary: string;
    rowsIn?: number;
    rowsOut: number;
    parts?: Record<string, number>;
    dropped: Record<string, number>;
    /** rows left after each step */
    funnel: { step: string; rows: number }[];
    /** source files read, by content */
    inputs?: { file: string; sha256: string }[];
    /** the notes of its steps whose op is a `cardReport` (bias_report's tables), for dataset cards */
    biasReport?: string[];
  }[];
}

export interface OpContext {
  /** the run so far (recipe identity, finished cells with counts and inputs) */
  run?: RunInfo;
  /** the cell the op runs in */
  cell: string;
  /** derived seed (recipe seed + cell + step), for random ops */
  seed: number;
  baseDir: string;
  /** the step's output schema, as the checker inferred it */
  schema: Schema;
  signal: AbortSignal;
  /** a folder in the cache for an op's own memo (model features, training checkpoints); absent in unit tests */
  memoDir?: string;
  /** report rows handled so far in this step (drives progress bars) */
  progress(rows: number): void;
  log(message: string): void;
}

/** A row a source could not read, with where and why. */
export interface Reject {
  reason: string;
  detail?: string;
  location?: string;
  raw?: string;
}

/**
 * A row read from an input (`line`: its 1-based line or record number, used for its id), a reject,
 * something passed over that is not a row (`skip: 'blank line'`: "3 blank lines skipped" in the
 * cell's notes), or a fact about the file worth a note (`note`: said once per file, with how often).
 */
export type ReadItem = { row: Row; line: number } | { reject: Reject } | { skip: string } | { note: string };

export interface SourceInput {
  /** stable label: the path relative to the recipe folder */
  label: string;
  /** absolute path, for file inputs */
  path: string;
}

export interface SourceImpl {
  /** resolve what to read (glob expansion); sorted, so outputs do not depend on readdir order */
  /** `offline`: planning only (lock, explain) — use what was saved, never fetch */
  inputs(params: Params, ctx: { baseDir: string; offline?: boolean }): Promise<SourceInput[]>;
  /** stream one input's rows; ids and provenance are added by the runtime */
  read(input: SourceInput, params: Params, ctx: OpContext): AsyncIterable<ReadItem>;
}

/** A failure inside an op that the user can act on (bad file, bad value): shown without a stack. */
export class OpError extends Error {}

/** A row a map op leaves out, and why; kept in the cell's rejects. */
export class Drop {
  constructor(readonly reason: string, readonly detail?: string) {}
}

/** Result of a map op on one row: the row (changed or not), several rows, or a Drop. */
export type MapResult = Row | Row[] | Drop;

export type MapImpl = (params: Params, ctx: OpContext) => (row: Row) => MapResult;

/** A whole input dataset part for global ops: iterate it as often as needed, rows in order. */
export interface RowSet {
  count: number;
  rows(): AsyncIterable<Row>;
}

export interface GlobalOutput {
  /** emit a row to the output (to a named part for ops that declare parts) */
  emit(row: Row, part?: string): Promise<void>;
  drop(row: Row, reason: string, detail?: string): Promise<void>;
  /** a line shown under the cell (a summary, a report) */
  note(line: string): void;
  /**
   * a number the op reports (or a record/list of them), at full precision: in the cell's --json
   * event and its metrics.json. Every number a note prints should also be a metric.
   */
  metric?(name: string, value: MetricValue): void;
  /**
   * a file the op wrote outside the cache (a tokenizer, a review queue): a cached run checks it
   * is still there and unchanged, and re-runs the step when it is not
   */
  wrote?(absPath: string): Promise<void>;
}

/**
 * What a global op does with a dataset that has parts (after `split`). The executor implements
 * every mode once; an op never handles a missing part name itself.
 * - `each` (default): runs on every part on its own; its rows stay in their part.
 * - `train`: like `each`, but only on the parts named by the op's `apply_to` param (default
 *   `[train]`); the other parts pass through unchanged (resampling must not touch evaluation parts).
 * - `across`: runs once over every part together (in part order); each row it emits goes back to
 *   the part its input row came from (dedupe keeps parts disjoint; data-derived thresholds are the
 *   same for every part).
 * - `all`: gets every part by name in `extra` (`part:<name>`) and emits rows to a named part
 *   itself (ops that compare parts: a leakage audit).
 * - `merge`: the parts are concatenated into one dataset; the output has the op's own parts
 *   (split) or none (concat).
 * - `refuse`: the checker asks for one part (`cell.train`).
 */
export type PartsMode = 'each' | 'train' | 'across' | 'all' | 'merge' | 'refuse';

export const PARTS_MODES: readonly PartsMode[] = ['each', 'train', 'across', 'all', 'merge', 'refuse'];

/** The `apply_to` param of ops in `train` parts mode. */
export const APPLY_TO_PARAM: ParamSpec = {
  name: 'apply_to',
  type: { kind: 'list', of: { kind: 'any' } },
  doc: 'parts of a split input to apply the op to (default [train]); the other parts pass through unchanged',
};

export interface GlobalImpl {
  parts?: PartsMode;
  run(input: RowSet, params: Params, ctx: OpContext, out: GlobalOutput, extra: Record<string, RowSet>): Promise<void>;
}

/** A machine-readable measurement: numbers (full precision), labels, and records or lists of them. */
export type MetricValue = number | string | boolean | null | MetricValue[] | { [key: string]: MetricValue };

export interface SinkResult {
  /** measurements, as `GlobalOutput.metric` */
  metrics?: Record<string, MetricValue>;
  /** `rows` absent for files that are not rows of the dataset (a dataset card) */
  files: { path: string; sha256: string; rows?: number }[];
  /** lines shown under the cell after the files written (a training report) */
  notes?: string[];
}

export interface SinkImpl {
  /** write the dataset (all its parts) somewhere outside the cache */
  write(parts: Record<string, RowSet>, params: Params, ctx: OpContext): Promise<SinkResult>;
}

export interface OpDef {
  name: string;
  /** bump when output bytes may change for the same inputs and params */
  version: number;
  kind: 'source' | 'map' | 'global' | 'sink';
  /** one line for `ftr ops` */
  summary: string;
  doc?: string;
  params: ParamSpec[];
  /** uses ctx.seed; its seed then enters the cache key */
  random?: boolean;
  /** input schema + params → output schema, reporting errors through ctx */
  schema(ctx: SchemaContext): Schema;
  /** what the call needs beyond reading and writing its path params: network hosts, subprocesses */
  permissions?(params: Params): { net?: string[]; run?: boolean };
  /** its notes are a report a dataset card includes (bias_report's tables) */
  cardReport?: boolean;
  /** true when the output depends on the run so far (`ctx.run`, e.g. a dataset card): the run info then enters the cache key */
  usesRun?(params: Params): boolean;
  /** what the result depends on beyond params and inputs, resolved when the recipe runs (`backend: auto` → the backend it trains on): enters the cache key */
  environment?(params: Params): string[];
  /** a short description of the call for the UI ("split 80/10/10") */
  describe?(params: Params): string;
  /**
   * Trained tasks this call writes, for `ftr predict --adapter`: the output folder (relative to
   * the recipe), its base model and max length; `suffix` names a task inside the folder
   * (`dir/suffix`, called `cell/suffix`).
   */
  tasks?(params: Params): { dir: string; base: string; maxLen: number; suffix?: string }[];
  source?: SourceImpl;
  map?: MapImpl;
  global?: GlobalImpl;
  sink?: SinkImpl;
}

export function defineOp(def: OpDef): OpDef {
  return def;
}

/** Span info the checker keeps for each checked param, so runtime errors can point at the recipe. */
export type ParamSpans = Record<string, Span>;

export type { ExprIR, Row };
