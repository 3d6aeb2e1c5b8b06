import { decodeHTMLStrict } from 'entities';
import { defineOp } from '../types.js';
import { requireColumns } from '../common.js';
import { table } from '../bias/metrics.js';
import { plainDashes, straightenQuotes, textColumns } from './punctuation.js';

/**
 * Mojibake: UTF-8 bytes that were decoded as Windows-1252 (or Latin-1), so "é" (C3 A9) reads "Ã©"
 * and "’" (E2 80 99) reads "â€™". Each such character is turned back into its bytes and decoded as
 * UTF-8 again — only where the result is plausibly better (see `repairSequence`).
 */

/** Windows-1252's characters for bytes 0x80–0x9F (0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined: Latin-1 keeps them as C1 controls). */
const CP1252: Record<number, number> = {
  0x20ac: 0x80, 0x201a: 0x82, 0x0192: 0x83, 0x201e: 0x84, 0x2026: 0x85, 0x2020: 0x86, 0x2021: 0x87, 0x02c6: 0x88,
  0x2030: 0x89, 0x0160: 0x8a, 0x2039: 0x8b, 0x0152: 0x8c, 0x017d: 0x8e, 0x2018: 0x91, 0x2019: 0x92, 0x201c: 0x93,
  0x201d: 0x94, 0x2022: 0x95, 0x2013: 0x96, 0x2014: 0x97, 0x02dc: 0x98, 0x2122: 0x99, 0x0161: 0x9a, 0x203a: 0x9b,
  0x0153: 0x9c, 0x017e: 0x9e, 0x0178: 0x9f,
};

/** The byte a character stands for under Windows-1252 / Latin-1, or -1. */
function byteOf(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c >= 0x80 && c <= 0xff) return c;
  return CP1252[c] ?? -1;
}

/** Characters that stand for a UTF-8 continuation byte (0x80–0xBF). */
const CONT = `[\u0080-\u00BF${Object.keys(CP1252).map((k) => String.fromCharCode(Number(k))).join('')}]`;
/** A lead character (a UTF-8 lead byte 0xC2–0xF4) followed by as many continuation characters as it announces. */
const SEQ = new RegExp(`[\u00C2-\u00DF]${CONT}|[\u00E0-\u00EF]${CONT}{2}|[\u00F0-\u00F4]${CONT}{3}`, 'g');

/**
 * Continuation characters that correct Latin-1 text may put right after a letter — punctuation
 * ("IRMÃ”", "Gruß…", "«ÉTÉ»") and the marks that follow a word or name ("NESTLÉ®", "CAFÉ™", "Ä°"
 * is Turkish mojibake but "5°" is not): a sequence made only of these is ambiguous and needs context.
 */
const WEAK = new Set([...'\u2018\u2019\u201A\u201E\u201C\u201D\u2026\u2013\u2014\u2022\u2039\u203A\u00AB\u00BB\u00A1\u00BF\u00B7\u00A0\u00AE\u00A9\u2122\u00B0\u00B9\u00B2\u00B3']);

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BAD_CATEGORY = /[\p{Cc}\p{Cn}\p{Co}\p{Cs}]/u;
const LETTER = /\p{L}/u;
const LOWER = /\p{Ll}/u;
const UPPER = /\p{Lu}/u;

/** An assigned, visible character: not a control, private-use, unassigned or noncharacter code point. */
function assigned(cp: number): boolean {
  if (cp < 0xa0 || (cp & 0xfffe) === 0xfffe || (cp >= 0xfdd0 && cp <= 0xfdef)) return false;
  return !BAD_CATEGORY.test(String.fromCodePoint(cp));
}

/** Scripts a sequence of punctuation-only continuations may decode to: Latin-1, Latin Extended-A, Romanian ș ț, Greek, Cyrillic, general punctuation. */
function common(cp: number): boolean {
  return (cp >= 0xa0 && cp <= 0x17f) || (cp >= 0x218 && cp <= 0x21b) || (cp >= 0x370 && cp <= 0x52f) || (cp >= 0x2000 && cp <= 0x206f);
}

