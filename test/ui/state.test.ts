import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runtime/events.js';
import { finalPreviewCells, initialRunState, reduce, type RunState } from '../../src/ui/state.js';
import { curatedError, events, eventsUntil, failedRun, okRun, runStart } from './fixtures.js';

const fold = (evs: RunEvent[], from: RunState = initialRunState) => evs.reduce(reduce, from);
const cellOf = (state: RunState, name: string) => state.cells.find((c) => c.name === name)!;

describe('reduce', () => {
  it('folds a whole run into cells in recipe order with their results', () => {
    const state = fold(events(okRun));
    expect(state).toMatchObject({ recipe: 'support_intents', file: 'recipes/support.ftr', seed: 42, cacheDir: '.ftr/' });
    expect(state.cells.map((c) => [c.name, c.status])).toEqual([
      ['tickets', 'cached'],
      ['clean', 'done'],
      ['curated', 'done'],
      ['parts', 'done'],
      ['export_parts', 'done'],
    ]);
    expect(cellOf(state, 'tickets')).toMatchObject({ rowsOut: 12408, prose: 'Raw tickets exported from the helpdesk.' });
    expect(cellOf(state, 'clean')).toMatchObject({
      rowsIn: 12408,
      rowsOut: 11902,
      durationMs: 800,
      dropped: { 'too short': 431, 'missing text': 75 },
    });
    expect(cellOf(state, 'parts').parts).toEqual({ train: 9112, val: 1139, test: 1139 });
    expect(cellOf(state, 'export_parts').notes).toEqual(['wrote out/train.jsonl', 'wrote out/val.jsonl']);
    expect(state.summary).toMatchObject({ status: 'ok', durationMs: 3410, counts: { cached: 1, done: 4, failed: 0 } });
    expect(state.summary!.outputs).toHaveLength(2);
  });

  it('tracks live progress while a cell runs and drops it once the cell settles', () => {
    const running = fold(eventsUntil(okRun, (e) => e.type === 'cell' && e.cell === 'clean' && e.status === 'done'));
    expect(cellOf(running, 'clean')).toMatchObject({
      status: 'running',
      progress: { rows: 6204, total: 12408, rate: 41000 },
    });
    expect(cellOf(running, 'clean').progress!.etaMs).toBeCloseTo(151.3, 0);
    expect(cellOf(fold(events(okRun)), 'clean').progress).toBeUndefined();
  });

  it('keeps fields an earlier event gave when a later one omits them', () => {
    const state = fold([
      runStart,
      { v: 1, type: 'cell', cell: 'clean', status: 'running', rowsIn: 12408 },
      { v: 1, type: 'cell', cell: 'clean', status: 'done', rowsOut: 11902 },
    ]);
    expect(cellOf(state, 'clean')).toMatchObject({ status: 'done', rowsIn: 12408, rowsOut: 11902 });
  });

  it('records failures with their error and leaves blocked cells queued', () => {
    const state = fold(events(failedRun));
    expect(cellOf(state, 'curated')).toMatchObject({ status: 'failed', error: curatedError });
    expect(cellOf(state, 'parts').status).toBe('queued');
    expect(state.summary!.status).toBe('failed');
  });

  it('appends settled cells and log lines to the transcript once, in the order they happened', () => {
    const state = fold(events(okRun));
    expect(state.transcript.map((e) => (e.kind === 'cell' ? e.cell.name : `log:${e.log.message}`))).toEqual([
      'tickets',
      'clean',
      'log:3 rows had invalid UTF-8',
      'curated',
      'parts',
      'export_parts',
    ]);
    const repeated = reduce(state, { v: 1, type: 'cell', cell: 'clean', status: 'done', rowsOut: 11902 });
    expect(repeated.transcript).toHaveLength(state.transcript.length);
  });

  it("keeps a running cell's latest info line in place instead of the transcript, and drops it when the cell settles", () => {
    const running = fold(eventsUntil(okRun, (e) => e.type === 'cell' && e.cell === 'curated' && e.status === 'done'));
    expect(cellOf(running, 'curated').status).toBe('running');
    const step = (n: number) => ({ v: 1 as const, type: 'log' as const, cell: 'curated', level: 'info' as const, message: `adapter step ${n}/20 · loss 0.5` });
    const s2 = reduce(reduce(running, step(1)), step(2));
    expect(cellOf(s2, 'curated').latest).toBe('adapter step 2/20 · loss 0.5');
    expect(s2.transcript).toHaveLength(running.transcript.length);
    const done = reduce(s2, { v: 1, type: 'cell', cell: 'curated', status: 'done', rowsOut: 3 });
    expect(cellOf(done, 'curated').latest).toBeUndefined();
    // after it settles, its lines go to the transcript again
    expect(reduce(done, step(3)).transcript.at(-1)).toMatchObject({ kind: 'log' });
  });

  it('adds a cell the run-start did not list', () => {
    const state = fold([runStart, { v: 1, type: 'cell', cell: 'show_1', status: 'done', rowsOut: 5 }]);
    expect(state.cells.at(-1)).toMatchObject({ name: 'show_1', summary: '', status: 'done', rowsOut: 5 });
  });

  it('never mutates the state it was given', () => {
    const before = fold([runStart]);
    const snapshot = structuredClone(before);
    const after = reduce(before, { v: 1, type: 'cell', cell: 'tickets', status: 'cached', rowsOut: 1 });
    expect(before).toEqual(snapshot);
    expect(after.cells).not.toBe(before.cells);
    expect(after.cells[1]).toBe(before.cells[1]); // untouched cells keep their identity
  });

  it('a new run-start starts from scratch', () => {
    const state = fold([runStart], fold(events(okRun)));
    expect(state.summary).toBeUndefined();
    expect(state.transcript).toEqual([]);
    expect(state.cells.every((c) => c.status === 'queued')).toBe(true);
  });
});

describe('finalPreviewCells', () => {
  it('picks the last settled cells that have preview rows, in recipe order', () => {
    const state = fold(events(okRun));
    expect(finalPreviewCells(state).map((c) => c.name)).toEqual(['clean', 'parts']);
    expect(finalPreviewCells(state, 3).map((c) => c.name)).toEqual(['tickets', 'clean', 'parts']);
  });
});
