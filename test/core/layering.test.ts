/**
 * Dependencies point one way: parser → core → check → runtime → ml → ops → ui → cli. A module may
 * import its own layer and the layers before it, never one after: the op contract and the
 * expression evaluator (core) know no checker, runtime or op; the checker and the runtime know
 * ops only through the contract (src/core/op.ts), never an op module.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const LAYERS = ['parser', 'core', 'check', 'runtime', 'ml', 'ops', 'ui', 'cli'];
const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

const layerOf = (abs: string) => relative(SRC, abs).split(/[\\/]/)[0];

/** Every relative import (static, dynamic, re-export, type-only) of a module: [from layer, to layer, specifier]. */
function imports(file: string, text = readFileSync(file, 'utf8')): { to: string; spec: string }[] {
  const out: { to: string; spec: string }[] = [];
  for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    out.push({ to: layerOf(resolve(dirname(file), m[1])), spec: m[1] });
  }
  return out;
}

describe('layering', () => {
  const all = files(SRC);

  it('every folder of src/ is a known layer', () => {
    expect([...new Set(all.map(layerOf))].filter((l) => !LAYERS.includes(l) && !/\.tsx?$/.test(l))).toEqual([]);
  });

  it('no module imports a layer after its own', () => {
    const bad: string[] = [];
    for (const f of all) {
      const from = layerOf(f);
      if (!LAYERS.includes(from)) continue;
      for (const { to, spec } of imports(f)) {
        if (LAYERS.includes(to) && LAYERS.indexOf(to) > LAYERS.indexOf(from)) bad.push(`${relative(SRC, f)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the scan sees static, type-only, dynamic and re-exported imports', () => {
    const text = "import { a } from '../ops/x.js';\nimport type { B } from '../check/y.js';\nconst m = await import('../ui/z.js');\nexport { c } from './w.js';";
    expect(imports(join(SRC, 'runtime', 'fake.ts'), text).map((i) => i.to)).toEqual(['ops', 'check', 'ui', 'runtime']);
  });
});
