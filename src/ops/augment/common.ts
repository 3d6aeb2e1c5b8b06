/**
 * What every augmentation op shares: lineage (ids, `parent`, `augmentation`), split awareness
 * (each part augmented on its own, only the parts in `apply_to`), the filters every copy passes
 * (unchanged, duplicate of a sibling, similarity band, length ratio, `keep_if`, `preserve`), and
 * the notes. An op supplies only the copies of a batch of rows.
 */
import { distance } from 'fastest-levenshtein';
import { compileExpr, showExpr, truthy, type ExprIR } from '../../core/expr.js';
import { rootOf } from '../bias/counterfactual.js';
import { table } from '../curate/thresholds.js';
import { words } from '../filter/relevance.js';
import type { Column, GlobalOutput, OpContext, ParamSpec, Params, Row, RowSet, Schema, SchemaContext } from '../types.js';

export const LINEAGE_PARAMS: ParamSpec[] = [
  { name: 'where', type: { kind: 'expr', returns: 'bool' }, doc: 'augment only the rows where this holds (the others pass through): label == "billing"' },
  { name: 'only_augmented', type: { kind: 'bool' }, default: false, doc: 'emit the copies without their originals (in the parts that are augmented)' },
  { name: 'apply_to', type: { kind: 'list', of: { kind: 'any' } }, doc: 'parts of a split input to augment, e.g. [train] (the default); the other parts pass through unchanged' },
];

export const FILTER_PARAMS: ParamSpec[] = [
  { name: 'similarity', type: { kind: 'list', of: { kind: 'percent' } }, doc: 'keep copies whose similarity to the original lies in [min, max], e.g. [30%, 95%]' },
  { name: 'similarity_by', type: { kind: 'enum', values: ['chars', 'words'] }, default: 'chars', doc: 'chars: 1 − edit distance / longer length; words: Jaccard of the word sets' },
  { name: 'length_ratio', type: { kind: 'list', of: { kind: 'number', min: 0 } }, doc: 'keep copies whose length / the original\'s lies in [min, max], e.g. [0.5, 2]' },
  { name: 'keep_if', type: { kind: 'expr', returns: 'bool' }, doc: 'a condition every copy must meet, checked on the copy: words(text) >= 3' },
  { name: 'preserve', type: { kind: 'expr', returns: 'bool' }, doc: 'a condition that, when true of the original, must stay true of the copy (label preservation): text ~ /refund/i' },
];

export const LINEAGE_DOC =
  'Lineage: every copy gets the id `<id>#<tag><k>`, `parent` = the original\'s id (or the original\'s own `parent` when it has one, so a family stays one group) and `augmentation` naming what made it; `source` and the other columns are the original\'s. Originals are kept (with `parent` and `augmentation` empty) unless `only_augmented`; with it, an original none of whose copies survived is dropped with reason "no augmented copy". ' +
  'Splits: augment after splitting, or split with `group: parent` so a family never straddles parts. On a split input each part is augmented on its own — a copy always lands in its original\'s part — and only the parts in `apply_to` (default `[train]`); the others pass through unchanged. `where: COND` picks the rows to augment. ' +
  'Filters: a copy equal to its original (ignoring case and spacing) is rejected as "unchanged", one equal to an earlier copy of the same row as "duplicate variant"; `similarity: [min, max]` rejects copies "too similar" (a near copy) or "too different" (drifted) by `similarity_by` chars (1 − Levenshtein distance / longer length) or words (Jaccard of word sets); `length_ratio: [min, max]` bounds len(copy)/len(original); `keep_if: COND` must hold on the copy; `preserve: COND` must still hold on the copy when it held on the original (label preservation, e.g. `preserve: text ~ /refund/i`). Rejected copies go to the rejects with the measured value.';

