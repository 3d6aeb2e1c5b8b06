/**
 * Binding a call's arguments to an op's declared params, and checking each value against its
 * type. Output values are plain JSON (they enter cache keys); errors become diagnostics.
 */
import { CODES } from '../parser/codes.js';
import type { Arg, Expr, Span, Stage } from '../parser/ast.js';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import { didYouMean } from '../parser/suggest.js';
import type { OpDef, ParamSpec, ParamType, Params, Schema } from '../core/op.js';
import { checkExpr, type ExprScope } from './expr.js';
import { UNIT_KIND, unitValue, type ExprIR } from '../core/expr.js';
import { checkRules } from './rules.js';

export interface DatasetRef {
  cell: string;
  part?: string;
  span: Span;
}

export interface BindContext {
  /** input schema for column checks and expressions */
  input?: Schema;
  /** whose schema that is, for messages */
  inputOwner: string;
  /** recipe params (after --set) */
  constants: Map<string, unknown>;
  /** resolves a cell reference for dataset params, reporting its own errors */
  resolveDataset(e: Expr): DatasetRef | undefined;
  diagnostics: Diagnostic[];
  /** words the op understands bare (enum values, switches), for did-you-mean on a column miss */
  hints?: string[];
  /** the op being bound, for messages */
  op?: string;
  /** where each recipe param is declared, for messages about its value */
  constantSpans?: Map<string, Span>;
}

export interface Bound {
  params: Params;
  spans: Record<string, Span>;
  /** dataset params: name (or name[i]) → ref */
  datasets: Record<string, DatasetRef>;
  /** an argument the parser could not read (its error is already reported): the params are not whole */
  incomplete?: boolean;
}

export function bindArgs(op: OpDef, stage: Stage, outer: BindContext): Bound {
  const ctx: BindContext = { ...outer, op: op.name, hints: [...enumValues(op.params), ...op.params.filter((p) => p.type.kind === 'bool').map((p) => p.name)] };
  const out: Bound = { params: {}, spans: {}, datasets: {} };
  const raw = new Map<ParamSpec, Arg[]>();
  const specs = op.params;
  const set = (spec: ParamSpec, arg: Arg) => {
    const prev = raw.get(spec);
    if (prev && !spec.variadic) {
      ctx.diagnostics.push(diag(CODES.GIVEN_TWICE, `param \`${spec.name}\` is given twice`, arg.span, { notes: [`first given at ${prev[0].span.start.line}:${prev[0].span.start.col}`] }));
      return;
    }
    raw.set(spec, [...(prev ?? []), arg]);
  };

  // settings inside a rules block are the op's other params: `annotate { rule …; method: weighted }`
  const rulesSpec = specs.find((s) => s.type.kind === 'rules');
  const args = !rulesSpec
    ? stage.args
    : stage.args.flatMap((arg) =>
        arg.value.kind === 'block' && (arg.name === undefined || arg.name === rulesSpec.name)
          ? [arg, ...arg.value.entries.flatMap((en): Arg[] => (en.kind === 'setting' ? [{ name: en.name, nameSpan: en.nameSpan, value: en.value, span: en.span }] : []))]
          : [arg],
      );
  for (let arg of args) {
    // `CONDITION -> LABEL` parses in any argument, but labels only a rule clause inside a rules block
    if (arg.value.kind === 'binary' && arg.value.op === '->') {
      ctx.diagnostics.push(diag(CODES.ARROW, '`->` is only allowed in rule blocks', arg.value.span, { help: 'label a condition in a rule clause: `annotate { rule NAME: CONDITION -> "label" }`' }));
      arg = { ...arg, value: { kind: 'error', span: arg.value.span } };
    }
    if (arg.name !== undefined) {
      const spec = specs.find((s) => s.name === arg.name);
      if (!spec) {
        ctx.diagnostics.push(
          diag(CODES.UNKNOWN_PARAM, `\`${op.name}\` has no param \`${arg.name}\``, arg.nameSpan ?? arg.span, {
            notes: [`params of \`${op.name}\`: ${specs.map((s) => s.name).join(', ') || '(none)'}`],
            help: didYouMean(arg.name, specs.map((s) => s.name)),
          }),
        );
        continue;
      }
      set(spec, arg);
      continue;
    }
    const spec = positionalTarget(specs, raw, arg.value);
    if (!spec) {
      const positional = specs.filter((s) => s.positional).map((s) => s.name);
      const word = arg.value.kind === 'name' ? arg.value.name : undefined;
      ctx.diagnostics.push(
        diag(CODES.TOO_MANY_ARGS, `too many arguments for \`${op.name}\``, arg.span, {
          label: 'no param left to take this value',
          notes: [positional.length ? `\`${op.name}\` takes ${positional.join(', ')} by position; name the others (\`name: value\`)` : `\`${op.name}\` takes no positional arguments`],
          help: word ? didYouMean(word, [...specs.map((s) => s.name), ...enumValues(specs)]) : undefined,
        }),
      );
      continue;
    }
    set(spec, arg);
  }

  for (const spec of specs) {
    const args = raw.get(spec);
    if (!args) {
      if (spec.required) {
        ctx.diagnostics.push(
          diag(CODES.MISSING_PARAM, `\`${op.name}\` needs \`${spec.name}\``, stage.nameSpan, {
            notes: [`${spec.name}: ${describeType(spec.type)} — ${spec.doc}`],
            help: spec.positional ? `write \`${op.name} <${spec.name}>\`` : `write \`${op.name} ${spec.name}: …\``,
          }),
        );
      } else if (spec.default !== undefined) {
        out.params[spec.name] = spec.default;
      }
      continue;
    }
    out.spans[spec.name] = args[0].span;
    if (spec.variadic && spec.type.kind !== 'list') {
      // `split 80% 10% 10%`: several bare values form one list value
      const value: Expr = args.length === 1 ? args[0].value : { kind: 'list', items: args.map((a) => a.value), span: { ...args[0].span, end: args[args.length - 1].span.end } };
      const v = coerce(spec.type, value, ctx, spec, spec.name, out);
      if (v !== undefined) out.params[spec.name] = v;
    } else if (spec.variadic) {
      // `op a, b` and `op [a, b]` mean the same
      const items = args.flatMap((a) => (a.value.kind === 'list' ? a.value.items : [a.value]));
      const values = items.flatMap((item, i) => {
        const v = coerce(spec.type.kind === 'list' ? spec.type.of : spec.type, item, ctx, spec, `${spec.name}[${i}]`, out);
        return v === undefined ? [] : [v];
      });
      out.params[spec.name] = values;
    } else {
      const isFlag = spec.type.kind === 'bool' && args[0].name === undefined && args[0].value.kind === 'name' && args[0].value.name === spec.name;
      const v = isFlag ? true : coerce(spec.type, args[0].value, ctx, spec, spec.name, out);
      if (v !== undefined) out.params[spec.name] = v;
    }
  }
  return out;
}

