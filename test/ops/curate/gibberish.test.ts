import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CharNgramModel, gibberish, gibberishScore, unpronounceable } from '../../../src/ops/curate/gibberish.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { runOp } from './run-op.js';

const ENGLISH = [
  'The weather was cold and the wind came from the north all day.',
  'She opened the door and looked out at the quiet street below.',
  'We should meet at the station before the train leaves at noon.',
  'He told me that the report would be ready by the end of the week.',
  'The children played in the garden while their parents cooked dinner.',
  'Please send the invoice to the accounting team by Friday morning.',
  'My order arrived late and the box was damaged on one side.',
  'Can you help me change the password for my account?',
  'The meeting was moved to Thursday because the manager was away.',
  'They walked along the river and talked about their plans for the summer.',
  'I would like to return these shoes because they are too small.',
  'The new version of the app is faster and uses less memory.',
  'Our team finished the project on time and under budget.',
  'The teacher asked the students to read the first chapter at home.',
  'There is a small cafe near the park where we often have lunch.',
  'The refund should appear on your card within five working days.',
  'He forgot his umbrella and got wet on the way to the office.',
  'The museum is open every day except Monday and public holidays.',
  'I have been waiting for an answer to my question since last week.',
  'The price of the ticket includes a guided tour of the old town.',
];
const MASH = ['sdfsdf lkjlkj qwpoeiru zxmcnv', 'jfjfjf dkdkdk slslsl qpqpqp'];

describe('character n-gram model', () => {
  it('matches hand-computed add-k perplexities', () => {
    // unigram, k=1, trained on "ab": symbols a b ⟨end⟩, V = 3 + 1 = 4; P = (1+1)/(3+4) = 2/7 each → perplexity 3.5
    const uni = new CharNgramModel(1, 1);
    uni.train('ab');
    expect(uni.perplexity('ab')).toBeCloseTo(3.5, 12);
    // an unseen character: P(z) = 1/7, P(end) = 2/7 → exp(−(ln 1/7 + ln 2/7)/2) = √(49/2) = 4.9497
    expect(uni.perplexity('z')).toBeCloseTo(Math.sqrt(49 / 2), 12);
    // bigram, k=1: contexts ⟨start⟩ a b seen once each; P = (1+1)/(1+4) = 0.4 → 2.5
    const bi = new CharNgramModel(2, 1);
    bi.train('ab');
    expect(bi.perplexity('ab')).toBeCloseTo(2.5, 12);
    // leave-one-out removes the text's own counts: P = (0+1)/(0+4) → perplexity V = 4
    expect(bi.perplexity('ab', true)).toBeCloseTo(4, 12);
    // the text is lowercased and its whitespace collapsed before scoring
    expect(bi.perplexity('  AB ')).toBeCloseTo(2.5, 12);
  });

  it('gives in-domain English a lower perplexity than keyboard mash', () => {
    const m = new CharNgramModel(3, 0.1);
    for (const s of ENGLISH) m.train(s);
    const english = m.perplexity('The manager sent the report to the team on Monday morning.');
    for (const mash of [...MASH, 'qwertyuiop asdfghjkl zxcvbnm']) expect(m.perplexity(mash)).toBeGreaterThan(3 * english);
  });

  it('leave-one-out: a string seen only in its own row does not vouch for itself', () => {
    const m = new CharNgramModel(3, 0.1);
    for (const s of [...ENGLISH, MASH[0]]) m.train(s);
    expect(m.perplexity(MASH[0], true)).toBeGreaterThan(5 * m.perplexity(MASH[0], false));
    expect(m.perplexity(ENGLISH[0], true)).toBeLessThan(m.perplexity(MASH[0], true) / 3);
  });
});

