/** A run that probably did not do what the recipe meant says so under the cell; `--strict` fails it. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJson, tempProject } from '../helpers.js';

const DATA = Array.from({ length: 5 }, (_, i) => JSON.stringify({ msg: { body: `text ${i}` }, label: i % 2 ? 'a' : 'b' })).join('\n') + '\n';

function project(recipe: string): string {
  return join(tempProject({ 'd.jsonl': DATA, 'r.ftr': recipe }), 'r.ftr');
}

describe('run-time warnings', () => {
  it('a keep that removes every row of a non-empty input warns, on the first and on a cached run', async () => {
    const file = project('source d = jsonl "d.jsonl" { text: .msg.body, label: .label }\ncell k = d | keep len(text) > 100');
    for (const status of ['done', 'cached']) {
      const r = await runJson(file);
      expect(r.code).toBe(0);
      const k = r.cells.get('k')!;
      expect(k.status).toBe(status);
      expect(k.warnings).toEqual(['`keep` removed every row (5 → 0)']);
      expect(k.notes).toContain('warning: `keep` removed every row (5 → 0)');
    }
  });

  it('a mapped field that is null in every row is reported under its source', async () => {
    const r = await runJson(project('source d = jsonl "d.jsonl" { text: .msg.bdy, label: .label }'));
    expect(r.code).toBe(0);
    expect(r.cells.get('d')!.warnings).toEqual(['`text` is null in every row read — check the field it is read from']);
  });

  it('--strict turns a warning into a failed cell (exit 3)', async () => {
    const r = await runJson(project('source d = jsonl "d.jsonl" { text: .msg.body }\ncell k = d | keep len(text) > 100'), '--strict');
    expect(r.code).toBe(3);
    expect(r.cells.get('k')!.status).toBe('failed');
    expect(r.cells.get('k')!.error).toMatch(/`keep` removed every row \(5 → 0\)\n\(--strict/);
  });
});
