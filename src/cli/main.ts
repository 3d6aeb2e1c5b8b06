/**
 * `ftr` command line. Exit codes: 0 ok, 1 recipe error, 2 usage error, 3 run failure,
 * 130 interrupted.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkRecipe, UsageError, type CheckResult } from '../check/checker.js';
import type { Graph } from '../check/graph.js';
import { checkPermissions, parseGrant, parseHosts, type Grants } from '../check/permissions.js';
import { PermissionError, setPolicy } from '../core/sandbox.js';
import { registry } from '../ops/registry.js';
import { explainCode } from '../parser/codes.js';
import { renderDiagnostics, summaryLine } from '../parser/diagnostics.js';
import { closest } from '../parser/suggest.js';
import { KEEP_RUNS, recipeId, runGraph, type RunState } from '../runtime/executor.js';
import { collectGarbage, listEntries, verifyCache } from '../runtime/cache-admin.js';
import { explainCell } from '../runtime/explain.js';
import { CorruptObjectError, Store } from '../runtime/store.js';
import { describeIoError } from '../runtime/io-errors.js';
import { buildLock, diffLocks, lockText, type Lock } from '../runtime/lockfile.js';
import { formatFile } from './fmt.js';
import { graphText } from './graph-text.js';
import { opsJson, opsText } from './ops-text.js';

export const EXIT = { ok: 0, recipe: 1, usage: 2, run: 3, interrupted: 130 } as const;

const HELP = `ftr — turn raw data into clean, reproducible fine-tuning datasets

usage: ftr <command> [options]

commands:
  run FILE            run a recipe (cached: only what changed re-runs)
  check FILE          check a recipe without reading data; exit 1 on errors
  graph FILE          print the recipe's cell graph (--format text|dot|mermaid)
  explain FILE CELL   is CELL cached? if not, what changed since the last run
  rejects FILE CELL   rows a cell dropped or could not read, with reasons
  annotate FILE CELL  label CELL's rows one by one with single keys, into a CSV
                      a recipe reads back (needs a terminal)
  predict FILE [MODEL] --adapter TASK …  load the base model once, swap in each
                      task a finetune cell trained, predict --text / --input
  ops                 list ops and their params (--json for tools)
  explain-error CODE  what a diagnostic code (E0204, W0101) means and how to fix it
  fmt FILE            reformat a recipe in place (--check: exit 1 if it would change)
  lock FILE           pin inputs, op versions, params and seeds in FILE.lock
  cache ls|verify|gc  list cache entries, re-hash them, or collect unused ones
                      (gc is a dry run unless --yes)

options (run, check, graph, explain, rejects, annotate):
  --set NAME=VALUE    override a recipe param (repeatable)
  --cache-dir DIR     cache location (default: .ftr next to the recipe)
  --no-cache          recompute every cell (run)
  --strict            a warning fails its cell: a step that removed every row,
                      a column null in every row (run)
  --frozen            fail if anything drifted from FILE.lock (run)
  --json              one JSON event per line (run), JSON output (others)
  --reporter KIND     auto | ink | plain | json (run)
  --backend KIND      TensorFlow.js backend of every training cell: auto | wasm |
                      cpu | tensorflow (tfjs-node/-gpu, when installed) (run)

permissions (run, check, annotate) — a recipe reads and writes only inside its own folder
(and reads installed packages through pkg: paths) unless granted more:
  --allow-read[=PATHS]   read files outside the recipe's folder (comma-separated)
  --allow-write[=PATHS]  write files outside the recipe's folder
  --allow-net[=HOSTS]    connect to these hosts (all when no list)
  --allow-run            run programs or user code
  -A, --allow-all        all of the above

annotate (FILE CELL, or FILE CELL.PART):
  --labels a,b,c      the labels, picked with keys 1-9 (default: the values of a
                      \`label\` column); s skip, u undo, q quit
  --out FILE          annotation CSV, appended to (default: annotations.csv next
                      to the recipe); rows already decided are not asked again
  --annotator NAME    written with each label (default: $USER)
  --column COL        the column to show (default: text)
  --limit N           only the first N rows of CELL

predict (FILE [MODEL]; MODEL: a base folder, default the tasks' own base):
  --adapter TASK      a finetune cell, its output folder or folder name
                      (compare cells: NAME/STRATEGY); repeatable, swapped in turn
  --text TEXT         an input (repeatable)
  --input FILE        inputs, one per line (or JSONL with --column, default text)
  --top N             labels shown per input (default 3)
  --logits            with --json: each task's token ids and raw logits too
                      (classify [C], tokens [T][C], generate: the first step's [V])
  --max-tokens N      generate tasks: tokens to generate (default 40)
  --backend KIND      auto | wasm | cpu | tensorflow
`;

const OPTIONS: ParseArgsConfig['options'] = {
  set: { type: 'string', multiple: true },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  strict: { type: 'boolean' },
  json: { type: 'boolean' },
  reporter: { type: 'string' },
  format: { type: 'string' },
  check: { type: 'boolean' },
  frozen: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  reason: { type: 'string' },
  limit: { type: 'string' },
  'shard-rows': { type: 'string' },
  labels: { type: 'string' },
  out: { type: 'string' },
  annotator: { type: 'string' },
  column: { type: 'string' },
  adapter: { type: 'string', multiple: true },
  text: { type: 'string', multiple: true },
  input: { type: 'string' },
  top: { type: 'string' },
  logits: { type: 'boolean' },
  'max-tokens': { type: 'string' },
  backend: { type: 'string' },
  'allow-read': { type: 'string', multiple: true },
  'allow-write': { type: 'string', multiple: true },
  'allow-net': { type: 'string', multiple: true },
  'allow-run': { type: 'boolean' },
  'allow-all': { type: 'boolean', short: 'A' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
};

const COMMANDS = ['run', 'check', 'graph', 'explain', 'rejects', 'annotate', 'predict', 'ops', 'explain-error', 'fmt', 'lock', 'cache'];

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  // `--allow-read` alone grants everything; parseArgs wants a value, so give it '*'
  const normalized = argv.map((a) => (/^--allow-(read|write|net)$/.test(a) ? `${a}=*` : a));
  try {
    args = parseArgs({ args: normalized, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`ftr: ${(e as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  const v = args.values as Record<string, string | string[] | boolean | undefined>;
  const [command, ...rest] = args.positionals;
  if (v.version) {
    io.out(`${version()}\n`);
    return EXIT.ok;
  }
  if (!command || v.help) {
    (command || v.help ? io.out : io.err)(HELP);
    return command || v.help ? EXIT.ok : EXIT.usage;
  }
  if (!COMMANDS.includes(command)) {
    const guess = closest(command, COMMANDS);
    io.err(`ftr: unknown command \`${command}\`${guess ? ` — did you mean \`${guess}\`?` : ''}\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    switch (command) {
      case 'ops':
        io.out(v.json ? JSON.stringify(opsJson(registry), null, 2) + '\n' : opsText(registry));
        return EXIT.ok;
      case 'explain-error': {
        const [query] = need(rest, 1, 'explain-error CODE');
        const info = explainCode(query);
        if (!info) throw new UsageError(`no diagnostic code \`${query}\` — codes look like E0204 or W0101; all of them: docs/errors.md`);
        io.out(v.json ? JSON.stringify(info) + '\n' : `${info.code}: ${info.title}\n\n${info.explanation}\n`);
        return EXIT.ok;
      }
      case 'fmt':
        return fmtCommand(need(rest, 1, 'fmt FILE')[0], Boolean(v.check), io);
      case 'cache':
        return await cacheCommand(rest, v, io);
    }
    const withCell = command === 'explain' || command === 'rejects' || command === 'annotate';
    const [file] = command === 'predict' ? need(rest, rest.length === 2 ? 2 : 1, 'predict FILE [MODEL] --adapter TASK --text TEXT') : need(rest, withCell ? 2 : 1, `${command} FILE${withCell ? ' CELL' : ''}`);
    if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
    const set = parseSets((v.set as string[] | undefined) ?? []);
    const all = Boolean(v['allow-all']);
    const grants: Grants = {
      read: all ? '*' : parseGrant(v['allow-read'] as string[] | undefined),
      write: all ? '*' : parseGrant(v['allow-write'] as string[] | undefined),
      net: all ? '*' : parseHosts(v['allow-net'] as string[] | undefined),
      run: all || Boolean(v['allow-run']),
    };
    // every command that checks the recipe reads its files (sources sample their heads): the
    // same grants decide those reads, before they happen, and every read and connection of a run
    setPolicy(dirname(resolve(file)), grants);
    // --backend sets the `backend` param of every op that has one, checked with the recipe
    const checked = checkRecipe(file, registry, { set, grants, paramOverrides: command === 'run' && v.backend !== undefined ? { backend: v.backend as string } : undefined });
    if (!checked.graph) return reportDiagnostics(checked, io);
    const graph = checked.graph;
    if (command === 'run' || command === 'check' || command === 'annotate') {
      const denied = checkPermissions(graph, grants);
      if (denied.length) return reportDiagnostics({ ...checked, diagnostics: denied }, io);
    }
    if (checked.diagnostics.length) io.err(renderDiagnostics(checked.diagnostics, checked.sources, colorOf(process.stderr)) + '\n\n');
    const store = () => {
      const s = new Store(resolve((v['cache-dir'] as string | undefined) ?? join(dirname(resolve(file)), '.ftr')));
      s.init();
      return s;
    };
    const shardRows = v['shard-rows'] ? positiveInt(v['shard-rows'] as string, '--shard-rows') : undefined;
    switch (command) {
      case 'check':
        io.out(v.json ? JSON.stringify({ ok: true, cells: graph.cells.map((c) => ({ name: c.name, columns: c.schema.columns, parts: c.schema.parts })) }) + '\n' : `ok: ${graph.recipe} — ${graph.cells.length} cells, no errors${checked.diagnostics.length ? `, ${checked.diagnostics.length} warning${checked.diagnostics.length === 1 ? '' : 's'}` : ''}\n`);
        return EXIT.ok;
      case 'graph':
        io.out(graphText(graph, ((v.format as string) ?? 'text') as 'text' | 'dot' | 'mermaid'));
        return EXIT.ok;
      case 'explain': {
        const cell = cellName(graph, rest[1]);
        const e = await explainCell(graph, cell, store(), shardRows);
        if (v.json) io.out(JSON.stringify(e) + '\n');
        else if (e.cached) io.out(`${cell}: cached (key ${e.key?.slice(0, 12)}) — a run reuses its stored output\n`);
        else io.out(`${cell}: will re-run\n${e.reasons.map((r) => `  - ${r}\n`).join('')}`);
        return EXIT.ok;
      }
      case 'rejects':
        return await rejectsCommand(graph, cellName(graph, rest[1]), store(), v, io);
      case 'predict': {
        const { predictCommand, readInputs } = await import('./predict.js');
        const texts = [...((v.text as string[] | undefined) ?? []), ...(v.input ? readInputs(v.input as string, (v.column as string | undefined) ?? 'text') : [])];
        if (v.backend && !['auto', 'wasm', 'cpu', 'tensorflow'].includes(v.backend as string)) throw new UsageError('--backend must be auto, wasm, cpu or tensorflow');
        return await predictCommand(graph, { adapters: (v.adapter as string[] | undefined) ?? [], texts, model: rest[1], backend: v.backend as string | undefined, json: Boolean(v.json), logits: Boolean(v.logits), top: v.top ? positiveInt(v.top as string, '--top') : 3, maxTokens: v['max-tokens'] ? positiveInt(v['max-tokens'] as string, '--max-tokens') : 40 }, io);
      }
      case 'annotate': {
        const { annotateCommand } = await import('./annotate.js');
        const opt = (k: string) => v[k] as string | undefined;
        return await annotateCommand(graph, rest[1], store, { labels: opt('labels'), out: opt('out'), annotator: opt('annotator'), column: opt('column'), limit: v.limit ? positiveInt(opt('limit')!, '--limit') : undefined, noCache: Boolean(v['no-cache']), shardRows }, io);
      }
      case 'lock': {
        const st = store();
        const text = lockText(await buildLock(graph, st));
        writeFileSync(`${file}.lock`, text);
        // the cache entries of the last run stay through `cache gc` while this lock stands
        const state = await st.readState<RunState>(recipeId(graph));
        if (state) await st.writeState(recipeId(graph), { ...state, pinned: Object.values(state.cells).flatMap((c) => c.stages.map((x) => x.key)) });
        io.out(`wrote ${file}.lock (${graph.cells.length} cells)\n`);
        return EXIT.ok;
      }
      case 'run': {
        if (v.frozen) {
          const drift = await frozenDrift(graph, file, store());
          if (drift) {
            io.err(drift);
            return EXIT.recipe;
          }
        }
        return await runCommand(graph, store(), v, shardRows, io);
      }
    }
    return EXIT.usage;
  } catch (e) {
    if (e instanceof PermissionError) {
      io.err(`ftr: ${e.message}\n`);
      return EXIT.recipe;
    }
    if (e instanceof UsageError) {
      io.err(`ftr: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof CorruptObjectError) {
      io.err(`ftr: ${e.message}; it was moved aside — run the recipe again to recompute it\n`);
      return EXIT.run;
    }
    const io_ = describeIoError(e);
    if (io_) {
      io.err(`ftr: ${io_}\n`);
      return EXIT.run;
    }
    throw e;
  } finally {
    setPolicy(undefined);
  }
}

async function runCommand(graph: Graph, store: Store, v: Record<string, unknown>, shardRows: number | undefined, io: Io): Promise<number> {
  const { selectReporter } = await import('../ui/reporter.js');
  const reporterKind = v.reporter as string | undefined;
  if (reporterKind && !['auto', 'ink', 'plain', 'json'].includes(reporterKind)) throw new UsageError(`--reporter must be auto, ink, plain or json`);
  const reporter = await selectReporter({ json: Boolean(v.json), reporter: reporterKind as 'auto' | undefined });
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const release = await store.lock((owner) => io.err(`ftr: waiting for another run on this cache (${owner})…\n`));
  try {
    await store.sweepTmp();
    const summary = await runGraph(graph, { store, emit: (e) => reporter.onEvent(e), signal: controller.signal, noCache: Boolean(v['no-cache']), strict: Boolean(v.strict), shardRows });
    await reporter.close();
    return summary.status === 'ok' ? EXIT.ok : summary.status === 'interrupted' ? EXIT.interrupted : EXIT.run;
  } finally {
    await releaseLock(release, io);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/**
 * Release the cache lock even when the run ended on an error that also starves the process of
 * file descriptors (EMFILE): retried for a few seconds, then said, never left silently behind.
 */
