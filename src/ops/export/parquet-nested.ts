/**
 * Parquet columns for nested values: lists as Parquet LIST groups and records as structs, so
 * pyarrow / pandas / `datasets` users read real lists and dicts (Arrow list<…> and struct<…>)
 * instead of JSON strings. The shape of a column is merged from every value written: integers
 * widen to doubles, records take the union of their fields, nulls fit anywhere. A column whose
 * values do not share one shape (a list in one row, a string in another) stays a JSON column.
 */

export type Scalar = 'STRING' | 'BOOLEAN' | 'INT64' | 'DOUBLE';
export type Shape = { kind: 'null' } | { kind: 'scalar'; type: Scalar } | { kind: 'list'; of: Shape } | { kind: 'struct'; fields: Map<string, Shape> } | { kind: 'mixed' };

const NULL: Shape = { kind: 'null' };
const MIXED: Shape = { kind: 'mixed' };

export function shapeOf(v: unknown): Shape {
  if (v === null || v === undefined) return NULL;
  if (typeof v === 'string') return { kind: 'scalar', type: 'STRING' };
  if (typeof v === 'boolean') return { kind: 'scalar', type: 'BOOLEAN' };
  if (typeof v === 'number') return { kind: 'scalar', type: Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? 'INT64' : 'DOUBLE' };
  if (Array.isArray(v)) return { kind: 'list', of: v.reduce<Shape>((s, x) => mergeShapes(s, shapeOf(x)), NULL) };
  if (typeof v === 'object') return { kind: 'struct', fields: new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, shapeOf(x)])) };
  return MIXED;
}

export function mergeShapes(a: Shape, b: Shape): Shape {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'mixed' || b.kind === 'mixed') return MIXED;
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    if (a.type === b.type) return a;
    const nums = new Set([a.type, b.type]);
    return nums.has('INT64') && nums.has('DOUBLE') ? { kind: 'scalar', type: 'DOUBLE' } : MIXED;
  }
  if (a.kind === 'list' && b.kind === 'list') return { kind: 'list', of: mergeShapes(a.of, b.of) };
  if (a.kind === 'struct' && b.kind === 'struct') {
    const fields = new Map(a.fields);
    for (const [k, s] of b.fields) fields.set(k, mergeShapes(fields.get(k) ?? NULL, s));
    return { kind: 'struct', fields };
  }
  return MIXED;
}

/** Whether a shape can be written as Parquet groups (no mixed part; a record has fields). */
export function writable(s: Shape): boolean {
  if (s.kind === 'mixed') return false;
  if (s.kind === 'list') return writable(s.of);
  if (s.kind === 'struct') return s.fields.size > 0 && [...s.fields.values()].every(writable);
  return true;
}

export function isNested(s: Shape): boolean {
  return s.kind === 'list' || s.kind === 'struct';
}

export interface SchemaElement {
  name: string;
  type?: string;
  converted_type?: string;
  repetition_type?: 'OPTIONAL' | 'REPEATED' | 'REQUIRED';
  num_children?: number;
}

const SCALAR: Record<Scalar, Omit<SchemaElement, 'name'>> = {
  STRING: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  BOOLEAN: { type: 'BOOLEAN' },
  INT64: { type: 'INT64' },
  DOUBLE: { type: 'DOUBLE' },
};

/** Schema elements (depth first) of one optional column of this shape; nulls-only leaves are strings. */
export function schemaElements(name: string, s: Shape): SchemaElement[] {
  switch (s.kind) {
    case 'null':
    case 'mixed':
      return [{ name, ...SCALAR.STRING, repetition_type: 'OPTIONAL' }];
    case 'scalar':
      return [{ name, ...SCALAR[s.type], repetition_type: 'OPTIONAL' }];
    case 'list':
      // the three-level LIST of the Parquet spec: <name> (LIST) → list (repeated) → element
      return [{ name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 }, { name: 'list', repetition_type: 'REPEATED', num_children: 1 }, ...schemaElements('element', s.of)];
    case 'struct':
      return [{ name, repetition_type: 'OPTIONAL', num_children: s.fields.size }, ...[...s.fields].flatMap(([k, f]) => schemaElements(k, f))];
  }
}

/** A value as the writer takes it for its shape: INT64 leaves as BigInt, absent record fields as null. */
export function nestedValue(v: unknown, s: Shape): unknown {
  if (v === null || v === undefined) return null;
  switch (s.kind) {
    case 'scalar':
      return s.type === 'INT64' ? BigInt(v as number) : v;
    case 'list':
      return (v as unknown[]).map((x) => nestedValue(x, s.of));
    case 'struct':
      return Object.fromEntries([...s.fields].map(([k, f]) => [k, nestedValue((v as Record<string, unknown>)[k], f)]));
    default:
      return v;
  }
}
