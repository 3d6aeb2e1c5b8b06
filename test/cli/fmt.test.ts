import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFile, quote } from '../../src/cli/fmt.js';
import type { RecipeFile } from '../../src/parser/ast.js';
import { parseRecipe } from '../../src/parser/parse.js';
import { ftr, ROOT, tempProject } from '../helpers.js';

const SPAN_KEYS = new Set(['span', 'nameSpan', 'pathSpan', 'calleeSpan']);

/** What a recipe means: its items without spans, and its comments in order (trailing blanks aside). */
function meaning(ast: RecipeFile): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (SPAN_KEYS.has(k) || x === undefined) continue;
        out[k] = k === 'prose' && typeof x === 'string' ? x.split('\n').map((l) => l.trimEnd()).join('\n') : strip(x);
      }
      return out;
    }
    return v;
  };
  return { items: strip(ast.items), comments: ast.comments.map((c) => c.text.trimEnd()) };
}

function parseClean(text: string): RecipeFile {
  const { ast, diagnostics } = parseRecipe(text, 'r.ftr');
  if (diagnostics.length) throw new Error(`does not parse:\n${text}\n${diagnostics.map((d) => `${d.span.start.line}:${d.span.start.col} ${d.message}`).join('\n')}`);
  return ast;
}

function fmt(text: string): string {
  const r = formatFile(text, 'r.ftr');
  if (r.text === undefined) throw new Error(`not formatted:\n${text}\n${r.diagnostics.map((d) => d.message).join('\n')}`);
  return r.text;
}

/** Formatting is idempotent and keeps the meaning; returns the formatted text. */
function checkRoundTrip(text: string): string {
  const before = parseClean(text);
  const once = fmt(text);
  const after = parseClean(once);
  expect(meaning(after)).toEqual(meaning(before));
  expect(fmt(once)).toBe(once);
  return once;
}

const golden = (input: string, expected: string) => {
  const out = checkRoundTrip(input);
  expect(out).toBe(expected);
};

