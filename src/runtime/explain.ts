/**
 * `ftr explain`: is a cell cached, and if not, which component of which stage's key changed
 * since the last run. Plans without running anything: keys come from cached upstream outputs.
 */
import type { Graph, GraphCell } from '../check/graph.js';
import { canonicalJson, keyOf } from './hash.js';
import { lookupStage, recipeId, type RunState } from './executor.js';
import { DEFAULT_SHARD_ROWS } from './shards.js';
import { stagePreimage, stagesOf, type StagePreimage } from './stages.js';
import { MAIN_PART, type Manifest, type Store } from './store.js';

export interface Explanation {
  cell: string;
  cached: boolean;
  key?: string;
  /** why it will re-run; empty when cached */
  reasons: string[];
}

export async function explainCell(graph: Graph, target: string, store: Store, shardRows = DEFAULT_SHARD_ROWS): Promise<Explanation> {
  const previous = (await store.readState<RunState>(recipeId(graph)))?.cells ?? {};
  const byName = new Map(graph.cells.map((c) => [c.name, c]));
  const outputs = new Map<string, Manifest>();
  const verdicts = new Map<string, Explanation>();

  const select = (m: Manifest, part?: string): Manifest => (part ? { parts: { [MAIN_PART]: m.parts[part] ?? [] } } : m);

  const plan = async (cell: GraphCell): Promise<Explanation> => {
    const done = verdicts.get(cell.name);
    if (done) return done;
    for (const dep of cell.deps) {
      const up = await plan(byName.get(dep)!);
      if (!up.cached) {
        // name the cell where the change is, not every cell in between
        const root = up.reasons[0]?.startsWith('upstream ') ? up.reasons[0] : `upstream \`${dep}\` re-runs first: ${up.reasons.join('; ')}`;
        const v = { cell: cell.name, cached: false, reasons: [root, 'this cell then re-runs only if its input comes out different (early cutoff)'] };
        verdicts.set(cell.name, v);
        return v;
      }
    }
    let input = cell.input ? select(outputs.get(cell.input.cell)!, cell.input.part) : undefined;
    const prev = previous[cell.name]?.stages ?? [];
    let key: string | undefined;
    for (const [i, stage] of stagesOf(cell).entries()) {
      const datasets: Record<string, Manifest> = {};
      for (const s of stage.steps) for (const [k, ref] of Object.entries(s.datasets)) datasets[k] = select(outputs.get(ref.cell)!, ref.part);
      const pre = await stagePreimage(graph, cell, stage, input, datasets, store, shardRows, true);
      key = keyOf(pre);
      const hit = await lookupStage(store, key, stage, cell.baseDir);
      if (!hit) {
        const names = stage.steps.map((s) => s.op.name).join(' → ');
        const reasons = prev[i] ? diffPreimages(prev[i].preimage, pre, cell, names) : [`step ${i + 1} (${names}) has never run with this recipe`];
        if (!reasons.length) reasons.push(`step ${i + 1} (${names}): its cache entry is gone (the cache was cleared or collected)`);
        const v = { cell: cell.name, cached: false, key, reasons };
        verdicts.set(cell.name, v);
        return v;
      }
      input = hit.output;
    }
    outputs.set(cell.name, input!);
    const v = { cell: cell.name, cached: true, key, reasons: [] };
    verdicts.set(cell.name, v);
    return v;
  };

  const cell = byName.get(target);
  if (!cell) throw new Error(`no cell \`${target}\``);
  return plan(cell);
}

/** Human reasons for the difference between two preimages of the same stage. */
export function diffPreimages(before: StagePreimage, after: StagePreimage, cell: GraphCell, names: string): string[] {
  const out: string[] = [];
  const where = `step (${names})`;
  if (before.v !== after.v) out.push(`the cache format changed (${before.v} → ${after.v})`);
  const opsBefore = before.ops.map((o) => o.op).join(' → ');
  const opsAfter = after.ops.map((o) => o.op).join(' → ');
  if (opsBefore !== opsAfter) out.push(`the pipeline changed: ${opsBefore} → ${opsAfter}`);
  else {
    after.ops.forEach((op, i) => {
      const old = before.ops[i];
      if (old.version !== op.version) out.push(`op \`${op.op}\` was upgraded: v${old.version} → v${op.version}`);
      const keys = new Set([...Object.keys(old.params), ...Object.keys(op.params)]);
      for (const k of keys) {
        const a = canonicalJson(old.params[k]);
        const b = canonicalJson(op.params[k]);
        if (a !== b) out.push(`param \`${k}\` of \`${op.op}\` changed: ${short(a)} → ${short(b)}`);
      }
      for (const k of new Set([...Object.keys(old.order ?? {}), ...Object.keys(op.order ?? {})])) {
        if (canonicalJson(old.order?.[k] ?? []) !== canonicalJson(op.order?.[k] ?? []) && canonicalJson(old.params[k]) === canonicalJson(op.params[k])) {
          out.push(`the order of the entries of param \`${k}\` of \`${op.op}\` changed (order matters there)`);
        }
      }
      if (before.code?.[i] !== after.code?.[i]) out.push(`the code of op \`${op.op}\` changed (an ftr or dependency update, or an edited op)`);
      if (old.seed !== op.seed) out.push(`the seed of \`${op.op}\` changed (recipe seed or cell name)`);
    });
  }
  if (before.input !== after.input) out.push(`its input changed: \`${cell.input ? cell.input.cell + (cell.input.part ? '.' + cell.input.part : '') : 'input'}\` holds different data`);
  for (const k of new Set([...Object.keys(before.datasets ?? {}), ...Object.keys(after.datasets ?? {})])) {
    if (before.datasets?.[k] !== after.datasets?.[k]) out.push(`dataset param \`${k}\` holds different data`);
  }
  if (before.files || after.files) {
    const a = new Map((before.files ?? []).map((f) => [f.label, f.hash]));
    const b = new Map((after.files ?? []).map((f) => [f.label, f.hash]));
    for (const [label, h] of b) {
      if (!a.has(label)) out.push(`new input file ${label}`);
      else if (a.get(label) !== h) out.push(`input file ${label} changed`);
    }
    for (const label of a.keys()) if (!b.has(label)) out.push(`input file ${label} is gone`);
  }
  const readsA = new Map((before.reads ?? []).map((f) => [`${f.param}:${f.label}`, f.hash]));
  for (const f of after.reads ?? []) {
    const was = readsA.get(`${f.param}:${f.label}`);
    if (was === undefined) out.push(`\`${f.param}\` reads a new file ${f.label}`);
    else if (was !== f.hash) out.push(`file ${f.label} (read by \`${f.param}\`) changed`);
  }
  if ((before.env ?? []).join('\u0000') !== (after.env ?? []).join('\u0000')) out.push(`it would run elsewhere: ${(before.env ?? []).join(', ') || 'nothing recorded'} → ${(after.env ?? []).join(', ') || 'nothing recorded'}`);
  if (before.run !== undefined) out.push('it reports on the whole run (a dataset card): it is re-checked when the recipe runs');
  if (before.cell !== after.cell) out.push(`the source was renamed: ${before.cell} → ${after.cell}`);
  if (before.shardRows !== after.shardRows) out.push(`shard size changed: ${before.shardRows} → ${after.shardRows}`);
  return out.map((r) => `${where}: ${r}`);
}

function short(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '…' : s;
}
