import { requireColumns } from '../common.js';
import { defineOp, type Row } from '../types.js';
import { checkAugmentParams, FILTER_PARAMS, LINEAGE_DOC, LINEAGE_PARAMS, lineageSchema, runAugment, type Variant } from './common.js';
import { answerText } from './paraphrase.js';
import { checkProviderParams, checkTemplate, PROVIDER_PARAMS, providerFor, providerPermissions, render, type ChatMessage } from './providers.js';

/** Language names for prompts, by ISO 639-1 code; anything else is used as written (`via: "Swahili"`). */
const LANGUAGES: Record<string, string> = {
  ar: 'Arabic', cs: 'Czech', da: 'Danish', de: 'German', el: 'Greek', en: 'English', es: 'Spanish', fi: 'Finnish', fr: 'French', he: 'Hebrew', hi: 'Hindi',
  hu: 'Hungarian', id: 'Indonesian', it: 'Italian', ja: 'Japanese', ko: 'Korean', nl: 'Dutch', no: 'Norwegian', pl: 'Polish', pt: 'Portuguese', ro: 'Romanian',
  ru: 'Russian', sv: 'Swedish', th: 'Thai', tr: 'Turkish', uk: 'Ukrainian', vi: 'Vietnamese', zh: 'Chinese',
};

export const languageName = (l: string) => LANGUAGES[l.toLowerCase()] ?? l;
/** A pivot as it appears in ids: `de`, `swahili`. */
const slug = (l: string) => l.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x';

export const defaultToPrompt = (column: string) => `Translate the following text into {{lang}}. Answer with the translation only.\n\n{{${column}}}`;
export const DEFAULT_BACK_PROMPT = 'Translate the following text into {{from}}. Answer with the translation only.\n\n{{translation}}';
const RESERVED = ['lang', 'from'];

