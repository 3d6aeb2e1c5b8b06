import { existsSync, statSync } from 'node:fs';
import { defineOp, OpError, type Column, type GlobalOutput, type Row, type RowSet } from '../types.js';
import { requireColumns } from '../common.js';
import { MAIN_PART } from '../../runtime/store.js';
import { resolvePath } from '../sources/files.js';
import { cellText, ENCODINGS, loadEncoding, loadHfTokenizer, type EncodingName, type TextTokenizer } from './tokenizers.js';
import { truncateToTokens } from './truncate.js';
import { fmt, histogram, summarize } from './stats.js';

/** The column that holds the ids: `token_ids`, or `<into>_ids` when the count column is renamed. */
export function idsColumn(into: string): string {
  return into === 'tokens' ? 'token_ids' : `${into}_ids`;
}

/** The tokenizer a call names: a tokenizer.json, else an encoding (cl100k_base when neither is given). */
export async function tokenizerOf(params: Record<string, unknown>, baseDir: string): Promise<TextTokenizer> {
  const file = params.tokenizer_file as string | undefined;
  if (file === undefined) return loadEncoding(((params.tokenizer as EncodingName | undefined) ?? 'cl100k_base'));
  const { abs } = resolvePath(file, baseDir);
  if (!existsSync(abs)) {
    throw new OpError(`tokenize: tokenizer file not found: ${file} (paths are relative to the recipe; a file written by \`train_tokenizer\` must come from a cell upstream of this one)`);
  }
  const config = params.tokenizer_config as string | undefined;
  return loadHfTokenizer(abs, file, { configAbs: config === undefined ? undefined : resolvePath(config, baseDir).abs, configLabel: config, specials: params.special_tokens as boolean });
}

