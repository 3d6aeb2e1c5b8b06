/** Shared helpers for the checker tests: temp projects with small data files, checking, positions. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll } from 'vitest';
import { checkRecipe, type CheckOptions, type CheckResult } from '../../src/check/checker.js';
import type { GraphCell } from '../../src/check/graph.js';
import { registry } from '../../src/ops/registry.js';
import type { OpDef } from '../../src/ops/types.js';
import type { Diagnostic } from '../../src/parser/diagnostics.js';

/** Columns of t.jsonl: text, label, n (+ id, source). f.csv has question, category, answer. */
export const DATA: Record<string, string> = {
  't.jsonl': '{"text":"hello there","label":"a","n":3}\n{"text":"bye","label":"b","n":4}\n',
  'f.csv': 'question,category,answer\nWhere is my order?,shipping,See the help center.\n',
  'nested.jsonl': '{"ticket_id":"T1","body":{"text":"hi","lang":"en"},"intent":"shipping","messages":[{"content":"m"}]}\n',
};

/** Two sources every recipe below starts with (lines 1 and 2): `t` (jsonl) and `f` (csv, mapped). */
export const HEAD = 'source t = jsonl "t.jsonl"\nsource f = csv "f.csv" { text: question, label: category }\n';

const created: string[] = [];
// temp projects go when the test file that made them is done
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ftr-check-'));
  created.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

/** How the checker names a file in spans and messages (relative to the working directory). */
export function shown(abs: string): string {
  return relative(process.cwd(), abs) || abs;
}

export interface Checked extends CheckResult {
  dir: string;
  /** the recipe's file name as it appears in spans */
  file: string;
  /** [code, line:col] per diagnostic */
  codes: [string, string][];
  only(): Diagnostic;
}

/** Write `recipe` as r.ftr next to the standard data (plus `files`) and check it. */
export function check(recipe: string, files: Record<string, string> = {}, opts: CheckOptions = {}, reg: Map<string, OpDef> = registry): Checked {
  const dir = project({ ...DATA, ...files, 'r.ftr': recipe });
  const result = checkRecipe(join(dir, 'r.ftr'), reg, opts);
  return {
    ...result,
    dir,
    file: shown(join(dir, 'r.ftr')),
    codes: result.diagnostics.map((d) => [d.code, `${d.span.start.line}:${d.span.start.col}`]),
    only() {
      if (result.diagnostics.length !== 1) throw new Error(`expected one diagnostic, got: ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ') || 'none'}`);
      return result.diagnostics[0];
    },
  };
}

export function cellOf(r: CheckResult, name: string): GraphCell {
  if (!r.graph) throw new Error(`no graph: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  const c = r.graph.cells.find((x) => x.name === name);
  if (!c) throw new Error(`no cell ${name} in ${r.graph.cells.map((x) => x.name).join(', ')}`);
  return c;
}

export function columnsOf(r: CheckResult, name: string): string[] {
  return cellOf(r, name).schema.columns.map((c) => c.name);
}

export function range(d: Diagnostic): string {
  const s = d.span;
  return `${s.start.line}:${s.start.col}-${s.end.line}:${s.end.col}`;
}