describe('fmt: canonical layout', () => {
  it('keeps a canonical recipe as it is', () => {
    const text = [
      '## Tickets → a split dataset.',
      'recipe demo',
      'seed 42',
      '',
      'param min_chars = 10',
      '',
      'source tickets = jsonl "data/t.jsonl" { id: .ticket_id, text: .body.text }',
      '',
      'cell clean = tickets',
      '  | strip_html text',
      '  | normalize nfkc',
      '  | keep len(text) >= min_chars "too short"',
      '',
      'cell parts = clean | split 80% 10% 10%',
      '',
      'export parts | write "out/"',
      '',
    ].join('\n');
    golden(text, text);
  });

  it('spaces, one item per line, a blank line around cells, blank runs collapsed', () => {
    golden(
      'recipe   demo\nseed 7\n\n\n\nparam x=1\nparam y = [1,2 ,3]\nsource t = jsonl "a.jsonl"\ncell a = t|dedupe text\n\n\n\ncell b = a\n',
      'recipe demo\nseed 7\n\nparam x = 1\nparam y = [1, 2, 3]\n\nsource t = jsonl "a.jsonl"\n\ncell a = t | dedupe text\n\ncell b = a\n',
    );
  });

  it('breaks pipelines of more than two stages, or longer than 100 columns', () => {
    golden('cell a = t | f | g\n', 'cell a = t\n  | f\n  | g\n');
    golden(
      'cell a = t\n  | f\n',
      'cell a = t | f\n',
    );
    const long = `cell a = tickets | keep len(text) >= 20 and label != "spam" and not contains(text, "unsubscribe here")\n`;
    golden(long, 'cell a = tickets\n  | keep len(text) >= 20 and label != "spam" and not contains(text, "unsubscribe here")\n');
  });

  it('prints arguments canonically and keeps the commas written between bare arguments', () => {
    golden('cell a = concat(x,y)|f  x  y   reason :"r"\n', 'cell a = concat x, y | f x y reason: "r"\n');
    // a comma where the next argument would otherwise continue the one before
    golden('cell a = f x (-1) (.y) (/re/)\n', 'cell a = f x, -1, .y, /re/\n');
    // `op .x` and `op /re/` do not parse: such a call keeps its parentheses
    golden('cell a = t | f(.x, 2) | g(/a b/i)\n', 'cell a = t\n  | f(.x, 2)\n  | g(/a b/i)\n');
    // named arguments called `and`, `or`, `in` need the comma too
    golden('cell a = f x, in: 1\n', 'cell a = f x, in: 1\n');
  });

  it('prints blocks on one line when short, else one entry per line', () => {
    golden('param m = {a:1;b:.x.y,"c d":true}\n', 'param m = { a: 1, b: .x.y, "c d": true }\n');
    const wide = 'source t = jsonl "data/some/rather/long/path/tickets.jsonl" { id: .ticket_id, text: .body.text, label: .intent }\n';
    golden(
      wide,
      [
        'source t = jsonl "data/some/rather/long/path/tickets.jsonl" {',
        '  id: .ticket_id,',
        '  text: .body.text,',
        '  label: .intent,',
        '}',
        '',
      ].join('\n'),
    );
    // a clause with bare arguments is followed by `;` (a `,` would give it the next entry)
    golden('param m = { dedupe text; keep: 1, f, g(.x), n: [] }\n', 'param m = { dedupe text; keep: 1, f, g(.x), n: [] }\n');
  });

  it('re-escapes strings and prints numbers, units, regexes and field paths as written', () => {
    golden(
      'param s = ["a\\"b", "tab\tx", "\\u{1F600}\\q", "nl\\n\\\\"]\nparam n = [1_000, 2.50, 1e3, 80%, 2.5M, 512MB, 30s]\nparam r = [/a\\/b[/]/gi, .m[0].c]\n',
      'param s = ["a\\"b", "tab\\tx", "😀q", "nl\\n\\\\"]\nparam n = [1_000, 2.50, 1e3, 80%, 2.5M, 512MB, 30s]\nparam r = [/a\\/b[/]/gi, .m[0].c]\n',
    );
    expect(quote('\u0001\u2028"')).toBe('"\\u{1}\\u{2028}\\""');
  });

  it('puts parentheses only where precedence needs them', () => {
    golden(
      'param a = ((1 + 2)) * (3 - (4 - 5)) - (6 * 7)\nparam b = not (x or y) and (not z)\nparam c = (a == b) == c\nparam d = -(-1) + -(a.b)\nparam e = (.a.b).c\n',
      'param a = (1 + 2) * (3 - (4 - 5)) - 6 * 7\nparam b = not (x or y) and not z\nparam c = (a == b) == c\nparam d = - -1 + -a.b\nparam e = (.a.b).c\n',
    );
  });

  it('rule clauses: `CONDITION -> LABEL` needs no parentheses, so none are printed', () => {
    golden(
      'cell c = t | annotate { rule r: (a ~ /x/ or b ~ /y/) -> "x"; rule s: not (x) -> "y" }\n',
      'cell c = t | annotate { rule r: a ~ /x/ or b ~ /y/ -> "x"; rule s: not x -> "y" }\n',
    );
    // the label side too; `and` in `or` and `not` in `and` keep their binding; a `->` on its own line joins its rule
    golden(
      'cell c = t | annotate {\n  rule r: a and (b or c)\n    -> (x) weight: 2\n  rule s: (not a) and b or c -> "y"\n  rule q: (len(t) < 3) -> abstain\n  method: weighted\n}\n',
      'cell c = t\n  | annotate {\n    rule r: a and (b or c) -> x weight: 2;\n    rule s: not a and b or c -> "y";\n    rule q: len(t) < 3 -> abstain;\n    method: weighted,\n  }\n',
    );
    const canonical = 'cell c = t\n  | annotate {\n    rule r: matches(text, /refund|charge ?back/i) or keywords(text, ["money back"]) -> "billing"; # why\n    # guard\n    rule short: len(text) < 3 -> abstain;\n  }\n';
    golden(canonical, canonical);
  });

  it('names that are keywords keep the parentheses the lexer needs', () => {
    golden('cell a = t | keep source == "faq" and x.in > 1\n', 'cell a = t | keep source == "faq" and x.in > 1\n');
    // first on its line an item keyword starts an item; after one, `/` starts a regex and `.x` a field path
    golden(
      'param l = [source, cell == 1, (x.in).y, (source) / 2, (x.not) / 3 # c\n]\n',
      'param l = [\n  (source),\n  (cell == 1),\n  (x.in).y,\n  (source) / 2,\n  (x.not) / 3, # c\n]\n',
    );
    golden('param l = [(source) / 2, (source)]\n', 'param l = [(source) / 2, source]\n');
  });

  it('names: a recipe name that is not a plain name stays a string', () => {
    golden('recipe "quick"\n', 'recipe quick\n');
    golden('recipe "my recipe"\n', 'recipe "my recipe"\n');
    golden('recipe "cell"\n', 'recipe "cell"\n');
  });
});

