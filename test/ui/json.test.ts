import { describe, expect, it } from 'vitest';
import type { ProgressEvent, RunEvent } from '../../src/runtime/events.js';
import { createJsonReporter } from '../../src/ui/json.js';
import { events, okRun, runStart, type Timed } from './fixtures.js';

function play(timed: Timed[]): { raw: string; parsed: RunEvent[] } {
  let clock = 0;
  const chunks: string[] = [];
  const reporter = createJsonReporter((s) => chunks.push(s), { now: () => clock });
  for (const { at, event } of timed) {
    clock = at;
    reporter.onEvent(event);
  }
  reporter.close();
  const raw = chunks.join('');
  return { raw, parsed: raw.split('\n').slice(0, -1).map((line) => JSON.parse(line) as RunEvent) };
}

const progressAt = (at: number, rows: number, total?: number): Timed => ({
  at,
  event: { v: 1, type: 'progress', cell: 'clean', rows, total, rate: 1000 },
});
const start: Timed = { at: 0, event: runStart };
const rowsOf = (evs: RunEvent[]) => evs.filter((e): e is ProgressEvent => e.type === 'progress').map((e) => e.rows);

describe('JSON reporter', () => {
  it('writes every event as exactly one JSON line, unchanged', () => {
    const { raw, parsed } = play(okRun);
    expect(raw.endsWith('\n')).toBe(true);
    expect(raw.split('\n')).toHaveLength(okRun.length + 1);
    expect(parsed).toEqual(events(okRun));
    for (const event of parsed) expect(event.v).toBe(1);
  });

  it('thins progress to about 5 per second per cell', () => {
    const ticks = Array.from({ length: 100 }, (_, i) => progressAt(i * 10, i + 1)); // 100 per second
    const { parsed } = play([start, ...ticks]);
    const written = rowsOf(parsed);
    expect(written.length).toBeGreaterThanOrEqual(5);
    expect(written.length).toBeLessThanOrEqual(6);
    expect(written.slice(0, 3)).toEqual([1, 21, 41]); // first at once, then every 200 ms
  });

  it('always writes the last progress of a cell, before that cell settles', () => {
    const { parsed } = play([
      start,
      progressAt(0, 10, 1000),
      progressAt(50, 20, 1000),
      progressAt(60, 30, 1000),
      { at: 70, event: { v: 1, type: 'cell', cell: 'clean', status: 'done', rowsOut: 30 } },
    ]);
    expect(parsed.map((e) => e.type)).toEqual(['run-start', 'progress', 'progress', 'cell']);
    expect(rowsOf(parsed)).toEqual([10, 30]);
  });

  it('writes a completed count at once and held-back progress on close', () => {
    const complete = play([start, progressAt(0, 10, 100), progressAt(10, 100, 100)]);
    expect(rowsOf(complete.parsed)).toEqual([10, 100]);
    const closed = play([start, progressAt(0, 10), progressAt(10, 20)]);
    expect(rowsOf(closed.parsed)).toEqual([10, 20]);
  });

  it('throttles each cell on its own', () => {
    const other = (at: number, rows: number): Timed => ({
      at,
      event: { v: 1, type: 'progress', cell: 'curated', rows, rate: 1 },
    });
    const { parsed } = play([start, progressAt(0, 1), other(10, 5), progressAt(20, 2), other(30, 6)]);
    const written = parsed.filter((e) => e.type === 'progress').map((e) => `${(e as ProgressEvent).cell}:${(e as ProgressEvent).rows}`);
    expect(written.slice(0, 2)).toEqual(['clean:1', 'curated:5']);
    expect(written).toHaveLength(4); // the two held back come out on close
  });
});
