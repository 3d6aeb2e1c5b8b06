/**
 * `ftr annotate RECIPE CELL --labels a,b,c`: run CELL and the cells it reads (cached, so usually
 * instant; what comes after CELL does not run), then label its rows one by one in a terminal
 * screen. Decisions go to an annotation CSV (`item,annotator,label`, see annotation-file.ts) that
 * a recipe reads back as a source of human labels. Rows this annotator already decided are not
 * asked again, so a session can stop and resume at any time.
 */
import { userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import React from 'react';
import { UsageError } from '../check/checker.js';
import type { Graph, GraphCell } from '../check/graph.js';
import { closest } from '../parser/suggest.js';
import { runGraph } from '../runtime/executor.js';
import type { Row } from '../runtime/events.js';
import type { Manifest, Store } from '../runtime/store.js';
import type { AnnotateItem, AnnotateResult } from '../ui/ink/Annotate.js';
import { AnnotationFile, AnnotationFileError } from './annotation-file.js';
import { EXIT, type Io } from './main.js';

export interface AnnotateOptions {
  /** comma-separated labels (`--labels`) */
  labels?: string;
  /** the annotation file (`--out`); default annotations.csv next to the recipe */
  out?: string;
  annotator?: string;
  /** the column to show (`--column`, default text) */
  column?: string;
  /** only the first N rows of the cell */
  limit?: number;
  noCache?: boolean;
  shardRows?: number;
  /** where the screen reads keys and draws (tests pass fakes) */
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/** How many labels single keys can pick (1..9). */
export const MAX_LABELS = 9;

export const NEEDS_TTY = 'ftr annotate needs an interactive terminal: stdin is not a TTY (it reads single key presses)';

export async function annotateCommand(graph: Graph, target: string, store: () => Store, opts: AnnotateOptions, io: Io): Promise<number> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const { cell, part } = resolveTarget(graph, target);
  const columns = cell.schema.columns.map((c) => c.name);
  const open = Boolean(cell.schema.open);
  const column = opts.column ?? 'text';
  if (!open && !columns.includes(column)) {
    const guess = closest(column, columns);
    throw new UsageError(`\`${cell.name}\` has no column \`${column}\`${guess ? ` — did you mean \`${guess}\`?` : ''} (columns: ${columns.join(', ')}; pick one with --column)`);
  }
  if (!open && !columns.includes('id')) throw new UsageError(`\`${cell.name}\` has no \`id\` column: annotations are keyed by row id`);
  let labels = opts.labels === undefined ? undefined : parseLabels(opts.labels);
  const labelColumn = open || columns.includes('label');
  if (!labels && !labelColumn) throw new UsageError(`no labels to choose from: pass --labels a,b,c (\`${cell.name}\` has no \`label\` column to take them from)`);
  const annotator = (opts.annotator ?? process.env.USER ?? process.env.USERNAME ?? safeUser()).trim();
  if (!annotator) throw new UsageError('no annotator name: pass --annotator NAME (or set $USER)');
  const out = opts.out ? resolve(opts.out) : join(dirname(graph.file), 'annotations.csv');

  // before any work: without a terminal there is no one to press keys
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    io.err(`${NEEDS_TTY}\n`);
    return EXIT.usage;
  }

  const file = new AnnotationFile(out, annotator);
  let loaded: ReturnType<AnnotationFile['load']>;
  try {
    loaded = file.load();
  } catch (e) {
    if (e instanceof AnnotationFileError) throw new UsageError(e.message);
    throw e;
  }

  const rows = await cellRows(graph, cell, part, store(), opts, io);
  if (typeof rows === 'number') return rows;

  if (!labels) {
    labels = distinctLabels(rows);
    if (!labels.length) throw new UsageError(`no labels to choose from: \`${cell.name}\`'s \`label\` column is empty — pass --labels a,b,c`);
    if (labels.length > MAX_LABELS) throw new UsageError(`\`${cell.name}\`'s \`label\` column has ${labels.length} distinct values, more than the ${MAX_LABELS} keys: pass --labels a,b,c`);
  }
  const { items, duplicates } = toItems(rows, column);
  if (!items.length) {
    io.err(`ftr: \`${target}\` has no rows to annotate\n`);
    return EXIT.ok;
  }
  const notices = [...loaded.warnings];
  if (duplicates) notices.push(`${duplicates} row${duplicates === 1 ? '' : 's'} repeat an earlier id and ${duplicates === 1 ? 'is' : 'are'} not shown`);
  for (const w of loaded.warnings) io.err(`ftr: warning: ${w}\n`);

  const result = await showScreen({
    title: `${graph.recipe} · ${target}`,
    items,
    labels,
    done: loaded.decisions,
    log: { append: (d) => file.append(d), remove: (d) => file.remove(d) },
    notices,
    stdin,
    stdout,
  });
  const rel = relative(process.cwd(), out);
  const where = rel && !rel.startsWith('..') ? rel : out;
  io.out(`annotations: ${where} (annotator ${annotator})${result.skipped ? ` · skips: ${where}.progress.json` : ''}\n`);
  return result.interrupted ? EXIT.interrupted : EXIT.ok;
}

async function showScreen(props: {
  title: string;
  items: AnnotateItem[];
  labels: string[];
  done: ReturnType<AnnotationFile['load']>['decisions'];
  log: { append: AnnotationFile['append']; remove: AnnotationFile['remove'] };
  notices: string[];
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}): Promise<AnnotateResult> {
  const { render } = await import('ink');
  const { Annotate } = await import('../ui/ink/Annotate.js');
  let resolveExit!: (r: AnnotateResult) => void;
  const exited = new Promise<AnnotateResult>((r) => (resolveExit = r));
  const { stdin, stdout, ...rest } = props;
  const instance = render(React.createElement(Annotate, { ...rest, onExit: resolveExit }), { stdin, stdout, exitOnCtrlC: false, patchConsole: false });
  const done = instance.waitUntilExit();
  const result = await exited;
  instance.unmount();
  await done;
  return result;
}

