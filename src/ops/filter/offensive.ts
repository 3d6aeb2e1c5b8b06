import { DataSet, englishDataset, englishRecommendedTransformers, parseRawPattern, RegExpMatcher, type MatchPayload } from 'obscenity';
import { defineOp, Drop, type Column, type Row } from '../types.js';
import { requireColumns } from '../common.js';

/**
 * Offensive language with `obscenity`: its English dataset (profanity, slurs and sexual terms,
 * from the `cuss` word list) matched with its recommended transformers, which also catch
 * look-alike characters, leetspeak (`sh1t`) and repeated letters (`fuuuck`), and skip known
 * innocent words that contain a term (Scunthorpe, assassin, …).
 */

type Meta = { originalWord: string };

/** `|word|` pattern for a plain word: obscenity's pattern syntax escaped, whole word only. */
function wordPattern(word: string): string {
  return `|${word.trim().toLowerCase().replace(/[\\[\]?|]/g, (c) => `\\${c}`)}|`;
}

export interface OffensiveMatcher {
  /** the matches in a text, each span once, in order */
  find(text: string): { start: number; end: number; word: string }[];
  /** words of the English dataset removed by the allowlist */
  removed: string[];
}

/** Build the matcher: the English dataset plus `words`, minus `allow` (dataset words are removed, other terms whitelisted). */
export function offensiveMatcher(words: string[] = [], allow: string[] = []): OffensiveMatcher {
  const allowSet = new Set(allow.map((a) => a.trim().toLowerCase()).filter(Boolean));
  const removed: string[] = [];
  const ds = new DataSet<Meta>().addAll(englishDataset as unknown as DataSet<Meta>).removePhrasesIf((p) => {
    const w = p.metadata?.originalWord;
    if (w !== undefined && allowSet.has(w)) {
      removed.push(w);
      return true;
    }
    return false;
  });
  for (const w of words) {
    const word = w.trim().toLowerCase();
    if (!word || allowSet.has(word)) continue;
    ds.addPhrase((p) => p.setMetadata({ originalWord: word }).addPattern(parseRawPattern(wordPattern(word))));
  }
  const built = ds.build();
  const whitelist = [...allowSet].filter((a) => !removed.includes(a));
  const matcher = new RegExpMatcher({ ...built, whitelistedTerms: [...(built.whitelistedTerms ?? []), ...whitelist], ...englishRecommendedTransformers });
  return {
    removed,
    find(text) {
      const seen = new Set<string>();
      const out: { start: number; end: number; word: string }[] = [];
      for (const m of matcher.getAllMatches(text, true) as MatchPayload[]) {
        const key = `${m.startIndex}:${m.endIndex}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ start: m.startIndex, end: m.endIndex + 1, word: ds.getPayloadWithPhraseMetadata(m).phraseMetadata?.originalWord ?? '' });
      }
      return out;
    },
  };
}

/** A matched term as shown in details and flags: first character, the rest as `*` (`f***`). */
export function censorTerm(s: string): string {
  const chars = [...s];
  return chars[0] + '*'.repeat(Math.max(chars.length - 1, 0));
}

/** Replace each matched span with as many `*` as it has characters (overlapping spans merge). */
export function maskSpans(text: string, spans: { start: number; end: number }[]): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const s of sorted) {
    const start = Math.max(s.start, at);
    if (s.end <= start) continue;
    out += text.slice(at, start) + '*'.repeat([...text.slice(start, s.end)].length);
    at = s.end;
  }
  return out + text.slice(at);
}

export const offensive = defineOp({
  name: 'offensive',
  version: 1,
  kind: 'map',
  summary: 'find offensive language (profanity, slurs, sexual terms) with obscenity\'s English list; drop, flag or mask it',
  doc:
    'Matches the English dataset of the `obscenity` package (about 70 profane, sexual and slur terms from the `cuss` list, with its own exceptions for innocent words like "Scunthorpe" or "assassin") using its recommended transformers, so look-alike characters, leetspeak (`sh1t`) and stretched letters (`fuuuck`) match too. ' +
    '`action: drop` (default) drops rows with a match, reason "offensive", the matched terms censored in the detail (`f***, s***`); `flag` keeps every row and adds `offensive` (true/false) and `offensive_terms` (censored); `mask` keeps every row and replaces each match in the text with `*`, one per character. ' +
    '`words: ["darn", "frick"]` adds whole words (same transformers); `allow: ["sex", "anal"]` removes dataset words (by their base form, e.g. `sex` also stops `sexy` matching) or whitelists other terms. ' +
    'This filter is optional and not part of any default pipeline: the list is English-only, context-blind (medical, legal and sex-education text uses these words; reclaimed slurs and quoted speech are flagged like insults) and matches dialects unevenly, so filtering can skew a dataset. Leave it off (or use `flag`) for toxicity or moderation classifiers, safety and refusal training, red-teaming data, and literature or transcripts, where the model must see such language.',
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, default: ['text'], doc: 'text columns checked (masked, with action mask)' },
    { name: 'action', type: { kind: 'enum', values: ['drop', 'flag', 'mask'] }, default: 'drop', doc: 'drop matching rows, flag them (offensive, offensive_terms), or mask the matches with *' },
    { name: 'words', type: { kind: 'list', of: { kind: 'string' } }, doc: 'extra words to treat as offensive (whole words)' },
    { name: 'allow', type: { kind: 'list', of: { kind: 'string' } }, doc: 'words never treated as offensive: dataset words removed, other terms whitelisted' },
  ],
  describe: (p) => `offensive ${(p.columns as string[]).join(', ')} (${p.action as string})`,
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'columns', (p.columns as string[] | undefined) ?? ['text']);
    for (const [name, list] of [['words', p.words], ['allow', p.allow]] as const) {
      if ((list as string[] | undefined)?.some((w) => !w.trim())) ctx.error(name, `\`${name}\` has an empty word`);
    }
    if (!ctx.input) return { columns: [] };
    if (p.action !== 'flag') return ctx.input;
    const added: Column[] = [
      { name: 'offensive', type: 'bool' },
      { name: 'offensive_terms', type: 'list' },
    ];
    return { ...ctx.input, columns: [...ctx.input.columns.filter((c) => !added.some((a) => a.name === c.name)), ...added] };
  },
  map(params) {
    const columns = params.columns as string[];
    const action = params.action as 'drop' | 'flag' | 'mask';
    const matcher = offensiveMatcher((params.words as string[] | undefined) ?? [], (params.allow as string[] | undefined) ?? []);
    return (row) => {
      const terms: string[] = [];
      let masked: Row | undefined;
      for (const c of columns) {
        const v = row[c];
        if (typeof v !== 'string') continue;
        const spans = matcher.find(v);
        if (!spans.length) continue;
        for (const s of spans) {
          const t = censorTerm(v.slice(s.start, s.end).toLowerCase());
          if (!terms.includes(t)) terms.push(t);
        }
        if (action === 'mask') (masked ??= { ...row })[c] = maskSpans(v, spans);
      }
      if (action === 'flag') return { ...row, offensive: terms.length > 0, offensive_terms: terms };
      if (action === 'mask') return masked ?? row;
      return terms.length ? new Drop('offensive', `offensive terms: ${terms.join(', ')}`) : row;
    };
  },
});
