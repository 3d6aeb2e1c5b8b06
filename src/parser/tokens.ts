/**
 * Tokens of the .ftr language. Every top-level item starts with a keyword, so newlines carry
 * no meaning except one rule the parser applies: a call's bare arguments stay on its line.
 */
import { createToken, Lexer, type CustomPatternMatcherFunc, type IToken, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\uFEFF]+/, group: Lexer.SKIPPED });
/** `##` prose: the notebook's text cells. Kept (in a group) so the AST and formatter see them. */
export const Prose = createToken({ name: 'Prose', pattern: /##[^\r\n]*/, group: 'comments', label: "'## prose'" });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: 'comments', label: "'# comment'" });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });
/** Names allowed after `name:` even when they are keywords (`seed: 7`). */
export const AnyName = createToken({ name: 'AnyName', pattern: Lexer.NA, label: 'a name' });
/** Names usable as values (columns, params): identifiers and item keywords, not operators. */
export const ValueName = createToken({ name: 'ValueName', pattern: Lexer.NA, label: 'a name' });
Identifier.CATEGORIES = [AnyName, ValueName];

function keyword(word: string, valueName = false): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: valueName ? [AnyName, ValueName] : [AnyName],
    label: `'${word}'`,
  });
}

export const Recipe = keyword('recipe', true);
export const Seed = keyword('seed', true);
export const Param = keyword('param', true);
export const Use = keyword('use', true);
export const As = keyword('as');
export const Source = keyword('source', true);
export const Cell = keyword('cell', true);
export const Show = keyword('show', true);
export const Export = keyword('export', true);
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');
export const In = keyword('in');
export const True = keyword('true');
export const False = keyword('false');
export const Null = keyword('null');

export const ITEM_KEYWORDS = ['recipe', 'seed', 'param', 'use', 'source', 'cell', 'show', 'export'];
export const KEYWORDS = [...ITEM_KEYWORDS, 'as', 'and', 'or', 'not', 'in', 'true', 'false', 'null'];

/** Tokens after which `/` and `.` continue a value (division, member access) instead of starting a literal. */
const VALUE_ENDERS = new Set(['Identifier', 'Number', 'UnitNumber', 'StringLit', 'RParen', 'RBracket', 'RBrace', 'FieldPath', 'Regex', 'True', 'False', 'Null', ...ITEM_KEYWORD_TOKENS()]);

/** Item keywords are names inside values (`keep source / 2`), so they end values too. */
function ITEM_KEYWORD_TOKENS(): string[] {
  return ['Recipe', 'Seed', 'Param', 'Use', 'Source', 'Cell', 'Show', 'Export'];
}

function afterValue(matched: IToken[]): boolean {
  const prev = matched[matched.length - 1];
  return prev !== undefined && VALUE_ENDERS.has(prev.tokenType.name);
}

const regexBody = /\/((?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+)\/([dgimsuy]*)/y;
const matchRegex: CustomPatternMatcherFunc = (text, offset, matched) => {
  if (afterValue(matched)) return null;
  regexBody.lastIndex = offset;
  return regexBody.exec(text);
};
/** `/refund|charge ?back/i` — only where a value may start, so `a / b` stays a division. */
export const Regex = createToken({ name: 'Regex', pattern: matchRegex, line_breaks: false, start_chars_hint: ['/'], label: 'a regex' });

const fieldPathBody = /\.[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*/y;
const matchFieldPath: CustomPatternMatcherFunc = (text, offset, matched) => {
  if (afterValue(matched)) return null;
  fieldPathBody.lastIndex = offset;
  return fieldPathBody.exec(text);
};
/** `.body.text`, `.messages[0].content` — a path into a raw input record. */
export const FieldPath = createToken({ name: 'FieldPath', pattern: matchFieldPath, line_breaks: false, start_chars_hint: ['.'], label: 'a field path' });

export const UNITS = ['%', 'KiB', 'MiB', 'GiB', 'TiB', 'KB', 'MB', 'GB', 'TB', 'ms', 'min', 'bn', 'B', 'k', 'K', 'M', 's', 'h', 'd'];
const NUMBER_BODY = String.raw`\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?`;
/** `80%`, `5k`, `2.5M`, `512MB`, `30s`: a number with a unit, no space between. */
export const UnitNumber = createToken({
  name: 'UnitNumber',
  pattern: new RegExp(`${NUMBER_BODY}(?:${UNITS.map((u) => u.replace('%', '%')).join('|')})(?![A-Za-z0-9_])`),
  label: 'a number with a unit',
});
export const NumberLit = createToken({ name: 'Number', pattern: new RegExp(NUMBER_BODY), label: 'a number' });
export const StringLit = createToken({
  name: 'StringLit',
  pattern: /"(?:[^"\\\n]|\\.)*"/,
  label: 'a string',
});
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n]|\\.)*/, label: 'an unterminated string' });

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: "'->'" });
export const Pipe = createToken({ name: 'Pipe', pattern: /\|/, label: "'|'" });
export const Eq2 = createToken({ name: 'Eq2', pattern: /==/, label: "'=='" });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/, label: "'!='" });
export const LessEq = createToken({ name: 'LessEq', pattern: /<=/, label: "'<='" });
export const GreaterEq = createToken({ name: 'GreaterEq', pattern: />=/, label: "'>='" });
export const Less = createToken({ name: 'Less', pattern: /</, label: "'<'" });
export const Greater = createToken({ name: 'Greater', pattern: />/, label: "'>'" });
export const Tilde = createToken({ name: 'Tilde', pattern: /~/, label: "'~'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, label: "';'" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: 'Slash', pattern: /\//, label: "'/'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });

export const allTokens: TokenType[] = [
  WhiteSpace,
  Prose,
  Comment,
  Regex,
  FieldPath,
  UnitNumber,
  NumberLit,
  StringLit,
  UnterminatedString,
  Arrow,
  Eq2,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  Tilde,
  Equals,
  Colon,
  Comma,
  Semicolon,
  Pipe,
  Dot,
  Plus,
  Minus,
  Star,
  Slash,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Recipe,
  Seed,
  Param,
  Use,
  As,
  Source,
  Cell,
  Show,
  Export,
  And,
  Or,
  Not,
  In,
  True,
  False,
  Null,
  Identifier,
  AnyName,
  ValueName,
];

export const ftrLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });
