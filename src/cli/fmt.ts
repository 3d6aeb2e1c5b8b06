/**
 * `ftr fmt`: the canonical layout of a recipe, printed from its AST.
 *
 * Layout rules:
 * - one item per line group; items are separated by the user's blank lines (runs collapse to
 *   one), and always by a blank line when either neighbour is a cell (source, cell, show,
 *   export);
 * - a pipeline starts on its item's line; with more than 2 stages, when it would pass 100
 *   columns, or when comments sit between its stages, every `| stage` goes on its own line,
 *   indented two spaces;
 * - an op's arguments are bare (`op a b name: v`) and stay on its line; commas the user wrote
 *   between them are kept, and one is added where the next argument would otherwise continue
 *   the one before (`op a, -1`); an op whose first argument starts with `.` or `/` is written
 *   `op(.x, …)`, because `op .x` does not parse;
 * - lists `[a, b]` and blocks `{ a: 1, b: .x.y }` stay on one line when they fit in 100
 *   columns and hold no comment, else one element per line, indented two spaces more, each
 *   followed by its separator (`;` after a block clause with bare arguments, which a `,`
 *   would extend);
 * - strings are re-escaped; numbers, unit literals, field paths and regexes are printed as
 *   written; parentheses only where precedence needs them;
 * - `#` comments and `##` prose keep their order: a comment on its own line goes with the next
 *   item (or the next stage, block entry or list element when it sits inside one), a comment
 *   at the end of a line stays at the end of that element's line, and the `##` lines right
 *   above an item stay right above it (they are its prose). An item with a comment where no
 *   line can break (inside an op's arguments, inside an expression) is kept as written, only
 *   trailing whitespace trimmed.
 */
import { CODES } from '../parser/codes.js';
import type { Arg, BlockEntry, Comment, Expr, Item, RecipeFile, Span, Stage } from '../parser/ast.js';
import type { Diagnostic } from '../parser/diagnostics.js';
import { parseRecipe } from '../parser/parse.js';
import { ITEM_KEYWORDS, KEYWORDS } from '../parser/tokens.js';

/** Lines are kept within this many columns where the layout allows. */
export const WIDTH = 100;

/** Canonical text of a recipe, or its syntax errors (a file that does not parse is left alone). */
export function formatFile(text: string, file: string): { text?: string; diagnostics: Diagnostic[] } {
  const { ast, diagnostics } = parseRecipe(text, file);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const out = formatRecipe(ast);
  // Never hand back text that means something else: re-read what was printed.
  const again = parseRecipe(out, file);
  if (again.diagnostics.length || canonicalJson(again.ast) !== canonicalJson(ast)) {
    const span: Span = ast.items[0]?.span ?? { file, start: { line: 1, col: 1, offset: 0 }, end: { line: 1, col: 2, offset: 1 } };
    return {
      diagnostics: [
        {
          code: CODES.FORMAT_INTERNAL.code,
          severity: 'error',
          message: 'internal error: formatting would change this recipe, so it was left as it is',
          span,
          label: 'please report this file',
        },
      ],
    };
  }
  return { text: out, diagnostics };
}

/**
 * The AST with spans and source dropped, comments reduced to their trimmed text, as JSON:
 * two files with equal `canonicalJson` mean the same and carry the same comments in order.
 */
export function canonicalJson(ast: RecipeFile): string {
  const items = JSON.stringify(ast.items, (key, value: unknown) => {
    if (key === 'span' || key === 'nameSpan' || key === 'pathSpan' || key === 'calleeSpan') return undefined;
    if (key === 'prose' && typeof value === 'string') return value.split('\n').map(trimEnd).join('\n');
    return value;
  });
  return `{"items":${items},"comments":${JSON.stringify(ast.comments.map((c) => trimEnd(c.text)))}}`;
}

/** Print a parsed (error-free) recipe in canonical form. */
export function formatRecipe(ast: RecipeFile): string {
  return new Printer(ast).file();
}

// ---------------------------------------------------------------------------------------------
// Comment placement

type Element = object;

