import { defineOp } from '../types.js';
import { requireColumns } from '../common.js';

// ‘ ’ ‚ ‛ and “ ” „ ‟ (guillemets « » and primes ′ ″ are left alone: they are not curly quotes)
const SINGLE_QUOTES = /[\u2018\u2019\u201A\u201B]/g;
const DOUBLE_QUOTES = /[\u201C\u201D\u201E\u201F]/g;
// hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign
const DASHES = /[\u2010-\u2015\u2212]/g;

/** The columns of a row to clean: the chosen ones, or every string column but `id` and `source`; only string values. */
export function textColumns(row: Record<string, unknown>, columns: string[] | undefined): string[] {
  const names = columns ?? Object.keys(row).filter((k) => k !== 'id' && k !== 'source');
  return names.filter((c) => typeof row[c] === 'string');
}

export interface PunctuationOptions {
  quotes: boolean;
  dashes: boolean;
  ellipsis: boolean;
  repeats: boolean;
}

/** Curly quotes → straight ones. */
export function straightenQuotes(s: string): string {
  return s.replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"');
}

/** Typographic dashes and the minus sign → "-". */
export function plainDashes(s: string): string {
  return s.replace(DASHES, '-');
}

/** "!!!!" → "!", "???" → "?", "?!?!" → "?!", ",," → ",", ";;" → ";", "……" / "....." → "..." */
export function collapseRepeats(s: string): string {
  return s
    .replace(/[!?]{2,}/g, (m) => (!m.includes('?') ? '!' : !m.includes('!') ? '?' : '?!'))
    .replace(/,{2,}/g, ',')
    .replace(/;{2,}/g, ';')
    .replace(/\.{4,}/g, '...');
}

export function punctuationText(s: string, o: PunctuationOptions): string {
  let t = s;
  if (o.quotes) t = straightenQuotes(t);
  if (o.dashes) t = plainDashes(t);
  if (o.ellipsis) t = t.replace(/\u2026/g, '...');
  if (o.repeats) t = collapseRepeats(t);
  return t;
}

export const punctuation = defineOp({
  name: 'punctuation',
  version: 1,
  kind: 'map',
  summary: 'normalize punctuation: curly quotes → straight, dashes → "-", "…" → "...", "!!!!" → "!"',
  doc: [
    'Every option is on by default; turn one off with `quotes: false`.',
    '`quotes`: ‘ ’ ‚ ‛ → \' and “ ” „ ‟ → " (guillemets « » and primes ′ ″ stay).',
    '`dashes`: the hyphen and dash characters U+2010–U+2015 and the minus sign U+2212 → "-".',
    '`ellipsis`: "…" → "...".',
    '`repeats`: runs of ! or ? → one ("?!" when both occur), ",," → ",", ";;" → ";", four or more dots → "..." (":" is left alone: `std::vector`, "10:30").',
  ].join(' '),
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, doc: 'columns to normalize (default: every text column)' },
    { name: 'quotes', type: { kind: 'bool' }, default: true, doc: 'curly quotes → straight quotes' },
    { name: 'dashes', type: { kind: 'bool' }, default: true, doc: 'en/em dashes, minus and other dash characters → "-"' },
    { name: 'ellipsis', type: { kind: 'bool' }, default: true, doc: '"…" → "..."' },
    { name: 'repeats', type: { kind: 'bool' }, default: true, doc: 'collapse repeated punctuation: "!!!!" → "!", "??" → "?", "?!?!" → "?!"' },
  ],
  describe: (p) => {
    const on = (['quotes', 'dashes', 'ellipsis', 'repeats'] as const).filter((k) => p[k]);
    return `punctuation${on.length === 4 ? '' : ` ${on.join(', ') || '(nothing)'}`}`;
  },
  schema(ctx) {
    if (ctx.params.columns) requireColumns(ctx, 'columns', ctx.params.columns as string[]);
    return ctx.input!;
  },
  map(params) {
    const o = params as unknown as PunctuationOptions;
    const cols = params.columns as string[] | undefined;
    return (row) => {
      const out = { ...row };
      for (const c of textColumns(row, cols)) out[c] = punctuationText(out[c] as string, o);
      return out;
    };
  },
});
