import { basename, dirname, join, relative, resolve } from 'node:path';
import { ByteWriter, parquetWriteRows } from 'hyparquet-writer';
import { defineOp, OpError, type OpContext, type Params, type Row, type RowSet, type Schema, type SchemaContext } from '../types.js';
import { isNested, mergeShapes, nestedValue, schemaElements, shapeOf, writable, type SchemaElement, type Shape } from './parquet-nested.js';
import { CARD_FILE, loadTokenCounter, PartStats, renderCard, SOURCES_FILE, sourcesManifest, type CardPart, type TokenCounter } from './card.js';
import { columnsRead, csvLine, EXTENSION, FORMAT_PARAMS, FORMATS, mappingHelp, mapRow, ParquetTypeGuess, parquetValue, planOf, typeProblem, type Format, type ParquetType, type Plan } from './formats.js';
import { shuffled } from '../shuffle.js';
import { isFilePath, prepareFile, targetsOf, writeTextFile, type ByteSink, type Prepared } from './output.js';

const DATA_EXT = /\.(jsonl|csv|parquet)$/i;

/** The label column the card reports on: `label:`, else a `label` column. */
function labelColumnOf(params: Params, schema: Schema | undefined): string | undefined {
  if (params.label !== undefined) return params.label as string;
  return schema?.columns.some((c) => c.name === 'label') ? 'label' : undefined;
}

function checkSchema(ctx: SchemaContext): Schema {
  const params = ctx.params;
  const format = params.format as Format;
  const path = params.path as string;
  const ext = EXTENSION[format];
  const input = ctx.input!;
  if (DATA_EXT.test(path) && !isFilePath(path, ext)) {
    ctx.error('path', `format ${format} writes ${ext} files, but \`${path}\` names a ${path.slice(path.lastIndexOf('.'))} file`, {
      help: `write "${path.replace(DATA_EXT, ext)}", or a folder ("${dirname(path)}/")`,
    });
  }
  if (input.parts && isFilePath(path, ext)) {
    ctx.error('path', `a dataset with parts (${input.parts.join(', ')}) is written to a folder, one file per part`, { help: `write to "${dirname(path)}/"` });
  }
  for (const [param, formats] of Object.entries(FORMAT_PARAMS)) {
    if (params[param] !== undefined && !formats.includes(format)) {
      ctx.error(param, `\`${param}:\` applies to format${formats.length > 1 ? 's' : ''} ${formats.join(', ')}, not ${format}`, {
        help: format === 'jsonl' ? `choose the format: \`write "${path}" format: ${formats[0]} …\`` : `leave \`${param}:\` out`,
      });
    }
  }
  if (params.messages !== undefined && (params.user !== undefined || params.assistant !== undefined || params.system !== undefined)) {
    ctx.error('messages', '`messages:` passes a whole conversation through: it cannot be combined with `system:`, `user:` or `assistant:`', {
      help: 'either map single turns (`user: text assistant: label`) or pass a conversation column (`messages: messages`)',
    });
  }
  if (params.instruction !== undefined && params.instruction_text !== undefined) {
    ctx.error('instruction_text', '`instruction:` and `instruction_text:` both set the instruction', { help: 'keep one: a column (`instruction:`) or one fixed text (`instruction_text:`)' });
  }
  if (typeof params.system === 'string' && params.system.trim() === '') {
    ctx.error('system', 'the system prompt is empty', { help: 'leave `system:` out for no system turn' });
  }
  const plan = planOf(params, input);
  if (!input.open) {
    const have = new Map(input.columns.map((c) => [c.name, c.type]));
    const missing = columnsRead(plan).filter((r) => !have.has(r.column));
    if (missing.length) {
      const given = missing.find((m) => params[m.param] !== undefined);
      ctx.error(given ? given.param : 'format', `format ${format} needs ${missing.map((m) => `\`${m.column}\` (${m.param})`).join(' and ')}, which the input does not have`, {
        label: 'missing column',
        notes: [`input columns: ${input.columns.map((c) => c.name).join(', ') || '(none)'}`],
        help: mappingHelp(format),
      });
    }
    for (const r of columnsRead(plan)) {
      const t = have.get(r.column);
      const problem = t === undefined ? undefined : typeProblem(r.holds, t);
      if (problem) ctx.error(params[r.param] !== undefined ? r.param : 'format', `\`${r.column}\` (${r.param}) is ${problem}`, { help: mappingHelp(format) || undefined });
    }
  }
  const cols = params.columns as string[] | undefined;
  return cols ? { ...input, columns: input.columns.filter((c) => cols.includes(c.name)) } : input;
}

/** Per-part bookkeeping of rows that cannot be written in the format. */
class Invalid {
  readonly counts = new Map<string, number>();
  first?: { id: unknown; reason: string };
  total = 0;

