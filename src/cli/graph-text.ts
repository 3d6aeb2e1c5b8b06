/** `ftr graph`: the cell graph as indented text, Graphviz dot or Mermaid. */
import type { Graph, GraphCell } from '../check/graph.js';

function columns(c: GraphCell): string {
  return c.schema.columns.map((x) => `${x.name}: ${x.type}`).join(', ');
}

export function graphText(graph: Graph, format: 'text' | 'dot' | 'mermaid'): string {
  const edges = graph.cells.flatMap((c) => c.deps.map((d) => [d, c.name] as const));
  const id = (n: string) => JSON.stringify(n);
  switch (format) {
    case 'dot':
      return [
        `digraph ${id(graph.recipe)} {`,
        '  rankdir=LR;',
        '  node [shape=box, fontname="monospace"];',
        ...graph.cells.map((c) => `  ${id(c.name)} [label=${id(`${c.name}\n${c.summary}`)}];`),
        ...edges.map(([a, b]) => `  ${id(a)} -> ${id(b)};`),
        '}',
        '',
      ].join('\n');
    case 'mermaid': {
      const safe = (n: string) => n.replace(/[^A-Za-z0-9_]/g, '_');
      return [
        'flowchart LR',
        ...graph.cells.map((c) => `  ${safe(c.name)}["${c.name}<br/>${c.summary.replace(/"/g, "'")}"]`),
        ...edges.map(([a, b]) => `  ${safe(a)} --> ${safe(b)}`),
        '',
      ].join('\n');
    }
    default: {
      const lines = [`${graph.recipe} · seed ${graph.seed} · ${graph.cells.length} cells`, ''];
      for (const c of graph.cells) {
        lines.push(`${c.keyword} ${c.name}${c.deps.length ? `  ← ${c.deps.join(', ')}` : ''}`);
        c.steps.forEach((s) => lines.push(`  | ${s.op.describe?.(s.params) ?? s.op.name}  [${s.op.kind}]`));
        lines.push(`  columns: ${columns(c)}`);
        if (c.schema.parts) lines.push(`  parts: ${c.schema.parts.join(', ')}`);
        lines.push('');
      }
      return lines.join('\n');
    }
  }
}
