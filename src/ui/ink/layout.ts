import type { CellState } from '../state.js';

/** Column widths shared by every cell line, so names, summaries and numbers line up. */
export interface Layout {
  width: number;
  nameWidth: number;
  summaryWidth: number;
  /** where detail lines (drops, parts, notes, previews) start: under the summary */
  detailIndent: number;
}

const MAX_NAME_WIDTH = 16;
/** " ✔ " before the name, and a 2-space gap after name and summary */
const GLYPH_WIDTH = 3;
const GAP = 2;
/** room kept for "████████░░░░ 64%  41k rows/s  ETA 3s" */
const METRICS_WIDTH = 38;

export function layoutFor(cells: CellState[], width: number): Layout {
  const nameWidth = Math.min(MAX_NAME_WIDTH, Math.max(4, ...cells.map((c) => c.name.length)));
  const summaryWidth = Math.max(12, Math.min(44, width - GLYPH_WIDTH - nameWidth - 2 * GAP - METRICS_WIDTH));
  return { width, nameWidth, summaryWidth, detailIndent: GLYPH_WIDTH + nameWidth + GAP };
}

export const ROWS_COLUMN_WIDTH = 20;
export const COLUMN_GAP = GAP;