function enumValues(specs: ParamSpec[]): string[] {
  return specs.flatMap((s) => (s.type.kind === 'enum' ? [...s.type.values] : []));
}

/** Where a bare argument goes: a bool flag by its name, an enum by its value, else the next positional slot. */
function positionalTarget(specs: ParamSpec[], taken: Map<ParamSpec, Arg[]>, value: Expr): ParamSpec | undefined {
  if (value.kind === 'name') {
    const flag = specs.find((s) => s.type.kind === 'bool' && s.name === value.name && !taken.has(s));
    if (flag) return flag;
    const byEnum = specs.find((s) => s.type.kind === 'enum' && s.type.values.includes(value.name) && !taken.has(s));
    if (byEnum) return byEnum;
  }
  return specs.find((s) => s.positional && (!taken.has(s) || s.variadic));
}

export function describeType(t: ParamType): string {
  switch (t.kind) {
    case 'enum':
      return t.values.length > 12 ? `one of ${t.values.length} values (${t.values.slice(0, 8).join(', ')}, …)` : `one of ${t.values.join(', ')}`;
    case 'list':
      return `list of ${describeType(t.of)}`;
    case 'number':
      return `${t.integer ? 'whole number' : 'number'}${t.min !== undefined ? ` ≥ ${t.min}` : ''}${t.max !== undefined ? ` ≤ ${t.max}` : ''}`;
    case 'percent':
      return 'percentage (80%)';
    case 'count':
      return 'count (5k)';
    case 'size':
      return 'size (512MB)';
    case 'duration':
      return 'duration (30s)';
    case 'column':
      return 'column';
    case 'columns':
      return 'column or list of columns';
    case 'path':
      return t.glob ? 'path or glob' : 'path';
    case 'expr':
      return `expression${t.returns && t.returns !== 'any' ? ` (${t.returns})` : ''}`;
    case 'exprs':
      return 'named expressions { column: expression }';
    case 'dataset':
      return 'cell';
    case 'mapping':
      return 'mapping { column: .field.path }';
    case 'field':
      return 'field path (.data.items)';
    case 'secret':
      return 'secret: env("VARIABLE")';
    case 'ratios':
      return 'percentages adding up to 100%';
    case 'rules':
      return `rules { ${(t.clauses ?? ['rule'])[0]} NAME: CONDITION -> "label" }`;
    default:
      return t.kind;
  }
}

