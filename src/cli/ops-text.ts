/** `ftr ops`: the op reference, generated from the op declarations. */
import type { OpDef } from '../core/op.js';
import { describeType } from '../check/params.js';

export function opsJson(registry: Map<string, OpDef>) {
  return [...registry.values()].map((op) => ({
    name: op.name,
    version: op.version,
    kind: op.kind,
    summary: op.summary,
    doc: op.doc,
    random: Boolean(op.random),
    params: op.params.map((p) => ({
      name: p.name,
      type: p.type,
      description: describeType(p.type),
      doc: p.doc,
      default: p.default,
      required: Boolean(p.required),
      positional: Boolean(p.positional),
    })),
  }));
}

export function opsText(registry: Map<string, OpDef>): string {
  const out: string[] = [];
  for (const op of registry.values()) {
    out.push(`${op.name}  (${op.kind}, v${op.version})  ${op.summary}`);
    for (const p of op.params) {
      const flags = [p.required ? 'required' : '', p.positional ? 'positional' : '', p.default !== undefined ? `default ${JSON.stringify(p.default)}` : ''].filter(Boolean).join(', ');
      out.push(`    ${p.name}: ${describeType(p.type)}${flags ? `  [${flags}]` : ''}  — ${p.doc}`);
    }
    if (op.doc) out.push(`    ${op.doc}`);
    out.push('');
  }
  return out.join('\n');
}

/** The README's op reference section (Markdown), from the same declarations. */
export function opsMarkdown(registry: Map<string, OpDef>): string {
  const out: string[] = [];
  for (const op of registry.values()) {
    out.push(`### \`${op.name}\` — ${op.kind}`, '', op.summary + (op.doc ? `. ${op.doc}` : ''), '');
    if (op.params.length) {
      out.push('| param | type | default | |', '|---|---|---|---|');
      for (const p of op.params) {
        out.push(`| \`${p.name}\`${p.positional ? ' (positional)' : ''} | ${describeType(p.type)} | ${p.required ? 'required' : p.default !== undefined ? `\`${JSON.stringify(p.default)}\`` : '—'} | ${p.doc} |`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}
