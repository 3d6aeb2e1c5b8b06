#!/usr/bin/env node
// Benchmark: `ftr run` on a quickstart-like recipe over 1,000,000 JSONL rows.
//
//   npm run build && node bench/pipeline.mjs [--files 10] [--rows-per-file 100000]
//                                             [--cached-runs 5] [--profile] [--heap-limit MB]
//                                             [--keep] [--json]
//
// Generates tickets (see gen-tickets.mjs: nested body.text, intent, ticket_id; ~5% exact
// duplicates, some HTML) as 10 files of 100k rows in one folder under os.tmpdir(), and a recipe
//   jsonl "data/" {…} → strip_html → normalize nfkc → keep len(text) >= 10 → dedupe text
//   → split 80% 10% 10% → write "out/"
// Each run is a child `node bin/ftr.js run --json` under /usr/bin/time -v (wall time, peak RSS,
// CPU time). Scenarios, each with its own --cache-dir:
//   small  100k rows (one file): cold run, then fully cached re-runs
//   big    1M rows: (a) cold run, (b) fully cached re-runs (interleaved with small's, so load
//          changes hit both alike), (c) one more 100k-row file appended to the folder, re-run
//          (incremental), then a cached re-run of that
// --profile adds a cold run of `big` under `node --cpu-prof` (its own cache) and a cached
// re-run under it, and prints their top self-time modules and functions. --heap-limit MB adds a
// cold run of `big` with node --max-old-space-size=MB (its own cache): how much of the peak RSS
// is heap the run needs, and how much is garbage V8 had not yet collected.
// Generated data is removed at the end unless --keep.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeGenerator, writeTickets } from './gen-tickets.mjs';
import { events, fmtInt, FTR, median, requireBuild, ROOT, runTimed, table, tempDir } from './lib.mjs';
import { printSummary, summarize } from './profile-summary.mjs';

