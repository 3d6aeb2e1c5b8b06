/**
 * The grammar reference, generated from the parser itself: an EBNF rendering of the parser's
 * serialized GAST productions (`grammarEbnf`) and Chevrotain's railroad-diagram page
 * (`railroadHtml`). `scripts/gen-grammar.mjs` writes them to grammar/; a test checks that the
 * files there match the parser.
 */
import { createSyntaxDiagramsCode, Lexer, type ISerializedGast, type TokenType } from 'chevrotain';
import { parser } from './parser.js';
import { allTokens } from './tokens.js';

/**
 * What the productions cannot show: the parser's gates (line and spacing rules) and the
 * token-level decisions. Keyed by rule name; a test checks every key is still a rule.
 */
export const RULE_NOTES: Record<string, string> = {
  item: "an item keyword starts an item only as the first token of its line; elsewhere it is a name (keep source == \"faq\")",
  stage: "'(' right after the name, with no space, starts parenArgs; bare arguments stay on the stage's line (a trailing ',' carries them to the next)",
  qname: "no space around the dots: parts.train",
  labeledExpr: "a rule clause's CONDITION -> LABEL (rule r: a or b -> \"x\"): '->' binds below 'or' and only at the top of an argument; the checker accepts it only in rule clauses",
  addExpr: "the operator is on the line of the left operand; 'a -1' (space before the minus, none after) is two arguments, 'a - 1' and 'a-1' a subtraction",
  postfixExpr: "no space before the dot: clean.text",
  nameOrCall: "'(' right after the name, with no space, makes a call: len(text)",
};

/** Tokens matched by code rather than a regular expression. */
const TOKEN_NOTES: Record<string, string> = {
  Regex: "'/' body '/' flags, where flags are [dgimsuy]* — only where a value may start (after a value, '/' is division)",
  FieldPath: "'.' name ('.' name | '[' digits ']')* — only where a value may start (after a value, '.' is member access)",
};

const HEADER = `/*
 * The .ftr grammar, generated from the parser (src/parser/parser.ts) by \`npm run grammar\`.
 * Do not edit: change the parser and regenerate.
 *
 * Notation (W3C EBNF): 'x' is a literal token, UPPER_CASE a token class (listed at the end),
 * x? optional, x* zero or more, x+ one or more, ( ) grouping, | alternatives. Whitespace,
 * # comments and ## prose may appear between any two tokens; newlines matter only where a
 * rule's note says so.
 */`;

type Node = ISerializedGast & { name?: string; label?: string; definition?: Node[]; separator?: Node; pattern?: string };

interface Rendered {
  text: string;
  /** needs no parentheses before a postfix operator */
  atomic: boolean;
}

