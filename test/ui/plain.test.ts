import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runtime/events.js';
import { createPlainReporter } from '../../src/ui/plain.js';
import { curatedError, failedRun, okRun, runStart, type Timed } from './fixtures.js';

/** Plays recorded events through a plain reporter on a fake clock; returns the lines written. */
function play(timed: Timed[], width = 100): string[] {
  let clock = 0;
  const out: string[] = [];
  const reporter = createPlainReporter((s) => out.push(s), { now: () => clock, width });
  for (const { at, event } of timed) {
    clock = at;
    reporter.onEvent(event);
  }
  reporter.close();
  return out.join('').split('\n').slice(0, -1);
}

describe('plain reporter', () => {
  const lines = play(okRun);

  it('prefixes every line and writes no ANSI', () => {
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line.startsWith('[ftr] ')).toBe(true);
    expect(lines.join('\n')).not.toMatch(/\u001B/);
  });

  it('opens with the recipe header', () => {
    expect(lines[0]).toBe('[ftr] run support_intents (recipes/support.ftr) · seed 42 · cache .ftr/ · 5 cells');
  });

  it('reports each cell: cached, running, done with rows in → out, drops and time', () => {
    expect(lines).toContain('[ftr] ## Raw tickets exported from the helpdesk.');
    expect(lines).toContain('[ftr] tickets cached · 12,408 rows');
    expect(lines).toContain('[ftr] clean running · strip_html → fix_unicode → normalize');
    expect(lines).toContain('[ftr] clean done · 12,408 → 11,902 · 0.8 s');
    expect(lines).toContain('[ftr]   dropped 506: too short 431 · missing text 75');
    expect(lines).toContain('[ftr] curated done · 11,902 → 11,390 · 2.3 s');
    expect(lines).toContain('[ftr]   parts: train 9,112 · val 1,139 · test 1,139');
    expect(lines).toContain('[ftr]   wrote out/train.jsonl');
    expect(lines).toContain('[ftr] warn clean: 3 rows had invalid UTF-8');
  });

  it('writes nothing for queued cells', () => {
    expect(lines.some((l) => l.includes('queued'))).toBe(false);
  });

  it('ends with previews of the final cells, a summary and the outputs with short hashes', () => {
    const end = lines.slice(lines.indexOf('[ftr] preview clean:'));
    expect(end).toEqual([
      '[ftr] preview clean:',
      '[ftr]   id     text                 label',
      '[ftr]   t-001  i was charged twice  billing',
      '[ftr] preview parts:',
      '[ftr]   text                      label    part',
      '[ftr]   reset my password please  account  train',
      '[ftr] 5 cells: 1 cached, 4 ran, 0 failed · 3.4 s',
      '[ftr] wrote out/train.jsonl · 9,112 rows · sha256 0123456789ab',
      '[ftr] wrote out/val.jsonl · 1,139 rows · sha256 fedcba987654',
    ]);
  });

  it('prints a failed cell with every line of its error and counts cells that never ran', () => {
    const failed = play(failedRun);
    expect(failed).toContain('[ftr] curated failed · 11,902 in · 80 ms');
    const errorAt = failed.indexOf('[ftr]   error: column `txt` is not in `clean`');
    expect(errorAt).toBeGreaterThan(0);
    expect(failed[errorAt + 1]).toBe('[ftr]   ' + curatedError.split('\n')[1]);
    expect(failed.at(-1)).toBe('[ftr] failed · 5 cells: 1 cached, 1 ran, 1 failed, 2 not run · 0.9 s');
  });
});

describe('plain reporter progress', () => {
  const running: Timed[] = [
    { at: 0, event: runStart },
    { at: 0, event: { v: 1, type: 'cell', cell: 'clean', status: 'running' } },
  ];
  const progressLines = (timed: Timed[]) => play([...running, ...timed]).filter((l) => l.includes('rows/s'));
  const tick = (at: number, rows: number, total?: number): Timed => ({
    at,
    event: { v: 1, type: 'progress', cell: 'clean', rows, total, rate: 1000 } as RunEvent,
  });

  it('prints at most one line per 10% of the total', () => {
    // 1% steps every 100 ms: 100 events in 10 s
    const lines = progressLines(Array.from({ length: 100 }, (_, i) => tick(i * 99, (i + 1) * 100, 10_000)));
    expect(lines).toHaveLength(9); // 10% … 90%; the done line covers 100%
    expect(lines[0]).toBe('[ftr] clean 1,000/10,000 rows 10% · 1k rows/s');
    expect(lines[8]).toContain('9,000/10,000 rows 90%');
  });

  it('prints every 10 s when the total is unknown', () => {
    const lines = progressLines(Array.from({ length: 30 }, (_, i) => tick((i + 1) * 1000, (i + 1) * 1000)));
    expect(lines).toEqual([
      '[ftr] clean 10,000 rows · 1k rows/s',
      '[ftr] clean 20,000 rows · 1k rows/s',
      '[ftr] clean 30,000 rows · 1k rows/s',
    ]);
  });
});
