/**
 * Pass 5 of checking: one cell's pipeline, step by step — the op looked up, its arguments bound
 * and checked, the schema (columns, types, parts) flowed through. After an error it goes on with
 * what it knows (an open schema) so independent mistakes further down are reported too.
 */
import { CODES } from '../parser/codes.js';
import type { Expr, Span } from '../parser/ast.js';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import { didYouMean } from '../parser/suggest.js';
import type { OpDef, Schema, SchemaContext } from '../core/op.js';
import { dottedName, type CellTable } from './cells.js';
import type { CellDecl } from './files.js';
import type { GraphCell, Step } from './graph.js';
import { bindArgs, type DatasetRef } from './params.js';
import { UsageError } from './recipe-params.js';
import { pathDiagnostics, type Grants } from './permissions.js';
import { PermissionError } from '../core/sandbox.js';

export interface PipelineEnv {
  registry: Map<string, OpDef>;
  table: CellTable;
  /** cells checked so far (broken ones too, for their readers) */
  cells: Map<string, GraphCell>;
  constants: Map<string, unknown>;
  paramSpans: Map<string, Span>;
  diagnostics: Diagnostic[];
  /** the cell that writes this absolute path, if any */
  producer(abs: string): string | undefined;
  paramOverrides?: Record<string, string>;
  /** decide each step's reads before its schema samples files */
  grants?: Grants;
  recipeDir: string;
}

