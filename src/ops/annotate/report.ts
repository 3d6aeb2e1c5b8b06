/** Formatting for the notes of the annotation ops: aligned tables, percentages, numbers. */

/** Columns padded to their widest cell; the first `left` columns left-aligned, the others right. */
export function table(rows: string[][], left = 1): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) => r.map((c, i) => (i < left ? c + ' '.repeat(widths[i] - [...c].length) : ' '.repeat(widths[i] - [...c].length) + c)).join('  ').trimEnd());
}

export const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');
export const num = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
export const int = (x: number): string => x.toLocaleString('en-US');
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** `a 3 · b 2` for a count map, largest first (ties in key order). */
export function counts(m: Map<string, number>, limit = 12): string {
  const e = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = e.slice(0, limit).map(([k, v]) => `${k} ${int(v)}`);
  return shown.join(' · ') + (e.length > limit ? ` · … ${e.length - limit} more` : '');
}

/** A label value as shown in notes. */
export const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Sort label keys: numerically when every one is a number, else by code unit. */
export function sortLabels<T extends string | number>(labels: T[]): T[] {
  const numeric = labels.every((l) => typeof l === 'number' || (l !== '' && Number.isFinite(Number(l))));
  return [...labels].sort((a, b) => (numeric ? Number(a) - Number(b) : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}
