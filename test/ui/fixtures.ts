/** Recorded event sequences, as the runtime would emit them for a small recipe. */

import type { CellEvent, RunEvent } from '../../src/runtime/events.js';

/** An event and the wall-clock time (ms since run start) it arrived at. */
export interface Timed {
  at: number;
  event: RunEvent;
}

const CELLS = [
  { name: 'tickets', summary: 'jsonl data/tickets/*.jsonl', prose: 'Raw tickets exported from the helpdesk.' },
  { name: 'clean', summary: 'strip_html → fix_unicode → normalize' },
  { name: 'curated', summary: 'dedupe exact → dedupe near j≥0.8' },
  { name: 'parts', summary: 'split 80/10/10 stratify label' },
  { name: 'export_parts', summary: 'chat_jsonl out/' },
];

export const runStart: RunEvent = {
  v: 1,
  type: 'run-start',
  recipe: 'support_intents',
  file: 'recipes/support.ftr',
  seed: 42,
  cacheDir: '.ftr/',
  cells: CELLS,
};

const cell = (name: string, status: CellEvent['status'], fields: Partial<CellEvent> = {}): RunEvent => ({
  v: 1,
  type: 'cell',
  cell: name,
  status,
  ...fields,
});

const progress = (name: string, rows: number, total: number, rate: number): RunEvent => ({
  v: 1,
  type: 'progress',
  cell: name,
  rows,
  total,
  rate,
  etaMs: ((total - rows) / rate) * 1000,
});

export const ticketsPreview = [
  { id: 't-001', text: 'I was charged twice for my subscription this month, please refund one of them', label: 'billing' },
  { id: 't-002', text: 'cannot log in after enabling 2fa', label: 'account' },
];

/** All five cells: one cached, four run; ends ok. */
export const okRun: Timed[] = [
  { at: 0, event: runStart },
  ...CELLS.map((c) => ({ at: 0, event: cell(c.name, 'queued') })),
  { at: 5, event: cell('tickets', 'cached', { rowsOut: 12408, key: 'k-tickets', preview: ticketsPreview }) },
  { at: 10, event: cell('clean', 'running', { rowsIn: 12408 }) },
  { at: 300, event: progress('clean', 6204, 12408, 41000) },
  { at: 810, event: cell('clean', 'done', {
    rowsIn: 12408, rowsOut: 11902, dropped: { 'missing text': 75, 'too short': 431 }, durationMs: 800,
    preview: [{ id: 't-001', text: 'i was charged twice', label: 'billing' }],
  }) },
  { at: 811, event: { v: 1, type: 'log', cell: 'clean', level: 'warn', message: '3 rows had invalid UTF-8' } },
  { at: 820, event: cell('curated', 'running', { rowsIn: 11902 }) },
  { at: 3120, event: cell('curated', 'done', {
    rowsIn: 11902, rowsOut: 11390, dropped: { duplicate: 512 }, durationMs: 2300,
  }) },
  { at: 3130, event: cell('parts', 'running', { rowsIn: 11390 }) },
  { at: 3330, event: cell('parts', 'done', {
    rowsIn: 11390, rowsOut: 11390, parts: { train: 9112, val: 1139, test: 1139 }, durationMs: 200,
    preview: [{ text: 'reset my password please', label: 'account', part: 'train' }],
  }) },
  { at: 3340, event: cell('export_parts', 'running') },
  { at: 3400, event: cell('export_parts', 'done', {
    rowsIn: 11390, rowsOut: 11390, durationMs: 60, notes: ['wrote out/train.jsonl', 'wrote out/val.jsonl'],
  }) },
  { at: 3410, event: {
    v: 1, type: 'run-end', status: 'ok', durationMs: 3410,
    counts: { cached: 1, done: 4, failed: 0 },
    outputs: [
      { path: 'out/train.jsonl', sha256: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', rows: 9112 },
      { path: 'out/val.jsonl', sha256: 'fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210', rows: 1139 },
    ],
  } },
];

export const curatedError = 'column `txt` is not in `clean`\n  did you mean `text`?';

/** `curated` fails; `parts` and `export_parts` never run. */
export const failedRun: Timed[] = [
  ...okRun.slice(0, okRun.findIndex((t) => t.event.type === 'cell' && t.event.cell === 'curated' && t.event.status === 'done')),
  { at: 900, event: cell('curated', 'failed', { rowsIn: 11902, durationMs: 80, error: curatedError }) },
  { at: 910, event: {
    v: 1, type: 'run-end', status: 'failed', durationMs: 910, counts: { cached: 1, done: 1, failed: 1 }, outputs: [],
  } },
];

export const events = (timed: Timed[]): RunEvent[] => timed.map((t) => t.event);

/** Events up to (not including) the first one matching `stop`. */
export function eventsUntil(timed: Timed[], stop: (event: RunEvent) => boolean): RunEvent[] {
  const index = timed.findIndex((t) => stop(t.event));
  return events(index === -1 ? timed : timed.slice(0, index));
}
