import { describe, expect, it } from 'vitest';
import type { Stage } from '../../src/parser/ast.js';
import { parseRecipe } from '../../src/parser/parse.js';
import { cellAt, expr, parseOk, pos, range, strip } from './helpers.js';

describe('literals in the AST', () => {
  it('strings decode escapes: \\n \\t \\" \\\\ \\0 \\u{…}, unknown escapes keep the char', () => {
    expect(strip(expr('"a\\nb\\tc \\"q\\" \\\\ \\u{1F600}\\u{41} \\x"'))).toEqual({ kind: 'string', value: 'a\nb\tc "q" \\ 😀A x' });
    expect(strip(expr('""'))).toEqual({ kind: 'string', value: '' });
  });

  it('numbers: `_` separators, exponents, decimals, raw text kept', () => {
    expect(strip(expr('1_000'))).toEqual({ kind: 'number', value: 1000, raw: '1_000' });
    expect(strip(expr('2e-4'))).toEqual({ kind: 'number', value: 0.0002, raw: '2e-4' });
    expect(strip(expr('1.5e+3'))).toEqual({ kind: 'number', value: 1500, raw: '1.5e+3' });
    expect(strip(expr('0.25'))).toEqual({ kind: 'number', value: 0.25, raw: '0.25' });
  });

  it('units: value and unit split, raw kept', () => {
    const cases: [string, number, string][] = [
      ['80%', 80, '%'],
      ['5k', 5, 'k'],
      ['2.5M', 2.5, 'M'],
      ['512MB', 512, 'MB'],
      ['30s', 30, 's'],
      ['2GiB', 2, 'GiB'],
      ['5min', 5, 'min'],
      ['10ms', 10, 'ms'],
      ['1_500k', 1500, 'k'],
    ];
    for (const [raw, value, unit] of cases) expect(strip(expr(raw)), raw).toEqual({ kind: 'unit', value, unit, raw });
  });

  it('booleans, null, regexes with flags', () => {
    expect(strip(expr('true'))).toEqual({ kind: 'bool', value: true });
    expect(strip(expr('false'))).toEqual({ kind: 'bool', value: false });
    expect(strip(expr('null'))).toEqual({ kind: 'null' });
    expect(strip(expr('/refund|charge ?back/i'))).toEqual({ kind: 'regex', source: 'refund|charge ?back', flags: 'i' });
    expect(strip(expr('/a\\/b/'))).toEqual({ kind: 'regex', source: 'a\\/b', flags: '' });
  });

  it('an invalid regex is reported (E0004) with its span', () => {
    const r = parseRecipe('param p = /a(/', 't.ftr');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0].code).toBe('E0004');
    expect(r.diagnostics[0].message).toMatch(/^invalid regex: .*Unterminated group/);
    expect(range(r.diagnostics[0].span)).toBe('1:11-1:15');
  });

  it('field paths with names and indexes', () => {
    expect(strip(expr('.body.text'))).toEqual({ kind: 'field', path: ['body', 'text'], raw: '.body.text' });
    expect(strip(expr('.a[0].b'))).toEqual({ kind: 'field', path: ['a', 0, 'b'], raw: '.a[0].b' });
    expect(strip(expr('.messages[12]'))).toEqual({ kind: 'field', path: ['messages', 12], raw: '.messages[12]' });
  });

  it('member access `parts.train` (touching dots) is a member of a name', () => {
    expect(strip(expr('parts.train'))).toEqual({ kind: 'member', object: { kind: 'name', name: 'parts' }, name: 'train' });
    expect(strip(expr('lib.parts.test'))).toEqual({
      kind: 'member',
      object: { kind: 'member', object: { kind: 'name', name: 'lib' }, name: 'parts' },
      name: 'test',
    });
  });

  it('lists, nested lists, trailing commas and commas left out', () => {
    expect(strip(expr('[1, "a", [true], ]'))).toEqual({
      kind: 'list',
      items: [
        { kind: 'number', value: 1, raw: '1' },
        { kind: 'string', value: 'a' },
        { kind: 'list', items: [{ kind: 'bool', value: true }] },
      ],
    });
    expect(strip(expr('[a b]'))).toEqual({ kind: 'list', items: [{ kind: 'name', name: 'a' }, { kind: 'name', name: 'b' }] });
    expect(strip(expr('[]'))).toEqual({ kind: 'list', items: [] });
  });

  it('blocks: settings separated by `,` `;` or nothing, string keys, keyword keys, and clauses', () => {
    expect(strip(expr('{ a: 1, b: 2; "c d": 3 e: 4 seed: 5 }'))).toEqual({
      kind: 'block',
      entries: [
        { kind: 'setting', name: 'a', value: { kind: 'number', value: 1, raw: '1' } },
        { kind: 'setting', name: 'b', value: { kind: 'number', value: 2, raw: '2' } },
        { kind: 'setting', name: 'c d', value: { kind: 'number', value: 3, raw: '3' } },
        { kind: 'setting', name: 'e', value: { kind: 'number', value: 4, raw: '4' } },
        { kind: 'setting', name: 'seed', value: { kind: 'number', value: 5, raw: '5' } },
      ],
    });
    const b = expr('{ dedupe text; keep: 3 }');
    expect(strip(b)).toEqual({
      kind: 'block',
      entries: [
        { kind: 'clause', stage: { name: 'dedupe', args: [{ value: { kind: 'name', name: 'text' } }] } },
        { kind: 'setting', name: 'keep', value: { kind: 'number', value: 3, raw: '3' } },
      ],
    });
  });
});

