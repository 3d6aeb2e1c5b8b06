import { render } from 'ink';
import type { RunEvent } from '../../runtime/events.js';
import { initialRunState, reduce, type RunState } from '../state.js';
import { App, type PreviewMode } from './App.js';

export type { PreviewMode } from './App.js';

export interface InkReporterOptions {
  stdout?: NodeJS.WriteStream;
  previews?: PreviewMode;
  /** route console.* above the live area (Ink's default); tests turn it off, vitest owns console */
  patchConsole?: boolean;
}

/** Events can arrive thousands per second; the screen is redrawn at most this often. */
const FRAME_MS = 1000 / 15;
const SPINNER_MS = 100;

/**
 * Folds events into a `RunState` as they arrive and re-renders `<App>` from a single
 * throttled loop (the spinner advances on the same loop, so there is one source of frames).
 */
export function createInkReporter({
  stdout = process.stdout,
  previews = 'final',
  patchConsole = true,
}: InkReporterOptions = {}): {
  onEvent(event: RunEvent): void;
  close(): Promise<void>;
} {
  let state: RunState = initialRunState;
  let spinnerFrame = 0;
  let lastRenderAt = 0;
  let pendingRender: NodeJS.Timeout | undefined;

  const view = () => <App state={state} spinnerFrame={spinnerFrame} previews={previews} />;
  const instance = render(view(), { stdout, patchConsole });
  // Ink resolves only a waitUntilExit() promise that exists before unmount().
  const exited = instance.waitUntilExit();

  function renderNow(): void {
    clearTimeout(pendingRender);
    pendingRender = undefined;
    lastRenderAt = Date.now();
    instance.rerender(view());
  }

  function scheduleRender(): void {
    if (pendingRender) return;
    pendingRender = setTimeout(renderNow, Math.max(0, lastRenderAt + FRAME_MS - Date.now()));
    pendingRender.unref();
  }

  const spinner = setInterval(() => {
    if (!state.cells.some((cell) => cell.status === 'running')) return;
    spinnerFrame += 1;
    scheduleRender();
  }, SPINNER_MS);
  spinner.unref();

  return {
    onEvent(event) {
      state = reduce(state, event);
      scheduleRender();
    },
    async close() {
      clearInterval(spinner);
      renderNow();
      instance.unmount();
      await exited;
    },
  };
}
