// Shared helpers for the benchmarks: timing stats, child processes with peak RSS, formatting.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The ftr checkout measured: this repository, or FTR_BENCH_ROOT (a built copy elsewhere, e.g. a
 * snapshot of a commit, so that concurrent rebuilds of dist/ do not change the code mid-run).
 */
export const ROOT = process.env.FTR_BENCH_ROOT ? resolve(process.env.FTR_BENCH_ROOT) : resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FTR = join(ROOT, 'bin', 'ftr.js');

/** Fail early, with a hint, when `npm run build` has not been run. */
export function requireBuild() {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    console.error('bench: dist/ is missing — run `npm run build` first');
    process.exit(2);
  }
}

/** A fresh directory under os.tmpdir() (never inside the repo). */
export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `ftr-bench-${prefix}-`));
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
export const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

/**
 * Run a command to completion. Returns wall time (ms), exit code, stdout/stderr, and the
 * child's peak RSS (MB) and CPU time (user + system, s): from `/usr/bin/time -v` when it exists
 * (its fork+exec adds ~1 ms), else, for a Node child, from process.resourceUsage() written by
 * a preloaded module on exit; otherwise they are undefined.
 * onLine(line): called for each stdout line as it arrives.
 * sampleRss(mb): called every 50 ms with the command's current resident set (Linux /proc).
 */
export function runTimed(cmd, args, { cwd = ROOT, env = process.env, timeV = true, onLine, sampleRss } = {}) {
  const useTime = timeV && existsSync('/usr/bin/time') && !process.env.FTR_BENCH_NO_GNU_TIME;
  const usePreload = timeV && !useTime && cmd === process.execPath;
  const rusageFile = usePreload ? join(tmpdir(), `ftr-bench-rusage-${process.pid}-${Date.now()}.json`) : undefined;
  let bin = cmd;
  let argv = args;
  if (useTime) {
    bin = '/usr/bin/time';
    argv = ['-v', cmd, ...args];
  } else if (usePreload) {
    argv = ['--import', pathToFileURL(join(ROOT, 'bench', 'rss-preload.mjs')).href, ...args];
    env = { ...env, FTR_BENCH_RUSAGE: rusageFile };
  }
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let partial = '';
    child.stdout.on('data', (d) => {
      out.push(d);
      if (!onLine) return;
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop();
      for (const l of lines) onLine(l);
    });
    // the process to sample: GNU time's child when wrapped, else the child itself
    const target = () => {
      if (!useTime) return child.pid;
      try {
        return Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]) || undefined;
      } catch {
        return undefined;
      }
    };
    const timer = sampleRss
      ? setInterval(() => {
          const pid = target();
          if (!pid) return;
          try {
            const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
            if (m) sampleRss(Number(m[1]) / 1024);
          } catch {
            // exited between the two reads
          }
        }, 50)
      : undefined;
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      if (onLine && partial) onLine(partial);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      let stderr = Buffer.concat(err).toString('utf8');
      let peakRssMb;
      let cpuS;
      if (useTime) {
        const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
        const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
        if (rss) peakRssMb = Number(rss[1]) / 1024;
        if (user && sys) cpuS = Number(user[1]) + Number(sys[1]);
        // the caller sees the command's own stderr, without GNU time's report
        const cut = stderr.lastIndexOf('\tCommand being timed:');
        if (cut >= 0) stderr = stderr.slice(0, cut);
      } else if (rusageFile && existsSync(rusageFile)) {
        const ru = JSON.parse(readFileSync(rusageFile, 'utf8'));
        rmSync(rusageFile, { force: true });
        peakRssMb = ru.maxRSS / 1024;
        cpuS = (ru.userCPUTime + ru.systemCPUTime) / 1e6;
      }
      resolvePromise({ code, wallMs, peakRssMb, cpuS, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/** Parse an NDJSON event stream (`ftr run --json`). */
export function events(stdout) {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** Markdown table from rows of cells. */
export function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}
