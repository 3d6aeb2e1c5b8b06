import { createHash } from 'node:crypto';
import { defineOp, type Row } from '../types.js';
import { requireColumns } from '../common.js';
import { normalizeText } from '../clean/normalize.js';

/** The text two rows are compared on: chosen columns, optionally case/space/unicode-folded. */
export function dedupeKey(row: Row, columns: string[], fold: boolean): string {
  const h = createHash('sha1');
  for (const c of columns) {
    const v = row[c];
    const s = typeof v === 'string' ? v : JSON.stringify(v ?? null);
    h.update(fold ? normalizeText(s, { form: 'nfkc', whitespace: true, lowercase: true, controls: true }) : s);
    h.update('\u0000');
  }
  return h.digest('base64');
}

export const dedupe = defineOp({
  name: 'dedupe',
  version: 1,
  kind: 'global',
  summary: 'drop exact duplicates on one or more columns (after folding case, spaces and unicode forms)',
  doc: 'Rows are equal when the chosen columns are equal; with `fold` (default) the comparison ignores case, whitespace runs and unicode compatibility forms. Which copy stays is set by `keep`; the others are dropped with reason "duplicate" and the id of the row kept. Memory holds one hash per distinct row, not the rows.',
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, default: ['text'], doc: 'columns that make two rows duplicates' },
    { name: 'keep', type: { kind: 'enum', values: ['first', 'last', 'longest'] }, default: 'first', doc: 'which copy stays' },
    { name: 'fold', type: { kind: 'bool' }, default: true, doc: 'compare after NFKC, lowercasing and whitespace collapsing' },
  ],
  describe: (p) => `dedupe ${(p.columns as string[]).join(', ')}`,
  schema(ctx) {
    requireColumns(ctx, 'columns', ctx.params.columns as string[]);
    return ctx.input!;
  },
  global: {
    async run(input, params, ctx, out) {
      const columns = params.columns as string[];
      const fold = params.fold as boolean;
      const keep = params.keep as 'first' | 'last' | 'longest';
      // winner index and id per key; the second pass emits winners in input order
      const best = new Map<string, { index: number; id: unknown; size: number }>();
      let i = 0;
      for await (const row of input.rows()) {
        const key = dedupeKey(row, columns, fold);
        const size = columns.reduce((n, c) => n + String(row[c] ?? '').length, 0);
        const prev = best.get(key);
        if (!prev || keep === 'last' || (keep === 'longest' && size > prev.size)) best.set(key, { index: i, id: row.id, size });
        i++;
        if (i % 1000 === 0) ctx.progress(i);
      }
      i = 0;
      for await (const row of input.rows()) {
        const winner = best.get(dedupeKey(row, columns, fold))!;
        if (winner.index === i) await out.emit(row);
        else await out.drop(row, 'duplicate', `duplicate of ${String(winner.id)}`);
        i++;
      }
      const dupes = i - best.size;
      out.note(`${dupes.toLocaleString('en-US')} duplicate${dupes === 1 ? '' : 's'} in ${i.toLocaleString('en-US')} rows`);
    },
  },
});