/** UPPER_SNAKE name of a token class: StringLit → STRING_LIT. */
export function tokenClassName(tokenName: string): string {
  return tokenName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function terminal(n: Node): string {
  const label = n.label ?? '';
  return /^'.+'$/.test(label) ? label : tokenClassName(n.name ?? '?');
}

function sequence(defs: Node[] | undefined): Rendered {
  const parts = (defs ?? []).map(node);
  if (parts.length === 1) return parts[0];
  return { text: parts.map((p) => p.text).join(' '), atomic: false };
}

function group(r: Rendered): string {
  return r.atomic ? r.text : `(${r.text})`;
}

function node(n: Node): Rendered {
  switch (n.type) {
    case 'Terminal':
      return { text: terminal(n), atomic: true };
    case 'NonTerminal':
      return { text: n.name ?? '?', atomic: true };
    case 'Option':
      return { text: `${group(sequence(n.definition))}?`, atomic: true };
    case 'Repetition':
      return { text: `${group(sequence(n.definition))}*`, atomic: true };
    case 'RepetitionMandatory':
      return { text: `${group(sequence(n.definition))}+`, atomic: true };
    case 'RepetitionWithSeparator':
    case 'RepetitionMandatoryWithSeparator': {
      const body = sequence(n.definition);
      const sep = n.separator ? terminal(n.separator) : "','";
      const text = `${body.text} (${sep} ${body.text})*`;
      return n.type === 'RepetitionWithSeparator' ? { text: `(${text})?`, atomic: true } : { text, atomic: false };
    }
    case 'Alternation':
      return { text: `(${(n.definition ?? []).map((alt) => sequence(alt.definition).text).join(' | ')})`, atomic: true };
    case 'Alternative':
      return sequence(n.definition);
    default:
      throw new Error(`ebnf: unknown GAST node ${n.type}`);
  }
}

function rule(r: Node): string {
  const name = r.name ?? '?';
  const defs = r.definition ?? [];
  const note = RULE_NOTES[name] ? `\n/* ${RULE_NOTES[name]} */` : '';
  // a rule that is one choice: one alternative per line
  if (defs.length === 1 && defs[0].type === 'Alternation') {
    const pad = ' '.repeat(name.length + 3);
    const alts = (defs[0].definition ?? []).map((alt) => sequence(alt.definition).text);
    return `${name} ::= ${alts.join(`\n${pad}| `)}${note}`;
  }
  return `${name} ::= ${sequence(defs).text}${note}`;
}

function patternText(t: TokenType): string {
  const p = t.PATTERN;
  if (p instanceof RegExp) return p.source;
  if (typeof p === 'string') return JSON.stringify(p);
  return TOKEN_NOTES[t.name] ?? '(matched in code)';
}

function tokenSection(productions: Node[]): string {
  const used = new Set<string>();
  const walk = (n: Node) => {
    if (n.type === 'Terminal' && n.name) used.add(n.name);
    n.definition?.forEach(walk);
    if (n.separator) walk(n.separator);
  };
  productions.forEach(walk);

  const lines: string[] = [];
  // categories (AnyName, ValueName): the tokens they stand for, as rules
  for (const cat of allTokens.filter((t) => used.has(t.name) && t.PATTERN === Lexer.NA)) {
    const members = allTokens.filter((t) => t.CATEGORIES?.includes(cat)).map((t) => (/^'.+'$/.test(t.LABEL ?? '') ? t.LABEL! : tokenClassName(t.name)));
    lines.push(`${tokenClassName(cat.name)} ::= ${members.join(' | ')}`);
  }
  const classes = allTokens.filter(
    (t) => t.PATTERN !== Lexer.NA && (t.GROUP === 'comments' || (used.has(t.name) && !/^'.+'$/.test(t.LABEL ?? ''))),
  );
  const width = Math.max(...classes.map((t) => tokenClassName(t.name).length));
  // `*/` would end the comment; `*\/` means the same in a regular expression
  const table = classes.map((t) => ` * ${tokenClassName(t.name).padEnd(width)}  ${patternText(t).replaceAll('*/', '*\\/')}`);
  return [
    ...lines,
    '',
    '/*',
    ' * Token classes, as JavaScript regular expressions (the longest match wins; a keyword is',
    " * never an IDENTIFIER). Literal tokens such as 'recipe' or '|' match their text. PROSE and",
    ' * COMMENT are kept aside for the formatter and the notebook view.',
    ' *',
    ...table,
    ' */',
  ].join('\n');
}

/** The grammar in EBNF, one rule per parser rule, in the parser's order. */
export function grammarEbnf(): string {
  const productions = parser.getSerializedGastProductions() as Node[];
  return `${HEADER}\n\n${productions.map(rule).join('\n\n')}\n\n${tokenSection(productions)}\n`;
}

/** Names of the parser's rules, in order. */
export function ruleNames(): string[] {
  return (parser.getSerializedGastProductions() as Node[]).map((r) => r.name ?? '');
}

/** Chevrotain's railroad-diagram page for the parser, loading its scripts from `resourceBase` (no CDN). */
export function railroadHtml(resourceBase = 'diagrams/'): string {
  const html = createSyntaxDiagramsCode(parser.getSerializedGastProductions(), { resourceBase, css: `${resourceBase}diagrams.css` });
  return html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n<title>ftr grammar</title>');
}
