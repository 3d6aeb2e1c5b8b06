/**
 * Words, lexicons and matching for the bias ops: a tokenizer that keeps offsets (so swaps can
 * rewrite text in place), user lexicons merged into the built-ins, and a matcher that finds the
 * demographic groups a text mentions. Not an op.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ageGroup, BUILTIN_LEXICON, DECADES, nameLists, type Lexicon, type NameGender } from './lexicons/index.js';

// ---------------------------------------------------------------------------------------------
// tokens

export interface Token {
  start: number;
  /** end of the whole token, clitic included ("mother's") */
  end: number;
  /** end of the word without its clitic ('s, 'll, 'd, 're, 've, 'm) */
  baseEnd: number;
  /** the word without clitic, NFC, lowercase, ’ → ' */
  norm: string;
  /** starts with a capital letter */
  cap: boolean;
  /** all capitals, two letters or more */
  upper: boolean;
}

/** Letters, marks and digits, with apostrophe-joined parts ("mother's", "ma'am", "o'brien"); hyphens split words. */
const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;
const CLITIC = /['’](?:s|ll|d|re|ve|m)$/i;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WORD)) {
    const raw = m[0];
    const c = CLITIC.exec(raw);
    const base = c && c.index > 0 ? raw.slice(0, c.index) : raw;
    const start = m.index;
    out.push({
      start,
      end: start + raw.length,
      baseEnd: start + base.length,
      norm: base.normalize('NFC').toLowerCase().replace(/’/g, "'"),
      cap: /^\p{Lu}/u.test(base),
      upper: base.length > 1 && /\p{Lu}/u.test(base) && base === base.toUpperCase(),
    });
  }
  return out;
}

/** Two tokens are parts of one phrase when only spaces or hyphens lie between them ("non-binary", "black  people"). */
export function joined(text: string, a: Token, b: Token): boolean {
  return /^[ \t\-‐–]+$/.test(text.slice(a.end, b.start));
}

/** Words of a lexicon term, tokenized like text. */
export function termWords(term: string): string[] {
  return tokenize(term).map((t) => t.norm);
}

// ---------------------------------------------------------------------------------------------
// lexicons from the recipe

export interface LexiconInput {
  /** the `lexicon` record */
  inline?: unknown;
  /** the parsed `lexicon_file` */
  file?: unknown;
  mode: 'add' | 'replace';
}

export interface ResolvedLexicon {
  lexicon: Lexicon;
  /** dimensions whose built-in groups were replaced as a whole (numeric ages then stop) */
  replacedDims: Set<string>;
  errors: string[];
}

/** Group name → the built-in dimension that has it. */
function builtinDimOf(group: string): string | undefined {
  return Object.keys(BUILTIN_LEXICON).find((d) => group in BUILTIN_LEXICON[d]);
}

const isTerms = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && x.trim() !== '');

/**
 * Merge user lexicons into the built-ins. A key with a list of terms is a group: a built-in
 * group's name adds to (or, `replace`, replaces) its terms; a new name makes a group of the
 * dimension `custom`. A key with a record is a dimension of groups: a built-in dimension's groups
 * are added to (or, `replace`, the dimension's built-in groups are all dropped).
 */
