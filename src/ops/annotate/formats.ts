/**
 * Annotation tools' file formats, both ways: Label Studio (JSON export and JSON-MIN), Prodigy
 * JSONL, doccano JSONL, Argilla records (v2 `to_json`, v1, and flattened) and a plain CSV of
 * (item, annotator, label). Reading yields one annotation per (item, annotator, label) with its
 * spans; writing turns rows into review tasks. Offsets are Unicode code points, end-exclusive, on
 * both sides (what these tools store); `offsets: utf16` converts files made by JS tools on import.
 */
import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { getPath } from '../common.js';
import { codePointIndex, cpLength, utf16Index } from './rules.js';

export const IMPORT_FORMATS = ['auto', 'label_studio', 'label_studio_min', 'prodigy', 'doccano', 'argilla', 'csv'] as const;
export type ImportFormat = Exclude<(typeof IMPORT_FORMATS)[number], 'auto'>;
export const EXPORT_FORMATS = ['label_studio', 'prodigy', 'doccano', 'argilla', 'csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface AnnSpan {
  start: number;
  end: number;
  label: string;
  text?: string;
}

export type Label = string | number;

/** One annotation before checks: who said what about which item. */
export interface RawAnnotation {
  item: unknown;
  annotator: unknown;
  /** null for a span-only annotation */
  label: Label | null;
  spans: AnnSpan[] | null;
  text: string | null;
}

export interface ParseOptions {
  /** field paths overriding the format's defaults */
  item?: (string | number)[];
  annotator?: (string | number)[];
  text?: (string | number)[];
  label?: (string | number)[];
  /** Label Studio from_name / Argilla question / JSON-MIN key to read */
  question?: string;
  /** import Label Studio predictions and Argilla suggestions as annotators `model:<version>` */
  predictions: boolean;
  /** the file's stem: the annotator of formats that export one file per user (doccano, Prodigy without _annotator_id) */
  fileStem: string;
}

/** What one record of a file gives: annotations, and what could not be taken, with why. */
export interface Parsed {
  annotations: RawAnnotation[];
  rejects: { reason: string; detail?: string }[];
  /** what was read differently or left out, for the cell's notes (said once per file, with a count) */
  notes?: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown) => v !== undefined && v !== null && v !== '';
const pick = (rec: unknown, path: (string | number)[] | undefined, ...fallbacks: (string | number)[][]): unknown => {
  for (const p of path ? [path] : fallbacks) {
    const v = getPath(rec, p);
    if (present(v)) return v;
  }
  return null;
};
const asLabel = (v: unknown): Label | undefined => (typeof v === 'string' || typeof v === 'number' ? v : undefined);
const firstString = (o: unknown): string | null => (isObj(o) ? ((Object.values(o).find((v) => typeof v === 'string') as string | undefined) ?? null) : null);

/**
 * The tools that could have written a record, judged by the fields each one writes: Label Studio
 * `annotations`/`completions` (or `data` + `predictions`); Argilla `fields` + `responses`/
 * `suggestions` or flattened `q.responses`; Prodigy its `_input_hash`/`_task_hash`/`answer`;
 * Label Studio JSON-MIN `annotator` + `annotation_id`/`lead_time`; doccano `text` with a list
 * `label`, `labels`, `entities`, `relations` or `cats`; Prodigy (without hashes, as ftr's review
 * export) `text` with a string `label`, `accept` or `spans`. A record with only `text` and `meta`
 * (both tools write those) matches both. Several matches, or none: the caller must not guess.
 */
