/**
 * Rule blocks (`{ kind: 'rules' }` params): clauses `rule NAME: CONDITION -> LABEL option: value`
 * become a typed list of rules. Each condition is checked against the input schema like a `keep`
 * expression, with matcher functions on top that also yield character spans:
 *
 *   matches(col, /re/)          regex (also written `col ~ /re/`)
 *   keywords(col, ["a", "b"])   whole-word terms, case-insensitive unless `case: true`
 *   lexicon(col, "file.txt")    terms from a file, one per line (`gazetteer` is the same); `min: 2` hits
 *
 * The column may be left out (`keywords(["a"])` reads `text`). `->` binds loosest of all (below
 * `or`; the parser reads it only at the top of an argument), so it labels the whole condition
 * without parentheses: `len(text) < 3 -> abstain`, `text ~ /a/ or text ~ /b/ -> "x"`. `label: "x"`
 * is the same as `-> "x"`. `-> abstain` makes a guard: when it fires the row gets no label.
 * Spans of every clause and example are kept in the bound spans (`rules.NAME`,
 * `rules.NAME.examples.match.0`, …) so later checks can point at them.
 */
import { CODES, type CodeInfo } from '../parser/codes.js';
import type { Expr, Span, Stage } from '../parser/ast.js';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import { didYouMean } from '../parser/suggest.js';
import type { ParamSpec } from '../core/op.js';
import { checkExpr, type ExprScope } from './expr.js';
import { FUNCTIONS, type ExprIR } from '../core/expr.js';
import { regexProblem } from '../parser/regex.js';

export type RuleMatcher =
  | { k: 'regex'; col: string; source: string; flags: string }
  | { k: 'terms'; col: string; terms: string[]; case: boolean; min: number }
  | { k: 'lexicon'; col: string; file: string; case: boolean; min: number };

export type RuleCond =
  | { k: 'expr'; ir: ExprIR }
  | { k: 'match'; m: RuleMatcher }
  | { k: 'and' | 'or'; l: RuleCond; r: RuleCond }
  | { k: 'not'; e: RuleCond };

export type RuleLabel = string | number | null;

/** An example row: a string (the value of the rule's first column) or a record of columns. */
export type RuleExample = string | Record<string, unknown>;

export interface RuleIR {
  /** the clause keyword: `rule`, `span`, … */
  kind: string;
  name: string;
  when: RuleCond;
  /** null: `-> abstain` (a guard) */
  label: RuleLabel;
  weight?: number;
  accuracy?: number;
  priority?: number;
  examples?: { match: RuleExample[]; no_match: RuleExample[] };
  /** columns the condition reads, first matcher column first */
  columns: string[];
}

export interface RulesValue {
  rules: RuleIR[];
  /** lexicon files the rules read (relative to the recipe): hashed into cache keys, checked by --allow-read */
  files: string[];
}

export const MATCHERS: Record<string, string> = {
  matches: 'matches(col, /re/) — the regex matches; each match is a span',
  keywords: 'keywords(col, ["a", "b"], case: false) — any of the words or phrases, on word boundaries',
  lexicon: 'lexicon(col, "file.txt", min: 1, case: false) — terms of a file (one per line, # comments); at least `min` hits',
  gazetteer: 'gazetteer(col, "file.txt") — the same as lexicon',
};

export const RULE_OPTIONS: Record<string, string> = {
  label: 'the label, instead of `-> label`',
  weight: 'vote weight (method: weighted)',
  accuracy: 'expected accuracy: vote weight log((k−1)p/(1−p)) (method: weighted)',
  priority: 'higher wins (method: priority, tie: priority, overlapping spans)',
  examples: '{ match: [...], no_match: [...] } checked by `ftr check`',
};

export interface RulesContext {
  scope: ExprScope;
  diagnostics: Diagnostic[];
  spans: Record<string, Span>;
  /** the literal value of an expression (recipe params resolved; bare words as strings) */
  literal(e: Expr): unknown;
}