describe('operators and precedence', () => {
  const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'binary', op, left, right });
  const n = (v: number) => ({ kind: 'number', value: v, raw: String(v) });
  const name = (x: string) => ({ kind: 'name', name: x });

  it('* / bind tighter than + -, left-associative', () => {
    expect(strip(expr('1 + 2 * 3 - 4 / 2'))).toEqual(bin('-', bin('+', n(1), bin('*', n(2), n(3))), bin('/', n(4), n(2))));
    expect(strip(expr('10 / 2 / 5'))).toEqual(bin('/', bin('/', n(10), n(2)), n(5)));
    expect(strip(expr('(1 + 2) * 3'))).toEqual(bin('*', bin('+', n(1), n(2)), n(3)));
  });

  it('division `a / b` is not a regex', () => {
    expect(strip(expr('a / b'))).toEqual(bin('/', name('a'), name('b')));
  });

  it('not > comparison > and > or', () => {
    expect(strip(expr('not a == b or c and d'))).toEqual(
      bin('or', { kind: 'unary', op: 'not', operand: bin('==', name('a'), name('b')) }, bin('and', name('c'), name('d'))),
    );
  });

  it('every comparison operator, `~` and `in`', () => {
    for (const op of ['==', '!=', '<', '<=', '>', '>=', '~', 'in']) {
      expect(strip(expr(`a ${op} b`)), op).toEqual(bin(op, name('a'), name('b')));
    }
    expect(strip(expr('text ~ /a|b/i'))).toEqual(bin('~', name('text'), { kind: 'regex', source: 'a|b', flags: 'i' }));
    expect(strip(expr('label in ["a", "b"]'))).toEqual(
      bin('in', name('label'), { kind: 'list', items: [{ kind: 'string', value: 'a' }, { kind: 'string', value: 'b' }] }),
    );
  });

  it('unary minus and function calls', () => {
    expect(strip(expr('-3'))).toEqual({ kind: 'unary', op: '-', operand: n(3) });
    expect(strip(expr('len(text) >= 20'))).toEqual(bin('>=', { kind: 'call', callee: 'len', args: [{ value: name('text') }] }, n(20)));
    expect(strip(expr('coalesce(a, "x")'))).toEqual({ kind: 'call', callee: 'coalesce', args: [{ value: name('a') }, { value: { kind: 'string', value: 'x' } }] });
  });

  it('`and`/`or` may continue an expression on the next line', () => {
    const ast = parseOk('cell a = t | keep len(text) > 3\n  and label == "x"');
    const keep = cellAt(ast, 0).pipeline.stages[1];
    expect(keep.args).toHaveLength(1);
    expect((keep.args[0].value as { op?: string }).op).toBe('and');
  });
});

