/**
 * Picks how a run is shown. The runtime only emits events; a reporter turns them into output.
 */

import isInCi from 'is-in-ci';
import type { RunEvent } from '../runtime/events.js';
import { createJsonReporter } from './json.js';
import { createPlainReporter } from './plain.js';

export interface Reporter {
  onEvent(event: RunEvent): void;
  /** call once after the last event; await it before exiting so the final frame is written */
  close(): Promise<void> | void;
}

export type ReporterKind = 'ink' | 'plain' | 'json';

export interface ReporterChoice {
  json?: boolean;
  reporter?: 'auto' | ReporterKind;
}

const KINDS: readonly string[] = ['ink', 'plain', 'json'];

/**
 * Precedence: `--json`, then an explicit `--reporter`, then `FTR_REPORTER`, then auto-detection.
 * Ink 6 writes cursor escapes even into pipes, so auto picks it only for an interactive terminal.
 */
export function chooseReporterKind(
  { json, reporter = 'auto' }: ReporterChoice,
  stdout: Pick<NodeJS.WriteStream, 'isTTY'>,
  env: NodeJS.ProcessEnv = process.env,
  ci: boolean = isInCi,
): ReporterKind {
  if (json) return 'json';
  if (reporter !== 'auto') return reporter;
  const fromEnv = env.FTR_REPORTER?.trim().toLowerCase();
  if (fromEnv && KINDS.includes(fromEnv)) return fromEnv as ReporterKind;
  return stdout.isTTY && !ci && env.TERM !== 'dumb' ? 'ink' : 'plain';
}

/** Ink and React load only when the Ink view is chosen: plain and JSON runs start faster. */
export async function selectReporter(choice: ReporterChoice, stdout: NodeJS.WriteStream = process.stdout): Promise<Reporter> {
  const write = (s: string) => {
    stdout.write(s);
  };
  switch (chooseReporterKind(choice, stdout)) {
    case 'json':
      return createJsonReporter(write);
    case 'plain':
      return createPlainReporter(write, { width: stdout.columns || 100 });
    case 'ink': {
      const { createInkReporter } = await import('./ink/index.js');
      return createInkReporter({ stdout });
    }
  }
}
