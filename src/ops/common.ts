/** Small helpers shared by op modules: column checks and field-path access. */
import type { Column, ColType, ParamSpec, SchemaContext } from './types.js';
import { didYouMean } from '../parser/suggest.js';

/** Report columns that the input does not have (defaults are not checked by the binder). */
export function requireColumns(ctx: SchemaContext, param: string, columns: string[]): void {
  if (ctx.input?.open) return;
  const have = ctx.input?.columns.map((c) => c.name) ?? [];
  for (const c of columns) {
    if (!have.includes(c)) {
      ctx.error(param, `unknown column \`${c}\``, {
        label: `\`${param}\` names a column the input does not have`,
        notes: [`input columns: ${have.join(', ') || '(none)'}`],
        help: didYouMean(c, have) ?? `set \`${param}:\` to one of the input columns`,
      });
    }
  }
}

export function getPath(record: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = record;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return null;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v === undefined ? null : v;
}

export function typeOf(v: unknown): ColType {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  if (v && typeof v === 'object') return 'record';
  return 'any';
}

/** Merge observed types per column: disagreeing observations widen to `any`. */
export function inferColumns(records: Record<string, unknown>[]): Column[] {
  const types = new Map<string, ColType>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) {
      if (v === null || v === undefined) {
        if (!types.has(k)) types.set(k, 'any');
        continue;
      }
      const t = typeOf(v);
      const prev = types.get(k);
      types.set(k, prev === undefined || prev === t ? t : prev === 'any' && !records.some((x) => x[k] !== null && x[k] !== undefined && typeOf(x[k]) !== t) ? t : 'any');
    }
  }
  return [...types].map(([name, type]) => ({ name, type }));
}

/** The `id` and `source` columns every source row carries, then the op's own columns. */
/**
 * A data field named `source` would replace the provenance column (the cell that read the row):
 * sources rename it to this, and the cell's notes say so. A data `id` becomes the row's id (noted too).
 */
export const RENAMED_SOURCE = 'data_source';

export function withProvenance(columns: Column[]): Column[] {
  const data = columns.filter((c) => c.name !== 'id').map((c) => (c.name === 'source' ? { ...c, name: RENAMED_SOURCE } : c));
  return [{ name: 'id', type: 'string' }, { name: 'source', type: 'string' }, ...data.filter((c) => c.name !== 'source')];
}

/** Label values that mean "no answer" by convention (compared trimmed, ignoring case); blank is always missing. */
export const MISSING_MARKERS = ['NA', 'N/A', 'null'];

/** Is this label a missing value: blank, or one of `markers` (trimmed, case-insensitive)? Numbers never are. */
export function isMissingLabel(v: unknown, markers: readonly string[] = MISSING_MARKERS): boolean {
  if (typeof v !== 'string') return false;
  const t = v.trim().toLowerCase();
  return t === '' || markers.some((m) => m.trim().toLowerCase() === t);
}

export function stringColumns(columns: Column[]): string[] {
  return columns.filter((c) => c.type === 'string' || c.type === 'any').map((c) => c.name).filter((n) => n !== 'id' && n !== 'source');
}

/** Deeper than this, a record cannot be written back as JSON safely: such rows are rejected. */
export const MAX_DEPTH = 256;

/** Nesting depth of a parsed JSON value, without recursion (it may be very deep). */
export function depthExceeds(value: unknown, max = MAX_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

/** The path strings a param holds: one for a path param, each item of a list of paths. */
export function pathsOf(spec: ParamSpec, value: unknown): { paths: string[]; access: 'read' | 'write' } | undefined {
  const t = spec.type.kind === 'list' ? spec.type.of : spec.type;
  // a rules block names the lexicon files its rules read (src/check/rules.ts)
  if (t.kind === 'rules') {
    const files = (value as { files?: unknown } | undefined)?.files;
    return Array.isArray(files) && files.length ? { paths: files.filter((v): v is string => typeof v === 'string'), access: 'read' } : undefined;
  }
  if (t.kind !== 'path') return undefined;
  const values = Array.isArray(value) ? value : [value];
  return { paths: values.filter((v): v is string => typeof v === 'string'), access: t.access ?? 'read' };
}
