/**
 * Gender swapping for counterfactual data augmentation (Lu et al. 2018; Zhao et al. 2018): he ↔
 * she, the ambiguous her/his by a next-word rule, gendered nouns and titles, first names
 * optionally. Not an op.
 */
import { GENDER_ONE_WAY, GENDER_ONE_WAY_MALE, GENDER_PAIRS, nameLists, pairedName } from './lexicons/index.js';
import { builtinTermWords, surname, termWords, tokenize, type Token } from './text.js';

/**
 * Words after which `her` is an object ("I gave her a book", "I met her yesterday") and `his` a
 * pronoun ("his and hers" → hers): determiners, prepositions, conjunctions, pronouns, auxiliaries,
 * adverbs of time and place, and a few verbs that follow an object ("let her go").
 */
export const OBJECT_CONTEXT = new Set(
  (
    // determiners
    'a an the this that these those some any every each no all both either neither another such what which whose my your our their its his her ' +
    // prepositions
    'about above across after against along amid among around as at before behind below beneath beside besides between beyond by despite down during except for from in inside into like near of off on onto out outside over past per since than through throughout till to toward towards under underneath unlike until up upon via with within without ' +
    // conjunctions
    'and or but nor so yet because if when while whereas although though unless whether once where how why ' +
    // pronouns
    'i me you he him she it we us they them myself yourself himself herself itself ourselves themselves someone somebody something anyone anybody anything everyone everybody everything nobody nothing who whom whoever ' +
    // auxiliaries
    "is isn't are aren't was wasn't were weren't be been being am will won't would wouldn't shall should shouldn't can can't could couldn't may might must do don't does doesn't did didn't has hasn't have haven't had hadn't " +
    // time, place, degree
    'yesterday today tonight tomorrow now then later soon again already anymore ever never always here there back away home too also instead twice much ' +
    // verbs after an object
    'go come know feel leave stay think see say get make tell give let become seem believe understand'
  ).split(' '),
);

/** Titles: swapped only when capitalized ("Ms" → "Mr"; "ms" may be milliseconds). `Miss` only before a capitalized word. */
const TITLES = new Set(['mr', 'ms', 'mrs', 'miss']);

function buildSwaps(): Map<string, string> {
  const m = new Map<string, string>();
  for (const [male, female] of GENDER_PAIRS) {
    for (const [a, b] of [[male, female], [female, male]]) if (!m.has(a)) m.set(a, b);
  }
  for (const [from, to] of [...GENDER_ONE_WAY, ...GENDER_ONE_WAY_MALE]) if (!m.has(from)) m.set(from, to);
  return m;
}

const SWAPS = buildSwaps();
const PRONOUNS = new Set(['he', 'she', 'himself', 'herself']);

export interface SwapOptions {
  /** swap first names too (paired across the two name lists; ambiguous names stay) */
  names: boolean;
  /** more pairs, swapped both ways; they win over the built-ins */
  pairs?: Record<string, string>;
}

export interface SwapResult {
  text: string;
  swaps: number;
}

/** Spans not to touch: URLs and e-mail addresses. */
const PROTECTED = /\b(?:https?:\/\/|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+/giu;

/** The case of `like` on `word`: ALL CAPS, Capitalized or as it is. */
export function caseLike(like: string, word: string, tok: Pick<Token, 'cap' | 'upper'>): string {
  if (tok.upper && like.length > 1) return word.toUpperCase();
  if (tok.cap) return word.charAt(0).toUpperCase() + word.slice(1);
  return word;
}

/** The word after token i, or undefined at the end of the text or before punctuation. */
function nextWord(text: string, tokens: Token[], i: number): Token | undefined {
  const next = tokens[i + 1];
  if (!next) return undefined;
  return /^\s+$/.test(text.slice(tokens[i].end, next.start)) ? next : undefined;
}

/**
 * `her` → `him` when it is an object, `his` when a possessive determiner: the next word decides.
 * End of text, punctuation, or a word of OBJECT_CONTEXT next → object (`him`); any other word
 * (a noun, an adjective, a number: "her book", "her old car", "her 3 kids") → `his`.
 */
export function herTo(next: Token | undefined): 'him' | 'his' {
  return !next || OBJECT_CONTEXT.has(next.norm) ? 'him' : 'his';
}

/** `his` → `her` before a word that is not OBJECT_CONTEXT ("his book"), else `hers` ("the book is his."). */
export function hisTo(next: Token | undefined): 'her' | 'hers' {
  return !next || OBJECT_CONTEXT.has(next.norm) ? 'hers' : 'her';
}

export class GenderSwapper {
  private readonly user = new Map<string, string>();
  private readonly names: boolean;

  constructor(opts: SwapOptions) {
    this.names = opts.names;
    for (const [a, b] of Object.entries(opts.pairs ?? {})) {
      const [x, y] = [termWords(a).join(' '), termWords(b).join(' ')];
      if (!x || !y || x.includes(' ') || y.includes(' ')) continue;
      this.user.set(x, b.trim());
      if (!this.user.has(y)) this.user.set(y, a.trim());
    }
  }

  /** The swapped word for token i, or undefined to keep it. `lastName`: index of the last first name or name-like noun seen ("Mary Grant", "Queen Mary": the second word is kept). */
  private replacement(text: string, tokens: Token[], i: number, lastName: { at: number }): string | undefined {
    const t = tokens[i];
    const w = t.norm;
    const user = this.user.get(w);
    if (user !== undefined) return user;
    if (w === 'her') return herTo(nextWord(text, tokens, i));
    if (w === 'his') return hisTo(nextWord(text, tokens, i));
    if (w === 'hers') return 'his';
    if (w === 'him') return 'her';
    const next = nextWord(text, tokens, i);
    if (TITLES.has(w)) {
      if (!t.cap) return undefined;
      const after = tokens[i + 1];
      if (w === 'miss' && !(after && after.cap && /^\.?\s+$/.test(text.slice(t.end, after.start)))) return undefined;
      return SWAPS.get(w);
    }
    const s = SWAPS.get(w);
    if (s !== undefined) {
      // "Queen Mary 2", "King Charles", "Mother Teresa": a capitalized noun before a capitalized word is part of a name
      if (!PRONOUNS.has(w) && t.cap && next?.cap) {
        lastName.at = i;
        return undefined;
      }
      return s;
    }
    if (this.names && t.cap && nameLists().byName.has(w) && !builtinTermWords().has(w) && !surname(text, tokens, i, lastName.at)) {
      lastName.at = i;
      return pairedName(w);
    }
    return undefined;
  }

  swap(text: string): SwapResult {
    const tokens = tokenize(text);
    const protectedSpans = [...text.matchAll(PROTECTED)].map((m) => [m.index, m.index + m[0].length]);
    let out = '';
    let pos = 0;
    let swaps = 0;
    const lastName = { at: -2 };
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (protectedSpans.some(([a, b]) => t.start < b && t.end > a)) continue;
      const r = this.replacement(text, tokens, i, lastName);
      if (r === undefined) continue;
      const original = text.slice(t.start, t.baseEnd);
      const cased = caseLike(original, r, t);
      if (cased === original) continue;
      out += text.slice(pos, t.start) + cased;
      pos = t.baseEnd;
      swaps++;
    }
    return { text: swaps ? out + text.slice(pos) : text, swaps };
  }
}
