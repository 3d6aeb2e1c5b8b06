import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftrProcess, readJsonl, ROOT } from '../helpers.js';

/** The shipped recipes run as a user runs them: `ftr run recipes/<name>.ftr` in a checkout. */
function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ftr-recipes-'));
  cpSync(join(ROOT, 'recipes'), join(dir, 'recipes'), { recursive: true, filter: (p) => !/\/(\.ftr|out|models)(\/|$)/.test(p) });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const recipes = readdirSync(join(ROOT, 'recipes')).filter((f) => f.endsWith('.ftr'));

describe('shipped recipes on real data', () => {
  it('there are at least two', () => expect(recipes.length).toBeGreaterThanOrEqual(2));

  it('sotu-adapters: a base pre-trained on the speeches, two tasks as adapters on it, six strategies compared, adapters swapped by predict', () => {
    const dir = checkout();
    // the shipped sizes train for minutes; the same recipe with fewer steps checks the pipeline
    const r = ftrProcess(['run', 'recipes/sotu-adapters.ftr', '--set', 'pretrain_steps=30', '--set', 'epochs=1'], { cwd: dir });
    expect(r.code, r.out + r.err).toBe(0);
    const models = join(dir, 'recipes', 'models');
    const cmp = JSON.parse(readFileSync(join(models, 'compare', 'compare.json'), 'utf8'));
    expect(Object.keys(cmp.strategies)).toEqual(['full', 'frozen', 'adapter', 'lora', 'prompt', 'prefix']);
    for (const s of Object.values(cmp.strategies) as { trainable: number; step_ms: number; artifact_bytes: number; test: { accuracy: number } }[]) {
      expect(s.trainable).toBeGreaterThan(0);
      expect(s.artifact_bytes).toBeGreaterThan(0);
      expect(s.test.accuracy).toBeGreaterThan(0);
    }
    expect(cmp.strategies.lora.artifact_bytes * 10).toBeLessThan(cmp.strategies.full.artifact_bytes);
    for (const f of ['base/config.json', 'party/adapter.safetensors', 'party/adapterhub/adapter_config.json', 'era/peft/adapter_model.safetensors', 'era/merged/model.safetensors', 'era/merged/tokenizer_config.json'])
      expect(existsSync(join(models, f)), f).toBe(true);
    const p = ftrProcess(['predict', 'recipes/sotu-adapters.ftr', '--adapter', 'party', '--adapter', 'era', '--text', 'We will put a man on the Moon and defeat the Soviet threat.', '--json'], { cwd: dir });
    expect(p.code, p.err).toBe(0);
    const row = JSON.parse(p.out.trim());
    expect(['Democratic', 'Republican']).toContain(row.party[0].label);
    expect(['true', 'false']).toContain(row.era[0].label);
  }, 600_000);

  it('spam-assassin: 6,046 raw e-mails → clean, deduplicated, stratified, leak-free splits', () => {
    const dir = checkout();
    const r = ftrProcess(['run', 'recipes/spam-assassin.ftr'], { cwd: dir });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('mail done · 6,046 rows');
    const out = join(dir, 'recipes', 'out', 'spam-assassin');
    const train = readJsonl(join(out, 'train.jsonl'));
    const test = readJsonl(join(out, 'test.jsonl'));
    expect(train.length).toBeGreaterThan(3000);
    const share = (rows: Record<string, unknown>[]) => rows.filter((x) => x.label === 'spam').length / rows.length;
    expect(Math.abs(share(train) - share(test))).toBeLessThan(0.03);
    expect(existsSync(join(out, 'val.jsonl'))).toBe(true);
  }, 240_000);

  it('spam-annotation: folder labels + rule families → consensus with agreement, review file, train-only augmentation and weights', () => {
    const dir = checkout();
    const r = ftrProcess(['run', 'recipes/spam-annotation.ftr'], { cwd: dir });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('mail done · 6,046 rows');
    // the rule analysis tables: every rule scored against the maintainers' folders
    expect(r.out).toMatch(/rule\s+polarity\s+coverage\s+overlaps\s+conflicts\s+correct\s+incorrect\s+emp\.acc/);
    const ruleAcc = [...r.out.matchAll(/^\[ftr\]\s+(\w+)\s+(?:spam|ham)\s+[\d.]+%\s+[\d.]+%\s+[\d.]+%\s+[\d,]+\s+[\d,]+\s+([\d.]+)$/gm)];
    expect(ruleAcc.map((m) => m[1])).toEqual(expect.arrayContaining(['subject_money', 'list_tag', 'html_only', 'tech_talk']));
    for (const m of ruleAcc) expect(Number(m[2])).toBeGreaterThan(0.5);
    // consensus: three annotators, agreement numbers present and in range
    const summary = /([\d,]+) annotations by 3 annotators on ([\d,]+) items → ([\d,]+) labeled by dawid_skene, ([\d,]+) to review/.exec(r.out)!;
    expect(summary, r.out).not.toBeNull();
    const num = (s: string) => Number(s.replace(/,/g, ''));
    const [items, kept, toReview] = [num(summary[2]), num(summary[3]), num(summary[4])];
    expect(kept + toReview).toBe(items);
    expect(toReview).toBeGreaterThan(0);
    expect(toReview).toBeLessThan(items * 0.15);
    const fleiss = Number(/Fleiss κ (-?[\d.]+)/.exec(r.out)![1]);
    const alpha = Number(/Krippendorff α: nominal (-?[\d.]+)/.exec(r.out)![1]);
    for (const x of [fleiss, alpha]) expect(x > 0.6 && x <= 1, `${x}`).toBe(true);
    for (const family of ['rules:body', 'rules:headers']) {
      const m = new RegExp(`spamassassin-corpus × ${family}\\s+([\\d,]+)\\s+([\\d.]+)%\\s+(-?[\\d.]+)`).exec(r.out);
      expect(m, family).not.toBeNull();
      expect(num(m![1])).toBeGreaterThan(1000);
      const kappa = Number(m![3]);
      expect(kappa > 0.6 && kappa <= 1, `${family} κ ${kappa}`).toBe(true);
    }
    expect(r.out).toMatch(/estimated annotator accuracy spamassassin-corpus 0\.\d+ · rules:headers 0\.\d+ · rules:body 0\.\d+/);

    // the review file: Label Studio tasks, one per held-out item, with every annotator's answer
    const out = join(dir, 'recipes', 'out', 'spam-annotation');
    const review = JSON.parse(readFileSync(join(out, 'review', 'labeled_review.json'), 'utf8')) as { data: { id: string; text: string }; predictions: { model_version: string; result: { type: string; value: { choices: string[] } }[] }[] }[];
    expect(review).toHaveLength(toReview);
    for (const t of review) {
      expect(typeof t.data.id).toBe('string');
      expect(t.data.text.length).toBeGreaterThan(0);
      const byWho = Object.fromEntries(t.predictions.map((p) => [p.model_version, p.result[0]?.value.choices[0]]));
      expect(['spam', 'ham']).toContain(byWho['annotator:spamassassin-corpus']);
      expect(t.predictions.every((p) => p.result.every((x) => x.type === 'choices'))).toBe(true);
    }
    // most review items are real disagreements between the maintainers and a rule family
    const disagreements = review.filter((t) => new Set(t.predictions.filter((p) => p.model_version.startsWith('annotator:')).map((p) => p.result[0].value.choices[0])).size > 1);
    expect(disagreements.length).toBeGreaterThan(toReview / 2);

    const parts = Object.fromEntries(['train', 'val', 'test'].map((p) => [p, readJsonl(join(out, `${p}.jsonl`))]));
    const all = [...parts.train, ...parts.val, ...parts.test];
    // held-out items are not in the dataset; every kept label is the maintainers' label, and no annotator disagreed
    const reviewIds = new Set(review.map((t) => t.data.id));
    expect(all.some((x) => reviewIds.has(String(x.parent ?? x.id)))).toBe(false);
    for (const x of all) {
      const votes = x.label_votes as Record<string, string>;
      expect(votes['spamassassin-corpus']).toBe(x.label);
      expect(Object.values(votes).every((v) => v === x.label)).toBe(true);
    }
    // augmented rows: only in train, with a parent in train and what made them
    const augmented = all.filter((x) => String(x.id).includes('#eda'));
    expect(augmented.length).toBeGreaterThan(500);
    expect(parts.train.filter((x) => String(x.id).includes('#eda'))).toHaveLength(augmented.length);
    const trainIds = new Set(parts.train.map((x) => x.id));
    for (const x of augmented) {
      expect(x.id).toBe(`${String(x.parent)}#eda1`);
      expect(trainIds.has(x.parent)).toBe(true);
      expect(String(x.augmentation)).toMatch(/^eda:(sr|ri)$/);
      expect(x.label).toBe('spam');
    }
    for (const x of [...parts.val, ...parts.test]) {
      expect(x.parent).toBeNull();
      expect(x.weight).toBe(1);
    }
    // weights on train only: both classes weigh the same, Σ weight = rows
    const weightOf = (l: string) => parts.train.filter((x) => x.label === l).reduce((s, x) => s + (x.weight as number), 0);
    expect(weightOf('spam')).toBeCloseTo(weightOf('ham'), 6);
    expect(weightOf('spam') + weightOf('ham')).toBeCloseTo(parts.train.length, 6);
    // no leakage: no item, family or text in two parts
    const family = (x: Record<string, unknown>) => String(x.parent ?? x.id);
    const fams = Object.fromEntries(Object.entries(parts).map(([p, rows]) => [p, new Set(rows.map(family))]));
    const texts = Object.fromEntries(Object.entries(parts).map(([p, rows]) => [p, new Set(rows.map((x) => String(x.text).toLowerCase().replace(/\s+/g, ' ').trim()))]));
    for (const [a, b] of [['train', 'val'], ['train', 'test'], ['val', 'test']]) {
      expect([...fams[b]].some((f) => fams[a].has(f)), `${a}/${b} families`).toBe(false);
      expect([...texts[b]].some((t) => texts[a].has(t)), `${a}/${b} texts`).toBe(false);
    }
    expect(r.out).toContain('leakage on text: none across train, val, test');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('| labeled | concat human_votes, header_votes, body_votes → consensus (dawid_skene) onto ruled |');
  }, 240_000);

  it('sotu-curation: passages curated, split by speech, audited, with a bias report and weights', () => {
    const dir = checkout();
    const r = ftrProcess(['run', 'recipes/sotu-curation.ftr'], { cwd: dir });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('speeches done · 233 rows');
    expect(r.out).toMatch(/gender × party: rate of party = Democratic/);
    expect(r.out).toMatch(/reweighing \(Kamiran–Calders\)/);
    const out = join(dir, 'recipes', 'out');
    const train = readJsonl(join(out, 'sotu', 'train.jsonl'));
    const test = readJsonl(join(out, 'sotu', 'test.jsonl'));
    // a speech never spans two splits
    const trainSpeeches = new Set(train.map((x) => x.parent));
    expect(test.some((x) => trainSpeeches.has(x.parent))).toBe(false);
    const weighted = readJsonl(join(out, 'sotu-weighted', 'train.jsonl'));
    expect(weighted.length).toBe(train.length);
    const total = weighted.reduce((n, x) => n + (x.weight as number), 0);
    expect(Math.abs(total - weighted.length)).toBeLessThan(1e-6 * weighted.length);
  }, 240_000);
});
