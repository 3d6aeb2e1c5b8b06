/**
 * Text measurements shared by the curation ops (`quality`, `outliers`, `gibberish`): word
 * tokens, Python-compatible line splitting, code-point lengths and character-class ratios.
 */

/**
 * Word tokens, NLTK-like: runs of letters, marks, digits and `_` (joined across an inner `'`,
 * `’`, `-` or `.`, so "don't", "e-mail" and "3.5" are one token), `...` as one token, and every
 * other non-space character as a token of its own ("#", ",", "…").
 */
const TOKEN = /[\p{L}\p{M}\p{N}_]+(?:['’.-][\p{L}\p{M}\p{N}_]+)*|\.\.\.|[^\s\p{L}\p{M}\p{N}_]/gu;

export function wordTokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** A token with at least one character that is not punctuation, a symbol or a control character. */
export function isNonSymbolWord(token: string): boolean {
  const c = token.charCodeAt(0);
  // tokens are either word runs or single symbols: an ASCII letter or digit decides at once
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return true;
  return /[^\p{P}\p{S}\p{C}]/u.test(token);
}

export function hasLetter(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return true;
    if (c >= 128) return /\p{L}/u.test(token);
  }
  return false;
}

/**
 * Python's `str.splitlines()`: split on \n, \r\n, \r, \v, \f, \x1c–\x1e, \x85, U+2028, U+2029;
 * a final line break does not make an empty last line, and "" has no lines.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Length in code points (Python's `len`), not UTF-16 units. */
export function cpLen(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Non-overlapping occurrences of `sub` (Python's `str.count`). */
export function countOf(text: string, sub: string): number {
  let n = 0;
  for (let i = text.indexOf(sub); i !== -1; i = text.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** (duplicate elements, characters in duplicate elements): an element is a duplicate when it was seen before. */
export function findDuplicates(items: string[]): { elements: number; chars: number } {
  const seen = new Set<string>();
  let elements = 0;
  let chars = 0;
  for (const x of items) {
    if (seen.has(x)) {
      elements++;
      chars += cpLen(x);
    } else seen.add(x);
  }
  return { elements, chars };
}

/** Characters of a text by class, for the ratio metrics (counts in code points). */
export interface CharCounts {
  chars: number;
  letters: number;
  upper: number;
  digits: number;
  spaces: number;
  /** neither a letter, mark, number nor whitespace */
  symbols: number;
}

export function charCounts(text: string): CharCounts {
  const c: CharCounts = { chars: 0, letters: 0, upper: 0, digits: 0, spaces: 0, symbols: 0 };
  for (const ch of text) {
    c.chars++;
    const code = ch.charCodeAt(0);
    if (code < 128) {
      // ASCII fast path
      if (code === 32 || (code >= 9 && code <= 13)) c.spaces++;
      else if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) {
        c.letters++;
        if (code <= 90) c.upper++;
      } else if (code >= 48 && code <= 57) c.digits++;
      else c.symbols++;
    } else if (/\s/u.test(ch)) c.spaces++;
    else if (/\p{L}/u.test(ch)) {
      c.letters++;
      if (/\p{Lu}/u.test(ch)) c.upper++;
    } else if (/\p{Nd}/u.test(ch)) c.digits++;
    else if (!/[\p{M}\p{N}]/u.test(ch)) c.symbols++;
  }
  return c;
}
