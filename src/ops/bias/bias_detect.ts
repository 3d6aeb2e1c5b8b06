import { didYouMean } from '../../parser/suggest.js';
import { requireColumns } from '../common.js';
import { defineOp, OpError, type Column, type Params, type ParamSpec, type Row, type SchemaContext } from '../types.js';
import { BUILTIN_DIMS, type Lexicon } from './lexicons/index.js';
import { Matcher, readLexiconFile, resolveLexicon, tokenize, type Mention, type ResolvedLexicon } from './text.js';

/** Params shared by the ops that read lexicons. */
export const LEXICON_PARAMS: ParamSpec[] = [
  { name: 'lexicon', type: { kind: 'record' }, doc: 'more terms: { group: ["term", …] } adds to a built-in group (a new group goes to dimension `custom`); { dim: { group: [...] } } adds a dimension' },
  { name: 'lexicon_file', type: { kind: 'path', access: 'read' }, doc: 'a JSON file of the same shape as `lexicon`, relative to the recipe' },
  { name: 'lexicon_mode', type: { kind: 'enum', values: ['add', 'replace'] }, default: 'add', doc: 'add: user terms join the built-ins; replace: a user group replaces that group\'s terms, a user dimension all its built-in groups' },
];

/** The lexicon a call uses: built-ins merged with `lexicon` and `lexicon_file`. */
export function lexiconOf(params: Params, baseDir: string): ResolvedLexicon {
  const file = params.lexicon_file as string | undefined;
  return resolveLexicon({ inline: params.lexicon, file: file === undefined ? undefined : readLexiconFile(file, baseDir), mode: (params.lexicon_mode as 'add' | 'replace' | undefined) ?? 'add' });
}

/** The same, reporting problems through the schema context; undefined when the lexicon cannot be used. */
export function checkLexicon(ctx: SchemaContext): ResolvedLexicon | undefined {
  let res: ResolvedLexicon;
  try {
    res = lexiconOf(ctx.params, ctx.baseDir);
  } catch (e) {
    ctx.error('lexicon_file', (e as Error).message, { help: 'give a JSON file like { "female": ["gal"], "disability": { "wheelchair_user": ["wheelchair user"] } }' });
    return undefined;
  }
  for (const e of res.errors) ctx.error(e.startsWith('lexicon_file') ? 'lexicon_file' : 'lexicon', e, { help: 'write { group: ["term", …] } or { dimension: { group: ["term", …] } }' });
  return res.errors.length ? undefined : res;
}

/** Dimensions asked for (`dims`), checked against the lexicon; all of them by default. */
export function dimsOf(params: Params, lexicon: Lexicon): { dims: string[]; unknown: string[] } {
  const all = Object.keys(lexicon);
  const asked = params.dims === undefined ? all : (Array.isArray(params.dims) ? params.dims : [params.dims]).map(String);
  return { dims: [...new Set(asked.filter((d) => all.includes(d)))], unknown: asked.filter((d) => !all.includes(d)) };
}

/** Columns bias_detect adds, in order. */
function addedColumns(dims: string[], params: Params): Column[] {
  const cols: Column[] = dims.map((d) => ({ name: d, type: 'list' }));
  if (params.names && dims.includes('gender')) cols.push({ name: 'gender_ambiguous', type: 'list' });
  if (params.terms) for (const d of dims) cols.push({ name: `${d}_terms`, type: 'list' });
  if (params.counts) cols.push({ name: 'demographics', type: 'record' });
  return cols;
}

/** Groups of one dimension in lexicon order, then any other (first names' groups when the lexicon lacks them). */
function ordered(groups: Set<string>, order: string[]): string[] {
  return [...groups].sort((a, b) => {
    const i = order.indexOf(a);
    const j = order.indexOf(b);
    return (i < 0 ? Infinity : i) - (j < 0 ? Infinity : j) || (a < b ? -1 : a > b ? 1 : 0);
  });
}

