import { defineOp, type Column, type RegexValue, type Row } from '../types.js';
import { requireColumns } from '../common.js';
import { fmt, table } from '../curate/thresholds.js';
import { recipeRegex } from '../../parser/regex.js';

/**
 * Spam patterns scored SpamAssassin-style: each rule that fires adds its weight once, and a row
 * whose total reaches the threshold (5 by default, SpamAssassin's `required_score`) is spam.
 */

export interface SpamRule {
  name: string;
  weight: number;
  doc: string;
  /** the evidence shown in the detail (`"click here"`, `4 URLs`), or undefined when the rule does not fire */
  test(text: string): string | undefined;
}

/** First match of a regex, lowercased and trimmed, as evidence. */
function phrase(re: RegExp): (text: string) => string | undefined {
  return (text) => {
    const m = re.exec(text);
    return m ? `"${m[0].toLowerCase().replace(/\s+/g, ' ').trim()}"` : undefined;
  };
}

const MONEY =
  /\b(?:(?:make|earn|making|earning)\s+(?:(?:big|easy|real|extra|fast)\s+)?(?:money|cash|\$\s?\d[\d,]*|\d[\d,]*\s*(?:dollars|usd))|extra\s+(?:income|cash)|(?:free|easy|fast|quick)\s+(?:money|cash)|cash\s+(?:bonus|prize)|double\s+your\s+(?:money|income)|(?:millions?|billions?)\s+(?:of\s+)?(?:dollars|usd)|investment\s+opportunity|financial\s+freedom|no\s+credit\s+check|work\s+from\s+home|get\s+paid|(?:lowest|best)\s+prices?|100%\s+(?:free|guaranteed)|risk[- ]free|be\s+your\s+own\s+boss)\b|\$\$+/i;
