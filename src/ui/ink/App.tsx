import { useMemo } from 'react';
import { Box, Static, Text, useStdout } from 'ink';
import { formatCount, formatLog, formatRunSummary, shortHash } from '../format.js';
import { finalPreviewCells, isSettled, type CellState, type LogLine, type RunState, type TranscriptEntry } from '../state.js';
import { CellBlock } from './CellBlock.js';
import { layoutFor, type Layout } from './layout.js';
import { Preview } from './Preview.js';

/** Where previews appear: under every finished cell, once for the last cells at the end, or never. */
export type PreviewMode = 'all' | 'final' | 'none';

export interface AppProps {
  state: RunState;
  spinnerFrame?: number;
  previews?: PreviewMode;
  /** terminal columns; defaults to the stdout Ink renders to */
  width?: number;
}

/** Beyond this many queued cells the rest collapse into "+N queued", keeping the live area short. */
const MAX_QUEUED_SHOWN = 4;

type StaticItem = { kind: 'header' } | TranscriptEntry;
const HEADER: StaticItem = { kind: 'header' };

/**
 * The live notebook. Settled cells and log lines go to `<Static>`, written once into
 * scrollback; only running and queued cells (and, at the end, the summary) are redrawn.
 */
export function App({ state, spinnerFrame = 0, previews = 'final', width }: AppProps) {
  const { stdout } = useStdout();
  const layout = layoutFor(state.cells, width ?? (stdout.columns || 80));
  // Append-only: the header first, then the transcript. <Static> prints only what is new.
  const settled = useMemo<StaticItem[]>(
    () => (state.recipe === undefined ? [] : [HEADER, ...state.transcript]),
    [state.recipe, state.transcript],
  );
  const runEnded = state.summary !== undefined;
  const { shown, hiddenQueued } = liveCells(state.cells);

  return (
    <>
      <Static items={settled}>
        {(item, index) => (
          <Box key={index}>
            {item.kind === 'header' ? (
              <Box marginBottom={1}>
                <Header state={state} />
              </Box>
            ) : item.kind === 'cell' ? (
              <CellBlock cell={item.cell} layout={layout} showPreview={previews === 'all'} />
            ) : (
              <LogText log={item.log} />
            )}
          </Box>
        )}
      </Static>
      {shown.map((cell) => (
        <CellBlock key={cell.name} cell={cell} layout={layout} spinnerFrame={spinnerFrame} runEnded={runEnded} />
      ))}
      {hiddenQueued > 0 ? <Text dimColor>{`   +${hiddenQueued} queued`}</Text> : null}
      {runEnded ? <RunEnd state={state} layout={layout} showPreviews={previews === 'final'} /> : null}
    </>
  );
}

function liveCells(cells: CellState[]): { shown: CellState[]; hiddenQueued: number } {
  const shown: CellState[] = [];
  let queued = 0;
  for (const cell of cells) {
    if (isSettled(cell.status)) continue;
    if (cell.status === 'queued' && ++queued > MAX_QUEUED_SHOWN) continue;
    shown.push(cell);
  }
  return { shown, hiddenQueued: Math.max(0, queued - MAX_QUEUED_SHOWN) };
}

function Header({ state }: { state: RunState }) {
  return (
    <Text>
      <Text bold>{state.recipe}</Text>
      {`  ·  seed ${state.seed}  ·  cache ${state.cacheDir}`}
    </Text>
  );
}

function LogText({ log }: { log: LogLine }) {
  const color = log.level === 'error' ? 'red' : log.level === 'warn' ? 'yellow' : undefined;
  return (
    <Text color={color} dimColor={log.level === 'info'}>
      {` ${formatLog(log)}`}
    </Text>
  );
}

function RunEnd({ state, layout, showPreviews }: { state: RunState; layout: Layout; showPreviews: boolean }) {
  const summary = state.summary!;
  const ok = summary.status === 'ok';
  return (
    <Box flexDirection="column" marginTop={1}>
      {showPreviews
        ? finalPreviewCells(state).map((cell) => (
            <Box key={cell.name} flexDirection="column" paddingLeft={3} marginBottom={1}>
              <Text dimColor>{`preview ${cell.name}`}</Text>
              <Preview rows={cell.preview ?? []} width={layout.width - 3} />
            </Box>
          ))
        : null}
      <Text>
        <Text color={ok ? 'green' : 'red'}>{ok ? ' ✔ ' : ' ✖ '}</Text>
        {formatRunSummary(summary, state.cells.length)}
      </Text>
      {summary.outputs.map((output) => (
        <Text key={output.path}>
          {`   ${output.path}  ${output.rows === undefined ? "" : `${formatCount(output.rows)} rows  `}`}
          <Text dimColor>{`sha256 ${shortHash(output.sha256)}`}</Text>
        </Text>
      ))}
    </Box>
  );
}
