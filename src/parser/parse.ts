/**
 * Text → AST plus every syntax diagnostic of the file. Each top-level item is parsed on its own
 * (items start with keywords), so an error in one item never hides errors in the next.
 */
import { CODES } from './codes.js';
import type { IRecognitionException, IToken, TokenType } from 'chevrotain';
import type { Comment, Item, RecipeFile, Span } from './ast.js';
import { AstBuilder } from './cst-to-ast.js';
import { capDiagnostics, diag, type Diagnostic } from './diagnostics.js';
import { MAX_ITEM_ERRORS, parser, TooManyErrors } from './parser.js';
import { closest } from './suggest.js';
import { ftrLexer, ITEM_KEYWORDS, KEYWORDS } from './tokens.js';

export interface ParseResult {
  ast: RecipeFile;
  diagnostics: Diagnostic[];
}

export function parseRecipe(source: string, file: string): ParseResult {
  const builder = new AstBuilder(file);
  const diagnostics: Diagnostic[] = [];
  const lexed = ftrLexer.tokenize(source);

  for (const e of lexed.errors) {
    const span = builder.span({ startOffset: e.offset, startLine: e.line, startColumn: e.column }, { endOffset: e.offset + e.length - 1, endLine: e.line, endColumn: (e.column ?? 1) + e.length - 1 });
    const ch = source.slice(e.offset, e.offset + e.length);
    diagnostics.push(diag(CODES.UNEXPECTED_CHARACTER, `unexpected character ${JSON.stringify(ch.slice(0, 1))}`, span, { label: 'not part of the language' }));
  }

  for (const t of lexed.tokens) {
    if (t.tokenType.name === 'UnterminatedString') {
      diagnostics.push(diag(CODES.UNTERMINATED_STRING, 'unterminated string', builder.span(t), { label: 'this string has no closing quote', help: 'add a `"` before the end of the line' }));
    }
  }

  const comments: Comment[] = (lexed.groups.comments ?? []).map((t: IToken) => ({
    text: t.image,
    prose: t.image.startsWith('##'),
    span: builder.span(t),
  }));

  const items: Item[] = [];
  for (const chunk of splitItems(lexed.tokens)) {
    if (!isItemStart(chunk, 0)) {
      diagnostics.push(strayTokens(chunk, builder));
      continue;
    }
    // the parser, the AST builder and the checker recurse once per level: bound it first
    const deep = tooDeep(chunk);
    if (deep) {
      diagnostics.push(
        diag(CODES.TOO_DEEP, deep.what, builder.span(deep.token), {
          label: 'too deep from here',
          help: 'write the expression flatter (name a part with `derive`, or split a long condition)',
        }),
      );
      continue;
    }
    parser.input = chunk;
    let cst: ReturnType<typeof parser.item> | undefined;
    try {
      cst = parser.item();
    } catch (e) {
      if (!(e instanceof TooManyErrors)) throw e;
    }
    for (const err of parser.errors) {
      // an unterminated string was reported already; what follows from it is noise
      if (err.token.tokenType.name === 'UnterminatedString') continue;
      diagnostics.push(syntaxDiagnostic(err, chunk, builder));
    }
    if (!cst) {
      const last = parser.errors[parser.errors.length - 1];
      diagnostics.push(diag(CODES.TOO_MANY_ERRORS, `too many syntax errors in this item (more than ${MAX_ITEM_ERRORS}): the rest of it was not read`, last ? builder.span(last.token) : builder.span(chunk[0]), { label: 'parsing stopped here' }));
      continue;
    }
    const item = builder.item(cst);
    if (item) items.push(item);
  }
  diagnostics.push(...builder.diagnostics);
  // a `##` after code on the same line is a comment on that line, not prose for what follows
  const codeLines = new Set(lexed.tokens.map((t) => t.startLine));
  attachProse(items, comments.filter((c) => !codeLines.has(c.span.start.line)));
  diagnostics.sort((a, b) => a.span.start.offset - b.span.start.offset);
  return { ast: { file, source, items, comments }, diagnostics: capDiagnostics(diagnostics) };
}

/** Deeper than this, an item is refused before it is parsed (each level is a stack frame or more). */
export const MAX_NESTING = 64;

/** More operators than this in one expression (`1 + 1 + …`) and it is refused: its tree is as deep. */
export const MAX_OPERATORS = 1000;

