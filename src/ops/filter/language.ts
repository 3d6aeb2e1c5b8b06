import { francAll } from 'franc';
import { data as francData } from 'franc/data.js';
import { expressions as francScripts } from 'franc/expressions.js';
import { defineOp, type Column, type Row } from '../types.js';
import { requireColumns } from '../common.js';
import { fmt, table } from '../curate/thresholds.js';

/**
 * Language identification with franc (trigram profiles of about 180 languages, ISO 639-3 codes),
 * with the fixes short texts need: a minimum length below which the language is `und`, and
 * English read as Scots (`sco`) turned back into English when the two are close.
 */

/** Every code franc can return: the languages of its trigram data and those identified by script alone. */
export const FRANC_LANGUAGES: string[] = [
  ...new Set([...Object.values(francData).flatMap((langs) => Object.keys(langs)), ...Object.keys(francScripts).filter((k) => /^[a-z]{3}$/.test(k))]),
].sort();

/** Texts under this many characters get eng for sco when eng's score is ≥ 1 − SCO_MARGIN_SHORT; longer ones need ≥ 1 − SCO_MARGIN_LONG. */
export const SCO_SHORT_CHARS = 100;
export const SCO_MARGIN_SHORT = 0.2;
export const SCO_MARGIN_LONG = 0.1;

export interface Detection {
  lang: string;
  /** margin over the best other language (0..1), null for und */
  score: number | null;
  /** why the language is und, or that sco was read as eng */
  note?: 'short' | 'no-text' | 'no-script' | 'sco-as-eng';
  /** franc's own best guess, when the answer differs from it */
  franc?: { lang: string; eng: number };
}

export interface DetectOptions {
  /** candidate languages (franc's `only`); empty = all */
  only?: string[];
  minLength: number;
  /** read close sco as eng (off when sco is an allowed language) */
  scoAsEng: boolean;
}

