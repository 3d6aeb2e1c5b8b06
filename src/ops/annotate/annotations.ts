import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { defineOp, OpError, type Params, type ReadItem, type SourceInput } from '../types.js';
import { isMissingLabel, MISSING_MARKERS, withProvenance } from '../common.js';
import { checkFilesExist, matchFiles } from '../sources/files.js';
import { headLines, readLines } from '../sources/lines.js';
import { arrayElementLines, checkSpans, csvRecords, formatCandidates, IMPORT_FORMATS, parseRecord, type ImportFormat, type ParseOptions } from './formats.js';

const labelKey = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function extOf(path: string): string {
  const p = path.toLowerCase().replace(/\.gz$/, '');
  const e = extname(p);
  return e === '.ndjson' ? '.jsonl' : e;
}

function readText(path: string): string {
  const buf = readFileSync(path);
  return (path.toLowerCase().endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').replace(/^\uFEFF/, '');
}

/** Records of one file with their 1-based line numbers, or where it could not be read. */
async function* records(input: SourceInput, params: Params): AsyncIterable<{ rec: unknown; line: number } | { bad: { reason: string; detail?: string; line: number; raw?: string } }> {
  const ext = extOf(input.path);
  if (ext === '.csv' || ext === '.tsv') {
    const delimiter = (params.delimiter as string | undefined)?.replace('\\t', '\t') ?? (ext === '.tsv' ? '\t' : ',');
    let parsed;
    try {
      parsed = csvRecords(readText(input.path), delimiter);
    } catch (e) {
      yield { bad: { reason: 'malformed CSV', detail: (e as Error).message, line: 1 } };
      return;
    }
    for (const err of parsed.errors) yield { bad: { reason: 'malformed CSV row', detail: err.detail, line: err.line } };
    for (const r of parsed.records) yield { rec: r.rec, line: r.line };
    return;
  }
  if (ext === '.jsonl') {
    for await (const l of readLines(input.path)) {
      if ('error' in l) {
        yield { bad: { reason: l.error, line: l.line, raw: l.raw } };
        continue;
      }
      if (!l.text.trim()) continue;
      try {
        yield { rec: JSON.parse(l.text), line: l.line };
      } catch (e) {
        yield { bad: { reason: 'malformed JSON', detail: (e as Error).message, line: l.line, raw: l.text.slice(0, 300) } };
      }
    }
    return;
  }
  const text = readText(input.path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    yield { bad: { reason: 'malformed JSON', detail: `${(e as Error).message} (a ${ext || 'file without extension'} is read as one JSON document; name JSON Lines files .jsonl)`, line: 1 } };
    return;
  }
  if (!Array.isArray(value)) {
    yield { rec: value, line: 1 };
    return;
  }
  const lines = arrayElementLines(text);
  for (const [i, rec] of value.entries()) yield { rec, line: lines[i] ?? 1 };
}

/** Check time: the formats the first file's first record could be in (undefined: cannot look). */
function sniff(path: string): ImportFormat[] | undefined {
  const ext = extOf(path);
  if (ext === '.csv' || ext === '.tsv') return ['csv'];
  try {
    // the first record that tells one tool (records that fit several, like a bare {text, meta}, do not)
    const decide = (recs: unknown[]): ImportFormat[] | undefined => {
      let seen: ImportFormat[] | undefined;
      for (const rec of recs) {
        const c = formatCandidates(ext, rec);
        if (c.length === 1) return c;
        seen ??= c;
      }
      return seen;
    };
    if (ext === '.jsonl') return decide(headLines(path, SNIFF_RECORDS).filter((l) => l.trim()).map((l) => JSON.parse(l)));
    if (statSync(path).size > 16 * 1024 * 1024) return undefined;
    const v = JSON.parse(readText(path));
    return decide(Array.isArray(v) ? v.slice(0, SNIFF_RECORDS) : [v]);
  } catch {
    return undefined; // unreadable files are rejected at run time, with their line
  }
}

/** Records looked at to tell the format before giving up (records that fit several tools wait). */
const SNIFF_RECORDS = 200;

/** "cannot tell which tool wrote X": the candidates, and the fields that would decide. */
function ambiguous(label: string, candidates: ImportFormat[]): string {
  return `cannot tell which tool wrote ${label}: its first records could be ${candidates.join(' or ')} (it has \`text\` and \`meta\` but none of doccano's label/labels/entities/relations nor Prodigy's _input_hash/_task_hash/answer/accept/spans)`;
}

export const annotations = defineOp({
  name: 'annotations',
  version: 2,
  kind: 'source',
  summary: 'read human annotations — Label Studio, Prodigy, doccano, Argilla exports or a CSV — as one row per (item, annotator, label), with spans',
  doc: [
    '`annotations "labels/*.json"` reads annotation tool exports into rows `item`, `annotator`, `label`, `spans`, `text` (id = file:line, `#k` when a record holds several annotations). `format: auto` (default) tells the tool from the fields of the first record (the fields each tool writes); when they fit two tools (only `text` and `meta`: doccano or Prodigy) the run fails naming both instead of guessing: label_studio (JSON export: `data`, `annotations[].result` with choices / labels / rating / taxonomy, `completed_by`; cancelled annotations are rejected), label_studio_min (JSON-MIN; the label field named by `question`, default label/sentiment), prodigy (JSONL; `answer` reject/ignore rows are rejected; item `meta.id` else `_input_hash`, annotator `_annotator_id` else `_session_id` else the file name), doccano (JSONL; `label`/`labels` as classes or [start, end, label] spans, or `entities` as {start_offset, end_offset, label} objects or [start, end, label] lists; annotator `user` else the file name — doccano exports one file per user; a record without `id` gets the item id `text:` + 16 hex digits of the sha256 of its text, and `relations` are counted in the notes, not imported), argilla (v2 `to_json` records, v1 records, or flattened `question.responses` columns; only submitted responses; `question` picks one of several questions) or csv (columns item, annotator, label, optional text).',
    'A multi-choice answer gives one row per choice. `predictions: true` imports Label Studio predictions and Argilla suggestions as annotator `model:<version>`; otherwise each is rejected as "prediction not imported" (counted, never silent). `item:`, `annotator:`, `text:`, `label:` are field paths that override where each comes from (csv: column names).',
    'Spans are {start, end, label, text} in Unicode code points, end-exclusive — what these tools store; a file written with JS (UTF-16) offsets is read with `offsets: utf16`. Every span is checked against the text: offsets out of range, an empty span, a span whose own `text` differs from the slice (the detail says when UTF-16 offsets would fit) or overlapping spans (unless `overlapping: true`) reject the annotation with file:line. `labels: [a, b]` declares the label set: any other label (or span label) is rejected the same way. Annotations with no item id or annotator are rejected too, and so are labels that are blank or a missing-value marker (`missing`, default NA, N/A, null; trimmed, any case) — "missing label", unless the annotation has spans.',
  ].join(' '),
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'file, folder or glob of exports, relative to the recipe' },
    { name: 'format', type: { kind: 'enum', values: IMPORT_FORMATS }, default: 'auto', doc: 'the tool: auto, label_studio, label_studio_min, prodigy, doccano, argilla or csv' },
    { name: 'labels', type: { kind: 'list', of: { kind: 'any' } }, doc: 'the declared label set: annotations with any other label are rejected' },
    { name: 'question', type: { kind: 'string' }, doc: 'the control or question to read (Label Studio from_name, Argilla question, JSON-MIN field)' },
    { name: 'predictions', type: { kind: 'bool' }, default: false, doc: 'import Label Studio predictions and Argilla suggestions as annotators model:<version>' },
    { name: 'missing', type: { kind: 'list', of: { kind: 'string' } }, default: MISSING_MARKERS, doc: 'labels that mean "no answer" (trimmed, any case; blank always is): rejected as "missing label" instead of read as a category; `missing: []` keeps them' },
    { name: 'offsets', type: { kind: 'enum', values: ['codepoint', 'utf16'] }, default: 'codepoint', doc: 'unit of span offsets in the files: code points (the tools\' own) or utf16 (JS string indexes)' },
    { name: 'overlapping', type: { kind: 'bool' }, default: false, doc: 'allow overlapping (nested) spans in one annotation' },
    { name: 'item', type: { kind: 'field' }, doc: 'field path of the item id (default per format: data.id / task id, meta.id / _input_hash, id, external_id, item)' },
    { name: 'annotator', type: { kind: 'field' }, doc: 'field path of the annotator (default per format)' },
    { name: 'text', type: { kind: 'field' }, doc: 'field path of the annotated text (default per format: data.text, text, fields.text)' },
    { name: 'label', type: { kind: 'field' }, doc: 'csv: the label column (default label)' },
    { name: 'delimiter', type: { kind: 'string' }, doc: 'csv: field separator (default `,`, tab for .tsv)' },
  ],
  describe: (p) => `annotations ${p.path as string}${p.format !== 'auto' ? ` (${p.format as string})` : ''}`,
  schema(ctx) {
    const files = checkFilesExist(ctx);
    if (ctx.params.format === 'auto' && files[0]) {
      const f = sniff(files[0].path);
      if (f && !f.length) ctx.error('path', `cannot tell which tool wrote ${files[0].label}`, { help: 'set `format:` to label_studio, label_studio_min, prodigy, doccano, argilla or csv' });
      if (f && f.length > 1) ctx.error('path', ambiguous(files[0].label, f), { help: `set \`format: ${f[0]}\` or \`format: ${f[1]}\`` });
    }
    return {
      columns: withProvenance([
        { name: 'item', type: 'string' },
        { name: 'annotator', type: 'string' },
        { name: 'label', type: 'any' },
        { name: 'spans', type: 'list' },
        { name: 'text', type: 'string' },
      ]),
    };
  },
  source: {
    async inputs(params, ctx) {
      return matchFiles(params.path as string, ctx.baseDir);
    },
    async *read(input, params): AsyncIterable<ReadItem> {
      const declared = params.labels as unknown[] | undefined;
      const allowed = declared ? new Set(declared.map(labelKey)) : undefined;
      const opts: ParseOptions = {
        item: params.item as (string | number)[] | undefined,
        annotator: params.annotator as (string | number)[] | undefined,
        text: params.text as (string | number)[] | undefined,
        label: params.label as (string | number)[] | undefined,
        question: params.question as string | undefined,
        predictions: params.predictions === true,
        fileStem: basename(input.label).replace(/(\.[^.]+)+$/, ''),
      };
      let format: ImportFormat | undefined = params.format === 'auto' ? undefined : (params.format as ImportFormat);
      const ext = extOf(input.path);
      type Rec = { rec: unknown; line: number };
      // one record in a known format → its rows and rejects
      const one = function* (r: Rec, format: ImportFormat): Generator<ReadItem> {
        const location = `${input.label}:${r.line}`;
        const raw = () => JSON.stringify(r.rec).slice(0, 500);
        const parsed = parseRecord(format, r.rec, opts);
        for (const note of parsed.notes ?? []) yield { note };
        for (const rej of parsed.rejects) yield { reject: { ...rej, location, raw: raw() } };
        const many = parsed.annotations.length > 1;
        for (const [k, a] of parsed.annotations.entries()) {
          const where = many ? `${location}#${k + 1}` : location;
          const reject = (reason: string, detail: string) => ({ reject: { reason, detail, location: where, raw: raw() } });
          if (a.item === null || a.item === undefined || a.item === '') {
            yield reject('no item id', `set \`item:\` to the field holding the item id (${format})`);
            continue;
          }
          if (a.annotator === null || a.annotator === undefined || a.annotator === '') {
            yield reject('no annotator', 'set `annotator:` to the field holding who annotated');
            continue;
          }
          if (a.label !== null && isMissingLabel(a.label, params.missing as string[])) {
            if (!a.spans?.length) {
              yield reject('missing label', `${JSON.stringify(a.label)} is a missing-value marker (\`missing\`), not a category`);
              continue;
            }
            a.label = null;
          }
          const labelsUsed = [...(a.label !== null ? [a.label] : []), ...(a.spans ?? []).map((s) => s.label)];
          const undeclared = allowed ? labelsUsed.find((l) => !allowed.has(labelKey(l))) : undefined;
          if (undeclared !== undefined) {
            yield reject('label not declared', `${JSON.stringify(undeclared)} is not one of: ${[...allowed!].join(', ')}`);
            continue;
          }
          let spans = a.spans;
          if (spans) {
            const checked = checkSpans(spans, a.text, params.offsets as 'codepoint' | 'utf16', params.overlapping === true);
            if (checked.error) {
              yield reject(checked.error.reason, checked.error.detail);
              continue;
            }
            spans = checked.spans;
          }
          yield { row: { id: where, item: String(a.item), annotator: String(a.annotator), label: a.label, spans, text: a.text }, line: r.line };
        }
      };
      // records that fit several tools wait for one that tells (at most SNIFF_RECORDS of them)
      const waiting: Rec[] = [];
      let candidates: ImportFormat[] = [];
      for await (const r of records(input, params)) {
        if ('bad' in r) {
          yield { reject: { reason: r.bad.reason, detail: r.bad.detail, location: `${input.label}:${r.bad.line}`, raw: r.bad.raw } };
          continue;
        }
        if (!format) {
          const c = formatCandidates(ext, r.rec);
          if (c.length > 1) {
            if (!waiting.length) candidates = c;
            waiting.push(r);
            if (waiting.length < SNIFF_RECORDS) continue;
            throw new OpError(`${ambiguous(`${input.label}:${waiting[0].line}`, candidates)}\nhelp: set \`format: ${candidates[0]}\` or \`format: ${candidates[1]}\``);
          }
          if (c.length === 1) {
            format = c[0];
            for (const w of waiting.splice(0)) yield* one(w, format);
          }
        }
        if (!format) {
          yield { reject: { reason: 'unknown annotation format', detail: 'set `format:` to label_studio, label_studio_min, prodigy, doccano, argilla or csv', location: `${input.label}:${r.line}`, raw: JSON.stringify(r.rec).slice(0, 500) } };
          continue;
        }
        yield* one(r, format);
      }
      if (waiting.length) throw new OpError(`${ambiguous(`${input.label}:${waiting[0].line}`, candidates)}\nhelp: set \`format: ${candidates[0]}\` or \`format: ${candidates[1]}\``);
    },
  },
});
