/**
 * The diagnostic model shared by the parser, the checker and the runtime, and its one renderer
 * (rustc-style: code, file:line:col, the source line with carets, notes and a did-you-mean).
 */
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
}

export class DiagnosticError extends Error {
  constructor(public readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
  }
}

export function diag(code: string, message: string, span: Span, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { code, severity: 'error', message, span, ...extra };
}

/** Render diagnostics against their sources (`sources` maps file → text). */
export function renderDiagnostics(diags: Diagnostic[], sources: Map<string, string>, color = false): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return diags
    .map((d) => {
      const head = paint(d.severity === 'error' ? '1;31' : '1;33', `${d.severity}[${d.code}]`) + paint('1', `: ${d.message}`);
      const { file, start, end } = d.span;
      const lines = [head, `  --> ${file}:${start.line}:${start.col}`];
      const text = sources.get(file);
      const srcLine = text?.split('\n')[start.line - 1];
      if (srcLine !== undefined) {
        const lineNo = String(start.line);
        const gutter = ' '.repeat(lineNo.length);
        const clean = srcLine.replace(/\r$/, '').replace(/\t/g, ' ');
        const width = end.line === start.line ? Math.max(1, end.col - start.col) : Math.max(1, clean.length - start.col + 1);
        lines.push(`${gutter} |`);
        lines.push(`${lineNo} | ${clean}`);
        lines.push(`${gutter} | ${' '.repeat(start.col - 1)}${paint('1;31', '^'.repeat(width))}${d.label ? ' ' + d.label : ''}`);
        if (d.notes?.length || d.help) lines.push(`${gutter} |`);
        for (const n of d.notes ?? []) lines.push(`${gutter} = note: ${n}`);
        if (d.help) lines.push(`${gutter} = help: ${d.help}`);
      } else {
        for (const n of d.notes ?? []) lines.push(`   = note: ${n}`);
        if (d.help) lines.push(`   = help: ${d.help}`);
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

export function summaryLine(diags: Diagnostic[], dataRead: boolean): string {
  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.length - errors;
  const parts = [];
  if (errors) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return `${parts.join(', ')}${dataRead ? '' : '; no data was read'}.`;
}
