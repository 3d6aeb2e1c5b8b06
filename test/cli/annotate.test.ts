import '../ui/no-color.js'; // first: the end-to-end test draws an Ink screen
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe } from '../../src/check/checker.js';
import { annotateCommand, NEEDS_TTY } from '../../src/cli/annotate.js';
import { AnnotationFile, csvLine, parseCsv } from '../../src/cli/annotation-file.js';
import { registry } from '../../src/ops/registry.js';
import type { OpDef } from '../../src/ops/types.js';
import { runGraph } from '../../src/runtime/executor.js';
import { Store } from '../../src/runtime/store.js';
import { ftr, ftrProcess, tempProject } from '../helpers.js';

const ROWS = [
  { id: 'T1', text: 'I was charged twice.', label: 'billing' },
  { id: 'T2', text: 'Where is my order?', label: 'shipping' },
  { id: 'q,3', text: 'A "quoted" id', label: 'billing' },
  { id: 'T4', text: 'Reset my password', label: 'account' },
];

const RECIPE = 'recipe t\nsource tickets = jsonl "data.jsonl" { id: .id, text: .text, label: .label }\ncell unique = tickets | dedupe text\nexport unique | write "out/"\n';

function project(extra: Record<string, string> = {}): string {
  return tempProject({ 'r.ftr': RECIPE, 'data.jsonl': ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n', ...extra });
}

/** The annotation importer (src/ops/annotate/annotations.ts), registered or not yet. */
async function importerRegistry(): Promise<Map<string, OpDef> | undefined> {
  if (registry.has('annotations')) return registry;
  const path = new URL('../../src/ops/annotate/annotations.ts', import.meta.url);
  if (!existsSync(path)) return undefined;
  const mod = (await import(path.href)) as { annotations?: OpDef };
  return mod.annotations ? new Map([...registry, ['annotations', mod.annotations]]) : undefined;
}

async function runRows(dir: string, reg: Map<string, OpDef>, cell: string): Promise<Record<string, unknown>[]> {
  const { graph, diagnostics } = checkRecipe(join(dir, 'r.ftr'), reg);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const store = new Store(join(dir, '.ftr'));
  store.init();
  const summary = await runGraph(graph!, { store, emit: () => undefined });
  expect(summary.status).toBe('ok');
  const rows: Record<string, unknown>[] = [];
  for (const shards of Object.values(summary.cells[cell].manifest.parts)) for (const s of shards) for await (const r of store.readShard(s)) rows.push(r);
  return rows;
}

describe('annotation file', () => {
  it('is a CSV of item,annotator,label: header once, one line per label, RFC 4180 quoting', () => {
    const dir = tempProject({});
    const f = new AnnotationFile(join(dir, 'a.csv'), 'ana');
    f.append({ item: 'T1', label: 'billing' });
    f.append({ item: 'q,3', label: 'say "hi"' });
    f.append({ item: 'multi\nline', label: ' padded ' });
    expect(readFileSync(join(dir, 'a.csv'), 'utf8')).toBe('item,annotator,label\nT1,ana,billing\n"q,3",ana,"say ""hi"""\n"multi\nline",ana," padded "\n');
    expect(parseCsv(readFileSync(join(dir, 'a.csv'), 'utf8')).records.map((r) => r.fields)).toEqual([
      ['item', 'annotator', 'label'],
      ['T1', 'ana', 'billing'],
      ['q,3', 'ana', 'say "hi"'],
      ['multi\nline', 'ana', ' padded '],
    ]);
  });

  it('keeps skips out of the CSV, in FILE.progress.json, and resumes in decision order', () => {
    const dir = tempProject({});
    const path = join(dir, 'a.csv');
    const ana = new AnnotationFile(path, 'ana');
    const bob = new AnnotationFile(path, 'bob');
    ana.append({ item: 'T1', label: 'billing' });
    ana.append({ item: 'T2', label: null });
    bob.append({ item: 'T1', label: 'account' });
    ana.append({ item: 'T3', label: 'shipping' });
    ana.append({ item: 'T4', label: null });
    expect(readFileSync(path, 'utf8')).toBe('item,annotator,label\nT1,ana,billing\nT1,bob,account\nT3,ana,shipping\n');
    expect(JSON.parse(readFileSync(`${path}.progress.json`, 'utf8'))).toEqual({
      version: 1,
      skipped: [
        { annotator: 'ana', item: 'T2', at: 1 },
        { annotator: 'ana', item: 'T4', at: 3 },
      ],
    });
    expect(new AnnotationFile(path, 'ana').load().decisions).toEqual([
      { item: 'T1', label: 'billing' },
      { item: 'T2', label: null },
      { item: 'T3', label: 'shipping' },
      { item: 'T4', label: null },
    ]);
    expect(new AnnotationFile(path, 'bob').load().decisions).toEqual([{ item: 'T1', label: 'account' }]);
  });

  it('undo removes the decision: the CSV line (file rewritten, other lines untouched) or the skip', () => {
    const dir = tempProject({});
    const path = join(dir, 'a.csv');
    const ana = new AnnotationFile(path, 'ana');
    ana.append({ item: 'T1', label: 'billing' });
    new AnnotationFile(path, 'bob').append({ item: 'T1', label: 'account' });
    ana.append({ item: 'T2', label: null });
    ana.append({ item: 'T3', label: 'shipping' });
    ana.remove({ item: 'T3', label: 'shipping' });
    ana.remove({ item: 'T2', label: null });
    expect(readFileSync(path, 'utf8')).toBe('item,annotator,label\nT1,ana,billing\nT1,bob,account\n');
    expect(existsSync(`${path}.progress.json`)).toBe(false);
    ana.remove({ item: 'T1', label: 'billing' });
    expect(readFileSync(path, 'utf8')).toBe('item,annotator,label\nT1,bob,account\n');
  });

  it('drops a trailing partial line on load, with a warning', () => {
    const dir = tempProject({ 'a.csv': 'item,annotator,label\nT1,ana,billing\nT2,ana,shi' });
    const r = new AnnotationFile(join(dir, 'a.csv'), 'ana').load();
    expect(r.decisions).toEqual([{ item: 'T1', label: 'billing' }]);
    expect(r.warnings).toEqual([expect.stringMatching(/dropped a partial last line \("T2,ana,shi"\)/)]);
    expect(readFileSync(join(dir, 'a.csv'), 'utf8')).toBe('item,annotator,label\nT1,ana,billing\n');
    // a quoted field left open is partial too
    writeFileSync(join(dir, 'b.csv'), 'item,annotator,label\n"T1\n');
    expect(new AnnotationFile(join(dir, 'b.csv'), 'ana').load().warnings).toHaveLength(1);
  });

  it('refuses a file that is not an annotation CSV', () => {
    const dir = tempProject({ 'a.csv': 'question,category\nx,y\n', 'b.csv': 'item,annotator,label\nT1,ana\n' });
    expect(() => new AnnotationFile(join(dir, 'a.csv'), 'ana').load()).toThrow(/not an annotation file: its header is `question,category`/);
    expect(() => new AnnotationFile(join(dir, 'b.csv'), 'ana').load()).toThrow(/b\.csv:2: expected 3 fields/);
  });

  it('is what the annotation importer reads: one row per (item, annotator, label)', async () => {
    const reg = await importerRegistry();
    const dir = project();
    const f = new AnnotationFile(join(dir, 'annotations.csv'), 'ana');
    for (const d of [
      { item: 'T1', label: 'billing' },
      { item: 'q,3', label: 'say "hi"' },
      { item: 'T4', label: null },
      { item: 'multi\nline', label: 'account' },
    ])
      f.append(d);
    new AnnotationFile(join(dir, 'annotations.csv'), 'bob').append({ item: 'T1', label: 'shipping' });
    const expected = [
      { item: 'T1', annotator: 'ana', label: 'billing' },
      { item: 'q,3', annotator: 'ana', label: 'say "hi"' },
      { item: 'multi\nline', annotator: 'ana', label: 'account' },
      { item: 'T1', annotator: 'bob', label: 'shipping' },
    ];
    expect(readFileSync(join(dir, 'annotations.csv'), 'utf8')).toBe('item,annotator,label\n' + expected.map((e) => csvLine([e.item, e.annotator, e.label])).join(''));
    if (!reg) return; // no importer yet: the exact text above is the contract
    writeFileSync(join(dir, 'r.ftr'), 'recipe t\nsource ann = annotations "annotations.csv"\n');
    const rows = await runRows(dir, reg, 'ann');
    expect(rows.map((r) => ({ item: r.item, annotator: r.annotator, label: r.label }))).toEqual(expected);
  });

  it('reads back through the csv source as well (quoted fields intact)', async () => {
    const dir = project();
    const f = new AnnotationFile(join(dir, 'annotations.csv'), 'ana');
    f.append({ item: 'q,3', label: 'say "hi"' });
    f.append({ item: 'T1', label: 'billing' });
    writeFileSync(join(dir, 'r.ftr'), 'recipe t\nsource ann = csv "annotations.csv"\n');
    const rows = await runRows(dir, registry, 'ann');
    expect(rows.map((r) => [r.item, r.annotator, r.label])).toEqual([
      ['q,3', 'ana', 'say "hi"'],
      ['T1', 'ana', 'billing'],
    ]);
  });
});

describe('ftr annotate', () => {
  it('exits 2 without an interactive terminal, before running anything', async () => {
    const dir = project();
    const r = await ftr('annotate', join(dir, 'r.ftr'), 'unique', '--labels', 'a,b');
    expect(r.code).toBe(2);
    expect(r.err).toContain('ftr annotate needs an interactive terminal');
    expect(existsSync(join(dir, '.ftr', 'state'))).toBe(false);
    const p = ftrProcess(['annotate', join(dir, 'r.ftr'), 'unique'], { cwd: dir });
    expect(p.code).toBe(2);
    expect(p.err).toBe(`${NEEDS_TTY}\n`);
  });

  it('checks its arguments: cell, column, labels (exit 2, with what would work)', async () => {
    const dir = project();
    const file = join(dir, 'r.ftr');
    expect(await ftr('annotate', file)).toMatchObject({ code: 2, err: expect.stringContaining('usage: ftr annotate FILE CELL') });
    expect(await ftr('annotate', file, 'uniqe')).toMatchObject({ code: 2, err: expect.stringContaining('no cell `uniqe`') });
    expect(await ftr('annotate', file, 'unique', '--column', 'txt')).toMatchObject({ code: 2, err: expect.stringContaining('did you mean `text`?') });
    expect(await ftr('annotate', file, 'unique', '--labels', 'a,b,a')).toMatchObject({ code: 2, err: expect.stringContaining('--labels lists `a` twice') });
    expect(await ftr('annotate', file, 'unique', '--labels', '1,2,3,4,5,6,7,8,9,10')).toMatchObject({ code: 2, err: expect.stringContaining('at most 9') });
    expect(await ftr('annotate', file, 'unique', '--limit', '0')).toMatchObject({ code: 2, err: expect.stringContaining('--limit') });
    const noLabel = tempProject({ 'r.ftr': 'recipe t\nsource d = jsonl "d.jsonl" { id: .id, text: .text }\n', 'd.jsonl': '{"id":"a","text":"x"}\n' });
    expect(await ftr('annotate', join(noLabel, 'r.ftr'), 'd')).toMatchObject({ code: 2, err: expect.stringContaining('pass --labels a,b,c') });
  });

  it('end to end on a fake terminal: runs the recipe, labels rows, resumes, undoes', async () => {
    const dir = project();
    const { graph } = checkRecipe(join(dir, 'r.ftr'), registry);
    const store = () => {
      const s = new Store(join(dir, '.ftr'));
      s.init();
      return s;
    };
    const session = async (keys: string[], opts: { labels?: string; limit?: number } = {}) => {
      const term = fakeTerminal();
      let out = '';
      let err = '';
      const done = annotateCommand(graph!, 'unique', store, { annotator: 'ana', stdin: term.stdin, stdout: term.stdout, ...opts }, { out: (s) => void (out += s), err: (s) => void (err += s) });
      await until(() => term.text().includes('annotate t · unique'));
      for (const k of keys) {
        term.stdin.write(k);
        await new Promise((r) => setTimeout(r, 15));
      }
      const code = await done;
      return { code, out, err, screen: term.text() };
    };
    const csv = join(dir, 'annotations.csv');

    // labels from the `label` column: account, billing, shipping (sorted) → keys 1/a 2/b 3
    const first = await session(['2', 's', '3', 'q']);
    expect(first.code).toBe(0);
    expect(first.screen).toContain('1 / 4 · 0 labelled · 0 skipped');
    expect(first.screen).toContain('1/a account   2/b billing   3 shipping   s skip   u undo   q quit');
    expect(first.screen).toContain('done: 2 labelled, 1 skipped this session · 2 labelled, 1 skipped, 1 left of 4');
    expect(first.out).toContain('annotations: ');
    expect(existsSync(join(dir, 'out'))).toBe(false); // what comes after the cell did not run
    expect(readFileSync(csv, 'utf8')).toBe('item,annotator,label\nT1,ana,billing\n"q,3",ana,shipping\n');

    // resume: T1, T2 (skipped) and q,3 are done: T4 is next; u takes back q,3
    const second = await session(['u', 'a', 'b', 'q'], { labels: 'account,billing,shipping' });
    expect(second.screen).toContain('4 / 4 · 2 labelled · 1 skipped'); // the first frame
    expect(readFileSync(csv, 'utf8')).toBe('item,annotator,label\nT1,ana,billing\n"q,3",ana,account\nT4,ana,billing\n');
    expect(second.screen).toContain('done: 2 labelled, 0 skipped, 1 undone this session · 3 labelled, 1 skipped, 0 left of 4');
  });
});

/** Stdin and stdout enough for Ink: a TTY that takes keys, and a screen that keeps what was drawn. */
function fakeTerminal() {
  class Stdin extends EventEmitter {
    isTTY = true;
    private data: string | null = null;
    write(data: string) {
      this.data = data;
      this.emit('readable');
    }
    read() {
      const d = this.data;
      this.data = null;
      return d;
    }
    setEncoding() {}
    setRawMode() {}
    resume() {}
    pause() {}
    ref() {}
    unref() {}
  }
  class Stdout extends EventEmitter {
    columns = 100;
    rows = 30;
    chunks: string[] = [];
    write(s: string) {
      this.chunks.push(s);
      return true;
    }
  }
  const stdin = new Stdin();
  const stdout = new Stdout();
  return {
    stdin: stdin as unknown as NodeJS.ReadStream & { write(s: string): void },
    stdout: stdout as unknown as NodeJS.WriteStream,
    // eslint-disable-next-line no-control-regex
    text: () => stdout.chunks.join('').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''),
  };
}

async function until(f: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting for the screen');
    await new Promise((r) => setTimeout(r, 10));
  }
}
