import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boilerplate, BUILTINS, removeBoilerplate, type BoilerplateOptions } from '../../../src/ops/clean/boilerplate.js';
import { readJsonl, runJson, tempProject } from '../../helpers.js';
import { runGlobal } from './harness.js';

const O: BoilerplateOptions = { builtin: [...BUILTINS], quoted: false, patterns: [], patternNames: [] };
const rm = (text: string, o: Partial<BoilerplateOptions> = {}) => {
  const r = removeBoilerplate(text, { ...O, ...o });
  return { text: r.text, removed: Object.fromEntries(r.removed) };
};

describe('boilerplate: built-in rules', () => {
  it('a signature after "-- " up to the quoted reply', () => {
    const mail = 'Thanks, that fixed it.\n\n-- \nJohn Smith\nACME Corp | +1 555 123 4567\n\nOn Mon, Jun 3, 2024 at 9:00 AM Ann <ann@x.com> wrote:\n> Did the reset work?\n> Ann';
    expect(rm(mail)).toEqual({ text: 'Thanks, that fixed it.\n\n> Did the reset work?\n> Ann', removed: { signature: 4, reply_header: 1 } });
    expect(rm(mail, { quoted: true })).toEqual({ text: 'Thanks, that fixed it.', removed: { signature: 4, reply_header: 1, quoted: 2 } });
  });

  it('"Sent from my iPhone" and friends, as whole lines only', () => {
    expect(rm('Sure, see you then.\n\nSent from my iPhone')).toEqual({ text: 'Sure, see you then.', removed: { sent_from: 1 } });
    expect(rm('ok\nGet Outlook for iOS\nEnvoyé de mon iPad\nVon meinem Samsung Galaxy gesendet').removed).toEqual({ sent_from: 3 });
    const content = 'The package was sent from my iPhone store order last week.';
    expect(rm(content)).toEqual({ text: content, removed: {} });
  });

  it('reply headers on one or two lines, in several languages, and Outlook separators', () => {
    expect(rm('Yes.\nOn Tue, 4 Jun 2024, Bob Jones <\nbob@example.com> wrote:\n> q').removed).toEqual({ reply_header: 2 });
    expect(rm('Oui.\nLe mar. 4 juin 2024 à 10:00, Bob <b@x.fr> a écrit :\n> q').removed).toEqual({ reply_header: 1 });
    expect(rm('Ja.\nAm 04.06.2024 um 10:00 schrieb Bob <b@x.de>:\n> q').removed).toEqual({ reply_header: 1 });
    expect(rm('Yes.\n-----Original Message-----\nFrom: Bob\nSubject: q').text).toBe('Yes.\nFrom: Bob\nSubject: q');
    expect(rm('Yes.\n-----Original Message-----\nFrom: Bob\nSubject: q', { quoted: true })).toEqual({ text: 'Yes.', removed: { quoted: 3 } });
    const content = 'On Monday I wrote to support about it.';
    expect(rm(content).removed).toEqual({});
  });

  it('unsubscribe footers, but not someone asking to unsubscribe', () => {
    const news = 'Big sale this week!\n\nYou are receiving this email because you signed up at shop.com.\nClick here to unsubscribe | Manage your preferences';
    expect(rm(news)).toEqual({ text: 'Big sale this week!', removed: { unsubscribe: 2 } });
    for (const ask of ['How do I unsubscribe from this list?', 'Please unsubscribe me from your newsletter.', 'I tried to unsubscribe here but the link is broken']) {
      expect(rm(ask).removed).toEqual({});
    }
  });

  it('a legal disclaimer from its line to the end of its paragraph', () => {
    const mail = 'Invoice attached.\n\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential\nand intended solely for the addressee.\nIf you have received it in error, delete it.\n\nRegards';
    expect(rm(mail)).toEqual({ text: 'Invoice attached.\n\nRegards', removed: { disclaimer: 3 } });
    expect(rm('Note: the contract is confidential, keep it safe.').removed).toEqual({});
  });

  it('user patterns, and picking built-ins', () => {
    const text = 'Ticket #123\nMy printer is on fire.\nSent from my iPhone';
    const r = rm(text, { builtin: [], patterns: [/^Ticket #\d+$/], patternNames: ['/^Ticket #\\d+$/'] });
    expect(r).toEqual({ text: 'My printer is on fire.\nSent from my iPhone', removed: { '/^Ticket #\\d+$/': 1 } });
  });

  it('returns text with nothing to remove unchanged (no trimming)', () => {
    expect(rm('  spaced  \n\n\n\nout  ').text).toBe('  spaced  \n\n\n\nout  ');
  });
});

describe('boilerplate op', () => {
  it('counts lines and rows per rule; texts left empty are kept and noted', async () => {
    const rows = [
      { id: '1', text: 'Hello\n-- \nAnn\nSent from my iPhone', subject: 'Sent from my iPhone' },
      { id: '2', text: 'Sent from my iPhone', subject: 'x' },
      { id: '3', text: 'plain', subject: 'y' },
    ];
    const r = await runGlobal(boilerplate, rows, { patterns: [{ regex: '^x$', flags: '' }] });
    expect(r.kept.map((k) => [k.text, k.subject])).toEqual([['Hello', ''], ['', ''], ['plain', 'y']]);
    expect(r.dropped).toEqual([]);
    expect(r.notes).toEqual([
      '6 lines removed from 2 of 3 rows',
      'rule       lines  rows',
      'signature      3     1',
      'sent_from      2     2',
      '/^x$/          1     1',
      '3 texts left empty (only boilerplate): follow with `drop missing(…)` to remove them',
    ]);
  });

  it('runs in a recipe', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe b\nsource t = jsonl "t.jsonl"\ncell clean = t | boilerplate text quoted patterns: [/^\\[External\\]/]\nexport clean | write "out/" shuffle: false\n',
      't.jsonl': [{ text: '[External] sender\nMy order is late.\n\nOn Mon, 3 Jun 2024, Shop <s@x.com> wrote:\n> Your order shipped.\n\n-- \nBob' }, { text: 'Fine' }].map((r) => JSON.stringify(r)).join('\n') + '\n',
    });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    expect(readJsonl(join(dir, 'out/clean.jsonl')).map((r) => r.text)).toEqual(['My order is late.', 'Fine']);
    expect(cells.get('clean')!.notes).toEqual(['5 lines removed from 1 of 2 rows', 'rule             lines  rows', 'signature            2     1', 'reply_header         1     1', 'quoted               1     1', '/^\\[External\\]/      1     1']);
  });
});
