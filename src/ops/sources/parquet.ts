import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { asyncBufferFromFile, parquetMetadata, parquetMetadataAsync, parquetReadObjects, parquetSchema, type FileMetaData, type ParquetParsers, type SchemaTree } from 'hyparquet';
import { defineOp, OpError, type Column, type ColType, type Params, type ReadItem, type SourceInput } from '../types.js';
import { getPath, withProvenance } from '../common.js';
import { checkFilesExist, pathInputs } from './files.js';

type Mapping = Record<string, (string | number)[]>;

/** A value the reader could not turn into JSON (bad UTF-8 in a string column, bad JSON in a JSON column). */
class BadValue {
  constructor(readonly reason: string) {}
}

const strict = new TextDecoder('utf-8', { fatal: true });

function pad(n: bigint | number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Epoch time in `unitsPerMs` sub-milliseconds → ISO string keeping the unit's precision; out of range → the raw number as text. */
function isoFrom(value: bigint, unitsPerMs: bigint, digits: number): string {
  let ms = value / unitsPerMs;
  let frac = value % unitsPerMs;
  if (frac < 0n) {
    ms -= 1n;
    frac += unitsPerMs;
  }
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return String(value);
  const iso = d.toISOString();
  return digits ? `${iso.slice(0, -1)}${pad(frac, digits)}Z` : iso;
}

/** hyparquet's parsers, made lossless and JSON-friendly: ISO strings for times, strict UTF-8, bad JSON marked. */
export const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => isoFrom(BigInt(v), 1n, 0),
  timestampFromMicroseconds: (v: bigint) => isoFrom(BigInt(v), 1000n, 3),
  timestampFromNanoseconds: (v: bigint) => isoFrom(BigInt(v), 1000000n, 6),
  dateFromDays(days: number) {
    const d = new Date(Number(days) * 86400000);
    return Number.isNaN(d.getTime()) ? String(days) : d.toISOString().slice(0, 10);
  },
  stringFromBytes(bytes: Uint8Array) {
    if (!bytes) return bytes;
    try {
      return strict.decode(bytes);
    } catch {
      return new BadValue('invalid UTF-8');
    }
  },
  jsonFromBytes(bytes: Uint8Array) {
    if (!bytes) return bytes;
    try {
      return JSON.parse(strict.decode(bytes));
    } catch (e) {
      return new BadValue(e instanceof SyntaxError ? 'malformed JSON' : 'invalid UTF-8');
    }
  },
};

/**
 * A decoded Parquet value → plain JSON: 64-bit integers become numbers when they fit exactly
 * (|n| ≤ 2^53 − 1), else decimal strings; Dates → ISO strings; NaN/±Infinity → null; binary →
 * text when it is valid UTF-8, else base64. Throws BadValue for a value that cannot be kept.
 */
export function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'bigint':
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'string':
    case 'boolean':
      return v;
    case 'object':
      break;
    default:
      return String(v);
  }
  if (v instanceof BadValue) throw v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) {
    try {
      return strict.decode(v);
    } catch {
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    }
  }
  if (Array.isArray(v)) return v.map(plain);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, plain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x);
  return out;
}

/** The column type a schema node reads as. */
export function columnType(node: SchemaTree): ColType {
  const e = node.element;
  const lt = e.logical_type?.type;
  if (node.children.length) {
    if (e.converted_type === 'LIST' || lt === 'LIST' || e.repetition_type === 'REPEATED') return 'list';
    if (lt === 'VARIANT') return 'any';
    return 'record';
  }
  if (e.repetition_type === 'REPEATED') return 'list';
  const ct = e.converted_type;
  if (ct === 'DATE' || ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || lt === 'DATE' || lt === 'TIMESTAMP' || e.type === 'INT96') return 'string';
  if (ct === 'JSON' || lt === 'JSON' || lt === 'GEOMETRY' || lt === 'GEOGRAPHY') return 'any';
  if (ct === 'DECIMAL' || lt === 'DECIMAL' || lt === 'FLOAT16') return 'number';
  switch (e.type) {
    case 'BOOLEAN':
      return 'bool';
    case 'INT32':
    case 'FLOAT':
    case 'DOUBLE':
      return 'number';
    case 'INT64':
      // a number, or a decimal string beyond 2^53
      return 'any';
    default:
      return 'string';
  }
}

/** Why a file is not Parquet (checked on its magic bytes), or undefined. */
export function notParquet(head: Uint8Array, tail: Uint8Array, size: number): string | undefined {
  const magic = (b: Uint8Array) => Buffer.from(b).toString('latin1') === 'PAR1';
  if (size < 12) return `${size} bytes, too short for a Parquet file`;
  if (!magic(head)) return 'it does not start with the Parquet magic bytes PAR1';
  if (!magic(tail)) return 'it does not end with the Parquet magic bytes PAR1 (truncated?)';
  return undefined;
}

/** The footer metadata of a Parquet file, read synchronously (check time), or why it cannot be read. */
export function readFooterSync(path: string): FileMetaData | { error: string } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(4);
    const end = Buffer.alloc(8);
    readSync(fd, head, 0, 4, 0);
    if (size >= 8) readSync(fd, end, 0, 8, size - 8);
    const why = notParquet(head, end.subarray(4), size);
    if (why) return { error: why };
    const len = end.readUInt32LE(0);
    if (len > size - 12) return { error: `footer length ${len} is larger than the file` };
    const footer = Buffer.alloc(len + 8);
    readSync(fd, footer, 0, len + 8, size - len - 8);
    return parquetMetadata(footer);
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    closeSync(fd);
  }
}

/** Columns of a file's schema (top-level fields), typed. */
export function parquetColumns(meta: FileMetaData): Column[] {
  return parquetSchema(meta).children.map((c) => ({ name: c.element.name, type: columnType(c) }));
}

