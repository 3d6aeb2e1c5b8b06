import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decontaminate, evalText, NgramIndex } from '../../../src/ops/curate/decontaminate.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { makeDocs, makeVocab, rowSet, runGlobal } from './helpers.js';

const vocab = makeVocab(2000, 17);
const [q1, q2, a1, g1, x1, filler] = makeDocs(6, 40, vocab, 23).map((d) => d);
const words = (d: string[], from: number, n: number) => d.slice(from, from + n).join(' ');
const fill = (k: number) => words(filler, k, 10);

describe('NgramIndex', () => {
  it('matches any shared 13-gram after simplifying, and nothing shorter', () => {
    const ix = new NgramIndex(13, 8);
    const set = ix.addSet();
    ix.add(set, 'q1', q1.join(' '));
    expect(ix.ngrams[set]).toBe(28);
    expect(ix.match(`${fill(0)} ${words(q1, 5, 13)} ${fill(10)}`)).toMatchObject({ item: 0, at: 10, len: 13 });
    expect(ix.match(`${fill(0)} ${words(q1, 5, 13).toUpperCase().replace(/ /g, ', ')}!`)).toBeDefined();
    expect(ix.match(`${fill(0)} ${words(q1, 5, 12)} ${fill(10)}`)).toBeUndefined();
  });
  it('uses short items whole when they have min_words, skips shorter ones', () => {
    const ix = new NgramIndex(13, 8);
    const set = ix.addSet();
    ix.add(set, 'short', words(x1, 0, 9));
    ix.add(set, 'tiny', words(x1, 20, 5));
    expect(ix.skippedShort[set]).toBe(1);
    expect(ix.itemsPerSet[set]).toBe(2);
    expect(ix.match(`${fill(0)} ${words(x1, 0, 9)}`)).toMatchObject({ item: 0, len: 9 });
    expect(ix.match(`${fill(0)} ${words(x1, 0, 8)}`)).toBeUndefined();
    expect(ix.match(words(x1, 20, 5))).toBeUndefined();
  });
  it('eval text: named fields, or every string field', () => {
    expect(evalText({ id: 'x', question: 'Q', answer: 'A', n: 3 }, undefined)).toBe('Q\nA');
    expect(evalText({ question: 'Q', answer: 'A' }, ['answer'])).toBe('A');
  });
});