describe('`CONDITION -> LABEL`: `->` binds loosest of all, at the top of an argument', () => {
  const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'binary', op, left, right });
  const name = (x: string) => ({ kind: 'name', name: x });
  const str = (v: string) => ({ kind: 'string', value: v });
  const re = (source: string) => ({ kind: 'regex', source, flags: '' });
  const not = (operand: unknown) => ({ kind: 'unary', op: 'not', operand });

  /** The clauses of `annotate { … }`. */
  function clauses(body: string): Stage[] {
    const stage = cellAt(parseOk(`cell c = t | annotate { ${body} }`), 0).pipeline.stages[1];
    const block = stage.args[0].value;
    if (block.kind !== 'block') throw new Error(`expected a block, got ${block.kind}`);
    return block.entries.map((e) => (e.kind === 'clause' ? e.stage : (undefined as never)));
  }
  /** The value of `rule r: <src>`. */
  const rule = (src: string) => strip(clauses(`rule r: ${src}`)[0].args[0].value);

  it('labels a whole `or`, not just its right-most comparison', () => {
    expect(rule('text ~ /a/ or text ~ /b/ -> "x"')).toEqual(bin('->', bin('or', bin('~', name('text'), re('a')), bin('~', name('text'), re('b'))), str('x')));
  });

  it('labels a whole `not`, `and` and comparison, with `and` still above `or`', () => {
    expect(rule('not x -> "y"')).toEqual(bin('->', not(name('x')), str('y')));
    expect(rule('not len(text) < 3 -> abstain')).toEqual(
      bin('->', not(bin('<', { kind: 'call', callee: 'len', args: [{ value: name('text') }] }, { kind: 'number', value: 3, raw: '3' })), name('abstain')),
    );
    expect(rule('a and b or c -> "x"')).toEqual(bin('->', bin('or', bin('and', name('a'), name('b')), name('c')), str('x')));
    expect(rule('a or b and c -> "x"')).toEqual(bin('->', bin('or', name('a'), bin('and', name('b'), name('c'))), str('x')));
    expect(rule('a == b and not c ~ /d/ -> "x"')).toEqual(bin('->', bin('and', bin('==', name('a'), name('b')), not(bin('~', name('c'), re('d')))), str('x')));
  });

  it('parentheses around the condition are still fine and change nothing', () => {
    expect(rule('(a or b) -> "x"')).toEqual(rule('a or b -> "x"'));
    expect(rule('(len(text) < 3) -> abstain')).toEqual(rule('len(text) < 3 -> abstain'));
  });

  it('the label ends the value: options and more clauses follow; the span covers condition and label', () => {
    const [r, s] = clauses('rule r: a or b -> "x" weight: 2; rule s: c\n    -> "y"');
    expect(r.args.map((a) => a.name)).toEqual(['r', 'weight']);
    expect(range(r.args[0].value.span)).toBe('1:33-1:46');
    // `->` may start a continuation line, like `and`/`or`
    expect(strip(s.args[0].value)).toEqual(bin('->', name('c'), str('y')));
  });

  it('parses in any argument (the checker rejects it outside rule clauses)', () => {
    const [keep] = cellAt(parseOk('cell c = t | keep a or b -> c'), 0).pipeline.stages.slice(1);
    expect(strip(keep.args[0].value)).toEqual(bin('->', bin('or', name('a'), name('b')), name('c')));
    expect(strip(expr('f(a -> b, n: c -> d)'))).toEqual({
      kind: 'call',
      callee: 'f',
      args: [{ value: bin('->', name('a'), name('b')) }, { name: 'n', value: bin('->', name('c'), name('d')) }],
    });
  });

  it('anywhere else `->` is a syntax error that says where it belongs, and the next items still parse', () => {
    const r = parseRecipe('param p = a -> b\nparam q = [a -> b]\ncell c = t | annotate { rule r: a -> "x" -> "y" }\ncell d = t | dedupe', 't.ftr');
    expect(r.diagnostics.filter((d) => d.message.includes('`->`')).map((d) => [d.code, range(d.span), d.message, d.label])).toEqual([
      ['E0002', '1:13-1:15', "unexpected `->`: it only follows a rule's whole condition", '`->` is not allowed here'],
      ['E0002', '2:14-2:16', "unexpected `->`: it only follows a rule's whole condition", '`->` is not allowed here'],
      ['E0002', '3:42-3:44', "unexpected `->`: it only follows a rule's whole condition", '`->` is not allowed here'],
    ]);
    expect(r.diagnostics[0].help).toBe('a rule clause is `rule NAME: CONDITION -> "label"`: one `->`, after the whole condition');
    expect(r.ast.items.map((i) => (i.kind === 'param' || i.kind === 'cell' ? i.name : i.kind))).toEqual(['p', 'q', 'c', 'd']);
  });

  it('inside parentheses: move it out; recovery still reads the rule', () => {
    const r = parseRecipe('cell c = t | annotate { rule r: (a -> "x") }', 't.ftr');
    const d = r.diagnostics[0];
    expect([d.code, range(d.span), d.label, d.help]).toEqual(['E0002', '1:36-1:38', '`->` cannot be inside parentheses', 'move `->` and its label after the closing `)`: `(CONDITION) -> "label"`']);
    const stage = cellAt(r.ast, 0).pipeline.stages[1];
    const block = stage.args[0].value;
    expect(block.kind === 'block' && block.entries[0].kind === 'clause' && strip(block.entries[0].stage.args[0].value)).toEqual(bin('->', name('a'), str('x')));
  });
});

