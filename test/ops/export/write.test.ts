import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { write } from '../../../src/ops/export/write.js';
import { OpError, type OpContext, type Row, type RowSet } from '../../../src/ops/types.js';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { fakeContext } from '../harness.js';

const ROWS = [
  { id: 't1', text: 'Where is my parcel, "order" #12?', label: 'shipping', weight: 1, votes: 3, tags: ['late'] },
  { id: 't2', text: 'Refund, please.\nThanks', label: 'billing', weight: 0.5, votes: 0, tags: [] },
  { id: 't3', text: 'hi', label: 'other', weight: 1, votes: 1, tags: null },
  { id: 't4', text: 'Comment ça marche ? Ünïcode ✓', label: 'product', weight: 2, votes: 7, tags: ['fr', 'accents'] },
];
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

function project(exports: string, rows: object[] = ROWS): { dir: string; file: string } {
  const dir = tempProject({
    'data/tickets.jsonl': jsonl(rows),
    'r.ftr': `recipe exports
seed 3
param min_chars = 8
source tickets = jsonl "data/tickets.jsonl"
cell clean = tickets | keep len(text) >= min_chars "too short"
${exports}
`,
  });
  return { dir, file: join(dir, 'r.ftr') };
}

describe('write format: … (one dataset, exact file contents)', () => {
  it('writes every format from the same rows', async () => {
    const { dir, file } = project(`export clean | write "out/plain.jsonl" shuffle: false
export clean | write "out/chat.jsonl" format: chat system: "Route the ticket." shuffle: false
export clean | write "out/alpaca.jsonl" alpaca instruction_text: "Classify the ticket." input: text output: label shuffle: false
export clean | write "out/sharegpt.jsonl" sharegpt shuffle: false
export clean | write "out/cls.jsonl" classification shuffle: false
export clean | write "out/data.csv" csv shuffle: false
export clean | write "out/data.parquet" parquet shuffle: false`);
    const run = await runJson(file);
    expect(run.code).toBe(0);
    const out = (f: string) => join(dir, 'out', f);

    // the default format is unchanged: rows as they are, provenance first
    expect(readFileSync(out('plain.jsonl'), 'utf8')).toBe(
      [
        '{"id":"t1","source":"tickets","text":"Where is my parcel, \\"order\\" #12?","label":"shipping","weight":1,"votes":3,"tags":["late"]}',
        '{"id":"t2","source":"tickets","text":"Refund, please.\\nThanks","label":"billing","weight":0.5,"votes":0,"tags":[]}',
        '{"id":"t4","source":"tickets","text":"Comment ça marche ? Ünïcode ✓","label":"product","weight":2,"votes":7,"tags":["fr","accents"]}',
        '',
      ].join('\n'),
    );

    expect(lines(out('chat.jsonl'))).toEqual([
      '{"messages":[{"role":"system","content":"Route the ticket."},{"role":"user","content":"Where is my parcel, \\"order\\" #12?"},{"role":"assistant","content":"shipping"}]}',
      '{"messages":[{"role":"system","content":"Route the ticket."},{"role":"user","content":"Refund, please.\\nThanks"},{"role":"assistant","content":"billing"}]}',
      '{"messages":[{"role":"system","content":"Route the ticket."},{"role":"user","content":"Comment ça marche ? Ünïcode ✓"},{"role":"assistant","content":"product"}]}',
    ]);

    expect(readJsonl(out('alpaca.jsonl'))).toEqual([
      { instruction: 'Classify the ticket.', input: 'Where is my parcel, "order" #12?', output: 'shipping' },
      { instruction: 'Classify the ticket.', input: 'Refund, please.\nThanks', output: 'billing' },
      { instruction: 'Classify the ticket.', input: 'Comment ça marche ? Ünïcode ✓', output: 'product' },
    ]);
    expect(lines(out('alpaca.jsonl'))[0]).toBe('{"instruction":"Classify the ticket.","input":"Where is my parcel, \\"order\\" #12?","output":"shipping"}');

    expect(readJsonl(out('sharegpt.jsonl'))).toEqual([
      { conversations: [{ from: 'human', value: 'Where is my parcel, "order" #12?' }, { from: 'gpt', value: 'shipping' }] },
      { conversations: [{ from: 'human', value: 'Refund, please.\nThanks' }, { from: 'gpt', value: 'billing' }] },
      { conversations: [{ from: 'human', value: 'Comment ça marche ? Ünïcode ✓' }, { from: 'gpt', value: 'product' }] },
    ]);

    // the input has a weight column: classification writes it
    expect(lines(out('cls.jsonl'))).toEqual([
      '{"text":"Where is my parcel, \\"order\\" #12?","label":"shipping","weight":1}',
      '{"text":"Refund, please.\\nThanks","label":"billing","weight":0.5}',
      '{"text":"Comment ça marche ? Ünïcode ✓","label":"product","weight":2}',
    ]);

    const csv = readFileSync(out('data.csv'), 'utf8');
    expect(csv).toBe(
      'id,source,text,label,weight,votes,tags\n' +
        't1,tickets,"Where is my parcel, ""order"" #12?",shipping,1,3,"[""late""]"\n' +
        't2,tickets,"Refund, please.\nThanks",billing,0.5,0,[]\n' +
        't4,tickets,Comment ça marche ? Ünïcode ✓,product,2,7,"[""fr"",""accents""]"\n',
    );
    expect(csv).not.toContain('\r');
    expect(readFileSync(out('data.csv'))[0]).not.toBe(0xef); // no BOM
    expect(parse(csv, { columns: true })).toEqual([
      { id: 't1', source: 'tickets', text: 'Where is my parcel, "order" #12?', label: 'shipping', weight: '1', votes: '3', tags: '["late"]' },
      { id: 't2', source: 'tickets', text: 'Refund, please.\nThanks', label: 'billing', weight: '0.5', votes: '0', tags: '[]' },
      { id: 't4', source: 'tickets', text: 'Comment ça marche ? Ünïcode ✓', label: 'product', weight: '2', votes: '7', tags: '["fr","accents"]' },
    ]);

    const buf = readFileSync(out('data.parquet'));
    const file_ = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const types = Object.fromEntries(parquetMetadata(file_).schema.slice(1).map((e) => [e.name, `${e.type}${e.converted_type ? `/${e.converted_type}` : ''}`]));
    // a list column is a Parquet LIST of strings (pyarrow: list<string>), not JSON text
    expect(types).toEqual({ id: 'BYTE_ARRAY/UTF8', source: 'BYTE_ARRAY/UTF8', text: 'BYTE_ARRAY/UTF8', label: 'BYTE_ARRAY/UTF8', weight: 'DOUBLE', votes: 'INT64', tags: 'undefined/LIST', list: 'undefined', element: 'BYTE_ARRAY/UTF8' });
    expect(await parquetReadObjects({ file: file_ })).toEqual([
      { id: 't1', source: 'tickets', text: 'Where is my parcel, "order" #12?', label: 'shipping', weight: 1, votes: 3n, tags: ['late'] },
      { id: 't2', source: 'tickets', text: 'Refund, please.\nThanks', label: 'billing', weight: 0.5, votes: 0n, tags: [] },
      { id: 't4', source: 'tickets', text: 'Comment ça marche ? Ünïcode ✓', label: 'product', weight: 2, votes: 7n, tags: ['fr', 'accents'] },
    ]);

    // reported hashes are the files' hashes
    const end = run.events.find((e) => e.type === 'run-end') as Extract<(typeof run.events)[number], { type: 'run-end' }>;
    for (const f of end.outputs) expect(f.sha256).toBe(sha256(join(dir, f.path)));
    expect(end.outputs.find((f) => f.path.endsWith('data.parquet'))?.rows).toBe(3);

    // same input, same bytes
    const before = readdirSync(join(dir, 'out')).map((f) => [f, sha256(out(f))]);
    expect((await runJson(file, '--no-cache')).code).toBe(0);
    expect(readdirSync(join(dir, 'out')).map((f) => [f, sha256(out(f))])).toEqual(before);
  });

  it('parquet stores lists and records as Parquet groups (structs, lists of structs); a column of mixed shapes stays JSON', async () => {
    const rows = [
      { id: 'n1', text: 'first ticket here', meta: { lang: 'en', score: 1 }, turns: [{ role: 'user', content: 'hi' }], odd: [1] },
      { id: 'n2', text: 'second ticket here', meta: { lang: 'fr', score: 2.5, extra: true }, turns: [], odd: 'x' },
      { id: 'n3', text: 'third ticket here', meta: null, turns: [{ role: 'assistant', content: 'ok', n: 3 }], odd: null },
    ];
    const { dir, file } = project('export clean | write "out/n.parquet" parquet shuffle: false', rows);
    expect((await runJson(file)).code).toBe(0);
    const buf = readFileSync(join(dir, 'out', 'n.parquet'));
    const file_ = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const schema = parquetMetadata(file_).schema;
    const el = (name: string) => schema.find((e) => e.name === name)!;
    expect(el('meta').num_children).toBe(3);
    expect(el('turns').converted_type).toBe('LIST');
    expect(el('odd')).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'JSON' });
    const back = await parquetReadObjects({ file: file_ });
    expect(back.map((r) => r.meta ?? null)).toEqual([{ lang: 'en', score: 1, extra: null }, { lang: 'fr', score: 2.5, extra: true }, null]);
    expect(back.map((r) => r.turns)).toEqual([[{ role: 'user', content: 'hi', n: null }], [], [{ role: 'assistant', content: 'ok', n: 3n }]]);
    expect(back.map((r) => r.odd)).toEqual([[1], 'x', null]);
  });

  it('csv and parquet honour columns: order; a messages column passes through chat', async () => {
    const conv = [
      { id: 'c1', messages: [{ role: 'user', content: 'Hi there!' }, { role: 'assistant', content: 'Hello.', note: 'dropped' }] },
      { id: 'c2', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Status of #9?' }, { role: 'assistant', content: 'Shipped.' }] },
    ];
    const dir = tempProject({
      'data/conv.jsonl': jsonl(conv),
      'r.ftr': `recipe conv
source conv = jsonl "data/conv.jsonl"
export conv | write "out/conv.jsonl" chat shuffle: false
export conv | write "out/sg.jsonl" sharegpt shuffle: false
export conv | write "out/ids.csv" csv columns: [messages, id] shuffle: false
`,
    });
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    expect(lines(join(dir, 'out/conv.jsonl'))).toEqual([
      '{"messages":[{"role":"user","content":"Hi there!"},{"role":"assistant","content":"Hello."}]}',
      '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Status of #9?"},{"role":"assistant","content":"Shipped."}]}',
    ]);
    expect(readJsonl(join(dir, 'out/sg.jsonl'))[1]).toEqual({
      conversations: [
        { from: 'system', value: 'Be brief.' },
        { from: 'human', value: 'Status of #9?' },
        { from: 'gpt', value: 'Shipped.' },
      ],
    });
    const csv = readFileSync(join(dir, 'out/ids.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('messages,id');
    expect(parse(csv, { columns: true })[0]).toEqual({ messages: JSON.stringify(conv[0].messages), id: 'c1' });
  });

  it('one file per part of a split, named by part and format', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, text: `ticket number ${i} about ${['billing', 'shipping'][i % 2]}`, label: ['billing', 'shipping'][i % 2] }));
    const { dir, file } = project(`cell parts = clean | split 60% 20% 20%
export parts | write "plain/" shuffle: false
export parts | write "chat/" chat shuffle: false
export parts | write "csv/" csv shuffle: false
export parts | write "pq/" parquet shuffle: false`, many);
    const run = await runJson(file);
    expect(run.code).toBe(0);
    expect(readdirSync(join(dir, 'chat')).sort()).toEqual(['test.jsonl', 'train.jsonl', 'val.jsonl']);
    expect(readdirSync(join(dir, 'csv')).sort()).toEqual(['test.csv', 'train.csv', 'val.csv']);
    expect(readdirSync(join(dir, 'pq')).sort()).toEqual(['test.parquet', 'train.parquet', 'val.parquet']);
    const parts = run.cells.get('parts')!.parts!;
    for (const p of ['train', 'val', 'test']) {
      const plain = readJsonl(join(dir, 'plain', `${p}.jsonl`));
      expect(plain.length).toBe(parts[p]);
      expect(readJsonl(join(dir, 'chat', `${p}.jsonl`))).toEqual(plain.map((r) => ({ messages: [{ role: 'user', content: r.text }, { role: 'assistant', content: r.label }] })));
      expect(parse(readFileSync(join(dir, 'csv', `${p}.csv`), 'utf8'), { columns: true })).toEqual(plain);
      const buf = readFileSync(join(dir, 'pq', `${p}.parquet`));
      expect(await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) })).toEqual(plain);
    }
  });
});