export function formatCandidates(ext: string, first: unknown): ImportFormat[] {
  if (ext === '.csv' || ext === '.tsv') return ['csv'];
  if (!isObj(first)) return [];
  if ('annotations' in first || 'completions' in first || ('predictions' in first && 'data' in first)) return ['label_studio'];
  if ('fields' in first && ('responses' in first || 'suggestions' in first)) return ['argilla'];
  if (Object.keys(first).some((k) => /\.responses$/.test(k))) return ['argilla'];
  if ('_input_hash' in first || '_task_hash' in first || 'answer' in first) return ['prodigy'];
  if ('annotator' in first && ('annotation_id' in first || 'lead_time' in first)) return ['label_studio_min'];
  if ('text' in first && (Array.isArray(first.label) || ['labels', 'entities', 'relations', 'cats'].some((k) => k in first))) return ['doccano'];
  if ('text' in first && ('accept' in first || 'spans' in first || 'label' in first)) return ['prodigy'];
  if ('text' in first && isObj(first.meta)) return ['doccano', 'prodigy'];
  return [];
}

/** The one tool that wrote a record, when its fields say so (see `formatCandidates`). */
export function detectFormat(ext: string, first: unknown): ImportFormat | undefined {
  const c = formatCandidates(ext, first);
  return c.length === 1 ? c[0] : undefined;
}

export function parseRecord(format: ImportFormat, rec: unknown, o: ParseOptions): Parsed {
  if (!isObj(rec)) return { annotations: [], rejects: [{ reason: 'not a JSON object' }] };
  switch (format) {
    case 'label_studio':
      return labelStudio(rec, o);
    case 'label_studio_min':
      return labelStudioMin(rec, o);
    case 'prodigy':
      return prodigy(rec, o);
    case 'doccano':
      return doccano(rec, o);
    case 'argilla':
      return argilla(rec, o);
    case 'csv':
      return csvRecord(rec, o);
  }
}

function labelStudio(task: Record<string, unknown>, o: ParseOptions): Parsed {
  const out: Parsed = { annotations: [], rejects: [] };
  const item = pick(task, o.item, ['data', 'id'], ['data', 'item'], ['id']);
  const textV = pick(task, o.text, ['data', 'text']) ?? firstString(task.data);
  const text = typeof textV === 'string' ? textV : null;
  const sets: [unknown[], boolean][] = [
    [Array.isArray(task.annotations) ? task.annotations : [], false],
    [Array.isArray(task.completions) ? task.completions : [], false],
    [Array.isArray(task.predictions) ? task.predictions : [], true],
  ];
  for (const [list, isPrediction] of sets) {
    for (const ann of list) {
      if (!isObj(ann)) continue;
      if (isPrediction && !o.predictions) {
        out.rejects.push({ reason: 'prediction not imported', detail: 'set `predictions: true` to import Label Studio predictions' });
        continue;
      }
      if (ann.was_cancelled === true) {
        out.rejects.push({ reason: 'cancelled annotation', detail: `annotation ${String(ann.id ?? '')} was skipped in Label Studio`.trim() });
        continue;
      }
      const who = isPrediction
        ? `model:${String(ann.model_version ?? 'prediction')}`
        : isObj(ann.completed_by)
          ? (ann.completed_by.email ?? ann.completed_by.id ?? null)
          : (ann.completed_by ?? null);
      const labels: Label[] = [];
      const spans: AnnSpan[] = [];
      const types = new Set<string>();
      for (const r of Array.isArray(ann.result) ? ann.result : []) {
        if (!isObj(r) || !isObj(r.value)) continue;
        if (o.question && r.from_name !== o.question) continue;
        const v = r.value;
        types.add(String(r.type));
        if (Array.isArray(v.choices)) for (const c of v.choices) if (asLabel(c) !== undefined) labels.push(c as Label);
        if (typeof v.rating === 'number') labels.push(v.rating);
        if (Array.isArray(v.taxonomy)) for (const path of v.taxonomy) if (Array.isArray(path)) labels.push(path.join('/'));
        if (typeof v.start === 'number' || typeof v.end === 'number') {
          const ls = Array.isArray(v.labels) ? v.labels : Array.isArray(v.hypertextlabels) ? v.hypertextlabels : [];
          for (const l of ls) spans.push({ start: v.start as number, end: v.end as number, label: String(l), ...(typeof v.text === 'string' ? { text: v.text } : {}) });
        }
      }
      if (!labels.length && !spans.length) {
        out.rejects.push({ reason: 'no label in annotation', detail: types.size ? `result types: ${[...types].join(', ')}` : 'empty result' });
        continue;
      }
      for (const l of labels.length ? labels : [null]) out.annotations.push({ item, annotator: who, label: l, spans: spans.length ? spans : null, text });
    }
  }
  if (!sets.some(([l]) => l.length)) out.rejects.push({ reason: 'no annotations', detail: 'the task has no annotations' });
  return out;
}

