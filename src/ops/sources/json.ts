import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { defineOp, OpError, type Column, type Params, type ReadItem, type SourceInput } from '../types.js';
import { depthExceeds, getPath, inferColumns, mappedColumns, MAX_DEPTH, withProvenance } from '../common.js';
import { checkFilesExist, pathInputs } from './files.js';
import { mapRecord } from './jsonl.js';

type Mapping = Record<string, (string | number)[]>;

/** The records of one parsed JSON document: the array at `records`, the document if it is an array, or the document itself. */
function recordsOf(doc: unknown, path: (string | number)[] | undefined): unknown[] {
  const at = path ? getPath(doc, path) : doc;
  if (Array.isArray(at)) return at;
  return at === null || at === undefined ? [] : [at];
}

function sample(files: SourceInput[], params: Params): Record<string, unknown>[] {
  const first = files[0];
  if (!first || first.path.endsWith('.gz')) return [];
  try {
    const doc = JSON.parse(readFileSync(first.path, 'utf8'));
    const recs = recordsOf(doc, params.records as (string | number)[] | undefined);
    return recs.slice(0, 200).filter((r): r is Record<string, unknown> => !!r && typeof r === 'object' && !Array.isArray(r));
  } catch {
    return [];
  }
}

export const json = defineOp({
  name: 'json',
  version: 1,
  kind: 'source',
  summary: 'read JSON files: one record per file, or the elements of an array (top level or at a field path)',
  doc: '`json "data/*.json"` reads each file as one record when it holds an object, or one record per element when it holds an array; `records: .data.items` points at a nested array. Elements that are not objects, and files that are not valid JSON or UTF-8, are rejected with their file (and element index) — never skipped silently.',
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'file, folder or glob, relative to the recipe' },
    { name: 'fields', type: { kind: 'mapping' }, positional: true, doc: 'columns to take: { text: .body.text, label: .intent }' },
    { name: 'records', type: { kind: 'field' }, doc: 'field path of the array of records inside each file, e.g. .data.items' },
  ],
  describe: (p) => `json ${p.path}`,
  schema(ctx) {
    const files = checkFilesExist(ctx);
    const mapping = ctx.params.fields as Mapping | undefined;
    const records = sample(files, ctx.params);
    const columns: Column[] = mapping ? mappedColumns(ctx, mapping, records) : inferColumns(records);
    return { columns: withProvenance(columns) };
  },
  source: {
    inputs: pathInputs,
    async *read(input, params): AsyncIterable<ReadItem> {
      let text: string;
      try {
        const bytes = await readFile(input.path);
        const raw = input.path.endsWith('.gz') ? gunzipSync(bytes) : bytes;
        text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      } catch (e) {
        if (e instanceof TypeError) {
          yield { reject: { reason: 'invalid UTF-8', location: input.label } };
          return;
        }
        throw new OpError(`cannot read ${input.label}: ${(e as Error).message}`);
      }
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        yield { reject: { reason: 'malformed JSON', detail: (e as Error).message, location: input.label, raw: text.slice(0, 500) } };
        return;
      }
      const recs = recordsOf(doc, params.records as (string | number)[] | undefined);
      for (const [i, r] of recs.entries()) {
        if (!r || typeof r !== 'object' || Array.isArray(r)) {
          yield { reject: { reason: 'not a JSON object', location: `${input.label}[${i}]`, raw: depthExceeds(r) ? undefined : JSON.stringify(r)?.slice(0, 500) } };
          continue;
        }
        if (depthExceeds(r)) {
          yield { reject: { reason: 'nested too deeply', detail: `more than ${MAX_DEPTH} levels`, location: `${input.label}[${i}]` } };
          continue;
        }
        yield { row: mapRecord(r as Record<string, unknown>, params.fields as Mapping | undefined), line: i + 1 };
      }
    },
  },
});
