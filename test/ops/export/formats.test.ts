import { describe, expect, it } from 'vitest';
import { csvField, csvLine, mapRow, ParquetTypeGuess, planOf, type Plan } from '../../../src/ops/export/formats.js';
import { percentile } from '../../../src/ops/export/card.js';
import type { Schema } from '../../../src/ops/types.js';

const schema = (...names: string[]): Schema => ({ columns: names.map((name) => ({ name, type: 'any' as const })) });
const ok = (plan: Plan, row: Record<string, unknown>) => {
  const m = mapRow(plan, row);
  if ('invalid' in m) throw new Error(`unexpectedly invalid: ${m.invalid}`);
  return m;
};
const invalid = (plan: Plan, row: Record<string, unknown>) => {
  const m = mapRow(plan, row);
  if (!('invalid' in m)) throw new Error(`unexpectedly valid: ${JSON.stringify(m.record)}`);
  return m.invalid;
};

describe('planOf: params and the input schema → which columns feed which fields', () => {
  it('chat: single turns from text/label by default, a messages column passed through when present', () => {
    expect(planOf({ format: 'chat' }, schema('id', 'text', 'label'))).toEqual({ format: 'chat', mode: 'turns', system: undefined, user: 'text', assistant: 'label' });
    expect(planOf({ format: 'chat', system: 'Be brief.', user: 'q' }, schema('q', 'label'))).toEqual({ format: 'chat', mode: 'turns', system: 'Be brief.', user: 'q', assistant: 'label' });
    expect(planOf({ format: 'chat' }, schema('id', 'messages'))).toEqual({ format: 'chat', mode: 'messages', messages: 'messages' });
    expect(planOf({ format: 'sharegpt', messages: 'conv' }, schema('conv'))).toEqual({ format: 'sharegpt', mode: 'messages', messages: 'conv' });
    // explicit turns win over a messages column
    expect(planOf({ format: 'chat', user: 'text' }, schema('text', 'label', 'messages'))).toMatchObject({ mode: 'turns' });
  });

  it('alpaca: instruction/input/output columns, a fixed instruction, input optional', () => {
    expect(planOf({ format: 'alpaca' }, schema('instruction', 'input', 'output'))).toEqual({ format: 'alpaca', instruction: 'instruction', instructionText: undefined, input: 'input', output: 'output' });
    expect(planOf({ format: 'alpaca', instruction_text: 'Classify.', input: 'text', output: 'label' }, schema('text', 'label'))).toEqual({
      format: 'alpaca',
      instruction: undefined,
      instructionText: 'Classify.',
      input: 'text',
      output: 'label',
    });
    expect(planOf({ format: 'alpaca' }, schema('instruction', 'output'))).toMatchObject({ input: undefined });
  });

  it('classification: weight only when the input has a weight column (or weight: names one)', () => {
    expect(planOf({ format: 'classification' }, schema('text', 'label'))).toEqual({ format: 'classification', text: 'text', label: 'label', weight: undefined });
    expect(planOf({ format: 'classification' }, schema('text', 'label', 'weight'))).toEqual({ format: 'classification', text: 'text', label: 'label', weight: 'weight' });
    expect(planOf({ format: 'classification', text: 'body', label: 'intent', weight: 'w' }, schema('body', 'intent', 'w'))).toEqual({ format: 'classification', text: 'body', label: 'intent', weight: 'w' });
  });

  it('jsonl is the default format', () => {
    expect(planOf({}, schema('text'))).toEqual({ format: 'jsonl', columns: undefined });
  });
});

