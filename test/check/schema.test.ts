import { describe, expect, it } from 'vitest';
import { cellOf, check, columnsOf, HEAD } from './helpers.js';

const typed = (r: ReturnType<typeof check>, cell: string) => cellOf(r, cell).schema.columns.map((c) => `${c.name}:${c.type}`);

describe('source schemas', () => {
  it('jsonl without a mapping: id and source, then the fields of the sampled records with their types', () => {
    const r = check(HEAD);
    expect(r.diagnostics).toEqual([]);
    expect(typed(r, 't')).toEqual(['id:string', 'source:string', 'text:string', 'label:string', 'n:number']);
    expect(cellOf(r, 't').schema.parts).toBeUndefined();
  });

  it('jsonl with a mapping: exactly the mapped columns plus id and source; field paths kept', () => {
    const r = check('source x = jsonl "nested.jsonl" { id: .ticket_id, text: .body.text, label: .intent, first: .messages[0].content }');
    expect(r.diagnostics).toEqual([]);
    expect(typed(r, 'x')).toEqual(['id:string', 'source:string', 'text:string', 'label:string', 'first:string']);
    expect(cellOf(r, 'x').steps[0].params.fields).toEqual({
      id: ['ticket_id'],
      text: ['body', 'text'],
      label: ['intent'],
      first: ['messages', 0, 'content'],
    });
  });

  it('csv: the header row, or the mapped names', () => {
    const r = check(HEAD + 'source raw = csv "f.csv"');
    expect(typed(r, 'raw')).toEqual(['id:string', 'source:string', 'question:string', 'category:string', 'answer:string']);
    expect(typed(r, 'f')).toEqual(['id:string', 'source:string', 'text:string', 'label:string']);
    expect(cellOf(r, 'f').steps[0].params.fields).toEqual({ text: ['question'], label: ['category'] });
  });

  it('a .tsv file is split on tabs', () => {
    const r = check('source x = csv "d.tsv"', { 'd.tsv': 'a\tb\n1\t2\n' });
    expect(columnsOf(r, 'x')).toEqual(['id', 'source', 'a', 'b']);
  });
});

describe('schemas through ops', () => {
  it('concat: the union of columns, first input first', () => {
    const r = check(HEAD + 'cell ab = concat f, t\ncell ba = t | concat f');
    expect(r.diagnostics).toEqual([]);
    expect(columnsOf(r, 'ab')).toEqual(['id', 'source', 'text', 'label', 'n']);
    expect(columnsOf(r, 'ba')).toEqual(['id', 'source', 'text', 'label', 'n']);
    expect(cellOf(r, 'ab').deps.sort()).toEqual(['f', 't']);
    expect(cellOf(r, 'ab').steps[0].datasets).toMatchObject({ 'cells[0]': { cell: 'f' }, 'cells[1]': { cell: 't' } });
  });

  it('concat: a column typed differently in two inputs becomes any', () => {
    const r = check(HEAD + 'source u = jsonl "u.jsonl"\ncell all = concat t, u', { 'u.jsonl': '{"text":"x","n":"three","extra":true}\n' });
    expect(typed(r, 'all')).toEqual(['id:string', 'source:string', 'text:string', 'label:string', 'n:any', 'extra:bool']);
  });

  it('columns of a concat can be used downstream (and unknown ones are still caught)', () => {
    expect(check(HEAD + 'cell all = concat f, t | keep n > 1').diagnostics).toEqual([]);
    const d = check(HEAD + 'cell all = concat f, t | keep m > 1').only();
    expect([d.code, d.message, d.help]).toEqual(['E0201', 'unknown column `m`', 'did you mean `n`?']);
    expect(d.notes).toEqual(['columns of `all (after concat)`: id, source, text, label, n']);
  });

  it('split: parts train/val/test by default, named parts otherwise, columns unchanged', () => {
    const r = check(HEAD + 'cell p = t | split\ncell q = t | split { train: 90%, dev: 10% }');
    expect(cellOf(r, 'p').schema).toEqual({ columns: cellOf(r, 't').schema.columns, parts: ['train', 'val', 'test'] });
    expect(cellOf(r, 'q').schema.parts).toEqual(['train', 'dev']);
    expect(cellOf(r, 'p').steps[0].params.ratios).toEqual({ train: 0.8, val: 0.1, test: 0.1 });
  });

  it('a part reference is a single dataset; a whole split keeps its parts through later ops', () => {
    const r = check(HEAD + 'cell p = t | split\ncell tr = p.train | dedupe text\ncell all = p | dedupe text\ncell both = concat p.val, p.test');
    expect(r.diagnostics).toEqual([]);
    expect(cellOf(r, 'tr').schema.parts).toBeUndefined();
    expect(cellOf(r, 'tr').input).toMatchObject({ cell: 'p', part: 'train' });
    expect(cellOf(r, 'all').schema.parts).toEqual(['train', 'val', 'test']);
    expect(cellOf(r, 'both').deps).toEqual(['p']);
    expect(cellOf(r, 'both').steps[0].params.cells).toEqual(['p.val', 'p.test']);
  });

  it('write with columns narrows the schema; a split is written to a folder, not a file', () => {
    const r = check(HEAD + 'cell a = t | write "o/" columns: [text, label]');
    expect(columnsOf(r, 'a')).toEqual(['text', 'label']);
    const d = check(HEAD + 'cell a = t | split | write "o/x.jsonl"').only();
    expect(d.message).toBe('a dataset with parts (train, val, test) is written to a folder, one file per part');
    expect(d.help).toBe('write to "o/"');
  });

  it('map ops keep the schema; summaries describe the pipeline', () => {
    const r = check(HEAD + 'cell a = t | strip_html text | normalize nfkc lowercase | keep len(text) > 2 | dedupe text | split 90% 10%');
    expect(r.diagnostics).toEqual([]);
    for (const step of cellOf(r, 'a').steps.slice(0, 4)) expect(step.schema.columns).toEqual(cellOf(r, 't').schema.columns);
    expect(cellOf(r, 'a').summary).toBe('t → strip_html → normalize nfkc lowercase → keep len(text) > 2 → dedupe text → split 90/10');
    expect(cellOf(r, 'a').steps.map((s) => s.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('show and export cells take the schema of what they read', () => {
    const r = check(HEAD + 'cell p = t | split\nshow p.train | keep len(text) > 3\nexport p | write "out/"');
    expect(r.diagnostics).toEqual([]);
    const show = r.graph!.cells.find((c) => c.keyword === 'show')!;
    const exp = r.graph!.cells.find((c) => c.keyword === 'export')!;
    expect(show.schema.parts).toBeUndefined();
    expect(show.deps).toEqual(['p']);
    expect(exp.schema.parts).toEqual(['train', 'val', 'test']);
    expect(exp.steps.map((s) => s.op.kind)).toEqual(['sink']);
  });
});
