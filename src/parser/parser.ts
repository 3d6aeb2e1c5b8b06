/**
 * The .ftr grammar as a Chevrotain CstParser: grammar only, no semantics (cst-to-ast.ts builds
 * the AST). Recovery is on so one run reports every syntax error of a file.
 *
 *   file      := item*
 *   item      := 'recipe' name | 'seed' NUMBER | 'param' NAME '=' expr | 'use' STRING ('as' NAME)?
 *              | ('source' | 'cell') NAME '=' pipeline | 'show' pipeline | 'export' pipeline
 *   pipeline  := stage ('|' stage)*
 *   stage     := qname ( '(' args? ')' | bareArg* )      bare args stay on the stage's line
 *   arg       := NAME ':' labeledExpr | labeledExpr
 *   labeledExpr := expr ('->' expr)?    a rule clause's `CONDITION -> LABEL`: `->` binds loosest of
 *                                       all, and only here, at the top of an argument
 *   expr      := or-expr over: or, and, not, == != < <= > >= ~ in, + -, * /, unary -, postfix .name
 *   primary   := literal | list | block | '(' expr ')' | NAME ('(' args? ')')? | FIELDPATH
 *   block     := '{' (entry (','|';')?)* '}'    entry := NAME ':' expr | stage
 */
import { CstParser, type CstNode, type IToken } from 'chevrotain';
import * as T from './tokens.js';