function exprWhat(e: Expr): string {
  switch (e.kind) {
    case 'name':
      return `name \`${e.name}\``;
    case 'unit':
      return `\`${e.raw}\``;
    case 'number':
      return `number ${e.raw}`;
    case 'string':
      return `string ${JSON.stringify(e.value)}`;
    default:
      return e.kind;
  }
}

/** Resolve a bare name to a recipe param's value, when it is one. */
function constant(e: Expr, ctx: BindContext): { value: unknown } | undefined {
  if (e.kind === 'name' && ctx.constants.has(e.name)) return { value: ctx.constants.get(e.name) };
  return undefined;
}

function coerce(t: ParamType, e: Expr, ctx: BindContext, spec: ParamSpec, key: string, out: Bound): unknown {
  const fail = (message: string, extra: Partial<Diagnostic> = {}) => {
    ctx.diagnostics.push(diag(CODES.BAD_VALUE, message, e.span, { label: `expected ${describeType(t)}`, notes: [`${spec.name}: ${spec.doc}`], ...extra }));
    return undefined;
  };
  if (e.kind === 'error') {
    out.incomplete = true;
    return undefined;
  }
  const c = t.kind === 'column' || t.kind === 'columns' || t.kind === 'dataset' || t.kind === 'enum' || t.kind === 'expr' || t.kind === 'exprs' ? undefined : constant(e, ctx);
  if (c) return coerceValue(t, c.value, e, spec, ctx);

  switch (t.kind) {
    case 'string':
      if (e.kind === 'string') return e.value;
      return fail(`\`${spec.name}\` must be a string, found ${exprWhat(e)}`, { help: e.kind === 'name' ? `quote it: "${e.name}"` : undefined });
    case 'path':
      if (e.kind === 'string') return e.value;
      return fail(`\`${spec.name}\` must be a path in quotes, found ${exprWhat(e)}`);
    case 'bool':
      if (e.kind === 'bool') return e.value;
      return fail(`\`${spec.name}\` must be true or false, found ${exprWhat(e)}`);
    case 'number':
    case 'count':
    case 'percent':
    case 'size':
    case 'duration': {
      const n = numberOf(e);
      if (n === undefined) return fail(`\`${spec.name}\` must be ${describeType(t)}, found ${exprWhat(e)}`);
      if (n.unit && UNIT_KIND[n.unit] !== (t.kind === 'number' ? 'count' : t.kind) && !(t.kind === 'number' && n.unit === '%')) {
        return fail(`\`${spec.name}\` expects ${describeType(t)}, but \`${n.raw}\` is a ${UNIT_KIND[n.unit]}`);
      }
      const value = n.unit ? unitValue(n.value, n.unit) : n.value;
      return checkRange(t, value, e, spec, ctx);
    }
    case 'enum': {
      const word = e.kind === 'name' ? e.name : e.kind === 'string' ? e.value : undefined;
      if (word !== undefined && t.values.includes(word)) return word;
      return fail(`\`${spec.name}\` must be ${describeType(t)}, found ${exprWhat(e)}`, { help: word ? didYouMean(word, t.values) : undefined });
    }
    case 'column':
      return checkColumn(e, ctx, spec);
    case 'columns': {
      if (e.kind === 'list') {
        const cols = e.items.map((i) => checkColumn(i, ctx, spec));
        return cols.every((x) => x !== undefined) ? cols : undefined;
      }
      const one = checkColumn(e, ctx, spec);
      return one === undefined ? undefined : [one];
    }
    case 'regex':
      if (e.kind === 'regex') return { regex: e.source, flags: e.flags };
      if (e.kind === 'string') return { regex: e.value, flags: '' };
      return fail(`\`${spec.name}\` must be a regex like /refund/i, found ${exprWhat(e)}`);
    case 'expr': {
      const scope: ExprScope = { schema: ctx.input ?? { columns: [] }, constants: ctx.constants, constantSpans: ctx.constantSpans, diagnostics: ctx.diagnostics, owner: ctx.inputOwner };
      const { ir, type } = checkExpr(e, scope);
      if (t.returns === 'bool' && !['bool', 'any', 'null'].includes(type)) {
        ctx.diagnostics.push(diag(CODES.TYPE, `\`${spec.name}\` must be a condition (true/false), but this is a ${type}`, e.span, { help: 'compare it: `len(text) > 20`, `label == "spam"`, `missing(text)`' }));
      }
      return ir;
    }
    case 'exprs': {
      // `{ n: words(text), long: n > 100 }`: each entry is checked against the input's columns and the entries before it
      if (e.kind !== 'block') return fail(`\`${spec.name}\` must be named expressions like { n_words: words(text) }`);
      const base = ctx.input ?? { columns: [] };
      const columns = [...base.columns];
      const exprs = new Map<string, ExprIR>();
      for (const entry of e.entries) {
        if (entry.kind !== 'setting') {
          ctx.diagnostics.push(diag(CODES.BAD_VALUE, 'an entry is `column: expression`', entry.span));
          continue;
        }
        if (exprs.has(entry.name)) {
          ctx.diagnostics.push(diag(CODES.GIVEN_TWICE, `\`${entry.name}\` is given twice`, entry.nameSpan));
          continue;
        }
        const { ir, type } = checkExpr(entry.value, { schema: { ...base, columns }, constants: ctx.constants, constantSpans: ctx.constantSpans, diagnostics: ctx.diagnostics, owner: ctx.inputOwner });
        exprs.set(entry.name, ir);
        const col = { name: entry.name, type: type === 'regex' || type === 'null' ? ('any' as const) : type };
        const at = columns.findIndex((c) => c.name === entry.name);
        if (at >= 0) columns[at] = col;
        else columns.push(col);
      }
      // a list, not an object: the order is meaningful and cache keys sort object keys
      return [...exprs].map(([name, expr]) => ({ name, expr }));
    }
    case 'dataset': {
      const ref = ctx.resolveDataset(e);
      if (ref) out.datasets[key] = ref;
      return ref ? (ref.part ? `${ref.cell}.${ref.part}` : ref.cell) : undefined;
    }
    case 'secret': {
      const name = e.kind === 'call' && e.callee === 'env' && e.args.length === 1 && e.args[0].value.kind === 'string' ? e.args[0].value.value : undefined;
      if (name === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        return fail(`\`${spec.name}\` is a secret: name the environment variable that holds it, like env("API_TOKEN")`, { help: 'secrets are never written in recipes, so they never reach caches, locks or logs' });
      }
      return { env: name };
    }
    case 'field':
      if (e.kind === 'field') return e.path;
      if (e.kind === 'name') return [e.name];
      return fail(`\`${spec.name}\` must be a field path like .data.items, found ${exprWhat(e)}`);
    case 'mapping': {
      if (e.kind !== 'block') return fail(`\`${spec.name}\` must be a mapping like { text: .body, label: .intent }`);
      const mapping: Record<string, (string | number)[]> = {};
      for (const entry of e.entries) {
        if (entry.kind !== 'setting') {
          ctx.diagnostics.push(diag(CODES.BAD_VALUE, 'a mapping entry is `column: .field.path`', entry.span));
          continue;
        }
        const v = entry.value;
        if (v.kind === 'field') mapping[entry.name] = v.path;
        else if (v.kind === 'name') mapping[entry.name] = [v.name];
        else if (v.kind === 'string') mapping[entry.name] = [v.value];
        else ctx.diagnostics.push(diag(CODES.BAD_VALUE, `a mapping value is a field path like .body.text, found ${exprWhat(v)}`, v.span));
      }
      return mapping;
    }
    case 'ratios':
      return checkRatios(t, e, spec, ctx);
    case 'rules': {
      const scope: ExprScope = { schema: ctx.input ?? { columns: [] }, constants: ctx.constants, constantSpans: ctx.constantSpans, diagnostics: ctx.diagnostics, owner: ctx.inputOwner };
      return checkRules(t.clauses ?? ['rule'], e, spec, key, { scope, diagnostics: ctx.diagnostics, spans: out.spans, literal: (x) => literal(x, ctx, true) });
    }
    case 'list': {
      const items = e.kind === 'list' ? e.items : [e];
      const values = items.map((i, n) => coerce(t.of, i, ctx, spec, `${key}[${n}]`, out));
      return values.every((v) => v !== undefined) ? values : undefined;
    }
    case 'record':
    case 'any': {
      // inside a record a bare word is a string (`fix: { drop_from: test }`) unless it names a param
      const v = literal(e, ctx, true);
      if (v === undefined) return fail(`\`${spec.name}\` must be a literal value`);
      if (t.kind === 'record' && (typeof v !== 'object' || v === null || Array.isArray(v))) return fail(`\`${spec.name}\` must be a record { key: value }`);
      return v;
    }
  }
}

