/**
 * Running checked rules (src/check/rules.ts) on rows: conditions compiled to closures, matchers
 * that yield spans, lexicon files loaded once. Offsets are **code points**, end-exclusive (what
 * Label Studio, Prodigy, doccano, Argilla and spaCy count), not JS UTF-16 code units: in
 * "😀 Apple" the span of "Apple" is 2..7 (JS indexOf says 3). `[...text].slice(start, end)` reads one.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { compileExpr, truthy } from '../../core/expr.js';
import type { RuleCond, RuleExample, RuleIR, RuleMatcher } from '../../check/rules.js';
import { resolvePath } from '../sources/files.js';
import { recipeRegex } from '../../parser/regex.js';

export interface Hit {
  start: number;
  end: number;
}

export interface CompiledRule {
  rule: RuleIR;
  /** does the rule fire on the row? spans found by its positive matchers go to `spans` when given */
  test(row: Record<string, unknown>, spans?: Hit[]): boolean;
  /** the column its spans point into (the first matcher's) */
  spanColumn?: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** UTF-16 index → code point index, for a text that may hold astral characters. */
export function codePointIndex(text: string): (utf16: number) => number {
  if (!/[\uD800-\uDFFF]/.test(text)) return (i) => i;
  const map = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    map[i] = cp;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) map[++i] = cp;
    }
    cp++;
  }
  map[text.length] = cp;
  return (i) => map[i];
}

/** Code point index → UTF-16 index (the inverse of codePointIndex), or -1 when out of range. */
export function utf16Index(text: string): (cp: number) => number {
  if (!/[\uD800-\uDFFF]/.test(text)) return (i) => (i >= 0 && i <= text.length ? i : -1);
  const starts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    starts.push(i);
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  starts.push(text.length);
  return (cp) => (cp >= 0 && cp < starts.length ? starts[cp] : -1);
}

/** Length in code points. */
export const cpLength = (text: string): number => codePointIndex(text)(text.length);

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One regex for a term list: longest first, on word boundaries (letters, digits, `_`). */
export function termsRegex(terms: string[], caseSensitive: boolean): RegExp {
  const sorted = [...new Set(terms)].sort((a, b) => [...b].length - [...a].length || (a < b ? -1 : a > b ? 1 : 0));
  const body = sorted.map((t) => escapeRe(t).replace(/\s+/g, '\\s+')).join('|');
  return new RegExp(`(?<![\\p{L}\\p{N}_])(?:${body})(?![\\p{L}\\p{N}_])`, caseSensitive ? 'gu' : 'giu');
}

/** Terms of a lexicon file: one per line, blank lines and `# comments` skipped. */
export function parseLexicon(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export class LexiconError extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
  }
}

export function loadLexicon(file: string, baseDir: string): string[] {
  const { abs } = resolvePath(file, baseDir);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new LexiconError(file, `cannot find lexicon \`${file}\``);
  const terms = parseLexicon(readFileSync(abs, 'utf8'));
  if (!terms.length) throw new LexiconError(file, `lexicon \`${file}\` holds no terms`);
  return terms;
}

type Matcher = (row: Record<string, unknown>, spans?: Hit[]) => boolean;

function compileMatcher(m: RuleMatcher, lexicons: Map<string, string[]>): Matcher {
  if (m.k === 'regex') {
    // the recipe's own regex: linear time (src/parser/regex.ts); term lists are escaped, built by ftr
    const rx = recipeRegex(m.source, m.flags);
    return (row, spans) => {
      const text = str(row[m.col]);
      if (!text) return false;
      if (!spans) return rx.test(text);
      const found = rx.matches(text);
      if (!found.length) return false;
      const cp = codePointIndex(text);
      for (const h of found) spans.push({ start: cp(h.start), end: cp(h.end) });
      return true;
    };
  }
  const re = termsRegex(m.k === 'terms' ? m.terms : lexicons.get(m.file)!, m.case);
  const min = m.min;
  return (row, spans) => {
    const text = str(row[m.col]);
    if (!text) return false;
    re.lastIndex = 0;
    const found: Hit[] = [];
    let hit: RegExpExecArray | null;
    while ((hit = re.exec(text))) {
      if (hit[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      found.push({ start: hit.index, end: hit.index + hit[0].length });
      if (!spans && found.length >= min) return true;
    }
    if (found.length < min) return false;
    if (spans) {
      const cp = codePointIndex(text);
      for (const h of found) spans.push({ start: cp(h.start), end: cp(h.end) });
    }
    return true;
  };
}

function compileCond(c: RuleCond, lexicons: Map<string, string[]>): Matcher {
  switch (c.k) {
    case 'expr': {
      const f = compileExpr(c.ir);
      return (row) => truthy(f(row));
    }
    case 'match':
      return compileMatcher(c.m, lexicons);
    case 'not': {
      const e = compileCond(c.e, lexicons);
      return (row) => !e(row);
    }
    case 'and': {
      const l = compileCond(c.l, lexicons);
      const r = compileCond(c.r, lexicons);
      return (row, spans) => {
        const mine: Hit[] | undefined = spans ? [] : undefined;
        if (!l(row, mine) || !r(row, mine)) return false;
        if (spans && mine) spans.push(...mine);
        return true;
      };
    }
    case 'or': {
      const l = compileCond(c.l, lexicons);
      const r = compileCond(c.r, lexicons);
      return (row, spans) => l(row, spans) || r(row, spans);
    }
  }
}

function firstMatcherColumn(c: RuleCond): string | undefined {
  if (c.k === 'match') return c.m.col;
  if (c.k === 'and' || c.k === 'or') return firstMatcherColumn(c.l) ?? firstMatcherColumn(c.r);
  return undefined;
}

export function lexiconFiles(c: RuleCond, into: string[] = []): string[] {
  if (c.k === 'match' && c.m.k === 'lexicon') into.push(c.m.file);
  else if (c.k === 'and' || c.k === 'or') {
    lexiconFiles(c.l, into);
    lexiconFiles(c.r, into);
  } else if (c.k === 'not') lexiconFiles(c.e, into);
  return into;
}

/** Compile rules; lexicons are read from `baseDir` (throws LexiconError naming the file). */
export function compileRules(rules: RuleIR[], baseDir: string, cache = new Map<string, string[]>()): CompiledRule[] {
  for (const r of rules) for (const f of lexiconFiles(r.when)) if (!cache.has(f)) cache.set(f, loadLexicon(f, baseDir));
  return rules.map((rule) => ({ rule, test: compileCond(rule.when, cache), spanColumn: firstMatcherColumn(rule.when) }));
}

/** The row an example stands for: a string fills the rule's first column. */
export function exampleRow(rule: RuleIR, ex: RuleExample): Record<string, unknown> {
  return typeof ex === 'string' ? { [rule.columns[0] ?? 'text']: ex } : ex;
}

/** Examples that do not behave: `which` says what was expected. */
export function failingExamples(c: CompiledRule): { which: 'match' | 'no_match'; index: number; example: RuleExample }[] {
  const out: { which: 'match' | 'no_match'; index: number; example: RuleExample }[] = [];
  const ex = c.rule.examples;
  if (!ex) return out;
  ex.match.forEach((e, index) => {
    if (!c.test(exampleRow(c.rule, e))) out.push({ which: 'match', index, example: e });
  });
  ex.no_match.forEach((e, index) => {
    if (c.test(exampleRow(c.rule, e))) out.push({ which: 'no_match', index, example: e });
  });
  return out;
}
