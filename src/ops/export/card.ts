/**
 * The dataset card `write … card` puts next to the files it writes: recipe identity, sources by
 * content hash, what each cell did to the row count, and per part its size, labels, tokens,
 * fields and file hash. Everything comes from the run and the rows written; nothing is typed by
 * hand and nothing depends on the clock, so the same run writes the same card byte for byte.
 */
import { stringify as stringifyYaml } from 'yaml';
import type { Row, RunInfo } from '../types.js';
import { typeOf } from '../common.js';
import { MAIN_PART } from '../../runtime/store.js';
import { FORMAT_TITLE, type Format, type Mapped, type Plan } from './formats.js';

/** The Hub shows a dataset repo's README.md, and reads its YAML front matter (configs, license, …). */
export const CARD_FILE = 'README.md';
/** Every source file with its sha256, one per line as `sha256sum` writes and checks them. */
export const SOURCES_FILE = 'SOURCES.sha256';
export const TOKENIZER = 'cl100k_base';

export type TokenCounter = (text: string) => number;

/** cl100k_base token counts (gpt-tokenizer), special-token text counted as plain text. Loaded only when a card is written. */
export async function loadTokenCounter(): Promise<TokenCounter> {
  const { countTokens } = await import('gpt-tokenizer/encoding/cl100k_base');
  const opts = { disallowedSpecial: new Set<string>() };
  return (text) => countTokens(text, opts);
}

/** What the card reports about one written part, gathered row by row while it is written. */
export class PartStats {
  rows = 0;
  readonly skipped = new Map<string, number>();
  readonly labels = new Map<string, number>();
  readonly tokens: number[] = [];
  readonly fields = new Map<string, { types: Set<string>; nonNull: number }>();
  readonly roles = new Map<string, number>();
  /** fields whose text the token counts cover, in the order first seen */
  readonly tokenFields = new Set<string>();
  /** rows that are copies made by oversampling (`balance … oversample`: `<id>#os<k>`, `resample`: `<id>#dup<k>`) */
  copies = 0;

  constructor(
    private readonly count: TokenCounter,
    private readonly labelColumn: string | undefined,
  ) {}

  /** A row written as `mapped`. */
  add(row: Row, mapped: Exclude<Mapped, { invalid: string }>): void {
    this.rows++;
    if (typeof row.id === 'string' && /#(?:os|dup)\d+$/.test(row.id)) this.copies++;
    if (this.labelColumn !== undefined) {
      const key = labelKey(row[this.labelColumn]);
      this.labels.set(key, (this.labels.get(key) ?? 0) + 1);
    }
    let tokens = 0;
    for (const t of mapped.texts) tokens += this.count(t);
    this.tokens.push(tokens);
    for (const f of mapped.fields) this.tokenFields.add(f);
    for (const r of mapped.roles ?? []) this.roles.set(r, (this.roles.get(r) ?? 0) + 1);
    for (const [k, v] of Object.entries(mapped.record)) {
      let f = this.fields.get(k);
      if (!f) this.fields.set(k, (f = { types: new Set(), nonNull: 0 }));
      if (v === null || v === undefined) continue;
      f.types.add(typeOf(v));
      f.nonNull++;
    }
  }

  skip(reason: string): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }
}

function labelKey(v: unknown): string {
  if (v === null || v === undefined) return '(missing)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export interface CardPart {
  name: string;
  /** the file, relative to the card */
  file: string;
  sha256: string;
  stats: PartStats;
}

