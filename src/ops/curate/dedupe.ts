import xxhash from 'xxhash-wasm';
import { defineOp, type Row, type SchemaContext } from '../types.js';
import { requireColumns } from '../common.js';
import { normalizeText } from '../clean/normalize.js';
import { KeyTable } from './minhash.js';
import { canonicalJson } from '../../runtime/hash.js';

type XXHash = Awaited<ReturnType<typeof xxhash>>;
let xxhashApi: Promise<XXHash> | undefined;

/** xxhash-wasm compiles its module asynchronously: do it once, on first use. */
export function loadXxhash(): Promise<XXHash> {
  return (xxhashApi ??= xxhash());
}

export type KeepPolicy = 'first' | 'last' | 'longest' | 'highest';
export const KEEP_POLICIES = ['first', 'last', 'longest', 'highest'] as const;

/**
 * What `fold` does to a string before exact comparison (the one place that says so; README `dedupe`):
 * NFKC, control/zero-width characters removed, lowercased, and every whitespace run — spaces, tabs,
 * newlines, blank lines — made one space, ends trimmed. `dedupe_near` simplifies further (its `fold`).
 */
export function foldExact(s: string): string {
  return normalizeText(s, { form: 'nfkc', whitespace: false, lowercase: true, controls: true }).replace(/\s+/g, ' ').trim();
}

/**
 * One column's compared value, tagged by type so values of different types never collide: a missing
 * column, null, a string, a number/bool and a list/record each get their own prefix (the string
 * "null" is not null, the string '{"k":1}' is not the record {"k":1}). Only strings are folded.
 */
export function typedValue(v: unknown, fold: boolean): string {
  if (v === undefined) return 'u';
  if (v === null) return 'z';
  if (typeof v === 'string') return 's' + (fold ? foldExact(v) : v);
  if (typeof v === 'number' || typeof v === 'boolean') return 'n' + String(v);
  return 'j' + canonicalJson(v);
}

/** The text two rows are compared on: each chosen column's typed value, NUL-terminated. */
export function dedupeText(row: Row, columns: string[], fold: boolean): string {
  let out = '';
  for (const c of columns) out += typedValue(row[c], fold) + '\u0000';
  return out;
}

/** xxh64 of the compared text (64 bits: about 3·10⁻⁸ odds of any collision among a million distinct rows). */
export function dedupeKey(hasher: XXHash, row: Row, columns: string[], fold: boolean): bigint {
  return hasher.h64(dedupeText(row, columns, fold));
}

/** Characters in the compared columns, for `keep longest`. */
export function rowLength(row: Row, columns: string[]): number {
  let n = 0;
  for (const c of columns) {
    const v = row[c];
    n += typeof v === 'string' ? v.length : v === null || v === undefined ? 0 : JSON.stringify(v).length;
  }
  return n;
}

/** The `score` column as a number (missing, null or not numeric: −∞, so it never wins). */
export function scoreOf(row: Row, column: string | undefined): number {
  if (!column) return 0;
  const v = row[column];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : -Infinity;
}

/** Does a candidate beat the current pick under the policy? Candidates come in input order, ties keep the earlier one. */
export function beats(keep: KeepPolicy, candidate: number, current: number): boolean {
  switch (keep) {
    case 'first':
      return false;
    case 'last':
      return true;
    case 'longest':
    case 'highest':
      return candidate > current;
  }
}

/** Shared schema checks for ops with a keep policy: `highest` needs a numeric `score` column. */
export function checkKeep(ctx: SchemaContext): void {
  const keep = ctx.params.keep as KeepPolicy;
  const score = ctx.params.score as string | undefined;
  if (keep === 'highest' && !score) {
    ctx.error('keep', '`keep highest` needs a `score` column', { help: 'add `score: <column>` naming a numeric column; the row with the highest value stays' });
  }
  if (score) {
    const col = ctx.input?.columns.find((c) => c.name === score);
    if (col && col.type !== 'number' && col.type !== 'any') {
      ctx.error('score', `\`score\` column \`${score}\` holds ${col.type} values, not numbers`, { help: 'name a numeric column' });
    }
    if (keep !== 'highest') ctx.error('score', '`score` is only used with `keep highest`', { help: 'write `keep highest score: ' + score + '`, or remove `score`' });
  }
}

/** Why the kept copy won, for the rejects' detail. */
export function keptWhy(keep: KeepPolicy, keptValue: number, value: number): string {
  if (keep === 'longest') return keptValue > value ? ` (kept the longest: ${keptValue} > ${value} chars)` : ` (same length, ${value} chars: kept the earlier)`;
  if (keep === 'highest') return ` (kept the highest score: ${fmtScore(keptValue)} vs ${fmtScore(value)})`;
  return '';
}

