import { defineOp, type Row } from '../types.js';
import { requireColumns } from '../common.js';

type Unit = 'sentences' | 'paragraphs' | 'words';

const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** The text cut into units: sentences (Unicode segmentation rules), paragraphs (blank lines) or words. */
export function units(text: string, by: Unit): string[] {
  switch (by) {
    case 'sentences':
      return [...sentenceSegmenter.segment(text)].map((s) => s.segment.trim()).filter(Boolean);
    case 'paragraphs':
      return text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
    case 'words':
      return text.split(/\s+/).filter(Boolean);
  }
}

/** Windows of `size` units, each starting `size - overlap` units after the previous one. */
export function windows(parts: string[], size: number, overlap: number, joiner: string): string[] {
  const step = Math.max(1, size - overlap);
  const out: string[] = [];
  for (let start = 0; start < parts.length; start += step) {
    out.push(parts.slice(start, start + size).join(joiner));
    if (start + size >= parts.length) break;
  }
  return out;
}

export const chunk = defineOp({
  name: 'chunk',
  version: 1,
  kind: 'map',
  summary: 'cut long texts into passages of N sentences, paragraphs or words (each passage a row)',
  doc: '`chunk text by: sentences size: 5` turns one long document into passages. Each passage keeps the other columns, gets the id `<id>#<n>` and a `parent` column holding the document id, so splits can keep a document\'s passages together (`split group: parent`).',
  params: [
    { name: 'column', type: { kind: 'column' }, positional: true, default: 'text', doc: 'text column to cut' },
    { name: 'by', type: { kind: 'enum', values: ['sentences', 'paragraphs', 'words'] }, default: 'sentences', doc: 'unit of a passage' },
    { name: 'size', type: { kind: 'count', min: 1 }, default: 5, doc: 'units per passage' },
    { name: 'overlap', type: { kind: 'count', min: 0 }, default: 0, doc: 'units shared by consecutive passages' },
  ],
  describe: (p) => `chunk ${p.size} ${p.by}`,
  schema(ctx) {
    requireColumns(ctx, 'column', [ctx.params.column as string]);
    if ((ctx.params.overlap as number) >= (ctx.params.size as number)) ctx.error('overlap', '`overlap` must be smaller than `size`');
    const columns = ctx.input!.columns.filter((c) => c.name !== 'parent');
    return { ...ctx.input!, columns: [...columns, { name: 'parent', type: 'string' }] };
  },
  map(params) {
    const col = params.column as string;
    const by = params.by as Unit;
    const joiner = by === 'paragraphs' ? '\n\n' : ' ';
    return (row) => {
      const text = row[col];
      if (typeof text !== 'string' || !text.trim()) return { ...row, parent: row.id ?? null };
      const passages = windows(units(text, by), params.size as number, params.overlap as number, joiner);
      return passages.map((p, i): Row => ({ ...row, id: `${String(row.id)}#${i + 1}`, [col]: p, parent: row.id ?? null }));
    };
  },
});
