/** `export_tasks`: rows → review tasks for each tool, read back by `annotations` unchanged (labels, spans, offsets). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, readJsonl, runJson, tempProject } from '../../helpers.js';

const ROWS = [
  { id: 'a1', text: '😀 Acme Phone refund please' },
  { id: 'a2', text: 'my password for Acme Phone' },
  { id: 'a3', text: 'hello' },
];
const ANNOTATE = `cell labeled = t | annotate {
  rule refund: keywords(["refund"]) -> "billing"
  rule login: keywords(["password"]) -> "account"
  span prod: keywords(["Acme Phone"]) -> "PRODUCT"
}`;

function project(body: string, extra: Record<string, string> = {}): string {
  return join(tempProject({ 'd.jsonl': ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n', ...extra, 'r.ftr': `recipe x\nsource t = jsonl "d.jsonl"\n${ANNOTATE}\n${body}\n` }), 'r.ftr');
}

describe('export_tasks', () => {
  it('label_studio: tasks with the rule label and spans as predictions, a labeling config, and a lossless round trip', async () => {
    const file = project('export labeled | export_tasks "review/tasks.json"');
    const { code, cells } = await runJson(file);
    expect(code).toBe(0);
    const dir = join(file, '..');
    const tasks = JSON.parse(readFileSync(join(dir, 'review', 'tasks.json'), 'utf8'));
    expect(tasks).toHaveLength(3);
    expect(tasks[0].data).toEqual({ id: 'a1', text: ROWS[0].text });
    expect(tasks[0].predictions[0].model_version).toBe('ftr');
    expect(tasks[0].predictions[0].result).toEqual([
      { id: 'c0', from_name: 'label', to_name: 'text', type: 'choices', value: { choices: ['billing'] } },
      { id: 's0', from_name: 'ner', to_name: 'text', type: 'labels', value: { start: 2, end: 12, text: 'Acme Phone', labels: ['PRODUCT'] } },
    ]);
    // one pre-annotation per rule vote, so a reviewer sees which rules fired
    expect(tasks[0].predictions.slice(1).map((p: { model_version: string }) => p.model_version)).toEqual(['annotator:refund']);
    expect(tasks[2].predictions).toEqual([]);
    const cfg = readFileSync(join(dir, 'review', 'tasks.label_config.xml'), 'utf8');
    expect(cfg).toContain('<Labels name="ner" toName="text">');
    expect(cfg).toContain('<Choice value="account"/>');
    expect(cfg).toContain('<Choice value="billing"/>');
    expect(cells.get('export:labeled')!.notes!.some((l) => l.startsWith('wrote review/tasks.json (3 rows'))).toBe(true);

    // read back: predictions become annotator model:ftr; offsets are the same code points
    const back = join(tempProject({ 'tasks.json': readFileSync(join(dir, 'review', 'tasks.json'), 'utf8'), 'r.ftr': 'source a = annotations "tasks.json" predictions: true\ncell ftr = a | keep annotator == "model:ftr"\nexport ftr | write "out/" shuffle: false' }), 'r.ftr');
    expect((await runJson(back)).code).toBe(0);
    const rows = readJsonl(join(back, '..', 'out', 'ftr.jsonl'));
    expect(rows.map((r) => [r.item, r.label, r.spans])).toEqual([
      ['a1', 'billing', [{ start: 2, end: 12, label: 'PRODUCT', text: 'Acme Phone' }]],
      ['a2', 'account', [{ start: 16, end: 26, label: 'PRODUCT', text: 'Acme Phone' }]],
    ]);
  });

  it('prodigy, doccano and argilla read back as what was written; parts get one file each', async () => {
    const file = project(`cell parts = labeled | split 50% 50%
export labeled | export_tasks "p/tasks.jsonl" format: prodigy
export labeled | export_tasks "d/tasks.jsonl" format: doccano
export labeled | export_tasks "a/tasks.json" format: argilla
export parts | export_tasks "s/" format: doccano`);
    expect((await runJson(file)).code).toBe(0);
    const dir = join(file, '..');
    expect(existsSync(join(dir, 's', 'train.jsonl')) && existsSync(join(dir, 's', 'val.jsonl'))).toBe(true);
    const p = readJsonl(join(dir, 'p', 'tasks.jsonl'));
    expect(p[0]).toEqual({ text: ROWS[0].text, label: 'billing', spans: [{ start: 2, end: 12, label: 'PRODUCT' }], meta: { id: 'a1', votes: { refund: 'billing' } } });
    const d = readJsonl(join(dir, 'd', 'tasks.jsonl'));
    expect(d[1]).toEqual({ id: 'a2', text: ROWS[1].text, label: [[16, 26, 'PRODUCT']], votes: { login: 'account' } });
    const a = JSON.parse(readFileSync(join(dir, 'a', 'tasks.json'), 'utf8'));
    expect(a[0]).toEqual({ id: 'a1', fields: { text: ROWS[0].text }, metadata: {}, suggestions: { label: { value: 'billing', agent: 'ftr', score: 1 }, spans: { value: [{ start: 2, end: 12, label: 'PRODUCT' }], agent: 'ftr' } }, responses: { label: [{ value: 'billing', user_id: 'refund', status: 'submitted' }] } });
    const back = join(
      tempProject({ 'p.jsonl': readFileSync(join(dir, 'p', 'tasks.jsonl'), 'utf8'), 'r.ftr': 'source a = annotations "p.jsonl"\nexport a | write "out/" shuffle: false' }),
      'r.ftr',
    );
    expect((await runJson(back)).code).toBe(0);
    expect(readJsonl(join(back, '..', 'out', 'a.jsonl')).map((r) => [r.item, r.label, (r.spans as unknown[]).length])).toEqual([['a1', 'billing', 1], ['a2', 'account', 1], ['a3', null, 0]]); // a3: no entities, still an answer
  });

  it('check: the text and id columns must exist', async () => {
    const r = await ftr('check', project('export labeled | export_tasks "x/" text: body'));
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('unknown column `body`');
  });
});
