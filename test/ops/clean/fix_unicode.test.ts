import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeEntities, fixMojibake, fixUnicode, fix_unicode } from '../../../src/ops/clean/fix_unicode.js';
import { readJsonl, runJson, tempProject } from '../../helpers.js';
import { runGlobal } from './harness.js';

/** Windows-1252's characters for bytes 0x80–0x9F; the five undefined bytes stay C1 controls. */
const CP1252: Record<number, number> = {
  0x80: 0x20ac, 0x82: 0x201a, 0x83: 0x192, 0x84: 0x201e, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x2c6, 0x89: 0x2030, 0x8a: 0x160,
  0x8b: 0x2039, 0x8c: 0x152, 0x8e: 0x17d, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201c, 0x94: 0x201d, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014,
  0x98: 0x2dc, 0x99: 0x2122, 0x9a: 0x161, 0x9b: 0x203a, 0x9c: 0x153, 0x9e: 0x17e, 0x9f: 0x178,
};
/** UTF-8 bytes read as Windows-1252 (`latin1`: as Latin-1). */
const misread = (s: string, latin1 = false) => [...Buffer.from(s, 'utf8')].map((b) => String.fromCodePoint(latin1 ? b : (CP1252[b] ?? b))).join('');

const fix = (s: string) => fixMojibake(s).text;

describe('fix_unicode: mojibake', () => {
  it('repairs UTF-8 read as Windows-1252 (golden pairs)', () => {
    const pairs: [string, string][] = [
      ['cafÃ©', 'café'],
      ['donâ€™t', 'don’t'],
      ['Ã¼ber', 'über'],
      ['NoÃ«l', 'Noël'],
      ['Ã„rger im Ã–l', 'Ärger im Öl'],
      ['Â¿QuÃ© tal?', '¿Qué tal?'],
      ['voilÃ\u00A0 tout', 'voilà tout'],
      ['Ã€ bientÃ´t', 'À bientôt'],
      ['â€œquotedâ€\u009D â€” yes', '“quoted” — yes'],
      ['ÐŸÑ€Ð¸Ð²ÐµÑ‚', 'Привет'],
      ['ä¸­æ–‡', '中文'],
      ['ðŸ˜€ ok', '😀 ok'],
      ['Ä°stanbul', 'İstanbul'],
      ['È™coalÄƒ', 'școală'],
      ['Â£100 Â» next', '£100 » next'],
    ];
    for (const [bad, good] of pairs) expect(fix(bad)).toBe(good);
  });

  it('repairs double (and triple) encodings, cp1252 and Latin-1', () => {
    expect(fix('cafÃƒÂ©')).toBe('café');
    expect(fix('donÃ¢â‚¬â„¢t')).toBe('don’t');
    expect(fix('don\u00E2\u0080\u0099t')).toBe('don’t'); // read as Latin-1: C1 controls
    expect(fix('voil\u00C3\u0083\u00C2\u00A0')).toBe('voilà'); // Latin-1 twice
    const texts = ['Ich möchte eine Rückerstattung für meine Bestellung.', 'Le café est très bon, n’est-ce pas ?', '¿Dónde está mi reembolso? ¡Gracias!', 'Não recebi — São Paulo.', 'Привет, как дела?', '日本語のテキスト', 'Zażółć gęślą jaźń', 'İstanbul’da güzel', '€100 £50 © ™'];
    for (const t of texts) {
      expect(fix(misread(t))).toBe(t);
      expect(fix(misread(misread(t)))).toBe(t);
      expect(fix(misread(misread(misread(t))))).toBe(t);
      expect(fix(misread(t, true))).toBe(t);
      expect(fix(misread(misread(t, true), true))).toBe(t);
    }
  });

  it('removes a byte-order mark read as text, and restores ” whose 0x9D byte was lost', () => {
    expect(fix('ï»¿Hello')).toBe('Hello');
    expect(fix('â€œquotedâ€ ok')).toBe('“quoted” ok');
  });

  it('leaves correct text alone: Portuguese Ã, punctuation and marks after capitals', () => {
    const correct = [
      'SÃO PAULO', 'JOÃO e MARIA', 'A “LÃ”', 'IRMÃ… e MAÇÃ', 'ALEMÃ, ALEMÃ!', 'NÃO—', 'Gruß… Fuß»', '«ÉTÉ» et «HIVER»', 'café…» fin',
      'NESTLÉ® and CAFÉ™', 'ÉTÉ° 5°C', 'naïve façade', 'ÆØÅ æøå Þór', 'Ça va? Ça marche…', 'Â ÂÂ', 'PÂ»', '1×2 ½ ± °C', 'plain ascii',
      'Ich möchte eine Rückerstattung.', '日本語', '😀',
    ];
    for (const t of correct) expect(fixMojibake(t)).toEqual({ text: t, fixes: 0 });
  });

  it('counts the sequences repaired', () => {
    expect(fixMojibake('cafÃ© Ã¼ber').fixes).toBe(2);
    expect(fixMojibake('cafÃƒÂ©').fixes).toBe(3); // two in the outer layer, one in the inner
  });
});

