import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';

/**
 * The design notes' reweighing vector as text (§6.3): m+ ×4, m− ×1, f+ ×2, f− ×3, from three
 * sources of 5, 3 and 2 rows (shares 0.5/0.3/0.2, the §6.2 diversity vector).
 */
const ROWS: [string, string, string][] = [
  ['a', "He fixed his brother's bike.", 'pos'],
  ['a', 'The man paid for it himself.', 'pos'],
  ['a', 'John and his father cooked.', 'pos'],
  ['a', 'Mr. Lee called him back.', 'pos'],
  ['a', 'My uncle missed the train.', 'neg'],
  ['b', "She fixed her sister's bike.", 'pos'],
  ['b', 'The woman paid for it herself.', 'pos'],
  ['b', 'I saw her yesterday; she was late.', 'neg'],
  ['c', 'Her daughter missed the train.', 'neg'],
  ['c', 'Mary lost the keys.', 'neg'],
];

function project(body: string): string {
  const files: Record<string, string> = {};
  for (const s of ['a', 'b', 'c']) {
    files[`data/${s}.jsonl`] = ROWS.filter((r) => r[0] === s).map(([, text, label], i) => JSON.stringify({ id: `${s}${i}`, text, label })).join('\n') + '\n';
  }
  files['r.ftr'] = `recipe fairness
seed 11
source a = jsonl "data/a.jsonl"
source b = jsonl "data/b.jsonl"
source c = jsonl "data/c.jsonl"
cell raw = concat a, b, c
${body}
`;
  return join(tempProject(files), 'r.ftr');
}

