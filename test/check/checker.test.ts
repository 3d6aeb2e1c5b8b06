import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe, UsageError } from '../../src/check/checker.js';
import { registry } from '../../src/ops/registry.js';
import { renderDiagnostics } from '../../src/parser/diagnostics.js';
import { cellOf, check, HEAD, range } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('a good recipe', () => {
  it('the shipped quickstart checks clean: cells, order, params, seed', () => {
    const r = checkRecipe(join(ROOT, 'examples', 'quickstart.ftr'), registry);
    expect(r.diagnostics).toEqual([]);
    const g = r.graph!;
    expect(g.recipe).toBe('quickstart');
    expect(g.seed).toBe(42);
    expect(g.params).toEqual({ min_chars: 10 });
    const named = g.cells.filter((c) => c.keyword !== 'export').map((c) => c.name);
    expect(named).toEqual(['tickets', 'faq', 'raw', 'clean', 'unique', 'parts']);
    expect(g.cells.filter((c) => c.keyword === 'export')).toHaveLength(1);
    expect(g.order.indexOf('raw')).toBeGreaterThan(Math.max(g.order.indexOf('tickets'), g.order.indexOf('faq')));
    expect(g.order.indexOf('parts')).toBeGreaterThan(g.order.indexOf('unique'));
    expect(cellOf(r, 'raw').deps.sort()).toEqual(['faq', 'tickets']);
    expect(cellOf(r, 'clean').steps.map((s) => s.op.name)).toEqual(['strip_html', 'normalize', 'drop', 'keep']);
    expect(cellOf(r, 'parts').schema.parts).toEqual(['train', 'val', 'test']);
    expect(r.sources.size).toBe(1);
    expect([...r.sources.values()][0]).toBe(readFileSync(join(ROOT, 'examples', 'quickstart.ftr'), 'utf8'));
  });

  it('the recipe name defaults to the file name; the seed to 0', () => {
    const r = check(HEAD + 'cell a = t | dedupe text');
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.recipe).toBe('r');
    expect(r.graph!.seed).toBe(0);
  });

  it('op params are bound with defaults filled in', () => {
    const r = check(HEAD + 'cell a = t | dedupe text keep: last | normalize nfkc lowercase | split 70% 20% 10%');
    expect(r.diagnostics).toEqual([]);
    expect(cellOf(r, 'a').steps.map((s) => s.params)).toEqual([
      { columns: ['text'], keep: 'last', fold: true },
      { form: 'nfkc', lowercase: true, whitespace: true, controls: true },
      { ratios: { train: 0.7, val: 0.2, test: 0.1 }, by: 'random', key: 'id', salt: 'ftr-split-v1' },
    ]);
  });
});

describe('unknown names', () => {
  it('unknown op, with did-you-mean (E0101)', () => {
    const r = check(HEAD + 'cell a = t | dedup text');
    const d = r.only();
    expect([d.code, range(d), d.message, d.help]).toEqual(['E0101', '3:14-3:19', 'unknown op `dedup`', 'did you mean `dedupe`?']);
    expect(d.notes).toEqual(['`ftr ops` lists every op']);
    expect(d.span.file).toBe(r.file);
    expect(r.graph).toBeUndefined();
  });

  it('unknown op at the start of a pipeline (it has args, so it is not a cell)', () => {
    const d = check(HEAD + 'cell a = jsonll "t.jsonl"').only();
    expect([d.code, range(d), d.message, d.help]).toEqual(['E0101', '3:10-3:16', 'unknown op `jsonll`', 'did you mean `jsonl`?']);
  });

  it('unknown cell, with did-you-mean and the list of cells (E0102)', () => {
    const d = check(HEAD + 'cell a = tt | dedupe text').only();
    expect([d.code, range(d), d.message, d.help]).toEqual(['E0102', '3:10-3:12', 'unknown cell `tt`', 'did you mean `t`?']);
    expect(d.notes).toEqual(['cells: t, f, a']);
  });

  it('unknown cell given to a dataset param (concat)', () => {
    const d = check(HEAD + 'cell a = concat t, ff').only();
    expect([d.code, range(d), d.message, d.help]).toEqual(['E0102', '3:20-3:22', 'unknown cell `ff`', 'did you mean `f`?']);
  });

  it('unknown part of a split, with did-you-mean and its parts (E0203)', () => {
    const d = check(HEAD + 'cell p = t | split\ncell q = p.tran').only();
    expect([d.code, range(d), d.message, d.help]).toEqual(['E0203', '4:10-4:16', '`p` has no part `tran`', 'did you mean `train`?']);
    expect(d.notes).toEqual(['parts of `p`: train, val, test']);
  });

  it('a part of a cell that has none (E0203)', () => {
    const d = check(HEAD + 'cell q = t.train').only();
    expect([d.code, d.message]).toEqual(['E0203', '`t` has no part `train`']);
    expect(d.notes).toEqual(['`t` is a single dataset with no parts']);
  });
});

