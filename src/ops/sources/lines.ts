/**
 * Byte-exact line reading: each line is decoded on its own with a fatal UTF-8 decoder, so one
 * bad line becomes one rejected row instead of silently turning into replacement characters.
 * `.gz` files are decompressed on the fly.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
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
