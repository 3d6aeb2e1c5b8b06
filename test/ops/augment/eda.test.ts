import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eda, edaVariants } from '../../../src/ops/augment/eda.js';
import { applyOp, count, onlyChars, randomDeletion, randomInsertion, randomSwap, render, synonymReplacement, tokenize, type EdaOptions } from '../../../src/ops/augment/eda_text.js';
import { WordNet } from '../../../src/ops/augment/wordnet.js';
import { stopwordSet } from '../../../src/ops/filter/relevance.js';
import { prng } from '../../../src/runtime/hash.js';
import { checkSchema, eq, FIXTURE, matches, runAug } from './harness.js';

const wordnet = new WordNet(FIXTURE);
const stop = stopwordSet(['en']);
const opts = (seed: number, protectStop = true): EdaOptions => ({ wordnet, stop, protectStop, rand: prng(seed) });
const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

/** The stop words of a text, in order. */
const stopSeq = (text: string) => tokenize(text).words.filter((w) => stop.has(w.toLowerCase()));
const sorted = (text: string) => [...tokenize(text).words].sort();

const PAPER = 'A sad, superior human comedy played out on the back roads of life.';

describe('EDA operations', () => {
  it('tokenizing keeps every character: words and what lies between them', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => render(tokenize(s)) === s));
    expect(tokenize("Don't stop, it's 2024!")).toEqual({ words: ["Don't", 'stop', "it's", '2024'], seps: ['', ' ', ', ', ' ', '!'] });
  });

  it('n = max(1, ⌊α·words⌋) (design notes §4.1: 13 words)', () => {
    expect(tokenize(PAPER).words).toHaveLength(13);
    expect(count(0.1, 13)).toBe(1);
    expect(count(0.05, 13)).toBe(1);
    expect(count(0.3, 13)).toBe(3);
  });

  it('eda.py text cleaning (get_only_chars)', () => {
    expect(onlyChars("It's a well-known\tfact: 42 cats!")).toBe('its a well known fact cats ');
  });

  it('SR replaces every occurrence of a word with one synonym, in the word\'s case; stop words never', () => {
    for (const seed of SEEDS) {
      const out = render(synonymReplacement(tokenize('The movie was sad. The Movie was SAD!'), 2, opts(seed)));
      const m = /^The (.+) was (.+)\. The (.+) was (.+)!$/.exec(out)!;
      expect(m, out).not.toBeNull();
      expect(['film', 'picture', 'moving picture', 'flick']).toContain(m[1]);
      expect(m[3]).toBe(m[1][0].toUpperCase() + m[1].slice(1));
      expect(['deplorable', 'distressing', 'lamentable', 'pitiful', 'sorry']).toContain(m[2]);
      expect(m[4]).toBe(m[2].toUpperCase());
    }
    // n = 1: exactly one of the two words changes
    const one = render(synonymReplacement(tokenize('the movie was sad'), 1, opts(3)));
    expect([/movie/.test(one), /sad/.test(one)].filter(Boolean)).toHaveLength(1);
  });

  it('RI inserts the first synonym of a random non-stop word at a random place', () => {
    const seen = new Set<string>();
    for (const seed of SEEDS) {
      const out = randomInsertion(tokenize('I buy the car'), 1, opts(seed));
      expect(out.words).toHaveLength(5);
      const added = out.words.filter((w) => !['I', 'buy', 'the', 'car'].includes(w));
      expect(added.length).toBe(1);
      expect(['purchase', 'auto']).toContain(added[0]);
      expect(out.words.filter((w) => w !== added[0])).toEqual(['I', 'buy', 'the', 'car']);
      seen.add(render(out));
    }
    expect(seen.size).toBeGreaterThan(3);
    // nothing with synonyms: nothing inserted
    expect(render(randomInsertion(tokenize('hello world'), 2, opts(1)))).toBe('hello world');
  });

  it('RS swaps words (never stop words when protected); RD deletes non-stop words, never all of them', () => {
    for (const seed of SEEDS) {
      const rs = applyOp('rs', PAPER, 0.3, opts(seed));
      expect(sorted(rs)).toEqual(sorted(PAPER));
      const rd = applyOp('rd', PAPER, 0.5, opts(seed));
      expect(tokenize(rd).words.length).toBeGreaterThan(0);
      for (const out of [rs, rd, applyOp('sr', PAPER, 0.3, opts(seed)), applyOp('ri', PAPER, 0.3, opts(seed))]) expect(stopSeq(out)).toEqual(stopSeq(PAPER));
    }
    // RD keeps a 1-word text; with every word deleted, one random word stays
    expect(render(randomDeletion(tokenize('Hello!'), 1, opts(1)))).toBe('Hello!');
    const lone = tokenize(render(randomDeletion(tokenize('red green blue'), 1, opts(5))));
    expect(lone.words).toHaveLength(1);
    // RS on fewer than two swappable words leaves the text
    expect(render(randomSwap(tokenize('the movie'), 3, opts(1)))).toBe('the movie');
  });

  it('RD merges the separators around a deleted word, keeping the stronger punctuation', () => {
    expect(applyOp('rd', PAPER, 1, opts(1))).toBe('A out on the of.');
    expect(applyOp('rd', 'Sad, superior comedy of life.', 1, opts(1))).toBe('of.');
    expect(render(randomDeletion(tokenize('the sad, comedy.'), 1, opts(1)))).toBe('the.');
  });

  it('keep_stopwords: false lets RS and RD touch stop words, as eda.py does', () => {
    const outs = SEEDS.map((s) => applyOp('rd', PAPER, 0.5, opts(s, false)));
    expect(outs.some((o) => stopSeq(o).length < stopSeq(PAPER).length)).toBe(true);
  });
});

