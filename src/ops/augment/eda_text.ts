/**
 * EDA's four operations (Wei & Zou 2019, jasonwei20/eda_nlp `code/eda.py`) on text that keeps its
 * punctuation and case: synonym replacement (SR), random insertion (RI), random swap (RS) and
 * random deletion (RD). Words are runs of letters and digits (with inner apostrophes); what lies
 * between them (spaces, punctuation) stays in place. The counts and draws follow eda.py:
 * n = max(1, ⌊α·words⌋) for SR, RI and RS, RD keeps each word with probability 1 − p.
 */
import type { WordNet } from './wordnet.js';

export type EdaOp = 'sr' | 'ri' | 'rs' | 'rd';
export const EDA_OPS: readonly EdaOp[] = ['sr', 'ri', 'rs', 'rd'];

/** `s0 w1 s1 w2 … wn sn`: words and the separators around them (seps.length = words.length + 1). */
export interface Tokens {
  words: string[];
  seps: string[];
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

export function tokenize(text: string): Tokens {
  const words: string[] = [];
  const seps: string[] = [];
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    seps.push(text.slice(last, m.index));
    words.push(m[0]);
    last = m.index + m[0].length;
  }
  seps.push(text.slice(last));
  return { words, seps };
}

export function render(t: Tokens): string {
  let out = t.seps[0];
  for (let i = 0; i < t.words.length; i++) out += t.words[i] + t.seps[i + 1];
  return out;
}

/** eda.py's `get_only_chars`: drop ' and ’, turn - tab newline into spaces, lowercase, keep a–z and spaces, collapse spaces. */
export function onlyChars(text: string): string {
  return text
    .replace(/['’]/g, '')
    .replace(/[-\t\n]/g, ' ')
    .toLowerCase()
    .replace(/[^a-z ]/g, ' ')
    .replace(/ +/g, ' ')
    .replace(/^ /, '');
}

/** A synonym written like the word it replaces: Capitalized, UPPER or lower. */
export function matchCase(word: string, syn: string): string {
  if (word.length > 1 && word === word.toUpperCase() && word !== word.toLowerCase()) return syn.toUpperCase();
  if (word[0] && word[0] !== word[0].toLowerCase()) return syn[0].toUpperCase() + syn.slice(1);
  return syn;
}

export interface EdaOptions {
  wordnet: WordNet;
  stop: Set<string>;
  /** true: stop words are never replaced, used for insertion, swapped or deleted (TextAttack's StopwordModification); false: only SR skips them (eda.py) */
  protectStop: boolean;
  rand: () => number;
}

/** A word's lowercase form for stop-word checks: "don't" is "don", "It's" is "it". */
function isStop(word: string, stop: Set<string>): boolean {
  const w = word.toLowerCase();
  return stop.has(w) || stop.has(w.split(/['’]/)[0]);
}

const randInt = (rand: () => number, n: number) => Math.floor(rand() * n);

/** Fisher–Yates with the given generator. */
export function shuffle<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randInt(rand, i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export const count = (alpha: number, words: number) => Math.max(1, Math.floor(alpha * words));

/** SR: up to n distinct non-stop words (in a random order) that have synonyms: every occurrence replaced by one random synonym. */
export function synonymReplacement(t: Tokens, n: number, o: EdaOptions): Tokens {
  const words = [...t.words];
  const candidates: string[] = [];
  for (const w of words) {
    const l = w.toLowerCase();
    if (!isStop(w, o.stop) && !candidates.includes(l)) candidates.push(l);
  }
  shuffle(candidates, o.rand);
  let replaced = 0;
  for (const c of candidates) {
    const syns = o.wordnet.synonyms(c);
    if (!syns.length) continue;
    const syn = syns[randInt(o.rand, syns.length)];
    for (let i = 0; i < words.length; i++) if (words[i].toLowerCase() === c) words[i] = matchCase(words[i], syn);
    if (++replaced >= n) break;
  }
  return { words, seps: [...t.seps] };
}

/** RI, n times: a random word (a non-stop word when protected) with synonyms (10 tries), its first synonym inserted before a random word. */
export function randomInsertion(t: Tokens, n: number, o: EdaOptions): Tokens {
  const words = [...t.words];
  const seps = [...t.seps];
  for (let k = 0; k < n; k++) {
    const pool = o.protectStop ? words.filter((w) => !isStop(w, o.stop)) : words;
    if (!pool.length) break;
    let syns: string[] = [];
    for (let tries = 0; tries < 10 && !syns.length; tries++) syns = o.wordnet.synonyms(pool[randInt(o.rand, pool.length)]);
    if (!syns.length) continue;
    const at = randInt(o.rand, words.length);
    // "x y" with the synonym s before y: "x s y" (the separator before y stays before s)
    words.splice(at, 0, syns[0]);
    seps.splice(at + 1, 0, ' ');
  }
  return { words, seps };
}

/** RS, n times: two distinct random positions (of non-stop words when protected) swap their words; three collisions give up. */
export function randomSwap(t: Tokens, n: number, o: EdaOptions): Tokens {
  const words = [...t.words];
  const slots = o.protectStop ? words.flatMap((w, i) => (isStop(w, o.stop) ? [] : [i])) : words.map((_, i) => i);
  if (slots.length < 2) return { words, seps: [...t.seps] };
  for (let k = 0; k < n; k++) {
    const a = randInt(o.rand, slots.length);
    let b = a;
    let collisions = 0;
    while (b === a && collisions <= 3) {
      b = randInt(o.rand, slots.length);
      if (b === a) collisions++;
    }
    if (b === a) continue;
    const [i, j] = [slots[a], slots[b]];
    [words[i], words[j]] = [words[j], words[i]];
  }
  return { words, seps: [...t.seps] };
}

/** RD: each word (non-stop word when protected) deleted with probability p; a 1-word text stays; if nothing is left, one random word. */
export function randomDeletion(t: Tokens, p: number, o: EdaOptions): Tokens {
  if (t.words.length <= 1) return { words: [...t.words], seps: [...t.seps] };
  const keep = t.words.map((w) => (o.protectStop && isStop(w, o.stop)) || o.rand() > p);
  if (!keep.some(Boolean)) keep[randInt(o.rand, t.words.length)] = true;
  const words: string[] = [];
  const seps: string[] = [t.seps[0]];
  for (let i = 0; i < t.words.length; i++) {
    if (keep[i]) {
      words.push(t.words[i]);
      seps.push(t.seps[i + 1]);
      continue;
    }
    // the word goes; its two separators become one: the one with punctuation (a comma before
    // yields to what follows: "sad, comedy." → "sad."), or both when both have some
    const before = seps.pop()!;
    const after = t.seps[i + 1];
    let merged: string;
    if (words.length === 0) merged = before + after.replace(/^[\s,;:]+/, '');
    // a comma right after the word goes with it ("a sad, superior" → "a superior")
    else if (!before.trim()) merged = /^[,;:]\s*$/.test(after) ? before : after;
    else if (!after.trim()) merged = before;
    else if (/^[,;:]+$/.test(before.trim())) merged = after;
    else merged = before.trimEnd() + after.trimStart();
    seps.push(merged);
  }
  return { words, seps };
}

export function applyOp(op: EdaOp, text: string, alpha: number, o: EdaOptions): string {
  const t = tokenize(text);
  const n = count(alpha, t.words.length);
  switch (op) {
    case 'sr':
      return render(synonymReplacement(t, n, o));
    case 'ri':
      return render(randomInsertion(t, n, o));
    case 'rs':
      return render(randomSwap(t, n, o));
    case 'rd':
      return render(randomDeletion(t, alpha, o));
  }
}
