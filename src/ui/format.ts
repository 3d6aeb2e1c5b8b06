/**
 * Text formatting shared by every reporter. Pure, locale-independent (output must not
 * change with the machine's locale), no ANSI.
 */

import type { CellStatus, LogEvent, RunEndEvent, Row } from '../runtime/events.js';

/** 12408 → "12,408" */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 41234 → "41k", 4123 → "4.1k", 1_250_000 → "1.3M": short magnitudes for rates. */
export function formatCompact(n: number): string {
  const units: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, suffix] of units) {
    if (Math.abs(n) >= size) {
      const scaled = n / size;
      return `${Math.abs(scaled) < 10 ? scaled.toFixed(1).replace(/\.0$/, '') : Math.round(scaled)}${suffix}`;
    }
  }
  return String(Math.round(n));
}

export function formatRate(rowsPerSecond: number): string {
  return `${formatCompact(rowsPerSecond)} rows/s`;
}

/** 42 → "42 ms", 800 → "0.8 s", 12_345 → "12.3 s", 63_000 → "1m 03s", 3_720_000 → "1h 02m" */
export function formatDuration(ms: number): string {
  if (ms < 100) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatClock(ms);
}

/** What a cell's time column says: a cached cell did no work, so it says so instead of a time. */
export function formatCellTime(status: CellStatus, durationMs: number | undefined): string {
  if (status === 'cached') return 'cached';
  return durationMs === undefined ? '' : formatDuration(durationMs);
}

/** Time left, rounded up to whole seconds: "3s", "1m 05s", "2h 03m". */
export function formatEta(ms: number): string {
  if (ms < 60_000) return `${Math.ceil(ms / 1000)}s`;
  return formatClock(ms);
}