interface Candidate {
  at: number;
  seq: string;
  decoded: string;
  /** all continuation characters are ordinary punctuation */
  weak: boolean;
}

/** A sequence's UTF-8 reading, when its bytes are valid UTF-8 for one assigned character (or a C1 control, with `allowC1`). */
function candidate(seq: string, at: number, allowC1: boolean): Candidate | undefined {
  // "ï»¿": a byte-order mark read as Windows-1252, removed
  if (seq === '\u00EF\u00BB\u00BF') return { at, seq, decoded: '', weak: false };
  const chars = [...seq];
  let decoded: string;
  try {
    decoded = UTF8.decode(Uint8Array.from(chars.map(byteOf)));
  } catch {
    return undefined;
  }
  const cp = decoded.codePointAt(0)!;
  if (!assigned(cp) && !(allowC1 && cp >= 0x80 && cp < 0xa0)) return undefined;
  return { at, seq, decoded, weak: chars.slice(1).every((c) => WEAK.has(c)) };
}

/**
 * One pass of mojibake repair; `fixes` counts the sequences replaced. A candidate (a sequence that
 * is valid UTF-8 for one assigned character) is replaced when
 * - some continuation character is one correct text never puts right after an accented capital
 *   (€ ¼ ± ¶ ƒ Š œ, a C1 control: "â€™", "Ã¼"), or it directly follows a sequence just repaired
 *   (the inner bytes of a double encoding); or
 * - otherwise (all continuation characters are punctuation or marks that may follow a word:
 *   ’ ” … – « » ¿ nbsp © ® ™ ° ²) the result is a common character (Latin-1, Latin Extended-A,
 *   Romanian ș ț, Greek, Cyrillic, general punctuation) and the text is evidently mojibake — it
 *   holds a candidate of the first kind — or the context says "inside a word": a letter follows
 *   ("NoÃ«l"), a lowercase letter precedes an uppercase lead ("cafÃ©": correct text has no "Ã"
 *   after a lowercase letter), or the lead is "Â" and no capital precedes it ("Â»" → "»").
 * So correct text keeps "SÃO PAULO", "“LÃ”", "IRMÃ…", "Gruß…", "«ÉTÉ»", "NESTLÉ®". `allowC1`: a
 * sequence may decode to a C1 control (a byte of a deeper layer).
 */
export function fixMojibakeOnce(s: string, allowC1 = false): { text: string; fixes: number } {
  const cands: Candidate[] = [];
  for (const m of s.matchAll(SEQ)) {
    const c = candidate(m[0], m.index, allowC1);
    if (c) cands.push(c);
  }
  if (!cands.length) return { text: s, fixes: 0 };
  const evident = cands.some((c) => !c.weak);
  let fixes = 0;
  let out = '';
  let last = 0;
  let fixedEnd = -1;
  for (const c of cands) {
    out += s.slice(last, c.at);
    last = c.at + c.seq.length;
    let ok = !c.weak || fixedEnd === c.at;
    if (!ok && common(c.decoded.codePointAt(0)!)) {
      const prev = out ? [...out.slice(-2)].pop()! : undefined;
      const after = s.codePointAt(last);
      const next = after === undefined ? undefined : String.fromCodePoint(after);
      const lead = c.seq[0];
      ok =
        evident ||
        (next !== undefined && LETTER.test(next)) ||
        (UPPER.test(lead) && prev !== undefined && LOWER.test(prev)) ||
        (lead === '\u00C2' && !(prev !== undefined && UPPER.test(prev)));
    }
    if (ok) {
      out += c.decoded;
      fixes++;
      fixedEnd = last;
    } else out += c.seq;
  }
  return { text: fixes ? out + s.slice(last) : s, fixes };
}