describe('gibberish score', () => {
  it('follows the documented formula', () => {
    // asdkjh: "sdkjh" 5 consonants ✓; qwlekj has a vowel and runs ≤ 3 ✗; zxcmnb: no vowel ✓ → u = 2/3
    // vowels a, e of 18 letters = 0.111 → v = (0.25 − 0.111)/0.25 = 0.5556; no symbols → r = 0
    // 0.6·2/3 + 0.25·0.5556 = 0.53889
    const g = gibberishScore('asdkjh qwlekj zxcmnb');
    expect(g.unpronounceable).toBeCloseTo(2 / 3, 12);
    expect(g.vowels).toBeCloseTo(1 / 9, 12);
    expect(g.score).toBeCloseTo(0.53889, 5);
    // clean English: 0
    expect(gibberishScore('The cat sat.').score).toBe(0);
    // no Latin words: the symbol run alone, (9 − 3)/12 = 0.5
    expect(gibberishScore('!!!!!!!!!').score).toBe(0.5);
    // NASA and HTML are acronyms; "rocks": 1 vowel / 5 → v = (0.25 − 0.2)/0.25 = 0.2 → 0.05
    expect(gibberishScore('NASA HTML rocks').score).toBeCloseTo(0.05, 12);
    expect(gibberishScore('Привет, как дела?').score).toBe(0);
  });
  it('recognises unpronounceable words', () => {
    expect(['zxcv', 'sdfgh', 'aaaab', 'brrr'].map(unpronounceable)).toEqual([true, true, true, true]);
    expect(['the', 'rhythm', 'strong', 'www', 'queue'].map(unpronounceable)).toEqual([false, false, false, false, false]);
  });
});

describe('gibberish op', () => {
  const rows = [...ENGLISH, ...MASH].map((text, i) => ({ id: `r${i}`, text }));

  it('drops over a fixed perplexity and flags instead when asked', async () => {
    const r = await runOp(gibberish, rows, { max_perplexity: 30, max_gibberish: 'off' });
    expect(r.dropped.map((d) => d.id)).toEqual(['r20', 'r21']);
    expect(r.dropped[0].reason).toBe('gibberish: perplexity');
    expect(r.dropped[0].detail).toMatch(/^perplexity \d+(\.\d+)? > 30$/);
    expect(r.kept.every((k) => typeof k.perplexity === 'number' && (k.perplexity as number) < 30 && k.gibberish === 0)).toBe(true);
    const f = await runOp(gibberish, rows, { max_perplexity: 30, max_gibberish: 'off', action: 'flag' });
    expect(f.dropped).toEqual([]);
    expect(f.kept.filter((k) => k.gibberish_reason !== null).map((k) => k.id)).toEqual(['r20', 'r21']);
  });
});

describe('gibberish in a recipe', () => {
  const data = [...ENGLISH, ...MASH, '   ']
    .map((text, i) => JSON.stringify({ id: `r${i}`, text }))
    .join('\n');
  it('scores every row, drops the mash with data-derived thresholds, and adds the score columns', async () => {
    const dir = tempProject({
      'r.ftr': `recipe g
source rows = jsonl "data/rows.jsonl"
source ref = jsonl "data/ref.jsonl"
cell self = rows | gibberish
cell byref = rows | gibberish reference: ref max_perplexity: "p95"
export self | write "out/" shuffle: false
`,
      'data/rows.jsonl': data + '\n',
      'data/ref.jsonl': ENGLISH.map((t) => JSON.stringify({ text: t })).join('\n') + '\n',
    });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    const self = cells.get('self')!;
    expect(self.rowsOut).toBe(21);
    expect(Object.values(self.dropped!).reduce((a, b) => a + b, 0)).toBe(2);
    const notes = self.notes!.join('\n');
    expect(notes).toContain('char 3-gram model, add-0.1, trained on this data, leave-one-out (22 texts)');
    expect(notes).toMatch(/perplexity .*> [\d.]+ \(median\+20mad of this data\)/);
    expect(notes).toContain('2 of 23 rows dropped; 1 without text kept unscored');
    const out = readJsonl(join(dir, 'out/self.jsonl'));
    expect(Object.keys(out[0])).toEqual(['id', 'source', 'text', 'perplexity', 'gibberish']);
    expect(out.map((r) => r.id)).not.toContain('r20');
    expect(out.at(-1)).toMatchObject({ id: 'r22', perplexity: null, gibberish: null });
    const byref = cells.get('byref')!;
    // 22 scored rows: p95 at h = 21·0.95 = 19.95 lies between the 20th and 21st → the two highest (the mash) go
    expect(byref.dropped).toEqual({ 'gibberish: perplexity': 2 });
    expect(byref.notes!.join('\n')).toContain('trained on ref (20 texts)');
    const rej = await ftr('rejects', join(dir, 'r.ftr'), 'byref');
    expect(rej.out).toContain('(p95 of this data)');
  });

  it('checks the reference column and the thresholds', async () => {
    const dir = tempProject({
      'r.ftr': `recipe g
source rows = jsonl "data/rows.jsonl"
source ref = jsonl "data/ref.jsonl"
cell a = rows | gibberish reference: ref
cell b = rows | gibberish max_perplexity: "p200"
`,
      'data/rows.jsonl': '{"text": "x"}\n',
      'data/ref.jsonl': '{"body": "x"}\n',
    });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('the reference cell has no column `text`');
    expect(r.out + r.err).toContain('percentile p200 is over p100');
  });
});

