/**
 * Rows → token-id examples → padded batches. The base model's own tokenizer.json encodes text
 * (special tokens from its post-processor); sequences are padded per batch to the longest row,
 * so short texts cost little.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tokenizer } from '@huggingface/tokenizers';
import { buildHfTokenizer } from '../core/tokenizers.js';
import type { Batch } from './model.js';

export interface Example {
  id: string;
  ids: Int32Array;
  /** sequence classification: the label index */
  label?: number;
  /** token classification: per-token label index, -100 where no loss is taken */
  tags?: Int32Array;
  /** causal LM: next-token targets per position, -100 on the prompt and padding */
  targets?: Int32Array;
  weight: number;
}

export const IGNORE = -100;

export class ModelTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    readonly json: string,
    readonly label: string,
  ) {}

  static async load(dir: string): Promise<ModelTokenizer> {
    const path = join(dir, 'tokenizer.json');
    if (!existsSync(path)) throw new Error(`${dir}: no tokenizer.json (train one with \`train_tokenizer\` or copy the model's)`);
    return ModelTokenizer.fromJson(readFileSync(path, 'utf8'), path);
  }

  static async fromJson(text: string, label: string): Promise<ModelTokenizer> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${label}: not JSON (${(e as Error).message})`);
    }
    return new ModelTokenizer(await buildHfTokenizer(json, {}, label), text, label);
  }

  /** ids 0 … n-1 of the vocabulary and added tokens */
  vocabSize(): number {
    const j = JSON.parse(this.json) as { model?: { vocab?: Record<string, number> | [string, number][] }; added_tokens?: { id: number }[] };
    const v = j.model?.vocab;
    const ids = Array.isArray(v) ? v.map((_, i) => i) : Object.values(v ?? {});
    for (const t of j.added_tokens ?? []) ids.push(t.id);
    return Math.max(...ids) + 1;
  }

  /** ids with the tokenizer's special tokens (BERT: [CLS] … [SEP]), cut to maxLen keeping the closing special token */
  encode(text: string, maxLen: number): { ids: number[]; typeIds: number[] } {
    const e = this.tok.encode(text, { add_special_tokens: true, return_token_type_ids: true });
    let ids = e.ids;
    let types = e.token_type_ids ?? ids.map(() => 0);
    if (ids.length > maxLen) {
      const last = ids[ids.length - 1];
      const closes = this.isSpecial(last);
      ids = closes ? [...ids.slice(0, maxLen - 1), last] : ids.slice(0, maxLen);
      types = closes ? [...types.slice(0, maxLen - 1), types[types.length - 1]] : types.slice(0, maxLen);
    }
    return { ids, typeIds: types };
  }

  /** ids without special tokens (words of a token-classification row, LM text) */
  pieces(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  id(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  isSpecial(id: number): boolean {
    return this.tok.get_added_tokens_decoder().get(id)?.special === true;
  }

  decode(ids: number[]): string {
    return this.tok.decode(ids, { skip_special_tokens: true });
  }

  /** the end-of-text token of a GPT-2-style vocabulary, else the separator */
  eos(): number | undefined {
    return this.id('<|endoftext|>') ?? this.id('</s>') ?? this.id('[SEP]');
  }
}

/** Whitespace words of a text with their character offsets (for span → word tags). */
export function words(text: string): { word: string; start: number; end: number }[] {
  const out: { word: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(/\S+/g)) out.push({ word: m[0], start: m.index!, end: m.index! + m[0].length });
  return out;
}

/** BIO tags of whitespace words from character spans `{start, end, label}` (JS string offsets). */
export function spansToTags(text: string, spans: { start: number; end: number; label: string }[]): { words: string[]; tags: string[] } {
  const ws = words(text);
  const tags = ws.map(() => 'O');
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    let first = true;
    ws.forEach((w, i) => {
      if (w.end <= s.start || w.start >= s.end || tags[i] !== 'O') return;
      tags[i] = `${first ? 'B' : 'I'}-${s.label}`;
      first = false;
    });
  }
  return { words: ws.map((w) => w.word), tags };
}

/**
 * Token-classification ids: [CLS] w1-pieces … [SEP] with the word's tag on its first piece
 * and -100 on the rest (Transformers' run_ner default).
 */
export function encodeWords(tok: ModelTokenizer, ws: string[], tags: number[], maxLen: number): { ids: number[]; tags: number[] } {
  const cls = tok.id('[CLS]');
  const sep = tok.id('[SEP]');
  const ids: number[] = cls === undefined ? [] : [cls];
  const out: number[] = cls === undefined ? [] : [IGNORE];
  const room = maxLen - (sep === undefined ? 0 : 1);
  for (let i = 0; i < ws.length; i++) {
    const p = tok.pieces(ws[i]);
    if (ids.length + p.length > room) break;
    p.forEach((id, j) => {
      ids.push(id);
      out.push(j === 0 ? tags[i] : IGNORE);
    });
  }
  if (sep !== undefined) {
    ids.push(sep);
    out.push(IGNORE);
  }
  return { ids, tags: out };
}

/** A batch padded to its longest example, plus the targets the task's loss needs. */
export function collate(examples: Example[], padId: number): { batch: Batch; labels?: Int32Array; tags?: Int32Array; targets?: Int32Array; weights: Float32Array } {
  const B = examples.length;
  const T = Math.max(1, ...examples.map((e) => e.ids.length));
  const ids = new Int32Array(B * T).fill(padId);
  const mask = new Int32Array(B * T);
  const weights = new Float32Array(B);
  const hasTags = examples[0]?.tags !== undefined;
  const hasTargets = examples[0]?.targets !== undefined;
  const tags = hasTags ? new Int32Array(B * T).fill(IGNORE) : undefined;
  const targets = hasTargets ? new Int32Array(B * T).fill(IGNORE) : undefined;
  const labels = examples[0]?.label !== undefined ? new Int32Array(B) : undefined;
  examples.forEach((e, i) => {
    ids.set(e.ids, i * T);
    mask.fill(1, i * T, i * T + e.ids.length);
    weights[i] = e.weight;
    if (labels) labels[i] = e.label!;
    if (tags) tags.set(e.tags!, i * T);
    if (targets) targets.set(e.targets!, i * T);
  });
  return { batch: { ids, mask, batch: B, seq: T }, labels, tags, targets, weights };
}