  add(row: Row, reason: string): void {
    this.total++;
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.first ??= { id: row.id, reason };
  }

  summary(): string {
    return [...this.counts]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
      .map(([r, n]) => `${n} × ${r}`)
      .join('; ');
  }
}

function invalidError(part: string, format: Format, bad: Invalid): OpError {
  const where = part === 'rows' ? '' : ` of part \`${part}\``;
  const first = bad.first?.id !== undefined && bad.first.id !== null ? ` (first: row ${JSON.stringify(bad.first.id)})` : '';
  return new OpError(
    `${bad.total} row${bad.total === 1 ? '' : 's'}${where} cannot be written as ${format}: ${bad.summary()}${first}\n` +
      `help: fix or drop them upstream (a \`keep\` or \`drop\` step), map other columns, or add \`skip_invalid\` to leave them out (counted in the log and the card)`,
  );
}

/** Columns of the generic formats: `columns:`, else the schema's, else (an open schema) every key seen, in order. */
async function columnsOf(parts: Record<string, RowSet>, params: Params, schema: Schema): Promise<string[]> {
  if (params.columns) return params.columns as string[];
  if (!schema.open && schema.columns.length) return schema.columns.map((c) => c.name);
  const seen = new Set<string>(schema.columns.map((c) => c.name));
  for (const rows of Object.values(parts)) for await (const row of rows.rows()) for (const k of Object.keys(row)) seen.add(k);
  return [...seen];
}

type Emit = (out: ByteSink, rows: AsyncIterable<{ row: Row; record: Row }>) => Promise<void>;

/** Write one part to its temp file: map each row, count or fail on rows the format cannot hold, gather card stats. */
async function writePart(
  dest: string,
  part: string,
  rows: RowSet,
  plan: Plan,
  ctx: OpContext,
  opts: { skipInvalid: boolean; stats?: PartStats; emit: Emit },
): Promise<Prepared<{ rows: number; invalid: Invalid }>> {
  const bad = new Invalid();
  let n = 0;
  return prepareFile(dest, async (out) => {
    async function* mapped(): AsyncIterable<{ row: Row; record: Row }> {
      for await (const row of rows.rows()) {
        const m = mapRow(plan, row);
        if ('invalid' in m) {
          bad.add(row, m.invalid);
          opts.stats?.skip(m.invalid);
          continue;
        }
        opts.stats?.add(row, m);
        if (++n % 1000 === 0) ctx.progress(n);
        yield { row, record: m.record };
      }
    }
    await opts.emit(out, mapped());
    if (bad.total && !opts.skipInvalid) throw invalidError(part, plan.format, bad);
    return { rows: n, invalid: bad };
  });
}

const jsonLines: Emit = async (out, rows) => {
  for await (const { record } of rows) await out.write(JSON.stringify(record) + '\n');
};

function csvRows(columns: string[]): Emit {
  return async (out, rows) => {
    await out.write(csvLine(columns));
    for await (const { record } of rows) await out.write(csvLine(columns.map((c) => record[c])));
  };
}

/** Parquet through hyparquet-writer, streamed a row group at a time into the atomic file. */
function parquetRows(columns: string[], types: ParquetType[], shapes: (Shape | undefined)[]): Emit {
  return async (out, rows) => {
    const writer = new ByteWriter();
    const drain = async () => {
      if (!writer.index) return;
      const bytes = new Uint8Array(writer.buffer, 0, writer.index).slice();
      writer.index = 0;
      await out.write(bytes);
    };
    Object.assign(writer, { flush: drain, finish: drain });
    async function* values(): AsyncIterable<Row> {
      for await (const { record } of rows) yield Object.fromEntries(columns.map((c, i) => [c, shapes[i] ? nestedValue(record[c], shapes[i]!) : parquetValue(record[c], types[i])]));
    }
    if (shapes.some(Boolean)) {
      // lists and records as Parquet groups: the schema is spelled out (the writer infers flat columns only)
      const schema = [{ name: 'root', num_children: columns.length }, ...columns.flatMap((name, i) => (shapes[i] ? schemaElements(name, shapes[i]!) : [flatElement(name, types[i])]))];
      await parquetWriteRows({ writer, rows: values(), columns: columns.map((name) => ({ name })), schema: schema as never, rowGroupSize: [100_000] });
    } else {
      await parquetWriteRows({ writer, rows: values(), columns: columns.map((name, i) => ({ name, type: types[i], nullable: true })), rowGroupSize: [100_000] });
    }
  };
}

