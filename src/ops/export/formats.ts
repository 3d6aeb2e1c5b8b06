/**
 * The export formats of `write`: how params and the input schema resolve to a plan (which columns
 * feed which fields), and how one row becomes one record of the format — or a reason it cannot.
 * Pure functions: the checker and the sink resolve the same plan from the same params and schema.
 */
import type { ColType, Params, Row, Schema } from '../types.js';

export const FORMATS = ['jsonl', 'chat', 'alpaca', 'sharegpt', 'classification', 'csv', 'parquet'] as const;
export type Format = (typeof FORMATS)[number];

/** File extension of each format's files. */
export const EXTENSION: Record<Format, string> = {
  jsonl: '.jsonl',
  chat: '.jsonl',
  alpaca: '.jsonl',
  sharegpt: '.jsonl',
  classification: '.jsonl',
  csv: '.csv',
  parquet: '.parquet',
};

/** One line per format, for docs and the dataset card. */
export const FORMAT_TITLE: Record<Format, string> = {
  jsonl: 'JSON Lines, rows as they are',
  chat: 'chat JSONL: {"messages": [{"role", "content"}, …]}',
  alpaca: 'Alpaca JSONL: {"instruction", "input", "output"}',
  sharegpt: 'ShareGPT JSONL: {"conversations": [{"from", "value"}, …]}',
  classification: 'classification JSONL: {"text", "label"} (+ "weight")',
  csv: 'CSV (RFC 4180 quoting, header row, UTF-8, \\n line ends)',
  parquet: 'Parquet (one row group per 100,000 rows, snappy)',
};

/** Params that only some formats read; the rest apply to every format. */
export const FORMAT_PARAMS: Record<string, readonly Format[]> = {
  columns: ['jsonl', 'csv', 'parquet'],
  system: ['chat', 'sharegpt'],
  user: ['chat', 'sharegpt'],
  assistant: ['chat', 'sharegpt'],
  messages: ['chat', 'sharegpt'],
  instruction: ['alpaca'],
  instruction_text: ['alpaca'],
  input: ['alpaca'],
  output: ['alpaca'],
  text: ['classification'],
  weight: ['classification'],
};

export type Plan =
  | { format: 'jsonl' | 'csv' | 'parquet'; columns?: string[] }
  | { format: 'chat' | 'sharegpt'; mode: 'turns'; system?: string; user: string; assistant: string }
  | { format: 'chat' | 'sharegpt'; mode: 'messages'; messages: string }
  | { format: 'alpaca'; instruction?: string; instructionText?: string; input?: string; output: string }
  | { format: 'classification'; text: string; label: string; weight?: string };

function has(schema: Schema | undefined, column: string): boolean {
  return !!schema?.columns.some((c) => c.name === column);
}

/** How params and the input schema resolve to a plan: the same at check time and at run time. */
export function planOf(params: Params, schema: Schema | undefined): Plan {
  const format = (params.format as Format | undefined) ?? 'jsonl';
  const col = (name: string) => params[name] as string | undefined;
  switch (format) {
    case 'jsonl':
    case 'csv':
    case 'parquet':
      return { format, columns: params.columns as string[] | undefined };
    case 'chat':
    case 'sharegpt': {
      const turns = col('user') !== undefined || col('assistant') !== undefined || params.system !== undefined;
      if (col('messages') !== undefined || (!turns && has(schema, 'messages'))) {
        return { format, mode: 'messages', messages: col('messages') ?? 'messages' };
      }
      return { format, mode: 'turns', system: params.system as string | undefined, user: col('user') ?? 'text', assistant: col('assistant') ?? 'label' };
    }
    case 'alpaca': {
      const instructionText = params.instruction_text as string | undefined;
      return {
        format,
        instruction: col('instruction') ?? (instructionText === undefined ? 'instruction' : undefined),
        instructionText,
        input: col('input') ?? (has(schema, 'input') ? 'input' : undefined),
        output: col('output') ?? 'output',
      };
    }
    case 'classification':
      return { format, text: col('text') ?? 'text', label: col('label') ?? 'label', weight: col('weight') ?? (has(schema, 'weight') ? 'weight' : undefined) };
  }
}