export async function* readParquet(input: SourceInput, params: Params): AsyncIterable<ReadItem> {
  const mapping = params.fields as Mapping | undefined;
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let meta: FileMetaData;
  try {
    file = await asyncBufferFromFile(input.path);
  } catch (e) {
    throw new OpError(`cannot read ${input.label}: ${(e as Error).message}`);
  }
  try {
    const size = file.byteLength;
    const why = notParquet(new Uint8Array(await file.slice(0, Math.min(4, size))), new Uint8Array(await file.slice(Math.max(0, size - 4), size)), size);
    if (why) {
      yield { reject: { reason: 'not a Parquet file', detail: why, location: input.label } };
      return;
    }
    meta = await parquetMetadataAsync(file);
  } catch (e) {
    yield { reject: { reason: 'not a Parquet file', detail: `unreadable footer: ${(e as Error).message}`, location: input.label } };
    return;
  }
  const names = parquetSchema(meta).children.map((c) => c.element.name);
  const wanted = mapping ? [...new Set(Object.values(mapping).map((p) => String(p[0])))].filter((n) => names.includes(n)) : names;
  let groupStart = 0;
  for (const [g, group] of meta.row_groups.entries()) {
    const n = Number(group.num_rows);
    const rowStart = groupStart;
    groupStart += n;
    let rows: Record<string, unknown>[];
    try {
      // one row group at a time: memory is bounded by the largest group, not the file
      rows = wanted.length
        ? await parquetReadObjects({ file, metadata: meta, rowStart, rowEnd: rowStart + n, columns: wanted, parsers: PARSERS, utf8: false })
        : Array.from({ length: n }, () => ({}));
    } catch (e) {
      // every row of a group that cannot be decoded is accounted for, one reject each
      for (let i = 0; i < n; i++) {
        yield { reject: { reason: 'unreadable row group', detail: `row group ${g} (rows ${rowStart}–${rowStart + n - 1}): ${(e as Error).message}`, location: `${input.label}[${rowStart + i}]` } };
      }
      continue;
    }
    for (const [i, raw] of rows.entries()) {
      const index = rowStart + i;
      let row: Record<string, unknown>;
      try {
        const full = plain(raw) as Record<string, unknown>;
        if (!mapping) row = full;
        else {
          row = {};
          for (const [col, path] of Object.entries(mapping)) row[col] = getPath(full, path);
        }
      } catch (e) {
        if (!(e instanceof BadValue)) throw e;
        const column = Object.entries(raw).find(([, v]) => containsBad(v))?.[0];
        yield { reject: { reason: e.reason, detail: column ? `column ${column}` : undefined, location: `${input.label}[${index}]` } };
        continue;
      }
      yield { row, line: index + 1 };
    }
  }
}

function containsBad(v: unknown): boolean {
  if (v instanceof BadValue) return true;
  if (Array.isArray(v)) return v.some(containsBad);
  if (v && typeof v === 'object' && !(v instanceof Date) && !ArrayBuffer.isView(v)) return Object.values(v).some(containsBad);
  return false;
}

export const parquet = defineOp({
  name: 'parquet',
  version: 1,
  kind: 'source',
  summary: 'read Parquet files, one row group at a time (columns picked and renamed like jsonl)',
  doc:
    'Every top-level column becomes a column, typed from the file\'s schema (sampled from the first file); a mapping `{ text: .body.text, label: category }` picks columns and paths into struct columns, and only the columns it names are read. Values become plain JSON: 64-bit integers are numbers when they fit exactly (|n| ≤ 2^53 − 1) and decimal strings beyond; DATE columns become `YYYY-MM-DD`, timestamps ISO strings (`2024-05-01T12:00:00.000Z`, with micro/nanosecond digits when the column has them); NaN and ±Infinity become null; binary values become text when they are valid UTF-8, else base64; lists and structs become lists and records. Files are read one row group at a time, so memory is bounded by the largest row group. A file that is not Parquet (bad magic bytes, unreadable footer) is rejected as one row "not a Parquet file", naming it; a row group that cannot be decoded rejects each of its rows ("unreadable row group"); a row holding invalid UTF-8 in a string column or malformed JSON in a JSON column is rejected with the column named. Row ids are `file:N` (N counts rows from 1); reject locations `file[index]` (from 0).',
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'file, folder or glob, relative to the recipe' },
    { name: 'fields', type: { kind: 'mapping' }, positional: true, doc: 'columns to take: { text: .body.text, label: category }' },
  ],
  describe: (p) => `parquet ${p.path}`,
  schema(ctx) {
    const files = checkFilesExist(ctx);
    const mapping = ctx.params.fields as Mapping | undefined;
    const meta = files[0] ? readFooterSync(files[0].path) : undefined;
    const columns = meta && !('error' in meta) ? parquetColumns(meta) : undefined;
    if (mapping) {
      if (columns) {
        for (const [col, path] of Object.entries(mapping)) {
          if (!columns.some((c) => c.name === String(path[0]))) {
            ctx.error('fields', `\`${col}\` maps from \`${path.join('.')}\`, but \`${path[0]}\` is not a column of ${files[0].label}`, { notes: [`columns: ${columns.map((c) => c.name).join(', ')}`] });
          }
        }
      }
      return {
        columns: withProvenance(Object.entries(mapping).map(([name, path]): Column => ({ name, type: path.length === 1 ? columns?.find((c) => c.name === path[0])?.type ?? 'any' : 'any' }))),
      };
    }
    // a first file that is not Parquet is rejected at run time; its columns are then unknown
    return { columns: withProvenance(columns ?? []), open: columns ? undefined : true };
  },
  source: {
    inputs: pathInputs,
    read: readParquet,
  },
});