/** A recipe param's value used where an op param is expected. */
function coerceValue(t: ParamType, v: unknown, e: Expr, spec: ParamSpec, ctx: BindContext): unknown {
  const ok =
    (t.kind === 'string' || t.kind === 'path') ? typeof v === 'string'
    : t.kind === 'bool' ? typeof v === 'boolean'
    : ['number', 'count', 'percent', 'size', 'duration'].includes(t.kind) ? typeof v === 'number'
    : t.kind === 'list' ? Array.isArray(v)
    : t.kind === 'regex' ? typeof v === 'object' && v !== null && 'regex' in v
    : true;
  if (!ok) {
    ctx.diagnostics.push(diag(CODES.BAD_VALUE, `param \`${(e as { name: string }).name}\` holds ${JSON.stringify(v)}, but \`${spec.name}\` must be ${describeType(t)}`, e.span));
    return undefined;
  }
  return typeof v === 'number' ? checkRange(t, v, e, spec, ctx) : v;
}

function numberOf(e: Expr): { value: number; unit?: string; raw: string } | undefined {
  if (e.kind === 'number') return { value: e.value, raw: e.raw };
  if (e.kind === 'unit') return { value: e.value, unit: e.unit, raw: e.raw };
  if (e.kind === 'unary' && e.op === '-') {
    const n = numberOf(e.operand);
    return n && { ...n, value: -n.value, raw: `-${n.raw}` };
  }
  return undefined;
}

