import { defineOp, OpError, type ReadItem, type SourceInput } from '../types.js';
import { depthExceeds, getPath, inferColumns, mappedColumns, MAX_DEPTH, withProvenance } from '../common.js';
import { checkFilesExist, pathInputs } from './files.js';
import { headLines, readLines } from './lines.js';

type Mapping = Record<string, (string | number)[]>;

/**
 * Columns from a sample of the first file's records. When nothing could be sampled (a first
 * record larger than the sample, an unreadable head) the schema is left open.
 */
function sampleRecords(files: SourceInput[]): Record<string, unknown>[] {
  const first = files[0];
  if (!first) return [];
  const records: Record<string, unknown>[] = [];
  for (const line of headLines(first.path)) {
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object' && !Array.isArray(v)) records.push(v);
    } catch {
      // a bad line is the runtime's to reject, with its line number
    }
  }
  return records;
}

export function mapRecord(record: Record<string, unknown>, mapping: Mapping | undefined): Record<string, unknown> {
  if (!mapping) return record;
  const out: Record<string, unknown> = {};
  for (const [col, path] of Object.entries(mapping)) out[col] = getPath(record, path);
  return out;
}

export const jsonl = defineOp({
  name: 'jsonl',
  version: 2,
  kind: 'source',
  summary: 'read JSON Lines files (one JSON object per line; .gz read transparently)',
  doc: 'Each line is one record. Lines that are not valid JSON objects, or not valid UTF-8, become rejected rows with their file and line; blank lines are skipped and counted in the cell notes. A field `id` gives the row its id, a field `source` is renamed `data_source` (notes say both). A mapping `{ column: .path.into.record }` picks and renames fields; without one, every top-level field becomes a column.',
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'file, folder or glob, relative to the recipe' },
    { name: 'fields', type: { kind: 'mapping' }, positional: true, doc: 'columns to take: { text: .body.text, label: .intent }' },
  ],
  describe: (p) => `jsonl ${p.path}`,
  schema(ctx) {
    const files = checkFilesExist(ctx);
    const mapping = ctx.params.fields as Mapping | undefined;
    const records = sampleRecords(files);
    if (mapping) return { columns: withProvenance(mappedColumns(ctx, mapping, records)) };
    return { columns: withProvenance(inferColumns(records)), open: records.length === 0 || undefined };
  },
  source: {
    inputs: pathInputs,
    async *read(input, params): AsyncIterable<ReadItem> {
      const mapping = params.fields as Mapping | undefined;
      try {
        for await (const l of readLines(input.path)) {
          const location = `${input.label}:${l.line}`;
          if ('error' in l) {
            yield { reject: { reason: l.error, location, raw: l.raw } };
            continue;
          }
          if (!l.text.trim()) {
            yield { skip: 'blank line' };
            continue;
          }
          let value: unknown;
          try {
            value = JSON.parse(l.text);
          } catch (e) {
            yield { reject: { reason: 'malformed JSON', detail: (e as Error).message, location, raw: l.text.slice(0, 500) } };
            continue;
          }
          if (!value || typeof value !== 'object' || Array.isArray(value)) {
            yield { reject: { reason: 'not a JSON object', location, raw: l.text.slice(0, 500) } };
            continue;
          }
          if (depthExceeds(value)) {
            yield { reject: { reason: 'nested too deeply', detail: `more than ${MAX_DEPTH} levels`, location, raw: l.text.slice(0, 200) } };
            continue;
          }
          yield { row: mapRecord(value as Record<string, unknown>, mapping), line: l.line };
        }
      } catch (e) {
        throw new OpError(`cannot read ${input.label}: ${(e as Error).message}`);
      }
    },
  },
});