async function releaseLock(release: () => void, io: Io): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      release();
      return;
    } catch (e) {
      if (attempt >= 50) {
        io.err(`ftr: could not remove the cache lock (${(e as Error).message}); remove the folder \`lock\` in the cache by hand\n`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function rejectsCommand(graph: Graph, cell: string, store: Store, v: Record<string, unknown>, io: Io): Promise<number> {
  const state = await store.readState<RunState>(recipeId(graph));
  const entry = state?.cells[cell];
  if (!entry) {
    io.err(`ftr: \`${cell}\` has not run yet — run the recipe first\n`);
    return EXIT.run;
  }
  const limit = v.limit ? positiveInt(v.limit as string, '--limit') : 20;
  const counts = new Map<string, number>();
  const shown: Record<string, unknown>[] = [];
  for (const shard of entry.rejects) {
    for await (const r of store.readShard(shard)) {
      const reason = String(r.reason);
      if (v.reason && reason !== v.reason) continue;
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
      if (v.json) io.out(JSON.stringify(r) + '\n');
      else if (shown.length < limit) shown.push(r);
    }
  }
  if (v.json) return EXIT.ok;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  io.out(`${cell}: ${total.toLocaleString('en-US')} rejected row${total === 1 ? '' : 's'}${[...counts].map(([r, n]) => `\n  ${n.toLocaleString('en-US').padStart(8)}  ${r}`).join('')}\n`);
  if (shown.length) io.out('\n');
  for (const r of shown) {
    const where = r.location ?? r.id;
    const what = r.raw ?? (r.row ? JSON.stringify(r.row) : '');
    io.out(`${String(where)}  [${String(r.step)}] ${String(r.reason)}${r.detail ? ` — ${String(r.detail)}` : ''}\n    ${truncate(String(what), 160)}\n`);
  }
  if (total > shown.length) io.out(`\n(${shown.length} of ${total} shown; --limit N for more, --json for all)\n`);
  return EXIT.ok;
}

async function cacheCommand(rest: string[], v: Record<string, unknown>, io: Io): Promise<number> {
  const [sub, file, extra] = rest;
  if (!['ls', 'verify', 'gc'].includes(sub ?? '') || extra) throw new UsageError('usage: ftr cache ls|verify|gc [FILE] [--cache-dir DIR] [--yes]');
  const root = resolve((v['cache-dir'] as string | undefined) ?? (file ? join(dirname(resolve(file)), '.ftr') : '.ftr'));
  if (!existsSync(root)) throw new UsageError(`no cache at ${root}`);
  const store = new Store(root);
  const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e6 ? 3 : 1)} MB`;
  if (sub === 'ls') {
    const entries = await listEntries(store);
    if (v.json) {
      io.out(JSON.stringify(entries) + '\n');
      return EXIT.ok;
    }
    entries.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
    for (const e of entries) io.out(`${e.key.slice(0, 12)}  ${e.what.padEnd(28)} ${e.rows.toLocaleString('en-US').padStart(11)} rows ${mb(e.bytes).padStart(11)}  ${e.lastUsed.toISOString().slice(0, 19).replace('T', ' ')}\n`);
    io.out(`${entries.length} entries, ${mb(entries.reduce((n, e) => n + e.bytes, 0))} of data (objects shared between entries are counted once per entry)\n`);
    return EXIT.ok;
  }
  const release = await store.lock((owner) => io.err(`ftr: waiting for a run on this cache (${owner})…\n`));
  try {
    if (sub === 'verify') {
      const r = await verifyCache(store, Boolean(v.yes));
      io.out(`${r.objects} objects re-hashed, ${r.corrupt.length} corrupt; ${r.entries} entries checked, ${r.broken.length} broken\n`);
      for (const h of r.corrupt) io.out(`  corrupt object ${h} (${v.yes ? 'removed' : 'moved to quarantine/'})\n`);
      for (const k of r.broken) io.out(`  broken entry ${k.slice(0, 12)} (${v.yes ? 'removed' : 'moved to quarantine/'}; recomputed on the next run)\n`);
      if ((r.corrupt.length || r.broken.length) && !v.yes) io.out(`damaged files were moved to ${join(store.root, 'quarantine')}; \`ftr cache verify --yes\` deletes them instead\n`);
      return r.corrupt.length || r.broken.length ? EXIT.run : EXIT.ok;
    }
    const r = await collectGarbage(store, { dryRun: !v.yes });
    io.out(`${r.dryRun ? 'would remove' : 'removed'} ${r.removedEntries.length} entries and ${r.removedObjects.length} objects (${mb(r.freedBytes)}); kept ${r.keptEntries} entries reachable from the last ${KEEP_RUNS} runs of each recipe\n`);
    if (r.dryRun && (r.removedEntries.length || r.removedObjects.length)) io.out('dry run: nothing deleted; run `ftr cache gc --yes` to delete\n');
    return EXIT.ok;
  } finally {
    release();
  }
}