// "â€" + a lost 0x9D: the right double quote after a decoder dropped the undefined byte
const LOST_RDQUO = /\u00E2\u20AC(?=$|[\s.,;:!?)\]}'"])/g;

function layers(s: string, allowC1: boolean): { text: string; fixes: number } {
  let text = s;
  let fixes = 0;
  for (let round = 0; round < 3; round++) {
    const r = fixMojibakeOnce(text, allowC1);
    if (!r.fixes) break;
    text = r.text;
    fixes += r.fixes;
  }
  return { text, fixes };
}

const C1 = /[\u0080-\u009F]/g;
const c1Count = (s: string) => s.match(C1)?.length ?? 0;

/**
 * Repair mojibake, up to three layers deep (text mis-decoded twice: "cafÃƒÂ©" → "café"). A layer
 * read as Latin-1 leaves C1 controls that are bytes of the layer below ("Â\u0080"): the repair is
 * also tried letting sequences decode to C1 controls, and that result is taken only when it leaves
 * no more C1 controls than the text had.
 */
export function fixMojibake(s: string): { text: string; fixes: number } {
  if (!/[\u00C2-\u00F4]/.test(s)) return { text: s, fixes: 0 };
  let best = layers(s, false);
  if (/[\u0080-\u009F\u00C2]/.test(s)) {
    const loose = layers(s, true);
    if (loose.text !== best.text && c1Count(loose.text) <= c1Count(s)) best = loose;
  }
  let fixes = best.fixes;
  const text = best.text.replace(LOST_RDQUO, () => {
    fixes++;
    return '\u201D';
  });
  return { text, fixes };
}

const TAG = /<\/?[A-Za-z][^<>]*>/;
const ENTITY = /&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);/g;

/**
 * Decode HTML character references left in plain text (`&amp;` `&eacute;` `&#39;` `&#x27;`), once
 * and strictly: only with the closing `;`, so "R&D" and "AT&T" stay. Text that still holds tags is
 * left alone — that is HTML, for `strip_html`.
 */
export function decodeEntities(s: string): { text: string; fixes: number } {
  if (!s.includes('&') || TAG.test(s)) return { text: s, fixes: 0 };
  let fixes = 0;
  const text = s.replace(ENTITY, (m) => {
    const d = decodeHTMLStrict(m);
    if (d !== m) fixes++;
    return d;
  });
  return { text, fixes };
}

export interface FixUnicodeOptions {
  mojibake: boolean;
  entities: boolean;
  quotes: boolean;
  dashes: boolean;
}

export interface FixCounts {
  mojibake: number;
  entities: number;
  quotes: number;
  dashes: number;
}

