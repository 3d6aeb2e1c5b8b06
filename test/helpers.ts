/** Test helpers: temp projects, the CLI in-process and as a real process. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { main } from '../src/cli/main.js';
import type { RunEvent } from '../src/runtime/events.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'ftr.js');

export function tempProject(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ftr-test-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Run `ftr` in-process (fast); cwd-independent because paths are absolute. */
export async function ftr(...argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/** `ftr run FILE --json` in-process, with the events parsed. */
export async function runJson(file: string, ...extra: string[]): Promise<{ code: number; events: RunEvent[]; cells: Map<string, Extract<RunEvent, { type: 'cell' }>> }> {
  const lines: string[] = [];
  const origWrite = process.stdout.write.bind(process.stdout);
  // the JSON reporter writes to stdout: capture it for the duration of the run
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = (await ftr('run', file, '--json', ...extra)).code;
  } finally {
    process.stdout.write = origWrite;
  }
  const events = lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunEvent);
  const cells = new Map<string, Extract<RunEvent, { type: 'cell' }>>();
  for (const e of events) if (e.type === 'cell' && (e.status === 'done' || e.status === 'cached' || e.status === 'failed')) cells.set(e.cell, e);
  return { code, events, cells };
}

/** The real CLI as a child process (for exit codes, signals, TTY-less output). */
export function ftrProcess(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, CI: 'true', ...opts.env }, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

export function ftrSpawn(args: string[], cwd?: string) {
  return spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: 'true' } });
}

export function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
