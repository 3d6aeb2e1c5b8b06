import { describe, expect, it } from 'vitest';
import {
  formatCellTime,
  formatCompact,
  formatCount,
  formatDropped,
  formatDuration,
  formatEta,
  formatLog,
  formatParts,
  formatPreview,
  formatProgressCounts,
  formatRate,
  formatRowsInOut,
  formatRunSummary,
  progressBar,
  shortHash,
  truncate,
} from '../../src/ui/format.js';

describe('numbers', () => {
  it('groups thousands', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(12408)).toBe('12,408');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-4321)).toBe('-4,321');
  });

  it('shortens magnitudes for rates', () => {
    expect(formatCompact(310)).toBe('310');
    expect(formatCompact(4123)).toBe('4.1k');
    expect(formatCompact(41234)).toBe('41k');
    expect(formatCompact(1_250_000)).toBe('1.3M');
    expect(formatRate(41000)).toBe('41k rows/s');
  });
});

describe('time', () => {
  it('formats durations at a useful precision', () => {
    expect(formatDuration(42)).toBe('42 ms');
    expect(formatDuration(800)).toBe('0.8 s');
    expect(formatDuration(12345)).toBe('12.3 s');
    expect(formatDuration(63_000)).toBe('1m 03s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });

  it('says cached instead of a time for a cached cell', () => {
    expect(formatCellTime('cached', 5)).toBe('cached');
    expect(formatCellTime('done', 800)).toBe('0.8 s');
    expect(formatCellTime('running', undefined)).toBe('');
  });

  it('rounds an ETA up to whole seconds', () => {
    expect(formatEta(2100)).toBe('3s');
    expect(formatEta(65_000)).toBe('1m 05s');
  });
});

describe('progress', () => {
  it('draws a bar of the requested width', () => {
    expect(progressBar(0.64, 12)).toBe('████████░░░░');
    expect(progressBar(0, 4)).toBe('░░░░');
    expect(progressBar(2, 4)).toBe('████');
    expect(progressBar(NaN, 4)).toBe('░░░░');
  });

  it('states counts, percentage, rate and ETA', () => {
    expect(formatProgressCounts({ rows: 6210, total: 11902, rate: 310, etaMs: 18_000 })).toBe(
      '6,210/11,902 rows 52% · 310 rows/s · ETA 18s',
    );
    expect(formatProgressCounts({ rows: 6210, rate: 41000 })).toBe('6,210 rows · 41k rows/s');
  });
});

describe('cell results', () => {
  it('shows rows in → out, or the rows of a source', () => {
    expect(formatRowsInOut(12408, 11902)).toBe('12,408 → 11,902');
    expect(formatRowsInOut(undefined, 12408)).toBe('12,408 rows');
    expect(formatRowsInOut(undefined, undefined)).toBe('');
  });

  it('sums drops and lists reasons, largest first', () => {
    expect(formatDropped({ 'missing text': 75, 'too short': 431 })).toBe('dropped 506: too short 431 · missing text 75');
    expect(formatDropped({ duplicate: 0 })).toBe('');
    expect(formatDropped(undefined)).toBe('');
  });

  it('lists parts in the given order', () => {
    expect(formatParts({ train: 9112, val: 1139, test: 1139 })).toBe('train 9,112 · val 1,139 · test 1,139');
  });

  it('summarises a run', () => {
    const counts = { cached: 2, done: 3, failed: 1 };
    expect(formatRunSummary({ status: 'ok', durationMs: 1200, counts }, 6)).toBe('6 cells: 2 cached, 3 ran, 1 failed · 1.2 s');
    expect(formatRunSummary({ status: 'failed', durationMs: 1200, counts }, 8)).toBe(
      'failed · 8 cells: 2 cached, 3 ran, 1 failed, 2 not run · 1.2 s',
    );
  });

  it('formats log lines and hashes', () => {
    expect(formatLog({ cell: 'clean', level: 'warn', message: 'odd' })).toBe('warn clean: odd');
    expect(formatLog({ level: 'info', message: 'hello' })).toBe('hello');
    expect(shortHash('0123456789abcdef')).toBe('0123456789ab');
  });
});

describe('formatPreview', () => {
  const rows = [
    { id: 't-001', text: 'I was charged twice for my subscription this month, please refund one', label: 'billing' },
    { id: 't-002', text: 'cannot log in\nafter enabling 2fa', label: 'account', extra: { n: 1 } },
  ];

  it('aligns a header and rows, one line per row', () => {
    const lines = formatPreview(rows, { width: 200 });
    expect(lines[0]).toMatch(/^id\s+text\s+label\s+extra$/);
    expect(lines[1]).toContain('t-001  I was charged twice');
    expect(lines[2]).toContain('cannot log in after enabling 2fa');
    expect(lines[2]).toContain('{"n":1}');
    expect(lines[1].indexOf('billing')).toBe(lines[2].indexOf('account'));
  });

  it('fits the width by shortening the widest column and cutting with …', () => {
    const lines = formatPreview(rows, { width: 40 });
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(40);
    expect(lines[1]).toContain('t-001');
    expect(lines[1]).toContain('…');
  });

  it('drops columns that cannot fit and limits rows', () => {
    const lines = formatPreview(rows, { width: 14, maxRows: 1 });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^id\s+text$/);
  });

  it('honours an explicit column list and handles no rows', () => {
    expect(formatPreview(rows, { width: 80, columns: ['label'] })).toEqual(['label', 'billing', 'account']);
    expect(formatPreview([], { width: 80 })).toEqual([]);
  });

  it('truncates by characters', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