/** Bind a `{ … }` of rule clauses. Settings (`name: value`) are the op's own params and are skipped here. */
export function checkRules(clauses: readonly string[], e: Expr, spec: ParamSpec, key: string, ctx: RulesContext): RulesValue | undefined {
  const err = (code: CodeInfo, message: string, span: Span, extra: Partial<Diagnostic> = {}) => void ctx.diagnostics.push(diag(code, message, span, extra));
  const shape = `write \`${spec.name === 'rules' ? '' : spec.name + ': '}{ ${clauses[0]} NAME: CONDITION -> "label" }\``;
  if (e.kind !== 'block') {
    err(CODES.BAD_VALUE, `\`${spec.name}\` must be a block of rules`, e.span, { help: shape });
    return undefined;
  }
  const before = ctx.diagnostics.length;
  const rules: RuleIR[] = [];
  const files: string[] = [];
  const seen = new Map<string, Span>();
  for (const entry of e.entries) {
    if (entry.kind === 'setting') continue;
    const stage = entry.stage;
    if (!clauses.includes(stage.name)) {
      err(CODES.BAD_VALUE, `\`${stage.name}\` is not a rule clause`, stage.nameSpan, {
        label: `a rules block holds ${clauses.map((c) => `\`${c} NAME: …\``).join(' and ')} clauses and \`name: value\` settings`,
        help: didYouMean(stage.name, clauses) ?? shape,
      });
      continue;
    }
    const rule = checkClause(stage, clauses, key, ctx, files);
    if (!rule) continue;
    const prev = seen.get(rule.name);
    if (prev) {
      err(CODES.DUPLICATE, `rule \`${rule.name}\` is defined twice`, stage.args[0].nameSpan ?? stage.span, { notes: [`first defined at ${prev.start.line}:${prev.start.col}`] });
      continue;
    }
    seen.set(rule.name, stage.span);
    rules.push(rule);
  }
  if (!rules.length && ctx.diagnostics.length === before) err(CODES.BAD_VALUE, `\`${spec.name}\` has no rules`, e.span, { help: shape });
  return ctx.diagnostics.length > before ? undefined : { rules, files: [...new Set(files)] };
}