function formatClock(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}h ${pad2(minutes)}m` : `${minutes}m ${pad2(seconds)}s`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** fraction 0.64, width 12 → "████████░░░░" */
export function progressBar(fraction: number, width = 12): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(clamped * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** The numbers of a running cell: "6,210/11,902 rows 52% · 310 rows/s · ETA 18s". */
export function formatProgressCounts(p: { rows: number; total?: number; rate: number; etaMs?: number }): string {
  const parts = [
    p.total ? `${formatCount(p.rows)}/${formatCount(p.total)} rows ${Math.floor((100 * p.rows) / p.total)}%` : `${formatCount(p.rows)} rows`,
    formatRate(p.rate),
  ];
  if (p.etaMs !== undefined) parts.push(`ETA ${formatEta(p.etaMs)}`);
  return parts.join(' · ');
}

/** "12,408 → 11,902", or "12,408 rows" for a source (no rows in). */
export function formatRowsInOut(rowsIn: number | undefined, rowsOut: number | undefined): string {
  if (rowsOut === undefined) return rowsIn === undefined ? '' : `${formatCount(rowsIn)} in`;
  if (rowsIn === undefined) return `${formatCount(rowsOut)} rows`;
  return `${formatCount(rowsIn)} → ${formatCount(rowsOut)}`;
}

/** "dropped 506: too short 431 · missing text 75" (largest reason first), or '' when nothing was dropped. */
export function formatDropped(dropped: Record<string, number> | undefined): string {
  const reasons = Object.entries(dropped ?? {}).filter(([, n]) => n > 0);
  if (reasons.length === 0) return '';
  reasons.sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const total = reasons.reduce((sum, [, n]) => sum + n, 0);
  return `dropped ${formatCount(total)}: ${reasons.map(([reason, n]) => `${reason} ${formatCount(n)}`).join(' · ')}`;
}

/** "train 9,521 · val 1,190 · test 1,191" in the order the runtime gave. */
export function formatParts(parts: Record<string, number> | undefined): string {
  return Object.entries(parts ?? {})
    .map(([part, n]) => `${part} ${formatCount(n)}`)
    .join(' · ');
}

/**
 * "6 cells: 2 cached, 3 ran, 1 failed · 1.2 s", led by the run's status unless it is ok.
 * `cellCount` is the recipe's cell count, so cells a failure kept from running show up.
 */
export function formatRunSummary(summary: Pick<RunEndEvent, 'status' | 'durationMs' | 'counts'>, cellCount: number): string {
  const { cached, done, failed } = summary.counts;
  const settled = cached + done + failed;
  const total = Math.max(cellCount, settled);
  const counts = [`${cached} cached`, `${done} ran`, `${failed} failed`];
  if (total > settled) counts.push(`${total - settled} not run`);
  const status = summary.status === 'ok' ? '' : `${summary.status} · `;
  return `${status}${total} cells: ${counts.join(', ')} · ${formatDuration(summary.durationMs)}`;
}

/** "warn clean: 3 rows had no text"; info lines carry no level word. */
export function formatLog(log: Pick<LogEvent, 'cell' | 'level' | 'message'>): string {
  const level = log.level === 'info' ? '' : `${log.level} `;
  return `${level}${log.cell ? `${log.cell}: ` : ''}${log.message}`;
}

/** The first 12 hex chars of a sha256: enough to compare runs by eye. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 12);
}

/**
 * Code points, not UTF-16 units, so an emoji counts once. (East-Asian wide chars still count once.)
 * Counting stops past `cap`: a preview never needs more, and a 50 MB value is not walked whole.
 */
function textLength(s: string, cap = Infinity): number {
  let n = 0;
  for (const _ of s) if (++n > cap) break;
  return n;
}

/** Cut to `width` columns, ending in "…" when something was cut. Reads only the first `width` + 1 code points. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  let count = 0;
  let end = 0; // UTF-16 offset after `count` code points
  let endBeforeLast = 0; // offset after `count - 1` code points
  for (const ch of s) {
    if (count === width) return s.slice(0, endBeforeLast) + '…';
    endBeforeLast = end;
    end += ch.length;
    count++;
  }
  return s;
}

function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - textLength(s)));
}

function cellText(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return text.replace(/\s+/g, ' ').trim(); // one line per row, whatever the data holds
}

export interface PreviewOptions {
  /** total width in columns the table may use */
  width: number;
  maxRows?: number;
  /** which columns, in order; default: every key, in order of first appearance */
  columns?: string[];
}

const COLUMN_GAP = '  ';
const MIN_COLUMN_WIDTH = 6;
const MAX_COLUMN_WIDTH = 48;

/**
 * A few rows as an aligned text table. Returns lines: the header first, then one per row.
 * Columns that cannot get `MIN_COLUMN_WIDTH` are left out; long values end in "…".
 */
export function formatPreview(rows: Row[], options: PreviewOptions): string[] {
  const shown = rows.slice(0, options.maxRows ?? 3);
  if (shown.length === 0) return [];
  let columns = options.columns ?? [...new Set(shown.flatMap((row) => Object.keys(row)))];
  const fits = (count: number) => count * MIN_COLUMN_WIDTH + (count - 1) * COLUMN_GAP.length <= options.width;
  while (columns.length > 1 && !fits(columns.length)) columns = columns.slice(0, -1);

  const table = shown.map((row) => columns.map((column) => cellText(row[column])));
  const widths = columns.map((column, i) =>
    Math.min(MAX_COLUMN_WIDTH, Math.max(textLength(column, MAX_COLUMN_WIDTH), ...table.map((cells) => textLength(cells[i], MAX_COLUMN_WIDTH)))),
  );
  const available = options.width - (columns.length - 1) * COLUMN_GAP.length;
  // Take room from the widest column until the table fits: short columns (ids, labels) stay readable.
  while (widths.reduce((a, b) => a + b, 0) > available) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest] <= MIN_COLUMN_WIDTH) break;
    widths[widest] -= 1;
  }

  const line = (cells: string[]) =>
    cells
      .map((text, i) => (i === cells.length - 1 ? truncate(text, widths[i]) : padEnd(truncate(text, widths[i]), widths[i])))
      .join(COLUMN_GAP)
      .trimEnd();
  return [line(columns), ...table.map(line)];
}
