/**
 * CST → AST. Defensive: after recovery a CST node may lack children, and such holes become
 * `error` expressions (their syntax error was already reported).
 */
import { CODES } from './codes.js';
import type { CstNode, IToken } from 'chevrotain';
import type { Arg, BinaryOp, BlockEntry, Expr, Item, Pipeline, Span, Stage } from './ast.js';
import { diag, type Diagnostic } from './diagnostics.js';
import { regexProblem } from './regex.js';

type Children = Record<string, (CstNode | IToken)[] | undefined>;

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly file: string) {}

  span(first: IToken | { startOffset: number; startLine?: number; startColumn?: number }, last?: IToken | { endOffset?: number; endLine?: number; endColumn?: number }): Span {
    const l = last ?? first;
    const startLine = first.startLine ?? 1;
    const startCol = first.startColumn ?? 1;
    const endLine = (l as IToken).endLine ?? startLine;
    const endCol = ((l as IToken).endColumn ?? startCol) + 1;
    return {
      file: this.file,
      start: { line: startLine, col: startCol, offset: first.startOffset },
      end: { line: endLine, col: endCol, offset: ((l as IToken).endOffset ?? first.startOffset) + 1 },
    };
  }

  nodeSpan(node: CstNode): Span {
    const loc = node.location;
    if (!loc || Number.isNaN(loc.startOffset)) {
      return { file: this.file, start: { line: 1, col: 1, offset: 0 }, end: { line: 1, col: 2, offset: 1 } };
    }
    return this.span(
      { startOffset: loc.startOffset, startLine: loc.startLine, startColumn: loc.startColumn },
      { endOffset: loc.endOffset, endLine: loc.endLine, endColumn: loc.endColumn },
    );
  }

  item(node: CstNode): Item | undefined {
    const [kind, inner] = only(node);
    if (!inner || !isNode(inner)) return undefined;
    const c = inner.children as Children;
    const span = this.nodeSpan(inner);
    switch (kind) {
      case 'recipeItem': {
        const t = tok(c, 'Identifier') ?? tok(c, 'StringLit');
        if (!t) return undefined;
        return { kind: 'recipe', name: t.tokenType.name === 'StringLit' ? unquote(t.image) : t.image, span };
      }
      case 'seedItem': {
        const t = tok(c, 'Number');
        if (!t) return undefined;
        return { kind: 'seed', value: Number(t.image.replace(/_/g, '')), span };
      }
      case 'paramItem': {
        const t = tok(c, 'Identifier');
        if (!t) return undefined;
        return { kind: 'param', name: t.image, nameSpan: this.span(t), value: this.expr(sub(c, 'expr'), span), span };
      }
      case 'useItem': {
        const t = tok(c, 'StringLit');
        if (!t) return undefined;
        const alias = tok(c, 'Identifier');
        return { kind: 'use', path: unquote(t.image), pathSpan: this.span(t), alias: alias?.image, span };
      }
      case 'cellItem': {
        const name = tok(c, 'Identifier');
        const keyword = tok(c, 'Source') ? 'source' : 'cell';
        const pipe = sub(c, 'pipeline');
        if (!name || !pipe) return undefined;
        return { kind: 'cell', keyword, name: name.image, nameSpan: this.span(name), pipeline: this.pipeline(pipe), span };
      }
      case 'showItem':
      case 'exportItem': {
        const pipe = sub(c, 'pipeline');
        if (!pipe) return undefined;
        const keyword = kind === 'showItem' ? 'show' : 'export';
        const pipeline = this.pipeline(pipe);
        // named after what they show or export; the checker makes repeated names unique
        return { kind: 'cell', keyword, name: `${keyword}:${pipeline.stages[0]?.name ?? span.start.line}`, pipeline, span };
      }
    }
    return undefined;
  }

  pipeline(node: CstNode): Pipeline {
    const stages = ((node.children as Children).stage ?? []).filter(isNode).map((s) => this.stage(s));
    return { stages: stages.filter((s): s is Stage => s !== undefined), span: this.nodeSpan(node) };
  }

  stage(node: CstNode): Stage | undefined {
    const c = node.children as Children;
    const q = sub(c, 'qname');
    if (!q) return undefined;
    const ids = ((q.children as Children).Identifier ?? []) as IToken[];
    if (ids.length === 0 || ids.some((t) => t.isInsertedInRecovery)) return undefined;
    const name = ids.map((t) => t.image).join('.');
    const paren = sub(c, 'parenArgs');
    const argNodes = paren ? ((paren.children as Children).arg ?? []) : ((c.bareArg ?? []) as CstNode[]).map((b) => sub(b.children as Children, 'arg'));
    const args = argNodes.filter((a): a is CstNode => !!a && isNode(a)).map((a) => this.arg(a));
    return { name, nameSpan: this.span(ids[0], ids[ids.length - 1]), args, span: this.nodeSpan(node) };
  }

  arg(node: CstNode): Arg {
    const c = node.children as Children;
    const span = this.nodeSpan(node);
    const name = tok(c, 'AnyName');
    const value = this.labeled(sub(c, 'labeledExpr'), span);
    return name ? { name: name.image, nameSpan: this.span(name), value, span } : { value, span };
  }

  /** An argument's value: an expression, or a rule's `CONDITION -> LABEL` (a binary `->`, always at the top). */
  labeled(node: CstNode | undefined, fallback: Span): Expr {
    if (!node) return { kind: 'error', span: fallback };
    const span = this.nodeSpan(node);
    return this.chain(node, 'expr', ['Arrow'], (n) => this.expr(n, span));
  }

  /** Left-associative chains: labeledExpr, expr(or), andExpr, mulExpr, addExpr share one shape. */
  private chain(node: CstNode, childRule: string, opTokens: string[], next: (n: CstNode | undefined) => Expr): Expr {
    const c = node.children as Children;
    const operands = (c[childRule] ?? []) as CstNode[];
    const ops = opTokens.flatMap((t) => (c[t] ?? []) as IToken[]).sort((a, b) => a.startOffset - b.startOffset);
    let left = next(operands[0]);
    for (let i = 0; i < ops.length; i++) {
      const right = next(operands[i + 1]);
      left = { kind: 'binary', op: ops[i].image as BinaryOp, left, right, span: joinSpan(left.span, right.span) };
    }
    return left;
  }

  expr(node: CstNode | undefined, fallback: Span): Expr {
    if (!node) return { kind: 'error', span: fallback };
    const span = this.nodeSpan(node);
    const down = (rule: string) => (n: CstNode | undefined): Expr => (n ? this.exprRule(rule, n) : { kind: 'error', span });
    return this.chain(node, 'andExpr', ['Or'], down('andExpr'));
  }

  private exprRule(rule: string, node: CstNode): Expr {
    const c = node.children as Children;
    const span = this.nodeSpan(node);
    const down = (r: string) => (n: CstNode | undefined): Expr => (n ? this.exprRule(r, n) : { kind: 'error', span });
    switch (rule) {
      case 'andExpr':
        return this.chain(node, 'notExpr', ['And'], down('notExpr'));
      case 'notExpr': {
        if (tok(c, 'Not')) return { kind: 'unary', op: 'not', operand: down('notExpr')(sub(c, 'notExpr')), span };
        return down('cmpExpr')(sub(c, 'cmpExpr'));
      }
      case 'cmpExpr':
        return this.chain(node, 'addExpr', ['Eq2', 'NotEq', 'LessEq', 'GreaterEq', 'Less', 'Greater', 'Tilde', 'In'], down('addExpr'));
      case 'addExpr':
        return this.chain(node, 'mulExpr', ['Plus', 'Minus'], down('mulExpr'));
      case 'mulExpr':
        return this.chain(node, 'unaryExpr', ['Star', 'Slash'], down('unaryExpr'));
      case 'unaryExpr': {
        if (tok(c, 'Minus')) return { kind: 'unary', op: '-', operand: down('unaryExpr')(sub(c, 'unaryExpr')), span };
        return down('postfixExpr')(sub(c, 'postfixExpr'));
      }
      case 'postfixExpr': {
        let e = down('primary')(sub(c, 'primary'));
        for (const n of (c.AnyName ?? []) as IToken[]) {
          if (n.isInsertedInRecovery) continue;
          e = { kind: 'member', object: e, name: n.image, nameSpan: this.span(n), span: joinSpan(e.span, this.span(n)) };
        }
        return e;
      }
      case 'primary':
        return this.primary(node);
    }
    return { kind: 'error', span };
  }

  private primary(node: CstNode): Expr {
    const [kind, inner] = only(node);
    const span = this.nodeSpan(node);
    if (!inner) return { kind: 'error', span };
    if (!isNode(inner)) {
      const t = inner;
      if (t.isInsertedInRecovery) return { kind: 'error', span };
      switch (kind) {
        case 'Number':
          return { kind: 'number', value: Number(t.image.replace(/_/g, '')), raw: t.image, span };
        case 'UnitNumber': {
          const m = /^([\d_.eE+-]+?)([A-Za-z%]+)$/.exec(t.image);
          const value = Number((m?.[1] ?? t.image).replace(/_/g, ''));
          return { kind: 'unit', value, unit: m?.[2] ?? '', raw: t.image, span };
        }
        case 'StringLit':
          return { kind: 'string', value: unquote(t.image), span };
        case 'UnterminatedString': // reported by parse.ts with the lexing errors
          return { kind: 'string', value: unquote(t.image + '"'), span };
        case 'Regex': {
          const last = t.image.lastIndexOf('/');
          const source = t.image.slice(1, last);
          const flags = t.image.slice(last + 1);
          // checked as it will run: linear-time RE2, which lacks backreferences and lookaround
          const problem = regexProblem(source, flags);
          if (problem) this.diagnostics.push(diag(CODES.INVALID_REGEX, problem.message, span, { help: problem.help }));
          return { kind: 'regex', source, flags, span };
        }
        case 'FieldPath': {
          const path: (string | number)[] = [];
          for (const m of t.image.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)) path.push(m[1] ?? Number(m[2]));
          return { kind: 'field', path, raw: t.image, span };
        }
        case 'True':
        case 'False':
          return { kind: 'bool', value: kind === 'True', span };
        case 'Null':
          return { kind: 'null', span };
      }
      return { kind: 'error', span };
    }
    const c = inner.children as Children;
    switch (kind) {
      case 'list':
        return { kind: 'list', items: ((c.expr ?? []) as CstNode[]).map((e) => this.expr(e, span)), span };
      case 'paren':
        return this.expr(sub(c, 'expr'), span);
      case 'block':
        return { kind: 'block', entries: ((c.blockEntry ?? []) as CstNode[]).map((e) => this.blockEntry(e)).filter((e): e is BlockEntry => !!e), span };
      case 'nameOrCall': {
        const id = tok(c, 'ValueName');
        if (!id || id.isInsertedInRecovery) return { kind: 'error', span };
        const paren = sub(c, 'parenArgs');
        if (!paren) return { kind: 'name', name: id.image, span };
        const args = ((paren.children as Children).arg ?? []).filter(isNode).map((a) => this.arg(a));
        return { kind: 'call', callee: id.image, calleeSpan: this.span(id), args, span };
      }
    }
    return { kind: 'error', span };
  }

  private blockEntry(node: CstNode): BlockEntry | undefined {
    const c = node.children as Children;
    const span = this.nodeSpan(node);
    const stage = sub(c, 'stage');
    if (stage) {
      const s = this.stage(stage);
      return s ? { kind: 'clause', stage: s, span } : undefined;
    }
    const key = tok(c, 'AnyName') ?? tok(c, 'StringLit');
    if (!key || key.isInsertedInRecovery) return undefined;
    const name = key.tokenType.name === 'StringLit' ? unquote(key.image) : key.image;
    return { kind: 'setting', name, nameSpan: this.span(key), value: this.expr(sub(c, 'expr'), span), span };
  }
}

function isNode(x: CstNode | IToken): x is CstNode {
  return (x as CstNode).children !== undefined;
}

/** The single child of an OR node: [child key, child]. */
function only(node: CstNode): [string, CstNode | IToken | undefined] {
  for (const [k, v] of Object.entries(node.children)) {
    if (v && v.length) return [k, v[0]];
  }
  return ['', undefined];
}

function tok(c: Children, name: string): IToken | undefined {
  const t = c[name]?.[0] as IToken | undefined;
  return t && !t.isInsertedInRecovery ? t : undefined;
}

function sub(c: Children, name: string): CstNode | undefined {
  const n = c[name]?.[0];
  return n && isNode(n) ? n : undefined;
}

export function joinSpan(a: Span, b: Span): Span {
  return { file: a.file, start: a.start, end: b.end.offset >= a.end.offset ? b.end : a.end };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', '0': '\0' };

export function unquote(image: string): string {
  return image.slice(1, -1).replace(/\\(u\{[0-9a-fA-F]+\}|.)/g, (_, e: string) => {
    if (e.startsWith('u{')) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
    return ESCAPES[e] ?? e;
  });
}