/** Where the comments inside items go. Keys are AST nodes (stages, block entries, list items, containers). */
class Attachments {
  /** own-line comments printed on the lines before an element */
  readonly leading = new Map<Element, Comment[]>();
  /** a comment printed at the end of an element's last line */
  readonly trailing = new Map<Element, Comment>();
  /** a comment after a container's opening bracket */
  readonly afterOpen = new Map<Element, Comment>();
  /** own-line comments before a container's closing bracket */
  readonly dangling = new Map<Element, Comment[]>();
  /** pipelines, blocks and lists that must be broken over lines because they hold comments */
  readonly broken = new Set<Element>();

  push(map: Map<Element, Comment[]>, key: Element, c: Comment): void {
    const list = map.get(key);
    if (list) list.push(c);
    else map.set(key, [c]);
  }
}

const inside = (span: Span, c: Comment) => c.span.start.offset > span.start.offset && c.span.start.offset < span.end.offset;

/** Attach a comment that lies inside `item`; false when no line break can hold it there. */
function placeInItem(item: Item, c: Comment, a: Attachments): boolean {
  if (item.kind === 'param') return placeInExpr(item.value, c, a);
  if (item.kind !== 'cell') return false;
  const stages = item.pipeline.stages;
  if (!stages.length || c.span.start.offset < stages[0].span.start.offset) return false;
  return placeInSequence(stages, item.pipeline, c, a, (s) => placeInStage(s, c, a), false);
}

function placeInStage(stage: Stage, c: Comment, a: Attachments): boolean {
  return stage.args.some((arg) => inside(arg.span, c) && placeInExpr(arg.value, c, a));
}

function placeInExpr(e: Expr, c: Comment, a: Attachments): boolean {
  switch (e.kind) {
    case 'list':
      if (!inside(e.span, c)) return false;
      return placeInSequence(e.items, e, c, a, (x) => placeInExpr(x, c, a), true);
    case 'block':
      if (!inside(e.span, c)) return false;
      return placeInSequence(e.entries, e, c, a, (en) => (en.kind === 'setting' ? placeInExpr(en.value, c, a) : placeInStage(en.stage, c, a)), true);
    case 'member':
      return placeInExpr(e.object, c, a);
    case 'call':
      return e.args.some((arg) => placeInExpr(arg.value, c, a));
    case 'binary':
      return placeInExpr(e.left, c, a) || placeInExpr(e.right, c, a);
    case 'unary':
      return placeInExpr(e.operand, c, a);
    default:
      return false;
  }
}

