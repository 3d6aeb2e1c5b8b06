import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { defineOp, OpError, type Params, type ReadItem, type SourceInput } from '../types.js';
import { withProvenance } from '../common.js';
import { checkFilesExist, pathInputs } from './files.js';
import { readLines } from './lines.js';

/** A whole file's bytes (`.gz` inflated); a file that cannot be read fails the run with its name. */
export async function readWhole(input: SourceInput): Promise<Buffer> {
  try {
    const bytes = await readFile(input.path);
    return input.path.endsWith('.gz') ? gunzipSync(bytes) : bytes;
  } catch (e) {
    throw new OpError(`cannot read ${input.label}: ${(e as Error).message}`);
  }
}

/**
 * Strict UTF-8: the text (a leading BOM removed), or where the first invalid byte sequence
 * starts (a byte offset) — never replacement characters.
 */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { error: string; offset: number } {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const b = bytes.subarray(bom);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b) };
  } catch {
    return { error: 'invalid UTF-8', offset: bom + firstInvalidUtf8(b) };
  }
}

/** Byte offset of the first byte that does not start (or continue) a valid UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (!n || i + n > b.length) return i;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return b.length;
}

/** A reject for a file that is not valid UTF-8, pointing at the first bad byte. */
export function invalidUtf8Reject(input: SourceInput, offset: number, bytes: Uint8Array): ReadItem {
  return {
    reject: {
      reason: 'invalid UTF-8',
      detail: `first invalid byte at offset ${offset}`,
      location: input.label,
      raw: Buffer.from(bytes.subarray(Math.max(0, offset - 40), offset + 40)).toString('latin1'),
    },
  };
}

export const text = defineOp({
  name: 'text',
  version: 1,
  kind: 'source',
  summary: 'read plain text files: one row per file, or one per line (.gz read transparently)',
  doc:
    'Columns: `text` and `path` (the file, relative to the recipe). `per: file` (default) makes each file one document, its text kept byte for byte (a leading BOM removed); a file that is not valid UTF-8 is rejected whole, with the offset of its first bad byte. `per: line` makes each non-blank line one row (blank lines are not records: they are counted in the cell notes; CRLF endings are removed) and rejects only the lines that are not valid UTF-8, with their file and line.',
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'file, folder or glob, relative to the recipe' },
    { name: 'per', type: { kind: 'enum', values: ['file', 'line'] }, default: 'file', doc: 'one row per file (default) or per non-blank line' },
  ],
  describe: (p) => `text ${p.path}${p.per === 'line' ? ' per line' : ''}`,
  schema(ctx) {
    checkFilesExist(ctx);
    return { columns: withProvenance([{ name: 'text', type: 'string' }, { name: 'path', type: 'string' }]) };
  },
  source: {
    inputs: pathInputs,
    read: readText,
  },
});

export async function* readText(input: SourceInput, params: Params): AsyncIterable<ReadItem> {
  if (params.per === 'line') {
    try {
      for await (const l of readLines(input.path)) {
        if ('error' in l) {
          yield { reject: { reason: l.error, location: `${input.label}:${l.line}`, raw: l.raw } };
          continue;
        }
        if (!l.text.trim()) {
          yield { skip: 'blank line' };
          continue;
        }
        yield { row: { text: l.text, path: input.label }, line: l.line };
      }
    } catch (e) {
      throw new OpError(`cannot read ${input.label}: ${(e as Error).message}`);
    }
    return;
  }
  const bytes = await readWhole(input);
  const decoded = decodeUtf8(bytes);
  if ('error' in decoded) {
    yield invalidUtf8Reject(input, decoded.offset, bytes);
    return;
  }
  yield { row: { text: decoded.text, path: input.label }, line: 1 };
}