function checkClause(stage: Stage, clauses: readonly string[], key: string, ctx: RulesContext, files: string[]): RuleIR | undefined {
  const err = (code: CodeInfo, message: string, span: Span, extra: Partial<Diagnostic> = {}) => void ctx.diagnostics.push(diag(code, message, span, extra));
  const head = stage.args[0];
  if (!head || head.name === undefined) {
    err(CODES.BAD_VALUE, `a \`${stage.name}\` needs a name`, head?.span ?? stage.span, { help: `write \`${stage.name} refund: matches(text, /refund/i) -> "billing"\`` });
    return undefined;
  }
  const name = head.name;
  const before = ctx.diagnostics.length;
  ctx.spans[`${key}.${name}`] = stage.span;
  // `CONDITION -> LABEL`: the parser puts `->` at the top of the value, below `or`
  const arrow = head.value.kind === 'binary' && head.value.op === '->' ? head.value : undefined;
  let labelExpr = arrow?.right;
  const condExpr = arrow?.left ?? head.value;
  const rule: RuleIR = { kind: stage.name, name, when: { k: 'expr', ir: { k: 'lit', value: true } }, label: null, columns: [] };
  for (const arg of stage.args.slice(1)) {
    if (arg.name === undefined) {
      err(CODES.TOO_MANY_ARGS, `too many values for rule \`${name}\``, arg.span, { notes: ['a rule is `NAME: CONDITION -> LABEL`, then options `name: value`'], help: arg.value.kind === 'binary' && arg.value.op === '~' ? undefined : `options: ${Object.keys(RULE_OPTIONS).join(', ')}` });
      continue;
    }
    const opt = arg.name;
    if (arg.value.kind === 'binary' && arg.value.op === '->') {
      err(CODES.ARROW, '`->` comes once per rule, after its condition', arg.value.span, { help: `write \`${stage.name} ${name}: CONDITION -> LABEL\`, then options \`name: value\`` });
      continue;
    }
    if (!(opt in RULE_OPTIONS)) {
      err(CODES.UNKNOWN_PARAM, `rules have no option \`${opt}\``, arg.nameSpan ?? arg.span, { notes: Object.entries(RULE_OPTIONS).map(([k, v]) => `${k}: ${v}`), help: didYouMean(opt, Object.keys(RULE_OPTIONS)) });
      continue;
    }
    if (opt === 'label') {
      if (labelExpr) err(CODES.GIVEN_TWICE, `rule \`${name}\` has two labels`, arg.span, { help: 'give the label once: `-> "x"` or `label: "x"`' });
      labelExpr = arg.value;
      continue;
    }
    if (opt === 'examples') {
      rule.examples = checkExamples(arg.value, `${key}.${name}.examples`, ctx);
      continue;
    }
    const v = ctx.literal(arg.value);
    const n = typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    if (n === undefined) {
      err(CODES.BAD_VALUE, `\`${opt}\` must be a number, found ${describe(arg.value)}`, arg.value.span);
      continue;
    }
    if (opt === 'accuracy') {
      const p = arg.value.kind === 'unit' || n <= 1 ? n : n / 100;
      if (!(p > 0 && p <= 1)) err(CODES.OUT_OF_RANGE, '`accuracy` must be between 0% and 100%', arg.value.span);
      rule.accuracy = p;
    } else if (opt === 'weight') rule.weight = n;
    else rule.priority = n;
  }
  if (!labelExpr) {
    err(CODES.BAD_VALUE, `rule \`${name}\` has no label`, head.span, { help: `end it with \`-> "label"\` (or \`-> abstain\`), or add \`label: "…"\`` });
  } else {
    ctx.spans[`${key}.${name}.label`] = labelExpr.span;
    const v = labelExpr.kind === 'name' && labelExpr.name === 'abstain' ? null : ctx.literal(labelExpr);
    if (v !== null && typeof v !== 'string' && typeof v !== 'number') err(CODES.BAD_VALUE, `the label of rule \`${name}\` must be a string, a number or \`abstain\`, found ${describe(labelExpr)}`, labelExpr.span);
    else rule.label = v;
  }
  const columns: string[] = [];
  rule.when = checkCond(condExpr, ctx, columns, files);
  rule.columns = [...new Set(columns)];
  if (stage.name !== clauses[0] && !hasPositiveMatcher(rule.when)) {
    err(CODES.BAD_VALUE, `a \`${stage.name}\` rule needs a matcher that finds spans`, condExpr.span, { notes: Object.values(MATCHERS), help: `e.g. \`${stage.name} ${name}: keywords(text, ["Acme"]) -> "ORG"\`` });
  }
  return ctx.diagnostics.length > before ? undefined : rule;
}

function hasPositiveMatcher(c: RuleCond): boolean {
  if (c.k === 'match') return true;
  if (c.k === 'and' || c.k === 'or') return hasPositiveMatcher(c.l) || hasPositiveMatcher(c.r);
  return false;
}

function checkCond(e: Expr, ctx: RulesContext, columns: string[], files: string[]): RuleCond {
  const fail = (d: Diagnostic): RuleCond => {
    ctx.diagnostics.push(d);
    return { k: 'expr', ir: { k: 'lit', value: null } };
  };
  if (e.kind === 'binary' && (e.op === 'and' || e.op === 'or')) return { k: e.op, l: checkCond(e.left, ctx, columns, files), r: checkCond(e.right, ctx, columns, files) };
  if (e.kind === 'unary' && e.op === 'not') return { k: 'not', e: checkCond(e.operand, ctx, columns, files) };
  if (e.kind === 'binary' && e.op === '->') return fail(diag(CODES.ARROW, '`->` comes once per rule, after its condition', e.span));
  if (e.kind === 'binary' && e.op === '~' && e.left.kind === 'name' && e.right.kind === 'regex' && ctx.scope.schema.columns.some((c) => c.name === (e.left as { name: string }).name)) {
    const col = (e.left as { name: string }).name;
    const m = regexMatcher(col, e.right.source, e.right.flags, e.right.span, ctx);
    if (!m) return { k: 'expr', ir: { k: 'lit', value: null } };
    columns.push(col);
    return { k: 'match', m };
  }
  if (e.kind === 'call' && e.callee in MATCHERS) {
    const m = checkMatcher(e, ctx, files);
    if (!m) return { k: 'expr', ir: { k: 'lit', value: null } };
    columns.push(m.col);
    return { k: 'match', m };
  }
  if (e.kind === 'call' && !(e.callee in FUNCTIONS)) {
    const names = [...Object.keys(MATCHERS), ...Object.keys(FUNCTIONS)];
    return fail(diag(CODES.UNKNOWN_FUNCTION, `unknown function \`${e.callee}\``, e.calleeSpan, { notes: [`in rules: ${Object.keys(MATCHERS).join(', ')}; in any expression: ${Object.keys(FUNCTIONS).join(', ')}`], help: didYouMean(e.callee, names) }));
  }
  const { ir, type } = checkExpr(e, ctx.scope);
  if (!['bool', 'any', 'null'].includes(type)) {
    return fail(diag(CODES.TYPE, `a rule condition must be true or false, but this is a ${type}`, e.span, { help: 'compare it: `len(text) > 20`, `tier == "gold"`, or use a matcher: keywords(text, ["refund"])' }));
  }
  collectColumns(ir, columns);
  return { k: 'expr', ir };
}

