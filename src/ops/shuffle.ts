/**
 * Seeded shuffling of a whole dataset part without holding it in memory: every row gets a 32-bit
 * key from the seed and its id (its index when it has none), and the part is read once per key
 * range, each range sorted by key (ties by index). Rows per range stay near SHUFFLE_WINDOW, so
 * memory is bounded; the order depends only on the seed and the ids, so adding rows moves only
 * the new ones in.
 */
import type { Row, RowSet } from './types.js';
import { hashString } from '../core/hash32.js';

/** Rows held at once (about): a part of N rows is read ⌈N / SHUFFLE_WINDOW⌉ times. */
export const SHUFFLE_WINDOW = 200_000;

/** FNV-1a over UTF-16 code units, then murmur3's finalizer: 32 well-mixed bits. */
const hash32 = (s: string): number => hashString(s, 0);

/** The sort key of a row: from the seed and its id (or its index when it has no id). */
export function shuffleKey(seed: number, row: Row, index: number): number {
  const id = row.id === undefined || row.id === null ? `#${index}` : String(row.id);
  return hash32(`${seed}\u0000${id}`);
}

/** The rows of a part in a seeded random order. */
export async function* shuffled(rows: RowSet, seed: number, window = SHUFFLE_WINDOW): AsyncIterable<Row> {
  const passes = Math.max(1, Math.ceil(rows.count / window));
  const span = 2 ** 32 / passes;
  for (let p = 0; p < passes; p++) {
    const lo = p * span;
    const hi = p === passes - 1 ? 2 ** 32 : (p + 1) * span;
    const held: { key: number; index: number; row: Row }[] = [];
    let index = 0;
    for await (const row of rows.rows()) {
      const key = shuffleKey(seed, row, index);
      if (key >= lo && key < hi) held.push({ key, index, row });
      index++;
    }
    held.sort((a, b) => a.key - b.key || a.index - b.index);
    for (const h of held) yield h.row;
  }
}
