/**
 * AST → typed graph: resolves `use`d files, names and params, looks ops up in the registry,
 * binds and checks their params, flows schemas through every pipeline and orders the cells.
 * No data is read here (sources may sample a file's first rows to learn its columns).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { pathsOf } from '../ops/common.js';
import { resolvePath } from '../ops/sources/files.js';
import type { Expr, Item, RecipeFile, Span } from '../parser/ast.js';
import { capDiagnostics, diag, type Diagnostic } from '../parser/diagnostics.js';
import { parseRecipe } from '../parser/parse.js';
import { closest, didYouMean } from '../parser/suggest.js';
import type { OpDef, Schema } from '../ops/types.js';
import type { Graph, GraphCell, Step } from './graph.js';
import { bindArgs, literal, type DatasetRef } from './params.js';
import { pathDiagnostics, type Grants } from './permissions.js';
import { accessProblem, PermissionError, realPath } from '../runtime/sandbox.js';

export interface CheckOptions {
  /** `--set name=value` overrides, as typed on the command line */
  set?: Record<string, string>;
  /** read a file (tests pass in-memory sources) */
  readFile?: (path: string) => string;
  /** decide each read before it happens (a step's files before its schema samples them, `use`d files) */
  grants?: Grants;
}

export interface CheckResult {
  graph?: Graph;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
}

type CellItem = Extract<Item, { kind: 'cell' }>;

interface CellDecl {
  name: string;
  item: CellItem;
  baseDir: string;
  file: string;
}

