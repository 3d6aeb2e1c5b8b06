import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { parquetMetadata, type SchemaElement } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { notParquet, PARSERS, plain, readFooterSync, parquetColumns } from '../../../src/ops/sources/parquet.js';
import { ftr } from '../../helpers.js';
import { project, runSource, total } from './harness.js';

/** Five rows in three row groups (2 + 2 + 1): 64-bit ints, a struct, a list, DATE, TIMESTAMP_MICROS, doubles. */
function writeDocs(file: string, name: unknown[] = ['a', 'b', 'c', null, 'e']): void {
  const schema: SchemaElement[] = [
    { name: 'root', num_children: 7 },
    { name: 'num', type: 'INT64', repetition_type: 'REQUIRED' },
    { name: 'name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'body', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'n', type: 'INT32', repetition_type: 'OPTIONAL' },
    { name: 'tags', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
    { name: 'ts', type: 'INT64', converted_type: 'TIMESTAMP_MICROS', repetition_type: 'REQUIRED' },
    { name: 'score', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  ];
  parquetWriteFile({
    filename: file,
    rowGroupSize: 2,
    schema,
    columnData: [
      { name: 'num', data: [1n, 2n, 9007199254740993n, 4n, -5n] },
      { name: 'name', data: name },
      { name: 'body', data: [{ text: 'one', n: 1 }, { text: 'two', n: 2 }, { text: 'three', n: 3 }, null, { text: 'five', n: 5 }] },
      { name: 'tags', data: [['a', 'b'], [], null, ['x'], ['y']] },
      { name: 'day', data: [0, 19_000, 1, 2, 3] },
      { name: 'ts', data: [1_700_000_000_123_456n, 0n, -1n, 5n, 6n] },
      { name: 'score', data: [1.5, NaN, Infinity, 0, -2] },
    ],
  });
}

describe('parquet values → JSON', () => {
  it('64-bit integers: numbers when exact, decimal strings beyond 2^53', () => {
    expect(plain(9007199254740991n)).toBe(9007199254740991);
    expect(plain(9007199254740993n)).toBe('9007199254740993');
    expect(plain(-9007199254740993n)).toBe('-9007199254740993');
    expect(plain(new BigInt64Array([1n, 2n]))).toEqual([1, 2]);
  });
  it('dates and timestamps become ISO strings with the column\'s precision', () => {
    expect(PARSERS.dateFromDays!(19_000)).toBe('2022-01-08');
    expect(PARSERS.timestampFromMilliseconds!(1_700_000_000_123n)).toBe('2023-11-14T22:13:20.123Z');
    expect(PARSERS.timestampFromMicroseconds!(-1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(PARSERS.timestampFromNanoseconds!(1_000_000_001n)).toBe('1970-01-01T00:00:01.000000001Z');
    expect(plain(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
  });
  it('NaN → null; binary → text when UTF-8, else base64; structs and lists recursively', () => {
    expect(plain(NaN)).toBeNull();
    expect(plain(new Uint8Array([104, 105]))).toBe('hi');
    expect(plain(new Uint8Array([0xff, 0x00]))).toBe('/wA=');
    expect(plain({ a: [1n, undefined], b: { c: new Date(0) } })).toEqual({ a: [1, null], b: { c: '1970-01-01T00:00:00.000Z' } });
  });
  it('bad UTF-8 and bad JSON are marked, so their row can be rejected', () => {
    expect(() => plain({ s: PARSERS.stringFromBytes!(new Uint8Array([0xe9])) })).toThrow();
    expect(() => plain(PARSERS.jsonFromBytes!(new TextEncoder().encode('{bad')))).toThrow();
    expect(PARSERS.jsonFromBytes!(new TextEncoder().encode('{"a":[1]}'))).toEqual({ a: [1] });
  });
  it('magic bytes', () => {
    const par1 = new TextEncoder().encode('PAR1');
    expect(notParquet(par1, par1, 100)).toBeUndefined();
    expect(notParquet(new TextEncoder().encode('{"a"'), par1, 100)).toMatch(/does not start/);
    expect(notParquet(par1, new TextEncoder().encode('xxxx'), 100)).toMatch(/truncated/);
    expect(notParquet(par1, par1, 4)).toMatch(/too short/);
  });
});

describe('parquet source', () => {
  it('reads every row group of every file, with types from the schema', async () => {
    const dir = project({});
    writeDocs(join(dir, 'a.parquet'));
    writeDocs(join(dir, 'b.parquet'));
    const meta = readFooterSync(join(dir, 'a.parquet'));
    expect('error' in meta).toBe(false);
    expect(parquetColumns(meta as never)).toEqual([
      { name: 'num', type: 'any' },
      { name: 'name', type: 'string' },
      { name: 'body', type: 'record' },
      { name: 'tags', type: 'list' },
      { name: 'day', type: 'string' },
      { name: 'ts', type: 'string' },
      { name: 'score', type: 'number' },
    ]);
    const r = await runSource(dir, 'parquet "*.parquet"');
    expect(r.code).toBe(0);
    expect(r.rowsOut).toBe(10);
    expect(r.dropped).toEqual({});
    expect(r.rows.slice(0, 5)).toEqual([
      { id: 'a.parquet:1', source: 's', num: 1, name: 'a', body: { text: 'one', n: 1 }, tags: ['a', 'b'], day: '1970-01-01', ts: '2023-11-14T22:13:20.123456Z', score: 1.5 },
      { id: 'a.parquet:2', source: 's', num: 2, name: 'b', body: { text: 'two', n: 2 }, tags: [], day: '2022-01-08', ts: '1970-01-01T00:00:00.000000Z', score: null },
      { id: 'a.parquet:3', source: 's', num: '9007199254740993', name: 'c', body: { text: 'three', n: 3 }, tags: null, day: '1970-01-02', ts: '1969-12-31T23:59:59.999999Z', score: null },
      { id: 'a.parquet:4', source: 's', num: 4, name: null, body: null, tags: ['x'], day: '1970-01-03', ts: '1970-01-01T00:00:00.000005Z', score: 0 },
      { id: 'a.parquet:5', source: 's', num: -5, name: 'e', body: { text: 'five', n: 5 }, tags: ['y'], day: '1970-01-04', ts: '1970-01-01T00:00:00.000006Z', score: -2 },
    ]);
    expect(r.rows.slice(5).map((x) => x.id)).toEqual(['b.parquet:1', 'b.parquet:2', 'b.parquet:3', 'b.parquet:4', 'b.parquet:5']);
  });

  it('a mapping picks columns and paths into structs; a column the file lacks is a check-time error', async () => {
    const dir = project({});
    writeDocs(join(dir, 'a.parquet'));
    const r = await runSource(dir, 'parquet "a.parquet" { text: .body.text, first_tag: .tags[0], when: day }');
    expect(r.code).toBe(0);
    expect(r.rows.map((x) => [x.id, x.text, x.first_tag, x.when])).toEqual([
      ['a.parquet:1', 'one', 'a', '1970-01-01'],
      ['a.parquet:2', 'two', null, '2022-01-08'],
      ['a.parquet:3', 'three', null, '1970-01-02'],
      ['a.parquet:4', null, 'x', '1970-01-03'],
      ['a.parquet:5', 'five', 'y', '1970-01-04'],
    ]);
    writeFileSync(join(dir, 'r.ftr'), 'source s = parquet "a.parquet" { text: .bodyy.text }\n');
    const bad = await ftr('check', join(dir, 'r.ftr'));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('`bodyy` is not a column of a.parquet');
  });

  it('a file that is not Parquet is rejected as one row naming it; the other files are read', async () => {
    const dir = project({ 'data/b-notes.parquet': '{"text": "json in disguise"}\n', 'data/c-empty.parquet': '' });
    writeDocs(join(dir, 'data', 'a.parquet'));
    const r = await runSource(dir, 'parquet "data/*.parquet"');
    expect(r.code).toBe(0);
    expect(r.rowsOut).toBe(5);
    expect(r.dropped).toEqual({ 'not a Parquet file': 2 });
    const rejects = (await ftr('rejects', join(dir, 'r.ftr'), 's')).out;
    expect(rejects).toContain('data/b-notes.parquet');
    expect(rejects).toContain('does not start with the Parquet magic bytes PAR1');
    expect(rejects).toContain('too short for a Parquet file');
  });

  it('reads one row group at a time: a corrupt group rejects exactly its rows; bad UTF-8 rejects its row', async () => {
    const dir = project({});
    const file = join(dir, 'd.parquet');
    writeDocs(file, ['a', new Uint8Array([0x63, 0x61, 0x66, 0xe9]), 'c', null, 'e']);
    const bytes = readFileSync(file);
    const group = parquetMetadata(bytes).row_groups[1];
    const at = Number(group.columns[0].meta_data!.data_page_offset);
    bytes.fill(0xff, at, at + 6);
    writeFileSync(file, bytes);
    const r = await runSource(dir, 'parquet "d.parquet" { text: .body.text, name: name, num: num }');
    expect(r.code).toBe(0);
    expect(r.rows.map((x) => x.text)).toEqual(['one', 'five']);
    expect(r.dropped).toEqual({ 'invalid UTF-8': 1, 'unreadable row group': 2 });
    expect(r.rowsOut + total(r.dropped)).toBe(5);
    const rejects = (await ftr('rejects', join(dir, 'r.ftr'), 's')).out;
    expect(rejects).toContain('d.parquet[1]');
    expect(rejects).toContain('column name');
    expect(rejects).toContain('d.parquet[2]');
    expect(rejects).toContain('d.parquet[3]');
    expect(rejects).toContain('row group 1 (rows 2–3)');
  });
});
