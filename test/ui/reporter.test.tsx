import './no-color.js'; // first: chalk reads FORCE_COLOR when it loads
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInkReporter } from '../../src/ui/ink/index.js';
import { chooseReporterKind, selectReporter } from '../../src/ui/reporter.js';
import { events, okRun, runStart } from './fixtures.js';

/** Enough of a terminal for Ink: records what is written. */
class FakeTerminal extends EventEmitter {
  isTTY = true;
  columns = 100;
  rows = 40;
  writes: string[] = [];
  write = (chunk: string) => {
    this.writes.push(chunk);
    return true;
  };
  get text() {
    return this.writes.join('').replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '');
  }
}
const terminal = () => new FakeTerminal() as FakeTerminal & NodeJS.WriteStream;

describe('chooseReporterKind', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  it('picks Ink only for an interactive terminal outside CI', () => {
    expect(chooseReporterKind({}, tty, {}, false)).toBe('ink');
    expect(chooseReporterKind({ reporter: 'auto' }, pipe, {}, false)).toBe('plain');
    expect(chooseReporterKind({}, tty, {}, true)).toBe('plain');
    expect(chooseReporterKind({}, tty, { TERM: 'dumb' }, false)).toBe('plain');
  });

  it('lets FTR_REPORTER override detection, and ignores values it does not know', () => {
    expect(chooseReporterKind({}, pipe, { FTR_REPORTER: 'ink' }, false)).toBe('ink');
    expect(chooseReporterKind({}, tty, { FTR_REPORTER: 'JSON' }, false)).toBe('json');
    expect(chooseReporterKind({}, tty, { FTR_REPORTER: 'fancy' }, false)).toBe('ink');
  });

  it('ranks --json over --reporter over FTR_REPORTER', () => {
    expect(chooseReporterKind({ reporter: 'plain' }, tty, { FTR_REPORTER: 'ink' }, false)).toBe('plain');
    expect(chooseReporterKind({ json: true, reporter: 'ink' }, tty, { FTR_REPORTER: 'plain' }, false)).toBe('json');
  });
});

describe('selectReporter', () => {
  it('writes plain lines or JSON lines to the given stream', async () => {
    const plainOut = terminal();
    const plain = await selectReporter({ reporter: 'plain' }, plainOut);
    plain.onEvent(runStart);
    expect(plainOut.writes).toEqual(['[ftr] run support_intents (recipes/support.ftr) · seed 42 · cache .ftr/ · 5 cells\n']);

    const jsonOut = terminal();
    (await selectReporter({ json: true }, jsonOut)).onEvent(runStart);
    expect(JSON.parse(jsonOut.writes[0])).toEqual(runStart);
  });
});

describe('createInkReporter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renders the run to its stream and leaves the final frame on close', async () => {
    const out = terminal();
    const reporter = createInkReporter({ stdout: out, patchConsole: false });
    for (const event of events(okRun)) reporter.onEvent(event);
    await reporter.close();
    expect(out.text).toContain('support_intents  ·  seed 42');
    expect(out.text).toMatch(/✔ clean\s+strip_html/);
    expect(out.text).toContain('dropped 506: too short 431 · missing text 75');
    expect(out.text).toContain('✔ 5 cells: 1 cached, 4 ran, 0 failed · 3.4 s');
  });

  it('redraws at most ~15 times a second however fast events come', async () => {
    vi.useFakeTimers();
    const out = terminal();
    const reporter = createInkReporter({ stdout: out, previews: 'none', patchConsole: false });
    reporter.onEvent(runStart);
    reporter.onEvent({ v: 1, type: 'cell', cell: 'clean', status: 'running' });
    vi.advanceTimersByTime(100);
    const before = out.writes.length;
    for (let ms = 0; ms < 1000; ms += 2) {
      reporter.onEvent({ v: 1, type: 'progress', cell: 'clean', rows: ms * 10, total: 10_000, rate: 10_000 });
      vi.advanceTimersByTime(2);
    }
    const frames = out.writes.slice(before).filter((w) => w.includes('rows/s')).length;
    expect(frames).toBeGreaterThanOrEqual(10);
    expect(frames).toBeLessThanOrEqual(16);
    vi.useRealTimers();
    await reporter.close();
  });
});