describe('fmt: comments and prose', () => {
  it('keeps ## prose right above its item and # comments with the next item', () => {
    golden(
      [
        '# file comment   ',
        'recipe demo # the name',
        '## about t',
        'source t = jsonl "a.jsonl"',
        '# about a, under t',
        'cell a = t',
        '',
        '',
        '## not the prose of anything',
        '',
        '## about b',
        '## second line',
        'cell b = a',
        '# at the end',
        '',
      ].join('\n'),
      [
        '# file comment',
        'recipe demo # the name',
        '',
        '## about t',
        'source t = jsonl "a.jsonl"',
        '',
        '# about a, under t',
        'cell a = t',
        '',
        '## not the prose of anything',
        '',
        '## about b',
        '## second line',
        'cell b = a',
        '# at the end',
        '',
      ].join('\n'),
    );
  });

  it('a blank line the user put between a cell and a comment group counts as the cell break', () => {
    golden('cell a = t\n# a note under a\n\ncell b = a\n', 'cell a = t\n# a note under a\n\ncell b = a\n');
  });

  it('comments between stages break the pipeline and stay between them', () => {
    golden(
      'cell a = t # the input\n# | dropped stage\n  | f x # why f\n  ## prose inside\n  | g\n',
      'cell a = t # the input\n  # | dropped stage\n  | f x # why f\n  ## prose inside\n  | g\n',
    );
  });

  it('comments inside blocks and lists break them, one entry per line', () => {
    golden(
      'source t = jsonl "a.jsonl" { # fields\n id: .id, # the id\n # the text\n text: .body.text\n # no more\n}\nparam l = [1, # one\n2]\n',
      [
        'source t = jsonl "a.jsonl" { # fields',
        '  id: .id, # the id',
        '  # the text',
        '  text: .body.text,',
        '  # no more',
        '}',
        '',
        'param l = [',
        '  1, # one',
        '  2,',
        ']',
        '',
      ].join('\n'),
    );
  });

  it('a ## at the end of a code line is a comment on that line, not prose for the next item', () => {
    golden('param a = 1 ## about a\nparam b = 2\n', 'param a = 1 ## about a\nparam b = 2\n');
    const text = '## about a\ncell a = t ## more about a\n\ncell b = a\n';
    golden(text, text);
    expect(parseClean(text).items[0].prose).toBe('about a');
    expect(parseClean(text).items[1].prose).toBeUndefined();
  });

  it('a ## at the end of an item line that is nobody prose stays apart from the next item', () => {
    golden('param a = 1 ## note on a\n\nparam b = 2\n', 'param a = 1 ## note on a\n\nparam b = 2\n');
    golden('param a = f(1, ## inner\n 2)\nparam b = 2\n', 'param a = f(1, ## inner\n 2)\nparam b = 2\n');
  });

  it('an item with a comment where no line can break is kept as written', () => {
    golden(
      'cell a = t | keep len(text) > 3 and # long enough\n     label != "spam"   \n\ncell b = a |  dedupe\n',
      'cell a = t | keep len(text) > 3 and # long enough\n     label != "spam"\n\ncell b = a | dedupe\n',
    );
    golden('param p = # value\n  1\n', 'param p = # value\n  1\n');
  });

  it('CRLF line ends become LF', () => {
    golden('recipe demo\r\n# c\r\nseed 1\r\n', 'recipe demo\n# c\nseed 1\n');
  });

  it('empty files and comment-only files', () => {
    golden('', '');
    golden('\n\n', '');
    golden('# only a comment\n\n\n## and prose\n', '# only a comment\n\n## and prose\n');
  });
});