describe('chat rows', () => {
  const turns: Plan = { format: 'chat', mode: 'turns', system: 'You route tickets.', user: 'text', assistant: 'label' };

  it('maps columns to system/user/assistant messages, in that order', () => {
    const m = ok(turns, { id: 'a', text: 'Where is my parcel?', label: 'shipping' });
    expect(JSON.stringify(m.record)).toBe(
      '{"messages":[{"role":"system","content":"You route tickets."},{"role":"user","content":"Where is my parcel?"},{"role":"assistant","content":"shipping"}]}',
    );
    expect(m.texts).toEqual(['You route tickets.', 'Where is my parcel?', 'shipping']);
    expect(m.roles).toEqual(['system', 'user', 'assistant']);
    // no system prompt: two messages; a numeric label becomes text
    expect(ok({ ...turns, system: undefined }, { text: 'rate it', label: 5 }).record).toEqual({
      messages: [
        { role: 'user', content: 'rate it' },
        { role: 'assistant', content: '5' },
      ],
    });
  });

  it('rejects missing, empty and non-text turns with the column named', () => {
    expect(invalid(turns, { text: 'hi there', label: null })).toBe('assistant turn (`label`) is missing');
    expect(invalid(turns, { text: '   ', label: 'x' })).toBe('user turn (`text`) is empty');
    expect(invalid(turns, { text: ['a'], label: 'x' })).toBe('user turn (`text`) is a list, not text');
    expect(invalid(turns, { text: 'q', label: { a: 1 } })).toBe('assistant turn (`label`) is a record, not text');
  });

  const pass: Plan = { format: 'chat', mode: 'messages', messages: 'messages' };

  it('passes a valid conversation through, keeping only the message keys the APIs take', () => {
    const conv = [
      { role: 'system', content: 'Be kind.', extra: 'dropped' },
      { role: 'user', content: 'Weather?', name: 'ann' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'wx', arguments: '{}' } }] },
      { role: 'tool', content: '{"t": 21}', tool_call_id: 'c1' },
      { role: 'assistant', content: 'It is 21°C.', weight: 1 },
    ];
    const m = ok(pass, { messages: conv });
    expect(m.record).toEqual({
      messages: [
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: 'Weather?', name: 'ann' },
        { role: 'assistant', content: null, tool_calls: conv[2].tool_calls },
        { role: 'tool', content: '{"t": 21}', tool_call_id: 'c1' },
        { role: 'assistant', content: 'It is 21°C.', weight: 1 },
      ],
    });
    expect(m.texts).toEqual(['Be kind.', 'Weather?', '{"t": 21}', 'It is 21°C.']);
  });

  it('rejects conversations the fine-tuning APIs would refuse', () => {
    expect(invalid(pass, { messages: 'hello' })).toBe('`messages` is not a list of messages');
    expect(invalid(pass, { messages: null })).toBe('`messages` is missing');
    expect(invalid(pass, { messages: [] })).toBe('`messages` is empty');
    expect(invalid(pass, { messages: [{ role: 'bot', content: 'x' }] })).toBe('a message in `messages` has role `bot` (roles: system, user, assistant, tool)');
    expect(invalid(pass, { messages: [{ content: 'x' }] })).toBe('a message in `messages` has no role');
    expect(invalid(pass, { messages: ['hi'] })).toBe('a message in `messages` is not a {role, content} record');
    expect(invalid(pass, { messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }, { role: 'assistant', content: 'y' }] })).toBe('a user message in `messages` has non-text content');
    expect(invalid(pass, { messages: [{ role: 'user', content: 'x' }, { role: 'assistant' }] })).toBe('an assistant message in `messages` has no content');
    expect(invalid(pass, { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: ' ' }] })).toBe('an assistant message in `messages` has empty content');
    expect(invalid(pass, { messages: [{ role: 'user', content: 'only a question' }] })).toBe('`messages` has no assistant message');
  });
});

describe('sharegpt rows', () => {
  it('maps turns to human/gpt (and system) values', () => {
    const m = ok({ format: 'sharegpt', mode: 'turns', system: 'Sys', user: 'q', assistant: 'a' }, { q: 'Hi?', a: 'Hello.' });
    expect(JSON.stringify(m.record)).toBe('{"conversations":[{"from":"system","value":"Sys"},{"from":"human","value":"Hi?"},{"from":"gpt","value":"Hello."}]}');
    expect(m.roles).toEqual(['system', 'human', 'gpt']);
  });

  it('converts a chat conversation and rejects roles ShareGPT has no name for', () => {
    const plan: Plan = { format: 'sharegpt', mode: 'messages', messages: 'messages' };
    expect(ok(plan, { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }, { role: 'assistant', content: 'd' }] }).record).toEqual({
      conversations: [
        { from: 'human', value: 'a' },
        { from: 'gpt', value: 'b' },
        { from: 'human', value: 'c' },
        { from: 'gpt', value: 'd' },
      ],
    });
    expect(invalid(plan, { messages: [{ role: 'user', content: 'a' }, { role: 'tool', content: 'r' }, { role: 'assistant', content: 'b' }] })).toBe(
      'a tool message has no ShareGPT equivalent (from: human, gpt, system)',
    );
  });
});

