/** `ftr ops`: the op reference, generated from the op declarations. */
import type { OpDef, PartsMode } from '../core/op.js';
import { describeType } from '../check/params.js';

/** What an op does with a split input's parts, in words (see PartsMode). */
const PARTS_TEXT: Record<PartsMode, string> = {
  each: 'runs on each part on its own',
  train: 'runs on the parts in `apply_to` (default train); the others pass through',
  across: 'runs over all parts together; each row stays in its part',
  all: 'reads every part by name (compares or treats them differently)',
  merge: 'makes its own parts',
  refuse: 'refuses a split input: read one part (`cell.train`)',
};

export function partsOf(op: OpDef): string {
  if (op.kind === 'source') return 'starts a pipeline';
  if (op.kind === 'map') return PARTS_TEXT.each;
  if (op.kind === 'sink') return 'gets every part';
  return PARTS_TEXT[op.global?.parts ?? 'each'];
}

export function opsJson(registry: Map<string, OpDef>) {
  return [...registry.values()].map((op) => ({
    name: op.name,
    version: op.version,
    kind: op.kind,
    summary: op.summary,
    doc: op.doc,
    random: Boolean(op.random),
    parts: op.kind === 'global' ? (op.global?.parts ?? 'each') : op.kind === 'map' ? 'each' : undefined,
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
    out.push(`    parts: ${partsOf(op)}`);
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
    out.push(`### \`${op.name}\` — ${op.kind}`, '', op.summary + (op.doc ? `. ${op.doc}` : ''), '', `Parts of a split input: ${partsOf(op)}.`, '');
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
