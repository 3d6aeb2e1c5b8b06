/**
 * Plain-line reporter for pipes, CI logs and dumb terminals: one `[ftr]` line per meaningful
 * event, no ANSI, no cursor movement, so `ftr run | tee log` reads well.
 */

import type { CellEvent, ProgressEvent, RunEvent } from '../runtime/events.js';
import {
  formatCount,
  formatDropped,
  formatDuration,
  formatLog,
  formatParts,
  formatPreview,
  formatProgressCounts,
  formatRowsInOut,
  formatRunSummary,
  shortHash,
} from './format.js';
import { finalPreviewCells, initialRunState, reduce, type CellState, type RunState } from './state.js';

export interface PlainReporterOptions {
  /** clock for progress throttling; tests pass a fake one */
  now?: () => number;
  /** width preview tables may use */
  width?: number;
}

const PREFIX = '[ftr]';
const PROGRESS_INTERVAL_MS = 10_000;
const PREVIEW_ROWS = 3;

/** `write` receives whole lines, each ending in "\n" (so `process.stdout.write` can be passed as is). */
export function createPlainReporter(
  write: (s: string) => void,
  { now = Date.now, width = 100 }: PlainReporterOptions = {},
): { onEvent(event: RunEvent): void; close(): void } {
  let state: RunState = initialRunState;
  const progressPrinted = new Map<string, { decile: number; at: number }>();
  const proseShown = new Set<string>();

  const line = (text: string) => {
    for (const part of text.split('\n')) write(`${PREFIX} ${part}\n`);
  };
  const detail = (text: string) => line(text.replace(/^/gm, '  '));

  function onCell(event: CellEvent, cell: CellState): void {
    if (event.status === 'queued') return;
    if (cell.prose && !proseShown.has(cell.name)) {
      proseShown.add(cell.name);
      line(cell.prose.replace(/^/gm, '## '));
    }
    if (event.status === 'running') {
      progressPrinted.set(cell.name, { decile: 0, at: now() });
      line(joinParts([`${cell.name} running`, cell.summary]));
      return;
    }
    // "cached" is already the status word, so a cached cell shows no time.
    const time = cell.status !== 'cached' && cell.durationMs !== undefined ? formatDuration(cell.durationMs) : '';
    line(joinParts([`${cell.name} ${cell.status}`, formatRowsInOut(cell.rowsIn, cell.rowsOut), time]));
    if (cell.error) detail(`error: ${cell.error}`);
    const dropped = formatDropped(cell.dropped);
    if (dropped) detail(dropped);
    const parts = formatParts(cell.parts);
    if (parts) detail(`parts: ${parts}`);
    for (const note of cell.notes ?? []) detail(note);
  }

  // At most one line per 10% of the total, or per 10 s when the total is unknown or slow to move.
  function onProgress(event: ProgressEvent): void {
    const last = progressPrinted.get(event.cell) ?? { decile: 0, at: now() };
    const decile = event.total ? Math.min(9, Math.floor((10 * event.rows) / event.total)) : last.decile;
    const due = decile > last.decile || now() - last.at >= PROGRESS_INTERVAL_MS;
    if (due) line(`${event.cell} ${formatProgressCounts(event)}`);
    progressPrinted.set(event.cell, due ? { decile, at: now() } : last);
  }

  function onRunEnd(summary: NonNullable<RunState['summary']>): void {
    for (const cell of finalPreviewCells(state)) {
      line(`preview ${cell.name}:`);
      for (const row of formatPreview(cell.preview ?? [], { width: width - PREFIX.length - 3, maxRows: PREVIEW_ROWS })) {
        detail(row);
      }
    }
    line(formatRunSummary(summary, state.cells.length));
    for (const output of summary.outputs) {
      line(`wrote ${output.path}${output.rows === undefined ? '' : ` · ${formatCount(output.rows)} rows`} · sha256 ${shortHash(output.sha256)}`);
    }
  }

  return {
    onEvent(event) {
      state = reduce(state, event);
      switch (event.type) {
        case 'run-start':
          line(`run ${event.recipe} (${event.file}) · seed ${event.seed} · cache ${event.cacheDir} · ${event.cells.length} cells`);
          break;
        case 'cell':
          onCell(event, state.cells.find((c) => c.name === event.cell)!);
          break;
        case 'progress':
          onProgress(event);
          break;
        case 'log':
          line(formatLog(event));
          break;
        case 'run-end':
          onRunEnd(state.summary!);
          break;
      }
    },
    // Every line is written as its event arrives; nothing is buffered.
    close() {},
  };
}

function joinParts(parts: string[]): string {
  return parts.filter(Boolean).join(' · ');
}