/** A flat column's schema element, as hyparquet-writer makes it for a basic type. */
function flatElement(name: string, type: ParquetType): SchemaElement {
  if (type === 'JSON') return { name, type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' };
  return schemaElements(name, { kind: 'scalar', type })[0];
}

/**
 * Parquet column types, from every value written (all parts, so the parts share one schema), and
 * for columns of lists or records their nested shape (undefined: a flat column).
 */
async function parquetTypes(parts: Record<string, RowSet>, plan: Plan, columns: string[], schema: Schema): Promise<{ types: ParquetType[]; shapes: (Shape | undefined)[] }> {
  const guesses = columns.map(() => new ParquetTypeGuess());
  const merged: Shape[] = columns.map(() => ({ kind: 'null' }));
  for (const rows of Object.values(parts)) {
    for await (const row of rows.rows()) {
      const m = mapRow(plan, row);
      if ('invalid' in m) continue;
      columns.forEach((c, i) => {
        guesses[i].add(m.record[c]);
        merged[i] = mergeShapes(merged[i], shapeOf(m.record[c]));
      });
    }
  }
  const types = columns.map((c, i) => guesses[i].type(schema.columns.find((x) => x.name === c)?.type));
  // a column whose values share no shape (a list here, a string there) stays JSON text
  const shapes = merged.map((s) => (isNested(s) && writable(s) ? s : undefined));
  return { types, shapes };
}

export const write = defineOp({
  name: 'write',
  version: 2,
  kind: 'sink',
  random: true,
  // the card reports the whole run (recipe hash, counts): a changed run rewrites it
  usesRun: (p) => Boolean(p.card),
  summary: 'write a dataset: one file per part (train, val, test) as JSONL, chat, alpaca, sharegpt, classification, CSV or Parquet, with an optional dataset card',
  doc:
    '`write "out/"` writes each part of a split to its own file in the folder (a single dataset to `<cell>.jsonl`); `write "out/data.jsonl"` names the file of a single dataset. Files are replaced atomically and their sha256 is reported. ' +
    '`format:` picks the layout: `jsonl` (rows as they are, the default), `chat` (`{"messages": [{"role", "content"}]}` from `system:`, `user:` (default text) and `assistant:` (default label), or a `messages` column passed through and validated), `alpaca` (`{"instruction", "input", "output"}`), `sharegpt` (`{"conversations": [{"from", "value"}]}`), `classification` (`{"text", "label"}`, plus `weight` when the input has a weight column), `csv` (RFC 4180, header row; nested values as JSON) or `parquet` (types from the values). ' +
    'Each part is shuffled with the recipe seed by default (a split keeps source order otherwise: all tickets, then all FAQ rows); the order comes from the seed and each row\'s id, so it is the same on every run and adding rows only moves the new ones in, and memory stays bounded (a part is read once per 200,000 rows). `shuffle: false` keeps the order. ' +
    'Rows a format cannot hold (an empty turn, an unknown role) fail the write, naming the first; `skip_invalid` leaves them out and counts them. ' +
    '`card` also writes the dataset card README.md — YAML front matter the Hub reads (configs with each part\'s file as a split, license, task_categories, language, size_categories), recipe and sha256, seed and params, source files summarised by folder (all of them with their sha256 in SOURCES.sha256), each cell\'s rows and drops by reason, the bias report when a `bias_report` step ran, and per part rows (saying how many are oversampled copies), labels, cl100k_base token stats, fields and file sha256.',
  params: [
    { name: 'path', type: { kind: 'path', access: 'write' }, required: true, positional: true, doc: 'output folder, or a .jsonl file for a single dataset' },
    { name: 'format', type: { kind: 'enum', values: FORMATS }, default: 'jsonl', doc: 'file layout: jsonl, chat, alpaca, sharegpt, classification, csv or parquet (a single dataset\'s file then ends in .csv or .parquet)' },
    { name: 'columns', type: { kind: 'columns' }, doc: 'columns to write, in this order (jsonl, csv, parquet; default: all)' },
    { name: 'system', type: { kind: 'string' }, doc: 'system prompt put first in every conversation (chat, sharegpt)' },
    { name: 'user', type: { kind: 'column' }, doc: 'column holding the user turn (chat, sharegpt; default text)' },
    { name: 'assistant', type: { kind: 'column' }, doc: 'column holding the assistant reply (chat, sharegpt; default label)' },
    { name: 'messages', type: { kind: 'column' }, doc: 'column holding whole conversations [{role, content}], passed through and validated (chat, sharegpt; default: a messages column)' },
    { name: 'instruction', type: { kind: 'column' }, doc: 'column holding the instruction (alpaca; default instruction)' },
    { name: 'instruction_text', type: { kind: 'string' }, doc: 'one fixed instruction for every row, instead of a column (alpaca)' },
    { name: 'input', type: { kind: 'column' }, doc: 'column holding the input (alpaca; default: an input column, else "")' },
    { name: 'output', type: { kind: 'column' }, doc: 'column holding the output (alpaca; default output)' },
    { name: 'text', type: { kind: 'column' }, doc: 'column holding the text (classification; default text)' },
    { name: 'label', type: { kind: 'column' }, doc: 'label column: the label of classification, and the card\'s label distribution (default label)' },
    { name: 'weight', type: { kind: 'column' }, doc: 'column holding a row weight (classification; default: a weight column, if any)' },
    { name: 'skip_invalid', type: { kind: 'bool' }, default: false, doc: 'leave out rows the format cannot hold, counting them, instead of failing' },
    { name: 'shuffle', type: { kind: 'bool' }, default: true, doc: 'write each part in a seeded random order (from the recipe seed and the row ids); `shuffle: false` keeps the order rows arrive in' },
    { name: 'card', type: { kind: 'bool' }, default: false, doc: 'also write a dataset card README.md (Hub YAML front matter) and SOURCES.sha256 next to the files, generated from the run' },
    { name: 'license', type: { kind: 'string' }, doc: "card: the data's license as a Hub license id (cc-by-4.0, mit, other…); default unknown" },
    { name: 'language', type: { kind: 'list', of: { kind: 'string' } }, doc: 'card: the languages of the text, ISO 639-1 codes (["en", "de"])' },
  ],
  describe: (p) => `write ${p.path}${p.format && p.format !== 'jsonl' ? ` as ${p.format}` : ''}${p.card ? ' + card' : ''}`,
  schema: checkSchema,
  sink: {
    async write(parts, params, ctx) {
      const format = (params.format as Format | undefined) ?? 'jsonl';
      const path = params.path as string;
      const ext = EXTENSION[format];
      let plan = planOf(params, ctx.schema);
      const targets = targetsOf(Object.keys(parts), path, ctx.cell, ctx.baseDir, ext);
      const skipInvalid = params.skip_invalid === true;
      const labelColumn = labelColumnOf(params, ctx.schema);
      const counter: TokenCounter | undefined = params.card ? await loadTokenCounter() : undefined;

      let emit: Emit = jsonLines;
      if (format === 'csv' || format === 'parquet') {
        const columns = await columnsOf(parts, params, ctx.schema);
        if (format === 'csv') emit = csvRows(columns);
        else {
          if (!columns.length) throw new OpError('nothing to write as Parquet: the dataset has no columns');
          const { types, shapes } = await parquetTypes(parts, { format, columns }, columns, ctx.schema);
          emit = parquetRows(columns, types, shapes);
        }
        // the generic formats write exactly these columns
        plan = { format, columns };
      }

      // every part is written before any replaces its file: a failed write leaves the old files whole
      const prepared: [string, Prepared<{ rows: number; invalid: Invalid }>, PartStats | undefined][] = [];
      try {
        for (const [part, rows] of Object.entries(parts)) {
          const stats = counter ? new PartStats(counter, labelColumn) : undefined;
          const ordered: RowSet = params.shuffle === false ? rows : { count: rows.count, rows: () => shuffled(rows, ctx.seed) };
          prepared.push([part, await writePart(targets[part], part, ordered, plan, ctx, { skipInvalid, stats, emit }), stats]);
        }
      } catch (e) {
        for (const [, p] of prepared) p.abort();
        throw e;
      }
      const files: { path: string; sha256: string; rows?: number }[] = [];
      const cardParts: CardPart[] = [];
      const cardDir = isFilePath(path, ext) ? dirname(resolve(ctx.baseDir, path)) : resolve(ctx.baseDir, path);
      for (const [part, p, stats] of prepared) {
        p.commit();
        const { rows, invalid } = p.value;
        if (invalid.total) ctx.log(`left out ${invalid.total} row${invalid.total === 1 ? '' : 's'} of ${part} that cannot be written as ${format}: ${invalid.summary()}`);
        files.push({ path: targets[part], sha256: p.sha256, rows });
        if (stats) cardParts.push({ name: part, file: relative(cardDir, targets[part]) || basename(targets[part]), sha256: p.sha256, stats });
      }
      if (params.card) {
        const card = renderCard({ run: ctx.run, cell: ctx.cell, plan, labelColumn, skipInvalid, parts: cardParts, license: params.license as string | undefined, language: params.language as string[] | undefined });
        const dest = join(cardDir, CARD_FILE);
        files.push({ path: dest, sha256: await writeTextFile(dest, card) });
        const manifest = join(cardDir, SOURCES_FILE);
        files.push({ path: manifest, sha256: await writeTextFile(manifest, sourcesManifest(ctx.run)) });
      }
      return { files };
    },
  },
});
