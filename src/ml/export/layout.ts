/**
 * Tensor layouts between ftr and PyTorch files, over plain arrays (no tfjs). ftr stores linear
 * weights [in, out] (y = x·W + b); torch's nn.Linear stores [out, in]. GPT-2's Conv1D layers
 * are [in, out] in torch too, and embeddings and LayerNorm vectors never change.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Family } from '../config.js';
import type { StTensor } from '../safetensors.js';

export type { Family };

export class ExportError extends Error {}

const EMBEDDING = /(?:^|\.)(?:word_embeddings|position_embeddings|token_type_embeddings|wte|wpe)\.weight$/;
const LAYER_NORM = /(?:^|\.)(?:LayerNorm|[a-z_]*layer_norm|ln_\d+|ln_f)\.weight$/;
const CONV1D = /(?:^|\.)(?:attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;

/** Whether `name` is the weight of a torch nn.Linear, i.e. stored [out, in] in PyTorch files. */
export function isTorchLinear(name: string, family: Family): boolean {
  if (!name.endsWith('.weight') || EMBEDDING.test(name) || LAYER_NORM.test(name)) return false;
  return !(family === 'gpt2' && CONV1D.test(name));
}

export function transpose2d(t: StTensor): StTensor {
  if (t.shape.length !== 2) throw new ExportError(`cannot transpose a tensor of shape [${t.shape}]`);
  const [r, c] = t.shape;
  const out = t.data instanceof Int32Array ? new Int32Array(r * c) : new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], data: out };
}

/** Our tensor in the layout a PyTorch state dict has for the same name. */
export function toTorchLayout(name: string, t: StTensor, family: Family): StTensor {
  return t.shape.length === 2 && isTorchLinear(name, family) ? transpose2d(t) : t;
}

/** A PyTorch state-dict tensor in our layout (the inverse of toTorchLayout). */
export function fromTorchLayout(name: string, t: StTensor, family: Family): StTensor {
  return toTorchLayout(name, t, family);
}

export function shapeOf(t: StTensor | undefined): string {
  return t ? `[${t.shape.join(', ')}]` : 'missing';
}

/** JSON with keys sorted at every level, as Python's `json.dumps(..., indent=2, sort_keys=True)` writes it. */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}

/** Write files into `dir` (created if needed); each lands whole or not at all. Returns the paths. */
export function writeFiles(dir: string, files: [string, string | Uint8Array][]): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map(([name, data]) => {
    const path = join(dir, name);
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    return path;
  });
}
