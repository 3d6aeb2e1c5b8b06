/** Every number a cell reports is also machine-readable: the ops that printed counts only in notes now report metrics. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJson, tempProject } from '../helpers.js';

const ROWS = Array.from({ length: 40 }, (_, i) => ({
  id: `r${i}`,
  text: i % 4 === 0 ? `WIN FREE MONEY now!!! click http://x.example/${i} $$$ act now` : `The refund for order ${i} was processed and the customer was happy with the service`,
  label: i % 3 ? 'a' : 'b',
  group: i % 2 ? 'x' : 'y',
}));

describe('metrics of mix, relevance, language, spam, balance and tokenize', () => {
  it('are in the --json event at full precision and in metrics.json', async () => {
    const file = join(
      tempProject({
        'd.jsonl': ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n',
        'r.ftr': [
          'source d = jsonl "d.jsonl"',
          'cell m = d | mix { x: 50%, y: 50% } by: group',
          'cell rel = d | relevance text terms: ["refund", "order"]',
          'cell lang = d | language',
          'cell sp = d | spam text action: flag',
          'cell bal = d | balance label',
          'cell tok = d | tokenize text cl100k_base',
        ].join('\n'),
      }),
      'r.ftr',
    );
    const r = await runJson(file);
    expect(r.code).toBe(0);
    const m = (cell: string, op: string) => r.cells.get(cell)!.metrics![op] as Record<string, unknown>;
    expect(m('m', 'mix')).toMatchObject({ rows_in: 40, rows_out: r.cells.get('m')!.rowsOut });
    expect(m('rel', 'relevance')).toMatchObject({ rows: 40, kept: r.cells.get('rel')!.rowsOut });
    expect(m('lang', 'language')).toMatchObject({ rows: 40, kept: 40 });
    expect(m('sp', 'spam')).toMatchObject({ rows: 40 });
    expect((m('sp', 'spam').spam_rows as number) > 0).toBe(true);
    expect(m('bal', 'balance')).toMatchObject({ labeled: 40, unlabeled: 0, rows_out: r.cells.get('bal')!.rowsOut });
    const tok = m('tok', 'tokenize').tokens as Record<string, number>;
    expect(tok.rows).toBe(40);
    expect(tok.chars_per_token).not.toBe(Number(tok.chars_per_token.toFixed(2))); // full precision, not the note's 2 decimals
    const written = r.cells.get('tok')!.metricsFile!;
    expect(existsSync(written)).toBe(true);
    expect(JSON.parse(readFileSync(written, 'utf8')).metrics.tokenize.tokens.tokens).toBe(tok.tokens);
  });
});