/** The columns a plan reads, each with the param that names it and what it must hold. */
export function columnsRead(plan: Plan): { param: string; column: string; holds: 'text' | 'value' | 'list' | 'number' }[] {
  switch (plan.format) {
    case 'jsonl':
    case 'csv':
    case 'parquet':
      return [];
    case 'chat':
    case 'sharegpt':
      return plan.mode === 'messages'
        ? [{ param: 'messages', column: plan.messages, holds: 'list' }]
        : [
            { param: 'user', column: plan.user, holds: 'text' },
            { param: 'assistant', column: plan.assistant, holds: 'text' },
          ];
    case 'alpaca':
      return [
        ...(plan.instruction !== undefined ? [{ param: 'instruction', column: plan.instruction, holds: 'text' as const }] : []),
        ...(plan.input !== undefined ? [{ param: 'input', column: plan.input, holds: 'text' as const }] : []),
        { param: 'output', column: plan.output, holds: 'text' },
      ];
    case 'classification':
      return [
        { param: 'text', column: plan.text, holds: 'text' },
        { param: 'label', column: plan.label, holds: 'value' },
        ...(plan.weight !== undefined ? [{ param: 'weight', column: plan.weight, holds: 'number' as const }] : []),
      ];
  }
}

/** Column types that cannot hold what a field needs (`any` is checked row by row). */
export function typeProblem(holds: 'text' | 'value' | 'list' | 'number', type: ColType): string | undefined {
  if (type === 'any') return undefined;
  if (holds === 'list') return type === 'list' ? undefined : `a ${type}, not a list of messages`;
  if (holds === 'number') return type === 'number' ? undefined : `a ${type}, not a number`;
  return type === 'list' || type === 'record' ? `a ${type}, not text` : undefined;
}

/** How to map the columns a format needs, for the help line of a check error. */
export function mappingHelp(format: Format): string {
  switch (format) {
    case 'chat':
    case 'sharegpt':
      return `format ${format} needs a user turn and an assistant turn: map them with \`user: <column>\` and \`assistant: <column>\` (default text and label; \`system: "…"\` adds a system prompt), or pass a conversation column through with \`messages: <column>\``;
    case 'alpaca':
      return 'format alpaca needs an instruction and an output: map them with `instruction: <column>` (or one fixed `instruction_text: "…"`), `output: <column>` and optionally `input: <column>`';
    case 'classification':
      return 'format classification needs text and label columns: map them with `text: <column>` and `label: <column>` (a `weight` column is written when there is one)';
    default:
      return '';
  }
}

/** What a row becomes: the record written, the text its tokens are counted over, the roles of its turns. */
export type Mapped = { record: Row; texts: string[]; fields: string[]; roles?: string[] } | { invalid: string };

/** A text field's value as text, or what is wrong with it. */
function asText(v: unknown): { text: string } | { problem: string } {
  if (v === null || v === undefined) return { problem: 'missing' };
  if (typeof v === 'string') return v.trim() === '' ? { problem: 'empty' } : { text: v };
  if (typeof v === 'number' || typeof v === 'boolean') return { text: String(v) };
  return { problem: Array.isArray(v) ? 'a list, not text' : 'a record, not text' };
}

const PROVENANCE = new Set(['id', 'source']);

/** Rows of the generic formats (jsonl, csv, parquet): the row, or the chosen columns in order. */
export function pickColumns(row: Row, columns: string[] | undefined): Row {
  return columns ? Object.fromEntries(columns.map((c) => [c, row[c] ?? null])) : row;
}

/** The text a generic row's tokens are counted over: its string values, provenance (id, source) left out. */
function genericTexts(record: Row): { texts: string[]; fields: string[] } {
  const texts: string[] = [];
  const fields: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (typeof v === 'string' && !PROVENANCE.has(k)) {
      texts.push(v);
      fields.push(k);
    }
  }
  return { texts, fields };
}