export function resolveLexicon(input: LexiconInput): ResolvedLexicon {
  const errors: string[] = [];
  const user: Lexicon = {};
  const replacedDims = new Set<string>();
  const replacedGroups = new Set<string>();
  const add = (dim: string, group: string, terms: string[]) => {
    const d = (user[dim] ??= {});
    d[group] = [...new Set([...(d[group] ?? []), ...terms])];
  };
  for (const [what, src] of [['lexicon', input.inline], ['lexicon_file', input.file]] as const) {
    if (src === undefined) continue;
    if (typeof src !== 'object' || src === null || Array.isArray(src)) {
      errors.push(`${what}: expected a record { group: ["term", …] } or { dimension: { group: ["term", …] } }`);
      continue;
    }
    for (const [key, value] of Object.entries(src as Record<string, unknown>)) {
      if (isTerms(value)) {
        if (key in BUILTIN_LEXICON) {
          errors.push(`${what}: \`${key}\` is a dimension; give its groups: { ${key}: { group: ["term", …] } }`);
          continue;
        }
        const dim = builtinDimOf(key) ?? 'custom';
        add(dim, key, value);
        replacedGroups.add(`${dim}\u0000${key}`);
      } else if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [group, terms] of Object.entries(value as Record<string, unknown>)) {
          if (!isTerms(terms)) errors.push(`${what}: \`${key}.${group}\` must be a list of terms (strings)`);
          else add(key, group, terms);
        }
        replacedDims.add(key);
      } else {
        errors.push(`${what}: \`${key}\` must be a list of terms (a group) or a record of groups (a dimension)`);
      }
    }
  }
  const lexicon: Lexicon = {};
  for (const [dim, groups] of Object.entries(BUILTIN_LEXICON)) {
    if (input.mode === 'replace' && replacedDims.has(dim)) continue;
    lexicon[dim] = Object.fromEntries(Object.entries(groups).map(([g, t]) => [g, input.mode === 'replace' && replacedGroups.has(`${dim}\u0000${g}`) ? [] : [...t]]));
  }
  for (const [dim, groups] of Object.entries(user)) {
    const d = (lexicon[dim] ??= {});
    for (const [g, terms] of Object.entries(groups)) d[g] = [...new Set([...(d[g] ?? []), ...terms])];
  }
  return { lexicon, replacedDims: input.mode === 'replace' ? new Set([...replacedDims].filter((d) => d in BUILTIN_LEXICON)) : new Set(), errors };
}