describe('bias ops in a recipe', () => {
  it('bias_detect → bias_report → reweigh → write: weights, groups and notes', async () => {
    const file = project(`cell tagged = raw | bias_detect text dims: [gender, age]
cell report = tagged | bias_report label: label positive: pos min_support: 5
cell weighted = report | reweigh gender label positive: pos
export weighted | write "out/" shuffle: false`);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);

    const out = readJsonl(join(file, '..', 'out', 'weighted.jsonl'));
    expect(out).toHaveLength(10);
    expect(Object.keys(out[0])).toEqual(['id', 'source', 'text', 'label', 'gender', 'age', 'gender_ambiguous', 'weight']);
    expect(out.map((r) => (r.gender as string[]).join('+'))).toEqual(['male', 'male', 'male', 'male', 'male', 'female', 'female', 'female', 'female', 'female']);
    // W(m,+) = 0.75, W(m,−) = 2, W(f,+) = 1.5, W(f,−) = 2/3
    const w = out.map((r) => r.weight as number);
    [0.75, 0.75, 0.75, 0.75, 2, 1.5, 1.5, 2 / 3, 2 / 3, 2 / 3].forEach((x, i) => expect(w[i]).toBeCloseTo(x, 12));

    const report = cells.get('report')!;
    expect(report.rowsOut).toBe(10);
    const notes = report.notes!;
    expect(notes.some((l) => /^female\s+5\s+2\s+40\.0%\s+11\.8–76\.9%\s+-0\.400\s+0\.500\s+⚠ DI < 0\.8$/.test(l))).toBe(true);
    // the same numbers, machine-readable at full precision: in the event and in metrics.json
    const female = (report.metrics as any).bias_report['rates:gender'].groups.female;
    expect(female).toMatchObject({ rows: 5, count: 2, rate: 0.4, spd: 0.4 - 0.8, di: 0.5, flagged: true });
    expect(female.ci95[0]).toBeCloseTo(0.11762, 5);
    const file2 = JSON.parse(readFileSync(resolve(report.metricsFile!), 'utf8'));
    expect(file2).toEqual({ cell: 'report', metrics: report.metrics });
    expect(notes).toContain('parity (pos): max−min rate 0.400 · min/max 0.500 ⚠ below 0.8');
    expect(notes).toContain('age: no group in 10 rows (all none)');
    expect(notes).toContain('source diversity (source): 3 sources · H 1.485 bits · H/log K 0.937 · exp(H) 2.80 · Gini–Simpson 0.620 · inverse Simpson 2.63 · max/min 2.50');

    const weighted = cells.get('weighted')!.notes!;
    expect(weighted).toContain('Σ weight = 10.000 (rows 10)');
    expect(weighted).toContain('parity (pos): max−min rate 0.400 → 0.000 · min/max 0.500 → 1.000');
  });

  it('resample and counterfactual: sizes, lineage, rejects', async () => {
    const file = project(`cell tagged = raw | bias_detect text dims: [gender]
cell balanced = tagged | resample gender label
cell cf = raw | counterfactual text only_swapped
cell parts = balanced | split 50% 50% group: parent
export cf | write "out/" shuffle: false
export parts | write "out/" shuffle: false`);
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const balanced = cells.get('balanced')!;
    // m+ 4→3, m− 1→2, f+ 2→3, f− 3→2
    expect(balanced.rowsOut).toBe(10);
    expect(balanced.dropped).toEqual({ resample: 2 });
    expect(balanced.notes).toContain('resample to parity on gender × label: 10 → 10 rows');

    const cf = readJsonl(join(file, '..', 'out', 'cf.jsonl'));
    expect(cf.map((r) => r.text)).toEqual([
      "She fixed her sister's bike.",
      'The woman paid for it herself.',
      'John and her mother cooked.',
      'Ms. Lee called her back.',
      'My aunt missed the train.',
      "He fixed his brother's bike.",
      'The man paid for it himself.',
      'I saw him yesterday; he was late.',
      'His son missed the train.',
    ]);
    expect(cf.map((r) => r.id)).toEqual(['a0#cf', 'a1#cf', 'a2#cf', 'a3#cf', 'a4#cf', 'b0#cf', 'b1#cf', 'b2#cf', 'c0#cf']);
    expect(cf.every((r) => r.parent === String(r.id).replace('#cf', ''))).toBe(true);
    // names are not swapped by default: "Mary lost the keys." has nothing to swap
    expect(cells.get('cf')!.dropped).toEqual({ 'no gender terms': 1 });

    // copies made by resample land in the same part as their original
    const part = new Map<string, string>();
    for (const p of ['train', 'val']) for (const r of readJsonl(join(file, '..', 'out', `${p}.jsonl`))) part.set(String(r.id), p);
    const dups = [...part.keys()].filter((id) => id.includes('#dup'));
    expect(dups).toHaveLength(2);
    for (const d of dups) expect(part.get(d)).toBe(part.get(d.replace(/#dup\d+$/, '')));
  });

  it('lexicons from the recipe: a record and a file', async () => {
    const file = project(`cell tagged = raw | bias_detect text dims: [gender, disability, occupation] names: false lexicon: { female: [gal], disability: { wheelchair_user: ["wheelchair user"] } } lexicon_file: "lex.json"
export tagged | write "out/" shuffle: false`);
    writeFileSync(join(file, '..', 'lex.json'), JSON.stringify({ occupation: { trades: ['mechanic', 'bike'] } }));
    const { code } = await runJson(file);
    expect(code).toBe(0);
    const out = readJsonl(join(file, '..', 'out', 'tagged.jsonl'));
    expect(Object.keys(out[0]).slice(-3)).toEqual(['gender', 'disability', 'occupation']);
    expect(out.map((r) => (r.occupation as string[]).length)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    // without names, "Mary lost the keys." mentions no gender
    expect(out[9].gender).toEqual([]);
  });

  it('checker errors point at the param', async () => {
    const file = project('cell tagged = raw | bias_detect text dims: [gendr]\ncell r = raw | reweigh gender label');
    const r = await ftr('check', file);
    expect(r.code).not.toBe(0);
    expect(r.err + r.out).toContain('unknown dimension `gendr`');
    expect(r.err + r.out).toContain('unknown column `gender`');
  });
});
