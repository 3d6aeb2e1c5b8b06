#!/usr/bin/env node
// Benchmark: reading JSONL, CSV and Parquet through `ftr run` (a recipe that is just the source).
//
//   npm run build && node bench/read.mjs [--mb 1000] [--formats jsonl,csv,parquet] [--keep] [--json]
//
// Generates the same flat ticket rows (bench/gen-tickets.mjs: ticket_id, text, intent, created;
// the text is what gen-tickets puts in body.text) as one file per format under os.tmpdir(),
// sized so that the JSONL file is about --mb MB (CSV comes out about the same; Parquet, snappy
// compressed with dictionary pages, smaller — same rows, so rows/s compare formats). Then, for
// each format, one cold `node bin/ftr.js run --json` of
//   source t = <format> "data.<ext>"
// (its own --cache-dir: reading includes writing the rows into the cache, as every run does)
// under /usr/bin/time -v: wall time, rows/s, MB/s of the file, peak RSS and CPU time; plus the
// source cell's own time from the `cell` event. Generated data is removed at the end unless --keep.
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeGenerator } from './gen-tickets.mjs';
import { events, fmtInt, FTR, requireBuild, ROOT, runTimed, table, tempDir } from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    mb: { type: 'string', default: '1000' },
    formats: { type: 'string', default: 'jsonl,csv,parquet' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const TARGET = Number(opt.mb) * 1e6;
const FORMATS = opt.formats.split(',');
const CHUNK = 100_000;

requireBuild();
const log = opt.json ? () => {} : (s) => console.log(s);
const root = tempDir('read');
log(`measuring ${ROOT}\ndata under ${root}\n`);

// --- data: flat rows, written in chunks so memory stays flat -------------------------------
const next = makeGenerator(7);
/** The next CHUNK rows as flat records (the truncated-JSON lines of gen-tickets are skipped: all rows are valid). */
let lineNo = 0;
function chunk() {
  const rows = [];
  while (rows.length < CHUNK) {
    const line = next(lineNo++);
    let r;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    rows.push({ ticket_id: r.ticket_id, text: r.body.text, intent: r.intent, created: r.created });
  }
  return rows;
}
const csvCell = (s) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

const t0 = Date.now();
const files = { jsonl: join(root, 'jsonl', 'data.jsonl'), csv: join(root, 'csv', 'data.csv'), parquet: join(root, 'parquet', 'data.parquet') };
for (const f of Object.values(files)) rmSync(join(f, '..'), { recursive: true, force: true });
for (const f of Object.values(files)) mkdirSync(join(f, '..'), { recursive: true });
// the JSONL file is always written: its size is the yardstick (removed when not measured)
const fdJ = openSync(files.jsonl, 'w');
const fdC = FORMATS.includes('csv') ? openSync(files.csv, 'w') : undefined;
if (fdC !== undefined) writeSync(fdC, 'ticket_id,text,intent,created\n');
let pq;
if (FORMATS.includes('parquet')) {
  const { ParquetWriter, fileWriter } = await import('hyparquet-writer');
  const schema = [
    { name: 'root', num_children: 4 },
    { name: 'ticket_id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'intent', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'created', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  ];
  pq = new ParquetWriter({ writer: fileWriter(files.parquet), schema });
}
let rows = 0;
let jsonlBytes = 0;
while (jsonlBytes < TARGET) {
  const batch = chunk();
  const j = batch.map((r) => JSON.stringify(r)).join('\n') + '\n';
  jsonlBytes += Buffer.byteLength(j);
  writeSync(fdJ, j);
  if (fdC !== undefined) writeSync(fdC, batch.map((r) => `${r.ticket_id},${csvCell(r.text)},${r.intent},${r.created}`).join('\n') + '\n');
  if (pq) {
    await pq.write({
      columnData: ['ticket_id', 'text', 'intent', 'created'].map((name) => ({ name, data: batch.map((r) => r[name]) })),
      rowGroupSize: CHUNK,
    });
  }
  rows += batch.length;
}
closeSync(fdJ);
if (fdC !== undefined) closeSync(fdC);
if (pq) await pq.finish();
const size = Object.fromEntries(Object.entries(files).filter(([f]) => FORMATS.includes(f)).map(([f, p]) => [f, statSync(p).size]));
log(`data: ${fmtInt(rows)} rows; ${Object.entries(size).map(([f, b]) => `${f} ${(b / 1e6).toFixed(0)} MB`).join(', ')}; generated in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
if (!FORMATS.includes('jsonl')) rmSync(files.jsonl, { force: true });

// --- runs ------------------------------------------------------------------------------------
const result = { rows, sizes: size, loadavgStart: loadavg(), runs: {} };
for (const format of FORMATS) {
  const dir = join(files[format], '..');
  const name = files[format].split('/').pop();
  writeFileSync(join(dir, 'recipe.ftr'), `recipe bench_read\nsource t = ${format} "${name}"\n`);
  log(`${format}: cold run…`);
  const r = await runTimed(process.execPath, [FTR, 'run', join(dir, 'recipe.ftr'), '--json', '--cache-dir', join(dir, 'cache')], { cwd: dir });
  if (r.code !== 0) throw new Error(`${format}: ftr run exited ${r.code}\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  const cell = events(r.stdout).find((e) => e.type === 'cell' && e.status === 'done');
  result.runs[format] = { wallMs: r.wallMs, cellMs: cell.durationMs, rowsOut: cell.rowsOut, dropped: cell.dropped, peakRssMb: r.peakRssMb, cpuS: r.cpuS };
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
}
result.loadavgEnd = loadavg();
result.machine = { nproc: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
if (!opt.keep) rmSync(root, { recursive: true, force: true });

if (opt.json) console.log(JSON.stringify(result, null, 2));
else {
  log('');
  log(
    table(
      ['format', 'file MB', 'rows', 'wall s', 'rows/s (wall)', 'MB/s (wall)', 'source cell s', 'CPU s', 'rows per CPU-s', 'MB per CPU-s', 'peak RSS MB'],
      FORMATS.map((f) => {
        const r = result.runs[f];
        return [f, (size[f] / 1e6).toFixed(0), fmtInt(r.rowsOut), (r.wallMs / 1000).toFixed(1), fmtInt(r.rowsOut / (r.wallMs / 1000)), (size[f] / 1e6 / (r.wallMs / 1000)).toFixed(1), (r.cellMs / 1000).toFixed(1), r.cpuS?.toFixed(1) ?? '?', r.cpuS ? fmtInt(r.rowsOut / r.cpuS) : '?', r.cpuS ? (size[f] / 1e6 / r.cpuS).toFixed(1) : '?', r.peakRssMb?.toFixed(0) ?? '?'];
      }),
    ),
  );
  log(`\nload average ${result.loadavgStart.map((x) => x.toFixed(2)).join(' ')} → ${result.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}; ${result.machine.nproc} × ${result.machine.cpu}, Node ${result.machine.node}`);
  if (opt.keep) log(`kept ${root}`);
}
