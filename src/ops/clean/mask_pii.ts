import { isIPv6 } from 'node:net';
import { defineOp } from '../types.js';
import { requireColumns } from '../common.js';
import { table } from '../bias/metrics.js';
import { textColumns } from './punctuation.js';

export const PII_KINDS = ['url', 'email', 'card', 'ip', 'phone'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export const DEFAULT_PLACEHOLDERS: Record<PiiKind, string> = { url: '<URL>', email: '<EMAIL>', card: '<CARD>', ip: '<IP>', phone: '<PHONE>' };

// URLs with a scheme or starting with www. (bare "example.com" is not taken: "file.txt", "e.g." look the same)
const URL_RE = /\b(?:https?:\/\/|ftp:\/\/)[^\s<>"'`]+|(?<![@\w.])www\.[^\s<>"'`]+/giu;
const EMAIL_RE = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*\.\p{L}{2,}(?![\p{L}\p{N}-])/gu;
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_RE = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');
const IPV6_RE = /(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])/g;
// 13–19 digits, optionally grouped by single spaces or dashes
const CARD_RE = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w]|[ -]\d)/g;
// a phone-shaped run: optional +country code, optional (area), 2–6 digit groups
const PHONE_RE = /(?<![\w+@/.\-])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,5}\)[ .\-]?)?\d{1,5}(?:[ .\-]?\d{1,5}){1,6}(?![\w@]|[.\-/:]\d)/g;

/** Luhn checksum. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** A card number: 13–19 digits passing Luhn, with a major network's prefix, ungrouped or grouped 4-4-4-4(-3) / 4-6-5 / 4-6-4 with one separator. */
export function isCard(s: string): boolean {
  const digits = s.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19 || !luhn(digits)) return false;
  if (!/^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|6(?:011|5|4[4-9]|2)|35)/.test(digits)) return false;
  const seps = new Set(s.match(/[ -]/g) ?? []);
  if (seps.size === 0) return true;
  if (seps.size > 1) return false;
  const groups = s.split(/[ -]/).map((g) => g.length);
  const fours = groups.slice(0, -1).every((g) => g === 4) && groups[groups.length - 1] >= 1 && groups[groups.length - 1] <= 4;
  const amex = groups.join() === '4,6,5' || groups.join() === '4,6,4';
  return fours || amex;
}

/**
 * Is this phone-shaped run a phone number? International (`+` and 8–15 digits, E.164) always;
 * without `+`, only the shapes national numbers are written in, with one kind of separator:
 * North American 3-3-4 (optionally after 1, or with the area code in parentheses), or a trunk 0
 * followed by groups of 2–4 digits, 9–12 digits in all ("020 7946 0958", "06 12 34 56 78").
 * Plain digit runs, dates (2024-05-12, 12.05.2024), times, amounts and version numbers are not.
 */
export function isPhone(s: string): boolean {
  const digits = s.replace(/\D/g, '');
  if (s.startsWith('+')) return digits.length >= 8 && digits.length <= 15 && digits[0] !== '0';
  if (s.includes('(')) return /^(?:1[ .-]?)?\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}$/.test(s) || (/^\(0\d{1,4}\)[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,3}$/.test(s) && digits.length >= 9 && digits.length <= 12);
  const seps = new Set(s.match(/[ .-]/g) ?? []);
  if (seps.size !== 1) return false;
  const groups = s.split(/[ .-]/);
  const lens = groups.map((g) => g.length).join();
  if ((lens === '3,3,4' || (lens === '1,3,3,4' && groups[0] === '1')) && /^[2-9]/.test(groups[groups.length - 3])) return true;
  return groups.length >= 3 && groups[0].startsWith('0') && groups.every((g) => g.length >= 2 && g.length <= 4) && digits.length >= 9 && digits.length <= 12;
}

/** The longest leading run of groups that is a phone number ("555 123 4567 2" → "555 123 4567"). */
function phonePrefix(s: string): string | undefined {
  const parts = s.split(/(?<=\d)(?=[ .-]\d)/);
  for (let k = parts.length; k >= 2; k--) {
    const cand = parts.slice(0, k).join('');
    if (isPhone(cand)) return cand;
  }
  return isPhone(s) ? s : undefined;
}

