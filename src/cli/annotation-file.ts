/**
 * The file `ftr annotate` writes: a plain CSV of `(item, annotator, label)` triples, the shape the
 * human-annotation import reads.
 *
 *   item,annotator,label
 *   T1002,ana,shipping
 *   "q,7",ana,"say ""hi"""
 *
 * RFC 4180 quoting (a field holding `,` `"` CR or LF, or starting or ending with a space, is
 * quoted, `"` doubled), `\n` line ends, one line appended per decision with a single write on a
 * file opened for appending, so a killed process never leaves half a line. Undo rewrites the
 * file atomically (temporary file in the same folder, fsync, rename).
 *
 * Skips are not labels, so they stay out of the CSV (an importer would read an empty label as a
 * vote): they go to a sidecar `FILE.progress.json`, with the number of CSV records there were when
 * the skip was made, so that undo can tell which of an annotator's decisions came last.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const HEADER = ['item', 'annotator', 'label'] as const;

/** One decision on one item: a label, or a skip (`label: null`). */
export type { Decision } from '../ui/ink/Annotate.js';
import type { Decision } from '../ui/ink/Annotate.js';

/** A CSV record with where it lies in the text (`end` is past its line end). */
interface CsvRecord {
  fields: string[];
  start: number;
  end: number;
}

interface Progress {
  version: 1;
  skipped: { annotator: string; item: string; at: number }[];
}

/** One CSV field, RFC 4180-quoted when it needs to be. */
export function csvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\n';
}

/**
 * Split CSV text into records (RFC 4180: quoted fields may hold `,`, `""` and line breaks).
 * Returns the complete records and where the text stops being complete: a last line without
 * its line end (a write cut short) is not a record, and `complete` points before it.
 */
export function parseCsv(text: string): { records: CsvRecord[]; complete: number } {
  const records: CsvRecord[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = i;
    const fields: string[] = [];
    let ended = false;
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) return { records, complete: start }; // unterminated quote: cut short
          field += text.slice(i, q);
          if (text[q + 1] === '"') {
            field += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        // anything between the closing quote and the separator is kept as is (lenient)
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      }
      fields.push(field);
      if (i >= n) break; // no line end: incomplete
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      ended = true;
      break;
    }
    if (!ended) return { records, complete: start };
    // blank lines are not records
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, start, end: i });
  }
  return { records, complete: n };
}

/** What `load` found, for the caller to show. */
export interface LoadResult {
  /** this annotator's decisions, oldest first */
  decisions: Decision[];
  /** things fixed or worth knowing (a dropped partial line) */
  warnings: string[];
  /** labelled records in the file, all annotators */
  records: number;
}

export class AnnotationFileError extends Error {}

/** The annotation CSV and its skip sidecar, for one annotator. */
export class AnnotationFile {
  readonly progressPath: string;

  constructor(
    readonly path: string,
    readonly annotator: string,
  ) {
    this.progressPath = `${path}.progress.json`;
  }

  /**
   * Read the file: check its header, drop a trailing partial line (with a warning), and return
   * this annotator's decisions — labels from the CSV and skips from the sidecar — in the order
   * they were made.
   */
  load(): LoadResult {
    const warnings: string[] = [];
    const { records } = this.read(warnings);
    const own: { d: Decision; key: number }[] = [];
    records.forEach((r, i) => {
      if (r.fields[1] === this.annotator) own.push({ d: { item: r.fields[0], label: r.fields[2] }, key: 2 * i + 1 });
    });
    for (const s of this.readProgress().skipped) {
      if (s.annotator === this.annotator) own.push({ d: { item: s.item, label: null }, key: 2 * s.at });
    }
    own.sort((a, b) => a.key - b.key); // stable: skips made at the same point keep their order
    return { decisions: own.map((o) => o.d), warnings, records: records.length };
  }