function labelStudioMin(rec: Record<string, unknown>, o: ParseOptions): Parsed {
  const key = o.question ?? ['label', 'sentiment', 'choice', 'category', 'class'].find((k) => k in rec);
  const item = pick(rec, o.item, ['id']);
  const who = pick(rec, o.annotator, ['annotator']);
  const textV = pick(rec, o.text, ['text']);
  const text = typeof textV === 'string' ? textV : null;
  if (!key || !(key in rec)) return { annotations: [], rejects: [{ reason: 'no label in annotation', detail: `no \`${o.question ?? 'label'}\` field; name the control with \`question:\`` }] };
  const v = rec[key];
  const labels: Label[] = [];
  const spans: AnnSpan[] = [];
  for (const x of Array.isArray(v) ? v : [v]) {
    if (asLabel(x) !== undefined) labels.push(x as Label);
    else if (isObj(x) && isObj(x) && Array.isArray(x.choices)) labels.push(...(x.choices as Label[]));
    else if (isObj(x) && (typeof x.start === 'number' || typeof x.end === 'number')) {
      for (const l of Array.isArray(x.labels) ? x.labels : []) spans.push({ start: x.start as number, end: x.end as number, label: String(l), ...(typeof x.text === 'string' ? { text: x.text } : {}) });
    }
  }
  if (!labels.length && !spans.length) return { annotations: [], rejects: [{ reason: 'no label in annotation', detail: `\`${key}\` is empty` }] };
  return { annotations: (labels.length ? labels : [null]).map((l) => ({ item, annotator: who, label: l, spans: spans.length ? spans : null, text })), rejects: [] };
}

function prodigy(rec: Record<string, unknown>, o: ParseOptions): Parsed {
  const answer = rec.answer ?? 'accept';
  if (answer !== 'accept') return { annotations: [], rejects: [{ reason: `prodigy answer ${String(answer)}`, detail: answer === 'reject' ? 'the annotator rejected the task' : 'the annotator skipped the task' }] };
  const item = pick(rec, o.item, ['meta', 'id'], ['_input_hash']);
  const who = pick(rec, o.annotator, ['_annotator_id'], ['_session_id']) ?? o.fileStem;
  const text = typeof rec.text === 'string' ? rec.text : null;
  const labels: Label[] = [];
  if (Array.isArray(rec.accept)) labels.push(...rec.accept.filter((x): x is Label => asLabel(x) !== undefined));
  else if (asLabel(rec.label) !== undefined) labels.push(rec.label as Label);
  const spans: AnnSpan[] = [];
  if (Array.isArray(rec.spans)) for (const s of rec.spans) if (isObj(s)) spans.push({ start: s.start as number, end: s.end as number, label: String(s.label), ...(typeof s.text === 'string' ? { text: s.text } : {}) });
  if (!labels.length && !spans.length && !('spans' in rec)) return { annotations: [], rejects: [{ reason: 'no label in annotation', detail: 'no label, accept or spans' }] };
  return { annotations: (labels.length ? labels : [null]).map((l) => ({ item, annotator: who, label: l, spans, text })), rejects: [] };
}

