import { dirname, join } from 'node:path';
import { didYouMean } from '../../parser/suggest.js';
import { isFilePath, prepareFile, targetsOf, type Prepared } from '../export/output.js';
import { defineOp, OpError, type Row } from '../types.js';
import { EXPORT_EXTENSION, EXPORT_FORMATS, labelStudioConfig, taskWriter, type AnnSpan, type ExportFormat, type Label, type Task } from './formats.js';
import { sortLabels } from './report.js';

const labelKey = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A row as a review task: its id, text, label (as a pre-annotation), spans and votes. */
export function rowTask(row: Row, cols: { id: string; text: string; label?: string; spans?: string; votes?: string; confidence?: string }): Task {
  const t: Task = { id: String(row[cols.id] ?? ''), text: typeof row[cols.text] === 'string' ? (row[cols.text] as string) : String(row[cols.text] ?? '') };
  if (cols.label) {
    const l = row[cols.label];
    t.label = typeof l === 'string' || typeof l === 'number' ? l : null;
  }
  if (cols.confidence && typeof row[cols.confidence] === 'number') t.confidence = row[cols.confidence] as number;
  if (cols.spans && Array.isArray(row[cols.spans])) t.spans = (row[cols.spans] as AnnSpan[]).map((s) => ({ start: s.start, end: s.end, label: String(s.label), ...(typeof s.text === 'string' ? { text: s.text } : {}) }));
  if (cols.votes && row[cols.votes] && typeof row[cols.votes] === 'object' && !Array.isArray(row[cols.votes])) t.votes = row[cols.votes] as Record<string, unknown>;
  return t;
}