describe('fmt: result', () => {
  it('returns the syntax errors and no text for a file that does not parse', () => {
    const r = formatFile('cell a = | f\n', 'bad.ftr');
    expect(r.text).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
  });

  it('ftr fmt rewrites a file; --check exits 1 until it is formatted', async () => {
    const dir = tempProject({ 'r.ftr': 'cell a = t|f\n' });
    const file = join(dir, 'r.ftr');
    expect((await ftr('fmt', '--check', file)).code).toBe(1);
    expect((await ftr('fmt', file)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('cell a = t | f\n');
    expect((await ftr('fmt', '--check', file)).code).toBe(0);
  });
});

describe('fmt: every shipped recipe', () => {
  const files: string[] = [];
  for (const dir of ['examples', 'recipes']) {
    const root = join(ROOT, dir);
    if (!existsSync(root)) continue;
    for (const f of readdirSync(root, { recursive: true }) as string[]) {
      const path = join(root, f);
      if (f.endsWith('.ftr') && !f.split(/[\\/]/).some((p) => p === '.ftr' || p === 'node_modules') && statSync(path).isFile()) files.push(path);
    }
  }

  it('finds the examples', () => {
    expect(files.some((f) => f.endsWith('quickstart.ftr'))).toBe(true);
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))('%s: idempotent and meaning-preserving', (_name, path) => {
    const text = readFileSync(path, 'utf8');
    if (parseRecipe(text, path).diagnostics.length) {
      expect(formatFile(text, path).text).toBeUndefined();
      return;
    }
    checkRoundTrip(text);
  });
});

// ---------------------------------------------------------------------------------------------
// Random well-formed recipes. The generator writes source text with awkward but legal spacing:
// `BR` marks a place where a space, line breaks or comments may go.

const BR = '\u0000';
const NAMES = ['a', 'b', 'text', 'label', 'raw', 'x_1', 'Foo'];
const KEY_WORDS = ['seed', 'in', 'not', 'cell', 'true'];
const COMMENTS = ['# c', '#', '## note', '##', '# a, b | c', '## prose: x', '#x # y', '# trailing   ', '## ', '# "q" {'];

const name = fc.constantFrom(...NAMES);
/** names in values may be item keywords (`keep source == "faq"`), member names any keyword */
const valueName = fc.constantFrom(...NAMES, 'source', 'cell', 'seed');
const memberName = fc.constantFrom(...NAMES, 'in', 'source', 'not', 'true', 'as');
const qname = fc.oneof(name, fc.tuple(name, name).map(([a, b]) => `${a}.${b}`));

const stringLit = fc
  .array(
    fc.tuple(fc.constantFrom('a', ' ', '"', '\\', '\n', '\t', 'é', '😀', '#', '|', '\u0001', 'z'), fc.boolean()),
    { maxLength: 6 },
  )
  .map((chars) => {
    let s = '"';
    for (const [ch, alt] of chars) {
      if (ch === '"') s += '\\"';
      else if (ch === '\\') s += '\\\\';
      else if (ch === '\n') s += '\\n';
      else if (ch === '\t') s += alt ? '\t' : '\\t';
      else if (ch === '\u0001') s += '\\u{1}';
      else if (ch === 'z') s += alt ? '\\z' : 'z';
      else if (alt) s += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
      else s += ch;
    }
    return s + '"';
  });

const literal = fc.oneof(
  fc.constantFrom('0', '42', '1_000', '2.5', '2e-4', '1E3'),
  fc.constantFrom('80%', '5k', '2.5M', '512MB', '2GiB', '30s', '5min', '10ms'),
  stringLit,
  fc.constantFrom('/a|b/i', '/[/]x\\//', '/\\d+/g', '/ x y /'),
  fc.constantFrom('.a', '.body.text', '.messages[0].content'),
  fc.constantFrom('true', 'false', 'null'),
  valueName,
);

const BIN_OPS = ['or', 'and', '==', '!=', '<', '<=', '>', '>=', '~', 'in', '+', '-', '*', '/'];
const CMP_OPS = new Set(['==', '!=', '<', '<=', '>', '>=', '~', 'in']);

/** Comma-separated with line-break places: `a,BR b` */
const commaList = (parts: string[], trailing: boolean) => parts.join(`,${BR}`) + (trailing && parts.length ? ',' : '');

interface StageText {
  text: string;
  /** written `op a b`: a `,` after it would continue its arguments */
  bare: boolean;
}

// a type, not an interface: `fc.letrec` wants an index-compatible record
type Gen = {
  expr: string;
  atom: string;
  arg: string;
  stage: StageText;
};

const { expr, stage } = fc.letrec<Gen>((tie) => ({
  atom: fc.oneof(
    { depthSize: 'small' },
    literal,
    fc.tuple(name, fc.array(tie('arg'), { maxLength: 3 })).map(([f, args]) => `${f}(${BR}${commaList(args, false)}${BR})`),
    fc.tuple(fc.array(tie('expr'), { maxLength: 3 }), fc.boolean()).map(([items, t]) => `[${BR}${commaList(items, t)}${BR}]`),
    fc
      .array(
        fc.oneof(
          fc.tuple(fc.oneof(name, fc.constantFrom(...KEY_WORDS), stringLit), tie('expr')).map(([k, v]): StageText => ({ text: `${k}: ${v}`, bare: false })),
          tie('stage'),
        ),
        { maxLength: 3 },
      )
      .chain((entries) =>
        fc.array(fc.constantFrom(',', ';'), { minLength: entries.length, maxLength: entries.length }).map((seps) =>
          `{${BR}${entries.map((e, i) => e.text + (e.bare ? ';' : i < entries.length - 1 ? seps[i] : '')).join(BR)}${BR}}`,
        ),
      ),
  ),
  expr: fc.oneof(
    { depthSize: 'small' },
    tie('atom'),
    // a chain without parentheses: precedence decides
    fc
      .tuple(tie('atom'), fc.constantFrom(...BIN_OPS), tie('atom'), fc.option(fc.tuple(fc.constantFrom(...BIN_OPS), tie('atom'))))
      .map(([a, op, b, more]) => {
        // after an item keyword used as a name, `/` would start a regex (see tokens.ts VALUE_ENDERS)
        const lhs = (x: string, o: string) => (o === '/' && /^(source|cell|seed)$/.test(x) ? `(${x})` : x);
        return more && !(CMP_OPS.has(op) && CMP_OPS.has(more[0])) ? `${lhs(a, op)} ${op} ${lhs(b, more[0])} ${more[0]} ${more[1]}` : `${lhs(a, op)} ${op} ${b}`;
      }),
    fc.tuple(tie('expr'), fc.constantFrom(...BIN_OPS), tie('expr')).map(([l, op, r]) => `((${l}) ${op} (${r}))`),
    fc.tuple(fc.constantFrom('not ', '-'), tie('atom')).map(([op, x]) => op + x),
    fc.tuple(fc.constantFrom('not ', '-'), tie('expr')).map(([op, x]) => `${op}(${x})`),
    fc.tuple(name, memberName).map(([o, m]) => `${o}.${m}`),
    fc.tuple(tie('expr'), memberName).map(([o, m]) => `(${o}).${m}`),
  ),
  // `->` (a rule's `CONDITION -> LABEL`) only at the top of an argument
  arg: fc
    .tuple(fc.option(fc.constantFrom('reason', 'keep', 'seed', 'in', 'and', 'not', 'r')), tie('expr'), fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: tie('expr'), weight: 1 }))
    .map(([n, v, label]) => `${n === null ? '' : `${n}: `}${v}${label === null ? '' : ` -> ${label}`}`),
  stage: fc
    .tuple(qname, fc.array(tie('arg'), { maxLength: 3 }), fc.boolean(), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }))
    .map(([op, args, paren, commas]): StageText => {
      if (!args.length) return { text: paren ? `${op}()` : op, bare: false };
      if (paren || './'.includes(args[0][0])) return { text: `${op}(${BR}${commaList(args, false)}${BR})`, bare: false };
      let s = `${op} ${args[0]}`;
      for (let i = 1; i < args.length; i++) {
        const next = args[i];
        const needsComma = '-./'.includes(next[0]) || /^(and|in|or):/.test(next);
        s += needsComma || commas[i] ? `,${BR}${next}` : ` ${next}`;
      }
      return { text: s, bare: true };
    }),
}));