function checkRange(t: ParamType, value: number, e: Expr, spec: ParamSpec, ctx: BindContext): number | undefined {
  const bad = (why: string) => {
    ctx.diagnostics.push(diag(CODES.OUT_OF_RANGE, `\`${spec.name}\` ${why}`, e.span, { notes: [`${spec.name}: ${describeType(t)} — ${spec.doc}`] }));
    return undefined;
  };
  if (t.kind === 'percent') {
    const frac = e.kind === 'unit' || (e.kind === 'unary' && numberOf(e)?.unit) ? value : value > 1 ? value / 100 : value;
    if (frac < 0 || frac > 1) return bad(`must be between 0% and 100%, found ${Math.round(frac * 1e4) / 100}%`);
    return frac;
  }
  if ((t.kind === 'count' || (t.kind === 'number' && t.integer)) && !Number.isInteger(value)) return bad(`must be a whole number, found ${value}`);
  const min = t.kind === 'number' || t.kind === 'count' ? t.min : 0;
  const max = t.kind === 'number' ? t.max : undefined;
  if (min !== undefined && value < min) return bad(`must be at least ${min}, found ${value}`);
  if (max !== undefined && value > max) return bad(`must be at most ${max}, found ${value}`);
  return value;
}

function checkColumn(e: Expr, ctx: BindContext, spec: ParamSpec): string | undefined {
  const name = e.kind === 'name' ? e.name : e.kind === 'string' ? e.value : undefined;
  if (name === undefined) {
    ctx.diagnostics.push(diag(CODES.BAD_VALUE, `\`${spec.name}\` must be a column name, found ${exprWhat(e)}`, e.span));
    return undefined;
  }
  const cols = ctx.input?.columns.map((c) => c.name) ?? [];
  if (ctx.input && !ctx.input.open && !cols.includes(name)) {
    // `normalize nfkq`: a near miss of an option word is likelier than of a column
    const hint = e.kind === 'name' ? didYouMean(name, ctx.hints ?? []) : undefined;
    ctx.diagnostics.push(
      diag(CODES.UNKNOWN_COLUMN, `unknown column \`${name}\``, e.span, {
        label: `not a column of \`${ctx.inputOwner}\``,
        notes: [`columns of \`${ctx.inputOwner}\`: ${cols.join(', ') || '(none)'}`],
        help: didYouMean(name, cols) ?? hint,
      }),
    );
    return undefined;
  }
  return name;
}

