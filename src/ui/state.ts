/**
 * Folds the runtime's event stream into one immutable snapshot of a run, which every
 * reporter can read. Pure: no I/O, no clock; each event yields a new state object so
 * React can tell what changed by reference.
 */

import type { CellEvent, CellInfo, CellStatus, LogEvent, RunEndEvent, RunEvent, Row } from '../runtime/events.js';

export interface Progress {
  rows: number;
  total?: number;
  /** rows per second since the cell started */
  rate: number;
  etaMs?: number;
}

export interface CellState extends CellInfo {
  status: CellStatus;
  rowsIn?: number;
  rowsOut?: number;
  parts?: Record<string, number>;
  dropped?: Record<string, number>;
  key?: string;
  durationMs?: number;
  preview?: Row[];
  notes?: string[];
  error?: string;
  /** live counters while running; cleared once the cell settles */
  progress?: Progress;
  /** the running cell's latest log line (a training step: loss, lr, ms/step); cleared once it settles */
  latest?: string;
}

export interface LogLine {
  cell?: string;
  level: LogEvent['level'];
  message: string;
}

/**
 * Things that will not change any more, in the order they became final. Append-only, so a
 * view can print it once (Ink's `<Static>` only renders items appended since last time).
 */
export type TranscriptEntry = { kind: 'cell'; cell: CellState } | { kind: 'log'; log: LogLine };

export type RunSummary = Omit<RunEndEvent, 'v' | 'type'>;

export interface RunState {
  recipe?: string;
  file?: string;
  seed?: number;
  cacheDir?: string;
  /** recipe order; cells first heard of in a `cell` event are appended */
  cells: CellState[];
  transcript: TranscriptEntry[];
  /** set by `run-end` */
  summary?: RunSummary;
}

export const initialRunState: RunState = { cells: [], transcript: [] };

const SETTLED: ReadonlySet<CellStatus> = new Set(['cached', 'done', 'failed']);

export function isSettled(status: CellStatus): boolean {
  return SETTLED.has(status);
}

export function reduce(state: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case 'run-start':
      return {
        recipe: event.recipe,
        file: event.file,
        seed: event.seed,
        cacheDir: event.cacheDir,
        cells: event.cells.map((info) => ({ ...info, status: 'queued' })),
        transcript: [],
      };
    case 'cell':
      return applyCellEvent(state, event);
    case 'progress': {
      const { rows, total, rate, etaMs } = event;
      return updateCell(state, event.cell, (cell) => ({ ...cell, progress: { rows, total, rate, etaMs } }));
    }
    case 'log': {
      const log: LogLine = { cell: event.cell, level: event.level, message: event.message };
      // a running cell's own info lines update in place (a training loop logs every few seconds)
      const running = event.level === 'info' && state.cells.find((c) => c.name === event.cell)?.status === 'running';
      if (running) return updateCell(state, event.cell!, (cell) => ({ ...cell, latest: event.message }));
      return { ...state, transcript: [...state.transcript, { kind: 'log', log }] };
    }
    case 'run-end': {
      const { status, durationMs, counts, outputs } = event;
      return { ...state, summary: { status, durationMs, counts, outputs } };
    }
  }
}

function applyCellEvent(state: RunState, event: CellEvent): RunState {
  const before = state.cells.find((c) => c.name === event.cell);
  const next = updateCell(state, event.cell, (cell) => {
    const merged: CellState = { ...cell, ...definedFields(event), status: event.status };
    if (isSettled(event.status)) {
      delete merged.progress;
      delete merged.latest;
    }
    return merged;
  });
  // A cell enters the transcript once, when it first settles.
  if (!isSettled(event.status) || (before && isSettled(before.status))) return next;
  const settled = next.cells.find((c) => c.name === event.cell)!;
  return { ...next, transcript: [...next.transcript, { kind: 'cell', cell: settled }] };
}

/** The cell fields an event carries; absent ones must not erase what an earlier event said. */
function definedFields(event: CellEvent): Partial<CellState> {
  const { v: _v, type: _type, cell: _cell, ...fields } = event;
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function updateCell(state: RunState, name: string, update: (cell: CellState) => CellState): RunState {
  const index = state.cells.findIndex((c) => c.name === name);
  if (index === -1) {
    const unknown: CellState = { name, summary: '', status: 'queued' };
    return { ...state, cells: [...state.cells, update(unknown)] };
  }
  const cells = state.cells.slice();
  cells[index] = update(cells[index]);
  return { ...state, cells };
}

/** Cells whose preview is worth showing at the end: the last `limit` settled cells (recipe order) that have rows. */
export function finalPreviewCells(state: RunState, limit = 2): CellState[] {
  const withPreview = state.cells.filter((c) => (c.status === 'done' || c.status === 'cached') && c.preview?.length);
  return withPreview.slice(-limit);
}
