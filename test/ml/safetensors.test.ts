/**
 * The safetensors reader and writer (src/ml/safetensors.ts): round trips, byte layout, the
 * half-precision and integer decodings against hand-made bytes, and header errors that say
 * which file is broken.
 */
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, parseSafetensors, SafetensorsError, type StTensor } from '../../src/ml/safetensors.js';

/** A safetensors buffer from a header object and raw data bytes (no validation: for bad files too). */
function build(header: unknown, data: number[] | Uint8Array = [], headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian bytes of 16-bit words. */
function u16(...words: number[]): number[] {
  return words.flatMap((w) => [w & 0xff, w >> 8]);
}

function one(buf: Uint8Array, name = 't'): StTensor {
  const t = parseSafetensors(buf, 'test.safetensors').tensors.get(name);
  expect(t).toBeDefined();
  return t!;
}

describe('encode / parse', () => {
  const tensors = new Map<string, StTensor>([
    ['b.weight', { shape: [2, 3], data: Float32Array.from([1.5, -2.25, 0, 3.4028234663852886e38, -1e-45, Math.PI]) }],
    ['a.ids', { shape: [4], data: Int32Array.from([0, -1, 2147483647, -2147483648]) }],
    ['scalar', { shape: [], data: Float32Array.from([7]) }],
    ['empty', { shape: [0, 3], data: new Float32Array(0) }],
  ]);

  it('round-trips F32 and I32 tensors bit-exactly, with metadata', () => {
    const buf = encodeSafetensors(tensors, { format: 'pt', note: 'x' });
    const { tensors: back, metadata } = parseSafetensors(buf, 'rt');
    expect(metadata).toEqual({ format: 'pt', note: 'x' });
    expect([...back.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const b = back.get(name)!;
      expect(b.shape, name).toEqual(t.shape);
      expect(b.data.constructor, name).toBe(t.data.constructor);
      expect(Array.from(b.data), name).toEqual(Array.from(t.data));
    }
  });

  it('writes dtypes, sorted names, contiguous offsets and an 8-byte aligned data start', () => {
    const buf = encodeSafetensors(tensors, { format: 'pt' });
    const len = Number(new DataView(buf.buffer).getBigUint64(0, true));
    expect((8 + len) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + len)));
    expect(Object.keys(header)).toEqual(['__metadata__', 'a.ids', 'b.weight', 'empty', 'scalar']);
    expect(header['a.ids']).toEqual({ dtype: 'I32', shape: [4], data_offsets: [0, 16] });
    expect(header['b.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [16, 40] });
    expect(header.empty).toEqual({ dtype: 'F32', shape: [0, 3], data_offsets: [40, 40] });
    expect(header.scalar).toEqual({ dtype: 'F32', shape: [], data_offsets: [40, 44] });
    expect(buf.byteLength).toBe(8 + len + 44);
    // little-endian float32 1.5 where b.weight starts
    expect(Array.from(buf.subarray(8 + len + 16, 8 + len + 20))).toEqual([0, 0, 0xc0, 0x3f]);
  });

  it('gives the same bytes however the map was built', () => {
    const reversed = new Map([...tensors].reverse());
    expect(encodeSafetensors(reversed)).toEqual(encodeSafetensors(tensors));
    expect(encodeSafetensors(Object.fromEntries(tensors))).toEqual(encodeSafetensors(tensors));
  });

  it('reads a buffer that is a view into a larger one (a Node Buffer from the pool)', () => {
    const buf = encodeSafetensors(tensors);
    const big = new Uint8Array(buf.byteLength + 13);
    big.set(buf, 5);
    const view = big.subarray(5, 5 + buf.byteLength);
    expect(Array.from(parseSafetensors(view).tensors.get('b.weight')!.data)).toEqual(Array.from(tensors.get('b.weight')!.data));
    expect(Array.from(parseSafetensors(Buffer.from(buf)).tensors.get('a.ids')!.data)).toEqual([0, -1, 2147483647, -2147483648]);
  });

  it('refuses data that does not fill the shape', () => {
    expect(() => encodeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(SafetensorsError);
    expect(() => encodeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/`x`: shape \[2,2\] holds 4 values, data has 3/);
  });
});

describe('decoding', () => {
  it('F16: normals, subnormals, signed zero, infinities, NaN', () => {
    const words = [0x3c00, 0xc000, 0x7bff, 0x3555, 0x0400, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const t = one(build({ t: { dtype: 'F16', shape: [words.length], data_offsets: [0, 2 * words.length] } }, u16(...words)));
    const want = [1, -2, 65504, 0.333251953125, 2 ** -14, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, -Infinity, NaN];
    expect(Array.from(t.data)).toEqual(want);
    expect(Object.is(t.data[7], -0)).toBe(true);
    expect(t.data).toBeInstanceOf(Float32Array);
  });

  it('BF16: the top half of a float32', () => {
    const words = [0x3f80, 0xc040, 0x4049, 0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x7f7f];
    const t = one(build({ t: { dtype: 'BF16', shape: [2, 5], data_offsets: [0, 20] } }, u16(...words)));
    const f32 = (hi: number) => new Float32Array(new Uint32Array([hi << 16]).buffer)[0];
    expect(Array.from(t.data)).toEqual([1, -3, 3.140625, 0, -0, Infinity, -Infinity, NaN, f32(1), f32(0x7f7f)]);
    expect(t.shape).toEqual([2, 5]);
  });

  it('F64, I64, I16, I8, U8 and BOOL', () => {
    const bytes: number[] = [];
    const push = (n: number, set: (v: DataView) => void) => {
      const v = new DataView(new ArrayBuffer(n));
      set(v);
      bytes.push(...new Uint8Array(v.buffer));
    };
    push(16, (v) => {
      v.setFloat64(0, 0.1, true);
      v.setFloat64(8, -1e300, true);
    });
    push(16, (v) => {
      v.setBigInt64(0, -5n, true);
      v.setBigInt64(8, 123456789n, true);
    });
    push(4, (v) => {
      v.setInt16(0, -300, true);
      v.setInt16(2, 32767, true);
    });
    bytes.push(0xff, 0x7f, 0xff, 0x00, 1, 0);
    const header = {
      f64: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
      i64: { dtype: 'I64', shape: [2], data_offsets: [16, 32] },
      i16: { dtype: 'I16', shape: [2], data_offsets: [32, 36] },
      i8: { dtype: 'I8', shape: [2], data_offsets: [36, 38] },
      u8: { dtype: 'U8', shape: [2], data_offsets: [38, 40] },
      bool: { dtype: 'BOOL', shape: [2], data_offsets: [40, 42] },
    };
    const { tensors } = parseSafetensors(build(header, bytes));
    expect(Array.from(tensors.get('f64')!.data)).toEqual([Math.fround(0.1), -Infinity]);
    expect(Array.from(tensors.get('i64')!.data)).toEqual([-5, 123456789]);
    expect(Array.from(tensors.get('i16')!.data)).toEqual([-300, 32767]);
    expect(Array.from(tensors.get('i8')!.data)).toEqual([-1, 127]);
    expect(Array.from(tensors.get('u8')!.data)).toEqual([255, 0]);
    expect(Array.from(tensors.get('bool')!.data)).toEqual([1, 0]);
    expect(tensors.get('i64')!.data).toBeInstanceOf(Int32Array);
  });
});

describe('header errors name the file', () => {
  const LABEL = 'models/x/model.safetensors';
  const bad = (buf: Uint8Array, message: RegExp) => {
    let err: unknown;
    try {
      parseSafetensors(buf, LABEL);
    } catch (e) {
      err = e;
    }
    expect(err, 'parse throws').toBeInstanceOf(SafetensorsError);
    expect((err as Error).message.startsWith(`${LABEL}: `), (err as Error).message).toBe(true);
    expect((err as Error).message).toMatch(message);
  };
  const t = (offsets: unknown, dtype = 'F32', shape: unknown = [2]) => ({ t: { dtype, shape, data_offsets: offsets } });

  it('too short', () => {
    bad(new Uint8Array(5), /too short.*5 bytes/);
    bad(new Uint8Array(0), /too short/);
  });

  it('a header length past the end', () => {
    const buf = build({});
    new DataView(buf.buffer).setBigUint64(0, 1000n, true);
    bad(buf, /header length 1000 runs past the end/);
    const huge = build({});
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    bad(huge, /runs past the end/);
  });

  it('a header that is not JSON, or not a JSON object', () => {
    bad(build(null, [], '{"t": {"dtype": "F32",'), /header is not JSON/);
    bad(build(null, [], '[1, 2]'), /header is not a JSON object/);
    bad(build(null, [], 'null'), /header is not a JSON object/);
  });

  it('offsets out of range or not matching the shape', () => {
    bad(build(t([0, 8]), [1, 2, 3, 4]), /tensor `t` \(F32 \[2\]\) has offsets 0\.\.8/);
    bad(build(t([0, 4]), [1, 2, 3, 4]), /offsets 0\.\.4 that do not fit/);
    bad(build(t([4, 12]), new Array(8).fill(0)), /offsets 4\.\.12/);
    // begin before the data section: would read the header's own bytes as tensor data
    bad(build(t([-8, 0]), new Array(8).fill(0)), /offsets -8\.\.0/);
    bad(build(t([8, 0]), new Array(8).fill(0)), /offsets 8\.\.0/);
    bad(build(t([0.5, 8.5]), new Array(9).fill(0)), /tensor `t` has data_offsets \[0\.5,8\.5\], not \[begin, end\]/);
  });

  it('a malformed entry: no offsets, a bad shape, an unknown dtype', () => {
    bad(build({ t: { dtype: 'F32', shape: [2] } }), /tensor `t` has data_offsets undefined/);
    bad(build(t([0, 8], 'F32', [-1, -2]), new Array(8).fill(0)), /tensor `t` has shape \[-1,-2\], not a list of sizes/);
    bad(build(t([0, 8], 'F32', 'two'), new Array(8).fill(0)), /tensor `t` has shape "two"/);
    bad(build({ t: 5 }), /tensor `t` is 5, not a \{dtype, shape, data_offsets\} entry/);
    bad(build(t([0, 8], 'constructor', [2]), new Array(8).fill(0)), /unsupported dtype constructor/);
    bad(build(t([0, 2], 'F8_E4M3', [2]), [0, 0]), /tensor `t` has unsupported dtype F8_E4M3/);
  });
});
