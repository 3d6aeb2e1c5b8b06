/**
 * The `files` op (this module is not `files.ts`: that name holds the path-resolving helpers
 * every source shares).
 */
import { defineOp, type Column, type ColType, type OpDef, type Params, type ReadItem, type SchemaContext, type SourceInput } from '../types.js';
import { getPath, withProvenance } from '../common.js';
import { checkFilesExist, pathInputs } from './files.js';
import { jsonl } from './jsonl.js';
import { json } from './json.js';
import { csv } from './csv.js';
import { parquet } from './parquet.js';
import { text } from './text.js';
import { markdown } from './markdown.js';
import { html } from './html.js';
import { email } from './email.js';

type Mapping = Record<string, (string | number)[]>;

interface Format {
  /** the `format` column's value */
  name: string;
  /** file name endings, lowercase, without `.gz` */
  ext: string[];
  op: OpDef;
  /** params beyond the op's defaults */
  params?: Params;
  gz: boolean;
}

export const FORMATS: Format[] = [
  { name: 'jsonl', ext: ['.jsonl', '.ndjson'], op: jsonl, gz: true },
  { name: 'json', ext: ['.json'], op: json, gz: true },
  { name: 'csv', ext: ['.csv'], op: csv, gz: true },
  { name: 'tsv', ext: ['.tsv'], op: csv, gz: true },
  { name: 'parquet', ext: ['.parquet', '.pq'], op: parquet, gz: false },
  { name: 'text', ext: ['.txt', '.text'], op: text, gz: true },
  { name: 'markdown', ext: ['.md', '.markdown'], op: markdown, gz: true },
  { name: 'html', ext: ['.html', '.htm', '.xhtml'], op: html, gz: true },
  { name: 'email', ext: ['.eml'], op: email, gz: true },
  { name: 'mbox', ext: ['.mbox'], op: email, params: { per: 'mbox' }, gz: true },
];

/** The reader for a file, by its extension (`.gz` allowed where the reader inflates). */
export function formatOf(path: string): Format | undefined {
  const lower = path.toLowerCase();
  const gz = lower.endsWith('.gz');
  const base = gz ? lower.slice(0, -3) : lower;
  return FORMATS.find((f) => (!gz || f.gz) && f.ext.some((e) => base.endsWith(e)));
}

/** A reader's own params: its defaults, the format's, and the ones `files` passes on. */
function subParams(f: Format, params: Params): Params {
  const out: Params = {};
  for (const p of f.op.params) if (p.default !== undefined) out[p.name] = p.default;
  if (f.op.params.some((p) => p.name === 'links')) out.links = params.links === true;
  return { ...out, ...f.params };
}

function merge(a: ColType, b: ColType): ColType {
  return a === b ? a : 'any';
}

/** Union of the columns of the first file of each format, as each reader would report them. */
function sampleColumns(ctx: SchemaContext, files: SourceInput[]): { columns: Column[]; open: boolean } {
  const seen = new Set<Format>();
  const types = new Map<string, ColType>();
  let open = false;
  for (const file of files) {
    const f = formatOf(file.path);
    if (!f || seen.has(f)) continue;
    seen.add(f);
    const sub = f.op.schema({ ...ctx, params: { ...subParams(f, ctx.params), path: file.path }, error: () => {} });
    open ||= !!sub.open;
    for (const c of sub.columns) {
      if (c.name === 'id' || c.name === 'source') continue;
      types.set(c.name, types.has(c.name) ? merge(types.get(c.name)!, c.type) : c.type);
    }
  }
  return { columns: [...types].map(([name, type]) => ({ name, type })), open };
}

export async function* readAny(input: SourceInput, params: Params, ctx: Parameters<NonNullable<OpDef['source']>['read']>[2]): AsyncIterable<ReadItem> {
  const f = formatOf(input.path);
  if (!f) {
    const ext = /(\.[^./\\]+)(\.gz)?$/i.exec(input.path)?.[0] ?? '(none)';
    yield {
      reject: {
        reason: 'unknown format',
        detail: `extension ${ext}; known: ${FORMATS.flatMap((x) => x.ext).join(' ')} (most also as .gz)`,
        location: input.label,
      },
    };
    return;
  }
  const mapping = params.fields as Mapping | undefined;
  const fill = (ctx.schema?.columns ?? []).map((c) => c.name).filter((n) => n !== 'id' && n !== 'source');
  for await (const item of f.op.source!.read(input, subParams(f, params), ctx)) {
    if (!('row' in item)) {
      yield item;
      continue;
    }
    let row: Record<string, unknown> = item.row;
    if (mapping) {
      row = {};
      for (const [col, path] of Object.entries(mapping)) row[col] = getPath(item.row, path);
    }
    row.format = f.name;
    // the union of columns: a column another format has is null here
    for (const n of fill) if (!(n in row)) row[n] = null;
    yield { row, line: item.line };
  }
}

export const files = defineOp({
  name: 'files',
  version: 1,
  kind: 'source',
  summary: 'read a folder of mixed formats: each file by its extension (jsonl, json, csv, tsv, parquet, text, markdown, html, eml, mbox)',
  doc:
    'Each file is read by the reader its extension names, with that reader\'s defaults: .jsonl/.ndjson → jsonl, .json → json, .csv → csv, .tsv → csv with tabs, .parquet/.pq → parquet, .txt/.text → text (one row per file), .md/.markdown → markdown, .html/.htm/.xhtml → html, .eml → email, .mbox → email per mbox; `.gz` is read transparently for all but Parquet. Columns are the union of the columns of each format present (sampled from its first file; a column a row\'s format lacks is null), plus `format` (jsonl, json, csv, tsv, parquet, text, markdown, html, email, mbox). A file with any other extension is rejected as one row "unknown format", with the extension. A mapping `{ text: .body.text }` picks fields the same way from every format\'s rows.',
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'folder, file or glob, relative to the recipe' },
    { name: 'fields', type: { kind: 'mapping' }, positional: true, doc: 'columns to take from every row: { text: .body.text, label: category }' },
    { name: 'links', type: { kind: 'bool' }, default: false, doc: 'html and markdown: keep link targets as [text](url)' },
  ],
  describe: (p) => `files ${p.path}`,
  schema(ctx) {
    const found = checkFilesExist(ctx);
    const mapping = ctx.params.fields as Mapping | undefined;
    const format: Column = { name: 'format', type: 'string' };
    if (mapping) return { columns: withProvenance([...Object.keys(mapping).map((name): Column => ({ name, type: 'any' })), format]) };
    const { columns, open } = sampleColumns(ctx, found);
    return { columns: withProvenance([...columns.filter((c) => c.name !== 'format'), format]), open: open || undefined };
  },
  source: {
    inputs: pathInputs,
    read: readAny,
  },
});
