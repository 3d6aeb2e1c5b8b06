import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { defineOp, OpError, type Column, type Params, type ReadItem } from '../types.js';
import { withProvenance } from '../common.js';
import { checkFilesExist, pathInputs } from './files.js';
import { headLines, openBytes } from './lines.js';

type Mapping = Record<string, (string | number)[]>;

function delimiterFor(params: Params, path: string): string {
  const d = params.delimiter as string | undefined;
  if (d) return d === '\\t' ? '\t' : d;
  return /\.tsv(\.gz)?$/.test(path) ? '\t' : ',';
}

function headerOf(path: string, params: Params): string[] {
  const head = headLines(path, 1, 1024 * 1024)[0] ?? '';
  const [fields] = parseSync(head, { bom: true, delimiter: delimiterFor(params, path), relax_quotes: true }) as string[][];
  return fields ?? [];
}

export const csv = defineOp({
  name: 'csv',
  version: 2,
  kind: 'source',
  summary: 'read CSV/TSV files with a header row (quoted fields, any delimiter; .gz read transparently)',
  doc: 'The first row names the columns. A row with a different number of fields than the header is rejected with its file and line, never padded or cut; a record that cannot be parsed (an unterminated quote) is rejected as "unterminated quote" with the line it starts on, and the rows around it are read. A record whose quoted field spans lines has the line it starts on (its id is file:line). A column named `id` gives the rows their ids and one named `source` is renamed `data_source` (`source` holds the cell that read the row); the cell notes say both. `.tsv` files default to tab-separated. A mapping `{ text: question }` picks and renames columns.',
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'file, folder or glob, relative to the recipe' },
    { name: 'fields', type: { kind: 'mapping' }, positional: true, doc: 'columns to take: { text: question, label: category }' },
    { name: 'delimiter', type: { kind: 'string' }, doc: 'field separator (default `,`, or tab for .tsv; write "\\t" for tab)' },
  ],
  describe: (p) => `csv ${p.path}`,
  schema(ctx) {
    const files = checkFilesExist(ctx);
    const mapping = ctx.params.fields as Mapping | undefined;
    const header = files[0] ? headerOf(files[0].path, ctx.params) : [];
    if (mapping && header.length) {
      for (const [col, path] of Object.entries(mapping)) {
        if (path.length !== 1 || !header.includes(String(path[0]))) {
          ctx.error('fields', `\`${col}\` maps from \`${path.join('.')}\`, which is not a column of ${files[0].label}`, { notes: [`header: ${header.join(', ')}`] });
        }
      }
    }
    const names = mapping ? Object.keys(mapping) : header;
    return { columns: withProvenance(names.map((name): Column => ({ name, type: 'string' }))), open: !mapping && !header.length ? true : undefined };
  },
  source: {
    inputs: pathInputs,
    async *read(input, params): AsyncIterable<ReadItem> {
      const mapping = params.fields as Mapping | undefined;
      // a record csv-parse cannot read (an unterminated quote) is skipped and reported here, so the
      // rows before and after it are kept and it becomes a reject with its line
      const broken: { message: string; endLine?: number }[] = [];
      const parser = openBytes(input.path).pipe(
        parse({ bom: true, delimiter: delimiterFor(params, input.path), relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true, raw: true, skip_records_with_error: true }),
      );
      parser.on('skip', (err: Error & { lines?: number }) => void broken.push({ message: err.message, endLine: err.lines }));
      let header: string[] | undefined;
      let lastEnd = 0;
      const rejectBroken = function* (): Generator<ReadItem> {
        for (const b of broken.splice(0)) {
          const start = lastEnd + 1;
          const location = `${input.label}:${start}`;
          yield { reject: { reason: /quote not closed/i.test(b.message) ? 'unterminated quote' : 'malformed CSV record', detail: `record starting at line ${start}${b.endLine && b.endLine > start ? ` (to line ${b.endLine})` : ''}: ${b.message}`, location } };
          if (b.endLine) lastEnd = b.endLine;
        }
      };
      try {
        for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
          yield* rejectBroken();
          // info.lines is where the record ends: a quoted field may span lines, so count back to its first
          const end = rec.info.lines;
          const line = end - (rec.raw.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0);
          lastEnd = end;
          if (!header) {
            header = rec.record.map((h) => h.trim());
            continue;
          }
          const location = `${input.label}:${line}`;
          if (rec.raw.includes('\uFFFD')) {
            yield { reject: { reason: 'invalid UTF-8', location, raw: rec.raw.slice(0, 500) } };
            continue;
          }
          if (rec.record.length !== header.length) {
            yield { reject: { reason: 'wrong field count', detail: `expected ${header.length} fields, found ${rec.record.length}`, location, raw: rec.raw.replace(/\r?\n$/, '').slice(0, 500) } };
            continue;
          }
          const full: Record<string, unknown> = {};
          header.forEach((h, i) => (full[h] = rec.record[i]));
          if (!mapping) {
            yield { row: full, line };
            continue;
          }
          const row: Record<string, unknown> = {};
          for (const [col, path] of Object.entries(mapping)) row[col] = full[String(path[0])] ?? null;
          yield { row, line };
        }
        yield* rejectBroken();
      } catch (e) {
        const err = e as Error & { lines?: number };
        throw new OpError(`cannot read ${input.label}${err.lines ? `:${err.lines}` : ''}: ${err.message}`);
      }
    },
  },
});
