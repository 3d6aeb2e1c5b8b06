import { fakeContext } from './harness.js';
import { describe, expect, it } from 'vitest';
import { htmlToText, strip_html } from '../../src/ops/clean/strip_html.js';
import { normalizeText } from '../../src/ops/clean/normalize.js';
import { Drop, type OpContext } from '../../src/ops/types.js';
import { keep, drop } from '../../src/ops/filter/keep.js';
import { compileExpr, type ExprIR } from '../../src/core/expr.js';

const ctx: OpContext = fakeContext();

describe('strip_html', () => {
  it('removes tags, scripts and comments, decodes entities, keeps paragraphs apart', () => {
    expect(htmlToText('<p>Refund &amp; <b>credit</b></p><p>next</p>')).toBe('\nRefund & credit\n\nnext\n');
    expect(htmlToText('a<script>alert(1)</script>b<!-- x -->c<style>p{}</style>')).toBe('a bc ');
    expect(htmlToText('5 &lt; 6 &#233;t&eacute;')).toBe('5 < 6 été');
  });
  it('cleans only text columns by default', () => {
    const fn = strip_html.map!({}, ctx);
    expect(fn({ id: '<b>1</b>', text: '<i>hi</i>', n: 3 })).toEqual({ id: '<b>1</b>', text: 'hi', n: 3 });
  });
});

describe('normalize', () => {
  const o = { form: 'nfkc', whitespace: true, lowercase: false, controls: true } as const;
  it('NFKC folds compatibility forms and composes accents', () => {
    expect(normalizeText('ﬁle caf\u0065\u0301 Ｆｕｌｌ', o)).toBe('file café Full');
  });
  it('removes zero-width and control characters, collapses whitespace', () => {
    expect(normalizeText('  a\u200b b\t\tc \u0007\r\n\r\n\r\n\nd  ', o)).toBe('a b c\n\nd');
  });
  it('lowercases on request', () => {
    expect(normalizeText('Hello WORLD', { ...o, lowercase: true })).toBe('hello world');
  });
});

describe('keep / drop', () => {
  const when: ExprIR = { k: 'bin', op: '>=', l: { k: 'call', fn: 'len', args: [{ k: 'col', name: 'text' }] }, r: { k: 'lit', value: 3 } };
  it('keep passes rows where the condition holds and drops the others with a reason', () => {
    const fn = keep.map!({ when, reason: 'too short' }, ctx);
    expect(fn({ text: 'abcd' })).toEqual({ text: 'abcd' });
    const d = fn({ text: 'ab' });
    expect(d).toBeInstanceOf(Drop);
    expect((d as Drop).reason).toBe('too short');
  });
  it('drop is the inverse, and its default reason is the condition', () => {
    const fn = drop.map!({ when }, ctx);
    expect((fn({ text: 'abcd' }) as Drop).reason).toBe('len(text) >= 3');
    expect(fn({ text: 'ab' })).toEqual({ text: 'ab' });
    expect(compileExpr(when)({ text: null })).toBe(false);
  });
});