/** Read and parse a `lexicon_file` (relative to the recipe). Throws with a message on failure. */
export function readLexiconFile(path: string, baseDir: string): unknown {
  const abs = resolve(baseDir, path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    throw new Error(`cannot read lexicon file \`${path}\``);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`lexicon file \`${path}\` is not valid JSON: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// matching

let builtinWords: Set<string> | undefined;

/** Single words that are a built-in term of some dimension ("Christian", "Hope"?): never read as first names. */
export function builtinTermWords(): Set<string> {
  if (builtinWords) return builtinWords;
  builtinWords = new Set();
  for (const groups of Object.values(BUILTIN_LEXICON)) {
    for (const terms of Object.values(groups)) {
      for (const t of terms) {
        const w = termWords(t);
        if (w.length === 1) builtinWords.add(w[0]);
      }
    }
  }
  return builtinWords;
}

export interface Mention {
  dim: string;
  /** the group; `ambiguous` for a first name that is in both name lists */
  group: string;
  /** the lexicon term matched, a number-age ("75-year-old") or the name as written */
  term: string;
  start: number;
  end: number;
  /** set when a first name matched */
  name?: NameGender;
}

interface Entry {
  words: string[];
  /** written with a capital in the lexicon: matches only capitalized text */
  capital: boolean;
  group: string;
  term: string;
}

export interface MatcherOptions {
  dims: string[];
  /** match first names for gender (capitalized words in the name lists) */
  names: boolean;
  /** read "a 75-year-old", "in her 70s" into the age groups */
  numericAge: boolean;
}

const AGE_POSSESSIVES = new Set(['his', 'her', 'their', 'my', 'your', 'our', 'its', 'hir', 'zir', 'xyr']);

export class Matcher {
  private readonly byDim = new Map<string, Map<string, Entry[]>>();
  /** single words that are a term in some dimension: never read as first names ("Christian") */
  private readonly termWords = new Set<string>();

  constructor(lexicon: Lexicon, private readonly opts: MatcherOptions) {
    for (const [dim, groups] of Object.entries(lexicon)) {
      for (const [group, terms] of Object.entries(groups)) {
        for (const term of terms) {
          const w = termWords(term);
          if (!w.length) continue;
          if (w.length === 1) this.termWords.add(w[0]);
          if (!opts.dims.includes(dim)) continue;
          let m = this.byDim.get(dim);
          if (!m) this.byDim.set(dim, (m = new Map()));
          const list = m.get(w[0]) ?? [];
          list.push({ words: w, capital: /^\p{Lu}/u.test(term.trim()), group, term: w.join(' ') });
          m.set(w[0], list);
        }
      }
    }
    for (const m of this.byDim.values()) for (const list of m.values()) list.sort((a, b) => b.words.length - a.words.length);
  }

  /** Every mention in the text, per dimension, longest match first, left to right. */
  find(text: string, tokens: Token[] = tokenize(text)): Mention[] {
    const out: Mention[] = [];
    const names = this.opts.names && this.opts.dims.includes('gender') ? nameLists().byName : undefined;
    for (const dim of this.opts.dims) {
      const entries = this.byDim.get(dim);
      let lastName = -2;
      for (let i = 0; i < tokens.length; ) {
        const t = tokens[i];
        let len = 0;
        for (const e of entries?.get(t.norm) ?? []) {
          if (len > e.words.length) break;
          if (this.matches(text, tokens, i, e)) {
            len = e.words.length;
            out.push({ dim, group: e.group, term: e.term, start: t.start, end: tokens[i + len - 1].end });
          }
        }
        if (len) {
          i += len;
          continue;
        }
        if (dim === 'age' && this.opts.numericAge) {
          const a = numericAge(text, tokens, i);
          if (a) {
            out.push({ dim, group: ageGroup(a.years), term: a.term, start: t.start, end: tokens[i + a.len - 1].end });
            i += a.len;
            continue;
          }
        }
        if (dim === 'gender' && names && t.cap && !this.termWords.has(t.norm) && !surname(text, tokens, i, lastName)) {
          const g = names.get(t.norm);
          if (g) {
            out.push({ dim, group: g, term: text.slice(t.start, t.baseEnd), start: t.start, end: t.end, name: g });
            lastName = i;
          }
        }
        i++;
      }
    }
    return out;
  }

  private matches(text: string, tokens: Token[], i: number, e: Entry): boolean {
    if (i + e.words.length > tokens.length) return false;
    if (e.capital && !tokens[i].cap) return false;
    for (let k = 1; k < e.words.length; k++) {
      if (tokens[i + k].norm !== e.words[k] || !joined(text, tokens[i + k - 1], tokens[i + k])) return false;
    }
    return true;
  }
}

const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'dame', 'lady', 'lord', 'madam', 'rev', 'fr']);

/** A name right after a title ("Ms Smith", "Dr. Grant") or right after a first name ("Mary Grant") is a surname: not gender evidence. */
export function surname(text: string, tokens: Token[], i: number, lastName: number): boolean {
  if (i === 0) return false;
  const prev = tokens[i - 1];
  const gap = text.slice(prev.end, tokens[i].start);
  if (TITLES.has(prev.norm) && prev.cap && /^\.?[ \t]+$/.test(gap)) return true;
  return lastName === i - 1 && /^[ \t]+$/.test(gap);
}

/** "75-year-old", "80 years old", "in her 70s", "in his late twenties": the age and how many tokens it spans. */
function numericAge(text: string, tokens: Token[], i: number): { years: number; len: number; term: string } | undefined {
  const t = tokens[i];
  if (/^\d{1,3}$/.test(t.norm) && i + 2 < tokens.length) {
    const [y, o] = [tokens[i + 1], tokens[i + 2]];
    if (['year', 'years', 'yr', 'yrs'].includes(y.norm) && ['old', 'olds'].includes(o.norm) && joined(text, t, y) && joined(text, y, o)) {
      const years = Number(t.norm);
      if (years <= 120) return { years, len: 3, term: `${years}-year-old` };
    }
  }
  const decade = /^([1-9])0s$/.exec(t.norm) ? Number(t.norm.slice(0, -1)) : DECADES[t.norm];
  if (decade !== undefined && i > 0) {
    let p = i - 1;
    if (['early', 'mid', 'late'].includes(tokens[p].norm) && p > 0) p--;
    if (AGE_POSSESSIVES.has(tokens[p].norm) && p > 0 && ['in', 'into'].includes(tokens[p - 1].norm)) return { years: decade, len: 1, term: `in ${tokens[p].norm} ${t.norm}` };
  }
  return undefined;
}