/** A stable item id from the text (no `id` in the record): the same text always gets the same id. */
export function contentItemId(text: string): string {
  return `text:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

function doccano(rec: Record<string, unknown>, o: ParseOptions): Parsed {
  const notes: string[] = [];
  let item = pick(rec, o.item, ['id']);
  if (item === null && !o.item && typeof rec.text === 'string') {
    item = contentItemId(rec.text);
    notes.push('records without an `id`: item id derived from the text (`text:` + 16 hex digits of its sha256; set `item:` to use a field)');
  }
  const who = pick(rec, o.annotator, ['user'], ['annotator']) ?? o.fileStem;
  const text = typeof rec.text === 'string' ? rec.text : null;
  const raw = rec.label ?? rec.labels ?? rec.cats;
  const labels: Label[] = [];
  const spans: AnnSpan[] = [];
  for (const x of Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]) {
    if (asLabel(x) !== undefined) labels.push(x as Label);
    else if (Array.isArray(x) && x.length >= 3) spans.push({ start: x[0] as number, end: x[1] as number, label: String(x[2]) });
  }
  // entities: objects {start_offset, end_offset, label} (sequence labeling) or [start, end, label] lists
  if (Array.isArray(rec.entities)) {
    for (const e of rec.entities) {
      if (isObj(e)) spans.push({ start: e.start_offset as number, end: e.end_offset as number, label: String(e.label) });
      else if (Array.isArray(e) && e.length >= 3) spans.push({ start: e[0] as number, end: e[1] as number, label: String(e[2]) });
    }
  }
  if (Array.isArray(rec.relations)) for (let k = 0; k < rec.relations.length; k++) notes.push('a doccano relation not imported (relations are not read; labels and entity spans are)');
  if (!labels.length && !spans.length) return { annotations: [], rejects: [{ reason: 'not annotated', detail: 'no label or entities (doccano exports unlabeled documents too)' }], notes };
  return { annotations: (labels.length ? labels : [null]).map((l) => ({ item, annotator: who, label: l, spans: spans.length ? spans : null, text })), rejects: [], notes };
}

/** Argilla: v2 `{fields, responses: {q: [{value, user_id, status}]}, suggestions: {q: {value, agent}}}`, v1 `responses: [{user_id, status, values: {q: {value}}}]`, or flattened `q.responses`. */
function argilla(rec: Record<string, unknown>, o: ParseOptions): Parsed {
  const out: Parsed = { annotations: [], rejects: [] };
  const item = pick(rec, o.item, ['external_id'], ['id']);
  const textV = pick(rec, o.text, ['fields', 'text'], ['text']) ?? firstString(rec.fields);
  const text = typeof textV === 'string' ? textV : null;
  type Resp = { q: string; value: unknown; user: unknown; status?: unknown; suggestion?: boolean };
  const resps: Resp[] = [];
  if (isObj(rec.responses)) {
    for (const [q, list] of Object.entries(rec.responses)) for (const r of Array.isArray(list) ? list : []) if (isObj(r)) resps.push({ q, value: r.value, user: r.user_id, status: r.status });
  } else if (Array.isArray(rec.responses)) {
    for (const r of rec.responses) if (isObj(r) && isObj(r.values)) for (const [q, v] of Object.entries(r.values)) resps.push({ q, value: isObj(v) ? v.value : v, user: r.user_id, status: r.status });
  }
  for (const [k, v] of Object.entries(rec)) {
    const m = /^(.+)\.responses$/.exec(k);
    if (!m || !Array.isArray(v)) continue;
    const users = rec[`${m[1]}.responses.users`];
    const status = rec[`${m[1]}.responses.status`];
    v.forEach((value, i) => resps.push({ q: m[1], value, user: Array.isArray(users) ? users[i] : null, status: Array.isArray(status) ? status[i] : undefined }));
  }
  if (isObj(rec.suggestions)) {
    for (const [q, s] of Object.entries(rec.suggestions)) if (isObj(s)) resps.push({ q, value: s.value, user: `model:${String(s.agent ?? 'suggestion')}`, suggestion: true });
  } else if (Array.isArray(rec.suggestions)) {
    for (const s of rec.suggestions) if (isObj(s)) resps.push({ q: String(s.question_name), value: s.value, user: `model:${String(s.agent ?? 'suggestion')}`, suggestion: true });
  }
  const questions = [...new Set(resps.map((r) => r.q))].sort();
  const q = o.question ?? (questions.length === 1 ? questions[0] : undefined);
  if (!q && questions.length > 1) return { annotations: [], rejects: [{ reason: 'several questions', detail: `questions ${questions.join(', ')}: pick one with \`question:\`` }] };
  for (const r of resps) {
    if (r.q !== q) continue;
    if (r.suggestion && !o.predictions) {
      out.rejects.push({ reason: 'suggestion not imported', detail: 'set `predictions: true` to import Argilla suggestions' });
      continue;
    }
    if (r.status !== undefined && r.status !== null && r.status !== 'submitted') {
      out.rejects.push({ reason: `${String(r.status)} response`, detail: `only submitted responses count (user ${String(r.user)})` });
      continue;
    }
    const labels: Label[] = [];
    const spans: AnnSpan[] = [];
    for (const x of Array.isArray(r.value) ? r.value : [r.value]) {
      if (asLabel(x) !== undefined) labels.push(x as Label);
      else if (isObj(x) && 'start' in x) spans.push({ start: x.start as number, end: x.end as number, label: String(x.label) });
    }
    if (!labels.length && !spans.length) {
      out.rejects.push({ reason: 'no label in annotation', detail: `empty response to \`${r.q}\`` });
      continue;
    }
    for (const l of labels.length ? labels : [null]) out.annotations.push({ item, annotator: r.user, label: l, spans: spans.length ? spans : null, text });
  }
  if (!resps.length) out.rejects.push({ reason: 'no annotations', detail: 'the record has no responses' });
  return out;
}

