import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftr, runJson, tempProject } from '../helpers.js';

/** A cell that reads a file another cell writes runs after it — sources included. */
describe('file flow between cells', () => {
  const rows = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `r${i}`, text: `row number ${i} says hello` })).join('\n') + '\n';

  it('a source reads what an export wrote: checked without the file, ordered after its writer, run in one go', async () => {
    const dir = tempProject({
      'data/a.jsonl': rows,
      // declared before the cell that writes its file: order comes from the file, not the text
      'r.ftr': `recipe flow
source again = jsonl "gen/rows.jsonl"
cell n = again | keep len(text) > 0 "empty"
source raw = jsonl "data/a.jsonl"
export raw | write "gen/rows.jsonl"
`,
    });
    const check = await ftr('check', join(dir, 'r.ftr'));
    expect(check.code, check.err).toBe(0);
    const run = await runJson(join(dir, 'r.ftr'));
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, 'gen/rows.jsonl'))).toBe(true);
    const order = run.events.filter((e) => e.type === 'cell' && e.status === 'done').map((e) => (e as { cell: string }).cell);
    expect(order.indexOf('again')).toBeGreaterThan(order.indexOf('export:raw'));
    expect(run.cells.get('n')?.rowsOut).toBe(30);
  });

  it('a tokenizer file orders tokenize after train_tokenizer', async () => {
    const dir = tempProject({
      'data/a.jsonl': rows,
      'r.ftr': `recipe tok
source raw = jsonl "data/a.jsonl"
cell counted = raw | tokenize text tokenizer_file: "tok/tokenizer.json"
cell trained = raw | train_tokenizer "tok/tokenizer.json" vocab_size: 300 min_frequency: 1
`,
    });
    const run = await runJson(join(dir, 'r.ftr'));
    expect(run.code).toBe(0);
    const order = run.events.filter((e) => e.type === 'cell' && e.status === 'done').map((e) => (e as { cell: string }).cell);
    expect(order.indexOf('counted')).toBeGreaterThan(order.indexOf('trained'));
    // the tokenizer is a file outside the cache: deleted, the cached step writes it again
    const tok = join(dir, 'tok/tokenizer.json');
    const before = readFileSync(tok, 'utf8');
    rmSync(tok);
    const again = await runJson(join(dir, 'r.ftr'));
    expect(again.code).toBe(0);
    expect(again.cells.get('trained')?.status).toBe('done');
    expect(readFileSync(tok, 'utf8')).toBe(before);
    const third = await runJson(join(dir, 'r.ftr'));
    expect(third.cells.get('trained')?.status).toBe('cached');
  });

  it('a cell reading a file its own input writes is a cycle, reported with the file', async () => {
    const dir = tempProject({
      'data/a.jsonl': rows,
      'r.ftr': `recipe loop
source raw = jsonl "gen/b.jsonl"
export raw | write "gen/b.jsonl"
`,
    });
    const check = await ftr('check', join(dir, 'r.ftr'));
    expect(check.code).toBe(1);
    expect(check.err).toMatch(/cycle/);
    expect(check.err).toMatch(/reads gen\/b\.jsonl/);
  });
});