describe('items', () => {
  it('recipe (name or string), seed (with `_`), param', () => {
    const ast = parseOk('recipe quickstart\nrecipe "my recipe"\nseed 1_0\nparam min_chars = 10');
    expect(strip(ast.items)).toEqual([
      { kind: 'recipe', name: 'quickstart' },
      { kind: 'recipe', name: 'my recipe' },
      { kind: 'seed', value: 10 },
      { kind: 'param', name: 'min_chars', value: { kind: 'number', value: 10, raw: '10' } },
    ]);
    const param = ast.items[3];
    if (param.kind !== 'param') throw new Error('param');
    expect(range(param.nameSpan)).toBe('4:7-4:16');
    expect(range(param.span)).toBe('4:1-4:21');
  });

  it('use, with and without `as`', () => {
    const ast = parseOk('use "lib/common.ftr" as common\nuse "other.ftr"');
    expect(strip(ast.items)).toEqual([
      { kind: 'use', path: 'lib/common.ftr', alias: 'common' },
      { kind: 'use', path: 'other.ftr' },
    ]);
    const use = ast.items[0];
    if (use.kind !== 'use') throw new Error('use');
    expect(range(use.pathSpan)).toBe('1:5-1:21');
  });

  it('source and cell: name, name span, keyword', () => {
    const ast = parseOk('source t = jsonl "t.jsonl"\ncell clean = t | dedupe');
    const src = cellAt(ast, 0);
    expect([src.keyword, src.name]).toEqual(['source', 't']);
    expect(range(src.nameSpan!)).toBe('1:8-1:9');
    const c = cellAt(ast, 1);
    expect([c.keyword, c.name]).toEqual(['cell', 'clean']);
    expect(range(c.nameSpan!)).toBe('2:6-2:11');
    expect(c.pipeline.stages.map((s) => s.name)).toEqual(['t', 'dedupe']);
  });

  it('show and export: generated names, no name span, distinct per item', () => {
    const ast = parseOk('show clean | keep true\nexport parts | write "out/"');
    const show = cellAt(ast, 0);
    const exp = cellAt(ast, 1);
    expect(show.keyword).toBe('show');
    expect(exp.keyword).toBe('export');
    expect(show.nameSpan).toBeUndefined();
    expect(exp.nameSpan).toBeUndefined();
    expect(show.name).not.toBe(exp.name);
    expect(show.name.startsWith('show')).toBe(true);
    expect(exp.name.startsWith('export')).toBe(true);
    expect(exp.pipeline.stages.map((s) => s.name)).toEqual(['parts', 'write']);
  });

  it('each item starts on its own line: an item keyword later on a line is reported', () => {
    const r = parseRecipe('param x = 3 cell y = z', 't.ftr');
    expect(r.ast.items.map((i) => i.kind)).toEqual(['param']);
    expect(r.diagnostics.map((d) => [d.code, pos(d)])).toEqual([['E0002', '1:13']]);
    expect(r.diagnostics[0].message).toContain('unexpected keyword `cell`');
  });
});