function csvRecord(rec: Record<string, unknown>, o: ParseOptions): Parsed {
  const item = pick(rec, o.item, ['item']);
  const who = pick(rec, o.annotator, ['annotator']);
  const label = pick(rec, o.label, ['label']);
  const text = pick(rec, o.text, ['text']);
  if (!present(label)) return { annotations: [], rejects: [{ reason: 'no label in annotation', detail: 'the label field is empty' }] };
  return { annotations: [{ item, annotator: who, label: label as Label, spans: null, text: typeof text === 'string' ? text : null }], rejects: [] };
}

/** CSV text → records keyed by header, with their line numbers; a row of the wrong width is an error. */
export function csvRecords(text: string, delimiter: string): { records: { rec: Record<string, string>; line: number }[]; errors: { line: number; detail: string }[] } {
  const rows = parseCsv(text, { bom: true, delimiter, relax_column_count: true, info: true, skip_empty_lines: true }) as unknown as { record: string[]; info: { lines: number } }[];
  const errors: { line: number; detail: string }[] = [];
  if (!rows.length) return { records: [], errors };
  const header = rows[0].record.map((h) => h.trim());
  const records = rows.slice(1).flatMap(({ record, info }) => {
    if (record.length !== header.length) {
      errors.push({ line: info.lines, detail: `${record.length} fields, the header has ${header.length}` });
      return [];
    }
    return [{ rec: Object.fromEntries(header.map((h, i) => [h, record[i]])), line: info.lines }];
  });
  return { records, errors };
}

/** 1-based line of each element of a top-level JSON array (for file:line locations). */
export function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inStr = false;
  let esc = false;
  let expect = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inStr) {
      if (esc) esc = false;
      else if (ch === '\\') esc = true;
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') continue;
    if (depth === 1 && expect && ch !== ']') {
      lines.push(line);
      expect = false;
    }
    if (ch === '"') inStr = true;
    else if (ch === '[' || ch === '{') {
      if (depth === 0 && ch === '[') expect = true;
      depth++;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expect = true;
  }
  return lines;
}

export interface SpanCheck {
  spans: AnnSpan[];
  error?: { reason: string; detail: string };
}

/**
 * Validate (and convert, for `offsets: utf16`) one annotation's spans against its text: integers,
 * 0 ≤ start < end ≤ length in code points, the span's own `text` equal to the slice, no overlaps
 * unless allowed. A `text` that matches the UTF-16 reading of the offsets says so in the detail.
 */
