/**
 * The torch.save zip ftr writes for AdapterHub's default loader: a stored zip whose records have
 * the right CRC-32 and start 64-byte aligned, a protocol-2 pickle of an OrderedDict, and raw
 * little-endian tensor data. (test/interop loads these files with torch.load(weights_only=True).)
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeTorchStateDict } from '../../src/ml/torch-save.js';

function entries(zip: Uint8Array) {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out: { name: string; data: Uint8Array; crc: number; start: number }[] = [];
  let at = 0;
  while (v.getUint32(at, true) === 0x04034b50) {
    const crc = v.getUint32(at + 14, true);
    const size = v.getUint32(at + 18, true);
    const nameLen = v.getUint16(at + 26, true);
    const extraLen = v.getUint16(at + 28, true);
    const name = new TextDecoder().decode(zip.subarray(at + 30, at + 30 + nameLen));
    const start = at + 30 + nameLen + extraLen;
    out.push({ name, data: zip.subarray(start, start + size), crc, start });
    at = start + size;
  }
  return out;
}

describe('encodeTorchStateDict', () => {
  it('writes data.pkl, byteorder, one record per tensor and version, aligned, with CRCs', () => {
    const zip = encodeTorchStateDict(new Map([['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }], ['b', { shape: [2], data: Int32Array.from([7, -8]) }]]));
    const es = entries(zip);
    expect(es.map((e) => e.name)).toEqual(['archive/data.pkl', 'archive/byteorder', 'archive/data/0', 'archive/data/1', 'archive/version']);
    for (const e of es) {
      expect(e.start % 64, e.name).toBe(0);
      if (typeof crc32 === 'function') expect(e.crc, e.name).toBe(crc32(e.data));
    }
    expect(new Float32Array(es[2].data.slice().buffer)).toEqual(Float32Array.from([1, 2, 3, 4, 5, 6]));
    expect(new Int32Array(es[3].data.slice().buffer)).toEqual(Int32Array.from([7, -8]));
    const pkl = es[0].data;
    expect([pkl[0], pkl[1], pkl[pkl.length - 1]]).toEqual([0x80, 2, 0x2e]);
    const text = new TextDecoder('latin1').decode(pkl);
    expect(text).toContain('collections\nOrderedDict\n');
    expect(text).toContain('torch._utils\n_rebuild_tensor_v2\n');
    expect(text).toContain('torch\nFloatStorage\n');
    expect(text).toContain('torch\nIntStorage\n');
    // the zip's end record counts every entry
    const v = new DataView(zip.buffer, zip.byteOffset + zip.byteLength - 22);
    expect(v.getUint32(0, true)).toBe(0x06054b50);
    expect(v.getUint16(10, true)).toBe(5);
  });

  it('refuses a tensor whose data does not fill its shape', () => {
    expect(() => encodeTorchStateDict(new Map([['x', { shape: [3], data: new Float32Array(2) }]]))).toThrow(/x: 2 values for shape \[3\]/);
  });
});
