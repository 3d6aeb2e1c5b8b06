import { requireColumns } from '../common.js';
import { defineOp, type Row } from '../types.js';
import { checkAugmentParams, FILTER_PARAMS, LINEAGE_DOC, LINEAGE_PARAMS, lineageSchema, runAugment, type Variant } from './common.js';
import { checkProviderParams, checkTemplate, PROVIDER_PARAMS, providerFor, providerPermissions, render, type ChatMessage, type Completion } from './providers.js';

export const defaultParaphrasePrompt = (column: string) =>
  `Paraphrase the following text. Keep its meaning, language, tone, names and numbers; change the wording. Answer with the paraphrase only.\n\n{{${column}}}`;

/** A provider's answer as a copy's new text, or why it cannot be one. */
export function answerText(c: Completion, what: string, params: Record<string, unknown>): { text: string } | { problem: { reason: string; detail: string } } {
  const text = c.text.trim();
  if (c.finish === 'length') return { problem: { reason: 'truncated answer', detail: `${what} stopped at max_tokens (${String(params.max_tokens)})` } };
  if (c.finish === 'content_filter') return { problem: { reason: 'refused', detail: `${what} was withheld by the provider's content filter` } };
  if (!text) return { problem: { reason: 'empty answer', detail: `${what} was empty${c.finish ? ` (finish_reason ${c.finish})` : ''}` } };
  return { text };
}

export const paraphrase = defineOp({
  name: 'paraphrase',
  version: 1,
  kind: 'global',
  summary: 'LLM paraphrases of a text column through an OpenAI-compatible server; every call memoized, copies filtered, lineage kept',
  doc: [
    '`paraphrase text model: "gpt-4o-mini" copies: 2` asks the model for `copies` paraphrases of each row\'s `text` and adds them as copies with the paraphrase in that column. `prompt` is a template: `{{column}}` placeholders are filled from the row and checked against the input\'s columns before anything runs (default: an instruction to paraphrase, then `{{text}}`); `system` adds a system message (placeholders allowed).',
    'Provider: `base_url` of any OpenAI-compatible server (`…/v1`; POST /v1/chat/completions), `model`, `api_key: env("OPENAI_API_KEY")` (never stored), `temperature` (default 0.7: copies differ), `max_tokens`. Copy k of a row is sent with `seed: k`. At most `rate` requests per second and `concurrency` at once; 429, 5xx and network errors are retried `retries` times with exponential backoff from `backoff` (or after Retry-After); when they run out the run fails, saying whether the server could not be reached at all. Other 4xx answers fail at once. Needs `--allow-net=HOST`.',
    'Memo: every answer is stored as it arrives in the run\'s cache (`.ftr/memo/<hash of op, provider, model, sampling, prompts>/responses.jsonl` by default, under `--cache-dir` when given), keyed by the sha256 of the exact request, and looked up before any request: a re-run, a run with other filters, or a run after an interruption (Ctrl-C, a crash, a 500 storm) sends only the requests not yet answered. Delete the folder to ask again. `provider: local` generates in-process with a GPT-2-family model folder (`model_dir:`; Hugging Face layout or one a `pretrain arch: gpt2` cell wrote): greedy at temperature 0, seeded sampling otherwise, memoized the same way. Answers cut at max_tokens, withheld by a content filter or empty are rejected ("truncated answer", "refused", "empty answer").',
    LINEAGE_DOC,
  ].join(' '),
  params: [
    { name: 'column', type: { kind: 'column' }, positional: true, default: 'text', doc: 'the text column paraphrased (the copy holds the paraphrase there)' },
    { name: 'prompt', type: { kind: 'string' }, doc: 'prompt template with {{column}} placeholders (default: paraphrase {{text}}, answer only)' },
    { name: 'copies', type: { kind: 'count', min: 1 }, default: 1, doc: 'paraphrases asked per row (one request each)' },
    ...PROVIDER_PARAMS,
    ...LINEAGE_PARAMS,
    ...FILTER_PARAMS,
  ],
  describe: (p) => `paraphrase ${p.column as string} ×${p.copies as number} with ${(p.model ?? p.model_dir) as string}`,
  permissions: providerPermissions,
  schema(ctx) {
    const p = ctx.params;
    const column = p.column as string;
    requireColumns(ctx, 'column', [column]);
    checkProviderParams(ctx);
    const prompt = (p.prompt as string | undefined) ?? defaultParaphrasePrompt(column);
    checkTemplate(ctx, 'prompt', prompt, [], { any: [], columns: true, help: `put the row's text in it: "Rewrite this: {{${column}}}"` });
    if (p.system !== undefined) checkTemplate(ctx, 'system', p.system as string, []);
    checkAugmentParams(ctx);
    return lineageSchema(ctx.input!);
  },
  global: {
    parts: 'all',
    async run(input, params, ctx, out, extra) {
      const column = params.column as string;
      const prompt = (params.prompt as string | undefined) ?? defaultParaphrasePrompt(column);
      const system = params.system as string | undefined;
      const copies = params.copies as number;
      const provider = providerFor('paraphrase', params, { prompt, system: system ?? null }, ctx);
      const messages = (row: Row): ChatMessage[] => {
        const value = (name: string) => row[name];
        return [...(system !== undefined ? [{ role: 'system' as const, content: render(system, value) }] : []), { role: 'user', content: render(prompt, value) }];
      };
      await runAugment('paraphrase', input, params, ctx, out, extra, [column], {
        batch: ((params.concurrency as number) ?? 4) * 8,
        variants: (rows) =>
          Promise.all(
            rows.map((row) =>
              Promise.all(
                Array.from({ length: copies }, async (_, i): Promise<Variant> => {
                  const k = i + 1;
                  const answer = answerText(await provider.complete(messages(row), k), `paraphrase ${k}`, params);
                  const base = { tag: `para${k}`, augmentation: 'paraphrase' };
                  return 'problem' in answer ? { ...base, values: {}, problem: answer.problem } : { ...base, values: { [column]: answer.text } };
                }),
              ),
            ),
          ),
        notes: () => [provider.summary()],
      });
    },
  },
});