export function checkSpans(spans: AnnSpan[], text: string | null, offsets: 'codepoint' | 'utf16', allowOverlap: boolean): SpanCheck {
  const out: AnnSpan[] = [];
  const cp = text !== null ? codePointIndex(text) : undefined;
  const u16 = text !== null ? utf16Index(text) : undefined;
  const len = text !== null ? cpLength(text) : Infinity;
  for (const s of spans) {
    if (!Number.isInteger(s.start) || !Number.isInteger(s.end)) return { spans, error: { reason: 'bad span', detail: `offsets must be whole numbers, found ${JSON.stringify([s.start, s.end])}` } };
    let { start, end } = s;
    if (offsets === 'utf16' && text !== null) {
      if (start < 0 || end > text.length) return { spans, error: { reason: 'span out of range', detail: `${start}..${end} outside the text (${text.length} UTF-16 code units)` } };
      start = cp!(start);
      end = cp!(end);
    }
    if (start < 0 || end > len || start >= end) {
      return { spans, error: { reason: 'span out of range', detail: `${start}..${end} ${start >= end ? 'is empty or reversed' : `outside the text (${len} code points)`} (${s.label})` } };
    }
    if (s.text !== undefined && text !== null) {
      const got = text.slice(u16!(start), u16!(end));
      if (got !== s.text) {
        const asUtf16 = offsets === 'codepoint' && text.slice(s.start, s.end) === s.text;
        return {
          spans,
          error: {
            reason: 'span text mismatch',
            detail: `${start}..${end} reads ${JSON.stringify(got)}, the span says ${JSON.stringify(s.text)}${asUtf16 ? ' — the offsets look like UTF-16 code units: set `offsets: utf16`' : ' — was the text changed (normalized) after annotation?'}`,
          },
        };
      }
    }
    out.push({ start, end, label: s.label, ...(text !== null ? { text: text.slice(u16!(start), u16!(end)) } : s.text !== undefined ? { text: s.text } : {}) });
  }
  out.sort((a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : 1));
  if (!allowOverlap) {
    for (let i = 1; i < out.length; i++) {
      if (out[i].start < out[i - 1].end) {
        return { spans, error: { reason: 'overlapping spans', detail: `${out[i - 1].start}..${out[i - 1].end} ${out[i - 1].label} overlaps ${out[i].start}..${out[i].end} ${out[i].label} (set \`overlapping: true\` to allow nested spans)` } };
      }
    }
  }
  return { spans: out };
}

// ---------------------------------------------------------------------------------------------
// export

/** A row as a review task. */
export interface Task {
  id: string;
  text: string;
  label?: Label | null;
  confidence?: number | null;
  spans?: AnnSpan[];
  /** what each annotator said: annotator → label */
  votes?: Record<string, unknown>;
  /** each annotator's spans */
  spanVotes?: Record<string, AnnSpan[]>;
}

const lsChoice = (label: Label, from: string, k: number) => ({ id: `c${k}`, from_name: from, to_name: 'text', type: 'choices', value: { choices: [label] } });
const lsSpan = (s: AnnSpan, k: number) => ({ id: `s${k}`, from_name: 'ner', to_name: 'text', type: 'labels', value: { start: s.start, end: s.end, text: s.text, labels: [s.label] } });

