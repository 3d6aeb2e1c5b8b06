import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';

const jsonl = (texts: string[]) => texts.map((text) => JSON.stringify({ text })).join('\n') + '\n';

const TICKETS = [
  'My refund has not arrived and I need the invoice for my last order.',
  'Please send a refund for the damaged item, the invoice number is 4411.',
  'The football match ended in a draw after extra time was played.',
  'Die Rechnung für meine Bestellung ist nicht angekommen, bitte erstatten Sie den Betrag.',
];
const FORUM = [
  'I was charged twice this month, I want a chargeback or a refund.',
  'What a lovely sunny day for a picnic in the park with friends.',
  'Where is my refund?',
  'Mi reembolso no ha llegado y necesito la factura de mi pedido, el refund.',
];

describe('relevance + language in a recipe', () => {
  it('keeps on-topic English rows and reports kept/total per source and rows per language', async () => {
    const dir = tempProject({
      'r.ftr': `recipe domain
source tickets = jsonl "data/tickets.jsonl"
source forum = jsonl "data/forum.jsonl"
cell all = concat tickets, forum
cell topical = all | relevance terms: ["refund", "invoice", "chargeback"] | language eng
cell seeded = all | relevance seeds: seeds method: tfidf threshold: 0.1
source seeds = jsonl "data/seeds.jsonl"
export topical | write "out/" shuffle: false
`,
      'data/tickets.jsonl': jsonl(TICKETS),
      'data/forum.jsonl': jsonl(FORUM),
      'data/seeds.jsonl': jsonl(['Customer asks where the refund for an order is.', 'Invoice and chargeback questions about a payment.']),
    });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    const t = cells.get('topical')!;
    expect(t.rowsIn).toBe(8);
    // off-topic: the football and picnic rows and the German ticket (no domain term); then the Spanish forum row is not English
    expect(t.dropped).toEqual({ 'off-topic': 3, language: 1 });
    expect(t.rowsOut).toBe(4);
    expect(t.funnel!.map((f) => f.rows)).toEqual([5, 4]);
    const notes = t.notes!;
    expect(notes).toContain('bm25 (k1 1.2, b 0.75) against 3 terms (refund, invoice, chargeback); idf over 8 rows; threshold > 0');
    // kept/total per source
    expect(notes).toContainEqual(expect.stringMatching(/^forum\s+3\s+4\s+75\.0%$/));
    expect(notes).toContainEqual(expect.stringMatching(/^tickets\s+2\s+4\s+50\.0%$/));
    expect(notes).toContain('kept 5 of 8 rows; dropped 3 without a domain word');
    // per detected language: "Where is my refund?" is under 20 characters → und, kept
    expect(notes).toContainEqual(expect.stringMatching(/^eng\s+3\s+3$/));
    expect(notes).toContainEqual(expect.stringMatching(/^spa\s+1\s+0$/));
    expect(notes).toContainEqual(expect.stringMatching(/^und\s+1\s+1$/));
    expect(notes).toContain('4 of 5 rows kept (eng)');

    const out = readJsonl(join(dir, 'out/topical.jsonl'));
    expect(Object.keys(out[0])).toEqual(['id', 'source', 'text', 'relevance', 'lang', 'lang_score']);
    expect(out.map((r) => r.text)).toEqual([TICKETS[0], TICKETS[1], FORUM[0], FORUM[2]]);
    expect(out.map((r) => r.lang)).toEqual(['eng', 'eng', 'eng', 'und']);
    expect(out.every((r) => typeof r.relevance === 'number' && r.relevance > 0)).toBe(true);

    const s = cells.get('seeded')!;
    expect(s.notes).toContain('tf-idf cosine against 2 seed documents from seeds; idf over 8 rows; threshold ≥ 0.1');
    // seeds about refunds, invoices and chargebacks: the four English on-topic rows pass 0.1, the Spanish one (one shared word) does not
    expect(s.rowsOut).toBe(4);
    expect(s.dropped).toEqual({ 'off-topic': 4 });
    expect(s.notes).toContainEqual(expect.stringMatching(/^forum\s+2\s+4\s+50\.0%$/));

    const rej = await ftr('rejects', join(dir, 'r.ftr'), 'topical');
    expect(rej.out).toContain('relevance 0: no domain word in the row');
    expect(rej.out).toMatch(/language spa \(score 0\.\d+\), expected eng/);
  });

  it('checks params before reading data', async () => {
    const dir = tempProject({
      'r.ftr': `source rows = jsonl "rows.jsonl"
cell a = rows | relevance
cell b = rows | language [eng] only: [deu, fra]
cell c = rows | relevance terms: ["refund"] seeds_file: "missing.txt"
cell d = rows | spam disable: [capz]
cell e = rows | offensive body
`,
      'rows.jsonl': jsonl(['hello']),
    });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).not.toBe(0);
    const err = r.err + r.out;
    expect(err).toContain('`relevance` needs something to judge relevance by');
    expect(err).toContain('allowed language eng not among the candidates in `only`');
    expect(err).toContain('score against `terms`, `seeds` or `seeds_file`, one of them');
    expect(err).toContain('file not found: `missing.txt`');
    expect(err).toContain('did you mean `caps`?');
    expect(err).toContain('unknown column `body`');
  });
});