export interface CardInput {
  run?: RunInfo;
  /** the Hub's license id (front matter), e.g. cc-by-4.0; unknown when not given */
  license?: string;
  /** ISO 639-1 codes of the text's languages (front matter) */
  language?: string[];
  /** the export cell */
  cell: string;
  plan: Plan;
  labelColumn?: string;
  skipInvalid: boolean;
  parts: CardPart[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const num = (n: number) => n.toLocaleString('en-US');
const pct = (n: number, of: number) => (of ? `${(Math.round((n / of) * 1000) / 10).toFixed(1)}%` : '—');

/** Text for a table cell: no line breaks, pipes escaped. */
function cell(s: string): string {
  return s.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|');
}

/** Inline code that survives backticks in the text. */
function code(s: string): string {
  const t = cell(s);
  if (!t.includes('`')) return `\`${t}\``;
  return `\`\` ${t} \`\``;
}

function table(head: string[], align: ('l' | 'r')[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function formatValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

/** How the plan fills the format's fields, in words. */
export function describePlan(plan: Plan): string {
  switch (plan.format) {
    case 'jsonl':
    case 'csv':
    case 'parquet':
      return plan.columns ? `columns ${plan.columns.map(code).join(', ')}` : 'all columns';
    case 'chat':
    case 'sharegpt':
      if (plan.mode === 'messages') return `conversations from column ${code(plan.messages)}, validated`;
      return [plan.system !== undefined ? `system ← ${code(JSON.stringify(plan.system))}` : undefined, `user ← ${code(plan.user)}`, `assistant ← ${code(plan.assistant)}`].filter(Boolean).join(', ');
    case 'alpaca':
      return [
        plan.instruction !== undefined ? `instruction ← ${code(plan.instruction)}` : `instruction ← ${code(JSON.stringify(plan.instructionText ?? ''))}`,
        plan.input !== undefined ? `input ← ${code(plan.input)}` : 'input ← `""`',
        `output ← ${code(plan.output)}`,
      ].join(', ');
    case 'classification':
      return [`text ← ${code(plan.text)}`, `label ← ${code(plan.label)}`, ...(plan.weight !== undefined ? [`weight ← ${code(plan.weight)}`] : [])].join(', ');
  }
}

/** The Hub's size bucket for a row count. */
export function sizeCategory(n: number): string {
  const steps: [number, string][] = [[1e3, 'n<1K'], [1e4, '1K<n<10K'], [1e5, '10K<n<100K'], [1e6, '100K<n<1M'], [1e7, '1M<n<10M'], [1e8, '10M<n<100M'], [1e9, '100M<n<1B'], [1e10, '1B<n<10B'], [1e11, '10B<n<100B'], [1e12, '100B<n<1T']];
  return steps.find(([max]) => n < max)?.[1] ?? 'n>1T';
}

/** The Hub task a format's records serve. */
function taskCategories(input: CardInput): string[] {
  const f = input.plan.format;
  if (f === 'chat' || f === 'sharegpt' || f === 'alpaca') return ['text-generation'];
  if (f === 'classification' || input.labelColumn !== undefined) return ['text-classification'];
  return [];
}

/**
 * The YAML front matter the Hub reads: one config whose data_files name each part's file (so
 * `load_dataset(repo)` gives the parts as splits), license, task, language and size.
 */
export function frontMatter(input: CardInput): string {
  const rows = input.parts.reduce((n, p) => n + p.stats.rows, 0);
  const doc: Record<string, unknown> = {
    configs: [{ config_name: 'default', data_files: input.parts.map((p) => ({ split: p.name === MAIN_PART ? 'train' : p.name, path: p.file.split('\\').join('/') })) }],
    license: input.license ?? 'unknown',
  };
  const tasks = taskCategories(input);
  if (tasks.length) doc.task_categories = tasks;
  if (input.language?.length) doc.language = input.language;
  doc.size_categories = [sizeCategory(rows)];
  doc.tags = ['ftr'];
  return `---\n${stringifyYaml(doc, { lineWidth: 0 })}---\n`;
}

function withoutLastNewline(s: string): string {
  return s.replace(/\n$/, '');
}

/** `sha256  path` per source file, sorted by path (the card summarises them by folder). */
export function sourcesManifest(run: RunInfo | undefined): string {
  const seen = new Map<string, string>();
  for (const c of run?.cells ?? []) for (const i of c.inputs ?? []) seen.set(i.file, i.sha256);
  return [...seen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([f, h]) => `${h}  ${f}\n`).join('');
}

/** The card's Markdown, YAML front matter first. */
export function renderCard(input: CardInput): string {
  const { run, plan } = input;
  const out: string[] = [withoutLastNewline(frontMatter(input))];
  const title = run?.recipe ?? input.cell;
  out.push(`# Dataset card: ${cell(title)}`, '');
  out.push(
    `Generated by ftr${run ? ` ${run.ftrVersion}` : ''} when cell ${code(input.cell)} wrote this dataset. Every figure below comes from that run and the rows written; nothing is typed by hand, and the same recipe on the same inputs writes the same card.`,
    '',
  );

  if (run) {
    out.push('## Recipe', '');
    const params = Object.entries(run.params);
    out.push(
      ...table(['', ''], ['l', 'l'], [
        ['Recipe', code(run.recipe)],
        ['Recipe sha256', code(run.recipeSha256)],
        ['ftr version', code(run.ftrVersion)],
        ['Seed', String(run.seed)],
        ['Params', params.length ? params.map(([k, v]) => code(`${k} = ${formatValue(v)}`)).join(', ') : 'none'],
      ]),
      '',
    );

    out.push('## Sources', '');
    // by folder: a corpus of thousands of files would make a card of megabytes; the full list is the manifest
    const byFolder = new Map<string, { cells: Set<string>; files: Set<string> }>();
    for (const c of run.cells)
      for (const i of c.inputs ?? []) {
        const slash = i.file.lastIndexOf('/');
        const folder = slash < 0 ? '.' : i.file.slice(0, slash);
        const e = byFolder.get(folder) ?? { cells: new Set(), files: new Set() };
        e.cells.add(c.name);
        e.files.add(i.file);
        byFolder.set(folder, e);
      }
    if (byFolder.size) {
      const n = new Set([...byFolder.values()].flatMap((e) => [...e.files])).size;
      out.push(`${num(n)} source file${n === 1 ? '' : 's'}, by folder; every file with its sha256 is in ${code(SOURCES_FILE)} (check with \`sha256sum -c ${SOURCES_FILE}\` from the recipe's folder).`, '');
      out.push(...table(['Folder', 'Files', 'Read by'], ['l', 'r', 'l'], [...byFolder].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([f, e]) => [code(f), num(e.files.size), [...e.cells].map(cell).join(', ')])), '');
    } else out.push('No source files were read.', '');

    out.push('## Processing', '');
    const cells = run.cells.filter((c) => !/^(export|show):/.test(c.name));
    out.push('Cells in the order they ran (other exports and shows left out): rows in and out, the rows left after each step, and rows dropped by reason.', '');
    out.push(
      ...table(
        ['Cell', 'Does', 'Rows in', 'Rows out', 'Steps (rows after each)', 'Dropped'],
        ['l', 'l', 'r', 'r', 'l', 'l'],
        cells.map((c) => {
          const dropped = Object.entries(c.dropped).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
          const parts = c.parts ? ` (${Object.entries(c.parts).map(([p, n]) => `${cell(p)} ${num(n)}`).join(', ')})` : '';
          return [
            cell(c.name),
            cell(c.summary),
            c.rowsIn === undefined ? '—' : num(c.rowsIn),
            num(c.rowsOut) + parts,
            c.funnel.length ? c.funnel.map((f) => `${cell(f.step)} ${num(f.rows)}`).join(' → ') : '—',
            dropped.length ? dropped.map(([r, n]) => `${cell(r)}: ${num(n)}`).join(', ') : '—',
          ];
        }),
      ),
      '',
    );
    const totals = new Map<string, number>();
    for (const c of cells) for (const [r, n] of Object.entries(c.dropped)) totals.set(r, (totals.get(r) ?? 0) + n);
    if (totals.size) {
      out.push('Rows dropped in all, by reason:', '');
      out.push(...table(['Reason', 'Rows'], ['l', 'r'], [...totals].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).map(([r, n]) => [cell(r), num(n)])), '');
    }
    const reports = run.cells.filter((c) => c.biasReport?.length);
    if (reports.length) {
      for (const c of reports) {
        out.push(`## Bias report (cell ${cell(c.name)})`, '');
        out.push('As `bias_report` measured it on the rows of that cell:', '', '```text', ...c.biasReport!.flatMap((n) => n.split('\n')), '```', '');
      }
    } else {
      out.push('## Bias report', '', 'No `bias_report` step ran in this recipe: representation and label parity across groups were not measured.', '');
    }
  } else {
    out.push('The run that wrote this dataset left no record of its recipe and cells.', '');
  }

  out.push('## Export', '');
  out.push(`- Format: ${cell(FORMAT_TITLE[plan.format as Format])}`, `- Fields: ${describePlan(plan)}`);
  if (input.labelColumn !== undefined) out.push(`- Label column: ${code(input.labelColumn)}`);
  out.push(`- Tokens: ${TOKENIZER} (gpt-tokenizer), summed per row over ${tokenFieldsOf(input)}`);
  const skipped = new Map<string, number>();
  for (const p of input.parts) for (const [r, n] of p.stats.skipped) skipped.set(r, (skipped.get(r) ?? 0) + n);
  if (input.skipInvalid) out.push(`- Rows that cannot be written in this format: ${skipped.size ? 'left out (skip_invalid), see below' : 'none'}`);
  out.push('');
  out.push(...table(['Part', 'File', 'Rows', 'sha256'], ['l', 'l', 'r', 'l'], input.parts.map((p) => [partName(p.name), code(p.file), num(p.stats.rows), code(p.sha256)])), '');
  if (skipped.size) {
    out.push('Rows left out by the export (cannot be written in this format):', '');
    out.push(
      ...table(
        ['Reason', ...input.parts.map((p) => partName(p.name)), 'Total'],
        ['l', ...input.parts.map(() => 'r' as const), 'r'],
        [...skipped].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).map(([r, n]) => [cell(r), ...input.parts.map((p) => num(p.stats.skipped.get(r) ?? 0)), num(n)]),
      ),
      '',
    );
  }

  for (const p of input.parts) out.push(...partSection(p, input));
  return out.join('\n').replace(/\n+$/, '\n');
}

function partName(name: string): string {
  return name === MAIN_PART ? 'all rows' : cell(name);
}

function tokenFieldsOf(input: CardInput): string {
  const fields = new Set<string>();
  for (const p of input.parts) for (const f of p.stats.tokenFields) fields.add(f);
  const plan = input.plan;
  if (plan.format === 'chat') return 'message contents';
  if (plan.format === 'sharegpt') return 'turn values';
  return fields.size ? [...fields].map(code).join(', ') : 'no text fields';
}

function partSection(p: CardPart, input: CardInput): string[] {
  const s = p.stats;
  const out: string[] = [p.name === MAIN_PART ? '## Data' : `## Part: ${cell(p.name)}`, ''];
  out.push(`${num(s.rows)} rows in ${code(p.file)}.`, '');
  if (s.copies) {
    out.push(
      `**${num(s.copies)} of these rows (${pct(s.copies, s.rows)}) are copies** made by oversampling (\`balance … oversample\`: id \`<id>#os<k>\`; \`resample\`: \`<id>#dup<k>\`), each with \`parent\` = the original row's id. They repeat rows, they add no new examples: count, deduplicate or split by \`parent\` when that matters.`,
      '',
    );
  }

  out.push('### Fields', '');
  if (s.fields.size) {
    out.push(...table(['Field', 'Type', 'Non-null'], ['l', 'l', 'r'], [...s.fields].map(([k, f]) => [code(k), f.types.size ? [...f.types].sort().join(' \\| ') : 'null', num(f.nonNull)])), '');
  } else {
    out.push('No rows.', '');
  }

  if (s.roles.size) {
    out.push('Turns by role:', '');
    out.push(...table(['Role', 'Turns', 'Per row'], ['l', 'r', 'r'], [...s.roles].map(([r, n]) => [cell(r), num(n), s.rows ? (n / s.rows).toFixed(2) : '—'])), '');
  }

  if (input.labelColumn !== undefined) {
    out.push(`### Labels (${code(input.labelColumn)})`, '');
    const labels = [...s.labels].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
    out.push(...(labels.length ? table(['Label', 'Rows', 'Share'], ['l', 'r', 'r'], labels.map(([l, n]) => [cell(l), num(n), pct(n, s.rows)])) : ['No rows.']), '');
  }

  out.push(`### Tokens (${TOKENIZER})`, '');
  const sorted = [...s.tokens].sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  out.push(
    ...table(['Rows', 'Total', 'Mean', 'p50', 'p95', 'Max'], ['r', 'r', 'r', 'r', 'r', 'r'], [
      sorted.length
        ? [num(sorted.length), num(total), (total / sorted.length).toFixed(1), num(percentile(sorted, 0.5)), num(percentile(sorted, 0.95)), num(sorted[sorted.length - 1])]
        : ['0', '0', '—', '—', '—', '—'],
    ]),
    '',
  );
  return out;
}