/** URLs, e-mail addresses and runs of whitespace out, so links do not decide the language. */
export function cleanForLanguage(text: string): string {
  return text
    .replace(/\bhttps?:\/\/\S+|\bwww\.\S+/gi, ' ')
    .replace(/\S+@\S+\.\w+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * The language of a text. franc scores every candidate 0..1 (1 for the best; the others by how
 * much further their trigram profile is, as a share of the largest possible distance);
 * the score reported is the margin between the chosen language and the best candidate of a
 * different language (eng and sco count as one while sco is read as eng), 1 when there is no
 * other candidate (a script used by one language).
 */
export function detectLanguage(text: unknown, o: DetectOptions): Detection {
  if (typeof text !== 'string') return { lang: 'und', score: null, note: 'no-text' };
  const clean = cleanForLanguage(text);
  if ([...clean].length < o.minLength) return { lang: 'und', score: null, note: 'short' };
  const all = francAll(clean, { only: o.only?.length ? o.only : undefined, minLength: 1 });
  const [top, topScore] = all[0];
  if (top === 'und') return { lang: 'und', score: null, note: 'no-script' };
  let lang = top;
  let langScore = topScore;
  let note: Detection['note'];
  let franc: Detection['franc'];
  if (o.scoAsEng && top === 'sco') {
    const eng = all.find(([l]) => l === 'eng');
    const margin = [...clean].length < SCO_SHORT_CHARS ? SCO_MARGIN_SHORT : SCO_MARGIN_LONG;
    if (eng && eng[1] >= 1 - margin) {
      lang = 'eng';
      langScore = eng[1];
      note = 'sco-as-eng';
      franc = { lang: 'sco', eng: round4(eng[1]) };
    }
  }
  const group = o.scoAsEng && (lang === 'eng' || lang === 'sco') ? ['eng', 'sco'] : [lang];
  const rival = all.find(([l]) => !group.includes(l));
  return { lang, score: rival ? round4(Math.max(0, langScore - rival[1])) : 1, note, franc };
}

function whyUnd(d: Detection, minLength: number): string {
  if (d.note === 'no-text') return 'no text';
  if (d.note === 'short') return `shorter than ${minLength} characters`;
  return 'no letters franc knows';
}

export const language = defineOp({
  name: 'language',
  version: 1,
  kind: 'global',
  summary: 'identify each row\'s language with franc (ISO 639-3); keep the allowed languages, add lang and lang_score',
  doc:
    '`language eng` or `language [eng, fra]` keeps rows in those languages; without a list every row is kept and only annotated. Adds `lang` (ISO 639-3, `und` when undetermined) and `lang_score`. ' +
    'franc compares the text\'s character trigrams with profiles of ' + `${FRANC_LANGUAGES.length}` + ' languages (`only: [eng, deu, fra, spa]` restricts the candidates, which makes short texts much more reliable) after URLs and e-mail addresses are removed. ' +
    '`lang_score` is franc\'s margin between the chosen language and the best other candidate, 0..1 (franc scores candidates 1 for the best and lower by how much further their trigram profile is): near 0 the two were almost tied, 1 when the script belongs to one language; null for `und`. ' +
    'Texts shorter than `min_length` characters (default 20; franc is unreliable below that) and texts without letters get `und`: kept by default (`undetermined: drop` drops them, reason "language: undetermined"). ' +
    'English/Scots: franc often reads short English as Scots (`sco`: in the State of the Union addresses since 1950, one sentence in four under 40 characters, one in five of 40–80 and one in ten of 80–160). While `sco` is not an allowed language, a text franc calls `sco` becomes `eng` when eng\'s franc score is within 0.2 of it (texts under 100 characters) or within 0.1 (longer texts); genuine Scots usually scores eng lower than that. On those sentences this raises the share identified as English from 74% to 93% at 40–80 characters and from 88% to 99% at 80–160 (45% to 68% under 40: use `only:` for short texts). `sco_as_eng: false` turns this off. ' +
    'Rows in another language are dropped with reason "language" and the detail `language deu (score 0.31), expected eng`. Notes: rows and rows kept per detected language.',
  params: [
    { name: 'languages', type: { kind: 'list', of: { kind: 'enum', values: FRANC_LANGUAGES } }, positional: true, doc: 'allowed languages (ISO 639-3: eng, deu, fra, spa, …); none = annotate only' },
    { name: 'column', type: { kind: 'column' }, default: 'text', doc: 'the text column identified' },
    { name: 'only', type: { kind: 'list', of: { kind: 'enum', values: FRANC_LANGUAGES } }, doc: `candidate languages franc chooses from (default: all ${FRANC_LANGUAGES.length})` },
    { name: 'min_length', type: { kind: 'number', integer: true, min: 1 }, default: 20, doc: 'texts with fewer characters are und (undetermined)' },
    { name: 'undetermined', type: { kind: 'enum', values: ['keep', 'drop'] }, default: 'keep', doc: 'what to do with und rows (too short, no text, no letters)' },
    { name: 'sco_as_eng', type: { kind: 'bool' }, default: true, doc: 'read sco as eng when eng scores close (franc confuses short English with Scots)' },
  ],
  describe: (p) => `language ${((p.languages as string[] | undefined) ?? []).join(', ') || '(annotate)'}`,
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'column', [(p.column as string | undefined) ?? 'text']);
    const langs = (p.languages as string[] | undefined) ?? [];
    const only = (p.only as string[] | undefined) ?? [];
    if (only.length) {
      const missing = langs.filter((l) => !only.includes(l));
      if (missing.length) ctx.error('only', `allowed language${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not among the candidates in \`only\``, { help: `add ${missing.join(', ')} to \`only\`` });
    }
    if (!ctx.input) return { columns: [] };
    const added: Column[] = [
      { name: 'lang', type: 'string' },
      { name: 'lang_score', type: 'number' },
    ];
    return { ...ctx.input, columns: [...ctx.input.columns.filter((c) => !added.some((a) => a.name === c.name)), ...added] };
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const col = params.column as string;
      const allowed = (params.languages as string[] | undefined) ?? [];
      const minLength = params.min_length as number;
      const dropUnd = params.undetermined === 'drop';
      const opts: DetectOptions = { only: params.only as string[] | undefined, minLength, scoAsEng: (params.sco_as_eng as boolean) && !allowed.includes('sco') };
      const seen = new Map<string, { rows: number; kept: number }>();
      let n = 0;
      let kept = 0;
      let scoToEng = 0;
      for await (const row of input.rows()) {
        const d = detectLanguage(row[col], opts);
        if (d.note === 'sco-as-eng') scoToEng++;
        const scored = { ...row, lang: d.lang, lang_score: d.score } as Row;
        const c = seen.get(d.lang) ?? { rows: 0, kept: 0 };
        seen.set(d.lang, c);
        c.rows++;
        const expected = allowed.join(', ');
        if (d.lang === 'und') {
          if (dropUnd) await out.drop(scored, 'language: undetermined', `language und (${whyUnd(d, minLength)})${expected ? `, expected ${expected}` : ''}`);
          else {
            c.kept++;
            kept++;
            await out.emit(scored);
          }
        } else if (allowed.length && !allowed.includes(d.lang)) {
          await out.drop(scored, 'language', `language ${d.lang} (score ${fmt(d.score ?? 0)}), expected ${expected}`);
        } else {
          c.kept++;
          kept++;
          await out.emit(scored);
        }
        if (++n % 1000 === 0) ctx.progress(n);
      }
      const rows = [...seen].sort((a, b) => b[1].rows - a[1].rows || (a[0] < b[0] ? -1 : 1));
      for (const line of table([['lang', 'rows', 'kept'], ...rows.map(([l, c]) => [l, c.rows.toLocaleString('en-US'), c.kept.toLocaleString('en-US')])])) out.note(line);
      if (scoToEng) out.note(`${scoToEng.toLocaleString('en-US')} row${scoToEng === 1 ? '' : 's'} franc read as sco counted as eng (eng within ${SCO_MARGIN_SHORT} under ${SCO_SHORT_CHARS} characters, ${SCO_MARGIN_LONG} above)`);
      const und = seen.get('und');
      if (und) out.note(`${und.rows.toLocaleString('en-US')} row${und.rows === 1 ? '' : 's'} undetermined (und: under ${minLength} characters or no letters) ${dropUnd ? 'dropped' : 'kept'}`);
      out.note(`${kept.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} rows kept${allowed.length ? ` (${allowed.join(', ')})` : ''}`);
      out.metric?.('rows', n);
      out.metric?.('kept', kept);
      out.metric?.('languages', Object.fromEntries(rows.map(([l, c]) => [l, { rows: c.rows, kept: c.kept }])));
      out.metric?.('sco_counted_as_eng', scoToEng);
    },
  },
});