/** Output columns: the input's plus `parent` and `augmentation` (when missing). */
export function lineageSchema(input: Schema): Schema {
  const add: Column[] = [];
  if (!input.columns.some((c) => c.name === 'parent')) add.push({ name: 'parent', type: 'string' });
  if (!input.columns.some((c) => c.name === 'augmentation')) add.push({ name: 'augmentation', type: 'string' });
  return add.length ? { ...input, columns: [...input.columns, ...add] } : input;
}

/** Check-time checks shared by augmentation ops: bands, apply_to against the input's parts. */
export function checkAugmentParams(ctx: SchemaContext): void {
  const p = ctx.params;
  for (const name of ['similarity', 'length_ratio']) {
    const band = p[name] as number[] | undefined;
    if (band === undefined) continue;
    if (band.length !== 2) ctx.error(name, `\`${name}\` is a band [min, max]: give two values`, { help: name === 'similarity' ? 'write `similarity: [30%, 95%]`' : 'write `length_ratio: [0.5, 2]`' });
    else if (band[0] > band[1]) ctx.error(name, `\`${name}\`: min ${band[0]} is above max ${band[1]}`, { help: `write [${band[1]}, ${band[0]}]` });
  }
  const parts = ctx.input?.parts;
  const applyTo = p.apply_to as unknown[] | undefined;
  if (applyTo !== undefined) {
    if (!parts) {
      ctx.error('apply_to', '`apply_to` picks parts of a split, but the input has no parts', { help: 'remove `apply_to`: every row is augmented' });
      return;
    }
    for (const a of applyTo) {
      if (typeof a !== 'string' || !parts.includes(a)) {
        ctx.error('apply_to', `unknown part \`${String(a)}\``, { notes: [`parts of the input: ${parts.join(', ')}`], help: `pick from ${parts.join(', ')}` });
      }
    }
  } else if (parts && !parts.includes('train')) {
    ctx.error(undefined, `the input is split into ${parts.join(', ')}, none of them \`train\`: say which parts to augment`, {
      notes: ['augmenting an evaluation part puts synthetic rows where the model is measured'],
      help: `write \`apply_to: [${parts[0]}]\``,
    });
  }
}

/** One copy of a row an op made. */
export interface Variant {
  /** id suffix after `#`: `eda1`, `para2`, `bt-de1` */
  tag: string;
  /** what made it, for the `augmentation` column: `eda:sr`, `paraphrase`, `back_translate:de` */
  augmentation: string;
  /** the new values of the augmented columns */
  values: Record<string, string>;
  /** a copy that could not be made (an empty answer): rejected with this reason */
  problem?: { reason: string; detail: string };
}

export interface Augmenter {
  /** rows handed to `variants` at once (provider ops: enough to keep requests in flight) */
  batch: number;
  /** the copies of each row of a batch, in order */
  variants(rows: Row[]): Promise<Variant[][]>;
  /** extra lines for the notes (provider requests, memo hits) */
  notes?(): string[];
}

