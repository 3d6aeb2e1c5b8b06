import { requireColumns } from '../common.js';
import { defineOp, Drop, type Row } from '../types.js';
import { GenderSwapper } from './swap.js';

/** The id lineage goes back to: the row's own `parent` when it has one (a chunk's document), else its id. */
export function rootOf(row: Row): unknown {
  const p = row.parent;
  return p !== null && p !== undefined && p !== '' ? p : (row.id ?? null);
}

export const counterfactual = defineOp({
  name: 'counterfactual',
  version: 1,
  kind: 'map',
  summary: 'gender-swap augmentation: each row that mentions gender terms gets a swapped copy (he ↔ she, her → him/his, father ↔ mother, Mr ↔ Ms)',
  doc: [
    '`counterfactual text` keeps every row and, after each row whose text columns contain a gendered word, adds a copy with the words swapped: id `<id>#cf`, `parent` = the original\'s id (or the original\'s own `parent`, so `split group: parent` keeps a family together).',
    'Swaps: he ↔ she, him → her, himself ↔ herself, hers → his, about 60 noun pairs and their plurals (man ↔ woman, father ↔ mother, chairman ↔ chairwoman, …), titles Mr ↔ Ms, Mrs → Mr, Miss → Mr (only before a name); words whose male form is unmarked swap one way (actress → actor). Capitalization is kept (She → He, HIS → HER), as are clitics (he\'s → she\'s); URLs and e-mail addresses are left alone, and a capitalized noun before a capitalized word is taken as part of a name ("Queen Mary", "Mother Teresa").',
    '`her` is an object or a possessive: the next word decides. End of text, punctuation, or a determiner, preposition, conjunction, pronoun, auxiliary, time/place adverb (yesterday, here, …) or one of a few verbs (let her go) next → `him` ("I saw her." → "I saw him."); any other word → `his` ("her book" → "his book"). The same rule turns `his` into `her` ("his book") or `hers` ("the book is his."). A heuristic: it errs on "I love her dearly" (→ his).',
    '`names` swaps capitalized first names too, pairing the @stdlib female and male lists by alphabetical rank within the initial letter; ambiguous names (Alex) and surnames (after a title or a first name) stay. `pairs: { actor: "actress" }` adds swaps (both ways). `only_swapped` emits the copies alone (one-sided CDA); rows with nothing to swap are then dropped with reason "no gender terms".',
  ].join(' '),
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, default: ['text'], doc: 'text columns swapped' },
    { name: 'names', type: { kind: 'bool' }, default: false, doc: 'swap first names too (female ↔ male name lists; ambiguous names stay)' },
    { name: 'pairs', type: { kind: 'record' }, doc: 'more word swaps, both ways: { actor: "actress", steward: "stewardess" }' },
    { name: 'only_swapped', type: { kind: 'bool' }, default: false, doc: 'emit only the swapped copies (rows without gender terms are dropped)' },
  ],
  describe: (p) => `counterfactual ${(p.columns as string[]).join(', ')}${p.names ? ' with names' : ''}${p.only_swapped ? ' (swapped only)' : ''}`,
  schema(ctx) {
    requireColumns(ctx, 'columns', ctx.params.columns as string[]);
    const pairs = ctx.params.pairs as Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(pairs ?? {})) {
      if (typeof v !== 'string' || !/^\s*[\p{L}\p{M}'’]+\s*$/u.test(v) || !/^[\p{L}\p{M}'’]+$/u.test(k)) {
        ctx.error('pairs', `\`pairs\` swaps one word for one word: \`${k}\` → ${JSON.stringify(v)}`, { help: 'write { actor: "actress" }; hyphenated compounds swap by their parts' });
      }
    }
    const input = ctx.input!;
    return input.columns.some((c) => c.name === 'parent') ? input : { ...input, columns: [...input.columns, { name: 'parent', type: 'string' }] };
  },
  map(params) {
    const swapper = new GenderSwapper({ names: params.names as boolean, pairs: params.pairs as Record<string, string> | undefined });
    const columns = params.columns as string[];
    const onlySwapped = params.only_swapped as boolean;
    return (row: Row) => {
      const copy: Row = { ...row };
      let swaps = 0;
      for (const c of columns) {
        const v = row[c];
        if (typeof v !== 'string') continue;
        const r = swapper.swap(v);
        swaps += r.swaps;
        copy[c] = r.text;
      }
      const original = 'parent' in row ? row : { ...row, parent: null };
      if (!swaps) return onlySwapped ? new Drop('no gender terms', `nothing to swap in ${columns.join(', ')}`) : original;
      const swapped: Row = { ...copy, id: `${String(row.id)}#cf`, parent: rootOf(row) };
      return onlySwapped ? swapped : [original, swapped];
    };
  },
});