  /** Record one decision: a label is one appended CSV line, a skip goes to the sidecar. */
  append(d: Decision): void {
    if (d.label === null) {
      const progress = this.readProgress();
      progress.skipped.push({ annotator: this.annotator, item: d.item, at: this.read([]).records.length });
      this.writeProgress(progress);
      return;
    }
    const line = csvLine([d.item, this.annotator, d.label]);
    const fresh = !existsSync(this.path) || statSync(this.path).size === 0;
    const fd = openSync(this.path, 'a');
    try {
      // one write per decision (header included on the first), so the line lands whole or not at all
      writeSync(fd, fresh ? csvLine(HEADER) + line : line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Remove a decision this annotator made last: its CSV record (file rewritten atomically) or its skip. */
  remove(d: Decision): void {
    if (d.label === null) {
      const progress = this.readProgress();
      const i = findLast(progress.skipped, (s) => s.annotator === this.annotator && s.item === d.item);
      if (i < 0) return;
      progress.skipped.splice(i, 1);
      this.writeProgress(progress);
      return;
    }
    const { text, records } = this.read([]);
    const i = findLast(records, (r) => r.fields[0] === d.item && r.fields[1] === this.annotator && r.fields[2] === d.label);
    if (i < 0) return;
    const r = records[i];
    this.rewrite(text.slice(0, r.start) + text.slice(r.end));
    // skips made after this record now sit one record earlier
    const progress = this.readProgress();
    if (progress.skipped.some((s) => s.at > i)) {
      for (const s of progress.skipped) if (s.at > i) s.at--;
      this.writeProgress(progress);
    }
  }

  /** The file's text and its data records (header checked, partial last line dropped). */
  private read(warnings: string[]): { text: string; records: CsvRecord[] } {
    if (!existsSync(this.path)) return { text: '', records: [] };
    let text = readFileSync(this.path, 'utf8');
    const { records, complete } = parseCsv(text);
    if (complete < text.length) {
      const cut = text.slice(complete);
      warnings.push(`${this.path}: dropped a partial last line (${JSON.stringify(cut.length > 60 ? cut.slice(0, 59) + '…' : cut)}) — a write was cut short`);
      text = text.slice(0, complete);
      this.rewrite(text);
    }
    if (!records.length) return { text, records: [] };
    const header = records[0].fields.map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, '') : f).trim().toLowerCase());
    if (header.join(',') !== HEADER.join(',')) {
      throw new AnnotationFileError(`${this.path} is not an annotation file: its header is \`${records[0].fields.join(',')}\`, expected \`${HEADER.join(',')}\``);
    }
    const data = records.slice(1);
    const bad = data.find((r) => r.fields.length !== HEADER.length);
    if (bad) {
      const line = text.slice(0, bad.start).split('\n').length;
      throw new AnnotationFileError(`${this.path}:${line}: expected ${HEADER.length} fields (${HEADER.join(', ')}), found ${bad.fields.length}`);
    }
    return { text, records: data };
  }

  private readProgress(): Progress {
    if (!existsSync(this.progressPath)) return { version: 1, skipped: [] };
    try {
      const p = JSON.parse(readFileSync(this.progressPath, 'utf8')) as Progress;
      if (!Array.isArray(p.skipped)) throw new Error('no `skipped` list');
      return { version: 1, skipped: p.skipped.filter((s) => typeof s?.item === 'string' && typeof s.annotator === 'string').map((s) => ({ ...s, at: Number(s.at) || 0 })) };
    } catch (e) {
      throw new AnnotationFileError(`cannot read ${this.progressPath}: ${(e as Error).message} (it lists skipped items; remove it to be asked about them again)`);
    }
  }

  private writeProgress(p: Progress): void {
    if (!p.skipped.length) {
      rmSync(this.progressPath, { force: true });
      return;
    }
    atomicWrite(this.progressPath, JSON.stringify(p, null, 1) + '\n');
  }

  private rewrite(text: string): void {
    atomicWrite(this.path, text);
  }
}

/** tmp file next to `path`, fsync, rename: readers see the old or the new content, never a mix. */
export function atomicWrite(path: string, data: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function findLast<T>(xs: T[], f: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (f(xs[i])) return i;
  return -1;
}
