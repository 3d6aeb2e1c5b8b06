/**
 * Pass 6 of checking: cells that read a file another cell writes (a tokenizer, a pre-trained
 * model) run after it, and a source may read a file that does not exist before the run.
 */
import { CODES } from '../parser/codes.js';
import { sep } from 'node:path';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import type { OpDef } from '../core/op.js';
import { pathsOf, resolvePath } from '../core/paths.js';
import { topoOrder, type CellTable } from './cells.js';
import type { CellDecl } from './files.js';
import type { GraphCell } from './graph.js';

/** The cell that writes `abs` (or a folder holding it, or a file inside it), by literal write paths. */
export function producerOf(decls: CellDecl[], registry: Map<string, OpDef>): (abs: string) => string | undefined {
  const written = writtenPaths(decls, registry);
  return (abs) => {
    for (const [path, cell] of written) if (abs === path || abs.startsWith(path + sep) || path.startsWith(abs + sep)) return cell;
    return undefined;
  };
}

/** The run order with file-flow edges added (cells' deps too); a cycle through files is reported. */
export function orderByFileFlow(cells: Map<string, GraphCell>, table: CellTable, diagnostics: Diagnostic[]): string[] {
  const { byName, deps, order } = table;
  const fileDeps = fileFlow([...cells.values()]);
  if (!fileDeps.size) return order;
  for (const [reader, writers] of fileDeps) {
    const c = cells.get(reader)!;
    for (const writer of writers.keys()) {
      if (!c.deps.includes(writer)) c.deps.push(writer);
      if (!deps.get(reader)!.includes(writer)) deps.get(reader)!.push(writer);
    }
  }
  return topoOrder([...byName.keys()], deps, (cycle) => {
    const d = byName.get(cycle[0])!;
    const why = cycle
      .map((n, i) => {
        const via = fileDeps.get(n)?.get(cycle[i + 1]);
        return via ? `${n} reads ${via}` : undefined;
      })
      .filter(Boolean);
    diagnostics.push(diag(CODES.CYCLE, `cells depend on each other in a cycle: ${cycle.join(' → ')}`, d.item.nameSpan ?? d.item.span, { notes: why as string[], help: 'a cell can only read files that cells it does not feed write' }));
  });
}

/** Literal paths given to write-path params, by absolute path → the cell that writes it. */
function writtenPaths(decls: CellDecl[], registry: Map<string, OpDef>): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of decls) {
    for (const stage of d.item.pipeline.stages) {
      const op = registry.get(stage.name);
      if (!op) continue;
      const positional = op.params.filter((p) => p.positional);
      let unnamed = 0; // positional args before this one (counted, not re-scanned: 20,000 args stay linear)
      stage.args.forEach((arg) => {
        const spec = arg.name ? op.params.find((p) => p.name === arg.name) : positional[unnamed++];
        if (spec?.type.kind !== 'path' || spec.type.access !== 'write' || arg.value.kind !== 'string') return;
        out.set(resolvePath(arg.value.value, d.baseDir).abs.replace(/[\\/]+$/, ''), d.name);
      });
    }
  }
  return out;
}

/**
 * Cells that read a path another cell writes (the same file, or inside a written folder):
 * reader → (writer → the path read). Paths resolve against each cell's own folder.
 */
function fileFlow(cells: GraphCell[]): Map<string, Map<string, string>> {
  const io = cells.map((c) => {
    const reads: { abs: string; label: string }[] = [];
    const writes: string[] = [];
    for (const step of c.steps) {
      for (const spec of step.op.params) {
        const held = pathsOf(spec, step.params[spec.name]);
        if (!held) continue;
        for (const p of held.paths) {
          const abs = resolvePath(p, c.baseDir).abs.replace(/[\\/]+$/, '');
          if (held.access === 'write') writes.push(abs);
          else reads.push({ abs, label: p });
        }
      }
    }
    return { cell: c.name, reads, writes };
  });
  const out = new Map<string, Map<string, string>>();
  const inside = (a: string, b: string) => a === b || a.startsWith(b + sep);
  for (const r of io) {
    for (const w of io) {
      if (w.cell === r.cell) continue;
      const hit = r.reads.find((f) => w.writes.some((x) => inside(f.abs, x) || inside(x, f.abs)));
      if (!hit) continue;
      if (!out.has(r.cell)) out.set(r.cell, new Map());
      out.get(r.cell)!.set(w.cell, hit.label);
    }
  }
  return out;
}