const { values: opt } = parseArgs({
  options: {
    files: { type: 'string', default: '10' },
    'rows-per-file': { type: 'string', default: '100000' },
    'cached-runs': { type: 'string', default: '5' },
    profile: { type: 'boolean', default: false },
    'heap-limit': { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const FILES = Number(opt.files);
const ROWS = Number(opt['rows-per-file']);
const CACHED_RUNS = Number(opt['cached-runs']);

requireBuild();
if (!opt.json) console.log(`measuring ${ROOT}\n`);

const RECIPE = `## Benchmark: quickstart-like cleaning over a folder of JSONL ticket exports.
recipe bench_pipeline
seed 42

param min_chars = 10

source tickets = jsonl "data/" { id: .ticket_id, text: .body.text, label: .intent }

cell clean = tickets
  | strip_html text
  | normalize nfkc
  | keep len(text) >= min_chars "too short"

cell unique = clean | dedupe text

cell parts = unique | split 80% 10% 10%

export parts | write "out/"
`;

const root = tempDir('pipeline');
const log = opt.json ? () => {} : (s) => console.log(s);
const s1 = (ms) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);

// --- data -------------------------------------------------------------------------------
const big = join(root, 'big');
const small = join(root, 'small');
const next = makeGenerator(42);
let t0 = Date.now();
const bytes = writeTickets(join(big, 'data'), { files: FILES, rowsPerFile: ROWS, next });
mkdirSync(join(small, 'data'), { recursive: true });
copyFileSync(join(big, 'data', 'tickets-000.jsonl'), join(small, 'data', 'tickets-000.jsonl'));
for (const d of [big, small]) writeFileSync(join(d, 'recipe.ftr'), RECIPE);
log(`data: ${FILES} × ${fmtInt(ROWS)} rows = ${fmtInt(FILES * ROWS)} rows, ${(bytes / 1e6).toFixed(0)} MB, generated in ${s1(Date.now() - t0)} s (${root})\n`);

// --- runs -------------------------------------------------------------------------------
async function ftrRun(dir, cache, nodeFlags = []) {
  // peak RSS per cell: /proc samples every 50 ms, attributed to the cell running at that moment
  let current = '(start-up, check, between cells)';
  const cellPeak = {};
  const r = await runTimed(process.execPath, [...nodeFlags, FTR, 'run', join(dir, 'recipe.ftr'), '--json', '--cache-dir', join(dir, cache)], {
    cwd: dir,
    onLine(line) {
      if (!line.startsWith('{')) return;
      const e = JSON.parse(line);
      if (e.type !== 'cell' || e.status === 'queued') return;
      current = e.status === 'running' ? e.cell : '(start-up, check, between cells)';
    },
    sampleRss(mb) {
      cellPeak[current] = Math.max(cellPeak[current] ?? 0, mb);
    },
  });
  if (r.code !== 0) {
    if (!opt.keep) rmSync(root, { recursive: true, force: true });
    throw new Error(`ftr run exited ${r.code}\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  }
  const ev = events(r.stdout);
  const cells = {};
  for (const e of ev) if (e.type === 'cell' && (e.status === 'done' || e.status === 'cached')) cells[e.cell] = { ...e, peakRssMb: cellPeak[e.cell] };
  const end = ev.find((e) => e.type === 'run-end');
  const source = cells.tickets;
  const rowsRead = (source?.rowsOut ?? 0) + Object.values(source?.dropped ?? {}).reduce((a, b) => a + b, 0);
  return { wallMs: r.wallMs, peakRssMb: r.peakRssMb, cpuS: r.cpuS, cells, cellPeak, counts: end.counts, runMs: end.durationMs, rowsRead };
}

const cellRows = (run) =>
  Object.values(run.cells).map((c) => [
    `\`${c.cell}\``,
    c.status,
    c.rowsIn === undefined ? '—' : fmtInt(c.rowsIn),
    fmtInt(c.rowsOut ?? 0),
    c.status === 'cached' ? '—' : s1(c.durationMs),
    c.shards ? `${c.shards.computed} / ${c.shards.reused}` : '—',
    c.peakRssMb ? c.peakRssMb.toFixed(0) : '—',
  ]);
const cellTable = (run) => table(['cell', 'status', 'rows in', 'rows out', 'time s', 'computed / reused', 'peak RSS MB (sampled)'], cellRows(run));

function summarizeCached(dir, runs) {
  // measured, not asserted: a re-run that recomputed something is reported, with the cells
  for (const r of runs) {
    const ran = Object.values(r.cells).filter((c) => c.status !== 'cached').map((c) => c.cell);
    if (ran.length) warnings.push(`a "cached" re-run in ${dir} recomputed ${ran.join(', ')} (${s1(r.wallMs)} s)`);
  }
  return { medianMs: median(runs.map((r) => r.wallMs)), runMedianMs: median(runs.map((r) => r.runMs)), minMs: Math.min(...runs.map((r) => r.wallMs)), peakRssMb: median(runs.map((r) => r.peakRssMb ?? 0)), runs };
}

const warnings = [];
const result = { warnings, rows: FILES * ROWS, files: FILES, rowsPerFile: ROWS, dataMB: bytes / 1e6, root, loadavgStart: loadavg() };

log(`small (${fmtInt(ROWS)} rows): cold run…`);
result.smallCold = await ftrRun(small, 'cache');
log(`big (${fmtInt(FILES * ROWS)} rows): (a) cold run…`);
result.cold = await ftrRun(big, 'cache');

// (b) cached re-runs of both sizes, interleaved so that a change in machine load hits both alike
log(`(b) ${CACHED_RUNS} cached re-runs of each, interleaved small/big…`);
const smallRuns = [];
const bigRuns = [];
for (let k = 0; k < CACHED_RUNS; k++) {
  smallRuns.push(await ftrRun(small, 'cache'));
  bigRuns.push(await ftrRun(big, 'cache'));
}
result.smallCached = summarizeCached(small, smallRuns);
result.cached = summarizeCached(big, bigRuns);

if (opt['heap-limit']) {
  log(`big: cold run with --max-old-space-size=${opt['heap-limit']} (separate cache)…`);
  result.heapLimited = { limitMb: Number(opt['heap-limit']), ...(await ftrRun(big, 'cache-heap', [`--max-old-space-size=${opt['heap-limit']}`])) };
}

if (opt.profile) {
  log('big: cold run under --cpu-prof (separate cache)…');
  const profDir = join(root, 'prof');
  const prof = await ftrRun(big, 'cache-prof', ['--cpu-prof', '--cpu-prof-dir', profDir]);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  result.profile = { wallMs: prof.wallMs, ...summarize(JSON.parse(readFileSync(join(profDir, file), 'utf8')), 15) };
  log('big: cached re-run under --cpu-prof…');
  const profDir2 = join(root, 'prof-cached');
  const prof2 = await ftrRun(big, 'cache', ['--cpu-prof', '--cpu-prof-dir', profDir2]);
  const file2 = readdirSync(profDir2).find((f) => f.endsWith('.cpuprofile'));
  result.profileCached = { wallMs: prof2.wallMs, ...summarize(JSON.parse(readFileSync(join(profDir2, file2), 'utf8')), 10) };
}

log(`big: (c) append tickets-${String(FILES).padStart(3, '0')}.jsonl (${fmtInt(ROWS)} rows), re-run…`);
writeTickets(join(big, 'data'), { files: 1, rowsPerFile: ROWS, firstFile: FILES, next });
result.append = await ftrRun(big, 'cache');
log('big: cached re-run after the append…');
result.appendCached = await ftrRun(big, 'cache');
result.loadavgEnd = loadavg();
result.target1s = { small: result.smallCached.medianMs < 1000, big: result.cached.medianMs < 1000 };

// --- report -----------------------------------------------------------------------------
if (opt.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const rss = (r) => (r.peakRssMb ? r.peakRssMb.toFixed(0) : '?');
  const cpu = (r) => (r.cpuS !== undefined ? r.cpuS.toFixed(1) : '?');
  log('');
  log(
    table(
      ['scenario', 'rows', 'wall s', 'rows/s', 'peak RSS MB', 'CPU s (user+sys)', 'runGraph s', 'cells ran / cached'],
      [
        ['small: cold run', fmtInt(ROWS), s1(result.smallCold.wallMs), fmtInt(result.smallCold.rowsRead / (result.smallCold.wallMs / 1000)), rss(result.smallCold), cpu(result.smallCold), s1(result.smallCold.runMs), `${result.smallCold.counts.done} / ${result.smallCold.counts.cached}`],
        [`small: cached re-run (median of ${CACHED_RUNS})`, fmtInt(ROWS), s1(result.smallCached.medianMs), '—', rss(result.smallCached), cpu(result.smallCached.runs[0]), s1(result.smallCached.runMedianMs), `${result.smallCached.runs[0].counts.done} / ${result.smallCached.runs[0].counts.cached}`],
        ['big: (a) cold run', fmtInt(FILES * ROWS), s1(result.cold.wallMs), fmtInt(result.cold.rowsRead / (result.cold.wallMs / 1000)), rss(result.cold), cpu(result.cold), s1(result.cold.runMs), `${result.cold.counts.done} / ${result.cold.counts.cached}`],
        ...(result.heapLimited
          ? [[`big: (a) cold run, --max-old-space-size=${result.heapLimited.limitMb}`, fmtInt(FILES * ROWS), s1(result.heapLimited.wallMs), fmtInt(result.heapLimited.rowsRead / (result.heapLimited.wallMs / 1000)), rss(result.heapLimited), cpu(result.heapLimited), s1(result.heapLimited.runMs), `${result.heapLimited.counts.done} / ${result.heapLimited.counts.cached}`]]
          : []),
        [`big: (b) cached re-run (median of ${CACHED_RUNS})`, fmtInt(FILES * ROWS), s1(result.cached.medianMs), '—', rss(result.cached), cpu(result.cached.runs[0]), s1(result.cached.runMedianMs), `${result.cached.runs[0].counts.done} / ${result.cached.runs[0].counts.cached}`],
        [`big: (c) +1 file appended, re-run`, fmtInt((FILES + 1) * ROWS), s1(result.append.wallMs), fmtInt(ROWS / (result.append.wallMs / 1000)) + ' (new rows)', rss(result.append), cpu(result.append), s1(result.append.runMs), `${result.append.counts.done} / ${result.append.counts.cached}`],
        ['big: cached re-run after (c)', fmtInt((FILES + 1) * ROWS), s1(result.appendCached.wallMs), '—', rss(result.appendCached), cpu(result.appendCached), s1(result.appendCached.runMs), `${result.appendCached.counts.done} / ${result.appendCached.counts.cached}`],
      ],
    ),
  );
  for (const w of warnings) log(`WARNING: ${w}`);
  log('\nwall: the whole `node bin/ftr.js run` process; runGraph: the run-end event\'s durationMs (executing the graph, without Node start-up, imports and check).');
  log(`load average (1/5/15 min) at start: ${result.loadavgStart.map((x) => x.toFixed(2)).join(' ')}, at end: ${result.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}`);
  log(`\n(c) took ${((100 * result.append.wallMs) / result.cold.wallMs).toFixed(0)}% of the cold full run's wall time.`);
  log(`source files / 10k-row shards computed / reused in (c): ${Object.values(result.append.cells).filter((c) => c.shards).map((c) => `${c.cell} ${c.shards.computed} / ${c.shards.reused}`).join(', ')}`);
  log(`cached re-run target (< 1 s): small ${result.target1s.small ? 'met' : 'MISSED'} (${s1(result.smallCached.medianMs)} s), big ${result.target1s.big ? 'met' : 'MISSED'} (${s1(result.cached.medianMs)} s)`);
  log('\nper cell, (a) cold run:');
  log(cellTable(result.cold));
  log(`peak RSS outside cells (start-up, check, between cells): ${(result.cold.cellPeak['(start-up, check, between cells)'] ?? 0).toFixed(0)} MB`);
  log('\nper cell, (c) after appending one file (computed / reused: source files for `tickets`, 10k-row shards for map cells):');
  log(cellTable(result.append));
  if (result.profile) {
    log(`\nprofile of a cold run (wall ${s1(result.profile.wallMs)} s under --cpu-prof):`);
    printSummary(result.profile, log);
    log(`\nprofile of a fully cached re-run (wall ${s1(result.profileCached.wallMs)} s under --cpu-prof):`);
    printSummary(result.profileCached, log);
  }
}

if (!opt.keep) rmSync(root, { recursive: true, force: true });
else log(`\nkept ${root}`);
