/**
 * The runtime's event stream. The runtime emits these and knows nothing of how they are shown;
 * reporters (Ink, plain lines, JSON lines) subscribe. `v` versions the JSON form.
 */

import type { Row } from '../core/row.js';

export type { Row };
import type { MetricValue } from '../core/op.js';

export type CellStatus = 'queued' | 'running' | 'cached' | 'done' | 'failed';

export interface CellInfo {
  /** cell name as written in the recipe (`show`/`export` cells get a generated name) */
  name: string;
  /** what the cell does, one line: "jsonl data/*.jsonl", "strip_html → normalize → dedupe" */
  summary: string;
  /** `##` prose written just above the cell, if any */
  prose?: string;
}

export interface RunStartEvent {
  v: 1;
  type: 'run-start';
  recipe: string;
  file: string;
  seed: number;
  cacheDir: string;
  cells: CellInfo[];
}

export interface CellEvent {
  v: 1;
  type: 'cell';
  cell: string;
  status: CellStatus;
  /** rows that entered the cell (sum over its inputs); absent for sources */
  rowsIn?: number;
  rowsOut?: number;
  /** rows per output part, for cells with named parts (a split) */
  parts?: Record<string, number>;
  /** dropped/rejected rows by reason */
  dropped?: Record<string, number>;
  /** cache key of the cell's last step */
  key?: string;
  durationMs?: number;
  /** a few output rows, on done/cached */
  preview?: Row[];
  /** rows left after each step of the cell's pipeline */
  funnel?: { step: string; rows: number }[];
  /** shards (map steps) and files (sources) computed in this run vs reused from the cache */
  shards?: { computed: number; reused: number };
  /** extra lines the cell's ops want shown (written files, reports) */
  notes?: string[];
  /** what the cell did that is probably a mistake: a step that removed every row, a column null in every row */
  warnings?: string[];
  /** every number the cell's ops report, at full precision, by op (`name#2` for a second call) */
  metrics?: Record<string, MetricValue>;
  /** where those metrics were written (metrics.json, relative to the working directory) */
  metricsFile?: string;
  /** failure message (already rendered, may span lines) */
  error?: string;
}

export interface ProgressEvent {
  v: 1;
  type: 'progress';
  cell: string;
  rows: number;
  /** rows expected in total, when known */
  total?: number;
  /** rows per second since the cell started */
  rate: number;
  /** estimated milliseconds left, when total is known */
  etaMs?: number;
}

export interface LogEvent {
  v: 1;
  type: 'log';
  cell?: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface RunEndEvent {
  v: 1;
  type: 'run-end';
  status: 'ok' | 'failed' | 'interrupted';
  durationMs: number;
  counts: { cached: number; done: number; failed: number };
  /** files written by sinks, with their content hashes */
  outputs: { path: string; sha256: string; rows?: number }[];
}

export type RunEvent = RunStartEvent | CellEvent | ProgressEvent | LogEvent | RunEndEvent;

export type Listener = (event: RunEvent) => void;
