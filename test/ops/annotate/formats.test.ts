/** Annotation tool formats: parsing each tool's shapes, span checks (code points vs UTF-16), export records. */
import { describe, expect, it } from 'vitest';
import { arrayElementLines, checkSpans, csvRecords, detectFormat, formatCandidates, parseRecord, taskRecord, type ParseOptions } from '../../../src/ops/annotate/formats.js';
import { codePointIndex, cpLength, utf16Index } from '../../../src/ops/annotate/rules.js';

const O: ParseOptions = { predictions: false, fileStem: 'alice' };
const TEXT = '😀 Apple Inc. is in Cupertino';

const LS_TASK = {
  id: 101,
  data: { id: 't1', text: TEXT },
  annotations: [
    {
      id: 11,
      completed_by: 1,
      was_cancelled: false,
      result: [
        { id: 'a', from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } },
        { id: 'b', from_name: 'ner', to_name: 'text', type: 'labels', value: { start: 2, end: 12, text: 'Apple Inc.', labels: ['ORG'] } },
      ],
    },
    { id: 12, completed_by: { id: 2, email: 'bob@example.org' }, result: [{ id: 'c', from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Negative'] } }] },
    { id: 13, completed_by: 3, was_cancelled: true, result: [] },
    { id: 14, completed_by: 4, result: [{ id: 'd', from_name: 'notes', to_name: 'text', type: 'textarea', value: { text: ['hm'] } }] },
  ],
  predictions: [{ model_version: 'rules-v1', score: 0.7, result: [{ id: 'e', from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } }] }],
};

describe('import: Label Studio', () => {
  it('JSON export: choices and NER spans per annotator; cancelled, label-less and predictions rejected with why', () => {
    const p = parseRecord('label_studio', LS_TASK, O);
    expect(p.annotations).toEqual([
      { item: 't1', annotator: 1, label: 'Positive', spans: [{ start: 2, end: 12, label: 'ORG', text: 'Apple Inc.' }], text: TEXT },
      { item: 't1', annotator: 'bob@example.org', label: 'Negative', spans: null, text: TEXT },
    ]);
    expect(p.rejects.map((r) => r.reason)).toEqual(['cancelled annotation', 'no label in annotation', 'prediction not imported']);
    expect(p.rejects[1].detail).toBe('result types: textarea');
  });
  it('predictions: true imports predictions as model:<version>; question: picks a control', () => {
    const p = parseRecord('label_studio', LS_TASK, { ...O, predictions: true, question: 'sentiment' });
    expect(p.annotations.map((a) => [a.annotator, a.label, a.spans])).toEqual([
      [1, 'Positive', null],
      ['bob@example.org', 'Negative', null],
      ['model:rules-v1', 'Positive', null],
    ]);
  });
  it('JSON-MIN: flat records with the control named by question (label by default)', () => {
    const rec = { id: 5, text: 'x y', annotator: 'ann@x.org', annotation_id: 9, label: [{ start: 0, end: 1, text: 'x', labels: ['A'] }], sentiment: 'Neutral' };
    expect(detectFormat('.json', rec)).toBe('label_studio_min');
    expect(parseRecord('label_studio_min', rec, O).annotations).toEqual([{ item: 5, annotator: 'ann@x.org', label: null, spans: [{ start: 0, end: 1, label: 'A', text: 'x' }], text: 'x y' }]);
    expect(parseRecord('label_studio_min', rec, { ...O, question: 'sentiment' }).annotations[0].label).toBe('Neutral');
  });
});

describe('import: Prodigy, doccano, Argilla, CSV', () => {
  it('Prodigy: ner spans, binary textcat, choice; reject / ignore answers are rejected', () => {
    const ner = { text: TEXT, spans: [{ start: 2, end: 12, label: 'ORG', token_start: 1, token_end: 2 }], answer: 'accept', _input_hash: 123, _task_hash: 456, _annotator_id: 'ner-carol', _session_id: 'ner-carol' };
    expect(detectFormat('.jsonl', ner)).toBe('prodigy');
    expect(parseRecord('prodigy', ner, O).annotations).toEqual([{ item: 123, annotator: 'ner-carol', label: null, spans: [{ start: 2, end: 12, label: 'ORG' }], text: TEXT }]);
    expect(parseRecord('prodigy', { text: 'a', label: 'SPAM', answer: 'accept', meta: { id: 'm1' } }, O).annotations[0]).toMatchObject({ item: 'm1', annotator: 'alice', label: 'SPAM' });
    expect(parseRecord('prodigy', { text: 'a', options: [{ id: 'X' }, { id: 'Y' }], accept: ['X', 'Y'], answer: 'accept', _input_hash: 1 }, O).annotations.map((a) => a.label)).toEqual(['X', 'Y']);
    expect(parseRecord('prodigy', { text: 'a', label: 'SPAM', answer: 'reject', _input_hash: 1 }, O).rejects[0].reason).toBe('prodigy answer reject');
    expect(parseRecord('prodigy', { text: 'a', label: 'SPAM', answer: 'ignore', _input_hash: 1 }, O).rejects[0].reason).toBe('prodigy answer ignore');
  });
  it('doccano: classes, [start, end, label] spans (label or labels), entities; unlabeled documents rejected', () => {
    expect(detectFormat('.jsonl', { id: 1, text: 'a', label: ['pos'] })).toBe('doccano');
    expect(parseRecord('doccano', { id: 1, text: 'a b', label: ['pos', 'neg'] }, O).annotations.map((a) => [a.item, a.annotator, a.label])).toEqual([[1, 'alice', 'pos'], [1, 'alice', 'neg']]);
    expect(parseRecord('doccano', { id: 2, text: TEXT, labels: [[2, 12, 'ORG']] }, O).annotations[0].spans).toEqual([{ start: 2, end: 12, label: 'ORG' }]);
    expect(parseRecord('doccano', { id: 3, text: TEXT, entities: [{ id: 7, label: 'ORG', start_offset: 2, end_offset: 12 }], relations: [] }, O).annotations[0].spans).toEqual([{ start: 2, end: 12, label: 'ORG' }]);
    expect(parseRecord('doccano', { id: 4, text: 'a', label: [] }, O).rejects[0].reason).toBe('not annotated');
  });
  it('Argilla v2 records: submitted responses only; suggestions on request; span questions; several questions need `question`', () => {
    const rec = {
      id: 'r1',
      fields: { text: TEXT },
      metadata: {},
      suggestions: { sentiment: { value: 'positive', score: 0.9, agent: 'gpt' } },
      responses: { sentiment: [{ value: 'positive', user_id: 'u1', status: 'submitted' }, { value: 'negative', user_id: 'u2', status: 'discarded' }, { value: 'negative', user_id: 'u3' }] },
    };
    expect(detectFormat('.json', rec)).toBe('argilla');
    const p = parseRecord('argilla', rec, O);
    expect(p.annotations.map((a) => [a.item, a.annotator, a.label, a.text])).toEqual([['r1', 'u1', 'positive', TEXT], ['r1', 'u3', 'negative', TEXT]]);
    expect(p.rejects.map((r) => r.reason)).toEqual(['discarded response', 'suggestion not imported']);
    expect(parseRecord('argilla', rec, { ...O, predictions: true }).annotations.map((a) => a.annotator)).toContain('model:gpt');
    const spans = { id: 'r2', fields: { text: TEXT }, responses: { ents: [{ value: [{ start: 2, end: 12, label: 'ORG' }], user_id: 'u1', status: 'submitted' }] } };
    expect(parseRecord('argilla', spans, O).annotations[0].spans).toEqual([{ start: 2, end: 12, label: 'ORG' }]);
    const two = { id: 'r3', fields: { text: 'a' }, responses: { a: [{ value: 'x', user_id: 'u' }], b: [{ value: 'y', user_id: 'u' }] } };
    expect(parseRecord('argilla', two, O).rejects[0]).toEqual({ reason: 'several questions', detail: 'questions a, b: pick one with `question:`' });
    expect(parseRecord('argilla', two, { ...O, question: 'b' }).annotations[0].label).toBe('y');
  });
  it('Argilla v1 and flattened records', () => {
    const v1 = { external_id: 'e1', fields: { text: 't' }, responses: [{ user_id: 'u1', status: 'submitted', values: { label: { value: 'spam' } } }, { user_id: 'u2', status: 'draft', values: { label: { value: 'ham' } } }], suggestions: [] };
    const p = parseRecord('argilla', v1, O);
    expect(p.annotations.map((a) => [a.item, a.annotator, a.label])).toEqual([['e1', 'u1', 'spam']]);
    expect(p.rejects[0].reason).toBe('draft response');
    const flat = { id: 'f1', text: 't', 'label.responses': ['a', 'b'], 'label.responses.users': ['u1', 'u2'], 'label.responses.status': ['submitted', 'submitted'] };
    expect(detectFormat('.jsonl', flat)).toBe('argilla');
    expect(parseRecord('argilla', flat, O).annotations.map((a) => [a.annotator, a.label])).toEqual([['u1', 'a'], ['u2', 'b']]);
  });
  it('CSV: records with their line numbers; a row of the wrong width is an error', () => {
    const { records, errors } = csvRecords('item,annotator,label\nt1,ana,"a, b"\nt2,ana\n"t3",bo,c\n', ',');
    expect(records).toEqual([{ rec: { item: 't1', annotator: 'ana', label: 'a, b' }, line: 2 }, { rec: { item: 't3', annotator: 'bo', label: 'c' }, line: 4 }]);
    expect(errors).toEqual([{ line: 3, detail: '2 fields, the header has 3' }]);
    expect(parseRecord('csv', records[0].rec, O).annotations[0]).toEqual({ item: 't1', annotator: 'ana', label: 'a, b', spans: null, text: null });
    expect(parseRecord('csv', { item: 't', annotator: 'a', label: '' }, O).rejects[0].reason).toBe('no label in annotation');
  });
  it('lines of the elements of a JSON array', () => {
    expect(arrayElementLines('[\n  {"a": "[,]"},\n  {"b": [1,\n 2]},\n\n  3\n]')).toEqual([2, 3, 6]);
    expect(arrayElementLines('[{"a":1},{"b":2}]')).toEqual([1, 1]);
    expect(arrayElementLines('[]')).toEqual([]);
  });
});

describe('span offsets: code points, end-exclusive', () => {
  it('the notes\' pitfall: "😀 Apple Inc." is 12 code points, JS length 13; "Apple" is 2..7, JS indexOf says 3', () => {
    const t = '😀 Apple Inc.';
    expect(cpLength(t)).toBe(12);
    expect(t.length).toBe(13);
    expect(t.indexOf('Apple')).toBe(3);
    expect(codePointIndex(t)(3)).toBe(2);
    expect(utf16Index(t)(2)).toBe(3);
    expect(checkSpans([{ start: 2, end: 7, label: 'ORG', text: 'Apple' }], t, 'codepoint', false)).toEqual({ spans: [{ start: 2, end: 7, label: 'ORG', text: 'Apple' }] });
  });
  it('UTF-16 offsets are caught by the span text (with a hint), and converted with offsets: utf16', () => {
    const t = '😀 Apple Inc.';
    const bad = checkSpans([{ start: 3, end: 8, label: 'ORG', text: 'Apple' }], t, 'codepoint', false);
    expect(bad.error?.reason).toBe('span text mismatch');
    expect(bad.error?.detail).toContain('set `offsets: utf16`');
    expect(checkSpans([{ start: 3, end: 8, label: 'ORG', text: 'Apple' }], t, 'utf16', false).spans).toEqual([{ start: 2, end: 7, label: 'ORG', text: 'Apple' }]);
  });
  it('a text normalized after annotation breaks spans: NFD "é" is 2 code units', () => {
    const nfc = 'café crème';
    const nfd = nfc.normalize('NFD');
    expect(nfd.length).toBe(12);
    const r = checkSpans([{ start: 5, end: 10, label: 'FOOD', text: 'crème' }], nfd, 'codepoint', false);
    expect(r.error?.reason).toBe('span text mismatch');
    expect(r.error?.detail).toContain('normalized');
  });
  it('out of range, empty, non-integer and overlapping spans', () => {
    expect(checkSpans([{ start: 0, end: 13, label: 'X' }], '😀 Apple Inc.', 'codepoint', false).error?.reason).toBe('span out of range');
    expect(checkSpans([{ start: 4, end: 4, label: 'X' }], 'abcdef', 'codepoint', false).error?.detail).toContain('empty or reversed');
    expect(checkSpans([{ start: 1.5, end: 3, label: 'X' }], 'abcdef', 'codepoint', false).error?.reason).toBe('bad span');
    const o = checkSpans([{ start: 0, end: 4, label: 'A' }, { start: 2, end: 5, label: 'B' }], 'abcdef', 'codepoint', false);
    expect(o.error).toEqual({ reason: 'overlapping spans', detail: '0..4 A overlaps 2..5 B (set `overlapping: true` to allow nested spans)' });
    expect(checkSpans([{ start: 0, end: 4, label: 'A' }, { start: 2, end: 5, label: 'B' }], 'abcdef', 'codepoint', true).error).toBeUndefined();
  });
});

describe('export records', () => {
  const t = { id: 't1', text: TEXT, label: 'Positive', confidence: 0.8, spans: [{ start: 2, end: 12, label: 'ORG', text: 'Apple Inc.' }], votes: { alice: 'Positive', bob: 'Negative' } };
  it('each tool\'s task shape, and each reads back as what was written', () => {
    const ls = taskRecord('label_studio', t) as { data: unknown; predictions: { model_version: string }[] };
    expect(ls.data).toEqual({ id: 't1', text: TEXT });
    expect(ls.predictions.map((p) => p.model_version)).toEqual(['ftr', 'annotator:alice', 'annotator:bob']);
    const back = parseRecord('label_studio', ls, { ...O, predictions: true }).annotations;
    expect(back.map((a) => [a.item, a.annotator, a.label, a.spans])).toEqual([
      ['t1', 'model:ftr', 'Positive', [{ start: 2, end: 12, label: 'ORG', text: 'Apple Inc.' }]],
      ['t1', 'model:annotator:alice', 'Positive', null],
      ['t1', 'model:annotator:bob', 'Negative', null],
    ]);
    const pr = taskRecord('prodigy', t);
    expect(pr).toEqual({ text: TEXT, label: 'Positive', spans: [{ start: 2, end: 12, label: 'ORG' }], meta: { id: 't1', votes: { alice: 'Positive', bob: 'Negative' } } });
    expect(parseRecord('prodigy', pr, O).annotations[0]).toMatchObject({ item: 't1', label: 'Positive', spans: [{ start: 2, end: 12, label: 'ORG' }] });
    expect(taskRecord('doccano', { id: 'd', text: 'ab' , label: 'x' })).toEqual({ id: 'd', text: 'ab', label: ['x'] });
    expect(parseRecord('doccano', taskRecord('doccano', t), O).annotations[0].spans).toEqual([{ start: 2, end: 12, label: 'ORG' }]);
    const ar = taskRecord('argilla', t) as Record<string, unknown>;
    expect(ar.responses).toEqual({ label: [{ value: 'Positive', user_id: 'alice', status: 'submitted' }, { value: 'Negative', user_id: 'bob', status: 'submitted' }] });
    expect(parseRecord('argilla', ar, { ...O, question: 'label' }).annotations.map((a) => [a.annotator, a.label])).toEqual([['alice', 'Positive'], ['bob', 'Negative']]);
  });
});

describe('formatCandidates: the fields each tool writes', () => {
  it('doccano with meta and no id is doccano; a bare {text, meta} fits doccano and Prodigy', () => {
    expect(formatCandidates('.jsonl', { text: 'a', label: ['pos'], meta: { x: 1 } })).toEqual(['doccano']);
    expect(formatCandidates('.jsonl', { text: 'a', entities: [[0, 1, 'LOC']], meta: {} })).toEqual(['doccano']);
    expect(formatCandidates('.jsonl', { text: 'a', label: 'pos', meta: { id: 1 } })).toEqual(['prodigy']);
    expect(formatCandidates('.jsonl', { text: 'a', spans: [], meta: { id: 1 } })).toEqual(['prodigy']);
    expect(formatCandidates('.jsonl', { text: 'a', meta: { id: 1 } })).toEqual(['doccano', 'prodigy']);
    expect(detectFormat('.jsonl', { text: 'a', meta: { id: 1 } })).toBeUndefined();
    expect(formatCandidates('.jsonl', { foo: 1 })).toEqual([]);
  });
});

