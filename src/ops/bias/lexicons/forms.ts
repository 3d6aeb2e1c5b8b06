/** Helpers that spell out lexicon entries: nouns with their plurals, space-separated word lists. */

/** Regular English plural: +es after s/sh/ch/x/z, consonant+y → ies, else +s. */
export function plural(noun: string): string {
  if (/(s|sh|ch|x|z)$/.test(noun)) return `${noun}es`;
  if (/[^aeiou]y$/.test(noun)) return `${noun.slice(0, -1)}ies`;
  return `${noun}s`;
}

/**
 * Nouns with their plurals: `nouns('mother woman/women')` → mother, mothers, woman, women.
 * `a/b` gives an irregular plural; `a/` a noun without plural; `_` joins the words of a phrase.
 */
export function nouns(spec: string): string[] {
  return spec
    .trim()
    .split(/\s+/)
    .flatMap((item) => {
      const [one, many] = item.split('/');
      return many === undefined ? [one, plural(one)] : many === '' ? [one] : [one, many];
    })
    .map((w) => w.replace(/_/g, ' '));
}

/** Space-separated words or `_`-joined phrases, as they are: `words('she her old_man')`. */
export function words(spec: string): string[] {
  return spec.trim().split(/\s+/).map((w) => w.replace(/_/g, ' '));
}

/** Singular and plural pairs of two noun specs: `nounPairs('man/men', 'woman/women')` → [man, woman], [men, women]. */
export function nounPairs(a: string, b: string): [string, string][] {
  const x = nouns(a);
  const y = nouns(b);
  return x.map((w, i) => [w, y[i]] as [string, string]).filter(([p, q]) => p !== undefined && q !== undefined);
}
