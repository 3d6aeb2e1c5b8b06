import { defineOp, type RegexValue } from '../types.js';
import { requireColumns } from '../common.js';
import { table } from '../bias/metrics.js';
import { textColumns } from './punctuation.js';
import { recipeRegex } from '../../parser/regex.js';

export const BUILTINS = ['signature', 'reply_header', 'sent_from', 'unsubscribe', 'disclaimer'] as const;
export type Builtin = (typeof BUILTINS)[number];

/** `-- ` alone on a line (RFC 3676; many clients drop the trailing space). */
const SIG_DELIMITER = /^-- ?\r?$/;

/** Reply headers: "On Mon, 3 Jun 2024, Ann <a@b.c> wrote:", French, German, Spanish forms, Outlook separators. */
const REPLY_HEADER = [
  /^\s*On\s.{1,200}\bwrote:\s*$/,
  /^\s*Le\s.{1,200}\ba écrit\s?:\s*$/,
  /^\s*Am\s.{1,200}\bschrieb\b.{0,100}:\s*$/,
  /^\s*El\s.{1,200}\bescribió:\s*$/,
  /^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}\s*$/i,
];
/** The first line of a reply header wrapped over two lines ("On Mon, …, Ann <" / "a@b.c> wrote:"). */
const REPLY_FIRST = /^\s*(?:On|Le|Am|El)\s.{1,200}$/;
const REPLY_SECOND = /^.{0,200}\b(?:wrote|a écrit|schrieb|escribió)\s?:\s*$/;
/** An Outlook separator: with `quoted`, everything after it is the quoted original. */
const ORIGINAL_MESSAGE = /^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}\s*$/i;

const QUOTED = /^\s*>/;

/** Mobile and client signatures, as a whole (short) line. */
const SENT_FROM = /^\s*(?:Sent from my [\w .'-]{2,40}|Sent from (?:Mail|Outlook) for [\w .-]{2,30}|Sent from (?:Yahoo Mail|Outlook|Gmail|Proton ?Mail)\b[\w .-]{0,40}|Get Outlook for (?:iOS|Android)|Envoyé de mon [\w .'-]{2,40}|Von meinem [\w .'-]{2,40} gesendet|Enviado desde mi [\w .'-]{2,40})\.?\s*$/i;

