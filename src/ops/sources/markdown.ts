import { Lexer } from 'marked';
import { decodeHTML } from 'entities';
import { parse as parseYaml } from 'yaml';
import { defineOp, type Params, type ReadItem, type SourceInput } from '../types.js';
import { withProvenance } from '../common.js';
import { checkFilesExist, pathInputs } from './files.js';
import { decodeUtf8, invalidUtf8Reject, readWhole } from './text.js';
import { htmlToDoc, joinBlocks, type Block, type Doc, type HtmlOptions } from './html.js';

/** The parts of marked's tokens this module reads (all token kinds share this loose shape). */
interface Tok {
  type: string;
  raw?: string;
  text?: string;
  depth?: number;
  lang?: string;
  href?: string;
  tokens?: Tok[];
  ordered?: boolean;
  start?: number | '';
  loose?: boolean;
  items?: (Tok & { task?: boolean; checked?: boolean })[];
  header?: { tokens: Tok[] }[];
  rows?: { tokens: Tok[] }[][];
}

/** `---` YAML front matter at the very start: its title (when it has one) and the body after it. */
export function splitFrontMatter(src: string): { body: string; title: string | null } {
  const m = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(src);
  if (!m) return { body: src, title: null };
  let title: string | null = null;
  try {
    const meta = parseYaml(m[1]) as unknown;
    if (meta && typeof meta === 'object' && typeof (meta as { title?: unknown }).title === 'string') title = (meta as { title: string }).title.trim() || null;
  } catch {
    // not YAML after all: still front matter by shape, so it stays out of the text
  }
  return { body: src.slice(m[0].length), title };
}

function inline(tokens: Tok[] | undefined, opts: HtmlOptions): string {
  let out = '';
  let dropped = false;
  for (const t of tokens ?? []) {
    // a dropped image leaves one space, not two
    if (dropped && out.endsWith(' ') && t.type === 'text' && t.text?.startsWith(' ')) out = out.slice(0, -1);
    dropped = t.type === 'image';
    switch (t.type) {
      case 'text':
        out += t.tokens ? inline(t.tokens, opts) : decodeHTML(t.text ?? '');
        break;
      case 'escape':
        out += t.text ?? '';
        break;
      case 'strong':
      case 'em':
      case 'del':
        out += inline(t.tokens, opts);
        break;
      case 'codespan':
        out += '`' + (t.text ?? '') + '`';
        break;
      case 'link': {
        const inner = inline(t.tokens, opts);
        out += opts.links && t.href && !t.href.startsWith('#') ? `[${inner}](${t.href})` : inner;
        break;
      }
      case 'br':
        out += '\n';
        break;
      case 'image':
      case 'html':
      case 'checkbox':
        // images have no text; inline tags are markup (the text between them is kept)
        break;
      default:
        out += t.tokens ? inline(t.tokens, opts) : decodeHTML(t.text ?? '');
    }
  }
  return out;
}

/** Indent every non-empty line after the first by `pad`, the first by `lead`. */
function hang(text: string, lead: string): string {
  const pad = ' '.repeat(lead.length);
  return text
    .split('\n')
    .map((l, i) => (i === 0 ? lead + l : l ? pad + l : l))
    .join('\n');
}

let groups = 0;

