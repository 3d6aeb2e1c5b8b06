// Crash safety sweep: SIGKILL `ftr run` at many points, re-run, and check the outputs are
// byte-identical to an uninterrupted run and the cache verifies clean.
//   node bench/crash-sweep.mjs [points=100]      (after `npm run build`)
// The test suite runs a reduced sweep through the same `sweep` function.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'ftr.js');

const RECIPE = `recipe crash
seed 5
source docs = jsonl "data/*.jsonl" { id: .id, text: .body, label: .label }
cell clean = docs | strip_html | normalize nfkc | keep len(text) >= 12 "too short"
cell unique = clean | dedupe text
cell parts = unique | split
export parts | write "out/"
`;

/** A project with `files` JSONL files of `rows` rows each (some markup, duplicates, short rows). */
export function makeProject(files = 4, rows = 15_000) {
  const dir = mkdtempSync(join(tmpdir(), 'ftr-crash-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'r.ftr'), RECIPE);
  for (let f = 0; f < files; f++) {
    const lines = [];
    for (let i = 0; i < rows; i++) {
      const n = f * rows + i;
      const body = n % 17 === 0 ? 'short' : `<p>Ticket ${n % 9000} about ${['billing', 'login', 'shipping', 'refunds'][n % 4]} &amp; more words here</p>`;
      lines.push(JSON.stringify({ id: `r${n}`, body, label: ['a', 'b', 'c'][n % 3] }));
    }
    writeFileSync(join(dir, 'data', `part-${f}.jsonl`), lines.join('\n') + '\n');
  }
  return dir;
}

function outputsHash(dir) {
  const h = createHash('sha256');
  for (const f of readdirSync(join(dir, 'out')).sort()) h.update(f).update(readFileSync(join(dir, 'out', f)));
  return h.digest('hex');
}

function runToEnd(dir, args = []) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, 'run', 'r.ftr', '--json', '--shard-rows', '5000', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { code: r.status, ms: Date.now() - t0, events, stderr: r.stderr };
}

/** Milliseconds from spawn to the first event: Node start-up plus checking, before any data work. */
function startupMs(dir) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [BIN, 'check', 'r.ftr'], { cwd: dir });
    child.on('exit', () => resolve(Date.now() - t0));
  });
}

/** Start a run and SIGKILL it after `delayMs`; returns the cell that was running then. */
function killAfter(dir, delayMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', 'r.ftr', '--json', '--shard-rows', '5000'], { cwd: dir, env: { ...process.env, CI: 'true' } });
    let running = 'start-up';
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) {
        try {
          const e = JSON.parse(l);
          if (e.type === 'cell' && e.status === 'running') running = e.cell;
        } catch {
          // a line cut by the kill
        }
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', running, code });
    });
  });
}

/**
 * `points` kills spread over the reference run's duration (seeded, so a sweep is repeatable).
 * Each kill happens on a fresh copy of the project, then the run is repeated to completion.
 */
export async function sweep({ points = 100, files = 4, rows = 15_000, seed = 1, log = () => {} } = {}) {
  const base = makeProject(files, rows);
  const ref = runToEnd(base);
  if (ref.code !== 0) throw new Error(`reference run failed: ${ref.stderr}`);
  const refHash = outputsHash(base);
  rmSync(join(base, '.ftr'), { recursive: true, force: true });
  rmSync(join(base, 'out'), { recursive: true, force: true });
  // kills land between the end of start-up and the end of the reference run
  const startup = await startupMs(base);
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const results = [];
  for (let k = 0; k < points; k++) {
    const dir = mkdtempSync(join(tmpdir(), 'ftr-crash-run-'));
    cpSync(base, dir, { recursive: true });
    const delay = Math.round(startup + rand() * Math.max(50, ref.ms - startup));
    const kill = await killAfter(dir, delay);
    const again = runToEnd(dir);
    const cells = again.events.filter((e) => e.type === 'cell' && (e.status === 'done' || e.status === 'cached'));
    const reused = cells.reduce((n, e) => n + (e.shards?.reused ?? 0), 0);
    const computed = cells.reduce((n, e) => n + (e.shards?.computed ?? 0), 0);
    const verify = spawnSync(process.execPath, [BIN, 'cache', 'verify', 'r.ftr'], { cwd: dir, encoding: 'utf8' });
    const result = {
      delayMs: delay,
      killed: kill.killed,
      phase: kill.killed ? kill.running : 'finished before the kill',
      rerunCode: again.code,
      identical: again.code === 0 && outputsHash(dir) === refHash,
      cacheClean: verify.status === 0,
      reused,
      computed,
      rerunMs: again.ms,
    };
    results.push(result);
    log(result);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(base, { recursive: true, force: true });
  return { referenceMs: ref.ms, results };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const points = Number(process.argv[2] ?? 100);
  const { referenceMs, results } = await sweep({ points, log: (r) => process.stdout.write(`${JSON.stringify(r)}\n`) });
  const killed = results.filter((r) => r.killed);
  const byPhase = {};
  for (const r of killed) byPhase[r.phase] = (byPhase[r.phase] ?? 0) + 1;
  console.log(`\nreference run ${referenceMs} ms; ${results.length} kill points, ${killed.length} landed during the run`);
  console.log(`kills by running cell: ${JSON.stringify(byPhase)}`);
  console.log(`re-runs completed: ${results.filter((r) => r.rerunCode === 0).length}/${results.length}`);
  console.log(`outputs byte-identical to the uninterrupted run: ${results.filter((r) => r.identical).length}/${results.length}`);
  console.log(`cache verified clean after the re-run: ${results.filter((r) => r.cacheClean).length}/${results.length}`);
  const partial = killed.filter((r) => r.reused > 0);
  console.log(`re-runs that reused committed pieces: ${partial.length}/${killed.length}; mean re-run ${Math.round(killed.reduce((n, r) => n + r.rerunMs, 0) / Math.max(1, killed.length))} ms`);
}