const OPERATORS = new Set(['Eq2', 'NotEq', 'LessEq', 'GreaterEq', 'Less', 'Greater', 'Tilde', 'Plus', 'Minus', 'Star', 'Slash', 'And', 'Or', 'In', 'Not']);
// tokens that end one expression and start the next (list items, args, stages)
const SEPARATORS = new Set(['Comma', 'Colon', 'Semicolon', 'LBracket', 'LBrace', 'Pipe', 'Arrow']);

/**
 * The first token past MAX_NESTING levels of `(`, `[`, `{` and chained `not` / unary `-`, or
 * past MAX_OPERATORS operators in one expression: with the error and what to do.
 */
function tooDeep(tokens: IToken[]): { token: IToken; what: string } | undefined {
  let depth = 0;
  let prefix = 0;
  let operators = 0;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (name === 'LParen' || name === 'LBracket' || name === 'LBrace') depth++;
    else if (name === 'RParen' || name === 'RBracket' || name === 'RBrace') depth = Math.max(0, depth - 1);
    prefix = name === 'Not' || name === 'Minus' ? prefix + 1 : 0;
    if (SEPARATORS.has(name)) operators = 0;
    else if (OPERATORS.has(name)) operators++;
    if (depth + prefix > MAX_NESTING) return { token: t, what: `nested too deeply: more than ${MAX_NESTING} levels of brackets or prefix operators` };
    if (operators > MAX_OPERATORS) return { token: t, what: `expression too long: more than ${MAX_OPERATORS} operators` };
  }
  return undefined;
}

/**
 * An item keyword starts an item when it is the first token of its line and not an argument
 * name (`seed: 7`); elsewhere it is a plain name (`keep source == "faq"`).
 */
function isItemStart(tokens: IToken[], i: number): boolean {
  const t = tokens[i];
  const firstOnLine = i === 0 || (tokens[i - 1].endLine ?? 0) < (t.startLine ?? 0);
  return firstOnLine && ITEM_KEYWORDS.includes(t.image) && t.tokenType.name !== 'Identifier' && tokens[i + 1]?.tokenType.name !== 'Colon';
}

/** `cel x = …` at the start of a line: a misspelt item keyword, not an argument of the item above. */
function isMisspeltItemStart(tokens: IToken[], i: number): boolean {
  const t = tokens[i];
  return t.startColumn === 1 && t.tokenType.name === 'Identifier' && closest(t.image, ITEM_KEYWORDS) !== undefined;
}

function splitItems(tokens: IToken[]): IToken[][] {
  const chunks: IToken[][] = [];
  let current: IToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if ((isItemStart(tokens, i) || isMisspeltItemStart(tokens, i)) && current.length) {
      chunks.push(current);
      current = [];
    }
    current.push(tokens[i]);
  }
  if (current.length) chunks.push(current);
  return chunks;
}

function strayTokens(chunk: IToken[], b: AstBuilder): Diagnostic {
  const first = chunk[0];
  const span = b.span(first);
  const guess = first.tokenType.name === 'Identifier' ? closest(first.image, ITEM_KEYWORDS) : undefined;
  return diag(CODES.SYNTAX, `expected an item (${ITEM_KEYWORDS.join(', ')}), found ${describe(first)}`, span, {
    label: 'a recipe is a list of items, each starting with a keyword',
    help: guess ? `did you mean \`${guess}\`?` : undefined,
  });
}

const RULE_WHAT: Record<string, string> = {
  recipeItem: 'the recipe name',
  seedItem: 'a whole number seed',
  paramItem: 'a param',
  useItem: 'a path to a .ftr file',
  cellItem: 'a cell',
  pipeline: 'a pipeline',
  stage: 'an op call',
  qname: 'an op or cell name',
  labeledExpr: 'a value',
  expr: 'a value',
  andExpr: 'a value',
  notExpr: 'a value',
  cmpExpr: 'a value',
  addExpr: 'a value',
  mulExpr: 'a value',
  unaryExpr: 'a value',
  postfixExpr: 'a value',
  primary: 'a value',
  list: 'a list',
  block: 'a block',
  parenArgs: 'arguments',
  arg: 'an argument',
};