describe('EDA copies (eda.py\'s eda())', () => {
  const rates = { sr: 0.1, ri: 0.1, rs: 0.1, rd: 0.1 };
  const row = { id: 'r1', text: 'The movie about the fast car was sad and I want a refund for my invoice' };
  const base = { wordnet, stop, protectStop: true };

  it('⌊copies/ops⌋+1 candidates per op, shuffled, the first `copies` kept; seeded per row', () => {
    const v = edaVariants(row, ['text'], rates, 9, false, base, 7);
    expect(v.map((x) => x.tag)).toEqual(['eda1', 'eda2', 'eda3', 'eda4', 'eda5', 'eda6', 'eda7', 'eda8', 'eda9']);
    const perOp = (vs: typeof v) => Object.fromEntries(['sr', 'ri', 'rs', 'rd'].map((op) => [op, vs.filter((x) => x.augmentation === `eda:${op}`).length]));
    // 12 candidates (3 per op), 9 kept: each op at most 3, at least 0
    expect(Object.values(perOp(v)).reduce((a, b) => a + b, 0)).toBe(9);
    expect(Math.max(...Object.values(perOp(v)))).toBeLessThanOrEqual(3);
    expect(edaVariants(row, ['text'], rates, 9, false, base, 7)).toEqual(v);
    expect(edaVariants(row, ['text'], rates, 9, false, base, 8)).not.toEqual(v);
    // only the enabled ops
    const sr = edaVariants(row, ['text'], { sr: 0.2, ri: 0, rs: 0, rd: 0 }, 3, false, base, 7);
    expect(sr.map((x) => x.augmentation)).toEqual(['eda:sr', 'eda:sr', 'eda:sr']);
    // combine: every copy through all enabled ops
    expect(edaVariants(row, ['text'], rates, 2, true, base, 7).map((x) => x.augmentation)).toEqual(['eda:sr+ri+rs+rd', 'eda:sr+ri+rs+rd']);
  });

  it('a row\'s copies depend on the seed and its id, not on the other rows', async () => {
    const rows = [row, { id: 'r2', text: 'Please cancel my order quickly, the car is fast' }];
    const params = { wordnet: FIXTURE };
    const alone = await runAug(eda, [rows[1]], params, { seed: 5 });
    const both = await runAug(eda, rows, params, { seed: 5 });
    expect(both.rows.filter((r) => String(r.id).startsWith('r2'))).toEqual(alone.rows);
  });
});

