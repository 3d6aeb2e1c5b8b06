import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLACEHOLDERS, isCard, isPhone, luhn, mask_pii, maskPii, PII_KINDS } from '../../../src/ops/clean/mask_pii.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { runGlobal } from './harness.js';

const mask = (s: string) => maskPii(s, PII_KINDS, DEFAULT_PLACEHOLDERS).text;

describe('mask_pii: positives', () => {
  it('phone numbers in international and national formats', () => {
    const pairs: [string, string][] = [
      ['Call +1 (555) 123-4567 now', 'Call <PHONE> now'],
      ['Tel: +44 20 7946 0958.', 'Tel: <PHONE>.'],
      ['ring +49 30 1234567', 'ring <PHONE>'],
      ['+33 1 23 45 67 89', '<PHONE>'],
      ['E.164: +15551234567', 'E.164: <PHONE>'],
      ['(555) 123-4567', '<PHONE>'],
      ['555-123-4567 or 555.123.4567', '<PHONE> or <PHONE>'],
      ['1-800-555-0199', '<PHONE>'],
      ['020 7946 0958', '<PHONE>'],
      ['06 12 34 56 78', '<PHONE>'],
      ['555 123 4567 2 times', '<PHONE> 2 times'],
    ];
    for (const [s, m] of pairs) expect(mask(s)).toBe(m);
  });

  it('URLs (trailing punctuation outside, balanced brackets inside), e-mails, IPs, cards', () => {
    expect(mask('see https://example.com/a?b=1. ok')).toBe('see <URL>. ok');
    expect(mask('visit www.foo.org/x, ok')).toBe('visit <URL>, ok');
    expect(mask('(see https://en.wikipedia.org/wiki/Foo_(bar))')).toBe('(see <URL>)');
    expect(mask('mail bob.smith+tag@mail.example.co.uk or bob@www.foo.com')).toBe('mail <EMAIL> or <EMAIL>');
    expect(mask('https://user@host.com/x')).toBe('<URL>');
    expect(mask('server 192.168.1.10 down')).toBe('server <IP> down');
    expect(mask('v6 2001:db8::ff00:42:8329 and ::1')).toBe('v6 <IP> and <IP>');
    expect(mask('card 4111 1111 1111 1111 ok, amex 3782 822463 10005, mc 5555555555554444.')).toBe('card <CARD> ok, amex <CARD>, mc <CARD>.');
  });
});

describe('mask_pii: negatives', () => {
  it('plain numbers, dates, times, amounts, versions and identifiers stay', () => {
    const keep = [
      'Order 1234567890 shipped', 'on 2023-05-12 at 10:30', 'date 12/05/2023', '12.05.2023', '05.12.2023 14.30', 'v1.2.3', 'price 1,299.99',
      'ISBN 978-3-16-148410-0', 'between 10:30 and 11:45', 'in 1999 and 2005', 'ratio 16:9', 'ext 555-1234', '1 000 000 people',
      'std::vector<int>', 'MAC 00:1A:2B:3C:4D:5E', '3.14159', 'file.txt and e.g. this', 'room 12 34 56', 'score 2-1', '1990-2000',
      'not a card 4111 1111 1111 1112', 'a@b', 'user@localhost',
    ];
    for (const s of keep) expect(mask(s)).toBe(s);
  });

  it('checks: Luhn, card prefixes and grouping, phone shapes', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
    expect(isCard('79927398713')).toBe(false); // Luhn-valid but 11 digits
    expect(isCard('9111111111111111')).toBe(false);
    expect(isCard('4111-1111 1111-1111')).toBe(false); // mixed separators
    expect(isPhone('555-123-4567')).toBe(true);
    expect(isPhone('155-123-4567')).toBe(false); // a NANP area code cannot start with 1
    expect(isPhone('555-123.4567')).toBe(false);
    expect(isPhone('+0 123 456 789')).toBe(false);
  });

  it('cards only when asked', () => {
    expect(maskPii('4111 1111 1111 1111', ['url', 'email', 'phone', 'ip'], DEFAULT_PLACEHOLDERS).text).toBe('4111 1111 1111 1111');
  });
});

describe('mask_pii op', () => {
  it('placeholders, the kinds column, counts per kind in the notes', async () => {
    const rows = [
      { id: '1', text: 'mail a@b.com or c@d.org, call +44 20 7946 0958', note: 'from 10.0.0.1' },
      { id: '2', text: 'nothing here 2024-01-01', note: null },
      { id: '3', text: 'see https://x.com', note: 'a@b.com' },
    ];
    const r = await runGlobal(mask_pii, rows, { placeholders: { email: '[email]' }, column: 'pii' });
    expect(r.kept).toEqual([
      { id: '1', text: 'mail [email] or [email], call <PHONE>', note: 'from <IP>', pii: ['email', 'ip', 'phone'] },
      { id: '2', text: 'nothing here 2024-01-01', note: null, pii: [] },
      { id: '3', text: 'see <URL>', note: '[email]', pii: ['url', 'email'] },
    ]);
    expect(r.notes).toEqual([
      '6 matches masked in 2 of 3 rows',
      'kind             matches  rows',
      'url → <URL>            1     1',
      'email → [email]        3     2',
      'ip → <IP>              1     1',
      'phone → <PHONE>        1     1',
    ]);
  });

  it('checks placeholders and the added column before running', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe m\nsource t = jsonl "t.jsonl"\ncell a = t | mask_pii placeholders: { mail: "x" }\ncell b = t | mask_pii column: "id"\n',
      't.jsonl': '{"text":"x"}\n',
    });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('`mail` is not a kind of PII');
    expect(r.err).toContain('`column` cannot be "id"');
  });

  it('runs in a recipe', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe m\nsource t = jsonl "t.jsonl"\ncell masked = t | mask_pii text kinds: [email, phone, card] column: "pii"\nexport masked | write "out/" shuffle: false\n',
      't.jsonl': [{ text: 'Reach me at ann@example.com or (555) 123-4567, card 4111111111111111, see https://x.com' }, { text: 'Order 1234567890 on 2024-05-12' }].map((r) => JSON.stringify(r)).join('\n') + '\n',
    });
    const { code, cells } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    const out = readJsonl(join(dir, 'out/masked.jsonl'));
    expect(out.map((r) => [r.text, r.pii])).toEqual([
      ['Reach me at <EMAIL> or <PHONE>, card <CARD>, see https://x.com', ['email', 'card', 'phone']],
      ['Order 1234567890 on 2024-05-12', []],
    ]);
    expect(cells.get('masked')!.notes![0]).toBe('3 matches masked in 1 of 2 rows');
  });
});
