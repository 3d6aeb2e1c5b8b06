/**
 * NDJSON reporter (`--json`): each event as one JSON line, exactly as the runtime emitted it
 * (it carries `v` and `type`). Only progress is thinned out, because a fast cell can emit
 * thousands per second.
 */

import type { ProgressEvent, RunEvent } from '../runtime/events.js';

export interface JsonReporterOptions {
  /** clock for progress throttling; tests pass a fake one */
  now?: () => number;
}

/** At most ~5 progress lines per second per cell. */
const PROGRESS_INTERVAL_MS = 200;

/** `write` receives whole lines, each ending in "\n". */
export function createJsonReporter(
  write: (s: string) => void,
  { now = Date.now }: JsonReporterOptions = {},
): { onEvent(event: RunEvent): void; close(): void } {
  const lastWrittenAt = new Map<string, number>();
  // The newest progress a cell had when throttled; written before that cell's next event so
  // a consumer always sees the final count.
  const heldBack = new Map<string, ProgressEvent>();

  const emit = (event: RunEvent) => write(`${JSON.stringify(event)}\n`);

  function flush(cell: string): void {
    const held = heldBack.get(cell);
    if (!held) return;
    heldBack.delete(cell);
    emit(held);
  }

  function flushAll(): void {
    for (const cell of [...heldBack.keys()]) flush(cell);
  }

  function onProgress(event: ProgressEvent): void {
    const last = lastWrittenAt.get(event.cell);
    const complete = event.total !== undefined && event.rows >= event.total;
    if (complete || last === undefined || now() - last >= PROGRESS_INTERVAL_MS) {
      heldBack.delete(event.cell);
      lastWrittenAt.set(event.cell, now());
      emit(event);
    } else {
      heldBack.set(event.cell, event);
    }
  }

  return {
    onEvent(event) {
      switch (event.type) {
        case 'progress':
          return onProgress(event);
        case 'cell':
        case 'log':
          if (event.cell !== undefined) flush(event.cell);
          return emit(event);
        case 'run-end':
          flushAll();
          return emit(event);
        case 'run-start':
          return emit(event);
      }
    },
    close: flushAll,
  };
}