describe('unknown columns (E0201), before any row is read', () => {
  it('in a column param: `dedupe lable` → did you mean `label`, with the columns listed', () => {
    const r = check(HEAD + 'cell a = t | dedupe lable');
    const d = r.only();
    expect([d.code, range(d), d.message, d.label, d.help]).toEqual(['E0201', '3:21-3:26', 'unknown column `lable`', 'not a column of `t`', 'did you mean `label`?']);
    expect(d.notes).toEqual(['columns of `t`: id, source, text, label, n']);
    expect(renderDiagnostics(r.diagnostics, r.sources)).toBe(
      [
        'error[E0201]: unknown column `lable`',
        `  --> ${r.file}:3:21`,
        '  |',
        '3 | cell a = t | dedupe lable',
        '  |                     ^^^^^ not a column of `t`',
        '  |',
        '  = note: columns of `t`: id, source, text, label, n',
        '  = help: did you mean `label`?',
      ].join('\n'),
    );
  });

  it('in a list of columns', () => {
    const d = check(HEAD + 'cell a = t | normalize columns: [text, lable]').only();
    expect([d.code, range(d), d.help]).toEqual(['E0201', '3:40-3:45', 'did you mean `label`?']);
  });

  it('in an expression, naming the cell and the step it runs after', () => {
    const d = check(HEAD + 'cell a = t | strip_html text | keep len(txt) > 1').only();
    expect([d.code, range(d), d.message, d.help]).toEqual(['E0201', '3:41-3:44', 'unknown column `txt`', 'did you mean `text`?']);
    expect(d.label).toBe('not a column of `a (after strip_html)`');
    expect(d.notes).toEqual(['columns of `a (after strip_html)`: id, source, text, label, n']);
  });

  it('columns of a mapped source are only the mapped ones', () => {
    const d = check(HEAD + 'cell a = f | dedupe answer').only();
    expect([d.code, d.message]).toEqual(['E0201', 'unknown column `answer`']);
    expect(d.notes).toEqual(['columns of `f`: id, source, text, label']);
  });

  it('a default column the input lacks is reported by the op (dedupe defaults to `text`)', () => {
    const d = check('source x = csv "f.csv"\ncell a = x | dedupe').only();
    expect([d.code, d.message]).toEqual(['E0201', 'unknown column `text`']);
    expect(d.notes).toEqual(['input columns: id, source, question, category, answer']);
  });
});