function resolveTarget(graph: Graph, target: string): { cell: GraphCell; part?: string } {
  const names = graph.cells.map((c) => c.name);
  let cell = graph.cells.find((c) => c.name === target);
  let part: string | undefined;
  if (!cell && target.includes('.')) {
    const dot = target.lastIndexOf('.');
    const base = graph.cells.find((c) => c.name === target.slice(0, dot));
    if (base?.schema.parts) {
      part = target.slice(dot + 1);
      if (!base.schema.parts.includes(part)) throw new UsageError(`\`${base.name}\` has no part \`${part}\` (parts: ${base.schema.parts.join(', ')})`);
      cell = base;
    }
  }
  if (!cell) {
    const guess = closest(target, names);
    throw new UsageError(`no cell \`${target}\` in ${graph.recipe}${guess ? ` — did you mean \`${guess}\`?` : ''} (cells: ${names.join(', ')})`);
  }
  return { cell, part };
}

/** Run the cell and what it reads, quietly (only cells that actually run are mentioned), and read its rows. */
async function cellRows(graph: Graph, cell: GraphCell, part: string | undefined, store: Store, opts: AnnotateOptions, io: Io): Promise<Row[] | number> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  const errors: string[] = [];
  const release = await store.lock((owner) => io.err(`ftr: waiting for another run on this cache (${owner})…\n`));
  try {
    await store.sweepTmp();
    const summary = await runGraph(upstreamOf(graph, cell.name), {
      store,
      signal: controller.signal,
      noCache: opts.noCache,
      shardRows: opts.shardRows,
      emit: (e) => {
        if (e.type === 'cell' && e.status === 'running') io.err(`ftr: running \`${e.cell}\`…\n`);
        if (e.type === 'cell' && e.status === 'failed' && e.error) errors.push(`${e.cell}: ${e.error}`);
        if (e.type === 'log' && e.level === 'error') errors.push(e.message);
      },
    });
    if (summary.status === 'interrupted') return EXIT.interrupted;
    const out = summary.cells[cell.name];
    if (!out) {
      io.err(`ftr: the recipe failed before \`${cell.name}\` could run:\n${errors.map((e) => `  ${e.replace(/\n/g, '\n  ')}\n`).join('')}`);
      return EXIT.run;
    }
    // a failure elsewhere (a later export) does not stop annotating a cell that ran
    if (summary.status !== 'ok') io.err(`ftr: warning: the recipe did not finish cleanly:\n${errors.map((e) => `  ${e}\n`).join('')}`);
    return await readRows(store, out.manifest, part, opts.limit);
  } finally {
    release();
    process.off('SIGINT', onSigint);
  }
}

/**
 * The graph cut down to `name` and the cells it reads, directly or not: annotating a cell does
 * not run what comes after it (exports, training). The run state keeps the other cells' entries.
 */
export function upstreamOf(graph: Graph, name: string): Graph {
  const byName = new Map(graph.cells.map((c) => [c.name, c]));
  const need = new Set<string>();
  const stack = [name];
  while (stack.length) {
    const n = stack.pop()!;
    const c = byName.get(n);
    if (!c || need.has(n)) continue;
    need.add(n);
    stack.push(...c.deps);
    if (c.input) stack.push(c.input.cell);
    for (const step of c.steps) for (const ref of Object.values(step.datasets)) stack.push(ref.cell);
  }
  return { ...graph, cells: graph.cells.filter((c) => need.has(c.name)), order: graph.order.filter((n) => need.has(n)) };
}

/** Rows of a manifest (one part, or every part in order), the first `limit` only when given. */
export async function readRows(store: Store, manifest: Manifest, part: string | undefined, limit?: number): Promise<Row[]> {
  const rows: Row[] = [];
  const parts = part ? [manifest.parts[part] ?? []] : Object.values(manifest.parts);
  for (const shards of parts) {
    for (const shard of shards) {
      for await (const row of store.readShard(shard)) {
        if (limit !== undefined && rows.length >= limit) return rows;
        rows.push(row);
      }
    }
  }
  return rows;
}

export function parseLabels(spec: string): string[] {
  const labels = spec.split(',').map((l) => l.trim()).filter(Boolean);
  if (!labels.length) throw new UsageError('--labels expects a comma-separated list, e.g. --labels positive,negative,neutral');
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup) throw new UsageError(`--labels lists \`${dup}\` twice`);
  if (labels.length > MAX_LABELS) throw new UsageError(`--labels lists ${labels.length} labels; keys 1–${MAX_LABELS} pick at most ${MAX_LABELS}`);
  return labels;
}

/** Distinct non-empty values of the `label` column, sorted (so keys stay the same between sessions). */
export function distinctLabels(rows: Row[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) {
    const v = r.label;
    if (v === null || v === undefined || v === '') continue;
    seen.add(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function toItems(rows: Row[], column: string): { items: AnnotateItem[]; duplicates: number } {
  const items: AnnotateItem[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  rows.forEach((r, i) => {
    const id = r.id === null || r.id === undefined || r.id === '' ? `#${i + 1}` : String(r.id);
    if (seen.has(id)) {
      duplicates++;
      return;
    }
    seen.add(id);
    const v = r[column];
    const text = v === null || v === undefined ? '(empty)' : typeof v === 'string' ? v : JSON.stringify(v, null, 2);
    items.push({ id, text, hint: typeof r.source === 'string' ? r.source : undefined });
  });
  return { items, duplicates };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