function blocks(tokens: Tok[], opts: HtmlOptions, out: Block[], title: { h1: string | null }): Block[] {
  for (const t of tokens) {
    switch (t.type) {
      case 'heading': {
        const text = inline(t.tokens, opts).trim();
        if (!text) break;
        if (t.depth === 1 && title.h1 === null) title.h1 = text;
        out.push({ text: '#'.repeat(t.depth ?? 1) + ' ' + text, kind: 'para' });
        break;
      }
      case 'paragraph':
      case 'text': {
        const text = (t.tokens ? inline(t.tokens, opts) : decodeHTML(t.text ?? '')).trim();
        if (text) out.push({ text, kind: 'para' });
        break;
      }
      case 'code':
        out.push({ text: '```' + (t.lang ?? '').trim() + '\n' + (t.text ?? '') + '\n```', kind: 'code' });
        break;
      case 'table': {
        const group = ++groups;
        for (const row of [t.header ?? [], ...(t.rows ?? [])]) {
          const cells = row.map((c) => inline(c.tokens, opts).replace(/\s*\n\s*/g, ' ').trim());
          if (cells.some((c) => c)) out.push({ text: cells.join(' | '), kind: 'row', group });
        }
        break;
      }
      case 'list': {
        const start = typeof t.start === 'number' ? t.start : 1;
        const group = ++groups;
        (t.items ?? []).forEach((item, i) => {
          const marker = (t.ordered ? `${start + i}. ` : '- ') + (item.task ? (item.checked ? '[x] ' : '[ ] ') : '');
          const parts = blocks(item.tokens ?? [], opts, [], title);
          // a tight item's text and its nested list stay on adjacent lines
          const inner = t.loose ? joinBlocks(parts) : parts.map((p) => p.text).join('\n');
          out.push({ text: hang(inner, marker), kind: t.loose ? 'para' : 'item', group });
        });
        break;
      }
      case 'blockquote': {
        const inner = joinBlocks(blocks(t.tokens ?? [], opts, [], title));
        if (inner) out.push({ text: inner.split('\n').map((l) => (l ? '> ' + l : '>')).join('\n'), kind: 'para' });
        break;
      }
      case 'html': {
        const text = htmlToDoc(t.text ?? '', opts).text;
        if (text) out.push({ text, kind: 'para' });
        break;
      }
      default:
        // space, hr, link definitions: no text of their own
        break;
    }
  }
  return out;
}

/**
 * Markdown → readable text with its structure kept: `# headings`, fenced code verbatim, tables
 * as `a | b | c` rows, lists as `- item` (nested ones indented), quotes as `> `; emphasis
 * markers dropped, entities decoded. Title: front matter `title:`, else the first `# heading`.
 */
export function markdownToDoc(src: string, opts: HtmlOptions = {}): Doc {
  const { body, title } = splitFrontMatter(src);
  const tokens = Lexer.lex(body, { gfm: true }) as unknown as Tok[];
  const t = { h1: null as string | null };
  const text = joinBlocks(blocks(tokens, opts, [], t));
  return { text, title: title ?? t.h1 };
}

export async function* readMarkdown(input: SourceInput, params: Params): AsyncIterable<ReadItem> {
  const bytes = await readWhole(input);
  const decoded = decodeUtf8(bytes);
  if ('error' in decoded) {
    yield invalidUtf8Reject(input, decoded.offset, bytes);
    return;
  }
  let doc: Doc;
  try {
    doc = markdownToDoc(decoded.text, { links: params.links === true });
  } catch (e) {
    const deep = e instanceof RangeError;
    yield { reject: { reason: 'unreadable Markdown', detail: deep ? 'nested too deeply' : (e as Error).message, location: input.label, raw: decoded.text.slice(0, 200) } };
    return;
  }
  yield { row: { text: doc.text, title: doc.title, path: input.label }, line: 1 };
}

export const markdown = defineOp({
  name: 'markdown',
  version: 1,
  kind: 'source',
  summary: 'read Markdown files as text with their structure kept (headings, code, tables, lists), one row per file',
  doc:
    'Columns: `text`, `title` (front matter `title:`, else the first `# heading`, else null) and `path`. Headings stay `# Title` lines; fenced and indented code is kept verbatim in ``` fences (with its language); tables become one `a | b | c` line per row (header first); list items `- item` / `1. item` / `- [x] task`, nested lists indented; quotes `> `; emphasis markers are dropped and entities decoded; images and HTML tags are dropped (HTML blocks become their text). Link text is kept; `links: true` keeps targets too, as `[text](url)`. YAML front matter is left out of the text. A file that is not valid UTF-8 is rejected with the offset of its first bad byte; `.gz` files are read transparently.',
  params: [
    { name: 'path', type: { kind: 'path', glob: true }, required: true, positional: true, doc: 'file, folder or glob, relative to the recipe' },
    { name: 'links', type: { kind: 'bool' }, default: false, doc: 'keep link targets as [text](url) (default: link text only)' },
  ],
  describe: (p) => `markdown ${p.path}`,
  schema(ctx) {
    checkFilesExist(ctx);
    return { columns: withProvenance([{ name: 'text', type: 'string' }, { name: 'title', type: 'string' }, { name: 'path', type: 'string' }]) };
  },
  source: {
    inputs: pathInputs,
    read: readMarkdown,
  },
});
