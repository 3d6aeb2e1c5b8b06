/** `annotations` source on real-shaped exports: rows per (item, annotator, label), and bad input rejected with file:line. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';

const TEXT = '😀 Apple Inc. is in Cupertino';
const LS = JSON.stringify(
  [
    {
      id: 1,
      data: { id: 't1', text: TEXT },
      annotations: [
        { id: 11, completed_by: 1, result: [{ from_name: 'ner', to_name: 'text', type: 'labels', value: { start: 2, end: 12, text: 'Apple Inc.', labels: ['ORG'] } }, { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } }] },
        { id: 12, completed_by: 2, was_cancelled: true, result: [] },
      ],
      predictions: [],
    },
    {
      id: 2,
      data: { id: 't2', text: 'short' },
      annotations: [
        { id: 21, completed_by: 1, result: [{ from_name: 'ner', to_name: 'text', type: 'labels', value: { start: 0, end: 40, text: 'short', labels: ['ORG'] } }] },
        { id: 22, completed_by: 2, result: [{ from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Sarcastic'] } }] },
      ],
    },
  ],
  null,
  2,
);
const PRODIGY = [
  { text: TEXT, spans: [{ start: 3, end: 13, label: 'ORG', text: 'Apple Inc.' }], answer: 'accept', _input_hash: 7, _annotator_id: 'ner-ana' },
  '{"text": "broken',
  { text: TEXT, spans: [{ start: 2, end: 12, label: 'ORG' }, { start: 8, end: 12, label: 'ORG' }], answer: 'accept', _input_hash: 7, _annotator_id: 'ner-bo' },
  { text: TEXT, spans: [], answer: 'reject', _input_hash: 7, _annotator_id: 'ner-cy' },
  { text: TEXT, spans: [{ start: 2, end: 12, label: 'ORG' }], answer: 'accept', _input_hash: 7, _annotator_id: 'ner-dee' },
].map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n') + '\n';

describe('annotations source', () => {
  it('reads several tools at once; each problem is a rejected row with file:line and why', async () => {
    const dir = tempProject({
      'ann/ls.json': LS,
      'ann/prodigy.jsonl': PRODIGY,
      'ann/doccano/alice.jsonl': JSON.stringify({ id: 't1', text: TEXT, label: ['Positive'] }) + '\n' + JSON.stringify({ id: 't2', text: 'short', label: [] }) + '\n',
      'ann/crowd.csv': 'item,annotator,label\nt1,zed,Negative\nt2,zed\n,zed,Positive\n',
      'r.ftr': 'source a = annotations "ann/**/*" labels: [Positive, Negative, ORG]\nexport a | write "out/" shuffle: false',
    });
    const file = join(dir, 'r.ftr');
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const rows = readJsonl(join(dir, 'out', 'a.jsonl'));
    expect(rows.map((r) => [r.id, r.item, r.annotator, r.label])).toEqual([
      ['ann/crowd.csv:2', 't1', 'zed', 'Negative'],
      ['ann/doccano/alice.jsonl:1', 't1', 'alice', 'Positive'],
      ['ann/ls.json:2', 't1', '1', 'Positive'],
      ['ann/prodigy.jsonl:5', '7', 'ner-dee', null],
    ]);
    expect(rows[2].spans).toEqual([{ start: 2, end: 12, label: 'ORG', text: 'Apple Inc.' }]);
    expect(rows[3].spans).toEqual([{ start: 2, end: 12, label: 'ORG', text: 'Apple Inc.' }]);
    expect(cells.get('a')!.dropped).toEqual({
      'malformed CSV row': 1,
      'no item id': 1,
      'not annotated': 1,
      'cancelled annotation': 1,
      'span out of range': 1,
      'label not declared': 1,
      'span text mismatch': 1,
      'malformed JSON': 1,
      'overlapping spans': 1,
      'prodigy answer reject': 1,
    });
    const rej = (await ftr('rejects', file, 'a', '--json')).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    const by = (reason: string) => rej.find((r) => r.reason === reason)!;
    expect(by('malformed CSV row')).toMatchObject({ location: 'ann/crowd.csv:3', detail: '2 fields, the header has 3' });
    expect(by('no item id').location).toBe('ann/crowd.csv:4');
    expect(by('cancelled annotation').location).toBe('ann/ls.json:2');
    // the second task of the pretty-printed array starts on its own line
    expect(by('span out of range')).toMatchObject({ location: expect.stringMatching(/^ann\/ls\.json:\d+#1$/), detail: '0..40 outside the text (5 code points) (ORG)' });
    expect(Number(by('span out of range').location.split(':')[1].split('#')[0])).toBeGreaterThan(2);
    expect(by('label not declared').detail).toBe('"Sarcastic" is not one of: Positive, Negative, ORG');
    expect(by('span text mismatch')).toMatchObject({ location: 'ann/prodigy.jsonl:1', detail: expect.stringContaining('set `offsets: utf16`') });
    expect(by('malformed JSON').location).toBe('ann/prodigy.jsonl:2');
    expect(by('overlapping spans').location).toBe('ann/prodigy.jsonl:3');
  });

  it('offsets: utf16 converts JS offsets to code points; the mismatch detail says so', async () => {
    const line = JSON.stringify({ text: TEXT, spans: [{ start: 3, end: 13, label: 'ORG', text: 'Apple Inc.' }], answer: 'accept', _input_hash: 7 }) + '\n';
    const dir = tempProject({ 'p.jsonl': line, 'r.ftr': 'source a = annotations "p.jsonl"\nsource b = annotations "p.jsonl" offsets: utf16\nexport a | write "out/" shuffle: false\nexport b | write "out/" shuffle: false' });
    const file = join(dir, 'r.ftr');
    expect((await runJson(file)).code).toBe(0);
    expect(readJsonl(join(dir, 'out', 'a.jsonl'))).toEqual([]);
    const rej = (await ftr('rejects', file, 'a', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rej[0].detail).toBe('3..13 reads "pple Inc. ", the span says "Apple Inc." — the offsets look like UTF-16 code units: set `offsets: utf16`');
    expect(readJsonl(join(dir, 'out', 'b.jsonl'))[0].spans).toEqual([{ start: 2, end: 12, label: 'ORG', text: 'Apple Inc.' }]);
  });

  it('check: a file no tool format fits is a check error naming it; columns are fixed', async () => {
    const dir = tempProject({ 'x.jsonl': '{"foo": 1}\n', 'r.ftr': 'source a = annotations "x.jsonl"\ncell b = a | keep present(annotator) and present(item)' });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('cannot tell which tool wrote x.jsonl');
    const ok = tempProject({ 'x.jsonl': '{"foo": 1}\n', 'r.ftr': 'source a = annotations "x.jsonl" format: doccano\ncell b = a | keep present(annotator) and present(spans)' });
    expect((await ftr('check', join(ok, 'r.ftr'))).code).toBe(0);
  });

  it('reads the CSV `ftr annotate` writes (item, annotator, label)', async () => {
    const dir = tempProject({ 'labels.csv': 'item,annotator,label\nT1002,ana,shipping\n"q,7",ana,"say ""hi"""\n', 'r.ftr': 'source a = annotations "labels.csv"\nexport a | write "out/" shuffle: false' });
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    expect(readJsonl(join(dir, 'out', 'a.jsonl')).map((r) => [r.item, r.annotator, r.label])).toEqual([['T1002', 'ana', 'shipping'], ['q,7', 'ana', 'say "hi"']]);
  });
});

