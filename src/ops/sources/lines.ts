/**
 * Byte-exact line reading: each line is decoded on its own with a fatal UTF-8 decoder, so one
 * bad line becomes one rejected row instead of silently turning into replacement characters.
 * `.gz` files are decompressed on the fly.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';

export type Line = { line: number; text: string } | { line: number; error: string; raw: string };

export function openBytes(path: string): Readable {
  const stream = createReadStream(path);
  return path.endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
}

const DEFAULT_MAX_RECORD = 128 * 1024 * 1024;

/**
 * The longest line (record) read, in bytes: `FTR_MAX_RECORD_BYTES`, default 128 MiB. A longer
 * line is rejected with its reason (the others are kept) instead of exhausting memory or
 * failing the whole file (a JavaScript string holds at most ~512 M characters).
 */
export function maxRecordBytes(): number {
  const v = Number(process.env.FTR_MAX_RECORD_BYTES);
  return Number.isSafeInteger(v) && v > 0 ? v : DEFAULT_MAX_RECORD;
}

export async function* readLines(path: string, maxBytes = maxRecordBytes()): AsyncIterable<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // bytes of an over-long line being skipped (its head kept for the reject), or -1
  let skipping = -1;
  let skippedHead = '';
  let lineNo = 0;
  const tooLong = (): Line => {
    lineNo++;
    const line: Line = { line: lineNo, error: `record longer than ${maxBytes.toLocaleString('en-US')} bytes (FTR_MAX_RECORD_BYTES): ${skipping.toLocaleString('en-US')} bytes`, raw: skippedHead };
    skipping = -1;
    skippedHead = '';
    return line;
  };
  const decode = (bytes: Buffer): Line => {
    lineNo++;
    let b = bytes;
    if (b.length && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
    if (lineNo === 1 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    try {
      return { line: lineNo, text: decoder.decode(b) };
    } catch {
      return { line: lineNo, error: 'invalid UTF-8', raw: b.toString('latin1').slice(0, 200) };
    }
  };
  const hold = (part: Buffer) => {
    if (skipping >= 0) {
      skipping += part.length;
      return;
    }
    pending.push(part);
    pendingBytes += part.length;
    if (pendingBytes > maxBytes) {
      // too long: keep only its head for the reject, skip the rest of the line
      skippedHead = Buffer.concat(pending).subarray(0, 200).toString('latin1');
      skipping = pendingBytes;
      pending = [];
      pendingBytes = 0;
    }
  };
  for await (const chunk of openBytes(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
      hold(chunk.subarray(start, i));
      if (skipping >= 0) yield tooLong();
      else yield decode(pending.length === 1 ? pending[0] : Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
      start = i + 1;
    }
    if (start < chunk.length) hold(chunk.subarray(start));
  }
  if (skipping >= 0) yield tooLong();
  else if (pending.length) {
    const rest = Buffer.concat(pending);
    if (rest.length) yield decode(rest);
  }
}

/**
 * The first complete lines of a file (at most `maxBytes` read; `.gz` inflated as far as it goes),
 * for check-time sampling. A last line cut by the limit is left out.
 */
export function headLines(path: string, maxLines = 200, maxBytes = 4 * 1024 * 1024): string[] {
  const fd = openSync(path, 'r');
  let buf: Buffer;
  let eof: boolean;
  try {
    buf = Buffer.alloc(maxBytes);
    const n = readSync(fd, buf, 0, maxBytes, 0);
    eof = n < maxBytes;
    buf = buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
  if (path.endsWith('.gz')) {
    try {
      buf = gunzipSync(buf, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return [];
    }
    eof = false;
  }
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  if (!eof) lines.pop();
  return lines.slice(0, maxLines).map((l) => l.replace(/\r$/, ''));
}
