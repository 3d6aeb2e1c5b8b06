import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readJsonl, runJson, tempProject } from '../../helpers.js';

const hash = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const LABELS = ['billing', 'shipping', 'shipping', 'account'];

/** 24 tickets: 3 too short for `keep`, 2 exact duplicates; 6 FAQ rows from a CSV. */
function files(): Record<string, string> {
  const tickets = Array.from({ length: 24 }, (_, i) => {
    const text = i < 3 ? `hi ${i}` : i < 5 ? 'Where is my parcel? It is late.' : `Ticket ${i}: question number ${i * 7} about my ${LABELS[i % 4]} issue, please help.`;
    return JSON.stringify({ id: `t${i}`, text, label: LABELS[i % 4] });
  });
  const faq = ['text,label', ...Array.from({ length: 6 }, (_, i) => `"How do I change my ${['password', 'address', 'plan'][i % 3]}, step ${i}?",${['account', 'shipping', 'billing'][i % 3]}`)];
  return {
    'data/tickets.jsonl': tickets.join('\n') + '\n',
    'data/faq.csv': faq.join('\n') + '\n',
    'r.ftr': `## A quickstart-like recipe with a card.
recipe cards
seed 11

param min_chars = 12

source tickets = jsonl "data/tickets.jsonl"
source faq = csv "data/faq.csv"
cell raw = concat tickets, faq
cell clean = raw | keep len(text) >= min_chars "too short"
cell unique = clean | dedupe text
cell parts = unique | split 60% 20% 20%
export parts | write "out/" format: chat system: "Route the ticket." card
`,
  };
}

/** The cells of a Markdown table row starting with `| first |`. */
function row(card: string, first: string): string[] {
  const line = card.split('\n').find((l) => l.startsWith(`| ${first} |`));
  if (!line) throw new Error(`no table row for ${first}`);
  return line.slice(2, -2).split(' | ');
}

/** The text of one `## …` section. */
function section(card: string, heading: string): string {
  const start = card.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const end = card.indexOf('\n## ', start + 1);
  return card.slice(start, end < 0 ? undefined : end);
}

