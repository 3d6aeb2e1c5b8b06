import { Box, Text } from 'ink';
import {
  formatCellTime,
  formatCount,
  formatDropped,
  formatEta,
  formatParts,
  formatRate,
  formatRowsInOut,
  progressBar,
} from '../format.js';
import type { CellState, Progress } from '../state.js';
import { COLUMN_GAP, ROWS_COLUMN_WIDTH, type Layout } from './layout.js';
import { Preview } from './Preview.js';

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface CellBlockProps {
  cell: CellState;
  layout: Layout;
  /** advanced by the reporter's render loop; the spinner has no timer of its own */
  spinnerFrame?: number;
  showPreview?: boolean;
  /** the run is over: a still-queued cell was never run */
  runEnded?: boolean;
}

/** One notebook cell: its `##` prose, the status line, and what it produced. */
export function CellBlock({ cell, layout, spinnerFrame = 0, showPreview = false, runEnded = false }: CellBlockProps) {
  return (
    <Box flexDirection="column">
      {cell.prose ? (
        <Box paddingLeft={1}>
          <Text dimColor>{cell.prose.replace(/^/gm, '## ')}</Text>
        </Box>
      ) : null}
      <Box>
        <Box width={3} paddingLeft={1} flexShrink={0}>
          <StatusGlyph cell={cell} spinnerFrame={spinnerFrame} />
        </Box>
        <Box width={layout.nameWidth} marginRight={COLUMN_GAP} flexShrink={0}>
          <Text wrap="truncate-end">{cell.name}</Text>
        </Box>
        <Box width={layout.summaryWidth} marginRight={COLUMN_GAP} flexShrink={0}>
          <Text wrap="truncate-end">{cell.summary}</Text>
        </Box>
        <Metrics cell={cell} runEnded={runEnded} />
      </Box>
      <Box flexDirection="column" paddingLeft={layout.detailIndent}>
        <CellDetails cell={cell} width={layout.width - layout.detailIndent} showPreview={showPreview} />
      </Box>
    </Box>
  );
}

function StatusGlyph({ cell, spinnerFrame }: { cell: CellState; spinnerFrame: number }) {
  switch (cell.status) {
    case 'done':
    case 'cached':
      return <Text color="green">✔</Text>;
    case 'failed':
      return <Text color="red">✖</Text>;
    case 'running':
      return <Text color="cyan">{SPINNER_FRAMES[spinnerFrame % SPINNER_FRAMES.length]}</Text>;
    case 'queued':
      return <Text dimColor>·</Text>;
  }
}

function Metrics({ cell, runEnded }: { cell: CellState; runEnded: boolean }) {
  const rows = formatRowsInOut(cell.rowsIn, cell.rowsOut).padEnd(ROWS_COLUMN_WIDTH);
  const time = formatCellTime(cell.status, cell.durationMs);
  switch (cell.status) {
    case 'queued':
      return <Text dimColor>{runEnded ? 'not run' : 'queued'}</Text>;
    case 'running':
      return cell.progress ? <ProgressLine progress={cell.progress} /> : <Text dimColor>running</Text>;
    case 'cached':
      return (
        <Text>
          {rows}
          <Text dimColor>{time}</Text>
        </Text>
      );
    case 'done':
      return <Text>{rows + time}</Text>;
    case 'failed':
      return (
        <Text>
          {rows}
          <Text color="red">failed</Text>
          {time ? `  ${time}` : ''}
        </Text>
      );
  }
}

/** "████████░░░░ 64%  41k rows/s  ETA 3s", or "6,210 rows  41k rows/s" when the total is unknown. */
function ProgressLine({ progress }: { progress: Progress }) {
  const { rows, total, rate, etaMs } = progress;
  const eta = etaMs === undefined ? '' : `  ETA ${formatEta(etaMs)}`;
  if (!total) return <Text>{`${formatCount(rows)} rows  ${formatRate(rate)}${eta}`}</Text>;
  const fraction = rows / total;
  return (
    <Text>
      <Text color="cyan">{progressBar(fraction)}</Text>
      {` ${Math.floor(fraction * 100)}%  ${formatRate(rate)}${eta}`}
    </Text>
  );
}

function CellDetails({ cell, width, showPreview }: { cell: CellState; width: number; showPreview: boolean }) {
  const dropped = formatDropped(cell.dropped);
  const parts = formatParts(cell.parts);
  return (
    <>
      {cell.error ? <Text color="red">{cell.error}</Text> : null}
      {cell.latest ? (
        <Text dimColor wrap="truncate-end">
          {cell.latest}
        </Text>
      ) : null}
      {dropped ? <Text>{dropped}</Text> : null}
      {parts ? <Text>{`parts: ${parts}`}</Text> : null}
      {(cell.notes ?? []).map((note, i) => (
        <Text key={i} dimColor>
          {note}
        </Text>
      ))}
      {showPreview && cell.preview?.length ? <Preview rows={cell.preview} width={width} /> : null}
    </>
  );
}