describe('alpaca rows', () => {
  it('writes instruction, input, output in that order; a missing input is ""', () => {
    const plan: Plan = { format: 'alpaca', instruction: 'instruction', input: 'input', output: 'output' };
    expect(JSON.stringify(ok(plan, { instruction: 'Translate', input: 'chat', output: 'cat' }).record)).toBe('{"instruction":"Translate","input":"chat","output":"cat"}');
    expect(ok(plan, { instruction: 'Say hi', input: null, output: 'hi' }).record).toEqual({ instruction: 'Say hi', input: '', output: 'hi' });
    expect(ok({ format: 'alpaca', instructionText: 'Classify the ticket.', input: 'text', output: 'label' }, { text: 'Refund?', label: 'billing' }).record).toEqual({
      instruction: 'Classify the ticket.',
      input: 'Refund?',
      output: 'billing',
    });
    expect(ok({ format: 'alpaca', instruction: 'i', output: 'o' }, { i: 'Name a color', o: 'red' }).record).toEqual({ instruction: 'Name a color', input: '', output: 'red' });
  });

  it('rejects a missing instruction or output', () => {
    const plan: Plan = { format: 'alpaca', instruction: 'instruction', output: 'output' };
    expect(invalid(plan, { instruction: '', output: 'x' })).toBe('instruction (`instruction`) is empty');
    expect(invalid(plan, { instruction: 'x' })).toBe('output (`output`) is missing');
  });
});

describe('classification rows', () => {
  const plan: Plan = { format: 'classification', text: 'text', label: 'label' };

  it('writes {text, label}, plus weight when planned; labels keep their type', () => {
    expect(JSON.stringify(ok(plan, { id: 'x', text: 'Refund?', label: 'billing', other: 1 }).record)).toBe('{"text":"Refund?","label":"billing"}');
    expect(ok(plan, { text: 'good', label: 1 }).record).toEqual({ text: 'good', label: 1 });
    expect(JSON.stringify(ok({ ...plan, weight: 'weight' }, { text: 'a b', label: 'x', weight: 0.25 }).record)).toBe('{"text":"a b","label":"x","weight":0.25}');
  });

  it('rejects missing labels, multi-labels and bad weights', () => {
    expect(invalid(plan, { text: 'a', label: null })).toBe('label (`label`) is missing');
    expect(invalid(plan, { text: 'a', label: ['x', 'y'] })).toBe('label (`label`) is a list, not one label');
    expect(invalid(plan, { text: '', label: 'x' })).toBe('text (`text`) is empty');
    expect(invalid({ ...plan, weight: 'weight' }, { text: 'a', label: 'x', weight: -1 })).toBe('weight (`weight`) is not a number ≥ 0');
    expect(invalid({ ...plan, weight: 'weight' }, { text: 'a', label: 'x' })).toBe('weight (`weight`) is missing');
  });
});

describe('generic rows (jsonl, csv, parquet)', () => {
  it('writes the row, or the chosen columns in order with nulls for missing ones; tokens skip id and source', () => {
    const row = { id: 'r1', source: 'tickets', text: 'hello', label: 'x', n: 3 };
    expect(ok({ format: 'jsonl' }, row)).toMatchObject({ record: row, texts: ['hello', 'x'], fields: ['text', 'label'] });
    expect(JSON.stringify(ok({ format: 'csv', columns: ['label', 'missing', 'id'] }, row).record)).toBe('{"label":"x","missing":null,"id":"r1"}');
  });
});

describe('CSV fields (RFC 4180)', () => {
  it('quotes only what needs quoting and doubles quotes', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField('')).toBe('""');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(2.5)).toBe('2.5');
    expect(csvField(false)).toBe('false');
    expect(csvField(['a', 'b'])).toBe('"[""a"",""b""]"');
    expect(csvField({ k: 1 })).toBe('"{""k"":1}"');
    expect(csvField('Ünïcode ✓')).toBe('Ünïcode ✓');
    expect(csvLine(['id', 'a,b', null, 3])).toBe('id,"a,b",,3\n');
  });
});

describe('Parquet column types from the values', () => {
  const guess = (values: unknown[], schemaType?: 'string' | 'number' | 'bool' | 'list' | 'record' | 'any') => {
    const g = new ParquetTypeGuess();
    for (const v of values) g.add(v);
    return g.type(schemaType);
  };
  it('strings, booleans, whole numbers, fractions, nested and mixed values', () => {
    expect(guess(['a', null, 'b'])).toBe('STRING');
    expect(guess([true, false])).toBe('BOOLEAN');
    expect(guess([1, 2, null, -7])).toBe('INT64');
    expect(guess([1, 2.5])).toBe('DOUBLE');
    expect(guess([['a'], []])).toBe('JSON');
    expect(guess([{ a: 1 }])).toBe('JSON');
    expect(guess(['a', 1])).toBe('JSON');
    expect(guess([null, null], 'number')).toBe('DOUBLE');
    expect(guess([], 'any')).toBe('STRING');
  });
});

describe('token percentiles', () => {
  it('nearest rank', () => {
    const s = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(s, 0.5)).toBe(10);
    expect(percentile(s, 0.95)).toBe(19);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.5)).toBe(0);
  });
});
