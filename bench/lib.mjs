// Shared helpers for the benchmarks: timing stats, child processes with peak RSS, formatting.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
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
 * Run a command to completion. Returns wall time (ms), exit code, stdout/stderr and, from
 * `/usr/bin/time -v` when it exists, the child's peak RSS (MB); without GNU time, peakRssMb is
 * undefined. (GNU time adds a fork+exec of a few ms to the wall time.)
 */
export function runTimed(cmd, args, { cwd = ROOT, env = process.env, timeV = true } = {}) {
  const useTime = timeV && existsSync('/usr/bin/time');
  const argv = useTime ? ['-v', cmd, ...args] : args;
  const bin = useTime ? '/usr/bin/time' : cmd;
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      let stderr = Buffer.concat(err).toString('utf8');
      let peakRssMb;
      if (useTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        if (m) peakRssMb = Number(m[1]) / 1024;
        // drop GNU time's report from what the caller sees as the command's stderr
        const cut = stderr.lastIndexOf('\tCommand being timed:');
        if (cut >= 0) stderr = stderr.slice(0, cut);
      }
      resolvePromise({ code, wallMs, peakRssMb, stdout: Buffer.concat(out).toString('utf8'), stderr });
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