export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const;
const SHAREGPT_FROM: Record<string, string> = { system: 'system', user: 'human', assistant: 'gpt' };
/** Keys of a chat message that are passed through (the rest are left out). */
const MESSAGE_KEYS = ['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'weight'];

/** Validate a conversation column: a list of {role, content} with known roles and text contents. */
function conversation(v: unknown, column: string): { messages: Row[] } | { invalid: string } {
  if (!Array.isArray(v)) return { invalid: v === null || v === undefined ? `\`${column}\` is missing` : `\`${column}\` is not a list of messages` };
  if (v.length === 0) return { invalid: `\`${column}\` is empty` };
  const messages: Row[] = [];
  for (const m of v) {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return { invalid: `a message in \`${column}\` is not a {role, content} record` };
    const msg = m as Row;
    if (typeof msg.role !== 'string') return { invalid: `a message in \`${column}\` has no role` };
    if (!(CHAT_ROLES as readonly string[]).includes(msg.role)) return { invalid: `a message in \`${column}\` has role \`${msg.role}\` (roles: ${CHAT_ROLES.join(', ')})` };
    const a = msg.role === 'assistant' ? 'an' : 'a';
    const toolCall = msg.role === 'assistant' && Array.isArray(msg.tool_calls) && msg.tool_calls.length > 0;
    if (typeof msg.content !== 'string') {
      if (!(toolCall && (msg.content === null || msg.content === undefined))) return { invalid: `${a} ${msg.role} message in \`${column}\` has ${msg.content === null || msg.content === undefined ? 'no' : 'non-text'} content` };
    } else if (msg.content.trim() === '' && msg.role !== 'tool' && !toolCall) {
      return { invalid: `${a} ${msg.role} message in \`${column}\` has empty content` };
    }
    const out: Row = {};
    for (const k of MESSAGE_KEYS) if (msg[k] !== undefined) out[k] = msg[k];
    messages.push(out);
  }
  if (!messages.some((m) => m.role === 'assistant')) return { invalid: `\`${column}\` has no assistant message` };
  return { messages };
}

/** One row → one record of the plan's format (the JSON formats and the generic ones). */
export function mapRow(plan: Plan, row: Row): Mapped {
  switch (plan.format) {
    case 'jsonl':
    case 'csv':
    case 'parquet': {
      const record = pickColumns(row, plan.columns);
      return { record, ...genericTexts(record) };
    }
    case 'chat':
    case 'sharegpt': {
      let messages: Row[];
      if (plan.mode === 'messages') {
        const c = conversation(row[plan.messages], plan.messages);
        if ('invalid' in c) return c;
        messages = c.messages;
      } else {
        const user = asText(row[plan.user]);
        if ('problem' in user) return { invalid: `user turn (\`${plan.user}\`) is ${user.problem}` };
        const assistant = asText(row[plan.assistant]);
        if ('problem' in assistant) return { invalid: `assistant turn (\`${plan.assistant}\`) is ${assistant.problem}` };
        messages = [
          ...(plan.system !== undefined ? [{ role: 'system', content: plan.system }] : []),
          { role: 'user', content: user.text },
          { role: 'assistant', content: assistant.text },
        ];
      }
      const texts = messages.flatMap((m) => (typeof m.content === 'string' ? [m.content] : []));
      const roles = messages.map((m) => m.role as string);
      if (plan.format === 'chat') return { record: { messages }, texts, fields: ['messages'], roles };
      const conversations: Row[] = [];
      for (const m of messages) {
        const from = SHAREGPT_FROM[m.role as string];
        if (from === undefined || m.tool_calls !== undefined) return { invalid: `a ${m.tool_calls !== undefined ? 'tool-calling assistant' : (m.role as string)} message has no ShareGPT equivalent (from: human, gpt, system)` };
        conversations.push({ from, value: m.content });
      }
      return { record: { conversations }, texts, fields: ['conversations'], roles: conversations.map((c) => c.from as string) };
    }
    case 'alpaca': {
      let instruction: string;
      if (plan.instruction !== undefined) {
        const v = asText(row[plan.instruction]);
        if ('problem' in v) return { invalid: `instruction (\`${plan.instruction}\`) is ${v.problem}` };
        instruction = v.text;
      } else {
        instruction = plan.instructionText ?? '';
      }
      let input = '';
      if (plan.input !== undefined) {
        const raw = row[plan.input];
        const v = asText(raw);
        if ('problem' in v && v.problem !== 'missing' && v.problem !== 'empty') return { invalid: `input (\`${plan.input}\`) is ${v.problem}` };
        input = 'text' in v ? v.text : typeof raw === 'string' ? raw : '';
      }
      const output = asText(row[plan.output]);
      if ('problem' in output) return { invalid: `output (\`${plan.output}\`) is ${output.problem}` };
      return { record: { instruction, input, output: output.text }, texts: [instruction, input, output.text], fields: ['instruction', 'input', 'output'] };
    }
    case 'classification': {
      const text = asText(row[plan.text]);
      if ('problem' in text) return { invalid: `text (\`${plan.text}\`) is ${text.problem}` };
      const label = row[plan.label];
      if (label === null || label === undefined || (typeof label === 'string' && label.trim() === '')) return { invalid: `label (\`${plan.label}\`) is ${label === null || label === undefined ? 'missing' : 'empty'}` };
      if (typeof label === 'object') return { invalid: `label (\`${plan.label}\`) is a ${Array.isArray(label) ? 'list' : 'record'}, not one label` };
      const record: Row = { text: text.text, label };
      if (plan.weight !== undefined) {
        const w = row[plan.weight];
        if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) return { invalid: `weight (\`${plan.weight}\`) is ${w === null || w === undefined ? 'missing' : 'not a number ≥ 0'}` };
        record.weight = w;
      }
      return typeof label === 'string' ? { record, texts: [text.text, label], fields: ['text', 'label'] } : { record, texts: [text.text], fields: ['text'] };
    }
  }
}