export const back_translate = defineOp({
  name: 'back_translate',
  version: 1,
  kind: 'global',
  summary: 'back-translation through an OpenAI-compatible model: text → pivot language → back, as new copies; memoized, filtered, lineage kept',
  doc: [
    '`back_translate text via: de model: "gpt-4o-mini"` sends each row\'s `text` to the model to translate into the pivot language, then the translation back into the source language (`from`, default English), and adds the round trip as a copy (Sennrich et al. 2016). `via: [de, fr]` makes one copy per pivot (× `copies`, each sent with `seed: k`; keep `temperature` above 0 for diverse copies, as Edunov et al. 2018 recommend). ISO 639-1 codes become language names in prompts (de → German); other values are used as written.',
    '`to_prompt` and `back_prompt` are templates: `{{lang}}` is the pivot\'s name, `{{from}}` the source language, `{{translation}}` (back_prompt) the pivot text, and `{{column}}` a column of the row — checked against the input\'s columns before anything runs. The copy\'s id is `<id>#bt-<pivot><k>` and its `augmentation` `back_translate:<pivot>`.',
    'Provider, retries, rate limits, `--allow-net` and the memo are as for `paraphrase`: both requests of every round trip are memoized under `.ftr/memo/`, so a re-run or an interrupted run never pays for an answer twice.',
    LINEAGE_DOC,
  ].join(' '),
  params: [
    { name: 'column', type: { kind: 'column' }, positional: true, default: 'text', doc: 'the text column translated (the copy holds the round trip there)' },
    { name: 'via', type: { kind: 'list', of: { kind: 'any' } }, default: ['de'], doc: 'pivot language(s): de, or [de, fr] for one copy per pivot' },
    { name: 'from', type: { kind: 'string' }, default: 'English', doc: 'the language of the text, as named in the prompts' },
    { name: 'to_prompt', type: { kind: 'string' }, doc: 'template of the first request ({{lang}}, {{from}}, {{column}}); default: translate {{text}} into {{lang}}' },
    { name: 'back_prompt', type: { kind: 'string' }, default: DEFAULT_BACK_PROMPT, doc: 'template of the second request ({{translation}}, {{lang}}, {{from}}, {{column}})' },
    { name: 'copies', type: { kind: 'count', min: 1 }, default: 1, doc: 'round trips per pivot per row' },
    ...PROVIDER_PARAMS,
    ...LINEAGE_PARAMS,
    ...FILTER_PARAMS,
  ],
  describe: (p) => `back_translate ${p.column as string} via ${(p.via as string[]).join(', ')} with ${(p.model ?? p.model_dir) as string}`,
  permissions: providerPermissions,
  schema(ctx) {
    const p = ctx.params;
    const column = p.column as string;
    requireColumns(ctx, 'column', [column]);
    checkProviderParams(ctx);
    const via = p.via as unknown[];
    if (!via.length) ctx.error('via', '`via` names no pivot language', { help: 'write `via: de`' });
    for (const v of via) if (typeof v !== 'string' || !v.trim()) ctx.error('via', '`via` lists languages: de, or [de, fr]');
    const slugs = via.map((v) => slug(String(v)));
    if (new Set(slugs).size !== slugs.length) ctx.error('via', '`via` names a pivot twice');
    checkTemplate(ctx, 'to_prompt', (p.to_prompt as string | undefined) ?? defaultToPrompt(column), RESERVED, { any: [], columns: true, help: `put the row's text in it: "… into {{lang}}:\\n\\n{{${column}}}"` });
    checkTemplate(ctx, 'back_prompt', p.back_prompt as string, [...RESERVED, 'translation'], { any: ['translation'], columns: false, help: 'put the pivot text in it: "… into {{from}}:\\n\\n{{translation}}"' });
    if (p.system !== undefined) checkTemplate(ctx, 'system', p.system as string, RESERVED);
    checkAugmentParams(ctx);
    return lineageSchema(ctx.input!);
  },
  global: {
    parts: 'all',
    async run(input, params, ctx, out, extra) {
      const column = params.column as string;
      const toPrompt = (params.to_prompt as string | undefined) ?? defaultToPrompt(column);
      const backPrompt = params.back_prompt as string;
      const system = params.system as string | undefined;
      const from = params.from as string;
      const via = params.via as string[];
      const copies = params.copies as number;
      const provider = providerFor('back_translate', params, { to_prompt: toPrompt, back_prompt: backPrompt, system: system ?? null }, ctx);
      const messages = (template: string, value: (name: string) => unknown): ChatMessage[] => [
        ...(system !== undefined ? [{ role: 'system' as const, content: render(system, value) }] : []),
        { role: 'user', content: render(template, value) },
      ];
      const roundTrip = async (row: Row, pivot: string, k: number): Promise<Variant> => {
        const lang = languageName(pivot);
        const base = { tag: `bt-${slug(pivot)}${k}`, augmentation: `back_translate:${pivot}` };
        const known = (extraValues: Record<string, unknown>) => (name: string) => (name in extraValues ? extraValues[name] : row[name]);
        const there = answerText(await provider.complete(messages(toPrompt, known({ lang, from })), k), `the translation into ${lang}`, params);
        if ('problem' in there) return { ...base, values: {}, problem: there.problem };
        const back = answerText(await provider.complete(messages(backPrompt, known({ lang, from, translation: there.text })), k), `the translation back from ${lang}`, params);
        if ('problem' in back) return { ...base, values: {}, problem: back.problem };
        return { ...base, values: { [column]: back.text } };
      };
      await runAugment('back_translate', input, params, ctx, out, extra, [column], {
        batch: ((params.concurrency as number) ?? 4) * 8,
        variants: (rows) => Promise.all(rows.map((row) => Promise.all(via.flatMap((pivot) => Array.from({ length: copies }, (_, i) => roundTrip(row, pivot, i + 1)))))),
        notes: () => [provider.summary()],
      });
    },
  },
});