describe('rows a format cannot hold', () => {
  const rows = [
    { id: 'a1', text: 'Where is my parcel?', label: 'shipping' },
    { id: 'a2', text: 'My card was charged twice', label: null },
    { id: 'a3', text: 'Cancel my subscription', label: '' },
    { id: 'a4', text: 'Is there a student discount?', label: 'billing' },
  ];

  it('fail the write by default, naming the reason and the first row; the old file stays', async () => {
    const { dir, file } = project('export clean | write "out/chat.jsonl" chat shuffle: false', rows.filter((r) => r.label));
    expect((await runJson(file)).code).toBe(0);
    const good = readFileSync(join(dir, 'out/chat.jsonl'), 'utf8');
    writeFileSync(join(dir, 'data/tickets.jsonl'), jsonl(rows));
    const run = await runJson(file);
    expect(run.code).not.toBe(0);
    const cell = run.cells.get('export:clean')!;
    expect(cell.status).toBe('failed');
    expect(cell.error).toContain('2 rows cannot be written as chat: 1 × assistant turn (`label`) is empty; 1 × assistant turn (`label`) is missing (first: row "a2")');
    expect(cell.error).toContain('skip_invalid');
    expect(readFileSync(join(dir, 'out/chat.jsonl'), 'utf8')).toBe(good);
    expect(readdirSync(join(dir, 'out'))).toEqual(['chat.jsonl']);
  });

  it('skip_invalid leaves them out and counts them in the log and the card', async () => {
    const { dir, file } = project('export clean | write "out/" classification skip_invalid card shuffle: false', rows);
    const run = await runJson(file);
    expect(run.code).toBe(0);
    expect(readJsonl(join(dir, 'out/clean.jsonl'))).toEqual([
      { text: 'Where is my parcel?', label: 'shipping' },
      { text: 'Is there a student discount?', label: 'billing' },
    ]);
    const logs = run.events.filter((e) => e.type === 'log').map((e) => (e as { message: string }).message);
    expect(logs).toContain('left out 2 rows of rows that cannot be written as classification: 1 × label (`label`) is empty; 1 × label (`label`) is missing');
    const card = readFileSync(join(dir, 'out/README.md'), 'utf8');
    expect(card).toContain('| Reason | all rows | Total |');
    expect(card).toContain('| label (`label`) is missing | 1 | 1 |');
    expect(card).toContain('| all rows | `clean.jsonl` | 2 |');
  });

  it('a failing part leaves the files of the other parts untouched', async () => {
    const dir = tempProject({ 'out/train.jsonl': 'old train\n', 'out/val.jsonl': 'old val\n' });
    const set = (rs: Row[]): RowSet => ({
      count: rs.length,
      async *rows() {
        yield* rs;
      },
    });
    const ctx: OpContext = { ...fakeContext({ cell: 'export:parts', seed: 0, baseDir: dir, parts: ['train', 'val'] }), schema: { columns: [{ name: 'text', type: 'string' }, { name: 'label', type: 'string' }], parts: ['train', 'val'] } };
    const params = { path: 'out/', format: 'chat', skip_invalid: false, card: false };
    const parts = { train: set([{ text: 'fine', label: 'ok' }]), val: set([{ text: 'broken', label: null }]) };
    await expect(write.sink!.write(parts, params, ctx)).rejects.toBeInstanceOf(OpError);
    expect(readFileSync(join(dir, 'out/train.jsonl'), 'utf8')).toBe('old train\n');
    expect(readFileSync(join(dir, 'out/val.jsonl'), 'utf8')).toBe('old val\n');
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['train.jsonl', 'val.jsonl']);
  });
});