describe('values of op params', () => {
  it('unknown named param, with did-you-mean and the op\'s params (E0106)', () => {
    const d = check(HEAD + 'cell a = t | dedupe text kep: first').only();
    expect([d.code, range(d), d.message, d.help]).toEqual(['E0106', '3:26-3:29', '`dedupe` has no param `kep`', 'did you mean `keep`?']);
    expect(d.notes).toEqual(['params of `dedupe`: columns, keep, score, fold']);
  });

  it('wrong type (E0107)', () => {
    const d = check(HEAD + 'cell a = t | dedupe text fold: 3').only();
    expect([d.code, range(d), d.message, d.label]).toEqual(['E0107', '3:32-3:33', '`fold` must be true or false, found number 3', 'expected bool']);
    expect(d.notes).toEqual(['fold: compare strings after NFKC, removing controls, lowercasing and making every whitespace run (newlines too) one space']);
    const w = check(HEAD + 'cell a = t | write out').only();
    expect([w.code, w.message]).toEqual(['E0107', '`path` must be a path in quotes, found name `out`']);
  });

  it('an enum value with did-you-mean (E0107)', () => {
    const d = check(HEAD + 'cell a = t | dedupe text keep: frist').only();
    expect([d.code, range(d), d.message, d.help]).toEqual([
      'E0107',
      '3:32-3:37',
      '`keep` must be one of first, last, longest, highest, found name `frist`',
      'did you mean `first`?',
    ]);
    const n = check(HEAD + 'cell a = t | normalize form: nfkx').only();
    expect([n.code, n.help]).toEqual(['E0107', 'did you mean `nfkc`?']);
  });

  // regression (src/check/params.ts `positionalTarget` + `checkColumn`): the README says a bare word that
  it('a misspelt bare enum value gets a did-you-mean', () => {
    const d = check(HEAD + 'cell a = t | normalize nfkq').only();
    expect(d.help).toBe('did you mean `nfkc`?');
  });

  it('out-of-range values (E0108): a seed that is not whole, ratios outside 0–100%', () => {
    const s = check(HEAD + 'seed 1.5').only();
    expect([s.code, range(s), s.message]).toEqual(['E0108', '3:1-3:9', 'the seed must be a whole number ≥ 0']);
    const r = check(HEAD + 'cell a = t | split { train: 150%, test: -50% }');
    expect(r.diagnostics.map((d) => [d.code, range(d), d.message])).toEqual([
      ['E0108', '3:29-3:33', '`train` must be between 0% and 100%'],
      ['E0108', '3:41-3:45', '`test` must be between 0% and 100%'],
    ]);
  });

  it('missing required param (E0110) at the op name, with how to write it', () => {
    const d = check(HEAD + 'cell a = t | write').only();
    expect([d.code, range(d), d.message, d.help]).toEqual(['E0110', '3:14-3:19', '`write` needs `path`', 'write `write <path>`']);
    expect(d.notes).toEqual(['path: path — output folder, or a .jsonl file for a single dataset']);
    const c = check(HEAD + 'cell a = concat').only();
    expect([c.code, c.message]).toEqual(['E0110', '`concat` needs `cells`']);
  });

  it('too many positional args (E0111), with a did-you-mean for enum values', () => {
    const d = check(HEAD + 'cell a = t | keep true "r" extra').only();
    expect([d.code, range(d), d.message, d.label]).toEqual(['E0111', '3:28-3:33', 'too many arguments for `keep`', 'no param left to take this value']);
    expect(d.notes).toEqual(['`keep` takes when, reason by position; name the others (`name: value`)']);
    const e = check(HEAD + 'cell a = t | dedupe text lastt').only();
    expect([e.code, e.help]).toEqual(['E0111', 'did you mean `last`?']);
  });

  it('a param given twice (E0112)', () => {
    const d = check(HEAD + 'cell a = t | dedupe text columns: [label]').only();
    expect([d.code, d.message, d.notes]).toEqual(['E0112', 'param `columns` is given twice', ['first given at 3:21']]);
  });

  it('a keep condition that is not a condition (E0204)', () => {
    const d = check(HEAD + 'cell a = t | keep len(text)').only();
    expect([d.code, range(d), d.message]).toEqual(['E0204', '3:19-3:28', '`when` must be a condition (true/false), but this is a number']);
  });

  it('`CONDITION -> LABEL` in an op argument outside a rules block (E0205), reported once', () => {
    const d = check(HEAD + 'cell a = t | keep len(text) > 3 or label == "a" -> "x"').only();
    expect([d.code, range(d), d.message, d.help]).toEqual(['E0205', '3:19-3:55', '`->` is only allowed in rule blocks', 'label a condition in a rule clause: `annotate { rule NAME: CONDITION -> "label" }`']);
    const e = check(HEAD + 'cell a = t | dedupe text -> label').only();
    expect([e.code, range(e)]).toEqual(['E0205', '3:21-3:34']);
  });
});

