/** A dataset row: column name → JSON value. Shared by every layer. */
export type Row = Record<string, unknown>;

/**
 * A data field named `source` would replace the provenance column (the cell that read the row):
 * sources rename it to this, and the cell's notes say so. A data `id` becomes the row's id (noted too).
 */
export const RENAMED_SOURCE = 'data_source';