describe('doccano exports as doccano writes them', () => {
  const read = async (files: Record<string, string>, args = '') => {
    const dir = tempProject({ ...files, 'r.ftr': `source a = annotations "ann/*.jsonl"${args}\nexport a | write "out/a.jsonl" shuffle: false\n` });
    const r = await runJson(join(dir, 'r.ftr'));
    const rows = r.code === 0 ? readJsonl(join(dir, 'out', 'a.jsonl')) : [];
    return { r, rows, dir, cell: r.cells.get('a') };
  };

  it('list-form entities [[start, end, label]] are spans; relations are counted in the notes; no `id` → a content item id', async () => {
    const recs = [
      { text: 'Paris is big', entities: [[0, 5, 'LOC']], relations: [{ id: 1, from_id: 1, to_id: 2, type: 'in' }, { id: 2, from_id: 1, to_id: 3, type: 'near' }] },
      { text: 'Rome too', entities: [{ id: 9, start_offset: 0, end_offset: 4, label: 'LOC' }], relations: [] },
      { text: 'Paris is big', entities: [[9, 12, 'ADJ']] },
    ];
    const { r, rows, cell } = await read({ 'ann/ana.jsonl': recs.map((x) => JSON.stringify(x)).join('\n') + '\n' });
    expect(r.code).toBe(0);
    expect(cell!.dropped).toBeUndefined();
    const byId = new Map(rows.map((x) => [x.id, x]));
    expect(byId.get('ann/ana.jsonl:1')).toMatchObject({ annotator: 'ana', label: null, spans: [{ start: 0, end: 5, label: 'LOC', text: 'Paris' }] });
    expect(byId.get('ann/ana.jsonl:2')!.spans).toEqual([{ start: 0, end: 4, label: 'LOC', text: 'Rome' }]);
    // the same text → the same item id, stable across runs and files
    const items = rows.map((x) => x.item as string);
    expect(items[0]).toMatch(/^text:[0-9a-f]{16}$/);
    expect(byId.get('ann/ana.jsonl:3')!.item).toBe(byId.get('ann/ana.jsonl:1')!.item);
    expect(byId.get('ann/ana.jsonl:2')!.item).not.toBe(byId.get('ann/ana.jsonl:1')!.item);
    expect(cell!.notes).toContain('ann/ana.jsonl: a doccano relation not imported (relations are not read; labels and entity spans are) (2 times)');
    expect(cell!.notes).toContain('ann/ana.jsonl: records without an `id`: item id derived from the text (`text:` + 16 hex digits of its sha256; set `item:` to use a field) (3 times)');
  });

  it('format auto: doccano with `meta` and no `id` is doccano, not Prodigy', async () => {
    const recs = [
      { text: 'good stuff', label: ['pos'], meta: { src: 'web' } },
      { text: 'bad stuff', label: ['neg'], meta: { src: 'web' } },
    ];
    const { r, rows } = await read({ 'ann/bo.jsonl': recs.map((x) => JSON.stringify(x)).join('\n') + '\n' });
    expect(r.code).toBe(0);
    expect(rows.map((x) => [x.annotator, x.label])).toEqual([['bo', 'pos'], ['bo', 'neg']]);
  });

  it('format auto: records that fit two tools wait for one that tells (an unlabeled doccano row first)', async () => {
    const recs = [{ text: 'not yet labeled', meta: { a: 1 } }, { text: 'good stuff', label: ['pos'], meta: { a: 2 } }];
    const { r, rows, cell } = await read({ 'ann/cy.jsonl': recs.map((x) => JSON.stringify(x)).join('\n') + '\n' });
    expect(r.code).toBe(0);
    expect(rows.map((x) => [x.annotator, x.label])).toEqual([['cy', 'pos']]);
    expect(cell!.dropped).toEqual({ 'not annotated': 1 });
  });

  it('format auto: a record that fits two tools fails naming both, at check time', async () => {
    const dir = tempProject({ 'ann/x.jsonl': JSON.stringify({ text: 'hi', meta: { a: 1 } }) + '\n', 'r.ftr': 'source a = annotations "ann/*.jsonl"\n' });
    const r = await ftr('check', join(dir, 'r.ftr'));
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('cannot tell which tool wrote ann/x.jsonl: its first records could be doccano or prodigy');
    expect(r.out + r.err).toContain('set `format: doccano` or `format: prodigy`');
  });

  it('blank and missing-marker labels are "missing label" rejects, not categories; `missing: []` keeps them', async () => {
    const csvText = 'item,annotator,label\n1,a,3\n1,b,N/A\n2,a, \n2,b,null\n3,a,na\n3,b,4\n';
    const dir = tempProject({ 'ann.csv': csvText, 'r.ftr': 'source a = annotations "ann.csv"\n' });
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('a')!.rowsOut).toBe(2);
    expect(r.cells.get('a')!.dropped).toEqual({ 'missing label': 4 });
    const kept = tempProject({ 'ann.csv': csvText, 'r.ftr': 'source a = annotations "ann.csv" missing: []\n' });
    const k = await runJson(join(kept, 'r.ftr'));
    // blank is always missing; the markers are categories when `missing` is empty
    expect(k.cells.get('a')!.rowsOut).toBe(5);
  });
});
