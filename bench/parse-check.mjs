#!/usr/bin/env node
// Benchmark: parsing and checking a large (5,000-line) recipe.
//
//   npm run build && node bench/parse-check.mjs [--lines 5000] [--iterations 20] [--cli-runs 7]
//                                                [--keep] [--json]
//
// Generates a valid recipe in a temp dir (many cells: sources, multi-op pipelines with
// positional and named args, expressions, lists, records, regexes, comments and `##` prose;
// every source reads one small JSONL file next to it), then measures in this process:
//   parse  — parseRecipe(text) alone (lexing + parsing + AST)
//   check  — checkRecipe(file) (read + parse + names, params, columns, schemas, order)
// and, as separate processes, the wall time of `node bin/ftr.js check FILE` (Node start-up,
// module loading and the check; no data is read).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fmtInt, fmtMs, FTR, median, requireBuild, ROOT, runTimed, table, tempDir } from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    lines: { type: 'string', default: '5000' },
    iterations: { type: 'string', default: '20' },
    'cli-runs': { type: 'string', default: '7' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const TARGET_LINES = Number(opt.lines);
const ITER = Number(opt.iterations);
const CLI_RUNS = Number(opt['cli-runs']);

requireBuild();
if (!opt.json) console.log(`measuring ${ROOT}\n`);
const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;
const { parseRecipe } = await import(dist('parser/parse.js'));
const { checkRecipe } = await import(dist('check/checker.js'));
const { registry } = await import(dist('ops/registry.js'));

const LABELS = ['billing', 'shipping', 'account', 'product', 'refund'];

/** One block of cells (~44 lines); `i` keeps names unique. */
function block(i) {
  const l = LABELS[i % LABELS.length];
  return `
## Block ${i}: helpdesk tickets for queue ${i}.
## Markup out, unicode folded, short and noisy rows dropped, then deduplicated.
source t${i} = jsonl "data/tickets.jsonl" { id: .ticket_id, text: .body.text, label: .intent, lang: .body.lang, created: .created }

# a second source on the same file, different mapping
source f${i} = jsonl "data/tickets.jsonl" {
  id: .ticket_id,
  text: .body.text,
  label: .intent,
}

cell raw${i} = concat t${i}, f${i}

## Cleaning for block ${i}: tags, entities, controls, whitespace.
cell clean${i} = raw${i}
  | strip_html text
  | normalize nfkc lowercase
  | normalize(form: nfc, whitespace: true, controls: true, columns: [text, label])
  | drop missing(text) "missing text"
  | keep len(text) >= min_chars and len(text) <= max_chars "length out of range"
  | keep label in ["billing", "shipping", "account", "product"] or starts_with(lower(label), "${l[0]}") reason: "unknown label"
  | drop text ~ /refund|charge ?back|(?:money|cash) back/i and words(text) * 2 + 1 < 7 reason: "short refund noise"
  | keep not (contains(text, "lorem ipsum") or ends_with(trim(text), "...")) "placeholder"
  | keep(
      len(text) >= min_chars or present(label),
      reason: "empty after cleaning"
    )

# keep the longest copy of each text/label pair
cell unique${i} = clean${i} | dedupe [text, label] keep: longest fold: true

cell strict${i} = unique${i}
  | keep coalesce(lang, "en") == "en" and num(str(len(text))) > 0 "not english"
  | dedupe text keep: first

## Three-way split with named parts.
cell parts${i} = strict${i} | split { train: 70%, dev: 15%, test: 15% }

cell quick${i} = unique${i} | split 80% 10% 10%

show parts${i}.dev | keep present(label) and label != "spam"

export parts${i} | write "out/block${i}/" columns: [id, text, label]
`;
}

function recipe(targetLines) {
  const head = `## Synthetic benchmark recipe: many blocks of cells over one small JSONL file.
recipe bench_parse_check
seed 1234

param min_chars = 10
param max_chars = 4_000
param langs = ["en", "de", "fr"]
`;
  let text = head;
  let i = 0;
  while (text.split('\n').length < targetLines) text += block(i++);
  return { text, blocks: i };
}

// --- generate ---------------------------------------------------------------------------
const dir = tempDir('parse');
const dataDir = join(dir, 'data');
mkdirSync(dataDir);
const loadStart = loadavg();
const rows = [];
for (let k = 0; k < 50; k++) {
  rows.push(JSON.stringify({ ticket_id: `T${1000 + k}`, body: { text: k % 3 ? `<p>My order #${k} has not arrived yet.</p>` : `Can I change the address for order #${k}?`, lang: 'en' }, intent: LABELS[k % 4], created: '2026-01-10' }));
}
writeFileSync(join(dataDir, 'tickets.jsonl'), rows.join('\n') + '\n');
const { text, blocks } = recipe(TARGET_LINES);
const file = join(dir, 'bench.ftr');
writeFileSync(file, text);
const lines = text.split('\n').length;
const bytes = Buffer.byteLength(text);

// sanity: it must parse and check clean, or the numbers mean nothing
const first = checkRecipe(file, registry);
const errors = first.diagnostics.filter((d) => d.severity === 'error');
if (!first.graph || errors.length) {
  console.error(`generated recipe does not check clean (${errors.length} errors); first: ${errors[0]?.message} at line ${errors[0]?.span.start.line}`);
  process.exit(1);
}
const cells = first.graph.cells.length;

// --- in-process -------------------------------------------------------------------------
function measure(fn) {
  for (let w = 0; w < 3; w++) fn(); // warm-up: JIT, chevrotain's lookahead caches
  const ms = [];
  for (let k = 0; k < ITER; k++) {
    const t0 = process.hrtime.bigint();
    fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { median: median(ms), min: Math.min(...ms), samples: ms };
}

// warm: the same process, after warm-up (the first call in a fresh process is measured below)
const parse = measure(() => {
  const r = parseRecipe(text, 'bench.ftr');
  if (r.diagnostics.length) throw new Error('parse diagnostics');
});
const check = measure(() => {
  const r = checkRecipe(file, registry);
  if (!r.graph) throw new Error('check failed');
});

// --- cold: the first call in a fresh process (what a CLI run pays) ---------------------
// Imports are timed apart from the call, so module loading and parser construction do not count.
const coldScript = `
  const t0 = performance.now();
  const { parseRecipe } = await import(${JSON.stringify(dist('parser/parse.js'))});
  const { checkRecipe } = await import(${JSON.stringify(dist('check/checker.js'))});
  const { registry } = await import(${JSON.stringify(dist('ops/registry.js'))});
  const t1 = performance.now();
  const text = (await import('node:fs')).readFileSync(process.argv[2], 'utf8');
  const fn = process.argv[3] === 'parse' ? () => parseRecipe(text, 'bench.ftr') : () => checkRecipe(process.argv[2], registry);
  const t2 = performance.now();
  fn();
  const t3 = performance.now();
  console.log(JSON.stringify({ importMs: t1 - t0, firstMs: t3 - t2 }));
`;
const coldFile = join(dir, 'cold.mjs');
writeFileSync(coldFile, coldScript);
const cold = { parse: [], check: [], import: [] };
for (let k = 0; k < CLI_RUNS; k++) {
  for (const what of ['parse', 'check']) {
    const r = await runTimed(process.execPath, [coldFile, file, what], { timeV: false });
    if (r.code !== 0) throw new Error(r.stderr);
    const j = JSON.parse(r.stdout);
    cold[what].push(j.firstMs);
    cold.import.push(j.importMs);
  }
}

// --- CLI --------------------------------------------------------------------------------
const cli = [];
const cliRss = [];
for (let k = 0; k < CLI_RUNS; k++) {
  const r = await runTimed(process.execPath, [FTR, 'check', file]);
  if (r.code !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  cli.push(r.wallMs);
  if (r.peakRssMb) cliRss.push(r.peakRssMb);
}
// the same CLI on the 25-line quickstart, to separate start-up from the 5,000-line check
const small = join(dir, 'small.ftr');
const smallText = recipe(1).text + block(0);
writeFileSync(small, smallText);
const cliSmall = [];
for (let k = 0; k < CLI_RUNS; k++) cliSmall.push((await runTimed(process.execPath, [FTR, 'check', small])).wallMs);

const result = {
  recipe: { lines, bytes, blocks, cells },
  parse: { medianMs: parse.median, minMs: parse.min, linesPerSec: lines / (parse.median / 1000) },
  check: { medianMs: check.median, minMs: check.min, linesPerSec: lines / (check.median / 1000) },
  cli: { medianMs: median(cli), minMs: Math.min(...cli), peakRssMb: cliRss.length ? median(cliRss) : undefined },
  cold: { parseMs: median(cold.parse), checkMs: median(cold.check), importMs: median(cold.import) },
  cliSmall: { lines: smallText.split('\n').length, medianMs: median(cliSmall), minMs: Math.min(...cliSmall) },
  loadavg: { start: loadStart, end: loadavg() },
  iterations: ITER,
  cliRuns: CLI_RUNS,
  dir,
};

if (opt.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`recipe: ${fmtInt(lines)} lines, ${fmtInt(bytes)} bytes, ${blocks} blocks, ${cells} cells${opt.keep ? ` (${dir})` : ''}`);
  console.log(`in-process: ${ITER} iterations after 3 warm-up; CLI: ${CLI_RUNS} runs\n`);
  console.log(
    table(
      ['measure', 'median ms', 'min ms', 'lines/s (median)'],
      [
        ['parseRecipe (lex + parse + AST)', fmtMs(parse.median), fmtMs(parse.min), fmtInt(result.parse.linesPerSec)],
        ['checkRecipe (read + parse + check)', fmtMs(check.median), fmtMs(check.min), fmtInt(result.check.linesPerSec)],
        ['parseRecipe, first call in a fresh process', fmtMs(result.cold.parseMs), fmtMs(Math.min(...cold.parse)), fmtInt(lines / (result.cold.parseMs / 1000))],
        ['checkRecipe, first call in a fresh process', fmtMs(result.cold.checkMs), fmtMs(Math.min(...cold.check)), fmtInt(lines / (result.cold.checkMs / 1000))],
        [`\`ftr check\` CLI, ${fmtInt(lines)} lines (wall, incl. Node start-up)`, fmtMs(result.cli.medianMs), fmtMs(result.cli.minMs), fmtInt(lines / (result.cli.medianMs / 1000))],
        [`\`ftr check\` CLI, ${result.cliSmall.lines} lines (start-up baseline)`, fmtMs(result.cliSmall.medianMs), fmtMs(result.cliSmall.minMs), '—'],
      ],
    ),
  );
  console.log(`\nimporting parser + checker + op registry in a fresh process: ${fmtMs(result.cold.importMs)} ms (median)`);
  if (result.cli.peakRssMb) console.log(`\`ftr check\` peak RSS (${fmtInt(lines)} lines): ${result.cli.peakRssMb.toFixed(0)} MB`);
  console.log(`load average (1/5/15 min) at start: ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end: ${result.loadavg.end.map((x) => x.toFixed(2)).join(' ')}`);
}
if (!opt.keep) rmSync(dir, { recursive: true, force: true });