describe('ftr check: the columns a format needs', () => {
  const check = async (exports: string) => {
    const { file } = project(exports);
    return ftr('check', file);
  };

  it('fails a format without the columns it reads, saying how to map them', async () => {
    const r = await check('export clean | write "out/" alpaca shuffle: false');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('format alpaca needs `instruction` (instruction) and `output` (output), which the input does not have');
    expect(r.err).toContain('input columns: id, source, text, label, weight, votes, tags');
    expect(r.err).toContain('help: format alpaca needs an instruction and an output: map them with `instruction: <column>`');

    const chat = await check('export clean | write "out/" chat assistant: votes user: nope shuffle: false');
    expect(chat.code).not.toBe(0);
    expect(chat.err).toContain('unknown column `nope`');

    const other = tempProject({ 'data/q.jsonl': jsonl([{ id: 'x', body: 'a question here', intent: 'y' }]), 'r.ftr': 'recipe q\nsource q = jsonl "data/q.jsonl"\nexport q | write "out/" chat shuffle: false\n' });
    const r2 = await ftr('check', join(other, 'r.ftr'));
    expect(r2.code).not.toBe(0);
    expect(r2.err).toContain('format chat needs `text` (user) and `label` (assistant)');
    expect(r2.err).toContain('help: format chat needs a user turn and an assistant turn: map them with `user: <column>` and `assistant: <column>`');
  });

  it('passes when the columns are mapped; rejects params of another format and mismatched file names', async () => {
    expect((await check('export clean | write "out/" alpaca instruction_text: "Classify." input: text output: label shuffle: false')).code).toBe(0);
    expect((await check('export clean | write "out/" chat user: text assistant: label system: "Be brief." shuffle: false')).code).toBe(0);
    const wrong = await check('export clean | write "out/" csv user: text shuffle: false');
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toContain('`user:` applies to formats chat, sharegpt, not csv');
    const ext = await check('export clean | write "out/data.jsonl" parquet shuffle: false');
    expect(ext.code).not.toBe(0);
    expect(ext.err).toContain('format parquet writes .parquet files, but `out/data.jsonl` names a .jsonl file');
    const both = await check('export clean | write "out/" chat messages: tags user: text shuffle: false');
    expect(both.err).toContain('`messages:` passes a whole conversation through');
  });

  it('writes nothing when the check fails', async () => {
    const { dir, file } = project('export clean | write "out/" classification text: nope shuffle: false');
    expect((await runJson(file)).code).not.toBe(0);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