describe('eda op', () => {
  const rows = [
    { id: 'a', source: 'd', text: 'The movie was sad and the car was fast', label: 'review' },
    { id: 'b', source: 'd', text: 'I want a refund for my invoice quickly', label: 'billing' },
    { id: 'a:2', source: 'd', text: 'Buy the fast car', label: 'sales', parent: 'doc-a' },
  ];
  const P = { wordnet: FIXTURE, copies: 3 };

  it('keeps originals and adds <id>#eda<k> copies with parent, source and augmentation', async () => {
    const r = await runAug(eda, rows, P, { seed: 2 });
    const a = r.rows.filter((x) => x.id === 'a' || String(x.id).startsWith('a#'));
    expect(a[0]).toEqual({ ...rows[0], parent: null, augmentation: null });
    for (const c of a.slice(1)) {
      expect(c).toMatchObject({ source: 'd', label: 'review', parent: 'a' });
      expect(String(c.id)).toMatch(/^a#eda[1-3]$/);
      expect(c.augmentation).toMatch(/^eda:(sr|ri|rs|rd)$/);
      expect(c.text).not.toBe(rows[0].text);
    }
    // a row that already has a parent (a chunk of doc-a): its copies join that family
    const chunk = r.rows.filter((x) => String(x.id).startsWith('a:2#'));
    expect(chunk.length).toBeGreaterThan(0);
    for (const c of chunk) expect(c.parent).toBe('doc-a');
    // every copy made is either emitted or rejected with a reason
    expect(r.rows.length - rows.length + r.dropped.length).toBe(rows.length * 3);
    for (const d of r.dropped) expect(d.reason).toBeTruthy();
    expect(r.notes[0]).toMatch(/^eda: 9 copies of 3 rows → \d+ kept, \d+ rejected$/);
    expect(r.notes[1]).toMatch(/^copy\s+made\s+kept/);
  });

  it('only_augmented emits the copies alone; an original with none left is dropped with the reason', async () => {
    const r = await runAug(eda, [...rows, { id: 'z', source: 'd', text: 'hello', label: 'x' }], { ...P, only_augmented: true, sr: 0, ri: 0, rd: 0 }, { seed: 2 });
    expect(r.ids.every((id) => id.includes('#'))).toBe(true);
    expect(r.dropped.find((d) => d.id === 'z' && d.reason === 'no augmented copy')?.detail).toBe('all 3 copies rejected');
    expect(r.dropped.filter((d) => String(d.id).startsWith('z#')).map((d) => d.reason)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });

  it('where picks the rows to augment', async () => {
    const r = await runAug(eda, rows, { ...P, where: eq('label', 'billing') }, { seed: 2 });
    expect(r.ids.filter((id) => id.includes('#')).every((id) => id.startsWith('b#'))).toBe(true);
    expect(r.ids.filter((id) => !id.includes('#'))).toEqual(['a', 'b', 'a:2']);
    expect(r.notes[0]).toContain('2 rows not picked by `where`');
  });

  it('filters: unchanged and duplicate copies, similarity and length bands, keep_if and preserve — with the measured value', async () => {
    const swap = { ...P, sr: 0, ri: 0, rd: 0, rs: 0.5, copies: 4 };
    // two-word texts: every swap gives the same copy, later ones are duplicates of the first
    const dup = await runAug(eda, [{ id: 'x', text: 'movie car' }], swap);
    expect(dup.ids).toEqual(['x', 'x#eda1']);
    expect(dup.dropped.map((d) => [d.reason, d.detail])).toEqual([
      ['duplicate variant', 'same text as x#eda1'],
      ['duplicate variant', 'same text as x#eda1'],
      ['duplicate variant', 'same text as x#eda1'],
    ]);
    // a swap keeps the word set (Jaccard 1) but changes the characters
    const words = await runAug(eda, [rows[0]], { ...swap, similarity: [0, 0.99], similarity_by: 'words' });
    expect(words.dropped.every((d) => ['too similar', 'duplicate variant', 'unchanged'].includes(d.reason))).toBe(true);
    expect(words.ids).toEqual(['a']);
    expect(words.dropped.find((d) => d.reason === 'too similar')!.detail).toBe('similarity 1.00 > max 0.99 (words)');
    const chars = await runAug(eda, [rows[0]], { ...swap, similarity: [0.99, 1] });
    expect(chars.dropped.find((d) => d.reason === 'too different')!.detail).toMatch(/^similarity 0\.\d\d < min 0\.99 \(chars\)$/);
    // deletion shortens: a tight length band rejects
    const short = await runAug(eda, [rows[1]], { ...P, sr: 0, ri: 0, rs: 0, rd: 0.9, length_ratio: [0.95, 1.05] }, { seed: 4 });
    const lr = short.dropped.find((d) => d.reason === 'length ratio')!;
    expect(lr.detail).toMatch(/^length ratio 0\.\d\d outside \[0\.95, 1\.05\] \(\d+ vs 38 chars\)$/);
    // keep_if on the copy; preserve: what held for the original must hold for the copy
    const keepIf = await runAug(eda, [rows[1]], { ...P, sr: 1, ri: 0, rs: 0, rd: 0, keep_if: matches('text', 'refund') });
    expect(keepIf.dropped.map((d) => d.reason)).toEqual(['keep_if', 'keep_if', 'keep_if']);
    expect(keepIf.dropped[0].detail).toBe('not (text ~ /refund/)');
    const kept = await runAug(eda, [rows[1]], { ...P, sr: 1, ri: 0, rs: 0, rd: 0, preserve: matches('text', 'refund|repayment') });
    expect(kept.dropped.filter((d) => d.reason === 'not preserved')).toEqual([]);
    const lost = await runAug(eda, [rows[1]], { ...P, sr: 1, ri: 0, rs: 0, rd: 0, preserve: matches('text', 'refund') });
    expect(lost.dropped.map((d) => d.reason)).toEqual(['not preserved', 'not preserved', 'not preserved']);
    expect(lost.dropped[0].detail).toBe('text ~ /refund/ held for b but not for the copy');
    // a rule that did not hold for the original constrains nothing
    const moot = await runAug(eda, [rows[0]], { ...P, sr: 1, ri: 0, rs: 0, rd: 0, preserve: matches('text', 'refund') });
    expect(moot.dropped.filter((d) => d.reason === 'not preserved')).toEqual([]);
  });

  it('clean reduces rows to eda.py\'s lowercase letters first (originals too)', async () => {
    const r = await runAug(eda, [{ id: 'q', text: "It's a SAD movie!" }], { ...P, clean: true });
    expect(r.rows[0].text).toBe('its a sad movie ');
    for (const c of r.rows.slice(1)) expect(c.text).toMatch(/^[a-z ]+$/);
  });

  it('on a split input, augments each part on its own (train by default); copies stay in their original\'s part', async () => {
    const parts = { train: rows.slice(0, 2), val: [rows[2]] };
    const def = await runAug(eda, parts, P, { seed: 9 });
    expect(def.byPart.val.map((r) => r.id)).toEqual(['a:2']);
    expect(def.byPart.train.some((r) => String(r.id).includes('#'))).toBe(true);
    expect(def.notes).toContain('per part: train +' + (def.byPart.train.length - 2) + ' · val 1 passed through');
    const both = await runAug(eda, parts, { ...P, apply_to: ['train', 'val'] }, { seed: 9 });
    for (const [part, rs] of Object.entries(both.byPart)) {
      const ids = new Set(parts[part as 'train' | 'val'].map((r) => r.id));
      for (const r of rs) expect(ids.has(String(r.id).split('#')[0]), `${String(r.id)} in ${part}`).toBe(true);
    }
    expect(both.byPart.val.some((r) => String(r.id).startsWith('a:2#'))).toBe(true);
  });

  it('schema: adds parent and augmentation; reports bad columns, rates, bands, parts and WordNet folders', () => {
    expect(checkSchema(eda, ['id', 'text'], { wordnet: FIXTURE }).schema.columns.map((c) => c.name)).toEqual(['id', 'text', 'parent', 'augmentation']);
    expect(checkSchema(eda, ['id', 'text', 'parent'], { wordnet: FIXTURE }).schema.columns.map((c) => c.name)).toEqual(['id', 'text', 'parent', 'augmentation']);
    const err = (cols: string[], params: Record<string, unknown>, parts?: string[]) => checkSchema(eda, cols, { wordnet: FIXTURE, ...params }, parts).errors;
    expect(err(['id', 'body'], {})[0]).toMatchObject({ param: 'columns', message: 'unknown column `text`' });
    expect(err(['text'], { sr: 0, ri: 0, rs: 0, rd: 0 })[0].message).toBe('every EDA rate is 0: nothing would change');
    expect(err(['text'], { similarity: [0.9, 0.3] })[0].message).toBe('`similarity`: min 0.9 is above max 0.3');
    expect(err(['text'], { length_ratio: [0.5] })[0].message).toBe('`length_ratio` is a band [min, max]: give two values');
    expect(err(['text'], { apply_to: ['train'] })[0].message).toBe('`apply_to` picks parts of a split, but the input has no parts');
    expect(err(['text'], { apply_to: ['tran'] }, ['train', 'test'])[0]).toMatchObject({ message: 'unknown part `tran`' });
    expect(err(['text'], {}, ['a', 'b'])[0].message).toContain('none of them `train`: say which parts to augment');
    expect(err(['text'], { wordnet: '/nonexistent/dict' })[0].message).toContain('cannot use `/nonexistent/dict` as WordNet');
    expect(err(['text'], { wordnet: '/nonexistent/dict', sr: 0, ri: 0 })).toEqual([]);
  });
});