describe('pipelines and arguments', () => {
  it('`|` may start continuation lines', () => {
    const ast = parseOk('cell clean = raw\n  | strip_html text\n  | normalize nfkc\n  | keep len(text) >= 10 "too short"\ncell next = clean');
    const c = cellAt(ast, 0);
    expect(c.pipeline.stages.map((s) => [s.name, s.args.length])).toEqual([
      ['raw', 0],
      ['strip_html', 1],
      ['normalize', 1],
      ['keep', 2],
    ]);
    expect(range(c.pipeline.stages[3].nameSpan)).toBe('4:5-4:9');
    expect(range(c.pipeline.span)).toBe('1:14-4:37');
    expect(cellAt(ast, 1).name).toBe('next');
  });

  it('bare args stay on their line: an item on the next line is not an arg', () => {
    const ast = parseOk('cell u = clean | dedupe\nshow u');
    const c = cellAt(ast, 0);
    expect(c.pipeline.stages[1]).toMatchObject({ name: 'dedupe', args: [] });
    expect(cellAt(ast, 1).keyword).toBe('show');
  });

  it('bare args stay on their line: a name on the next line is not an arg of the op', () => {
    const r = parseRecipe('cell u = clean | dedupe\n  label', 't.ftr');
    const c = cellAt(r.ast, 0);
    expect(c.pipeline.stages[1]).toMatchObject({ name: 'dedupe', args: [] });
    expect(r.diagnostics.map((d) => [d.code, pos(d)])).toEqual([['E0002', '2:3']]);
    expect(r.diagnostics[0].message).toContain('unexpected name `label`');
  });

  it('bare args: positional, named, keyword-named (`seed: 7`), with values of every kind', () => {
    const ast = parseOk('cell s = x | sample 5k seed: 7 by: label fraction: 10% where: .a[0].b');
    const st = cellAt(ast, 0).pipeline.stages[1];
    expect(strip(st)).toEqual({
      name: 'sample',
      args: [
        { value: { kind: 'unit', value: 5, unit: 'k', raw: '5k' } },
        { name: 'seed', value: { kind: 'number', value: 7, raw: '7' } },
        { name: 'by', value: { kind: 'name', name: 'label' } },
        { name: 'fraction', value: { kind: 'unit', value: 10, unit: '%', raw: '10%' } },
        { name: 'where', value: { kind: 'field', path: ['a', 0, 'b'], raw: '.a[0].b' } },
      ],
    });
    expect(range(st.args[1].nameSpan!)).toBe('1:24-1:28');
    expect(range(st.args[1].span)).toBe('1:24-1:31');
  });

  it('other keywords work as argument names too', () => {
    const ast = parseOk('cell s = x | op source: 1 cell: 2 show: 3 export: 4 use: 5 param: 6 recipe: 7 true: 8');
    expect(cellAt(ast, 0).pipeline.stages[1].args.map((a) => a.name)).toEqual(['source', 'cell', 'show', 'export', 'use', 'param', 'recipe', 'true']);
  });

  it('paren args `op(a, b, name: v)` when `(` touches the name; they may span lines', () => {
    const ast = parseOk('cell c = x | normalize(nfkc,\n  lowercase: true) | dedupe (text)');
    const [, norm, dd] = cellAt(ast, 0).pipeline.stages;
    expect(strip(norm)).toEqual({
      name: 'normalize',
      args: [{ value: { kind: 'name', name: 'nfkc' } }, { name: 'lowercase', value: { kind: 'bool', value: true } }],
    });
    // `dedupe (text)` with a space: one bare argument that happens to be parenthesised
    expect(strip(dd)).toEqual({ name: 'dedupe', args: [{ value: { kind: 'name', name: 'text' } }] });
  });

  it('dotted stage names: `parts.train`, `lib.clean`', () => {
    const ast = parseOk('cell a = parts.train | lib.clean');
    const [first, second] = cellAt(ast, 0).pipeline.stages;
    expect(first.name).toBe('parts.train');
    expect(range(first.nameSpan)).toBe('1:10-1:21');
    expect(second.name).toBe('lib.clean');
  });

  it('comma-separated bare args on one line', () => {
    const ast = parseOk('cell raw = concat tickets, faq, more');
    expect(strip(cellAt(ast, 0).pipeline.stages[0].args)).toEqual([
      { value: { kind: 'name', name: 'tickets' } },
      { value: { kind: 'name', name: 'faq' } },
      { value: { kind: 'name', name: 'more' } },
    ]);
  });

  // regression (src/parser/parser.ts, rule `bareArg` / `stage`): the README ("end a line with `,` to
  it('a trailing comma lets bare args continue on the next line', () => {
    const ast = parseOk('cell raw = concat tickets,\n  faq');
    expect(strip(cellAt(ast, 0).pipeline.stages[0].args)).toEqual([
      { value: { kind: 'name', name: 'tickets' } },
      { value: { kind: 'name', name: 'faq' } },
    ]);
  });
});