/** Trailing punctuation is not part of a URL; a closing bracket is, when the URL opened it (Wikipedia links). */
function trimUrl(u: string): string {
  let end = u.length;
  for (;;) {
    const ch = u[end - 1];
    if (/[.,;:!?'"»]/.test(ch)) end--;
    else if (ch === ')' || ch === ']' || ch === '}') {
      const open = ch === ')' ? '(' : ch === ']' ? '[' : '{';
      const body = u.slice(0, end);
      if (body.split(open).length - 1 < body.split(ch).length - 1) end--;
      else break;
    } else break;
  }
  return u.slice(0, end);
}

export type PiiCounts = Partial<Record<PiiKind, number>>;

/**
 * Replace PII in a text, kind by kind in a fixed order — URLs, e-mail addresses, card numbers,
 * IP addresses, phone numbers — so a later kind never sees what an earlier one replaced.
 */
export function maskPii(text: string, kinds: readonly PiiKind[], placeholders: Record<PiiKind, string>): { text: string; counts: PiiCounts } {
  const counts: PiiCounts = {};
  const on = new Set(kinds);
  const hit = (k: PiiKind) => {
    counts[k] = (counts[k] ?? 0) + 1;
    return placeholders[k];
  };
  let t = text;
  if (on.has('url'))
    t = t.replace(URL_RE, (m) => {
      const u = trimUrl(m);
      return hit('url') + m.slice(u.length);
    });
  if (on.has('email')) t = t.replace(EMAIL_RE, () => hit('email'));
  if (on.has('card')) t = t.replace(CARD_RE, (m) => (isCard(m) ? hit('card') : m));
  if (on.has('ip')) {
    t = t.replace(IPV4_RE, () => hit('ip'));
    t = t.replace(IPV6_RE, (m) => (/[0-9A-Fa-f]/.test(m) && isIPv6(m) ? hit('ip') : m));
  }
  if (on.has('phone'))
    t = t.replace(PHONE_RE, (m) => {
      const p = phonePrefix(m);
      return p ? hit('phone') + m.slice(p.length) : m;
    });
  return { text: t, counts };
}

const fmt = (n: number) => n.toLocaleString('en-US');

export const mask_pii = defineOp({
  name: 'mask_pii',
  version: 1,
  kind: 'global',
  summary: 'replace URLs, e-mail addresses, phone numbers, IP addresses and (optionally) card numbers with placeholders',
  doc: [
    'Each kind in `kinds` is replaced by its placeholder (`<URL>`, `<EMAIL>`, `<PHONE>`, `<IP>`, `<CARD>`; change them with `placeholders: { email: "[email]" }`), in the order url, email, card, ip, phone.',
    'URLs need a scheme or `www.` (trailing punctuation stays outside). IP: IPv4 dotted quads and IPv6 addresses. Phone: `+` with 8–15 digits in any grouping, or without `+` the North American 3-3-4 shape ("(555) 123-4567", "555.123.4567", "1-800-555-0199") or a trunk 0 and 9–12 digits in groups ("020 7946 0958", "06 12 34 56 78"), one kind of separator — so plain numbers, dates, times, amounts and version numbers are not masked.',
    'Card (`kinds: [url, email, phone, ip, card]`): 13–19 digits that pass the Luhn check and start like a Visa, Mastercard, Amex, Discover, Diners or JCB number, ungrouped or grouped in fours (Amex 4-6-5).',
    '`column: "pii"` adds a list column with the kinds found in each row. Notes count the matches per kind and the rows they were in.',
  ].join(' '),
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, doc: 'columns to mask (default: every text column)' },
    { name: 'kinds', type: { kind: 'list', of: { kind: 'enum', values: PII_KINDS } }, default: ['url', 'email', 'phone', 'ip'], doc: `what to mask: ${PII_KINDS.join(', ')} (card is off by default)` },
    { name: 'placeholders', type: { kind: 'record' }, doc: 'replacement per kind: { email: "[EMAIL]", phone: "" }' },
    { name: 'column', type: { kind: 'string' }, doc: 'add a column with this name listing the kinds found in the row (e.g. "pii")' },
  ],
  describe: (p) => `mask_pii ${(p.kinds as string[]).join(', ')}`,
  schema(ctx) {
    const p = ctx.params;
    if (p.columns) requireColumns(ctx, 'columns', p.columns as string[]);
    const ph = p.placeholders as Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(ph ?? {})) {
      if (!(PII_KINDS as readonly string[]).includes(k)) ctx.error('placeholders', `\`${k}\` is not a kind of PII`, { help: `kinds: ${PII_KINDS.join(', ')}` });
      else if (typeof v !== 'string') ctx.error('placeholders', `the placeholder for \`${k}\` must be a string, found ${JSON.stringify(v)}`);
    }
    const input = ctx.input!;
    const col = p.column as string | undefined;
    if (col === undefined) return input;
    if (col === '' || col === 'id') ctx.error('column', `\`column\` cannot be ${JSON.stringify(col)}`, { help: 'name a new column, e.g. column: "pii"' });
    return { ...input, columns: [...input.columns.filter((c) => c.name !== col), { name: col, type: 'list' }] };
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const kinds = PII_KINDS.filter((k) => (params.kinds as string[]).includes(k));
      const placeholders = { ...DEFAULT_PLACEHOLDERS, ...((params.placeholders as Record<PiiKind, string> | undefined) ?? {}) };
      const col = params.column as string | undefined;
      const cols = (params.columns as string[] | undefined)?.filter((c) => c !== col);
      const matches = new Map<PiiKind, number>();
      const rowsWith = new Map<PiiKind, number>();
      let changed = 0;
      let n = 0;
      for await (const row of input.rows()) {
        const next: Record<string, unknown> = { ...row };
        const found = new Set<PiiKind>();
        for (const c of textColumns(row, cols)) {
          if (c === col) continue;
          const r = maskPii(row[c] as string, kinds, placeholders);
          if (r.text === row[c] && !Object.keys(r.counts).length) continue;
          next[c] = r.text;
          for (const [k, v] of Object.entries(r.counts) as [PiiKind, number][]) {
            matches.set(k, (matches.get(k) ?? 0) + v);
            found.add(k);
          }
        }
        for (const k of found) rowsWith.set(k, (rowsWith.get(k) ?? 0) + 1);
        if (found.size) changed++;
        if (col !== undefined) next[col] = kinds.filter((k) => found.has(k));
        await out.emit(found.size || col !== undefined ? next : row);
        if (++n % 10_000 === 0) ctx.progress(n);
      }
      if (!changed) {
        out.note(`no PII found in ${fmt(n)} row${n === 1 ? '' : 's'} (${kinds.join(', ')})`);
        return;
      }
      const total = [...matches.values()].reduce((a, b) => a + b, 0);
      out.note(`${fmt(total)} match${total === 1 ? '' : 'es'} masked in ${fmt(changed)} of ${fmt(n)} rows`);
      const rows = kinds.map((k) => [`${k} → ${placeholders[k]}`, fmt(matches.get(k) ?? 0), fmt(rowsWith.get(k) ?? 0)]);
      for (const l of table([['kind', 'matches', 'rows'], ...rows])) out.note(l);
    },
  },
});