describe('decontaminate', () => {
  const evalRows = [
    { id: 'm1', question: q1.join(' '), answer: a1.join(' ') },
    { id: 'm2', question: q2.join(' '), answer: 'B' },
  ];
  const train = [
    { id: 'r1', text: `${fill(0)} ${words(q1, 3, 13)} ${fill(20)}` }, // question 13-gram
    { id: 'r2', text: `${fill(1)} ${words(a1, 20, 15)}` }, // answer 13-gram
    { id: 'r3', text: `${fill(2)} ${words(q2, 0, 12)} ${fill(12)}` }, // only 12 words shared
    { id: 'r4', text: `${fill(3)} ${fill(13)} ${fill(23)}` }, // clean
    { id: 'r5', text: words(q2, 27, 13).toUpperCase().split(' ').join(' ... ') }, // the end of q2, re-punctuated
  ];

  it('drops exactly the rows sharing a 13-gram, naming the set, the item and the n-gram', async () => {
    const r = await runGlobal(decontaminate, train, { against: ['mmlu'] }, { extra: { 'against[0]': rowSet(evalRows) } });
    expect(r.keptIds).toEqual(['r3', 'r4']);
    expect(r.dropped.map((d) => d.id)).toEqual(['r1', 'r2', 'r5']);
    expect(r.dropped.every((d) => d.reason === 'contaminated')).toBe(true);
    expect(r.dropped[0].detail).toBe(`shares 13-gram "${words(q1, 3, 8)} …" with mmlu (item m1; n = 13)`);
    expect(r.dropped[1].detail).toContain('with mmlu (item m1; n = 13)');
    expect(r.dropped[2].detail).toContain('(item m2; n = 13)');
    expect(r.notes).toEqual([
      'eval set mmlu: 2 items, 97 distinct 13-grams', // 80 + 41 words: fields are joined, so n-grams may span question and answer
      '5 rows checked against 1 eval set (13-grams): 3 dropped',
      '  mmlu: 3 rows dropped',
    ]);
  });

  it('a smaller n catches shorter overlaps', async () => {
    const r = await runGlobal(decontaminate, train, { against: ['mmlu'], n: 8 }, { extra: { 'against[0]': rowSet(evalRows) } });
    expect(r.keptIds).toEqual(['r4']);
  });

  it('checks each training column on its own', async () => {
    const rows = [
      { id: 'c1', prompt: fill(0), response: `${fill(5)} ${words(q1, 10, 13)}` },
      { id: 'c2', prompt: `${words(q1, 0, 7)}`, response: `${words(q1, 7, 7)}` }, // 14 words only across the two columns
    ];
    const r = await runGlobal(decontaminate, rows, { against: ['mmlu'], columns: ['prompt', 'response'] }, { extra: { 'against[0]': rowSet(evalRows) } });
    expect(r.keptIds).toEqual(['c2']);
    expect(r.dropped[0].detail).toMatch(/" in response with mmlu \(item m1; n = 13\)$/);
  });
});

describe('decontaminate in a recipe', () => {
  it('cells and files as eval sets, per-set counts, and only the overlapping rows dropped', async () => {
    const trainRows = [
      { id: 't1', text: `${fill(0)} ${words(q1, 3, 13)}` }, // mmlu (cell)
      { id: 't2', text: `${words(g1, 10, 20)} ${fill(2)}` }, // gsm.jsonl
      { id: 't3', text: `Intro: ${words(x1, 0, 10)}.` }, // extra.txt line 2, a 10-word item used whole
      { id: 't4', text: `${words(x1, 20, 5)} ${fill(3)}` }, // extra.txt line 3: 5 words, skipped
      { id: 't5', text: `${fill(4)} ${fill(14)}` },
      { id: 't6', text: `${fill(5)} ${fill(15)}` },
    ];
    const dir = tempProject({
      'r.ftr': `recipe dc
seed 1
source docs = jsonl "train.jsonl"
source mmlu = jsonl "mmlu.jsonl"
cell clean = docs | decontaminate mmlu files: "evals/*"
export clean | write "out/" shuffle: false
`,
      'train.jsonl': trainRows.map((r) => JSON.stringify(r)).join('\n') + '\n',
      'mmlu.jsonl': evalRows().map((r) => JSON.stringify(r)).join('\n') + '\n',
      'evals/gsm.jsonl': JSON.stringify({ id: 7, text: g1.join(' ') }) + '\n',
      'evals/extra.txt': `${fill(30)}\n${words(x1, 0, 10)}\n${words(x1, 20, 5)}\n\n`,
    });
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.code).toBe(0);
    const cell = r.cells.get('clean')!;
    expect(cell.rowsOut).toBe(3);
    expect(cell.dropped).toEqual({ contaminated: 3 });
    expect(readJsonl(join(dir, 'out', 'clean.jsonl')).map((x) => x.id)).toEqual(['t4', 't5', 't6']);
    // the op's own notes (the runtime appends an example per drop reason after them)
    expect(cell.notes!.filter((n) => !n.startsWith('e.g. '))).toEqual([
      'eval set mmlu: 2 items, 97 distinct 13-grams', // 80 + 41 words: fields are joined, so n-grams may span question and answer
      'eval set evals/extra.txt: 3 items, 2 distinct 13-grams, 1 shorter than 8 words skipped',
      'eval set evals/gsm.jsonl: 1 item, 28 distinct 13-grams',
      '6 rows checked against 3 eval sets (13-grams): 3 dropped',
      '  mmlu: 1 row dropped',
      '  evals/extra.txt: 1 row dropped',
      '  evals/gsm.jsonl: 1 row dropped',
    ]);
    const rejects = (await ftr('rejects', join(dir, 'r.ftr'), 'clean', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((x) => [x.id, x.detail])).toEqual([
      ['t1', `shares 13-gram "${words(q1, 3, 8)} …" with mmlu (item m1; n = 13)`],
      ['t2', `shares 13-gram "${words(g1, 10, 8)} …" with evals/gsm.jsonl (item evals/gsm.jsonl#7; n = 13)`],
      ['t3', `shares 10-gram "${words(x1, 0, 8)} …" with evals/extra.txt (item evals/extra.txt:2; n = 13)`],
    ]);
  });

  it('needs at least one eval set, and checks files and fields up front', async () => {
    const dir = tempProject({
      'r.ftr': `recipe dc
source docs = jsonl "train.jsonl"
source mmlu = jsonl "mmlu.jsonl"
cell a = docs | decontaminate
cell b = docs | decontaminate files: "nope/*.jsonl"
cell c = docs | decontaminate mmlu fields: ["questoin"]
`,
      'train.jsonl': '{"text":"x"}\n',
      'mmlu.jsonl': '{"question":"q"}\n',
    });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    const text = r.out + r.err;
    expect(text).toContain('`decontaminate` needs evaluation sets');
    expect(text).toContain('no files match `nope/*.jsonl`');
    expect(text).toContain('eval set `mmlu` has no column `questoin`');
    expect(text).toContain('did you mean `question`?');
  });

  it('a broken eval file fails the cell with file and line', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe dc\nsource docs = jsonl "train.jsonl"\ncell a = docs | decontaminate files: "ev.jsonl"\n',
      'train.jsonl': '{"text":"x"}\n',
      'ev.jsonl': '{"text":"fine"}\n{oops\n',
    });
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('a')!.status).toBe('failed');
    expect(r.cells.get('a')!.error).toBe('ev.jsonl:2: not valid JSON');
    writeFileSync(join(dir, 'ev.jsonl'), '{"text":"fine"}\n');
    expect((await runJson(join(dir, 'r.ftr'), '--no-cache')).cells.get('a')!.status).toBe('done');
  });

  it('editing an eval file re-runs the cell (its content is part of the cache key)', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe dc\nsource docs = jsonl "train.jsonl"\ncell a = docs | decontaminate files: "ev.txt" n: 8\n',
      'train.jsonl': [fill(0), fill(10), fill(20)].map((text, i) => JSON.stringify({ id: `t${i}`, text })).join('\n') + '\n',
      'ev.txt': `${fill(0)}\n`,
    });
    expect((await runJson(join(dir, 'r.ftr'))).cells.get('a')!.dropped).toEqual({ contaminated: 1 });
    expect((await runJson(join(dir, 'r.ftr'))).cells.get('a')!.status).toBe('cached');
    writeFileSync(join(dir, 'ev.txt'), `${fill(0)}\n${fill(20)}\n`);
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('a')!.status).toBe('done');
    expect(r.cells.get('a')!.dropped).toEqual({ contaminated: 2 });
  });
});

function evalRows() {
  return [
    { id: 'm1', question: q1.join(' '), answer: a1.join(' ') },
    { id: 'm2', question: q2.join(' '), answer: 'B' },
  ];
}