function checkRatios(t: Extract<ParamType, { kind: 'ratios' }>, e: Expr, spec: ParamSpec, ctx: BindContext): Record<string, number> | undefined {
  const entries: [string, Expr][] = [];
  if (e.kind === 'block') {
    for (const entry of e.entries) {
      if (entry.kind === 'setting') entries.push([entry.name, entry.value]);
      else ctx.diagnostics.push(diag(CODES.BAD_VALUE, 'a ratio entry is `name: 80%`', entry.span));
    }
  } else if (e.kind === 'list') {
    const names = t.names ?? [];
    if (e.items.length > names.length) {
      ctx.diagnostics.push(diag(CODES.BAD_VALUE, `at most ${names.length} unnamed percentages (${names.join(', ')}); name them with { name: 10% }`, e.span));
      return undefined;
    }
    e.items.forEach((item, i) => entries.push([names[i], item]));
  } else {
    ctx.diagnostics.push(diag(CODES.BAD_VALUE, `\`${spec.name}\` must be percentages like { train: 80%, val: 10%, test: 10% }`, e.span));
    return undefined;
  }
  const ratios: Record<string, number> = {};
  let ok = true;
  for (const [name, v] of entries) {
    const c = v.kind === 'name' && typeof ctx.constants.get(v.name) === 'number' ? (ctx.constants.get(v.name) as number) : undefined;
    if (c !== undefined) {
      // a recipe param: `80%` was stored as 0.8; a bare 80 means 80%
      ratios[name] = c > 1 ? c / 100 : c;
      continue;
    }
    const n = numberOf(v);
    if (!n || (n.unit && n.unit !== '%')) {
      ctx.diagnostics.push(diag(CODES.BAD_VALUE, `\`${name}\` must be a percentage like 10%, found ${exprWhat(v)}`, v.span));
      ok = false;
      continue;
    }
    const frac = n.unit ? n.value / 100 : n.value;
    if (frac < 0 || frac > 1) {
      ctx.diagnostics.push(diag(CODES.OUT_OF_RANGE, `\`${name}\` must be between 0% and 100%`, v.span));
      ok = false;
    }
    ratios[name] = frac;
  }
  if (!ok) return undefined;
  const sum = Object.values(ratios).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9) {
    const shown = entries.map(([, v]) => (v.kind === 'unit' ? v.raw : (v as { raw?: string }).raw ?? '?')).join(' + ');
    ctx.diagnostics.push(
      diag(CODES.RATIOS_SUM, `${ctx.op ? `\`${ctx.op}\` ` : ''}percentages add up to ${fmtPct(sum)}`, e.span, {
        label: `${shown} = ${fmtPct(sum)}`,
        help: 'make them add up to 100%',
      }),
    );
    return undefined;
  }
  return ratios;
}

function fmtPct(f: number): string {
  return `${Math.round(f * 1e6) / 1e4}%`;
}

/** Literal JSON value of an expression (lists and records of literals), or undefined. */
export function literal(e: Expr, ctx?: BindContext, bareWords = false): unknown {
  switch (e.kind) {
    case 'number':
    case 'bool':
      return e.value;
    case 'string':
      return e.value;
    case 'unit':
      return unitValue(e.value, e.unit);
    case 'null':
      return null;
    case 'regex':
      return { regex: e.source, flags: e.flags };
    case 'unary': {
      const n = numberOf(e);
      return n ? (n.unit ? unitValue(n.value, n.unit) : n.value) : undefined;
    }
    case 'list': {
      const items = e.items.map((i) => literal(i, ctx, bareWords));
      return items.every((i) => i !== undefined) ? items : undefined;
    }
    case 'block': {
      const rec: Record<string, unknown> = {};
      for (const entry of e.entries) {
        if (entry.kind !== 'setting') return undefined;
        const v = literal(entry.value, ctx, bareWords);
        if (v === undefined) return undefined;
        rec[entry.name] = v;
      }
      return rec;
    }
    case 'name':
      return ctx?.constants.has(e.name) ? ctx.constants.get(e.name) : bareWords ? e.name : undefined;
    case 'field':
      // `cursor: { next: .meta.next_cursor }`: a path into records, for the op to follow
      return bareWords ? { field: e.path } : undefined;
    default:
      return undefined;
  }
}