function syntaxDiagnostic(err: IRecognitionException, chunk: IToken[], b: AstBuilder): Diagnostic {
  let token = err.token;
  const eof = token.tokenType.name === 'EOF' || Number.isNaN(token.startOffset);
  const prev = (err as IRecognitionException & { previousToken?: IToken }).previousToken ?? chunk[chunk.length - 1];
  // A missing `)` or value is noticed at the next line's first token: point at the line it belongs to.
  const pointAfterPrev = eof || (prev && token.startLine !== undefined && prev.endLine !== undefined && token.startLine > prev.endLine);
  const span: Span = pointAfterPrev && prev
    ? b.span({ startOffset: prev.endOffset! + 1, startLine: prev.endLine, startColumn: prev.endColumn! + 1 })
    : b.span(token);
  if (eof) token = prev;
  const found = eof ? 'the end of the item' : describe(token);
  const rule = err.context?.ruleStack?.[err.context.ruleStack.length - 1] ?? '';
  const expected = rule === 'qname' ? RULE_WHAT.qname : expectedFrom(err.message, rule);
  const notes: string[] = [];
  let help: string | undefined;
  if (!eof && token.tokenType.name === 'Identifier') {
    const kw = closest(token.image, KEYWORDS);
    if (kw && expected.includes(`'${kw}'`)) help = `did you mean \`${kw}\`?`;
  }
  // `->` is read only at the top of an argument (parser.ts `labeledExpr`): say where it belongs
  if (!eof && token.tokenType.name === 'Arrow') {
    const inParens = rule === 'paren';
    return diag(CODES.SYNTAX, "unexpected `->`: it only follows a rule's whole condition", b.span(token), {
      label: inParens ? '`->` cannot be inside parentheses' : '`->` is not allowed here',
      help: inParens ? 'move `->` and its label after the closing `)`: `(CONDITION) -> "label"`' : 'a rule clause is `rule NAME: CONDITION -> "label"`: one `->`, after the whole condition',
    });
  }
  if (err.name === 'NotAllInputParsedException') {
    const kw = token.tokenType.name === 'Identifier' ? closest(token.image, KEYWORDS) : undefined;
    return diag(CODES.SYNTAX, `unexpected ${found} after the end of the ${rule.replace(/Item$/, '') || 'item'}`, span, {
      label: 'the item is complete before this',
      help: kw ? `did you mean \`${kw}\`?` : 'start a new item on its own line, or remove this',
    });
  }
  const label = pointAfterPrev ? `expected ${expected} here` : `expected ${expected}`;
  if (rule === 'parenArgs' || expected.includes("')'")) notes.push('an opening `(` needs a matching `)`');
  return diag(CODES.SYNTAX, `expected ${expected}, found ${found}`, span, { label, notes: notes.length ? notes : undefined, help });
}

/** Turn Chevrotain's "one of these possible Token sequences" into a short phrase. */
function expectedFrom(message: string, rule: string): string {
  const alts = [...message.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1].split(',')[0].trim());
  const single = /Expecting (?:token of type )?--> (.+?) <--/.exec(message)?.[1];
  if (single) return single;
  const unique = [...new Set(alts)];
  if (unique.length > 4) return RULE_WHAT[rule] ?? 'something else';
  if (unique.length) return unique.join(' or ');
  return RULE_WHAT[rule] ?? 'something else';
}

export function describe(t: IToken): string {
  const type: TokenType = t.tokenType;
  if (type.name === 'EOF') return 'the end of the file';
  if (type.name === 'Identifier') return `name \`${t.image}\``;
  if (KEYWORDS.includes(t.image) && type.name !== 'StringLit') return `keyword \`${t.image}\``;
  return `\`${t.image.length > 30 ? t.image.slice(0, 27) + '…' : t.image}\``;
}

/** `##` lines directly above an item (no blank line between) become its prose. */
function attachProse(items: Item[], comments: Comment[]): void {
  const prose = comments.filter((c) => c.prose);
  for (const item of items) {
    const lines: string[] = [];
    let line = item.span.start.line - 1;
    for (let i = prose.length - 1; i >= 0; i--) {
      const p = prose[i];
      if (p.span.start.line === line) {
        lines.unshift(p.text.replace(/^##\s?/, ''));
        line--;
      } else if (p.span.start.line < line) break;
    }
    if (lines.length) item.prose = lines.join('\n');
  }
}