describe('dataset card', () => {
  it('is generated from the run: recipe, sources by hash, drops by reason, per-part stats, file hashes', async () => {
    const project = files();
    const dir = tempProject(project);
    const run = await runJson(join(dir, 'r.ftr'));
    expect(run.code).toBe(0);
    const cardPath = join(dir, 'out', 'README.md');
    const card = readFileSync(cardPath, 'utf8');

    // the card is one of the reported outputs, with its hash
    const end = run.events.find((e) => e.type === 'run-end') as Extract<(typeof run.events)[number], { type: 'run-end' }>;
    expect(end.outputs.find((o) => o.path === join('out', 'README.md'))?.sha256).toBe(hash(card));
    expect(run.cells.get('export:parts')!.notes).toContain(`wrote out/README.md (sha256 ${hash(card).slice(0, 12)})`);

    // YAML front matter the Hub reads: each part's file as a split, license, task, size
    const fm = card.match(/^---\n([\s\S]*?)\n---\n/);
    expect(fm).not.toBeNull();
    expect(parseYaml(fm![1])).toEqual({
      configs: [{ config_name: 'default', data_files: ['train', 'val', 'test'].map((p) => ({ split: p, path: `${p}.jsonl` })) }],
      license: 'unknown',
      task_categories: ['text-generation'],
      size_categories: ['n<1K'],
      tags: ['ftr'],
    });

    // recipe identity
    expect(card.slice(fm![0].length).startsWith('# Dataset card: cards\n')).toBe(true);
    expect(row(card, 'Recipe')).toEqual(['Recipe', '`cards`']);
    expect(row(card, 'Recipe sha256')[1]).toBe(`\`${hash(project['r.ftr'])}\``);
    expect(row(card, 'Seed')[1]).toBe('11');
    expect(row(card, 'Params')[1]).toBe('`min_chars = 12`');
    expect(row(card, 'ftr version')[1]).toBe(`\`${JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')).version}\``);

    // sources: by folder in the card, each file with the sha256 of its bytes in the manifest
    expect(row(card, '`data`')).toEqual(['`data`', '2', 'tickets, faq']);
    expect(readFileSync(join(dir, 'out', 'SOURCES.sha256'), 'utf8')).toBe(`${hash(project['data/faq.csv'])}  data/faq.csv\n${hash(project['data/tickets.jsonl'])}  data/tickets.jsonl\n`);
    expect(section(card, '## Bias report')).toContain('No `bias_report` step ran');

    // processing: counts as the run reported them, drops by reason
    const clean = run.cells.get('clean')!;
    expect(clean.rowsIn).toBe(30);
    expect(clean.dropped).toEqual({ 'too short': 3 });
    expect(row(card, 'clean')).toEqual(['clean', 'raw → keep len(text) >= 12', '30', '27', 'keep 27', 'too short: 3']);
    const unique = run.cells.get('unique')!;
    expect(row(card, 'unique')).toEqual(['unique', 'clean → dedupe text', '27', String(unique.rowsOut), `dedupe ${unique.rowsOut}`, `duplicate: ${unique.dropped!.duplicate}`]);
    expect(unique.dropped!.duplicate).toBe(1);
    const parts = run.cells.get('parts')!.parts!;
    expect(row(card, 'parts')[3]).toBe(`26 (train ${parts.train}, val ${parts.val}, test ${parts.test})`);
    expect(row(card, 'too short')).toEqual(['too short', '3']);
    expect(card).not.toContain('| export:parts |');

    // export: format, mapping and each file with its rows and hash
    const exp = section(card, '## Export');
    expect(exp).toContain('- Format: chat JSONL');
    expect(exp).toContain('- Fields: system ← `"Route the ticket."`, user ← `text`, assistant ← `label`');
    for (const p of ['train', 'val', 'test']) {
      expect(row(exp, p)).toEqual([p, `\`${p}.jsonl\``, String(parts[p]), `\`${hash(readFileSync(join(dir, 'out', `${p}.jsonl`)))}\``]);
    }

    // per part: rows, fields, labels and token stats recomputed from the written files
    for (const p of ['train', 'val', 'test']) {
      const sec = section(card, `## Part: ${p}`);
      const written = readJsonl(join(dir, 'out', `${p}.jsonl`)) as { messages: { role: string; content: string }[] }[];
      expect(written.length).toBe(parts[p]);
      expect(sec).toContain(`${parts[p]} rows in \`${p}.jsonl\`.`);
      expect(row(sec, '`messages`')).toEqual(['`messages`', 'list', String(parts[p])]);
      expect(row(sec, 'assistant')).toEqual(['assistant', String(parts[p]), '1.00']);
      const labels = new Map<string, number>();
      for (const w of written) labels.set(w.messages[2].content, (labels.get(w.messages[2].content) ?? 0) + 1);
      for (const [label, n] of labels) expect(row(sec, label)).toEqual([label, String(n), `${((n / written.length) * 100).toFixed(1)}%`]);
      const tokens = written.map((w) => w.messages.reduce((s, m) => s + countTokens(m.content), 0)).sort((a, b) => a - b);
      const total = tokens.reduce((a, b) => a + b, 0);
      const rank = (q: number) => tokens[Math.ceil(q * tokens.length) - 1];
      const header = sec.split('\n').findIndex((l) => l.startsWith('| Rows | Total |'));
      const stats = sec.split('\n')[header + 2].slice(2, -2).split(' | ');
      expect(stats).toEqual([String(tokens.length), total.toLocaleString('en-US'), (total / tokens.length).toFixed(1), String(rank(0.5)), String(rank(0.95)), String(tokens[tokens.length - 1])]);
    }

    // nothing in it depends on the clock: a recomputed run writes the same bytes
    expect((await runJson(join(dir, 'r.ftr'), '--no-cache')).code).toBe(0);
    expect(readFileSync(cardPath, 'utf8')).toBe(card);
  });

  it('describes a single dataset in another format, its columns and types', async () => {
    const dir = tempProject({
      'data/t.jsonl': [{ text: 'Refund my order please', label: 'billing', score: 0.5 }, { text: 'Where is my parcel now', label: 'shipping', score: null }].map((r) => JSON.stringify(r)).join('\n') + '\n',
      'r.ftr': 'recipe one\nsource t = jsonl "data/t.jsonl"\nexport t | write "out/data.csv" csv card\n',
    });
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    const card = readFileSync(join(dir, 'out', 'README.md'), 'utf8');
    expect(row(card, 'Params')[1]).toBe('none');
    expect(card).toContain('- Format: CSV');
    expect(row(card, 'all rows')).toEqual(['all rows', '`data.csv`', '2', `\`${hash(readFileSync(join(dir, 'out', 'data.csv')))}\``]);
    const data = section(card, '## Data');
    expect(row(data, '`text`')).toEqual(['`text`', 'string', '2']);
    expect(row(data, '`score`')).toEqual(['`score`', 'number', '1']);
    expect(row(data, 'billing')).toEqual(['billing', '1', '50.0%']);
    expect(card).toContain('summed per row over `text`, `label`');
  });
});

describe('dataset card for the Hub', () => {
  it('includes the bias report, says how many rows are oversampled copies, and carries license and language', async () => {
    const rows = Array.from({ length: 24 }, (_, i) => ({ id: `t${i}`, text: `${i % 2 ? 'she' : 'he'} asked about the refund number ${i}`, label: i % 4 === 0 ? 'rare' : 'common' }));
    const dir = tempProject({
      'data/t.jsonl': rows.map((r) => JSON.stringify(r)).join('\n') + '\n',
      'r.ftr': `recipe hub
seed 3
source t = jsonl "data/t.jsonl"
cell tagged = t | bias_detect | bias_report label: label
cell parts = tagged | split 50% 25% 25%
cell bal = parts | balance label oversample
export bal | write "out/" card license: "cc-by-4.0" language: ["en"]
`,
    });
    const run = await runJson(join(dir, 'r.ftr'));
    expect(run.code).toBe(0);
    const card = readFileSync(join(dir, 'out', 'README.md'), 'utf8');
    const fm = parseYaml(card.match(/^---\n([\s\S]*?)\n---\n/)![1]);
    expect(fm).toMatchObject({ license: 'cc-by-4.0', language: ['en'], task_categories: ['text-classification'] });
    // the bias report's own lines, as bias_report wrote them in its notes
    const report = section(card, '## Bias report (cell tagged)');
    for (const note of (run.cells.get('tagged')!.notes ?? []).filter((n) => !n.startsWith('funnel'))) expect(report).toContain(note.split('\n')[0]);
    // oversampled copies are counted and named as copies in the train part (balance applies to train only)
    const train = readJsonl(join(dir, 'out', 'train.jsonl')) as { id: string }[];
    const copies = train.filter((r) => /#os\d+$/.test(r.id)).length;
    expect(copies).toBeGreaterThan(0);
    expect(section(card, '## Part: train')).toContain(`**${copies} of these rows`);
    expect(section(card, '## Part: test')).not.toContain('copies** made by oversampling');
  });
});