export const export_tasks = defineOp({
  name: 'export_tasks',
  version: 1,
  kind: 'sink',
  summary: 'write rows as annotation tasks for review: Label Studio, Prodigy, doccano, Argilla, CSV or JSONL, with labels and spans as pre-annotations',
  doc: [
    '`export_tasks "review/" format: label_studio` writes each part to `<part>.json` in the folder (a single dataset to `<cell>.json`; a path with the format\'s extension names the file). Each row becomes a task with its `id` and `text`; its `label` (and `spans`, and `<label>_confidence`) become a pre-annotation, and `<label>_votes` { annotator: label } one pre-annotation per annotator, so a reviewer sees what each said.',
    'label_studio: a JSON array of tasks `{data: {id, text}, predictions: [{model_version: "ftr", result: [...]}, {model_version: "annotator:<name>", …}]}` (choices from `question`, default label; spans as `labels` results from `ner`), plus `<file>.label_config.xml`, a labeling config with the labels seen. prodigy: JSONL `{text, label, spans, meta: {id, votes}}`. doccano: JSONL `{id, text, label}` (label a list of classes, or of [start, end, label] spans). argilla: a JSON array of v2 records `{id, fields: {text}, suggestions, responses}`. csv: item, text, label, confidence, spans, votes. jsonl: the same as JSON lines.',
    'Span offsets are Unicode code points, end-exclusive, as the tools expect. `annotations` reads every one of these formats back.',
  ].join(' '),
  params: [
    { name: 'path', type: { kind: 'path', access: 'write' }, required: true, positional: true, doc: 'output folder, or a file with the format\'s extension for a single dataset' },
    { name: 'format', type: { kind: 'enum', values: EXPORT_FORMATS }, default: 'label_studio', doc: 'label_studio, prodigy, doccano, argilla, csv or jsonl' },
    { name: 'text', type: { kind: 'column' }, default: 'text', doc: 'column holding the text to annotate' },
    { name: 'id', type: { kind: 'column' }, default: 'id', doc: 'column holding the item id (comes back as the item of `annotations`)' },
    { name: 'label', type: { kind: 'column' }, doc: 'column of the suggested label (default: label, when present)' },
    { name: 'spans', type: { kind: 'column' }, doc: 'column of suggested spans [{start, end, label}] (default: spans, when present)' },
    { name: 'question', type: { kind: 'string' }, default: 'label', doc: 'name of the classification control / question' },
  ],
  describe: (p) => `export_tasks ${p.path as string} as ${p.format as string}`,
  schema(ctx) {
    const input = ctx.input!;
    const names = input.columns.map((c) => c.name);
    for (const p of ['text', 'id'] as const) {
      const c = ctx.params[p] as string;
      if (!input.open && !names.includes(c)) ctx.error(p, `unknown column \`${c}\``, { notes: [`columns: ${names.join(', ')}`], help: didYouMean(c, names) ?? `set \`${p}:\` to the column holding the ${p}` });
    }
    const path = ctx.params.path as string;
    if (input.parts && input.parts.length > 1 && isFilePath(path, EXPORT_EXTENSION[ctx.params.format as ExportFormat])) {
      ctx.error('path', `\`${path}\` names one file, but the data has parts (${input.parts.join(', ')})`, { help: `write to a folder (\`"${path.replace(/\.[^./]*$/, '')}/"\`): one file per part` });
    }
    return input;
  },
  sink: {
    async write(parts, params, ctx) {
      const format = params.format as ExportFormat;
      const ext = EXPORT_EXTENSION[format];
      const names = ctx.schema.columns.map((c) => c.name);
      const label = (params.label as string | undefined) ?? (names.includes('label') ? 'label' : undefined);
      const cols = {
        id: params.id as string,
        text: params.text as string,
        label,
        spans: (params.spans as string | undefined) ?? (names.includes('spans') ? 'spans' : undefined),
        votes: label && names.includes(`${label}_votes`) ? `${label}_votes` : undefined,
        confidence: label && names.includes(`${label}_confidence`) ? `${label}_confidence` : undefined,
      };
      const path = params.path as string;
      if (Object.keys(parts).length > 1 && isFilePath(path, ext)) throw new OpError(`${path} names one file, but the data has parts (${Object.keys(parts).join(', ')}): write to a folder`);
      const targets = targetsOf(Object.keys(parts), path, ctx.cell, ctx.baseDir, ext);
      const w = taskWriter(format, params.question as string);
      const prepared: [string, Prepared<{ rows: number; labels: Set<string>; spanLabels: Set<string>; values: Map<string, Label> }>][] = [];
      try {
        for (const [part, rows] of Object.entries(parts)) {
          prepared.push([
            part,
            await prepareFile(targets[part], async (out) => {
              await out.write(w.head);
              let n = 0;
              const labels = new Set<string>();
              const values = new Map<string, Label>();
              const spanLabels = new Set<string>();
              for await (const row of rows.rows()) {
                const t = rowTask(row, cols);
                if (t.label !== undefined && t.label !== null) (labels.add(labelKey(t.label)), values.set(labelKey(t.label), t.label));
                for (const v of Object.values(t.votes ?? {})) if (typeof v === 'string' || typeof v === 'number') values.set(labelKey(v), v);
                for (const s of t.spans ?? []) spanLabels.add(s.label);
                await out.write(w.item(t, n++));
              }
              await out.write(w.tail(n));
              return { rows: n, labels, spanLabels, values };
            }),
          ]);
        }
      } catch (e) {
        for (const [, p] of prepared) p.abort();
        throw e;
      }
      const files: { path: string; sha256: string; rows?: number }[] = [];
      const all = new Map<string, Label>();
      const spanLabels = new Set<string>();
      for (const [part, p] of prepared) {
        p.commit();
        files.push({ path: targets[part], sha256: p.sha256, rows: p.value.rows });
        for (const [k, v] of p.value.values) all.set(k, v);
        for (const s of p.value.spanLabels) spanLabels.add(s);
      }
      if (format === 'label_studio') {
        const first = targets[Object.keys(parts)[0]];
        const dest = join(dirname(first), `${Object.keys(parts).length > 1 ? 'tasks' : first.slice(dirname(first).length + 1).replace(/\.json$/, '')}.label_config.xml`);
        const cfg = labelStudioConfig(sortLabels([...all.values()]), [...spanLabels].sort(), params.question as string);
        const p = await prepareFile(dest, (out) => out.write(cfg));
        p.commit();
        files.push({ path: dest, sha256: p.sha256 });
      }
      return { files };
    },
  },
});