/** A comment in a sequence container: inside one element (recurse), or in a gap between elements. */
function placeInSequence<T extends { span: Span }>(
  elements: T[],
  container: Element,
  c: Comment,
  a: Attachments,
  into: (el: T) => boolean,
  bracketed: boolean,
): boolean {
  const within = elements.find((el) => inside(el.span, c));
  if (within) return into(within);
  const prev = [...elements].reverse().find((el) => el.span.end.offset <= c.span.start.offset);
  const next = elements.find((el) => el.span.start.offset >= c.span.end.offset);
  const line = c.span.start.line;
  if (prev && prev.span.end.line === line) {
    if (a.trailing.has(prev)) return false;
    a.trailing.set(prev, c);
  } else if (!prev && bracketed && (container as { span: Span }).span.start.line === line) {
    if (a.afterOpen.has(container)) return false;
    a.afterOpen.set(container, c);
  } else if (next) {
    a.push(a.leading, next, c);
  } else if (bracketed) {
    a.push(a.dangling, container, c);
  } else {
    return false;
  }
  a.broken.add(container);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Expressions

/**
 * Binding strength: -> < or < and < not < comparisons < + - < * / < unary - < .member < primary.
 * `->` (a rule's `CONDITION -> LABEL`) only heads an argument, so it is never parenthesized.
 */
const PREC: Record<string, number> = {
  '->': 0,
  or: 1,
  and: 2,
  '==': 4,
  '!=': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '~': 4,
  in: 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
};
const CMP = 4;
const NOT = 3;
const UNARY = 7;
const POSTFIX = 8;
const PRIMARY = 9;

function precOf(e: Expr): number {
  switch (e.kind) {
    case 'binary':
      return PREC[e.op];
    case 'unary':
      return e.op === 'not' ? NOT : UNARY;
    case 'member':
      return POSTFIX;
    default:
      return PRIMARY;
  }
}

/** Forces parentheses: no expression binds this tightly. */
const PARENS = PRIMARY + 1;

/**
 * Keywords the lexer does not count as the end of a value: after them `/` starts a regex and
 * `.x` a field path. Item keywords are names in values (`keep source == "faq"`) and any keyword
 * may be a member name (`x.in`), so `source / 2` and `(x.in).y` need their parentheses.
 */
const LOOSE_ENDS = new Set(KEYWORDS.filter((k) => !['true', 'false', 'null'].includes(k)));

/** True when `e`, printed at this precedence, ends with a keyword the lexer does not see as a value. */
function endsLoose(e: Expr, min: number): boolean {
  if (precOf(e) < min) return false;
  switch (e.kind) {
    case 'name':
      return LOOSE_ENDS.has(e.name);
    case 'member':
      return LOOSE_ENDS.has(e.name);
    case 'binary':
      return endsLoose(e.right, operandPrec(e, 'right'));
    case 'unary':
      return endsLoose(e.operand, e.op === 'not' ? NOT : UNARY);
    default:
      return false;
  }
}

/** The precedence each operand of `e` must reach to be printed without parentheses. */
function operandPrec(e: Expr & { kind: 'binary' }, side: 'left' | 'right'): number {
  const p = PREC[e.op];
  if (side === 'left' && e.op === '/' && endsLoose(e.left, p)) return PARENS;
  // comparisons and `->` do not chain: `(a == b) == c`
  if (p === CMP || e.op === '->') return p + 1;
  return side === 'left' ? p : p + 1;
}

/** The precedence the object of a member access must reach (`(.a.b).c`, not `.a.b.c`). */
function objectPrec(e: Expr & { kind: 'member' }): number {
  return e.object.kind === 'field' || endsLoose(e.object, POSTFIX) ? PARENS : POSTFIX;
}

/** The first character `e` prints as, at the given context precedence. */
function leadChar(e: Expr, min: number): string {
  if (precOf(e) < min) return '(';
  switch (e.kind) {
    case 'binary':
      return leadChar(e.left, operandPrec(e, 'left'));
    case 'unary':
      return e.op === 'not' ? 'n' : '-';
    case 'member':
      return leadChar(e.object, objectPrec(e));
    case 'number':
    case 'unit':
      return e.raw[0];
    case 'string':
      return '"';
    case 'regex':
      return '/';
    case 'field':
      return '.';
    case 'list':
      return '[';
    case 'block':
      return '{';
    case 'call':
      return e.callee[0];
    case 'name':
      return e.name[0];
    case 'bool':
      return e.value ? 't' : 'f';
    case 'null':
      return 'n';
    case 'error':
      throw new Error('cannot format a recipe with syntax errors');
  }
}

/** The name `e` starts with when printed at this precedence (`source` in `source == "faq"`). */
function leadName(e: Expr, min: number): string | undefined {
  if (precOf(e) < min) return undefined;
  switch (e.kind) {
    case 'binary':
      return leadName(e.left, operandPrec(e, 'left'));
    case 'member':
      return leadName(e.object, objectPrec(e));
    case 'call':
      return e.callee;
    case 'name':
      return e.name;
    default:
      return undefined;
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A string literal that reads back as `value`. */
export function quote(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    const code = value.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\0') out += '\\0';
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length && value.charCodeAt(i + 1) >= 0xdc00 && value.charCodeAt(i + 1) <= 0xdfff) {
      out += ch + value[++i]; // a well-formed surrogate pair
    } else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff) || code === 0x2028 || code === 0x2029 || code === 0xfeff) {
      out += `\\u{${code.toString(16)}}`;
    } else out += ch;
  }
  return out + '"';
}

/** A block key or recipe name: bare when it reads back as a name, else a string. */
function key(name: string, keywordsOk: boolean): string {
  return IDENT.test(name) && (keywordsOk || !KEYWORDS.includes(name)) ? name : quote(name);
}

// ---------------------------------------------------------------------------------------------
// The printer

/** Text being built line by line; `col` is the length of the current line. */
class Out {
  text = '';
  /** the column the text starts at */
  constructor(private readonly base = 0) {}
  get col(): number {
    const nl = this.text.lastIndexOf('\n');
    return nl < 0 ? this.base + this.text.length : this.text.length - nl - 1;
  }
  add(s: string): this {
    this.text += s;
    return this;
  }
  newline(indent: number): this {
    this.text += '\n' + ' '.repeat(indent);
    return this;
  }
  comment(c: Comment): this {
    this.text += (this.col > 0 && !this.text.endsWith(' ') ? ' ' : '') + trimEnd(c.text);
    return this;
  }
}

