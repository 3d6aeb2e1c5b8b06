/** A dataset row: column name → JSON value. Shared by every layer. */
export type Row = Record<string, unknown>;
