import { decodeHTML } from 'entities';
import { defineOp } from '../types.js';
import { requireColumns, stringColumns } from '../common.js';

const BLOCK_TAGS = /<\/?(?:p|div|br|li|ul|ol|tr|td|th|h[1-6]|table|section|article|blockquote|pre)\b[^>]*>/gi;
const INVISIBLE = /<(script|style|head|template)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const COMMENT = /<!--[\s\S]*?-->/g;
const TAG = /<\/?[A-Za-z][^<>]*>/g;

/** Markup → text: invisible parts removed, block tags become line breaks, entities decoded. */
export function htmlToText(s: string): string {
  return decodeHTML(s.replace(COMMENT, '').replace(INVISIBLE, ' ').replace(BLOCK_TAGS, '\n').replace(TAG, ''))
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n');
}

export const strip_html = defineOp({
  name: 'strip_html',
  version: 1,
  kind: 'map',
  summary: 'remove HTML tags and decode entities (&amp; → &) in text columns',
  doc: 'Script, style and comments are removed with their content; block tags (p, div, br, li, h1…) become line breaks so paragraphs stay apart.',
  params: [{ name: 'columns', type: { kind: 'columns' }, positional: true, doc: 'columns to clean (default: every text column)' }],
  schema(ctx) {
    if (ctx.params.columns) requireColumns(ctx, 'columns', ctx.params.columns as string[]);
    return ctx.input!;
  },
  map(params) {
    let cols = params.columns as string[] | undefined;
    return (row) => {
      cols ??= stringColumns(Object.keys(row).map((name) => ({ name, type: 'any' })));
      const out = { ...row };
      for (const c of cols) if (typeof out[c] === 'string') out[c] = htmlToText(out[c] as string);
      return out;
    };
  },
});