const PRIZE =
  /\b(?:you(?:'ve|\s+have)?\s+(?:won|been\s+selected)|you\s+are\s+(?:a|the|our)\s+(?:lucky\s+)?winner|claim\s+(?:your\s+)?(?:prize|reward|gift|winnings)|congratulations[\s,!]+you|free\s+(?:gift|trial|iphone|vacation|cruise)|gift\s+card|lottery|jackpot|sweepstakes)\b/i;
const URGENCY =
  /\b(?:act\s+now|limited[- ]time|urgent(?:ly)?|expires?\s+(?:today|tonight|soon)|don'?t\s+(?:miss|delay|wait)|hurry(?:\s+up)?|last\s+chance|(?:order|call|apply|buy)\s+now|today\s+only|offer\s+ends|while\s+(?:supplies|stocks?)\s+last|only\s+\d+\s+(?:left|remaining)|immediately|before\s+it'?s\s+too\s+late)\b/i;
const CALL_TO_ACTION =
  /\b(?:click\s+(?:here|below|the\s+link|this\s+link|now)|unsubscribe|opt[- ]?out|remove\s+me\s+from|to\s+be\s+removed|visit\s+our\s+(?:web)?site|sign\s+up\s+(?:now|free|today))\b/i;

/** Words spammers sell or disguise; plain ones fire `spam_words`, disguised ones (`v1agra`, `c-i-a-l-i-s`) fire `obfuscated`. */
export const SPAM_WORDS = ['viagra', 'cialis', 'levitra', 'xanax', 'valium', 'vicodin', 'phentermine', 'oxycodone', 'pharmacy', 'casino', 'lottery', 'porn', 'replica', 'rolex', 'mortgage', 'refinance', 'bitcoin', 'crypto', 'payday', 'loan', 'loans', 'cash', 'money', 'free', 'winner', 'prize', 'credit', 'sex', 'pills', 'enlargement', 'weightloss'];
/** the plain words that alone suggest spam (the rest are ordinary words, spam only when disguised) */
const PLAIN_SPAM_WORDS = new Set(['viagra', 'cialis', 'levitra', 'xanax', 'valium', 'vicodin', 'phentermine', 'oxycodone', 'casino', 'replica', 'payday', 'enlargement', 'weightloss']);
const SPAM_WORD_SET = new Set(SPAM_WORDS);

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '!': 'i', '|': 'l', '€': 'e' };

/** Undo leetspeak and drop separators: `V1@GR@` → viagra, `c.i.a.l.i.s` → cialis. */
export function deobfuscate(token: string): string {
  let out = '';
  for (const ch of token.toLowerCase()) {
    const c = LEET[ch] ?? ch;
    if (/\p{L}/u.test(c)) out += c;
  }
  return out;
}

/** A disguised spam word: a whitespace-separated chunk, or a run of 4+ single characters (`v i a g r a`). */
export function findObfuscated(text: string): string | undefined {
  const chunks = text.split(/\s+/).filter(Boolean);
  const strip = (c: string) => c.replace(/^[^\p{L}\p{N}@$|€]+|[^\p{L}\p{N}@$!|€]+$/gu, '');
  for (const raw of chunks) {
    const c = strip(raw);
    if (c.length < 3) continue;
    // "Free!" is ordinary punctuation, not a disguise: the chunk must have a digit/symbol/separator inside
    const core = c.replace(/!+$/, '');
    if (/^\p{L}+$/u.test(core)) continue;
    const word = deobfuscate(core);
    if (SPAM_WORD_SET.has(word)) return `"${c}"`;
  }
  // spaced-out letters: "v i a g r a", "F R E E"
  for (let i = 0; i < chunks.length; i++) {
    let j = i;
    while (j < chunks.length && strip(chunks[j]).length === 1) j++;
    if (j - i >= 4) {
      const joined = chunks.slice(i, j).map(strip).join('');
      // the letters may be a spam word with other letters around them
      const word = deobfuscate(joined);
      for (const w of SPAM_WORDS) {
        if (w.length >= 4 && word.includes(w)) return `"${chunks.slice(i, j).join(' ')}"`;
      }
      i = j;
    }
  }
  return undefined;
}

const SPAM_PHRASES = /\b(?:no\s+prescription(?:\s+needed)?|online\s+(?:pharmacy|casino)|weight\s+loss\s+pills|(?:penis|male)\s+enlargement|replica\s+watches|casino\s+bonus|hot\s+singles|adult\s+dating)\b/i;

function plainSpamWord(text: string): string | undefined {
  for (const w of text.toLowerCase().match(/\p{L}+/gu) ?? []) if (PLAIN_SPAM_WORDS.has(w)) return `"${w}"`;
  const m = SPAM_PHRASES.exec(text);
  return m ? `"${m[0].toLowerCase().replace(/\s+/g, ' ')}"` : undefined;
}

/** Share of capitals among cased letters, when the text has at least 20 of them. */
export function capsShare(text: string): number | undefined {
  let upper = 0;
  let cased = 0;
  for (const ch of text) {
    const lo = ch.toLowerCase();
    const up = ch.toUpperCase();
    if (lo === up) continue;
    cased++;
    if (ch === up) upper++;
  }
  return cased >= 20 ? upper / cased : undefined;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"')\]]+|\bwww\.[^\s<>"')\]]+/gi;

export function countUrls(text: string): number {
  return text.match(URL_RE)?.length ?? 0;
}

/** The default rules, in the order they are reported. */
export const SPAM_RULES: SpamRule[] = [
  { name: 'money', weight: 2.5, doc: 'money bait: "make money", "earn $500", "extra income", "work from home", "risk-free", "$$$"', test: phrase(MONEY) },
  { name: 'prize', weight: 2.5, doc: 'prizes: "you have won", "claim your prize", "free gift", "lottery", "gift card"', test: phrase(PRIZE) },
  { name: 'urgency', weight: 1.5, doc: 'urgency: "act now", "limited time", "urgent", "last chance", "order now", "only 3 left"', test: phrase(URGENCY) },
  { name: 'click_here', weight: 2, doc: 'calls to action: "click here", "unsubscribe", "opt out", "to be removed", "visit our website"', test: phrase(CALL_TO_ACTION) },
  { name: 'spam_words', weight: 2, doc: 'words and phrases rarely seen outside spam: viagra, cialis, xanax, casino, replica, payday, "no prescription", "online pharmacy", "hot singles"…', test: plainSpamWord },
  { name: 'obfuscated', weight: 3, doc: 'a spam word disguised with digits, symbols or separators: v1agra, c-i-a-l-i-s, fr33, ca$h, "v i a g r a"', test: findObfuscated },
  {
    name: 'caps',
    weight: 1.5,
    doc: 'shouting: at least 20 cased letters, 50% or more of them capitals',
    test: (t) => {
      const s = capsShare(t);
      return s !== undefined && s >= 0.5 ? `${Math.round(s * 100)}% capitals` : undefined;
    },
  },
  {
    name: 'exclamation',
    weight: 1,
    doc: 'three or more exclamation marks',
    test: (t) => {
      const n = t.match(/[!！]/g)?.length ?? 0;
      return n >= 3 ? `${n} "!"` : undefined;
    },
  },
  {
    name: 'urls',
    weight: 1.5,
    doc: 'three or more links (http://, https://, www.)',
    test: (t) => {
      const n = countUrls(t);
      return n >= 3 ? `${n} URLs` : undefined;
    },
  },
];

export const SPAM_RULE_NAMES = SPAM_RULES.map((r) => r.name);

export interface SpamHit {
  rule: string;
  weight: number;
  evidence: string;
}

export interface SpamScore {
  score: number;
  hits: SpamHit[];
}

/** Compile the rules in use: the defaults not disabled, then the user's patterns (`pattern 1`, …). */
export function spamRules(opts: { disable?: string[]; patterns?: RegexValue[]; patternWeight?: number } = {}): SpamRule[] {
  const off = new Set(opts.disable ?? []);
  const rules = SPAM_RULES.filter((r) => !off.has(r.name));
  for (const p of opts.patterns ?? []) {
    // the recipe's pattern runs on user data: linear time (src/parser/regex.ts)
    const re = recipeRegex(p.regex, p.flags.replace(/[gy]/g, ''));
    const evidence = (text: string) => {
      const m = re.matches(text)[0];
      return m ? `"${text.slice(m.start, m.end).toLowerCase().replace(/\s+/g, ' ').trim()}"` : undefined;
    };
    rules.push({ name: `/${p.regex}/${p.flags}`, weight: opts.patternWeight ?? 5, doc: 'user pattern', test: evidence });
  }
  return rules;
}

/** Sum of the weights of the rules that fire (each once), rounded to 2 decimals. */
export function spamScore(text: string, rules: SpamRule[] = SPAM_RULES): SpamScore {
  const hits: SpamHit[] = [];
  let score = 0;
  for (const r of rules) {
    const evidence = r.test(text);
    if (evidence === undefined) continue;
    hits.push({ rule: r.name, weight: r.weight, evidence });
    score += r.weight;
  }
  return { score: Math.round(score * 100) / 100, hits };
}

/** `money "make money" +2.5, caps 80% capitals +1.5` */
export function showHits(hits: SpamHit[]): string {
  return hits.map((h) => `${h.rule} ${h.evidence} +${fmt(h.weight)}`).join(', ');
}

export const spam = defineOp({
  name: 'spam',
  version: 1,
  kind: 'global',
  summary: 'score rows against spam patterns (money, prizes, urgency, "click here", v1agra, shouting, links); drop or flag those over a threshold',
  doc:
    'Each rule that fires adds its weight once (SpamAssassin-style; a rule matching twice counts once) and a row whose score reaches `threshold` is spam: dropped with reason "spam" and the rules, evidence and weights in the detail, or with `action: flag` kept with `spam_score` (a number) and `spam_rules` (the rule names) added. ' +
    'Default rules: ' +
    SPAM_RULES.map((r) => `**${r.name}** (+${r.weight}) ${r.doc}`).join('; ') +
    '. The threshold 5 is SpamAssassin\'s default `required_score`: one rule alone never reaches it, so an ordinary message that says "urgent" or "$20 refund" stays; "You have WON!!! Click here" (prize + click_here + exclamation) does not. ' +
    '`patterns: [/refinanc/i, /crypto ?giveaway/i]` adds rules of weight `pattern_weight` (5: one match is enough at the default threshold); `disable: [caps, urls]` turns default rules off (e.g. for data where capitals or links are normal). ' +
    'The patterns are English. Rows without text in the column score 0. Notes: rows hit per rule and rows dropped.',
  params: [
    { name: 'column', type: { kind: 'column' }, positional: true, default: 'text', doc: 'the text column scored' },
    { name: 'threshold', type: { kind: 'number', min: 0 }, default: 5, doc: 'a row with a score at or above this is spam' },
    { name: 'patterns', type: { kind: 'list', of: { kind: 'regex' } }, doc: 'extra spam patterns (regexes), each adding pattern_weight' },
    { name: 'pattern_weight', type: { kind: 'number', min: 0 }, default: 5, doc: 'score added by a matching user pattern' },
    { name: 'disable', type: { kind: 'list', of: { kind: 'enum', values: SPAM_RULE_NAMES } }, doc: `default rules to turn off: ${SPAM_RULE_NAMES.join(', ')}` },
    { name: 'action', type: { kind: 'enum', values: ['drop', 'flag'] }, default: 'drop', doc: 'drop spam, or keep every row and add spam_score and spam_rules' },
  ],
  describe: (p) => `spam ${p.column as string} (score ≥ ${fmt(p.threshold as number)}${p.action === 'flag' ? ', flag' : ''})`,
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'column', [(p.column as string | undefined) ?? 'text']);
    for (const [i, r] of ((p.patterns as RegexValue[] | undefined) ?? []).entries()) {
      try {
        new RegExp(r.regex, r.flags);
      } catch (e) {
        ctx.error('patterns', `pattern ${i + 1} is not a valid regex: ${(e as Error).message}`);
      }
    }
    if (!ctx.input) return { columns: [] };
    if (p.action !== 'flag') return ctx.input;
    const added: Column[] = [
      { name: 'spam_score', type: 'number' },
      { name: 'spam_rules', type: 'list' },
    ];
    return { ...ctx.input, columns: [...ctx.input.columns.filter((c) => !added.some((a) => a.name === c.name)), ...added] };
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const col = params.column as string;
      const threshold = params.threshold as number;
      const flag = params.action === 'flag';
      const rules = spamRules({ disable: params.disable as string[] | undefined, patterns: params.patterns as RegexValue[] | undefined, patternWeight: params.pattern_weight as number });
      const perRule = new Map(rules.map((r) => [r.name, 0]));
      let n = 0;
      let spamRows = 0;
      for await (const row of input.rows()) {
        const v = row[col];
        const s = typeof v === 'string' ? spamScore(v, rules) : { score: 0, hits: [] };
        for (const h of s.hits) perRule.set(h.rule, perRule.get(h.rule)! + 1);
        const isSpam = s.hits.length > 0 && s.score >= threshold;
        if (isSpam) spamRows++;
        if (flag) await out.emit({ ...row, spam_score: s.score, spam_rules: s.hits.map((h) => h.rule) } as Row);
        else if (isSpam) await out.drop(row, 'spam', `spam score ${fmt(s.score)} ≥ ${fmt(threshold)}: ${showHits(s.hits)}`);
        else await out.emit(row);
        if (++n % 1000 === 0) ctx.progress(n);
      }
      const rows = [['rule', 'weight', 'rows hit'], ...rules.map((r) => [r.name, fmt(r.weight), (perRule.get(r.name) ?? 0).toLocaleString('en-US')])];
      for (const line of table(rows)) out.note(line);
      out.note(`${spamRows.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} rows ${flag ? 'flagged as' : 'dropped as'} spam (score ≥ ${fmt(threshold)})`);
      out.metric?.('rows', n);
      out.metric?.('spam_rows', spamRows);
      out.metric?.('threshold', threshold);
      out.metric?.('rule_hits', Object.fromEntries(rules.map((r) => [r.name, { weight: r.weight, rows: perRule.get(r.name) ?? 0 }])));
    },
  },
});
