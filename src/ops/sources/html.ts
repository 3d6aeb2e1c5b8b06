import { Parser } from 'htmlparser2';
import { defineOp, type Params, type ReadItem, type SourceInput } from '../types.js';
import { withProvenance } from '../common.js';
import { checkFilesExist, pathInputs } from './files.js';
import { decodeUtf8, invalidUtf8Reject, readWhole } from './text.js';

export interface HtmlOptions {
  /** keep link targets: `[text](url)` instead of the text alone */
  links?: boolean;
}

export interface Doc {
  text: string;
  title: string | null;
}

/** Elements dropped with everything inside them: not part of the page's text. */
const DROP = new Set(['script', 'style', 'nav', 'footer', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'canvas', 'select', 'button', 'dialog']);
/** Elements that start and end a paragraph. */
const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'aside', 'address', 'figure', 'figcaption', 'dl', 'dt', 'dd',
  'form', 'fieldset', 'legend', 'details', 'summary', 'center', 'caption', 'hgroup', 'body', 'html', 'hr', 'table', 'tbody', 'thead', 'tfoot',
]);

/** A paragraph of output; consecutive items of one list (or rows of one table), same `group`, stay on adjacent lines. */
export type Block = { text: string; kind: 'para' | 'item' | 'row' | 'code'; group?: number };

/** Collapse whitespace the way a browser shows it; `\0` marks a forced line break (`<br>`). */
function collapse(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .split('\0')
    .map((l) => l.trim())
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}

/** Join blocks: list items and table rows stay on consecutive lines, paragraphs get a blank line between. */
export function joinBlocks(blocks: Block[]): string {
  let out = '';
  blocks.forEach((b, i) => {
    const prev = blocks[i - 1];
    if (i > 0) out += b.kind === prev.kind && b.group === prev.group && (b.kind === 'item' || b.kind === 'row') ? '\n' : '\n\n';
    out += b.text;
  });
  return out;
}

/**
 * HTML → readable text, structure kept: headings as `# Title` lines, paragraphs separated by
 * blank lines, `<pre>` kept verbatim in a fenced block, list items as `- item` (`1. item`), table
 * rows as `a | b | c`, quotes as `> `. script/style/nav/footer (and other non-text elements)
 * are dropped with their content. Streaming and iterative, so deeply nested markup cannot
 * overflow the stack.
 */
