import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe } from '../../src/check/checker.js';
import { registry } from '../../src/ops/registry.js';
import { renderDiagnostics } from '../../src/parser/diagnostics.js';
import { cellOf, check, columnsOf, range, shown } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'recipes');

/** A library in a subfolder, with its own data file next to it. */
const LIB = {
  'lib/common.ftr': [
    'param min = 3', // 1
    'source raw = jsonl "d.jsonl"', // 2
    'cell clean = raw | keep len(text) >= min | dedupe text', // 3
    'cell parts = clean | split 50% 50%', // 4
  ].join('\n'),
  'lib/d.jsonl': '{"text":"library row","kind":"x"}\n',
};

describe('use', () => {
  it('without `as`: the used cells are available under their own names', () => {
    const r = check('use "lib/common.ftr"\ncell mine = clean | keep true', LIB);
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.cells.map((c) => c.name)).toEqual(['raw', 'clean', 'parts', 'mine']);
    expect(cellOf(r, 'mine').deps).toEqual(['clean']);
    expect(r.graph!.order.indexOf('mine')).toBeGreaterThan(r.graph!.order.indexOf('clean'));
  });

  it('relative paths in a used file resolve against that file\'s folder', () => {
    const r = check('use "lib/common.ftr"', LIB);
    expect(r.diagnostics).toEqual([]);
    expect(cellOf(r, 'raw').baseDir).toBe(resolve(r.dir, 'lib'));
    expect(cellOf(r, 'raw').steps[0].params.path).toBe('d.jsonl');
    expect(columnsOf(r, 'raw')).toEqual(['id', 'source', 'text', 'kind']);
  });

  it('with `as`: cells are namespaced, refer to each other inside, and parts work through the prefix', () => {
    const r = check('use "lib/common.ftr" as lib\ncell mine = lib.clean | keep true\ncell tr = lib.parts.train', LIB);
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.cells.map((c) => c.name)).toEqual(['lib.raw', 'lib.clean', 'lib.parts', 'mine', 'tr']);
    expect(cellOf(r, 'lib.clean').deps).toEqual(['lib.raw']);
    expect(cellOf(r, 'tr').input).toMatchObject({ cell: 'lib.parts', part: 'train' });
  });

  it('with `as`: the bare name is unknown, and the namespaced one is listed', () => {
    const d = check('use "lib/common.ftr" as lib\ncell mine = clean | keep true', LIB).only();
    expect([d.code, range(d), d.message]).toEqual(['E0102', '2:13-2:18', 'unknown cell `clean`']);
    expect(d.notes).toEqual(['cells: lib.raw, lib.clean, lib.parts, mine']);
  });

  it('params of a used file are visible and overridable', () => {
    const r = check('use "lib/common.ftr" as lib\ncell mine = lib.clean | keep len(text) > min', LIB, { set: { min: '5' } });
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.params).toEqual({ min: 5 });
  });

  it('a file used twice is loaded once', () => {
    const r = check('use "lib/common.ftr"\nuse "lib/common.ftr"\ncell mine = clean', LIB);
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.cells.filter((c) => c.name === 'clean')).toHaveLength(1);
  });

  it('errors inside a used file point into that file, and its text is kept for rendering', () => {
    const r = check('use "lib/bad.ftr"\ncell mine = x', { 'lib/bad.ftr': 'source x = jsonl "../t.jsonl"\ncell y = x | dedup text' });
    const libFile = shown(join(r.dir, 'lib', 'bad.ftr'));
    const d = r.only();
    expect([d.code, d.span.file, range(d), d.help]).toEqual(['E0101', libFile, '2:14-2:19', 'did you mean `dedupe`?']);
    expect(r.sources.get(libFile)).toBe('source x = jsonl "../t.jsonl"\ncell y = x | dedup text');
    expect(renderDiagnostics(r.diagnostics, r.sources)).toContain(`  --> ${libFile}:2:14\n  |\n2 | cell y = x | dedup text\n  |              ^^^^^`);
  });

  it('syntax errors in a used file are reported too', () => {
    const r = check('use "lib/bad.ftr"', { 'lib/bad.ftr': 'cel y = x' });
    expect(r.diagnostics.map((d) => [d.code, d.span.file, d.help])).toEqual([['E0002', shown(join(r.dir, 'lib', 'bad.ftr')), 'did you mean `cell`?']]);
  });

  it('a missing file (E0301) at the path, saying where it looked', () => {
    const r = check('use "missing.ftr"');
    const d = r.only();
    expect([d.code, range(d), d.message]).toEqual(['E0301', '1:5-1:18', 'cannot find `missing.ftr`']);
    expect(d.notes).toEqual([`looked for ${shown(join(r.dir, 'missing.ftr'))}`]);
  });

  it('a `use` cycle (E0302) at the `use` that closes it, with the chain of files', () => {
    const a = join(FIXTURES, 'use-cycle', 'a.ftr');
    const b = join(FIXTURES, 'use-cycle', 'b.ftr');
    const r = checkRecipe(a, registry);
    expect(r.graph).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0];
    expect([d.code, d.span.file, range(d)]).toEqual(['E0302', shown(b), '2:5-2:12']);
    expect(d.message).toBe(`\`use\` cycle: ${shown(a)} → ${shown(b)} → ${shown(a)}`);
  });

  it('a file that uses itself (E0302)', () => {
    const r = check('use "r.ftr"');
    expect(r.codes).toEqual([['E0302', '1:5']]);
    expect(r.diagnostics[0].message).toBe(`\`use\` cycle: ${r.file} → ${r.file}`);
  });

  it('with an in-memory readFile: sources come from it, and an unreadable one is E0301', () => {
    const files = new Map([
      ['/mem/main.ftr', 'use "lib.ftr" as lib\nuse "gone.ftr"'],
      ['/mem/lib.ftr', 'use "main.ftr"'],
    ]);
    const readFile = (p: string) => {
      const t = files.get(p);
      if (t === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return t;
    };
    const r = checkRecipe('/mem/main.ftr', registry, { readFile });
    expect(r.diagnostics.map((d) => [d.code, d.span.file, range(d), d.message])).toEqual([
      ['E0302', shown('/mem/lib.ftr'), '1:5-1:15', `\`use\` cycle: ${shown('/mem/main.ftr')} → ${shown('/mem/lib.ftr')} → ${shown('/mem/main.ftr')}`],
      ['E0301', shown('/mem/main.ftr'), '2:5-2:15', `cannot read \`${shown('/mem/gone.ftr')}\`: ENOENT`],
    ]);
    expect([...r.sources.keys()].sort()).toEqual([shown('/mem/lib.ftr'), shown('/mem/main.ftr')].sort());
  });
});