describe('split percentages (E0104)', () => {
  it('bare percentages that do not add up: the sum in the message, the terms in the label', () => {
    const d = check(HEAD + 'cell a = t | split 80% 10% 5%').only();
    expect([d.code, range(d), d.message, d.label, d.help]).toEqual([
      'E0104',
      '3:20-3:30',
      '`split` percentages add up to 95%',
      '80% + 10% + 5% = 95%',
      'make them add up to 100%',
    ]);
  });

  it('named parts that add up to more than 100%', () => {
    const d = check(HEAD + 'cell a = t | split { train: 70%, dev: 20%, test: 15% }').only();
    expect([d.code, d.message, d.label]).toEqual(['E0104', '`split` percentages add up to 105%', '70% + 20% + 15% = 105%']);
  });

  it('more bare percentages than default part names', () => {
    const d = check(HEAD + 'cell a = t | split 50% 20% 20% 10%').only();
    expect([d.code, d.message]).toEqual(['E0107', 'at most 3 unnamed percentages (train, val, test); name them with { name: 10% }']);
  });

  it('percentages that add up are accepted, named or not', () => {
    const r = check(HEAD + 'cell a = t | split 90% 10%\ncell b = t | split { train: 70%, dev: 15%, test: 15% }');
    expect(r.diagnostics).toEqual([]);
    expect(cellOf(r, 'a').steps[0].params.ratios).toEqual({ train: 0.9, val: 0.1 });
    expect(cellOf(r, 'b').schema.parts).toEqual(['train', 'dev', 'test']);
  });
});

describe('the shape of the graph', () => {
  it('cells that read each other in a cycle (E0103)', () => {
    const d = check(HEAD + 'cell a = b | dedupe text\ncell b = a | dedupe text').only();
    expect([d.code, range(d), d.message, d.help]).toEqual([
      'E0103',
      '3:6-3:7',
      'cells depend on each other in a cycle: a → b → a',
      'a cell can only read cells that do not read it back',
    ]);
  });

  it('a cycle through a dataset param (concat)', () => {
    const r = check(HEAD + 'cell a = t | concat b\ncell b = a | dedupe text');
    expect(r.codes).toEqual([['E0103', '3:6']]);
    expect(r.diagnostics[0].message).toBe('cells depend on each other in a cycle: a → b → a');
  });

  // regression (src/check/checker.ts `depsOf` drops self-edges with `deps.delete(d.name)`, then
  it('a cell that reads itself is a cycle', () => {
    const r = check(HEAD + 'cell a = a | dedupe text');
    expect(r.codes.map(([c]) => c)).toEqual(['E0103']);
    expect(r.graph).toBeUndefined();
    const c = check(HEAD + 'cell a = t | concat a');
    expect(c.codes.map(([x]) => x)).toEqual(['E0103']);
    expect(c.graph).toBeUndefined();
  });

  it('duplicate names (E0105): cells, params, seed and recipe, a cell named like an op', () => {
    const r = check(HEAD + 'cell a = t\ncell a = f');
    expect(r.only().code).toBe('E0105');
    expect(range(r.only())).toBe('4:6-4:7');
    expect(r.only().message).toBe('cell `a` is defined twice');
    expect(r.only().notes).toEqual([`first defined at ${r.file}:3`]);

    const p = check(HEAD + 'param x = 1\nparam x = 2').only();
    expect([p.code, range(p), p.message]).toEqual(['E0105', '4:7-4:8', 'param `x` is declared twice']);

    const s = check(HEAD + 'seed 3\nseed 4\nrecipe x\nrecipe y');
    expect(s.diagnostics.map((d) => [d.code, range(d), d.message, d.notes])).toEqual([
      ['E0105', '4:1-4:7', '`seed` is set twice', ['first set at line 3']],
      ['E0105', '6:1-6:9', '`recipe` is set twice', ['first set at line 5']],
    ]);

    const o = check(HEAD + 'cell dedupe = t').only();
    expect([o.code, o.message, o.help]).toEqual(['E0105', 'cell `dedupe` has the name of an op', 'pick another name so `| dedupe` stays unambiguous']);
  });

  it('several show/export items of the same cell do not clash', () => {
    const r = check(HEAD + 'show t | keep len(text) > 3\nshow t | dedupe text\nexport t | write "a/"\nexport t | write "b/"');
    expect(r.diagnostics).toEqual([]);
    const names = r.graph!.cells.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(r.graph!.cells.filter((c) => c.keyword === 'export').map((c) => c.steps[0].params.path)).toEqual(['a/', 'b/']);
  });

  it('a param needs a literal value (E0107)', () => {
    const d = check(HEAD + 'param a = foo').only();
    expect([d.code, range(d), d.message]).toEqual(['E0107', '3:11-3:14', 'param `a` needs a literal value (string, number, list, record…)']);
  });
});