export const bias_detect = defineOp({
  name: 'bias_detect',
  version: 1,
  kind: 'map',
  summary: 'tag each row with the demographic groups its text mentions: gender, ethnicity, religion, age (word lists)',
  doc: [
    '`bias_detect text` adds one list column per dimension (`gender`, `ethnicity`, `religion`, `age`; pick with `dims: [gender, age]`) holding the groups the text mentions, in lexicon order: `[]` when none, several when the text mentions several (`bias_report`, `reweigh` and `resample` read `[]` as the group `none` and several as `mixed`).',
    'Matching is by whole words, case-insensitive, longest phrase first, possessives and clitics folded ("mother\'s", "she\'ll"); a term written with a capital in a lexicon (`Ms`, `Miss`) matches only capitalized text. Colour words and demonyms that name a language ("black", "Chinese") count only before a person noun ("Black women"). Ages written as numbers count too: "a 75-year-old", "in her 70s" (under 13 child, 13–19 teen, 20–29 young_adult, 30–59 adult, 60+ older).',
    'With `names` (default) capitalized first names from the @stdlib name lists count as weak gender evidence; names in both lists (Alex, Andrea) are not counted but listed in `gender_ambiguous`, and names that are English words (Will, May) are never read as names. A first name says little about a person\'s gender: treat name-only tags as an estimate.',
    'Lexicons: see src/ops/bias/lexicons/README.md; extend them with `lexicon: { female: ["gal"] }`, a new dimension `lexicon: { disability: { wheelchair_user: ["wheelchair user"] } }`, or `lexicon_file: "terms.json"`. `terms` adds `<dim>_terms` (the words matched), `counts` a `demographics` record { dim: { group: mentions } }.',
  ].join(' '),
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, default: ['text'], doc: 'text columns searched' },
    { name: 'dims', type: { kind: 'list', of: { kind: 'any' } }, doc: 'dimensions to tag (default all: gender, ethnicity, religion, age and any from the lexicon)' },
    { name: 'names', type: { kind: 'bool' }, default: true, doc: 'count first names as (weak) gender evidence; ambiguous ones go to `gender_ambiguous`' },
    ...LEXICON_PARAMS,
    { name: 'terms', type: { kind: 'bool' }, default: false, doc: 'add `<dim>_terms` columns listing the words matched' },
    { name: 'counts', type: { kind: 'bool' }, default: false, doc: 'add a `demographics` record column: { dim: { group: mentions } }' },
  ],
  describe: (p) => `bias_detect ${(p.columns as string[]).join(', ')}${p.dims ? ` (${([] as unknown[]).concat(p.dims).join(', ')})` : ''}`,
  schema(ctx) {
    requireColumns(ctx, 'columns', ctx.params.columns as string[]);
    const lex = checkLexicon(ctx);
    const dims = lex ? dimsOf(ctx.params, lex.lexicon) : { dims: BUILTIN_DIMS, unknown: [] };
    for (const d of dims.unknown) {
      ctx.error('dims', `unknown dimension \`${d}\``, {
        notes: [`dimensions: ${Object.keys(lex?.lexicon ?? {}).join(', ')}`],
        help: didYouMean(d, Object.keys(lex?.lexicon ?? {})) ?? 'add it with `lexicon: { dim: { group: ["term", …] } }`',
      });
    }
    const added = addedColumns(dims.dims, ctx.params);
    const names = new Set(added.map((c) => c.name));
    return { ...ctx.input!, columns: [...ctx.input!.columns.filter((c) => !names.has(c.name)), ...added] };
  },
  map(params, ctx) {
    let lex: ResolvedLexicon;
    try {
      lex = lexiconOf(params, ctx.baseDir);
    } catch (e) {
      throw new OpError((e as Error).message);
    }
    const { dims } = dimsOf(params, lex.lexicon);
    const matcher = new Matcher(lex.lexicon, { dims, names: params.names as boolean, numericAge: !lex.replacedDims.has('age') });
    const columns = params.columns as string[];
    return (row: Row) => {
      const mentions: Mention[] = [];
      for (const c of columns) {
        const v = row[c];
        if (typeof v === 'string' && v) mentions.push(...matcher.find(v, tokenize(v)));
      }
      return { ...row, ...tag(mentions, dims, lex.lexicon, params) };
    };
  },
});

/** The added columns of one row from its mentions. */
export function tag(mentions: Mention[], dims: string[], lexicon: Lexicon, params: Params): Row {
  const out: Row = {};
  const counts: Record<string, Record<string, number>> = {};
  const ambiguous: string[] = [];
  const terms: Record<string, string[]> = {};
  for (const d of dims) {
    const groups = new Set<string>();
    counts[d] = {};
    terms[d] = [];
    for (const m of mentions) {
      if (m.dim !== d) continue;
      if (!terms[d].includes(m.term)) terms[d].push(m.term);
      if (m.name === 'ambiguous') {
        if (!ambiguous.includes(m.term)) ambiguous.push(m.term);
        continue;
      }
      groups.add(m.group);
      counts[d][m.group] = (counts[d][m.group] ?? 0) + 1;
    }
    out[d] = ordered(groups, Object.keys(lexicon[d] ?? {}));
  }
  if (params.names && dims.includes('gender')) out.gender_ambiguous = ambiguous;
  if (params.terms) for (const d of dims) out[`${d}_terms`] = terms[d];
  if (params.counts) out.demographics = counts;
  return out;
}