describe('keywords that are also column names', () => {
  // regression (src/parser/parse.ts `isItemStart`/`splitItems`, and src/parser/parser.ts `primary`):
  it('the `source` provenance column can be used in an expression', () => {
    const ast = parseOk('cell a = t | keep source == "faq.csv"');
    expect(strip(cellAt(ast, 0).pipeline.stages[1].args)).toEqual([
      { value: { kind: 'binary', op: '==', left: { kind: 'name', name: 'source' }, right: { kind: 'string', value: 'faq.csv' } } },
    ]);
  });
});

describe('comments and prose', () => {
  const src = [
    '## Tickets from the helpdesk.', // 1
    '## Nested fields.', // 2
    'source t = jsonl "t.jsonl" # trailing comment', // 3
    '# a plain comment', // 4
    'cell a = t', // 5
    '', // 6
    '## orphan prose, a blank line below', // 7
    '', // 8
    'cell b = t', // 9
    '##no space', // 10
    'export b | write "out/"', // 11
  ].join('\n');

  it('`##` lines directly above an item become its prose; `#` comments do not', () => {
    const ast = parseOk(src);
    expect(ast.items.map((i) => i.prose)).toEqual(['Tickets from the helpdesk.\nNested fields.', undefined, undefined, 'no space']);
  });

  it('comments are kept with their kind and span; they never reach the items', () => {
    const ast = parseOk(src);
    expect(ast.comments.map((c) => [c.text, c.prose, pos(c)])).toEqual([
      ['## Tickets from the helpdesk.', true, '1:1'],
      ['## Nested fields.', true, '2:1'],
      ['# trailing comment', false, '3:28'],
      ['# a plain comment', false, '4:1'],
      ['## orphan prose, a blank line below', true, '7:1'],
      ['##no space', true, '10:1'],
    ]);
    expect(cellAt(ast, 0).pipeline.stages[0].args).toHaveLength(1);
  });

  // regression (src/parser/tokens.ts, the `Prose` and `Comment` token patterns match up to `\n` only):
  it('CRLF line ends do not leak into prose or comments', () => {
    const ast = parseOk('## Hello\r\n## World\r\ncell a = t # c\r\n');
    expect(ast.items[0].prose).toBe('Hello\nWorld');
    expect(ast.comments.map((c) => c.text)).toEqual(['## Hello', '## World', '# c']);
  });

  it('a `#` inside a string is not a comment', () => {
    const ast = parseOk('param p = "a # b"');
    expect(ast.comments).toEqual([]);
    expect(strip(ast.items[0])).toMatchObject({ value: { kind: 'string', value: 'a # b' } });
  });
});

describe('the shipped quickstart recipe', () => {
  it('parses without diagnostics into its seven cells', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'quickstart.ftr'), 'utf8');
    const ast = parseOk(text, 'quickstart.ftr');
    expect(ast.items.map((i) => (i.kind === 'cell' ? `${i.keyword}` : i.kind))).toEqual([
      'recipe', 'seed', 'param', 'source', 'source', 'cell', 'cell', 'cell', 'cell', 'export',
    ]);
    expect(ast.items[0].prose).toMatch(/^Quickstart/);
  });
});
