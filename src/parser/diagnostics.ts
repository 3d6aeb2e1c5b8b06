/**
 * The diagnostic model shared by the parser, the checker and the runtime, and its one renderer
 * (rustc-style: code, file:line:col, the source line with carets, notes and a did-you-mean).
 */
import { CODES, type CodeInfo } from './codes.js';
import type { Span } from './ast.js';

export interface Diagnostic {
  /** stable code, e.g. E0002: one of src/parser/codes.ts (`ftr explain-error CODE`, docs/errors.md) */
  code: string;
  severity: 'error' | 'warning';
  message: string;
  span: Span;
  /** text under the carets */
  label?: string;
  /** `= note: …` lines */
  notes?: string[];
  /** `= help: …`, usually a did-you-mean */
  help?: string;
  /** errors of the same kind folded into this one (not listed: see capDiagnostics) */
  omitted?: number;
}

export class DiagnosticError extends Error {
  constructor(public readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
  }
}

/** A diagnostic with a code from the table (src/parser/codes.ts); W codes are warnings. */
export function diag(code: CodeInfo, message: string, span: Span, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { code: code.code, severity: code.code.startsWith('W') ? 'warning' : 'error', message, span, ...extra };
}

/** At most this many diagnostics on one line, and in one file; the rest are counted, not listed. */
export const MAX_PER_LINE = 10;
export const MAX_PER_FILE = 50;

/**
 * Bounded diagnostics: a line of 10,000 stray `|` gives a few errors and a count, not 10,000
 * errors (each would quote the line). Expects them sorted by position.
 */
export function capDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  if (diags.length <= MAX_PER_LINE) return diags;
  const out: Diagnostic[] = [];
  const perLine = new Map<string, number>();
  let dropped = 0;
  let droppedOnLine = 0;
  let lastKept: Diagnostic | undefined;
  const flushLine = () => {
    if (lastKept && droppedOnLine) {
      lastKept.notes = [...(lastKept.notes ?? []), `${droppedOnLine.toLocaleString('en-US')} more error${droppedOnLine === 1 ? '' : 's'} on line ${lastKept.span.start.line} not shown`];
      lastKept.omitted = (lastKept.omitted ?? 0) + droppedOnLine;
    }
    droppedOnLine = 0;
  };
  for (const d of diags) {
    const key = `${d.span.file}:${d.span.start.line}`;
    const n = perLine.get(key) ?? 0;
    if (lastKept && `${lastKept.span.file}:${lastKept.span.start.line}` !== key) flushLine();
    // E0005 (parsing of an item stopped) always shows: it says why there are no more errors
    if (d.code !== CODES.TOO_MANY_ERRORS.code && (n >= MAX_PER_LINE || out.length >= MAX_PER_FILE)) {
      if (n >= MAX_PER_LINE && out.length < MAX_PER_FILE) droppedOnLine++;
      else dropped++;
      perLine.set(key, n + 1);
      continue;
    }
    perLine.set(key, n + 1);
    out.push((lastKept = { ...d }));
  }
  flushLine();
  if (dropped) {
    const last = out[out.length - 1];
    out.push({ code: last.code, message: `${dropped.toLocaleString('en-US')} more error${dropped === 1 ? '' : 's'} in ${last.span.file} not shown`, span: last.span, label: 'the first errors are above; fix them and check again', severity: last.severity, omitted: dropped - 1 });
  }
  return out;
}

/** A long source line shown as a window around `[from, to)` (columns from 1), with where it starts. */
const LINE_WINDOW = 160;
function window(line: string, from: number, to: number): { text: string; shift: number } {
  if (line.length <= LINE_WINDOW) return { text: line, shift: 0 };
  const start = Math.max(0, Math.min(from - 1 - 40, line.length - LINE_WINDOW));
  const end = Math.min(line.length, start + LINE_WINDOW);
  const text = (start > 0 ? '…' : '') + line.slice(start, end) + (end < line.length ? '…' : '');
  return { text, shift: start - (start > 0 ? 1 : 0) };
}

/** A message that quotes a huge value (a 20,000-character path) is cut in the middle. */
const MAX_TEXT = 400;
function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT / 2)} … (${(text.length - MAX_TEXT).toLocaleString('en-US')} characters) … ${text.slice(-MAX_TEXT / 2 + 40)}`;
}

/** Render diagnostics against their sources (`sources` maps file → text). */
export function renderDiagnostics(diags: Diagnostic[], sources: Map<string, string>, color = false): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return diags
    .map((d) => {
      const head = paint(d.severity === 'error' ? '1;31' : '1;33', `${d.severity}[${d.code}]`) + paint('1', `: ${clip(d.message)}`);
      const { file, start, end } = d.span;
      const lines = [head, `  --> ${file}:${start.line}:${start.col}`];
      const text = sources.get(file);
      const srcLine = text?.split('\n')[start.line - 1];
      if (srcLine !== undefined) {
        const lineNo = String(start.line);
        const gutter = ' '.repeat(lineNo.length);
        const full = srcLine.replace(/\r$/, '').replace(/\t/g, ' ');
        // a huge line is shown as a window around the error, never in full
        const { text: clean, shift } = window(full, start.col, end.col);
        const col = Math.max(1, start.col - shift);
        const width = Math.min(end.line === start.line ? Math.max(1, end.col - start.col) : Math.max(1, full.length - start.col + 1), Math.max(1, clean.length - col + 1));
        lines.push(`${gutter} |`);
        lines.push(`${lineNo} | ${clean}`);
        lines.push(`${gutter} | ${' '.repeat(col - 1)}${paint('1;31', '^'.repeat(width))}${d.label ? ' ' + clip(d.label) : ''}`);
        if (d.notes?.length || d.help) lines.push(`${gutter} |`);
        for (const n of d.notes ?? []) lines.push(`${gutter} = note: ${clip(n)}`);
        if (d.help) lines.push(`${gutter} = help: ${clip(d.help)}`);
      } else {
        for (const n of d.notes ?? []) lines.push(`   = note: ${clip(n)}`);
        if (d.help) lines.push(`   = help: ${clip(d.help)}`);
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

export function summaryLine(diags: Diagnostic[], dataRead: boolean): string {
  const count = (list: Diagnostic[]) => list.reduce((n, d) => n + 1 + (d.omitted ?? 0), 0);
  const errors = count(diags.filter((d) => d.severity === 'error'));
  const warnings = count(diags) - errors;
  const parts = [];
  if (errors) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return `${parts.join(', ')}${dataRead ? '' : '; no data was read'}.`;
}
