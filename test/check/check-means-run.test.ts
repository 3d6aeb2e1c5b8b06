/** `ftr check` passes ⇒ the run does what the recipe says: every error at once, typed expressions, parts. */
import { describe, expect, it } from 'vitest';
import { check, HEAD } from './helpers.js';

const codes = (r: ReturnType<typeof check>) => r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);

describe('every error at once', () => {
  it('ten independent mistakes, several downstream of a missing file, are all reported in one check', () => {
    const r = check(`recipe ten
param n = "ten"
source a = jsonl "nope.jsonl" { text: .t, label: .l }
cell b = a | dedup text
cell c = a | keep len(txt) > 3
cell d = a | dedupe text keep: frist
cell e = a | split 80% 10% 5%
cell g = a | tokenize text o200k_base special_tokens: "yes"
cell h = nothere | keep len(text) > 3
cell i = a | keep len(text) > n
export c | write "out/" formt: "jsonl"
export e | write "out2/" format: jsonlines
`);
    expect(codes(r)).toEqual(['E0116', 'E0101', 'E0201', 'E0107', 'E0104', 'E0107', 'E0102', 'E0204', 'E0106', 'E0107']);
    expect(r.graph).toBeUndefined();
  });

  it('an error in one step does not hide the next step of the same cell', () => {
    const r = check(HEAD + 'cell a = t | dedupe txt | keep len(text) > "x" | split 50% 40%');
    expect(codes(r)).toEqual(['E0201', 'E0204', 'E0104']);
  });

  it('a cell that reads a broken cell is still checked, against what is known', () => {
    const r = check(HEAD + 'cell a = t | dedup text\ncell b = a | keep len(text) > 3 | dedupe label keep: sometimes');
    expect(codes(r)).toEqual(['E0101', 'E0107']);
  });

  it('a forgotten `|` after a cell name gets a did-you-mean with the pipe', () => {
    const r = check(HEAD + 'cell b = t keep len(text) > 3');
    expect(r.diagnostics[0].message).toBe('unknown op `t`');
    expect(r.diagnostics[0].help).toBe('did you mean `t | keep`?');
  });
});

describe('typed expressions', () => {
  it('a string param compared with a number is an error that points at the param', () => {
    const r = check('param min = "ten"\n' + HEAD + 'cell a = t | keep len(text) > min');
    const d = r.diagnostics.find((x) => x.code === 'E0204')!;
    expect(d.message).toBe('`>` compares a number with a string');
    expect(d.notes?.join('\n')).toMatch(/`min` is a string, declared at .*:1:7/);
    expect(d.help).toMatch(/param min = 10/);
  });

  it('== between a number column and a string is never true: an error', () => {
    const r = check(HEAD + 'cell a = t | keep n == "3"');
    expect(r.diagnostics.map((x) => x.message)).toEqual(['`==` compares a number with a string']);
  });

  it('string functions on numbers are errors; on strings and unknown columns they pass', () => {
    expect(codes(check(HEAD + 'cell a = t | keep lower(n) == "x"'))).toEqual(['E0204']);
    expect(codes(check(HEAD + 'cell a = t | keep starts_with(n, "1")'))).toEqual(['E0204']);
    expect(codes(check(HEAD + 'cell a = t | keep lower(text) == "x" and len(text) > 2 and n > 1'))).toEqual([]);
  });
});

describe('generic layers know no op by name', () => {
  it('mix percentages that do not add up name mix, not split', () => {
    const r = check(HEAD + 'cell m = t | mix { a: 60%, b: 30% }');
    expect(r.diagnostics[0].message).toBe('`mix` percentages add up to 90%');
  });
});

describe('field paths are checked against the data', () => {
  it('a mapped path no sampled record has is a warning with did-you-mean against the paths present', () => {
    const r = check('source s = jsonl "nested.jsonl" { text: .body.txt, label: .intent }\n');
    expect(r.graph).toBeDefined();
    const w = r.only();
    expect([w.code, w.severity]).toEqual(['W0101', 'warning']);
    expect(w.message).toBe('no sampled record has `.body.txt` (column `text`): it would be null in every row');
    expect(w.help).toBe('did you mean `.body.text`?');
  });

  it('mapped columns are typed from the sample, so expressions over them are checked', () => {
    const r = check('source s = jsonl "t.jsonl" { words: .text, count: .n }\ncell a = s | keep count > "3"');
    expect(r.diagnostics.map((d) => d.message)).toEqual(['`>` compares a number with a string']);
  });
});

describe('--backend is a param override the checker validates', () => {
  it('sets `backend` of every op that declares it, and refuses a value the param does not take', () => {
    const ok = check(HEAD + 'cell a = t | tokenize text', {}, { paramOverrides: { backend: 'cpu', tokenizer: 'cl100k_base' } });
    expect(ok.diagnostics).toEqual([]);
    expect(ok.graph!.cells.find((c) => c.name === 'a')!.steps[0].params.tokenizer).toBe('cl100k_base');
    expect(() => check(HEAD + 'cell a = t | tokenize text', {}, { paramOverrides: { tokenizer: 'nope' } })).toThrow(/--tokenizer must be one of .*not `nope`/);
  });
});