/** Text compared for "unchanged" and "duplicate variant": NFKC, lowercase, whitespace runs as one space. */
export function fold(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** 1 − Levenshtein distance / longer length, on folded text (1 = same, 0 = nothing in common). */
export function charSimilarity(a: string, b: string): number {
  const x = fold(a);
  const y = fold(b);
  const n = Math.max(x.length, y.length);
  return n === 0 ? 1 : 1 - distance(x, y) / n;
}

/** Jaccard similarity of the two texts' word sets (lowercased, NFKC). */
export function wordJaccard(a: string, b: string): number {
  const x = new Set(words(a));
  const y = new Set(words(b));
  if (!x.size && !y.size) return 1;
  let inter = 0;
  for (const w of x) if (y.has(w)) inter++;
  return inter / (x.size + y.size - inter);
}

const str = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const r2 = (x: number) => (Math.round(x * 100) / 100).toFixed(2);
const fmtN = (n: number) => n.toLocaleString('en-US');

/** The original as emitted: with `parent` and `augmentation` present (empty). */
export function asOriginal(row: Row): Row {
  if ('parent' in row && 'augmentation' in row) return row;
  return { ...row, ...('parent' in row ? {} : { parent: null }), ...('augmentation' in row ? {} : { augmentation: null }) };
}

/** A copy of a row: its id, lineage and new values. */
export function copyOf(row: Row, v: Variant): Row {
  const prev = row.augmentation;
  return {
    ...asOriginal(row),
    ...v.values,
    id: `${String(row.id)}#${v.tag}`,
    parent: rootOf(row),
    augmentation: typeof prev === 'string' && prev ? `${prev}>${v.augmentation}` : v.augmentation,
  };
}

interface Tally {
  made: number;
  kept: number;
  rejected: Map<string, number>;
}

/**
 * Run an augmenter over the input: per part (only `apply_to` parts are augmented), in batches,
 * each original followed by its surviving copies; rejected copies dropped with their reason and
 * measured value. Expects the op to declare `parts: 'all'`, so it knows each row's part.
 */
export async function runAugment(
  opName: string,
  input: RowSet,
  params: Params,
  ctx: OpContext,
  out: GlobalOutput,
  extra: Record<string, RowSet>,
  columns: string[],
  aug: Augmenter,
): Promise<void> {
  const partNames = Object.keys(extra).filter((k) => k.startsWith('part:')).map((k) => k.slice(5));
  const split = !!ctx.schema.parts;
  const parts: [string | undefined, RowSet][] = partNames.length ? partNames.map((p) => [p, extra[`part:${p}`]]) : [[undefined, input]];
  const applyTo = split ? ((params.apply_to as string[] | undefined) ?? ['train']) : undefined;
  const where = params.where ? compileExpr(params.where as ExprIR) : undefined;
  const keepIf = params.keep_if ? compileExpr(params.keep_if as ExprIR) : undefined;
  const preserve = params.preserve ? compileExpr(params.preserve as ExprIR) : undefined;
  const sim = params.similarity as [number, number] | undefined;
  const simBy = (params.similarity_by as 'chars' | 'words' | undefined) ?? 'chars';
  const lenBand = params.length_ratio as [number, number] | undefined;
  const onlyAug = params.only_augmented as boolean;

  const tallies = new Map<string, Tally>();
  const tally = (a: string) => {
    let t = tallies.get(a);
    if (!t) tallies.set(a, (t = { made: 0, kept: 0, rejected: new Map() }));
    return t;
  };
  const reasons = new Set<string>();
  let done = 0;
  let augmentedRows = 0;
  let skipped = 0;
  let orphans = 0;
  const perPart: string[] = [];

  for (const [part, rows] of parts) {
    if (applyTo && part !== undefined && !applyTo.includes(part)) {
      for await (const row of rows.rows()) {
        await out.emit(asOriginal(row), part);
        ctx.progress(++done);
      }
      perPart.push(`${part} ${fmtN(rows.count)} passed through`);
      continue;
    }
    let added = 0;
    const flush = async (batch: Row[]) => {
      const chosen = batch.filter((r) => !where || truthy(where(r)));
      const made = chosen.length ? await aug.variants(chosen) : [];
      let j = 0;
      for (const row of batch) {
        const picked = !where || chosen[j] === row;
        const variants = picked ? made[j++] ?? [] : [];
        if (!picked) skipped++;
        else augmentedRows++;
        const original = columns.map((c) => str(row[c])).join('\n');
        const seen = new Map<string, string>([[fold(original), String(row.id)]]);
        const kept: Row[] = [];
        const origOk = preserve ? truthy(preserve(row)) : false;
        for (const v of variants) {
          const t = tally(v.augmentation);
          t.made++;
          const copy = copyOf(row, v);
          const reject = async (reason: string, detail: string) => {
            reasons.add(reason);
            t.rejected.set(reason, (t.rejected.get(reason) ?? 0) + 1);
            await out.drop(copy, reason, detail);
          };
          if (v.problem) {
            await reject(v.problem.reason, v.problem.detail);
            continue;
          }
          const text = columns.map((c) => str(copy[c])).join('\n');
          const f = fold(text);
          const same = seen.get(f);
          if (same === String(row.id)) {
            await reject('unchanged', `${v.augmentation} left the text as it was`);
            continue;
          }
          if (same !== undefined) {
            await reject('duplicate variant', `same text as ${same}`);
            continue;
          }
          if (sim) {
            const s = simBy === 'words' ? wordJaccard(original, text) : charSimilarity(original, text);
            if (s > sim[1]) {
              await reject('too similar', `similarity ${r2(s)} > max ${r2(sim[1])} (${simBy})`);
              continue;
            }
            if (s < sim[0]) {
              await reject('too different', `similarity ${r2(s)} < min ${r2(sim[0])} (${simBy})`);
              continue;
            }
          }
          if (lenBand) {
            const a = [...original].length;
            const ratio = a === 0 ? ([...text].length === 0 ? 1 : Infinity) : [...text].length / a;
            if (ratio < lenBand[0] || ratio > lenBand[1]) {
              await reject('length ratio', `length ratio ${Number.isFinite(ratio) ? r2(ratio) : '∞'} outside [${lenBand[0]}, ${lenBand[1]}] (${[...text].length} vs ${a} chars)`);
              continue;
            }
          }
          if (keepIf && !truthy(keepIf(copy))) {
            await reject('keep_if', `not (${showExpr(params.keep_if as ExprIR)})`);
            continue;
          }
          if (preserve && origOk && !truthy(preserve(copy))) {
            await reject('not preserved', `${showExpr(params.preserve as ExprIR)} held for ${String(row.id)} but not for the copy`);
            continue;
          }
          seen.set(f, String(copy.id));
          t.kept++;
          kept.push(copy);
        }
        if (!onlyAug) await out.emit(asOriginal(row), part);
        else if (!kept.length) {
          orphans++;
          const why = !picked ? 'not picked by `where`' : variants.length ? `all ${variants.length} cop${variants.length === 1 ? 'y' : 'ies'} rejected` : 'no copy could be made';
          await out.drop(asOriginal(row), 'no augmented copy', why);
        }
        for (const c of kept) await out.emit(c, part);
        added += kept.length;
        ctx.progress(++done);
      }
    };
    let batch: Row[] = [];
    for await (const row of rows.rows()) {
      batch.push(row);
      if (batch.length >= aug.batch) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length) await flush(batch);
    if (part !== undefined && split) perPart.push(`${part} +${fmtN(added)}`);
  }

  // notes: what was made, kept and rejected, per kind of copy
  const made = [...tallies.values()].reduce((n, t) => n + t.made, 0);
  const kept = [...tallies.values()].reduce((n, t) => n + t.kept, 0);
  out.note(`${opName}: ${fmtN(made)} cop${made === 1 ? 'y' : 'ies'} of ${fmtN(augmentedRows)} row${augmentedRows === 1 ? '' : 's'} → ${fmtN(kept)} kept, ${fmtN(made - kept)} rejected${skipped ? ` · ${fmtN(skipped)} row${skipped === 1 ? '' : 's'} not picked by \`where\`` : ''}${onlyAug ? ` · originals left out (only_augmented)${orphans ? `; ${fmtN(orphans)} without a surviving copy dropped` : ''}` : ''}`);
  if (tallies.size) {
    const rs = [...reasons];
    const rowsOut = [['copy', 'made', 'kept', ...rs]];
    for (const [a, t] of [...tallies].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) rowsOut.push([a, fmtN(t.made), fmtN(t.kept), ...rs.map((r) => fmtN(t.rejected.get(r) ?? 0))]);
    for (const l of table(rowsOut)) out.note(l);
  }
  if (split) out.note(`per part: ${perPart.join(' · ')}`);
  for (const l of aug.notes?.() ?? []) out.note(l);
}