export const tokenize = defineOp({
  name: 'tokenize',
  version: 1,
  kind: 'global',
  summary: 'count the tokens of a text column with a real tokenizer (OpenAI encodings or a Hugging Face tokenizer.json); cap long rows',
  doc:
    'Adds a `tokens` column (`into:` renames it) holding the number of tokens of `column`. ' +
    '`tokenizer: o200k_base` picks one of the OpenAI encodings shipped with gpt-tokenizer (cl100k_base — the default —, o200k_base, p50k_base, r50k_base); text that spells a special token such as `<|endoftext|>` is counted as ordinary text. ' +
    '`tokenizer_file: "tok/tokenizer.json"` loads a Hugging Face tokenizer.json instead (BPE, WordPiece or Unigram, through @huggingface/tokenizers, pure JS; `tokenizer_config:` adds its tokenizer_config.json), for example one written by `train_tokenizer` in a cell upstream; its added tokens found in the text count as one token each, and `special_tokens` also counts what its post-processor adds ([CLS] … [SEP], <s> … </s>). ' +
    '`ids` also stores the token ids as a list in `token_ids` (`<into>_ids` when `into` is set). ' +
    'Null cells count 0 tokens; non-text values are counted as their JSON text. ' +
    '`max_tokens: 512` caps rows: `action: drop` (default) drops longer rows with reason "too many tokens" and the detail `812 tokens > 512 (cl100k_base)`; `action: truncate` keeps the longest prefix of the text, never splitting a character, whose own count is ≤ max_tokens, and `tokens` (and the ids) then describe that kept text. ' +
    'Truncation re-tokenizes prefixes of the original text instead of decoding the first N ids: with byte-level BPE (the OpenAI encodings, GPT-2-style tokenizer.json) one character can be spread over several tokens, so N ids can end inside a character (decoding would give U+FFFD there), and a normalizing or WordPiece tokenizer decodes to lowercased, re-spaced text rather than the original. Re-tokenized on its own, a prefix can merge differently at the cut than inside the full text, so the kept text may hold a token or two fewer than max_tokens. ' +
    'Notes, per split part: rows, tokens, mean, p50, p95 and max tokens per row, characters per token, a histogram of tokens per row in power-of-two buckets (counts before any cut), and the rows dropped or truncated. Rows keep their part and order.',
  params: [
    { name: 'column', type: { kind: 'column' }, positional: true, default: 'text', doc: 'the text column tokenized' },
    { name: 'tokenizer', type: { kind: 'enum', values: ENCODINGS }, doc: 'an OpenAI encoding: cl100k_base (default), o200k_base, p50k_base, r50k_base' },
    { name: 'tokenizer_file', type: { kind: 'path', access: 'read' }, doc: 'a Hugging Face tokenizer.json (BPE, WordPiece, Unigram), relative to the recipe' },
    { name: 'tokenizer_config', type: { kind: 'path', access: 'read' }, doc: "the tokenizer.json's tokenizer_config.json, if it needs one" },
    { name: 'special_tokens', type: { kind: 'bool' }, default: false, doc: "tokenizer_file only: also count the special tokens its post-processor adds ([CLS], [SEP], <s>…)" },
    { name: 'into', type: { kind: 'string' }, default: 'tokens', doc: 'name of the token-count column added' },
    { name: 'ids', type: { kind: 'bool' }, default: false, doc: 'also store the token ids (a list) in token_ids' },
    { name: 'max_tokens', type: { kind: 'count', min: 1 }, doc: 'rows with more tokens are dropped or truncated (see action)' },
    { name: 'action', type: { kind: 'enum', values: ['drop', 'truncate'] }, default: 'drop', doc: 'what max_tokens does to a longer row: drop it, or truncate its text' },
  ],
  describe: (p) => {
    const tok = p.tokenizer_file !== undefined ? String(p.tokenizer_file) : String(p.tokenizer ?? 'cl100k_base');
    return `tokenize ${String(p.column)} (${tok})${p.max_tokens !== undefined ? ` ${p.action as string} > ${fmt(p.max_tokens as number)}` : ''}`;
  },
  schema(ctx) {
    const p = ctx.params;
    const column = p.column as string;
    requireColumns(ctx, 'column', [column]);
    const col = ctx.input?.columns.find((c) => c.name === column);
    if (col && col.type !== 'string' && col.type !== 'any') {
      ctx.error('column', `\`${column}\` holds ${col.type} values, not text`, { help: 'tokenize a text column' });
    }
    if (p.tokenizer !== undefined && p.tokenizer_file !== undefined) {
      ctx.error('tokenizer_file', 'give `tokenizer` or `tokenizer_file`, not both', { help: '`tokenizer:` names an OpenAI encoding; `tokenizer_file:` a tokenizer.json' });
    }
    if (p.tokenizer_file === undefined) {
      if (p.tokenizer_config !== undefined) ctx.error('tokenizer_config', '`tokenizer_config` goes with `tokenizer_file`', { help: 'remove it, or load the tokenizer.json it belongs to with `tokenizer_file:`' });
      if (p.special_tokens) ctx.error('special_tokens', '`special_tokens` applies to a `tokenizer_file` only', { notes: ['the OpenAI encodings add no special tokens around a text'] });
    } else {
      // a missing file is not an error yet: `train_tokenizer` upstream may write it during the run
      const { abs } = resolvePath(p.tokenizer_file as string, ctx.baseDir);
      if (existsSync(abs) && !statSync(abs).isFile()) ctx.error('tokenizer_file', `\`${p.tokenizer_file as string}\` is a folder`, { help: 'name the tokenizer.json file inside it' });
    }
    if (p.tokenizer_config !== undefined) {
      const { abs } = resolvePath(p.tokenizer_config as string, ctx.baseDir);
      if (!existsSync(abs)) ctx.error('tokenizer_config', `file not found: \`${p.tokenizer_config as string}\``, { notes: ['paths are relative to the recipe file'] });
    }
    if (p.action === 'truncate' && p.max_tokens === undefined) ctx.error('action', '`truncate` needs `max_tokens`', { help: 'add `max_tokens: 512`' });
    const into = p.into as string;
    if (!into) ctx.error('into', 'the column name is empty');
    if (into === column) ctx.error('into', `\`into: ${into}\` would overwrite the text column`, { help: 'name the count column something else' });
    if (!ctx.input) return { columns: [] };
    const added: Column[] = [{ name: into, type: 'number' }];
    if (p.ids) added.push({ name: idsColumn(into), type: 'list' });
    const names = new Set(added.map((c) => c.name));
    return { ...ctx.input, columns: [...ctx.input.columns.filter((c) => !names.has(c.name)), ...added] };
  },
  global: {
    parts: 'all',
    async run(input, params, ctx, out, extra) {
      const tok = await tokenizerOf(params, ctx.baseDir);
      const column = params.column as string;
      const into = params.into as string;
      const idsCol = params.ids ? idsColumn(into) : undefined;
      const max = params.max_tokens as number | undefined;
      const truncate = params.action === 'truncate';
      // the parts, in order; called directly (no runtime), the input is one unnamed part
      const named = Object.keys(extra).filter((k) => k.startsWith('part:'));
      const parts: [string | undefined, RowSet][] = named.length ? named.map((k) => [k.slice(5), extra[k]]) : [[undefined, input]];
      let done = 0;
      for (const [part, rows] of parts) {
        const counts = new Float64Array(rows.count);
        let n = 0;
        let chars = 0;
        let tokensOut = 0;
        let dropped = 0;
        let truncated = 0;
        let noText = 0;
        let nonText = 0;
        for await (const row of rows.rows()) {
          const v = row[column];
          const text = cellText(v);
          if (text === undefined) noText++;
          else if (typeof v !== 'string') nonText++;
          let ids: number[] | undefined;
          let count: number;
          if (idsCol) count = (ids = tok.encode(text ?? '')).length;
          else count = tok.count(text ?? '');
          if (n < counts.length) counts[n] = count;
          n++;
          chars += text?.length ?? 0;
          let outRow: Row;
          if (max !== undefined && count > max) {
            const cut = truncate ? truncateToTokens(text!, max, tok, count) : undefined;
            if (!cut) {
              dropped++;
              const why = truncate ? `; even the empty text has ${fmt(tok.count(''))}` : '';
              await out.drop(row, 'too many tokens', `${fmt(count)} tokens > ${fmt(max)} (${tok.label})${why}`);
              if (++done % 1000 === 0) ctx.progress(done);
              continue;
            }
            truncated++;
            tokensOut += cut.tokens;
            outRow = { ...row, [column]: cut.text, [into]: cut.tokens };
            if (idsCol) outRow[idsCol] = tok.encode(cut.text);
          } else {
            tokensOut += count;
            outRow = { ...row, [into]: count };
            if (idsCol) outRow[idsCol] = ids!;
          }
          await out.emit(outRow, part);
          if (++done % 1000 === 0) ctx.progress(done);
        }
        noteSummary(out, { part, tok, counts: counts.subarray(0, Math.min(n, counts.length)), max, truncate, dropped, truncated, chars, tokensOut, noText, nonText, column });
      }
    },
  },
});

