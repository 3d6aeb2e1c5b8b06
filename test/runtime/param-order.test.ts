/**
 * #11.5: order-sensitive params. Canonical JSON sorts object keys, but in a record like split's
 * ratios the order is meaning: reordering must change the cache key (or the output must not change).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph, GraphCell, Step } from '../../src/check/graph.js';
import type { OpDef, ParamType } from '../../src/ops/types.js';
import { registry } from '../../src/ops/registry.js';
import { keyOf } from '../../src/runtime/hash.js';
import { stageSpec, type Stage } from '../../src/runtime/stages.js';
import { ftr, runJson, tempProject } from '../helpers.js';
import { freshOutputs, outputsOf } from './cache-diff.js';

/** A record value of a param type, with entries in the given order; undefined for types that hold no record. */
function recordOf(t: ParamType, keys: string[]): unknown {
  switch (t.kind) {
    case 'ratios':
      return Object.fromEntries(keys.map((k, i) => [k, [0.7, 0.2, 0.1][i]]));
    case 'mapping':
      return Object.fromEntries(keys.map((k, i) => [k, [`field${i}`]]));
    case 'record':
    case 'any':
      return Object.fromEntries(keys.map((k, i) => [k, [`v${i}`]]));
    case 'list': {
      const inner = recordOf(t.of, keys);
      return inner === undefined ? undefined : [inner];
    }
    default:
      return undefined;
  }
}

function stageKey(op: OpDef, params: Record<string, unknown>): string {
  const graph = { seed: 1 } as Graph;
  const cell = { name: 'c' } as GraphCell;
  const step = { op, params, index: 0, datasets: {} } as unknown as Step;
  const stage: Stage = { kind: op.kind, steps: [step] };
  return keyOf(stageSpec(graph, cell, stage));
}

describe('record-valued params keep their order in cache keys', () => {
  it('property: for every registered op, permuting the entries of each record-valued param changes the key', () => {
    const keys = ['train', 'val', 'test'];
    const perms = [
      ['val', 'train', 'test'],
      ['test', 'val', 'train'],
      ['train', 'test', 'val'],
    ];
    let checked = 0;
    const seen: string[] = [];
    for (const op of registry.values()) {
      const defaults = Object.fromEntries(op.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default]));
      for (const spec of op.params) {
        const value = recordOf(spec.type, keys);
        if (value === undefined) continue;
        const base = stageKey(op, { ...defaults, [spec.name]: value });
        for (const perm of perms) {
          // the same entries (each key keeps its value), in another order
          const reorder = (v: unknown): unknown =>
            Array.isArray(v) ? v.map(reorder) : Object.fromEntries(perm.map((k) => [k, (v as Record<string, unknown>)[k]]));
          const permuted = reorder(value);
          expect(JSON.stringify(permuted)).not.toBe(JSON.stringify(value));
          expect(stageKey(op, { ...defaults, [spec.name]: permuted }), `${op.name} ${spec.name} ${perm}`).not.toBe(base);
        }
        checked++;
        seen.push(`${op.name}.${spec.name}`);
      }
    }
    // split ratios, mix ratios, source mappings, bias lexicons, … (from the registry, not a hand list)
    expect(seen).toEqual(expect.arrayContaining(['split.ratios', 'mix.ratios', 'jsonl.fields']));
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('reordering split ratios re-runs the split and equals --no-cache (regression)', async () => {
    const recipe = (ratios: string) => `recipe t
seed 3
source docs = jsonl "data.jsonl"
cell parts = docs | split ${ratios}
export parts | write "out/"
`;
    const dir = tempProject({
      'r.ftr': recipe('{ train: 80%, val: 10%, test: 10% }'),
      'data.jsonl': Array.from({ length: 50 }, (_, i) => JSON.stringify({ text: `row ${i}` })).join('\n') + '\n',
    });
    expect((await runJson(join(dir, 'r.ftr'))).code).toBe(0);
    writeFileSync(join(dir, 'r.ftr'), recipe('{ val: 10%, train: 80%, test: 10% }'));
    const r = await runJson(join(dir, 'r.ftr'));
    expect(r.cells.get('parts')!.status).toBe('done');
    const fresh = await freshOutputs(dir, 'r.ftr', ['out']);
    expect(outputsOf(dir, ['out'])).toEqual(fresh.files);
    const explain = await ftr('explain', join(dir, 'r.ftr'), 'parts');
    expect(explain.code).toBe(0);
  });

  it('a lock pins the order: reordered ratios are drift under --frozen', async () => {
    const dir = tempProject({
      'r.ftr': 'recipe t\nsource docs = jsonl "data.jsonl"\ncell parts = docs | split { train: 80%, val: 10%, test: 10% }\n',
      'data.jsonl': '{"text":"a"}\n{"text":"b"}\n',
    });
    expect((await ftr('lock', join(dir, 'r.ftr'))).code).toBe(0);
    writeFileSync(join(dir, 'r.ftr'), 'recipe t\nsource docs = jsonl "data.jsonl"\ncell parts = docs | split { val: 10%, train: 80%, test: 10% }\n');
    const r = await ftr('run', join(dir, 'r.ftr'), '--frozen', '--json');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('ratios: entries reordered');
  });
});
