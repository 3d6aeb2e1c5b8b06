/** The rules block at check time: syntax, typed conditions, settings, inline rule tests via `ftr check`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, runJson, tempProject } from '../../helpers.js';

const DATA = [
  { text: 'I want a refund', tier: 'gold' },
  { text: 'forgot my password', tier: 'free' },
].map((r) => JSON.stringify(r)).join('\n') + '\n';

function project(block: string, files: Record<string, string> = {}): string {
  const dir = tempProject({
    'data.jsonl': DATA,
    'lexicons/products.txt': '# products\nWidget Pro\nacme phone\n',
    ...files,
    'r.ftr': `recipe rules\nsource tickets = jsonl "data.jsonl"\ncell labeled = tickets | annotate {\n${block}\n}\n`,
  });
  return join(dir, 'r.ftr');
}

async function check(block: string, files: Record<string, string> = {}) {
  const r = await ftr('check', project(block, files));
  return { code: r.code, text: r.out + r.err };
}

describe('rules block: check', () => {
  it('accepts every matcher, field conditions, guards, options and settings', async () => {
    const r = await check(`  rule refund: matches(text, /refund|charge ?back/i) -> "billing" weight: 2 priority: 1
  rule login: keywords(text, ["password", "2fa"]) -> "account" accuracy: 90%
  rule prod: lexicon(text, "lexicons/products.txt", min: 1) -> "product"
  rule gaz: gazetteer("lexicons/products.txt") and not contains(text, "?") -> "product"
  rule vip: tier == "gold" label: "priority"
  rule vip2: (tier == "gold") -> "priority"
  rule re2: (text ~ /refund/) -> "billing"
  rule short: (len(text) < 3) -> abstain
  span org: keywords(["Widget Pro"]) -> "PRODUCT"
  method: weighted; labels: [billing, account, product, priority]; tie: priority`);
    expect(r.text).toContain('ok: rules');
    expect(r.code).toBe(0);
  });

  it('runs inline rule examples and fails at the example that breaks, with file:line:col', async () => {
    const r = await check(`  rule login: keywords(text, ["password", "2fa"]) -> "account"
  rule refund: matches(text, /refund/i) -> "billing" examples: { match: ["I want a refund", "REFUNDS"], no_match: ["refund policy question?"] }`);
    expect(r.code).toBe(1);
    expect(r.text).toContain('rule `refund` should not match "refund policy question?", but does');
    // line 5 of r.ftr (the clause), at the example itself
    expect(r.text).toMatch(/r\.ftr:5:\d+/);
    expect(r.text).toContain('this example is matched');
    expect(r.text).not.toContain('should match "REFUNDS"'); // that one matches, as it should
    expect(r.text.match(/^error/gm)).toHaveLength(1);
  });

  it('a `match` example the rule misses fails too; record examples fill several columns', async () => {
    const r = await check(`  rule vip: tier == "gold" and contains(text, "refund") -> "priority" examples: { match: [{ tier: "gold", text: "refund now" }, { tier: "free", text: "refund" }] }`);
    expect(r.code).toBe(1);
    expect(r.text).toContain('rule `vip` should match {"tier":"free","text":"refund"}, but does not');
    expect(r.text).not.toContain('"refund now"}, but');
  });

  it('gazetteer examples read the lexicon file at check time', async () => {
    expect((await check(`  rule prod: lexicon(text, "lexicons/products.txt") -> "product" examples: { match: ["my widget pro broke"], no_match: ["a widget"] }`)).code).toBe(0);
    const r = await check(`  rule prod: lexicon(text, "lexicons/products.txt", case: true) -> "product" examples: ["my widget pro broke"]`);
    expect(r.code).toBe(1);
    expect(r.text).toContain('should match "my widget pro broke"');
  });

  it('reports a missing lexicon file at the rule', async () => {
    const r = await check(`  rule prod: lexicon(text, "lexicons/nope.txt") -> "product"`);
    expect(r.code).toBe(1);
    expect(r.text).toContain('cannot find lexicon `lexicons/nope.txt`');
    expect(r.text).toMatch(/r\.ftr:4:3/);
  });

  it('a label outside `labels` is an error with a did-you-mean', async () => {
    const r = await check(`  rule refund: matches(text, /refund/) -> "biling"\n  labels: [billing, account]`);
    expect(r.code).toBe(1);
    expect(r.text).toContain('rule `refund` labels biling, which is not one of `labels`');
    expect(r.text).toContain('did you mean `billing`?');
  });

  it('unknown columns, functions, options and settings are reported with suggestions', async () => {
    let r = await check(`  rule a: keywords(txt, ["x"]) -> "y"`);
    expect(r.text).toContain('unknown column `txt`');
    expect(r.text).toContain('did you mean `text`?');
    r = await check(`  rule a: keyword(text, ["x"]) -> "y"`);
    expect(r.text).toContain('unknown function `keyword`');
    expect(r.text).toContain('did you mean `keywords`?');
    r = await check(`  rule a: keywords(["x"]) -> "y" wieght: 2`);
    expect(r.text).toContain('rules have no option `wieght`');
    expect(r.text).toContain('did you mean `weight`?');
    r = await check(`  rule a: keywords(["x"]) -> "y"\n  methd: weighted`);
    expect(r.text).toContain('`annotate` has no param `methd`');
    expect(r.text).toContain('did you mean `method`?');
    r = await check(`  rule a: keywords(["x"]) -> "y"\n  method: wieghted`);
    expect(r.text).toContain('did you mean `weighted`?');
  });

  it('shape errors: no label, no name, duplicate names, a non-condition, a span rule without a matcher, a bad regex', async () => {
    expect((await check(`  rule a: keywords(["x"])`)).text).toContain('rule `a` has no label');
    expect((await check(`  rule keywords(["x"]) -> "y"`)).text).toContain('a `rule` needs a name');
    expect((await check(`  rule a: keywords(["x"]) -> "y"\n  rule a: keywords(["z"]) -> "y"`)).text).toContain('rule `a` is defined twice');
    expect((await check(`  rule a: len(text) -> "y"`)).text).toContain('a rule condition must be true or false, but this is a number');
    expect((await check(`  span a: tier == "gold" -> "ORG"`)).text).toContain('a `span` rule needs a matcher that finds spans');
    expect((await check(`  rule a: matches(text, "(unclosed") -> "y"`)).text).toContain('invalid regex');
    expect((await check(`  regla a: keywords(["x"]) -> "y"`)).text).toContain('`regla` is not a rule clause');
  });

  it('`->` binds loosest: a comparison, `and`, `or` or `not` before it needs no parentheses', async () => {
    for (const cond of ['len(text) < 3', '(len(text) < 3)', 'text ~ /a/ or text ~ /b/', 'not text ~ /a/', 'tier == "gold" and text ~ /a/ or len(text) < 3']) {
      const r = await check(`  rule short: ${cond} -> abstain\n  rule k: keywords(["x"]) -> "y"`);
      expect([cond, r.code, r.text]).toEqual([cond, 0, expect.stringContaining('no errors')]);
    }
    expect((await check(`  rule short: len(text) < 3 label: abstain\n  rule k: keywords(["x"]) -> "y"`)).code).toBe(0);
  });

  it('`->` once per rule, after its condition: not in an option (E0205), not twice (a syntax error)', async () => {
    const r = await check(`  rule a: keywords(["x"]) weight: 2 -> "y"`);
    expect(r.code).toBe(1);
    expect(r.text).toContain('error[E0205]: `->` comes once per rule, after its condition');
    const t = await check(`  rule a: keywords(["x"]) -> "y" -> "z"`);
    expect(t.code).toBe(1);
    expect(t.text).toContain("unexpected `->`: it only follows a rule's whole condition");
    expect((await check(`  rule a: keywords(["x"]) -> "y" label: "z"`)).text).toContain('rule `a` has two labels');
  });

  it('a lexicon outside the recipe folder needs --allow-read', async () => {
    const file = project(`  rule prod: lexicon(text, "../outside.txt") -> "product"`);
    writeFileSync(join(file, '..', '..', 'outside.txt'), 'Widget\n');
    const r = await ftr('check', file);
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('would read `../outside.txt`, outside the recipe\'s folder');
  });
});

describe('rules block: run', () => {
  it('a label covers the whole condition: `or`, `and` and `not` without parentheses', async () => {
    // rows: "I want a refund" (gold), "forgot my password" (free)
    const file = project(`  rule either: text ~ /refund/ or tier == "free" -> "x"
  rule other: not text ~ /refund/ -> "y"
  rule mixed: text ~ /password/ and tier == "gold" or tier == "free" -> "z"
  rule none: text ~ /nothing/ or tier == "platinum" -> "w"`);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const notes = cells.get('labeled')!.notes!;
    expect(notes.some((l) => /^either\s+x\s+100\.0%/.test(l))).toBe(true);
    expect(notes.some((l) => /^other\s+y\s+50\.0%/.test(l))).toBe(true);
    expect(notes.some((l) => /^mixed\s+z\s+50\.0%/.test(l))).toBe(true);
    expect(notes.some((l) => /^none\s+-\s+0\.0%/.test(l))).toBe(true);
  });
});

describe('rules block: cache', () => {
  it('a lexicon file is part of the step\'s cache key', async () => {
    const file = project(`  rule prod: lexicon(text, "lexicons/products.txt") -> "product"`);
    let r = await runJson(file);
    expect(r.cells.get('labeled')!.status).toBe('done');
    expect(r.cells.get('labeled')!.notes!.some((l) => /^prod\s+-\s+0\.0%/.test(l))).toBe(true);
    r = await runJson(file);
    expect(r.cells.get('labeled')!.status).toBe('cached');
    writeFileSync(join(file, '..', 'lexicons', 'products.txt'), 'refund\n');
    r = await runJson(file);
    expect(r.cells.get('labeled')!.status).toBe('done');
    expect(r.cells.get('labeled')!.notes!.some((l) => /^prod\s+product\s+50\.0%/.test(l))).toBe(true);
  });
});
