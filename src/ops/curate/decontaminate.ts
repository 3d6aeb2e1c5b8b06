import { isDynamicPattern } from 'tinyglobby';
import { defineOp, OpError, type RowSet } from '../types.js';
import { requireColumns } from '../common.js';
import { matchFiles } from '../sources/files.js';
import { readLines } from '../sources/lines.js';
import { didYouMean } from '../../parser/suggest.js';
import { fmix32, hashString, KeyTable, wordsOf } from './minhash.js';

/** Two 32-bit hashes of each word, computed once per text. */
export function wordHashes(words: string[]): [Uint32Array, Uint32Array] {
  const a = new Uint32Array(words.length);
  const b = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    a[i] = hashString(words[i], 0x1b873593);
    b[i] = hashString(words[i], 0x2545f491);
  }
  return [a, b];
}

/** A 64-bit key for the n-gram words[from, from + n), from the words' two hashes. */
export function ngramKey([a, b]: [Uint32Array, Uint32Array], from: number, n: number): [number, number] {
  let h1 = 0x3c6ef372 ^ n;
  let h2 = (0xa54ff53a + n) | 0;
  for (let t = from; t < from + n; t++) {
    h1 = Math.imul(h1 ^ a[t], 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul((h2 + b[t]) | 0, 0x9e3779b1) ^ (h2 >>> 13);
  }
  return [fmix32(h1), fmix32(h2)];
}

/** One item of an evaluation set: its label (for the reject detail) and the set it belongs to. */
interface EvalItem {
  set: number;
  label: string;
}

/**
 * The n-gram index of the evaluation sets: every word n-gram of every item (items shorter than
 * n words but with at least `minWords` words count as one n-gram of all their words).
 */
export class NgramIndex {
  readonly table = new KeyTable(1 << 12);
  readonly items: EvalItem[] = [];
  /** lengths (< n) of short items indexed whole */
  readonly shortLengths = new Set<number>();
  ngrams: number[] = [];
  itemsPerSet: number[] = [];
  skippedShort: number[] = [];

  constructor(readonly n: number, readonly minWords: number) {}

  addSet(): number {
    this.ngrams.push(0);
    this.itemsPerSet.push(0);
    this.skippedShort.push(0);
    return this.ngrams.length - 1;
  }

  add(set: number, label: string, text: string): void {
    const words = wordsOf(text);
    const n = this.n;
    this.itemsPerSet[set]++;
    if (words.length < Math.min(n, this.minWords)) {
      this.skippedShort[set]++;
      return;
    }
    const item = this.items.length;
    this.items.push({ set, label });
    const h = wordHashes(words);
    if (words.length < n) {
      this.shortLengths.add(words.length);
      this.put(set, ngramKey(h, 0, words.length), item);
      return;
    }
    for (let i = 0; i + n <= words.length; i++) this.put(set, ngramKey(h, i, n), item);
  }

  private put(set: number, [hi, lo]: [number, number], item: number): void {
    if (this.table.setIfAbsent(hi, lo, item) === item) this.ngrams[set]++;
  }

  /** The first shared n-gram of a text: the eval item and where it is in the text's words. */
  match(text: string): { item: number; words: string[]; at: number; len: number } | undefined {
    const words = wordsOf(text);
    const h = wordHashes(words);
    const lengths = [this.n, ...this.shortLengths];
    for (let i = 0; i < words.length; i++) {
      for (const len of lengths) {
        if (i + len > words.length) continue;
        const [hi, lo] = ngramKey(h, i, len);
        const item = this.table.get(hi, lo);
        if (item !== -1) return { item, words, at: i, len };
      }
    }
    return undefined;
  }
}

/** The text of an eval record: the named fields, or every string field when none is named. */
export function evalText(record: Record<string, unknown>, fields: string[] | undefined): string {
  if (fields) {
    return fields
      .map((f) => record[f])
      .filter((v) => v !== null && v !== undefined)
      .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
      .join('\n');
  }
  return Object.entries(record)
    .filter(([k, v]) => typeof v === 'string' && k !== 'id' && k !== 'source')
    .map(([, v]) => v as string)
    .join('\n');
}

const fmt = (n: number) => n.toLocaleString('en-US');

export const decontaminate = defineOp({
  name: 'decontaminate',
  version: 1,
  kind: 'global',
  summary: 'drop training rows that share a word n-gram (13 by default) with evaluation sets',
  doc:
    '`decontaminate mmlu, gsm8k` (cells) or `decontaminate files: "evals/*.jsonl"` (JSON Lines: one item per line; any other file: one item per non-empty line). ' +
    'Texts are simplified (lowercase, digits → 0, punctuation → space, accents dropped) and cut into word n-grams; a training row that shares any n-gram with an eval item is dropped with reason "contaminated", the eval set, the item and the first words of the shared n-gram. ' +
    'n = 13 follows the GPT-3 and NeMo Curator decontamination; eval items shorter than n words count as one n-gram of all their words when they have at least `min_words` words (GPT-3 used n = 8 … 13), shorter ones are skipped and counted. ' +
    'Eval items are read from `fields` (default: `text` when the item has it, otherwise every string field, so question and answer both count). ' +
    'Memory: 12–24 bytes per distinct eval n-gram; training rows stream through once.',
  params: [
    { name: 'against', type: { kind: 'list', of: { kind: 'dataset' } }, positional: true, variadic: true, doc: 'cells holding evaluation sets' },
    { name: 'files', type: { kind: 'list', of: { kind: 'path', glob: true } }, doc: 'evaluation files or globs (JSON Lines or text), relative to the recipe; each file is one set' },
    { name: 'columns', type: { kind: 'columns' }, default: ['text'], doc: 'training columns checked (each on its own)' },
    { name: 'fields', type: { kind: 'list', of: { kind: 'string' } }, doc: 'eval fields to read (default: text, or every string field)' },
    { name: 'n', type: { kind: 'number', integer: true, min: 1, max: 100 }, default: 13, doc: 'n-gram length in words' },
    { name: 'min_words', type: { kind: 'number', integer: true, min: 1 }, default: 8, doc: 'eval items shorter than n words are used whole when they have at least this many words' },
  ],
  describe: (p) => `decontaminate ${[...((p.against as string[] | undefined) ?? []), ...((p.files as string[] | undefined) ?? [])].join(', ')}`,
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'columns', p.columns as string[]);
    const against = (p.against as string[] | undefined) ?? [];
    const files = (p.files as string[] | undefined) ?? [];
    if (!against.length && !files.length) {
      ctx.error(undefined, '`decontaminate` needs evaluation sets', { help: 'name cells (`decontaminate mmlu, gsm8k`) or files (`files: "evals/*.jsonl"`)' });
    }
    for (const pattern of files) {
      if (!matchFiles(pattern, ctx.baseDir).length) {
        ctx.error('files', isDynamicPattern(pattern) ? `no files match \`${pattern}\`` : `file not found: \`${pattern}\``, { notes: ['paths are relative to the recipe file'] });
      }
    }
    const fields = p.fields as string[] | undefined;
    for (const [key, schema] of Object.entries(ctx.datasets)) {
      if (schema.open) continue;
      const have = schema.columns.map((c) => c.name);
      if (fields) {
        for (const f of fields) {
          if (!have.includes(f)) ctx.error('fields', `eval set \`${against[Number(/\d+/.exec(key)?.[0] ?? 0)]}\` has no column \`${f}\``, { notes: [`its columns: ${have.join(', ')}`], help: didYouMean(f, have) });
        }
      } else if (!schema.columns.some((c) => c.name !== 'id' && c.name !== 'source' && (c.type === 'string' || c.type === 'any'))) {
        ctx.error('against', `eval set \`${against[Number(/\d+/.exec(key)?.[0] ?? 0)]}\` has no text column`);
      }
    }
    return ctx.input!;
  },
  global: {
    parts: 'each',
    async run(input, params, ctx, out, extra) {
      const n = params.n as number;
      const columns = params.columns as string[];
      const fields = params.fields as string[] | undefined;
      const index = new NgramIndex(n, params.min_words as number);
      const names: string[] = [];
      const pick = (rec: Record<string, unknown>) => (fields ? evalText(rec, fields) : typeof rec.text === 'string' ? rec.text : evalText(rec, undefined));

      // eval sets: cells first (in the order given), then files (sorted within each glob)
      const against = (params.against as string[] | undefined) ?? [];
      for (const [k, name] of against.entries()) {
        const rows: RowSet | undefined = extra[`against[${k}]`] ?? (against.length === 1 ? extra.against : undefined);
        if (!rows) throw new OpError(`decontaminate: eval set ${name} was not delivered`);
        const set = index.addSet();
        names.push(name);
        for await (const row of rows.rows()) index.add(set, String(row.id), pick(row));
      }
      const seen = new Set<string>();
      for (const pattern of (params.files as string[] | undefined) ?? []) {
        const files = matchFiles(pattern, ctx.baseDir);
        if (!files.length) throw new OpError(`decontaminate: no files match \`${pattern}\``);
        for (const f of files) {
          if (seen.has(f.path)) continue;
          seen.add(f.path);
          const set = index.addSet();
          names.push(f.label);
          const jsonl = /\.(jsonl|ndjson)(\.gz)?$/i.test(f.path);
          for await (const line of readLines(f.path)) {
            if ('error' in line) throw new OpError(`${f.label}:${line.line}: ${line.error}`);
            if (!line.text.trim()) continue;
            if (!jsonl) {
              index.add(set, `${f.label}:${line.line}`, line.text);
              continue;
            }
            let rec: unknown;
            try {
              rec = JSON.parse(line.text);
            } catch {
              throw new OpError(`${f.label}:${line.line}: not valid JSON`);
            }
            if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new OpError(`${f.label}:${line.line}: not a JSON object`);
            const r = rec as Record<string, unknown>;
            const id = typeof r.id === 'string' || typeof r.id === 'number' ? `${f.label}#${r.id}` : `${f.label}:${line.line}`;
            index.add(set, id, pick(r));
          }
        }
      }
      for (const [s, name] of names.entries()) {
        const skipped = index.skippedShort[s] ? `, ${fmt(index.skippedShort[s])} shorter than ${Math.min(n, index.minWords)} words skipped` : '';
        const line = `eval set ${name}: ${fmt(index.itemsPerSet[s])} item${index.itemsPerSet[s] === 1 ? '' : 's'}, ${fmt(index.ngrams[s])} distinct ${n}-grams${skipped}`;
        ctx.log(line);
        out.note(line);
      }

      // training rows stream through once
      const droppedPer = names.map(() => 0);
      let checked = 0;
      for await (const row of input.rows()) {
        checked++;
        let hit: ReturnType<NgramIndex['match']>;
        let col = '';
        for (const c of columns) {
          const v = row[c];
          if (typeof v !== 'string' || !v) continue;
          hit = index.match(v);
          if (hit) {
            col = c;
            break;
          }
        }
        if (checked % 1000 === 0) ctx.progress(checked);
        if (!hit) {
          await out.emit(row);
          continue;
        }
        const item = index.items[hit.item];
        droppedPer[item.set]++;
        const shown = hit.words.slice(hit.at, hit.at + Math.min(hit.len, 8)).join(' ') + (hit.len > 8 ? ' …' : '');
        const where = columns.length > 1 ? ` in ${col}` : '';
        await out.drop(row, 'contaminated', `shares ${hit.len}-gram "${shown}"${where} with ${names[item.set]} (item ${item.label}; n = ${n})`);
      }
      const total = droppedPer.reduce((a, b) => a + b, 0);
      out.metric?.('rows_checked', checked);
      out.metric?.('dropped', total);
      out.metric?.('dropped_per_set', Object.fromEntries(names.map((name, s) => [name, droppedPer[s]])));
      out.metric?.('n', n);
      out.note(`${fmt(checked)} rows checked against ${names.length} eval set${names.length === 1 ? '' : 's'} (${n}-grams): ${fmt(total)} dropped`);
      for (const [s, name] of names.entries()) out.note(`  ${name}: ${fmt(droppedPer[s])} row${droppedPer[s] === 1 ? '' : 's'} dropped`);
    },
  },
});
