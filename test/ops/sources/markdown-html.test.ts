import { describe, expect, it } from 'vitest';
import { markdownToDoc, splitFrontMatter } from '../../../src/ops/sources/markdown.js';
import { decodeHtml, htmlToDoc } from '../../../src/ops/sources/html.js';
import { project, runSource } from './harness.js';

const MD = `---
title: Refund policy
tags: [help]
---
# Refunds &amp; returns

You can get a **refund** within *30 days*. See [the form](https://x.test/form) ![logo](l.png) for details.
Line two  
after a hard break

\`\`\`python
def refund(order):
    return order.total  # kept   verbatim
\`\`\`

| plan | days |
|------|-----:|
| basic | 30 |
| pro | 60 |

- first
- second
  - nested
1. step one
2. step two

- [x] done
- [ ] todo

> quoted
> text

<div>html <b>block</b></div>
`;

describe('markdown → text', () => {
  const doc = markdownToDoc(MD);
  it('keeps headings, code verbatim, tables as rows, lists as items, quotes', () => {
    expect(doc.text).toBe(
      [
        '# Refunds & returns',
        'You can get a refund within 30 days. See the form for details.\nLine two\nafter a hard break',
        '```python\ndef refund(order):\n    return order.total  # kept   verbatim\n```',
        'plan | days\nbasic | 30\npro | 60',
        '- first\n- second\n  - nested',
        '1. step one\n2. step two',
        '- [x] done\n- [ ] todo',
        '> quoted\n> text',
        'html block',
      ].join('\n\n'),
    );
  });
  it('takes the title from front matter, else the first # heading; front matter stays out of the text', () => {
    expect(doc.title).toBe('Refund policy');
    expect(doc.text).not.toContain('tags');
    expect(markdownToDoc('intro\n\n## Sub\n\n# Main\n').title).toBe('Main');
    expect(markdownToDoc('no heading').title).toBeNull();
    expect(splitFrontMatter('---\n: : bad yaml [\n---\nbody').body).toBe('body');
  });
  it('keeps link targets on request', () => {
    expect(markdownToDoc('See [the form](https://x.test/form).', { links: true }).text).toBe('See [the form](https://x.test/form).');
  });
  it('loose list items keep their paragraphs apart, indented under the marker', () => {
    expect(markdownToDoc('1. first\n\n   more\n2. second\n').text).toBe('1. first\n\n   more\n\n2. second');
  });
});

const PAGE = `<!doctype html><html><head><title>Help &amp; Support</title>
<style>p { color: red }</style><script>var tracking = 1;</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<h1>Getting   started</h1>
<p>Install the <b>tool</b> with <code>npm i ftr</code>, then read the <a href="https://x.test/docs">docs</a>.<br>Second line.</p>
<div>A div paragraph&nbsp;here</div>
<pre><code class="language-sh">ftr run  recipe.ftr
  --json
</code></pre>
<ul><li>one</li><li>two<ol><li>a</li><li>b</li></ol></li></ul>
<table><tr><th>plan</th><th>days</th></tr><tr><td>basic</td><td>30</td></tr></table>
<blockquote><p>quoted</p></blockquote>
<footer>© 2024 Example</footer></body></html>`;

describe('html → text', () => {
  const doc = htmlToDoc(PAGE);
  it('drops script/style/nav/footer, keeps structure, separates paragraphs with blank lines', () => {
    expect(doc.title).toBe('Help & Support');
    expect(doc.text).toBe(
      [
        '# Getting started',
        'Install the tool with `npm i ftr`, then read the docs.\nSecond line.',
        'A div paragraph here',
        '```sh\nftr run  recipe.ftr\n  --json\n```',
        '- one\n- two\n  1. a\n  2. b',
        'plan | days\nbasic | 30',
        '> quoted',
      ].join('\n\n'),
    );
    for (const gone of ['tracking', 'color', 'Home', '2024']) expect(doc.text).not.toContain(gone);
  });
  it('keeps link targets on request; the first h1 is the title when there is no <title>', () => {
    expect(htmlToDoc('<h1>Top</h1><p>read <a href="https://x.test/d">the docs</a></p>', { links: true })).toEqual({ title: 'Top', text: '# Top\n\nread [the docs](https://x.test/d)' });
    expect(htmlToDoc('<p>no title</p>').title).toBeNull();
  });
  it('survives deeply nested and broken markup', () => {
    // far deeper than a recursive walk survives (htmlparser2 itself is quadratic in depth, so not deeper)
    expect(htmlToDoc('<div><b>'.repeat(15_000) + 'deep').text).toBe('deep');
    expect(htmlToDoc('<p>unclosed <b>bold <i>both</p><p>next').text).toBe('unclosed bold both\n\nnext');
  });
  it('decodes the legacy charset a page declares, and only then', () => {
    const latin1 = Buffer.concat([Buffer.from('<meta charset="iso-8859-1"><p>caf'), Buffer.from([0xe9]), Buffer.from('</p>')]);
    expect(decodeHtml(latin1)).toEqual({ text: '<meta charset="iso-8859-1"><p>café</p>' });
    expect(decodeHtml(Buffer.from([0x3c, 0x70, 0x3e, 0xe9]))).toEqual({ error: 'invalid UTF-8', offset: 3 });
  });
});

describe('markdown and html sources', () => {
  it('markdown: one row per file with text, title, path; invalid UTF-8 and unreadable files rejected', async () => {
    const dir = project({ 'docs/a.md': MD, 'docs/b.md': '# Second\n\ntext', 'docs/bad.md': Buffer.from([0x23, 0x20, 0xff]), 'docs/deep.md': '> '.repeat(20_000) + 'x' });
    const r = await runSource(dir, 'markdown "docs/*.md"');
    expect(r.code).toBe(0);
    expect(r.rows.map((x) => [x.id, x.title, x.path])).toEqual([
      ['docs/a.md:1', 'Refund policy', 'docs/a.md'],
      ['docs/b.md:1', 'Second', 'docs/b.md'],
    ]);
    expect(r.rows[0].text).toBe(markdownToDoc(MD).text);
    expect(r.dropped).toEqual({ 'invalid UTF-8': 1, 'unreadable Markdown': 1 });
  });

  it('html: one row per page; links kept with links: true', async () => {
    const dir = project({ 'site/index.html': PAGE, 'site/b.htm': '<p>see <a href="https://x.test">this</a></p>', 'site/bad.html': Buffer.from([0x3c, 0x70, 0x3e, 0xff]) });
    const r = await runSource(dir, 'html "site/*.htm*" links: true');
    expect(r.code).toBe(0);
    expect(r.rows.map((x) => [x.path, x.title, x.text])).toEqual([
      ['site/b.htm', null, 'see [this](https://x.test)'],
      ['site/index.html', 'Help & Support', htmlToDoc(PAGE, { links: true }).text],
    ]);
    expect(r.rows[1].text).toContain('[docs](https://x.test/docs)');
    expect(r.dropped).toEqual({ 'invalid UTF-8': 1 });
  });
});