/** One task in the tool's format (an object; JSONL formats write one per line, the others an array). */
export function taskRecord(format: ExportFormat, t: Task, question = 'label'): unknown {
  const voteLabels = Object.entries(t.votes ?? {}).filter(([, v]) => asLabel(v) !== undefined) as [string, Label][];
  switch (format) {
    case 'label_studio': {
      const predictions: unknown[] = [];
      const result = [...(present(t.label) ? [lsChoice(t.label as Label, question, 0)] : []), ...(t.spans ?? []).map(lsSpan)];
      if (result.length) predictions.push({ model_version: 'ftr', ...(typeof t.confidence === 'number' ? { score: t.confidence } : {}), result });
      const who = new Set([...voteLabels.map(([a]) => a), ...Object.keys(t.spanVotes ?? {})]);
      for (const a of [...who].sort()) {
        const v = t.votes?.[a];
        const r = [...(asLabel(v) !== undefined ? [lsChoice(v as Label, question, 0)] : []), ...(t.spanVotes?.[a] ?? []).map(lsSpan)];
        if (r.length) predictions.push({ model_version: `annotator:${a}`, result: r });
      }
      return { data: { id: t.id, text: t.text }, predictions };
    }
    case 'prodigy':
      return { text: t.text, ...(present(t.label) ? { label: t.label } : {}), ...(t.spans ? { spans: t.spans.map(({ start, end, label }) => ({ start, end, label })) } : {}), meta: { id: t.id, ...(t.votes ? { votes: t.votes } : {}) } };
    case 'doccano':
      return { id: t.id, text: t.text, label: t.spans?.length ? t.spans.map((s) => [s.start, s.end, s.label]) : present(t.label) ? [t.label] : [], ...(t.votes ? { votes: t.votes } : {}) };
    case 'argilla': {
      const suggestions: Record<string, unknown> = {};
      if (present(t.label)) suggestions[question] = { value: t.label, agent: 'ftr', ...(typeof t.confidence === 'number' ? { score: t.confidence } : {}) };
      if (t.spans?.length) suggestions.spans = { value: t.spans.map(({ start, end, label }) => ({ start, end, label })), agent: 'ftr' };
      const responses: Record<string, unknown[]> = {};
      if (voteLabels.length) responses[question] = voteLabels.map(([user_id, value]) => ({ value, user_id, status: 'submitted' }));
      return { id: t.id, fields: { text: t.text }, metadata: {}, suggestions, responses };
    }
    case 'csv':
    case 'jsonl':
      return { item: t.id, text: t.text, label: t.label ?? null, confidence: t.confidence ?? null, spans: t.spans ?? null, votes: t.votes ?? null };
  }
}

export const EXPORT_EXTENSION: Record<ExportFormat, string> = { label_studio: '.json', prodigy: '.jsonl', doccano: '.jsonl', argilla: '.json', csv: '.csv', jsonl: '.jsonl' };

/** A Label Studio labeling config for the tasks written (choices `question`, spans `ner`). */
export function labelStudioConfig(labels: Label[], spanLabels: string[], question = 'label'): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const lines = ['<View>', '  <Text name="text" value="$text"/>'];
  if (spanLabels.length) lines.push('  <Labels name="ner" toName="text">', ...spanLabels.map((l) => `    <Label value="${esc(l)}"/>`), '  </Labels>');
  if (labels.length || !spanLabels.length) lines.push(`  <Choices name="${esc(question)}" toName="text" choice="single">`, ...labels.map((l) => `    <Choice value="${esc(String(l))}"/>`), '  </Choices>');
  lines.push('</View>', '');
  return lines.join('\n');
}

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Writes tasks as the format's file: a JSON array (label_studio, argilla), JSON lines, or CSV with a header. */
export function taskWriter(format: ExportFormat, question = 'label'): { head: string; item(t: Task, index: number): string; tail(count: number): string } {
  if (format === 'label_studio' || format === 'argilla') {
    return { head: '[', item: (t, i) => `${i ? ',' : ''}\n${JSON.stringify(taskRecord(format, t, question))}`, tail: (n) => (n ? '\n]\n' : ']\n') };
  }
  if (format === 'csv') {
    const cols = ['item', 'text', 'label', 'confidence', 'spans', 'votes'];
    return {
      head: cols.join(',') + '\n',
      item: (t) => {
        const r = taskRecord('csv', t, question) as Record<string, unknown>;
        return cols.map((k) => csvCell(r[k])).join(',') + '\n';
      },
      tail: () => '',
    };
  }
  return { head: '', item: (t) => JSON.stringify(taskRecord(format, t, question)) + '\n', tail: () => '' };
}