export function htmlToDoc(html: string, opts: HtmlOptions = {}): Doc {
  const blocks: Block[] = [];
  let buf = '';
  let title: string | null = null;
  let titleBuf: string | undefined;
  let inTitle = 0;
  let firstH1: string | null = null;
  let skip = 0;
  let head = 0;
  let heading = 0;
  let quote = 0;
  let pre = 0;
  let preBuf = '';
  let preLang = '';
  const lists: { ordered: boolean; n: number }[] = [];
  const items: { marker: string; indent: number; used: boolean }[] = [];
  const cells: string[] = [];
  const rows: string[][] = [];
  const stack: { tag: string; close?: () => void }[] = [];
  let groups = 0;
  let listGroup = 0;
  const tableGroups: number[] = [];

  const emit = (text: string, kind: Block['kind']) => {
    if (quote) text = text.split('\n').map((l) => '> '.repeat(quote) + l).join('\n');
    blocks.push({ text, kind, group: kind === 'item' ? listGroup : kind === 'row' ? tableGroups[tableGroups.length - 1] : undefined });
  };
  const flush = () => {
    if (cells.length) {
      // a block inside a table cell: keep the cell on one line
      buf += ' ';
      return;
    }
    const text = collapse(buf);
    buf = '';
    if (!text) return;
    let prefix = '';
    if (heading) {
      prefix = '#'.repeat(heading) + ' ';
      if (heading === 1 && firstH1 === null) firstH1 = text.replace(/\n/g, ' ');
    }
    const item = items[items.length - 1];
    if (item) {
      const lead = item.used ? ' '.repeat(item.indent + item.marker.length) : ' '.repeat(item.indent) + item.marker;
      item.used = true;
      const cont = ' '.repeat(item.indent + item.marker.length);
      emit(lead + prefix + text.split('\n').join('\n' + cont), 'item');
      return;
    }
    emit(prefix + text, 'para');
  };

  const parser = new Parser(
    {
      onopentag(tag, attrs) {
        const entry: { tag: string; close?: () => void } = { tag };
        stack.push(entry);
        if (skip) {
          skip++;
          entry.close = () => skip--;
          return;
        }
        if (DROP.has(tag)) {
          skip++;
          entry.close = () => skip--;
          return;
        }
        if (tag === 'title' && title === null && titleBuf === undefined) {
          titleBuf = '';
          inTitle++;
          entry.close = () => {
            inTitle--;
            title = collapse(titleBuf ?? '').replace(/\n/g, ' ') || null;
          };
          return;
        }
        if (tag === 'head') {
          head++;
          entry.close = () => head--;
          return;
        }
        if (pre) {
          if (tag === 'br') preBuf += '\n';
          if (tag === 'code' && !preLang) preLang = languageOf(attrs.class);
          return;
        }
        const h = /^h([1-6])$/.exec(tag);
        if (h) {
          flush();
          heading = Number(h[1]);
          entry.close = () => {
            flush();
            heading = 0;
          };
          return;
        }
        switch (tag) {
          case 'br':
            buf += '\0';
            return;
          case 'pre':
            flush();
            pre++;
            preBuf = '';
            preLang = languageOf(attrs.class);
            entry.close = () => {
              pre--;
              const code = preBuf.replace(/^\r?\n/, '').replace(/\s+$/, '');
              if (code) emit('```' + preLang + '\n' + code + '\n```', 'code');
            };
            return;
          case 'ul':
          case 'ol':
            flush();
            if (!lists.length) listGroup = ++groups;
            lists.push({ ordered: tag === 'ol', n: tag === 'ol' && /^\d+$/.test(attrs.start ?? '') ? Number(attrs.start) : 1 });
            entry.close = () => {
              flush();
              lists.pop();
            };
            return;
          case 'li': {
            flush();
            const list = lists[lists.length - 1];
            const marker = list?.ordered ? `${list.n++}. ` : '- ';
            items.push({ marker, indent: Math.max(0, lists.length - 1) * 2, used: false });
            entry.close = () => {
              flush();
              items.pop();
            };
            return;
          }
          case 'blockquote':
            flush();
            quote++;
            entry.close = () => {
              flush();
              quote--;
            };
            return;
          case 'tr':
            if (!cells.length) flush();
            rows.push([]);
            entry.close = () => {
              const row = rows.pop() ?? [];
              if (row.some((c) => c)) {
                if (cells.length) buf += ' ' + row.join(' | ') + ' ';
                else emit(row.join(' | '), 'row');
              }
            };
            return;
          case 'td':
          case 'th':
            cells.push(buf);
            buf = '';
            entry.close = () => {
              const cell = collapse(buf).replace(/\n/g, ' ');
              buf = cells.pop() ?? '';
              rows[rows.length - 1]?.push(cell);
            };
            return;
          case 'a': {
            const href = attrs.href?.trim();
            if (!opts.links || !href || href.startsWith('#') || /^javascript:/i.test(href)) return;
            const at = buf.length;
            entry.close = () => {
              if (at > buf.length) return;
              const inner = collapse(buf.slice(at)).replace(/\n/g, ' ');
              if (inner) buf = `${buf.slice(0, at)}[${inner}](${href})`;
            };
            return;
          }
          case 'code': {
            const at = buf.length;
            entry.close = () => {
              if (at > buf.length) return;
              const inner = collapse(buf.slice(at)).replace(/\n/g, ' ');
              if (inner) buf = `${buf.slice(0, at)}\`${inner}\``;
            };
            return;
          }
        }
        if (tag === 'table') {
          flush();
          tableGroups.push(++groups);
          entry.close = () => {
            flush();
            tableGroups.pop();
          };
          return;
        }
        if (BLOCK.has(tag)) {
          flush();
          entry.close = flush;
        }
      },
      onclosetag(tag) {
        // htmlparser2 closes every element it opened, innermost first; be safe if one is skipped
        let i = stack.length - 1;
        while (i >= 0 && stack[i].tag !== tag) i--;
        if (i < 0) return;
        while (stack.length > i) stack.pop()!.close?.();
      },
      ontext(data) {
        if (skip) return;
        const t = data.replace(/\0/g, '');
        if (inTitle) {
          titleBuf += t;
          return;
        }
        if (head) return;
        if (pre) preBuf += t;
        else buf += t;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  flush();
  return { text: joinBlocks(blocks), title: title ?? firstH1 };
}

function languageOf(cls: string | undefined): string {
  const m = /(?:^|\s)(?:language|lang)-([\w+#.-]+)/.exec(cls ?? '');
  return m ? m[1] : '';
}

/** The charset a page declares in its first bytes (`<meta charset>` or http-equiv), lowercased. */
export function declaredCharset(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  const m = /<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)/i.exec(head);
  return m?.[1].toLowerCase();
}

/** Page bytes → text: UTF-8, or the legacy charset the page declares; undefined when neither decodes. */
export function decodeHtml(bytes: Uint8Array): { text: string } | { error: string; offset: number } {
  const utf8 = decodeUtf8(bytes);
  if ('text' in utf8) return utf8;
  const cs = declaredCharset(bytes);
  if (cs && cs !== 'utf-8' && cs !== 'utf8') {
    try {
      return { text: new TextDecoder(cs).decode(bytes) };
    } catch {
      // an unknown label: fall through to the UTF-8 error
    }
  }
  return utf8;
}

export async function* readHtml(input: SourceInput, params: Params): AsyncIterable<ReadItem> {
  const bytes = await readWhole(input);
  const decoded = decodeHtml(bytes);
  if ('error' in decoded) {
    yield invalidUtf8Reject(input, decoded.offset, bytes);
    return;
  }
  const doc = htmlToDoc(decoded.text, { links: params.links === true });
  yield { row: { text: doc.text, title: doc.title, path: input.label }, line: 1 };
}

export const html = defineOp({
  name: 'html',
  version: 1,
  kind: 'source',
  summary: 'read HTML pages as text with their structure kept (headings, lists, tables, code), one row per file',
  doc:
    'Columns: `text`, `title` (the <title>, else the first <h1>, else null) and `path`. script, style, nav, footer, noscript, svg, iframe and form controls are dropped with their content; paragraphs are separated by blank lines; headings become `# Title` lines; <pre> blocks are kept verbatim in ``` fences (language from a `language-x` class); list items become `- item` or `1. item` (nested lists indented); table rows become `a | b | c`; quotes `> `. Link text is kept; `links: true` keeps targets too, as `[text](url)`. Pages are read as UTF-8, or in the legacy charset their <meta> declares; a page that is neither is rejected with the offset of its first bad byte. `.gz` files are read transparently.',
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'file, folder or glob, relative to the recipe' },
    { name: 'links', type: { kind: 'bool' }, default: false, doc: 'keep link targets as [text](url) (default: link text only)' },
  ],
  describe: (p) => `html ${p.path}`,
  schema(ctx) {
    checkFilesExist(ctx);
    return { columns: withProvenance([{ name: 'text', type: 'string' }, { name: 'title', type: 'string' }, { name: 'path', type: 'string' }]) };
  },
  source: {
    inputs: pathInputs,
    read: readHtml,
  },
});
