/** `annotate` in recipes: votes, aggregation methods, guards, spans with code point offsets, the rule analysis table. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';

function project(rows: Record<string, unknown>[], body: string, files: Record<string, string> = {}): string {
  const dir = tempProject({ 'data.jsonl': rows.map((r) => JSON.stringify(r)).join('\n') + '\n', ...files, 'r.ftr': `recipe ann\nseed 3\nsource t = jsonl "data.jsonl"\n${body}\n` });
  return join(dir, 'r.ftr');
}
const out = (file: string, cell: string) => readJsonl(join(file, '..', 'out', `${cell}.jsonl`));

const TICKETS = [
  { text: 'refund now', gold: 'billing' },
  { text: 'refund my password', gold: 'account' },
  { text: 'password reset', gold: 'account' },
  { text: 'hello', gold: 'billing' },
];
const RULES = `  rule refund: keywords(text, ["refund"]) -> "billing"
  rule login: keywords(text, ["password"]) -> "account"`;

describe('annotate', () => {
  it('majority vote: labels, votes, a tie abstains, no votes abstain; the Snorkel analysis table', async () => {
    const file = project(TICKETS, `cell l = t | annotate {\n${RULES}\n  gold: gold\n}\nexport l | write "out/" shuffle: false`);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const rows = out(file, 'l');
    expect(rows.map((r) => [r.label, r.label_method, r.label_confidence])).toEqual([
      ['billing', 'majority', 1],
      [null, 'tie', null],
      ['account', 'majority', 1],
      [null, 'no_votes', null],
    ]);
    expect(rows[1].label_votes).toEqual({ refund: 'billing', login: 'account' });
    const notes = cells.get('l')!.notes!;
    expect(notes[0]).toBe('2 rules on 4 rows · coverage 75.0% · overlap 25.0% · conflict 25.0%');
    // coverage, overlaps, conflicts as fractions of all rows; correct / incorrect / accuracy on gold
    expect(notes[1]).toMatch(/^rule\s+polarity\s+coverage\s+overlaps\s+conflicts\s+correct\s+incorrect\s+emp\.acc$/);
    expect(notes[2]).toMatch(/^refund\s+billing\s+50\.0%\s+25\.0%\s+25\.0%\s+1\s+1\s+0\.500$/);
    expect(notes[3]).toMatch(/^login\s+account\s+50\.0%\s+25\.0%\s+25\.0%\s+2\s+0\s+1\.000$/);
    expect(notes).toContain('majority: 2 of 4 rows labeled — (no_votes) 1 · (tie) 1 · account 1 · billing 1');
    expect(notes).toContain('gold (gold): 4 rows · accuracy majority 0.500 (unlabeled rows count as wrong)');
  });

  it('column: renames the outputs; the gold column cannot be overwritten', async () => {
    const file = project(TICKETS, `cell l = t | annotate {\n${RULES}\n  column: "weak"\n}\nexport l | write "out/" shuffle: false`);
    expect((await runJson(file)).code).toBe(0);
    expect(Object.keys(out(file, 'l')[0])).toEqual(['id', 'source', 'text', 'gold', 'weak', 'weak_method', 'weak_confidence', 'weak_votes']);
    const bad = await ftr('check', project(TICKETS, `cell l = t | annotate {\n${RULES}\n  column: "gold"; gold: gold\n}`));
    expect(bad.code).toBe(1);
    expect(bad.out + bad.err).toContain('the gold column `gold` would be overwritten by the labels');
  });

  it('weighted: the notes\' vector — one 90% rule beats two 60% rules that plain majority follows', async () => {
    const rows = [{ text: 'x', a: 'A', b: 'B', c: 'B' }];
    const rules = `  rule good: a == "A" -> "A" accuracy: 90%
  rule weak1: b == "B" -> "B" accuracy: 60%
  rule weak2: c == "B" -> "B" accuracy: 60%`;
    const file = project(rows, `cell w = t | annotate {\n${rules}\n  method: weighted\n}\ncell m = t | annotate {\n${rules}\n}\nexport w | write "out/" shuffle: false\nexport m | write "out/" shuffle: false`);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const [w] = out(file, 'w');
    expect(w.label).toBe('A');
    expect(w.label_confidence).toBeCloseTo(0.8, 6); // 9 / (9 + 2.25)
    expect(out(file, 'm')[0].label).toBe('B');
    expect(cells.get('w')!.notes!.some((l) => /^good\s+A\s.*2\.197$/.test(l))).toBe(true);
    expect(cells.get('w')!.notes!.some((l) => /^weak1\s+B\s.*0\.405$/.test(l))).toBe(true);
  });

  it('weighted takes weights from gold accuracy; tie: priority and method: priority follow rule priorities; guards and drop_unlabeled', async () => {
    const file = project(TICKETS, `cell w = t | annotate {\n${RULES}\n  gold: gold; method: weighted\n}
cell p = t | annotate {
  rule refund: keywords(text, ["refund"]) -> "billing" priority: 5
  rule login: keywords(text, ["password"]) -> "account"
  method: priority
}
cell tp = t | annotate {
  rule refund: keywords(text, ["refund"]) -> "billing"
  rule login: keywords(text, ["password"]) -> "account" priority: 2
  tie: priority
}
cell g = t | annotate {
${RULES}
  rule short: len(text) < 12 -> abstain
  drop_unlabeled: true
}
export w | write "out/" shuffle: false
export p | write "out/" shuffle: false
export tp | write "out/" shuffle: false
export g | write "out/" shuffle: false`);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    // refund is right 1 of 2 on gold (weight log 1 = 0: a coin flip says nothing), login 2 of 2 (clipped to 0.99: log 99)
    expect(out(file, 'w').map((r) => [r.label, r.label_method])).toEqual([[null, 'tie'], ['account', 'weighted'], ['account', 'weighted'], [null, 'no_votes']]);
    expect(cells.get('w')!.notes!.some((l) => /^login\s.*4\.595 \(gold\)$/.test(l))).toBe(true);
    expect(out(file, 'p').map((r) => r.label)).toEqual(['billing', 'billing', 'account', null]);
    expect(out(file, 'p')[1].label_confidence).toBe(0.5);
    expect(out(file, 'tp').map((r) => r.label)).toEqual(['billing', 'account', 'account', null]);
    // guard: "refund now" and "hello" are shorter than 12 → unlabeled, and dropped with why
    const g = out(file, 'g');
    expect(g.map((r) => r.text)).toEqual(['password reset']);
    expect(cells.get('g')!.dropped).toEqual({ unlabeled: 3 });
    expect(cells.get('g')!.notes).toContain('guard short: 2 rows left unlabeled');
  });

  it('dawid_skene learns rule accuracies: beats majority vote on noisy voters (gold accuracy in the notes)', async () => {
    // five "annotator" columns with accuracies 95%, 90%, 60%, 55%, 55% over 300 rows (a fixed LCG)
    let s = 12345;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const acc = [0.95, 0.9, 0.6, 0.55, 0.55];
    const rows = Array.from({ length: 300 }, (_, i) => {
      const y = rand() < 0.5 ? 'A' : 'B';
      const r: Record<string, unknown> = { text: `row ${i}`, y };
      acc.forEach((p, j) => (r[`f${j}`] = rand() < p ? y : y === 'A' ? 'B' : 'A'));
      return r;
    });
    const rules = acc.map((_, j) => `  rule f${j}a: f${j} == "A" -> "A"\n  rule f${j}b: f${j} == "B" -> "B"`).join('\n');
    const file = project(rows, `cell d = t | annotate {\n${rules}\n  method: dawid_skene; gold: y\n}\nexport d | write "out/" shuffle: false`);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const notes = cells.get('d')!.notes!;
    expect(notes.some((l) => /^dawid_skene converged in \d+ rounds · priors A 0\.\d+ · B 0\.\d+ · differs from majority vote on \d+ rows \(where majority vote gives a label\)$/.test(l))).toBe(true);
    const m = /^gold \(y\): 300 rows · accuracy dawid_skene ([\d.]+) · majority ([\d.]+)/.exec(notes.find((l) => l.startsWith('gold'))!)!;
    const [ds, mv] = [Number(m[1]), Number(m[2])];
    expect(ds).toBeGreaterThan(0.9);
    expect(ds).toBeGreaterThan(mv);
    const labeled = out(file, 'd');
    expect(labeled.every((r) => r.label_method === 'dawid_skene' && (r.label_confidence as number) >= 0.5)).toBe(true);
  });

  it('span rules: code point offsets (emoji before the match), overlap policies, the span text', async () => {
    const rows = [{ text: '😀 I love Acme Phone Pro and acme phone!' }];
    const files = { 'products.txt': 'Acme Phone\nAcme Phone Pro\n' };
    const rules = `  span prod: gazetteer(text, "products.txt") -> "PRODUCT"
  span brand: keywords(text, ["Acme"], case: true) -> "ORG" priority: 9`;
    const file = project(rows, `cell longest = t | annotate {\n${rules}\n}\ncell prio = t | annotate {\n${rules}\n  overlap: priority\n}\ncell all = t | annotate {\n${rules}\n  overlap: keep_all\n}\nexport longest | write "out/" shuffle: false\nexport prio | write "out/" shuffle: false\nexport all | write "out/" shuffle: false`, files);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const text = rows[0].text;
    const [l] = out(file, 'longest');
    expect(l.spans).toEqual([
      { start: 9, end: 23, label: 'PRODUCT', text: 'Acme Phone Pro', rule: 'prod' },
      { start: 28, end: 38, label: 'PRODUCT', text: 'acme phone', rule: 'prod' },
    ]);
    expect(text.indexOf('Acme Phone Pro')).toBe(10); // JS counts the emoji as 2
    expect([...text].slice(9, 23).join('')).toBe('Acme Phone Pro');
    expect(Object.keys(l)).not.toContain('label'); // no classification rules, no label columns
    const [p] = out(file, 'prio');
    expect((p.spans as { label: string; text: string }[]).map((x) => `${x.label}:${x.text}`)).toEqual(['ORG:Acme', 'PRODUCT:acme phone']);
    const [a] = out(file, 'all');
    expect((a.spans as unknown[]).length).toBe(3);
    expect(cells.get('longest')!.notes).toContain('spans in `text`: code point offsets, end-exclusive; overlaps resolved by longest');
  });
});