describe('where ops may stand (E0113)', () => {
  it('a source op after `|`', () => {
    const d = check(HEAD + 'cell a = t | jsonl "t.jsonl"').only();
    expect([d.code, range(d), d.message, d.help]).toEqual([
      'E0113',
      '3:14-3:19',
      '`jsonl` is a source: it starts a pipeline, it cannot follow `|`',
      'make it its own cell: `source x = jsonl …`',
    ]);
  });

  it('an op that needs an input at the start of a pipeline', () => {
    const d = check(HEAD + 'cell x = dedupe text').only();
    expect([d.code, range(d), d.message]).toEqual(['E0113', '3:10-3:16', '`dedupe` needs an input']);
  });

  it('a `source` cell that does not start with a source op', () => {
    const d = check(HEAD + 'source x = t | dedupe text').only();
    expect([d.code, d.message]).toEqual(['E0113', '`source x` must start with a source op (jsonl, csv, …)']);
  });

  it('an `export` that does not end with a sink, and ops after a sink', () => {
    const e = check(HEAD + 'export t | dedupe text').only();
    expect([e.code, e.message, e.help]).toEqual(['E0113', '`export` must end with a sink op such as `write`', 'add `| write "out/"`']);
    const s = check(HEAD + 'cell x = t | write "o/" | dedupe').only();
    expect([s.code, range(s), s.message]).toEqual(['E0113', '3:27-3:33', 'nothing can follow the sink `write`']);
  });

  it('an op on a cell with parts that would make parts again (E0115)', () => {
    const d = check(HEAD + 'cell a = t | split | split').only();
    expect(d.code).toBe('E0115');
    expect(d.message).toContain('already has parts (train, val, test)');
  });

  // regression (src/check/checker.ts, E0115): the help suggests `${owner}.${part}`, but after a step the
  it('the E0115 help suggests something that can be written', () => {
    const d = check(HEAD + 'cell a = t | split | split').only();
    expect(d.help).not.toContain('(after');
  });
});