export function checkPipeline(d: CellDecl, env: PipelineEnv): GraphCell | undefined {
  const { registry, table, cells, diagnostics, constants, paramSpans, producer, paramOverrides } = env;
  const { byName, refTarget } = table;
  const prefix = table.prefixOf(d);
  const { item } = d;
  const stages = item.pipeline.stages;
  if (stages.length === 0) return undefined;
  let input: DatasetRef | undefined;
  let schema: Schema | undefined;
  let owner = d.name;
  const steps: Step[] = [];
  // what is known after a step that failed: the columns so far, maybe more
  const unknownAfter = (s: Schema | undefined): Schema => ({ columns: s?.columns ?? [], open: true, parts: s?.parts });

  const resolveDataset = (e: Expr): DatasetRef | undefined => {
    const n = dottedName(e);
    if (!n) {
      diagnostics.push(diag(CODES.BAD_VALUE, 'expected a cell name', e.span));
      return undefined;
    }
    return resolveRef(n, e.span, prefix, env);
  };
  const schemaOf = (ref: DatasetRef): Schema | undefined => {
    const up = cells.get(ref.cell);
    if (!up) return undefined;
    return ref.part ? { columns: up.schema.columns, open: up.schema.open } : up.schema;
  };

  stages.forEach((stage, index) => {
    const stepStart = diagnostics.length;
    const ref = index === 0 && stage.args.length === 0 && !registry.has(stage.name) ? refTarget(stage.name, prefix) : undefined;
    if (index === 0 && (ref || (!registry.has(stage.name) && stage.args.length === 0))) {
      input = resolveRef(stage.name, stage.nameSpan, prefix, env);
      const up = input && schemaOf(input);
      schema = up ?? unknownAfter(undefined);
      if (input) owner = input.part ? `${input.cell}.${input.part}` : input.cell;
      return;
    }
    const op = registry.get(stage.name);
    if (!op) {
      const names = [...registry.keys(), ...(index === 0 ? byName.keys() : [])];
      // `cell b = a keep …`: a cell name followed by an op, with the `|` forgotten
      const first = stage.args[0];
      const next = index === 0 && !first?.name && first?.value.kind === 'name' && registry.has(first.value.name) && refTarget(stage.name, prefix) ? first.value.name : undefined;
      const help = next ? `did you mean \`${stage.name} | ${next}\`?` : didYouMean(stage.name, names);
      diagnostics.push(diag(CODES.UNKNOWN_OP, `unknown op \`${stage.name}\``, stage.nameSpan, { help, notes: ['`ftr ops` lists every op'] }));
      schema = unknownAfter(schema);
      return;
    }
    if (op.kind === 'source' && index > 0) {
      diagnostics.push(diag(CODES.MISPLACED_OP, `\`${op.name}\` is a source: it starts a pipeline, it cannot follow \`|\``, stage.nameSpan, { help: `make it its own cell: \`source x = ${op.name} …\`` }));
      schema = unknownAfter(schema);
      return;
    }
    if (op.kind !== 'source' && index === 0 && !op.params.some((p) => p.type.kind === 'dataset' || (p.type.kind === 'list' && p.type.of.kind === 'dataset'))) {
      diagnostics.push(diag(CODES.MISPLACED_OP, `\`${op.name}\` needs an input`, stage.nameSpan, { help: `start the pipeline with a cell: \`cell ${item.name} = <cell> | ${op.name} …\`` }));
      schema = unknownAfter(schema);
      return;
    }
    if (steps.length && steps[steps.length - 1].op.kind === 'sink') {
      diagnostics.push(diag(CODES.MISPLACED_OP, `nothing can follow the sink \`${steps[steps.length - 1].op.name}\``, stage.nameSpan));
      return;
    }
    const bound = bindArgs(op, stage, { input: schema, inputOwner: owner, constants, constantSpans: paramSpans, resolveDataset, diagnostics });
    for (const [name, value] of Object.entries(paramOverrides ?? {})) {
      const spec = op.params.find((p) => p.name === name);
      if (!spec) continue;
      if (spec.type.kind === 'enum' && !spec.type.values.includes(value)) throw new UsageError(`--${name} must be one of ${spec.type.values.join(', ')} (\`${name}\` of \`${op.name}\`), not \`${value}\``);
      bound.params[name] = value;
    }
    const datasets: Record<string, Schema> = {};
    for (const [k, r] of Object.entries(bound.datasets)) datasets[k] = schemaOf(r) ?? unknownAfter(undefined);
    // an op checks only whole params: an unreadable argument was reported by the parser
    if (bound.incomplete || diagnostics.length > stepStart) {
      schema = unknownAfter(schema);
      return;
    }
    // permissions before any read: sources sample their files in schema(); a denied step is
    // reported and checking goes on (its columns then unknown), so one check lists every flag
    if (env.grants) {
      const denied = pathDiagnostics({ cell: d.name, op, params: bound.params, baseDir: d.baseDir, span: stage.span, paramSpans: bound.spans }, env.recipeDir, env.grants);
      if (denied.length) {
        diagnostics.push(...denied);
        schema = unknownAfter(schema);
        steps.push({ op, params: bound.params, datasets: bound.datasets, span: stage.span, paramSpans: bound.spans, index, schema });
        return;
      }
    }
    const ctx: SchemaContext = {
      input: schema,
      datasets,
      params: bound.params,
      baseDir: d.baseDir,
      producer: (abs) => {
        const writer = producer(abs);
        return writer === d.name ? undefined : writer;
      },
      error: (param, message, extra) => {
        const code = message.startsWith('unknown column') ? CODES.UNKNOWN_COLUMN : param ? CODES.PARAM_CHECK : CODES.OP_CHECK;
        diagnostics.push(diag(code, message, (param && bound.spans[param]) || stage.span, extra ?? {}));
      },
      warn: (param, message, extra) => {
        diagnostics.push(diag(CODES.MISSING_FIELD, message, (param && bound.spans[param]) || stage.span, extra ?? {}));
      },
    };
    let out: Schema;
    try {
      out = op.schema(ctx);
    } catch (e) {
      // a file a glob or folder expands to that leads out (the policy of src/core/sandbox.ts)
      if (!(e instanceof PermissionError)) throw e;
      diagnostics.push(diag(CODES.READ_DENIED, e.message, stage.span, { help: `if you trust this recipe, run with ${e.flag}` }));
      schema = unknownAfter(schema);
      return;
    }
    const mode = op.kind === 'global' ? (op.global?.parts ?? 'each') : undefined;
    const partsHelp = input && index === 1 && schema?.parts ? `read one part: \`cell ${item.name} = ${input.cell}.${schema.parts[0]} | …\`` : `read one part of a split cell as \`cell.${schema?.parts?.[0] ?? 'train'}\``;
    if (schema?.parts && (mode === 'refuse' || (out.parts && out.parts !== schema.parts))) {
      const what = input && index === 1 ? `\`${input.cell}\`, which has` : 'data that already has';
      diagnostics.push(
        diag(CODES.PARTS, `\`${op.name}\` cannot run on ${what} parts (${schema.parts.join(', ')})`, stage.nameSpan, {
          help: mode === 'refuse' ? partsHelp : `split once per pipeline; ${partsHelp}`,
          notes: mode === 'refuse' ? [`\`${op.name}\` works on one dataset, not on the parts of a split`] : undefined,
        }),
      );
    }
    if (mode === 'train' && schema?.parts) checkApplyTo(bound.params.apply_to, schema.parts, bound.spans.apply_to ?? stage.span, diagnostics);
    else if (mode === 'train' && bound.params.apply_to !== undefined) {
      diagnostics.push(diag(CODES.PARAM_CHECK, '`apply_to` picks parts of a split, but the input has no parts', bound.spans.apply_to ?? stage.span, { help: 'remove `apply_to`: every row is used' }));
    }
    // ops that merge parts output their own parts or none; every other op keeps its input's parts
    const outSchema: Schema = mode === 'merge' || !schema?.parts || out.parts ? out : { ...out, parts: schema.parts };
    steps.push({ op, params: bound.params, datasets: bound.datasets, span: stage.span, paramSpans: bound.spans, index, schema: outSchema });
    // the op's own schema is its best knowledge even when a param was wrong
    schema = outSchema;
    owner = `${d.name} (after ${op.name})`;
  });
  if (!schema) return undefined;
  if (item.keyword === 'source' && registry.get(stages[0].name)?.kind !== 'source') {
    diagnostics.push(diag(CODES.MISPLACED_OP, `\`source ${item.name}\` must start with a source op (jsonl, csv, …)`, stages[0].nameSpan, { help: `use \`cell ${item.name} = …\` for a cell that reads other cells` }));
  }
  if (item.keyword === 'export' && registry.get(stages[stages.length - 1].name)?.kind !== 'sink') {
    diagnostics.push(diag(CODES.MISPLACED_OP, '`export` must end with a sink op such as `write`', item.pipeline.span, { help: 'add `| write "out/"`' }));
  }
  const depNames = new Set<string>();
  if (input) depNames.add(input.cell);
  for (const s of steps) for (const r of Object.values(s.datasets)) depNames.add(r.cell);
  return {
    name: d.name,
    keyword: item.keyword,
    span: item.span,
    prose: item.prose,
    input,
    steps,
    schema,
    deps: [...depNames],
    baseDir: d.baseDir,
    summary: summarize(input, steps),
  };
}