const pipeline = fc.array(stage, { minLength: 1, maxLength: 4 }).map((stages) => stages.map((s) => s.text).join(`${BR}|${BR}`));

const item = fc.oneof(
  fc.oneof(name, stringLit).map((n) => `recipe ${n}`),
  fc.constantFrom('1', '42', '1_000').map((n) => `seed ${n}`),
  fc.tuple(name, expr).map(([n, e]) => `param ${n} = ${e}`),
  fc.tuple(stringLit, fc.option(name)).map(([p, a]) => `use ${p}${a ? ` as ${a}` : ''}`),
  fc.tuple(fc.constantFrom('source', 'cell'), name, pipeline).map(([k, n, p]) => `${k} ${n} = ${p}`),
  fc.tuple(fc.constantFrom('show', 'export'), pipeline).map(([k, p]) => `${k} ${p}`),
);

/** How each `BR` and each gap between items is written, drawn in turn from a list of choices. */
function render(items: string[], before: number[][], choices: number[]): string {
  let n = 0;
  const pick = () => choices[n++ % choices.length];
  const comment = () => COMMENTS[pick() % COMMENTS.length];
  const br = () => {
    switch (pick() % 8) {
      case 0:
        return '\n  ';
      case 1:
        return ` ${comment()}\n  `;
      case 2:
        return `\n  ${comment()}\n  `;
      case 3:
        return '\n\n    ';
      default:
        return ' ';
    }
  };
  let out = '';
  items.forEach((it, i) => {
    for (const c of before[i] ?? []) out += c % 5 === 0 ? '\n' : `${COMMENTS[c % COMMENTS.length]}\n`;
    // an item keyword first on a line starts an item, so no line break right before one
    const parts = it.split(BR);
    const text = parts.reduce((acc, part) => acc + (/^(recipe|seed|param|use|source|cell|show|export)\b/.test(part) ? ' ' : br()) + part);
    out += text;
    const end = pick() % 6;
    if (end === 0) out += ` ${comment()}\n`;
    else if (end === 1) out += '\n\n';
    else out += '\n';
  });
  return out;
}

describe('fmt: random recipes', () => {
  // FMT_RUNS=20000 npx vitest run test/cli/fmt.test.ts -t random  for a longer search
  it('idempotent and meaning-preserving', () => {
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 0, maxLength: 6 }),
        fc.array(fc.array(fc.nat(40), { maxLength: 3 }), { maxLength: 6 }),
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 40 }),
        (items, before, choices) => {
          const text = render(items, before, choices);
          checkRoundTrip(text);
        },
      ),
      { numRuns: Number(process.env.FMT_RUNS ?? 400) },
    );
  }, 600_000);
});