function collectColumns(ir: ExprIR, into: string[]): void {
  switch (ir.k) {
    case 'col':
      into.push(ir.name);
      return;
    case 'list':
      ir.items.forEach((i) => collectColumns(i, into));
      return;
    case 'call':
      ir.args.forEach((i) => collectColumns(i, into));
      return;
    case 'bin':
      collectColumns(ir.l, into);
      collectColumns(ir.r, into);
      return;
    case 'un':
      collectColumns(ir.e, into);
      return;
  }
}

function regexMatcher(col: string, source: string, flags: string, span: Span, ctx: RulesContext): RuleMatcher | undefined {
  const problem = regexProblem(source, flags.replace(/[gy]/g, ''));
  if (problem) {
    ctx.diagnostics.push(diag(CODES.BAD_VALUE, problem.message, span, { help: problem.help }));
    return undefined;
  }
  return { k: 'regex', col, source, flags: flags.replace(/[gy]/g, '') };
}

function checkMatcher(e: Extract<Expr, { kind: 'call' }>, ctx: RulesContext, files: string[]): RuleMatcher | undefined {
  const err = (message: string, span: Span, extra: Partial<Diagnostic> = {}) => {
    ctx.diagnostics.push(diag(CODES.BAD_VALUE, message, span, { notes: [MATCHERS[e.callee]], ...extra }));
    return undefined;
  };
  const positional = e.args.filter((a) => a.name === undefined);
  const named = new Map(e.args.filter((a) => a.name !== undefined).map((a) => [a.name!, a]));
  const allowed = e.callee === 'matches' ? [] : e.callee === 'keywords' ? ['case'] : ['case', 'min'];
  for (const [n, a] of named) {
    if (!allowed.includes(n)) return err(`\`${e.callee}\` has no option \`${n}\``, a.nameSpan ?? a.span, { help: allowed.length ? `options: ${allowed.join(', ')}` : undefined });
  }
  if (positional.length < 1 || positional.length > 2) return err(`\`${e.callee}\` takes ${e.callee === 'matches' ? 'a regex' : e.callee === 'keywords' ? 'a list of words' : 'a file'}, and optionally a column before it`, e.span);
  // the column: first of two values, else `text`
  let col = 'text';
  const schema = ctx.scope.schema;
  if (positional.length === 2) {
    const c = positional[0].value;
    if (c.kind !== 'name' && c.kind !== 'string') return err(`the first value of \`${e.callee}\` must be a column, found ${describe(c)}`, c.span);
    col = c.kind === 'name' ? c.name : c.value;
  }
  const colSpan = positional.length === 2 ? positional[0].value.span : e.calleeSpan;
  const column = schema.columns.find((x) => x.name === col);
  if (!column && !schema.open) {
    const names = schema.columns.map((x) => x.name);
    ctx.diagnostics.push(
      diag(CODES.UNKNOWN_COLUMN, `unknown column \`${col}\``, colSpan, {
        label: positional.length === 2 ? `not a column of \`${ctx.scope.owner}\`` : `\`${e.callee}\` reads \`text\` unless given a column`,
        notes: [`columns of \`${ctx.scope.owner}\`: ${names.join(', ') || '(none)'}`],
        help: positional.length === 2 ? didYouMean(col, names) : `name the column: \`${e.callee}(${names.find((n) => n !== 'id' && n !== 'source') ?? 'body'}, …)\``,
      }),
    );
    return undefined;
  }
  if (column && !['string', 'any'].includes(column.type)) return err(`\`${e.callee}\` reads text, but \`${col}\` is a ${column.type} column`, colSpan);
  const arg = positional[positional.length - 1].value;
  const opt = (n: string) => (named.has(n) ? ctx.literal(named.get(n)!.value) : undefined);
  const caseSensitive = opt('case');
  if (caseSensitive !== undefined && typeof caseSensitive !== 'boolean') return err('`case` must be true or false', named.get('case')!.value.span);
  const min = opt('min') ?? 1;
  if (typeof min !== 'number' || !Number.isInteger(min) || min < 1) return err('`min` must be a whole number ≥ 1', named.get('min')!.value.span);
  switch (e.callee) {
    case 'matches': {
      if (arg.kind === 'regex') return regexMatcher(col, arg.source, arg.flags, arg.span, ctx);
      const v = ctx.literal(arg);
      if (typeof v === 'string') return regexMatcher(col, v, '', arg.span, ctx);
      if (v && typeof v === 'object' && 'regex' in v) {
        const r = v as { regex: unknown; flags?: unknown };
        return regexMatcher(col, String(r.regex), String(r.flags ?? ''), arg.span, ctx);
      }
      return err(`\`matches\` needs a regex like /refund/i, found ${describe(arg)}`, arg.span);
    }
    case 'keywords': {
      const v = ctx.literal(arg);
      const terms = typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined;
      if (!terms || !terms.length || !terms.every((t) => typeof t === 'string' && t.trim() !== '')) return err('`keywords` needs a list of non-empty strings, like ["refund", "charge back"]', arg.span);
      return { k: 'terms', col, terms: (terms as string[]).map((t) => t.trim()), case: caseSensitive === true, min };
    }
    default: {
      const v = ctx.literal(arg);
      if (typeof v !== 'string' || !v) return err(`\`${e.callee}\` needs a file path in quotes, like "lexicons/products.txt"`, arg.span);
      files.push(v);
      return { k: 'lexicon', col, file: v, case: caseSensitive === true, min };
    }
  }
}