describe('gibberish on short technical texts and names', () => {
  // 200 ordinary sentences, 60 names, 60 short technical one-liners, 6 keyboard mashes
  const subjects = ['the support team', 'our billing system', 'a new customer', 'the shipping partner', 'this release', 'the mobile app', 'my account manager', 'the warehouse'];
  const verbs = ['fixed', 'delayed', 'answered', 'updated', 'approved', 'reviewed', 'replaced', 'cancelled'];
  const objects = ['the refund request', 'an invoice from last week', 'the broken login page', 'every open ticket', 'the order for new parts', 'a question about pricing'];
  const tails = ['before noon.', 'after the weekend.', 'without any notice.', 'as promised.', 'on Monday morning.'];
  const sentences: string[] = [];
  for (let i = 0; sentences.length < 200; i++) sentences.push(`${subjects[i % 8]} ${verbs[(i * 3) % 8]} ${objects[(i * 5) % 6]} ${tails[(i * 7) % 5]}`);
  const NAMES = ['Batsheva', 'Calypso', 'Ariadne', 'Beilul', 'Amye', 'Cahra', 'Ambur', 'Ailsun', 'Bebe', 'Angy', 'Siobhan', 'Xiomara', 'Yevgenia', 'Zbigniew', 'Kjersti', 'Ngozi', 'Oluwaseun', 'Thanh', 'Dmitri', 'Aoife'];
  const names = NAMES.flatMap((n, i) => [n, `${n} ${NAMES[(i + 3) % NAMES.length]}`, `Dr. ${n}`]);
  const acronyms = ['Z80', 'VT100', 'XKB', 'IPv6', 'PCIe', 'NVMe', 'x86_64', 'SHA-256', 'LZ4', 'TPM2'];
  const nouns = ['disassembler', 'escape codes', 'keymap for a 105-key layout', 'tunnel setup', 'bridge driver', 'boot phase log'];
  const tech = acronyms.flatMap((a, i) => nouns.map((n, j) => (j % 2 ? `${a} ${n}` : `${n} (${a}, rev ${i + j})`)));
  const mash = ['asdfgh jkl qwpoeiru zxmcnv', 'qwerty qwerty asdasd zxczxc', 'jjjj kkkk llll ;;;;', 'xkcdq pwnmrt bvcxz', 'hjkhjkhjkhjk lkjlkj', 'sdfsdf lkjlkj qwpoeiru zxmcnv'];

  it('names and short technical one-liners stay; the mashes go', async () => {
    const texts = [...sentences, ...names, ...tech, ...mash];
    const rows = texts.map((text, i) => ({ id: `r${i}`, text }));
    const r = await runOp(gibberish, rows, {});
    const droppedText = new Set(r.dropped.map((d) => texts[Number(String(d.id).slice(1))]));
    expect([...droppedText].filter((t) => !mash.includes(t))).toEqual([]);
    expect(mash.filter((m) => droppedText.has(m)).length).toBeGreaterThanOrEqual(5);
  });
});