function trimEnd(s: string): string {
  return s.replace(/[ \t\r\f\v\uFEFF]+$/, '');
}

interface TopEntry {
  kind: 'item' | 'comment';
  item?: Item;
  comment?: Comment;
  /** source lines this entry starts and ends on (a trailing comment moved to prose: its own) */
  startLine: number;
  endLine: number;
}

class Printer {
  private readonly a = new Attachments();
  /** items kept as written because a comment inside them has no line to go on */
  private readonly verbatim = new Set<Item>();
  /** the comment at the end of an item's last line */
  private readonly itemTrailing = new Map<Item, Comment>();

  constructor(private readonly ast: RecipeFile) {}

  file(): string {
    const { items, comments } = this.ast;
    const sorted = [...comments].sort((x, y) => x.span.start.offset - y.span.start.offset);
    const prose = this.proseChains();
    const top: Comment[] = [];
    for (const c of sorted) {
      const prev = lastItemBefore(items, c.span.start.offset);
      if (prev && inside(prev.span, c)) {
        if (!this.verbatim.has(prev) && !placeInItem(prev, c, this.a)) this.verbatim.add(prev);
        continue;
      }
      const sameLine = prev !== undefined && prev.span.end.line === c.span.start.line;
      if (sameLine && !prose.has(c) && !this.itemTrailing.has(prev)) {
        this.itemTrailing.set(prev, c);
      } else top.push(c);
    }

    const entries: TopEntry[] = [
      ...items.map((item): TopEntry => ({ kind: 'item', item, startLine: item.span.start.line, endLine: item.span.end.line })),
      ...top.map((comment): TopEntry => ({ kind: 'comment', comment, startLine: comment.span.start.line, endLine: comment.span.start.line })),
    ].sort((x, y) => offsetOf(x) - offsetOf(y));

    let out = '';
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (i > 0) out += this.blankBefore(entries, i) ? '\n\n' : '\n';
      out += e.kind === 'item' ? this.item(e.item!) : trimEnd(e.comment!.text);
    }
    return out ? out + '\n' : '';
  }

  /** `##` comments that are some item's prose: the run of `##`-only lines right above it, as the parser attaches them. */
  private proseChains(): Set<Comment> {
    const codeLines = new Set<number>();
    for (const item of this.ast.items) for (let l = item.span.start.line; l <= item.span.end.line; l++) codeLines.add(l);
    const byLine = new Map<number, Comment>();
    for (const c of this.ast.comments) if (c.prose && !codeLines.has(c.span.start.line)) byLine.set(c.span.start.line, c);
    const prose = new Set<Comment>();
    for (const item of this.ast.items) {
      for (let line = item.span.start.line - 1; byLine.has(line); line--) prose.add(byLine.get(line)!);
    }
    return prose;
  }

  private blankBefore(entries: TopEntry[], i: number): boolean {
    const prev = entries[i - 1];
    const cur = entries[i];
    if (cur.startLine - prev.endLine >= 2) return true;
    if (prev.kind !== 'item') return false;
    // cells are set apart by a blank line: here, unless the user put one further down
    let k = i;
    while (k < entries.length && entries[k].kind !== 'item') k++;
    if (k === entries.length) return false;
    for (let j = i + 1; j <= k; j++) if (entries[j].startLine - entries[j - 1].endLine >= 2) return false;
    return isCell(prev.item!) || isCell(entries[k].item!);
  }

  private item(item: Item): string {
    const out = new Out();
    if (this.verbatim.has(item)) {
      const { source } = this.ast;
      out.add(source.slice(item.span.start.offset, item.span.end.offset).split(/\r?\n/).map(trimEnd).join('\n'));
    } else {
      switch (item.kind) {
        case 'recipe':
          out.add(`recipe ${key(item.name, false)}`);
          break;
        case 'seed': {
          const text = this.ast.source.slice(item.span.start.offset, item.span.end.offset);
          out.add(`seed ${/(\S+)$/.exec(text)?.[1] ?? String(item.value)}`);
          break;
        }
        case 'param':
          out.add(`param ${item.name} = `);
          this.expr(out, item.value, 0, 0);
          break;
        case 'use':
          out.add(`use ${quote(item.path)}${item.alias !== undefined ? ` as ${item.alias}` : ''}`);
          break;
        case 'cell':
          out.add(item.keyword === 'show' || item.keyword === 'export' ? `${item.keyword} ` : `${item.keyword} ${item.name} = `);
          this.pipeline(out, item.pipeline.stages, item.pipeline);
          break;
      }
    }
    const trailing = this.itemTrailing.get(item);
    if (trailing) out.comment(trailing);
    return out.text;
  }

  private pipeline(out: Out, stages: Stage[], pipeline: Element): void {
    if (stages.length <= 2 && !this.a.broken.has(pipeline)) {
      const flat = this.flat(out, (o) =>
        stages.forEach((s, i) => {
          if (i > 0) o.add(' | ');
          this.stage(o, s, 0);
        }),
      );
      if (flat !== undefined) {
        out.add(flat);
        return;
      }
    }
    stages.forEach((s, i) => {
      if (i > 0) {
        for (const c of this.a.leading.get(s) ?? []) out.newline(2).comment(c);
        out.newline(2).add('| ');
      }
      this.stage(out, s, 2 * Math.min(i, 1));
      const t = this.a.trailing.get(s);
      if (t) out.comment(t);
    });
  }

  /** Nesting of `flat` calls: inside one, lists and blocks print on one line. */
  private flatDepth = 0;
  /** set inside `flat` when a list or block that holds comments was met */
  private flatFailed = false;

  /** What `print` writes all on one line from `out`'s column, or undefined if that passes WIDTH or cannot be. */
  private flat(out: Out, print: (out: Out) => void): string | undefined {
    const o = new Out(out.col);
    const outer = this.flatFailed;
    this.flatFailed = false;
    this.flatDepth++;
    try {
      print(o);
    } finally {
      this.flatDepth--;
    }
    const failed = this.flatFailed;
    this.flatFailed = outer;
    return failed || o.text.includes('\n') || o.col > WIDTH ? undefined : o.text;
  }

  /** An op call: `op a b name: v`, or `op(.x, …)` when a bare first argument would not parse. */
  private stage(out: Out, s: Stage, indent: number): void {
    out.add(s.name);
    if (!s.args.length) return;
    if (parenForm(s)) {
      this.args(out, s.args, indent);
      return;
    }
    s.args.forEach((arg, i) => {
      if (i > 0) out.add(this.commaBefore(s.args, i) ? ', ' : ' ');
      else out.add(' ');
      this.arg(out, arg, indent);
    });
  }

  /** Keep a comma the user wrote between two bare arguments; add one where it is needed. */
  private commaBefore(args: Arg[], i: number): boolean {
    const next = args[i];
    if (next.name !== undefined ? ['and', 'or', 'in'].includes(next.name) : '-./'.includes(leadChar(next.value, 0))) return true;
    const gap = this.ast.source.slice(args[i - 1].span.end.offset, next.span.start.offset);
    return gap.trimStart().startsWith(',');
  }

  /** `(a, b, name: v)`, on one line. */
  private args(out: Out, args: Arg[], indent: number): void {
    out.add('(');
    args.forEach((arg, i) => {
      if (i > 0) out.add(', ');
      this.arg(out, arg, indent);
    });
    out.add(')');
  }

  private arg(out: Out, arg: Arg, indent: number): void {
    if (arg.name !== undefined) out.add(`${arg.name}: `);
    this.expr(out, arg.value, indent, 0);
  }

  private expr(out: Out, e: Expr, indent: number, min: number): void {
    if (precOf(e) < min) {
      out.add('(');
      this.expr(out, e, indent, 0);
      out.add(')');
      return;
    }
    switch (e.kind) {
      case 'number':
      case 'unit':
        out.add(e.raw);
        return;
      case 'string':
        out.add(quote(e.value));
        return;
      case 'regex':
        out.add(`/${e.source}/${e.flags}`);
        return;
      case 'bool':
        out.add(String(e.value));
        return;
      case 'null':
        out.add('null');
        return;
      case 'name':
        out.add(e.name);
        return;
      case 'field':
        out.add(e.raw);
        return;
      case 'member':
        this.expr(out, e.object, indent, objectPrec(e));
        out.add(`.${e.name}`);
        return;
      case 'call':
        out.add(e.callee);
        this.args(out, e.args, indent);
        return;
      case 'binary':
        this.expr(out, e.left, indent, operandPrec(e, 'left'));
        out.add(` ${e.op} `);
        this.expr(out, e.right, indent, operandPrec(e, 'right'));
        return;
      case 'unary':
        // `- -1`, not `--1`
        out.add(e.op === 'not' ? 'not ' : leadChar(e.operand, UNARY) === '-' ? '- ' : '-');
        this.expr(out, e.operand, indent, e.op === 'not' ? NOT : UNARY);
        return;
      case 'list':
        // on a line of its own, an element starting with an item keyword would start an item
        this.container(out, e, e.items, indent, '[', ']', (o, x, ind, own) => this.expr(o, x, ind, own && ITEM_KEYWORDS.includes(leadName(x, 0) ?? '') ? PARENS : 0), () => ',');
        return;
      case 'block':
        this.container(out, e, e.entries, indent, '{', '}', (o, en, ind) => this.entry(o, en, ind), (en) => (clauseWithBareArgs(en) ? ';' : ','));
        return;
      case 'error':
        throw new Error('cannot format a recipe with syntax errors');
    }
  }

  private entry(out: Out, en: BlockEntry, indent: number): void {
    if (en.kind === 'clause') {
      this.stage(out, en.stage, indent);
      return;
    }
    out.add(`${key(en.name, true)}: `);
    this.expr(out, en.value, indent, 0);
  }

  /** A list or block: on one line when it fits and holds no comment, else one element per line. */
  private container<T extends object>(
    out: Out,
    self: Element,
    elements: T[],
    indent: number,
    open: string,
    close: string,
    /** `ownLine`: the element starts its line */
    print: (out: Out, el: T, indent: number, ownLine: boolean) => void,
    sep: (el: T) => string,
  ): void {
    const printFlat = (o: Out) => {
      if (!elements.length) {
        o.add(open + close);
        return;
      }
      o.add(open === '{' ? '{ ' : open);
      elements.forEach((el, i) => {
        if (i > 0) o.add(sep(elements[i - 1]) + ' ');
        print(o, el, indent, false);
      });
      o.add(open === '{' ? ' }' : close);
    };
    if (this.flatDepth > 0) {
      // part of an enclosing one-line attempt: one line, or that attempt fails
      if (this.a.broken.has(self)) this.flatFailed = true;
      else printFlat(out);
      return;
    }
    if (!this.a.broken.has(self)) {
      const flat = this.flat(out, printFlat);
      if (flat !== undefined) {
        out.add(flat);
        return;
      }
    }
    const inner = indent + 2;
    out.add(open);
    const afterOpen = this.a.afterOpen.get(self);
    if (afterOpen) out.comment(afterOpen);
    for (const el of elements) {
      for (const c of this.a.leading.get(el) ?? []) out.newline(inner).comment(c);
      out.newline(inner);
      print(out, el, inner, true);
      out.add(sep(el));
      const t = this.a.trailing.get(el);
      if (t) out.comment(t);
    }
    for (const c of this.a.dangling.get(self) ?? []) out.newline(inner).comment(c);
    out.newline(indent).add(close);
  }
}

/** The last item (items are in source order) that starts before `offset`. */
function lastItemBefore(items: Item[], offset: number): Item | undefined {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].span.start.offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? items[lo - 1] : undefined;
}

function offsetOf(e: TopEntry): number {
  return e.kind === 'item' ? e.item!.span.start.offset : e.comment!.span.start.offset;
}

function isCell(item: Item): boolean {
  return item.kind === 'cell';
}

/** `op .x` and `op /re/` do not parse (the `.` and `/` read as operators after a name). */
function parenForm(s: Stage): boolean {
  const first = s.args[0];
  return first !== undefined && first.name === undefined && './'.includes(leadChar(first.value, 0));
}

/** A clause `op a b` in a block: a `,` after it would add the next entry to its arguments. */
function clauseWithBareArgs(en: BlockEntry): boolean {
  return en.kind === 'clause' && en.stage.args.length > 0 && !parenForm(en.stage);
}