function checkExamples(e: Expr, key: string, ctx: RulesContext): { match: RuleExample[]; no_match: RuleExample[] } | undefined {
  const out = { match: [] as RuleExample[], no_match: [] as RuleExample[] };
  const bad = (span: Span) => {
    ctx.diagnostics.push(diag(CODES.BAD_VALUE, 'rule examples are `{ match: ["…"], no_match: ["…"] }` (strings, or records of columns)', span));
    return undefined;
  };
  const take = (which: 'match' | 'no_match', v: Expr) => {
    const items = v.kind === 'list' ? v.items : [v];
    items.forEach((item, i) => {
      const x = ctx.literal(item);
      if (typeof x !== 'string' && (typeof x !== 'object' || x === null || Array.isArray(x))) return void bad(item.span);
      ctx.spans[`${key}.${which}.${i}`] = item.span;
      out[which].push(x as RuleExample);
    });
  };
  if (e.kind === 'list' || e.kind === 'string') take('match', e);
  else if (e.kind === 'block') {
    for (const entry of e.entries) {
      if (entry.kind !== 'setting' || (entry.name !== 'match' && entry.name !== 'no_match')) return bad(entry.span);
      take(entry.name, entry.value);
    }
  } else return bad(e.span);
  return out;
}

function describe(e: Expr): string {
  switch (e.kind) {
    case 'name':
      return `name \`${e.name}\``;
    case 'string':
      return `string ${JSON.stringify(e.value)}`;
    case 'number':
      return `number ${e.raw}`;
    default:
      return e.kind;
  }
}