function changedChars(a: string, b: string): number {
  // both replacements map one character to one character: count positions that differ
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Entities, then mojibake, then (optionally) quotes and dashes; with what each step changed. */
export function fixUnicode(s: string, o: FixUnicodeOptions): { text: string; counts: FixCounts } {
  const counts: FixCounts = { mojibake: 0, entities: 0, quotes: 0, dashes: 0 };
  let t = s;
  if (o.entities) {
    const r = decodeEntities(t);
    t = r.text;
    counts.entities = r.fixes;
  }
  if (o.mojibake) {
    const r = fixMojibake(t);
    t = r.text;
    counts.mojibake = r.fixes;
  }
  if (o.quotes) {
    const q = straightenQuotes(t);
    counts.quotes = changedChars(t, q);
    t = q;
  }
  if (o.dashes) {
    const d = plainDashes(t);
    counts.dashes = changedChars(t, d);
    t = d;
  }
  return { text: t, counts };
}

const fmt = (n: number) => n.toLocaleString('en-US');

export const fix_unicode = defineOp({
  name: 'fix_unicode',
  version: 1,
  kind: 'global',
  summary: 'repair mojibake ("cafÃ©" → "café", "â€™" → "’"), decode leftover HTML entities, optionally straighten quotes and dashes',
  doc: [
    'Mojibake is UTF-8 text that was read as Windows-1252 or Latin-1. Every run of characters that spells a UTF-8 byte sequence (a lead such as Ã Â â ð and its continuation characters) is turned back into bytes and decoded as UTF-8, up to three times for text that was mis-decoded twice ("cafÃƒÂ©" → "café").',
    'A sequence is repaired only when it decodes to one assigned character and either holds a character that correct text never puts after an accented capital (© ¼ ™ € Š œ, a C1 control), or — when all its continuation characters are ordinary punctuation (’ ” … – « » ¿ nbsp) — the result is a common letter and the context says it sits inside a word (a letter follows, or a lowercase letter precedes). So "NoÃ«l" → "Noël" while correct text keeps its "Ã": "SÃO PAULO", "“LÃ”", "Gruß…", "«ÉTÉ»".',
    'HTML character references left in plain text are decoded once (`&amp;` → &, `&#39;` → \'), only with their closing `;` ("AT&T" stays) and not in text that still holds tags. `quotes` straightens curly quotes, `dashes` turns en/em dashes and the minus sign into "-" (the `punctuation` op does more).',
    'Notes count, per column, the rows changed, mojibake sequences repaired, entities decoded and quotes/dashes replaced.',
  ].join(' '),
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, doc: 'columns to repair (default: every text column)' },
    { name: 'mojibake', type: { kind: 'bool' }, default: true, doc: 'repair UTF-8 read as Windows-1252/Latin-1' },
    { name: 'entities', type: { kind: 'bool' }, default: true, doc: 'decode HTML entities left in plain text (&amp; &#39; &eacute;)' },
    { name: 'quotes', type: { kind: 'bool' }, default: false, doc: 'curly quotes → straight quotes' },
    { name: 'dashes', type: { kind: 'bool' }, default: false, doc: 'en/em dashes and the minus sign → "-"' },
  ],
  describe: (p) => `fix_unicode${p.columns ? ` ${(p.columns as string[]).join(', ')}` : ''}`,
  schema(ctx) {
    if (ctx.params.columns) requireColumns(ctx, 'columns', ctx.params.columns as string[]);
    return ctx.input!;
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const o = params as unknown as FixUnicodeOptions;
      const cols = params.columns as string[] | undefined;
      const per = new Map<string, FixCounts & { rows: number }>();
      let changedRows = 0;
      let n = 0;
      for await (const row of input.rows()) {
        let next = row;
        for (const c of textColumns(row, cols)) {
          const { text, counts } = fixUnicode(row[c] as string, o);
          if (text === row[c]) continue;
          if (next === row) next = { ...row };
          next[c] = text;
          let p = per.get(c);
          if (!p) per.set(c, (p = { rows: 0, mojibake: 0, entities: 0, quotes: 0, dashes: 0 }));
          p.rows++;
          p.mojibake += counts.mojibake;
          p.entities += counts.entities;
          p.quotes += counts.quotes;
          p.dashes += counts.dashes;
        }
        if (next !== row) changedRows++;
        await out.emit(next);
        if (++n % 10_000 === 0) ctx.progress(n);
      }
      if (!changedRows) {
        out.note(`nothing to repair in ${fmt(n)} row${n === 1 ? '' : 's'}`);
        return;
      }
      out.note(`${fmt(changedRows)} of ${fmt(n)} rows repaired`);
      const head = ['column', 'rows', 'mojibake', 'entities', ...(o.quotes ? ['quotes'] : []), ...(o.dashes ? ['dashes'] : [])];
      const rows = [...per].map(([c, p]) => [c, fmt(p.rows), fmt(p.mojibake), fmt(p.entities), ...(o.quotes ? [fmt(p.quotes)] : []), ...(o.dashes ? [fmt(p.dashes)] : [])]);
      for (const l of table([head, ...rows])) out.note(l);
    },
  },
});
