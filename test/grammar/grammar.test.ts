import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { grammarEbnf, railroadHtml, RULE_NOTES, ruleNames } from '../../src/parser/ebnf.js';
import { ITEM_KEYWORDS, KEYWORDS, UNITS } from '../../src/parser/tokens.js';

const GRAMMAR = join(import.meta.dirname, '..', '..', 'grammar');
const read = (f: string) => readFileSync(join(GRAMMAR, f), 'utf8');
const REGENERATE = 'out of date with the parser: run `npm run build && npm run grammar`';

describe('grammar.ebnf and railroad.html', () => {
  it('grammar.ebnf is what the current parser generates', () => {
    expect(read('grammar.ebnf'), `grammar/grammar.ebnf is ${REGENERATE}`).toBe(grammarEbnf());
  });

  it('railroad.html is what the current parser generates', () => {
    expect(read('railroad.html'), `grammar/railroad.html is ${REGENERATE}`).toBe(railroadHtml('diagrams/'));
  });

  it('defines every parser rule, and notes only rules that exist', () => {
    const ebnf = grammarEbnf();
    const rules = ruleNames();
    expect(rules.length).toBeGreaterThan(10);
    for (const r of rules) expect(ebnf).toMatch(new RegExp(`^${r} ::= `, 'm'));
    for (const r of Object.keys(RULE_NOTES)) expect(rules).toContain(r);
    // every rule used is defined (upper-case names are token classes, defined at the end)
    const used = new Set([...ebnf.replace(/\/\*[\s\S]*?\*\//g, '').replace(/'[^']*'/g, '').matchAll(/\b[A-Za-z_][A-Za-z0-9_]*\b/g)].map((m) => m[0]));
    for (const name of used) {
      if (name === name.toUpperCase()) continue;
      expect(rules, `rule ${name} is used but not defined`).toContain(name);
    }
    // comments stay closed: nothing inside one ends it early
    for (const c of ebnf.match(/\/\*[\s\S]*?\*\//g) ?? []) expect(c.slice(2, -2)).not.toContain('*/');
  });

  it('the railroad page loads only local files, and they draw every rule', () => {
    const html = read('railroad.html');
    const refs = [...html.matchAll(/(?:src|href)=['"]([^'"]+)['"]/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).not.toMatch(/^(https?:)?\/\//);
      expect(existsSync(join(GRAMMAR, ref)), `${ref} is missing from grammar/`).toBe(true);
    }
    // the copies are those of the installed chevrotain
    const chevrotain = join(dirname(createRequire(import.meta.url).resolve('chevrotain')), '..', '..');
    for (const ref of refs) {
      expect(read(ref), `grammar/${ref} differs from chevrotain's: ${REGENERATE}`).toBe(readFileSync(join(chevrotain, ref), 'utf8'));
    }
    // run the page's scripts against a stub DOM: the diagrams come out as SVG, one per rule
    let target = { innerHTML: '' };
    const ctx: Record<string, unknown> = {
      document: { getElementsByClassName: () => [], getElementsByTagName: () => [], getElementById: () => target },
      setTimeout,
    };
    ctx.window = ctx;
    vm.createContext(ctx);
    for (const m of html.matchAll(/<script src='([^']+)'><\/script>/g)) vm.runInContext(read(m[1]), ctx, { filename: m[1] });
    for (const m of html.matchAll(/<script>([\s\S]*?)<\/script>/g)) vm.runInContext(m[1], ctx);
    const headers = [...target.innerHTML.matchAll(/<h2 class="diagramHeader">([^<]+)<\/h2>/g)].map((m) => m[1]);
    expect(headers).toEqual(ruleNames());
    expect(target.innerHTML.match(/<svg /g)?.length).toBe(headers.length);
    target = { innerHTML: '' };
  });
});

// ---------------------------------------------------------------------------------------------
// The TextMate grammar, checked with a small tokenizer that follows TextMate's rules (the
// earliest match wins, ties go to the rule listed first) using JavaScript regular expressions.

interface TmRule {
  include?: string;
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
  captures?: Record<string, { name: string }>;
  beginCaptures?: Record<string, { name: string }>;
  endCaptures?: Record<string, { name: string }>;
  patterns?: TmRule[];
  comment?: string;
}

interface TmGrammar {
  scopeName: string;
  patterns: TmRule[];
  repository: Record<string, TmRule>;
}

const tm = JSON.parse(read('ftr.tmLanguage.json')) as TmGrammar;

function allRules(): TmRule[] {
  const out: TmRule[] = [];
  const walk = (r: TmRule) => {
    out.push(r);
    r.patterns?.forEach(walk);
  };
  tm.patterns.forEach(walk);
  Object.values(tm.repository).forEach(walk);
  return out;
}

/** Rules with includes resolved, in order. */
function flatten(rules: TmRule[], seen = new Set<string>()): TmRule[] {
  return rules.flatMap((r) => {
    if (r.include) {
      const key = r.include.replace(/^#/, '');
      if (seen.has(key)) return [];
      const target = tm.repository[key];
      if (!target) throw new Error(`unknown include ${r.include}`);
      return flatten([target], new Set([...seen, key]));
    }
    if (!r.match && !r.begin && r.patterns) return flatten(r.patterns, seen);
    return [r];
  });
}

/** Scopes of each character of one line. */
function tokenize(line: string): string[][] {
  const scopes: string[][] = [...line].map(() => []);
  // `line` is indexed by UTF-16 unit below; the test lines are ASCII
  const paint = (from: number, to: number, name?: string) => {
    if (!name) return;
    for (let i = from; i < to; i++) scopes[i].push(name);
  };
  const paintCaptures = (m: RegExpExecArray, caps?: Record<string, { name: string }>) => {
    for (const [k, v] of Object.entries(caps ?? {})) {
      const span = m.indices?.[Number(k)];
      if (span) paint(span[0], span[1], v.name);
    }
  };
  const first = (rules: TmRule[], pos: number, end?: RegExp): { rule?: TmRule; m: RegExpExecArray } | undefined => {
    let best: { rule?: TmRule; m: RegExpExecArray } | undefined;
    if (end) {
      end.lastIndex = pos;
      const m = end.exec(line);
      if (m) best = { m };
    }
    for (const rule of rules) {
      const re = new RegExp(rule.match ?? rule.begin!, 'dg');
      re.lastIndex = pos;
      const m = re.exec(line);
      if (m && (!best || m.index < best.m.index)) best = { rule, m };
    }
    return best;
  };
  const run = (rules: TmRule[], pos: number, end?: RegExp): number => {
    while (pos <= line.length) {
      const hit = first(rules, pos, end);
      if (!hit) return line.length;
      const { rule, m } = hit;
      const stop = m.index + m[0].length;
      if (!rule) return stop; // the end of the enclosing begin/end rule
      if (rule.match !== undefined) {
        paint(m.index, stop, rule.name);
        paintCaptures(m, rule.captures);
        pos = stop > m.index ? stop : m.index + 1;
        continue;
      }
      const endRe = new RegExp(rule.end!, 'dg');
      const inner = flatten(rule.patterns ?? []);
      const closed = run(inner, stop, endRe);
      paint(m.index, closed, rule.name);
      paintCaptures(m, rule.beginCaptures);
      endRe.lastIndex = Math.max(stop, closed - 1);
      const em = endRe.exec(line);
      if (em && em.index + em[0].length === closed) paintCaptures(em, rule.endCaptures);
      pos = closed > pos ? closed : pos + 1;
    }
    return pos;
  };
  run(flatten(tm.patterns), 0);
  return scopes;
}

/** The scopes over `word` at its `nth` occurrence in `line` (only scopes that cover all of it). */
function scopesOf(line: string, word: string, nth = 0): string[] {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = line.indexOf(word, at + 1);
  if (at < 0) throw new Error(`${word} not in ${line}`);
  const s = tokenize(line);
  return s[at].filter((scope) => s.slice(at, at + word.length).every((x) => x.includes(scope)));
}

const has = (line: string, word: string, prefix: string, nth = 0) => {
  const scopes = scopesOf(line, word, nth);
  expect(scopes.some((s) => s.startsWith(prefix)), `${word} in ${JSON.stringify(line)}: ${scopes.join(' ') || '(no scope)'}`).toBe(true);
};
const lacks = (line: string, word: string, prefix: string, nth = 0) => {
  const scopes = scopesOf(line, word, nth);
  expect(scopes.some((s) => s.startsWith(prefix)), `${word} in ${JSON.stringify(line)}: ${scopes.join(' ')}`).toBe(false);
};

describe('ftr.tmLanguage.json', () => {
  it('is a TextMate grammar for source.ftr', () => {
    expect(tm.scopeName).toBe('source.ftr');
    expect(tm.patterns.length).toBeGreaterThan(0);
  });

  it('every regex compiles as a JavaScript RegExp, with no Oniguruma-only syntax', () => {
    const sources = allRules().flatMap((r) => [r.match, r.begin, r.end].filter((x): x is string => x !== undefined));
    expect(sources.length).toBeGreaterThan(10);
    for (const src of sources) {
      expect(() => new RegExp(src), src).not.toThrow();
      expect(() => new RegExp(src, 'u'), src).not.toThrow();
      // Oniguruma-only escapes and constructs
      expect(src, src).not.toMatch(/\\[hHAzZGKRX]|\(\?[imx-]+[):]|\(\?>|\(\?~|[*+?}]\+/);
      // Oniguruma wants look-behinds of fixed length: no quantifier inside one
      for (const lb of src.matchAll(/\(\?<[=!]((?:[^()\\]|\\.|\[(?:[^\]\\]|\\.)*\])*)\)/g)) {
        expect(lb[1].replace(/\[(?:[^\]\\]|\\.)*\]/g, 'x').replace(/\\./g, 'x'), `look-behind in ${src}`).not.toMatch(/[*+?{]/);
      }
    }
    for (const r of allRules()) if (r.include) expect(tm.repository[r.include.replace(/^#/, '')], r.include).toBeDefined();
  });

  it('covers every keyword of the language', () => {
    for (const kw of KEYWORDS) {
      let line: string;
      if (ITEM_KEYWORDS.includes(kw)) line = `${kw} x`;
      else if (kw === 'as') line = 'use "lib.ftr" as lib';
      else if (['true', 'false', 'null'].includes(kw)) line = `param p = ${kw}`;
      else line = `param p = a ${kw} b`;
      const scopes = scopesOf(line, kw);
      expect(scopes.some((s) => s.startsWith('keyword.') || s.startsWith('constant.language.')), `${kw}: ${scopes.join(' ')}`).toBe(true);
    }
  });

  it('items: keywords, cell names, op names', () => {
    const line = 'cell clean = raw | strip_html text | keep len(text) >= 3';
    has(line, 'cell', 'keyword.control');
    has(line, 'clean', 'entity.name.type');
    has(line, 'raw', 'entity.name.function');
    has(line, '|', 'keyword.operator.pipe');
    has(line, 'strip_html', 'entity.name.function');
    has(line, 'keep', 'entity.name.function');
    has(line, '>=', 'keyword.operator');
    has('source tickets = jsonl "data/t.jsonl"', 'tickets', 'entity.name.type');
    has('source tickets = jsonl "data/t.jsonl"', 'jsonl', 'entity.name.function');
    has('  | dedupe text', 'dedupe', 'entity.name.function');
    has('export parts | write "out/"', 'export', 'keyword.control');
    has('export parts | write "out/"', 'write', 'entity.name.function');
    has('param min_chars = 10', 'param', 'keyword.control');
    has('seed 42', 'seed', 'keyword.control');
    // not first on its line, an item keyword is a name
    lacks('cell a = t | keep source == "faq"', 'source', 'keyword');
    // and before `:` an argument name
    has('cell a = t | split seed: 7', 'seed', 'variable.parameter');
    lacks('cell a = t | split seed: 7', 'seed', 'keyword');
  });

  it('comments and prose', () => {
    has('## Tickets from the helpdesk', 'Tickets', 'comment.block.documentation');
    has('# a comment', 'a comment', 'comment.line');
    lacks('# a comment', 'a comment', 'comment.block');
    has('cell a = t | f # why', '# why', 'comment.line');
    lacks('param s = "# not a comment"', 'not a', 'comment');
  });

  it('strings with escapes', () => {
    const line = 'param s = "a\\"b\\n\\u{1F600}"';
    has(line, '"a', 'string.quoted.double');
    has(line, '\\"', 'constant.character.escape');
    has(line, '\\n', 'constant.character.escape');
    has(line, '\\u{1F600}', 'constant.character.escape');
    has(line, 'b', 'string.quoted.double');
  });

  it('regexes only where a value starts; elsewhere / divides', () => {
    has('cell a = t | keep text ~ /refund|charge ?back/i', '/refund|charge ?back/i', 'string.regexp');
    has('cell a = t | f(/x\\/y[/]/g)', '/x\\/y[/]/g', 'string.regexp');
    has('param r = [/a/, /b/]', '/b/', 'string.regexp');
    lacks('param r = a / b / c', '/ b /', 'string.regexp');
    has('param r = a / b / c', '/', 'keyword.operator.arithmetic');
  });

  it('numbers, unit numbers, field paths, named arguments', () => {
    for (const u of UNITS) has(`param n = 5${u}`, `5${u}`, 'constant.numeric.unit');
    has('cell p = u | split 80% 10% 10%', '80%', 'constant.numeric.unit');
    has('param n = 2.5e3', '2.5e3', 'constant.numeric');
    lacks('param n = 2.5e3', '2.5e3', 'constant.numeric.unit');
    const src = 'source t = jsonl "a" { id: .ticket_id, text: .messages[0].content }';
    has(src, '.ticket_id', 'variable.other.field-path');
    has(src, '.messages[0].content', 'variable.other.field-path');
    has(src, 'id', 'variable.parameter');
    has('cell u = c | dedupe text keep: first', 'keep', 'variable.parameter');
    lacks('param m = parts.train', '.train', 'variable.other.field-path');
  });

  it('keyword operators and constants', () => {
    has('param b = not a and b or c in [1]', 'not', 'keyword.operator');
    has('param b = not a and b or c in [1]', 'and', 'keyword.operator');
    has('param b = not a and b or c in [1]', 'or', 'keyword.operator');
    has('param b = not a and b or c in [1]', 'in', 'keyword.operator');
    has('param b = [true, false, null]', 'true', 'constant.language');
    has('param b = [true, false, null]', 'null', 'constant.language');
  });
});
