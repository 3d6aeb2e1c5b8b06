import './no-color.js'; // first: chalk reads FORCE_COLOR when it loads
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import type { RunEvent } from '../../src/runtime/events.js';
import { App } from '../../src/ui/ink/App.js';
import { initialRunState, reduce, type RunState } from '../../src/ui/state.js';
import { curatedError, events, eventsUntil, failedRun, okRun, runStart } from './fixtures.js';

const fold = (evs: RunEvent[]): RunState => evs.reduce(reduce, initialRunState);
const isDone = (name: string) => (e: RunEvent) => e.type === 'cell' && e.cell === name && e.status === 'done';

const midRun = fold(eventsUntil(okRun, isDone('clean')));
const finished = fold(events(okRun));
const failed = fold(events(failedRun));

/** The frame's line that mentions `name` as a cell (glyph, then the name). */
const cellLine = (frame: string, name: string) => frame.split('\n').find((l) => new RegExp(`^ \\S ${name} `).test(l));

afterEach(cleanup);

describe('App', () => {
  it('shows the header and every cell in recipe order while running', () => {
    const frame = render(<App state={midRun} />).lastFrame()!;
    expect(frame.split('\n')[0]).toBe('support_intents  ·  seed 42  ·  cache .ftr/');
    const names = ['tickets', 'clean', 'curated', 'parts', 'export_parts'];
    const positions = names.map((name) => frame.indexOf(` ${name} `));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('marks a cached cell with ✔ and a dim "cached" instead of a time', () => {
    const frame = render(<App state={midRun} />).lastFrame()!;
    expect(cellLine(frame, 'tickets')).toMatch(/^ ✔ tickets\s+jsonl data\/tickets\/\*\.jsonl\s+12,408 rows\s+cached$/);
  });

  it('draws a progress bar with rate and ETA for a running cell, and · for queued ones', () => {
    const frame = render(<App state={midRun} />).lastFrame()!;
    expect(cellLine(frame, 'clean')).toMatch(/^ ⠋ clean\s+strip_html → fix_unicode → normalize\s+██████░░░░░░ 50%  41k rows\/s  ETA 1s$/);
    expect(cellLine(frame, 'curated')).toMatch(/^ · curated .*queued$/);
  });

  it("shows a running cell's latest log line (a training step) under it", () => {
    const state = reduce(midRun, { v: 1, type: 'log', cell: 'clean', level: 'info', message: 'lora step 12/40 · loss 0.4821 · 140 ms/step' });
    const lines = render(<App state={state} />).lastFrame()!.split('\n');
    const at = lines.findIndex((l) => /^ \S clean /.test(l));
    expect(lines[at + 1]).toMatch(/lora step 12\/40 · loss 0\.4821/);
  });

  it('advances the spinner with the frame it is given', () => {
    const frame = render(<App state={midRun} spinnerFrame={1} />).lastFrame()!;
    expect(cellLine(frame, 'clean')).toMatch(/^ ⠙ clean/);
  });

  it('shows ## prose dim above its cell', () => {
    const lines = render(<App state={midRun} />).lastFrame()!.split('\n');
    const prose = lines.findIndex((l) => l.includes('## Raw tickets exported from the helpdesk.'));
    expect(lines[prose + 1]).toMatch(/^ ✔ tickets/);
  });

  it('shows rows in → out, time, drops by reason, parts and notes under finished cells', () => {
    const frame = render(<App state={finished} />).lastFrame()!;
    expect(cellLine(frame, 'clean')).toMatch(/12,408 → 11,902\s+0\.8 s$/);
    expect(frame).toContain('dropped 506: too short 431 · missing text 75');
    expect(frame).toContain('dropped 512: duplicate 512');
    expect(frame).toContain('parts: train 9,112 · val 1,139 · test 1,139');
    expect(frame).toContain('wrote out/train.jsonl');
    expect(frame).toContain('warn clean: 3 rows had invalid UTF-8');
  });

  it('ends with previews of the final cells, the summary and output hashes', () => {
    const frame = render(<App state={finished} />).lastFrame()!;
    expect(frame).toMatch(/preview clean\n\s+id\s+text\s+label\n\s+t-001\s+i was charged twice\s+billing/);
    expect(frame).toMatch(/preview parts\n\s+text\s+label\s+part\n\s+reset my password please\s+account\s+train/);
    expect(frame).not.toContain('preview tickets');
    expect(frame).toContain('✔ 5 cells: 1 cached, 4 ran, 0 failed · 3.4 s');
    expect(frame).toMatch(/out\/train\.jsonl\s+9,112 rows\s+sha256 0123456789ab/);
  });

  it('shows previews under every finished cell when asked, and none when told', () => {
    const all = render(<App state={finished} previews="all" />).lastFrame()!;
    expect(all).toContain('I was charged twice for my subscription');
    expect(all).not.toContain('preview clean');
    const none = render(<App state={finished} previews="none" />).lastFrame()!;
    expect(none).not.toContain('i was charged twice');
  });

  it('fits previews to the width by truncating long values', () => {
    const frame = render(<App state={finished} previews="all" width={60} />).lastFrame()!;
    const row = frame.split('\n').find((l) => l.includes('t-001') && l.includes('billing'))!;
    expect(row).toContain('…');
    expect(row.length).toBeLessThanOrEqual(60);
  });

  it('shows a failed cell with ✖ and its full error, and cells that never ran', () => {
    const frame = render(<App state={failed} />).lastFrame()!;
    expect(cellLine(frame, 'curated')).toMatch(/^ ✖ curated .*failed  80 ms$/);
    for (const line of curatedError.split('\n')) expect(frame).toContain(line);
    expect(cellLine(frame, 'parts')).toMatch(/not run$/);
    expect(frame).toContain('✖ failed · 5 cells: 1 cached, 1 ran, 1 failed, 2 not run · 0.9 s');
  });

  it('collapses a long queue into one line', () => {
    const many = fold([{ ...runStart, cells: Array.from({ length: 9 }, (_, i) => ({ name: `c${i}`, summary: 'op' })) } as RunEvent]);
    const frame = render(<App state={many} />).lastFrame()!;
    expect(frame).toContain(' c3 ');
    expect(frame).not.toContain(' c4 ');
    expect(frame).toContain('+5 queued');
  });

  it('prints each finished cell once as the run goes on (Static scrollback)', () => {
    const app = render(<App state={fold([runStart])} />);
    const all = events(okRun);
    for (let i = 1; i <= all.length; i++) app.rerender(<App state={fold(all.slice(0, i))} />);
    const frame = app.lastFrame()!;
    for (const name of ['tickets', 'clean', 'curated', 'parts', 'export_parts']) {
      expect(frame.split('\n').filter((l) => new RegExp(`^ ✔ ${name} `).test(l))).toHaveLength(1);
    }
    expect(frame).not.toContain('queued');
    expect(frame.match(/support_intents/g)).toHaveLength(1);
  });
});
