/** Small helpers shared by op modules: column checks and field-path access. */
import { existsSync, statSync } from 'node:fs';
import type { Column, ColType, SchemaContext } from './types.js';
import { closest, didYouMean } from '../parser/suggest.js';
import { resolvePath } from '../core/paths.js';

export { pathsOf } from '../core/paths.js';

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
export { RENAMED_SOURCE } from '../core/row.js';
import { RENAMED_SOURCE } from '../core/row.js';


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


/** The files a model folder must hold to be loaded (weights, architecture, tokenizer). */
export const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;

/**
 * A model folder named by `param`, checked before any data is read: a file where a folder is
 * expected, or a folder without the files a load needs, fails `ftr check` instead of the run.
 * A folder another cell writes (pretrain) is not checked: it does not exist yet.
 */
export function checkModelFolder(ctx: SchemaContext, param: string, what = 'the model'): void {
  const dir = ctx.params[param];
  if (typeof dir !== 'string') return;
  const { abs } = resolvePath(dir, ctx.baseDir);
  if (ctx.producer?.(abs) || !existsSync(abs)) return;
  if (!statSync(abs).isDirectory()) {
    ctx.error(param, `\`${dir}\` is a file; ${what} is a folder`, { help: `name the folder holding ${MODEL_FILES.join(', ')}` });
    return;
  }
  const missing = MODEL_FILES.filter((f) => !existsSync(`${abs}/${f}`));
  if (missing.length) {
    ctx.error(param, `\`${dir}\` has no ${missing.join(', ')}`, {
      notes: [`${what} is loaded from ${MODEL_FILES.join(', ')}`],
      help: missing.includes('tokenizer.json') && missing.length === 1 ? "copy the model's tokenizer.json into the folder, or train one with `train_tokenizer`" : 'name a folder a `pretrain` cell wrote, or a Hugging Face model folder',
    });
  }
}

/** A field path as written in recipes: `.body.text`, `.messages[0].content`. */
export function showFieldPath(path: readonly (string | number)[]): string {
  return path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('') || '.';
}

/** Every field path present in some record (objects descended to `depth`, lists through their first element). */
export function fieldPathsOf(records: unknown[], depth = 4): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (path.length) out.add(showFieldPath(path));
    if (path.length >= depth || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      if (v.length) walk(v[0], [...path, 0]);
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  for (const r of records) walk(r, []);
  return [...out];
}

/**
 * Columns of a `{ column: .field.path }` mapping, typed from sampled records, with a warning for
 * each path that no sampled record has (a typo there would give null in every row): did-you-mean
 * against the paths the records do have. Unsampled: every column `any`, nothing to warn about.
 */
export function mappedColumns(ctx: SchemaContext, mapping: Record<string, (string | number)[]>, records: Record<string, unknown>[], param = 'fields'): Column[] {
  if (!records.length) return Object.keys(mapping).map((name) => ({ name, type: 'any' }));
  let present: string[] | undefined;
  for (const [col, path] of Object.entries(mapping)) {
    if (records.some((r) => getPath(r, path) !== null)) continue;
    present ??= fieldPathsOf(records);
    const shown = showFieldPath(path);
    const guess = closest(shown, present);
    ctx.warn?.(param, `no sampled record has \`${shown}\` (column \`${col}\`): it would be null in every row`, {
      notes: [`sampled ${records.length} record${records.length === 1 ? '' : 's'} of the first file; paths they have: ${present.slice(0, 12).join(', ')}${present.length > 12 ? ', …' : ''}`],
      help: guess ? `did you mean \`${guess}\`?` : undefined,
    });
  }
  const typed = inferColumns(records.map((r) => Object.fromEntries(Object.entries(mapping).map(([col, path]) => [col, getPath(r, path)]))));
  return Object.keys(mapping).map((name) => typed.find((c) => c.name === name) ?? { name, type: 'any' });
}