export class FtrParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: 'full', maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  /** True when the next token starts on the line where the previous token ended. */
  private sameLine(): boolean {
    const prev = this.LA(0);
    const next = this.LA(1);
    return prev.endLine === undefined || next.startLine === prev.endLine;
  }

  /** True when the next token touches the previous one (`parts.train`, not `parts .train`). */
  private adjacent(): boolean {
    const prev = this.LA(0);
    const next = this.LA(1);
    return prev.endOffset !== undefined && next.startOffset === prev.endOffset + 1;
  }

  public file = this.RULE('file', () => {
    this.MANY(() => this.SUBRULE(this.item));
  });

  public item = this.RULE('item', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.recipeItem) },
      { ALT: () => this.SUBRULE(this.seedItem) },
      { ALT: () => this.SUBRULE(this.paramItem) },
      { ALT: () => this.SUBRULE(this.useItem) },
      { ALT: () => this.SUBRULE(this.cellItem) },
      { ALT: () => this.SUBRULE(this.showItem) },
      { ALT: () => this.SUBRULE(this.exportItem) },
    ]);
  });

  public recipeItem = this.RULE('recipeItem', () => {
    this.CONSUME(T.Recipe);
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.StringLit) }]);
  });

  public seedItem = this.RULE('seedItem', () => {
    this.CONSUME(T.Seed);
    this.CONSUME(T.NumberLit);
  });

  public paramItem = this.RULE('paramItem', () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expr);
  });

  public useItem = this.RULE('useItem', () => {
    this.CONSUME(T.Use);
    this.CONSUME(T.StringLit);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier);
    });
  });

  public cellItem = this.RULE('cellItem', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Source) }, { ALT: () => this.CONSUME(T.Cell) }]);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.pipeline);
  });

  public showItem = this.RULE('showItem', () => {
    this.CONSUME(T.Show);
    this.SUBRULE(this.pipeline);
  });

  public exportItem = this.RULE('exportItem', () => {
    this.CONSUME(T.Export);
    this.SUBRULE(this.pipeline);
  });

  public pipeline = this.RULE('pipeline', () => {
    this.SUBRULE(this.stage);
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE2(this.stage);
    });
  });

  public stage = this.RULE('stage', () => {
    this.SUBRULE(this.qname);
    // `op(a, b)` when the paren touches the name; otherwise bare args: `op a b`, `op (a + b)`.
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { GATE: () => this.adjacent(), ALT: () => this.SUBRULE(this.parenArgs) },
        // a trailing comma carries the argument list over to the next line
        { ALT: () => this.MANY({ GATE: () => this.sameLine() || this.LA(0).tokenType === T.Comma, DEF: () => this.SUBRULE(this.bareArg) }) },
      ],
    });
  });

  public qname = this.RULE('qname', () => {
    this.CONSUME(T.Identifier);
    this.MANY({
      GATE: () => this.adjacent(),
      DEF: () => {
        this.CONSUME(T.Dot);
        this.CONSUME2(T.Identifier);
      },
    });
  });

  public parenArgs = this.RULE('parenArgs', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.arg) });
    this.CONSUME(T.RParen);
  });

  /** An argument on the stage's line; a trailing comma lets the list continue on the next line. */
  public bareArg = this.RULE('bareArg', () => {
    this.SUBRULE(this.arg);
    this.OPTION(() => this.CONSUME(T.Comma));
  });

  public arg = this.RULE('arg', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.AnyName);
          this.CONSUME(T.Colon);
          this.SUBRULE(this.labeledExpr);
        },
      },
      { ALT: () => this.SUBRULE2(this.labeledExpr) },
    ]);
  });

  /**
   * `CONDITION -> LABEL`, a rule clause's labeled condition (`rule r: a or b -> "x"`). `->` binds
   * below `or` and is read only at the top of an argument, so the condition needs no
   * parentheses; the checker rejects it in arguments outside rule blocks, and anywhere else
   * (parentheses, lists, params) it is a syntax error.
   */
  public labeledExpr = this.RULE('labeledExpr', () => {
    this.SUBRULE(this.expr);
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE2(this.expr);
    });
  });

  public expr = this.RULE('expr', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  public andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  public notExpr = this.RULE('notExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.cmpExpr) },
    ]);
  });

  public cmpExpr = this.RULE('cmpExpr', () => {
    this.SUBRULE(this.addExpr);
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Eq2) },
        { ALT: () => this.CONSUME(T.NotEq) },
        { ALT: () => this.CONSUME(T.LessEq) },
        { ALT: () => this.CONSUME(T.GreaterEq) },
        { ALT: () => this.CONSUME(T.Less) },
        { ALT: () => this.CONSUME(T.Greater) },
        { ALT: () => this.CONSUME(T.Tilde) },
        { ALT: () => this.CONSUME(T.In) },
      ]);
      this.SUBRULE2(this.addExpr);
    });
  });

  /** `a -1` in an argument list is two arguments, `a - 1` and `a-1` a subtraction (as in Swift). */
  private startsNegativeArg(): boolean {
    const minus = this.LA(1);
    if (minus.tokenType !== T.Minus) return false;
    const prev = this.LA(0);
    const next = this.LA(2);
    return minus.startOffset > (prev.endOffset ?? 0) + 1 && next.startOffset === (minus.endOffset ?? 0) + 1;
  }

  public addExpr = this.RULE('addExpr', () => {
    this.SUBRULE(this.mulExpr);
    this.MANY({
      GATE: () => this.sameLine() && !this.startsNegativeArg(),
      DEF: () => {
        this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
        this.SUBRULE2(this.mulExpr);
      },
    });
  });

  public mulExpr = this.RULE('mulExpr', () => {
    this.SUBRULE(this.unaryExpr);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Star) }, { ALT: () => this.CONSUME(T.Slash) }]);
      this.SUBRULE2(this.unaryExpr);
    });
  });

  public unaryExpr = this.RULE('unaryExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.unaryExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.postfixExpr) },
    ]);
  });

  public postfixExpr = this.RULE('postfixExpr', () => {
    this.SUBRULE(this.primary);
    this.MANY({
      GATE: () => this.adjacent(),
      DEF: () => {
        this.CONSUME(T.Dot);
        this.CONSUME(T.AnyName);
      },
    });
  });

  public primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.UnitNumber) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.UnterminatedString) },
      { ALT: () => this.CONSUME(T.Regex) },
      { ALT: () => this.CONSUME(T.FieldPath) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.block) },
      { ALT: () => this.SUBRULE(this.paren) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
    ]);
  });

  public nameOrCall = this.RULE('nameOrCall', () => {
    // item keywords are fine as column names inside a value: `keep source == "faq"`
    this.CONSUME(T.ValueName);
    this.OPTION({ GATE: () => this.adjacent(), DEF: () => this.SUBRULE(this.parenArgs) });
  });

  public paren = this.RULE('paren', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expr);
    this.CONSUME(T.RParen);
  });

  public list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => {
      this.SUBRULE(this.expr);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  public block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.blockEntry);
      this.OPTION(() => {
        this.OR([{ ALT: () => this.CONSUME(T.Comma) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
      });
    });
    this.CONSUME(T.RBrace);
  });

  public blockEntry = this.RULE('blockEntry', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.AnyName) }, { ALT: () => this.CONSUME(T.StringLit) }]);
          this.CONSUME(T.Colon);
          this.SUBRULE(this.expr);
        },
      },
      { ALT: () => this.SUBRULE(this.stage) },
    ]);
  });
}

/** One parser instance: Chevrotain parsers are built once and reset per input. */
/** Thrown to stop parsing an item whose errors passed MAX_ITEM_ERRORS. */
export class TooManyErrors extends Error {}

/** More syntax errors than this in one item and its parse stops: each recovery costs time. */
export const MAX_ITEM_ERRORS = 50;

// chevrotain records every recognition error through SAVE_ERROR (not in its typings): past the
// bound, stop, so a line of 20,000 stray `|` costs 50 recoveries, not 20,000
const proto = FtrParser.prototype as unknown as { SAVE_ERROR(e: unknown): unknown; errors: unknown[] };
const saveError = proto.SAVE_ERROR;
proto.SAVE_ERROR = function (this: typeof proto, e: unknown) {
  if (this.errors.length >= MAX_ITEM_ERRORS) throw new TooManyErrors();
  return saveError.call(this, e);
};

export const parser = new FtrParser();

export function parseTokens(tokens: IToken[]): { cst: CstNode; errors: typeof parser.errors } {
  parser.input = tokens;
  const cst = parser.file();
  return { cst, errors: parser.errors };
}
