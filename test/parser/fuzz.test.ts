import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRecipe } from '../../src/check/checker.js';
import { formatFile } from '../../src/cli/fmt.js';
import { MAX_PER_FILE, renderDiagnostics, type Diagnostic } from '../../src/parser/diagnostics.js';
import { parseRecipe } from '../../src/parser/parse.js';
import { registry } from '../../src/ops/registry.js';
import { ROOT } from '../helpers.js';

/** A span is valid when it lies inside the text and its line:col agree with its offset. */
function checkSpans(diags: Diagnostic[], text: string, file: string): void {
  for (const d of diags) {
    if (d.span.file !== file) continue;
    const { start, end } = d.span;
    expect(start.offset).toBeGreaterThanOrEqual(0);
    expect(end.offset).toBeGreaterThanOrEqual(start.offset);
    expect(start.offset).toBeLessThanOrEqual(text.length);
    const before = text.slice(0, start.offset);
    expect(start.line, d.message).toBe(before.split('\n').length);
    expect(start.col, d.message).toBe(start.offset - (before.lastIndexOf('\n') + 1) + 1);
    expect(d.code).toMatch(/^[EW]\d{4}$/);
  }
}

const TOKENS = ['recipe', 'seed', 'param', 'use', 'source', 'cell', 'show', 'export', 'x', 'text', 'label', 'raw', 'clean', 'jsonl', 'csv', 'dedupe', 'split', 'keep', 'drop', 'normalize', 'write', 'concat', '=', '|', '(', ')', '[', ']', '{', '}', ',', ':', ';', '.', '"a.jsonl"', '"out/"', '"unterminated', '80%', '10%', '5k', '2MB', '3', '-1', '1e9', '/re+gex/i', '.body.text', '#c', '## prose', 'and', 'or', 'not', 'in', '==', '>=', '<', '~', '+', '*', '/', 'true', 'null', 'len(text)', '\u00e9', '\u0000', '@', '\t'];

const recipeLike = fc.array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(' ', ' ', '\n', '\n  ', '', '\r\n')), { maxLength: 60 }).map((xs) => xs.map(([t, s]) => t + s).join(''));

const SEEDS = [
  readFileSync(join(ROOT, 'examples', 'quickstart.ftr'), 'utf8'),
  'source d = jsonl "d.jsonl" { text: .body, label: .y }\ncell c = d | normalize nfkc lowercase | keep len(text) > 3 "short"\ncell p = c | split { train: 70%, val: 30% }\nexport p | write "out/"\n',
];

/** Random edits of a valid recipe: delete a slice, insert a token, duplicate or swap lines. */
const mutated = fc
  .tuple(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.constantFrom(...TOKENS), fc.constantFrom('delete', 'insert', 'dup-line')), { minLength: 1, maxLength: 4 }))
  .map(([seed, edits]) => {
    let s = seed;
    for (const [pos, len, tok, kind] of edits) {
      const at = pos % (s.length + 1);
      if (kind === 'delete') s = s.slice(0, at) + s.slice(at + len);
      else if (kind === 'insert') s = s.slice(0, at) + tok + s.slice(at);
      else {
        const lines = s.split('\n');
        const i = pos % lines.length;
        lines.splice(i, 0, lines[i]);
        s = lines.join('\n');
      }
    }
    return s;
  });

describe('fuzzing the parser and checker', () => {
  it('random token soup never throws; every diagnostic has a valid span', () => {
    fc.assert(
      fc.property(recipeLike, (text) => {
        const r = parseRecipe(text, 'f.ftr');
        checkSpans(r.diagnostics, text, 'f.ftr');
      }),
      { numRuns: 400 },
    );
  });

  it('mutated recipes check to either a graph or error diagnostics, never a crash', () => {
    const data = join(ROOT, 'examples', 'm.ftr');
    fc.assert(
      fc.property(mutated, (text) => {
        const files = new Map([[data, text]]);
        const res = checkRecipe(data, registry, { readFile: (p) => files.get(p) ?? readFileSync(p, 'utf8') });
        const errors = res.diagnostics.filter((d) => d.severity === 'error');
        expect(Boolean(res.graph)).toBe(errors.length === 0);
        checkSpans(res.diagnostics, text, 'examples/m.ftr');
      }),
      { numRuns: 300 },
    );
  });

  it('`ftr fmt` is idempotent on every mutated recipe that parses', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        if (parseRecipe(text, 'm.ftr').diagnostics.length) return;
        const once = formatFile(text, 'm.ftr');
        expect(once.diagnostics.filter((d) => d.code === 'E0009')).toEqual([]);
        expect(formatFile(once.text!, 'm.ftr').text).toBe(once.text);
      }),
      { numRuns: 300 },
    );
  });

  // the reduced version of bench/parser-fuzz.mjs: hostile repetitions, nesting and chains
  const hostile = fc
    .tuple(
      fc.constantFrom(...SEEDS),
      fc.nat(),
      fc.constantFrom('|', '(', 'not ', '- ', '[', '{', ',', '"x" ', '#', ' + 1'),
      fc.constantFrom(1, 65, 300, 2_000, 10_000),
    )
    .map(([seed, pos, token, n]) => {
      const at = pos % (seed.length + 1);
      return seed.slice(0, at) + token.repeat(n) + seed.slice(at);
    });

  it('hostile repetitions never crash; diagnostics stay bounded and never quote a huge line in full', () => {
    const data = join(ROOT, 'examples', 'm.ftr');
    fc.assert(
      fc.property(hostile, (text) => {
        const files = new Map([[data, text]]);
        const res = checkRecipe(data, registry, { readFile: (p) => files.get(p) ?? readFileSync(p, 'utf8') });
        expect(res.diagnostics.length).toBeLessThanOrEqual(MAX_PER_FILE + 1);
        for (const line of renderDiagnostics(res.diagnostics, res.sources).split('\n')) expect(line.length).toBeLessThan(600);
        formatFile(text, 'm.ftr');
      }),
      { numRuns: 60 },
    );
  });
});