describe('--set overrides', () => {
  const recipe = HEAD + 'param m = 3\nparam l = ["a"]\nparam s = "x"\ncell a = t | keep len(text) > m and label in l and text != s';

  it('numbers, lists and strings replace the declared values', () => {
    const r = check(recipe, {}, { set: { m: '7', l: '["b", "c"]', s: 'hello world' } });
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.params).toEqual({ m: 7, l: ['b', 'c'], s: 'hello world' });
    // the overridden values are what the op's condition compares with
    expect(JSON.stringify(cellOf(r, 'a').steps[0].params.when)).toContain('{"k":"lit","value":7}');
    expect(JSON.stringify(cellOf(r, 'a').steps[0].params.when)).toContain('{"k":"list","items":[{"k":"lit","value":"b"},{"k":"lit","value":"c"}]}');
  });

  it('a string param keeps the text as typed, even when it looks like a number', () => {
    const r = check(recipe, {}, { set: { s: '42' } });
    expect(r.graph!.params.s).toBe('42');
  });

  it('units and percentages are read as .ftr literals', () => {
    const r = check(recipe, {}, { set: { m: '5k' } });
    expect(r.graph!.params.m).toBe(5000);
  });

  it('an override is checked against the op param it feeds', () => {
    const src = HEAD + 'param f = true\ncell a = t | dedupe text fold: f';
    expect(cellOf(check(src, {}, { set: { f: 'false' } }), 'a').steps[0].params.fold).toBe(false);
    // a value of another kind than the param's default is refused on the command line
    expect(() => check(src, {}, { set: { f: '3' } })).toThrow('--set f=3: `f` is a boolean (default true), and `3` is not');
  });

  it('an unknown param is a UsageError with did-you-mean', () => {
    expect(() => check(recipe, {}, { set: { mm: '7' } })).toThrow(UsageError);
    expect(() => check(recipe, {}, { set: { mm: '7' } })).toThrow('--set mm: the recipe has no param `mm`; did you mean `m`?');
    expect(() => check(recipe, {}, { set: { zzzz: '7' } })).toThrow(/^--set zzzz: the recipe has no param `zzzz`$/);
  });
});

describe('sources at check time', () => {
  it('a missing file is reported with the span of its path', () => {
    const r = check(HEAD + 'source x = jsonl "nope.jsonl"');
    const d = r.only();
    expect([range(d), d.message, d.label]).toEqual(['3:18-3:30', 'file not found: `nope.jsonl`', 'nothing to read here']);
    expect(d.notes?.[1]).toBe('paths are relative to the recipe file');
    expect(d.notes?.[0]).toMatch(/^looked in .*nope\.jsonl$/);
  });

  it('a glob that matches nothing', () => {
    const d = check(HEAD + 'source x = csv "data/*.csv"').only();
    expect([range(d), d.message]).toEqual(['3:16-3:28', 'no files match `data/*.csv`']);
  });

  it('a csv mapping from a column the header lacks', () => {
    const d = check(HEAD + 'source x = csv "f.csv" { text: questio }').only();
    expect(d.message).toBe('`text` maps from `questio`, which is not a column of f.csv');
    expect(d.notes).toEqual(['header: question, category, answer']);
  });

  it('checking reads no rows: a malformed line past the sampled head is left to the run', () => {
    const r = check('source x = jsonl "d.jsonl"\ncell a = x | dedupe text', { 'd.jsonl': '{"text":"a"}\n{not json\n' });
    expect(r.diagnostics).toEqual([]);
    expect(cellOf(r, 'x').schema.columns.map((c) => c.name)).toEqual(['id', 'source', 'text']);
  });

  it('paths are relative to the recipe file, not the working directory', () => {
    const r = check('source x = jsonl "sub/d.jsonl"\ncell a = x | dedupe text', { 'sub/d.jsonl': '{"text":"a"}\n' });
    expect(r.diagnostics).toEqual([]);
    expect(cellOf(r, 'a').baseDir).toBe(r.dir);
  });
});

describe('an argument the parser could not read', () => {
  it('stops the op from checking half-bound params (found by fuzzing: `write or"out/"` on a split crashed)', () => {
    const text = readFileSync(join(ROOT, 'examples', 'quickstart.ftr'), 'utf8').replace('| write "out/"', '| write or"out/"');
    const file = join(ROOT, 'examples', 'broken.ftr');
    const r = checkRecipe(file, registry, { readFile: (p) => (p === file ? text : readFileSync(p, 'utf8')) });
    expect(r.graph).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message).join('\n')).toMatch(/expected an argument, found keyword `or`/);
  });
});
