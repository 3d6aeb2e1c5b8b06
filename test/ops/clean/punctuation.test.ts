import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collapseRepeats, punctuation, punctuationText } from '../../../src/ops/clean/punctuation.js';
import { readJsonl, runJson, tempProject } from '../../helpers.js';
import { runMap } from './harness.js';

const all = { quotes: true, dashes: true, ellipsis: true, repeats: true };

describe('punctuation', () => {
  it('straightens quotes, plain dashes, ellipsis, collapses repeats', () => {
    expect(punctuationText('‘single’ “double” „low‟ ‛rev', all)).toBe('\'single\' "double" "low" \'rev');
    expect(punctuationText('a–b — c―d −5 non‑breaking‐hyphen', all)).toBe('a-b - c-d -5 non-breaking-hyphen');
    expect(punctuationText('wait… what!!!! really?? ok?!?! fine,, so;; and.....', all)).toBe('wait... what! really? ok?! fine, so; and...');
  });

  it('leaves guillemets, primes, colons and a plain ellipsis alone', () => {
    const s = '«bonjour» 5′ 3″ std::vector 10:30 ... e.g.';
    expect(punctuationText(s, all)).toBe(s);
    expect(collapseRepeats('...')).toBe('...');
    expect(collapseRepeats('…!!')).toBe('…!');
  });

  it('each option can be turned off', () => {
    const s = '“x” – y… !!';
    expect(punctuationText(s, { ...all, quotes: false })).toBe('“x” - y... !');
    expect(punctuationText(s, { ...all, dashes: false })).toBe('"x" – y... !');
    expect(punctuationText(s, { ...all, ellipsis: false })).toBe('"x" - y… !');
    expect(punctuationText(s, { ...all, repeats: false })).toBe('"x" - y... !!');
  });

  it('the map op cleans text columns, not id or source', () => {
    const fn = runMap(punctuation, {});
    expect(fn({ id: '“1”', source: '“s”', text: '“hi”!!', n: 2 })).toEqual({ id: '“1”', source: '“s”', text: '"hi"!', n: 2 });
    expect(runMap(punctuation, { columns: ['a'] })({ a: '“a”', b: '“b”' })).toEqual({ a: '"a"', b: '“b”' });
  });

  it('runs in a recipe', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe p\nsource t = jsonl "t.jsonl"\ncell p = t | punctuation text repeats: false\nexport p | write "out/"\n',
      't.jsonl': JSON.stringify({ text: '“Great” — really…!!!' }) + '\n',
    });
    const { code } = await runJson(join(dir, 'r.ftr'));
    expect(code).toBe(0);
    expect(readJsonl(join(dir, 'out/p.jsonl'))[0].text).toBe('"Great" - really...!!!');
  });
});