/** Mailing-list and newsletter footers (second person: a line that says "I", "me" or "my", or asks a question, is someone writing, not a footer). */
const UNSUBSCRIBE = [
  /\b(?:click|tap) here to unsubscribe\b/i,
  /\bto unsubscribe\b.{0,80}\b(?:click|visit|reply|e-?mail|send|go to|here|link|follow)\b/i,
  /\bunsubscribe (?:here|now|link|instantly|at any time|from (?:this|our|these|all|future) (?:list|mailing list|e-?mails|newsletters?|messages|communications))\b/i,
  /^\s*unsubscribe\s*(?:[:|·•-].*)?$/i,
  /\byou(?:'re| are)? receiving this (?:e-?mail|message|newsletter)\b/i,
  /\byou received this (?:e-?mail|message|newsletter) because\b/i,
  /\bto stop receiving (?:these |such |our |future )?(?:e-?mails|messages|notifications|newsletters)\b/i,
  /\bmanage (?:your )?(?:e-?mail |subscription |notification |communication )?(?:preferences|settings|subscriptions?)\b/i,
  /\bopt[- ]out of (?:these|future|all|our) (?:e-?mails|messages|communications)\b/i,
];
const FIRST_PERSON = /\b(?:I|I'm|I've|me|my)\b/;

/** A legal disclaimer starts here; it runs to the end of its paragraph. */
const DISCLAIMER = [
  /\b(?:confidentiality notice|legal disclaimer|disclaimer\s*:)/i,
  /\bif you (?:are not the intended recipient|have received this (?:e-?mail|message|communication|transmission) in error)\b/i,
  /\bthis (?:e-?mail|message|communication|transmission)(?: and any (?:files|attachments?)(?: transmitted with it)?)? (?:is|are|may be|contains?|may contain) (?:strictly )?(?:confidential|privileged|intended (?:solely|only))/i,
  /\bintended (?:solely|only) for the (?:use of the )?(?:individual|person|entity|addressee|named recipient|recipient)/i,
];

export interface BoilerplateOptions {
  builtin: Builtin[];
  quoted: boolean;
  patterns: { test(line: string): boolean }[];
  /** names of the user patterns, for counts (their /source/flags) */
  patternNames: string[];
}

/** Lines removed from one text, by rule. */
export type RemovedCounts = Map<string, number>;

/**
 * Remove boilerplate lines. Block rules first: a signature (`-- ` to the next reply header or quoted
 * line, or the end), a disclaimer (its trigger line to the end of the paragraph), with `quoted` an
 * Outlook "Original Message" separator and all after it; then line rules (reply headers, "Sent from
 * my …", unsubscribe footers, quoted lines with `quoted`, the user's patterns). Each line counts
 * under the first rule that removed it. When something was removed, blank-line runs are collapsed
 * and the ends trimmed; otherwise the text is returned unchanged.
 */
export function removeBoilerplate(text: string, o: BoilerplateOptions): { text: string; removed: RemovedCounts } {
  const lines = text.split('\n');
  const by: (string | undefined)[] = new Array(lines.length);
  const on = new Set(o.builtin);
  const blank = (i: number) => lines[i].trim() === '';
  const isReply = (i: number) => REPLY_HEADER.some((r) => r.test(lines[i])) || (i + 1 < lines.length && REPLY_FIRST.test(lines[i]) && REPLY_SECOND.test(lines[i + 1]) && !REPLY_SECOND.test(lines[i]));
  const mark = (i: number, rule: string) => {
    if (by[i] === undefined) by[i] = rule;
  };

  for (let i = 0; i < lines.length; i++) {
    if (on.has('signature') && SIG_DELIMITER.test(lines[i])) {
      let j = i;
      while (j < lines.length && (j === i || (!isReply(j) && !QUOTED.test(lines[j])))) mark(j++, 'signature');
      i = j - 1;
      continue;
    }
    if (on.has('disclaimer') && DISCLAIMER.some((r) => r.test(lines[i]))) {
      let j = i;
      while (j < lines.length && !blank(j)) mark(j++, 'disclaimer');
      i = j - 1;
      continue;
    }
    if (o.quoted && ORIGINAL_MESSAGE.test(lines[i])) {
      for (let j = i; j < lines.length; j++) mark(j, 'quoted');
      break;
    }
  }
  for (let i = 0; i < lines.length; i++) {
    if (by[i] !== undefined) continue;
    const line = lines[i];
    if (on.has('reply_header') && isReply(i)) {
      mark(i, 'reply_header');
      if (!REPLY_HEADER.some((r) => r.test(line))) mark(i + 1, 'reply_header');
      continue;
    }
    if (on.has('sent_from') && SENT_FROM.test(line)) mark(i, 'sent_from');
    else if (on.has('unsubscribe') && !FIRST_PERSON.test(line) && !/\?\s*$/.test(line) && UNSUBSCRIBE.some((r) => r.test(line))) mark(i, 'unsubscribe');
    else if (o.quoted && QUOTED.test(line)) mark(i, 'quoted');
    else {
      const k = o.patterns.findIndex((r) => r.test(line));
      if (k >= 0) mark(i, o.patternNames[k]);
    }
  }

  const removed: RemovedCounts = new Map();
  for (const r of by) if (r !== undefined) removed.set(r, (removed.get(r) ?? 0) + 1);
  if (!removed.size) return { text, removed };
  const kept = lines.filter((_, i) => by[i] === undefined).join('\n');
  return { text: kept.replace(/[ \t\r]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim(), removed };
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function regexName(r: RegexValue): string {
  return `/${r.regex}/${r.flags}`;
}

export const boilerplate = defineOp({
  name: 'boilerplate',
  version: 1,
  kind: 'global',
  summary: 'remove boilerplate lines: signatures, reply headers, "Sent from my iPhone", unsubscribe footers, disclaimers, your patterns',
  doc: [
    'Works line by line on text columns. Built-in rules (`builtin:` picks some; `builtin: []` none):',
    '`signature` — a `-- ` line and the signature after it, up to a reply header or quoted line;',
    '`reply_header` — "On … wrote:" (also over two lines; French "Le … a écrit :", German "Am … schrieb …:", Spanish "El … escribió:") and "-----Original Message-----";',
    '`sent_from` — a line that is only "Sent from my iPhone", "Get Outlook for iOS", "Envoyé de mon …" and the like;',
    '`unsubscribe` — newsletter footers ("click here to unsubscribe", "you are receiving this email because", "manage your preferences"); a line in the first person or ending with "?" is kept, it is someone writing about unsubscribing;',
    '`disclaimer` — a legal disclaimer ("This email is confidential", "If you have received this email in error", "CONFIDENTIALITY NOTICE") from its line to the end of its paragraph.',
    '`quoted` also removes quoted lines ("> …") and, after an Outlook "Original Message" separator, the rest of the text.',
    '`patterns: [/^Ticket #\\d+$/, …]` removes every line a regex matches. Rows are never dropped: a text left empty stays (follow with `drop missing(text)`).',
    'Notes count the lines removed per rule and the rows changed.',
  ].join(' '),
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, doc: 'columns to clean (default: every text column)' },
    { name: 'builtin', type: { kind: 'list', of: { kind: 'enum', values: BUILTINS } }, default: [...BUILTINS], doc: `built-in rules to apply: ${BUILTINS.join(', ')}` },
    { name: 'quoted', type: { kind: 'bool' }, default: false, doc: 'also remove quoted reply lines ("> …") and what follows an "Original Message" separator' },
    { name: 'patterns', type: { kind: 'list', of: { kind: 'regex' } }, default: [], doc: 'more lines to remove: regexes matched against each line' },
  ],
  describe: (p) => `boilerplate${(p.patterns as unknown[]).length ? ` + ${(p.patterns as unknown[]).length} pattern${(p.patterns as unknown[]).length === 1 ? '' : 's'}` : ''}${p.quoted ? ' quoted' : ''}`,
  schema(ctx) {
    if (ctx.params.columns) requireColumns(ctx, 'columns', ctx.params.columns as string[]);
    for (const [i, r] of ((ctx.params.patterns as RegexValue[] | undefined) ?? []).entries()) {
      try {
        new RegExp(r.regex, r.flags);
      } catch (e) {
        ctx.error('patterns', `pattern ${i + 1} is not a valid regex: ${(e as Error).message}`);
      }
    }
    return ctx.input!;
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const pats = params.patterns as RegexValue[];
      const o: BoilerplateOptions = {
        builtin: params.builtin as Builtin[],
        quoted: params.quoted as boolean,
        // the recipe's patterns run on user data: linear time (src/parser/regex.ts)
        patterns: pats.map((r) => recipeRegex(r.regex, r.flags.replace(/[gy]/g, ''))),
        patternNames: pats.map(regexName),
      };
      const cols = params.columns as string[] | undefined;
      const lines = new Map<string, number>();
      const rowsBy = new Map<string, number>();
      let changed = 0;
      let emptied = 0;
      let n = 0;
      for await (const row of input.rows()) {
        let next = row;
        const hit = new Set<string>();
        for (const c of textColumns(row, cols)) {
          const r = removeBoilerplate(row[c] as string, o);
          if (!r.removed.size) continue;
          if (next === row) next = { ...row };
          next[c] = r.text;
          if (!r.text) emptied++;
          for (const [rule, k] of r.removed) {
            lines.set(rule, (lines.get(rule) ?? 0) + k);
            hit.add(rule);
          }
        }
        for (const rule of hit) rowsBy.set(rule, (rowsBy.get(rule) ?? 0) + 1);
        if (next !== row) changed++;
        await out.emit(next);
        if (++n % 10_000 === 0) ctx.progress(n);
      }
      if (!changed) {
        out.note(`no boilerplate in ${fmt(n)} row${n === 1 ? '' : 's'}`);
        return;
      }
      const total = [...lines.values()].reduce((a, b) => a + b, 0);
      out.note(`${fmt(total)} line${total === 1 ? '' : 's'} removed from ${fmt(changed)} of ${fmt(n)} rows`);
      const order = [...BUILTINS, 'quoted', ...o.patternNames];
      const rows = order.filter((r) => lines.has(r)).map((r) => [r, fmt(lines.get(r)!), fmt(rowsBy.get(r)!)]);
      for (const l of table([['rule', 'lines', 'rows'], ...rows])) out.note(l);
      if (emptied) out.note(`${fmt(emptied)} text${emptied === 1 ? '' : 's'} left empty (only boilerplate): follow with \`drop missing(…)\` to remove ${emptied === 1 ? 'it' : 'them'}`);
    },
  },
});
