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

export async function* readLines(path: string): AsyncIterable<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let lineNo = 0;
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
  for await (const chunk of openBytes(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, i));
      yield decode(pending.length === 1 ? pending[0] : Buffer.concat(pending));
      pending = [];
      start = i + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length) {
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