/** One CSV field: RFC 4180 quoting; null is an empty field, "" a quoted empty string; nested values as JSON. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return s === '' || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (with its `\n`). */
export function csvLine(values: unknown[]): string {
  return values.map(csvField).join(',') + '\n';
}

export type ParquetType = 'STRING' | 'BOOLEAN' | 'INT64' | 'DOUBLE' | 'JSON';

/** Tracks the values a column holds, to pick its Parquet type. */
export class ParquetTypeGuess {
  private seen = new Set<string>();
  private fractional = false;

  add(v: unknown): void {
    if (v === null || v === undefined) return;
    const t = typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : 'nested';
    this.seen.add(t);
    if (t === 'number' && (!Number.isInteger(v) || Math.abs(v as number) >= 2 ** 63)) this.fractional = true;
  }

  /** strings → STRING, booleans → BOOLEAN, whole numbers → INT64, other numbers → DOUBLE, lists, records and mixed values → JSON; all null → from the schema type */
  type(schemaType: ColType | undefined): ParquetType {
    if (this.seen.size === 0) return schemaType === 'number' ? 'DOUBLE' : schemaType === 'bool' ? 'BOOLEAN' : schemaType === 'list' || schemaType === 'record' ? 'JSON' : 'STRING';
    if (this.seen.size > 1) return 'JSON';
    const [t] = this.seen;
    return t === 'string' ? 'STRING' : t === 'bool' ? 'BOOLEAN' : t === 'number' ? (this.fractional ? 'DOUBLE' : 'INT64') : 'JSON';
  }
}

/** A value as the Parquet writer takes it for a column of this type. */
export function parquetValue(v: unknown, type: ParquetType): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'INT64') return BigInt(v as number);
  return v;
}
