import { defineOp } from '../types.js';
import { requireColumns, stringColumns } from '../common.js';

// C0/C1 controls except tab and newline, plus zero-width and bidi marks that make equal texts differ
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;

export interface NormalizeOptions {
  form: 'nfc' | 'nfkc' | 'nfd' | 'nfkd' | 'none';
  whitespace: boolean;
  lowercase: boolean;
  controls: boolean;
}

export function normalizeText(s: string, o: NormalizeOptions): string {
  let t = s;
  if (o.controls) t = t.replace(CONTROL, '');
  if (o.form !== 'none') t = t.normalize(o.form.toUpperCase() as 'NFC');
  if (o.whitespace) t = t.replace(/\r\n?/g, '\n').replace(/[^\S\n]+/g, ' ').replace(/ ?\n ?/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  if (o.lowercase) t = t.toLowerCase();
  return t;
}

export const normalize = defineOp({
  name: 'normalize',
  version: 1,
  kind: 'map',
  summary: 'unicode normalization, control/zero-width removal, whitespace collapsing, optional lowercasing',
  doc: 'Write the options bare: `normalize nfkc lowercase`. Whitespace runs collapse to one space (newlines kept, at most one blank line) and ends are trimmed.',
  params: [
    { name: 'form', type: { kind: 'enum', values: ['nfc', 'nfkc', 'nfd', 'nfkd', 'none'] }, default: 'nfc', doc: 'unicode normalization form' },
    { name: 'lowercase', type: { kind: 'bool' }, default: false, doc: 'lowercase the text' },
    { name: 'whitespace', type: { kind: 'bool' }, default: true, doc: 'collapse runs of whitespace and trim' },
    { name: 'controls', type: { kind: 'bool' }, default: true, doc: 'remove control, zero-width and bidi characters' },
    { name: 'columns', type: { kind: 'columns' }, positional: true, doc: 'columns to normalize (default: every text column)' },
  ],
  describe: (p) => `normalize ${p.form}${p.lowercase ? ' lowercase' : ''}`,
  schema(ctx) {
    if (ctx.params.columns) requireColumns(ctx, 'columns', ctx.params.columns as string[]);
    return ctx.input!;
  },
  map(params) {
    const o = params as unknown as NormalizeOptions;
    let cols = params.columns as string[] | undefined;
    return (row) => {
      cols ??= stringColumns(Object.keys(row).map((name) => ({ name, type: 'any' })));
      const out = { ...row };
      for (const c of cols) if (typeof out[c] === 'string') out[c] = normalizeText(out[c] as string, o);
      return out;
    };
  },
});
