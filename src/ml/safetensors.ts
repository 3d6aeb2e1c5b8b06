/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {...} }`, then the raw
 * little-endian tensor bytes. Small enough to read and write without a dependency.
 */
import { readFileSync } from 'node:fs';

export type StDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface StTensor {
  shape: number[];
  /** values as float32 (F16/BF16/F64 widened or narrowed) or int32 (integer types) */
  data: Float32Array | Int32Array;
}

const BYTES: Record<StDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export class SafetensorsError extends Error {}

function f16(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

/** Parse a safetensors buffer; `label` names the file in errors. */
export function parseSafetensors(buf: Uint8Array, label = 'safetensors'): { tensors: Map<string, StTensor>; metadata: Record<string, string> } {
  if (buf.byteLength < 8) throw new SafetensorsError(`${label}: too short to be a safetensors file (${buf.byteLength} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > buf.byteLength - 8) throw new SafetensorsError(`${label}: header length ${headerLen} runs past the end of the file (${buf.byteLength} bytes)`);
  let header: Record<string, { dtype: StDtype; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafetensorsError(`${label}: the header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError(`${label}: the header is not a JSON object`);
  const base = 8 + headerLen;
  const tensors = new Map<string, StTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    if (typeof entry !== 'object' || entry === null) throw new SafetensorsError(`${label}: tensor \`${name}\` is ${JSON.stringify(entry)}, not a {dtype, shape, data_offsets} entry`);
    const { dtype, shape, data_offsets } = entry as { dtype: StDtype; shape: number[]; data_offsets: [number, number] };
    const width = Object.hasOwn(BYTES, dtype) ? BYTES[dtype] : undefined;
    if (!width) throw new SafetensorsError(`${label}: tensor \`${name}\` has unsupported dtype ${String(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`${label}: tensor \`${name}\` has shape ${JSON.stringify(shape)}, not a list of sizes`);
    if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every(Number.isInteger)) throw new SafetensorsError(`${label}: tensor \`${name}\` has data_offsets ${JSON.stringify(data_offsets)}, not [begin, end]`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = data_offsets;
    // a negative begin would read the header's own bytes as tensor data
    if (begin < 0 || end - begin !== count * width || base + end > buf.byteLength) throw new SafetensorsError(`${label}: tensor \`${name}\` (${dtype} ${JSON.stringify(shape)}) has offsets ${begin}..${end} that do not fit its shape or the file`);
    const at = base + begin;
    let data: Float32Array | Int32Array;
    switch (dtype) {
      case 'F32':
        data = new Float32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
        break;
      case 'F64':
        data = new Float32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getFloat64(at + 8 * i, true);
        break;
      case 'F16':
        data = new Float32Array(count);
        for (let i = 0; i < count; i++) data[i] = f16(view.getUint16(at + 2 * i, true));
        break;
      case 'BF16': {
        data = new Float32Array(count);
        const tmp = new DataView(new ArrayBuffer(4));
        for (let i = 0; i < count; i++) {
          tmp.setUint32(0, view.getUint16(at + 2 * i, true) << 16);
          data[i] = tmp.getFloat32(0);
        }
        break;
      }
      case 'I64':
        data = new Int32Array(count);
        for (let i = 0; i < count; i++) data[i] = Number(view.getBigInt64(at + 8 * i, true));
        break;
      case 'I32':
        data = new Int32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getInt32(at + 4 * i, true);
        break;
      case 'I16':
        data = new Int32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getInt16(at + 2 * i, true);
        break;
      case 'I8':
        data = new Int32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getInt8(at + i);
        break;
      default:
        data = new Int32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getUint8(at + i);
    }
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}

export function readSafetensors(path: string, label = path) {
  return parseSafetensors(readFileSync(path), label);
}

/**
 * Serialise tensors (F32 for float data, I32 for int data) in the given order, which is sorted
 * by name so the bytes are the same however the map was built.
 */
export function encodeSafetensors(tensors: Map<string, StTensor> | Record<string, StTensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors] : Object.entries(tensors)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = Object.fromEntries(Object.entries(metadata).sort());
  let offset = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new SafetensorsError(`tensor \`${name}\`: shape ${JSON.stringify(t.shape)} holds ${count} values, data has ${t.data.length}`);
    header[name] = { dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces so the data starts 8-byte aligned (as the reference writer does)
  const pad = (8 - ((8 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, t] of entries) {
    if (t.data instanceof Int32Array) for (let i = 0; i < t.data.length; i++, at += 4) view.setInt32(at, t.data[i], true);
    else for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  }
  return out;
}
