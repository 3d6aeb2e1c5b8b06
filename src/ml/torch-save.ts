/**
 * A `torch.save(state_dict)` file written without Python: PyTorch's zip checkpoint format
 * (uncompressed zip; `<archive>/data.pkl` a protocol-2 pickle of an OrderedDict of
 * `torch._utils._rebuild_tensor_v2(persistent storage, 0, size, stride, False, OrderedDict())`,
 * one `<archive>/data/<key>` raw little-endian record per tensor, `byteorder`, `version`).
 * Only what `torch.load(..., weights_only=True)` accepts is used: tools that read `.bin` files
 * by default (AdapterHub's `load_adapter`) load it without options.
 *
 * Checked against pytorch `torch/serialization.py` (_save: persistent_id gives
 * ('storage', storage_type, key, location, numel); records data/<key>, byteorder, version 3)
 * and `torch/_weights_only_unpickler.py` (allowed globals). Records are 64-byte aligned as
 * PyTorchStreamWriter aligns them (an `FB` extra field pads the local header).
 */
import type { StTensor } from './safetensors.js';

const ALIGN = 64;

let crcTable: Uint32Array | undefined;
function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Protocol-2 pickle opcodes, as few as the state dict needs. */
class Pickler {
  private parts: number[] = [];
  op(...bytes: number[]) {
    this.parts.push(...bytes);
  }
  private u32(n: number) {
    this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.op(0x58); // BINUNICODE
    this.u32(b.length);
    this.op(...b);
  }
  int(n: number) {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new Error(`pickle: ${n} is not a small non-negative integer`);
    this.op(0x4a); // BININT
    this.u32(n);
  }
  global(module: string, name: string) {
    this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)); // GLOBAL
  }
  tuple(items: (() => void)[]) {
    if (!items.length) return this.op(0x29); // EMPTY_TUPLE
    this.op(0x28); // MARK
    for (const f of items) f();
    this.op(0x74); // TUPLE
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** The bytes of a `torch.save(OrderedDict(state))` file: float32 tensors (int32 data as int32). */
export function encodeTorchStateDict(tensors: Map<string, StTensor>, archive = 'archive'): Uint8Array {
  const p = new Pickler();
  const records: [string, Uint8Array][] = [];
  p.op(0x80, 2); // PROTO 2
  p.global('collections', 'OrderedDict');
  p.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  p.op(0x28); // MARK
  let key = 0;
  for (const [name, t] of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== numel) throw new Error(`${name}: ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    const storage = t.data instanceof Int32Array ? 'IntStorage' : 'FloatStorage';
    const id = String(key++);
    records.push([`data/${id}`, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice()]);
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    p.str(name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.tuple([
      () => {
        p.tuple([() => p.str('storage'), () => p.global('torch', storage), () => p.str(id), () => p.str('cpu'), () => p.int(numel)]);
        p.op(0x51); // BINPERSID
      },
      () => p.int(0),
      () => p.tuple(t.shape.map((n) => () => p.int(n))),
      () => p.tuple(stride.map((n) => () => p.int(n))),
      () => p.op(0x89), // NEWFALSE
      () => {
        p.global('collections', 'OrderedDict');
        p.op(0x29, 0x52);
      },
    ]);
    p.op(0x52); // REDUCE
  }
  p.op(0x75, 0x2e); // SETITEMS, STOP
  const enc = new TextEncoder();
  const files: [string, Uint8Array][] = [[`${archive}/data.pkl`, p.bytes()], [`${archive}/byteorder`, enc.encode('little')], ...records.map(([n, b]) => [`${archive}/${n}`, b] as [string, Uint8Array]), [`${archive}/version`, enc.encode('3\n')]];
  return storedZip(files);
}

/** An uncompressed zip whose records start at 64-byte boundaries (as PyTorchStreamWriter writes). */
function storedZip(files: [string, Uint8Array][]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    const headerLen = 30 + nameBytes.length;
    // extra field `FB` + length + padding so the data starts aligned
    const pad = (ALIGN - ((offset + headerLen + 4) % ALIGN)) % ALIGN;
    const extraLen = 4 + pad;
    const local = new DataView(new ArrayBuffer(headerLen + extraLen));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, 0, true);
    local.setUint16(8, 0, true); // stored
    local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, nameBytes.length, true);
    local.setUint16(28, extraLen, true);
    new Uint8Array(local.buffer).set(nameBytes, 30);
    local.setUint16(headerLen, 0x4246, true); // 'FB'
    local.setUint16(headerLen + 2, pad, true);
    const cd = new DataView(new ArrayBuffer(46 + nameBytes.length));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, 20, true);
    cd.setUint16(6, 20, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, data.length, true);
    cd.setUint32(24, data.length, true);
    cd.setUint16(28, nameBytes.length, true);
    cd.setUint32(42, offset, true);
    new Uint8Array(cd.buffer).set(nameBytes, 46);
    chunks.push(new Uint8Array(local.buffer), data);
    central.push(new Uint8Array(cd.buffer));
    offset += local.byteLength + data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  const all = [...chunks, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of all) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