/** `apply_to: [train]` of an op in `train` parts mode names parts of its input. */
function checkApplyTo(value: unknown, parts: string[], span: Span, diagnostics: Diagnostic[]): void {
  if (value === undefined) {
    if (!parts.includes('train')) {
      diagnostics.push(diag(CODES.PARAM_CHECK, `the input is split into ${parts.join(', ')}, none of them \`train\`: say which parts to use`, span, { help: `write \`apply_to: [${parts[0]}]\`` }));
    }
    return;
  }
  for (const a of value as unknown[]) {
    if (typeof a !== 'string' || !parts.includes(a)) {
      diagnostics.push(diag(CODES.UNKNOWN_PART, `unknown part \`${String(a)}\``, span, { notes: [`parts of the input: ${parts.join(', ')}`], help: didYouMean(String(a), parts) ?? `pick from ${parts.join(', ')}` }));
    }
  }
}

function resolveRef(name: string, span: Span, prefix: string, env: PipelineEnv): DatasetRef | undefined {
  const { table, cells, diagnostics, registry } = env;
  const { byName, refTarget } = table;
  const t = refTarget(name, prefix);
  if (!t) {
    diagnostics.push(diag(CODES.UNKNOWN_CELL, `unknown cell \`${name}\``, span, { help: didYouMean(name, [...byName.keys(), ...registry.keys()]), notes: byName.size ? [`cells: ${[...byName.keys()].join(', ')}`] : undefined }));
    return undefined;
  }
  const up = cells.get(t.cell);
  if (t.part !== undefined && up) {
    const parts = up.schema.parts ?? [];
    if (!parts.includes(t.part)) {
      diagnostics.push(
        diag(CODES.UNKNOWN_PART, `\`${t.cell}\` has no part \`${t.part}\``, span, {
          notes: [parts.length ? `parts of \`${t.cell}\`: ${parts.join(', ')}` : `\`${t.cell}\` is a single dataset with no parts`],
          help: didYouMean(t.part, parts),
        }),
      );
      return undefined;
    }
  }
  return { ...t, span };
}

function summarize(input: DatasetRef | undefined, steps: Step[]): string {
  const parts = steps.map((s) => s.op.describe?.(s.params) ?? s.op.name);
  const head = input ? `${input.part ? `${input.cell}.${input.part}` : input.cell} → ` : '';
  return head + parts.join(' → ');
}