/** With --frozen: a report of what drifted from FILE.lock, or undefined when nothing did. */
async function frozenDrift(graph: Graph, file: string, store: Store): Promise<string | undefined> {
  let locked: Lock;
  try {
    locked = JSON.parse(readFileSync(`${file}.lock`, 'utf8')) as Lock;
  } catch {
    return `ftr: --frozen needs ${file}.lock, which is missing or unreadable — create it with \`ftr lock ${file}\`\n`;
  }
  const diff = diffLocks(locked, await buildLock(graph, store));
  if (!diff.length) return undefined;
  return `ftr: ${file} no longer matches ${file}.lock (--frozen):\n${diff.map((d) => `  - ${d}\n`).join('')}if the change is intended, run \`ftr lock ${file}\` and commit the new lock\n`;
}

function fmtCommand(file: string, check: boolean, io: Io): number {
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const text = readFileSync(file, 'utf8');
  const result = formatFile(text, file);
  if (result.text === undefined) {
    io.err(renderDiagnostics(result.diagnostics, new Map([[file, text]]), colorOf(process.stderr)) + '\n\n' + summaryLine(result.diagnostics, false) + '\n');
    return EXIT.recipe;
  }
  if (check) {
    if (result.text !== text) {
      io.err(`${file} is not formatted (run \`ftr fmt ${file}\`)\n`);
      return EXIT.recipe;
    }
    return EXIT.ok;
  }
  if (result.text !== text) writeFileSync(file, result.text);
  return EXIT.ok;
}

function reportDiagnostics(checked: CheckResult, io: Io): number {
  io.err(renderDiagnostics(checked.diagnostics, checked.sources, colorOf(process.stderr)) + '\n\n' + summaryLine(checked.diagnostics, false) + '\n');
  return EXIT.recipe;
}

/** `ftr run --backend KIND`: every training op's `backend:` set to KIND (a param: it enters the cache keys). */
function need(rest: string[], n: number, usage: string): string[] {
  if (rest.length < n) throw new UsageError(`usage: ftr ${usage}`);
  if (rest.length > n) throw new UsageError(`unexpected argument \`${rest[n]}\` (usage: ftr ${usage})`);
  return rest;
}

function cellName(graph: Graph, name: string): string {
  if (graph.cells.some((c) => c.name === name)) return name;
  const guess = closest(name, graph.cells.map((c) => c.name));
  throw new UsageError(`no cell \`${name}\` in ${graph.recipe}${guess ? ` — did you mean \`${guess}\`?` : ''} (cells: ${graph.cells.map((c) => c.name).join(', ')})`);
}

function parseSets(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects NAME=VALUE, got \`${s}\``);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

function positiveInt(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} expects a whole number > 0, got \`${s}\``);
  return n;
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

function colorOf(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