describe('fix_unicode: entities, quotes, dashes', () => {
  it('decodes entities left in plain text once, strictly, not in HTML', () => {
    expect(decodeEntities('Tom &amp; Jerry &#39;hi&#39; caf&eacute; &#x263A;')).toEqual({ text: 'Tom & Jerry \'hi\' café ☺', fixes: 5 });
    expect(decodeEntities('AT&T R&D &copy 2020 &nosuch;').fixes).toBe(0);
    expect(decodeEntities('&amp;amp;').text).toBe('&amp;');
    expect(decodeEntities('<b>&amp;</b>')).toEqual({ text: '<b>&amp;</b>', fixes: 0 });
  });

  it('entities first, then mojibake, then quotes and dashes when asked', () => {
    const o = { mojibake: true, entities: true, quotes: false, dashes: false };
    expect(fixUnicode('caf&Atilde;&copy; â€“ ok', o).text).toBe('café – ok');
    const r = fixUnicode('Itâ€™s â€œfineâ€\u009D â€” &quot;ok&quot; 3âˆ’2', { ...o, quotes: true, dashes: true });
    expect(r.text).toBe('It\'s "fine" - "ok" 3-2');
    expect(r.counts).toEqual({ entities: 2, mojibake: 5, quotes: 3, dashes: 2 });
    expect(fixUnicode('“x” – y', o).text).toBe('“x” – y');
  });
});

describe('fix_unicode op', () => {
  it('repairs every text column by default and counts per column in the notes', async () => {
    const rows = [
      { id: 'Ã©', source: 's', text: 'cafÃ©', title: 'Ã¼ber &amp; more', n: 1 },
      { id: '2', source: 's', text: 'fine', title: 'SÃO PAULO', n: 2 },
      { id: '3', source: 's', text: 'donâ€™t', title: null, n: 3 },
    ];
    const r = await runGlobal(fix_unicode, rows, {});
    expect(r.kept).toEqual([
      { id: 'Ã©', source: 's', text: 'café', title: 'über & more', n: 1 },
      rows[1],
      { id: '3', source: 's', text: 'don’t', title: null, n: 3 },
    ]);
    expect(r.kept[1]).toBe(rows[1]); // unchanged rows pass through as they are
    expect(r.notes).toEqual(['2 of 3 rows repaired', 'column  rows  mojibake  entities', 'text       2         2         0', 'title      1         1         1']);
  });

  it('only the chosen columns; options off; nothing to repair', async () => {
    const rows = [{ id: '1', text: 'cafÃ© &amp;', title: 'cafÃ©' }];
    expect((await runGlobal(fix_unicode, rows, { columns: ['text'], entities: false })).kept).toEqual([{ id: '1', text: 'café &amp;', title: 'cafÃ©' }]);
    expect((await runGlobal(fix_unicode, [{ id: '1', text: 'ok' }], {})).notes).toEqual(['nothing to repair in 1 row']);
  });

  it('runs in a recipe: repaired text is written, counts in the notes', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe u\nsource t = jsonl "t.jsonl"\ncell fixed = t | fix_unicode text quotes\nexport fixed | write "out/"\n',
      't.jsonl': [{ text: 'Itâ€™s a cafÃ©' }, { text: 'SÃO PAULO' }, { text: 'Tom &amp; Jerry' }].map((r) => JSON.stringify(r)).join('\n') + '\n',
    });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    expect(cells.get('fixed')!.notes).toEqual(['2 of 3 rows repaired', 'column  rows  mojibake  entities  quotes', 'text       2         2         1       1']);
    expect(readJsonl(join(dir, 'out/fixed.jsonl')).map((r) => r.text)).toEqual(["It's a café", 'SÃO PAULO', 'Tom & Jerry']);
  });
});
