import { Box, Text } from 'ink';
import type { Row } from '../../runtime/events.js';
import { formatPreview } from '../format.js';

/** A few rows as an aligned table; the header line is dim. */
export function Preview({ rows, width, maxRows = 3 }: { rows: Row[]; width: number; maxRows?: number }) {
  const [header, ...lines] = formatPreview(rows, { width, maxRows });
  if (header === undefined) return null;
  return (
    <Box flexDirection="column">
      <Text dimColor>{header}</Text>
      {lines.map((line, i) => (
        <Text key={i}>{line}</Text>
      ))}
    </Box>
  );
}