function grow<T extends Int32Array | Float64Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

function fmtScore(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 1e4) / 1e4) : 'none';
}

export const dedupe = defineOp({
  name: 'dedupe',
  version: 3,
  kind: 'global',
  summary: 'drop exact duplicates on one or more columns (after folding case, spaces and unicode forms)',
  doc: 'Rows are equal when the chosen columns are equal. Values keep their type: a missing column, null, the string "null", the number 1 and the string "1" are all different, and a record never equals its JSON text. With `fold` (default) strings are compared after NFKC, removing control and zero-width characters, lowercasing, and turning every whitespace run (spaces, tabs, newlines, blank lines) into one space, ends trimmed: `foo bar`, `Foo\\nbar` and `foo\\n\\n bar` are duplicates. `fold: false` compares the exact characters. (`dedupe_near` with `fold` simplifies further: digits → 0, punctuation → space, accents dropped; `leakage` uses this `dedupe` folding for its exact matches.) Rows are compared by the 64-bit xxhash of that text. Which copy stays is set by `keep`: the first, the last, the longest (characters in the compared columns) or the one with the highest `score` (ties keep the earlier row); the others are dropped with reason "duplicate" and the id of the row kept. Memory holds a 64-bit hash, the index and id of the kept copy per distinct row (about 50 bytes) and 4 bytes per row, not the rows.',
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, default: ['text'], doc: 'columns that make two rows duplicates' },
    { name: 'keep', type: { kind: 'enum', values: KEEP_POLICIES }, default: 'first', doc: 'which copy stays: first, last, longest, or highest (by `score`)' },
    { name: 'score', type: { kind: 'column' }, doc: 'numeric column for `keep highest` (missing values never win)' },
    { name: 'fold', type: { kind: 'bool' }, default: true, doc: 'compare strings after NFKC, removing controls, lowercasing and making every whitespace run (newlines too) one space' },
  ],
  describe: (p) => `dedupe ${(p.columns as string[]).join(', ')}${p.keep !== 'first' ? ` keep ${p.keep}` : ''}`,
  schema(ctx) {
    requireColumns(ctx, 'columns', ctx.params.columns as string[]);
    checkKeep(ctx);
    return ctx.input!;
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const hasher = await loadXxhash();
      const columns = params.columns as string[];
      const fold = params.fold as boolean;
      const keep = params.keep as KeepPolicy;
      const score = params.score as string | undefined;
      // pass 1: a slot per distinct key (a typed hash table on the two halves of the xxh64);
      // per slot the winner's index, id and value (length or score)
      const slots = new KeyTable(Math.min(input.count, 1 << 20));
      const slotOf = new Int32Array(input.count);
      let winner = new Int32Array(1024);
      let value = new Float64Array(keep === 'longest' || keep === 'highest' ? 1024 : 0);
      const winnerId: unknown[] = [];
      let i = 0;
      for await (const row of input.rows()) {
        const key = dedupeKey(hasher, row, columns, fold);
        const v = keep === 'longest' ? rowLength(row, columns) : keep === 'highest' ? scoreOf(row, score) : 0;
        const fresh = winnerId.length;
        const slot = slots.setIfAbsent(Number(key >> 32n), Number(key & 0xffffffffn), fresh);
        if (slot === fresh) {
          if (fresh === winner.length) {
            winner = grow(winner);
            if (value.length) value = grow(value);
          }
          winner[slot] = i;
          winnerId.push(row.id);
          if (value.length) value[slot] = v;
        } else if (beats(keep, v, value.length ? value[slot] : 0)) {
          winner[slot] = i;
          winnerId[slot] = row.id;
          if (value.length) value[slot] = v;
        }
        slotOf[i] = slot;
        i++;
        if (i % 1000 === 0) ctx.progress(i);
      }
      // pass 2: winners in input order, the other copies dropped with the winner's id
      i = 0;
      for await (const row of input.rows()) {
        const slot = slotOf[i];
        if (winner[slot] === i) await out.emit(row);
        else {
          const why = keep === 'longest' ? keptWhy(keep, value[slot], rowLength(row, columns)) : keep === 'highest' ? keptWhy(keep, value[slot], scoreOf(row, score)) : '';
          await out.drop(row, 'duplicate', `duplicate of ${String(winnerId[slot])}${why}`);
        }
        i++;
      }
      const dupes = i - winnerId.length;
      out.metric?.('rows', i);
      out.metric?.('duplicates', dupes);
      out.metric?.('kept', winnerId.length);
      out.metric?.('duplicate_share', i ? dupes / i : 0);
      out.note(`${dupes.toLocaleString('en-US')} duplicate${dupes === 1 ? '' : 's'} in ${i.toLocaleString('en-US')} rows (keep ${keep})`);
    },
  },
});