export function checkRecipe(path: string, registry: Map<string, OpDef>, opts: CheckOptions = {}): CheckResult {
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const file = resolve(path);
  const display = (abs: string) => relative(process.cwd(), abs) || abs;

  // 1. files: the recipe and everything it `use`s
  const decls: CellDecl[] = [];
  const paramItems: { item: Extract<Item, { kind: 'param' }>; file: string }[] = [];
  let main: RecipeFile | undefined;
  const loading: string[] = [];
  const loaded = new Set<string>();

  const load = (abs: string, prefix: string, from?: Span): void => {
    if (loading.includes(abs)) {
      diagnostics.push(diag('E0302', `\`use\` cycle: ${[...loading.slice(loading.indexOf(abs)), abs].map(display).join(' → ')}`, from!));
      return;
    }
    if (loaded.has(abs + '|' + prefix)) return;
    const denied = from && opts.grants ? accessProblem(abs, 'read', { root: realPath(dirname(file)), grants: opts.grants, packages: new Set() }) : undefined;
    if (denied !== undefined) {
      diagnostics.push(diag('E0401', `\`use\` would read \`${display(abs)}\`, outside the recipe's folder`, from!, { notes: [`resolves to ${denied}`], help: `if you trust this recipe, run with --allow-read=${relative(process.cwd(), denied) || '.'} (or --allow-read for any path)` }));
      return;
    }
    let text: string;
    try {
      text = readFile(abs);
    } catch (e) {
      if (from) diagnostics.push(diag('E0301', `cannot read \`${display(abs)}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, from));
      else throw e;
      return;
    }
    loaded.add(abs + '|' + prefix);
    loading.push(abs);
    const shown = display(abs);
    sources.set(shown, text);
    const parsed = parseRecipe(text, shown);
    diagnostics.push(...parsed.diagnostics);
    if (!main) main = parsed.ast;
    for (const item of parsed.ast.items) {
      if (item.kind === 'use') {
        const target = resolve(dirname(abs), item.path);
        if (!existsSync(target) && !opts.readFile) {
          diagnostics.push(diag('E0301', `cannot find \`${item.path}\``, item.pathSpan, { notes: [`looked for ${display(target)}`] }));
          continue;
        }
        load(target, item.alias ? `${prefix}${item.alias}.` : prefix, item.pathSpan);
      } else if (item.kind === 'cell') {
        decls.push({ name: prefix + item.name, item, baseDir: dirname(abs), file: shown });
      } else if (item.kind === 'param' && prefix === '' && abs === file) {
        paramItems.push({ item, file: shown });
      } else if (item.kind === 'param' && abs !== file) {
        paramItems.push({ item, file: shown });
      }
    }
    loading.pop();
  };
  load(file, '');
  if (!main) return { diagnostics, sources };
  const mainAst: RecipeFile = main;

  // 2. header
  let recipeName = basename(file).replace(/\.ftr$/, '');
  let seed = 0;
  const seen = new Map<string, Span>();
  for (const item of mainAst.items) {
    if (item.kind !== 'recipe' && item.kind !== 'seed') continue;
    const prev = seen.get(item.kind);
    if (prev) diagnostics.push(diag('E0105', `\`${item.kind}\` is set twice`, item.span, { notes: [`first set at line ${prev.start.line}`] }));
    seen.set(item.kind, item.span);
    if (item.kind === 'recipe') recipeName = item.name;
    else if (!Number.isSafeInteger(item.value) || item.value < 0) diagnostics.push(diag('E0108', 'the seed must be a whole number ≥ 0', item.span));
    else seed = item.value;
  }

  // 3. params, then --set overrides
  const constants = new Map<string, unknown>();
  const paramSpans = new Map<string, Span>();
  for (const { item } of paramItems) {
    if (paramSpans.has(item.name)) {
      diagnostics.push(diag('E0105', `param \`${item.name}\` is declared twice`, item.nameSpan));
      continue;
    }
    paramSpans.set(item.name, item.nameSpan);
    const v = literal(item.value, { constants } as never);
    if (v === undefined) diagnostics.push(diag('E0107', `param \`${item.name}\` needs a literal value (string, number, list, record…)`, item.value.span));
    constants.set(item.name, v ?? null);
  }
  for (const [name, text] of Object.entries(opts.set ?? {})) {
    if (!constants.has(name)) {
      throw new UsageError(`--set ${name}: the recipe has no param \`${name}\`${(() => { const c = closest(name, constants.keys()); return c ? `; did you mean \`${c}\`?` : ''; })()}`);
    }
    constants.set(name, parseOverride(name, text, constants.get(name)));
  }

  // 4. cells: names, dependencies, order
  const byName = new Map<string, CellDecl>();
  for (const d of decls) {
    if (!d.item.nameSpan) {
      // `show`/`export` cells: a second `export parts` becomes `export:parts:2`
      let n = 2;
      const base = d.name;
      while (byName.has(d.name)) d.name = `${base}:${n++}`;
    }
    const prev = byName.get(d.name);
    if (prev) {
      diagnostics.push(diag('E0105', `cell \`${d.name}\` is defined twice`, d.item.nameSpan ?? d.item.span, { notes: [`first defined at ${prev.file}:${prev.item.span.start.line}`] }));
      continue;
    }
    if (registry.has(d.name)) {
      diagnostics.push(diag('E0105', `cell \`${d.name}\` has the name of an op`, d.item.nameSpan ?? d.item.span, { help: 'pick another name so `| ' + d.name + '` stays unambiguous' }));
    }
    byName.set(d.name, d);
  }
  const prefixOf = (d: CellDecl) => d.name.slice(0, d.name.length - d.item.name.length);

  const refTarget = (name: string, prefix: string): { cell: string; part?: string } | undefined => {
    for (const candidate of [prefix + name, name]) {
      if (byName.has(candidate)) return { cell: candidate };
      const dot = candidate.lastIndexOf('.');
      if (dot > 0 && byName.has(candidate.slice(0, dot))) return { cell: candidate.slice(0, dot), part: candidate.slice(dot + 1) };
    }
    return undefined;
  };
  const depsOf = (d: CellDecl): string[] => {
    const deps = new Set<string>();
    const prefix = prefixOf(d);
    const visit = (e: Expr): void => {
      const n = dottedName(e);
      if (n) {
        const t = refTarget(n, prefix);
        if (t) deps.add(t.cell);
      }
      if (e.kind === 'list') e.items.forEach(visit);
    };
    d.item.pipeline.stages.forEach((s, i) => {
      if (i === 0 && s.args.length === 0) {
        const t = refTarget(s.name, prefix);
        if (t) deps.add(t.cell);
      }
      const op = registry.get(s.name);
      if (op?.params.some((p) => p.type.kind === 'dataset' || (p.type.kind === 'list' && p.type.of.kind === 'dataset'))) s.args.forEach((a) => visit(a.value));
    });
    return [...deps]; // a self-reference stays: the cycle check reports it
  };
  const deps = new Map([...byName.values()].map((d) => [d.name, depsOf(d)]));
  const order = topoOrder([...byName.keys()], deps, (cycle) => {
    const d = byName.get(cycle[0])!;
    diagnostics.push(diag('E0103', `cells depend on each other in a cycle: ${cycle.join(' → ')}`, d.item.nameSpan ?? d.item.span, { help: 'a cell can only read cells that do not read it back' }));
  });

  // files cells write (literal paths), so a source may read one that does not exist yet
  const written = writtenPaths(decls, registry);
  const producer = (abs: string): string | undefined => {
    for (const [path, cell] of written) if (abs === path || abs.startsWith(path + sep) || path.startsWith(abs + sep)) return cell;
    return undefined;
  };

  // 5. check each cell's pipeline in dependency order
  const cells = new Map<string, GraphCell>();
  for (const name of order) {
    const d = byName.get(name)!;
    const cell = checkCell(d, prefixOf(d));
    if (cell) cells.set(name, cell);
  }

  function checkCell(d: CellDecl, prefix: string): GraphCell | undefined {
    const { item } = d;
    const stages = item.pipeline.stages;
    if (stages.length === 0) return undefined;
    let input: DatasetRef | undefined;
    let schema: Schema | undefined;
    let owner = d.name;
    let ok = true;
    const steps: Step[] = [];
    const before = diagnostics.length;
    // a denied access is reported, and checking goes on past it (the step's columns then unknown),
    // so one `ftr check` lists every flag the recipe needs
    let denials = 0;

    const resolveDataset = (e: Expr): DatasetRef | undefined => {
      const n = dottedName(e);
      if (!n) {
        diagnostics.push(diag('E0107', 'expected a cell name', e.span));
        return undefined;
      }
      return resolveRef(n, e.span, prefix);
    };

    stages.forEach((stage, index) => {
      const ref = index === 0 && stage.args.length === 0 && !registry.has(stage.name) ? refTarget(stage.name, prefix) : undefined;
      if (index === 0 && (ref || (!registry.has(stage.name) && stage.args.length === 0))) {
        input = resolveRef(stage.name, stage.nameSpan, prefix);
        if (!input) {
          ok = false;
          return;
        }
        const up = cells.get(input.cell);
        if (!up) {
          ok = false; // upstream failed to check: already reported
          return;
        }
        schema = input.part ? { columns: up.schema.columns, open: up.schema.open } : up.schema;
        owner = input.part ? `${input.cell}.${input.part}` : input.cell;
        return;
      }
      const op = registry.get(stage.name);
      if (!op) {
        const names = [...registry.keys(), ...(index === 0 ? byName.keys() : [])];
        diagnostics.push(diag('E0101', `unknown op \`${stage.name}\``, stage.nameSpan, { help: didYouMean(stage.name, names), notes: ['`ftr ops` lists every op'] }));
        ok = false;
        return;
      }
      if (!ok) return;
      if (op.kind === 'source' && index > 0) {
        diagnostics.push(diag('E0113', `\`${op.name}\` is a source: it starts a pipeline, it cannot follow \`|\``, stage.nameSpan, { help: `make it its own cell: \`source x = ${op.name} …\`` }));
        ok = false;
        return;
      }
      if (op.kind !== 'source' && index === 0 && !op.params.some((p) => p.type.kind === 'dataset' || (p.type.kind === 'list' && p.type.of.kind === 'dataset'))) {
        diagnostics.push(diag('E0113', `\`${op.name}\` needs an input`, stage.nameSpan, { help: `start the pipeline with a cell: \`cell ${item.name} = <cell> | ${op.name} …\`` }));
        ok = false;
        return;
      }
      if (steps.length && steps[steps.length - 1].op.kind === 'sink') {
        diagnostics.push(diag('E0113', `nothing can follow the sink \`${steps[steps.length - 1].op.name}\``, stage.nameSpan));
        ok = false;
        return;
      }
      const bound = bindArgs(op, stage, { input: schema, inputOwner: owner, constants, resolveDataset, diagnostics });
      const datasets: Record<string, Schema> = {};
      for (const [k, ref] of Object.entries(bound.datasets)) {
        const up = cells.get(ref.cell);
        if (up) datasets[k] = ref.part ? { columns: up.schema.columns, open: up.schema.open } : up.schema;
      }
      // an op checks only whole params: an unreadable argument was reported by the parser
      if (diagnostics.length - denials > before || bound.incomplete) {
        ok = false;
        return;
      }
      // permissions before any read: sources sample their files in schema()
      if (opts.grants) {
        const denied = pathDiagnostics({ cell: d.name, op, params: bound.params, baseDir: d.baseDir, span: stage.span, paramSpans: bound.spans }, dirname(file), opts.grants);
        if (denied.length) {
          diagnostics.push(...denied);
          denials += denied.length;
          const open: Schema = { columns: schema?.columns ?? [], open: true, parts: schema?.parts };
          steps.push({ op, params: bound.params, datasets: bound.datasets, span: stage.span, paramSpans: bound.spans, index, schema: open });
          schema = open;
          return;
        }
      }
      let out: Schema;
      try {
        out = op.schema({
          input: schema,
          datasets,
          params: bound.params,
          baseDir: d.baseDir,
          producer: (abs) => {
            const cell = producer(abs);
            return cell === d.name ? undefined : cell;
          },
          error: (param, message, extra) => {
            const code = message.startsWith('unknown column') ? 'E0201' : param ? 'E0116' : 'E0114';
            diagnostics.push(diag(code, message, (param && bound.spans[param]) || stage.span, extra ?? {}));
          },
        });
      } catch (e) {
        // a file a glob or folder expands to that leads out (the policy of src/runtime/sandbox.ts)
        if (!(e instanceof PermissionError)) throw e;
        diagnostics.push(diag('E0401', e.message, stage.span, { help: `if you trust this recipe, run with ${e.flag}` }));
        ok = false;
        return;
      }
      if (diagnostics.length - denials > before) {
        ok = false;
        return;
      }
      if (schema?.parts && out.parts && out.parts !== schema.parts) {
        const source = input && index === 1 ? `\`${input.cell}\`` : 'data that';
        diagnostics.push(
          diag('E0115', `\`${op.name}\` cannot run on ${source === 'data that' ? 'data that already has' : `${source}, which has`} parts (${schema.parts.join(', ')})`, stage.nameSpan, {
            help: input && index === 1 ? `read one part: \`cell ${item.name} = ${input.cell}.${schema.parts[0]} | …\`` : `split once per pipeline; read one part of a split cell as \`cell.${schema.parts[0]}\``,
          }),
        );
        ok = false;
        return;
      }
      const outSchema: Schema = schema?.parts && !out.parts ? { ...out, parts: schema.parts } : out;
      steps.push({ op, params: bound.params, datasets: bound.datasets, span: stage.span, paramSpans: bound.spans, index, schema: outSchema });
      schema = outSchema;
      owner = `${d.name} (after ${op.name})`;
    });
    if (!ok || !schema) return undefined;
    if (item.keyword === 'source' && steps[0]?.op.kind !== 'source') {
      diagnostics.push(diag('E0113', `\`source ${item.name}\` must start with a source op (jsonl, csv, …)`, stages[0].nameSpan, { help: `use \`cell ${item.name} = …\` for a cell that reads other cells` }));
      return undefined;
    }
    if (item.keyword === 'export' && steps[steps.length - 1]?.op.kind !== 'sink') {
      diagnostics.push(diag('E0113', '`export` must end with a sink op such as `write`', item.pipeline.span, { help: 'add `| write "out/"`' }));
      return undefined;
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

  function resolveRef(name: string, span: Span, prefix: string): DatasetRef | undefined {
    const t = refTarget(name, prefix);
    if (!t) {
      diagnostics.push(diag('E0102', `unknown cell \`${name}\``, span, { help: didYouMean(name, [...byName.keys(), ...registry.keys()]), notes: byName.size ? [`cells: ${[...byName.keys()].join(', ')}`] : undefined }));
      return undefined;
    }
    const up = cells.get(t.cell);
    if (t.part !== undefined && up) {
      const parts = up.schema.parts ?? [];
      if (!parts.includes(t.part)) {
        diagnostics.push(
          diag('E0203', `\`${t.cell}\` has no part \`${t.part}\``, span, {
            notes: [parts.length ? `parts of \`${t.cell}\`: ${parts.join(', ')}` : `\`${t.cell}\` is a single dataset with no parts`],
            help: didYouMean(t.part, parts),
          }),
        );
        return undefined;
      }
    }
    return { ...t, span };
  }

  // 6. files one cell writes and another reads (a tokenizer, a pre-trained model) order them too
  const fileDeps = fileFlow([...cells.values()]);
  let finalOrder = order;
  if (fileDeps.size) {
    for (const [reader, writers] of fileDeps) {
      const c = cells.get(reader)!;
      for (const writer of writers.keys()) {
        if (!c.deps.includes(writer)) c.deps.push(writer);
        if (!deps.get(reader)!.includes(writer)) deps.get(reader)!.push(writer);
      }
    }
    finalOrder = topoOrder([...byName.keys()], deps, (cycle) => {
      const d = byName.get(cycle[0])!;
      const why = cycle.map((n, i) => {
        const via = fileDeps.get(n)?.get(cycle[i + 1]);
        return via ? `${n} reads ${via}` : undefined;
      }).filter(Boolean);
      diagnostics.push(diag('E0103', `cells depend on each other in a cycle: ${cycle.join(' → ')}`, d.item.nameSpan ?? d.item.span, { notes: why as string[], help: 'a cell can only read files that cells it does not feed write' }));
    });
  }

  diagnostics.sort((a, b) => (a.span.file === b.span.file ? a.span.start.offset - b.span.start.offset : a.span.file < b.span.file ? -1 : 1));
  const errors = diagnostics.filter((x) => x.severity === 'error');
  // bounded: 30,000 unknown columns give a few errors and a count
  if (errors.length) return { diagnostics: capDiagnostics(diagnostics), sources };
  const graph: Graph = {
    recipe: recipeName,
    seed,
    file,
    baseDir: dirname(file),
    cells: decls.map((d) => cells.get(d.name)).filter((c): c is GraphCell => !!c),
    order: finalOrder,
    params: Object.fromEntries(constants),
    sources,
  };
  return { graph, diagnostics, sources };
}

export class UsageError extends Error {}

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

function dottedName(e: Expr): string | undefined {
  if (e.kind === 'name') return e.name;
  if (e.kind === 'member') {
    const head = dottedName(e.object);
    return head === undefined ? undefined : `${head}.${e.name}`;
  }
  return undefined;
}

/** Kahn's algorithm in declaration order; reports each cycle once. */
function topoOrder(names: string[], deps: Map<string, string[]>, onCycle: (cycle: string[]) => void): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    const s = state.get(n);
    if (s === 'done') return;
    if (s === 'visiting') {
      onCycle([...stack.slice(stack.indexOf(n)), n]);
      return;
    }
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of deps.get(n) ?? []) if (deps.has(d)) visit(d);
    stack.pop();
    state.set(n, 'done');
    order.push(n);
  };
  names.forEach(visit);
  return order;
}

function summarize(input: DatasetRef | undefined, steps: Step[]): string {
  const parts = steps.map((s) => s.op.describe?.(s.params) ?? s.op.name);
  const head = input ? `${input.part ? `${input.cell}.${input.part}` : input.cell} → ` : '';
  return head + parts.join(' → ');
}

/** A `--set` value: parsed as an .ftr literal of the param's kind (a string param takes the text as is). */
function parseOverride(name: string, text: string, current: unknown): unknown {
  if (typeof current === 'string' || current === null) return text;
  const parsed = parseRecipe(`param __set = ${text}`, '--set');
  const item = parsed.ast.items[0];
  const v = parsed.diagnostics.length === 0 && item?.kind === 'param' ? literal(item.value) : undefined;
  const kind = (x: unknown) => (Array.isArray(x) ? 'list' : x === null ? 'null' : typeof x);
  if (v === undefined || kind(v) !== kind(current)) {
    throw new UsageError(`--set ${name}=${text}: \`${name}\` is a ${kind(current)} (default ${JSON.stringify(current)}), and \`${text}\` is not`);
  }
  return v;
}