interface PartReport {
  part?: string;
  tok: TextTokenizer;
  counts: Float64Array;
  max?: number;
  truncate: boolean;
  dropped: number;
  truncated: number;
  chars: number;
  tokensOut: number;
  noText: number;
  nonText: number;
  column: string;
}

function noteSummary(out: GlobalOutput, r: PartReport): void {
  const note = (line: string) => out.note(line);
  const s = summarize(r.counts);
  const where = r.part && r.part !== MAIN_PART ? `${r.part}: ` : '';
  out.metric?.(r.part && r.part !== MAIN_PART ? `tokens:${r.part}` : 'tokens', {
    tokenizer: r.tok.label,
    rows: s.count,
    tokens: s.total,
    mean: s.count ? s.mean : null,
    p50: s.count ? s.p50 : null,
    p95: s.count ? s.p95 : null,
    max: s.count ? s.max : null,
    chars_per_token: s.total ? r.chars / s.total : null,
    over_max: r.max === undefined ? null : { max: r.max, truncated: r.truncated, dropped: r.dropped, tokens_kept: r.tokensOut },
    no_text: r.noText,
    non_text: r.nonText,
  });
  if (!s.count) {
    note(`${where}no rows (${r.tok.label})`);
    return;
  }
  const cpt = s.total ? (r.chars / s.total).toFixed(2) : '–';
  note(`${where}${fmt(s.count)} rows, ${fmt(s.total)} tokens (${r.tok.label}) · per row mean ${(Math.round(s.mean * 10) / 10).toLocaleString('en-US')} · p50 ${fmt(s.p50)} · p95 ${fmt(s.p95)} · max ${fmt(s.max)} · ${cpt} chars/token`);
  for (const line of histogram(r.counts)) note(line);
  if (r.max !== undefined) {
    const pct = (k: number) => `${((100 * k) / s.count).toFixed(1)}%`;
    const parts = [];
    if (r.truncate) parts.push(`${fmt(r.truncated)} truncated (${pct(r.truncated)})`);
    if (r.dropped || !r.truncate) parts.push(`${fmt(r.dropped)} dropped (${pct(r.dropped)})`);
    note(`${where}over ${fmt(r.max)} tokens: ${parts.join(', ')}; ${fmt(r.tokensOut)} tokens kept`);
  }
  if (r.noText) note(`${where}${fmt(r.noText)} row${r.noText === 1 ? '' : 's'} without text in \`${r.column}\` (0 tokens)`);
  if (r.nonText) note(`${where}${fmt(r.nonText)} row${r.nonText === 1 ? '' : 's'} with a non-text \`${r.column}\`, counted as JSON`);
}
